r"""Listings of labelled video files: `(path, label_name)` entries.

Three readers return `VideoEntry`s:

  * `list_kinetics_csv(csv_path, videos_root, split=None)`: a Kinetics
    annotation CSV with the header `label,youtube_id,time_start,time_end,split`
    (extra columns such as `is_cc` are ignored). Videos are expected under
    the names the usual Kinetics downloaders produce,
    `{youtube_id}_{time_start:06d}_{time_end:06d}.mp4` (also `.mkv`, `.webm`),
    looked up, in this order, in `videos_root/`, `videos_root/<label>/`,
    `videos_root/<label with spaces as underscores>/`,
    `videos_root/<split>/<label>/` and
    `videos_root/<split>/<label with underscores>/`. A row whose file is not
    found is still listed (under `videos_root/<name>.mp4`) so that
    `prepare_records` reports it as missing instead of dropping it silently.
  * `list_video_folders(root)`: a class-per-folder tree (UCF101 / HMDB51
    style) `root/<class>/<video files>` (files in sub-folders of a class
    folder belong to that class; hidden files and files without a video
    extension are ignored).
  * `list_path_csv(csv_path)`: a CSV of `path,label` rows (an optional
    `path,label` header); relative paths are relative to the CSV's folder.

Example:

>>> import os, tempfile
>>> root = tempfile.mkdtemp()
>>> for label in ("jump", "run"):
...   os.makedirs(os.path.join(root, label))
...   open(os.path.join(root, label, "a.mp4"), "wb").close()
>>> [(os.path.basename(e.path), e.label) for e in list_video_folders(root)]
[('a.mp4', 'jump'), ('a.mp4', 'run')]
>>> list_class_folders(root)
['jump', 'run']
"""

from __future__ import annotations

import csv
import os
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from tf_grw.core.errors import invalid_value
from tf_grw.datasets.video_files import check_dir
from tf_grw.datasets.video_files import check_file

__all__ = ["KINETICS_COLUMNS", "KINETICS_EXTENSIONS", "VIDEO_EXTENSIONS",
           "VideoEntry", "kinetics_filename", "list_class_folders",
           "list_kinetics_csv", "list_path_csv", "list_video_folders"]

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg",
                    ".mpeg", ".wmv", ".flv", ".3gp", ".ogv")
KINETICS_EXTENSIONS = (".mp4", ".mkv", ".webm")
KINETICS_COLUMNS = ("label", "youtube_id", "time_start", "time_end", "split")


class VideoEntry(NamedTuple):
  """One labelled video: a `(path, label)` tuple.

  >>> VideoEntry("clips/a.mp4", "run").label
  'run'
  """
  path: str
  label: str


def _check_extensions(extensions) -> Optional[Tuple[str, ...]]:
  if extensions is None:
    return None
  if isinstance(extensions, str):
    extensions = (extensions,)
  try:
    extensions = tuple(extensions)
  except TypeError:
    extensions = None
  if (not extensions or
      not all(isinstance(e, str) and e.startswith(".") for e in extensions)):
    raise invalid_value(
        "extensions", "a non-empty sequence of extensions like '.mp4', or "
        "None for every file", extensions)
  return tuple(e.lower() for e in extensions)


def _read_csv_rows(csv_path: str) -> List[List[str]]:
  with open(csv_path, newline="", encoding="utf-8-sig") as f:
    return [row for row in csv.reader(f)
            if row and any(cell.strip() for cell in row)]


def kinetics_filename(youtube_id: str, time_start: int, time_end: int,
                      extension: str = ".mp4") -> str:
  """Returns the Kinetics download file name of a clip.

  Args:
    youtube_id: The YouTube id (the CSV's `youtube_id`).
    time_start: Clip start in whole seconds (the CSV's `time_start`).
    time_end: Clip end in whole seconds (the CSV's `time_end`).
    extension: File extension, with the dot.

  Returns:
    `f"{youtube_id}_{time_start:06d}_{time_end:06d}{extension}"`.

  Example:

  >>> kinetics_filename("abc123", 14, 24)
  'abc123_000014_000024.mp4'
  """
  return f"{youtube_id}_{int(time_start):06d}_{int(time_end):06d}{extension}"


def list_kinetics_csv(
    csv_path: Union[str, os.PathLike],
    videos_root: Union[str, os.PathLike],
    split: Optional[str] = None,
    extensions: Sequence[str] = KINETICS_EXTENSIONS) -> List[VideoEntry]:
  """Lists the videos of a Kinetics annotation CSV.

  The CSV has the header `label,youtube_id,time_start,time_end,split` (extra
  columns are ignored). For each row the file
  `{youtube_id}_{time_start:06d}_{time_end:06d}{ext}` (`ext` from
  `extensions`, in order) is looked up in `videos_root/`,
  `videos_root/<label>/`, `videos_root/<label_with_underscores>/`,
  `videos_root/<split>/<label>/` and
  `videos_root/<split>/<label_with_underscores>/`, first match wins. Rows
  whose video is not found are listed as `videos_root/<name>{extensions[0]}`,
  which `prepare_records` then reports as missing.

  Args:
    csv_path: The annotation CSV (e.g. Kinetics-400 `train.csv`).
    videos_root: Folder holding the downloaded clips.
    split: Keep only rows whose `split` column equals this (e.g. "train",
      "val"); None keeps every row.
    extensions: File extensions to try, with the dot.

  Returns:
    A list of `VideoEntry(path, label)` in CSV order.

  Raises:
    ValueError: on a missing file or folder, a CSV without the required
      columns, a malformed row, or a `split` no row has.

  Example:

  >>> import os, tempfile
  >>> root = tempfile.mkdtemp()
  >>> os.mkdir(os.path.join(root, "videos"))
  >>> with open(os.path.join(root, "validate.csv"), "w") as f:
  ...   _ = f.write("label,youtube_id,time_start,time_end,split\\n"
  ...               "abseiling,abc123,14,24,val\\n")
  >>> entries = list_kinetics_csv(os.path.join(root, "validate.csv"),
  ...                             os.path.join(root, "videos"), split="val")
  >>> [(os.path.basename(e.path), e.label) for e in entries]
  [('abc123_000014_000024.mp4', 'abseiling')]
  """
  csv_path = check_file("csv_path", csv_path, "CSV file")
  videos_root = check_dir("videos_root", videos_root)
  extensions = _check_extensions(extensions)
  if extensions is None:
    raise invalid_value("extensions", "a non-empty sequence of extensions "
                        "like '.mp4'", extensions)
  if split is not None and (not isinstance(split, str) or not split):
    raise invalid_value("split", "a non-empty string or None", split)
  rows = _read_csv_rows(csv_path)
  header = [cell.strip() for cell in rows[0]] if rows else []
  missing = [c for c in KINETICS_COLUMNS if c not in header]
  if missing:
    raise invalid_value(
        "csv_path", f"a Kinetics CSV whose header has the columns "
        f"{','.join(KINETICS_COLUMNS)} "
        f"(found {','.join(header) or 'no header'})",
        csv_path)
  col = {name: header.index(name) for name in KINETICS_COLUMNS}

  listings: Dict[str, frozenset] = {}

  def files_in(folder: str) -> frozenset:
    if folder not in listings:
      try:
        listings[folder] = frozenset(os.listdir(folder))
      except OSError:
        listings[folder] = frozenset()
    return listings[folder]

  entries = []
  seen_splits = set()
  for line, row in enumerate(rows[1:], start=2):
    if len(row) < len(header):
      raise invalid_value(
          "csv_path", f"a CSV whose rows have {len(header)} columns (line "
          f"{line} has {len(row)})", csv_path)
    label = row[col["label"]].strip()
    row_split = row[col["split"]].strip()
    youtube_id = row[col["youtube_id"]].strip()
    seen_splits.add(row_split)
    if split is not None and row_split != split:
      continue
    try:
      start = int(float(row[col["time_start"]]))
      end = int(float(row[col["time_end"]]))
    except ValueError:
      start = end = None
    if start is None or not label or not youtube_id:
      raise invalid_value(
          "csv_path", f"a CSV with a label, a youtube_id and numeric "
          f"time_start/time_end on every row (line {line} is {row!r})",
          csv_path)
    names = [kinetics_filename(youtube_id, start, end, ext)
             for ext in extensions]
    underscored = label.replace(" ", "_")
    folders = [videos_root, os.path.join(videos_root, label),
               os.path.join(videos_root, underscored),
               os.path.join(videos_root, row_split, label),
               os.path.join(videos_root, row_split, underscored)]
    path = None
    for folder in dict.fromkeys(folders):  # Unique, order kept.
      for name in names:
        if name in files_in(folder):
          path = os.path.join(folder, name)
          break
      if path is not None:
        break
    if path is None:
      path = os.path.join(videos_root, names[0])
    entries.append(VideoEntry(os.path.abspath(path), label))
  if split is not None and not entries:
    raise invalid_value(
        "split", f"one of the CSV's split values {sorted(seen_splits)}", split)
  return entries


def list_class_folders(root: Union[str, os.PathLike]) -> List[str]:
  """Returns the sorted class folder names of a class-per-folder tree.

  Args:
    root: A folder with one sub-folder per class (hidden ones ignored).

  Returns:
    The sorted names of the sub-folders, including empty ones (so that a
    label map built from them is the same for every split).

  Raises:
    ValueError: if `root` is not a folder or has no class sub-folder.
  """
  root = check_dir("root", root)
  classes = sorted(name for name in os.listdir(root)
                   if not name.startswith(".") and
                   os.path.isdir(os.path.join(root, name)))
  if not classes:
    raise invalid_value("root", "a folder with one sub-folder per class",
                        root)
  return classes


def list_video_folders(
    root: Union[str, os.PathLike],
    extensions: Optional[Sequence[str]] = VIDEO_EXTENSIONS
) -> List[VideoEntry]:
  """Lists a class-per-folder tree `root/<class>/<video files>`.

  This is the UCF101 / HMDB51 layout. Files anywhere below a class folder
  belong to that class; hidden files and folders are ignored, and so are
  files whose extension (case-insensitive) is not in `extensions`.

  Args:
    root: The folder holding one sub-folder per class.
    extensions: Video file extensions to keep (with the dot), or None to keep
      every file.

  Returns:
    A list of `VideoEntry(path, label)` (absolute paths), sorted by class and
    path.

  Raises:
    ValueError: if `root` is not a folder or has no class sub-folder.

  Example:

  >>> import os, tempfile
  >>> root = tempfile.mkdtemp()
  >>> for name in ("ApplyLipstick/v_1.avi", "Archery/v_2.mp4", "Archery/notes.txt"):
  ...   os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
  ...   open(os.path.join(root, name), "w").close()
  >>> [(os.path.basename(e.path), e.label) for e in list_video_folders(root)]
  [('v_1.avi', 'ApplyLipstick'), ('v_2.mp4', 'Archery')]
  >>> list_class_folders(root)
  ['ApplyLipstick', 'Archery']
  """
  extensions = _check_extensions(extensions)
  classes = list_class_folders(root)
  root = os.path.abspath(os.fspath(root))
  entries = []
  for label in classes:
    class_dir = os.path.join(root, label)
    paths = []
    for folder, dirs, files in os.walk(class_dir):
      dirs[:] = sorted(d for d in dirs if not d.startswith("."))
      for name in files:
        if name.startswith("."):
          continue
        if (extensions is not None and
            os.path.splitext(name)[1].lower() not in extensions):
          continue
        paths.append(os.path.join(folder, name))
    entries.extend(VideoEntry(p, label) for p in sorted(paths))
  return entries


def list_path_csv(csv_path: Union[str, os.PathLike]) -> List[VideoEntry]:
  """Lists a CSV of `path,label` rows.

  A first row `path,label` is taken as a header (with a header, the columns
  may be in any order and extra columns are ignored; without one, the first
  two columns are the path and the label). Relative paths are relative to the
  CSV's folder.

  Args:
    csv_path: The CSV file.

  Returns:
    A list of `VideoEntry(path, label)` (absolute paths) in CSV order.

  Raises:
    ValueError: on a missing file or a row without a path and a label.

  Example:

  >>> import os, tempfile
  >>> root = tempfile.mkdtemp()
  >>> with open(os.path.join(root, "videos.csv"), "w") as f:
  ...   _ = f.write("path,label\\nclips/a.mp4,jumping\\n/abs/b.avi,running\\n")
  >>> entries = list_path_csv(os.path.join(root, "videos.csv"))
  >>> [(os.path.relpath(e.path, root), e.label) for e in entries[:1]]
  [('clips/a.mp4', 'jumping')]
  >>> entries[1].path, entries[1].label
  ('/abs/b.avi', 'running')
  """
  csv_path = check_file("csv_path", csv_path, "CSV file")
  base = os.path.dirname(os.path.abspath(csv_path))
  rows = _read_csv_rows(csv_path)
  path_col, label_col, first = 0, 1, 0
  if rows:
    header = [cell.strip().lower() for cell in rows[0]]
    if "path" in header and "label" in header:
      path_col, label_col, first = header.index("path"), header.index(
          "label"), 1
  entries = []
  for line, row in enumerate(rows[first:], start=first + 1):
    if len(row) <= max(path_col, label_col):
      path = label = ""
    else:
      path, label = row[path_col].strip(), row[label_col].strip()
    if not path or not label:
      raise invalid_value(
          "csv_path", f"a CSV of `path,label` rows (line {line} is {row!r})",
          csv_path)
    path = os.path.expanduser(path)
    if not os.path.isabs(path):
      path = os.path.join(base, path)
    entries.append(VideoEntry(os.path.normpath(path), label))
  if not entries:
    raise invalid_value("csv_path", "a CSV with at least one `path,label` row",
                        csv_path)
  return entries

r"""Labelled raw videos -> sharded TFRecords for TF Model Garden video input.

Model Garden's video classification input
(`official/vision/dataloaders/video_input.py`, `video_input.Decoder` and
`video_input.Parser`) reads TFRecord files of `tf.train.SequenceExample`s. This
module turns a list of labelled video files into exactly that layout:

  * context `clip/label/index` (int64 list, one class index; Model Garden's
    `video_input.LABEL_KEY`, `DataConfig.label_field_key`),
  * feature list `image/encoded` (one JPEG string per frame, RGB; Model
    Garden's `video_input.IMAGE_KEY`, `DataConfig.image_field_key`, read with
    `DataConfig.input_image_format='jpeg'`),

plus MediaSequence-style extras that Model Garden ignores but that help
debugging: context `clip/label/string`, `clip/media_id` (file name without
extension), `clip/data_path` (source path), `image/format` (b"jpeg"),
`image/height`, `image/width`, `image/channels` (3) and `image/frame_rate`
(the output fps, float), and feature list `image/timestamp` (int64
microseconds of each output frame, `k / fps`).

Three listing readers return `(path, label_name)` entries (`VideoEntry`):

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

Label map: class name -> index, by default the sorted class names
(`build_label_map`). It is stored as `label_map.json` in the output folder, a
JSON object `{"class name": index, ...}` listed in index order. All splits
written to one folder must share it: `prepare_records` refuses a label map that
differs from an existing `label_map.json` there. `load_label_map` reads such a
JSON object, a JSON list of names (index = position) or a `.txt` file with one
class name per line (index = line number, blank lines ignored).

Decoding (`decode_video`) uses OpenCV's FFmpeg backend. Frames are resampled to
a constant `fps` by timestamp: output frame `k` at time `k / fps` is the
source frame being displayed at that time (the last source frame whose
timestamp is <= `k / fps`), so lower rates drop frames and higher rates repeat
them; the output covers the source's duration (`ceil(duration * fps)` frames,
e.g. 20 frames at 10 fps -> 10 frames at 5 fps). Timestamps come from the
container (`CAP_PROP_POS_MSEC`) and fall back to `index / source_fps` when
those are unusable; when the container reports no usable frame rate,
`DEFAULT_SOURCE_FPS` (30) is assumed and a note is added to the report.
Frames are resized so the short side is `short_side` pixels (aspect kept;
`cv2.INTER_AREA` when shrinking, `INTER_LINEAR` when enlarging), optionally
cut to the first `max_frames` output frames, and JPEG-encoded with
`cv2.imencode` straight from OpenCV's BGR arrays, which yields standard
(RGB-correct) JPEGs: `tf.io.decode_jpeg` returns RGB.

Writing (`prepare_records`): entries are shuffled with a fixed seed and dealt
round-robin into `num_shards` shards named
`{split}-{i:05d}-of-{num_shards:05d}.tfrecord`; videos are decoded in
`num_workers` spawned processes while the parent writes the shards in order,
with a tqdm progress bar over videos. A video that is missing, empty, cannot
be opened, has no decodable frame or decodes to clearly fewer frames than its
container announces (truncated/corrupt) is skipped and listed, with the
reason, in `{split}_skipped.csv`; it never stops the run.

Resumability: a shard is written to `<shard>.incomplete` and atomically
renamed (`os.replace`) once complete, and only then recorded in
`{split}_manifest.json` (itself replaced atomically) together with its counts
and skipped videos. A rerun with the same entries and settings keeps every
recorded shard whose file exists and rebuilds only the others (the report
counts `num_shards_reused`). A rerun with different entries or settings into a
folder that holds shards of the old run raises an error unless
`overwrite=True`. Run one job per output folder and split at a time.

Example (a class-per-folder tree of two tiny videos and one broken file):

>>> import os, tempfile
>>> import cv2
>>> import numpy as np
>>> root = tempfile.mkdtemp()
>>> def write_video(path, frames=10, size=(48, 32)):
...   writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
...                            size)
...   for k in range(frames):
...     _ = writer.write(np.full((size[1], size[0], 3), 20 * k, np.uint8))
...   writer.release()
>>> for name in ("jump", "run"):
...   os.makedirs(os.path.join(root, "videos", name))
...   write_video(os.path.join(root, "videos", name, "a.avi"))
>>> with open(os.path.join(root, "videos", "run", "broken.avi"), "wb") as f:
...   _ = f.write(b"not a video")
>>> entries = list_video_folders(os.path.join(root, "videos"))
>>> label_map = build_label_map(list_class_folders(os.path.join(root, "videos")))
>>> label_map
{'jump': 0, 'run': 1}
>>> report = prepare_records(entries, os.path.join(root, "out"), "train",
...                          label_map, fps=5.0, short_side=16, num_shards=1,
...                          num_workers=1, progress=False)
>>> report.num_written, report.num_skipped
(2, 1)

Use in a Model Garden experiment (e.g. MoViNet):

>>> from official.vision.configs import video_classification as vc
>>> data = vc.DataConfig(
...     input_path=os.path.join(root, "out", "train-*-of-00001.tfrecord"),
...     feature_shape=(4, 16, 16, 3), num_classes=len(label_map),
...     min_image_size=16)  # the short_side used here
"""

from __future__ import annotations

import collections
from concurrent import futures
import csv
import dataclasses
import hashlib
import json
import math
import multiprocessing
import numbers
import os
import random
import re
import reprlib
from typing import (Any, Dict, Iterable, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple, Union)

from absl import logging
import cv2
import numpy as np
import tensorflow as tf
import tqdm

from tf_grw.core.errors import Described
from tf_grw.datasets.record_keys import CHANNELS_KEY
from tf_grw.datasets.record_keys import DATA_PATH_KEY
from tf_grw.datasets.record_keys import FORMAT_KEY
from tf_grw.datasets.record_keys import FRAME_RATE_KEY
from tf_grw.datasets.record_keys import HEIGHT_KEY
from tf_grw.datasets.record_keys import IMAGE_KEY
from tf_grw.datasets.record_keys import LABEL_KEY
from tf_grw.datasets.record_keys import LABEL_STRING_KEY
from tf_grw.datasets.record_keys import MEDIA_ID_KEY
from tf_grw.datasets.record_keys import TIMESTAMP_KEY
from tf_grw.datasets.record_keys import WIDTH_KEY
from tf_grw.core.errors import invalid_value

__all__ = [
    "DecodedVideo",
    "DEFAULT_SOURCE_FPS",
    "IMAGE_KEY",
    "KINETICS_COLUMNS",
    "LABEL_KEY",
    "LABEL_MAP_FILENAME",
    "PrepareReport",
    "SkippedVideo",
    "VIDEO_EXTENSIONS",
    "VideoDecodeError",
    "VideoEntry",
    "build_label_map",
    "decode_video",
    "kinetics_filename",
    "list_class_folders",
    "list_kinetics_csv",
    "list_path_csv",
    "list_video_folders",
    "load_label_map",
    "prepare_records",
    "shard_filename",
    "write_label_map",
]


VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg",
                    ".mpeg", ".wmv", ".flv", ".3gp", ".ogv")
KINETICS_EXTENSIONS = (".mp4", ".mkv", ".webm")
KINETICS_COLUMNS = ("label", "youtube_id", "time_start", "time_end", "split")
DEFAULT_SOURCE_FPS = 30.0
LABEL_MAP_FILENAME = "label_map.json"

# A video decoding to fewer than `reported - max(2, 5% of reported)` frames
# (with `reported` the container's frame count) counts as truncated/corrupt.
_TRUNCATION_FRACTION = 0.05
_TRUNCATION_MIN_FRAMES = 2
# Containers reporting a frame rate outside (0, _MAX_SOURCE_FPS] are unusable.
_MAX_SOURCE_FPS = 1000.0
_TIME_EPS = 1e-4  # Seconds; tolerance when comparing frame times.
_MANIFEST_VERSION = 1
_SPLIT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")



def _short(value) -> Described:
  r = reprlib.Repr()
  r.maxdict = r.maxlist = r.maxtuple = 6
  r.maxstring = r.maxother = 80
  return Described(r.repr(value))


# ---------------------------------------------------------------------------
# Entries and listings.
# ---------------------------------------------------------------------------


class VideoEntry(NamedTuple):
  """One labelled video: a `(path, label)` tuple.

  >>> VideoEntry("clips/a.mp4", "run").label
  'run'
  """
  path: str
  label: str


def _check_file(argument: str, path, what: str) -> str:
  if not isinstance(path, (str, os.PathLike)):
    raise invalid_value(argument, f"a path to {what}", path)
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise invalid_value(argument, f"a path to an existing {what}", path)
  return path


def _check_dir(argument: str, path, what: str = "directory") -> str:
  if not isinstance(path, (str, os.PathLike)):
    raise invalid_value(argument, f"a path to an existing {what}", path)
  path = os.fspath(path)
  if not os.path.isdir(path):
    raise invalid_value(argument, f"a path to an existing {what}", path)
  return path


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
  csv_path = _check_file("csv_path", csv_path, "CSV file")
  videos_root = _check_dir("videos_root", videos_root)
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
  root = _check_dir("root", root)
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
  >>> build_label_map(list_class_folders(root))
  {'ApplyLipstick': 0, 'Archery': 1}
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
  csv_path = _check_file("csv_path", csv_path, "CSV file")
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


# ---------------------------------------------------------------------------
# Label maps.
# ---------------------------------------------------------------------------


def build_label_map(labels: Iterable[Any]) -> Dict[str, int]:
  """Maps the sorted distinct class names to 0, 1, ...

  Args:
    labels: Class names, or `(path, label)` entries.

  Returns:
    A dict `{class_name: index}` in index order.

  Example:

  >>> build_label_map(["run", "jump", "run"])
  {'jump': 0, 'run': 1}
  >>> build_label_map([("a.mp4", "b"), ("c.mp4", "a")])
  {'a': 0, 'b': 1}
  """
  names = set()
  for item in labels:
    name = item if isinstance(item, str) else (
        item[1] if isinstance(item, (tuple, list)) and len(item) == 2 else
        None)
    if not isinstance(name, str) or not name:
      raise invalid_value("labels", "class names or (path, label) entries",
                          _short(item))
    names.add(name)
  if not names:
    raise invalid_value("labels", "at least one class name", _short(labels))
  return {name: i for i, name in enumerate(sorted(names))}


def _check_label_map(label_map) -> Dict[str, int]:
  """Validates a `{name: index}` mapping with indices 0..n-1."""
  ok = isinstance(label_map, dict) and label_map
  if ok:
    ok = all(isinstance(k, str) and k and isinstance(v, numbers.Integral) and
             not isinstance(v, bool) for k, v in label_map.items())
  if ok:
    ok = sorted(int(v) for v in label_map.values()) == list(
        range(len(label_map)))
  if not ok:
    raise invalid_value(
        "label_map", "a non-empty dict of class name -> index whose indices "
        "are 0, 1, ..., n-1", _short(label_map))
  return {k: int(v) for k, v in sorted(label_map.items(), key=lambda kv: kv[1])}


def load_label_map(path: Union[str, os.PathLike]) -> Dict[str, int]:
  """Reads a label map file.

  Accepted formats: a `.json` file holding an object `{"name": index}` or a
  list of names (index = position); any other file is text with one class
  name per line (index = line number among the non-blank lines).

  Args:
    path: The label map file.

  Returns:
    A dict `{class_name: index}` in index order.

  Raises:
    ValueError: on a missing or malformed file.

  Example:

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), "classes.txt")
  >>> with open(path, "w") as f:
  ...   _ = f.write("run\\n\\njump\\n")
  >>> load_label_map(path)
  {'run': 0, 'jump': 1}
  """
  path = _check_file("label_map", path, "label map file")
  with open(path, encoding="utf-8") as f:
    text = f.read()
  if path.lower().endswith(".json"):
    try:
      data = json.loads(text)
    except json.JSONDecodeError:
      data = None
    if isinstance(data, list) and all(isinstance(n, str) for n in data):
      if len(set(data)) != len(data):
        data = None
      else:
        data = {name: i for i, name in enumerate(data)}
    if not isinstance(data, dict):
      raise invalid_value(
          "label_map", "a JSON file holding {\"name\": index} or a list of "
          "distinct names", path)
  else:
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(set(names)) != len(names):
      raise invalid_value(
          "label_map", "a text file with one distinct class name per line",
          path)
    data = {name: i for i, name in enumerate(names)}
  return _check_label_map(data)


def write_label_map(label_map: Dict[str, int],
                    path: Union[str, os.PathLike]) -> str:
  """Writes `label_map` as a JSON object `{"name": index}` in index order.

  Args:
    label_map: A dict of class name -> index (indices 0..n-1).
    path: Destination file (written atomically).

  Returns:
    The path written.

  Example:

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), "label_map.json")
  >>> write_label_map({"run": 1, "jump": 0}, path) == path
  True
  >>> load_label_map(path)
  {'jump': 0, 'run': 1}
  """
  label_map = _check_label_map(label_map)
  path = os.fspath(path)
  _write_json_atomic(path, label_map)
  return path


# ---------------------------------------------------------------------------
# Decoding.
# ---------------------------------------------------------------------------


class VideoDecodeError(Exception):
  """A video that cannot be used; `reason` says why (for the skip report).

  >>> VideoDecodeError("missing: file not found").reason
  'missing: file not found'
  """

  def __init__(self, reason: str):
    super().__init__(reason)
    self.reason = reason


@dataclasses.dataclass
class DecodedVideo:
  """Frames returned by `decode_video`.

  Attributes:
    frames: uint8 array [T, H, W, 3], RGB.
    timestamps: float array [T], seconds of each output frame (`k / fps`).
    source_fps: The container's frame rate (or `DEFAULT_SOURCE_FPS`).
    source_fps_assumed: True when the container reported no usable rate.
    num_source_frames: Number of source frames decoded.

  >>> import os, tempfile
  >>> import cv2
  >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
  >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
  ...                          (32, 24))
  >>> for k in range(20):
  ...   _ = writer.write(np.full((24, 32, 3), 10 * k, np.uint8))
  >>> writer.release()
  >>> video = decode_video(path, fps=5.0, short_side=12)
  >>> video.frames.shape, video.source_fps, video.timestamps[:3].tolist()
  ((10, 12, 16, 3), 10.0, [0.0, 0.2, 0.4])
  """
  frames: np.ndarray
  timestamps: np.ndarray
  source_fps: float
  source_fps_assumed: bool
  num_source_frames: int


def _open_capture(path: str):
  if not os.path.exists(path):
    raise VideoDecodeError("missing: file not found")
  if not os.path.isfile(path):
    raise VideoDecodeError("not a file")
  if os.path.getsize(path) == 0:
    raise VideoDecodeError("empty file (0 bytes)")
  backend = cv2.CAP_ANY
  try:
    if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):
      backend = cv2.CAP_FFMPEG  # Avoids e.g. the image-sequence reader.
  except AttributeError:
    pass
  cap = cv2.VideoCapture(path, backend)
  if not cap.isOpened():
    cap.release()
    raise VideoDecodeError(
        "cannot open as a video (corrupt, truncated or not a video)")
  return cap


def _resize_short_side(frame: np.ndarray, short_side: Optional[int]):
  if frame.ndim == 2:
    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
  elif frame.shape[2] == 4:
    frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
  height, width = frame.shape[:2]
  if short_side is None or min(height, width) == short_side:
    return frame
  scale = short_side / min(height, width)
  if height <= width:
    size = (max(1, int(math.floor(width * scale + 0.5))), short_side)
  else:
    size = (short_side, max(1, int(math.floor(height * scale + 0.5))))
  interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
  return cv2.resize(frame, size, interpolation=interpolation)


def _iter_frames(path: str, fps: float, short_side: Optional[int],
                 max_frames: Optional[int],
                 info: Dict[str, Any]
                 ) -> Iterator[Tuple[float, int, np.ndarray]]:
  """Yields `(time_s, source_index, bgr_frame)` resampled to `fps`.

  A source frame shown at several output times is yielded each time (same
  array, same `source_index`). Fills `info` with `source_fps`,
  `source_fps_assumed` and `num_source_frames`.

  Raises:
    VideoDecodeError: for unusable videos (after yielding what it could).
  """
  cap = _open_capture(path)
  try:
    source_fps = cap.get(cv2.CAP_PROP_FPS)
    assumed = not (math.isfinite(source_fps) and
                   0 < source_fps <= _MAX_SOURCE_FPS)
    if assumed:
      source_fps = DEFAULT_SOURCE_FPS
    info.update(source_fps=float(source_fps), source_fps_assumed=assumed,
                num_source_frames=0)
    reported = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    reported = int(reported) if math.isfinite(reported) and reported > 0 else 0

    count = 0  # Output frames yielded.
    decoded = 0
    origin = 0.0
    use_container_time = True
    prev = None  # (time, index, frame, resized or None)
    stopped = False
    while not stopped:
      ok, frame = cap.read()
      if not ok or frame is None:
        break
      raw = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
      if decoded == 0:
        if math.isfinite(raw) and raw >= 0:
          origin = raw
        else:
          use_container_time = False
        time = 0.0
      else:
        candidate = raw - origin
        if (use_container_time and math.isfinite(candidate) and
            candidate > prev[0] + 1e-6):
          time = candidate
        else:
          use_container_time = False
          time = prev[0] + 1.0 / source_fps
      if prev is not None:
        # `prev` is displayed during [prev_time, time).
        while count / fps < time - _TIME_EPS:
          if prev[3] is None:
            prev = prev[:3] + (_resize_short_side(prev[2], short_side),)
          yield count / fps, prev[1], prev[3]
          count += 1
          if max_frames is not None and count >= max_frames:
            stopped = True
            break
      prev = (time, decoded, frame, None)
      decoded += 1
      info["num_source_frames"] = decoded
    if not stopped and prev is not None:
      if decoded > 1 and assumed:
        duration = prev[0] / (decoded - 1)  # Mean frame interval.
      else:
        duration = 1.0 / source_fps
      resized = _resize_short_side(prev[2], short_side)
      while count / fps < prev[0] + duration - _TIME_EPS:
        yield count / fps, prev[1], resized
        count += 1
        if max_frames is not None and count >= max_frames:
          stopped = True
          break
    if decoded == 0:
      raise VideoDecodeError("no decodable frames")
    tolerance = max(_TRUNCATION_MIN_FRAMES, _TRUNCATION_FRACTION * reported)
    if not stopped and reported and decoded + tolerance < reported:
      raise VideoDecodeError(
          f"truncated or corrupt: decoded {decoded} of the {reported} frames "
          "the container announces")
  finally:
    cap.release()


def _check_fps(fps):
  if (not isinstance(fps, numbers.Real) or isinstance(fps, bool) or
      not math.isfinite(fps) or fps <= 0):
    raise invalid_value("fps", "a float > 0", fps)
  return float(fps)


def _check_int(argument: str, value, minimum: int, allow_none: bool = False):
  if value is None and allow_none:
    return None
  if (not isinstance(value, numbers.Integral) or isinstance(value, bool) or
      value < minimum):
    expected = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    raise invalid_value(argument, expected, value)
  return int(value)


def decode_video(path: Union[str, os.PathLike], fps: float = 25.0,
                 short_side: Optional[int] = 256,
                 max_frames: Optional[int] = None) -> DecodedVideo:
  """Decodes a video to RGB frames resampled to `fps`, short side resized.

  Output frame `k` (time `k / fps`) is the source frame displayed at that
  time; the output spans the source's duration.

  Args:
    path: The video file.
    fps: Output frame rate (> 0).
    short_side: Short side of the output frames in pixels (aspect kept), or
      None to keep the source size.
    max_frames: Keep at most this many output frames (the first ones), or None.

  Returns:
    A `DecodedVideo`.

  Raises:
    VideoDecodeError: if the file is missing, empty, cannot be opened, has no
      decodable frame, or decodes to clearly fewer frames than announced.
    ValueError: on invalid arguments.

  Example:

  >>> import os, tempfile
  >>> import cv2
  >>> import numpy as np
  >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
  >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
  ...                          (64, 48))
  >>> for k in range(20):  # 2 s at 10 fps.
  ...   _ = writer.write(np.full((48, 64, 3), 10 * k, np.uint8))
  >>> writer.release()
  >>> video = decode_video(path, fps=5.0, short_side=24)
  >>> video.frames.shape, video.frames.dtype  # 2 s at 5 fps, RGB.
  ((10, 24, 32, 3), dtype('uint8'))
  """
  fps = _check_fps(fps)
  short_side = _check_int("short_side", short_side, 1, allow_none=True)
  max_frames = _check_int("max_frames", max_frames, 1, allow_none=True)
  info: Dict[str, Any] = {}
  frames, times = [], []
  last_index, last_rgb = -1, None
  for time, index, frame in _iter_frames(os.fspath(path), fps, short_side,
                                         max_frames, info):
    if index != last_index:
      last_index, last_rgb = index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    frames.append(last_rgb)
    times.append(time)
  return DecodedVideo(frames=np.stack(frames),
                      timestamps=np.asarray(times, np.float64),
                      source_fps=info["source_fps"],
                      source_fps_assumed=info["source_fps_assumed"],
                      num_source_frames=info["num_source_frames"])


# ---------------------------------------------------------------------------
# Worker side (top level, spawn-safe; no TensorFlow calls).
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _EncodeSettings:
  fps: float
  short_side: Optional[int]
  max_frames: Optional[int]
  jpeg_quality: int


@dataclasses.dataclass
class _VideoResult:
  ok: bool
  reason: str = ""
  jpegs: List[bytes] = dataclasses.field(default_factory=list)
  timestamps_us: List[int] = dataclasses.field(default_factory=list)
  height: int = 0
  width: int = 0
  note: str = ""


def _init_worker():
  cv2.setNumThreads(1)


def _encode_video(path: str, settings: _EncodeSettings) -> _VideoResult:
  """Decodes, resamples, resizes and JPEG-encodes one video; never raises."""
  info: Dict[str, Any] = {}
  try:
    jpegs, times = [], []
    last_index, last_jpeg, shape = -1, b"", (0, 0)
    params = [int(cv2.IMWRITE_JPEG_QUALITY), settings.jpeg_quality]
    for time, index, frame in _iter_frames(path, settings.fps,
                                           settings.short_side,
                                           settings.max_frames, info):
      if index != last_index:
        # OpenCV frames are BGR and imencode expects BGR: the JPEG is RGB.
        ok, buffer = cv2.imencode(".jpg", frame, params)
        if not ok:
          raise VideoDecodeError("JPEG encoding failed")
        last_index, last_jpeg, shape = index, buffer.tobytes(), frame.shape[:2]
      jpegs.append(last_jpeg)
      times.append(int(round(time * 1e6)))
  except VideoDecodeError as e:
    return _VideoResult(ok=False, reason=e.reason)
  except Exception as e:  # pylint: disable=broad-except
    return _VideoResult(ok=False,
                        reason=f"decode error: {type(e).__name__}: {e}")
  note = ""
  if info.get("source_fps_assumed"):
    note = ("container reports no usable frame rate; assumed "
            f"{DEFAULT_SOURCE_FPS:g} fps where timestamps were missing")
  return _VideoResult(ok=True, jpegs=jpegs, timestamps_us=times,
                      height=int(shape[0]), width=int(shape[1]), note=note)


def _crashed_result() -> _VideoResult:
  return _VideoResult(
      ok=False, reason="the decoder crashed its worker process (corrupt "
      "video?)")


def _run_isolated(path: str, settings: _EncodeSettings,
                  context) -> _VideoResult:
  executor = futures.ProcessPoolExecutor(1, mp_context=context,
                                         initializer=_init_worker)
  try:
    return executor.submit(_encode_video, path, settings).result()
  except futures.process.BrokenProcessPool:
    return _crashed_result()
  except Exception as e:  # pylint: disable=broad-except
    return _VideoResult(ok=False, reason=f"worker error: {e!r}")
  finally:
    executor.shutdown(wait=True, cancel_futures=True)


def _encode_all(paths: Sequence[str], settings: _EncodeSettings,
                num_workers: int) -> Iterator[_VideoResult]:
  """Yields `_encode_video` results in the order of `paths`."""
  if num_workers == 0:
    for path in paths:
      yield _encode_video(path, settings)
    return
  context = multiprocessing.get_context("spawn")  # TF in the parent: no fork.
  window = 4 * num_workers
  done = 0
  while done < len(paths):
    executor = futures.ProcessPoolExecutor(
        num_workers, mp_context=context, initializer=_init_worker)
    pending = collections.deque()
    submitted = done
    broken = False
    try:
      while done < len(paths):
        while submitted < len(paths) and len(pending) < window:
          pending.append(executor.submit(_encode_video, paths[submitted],
                                         settings))
          submitted += 1
        try:
          result = pending[0].result()
        except futures.process.BrokenProcessPool:
          broken = True
          break
        except Exception as e:  # pylint: disable=broad-except
          result = _VideoResult(ok=False, reason=f"worker error: {e!r}")
        pending.popleft()
        done += 1
        yield result
    except futures.process.BrokenProcessPool:  # Raised by submit().
      broken = True
    finally:
      executor.shutdown(wait=not broken, cancel_futures=True)
    if broken:
      # A worker died (e.g. a decoder segfault). Rerun the in-flight videos
      # one at a time in fresh processes to pin it on the culprit.
      logging.warning("A video worker process died; retrying %d videos one "
                      "at a time.", max(1, submitted - done))
      for index in range(done, max(submitted, done + 1)):
        done += 1
        yield _run_isolated(paths[index], settings, context)


# ---------------------------------------------------------------------------
# Writing.
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SkippedVideo:
  """A video left out of the records, with the reason.

  >>> SkippedVideo("b.mp4", "run", "missing: file not found").reason
  'missing: file not found'
  """
  path: str
  label: str
  reason: str


@dataclasses.dataclass
class PrepareReport:
  """What `prepare_records` did.

  Attributes:
    split: The split name.
    output_dir: The output folder.
    shard_paths: All shard files of the split, in order.
    num_written: Examples in the shards (including reused shards).
    skipped: The skipped videos (including those of reused shards).
    num_frames: Frames in all examples.
    num_shards_written: Shards written by this call.
    num_shards_reused: Finished shards of an earlier run kept as they were.
    label_map_path: The `label_map.json` written or checked.
    skipped_report_path: `{split}_skipped.csv` (columns path,label,reason).
    manifest_path: `{split}_manifest.json` (resumption state).
    notes: `(path, note)` pairs, e.g. where a source frame rate was assumed.

  >>> import tempfile
  >>> out = tempfile.mkdtemp()
  >>> report = prepare_records([VideoEntry("/no/such.mp4", "run")], out,
  ...                          "train", {"run": 0}, num_shards=1,
  ...                          num_workers=1, progress=False)
  >>> report.num_written, report.num_skipped, report.skipped[0].reason
  (0, 1, 'missing: file not found')
  >>> report.file_pattern == os.path.join(out, "train-*-of-00001.tfrecord")
  True
  """
  split: str
  output_dir: str
  shard_paths: List[str]
  num_written: int
  skipped: List[SkippedVideo]
  num_frames: int
  num_shards_written: int
  num_shards_reused: int
  label_map_path: str
  skipped_report_path: str
  manifest_path: str
  notes: List[Tuple[str, str]]

  @property
  def num_skipped(self) -> int:
    """Number of skipped videos."""
    return len(self.skipped)

  @property
  def file_pattern(self) -> str:
    """A glob matching the shards (for `DataConfig.input_path`)."""
    return os.path.join(
        self.output_dir,
        f"{self.split}-*-of-{len(self.shard_paths):05d}.tfrecord")


def shard_filename(split: str, index: int, num_shards: int) -> str:
  """Returns the name of shard `index` of `num_shards`.

  Args:
    split: The split name.
    index: Shard index, 0-based.
    num_shards: Number of shards.

  Returns:
    The file name.

  Example:

  >>> shard_filename("train", 3, 16)
  'train-00003-of-00016.tfrecord'
  """
  return f"{split}-{index:05d}-of-{num_shards:05d}.tfrecord"


def _write_json_atomic(path: str, data) -> None:
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "w", encoding="utf-8") as f:
    json.dump(data, f, indent=1, ensure_ascii=False)
    f.write("\n")
  os.replace(tmp, path)


def _sequence_example(entry: VideoEntry, label_index: int,
                      result: _VideoResult, fps: float) -> bytes:
  example = tf.train.SequenceExample()
  context = example.context.feature
  context[LABEL_KEY].int64_list.value.append(label_index)
  context[LABEL_STRING_KEY].bytes_list.value.append(entry.label.encode())
  context[MEDIA_ID_KEY].bytes_list.value.append(
      os.path.splitext(os.path.basename(entry.path))[0].encode())
  context[DATA_PATH_KEY].bytes_list.value.append(entry.path.encode())
  context[FORMAT_KEY].bytes_list.value.append(b"jpeg")
  context[HEIGHT_KEY].int64_list.value.append(result.height)
  context[WIDTH_KEY].int64_list.value.append(result.width)
  context[CHANNELS_KEY].int64_list.value.append(3)
  context[FRAME_RATE_KEY].float_list.value.append(fps)
  images = example.feature_lists.feature_list[IMAGE_KEY]
  times = example.feature_lists.feature_list[TIMESTAMP_KEY]
  for jpeg, time in zip(result.jpegs, result.timestamps_us):
    images.feature.add().bytes_list.value.append(jpeg)
    times.feature.add().int64_list.value.append(time)
  # Deterministic: same bytes for the same video in every run and process.
  return example.SerializeToString(deterministic=True)


def _normalize_entries(entries) -> List[VideoEntry]:
  try:
    items = list(entries)
  except TypeError:
    items = None
  if not items:
    raise invalid_value("entries", "a non-empty list of (path, label) pairs",
                        _short(entries))
  normalized = []
  for item in items:
    if (not isinstance(item, (tuple, list)) or len(item) != 2 or
        not isinstance(item[0], (str, os.PathLike)) or
        not isinstance(item[1], str) or not item[1]):
      raise invalid_value("entries", "a non-empty list of (path, label) pairs",
                          _short(item))
    normalized.append(VideoEntry(os.fspath(item[0]), item[1]))
  return normalized


def _shard_pattern(split: str) -> re.Pattern:
  return re.compile(
      rf"^{re.escape(split)}-\d{{5}}-of-\d{{5}}\.tfrecord(\.incomplete)?$")


def prepare_records(
    entries: Iterable[Tuple[Union[str, os.PathLike], str]],
    output_dir: Union[str, os.PathLike],
    split_name: str,
    label_map: Dict[str, int],
    fps: float = 25.0,
    short_side: Optional[int] = 256,
    num_shards: int = 16,
    num_workers: Optional[int] = None,
    max_frames: Optional[int] = None,
    *,
    jpeg_quality: int = 90,
    shuffle_seed: Optional[int] = 0,
    overwrite: bool = False,
    progress: bool = True) -> PrepareReport:
  """Writes labelled videos as sharded TFRecords of `tf.train.SequenceExample`.

  The records are what Model Garden's `video_input.Decoder` / `Parser` read
  (see the module docstring for the keys). Unusable videos are skipped and
  listed in `{split_name}_skipped.csv`; rerunning resumes, keeping finished
  shards.

  Args:
    entries: `(path, label)` pairs, e.g. from `list_video_folders`.
    output_dir: Output folder (created if needed).
    split_name: Split name used in the file names, e.g. "train".
    label_map: Class name -> index (0..n-1); every entry's label must be in
      it. Written to `output_dir/label_map.json`, or checked against it.
    fps: Output frame rate (> 0); frames are picked by timestamp.
    short_side: Short side of the stored frames in pixels, or None to keep
      the source size.
    num_shards: Number of shard files (>= 1).
    num_workers: Decoding processes; 0 decodes in this process; None uses
      `os.cpu_count()`.
    max_frames: Keep at most this many (first) frames per video, or None.
    jpeg_quality: JPEG quality, 1..100.
    shuffle_seed: Seed of the fixed shuffle applied before dealing entries
      into shards (mixes classes within shards); None keeps the given order.
    overwrite: Delete this split's existing shards, manifest and skip report
      first (needed to rebuild with different entries or settings).
    progress: Show a tqdm progress bar over videos.

  Returns:
    A `PrepareReport`.

  Raises:
    ValueError: on invalid arguments, labels missing from `label_map`, a
      `label_map` differing from `output_dir/label_map.json`, or finished
      shards of a run with different entries/settings (without `overwrite`).

  Example:

  >>> import os, tempfile
  >>> root = tempfile.mkdtemp()
  >>> with open(os.path.join(root, "videos.csv"), "w") as f:
  ...   _ = f.write("path,label\\nmissing.mp4,run\\n")
  >>> entries = list_path_csv(os.path.join(root, "videos.csv"))
  >>> report = prepare_records(entries, os.path.join(root, "records"),
  ...                          "train", build_label_map(entries), fps=10.0,
  ...                          short_side=128, num_shards=1, num_workers=1,
  ...                          progress=False)
  >>> report.num_written, [s.reason for s in report.skipped]
  (0, ['missing: file not found'])

  (The module docstring's example writes real videos.)
  """
  entries = _normalize_entries(entries)
  if not isinstance(output_dir, (str, os.PathLike)) or not os.fspath(
      output_dir):
    raise invalid_value("output_dir", "a folder path", output_dir)
  output_dir = os.fspath(output_dir)
  if not isinstance(split_name, str) or not _SPLIT_NAME_RE.match(split_name):
    raise invalid_value(
        "split_name", "a name of letters, digits, '.', '_' or '-' (e.g. "
        "'train')", split_name)
  label_map = _check_label_map(label_map)
  fps = _check_fps(fps)
  short_side = _check_int("short_side", short_side, 1, allow_none=True)
  num_shards = _check_int("num_shards", num_shards, 1)
  num_workers = _check_int("num_workers", num_workers, 0, allow_none=True)
  if num_workers is None:
    num_workers = os.cpu_count() or 1
  max_frames = _check_int("max_frames", max_frames, 1, allow_none=True)
  if (not isinstance(jpeg_quality, numbers.Integral) or
      isinstance(jpeg_quality, bool) or not 1 <= jpeg_quality <= 100):
    raise invalid_value("jpeg_quality", "an integer in [1, 100]",
                        jpeg_quality)
  shuffle_seed = _check_int("shuffle_seed", shuffle_seed, 0, allow_none=True)
  if not isinstance(overwrite, bool):
    raise invalid_value("overwrite", "True or False", overwrite)
  unknown = [e for e in entries if e.label not in label_map]
  if unknown:
    labels = sorted({e.label for e in unknown})
    raise invalid_value(
        "entries", "every label to be a class of `label_map`", Described(
            f"<{len(unknown)} entries with labels not in label_map: "
            f"{_short(labels)!r}>"))
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise invalid_value("output_dir", "a folder path", output_dir)
  os.makedirs(output_dir, exist_ok=True)

  # The label map is shared by every split of the folder.
  label_map_path = os.path.join(output_dir, LABEL_MAP_FILENAME)
  if os.path.exists(label_map_path):
    try:
      existing = load_label_map(label_map_path)
    except ValueError:
      existing = None
    if existing != label_map:
      raise invalid_value(
          "label_map", f"the classes and indices of the existing "
          f"{label_map_path} (all splits of a folder share one map: pass "
          "that file's map, or delete it / use another output_dir)",
          _short(label_map))
  else:
    write_label_map(label_map, label_map_path)

  # Deterministic assignment of entries to shards.
  order = list(range(len(entries)))
  if shuffle_seed is not None:
    random.Random(shuffle_seed).shuffle(order)
  shards = [[entries[j] for j in order[i::num_shards]]
            for i in range(num_shards)]
  names = [shard_filename(split_name, i, num_shards) for i in range(num_shards)]
  settings = _EncodeSettings(fps=fps, short_side=short_side,
                             max_frames=max_frames, jpeg_quality=jpeg_quality)
  fingerprint = hashlib.sha256(json.dumps({
      "version": _MANIFEST_VERSION,
      "settings": dataclasses.asdict(settings),
      "label_map": label_map,
      "shards": [[list(e) for e in shard] for shard in shards],
  }, sort_keys=True).encode()).hexdigest()

  manifest_path = os.path.join(output_dir, f"{split_name}_manifest.json")
  skipped_path = os.path.join(output_dir, f"{split_name}_skipped.csv")
  if overwrite:
    pattern = _shard_pattern(split_name)
    for name in os.listdir(output_dir):
      if pattern.match(name):
        os.remove(os.path.join(output_dir, name))
    for path in (manifest_path, skipped_path):
      if os.path.exists(path):
        os.remove(path)
  manifest = None
  if os.path.exists(manifest_path):
    try:
      with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    except (OSError, ValueError):
      manifest = None
  if manifest is not None and manifest.get("fingerprint") != fingerprint:
    if any(os.path.exists(os.path.join(output_dir, name))
           for name in manifest.get("shards", {})):
      raise invalid_value(
          "output_dir", f"a folder whose finished `{split_name}` shards come "
          "from the same entries and settings (pass overwrite=True to "
          "rebuild them, or use another output_dir)", output_dir)
    manifest = None
  if manifest is None:
    manifest = {"version": _MANIFEST_VERSION, "fingerprint": fingerprint,
                "settings": dataclasses.asdict(settings),
                "num_shards": num_shards, "shards": {}}
  done = {name for name in names
          if name in manifest["shards"] and
          os.path.exists(os.path.join(output_dir, name))}
  manifest["shards"] = {k: v for k, v in manifest["shards"].items()
                        if k in done}
  todo = [i for i in range(num_shards) if names[i] not in done]
  todo_entries = [e for i in todo for e in shards[i]]
  workers = min(num_workers, len(todo_entries))

  results = _encode_all([e.path for e in todo_entries], settings, workers)
  num_skipped_now = 0
  try:
    with tqdm.tqdm(total=len(todo_entries), desc=f"{split_name} videos",
                   unit="video",
                   disable=not progress or not todo_entries) as bar:
      for i in todo:
        final = os.path.join(output_dir, names[i])
        temp = final + ".incomplete"
        state = {"num_written": 0, "num_frames": 0, "skipped": [],
                 "notes": []}
        writer = tf.io.TFRecordWriter(temp)
        try:
          for entry in shards[i]:
            result = next(results)
            if result.ok:
              writer.write(_sequence_example(entry, label_map[entry.label],
                                             result, fps))
              state["num_written"] += 1
              state["num_frames"] += len(result.jpegs)
              if result.note:
                state["notes"].append([entry.path, result.note])
            else:
              state["skipped"].append([entry.path, entry.label,
                                       result.reason])
              num_skipped_now += 1
              bar.set_postfix(skipped=num_skipped_now)
            bar.update(1)
          writer.close()
          os.replace(temp, final)
        except BaseException:
          writer.close()
          if os.path.exists(temp):
            os.remove(temp)
          raise
        manifest["shards"][names[i]] = state
        _write_json_atomic(manifest_path, manifest)
  finally:
    results.close()
  if not todo:
    _write_json_atomic(manifest_path, manifest)

  states = [manifest["shards"][name] for name in names]
  skipped = [SkippedVideo(*row) for s in states for row in s["skipped"]]
  notes = [tuple(row) for s in states for row in s["notes"]]
  tmp = f"{skipped_path}.tmp-{os.getpid()}"
  with open(tmp, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(["path", "label", "reason"])
    writer.writerows([s.path, s.label, s.reason] for s in skipped)
  os.replace(tmp, skipped_path)
  return PrepareReport(
      split=split_name, output_dir=output_dir,
      shard_paths=[os.path.join(output_dir, name) for name in names],
      num_written=sum(s["num_written"] for s in states),
      skipped=skipped, num_frames=sum(s["num_frames"] for s in states),
      num_shards_written=len(todo), num_shards_reused=len(done),
      label_map_path=label_map_path, skipped_report_path=skipped_path,
      manifest_path=manifest_path, notes=notes)

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

The entries come from `tf_grw.datasets.video_listing`, the label map from
`tf_grw.datasets.label_map` and the frames from
`tf_grw.datasets.video_decoding`.

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
>>> from tf_grw.datasets.label_map import build_label_map
>>> from tf_grw.datasets.video_listing import list_class_folders
>>> from tf_grw.datasets.video_listing import list_video_folders
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

import csv
import dataclasses
import hashlib
import json
import numbers
import os
import random
import re
from typing import Dict, Iterable, List, Optional, Tuple, Union

import tensorflow as tf
import tqdm

from tf_grw.core.errors import Described
from tf_grw.core.errors import check_int
from tf_grw.core.errors import invalid_value
from tf_grw.datasets.video_encoding import encode_all
from tf_grw.datasets.video_encoding import EncodedVideo
from tf_grw.datasets.video_encoding import EncodeSettings
from tf_grw.datasets.video_files import short_repr
from tf_grw.datasets.video_files import write_json_atomic
from tf_grw.datasets.label_map import _check_label_map
from tf_grw.datasets.label_map import LABEL_MAP_FILENAME
from tf_grw.datasets.label_map import load_label_map
from tf_grw.datasets.label_map import write_label_map
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
from tf_grw.datasets.video_decoding import _check_fps
from tf_grw.datasets.video_listing import VideoEntry

__all__ = ["PrepareReport", "SkippedVideo", "prepare_records",
           "shard_filename"]

_MANIFEST_VERSION = 1
_SPLIT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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
  ...                          num_workers=0, progress=False)
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


def _sequence_example(entry: VideoEntry, label_index: int,
                      result: EncodedVideo, fps: float) -> bytes:
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
                        short_repr(entries))
  normalized = []
  for item in items:
    if (not isinstance(item, (tuple, list)) or len(item) != 2 or
        not isinstance(item[0], (str, os.PathLike)) or
        not isinstance(item[1], str) or not item[1]):
      raise invalid_value("entries", "a non-empty list of (path, label) pairs",
                          short_repr(item))
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
  >>> from tf_grw.datasets.label_map import build_label_map
  >>> from tf_grw.datasets.video_listing import list_path_csv
  >>> entries = list_path_csv(os.path.join(root, "videos.csv"))
  >>> report = prepare_records(entries, os.path.join(root, "records"),
  ...                          "train", build_label_map(entries), fps=10.0,
  ...                          short_side=128, num_shards=1, num_workers=0,
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
  short_side = check_int("short_side", short_side, 1, allow_none=True)
  num_shards = check_int("num_shards", num_shards, 1)
  num_workers = check_int("num_workers", num_workers, 0, allow_none=True)
  if num_workers is None:
    num_workers = os.cpu_count() or 1
  max_frames = check_int("max_frames", max_frames, 1, allow_none=True)
  if (not isinstance(jpeg_quality, numbers.Integral) or
      isinstance(jpeg_quality, bool) or not 1 <= jpeg_quality <= 100):
    raise invalid_value("jpeg_quality", "an integer in [1, 100]",
                        jpeg_quality)
  shuffle_seed = check_int("shuffle_seed", shuffle_seed, 0, allow_none=True)
  if not isinstance(overwrite, bool):
    raise invalid_value("overwrite", "True or False", overwrite)
  unknown = [e for e in entries if e.label not in label_map]
  if unknown:
    labels = sorted({e.label for e in unknown})
    raise invalid_value(
        "entries", "every label to be a class of `label_map`", Described(
            f"<{len(unknown)} entries with labels not in label_map: "
            f"{short_repr(labels)!r}>"))
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
          short_repr(label_map))
  else:
    write_label_map(label_map, label_map_path)

  # Deterministic assignment of entries to shards.
  order = list(range(len(entries)))
  if shuffle_seed is not None:
    random.Random(shuffle_seed).shuffle(order)
  shards = [[entries[j] for j in order[i::num_shards]]
            for i in range(num_shards)]
  names = [shard_filename(split_name, i, num_shards) for i in range(num_shards)]
  settings = EncodeSettings(fps=fps, short_side=short_side,
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

  results = encode_all([e.path for e in todo_entries], settings, workers)
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
        write_json_atomic(manifest_path, manifest)
  finally:
    results.close()
  if not todo:
    write_json_atomic(manifest_path, manifest)

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

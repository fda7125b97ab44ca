"""Tests for tf_grw.datasets.video_records (videos -> Model Garden TFRecords).

The tests write their own small videos with OpenCV (`mp4v` in .mp4, `MJPG` in
.avi; both work with the opencv-python-headless FFmpeg build): 3 classes x 2
videos of 15-20 frames at 10 fps, 48x64, a pure class colour with a grey block
whose brightness encodes the source frame index (to check resampling) and a
moving white square; plus a truncated .mp4, a truncated .avi, a text file
named .mp4, an empty .mp4 and (in the CSVs) a missing path.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tensorflow as tf

from official.vision.configs import video_classification as vc_cfg
from official.vision.dataloaders import video_input
from tf_grw.datasets import video_records as vr

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCE_FPS = 10.0
_HEIGHT, _WIDTH = 48, 64
_COLOURS_BGR = {"blue": (255, 0, 0), "green": (0, 255, 0), "red": (0, 0, 255)}
_COLOURS_RGB = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}
# Good videos: (class, file name, number of source frames).
_GOOD = [("blue", "b1.mp4", 20), ("blue", "b2.mp4", 15),
         ("green", "g1.mp4", 20), ("green", "g2.avi", 20),
         ("red", "r1.mp4", 20), ("red", "r2.mp4", 15)]
_BAD = {  # file name (in red/) -> expected reason pattern
    "trunc.mp4": "cannot open as a video",
    "trunc.avi": "truncated or corrupt: decoded",
    "notvideo.mp4": "cannot open as a video",
    "empty.mp4": r"empty file \(0 bytes\)",
}


def _error(name, expected, value):
  return re.escape(
      f"Invalid value received for argument `{name}`. Expected {expected}. "
      f"Received: {name}={value!r}")


def _block_value(index):
  """Grey level of the index block in source frame `index`."""
  return 20 + 10 * index


def _write_video(path, colour_bgr, num_frames):
  fourcc = "MJPG" if path.endswith(".avi") else "mp4v"
  writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), _SOURCE_FPS,
                           (_WIDTH, _HEIGHT))
  assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
  for i in range(num_frames):
    frame = np.empty((_HEIGHT, _WIDTH, 3), np.uint8)
    frame[:] = colour_bgr
    frame[32:48, 0:16] = _block_value(i)
    frame[4:14, 20 + 2 * i:30 + 2 * i] = 255
    writer.write(frame)
  writer.release()


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
  """A class-per-folder tree of good and bad videos."""
  root = tmp_path_factory.mktemp("videos") / "root"
  paths = {}
  for label, name, frames in _GOOD:
    (root / label).mkdir(parents=True, exist_ok=True)
    path = str(root / label / name)
    _write_video(path, _COLOURS_BGR[label], frames)
    paths[name] = path
  red = root / "red"
  data = (red / "r1.mp4").read_bytes()
  (red / "trunc.mp4").write_bytes(data[:len(data) // 2])
  data = (root / "green" / "g2.avi").read_bytes()
  (red / "trunc.avi").write_bytes(data[:int(len(data) * 0.6)])
  (red / "notvideo.mp4").write_text("this is not a video\n" * 20)
  (red / "empty.mp4").write_bytes(b"")
  (red / "readme.txt").write_text("not listed: no video extension")
  (root / ".hidden").mkdir()
  for name in _BAD:
    paths[name] = str(red / name)
  return {"root": str(root), "paths": paths}


def _frames_for(num_source_frames, fps):
  """Expected output frame count: ceil(duration * fps)."""
  return int(np.ceil(num_source_frames / _SOURCE_FPS * fps - 1e-6))


def _read_examples(report):
  """Decodes every record of a report with Model Garden's Decoder."""
  decoder = video_input.Decoder()
  dataset = tf.data.TFRecordDataset(report.shard_paths).map(decoder.decode)
  examples = []
  for raw, decoded in zip(tf.data.TFRecordDataset(report.shard_paths),
                          dataset):
    context, _ = tf.io.parse_single_sequence_example(
        raw, context_features={
            vr.DATA_PATH_KEY: tf.io.FixedLenFeature([], tf.string),
            vr.LABEL_STRING_KEY: tf.io.FixedLenFeature([], tf.string)})
    examples.append({
        "path": context[vr.DATA_PATH_KEY].numpy().decode(),
        "label_string": context[vr.LABEL_STRING_KEY].numpy().decode(),
        "label": decoded[video_input.LABEL_KEY].numpy().tolist(),
        "frames": decoded[video_input.IMAGE_KEY].numpy(),
    })
  return examples


@pytest.fixture(scope="module")
def folder_records(videos, tmp_path_factory):
  """One inline run on the folder layout (5 fps, short side 24, 2 shards)."""
  out = str(tmp_path_factory.mktemp("records"))
  entries = vr.list_video_folders(videos["root"])
  label_map = vr.build_label_map(vr.list_class_folders(videos["root"]))
  report = vr.prepare_records(entries, out, "train", label_map, fps=5.0,
                              short_side=24, num_shards=2, num_workers=0,
                              progress=False)
  return {"out": out, "report": report, "label_map": label_map,
          "entries": entries}


# ---------------------------------------------------------------------------
# Listings and label maps.
# ---------------------------------------------------------------------------


def test_list_video_folders(videos):
  entries = vr.list_video_folders(videos["root"])
  assert all(isinstance(e, tuple) and len(e) == 2 for e in entries)
  names = [(e.label, os.path.basename(e.path)) for e in entries]
  expected = sorted([(label, name) for label, name, _ in _GOOD] +
                    [("red", name) for name in _BAD])
  assert names == expected  # Sorted; readme.txt and hidden folder ignored.
  assert all(os.path.isabs(e.path) for e in entries)
  assert vr.list_class_folders(videos["root"]) == ["blue", "green", "red"]
  assert vr.build_label_map(entries) == {"blue": 0, "green": 1, "red": 2}


def test_list_path_csv(videos, tmp_path):
  paths = videos["paths"]
  (tmp_path / "clips").mkdir()
  shutil.copy(paths["b1.mp4"], tmp_path / "clips" / "one.mp4")
  csv_path = tmp_path / "list.csv"
  csv_path.write_text("path,label\n"
                      "clips/one.mp4,blue\n"
                      f"{paths['r1.mp4']},red\n"
                      "\n"
                      "clips/missing.mp4,green\n")
  entries = vr.list_path_csv(csv_path)
  assert entries == [
      (str(tmp_path / "clips" / "one.mp4"), "blue"),
      (paths["r1.mp4"], "red"),
      (str(tmp_path / "clips" / "missing.mp4"), "green"),
  ]
  # No header: the first two columns are path and label.
  csv_path.write_text("clips/one.mp4,blue\n")
  assert vr.list_path_csv(csv_path) == [
      (str(tmp_path / "clips" / "one.mp4"), "blue")]
  csv_path.write_text("path,label\nclips/one.mp4\n")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a CSV of `path,label` rows (line 2 is ['clips/one.mp4'])")):
    vr.list_path_csv(csv_path)


def test_list_kinetics_csv(videos, tmp_path):
  paths = videos["paths"]
  root = tmp_path / "kinetics"
  name = vr.kinetics_filename
  # Directly in root, in root/<label>/ and in root/<split>/<label_>/.
  (root / "playing guitar").mkdir(parents=True)
  (root / "val" / "air_drumming").mkdir(parents=True)
  shutil.copy(paths["b1.mp4"], root / name("aaa", 1, 11))
  shutil.copy(paths["g1.mp4"], root / "playing guitar" / name("bbb", 2, 12))
  shutil.copy(paths["r1.mp4"],
              root / "val" / "air_drumming" / name("ccc", 30, 40))
  csv_path = tmp_path / "kinetics.csv"
  with open(csv_path, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["label", "youtube_id", "time_start", "time_end", "split",
                     "is_cc"])
    writer.writerow(["abseiling", "aaa", "1", "11", "train", "0"])
    writer.writerow(["playing guitar", "bbb", "2", "12", "train", "0"])
    writer.writerow(["air drumming", "ccc", "30", "40", "val", "0"])
    writer.writerow(["abseiling", "gone", "5", "15", "train", "0"])
  entries = vr.list_kinetics_csv(csv_path, root)
  assert entries == [
      (str(root / "aaa_000001_000011.mp4"), "abseiling"),
      (str(root / "playing guitar" / "bbb_000002_000012.mp4"),
       "playing guitar"),
      (str(root / "val" / "air_drumming" / "ccc_000030_000040.mp4"),
       "air drumming"),
      # Not found: listed anyway so prepare_records reports it missing.
      (str(root / "gone_000005_000015.mp4"), "abseiling"),
  ]
  assert [e.label for e in vr.list_kinetics_csv(csv_path, root, "val")] == [
      "air drumming"]
  assert len(vr.list_kinetics_csv(csv_path, root, split="train")) == 3
  with pytest.raises(ValueError, match=_error(
      "split", "one of the CSV's split values ['train', 'val']", "test")):
    vr.list_kinetics_csv(csv_path, root, split="test")
  bad = tmp_path / "bad.csv"
  bad.write_text("youtube_id,time_start,time_end,split\naaa,1,11,test\n")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a Kinetics CSV whose header has the columns "
      "label,youtube_id,time_start,time_end,split (found "
      "youtube_id,time_start,time_end,split)")):
    vr.list_kinetics_csv(bad, root)


def test_label_map_files(tmp_path):
  label_map = {"jump": 0, "run": 1, "swim": 2}
  path = vr.write_label_map(label_map, tmp_path / "label_map.json")
  assert json.loads(open(path).read()) == label_map
  assert vr.load_label_map(path) == label_map
  (tmp_path / "list.json").write_text(json.dumps(["jump", "run", "swim"]))
  assert vr.load_label_map(tmp_path / "list.json") == label_map
  (tmp_path / "classes.txt").write_text("jump\nrun\n\nswim\n")
  assert vr.load_label_map(tmp_path / "classes.txt") == label_map
  (tmp_path / "dup.txt").write_text("jump\njump\n")
  with pytest.raises(ValueError, match=_error(
      "label_map", "a text file with one distinct class name per line",
      str(tmp_path / "dup.txt"))):
    vr.load_label_map(tmp_path / "dup.txt")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a non-empty dict of class name -> index whose indices are 0, "
      "1, ..., n-1. Received: label_map={'a': 0, 'b': 2}")):
    vr.write_label_map({"a": 0, "b": 2}, tmp_path / "x.json")


# ---------------------------------------------------------------------------
# Decoding.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [5.0, 10.0, 20.0, 4.0])
def test_decode_video_resamples_by_time(videos, fps):
  video = vr.decode_video(videos["paths"]["r1.mp4"], fps=fps, short_side=24)
  num = _frames_for(20, fps)
  assert video.frames.shape == (num, 24, 32, 3)
  assert video.frames.dtype == np.uint8
  assert video.source_fps == _SOURCE_FPS and not video.source_fps_assumed
  assert video.num_source_frames == 20
  np.testing.assert_allclose(video.timestamps, np.arange(num) / fps)
  # Output frame k shows the source frame displayed at k / fps.
  shown = np.floor(np.arange(num) / fps * _SOURCE_FPS + 1e-6).astype(int)
  block = video.frames[:, 20, 4].astype(int)  # Grey index block, resized.
  np.testing.assert_allclose(block[:, 0], _block_value(shown), atol=6)


def test_decode_video_colour_size_and_max_frames(videos):
  for label, name, frames in _GOOD:
    video = vr.decode_video(videos["paths"][name], fps=5.0, short_side=24)
    assert video.frames.shape == (_frames_for(frames, 5.0), 24, 32, 3), name
    # A pure-colour area decodes to the class colour in RGB order.
    np.testing.assert_allclose(video.frames[:, 11, 25],
                               np.tile(_COLOURS_RGB[label], (len(video.frames),
                                                             1)), atol=12)
  video = vr.decode_video(videos["paths"]["b1.mp4"], fps=10.0, short_side=None,
                          max_frames=4)
  assert video.frames.shape == (4, _HEIGHT, _WIDTH, 3)
  video = vr.decode_video(videos["paths"]["b1.mp4"], fps=10.0, short_side=96)
  assert video.frames.shape == (20, 96, 128, 3)


class _NoFpsCapture:
  """Wraps cv2.VideoCapture; reports no frame rate (and no timestamps)."""

  def __init__(self, *args, timestamps=True):
    self._cap = _REAL_CAPTURE(*args)
    self._timestamps = timestamps

  def get(self, prop):
    if prop == cv2.CAP_PROP_FPS:
      return 0.0
    if prop == cv2.CAP_PROP_POS_MSEC and not self._timestamps:
      return float("nan")
    return self._cap.get(prop)

  def __getattr__(self, name):
    return getattr(self._cap, name)


_REAL_CAPTURE = cv2.VideoCapture


@pytest.mark.parametrize("timestamps, num_frames", [(True, 10), (False, 4)])
def test_unknown_source_fps_is_assumed(videos, monkeypatch, tmp_path,
                                       timestamps, num_frames):
  monkeypatch.setattr(
      vr.cv2, "VideoCapture",
      lambda *a: _NoFpsCapture(*a, timestamps=timestamps))
  path = videos["paths"]["r1.mp4"]
  video = vr.decode_video(path, fps=5.0, short_side=24)
  assert video.source_fps_assumed
  assert video.source_fps == vr.DEFAULT_SOURCE_FPS == 30.0
  # With container timestamps the 2 s clip still gives 10 frames at 5 fps;
  # without, its 20 frames are taken as 30 fps (0.67 s -> 4 frames).
  assert len(video.frames) == num_frames
  report = vr.prepare_records([(path, "red")], tmp_path, "train", {"red": 0},
                              fps=5.0, short_side=24, num_shards=1,
                              num_workers=0, progress=False)
  assert report.num_written == 1
  assert report.notes == [(path, "container reports no usable frame rate; "
                           "assumed 30 fps where timestamps were missing")]


@pytest.mark.parametrize("name", list(_BAD) + ["missing.mp4"])
def test_decode_video_bad_files(videos, name):
  path = videos["paths"].get(name, os.path.join(videos["root"], name))
  reason = _BAD.get(name, "missing: file not found")
  with pytest.raises(vr.VideoDecodeError, match=reason):
    vr.decode_video(path, fps=5.0, short_side=24)


# ---------------------------------------------------------------------------
# Writing records.
# ---------------------------------------------------------------------------


def test_prepare_records_layout_and_model_garden_decoder(folder_records):
  report, label_map = folder_records["report"], folder_records["label_map"]
  out = folder_records["out"]
  assert vr.IMAGE_KEY == video_input.IMAGE_KEY
  assert vr.LABEL_KEY == video_input.LABEL_KEY
  assert sorted(os.listdir(out)) == [
      "label_map.json", "train-00000-of-00002.tfrecord",
      "train-00001-of-00002.tfrecord", "train_manifest.json",
      "train_skipped.csv"]
  assert report.num_written == len(_GOOD)
  assert report.num_skipped == len(_BAD)
  assert report.num_shards_written == 2 and report.num_shards_reused == 0
  assert report.file_pattern == os.path.join(
      out, "train-*-of-00002.tfrecord")
  skipped = {os.path.basename(s.path): s for s in report.skipped}
  assert set(skipped) == set(_BAD)
  for name, reason in _BAD.items():
    assert re.search(reason, skipped[name].reason), (name, skipped[name])
    assert skipped[name].label == "red"
  with open(report.skipped_report_path, newline="") as f:
    rows = list(csv.DictReader(f))
  assert {os.path.basename(r["path"]): r["reason"] for r in rows} == {
      name: s.reason for name, s in skipped.items()}
  assert vr.load_label_map(report.label_map_path) == label_map == {
      "blue": 0, "green": 1, "red": 2}

  examples = _read_examples(report)
  assert len(examples) == len(_GOOD)
  frames_of = {name: frames for _, name, frames in _GOOD}
  total = 0
  for ex in examples:
    name = os.path.basename(ex["path"])
    label = ex["label_string"]
    assert ex["label"] == [label_map[label]]
    images = ex["frames"]
    assert len(images) == _frames_for(frames_of[name], 5.0)
    total += len(images)
    rgb = tf.io.decode_jpeg(images[0]).numpy()
    assert rgb.shape == (24, 32, 3)
    np.testing.assert_allclose(rgb[11, 25], _COLOURS_RGB[label], atol=12)
  assert report.num_frames == total


def test_model_garden_parser_reads_records(folder_records):
  report = folder_records["report"]
  decoder = video_input.Decoder()
  for is_training in (False, True):
    config = vc_cfg.DataConfig(feature_shape=(4, 16, 16, 3), num_classes=3,
                               min_image_size=24, is_training=is_training)
    parser = video_input.Parser(config)
    dataset = tf.data.TFRecordDataset(report.shard_paths).map(
        decoder.decode).map(parser.parse_fn(is_training))
    labels = []
    for features, label in dataset:
      assert features["image"].shape == (4, 16, 16, 3)
      assert features["image"].dtype == tf.float32
      labels.append(int(np.argmax(label.numpy())))
    assert sorted(labels) == [0, 0, 1, 1, 2, 2]


def test_prepare_records_resumes_missing_shards(videos, tmp_path):
  entries = vr.list_video_folders(videos["root"])
  label_map = vr.build_label_map(entries)
  kwargs = dict(fps=5.0, short_side=24, num_shards=3, num_workers=0,
                progress=False)
  first = vr.prepare_records(entries, tmp_path, "train", label_map, **kwargs)
  assert first.num_shards_written == 3
  before = {p: os.stat(p).st_mtime_ns for p in first.shard_paths}
  contents = {p: open(p, "rb").read() for p in first.shard_paths}
  # A run that died while writing leaves a temporary file behind.
  os.remove(first.shard_paths[1])
  with open(first.shard_paths[1] + ".incomplete", "wb") as f:
    f.write(b"partial")

  second = vr.prepare_records(entries, tmp_path, "train", label_map, **kwargs)
  assert second.num_shards_reused == 2 and second.num_shards_written == 1
  for i in (0, 2):
    path = first.shard_paths[i]
    assert os.stat(path).st_mtime_ns == before[path]
  assert open(first.shard_paths[1], "rb").read() == contents[
      first.shard_paths[1]]
  assert not any(n.endswith(".incomplete") for n in os.listdir(tmp_path))
  assert second.num_written == first.num_written == len(_GOOD)
  assert sorted(second.skipped, key=str) == sorted(first.skipped, key=str)

  third = vr.prepare_records(entries, tmp_path, "train", label_map, **kwargs)
  assert third.num_shards_reused == 3 and third.num_shards_written == 0
  assert third.num_skipped == len(_BAD)


def test_prepare_records_changed_settings_need_overwrite(videos, tmp_path):
  entries = [(videos["paths"][n], lab) for lab, n, _ in _GOOD[:2]]
  label_map = {"blue": 0}
  vr.prepare_records(entries, tmp_path, "val", label_map, fps=5.0,
                     short_side=24, num_shards=1, num_workers=0,
                     progress=False)
  with pytest.raises(ValueError, match=_error(
      "output_dir", "a folder whose finished `val` shards come from the "
      "same entries and settings (pass overwrite=True to rebuild them, or "
      "use another output_dir)", str(tmp_path))):
    vr.prepare_records(entries, str(tmp_path), "val", label_map, fps=10.0,
                       short_side=24, num_shards=1, num_workers=0,
                       progress=False)
  report = vr.prepare_records(entries, tmp_path, "val", label_map, fps=10.0,
                              short_side=24, num_shards=1, num_workers=0,
                              overwrite=True, progress=False)
  assert report.num_shards_written == 1 and report.num_frames == 20 + 15
  # Another split in the same folder must use the same label map.
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `label_map`. Expected the classes "
      "and indices of the existing")):
    vr.prepare_records(entries, tmp_path, "test", {"blue": 0, "red": 1},
                       fps=5.0, num_workers=0, progress=False)


def test_prepare_records_reports_missing_paths(videos, tmp_path):
  missing = str(tmp_path / "nowhere.mp4")
  entries = [(videos["paths"]["g1.mp4"], "green"), (missing, "green")]
  report = vr.prepare_records(entries, tmp_path / "out", "test",
                              {"green": 0}, fps=5.0, short_side=24,
                              num_shards=1, num_workers=0, progress=False)
  assert report.num_written == 1
  assert report.skipped == [
      vr.SkippedVideo(missing, "green", "missing: file not found")]


_GOOD_ENTRY = [("a.mp4", "a")]


@pytest.mark.parametrize("kwargs, error", [
    (dict(fps=0), _error("fps", "a float > 0", 0)),
    (dict(fps=float("nan")), _error("fps", "a float > 0", float("nan"))),
    (dict(fps="25"), _error("fps", "a float > 0", "25")),
    (dict(short_side=0), _error("short_side", "an integer >= 1 or None", 0)),
    (dict(num_shards=0), _error("num_shards", "an integer >= 1", 0)),
    (dict(num_shards=2.0), _error("num_shards", "an integer >= 1", 2.0)),
    (dict(num_workers=-1),
     _error("num_workers", "an integer >= 0 or None", -1)),
    (dict(max_frames=0), _error("max_frames", "an integer >= 1 or None", 0)),
    (dict(jpeg_quality=101),
     _error("jpeg_quality", "an integer in [1, 100]", 101)),
    (dict(split_name="a/b"), _error(
        "split_name", "a name of letters, digits, '.', '_' or '-' (e.g. "
        "'train')", "a/b")),
    (dict(entries=[]), re.escape(
        "Invalid value received for argument `entries`. Expected a non-empty "
        "list of (path, label) pairs. Received: entries=[]")),
    (dict(entries=[("a.mp4", "b")]), re.escape(
        "Invalid value received for argument `entries`. Expected every label "
        "to be a class of `label_map`. Received: entries=<1 entries with "
        "labels not in label_map: ['b']>")),
    (dict(label_map={"a": 1}), re.escape(
        "Expected a non-empty dict of class name -> index whose indices are "
        "0, 1, ..., n-1. Received: label_map={'a': 1}")),
])
def test_prepare_records_bad_args(tmp_path, kwargs, error):
  args = dict(entries=_GOOD_ENTRY, output_dir=str(tmp_path / "out"),
              split_name="train", label_map={"a": 0}, num_workers=0,
              progress=False)
  args.update(kwargs)
  with pytest.raises(ValueError, match=error):
    vr.prepare_records(**args)
  assert not os.path.exists(tmp_path / "out")


def test_listing_and_decode_bad_args(tmp_path):
  with pytest.raises(ValueError, match=_error(
      "root", "a path to an existing directory", str(tmp_path / "no"))):
    vr.list_video_folders(tmp_path / "no")
  with pytest.raises(ValueError, match=_error(
      "root", "a folder with one sub-folder per class", str(tmp_path))):
    vr.list_video_folders(tmp_path)
  with pytest.raises(ValueError, match=_error(
      "csv_path", "a path to an existing CSV file", str(tmp_path / "x.csv"))):
    vr.list_path_csv(tmp_path / "x.csv")
  with pytest.raises(ValueError, match=_error("fps", "a float > 0", -2.5)):
    vr.decode_video("x.mp4", fps=-2.5)


@pytest.mark.slow
def test_process_pool_matches_inline(folder_records, tmp_path):
  report = vr.prepare_records(folder_records["entries"], tmp_path, "train",
                              folder_records["label_map"], fps=5.0,
                              short_side=24, num_shards=2, num_workers=2,
                              progress=False)
  assert report.num_written == len(_GOOD)
  assert sorted(report.skipped, key=str) == sorted(
      folder_records["report"].skipped, key=str)
  for ours, inline in zip(report.shard_paths,
                          folder_records["report"].shard_paths):
    assert open(ours, "rb").read() == open(inline, "rb").read()


def test_cli_folders_end_to_end(videos, tmp_path):
  out = tmp_path / "cli_out"
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
             PYTHONPATH=_REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
  command = [sys.executable, os.path.join(_REPO, "launch", "prepare_videos.py"),
             "--layout=folders", f"--input={videos['root']}",
             f"--output_dir={out}", "--split=train", "--fps=5",
             "--short_side=24", "--num_shards=2", "--num_workers=0",
             "--noprogress"]
  result = subprocess.run(command, capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), check=False, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  assert f"Wrote {len(_GOOD)} examples" in result.stdout
  assert str(out / "train-*-of-00002.tfrecord") in result.stdout
  assert f"Skipped {len(_BAD)} videos" in result.stdout
  assert str(out / "train_skipped.csv") in result.stdout
  assert sorted(os.listdir(out)) == [
      "label_map.json", "train-00000-of-00002.tfrecord",
      "train-00001-of-00002.tfrecord", "train_manifest.json",
      "train_skipped.csv"]
  result = subprocess.run(command[:-3] + ["--num_shards=0"],
                          capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), check=False, timeout=300)
  assert result.returncode == 1
  assert ("Invalid value received for argument `num_shards`. Expected an "
          "integer >= 1. Received: num_shards=0") in result.stderr

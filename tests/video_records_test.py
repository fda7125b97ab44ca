"""Tests of `tf_grw.datasets.video_records`: sharded SequenceExamples that
Model Garden's video input reads, resumption, bad arguments, the worker
pool and the CLI."""

import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from official.vision.configs import video_classification as vc_cfg
from official.vision.dataloaders import video_input
from tf_grw.datasets import label_map as lm
from tf_grw.datasets import record_keys as rk
from tf_grw.datasets import video_decoding as vd
from tf_grw.datasets import video_listing as vl
from tf_grw.datasets import video_records as vr
from video_fixtures import videos  # pylint: disable=g-bad-import-order,unused-import
from video_fixtures import COLOURS_RGB  # pylint: disable=g-bad-import-order
from video_fixtures import GOOD  # pylint: disable=g-bad-import-order
from video_fixtures import BAD  # pylint: disable=g-bad-import-order
from video_fixtures import frames_for  # pylint: disable=g-bad-import-order
from video_fixtures import error  # pylint: disable=g-bad-import-order


_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_examples(report):
  """Decodes every record of a report with Model Garden's Decoder."""
  decoder = video_input.Decoder()
  dataset = tf.data.TFRecordDataset(report.shard_paths).map(decoder.decode)
  examples = []
  for raw, decoded in zip(tf.data.TFRecordDataset(report.shard_paths),
                          dataset):
    context, _ = tf.io.parse_single_sequence_example(
        raw, context_features={
            rk.DATA_PATH_KEY: tf.io.FixedLenFeature([], tf.string),
            rk.LABEL_STRING_KEY: tf.io.FixedLenFeature([], tf.string)})
    examples.append({
        "path": context[rk.DATA_PATH_KEY].numpy().decode(),
        "label_string": context[rk.LABEL_STRING_KEY].numpy().decode(),
        "label": decoded[video_input.LABEL_KEY].numpy().tolist(),
        "frames": decoded[video_input.IMAGE_KEY].numpy(),
    })
  return examples


@pytest.fixture(scope="module")
def folder_records(videos, tmp_path_factory):
  """One inline run on the folder layout (5 fps, short side 24, 2 shards)."""
  out = str(tmp_path_factory.mktemp("records"))
  entries = vl.list_video_folders(videos["root"])
  label_map = lm.build_label_map(vl.list_class_folders(videos["root"]))
  report = vr.prepare_records(entries, out, "train", label_map, fps=5.0,
                              short_side=24, num_shards=2, num_workers=0,
                              progress=False)
  return {"out": out, "report": report, "label_map": label_map,
          "entries": entries}


def test_prepare_records_layout_and_model_garden_decoder(folder_records):
  report, label_map = folder_records["report"], folder_records["label_map"]
  out = folder_records["out"]
  assert rk.IMAGE_KEY == video_input.IMAGE_KEY
  assert rk.LABEL_KEY == video_input.LABEL_KEY
  assert sorted(os.listdir(out)) == [
      "label_map.json", "train-00000-of-00002.tfrecord",
      "train-00001-of-00002.tfrecord", "train_manifest.json",
      "train_skipped.csv"]
  assert report.num_written == len(GOOD)
  assert report.num_skipped == len(BAD)
  assert report.num_shards_written == 2 and report.num_shards_reused == 0
  assert report.file_pattern == os.path.join(
      out, "train-*-of-00002.tfrecord")
  skipped = {os.path.basename(s.path): s for s in report.skipped}
  assert set(skipped) == set(BAD)
  for name, reason in BAD.items():
    assert re.search(reason, skipped[name].reason), (name, skipped[name])
    assert skipped[name].label == "red"
  with open(report.skipped_report_path, newline="") as f:
    rows = list(csv.DictReader(f))
  assert {os.path.basename(r["path"]): r["reason"] for r in rows} == {
      name: s.reason for name, s in skipped.items()}
  assert lm.load_label_map(report.label_map_path) == label_map == {
      "blue": 0, "green": 1, "red": 2}

  examples = _read_examples(report)
  assert len(examples) == len(GOOD)
  frames_of = {name: frames for _, name, frames in GOOD}
  total = 0
  for ex in examples:
    name = os.path.basename(ex["path"])
    label = ex["label_string"]
    assert ex["label"] == [label_map[label]]
    images = ex["frames"]
    assert len(images) == frames_for(frames_of[name], 5.0)
    total += len(images)
    rgb = tf.io.decode_jpeg(images[0]).numpy()
    assert rgb.shape == (24, 32, 3)
    np.testing.assert_allclose(rgb[11, 25], COLOURS_RGB[label], atol=12)
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
  entries = vl.list_video_folders(videos["root"])
  label_map = lm.build_label_map(entries)
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
  assert second.num_written == first.num_written == len(GOOD)
  assert sorted(second.skipped, key=str) == sorted(first.skipped, key=str)

  third = vr.prepare_records(entries, tmp_path, "train", label_map, **kwargs)
  assert third.num_shards_reused == 3 and third.num_shards_written == 0
  assert third.num_skipped == len(BAD)


def test_prepare_records_changed_settings_need_overwrite(videos, tmp_path):
  entries = [(videos["paths"][n], lab) for lab, n, _ in GOOD[:2]]
  label_map = {"blue": 0}
  vr.prepare_records(entries, tmp_path, "val", label_map, fps=5.0,
                     short_side=24, num_shards=1, num_workers=0,
                     progress=False)
  with pytest.raises(ValueError, match=error(
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
    (dict(fps=0), error("fps", "a float > 0", 0)),
    (dict(fps=float("nan")), error("fps", "a float > 0", float("nan"))),
    (dict(fps="25"), error("fps", "a float > 0", "25")),
    (dict(short_side=0), error("short_side", "an integer >= 1 or None", 0)),
    (dict(num_shards=0), error("num_shards", "an integer >= 1", 0)),
    (dict(num_shards=2.0), error("num_shards", "an integer >= 1", 2.0)),
    (dict(num_workers=-1),
     error("num_workers", "an integer >= 0 or None", -1)),
    (dict(max_frames=0), error("max_frames", "an integer >= 1 or None", 0)),
    (dict(jpeg_quality=101),
     error("jpeg_quality", "an integer in [1, 100]", 101)),
    (dict(split_name="a/b"), error(
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
  with pytest.raises(ValueError, match=error(
      "root", "a path to an existing directory", str(tmp_path / "no"))):
    vl.list_video_folders(tmp_path / "no")
  with pytest.raises(ValueError, match=error(
      "root", "a folder with one sub-folder per class", str(tmp_path))):
    vl.list_video_folders(tmp_path)
  with pytest.raises(ValueError, match=error(
      "csv_path", "a path to an existing CSV file", str(tmp_path / "x.csv"))):
    vl.list_path_csv(tmp_path / "x.csv")
  with pytest.raises(ValueError, match=error("fps", "a float > 0", -2.5)):
    vd.decode_video("x.mp4", fps=-2.5)


@pytest.mark.slow
def test_process_pool_matches_inline(folder_records, tmp_path):
  report = vr.prepare_records(folder_records["entries"], tmp_path, "train",
                              folder_records["label_map"], fps=5.0,
                              short_side=24, num_shards=2, num_workers=2,
                              progress=False)
  assert report.num_written == len(GOOD)
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
  assert f"Wrote {len(GOOD)} examples" in result.stdout
  assert str(out / "train-*-of-00002.tfrecord") in result.stdout
  assert f"Skipped {len(BAD)} videos" in result.stdout
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

"""Tests for launch/fit.py: a registered GRW experiment trained by Keras `fit`.

A tiny `movinet_grw_airplanes` (8 frames of 32x32, 16 training and 10 test
clips rendered in memory) trains two epochs of two steps under a 2-replica
`MirroredStrategy`; a second call with three epochs resumes from the
`BackupAndRestore` backup and trains only the third. The airplanes records
writer is checked against the layout Model Garden's video input parses.
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
import tf_grw.experiments  # pylint: disable=unused-import
from launch_fixtures import load_launch_module  # pylint: disable=g-bad-import-order



def _tiny_params():
  params = exp_factory.get_exp_config("movinet_grw_airplanes")
  params.override({
      "task": {
          "train_data": {"feature_shape": [8, 32, 32, 3], "num_examples": 16,
                         "global_batch_size": 8},
          "validation_data": {"feature_shape": [8, 32, 32, 3],
                              "num_examples": 10, "global_batch_size": 4},
          "grw": {"window": 4},
          # Sync batch norm's collective ops clash with those of strategies
          # that earlier tests in the same process created (as would the
          # default all-reduce; see _two_cpu_strategy).
          "model": {"use_sync_bn": False},
      },
  }, is_strict=False)
  return params


def _two_cpu_strategy():
  """2 replicas on conftest's logical CPUs, reducing through one device.

  `fit.py --strategy=mirrored` builds `MirroredStrategy()`, whose collective
  all-reduce keys collide with those of strategies other tests created in
  the same process ("Shape mismatch in the collective instance 100").
  """
  return tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())


@pytest.fixture(scope="module")
def fit():
  return load_launch_module("fit")


@pytest.mark.slow
def test_fit_trains_logs_grw_and_resumes(fit, tmp_path):
  model_dir = str(tmp_path / "run")
  params = _tiny_params()
  # The experiment's derived validation_steps (5 batches of 20) exceed this
  # test split; airplanes validation runs the whole split instead.
  assert params.trainer.validation_steps * 4 > 10
  strategy = _two_cpu_strategy()
  assert strategy.num_replicas_in_sync == 2
  _, history = fit.run(params, model_dir, data="airplanes", epochs=2,
                       steps_per_epoch=2, strategy=strategy)
  logs = history.history
  assert {"loss", "top_1_accuracy", "grw_loss", "grw_loss_block4_layer3",
          "val_loss", "val_top_1_accuracy"} <= set(logs)
  assert len(logs["loss"]) == 2 and all(v > 0 for v in logs["grw_loss"])
  assert all(np.isfinite(logs["val_loss"]))
  # README: "Its val_grw_loss* columns read 0: GRW adds nothing outside
  # training."
  val_grw = [k for k in logs if k.startswith("val_grw_loss")]
  assert {"val_grw_loss", "val_grw_loss_block4_layer3"} <= set(val_grw)
  assert all(v == 0 for k in val_grw for v in logs[k]), {
      k: logs[k] for k in val_grw}
  with open(os.path.join(model_dir, "history.json")) as f:
    assert json.load(f)["loss"] == pytest.approx(logs["loss"])
  final = tf.train.latest_checkpoint(os.path.join(model_dir, "final"))
  assert final is not None
  names = {name for name, _ in tf.train.list_variables(final)}
  assert any(n.startswith("model/backbone/") for n in names)
  assert not [p for p in os.listdir(model_dir) if p.endswith(".partial")]

  # Rerun with one more epoch: BackupAndRestore resumes after epoch 2.
  _, resumed = fit.run(_tiny_params(), model_dir, data="airplanes", epochs=3,
                       steps_per_epoch=2, strategy=strategy)
  assert len(resumed.history["loss"]) == 1
  assert resumed.epoch == [2]


def test_airplanes_records_parse_as_model_garden_video(fit, tmp_path):
  paths = fit.write_airplanes_records(str(tmp_path), num_train=3, num_test=2,
                                      num_frames=4, resolution=16, seed=1)
  assert set(paths) == {"train", "test"}
  counts = {}
  for split, path in paths.items():
    records = list(tf.data.TFRecordDataset(path))
    counts[split] = len(records)
    context, frames = tf.io.parse_single_sequence_example(
        records[0].numpy(),
        context_features={"clip/label/index": tf.io.FixedLenFeature(
            [], tf.int64)},
        sequence_features={"image/encoded": tf.io.FixedLenSequenceFeature(
            [], tf.string)})
    assert 0 <= int(context["clip/label/index"]) < 3
    images = frames["image/encoded"]
    assert images.shape == (4,)
    assert tf.io.decode_jpeg(images[0]).shape == (16, 16, 3)
  assert counts == {"train": 3, "test": 2}

"""Tests for launch/evaluate.py: restoring a checkpoint and scoring records.

A tiny `movinet_grw_airplanes` model (the short A0 stream of
`movinet_fixtures.py`, 4 frames of 32x32)
is saved with random weights; `evaluate` reads it back through a fresh task
and Model Garden's video input, and its logits must be the saved model's own
on the same clips, whole or frame by frame. The EMA path reads the
optimizer's averages instead of the raw weights.
"""

import json
import re

from absl import flags
from absl.testing import flagsaver
import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
import tf_grw.modelgarden.experiments  # pylint: disable=unused-import
from launch_fixtures import load_launch_module  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order
from video_fixtures import write_records  # pylint: disable=g-bad-import-order

_EXPERIMENT = "movinet_grw_airplanes"
_CLIPS = 3


def _override(records, ema=False):
  data = {"input_path": records, "feature_shape": [4, 32, 32, 3],
          "min_image_size": 32, "num_examples": _CLIPS,
          "global_batch_size": _CLIPS}
  override = {"task": {"train_data": data, "validation_data": data,
                       "model": {"model_id": SHORT}, "grw": {"window": 4}}}
  if ema:
    override["trainer"] = {"optimizer_config": {"ema": {
        "average_decay": 0.9, "trainable_weights_only": False}}}
  return override


def _params(records, ema=False):
  params = exp_factory.get_exp_config(_EXPERIMENT)
  params.override(_override(records, ema), is_strict=False)
  return params


@pytest.fixture(scope="module")
def evaluate():
  return load_launch_module("evaluate")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
  """Records, a checkpoint folder, and the saved model's clip logits."""
  folder = tmp_path_factory.mktemp("evaluate")
  records = write_records(str(folder / "valid.tfrecord"), num_clips=_CLIPS,
                          num_frames=4)
  params = _params(records)
  task = task_factory.get_task(params.task)
  tf.keras.utils.set_random_seed(3)
  model = task.build_model()
  # ReZero scales start at 0 (time ignored): open them so streams matter.
  for v in model.weights:
    if v.shape.rank == 0 and v.name.endswith("/scale:0"):
      v.assign(0.5)
  features, _ = next(iter(task.build_inputs(params.task.validation_data)))
  logits = model(features["image"], training=False).numpy()
  prefix = tf.train.Checkpoint(model=model).save(str(folder / "ckpt" / "ckpt"))
  return {"records": records, "dir": str(folder / "ckpt"), "prefix": prefix,
          "logits": logits}


@pytest.mark.slow
@pytest.mark.parametrize("streaming", [False, True])
def test_evaluate_restores_the_checkpoint(evaluate, saved, streaming):
  report, path = evaluate.evaluate(_params(saved["records"]), saved["dir"],
                                   streaming=streaming)
  assert path == saved["prefix"]  # A folder resolves to its newest.
  assert report.num_examples == _CLIPS and report.num_views == 1
  np.testing.assert_allclose(report.logits, saved["logits"], atol=1e-4)
  np.testing.assert_array_equal(report.labels, np.arange(_CLIPS))


@pytest.mark.slow
def test_main_writes_the_report(evaluate, saved, tmp_path, capsys):
  evaluate.define_flags()
  output = str(tmp_path / "report.json")
  label_map = tmp_path / "label_map.json"
  # Names not in alphabetical order: the index, not the name, orders them.
  label_map.write_text(json.dumps({"roll": 2, "yaw": 0, "pitch": 1}))
  with flagsaver.flagsaver():
    flags.FLAGS([
        "evaluate", f"--experiment={_EXPERIMENT}",
        f"--checkpoint={saved['prefix']}", f"--output_json={output}",
        f"--label_map={label_map}",
        "--params_override=" + json.dumps(_override(saved["records"]))])
    evaluate.main(None)
  printed = capsys.readouterr().out
  assert "top-1" in printed.lower()
  with open(output) as f:
    summary = json.load(f)
  assert summary["checkpoint"] == saved["prefix"]
  assert summary["mode"] == "clip" and summary["ema"] is False
  assert summary["experiment"] == _EXPERIMENT
  expected = np.zeros((3, 3), int)
  expected[np.arange(_CLIPS), saved["logits"].argmax(axis=1)] = 1
  assert summary["confusion"] == expected.tolist()
  assert summary["class_names"] == ["yaw", "pitch", "roll"]
  # Clip i has label i: each name is printed with its own class's accuracy.
  predicted = saved["logits"].argmax(axis=1)
  for i, name in enumerate(["yaw", "pitch", "roll"]):
    assert f"{name} {float(predicted[i] == i):.3f}" in printed, printed


@pytest.mark.slow
def test_ema_restores_the_averages(evaluate, saved, tmp_path):
  params = _params(saved["records"], ema=True)
  task = task_factory.get_task(params.task)
  model = task.build_model()
  optimizer = task.create_optimizer(params.trainer.optimizer_config,
                                    params.runtime)
  optimizer.shadow_copy(model)
  for variable in model.variables:
    optimizer.get_slot(variable, "average").assign(
        tf.fill(variable.shape, tf.cast(0.25, variable.dtype)))
  prefix = tf.train.Checkpoint(model=model, optimizer=optimizer).save(
      str(tmp_path / "ckpt"))
  fresh = task.build_model()
  assert evaluate.restore(task, fresh, prefix, params, ema=True) == prefix
  assert all(np.all(v.numpy() == 0.25) for v in fresh.variables)
  # The raw weights are not the averages.
  raw = task.build_model()
  evaluate.restore(task, raw, prefix, params, ema=False)
  assert not all(np.all(v.numpy() == 0.25) for v in raw.trainable_variables)


def test_bad_checkpoint_and_ema_arguments(evaluate, saved, tmp_path):
  params = _params(saved["records"])
  task = task_factory.get_task(params.task)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `checkpoint`. Expected a "
      "checkpoint prefix or a folder holding one.")):
    evaluate.restore(task, None, str(tmp_path), params)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `ema`. Expected False for an "
      "experiment without `trainer.optimizer_config.ema`. Received: "
      "ema=True")):
    evaluate.restore(task, None, saved["prefix"], params, ema=True)

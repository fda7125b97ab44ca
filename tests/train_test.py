"""Tests for launch/train.py: registered GRW experiments through Model Garden.

Two tiny TFRecord files of `tf.train.SequenceExample`s (JPEG frames, the
layout of `tf_grw.datasets.video_records`) feed the CPU smoke config
(`configs/smoke_cpu.yaml` over `movinet_grw_kinetics600`, on the short A0 of
`movinet_fixtures.py`): the Transformer head with GRW and two learning-rate
groups.

* `launch/train.py --mode=train` runs in a subprocess writing a checkpoint
  every step and is killed (SIGKILL) after step 2. The checkpoints it left
  are intact, and `launch/train.py`'s `main` run in this process (flags
  restored afterwards) evaluates them with `--mode=eval` (2 steps).
* Restarted under a 2-replica `MirroredStrategy` on the two logical CPUs of
  `conftest.py`, Model Garden's `train_lib` continues the step counter
  from the killed run's checkpoint, trains 2 steps and evaluates 2 steps.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import time

from absl import flags
from absl.testing import flagsaver
import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
from official.core import train_lib
from official.core import train_utils
from official.modeling import hyperparams
from launch_fixtures import env as launch_env  # pylint: disable=g-bad-import-order
from launch_fixtures import load_launch_module  # pylint: disable=g-bad-import-order
from launch_fixtures import REPO  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order
from video_fixtures import write_records  # pylint: disable=g-bad-import-order

_REPO = REPO
_SMOKE = os.path.join(_REPO, "configs", "smoke_cpu.yaml")
_EXPERIMENT = "movinet_grw_kinetics600"


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  folder = tmp_path_factory.mktemp("records")
  return {"train": write_records(str(folder / "train.tfrecord")),
          "valid": write_records(str(folder / "valid.tfrecord"), seed=1)}


def _override(records, **trainer):
  return json.dumps({
      "task": {"model": {"model_id": SHORT},
               "train_data": {"input_path": records["train"]},
               "validation_data": {"input_path": records["valid"]}},
      "trainer": trainer})


def _two_cpu_strategy():
  """2 replicas on the logical CPUs of the root conftest.py.

  Reduction through one device rather than collective ops: collective
  instance keys of strategies created earlier in the same process (other
  tests) can collide with this one's.
  """
  return tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())


def _step(checkpoint_path):
  return int(train_utils.read_global_step_from_checkpoint(checkpoint_path))


def _scalar_tags(folder):
  tags = set()
  for path in glob.glob(os.path.join(folder, "events.out.tfevents.*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      tags.update(value.tag for value in event.summary.value)
  return tags


def _wait_for_checkpoint(model_dir, process, step, timeout_s=480):
  """Polls until a checkpoint of at least `step` exists (or the run ends)."""
  deadline = time.monotonic() + timeout_s
  while time.monotonic() < deadline and process.poll() is None:
    latest = tf.train.latest_checkpoint(model_dir)
    if latest and int(latest.rsplit("-", 1)[1]) >= step:
      return latest
    time.sleep(0.5)
  return tf.train.latest_checkpoint(model_dir)


@pytest.fixture(scope="module")
def killed_run(records, tmp_path_factory):
  """`launch/train.py --mode=train` in a subprocess, killed after step 2.

  Writes a checkpoint every step; returns the model dir and the step of its
  newest checkpoint.
  """
  folder = tmp_path_factory.mktemp("killed")
  model_dir = str(folder / "model")
  command = [sys.executable, os.path.join(_REPO, "launch", "train.py"),
             f"--experiment={_EXPERIMENT}", f"--config_file={_SMOKE}",
             "--mode=train", f"--model_dir={model_dir}",
             "--params_override=" + _override(records, train_steps=10000)]
  log_path = folder / "train.log"
  with open(log_path, "w") as log:
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env=launch_env(), cwd=str(folder))
    try:
      latest = _wait_for_checkpoint(model_dir, process, step=2)
    finally:
      process.kill()
      process.wait()
  assert latest is not None, log_path.read_text()[-3000:]
  return {"model_dir": model_dir, "step": _step(latest)}


@pytest.mark.slow
def test_killed_run_left_intact_checkpoints_and_evaluates(killed_run,
                                                          records, tmp_path):
  model_dir = str(tmp_path / "model")
  shutil.copytree(killed_run["model_dir"], model_dir)
  assert killed_run["step"] >= 2
  # Every checkpoint the killed run listed is complete and readable, and
  # `checkpoint` (the state file) still lists them relative to the folder.
  state = tf.train.get_checkpoint_state(model_dir)
  assert len(state.all_model_checkpoint_paths) >= 2
  for path in state.all_model_checkpoint_paths:
    assert _step(path) == int(path.rsplit("-", 1)[1])
  assert _step(tf.train.latest_checkpoint(model_dir)) == killed_run["step"]
  assert os.path.exists(os.path.join(model_dir, "params.yaml"))
  tags = _scalar_tags(os.path.join(model_dir, "train"))
  for tag in ("class_loss", "reg_loss", "grw_term", "grw_loss",
              "grw_loss_embedding", "training_loss", "learning_rate"):
    assert tag in tags, sorted(tags)

  train = load_launch_module("train")
  train.define_flags()
  with flagsaver.flagsaver():
    flags.FLAGS([
        "train", f"--experiment={_EXPERIMENT}", f"--config_file={_SMOKE}",
        "--mode=eval", f"--model_dir={model_dir}",
        "--params_override=" + _override(records, validation_steps=2)])
    train.main(None)
  # Flags are back to their defaults.
  assert flags.FLAGS.mode is None and flags.FLAGS.model_dir is None
  tags = _scalar_tags(os.path.join(model_dir, "validation"))
  assert {"top_1_accuracy", "top_5_accuracy", "validation_loss"} <= tags
  # Evaluation restored the newest checkpoint and wrote none.
  assert _step(tf.train.latest_checkpoint(model_dir)) == killed_run["step"]


@pytest.mark.slow
def test_resume_under_two_replica_mirrored_strategy(killed_run, records,
                                                    tmp_path):
  """Restarts the killed run with 2 replicas: 2 more steps, then eval."""
  model_dir = str(tmp_path / "model")
  shutil.copytree(killed_run["model_dir"], model_dir)
  start = killed_run["step"]
  strategy = _two_cpu_strategy()
  assert strategy.num_replicas_in_sync == 2
  params = exp_factory.get_exp_config(_EXPERIMENT)
  params = hyperparams.override_params_dict(params, _SMOKE, is_strict=True)
  params = hyperparams.override_params_dict(
      params, _override(records, train_steps=start + 2, validation_steps=2),
      is_strict=True)
  params.validate()
  params.lock()
  with strategy.scope():
    task = task_factory.get_task(params.task, logging_dir=model_dir)
  model, logs = train_lib.run_experiment(
      distribution_strategy=strategy, task=task, mode="train",
      params=params, model_dir=model_dir, run_post_eval=True)
  # The step counter went on from the killed run's newest checkpoint.
  assert _step(tf.train.latest_checkpoint(model_dir)) == start + 2
  assert os.path.exists(f"{model_dir}/ckpt-{start + 1}.index")
  assert 0.0 <= float(logs["top_1_accuracy"]) <= 1.0
  assert np.isfinite(float(logs["validation_loss"]))
  # Both replicas hold the same weights.
  for variable in model.trainable_variables[:5]:
    values = [v.numpy() for v in strategy.experimental_local_results(variable)]
    np.testing.assert_array_equal(values[0], values[1])

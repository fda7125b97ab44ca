"""launch/multi_worker.sh: two workers on localhost train in lockstep.

Two worker processes (`TF_CONFIG` on two free localhost ports) run the script
with each driver, Keras `fit` (`launch/fit.py`, airplanes arrays) and Model
Garden's trainer (`launch/train.py`, airplanes TFRecords), on a tiny
`mobilenet_grw_airplanes` (MobileNetV3-S at width 0.25, 4 frames of 32x32,
2 steps; the family does not matter to the launchers, and it traces in a
fraction of an A0's time). Both must exit 0 and say they train 2 replicas
in sync, the chief must leave its checkpoint in MODEL_DIR and the other
worker its copy in its temporary folder (TMPDIR), and the two copies must
hold the same weights and optimizer state: `MultiWorkerMirroredStrategy`
all-reduces the gradients, so workers that trained on different shards
apart would differ.
"""

import glob
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tf_grw.datasets.airplanes_records import write_airplanes_records

from launch_fixtures import REPO  # pylint: disable=g-bad-import-order

_SCRIPT = os.path.join(REPO, "launch", "multi_worker.sh")


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("localhost", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def _override(train_path=None, test_path=None):
  data = {"feature_shape": [4, 32, 32, 3], "num_examples": 16,
          "global_batch_size": 8}
  validation = {"feature_shape": [4, 32, 32, 3], "num_examples": 8,
                "global_batch_size": 4}
  if train_path:
    data["input_path"] = train_path
    validation["input_path"] = test_path
  return json.dumps({
      "task": {"train_data": data, "validation_data": validation,
               "grw": {"window": 4},
               "model": {"filter_size_scale": 0.25, "embed_dim": 16,
                         "transformer_heads": 2}},
      "trainer": {"train_steps": 2, "steps_per_loop": 1,
                  "validation_steps": 1, "checkpoint_interval": 1,
                  "summary_interval": 1, "validation_interval": 1}})


def _run_two_workers(tmp_path, driver, override, timeout_s=600):
  """Starts workers 0 and 1; returns (model_dir, [tmpdir0, tmpdir1])."""
  ports = _free_ports(2)
  model_dir = tmp_path / "model"
  processes, tmp_dirs, logs = [], [], []
  for index in (0, 1):
    tmp_dir = tmp_path / f"tmp{index}"
    tmp_dir.mkdir()
    tmp_dirs.append(tmp_dir)
    env = dict(os.environ, TMPDIR=str(tmp_dir), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHON=sys.executable,
               WORKER_HOSTS=",".join(f"localhost:{p}" for p in ports),
               MODEL_DIR=str(model_dir), PARAMS_OVERRIDE=override,
               DATA="airplanes", EXPERIMENT="mobilenet_grw_airplanes",
               CONFIG_FILE=os.path.join(
                   REPO, "configs", "airplanes_mobilenetv3_small_grw.yaml"))
    log = open(tmp_path / f"worker{index}.log", "w")  # pylint: disable=consider-using-with
    logs.append(log)
    processes.append(subprocess.Popen(
        ["bash", _SCRIPT, str(index), driver], stdout=log,
        stderr=subprocess.STDOUT, env=env, cwd=REPO))
  try:
    codes = [p.wait(timeout=timeout_s) for p in processes]
  finally:
    for p in processes:
      if p.poll() is None:
        p.kill()
    for log in logs:
      log.close()
  for index, code in enumerate(codes):
    log = (tmp_path / f"worker{index}.log").read_text()
    assert code == 0, log[-3000:]
    # Two workers that each trained alone on the whole data (a cluster
    # of one) would also end equal; they would say 1 replica here.
    assert "2 replicas in sync" in log, log[-3000:]
  return model_dir, tmp_dirs


def _weights(checkpoint):
  reader = tf.train.load_checkpoint(checkpoint)
  return {name: reader.get_tensor(name)
          for name, _ in tf.train.list_variables(checkpoint)
          if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def _assert_same_weights(chief, other):
  expected, actual = _weights(chief), _weights(other)
  assert len(expected) > 100 and set(actual) == set(expected)
  for name, value in expected.items():
    np.testing.assert_allclose(actual[name], value, rtol=1e-6, atol=1e-7,
                               err_msg=name)


@pytest.mark.slow
def test_two_fit_workers_end_with_identical_weights(tmp_path):
  model_dir, tmp_dirs = _run_two_workers(tmp_path, "fit", _override())
  chief = tf.train.latest_checkpoint(str(model_dir / "final"))
  assert chief is not None, os.listdir(model_dir)
  assert os.path.exists(model_dir / "history.json")
  others = glob.glob(str(tmp_dirs[1] / "*" / "final"))
  assert len(others) == 1, others
  _assert_same_weights(chief, tf.train.latest_checkpoint(others[0]))


@pytest.mark.slow
def test_two_model_garden_workers_end_with_identical_weights(tmp_path):
  paths = write_airplanes_records(str(tmp_path / "records"), num_train=16,
                                 num_test=8, num_frames=4, resolution=32)
  model_dir, tmp_dirs = _run_two_workers(
      tmp_path, "train", _override(paths["train"], paths["test"]))
  chief = tf.train.latest_checkpoint(str(model_dir))
  assert chief is not None and chief.endswith("-2"), os.listdir(model_dir)
  others = [os.path.dirname(p) for p in
            glob.glob(str(tmp_dirs[1] / "*" / "checkpoint"))]
  assert len(others) == 1, others
  _assert_same_weights(chief, tf.train.latest_checkpoint(others[0]))

"""Tests for launch/export.py (run as a subprocess, as users run it).

`--builder=experiment` rebuilds the model of a registered experiment (here a
tiny per-frame MobileNetV3-S of `mobilenet_grw_airplanes`) from the same
overrides as training, restores a training-style checkpoint, and writes the
stream SavedModel and a float TF Lite model that matches the trained model.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
from official.modeling import hyperparams
from tf_grw.modelgarden import experiments  # pylint: disable=unused-import
from tf_grw import export
from launch_fixtures import env  # pylint: disable=g-bad-import-order
from launch_fixtures import REPO as _REPO  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order

_OVERRIDE = json.dumps({"task": {
    "model": {"filter_size_scale": 0.35, "embed_dim": 16,
              "transformer_heads": 2},
    "grw": {"window": 4},
    "train_data": {"feature_shape": [4, 32, 32, 3]},
    "validation_data": {"feature_shape": [4, 32, 32, 3]}}})


def _run(*args):
  return subprocess.run(
      [sys.executable, os.path.join(_REPO, "launch", "export.py"), *args],
      capture_output=True, text=True, env=env(), check=False, timeout=600)


def test_experiment_builder_exports_the_trained_model(tmp_path):
  params = exp_factory.get_exp_config("mobilenet_grw_airplanes")
  params = hyperparams.override_params_dict(params, _OVERRIDE, is_strict=True)
  model = task_factory.get_task(params.task).build_model()
  clips = np.random.default_rng(0).random((2, 4, 32, 32, 3)).astype("float32")
  model(clips, training=True)  # Moves the batch-norm statistics.
  for v in model.temporal_head.classifier.weights:
    v.assign(tf.random.normal(v.shape, seed=1))
  # As Model Garden's trainer writes it (model, backbone, step, ...).
  prefix = tf.train.Checkpoint(
      model=model, backbone=model.backbone,
      global_step=tf.Variable(2, dtype=tf.int64)).save(
          str(tmp_path / "model" / "ckpt"))
  np.save(tmp_path / "clips.npy", clips)
  out = tmp_path / "out"
  result = _run("--builder=experiment", "--experiment=mobilenet_grw_airplanes",
                f"--params_override={_OVERRIDE}",
                f"--checkpoint={os.path.dirname(prefix)}", "--image_size=32",
                f"--output_dir={out}", f"--verify_clips={tmp_path}/clips.npy")
  assert result.returncode == 0, result.stderr[-3000:]
  report = json.loads(result.stdout[result.stdout.index("{"):])
  lite = report["float"]["path"]
  assert os.path.basename(lite) == "mobilenetv3small_stream_float.tflite"
  assert report["float"]["top1_agreement"] == 1.0
  assert os.path.isdir(report["saved_model_stream"])
  # The TF Lite model is the trained one (not random weights).
  logits = export.run_tflite_stream(lite, clips[:1])
  expected = model(clips[:1], training=False).numpy()[0]
  np.testing.assert_allclose(logits[-1], expected, atol=1e-4)


def test_experiment_builder_needs_an_experiment(tmp_path):
  result = _run("--builder=experiment", f"--output_dir={tmp_path}")
  assert result.returncode != 0
  assert "Invalid value received for argument `experiment`" in result.stderr


@pytest.mark.slow
def test_grw_builder_exports_the_trained_movinet_without_grw(tmp_path):
  # README: "`--builder=grw` rebuilds the model without its GRW taps"; on
  # the short A0 (any size goes through the same rebuild).
  from tf_grw.models.movinet.movinet_grw import build_movinet_grw  # pylint: disable=g-import-not-at-top
  tf.random.set_seed(3)
  model = build_movinet_grw(SHORT, num_classes=3, stream=True,
                            grw_endpoints=["block4"], window=4)
  clips = np.random.default_rng(1).random((2, 4, 32, 32, 3)).astype(
      "float32")
  model(clips, training=True)  # Moves the batch-norm statistics.
  for v in model.classifier_head.weights:
    v.assign(tf.random.normal(v.shape, seed=2))
  prefix = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
  # Only the whole-clip SavedModel (`--quantization=`: no TF Lite): the
  # launcher's job here is the rebuild and the restore; TF Lite conversion
  # of a rebuilt model has its own tests in exporters_test.py.
  result = _run("--builder=grw", f"--model_id={SHORT}", "--num_classes=3",
                f"--checkpoint={prefix}", "--nostreaming", "--base",
                "--quantization=", f"--output_dir={tmp_path / 'out'}")
  assert result.returncode == 0, result.stderr[-3000:]
  report = json.loads(result.stdout[result.stdout.index("{"):])
  assert set(report) == {"saved_model_base"}
  serve = tf.saved_model.load(report["saved_model_base"]).signatures[
      "serving_default"]
  # The trained weights, without GRW, equal the GRW model in inference.
  logits = serve(image=tf.constant(clips))["logits"].numpy()
  expected = model(clips, training=False).numpy()
  assert np.abs(expected).max() > 0.1
  # Logits can reach hundreds (random head): float32 sums of terms that
  # large differ with the threads' summation order by ~1e-6 of the largest
  # logit (8.9e-4 at |logits| <= 850 was seen once), so the tolerance scales
  # with it.
  np.testing.assert_allclose(logits, expected, rtol=0,
                             atol=1e-5 * np.abs(expected).max())

"""Tests for launch/demo.py (`make demo`), shrunk to seconds, as a subprocess."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from launch_fixtures import env  # pylint: disable=g-bad-import-order
from launch_fixtures import REPO as _REPO  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order


def _demo(*args):
  return subprocess.run(
      [sys.executable, os.path.join(_REPO, "launch", "demo.py"), *args],
      capture_output=True, text=True, env=env(), check=False, timeout=900)


@pytest.mark.slow
def test_tiny_mobilenet_demo_end_to_end(tmp_path):
  result = _demo("--models=mobilenet", "--num_train=6", "--num_test=3",
                 "--epochs=1", "--num_seeds=1", "--num_frames=4",
                 "--resolution=16", "--batch_size=3", "--window=4",
                 "--mobilenet_embed_dim=16", "--workers=1",
                 f"--output_dir={tmp_path}")
  assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
  with open(tmp_path / "results.json", encoding="utf-8") as f:
    results = json.load(f)
  assert set(results["order_check"]) == {"mobilenet_baseline",
                                         "mobilenet_grw"}
  for arm in ("mobilenet_baseline", "mobilenet_grw"):
    assert len(results[arm]["test_accuracy"]) == 1
  check = results["tflite_mobilenet_grw"]
  assert check["top1_agreement"] == 1.0 and check["max_abs_diff"] < 1e-3
  # The int8 export, calibrated on training clips, checked on the same clips.
  int8 = results["tflite_mobilenet_grw_int8"]
  assert int8["num_clips"] == 3 and np.isfinite(int8["max_abs_diff"])
  for name in ("trajectories.png", "training_curves.png", "demo.log",
               "profile.md", "profile_mobilenet_grw.png",
               "profile_mobilenet_baseline.png",
               "stream_predictions_mobilenet_grw.png",
               "grw_mobilenetv3s_stream.tflite",
               "grw_mobilenetv3s_stream_int8.tflite"):
    assert (tmp_path / name).exists(), name


@pytest.mark.slow
def test_tiny_movinet_demo_with_regime_flags(tmp_path):
  # The default `make demo` path (MoViNet arms), shrunk: regime flags reach
  # the data and the arms, and the paired difference is reported.
  # One seed, so that the two worker processes each train one arm at once
  # (the paired statistics have their own tests in comparison_test.py). The
  # short A0 (tests/movinet_fixtures.py) stands for A0: the same code path.
  result = _demo(f"--movinet_model_id={SHORT}", "--num_train=6", "--num_test=3", "--epochs=1",
                 "--num_seeds=1", "--num_frames=4", "--resolution=16",
                 "--batch_size=3", "--window=4", "--noise=0.1", "--jitter=2",
                 "--data_seed=5", "--head=transformer", "--center_per_frame",
                 "--noexport", "--workers=2", f"--output_dir={tmp_path}")
  assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
  with open(tmp_path / "results.json", encoding="utf-8") as f:
    results = json.load(f)
  config = results["config"]
  assert (config["noise"], config["jitter"], config["data_seed"],
          config["head"], config["center_per_frame"]) == (
              0.1, 2.0, 5, "transformer", True)
  assert config["model"].startswith("MoViNet-A0_SHORT stream")
  data = sorted(os.listdir(tmp_path / "data"))
  assert data == ["airplanes_test_3_4f_16px_noise0.1_jitter2_data5.npz",
                  "airplanes_train_6_4f_16px_noise0.1_jitter2_data5.npz"]
  diff = results["paired_difference"]["grw"]
  grw, base = results["grw"]["test_accuracy"], results["baseline"][
      "test_accuracy"]
  assert diff["n"] == 1
  assert diff["mean"] == pytest.approx(grw[0] - base[0])
  assert "paired by seed" in result.stdout
  assert "no interval from one seed" in result.stdout
  assert "2 runs, 2 at a time" in result.stdout
  assert results["grw"]["history"][0][0]["grw_loss"] > 0
  assert results["baseline"]["history"][0][0]["grw_loss"] == 0
  # The probes of the first seed (comparison.frame_embeddings/order_check).
  for arm in ("baseline", "grw"):
    order = results["order_check"][arm]
    assert set(order) == {"ordered", "shuffled"}
    assert all(np.isfinite(v) and v >= 0 for v in order.values()), order
    assert np.isfinite(results["smoothness"][arm]["accel_to_velocity"])
    # The diagnostic's profile of every endpoint, with the probe's row.
    names = [row["endpoint"] for row in results["profile"][arm]]
    assert names[0] == "stem" and names[-1] == "embedding"
    assert "block4_layer0" in names and "block4_layer1" not in names
  assert "profile at 'block4_layer0'" in result.stdout
  assert (tmp_path / "profile.md").exists()
  for arm in ("baseline", "grw"):
    assert (tmp_path / f"profile_{arm}.png").exists(), arm
  assert "recommendation: " in result.stdout
  assert "Recommendation (`recommend()`)" in (tmp_path / "profile.md").read_text()


def test_bad_workers_is_refused(tmp_path):
  result = _demo("--workers=0", f"--output_dir={tmp_path}")
  assert result.returncode != 0
  assert ("Invalid value received for argument `workers`. Expected an "
          "integer >= 1. Received: workers=0") in result.stderr


def test_unknown_model_family_is_refused(tmp_path):
  result = _demo("--models=resnet", f"--output_dir={tmp_path}")
  assert result.returncode != 0
  assert "Invalid value received for argument `models`" in result.stderr


def test_unknown_movinet_size_is_refused(tmp_path):
  result = _demo("--movinet_model_id=a9", f"--output_dir={tmp_path}")
  assert result.returncode != 0
  assert "Invalid value received for argument `model_id`" in result.stderr
  assert not os.path.exists(tmp_path / "data")

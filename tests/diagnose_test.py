"""Tests for launch/diagnose.py: profiling a saved checkpoint from the shell.

A tiny `movinet_grw_airplanes` model (the short A0 stream of
`movinet_fixtures.py`, 4 frames of 32x32)
is saved with its residual branches opened; the launcher restores it through
a fresh task, reads the clips through Model Garden's video input, and its
profile must be the saved model's own profile on the same clips (a launcher
that profiled the fresh, unrestored model would differ: its ReZero scales
are 0).
"""

import csv
import json
from pathlib import Path
import re

from absl import flags
from absl.testing import flagsaver
import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
from tf_grw.analysis import diagnose
import tf_grw.modelgarden.experiments  # pylint: disable=unused-import
from launch_fixtures import load_launch_module  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order
from video_fixtures import write_records  # pylint: disable=g-bad-import-order

_EXPERIMENT = "movinet_grw_airplanes"
_CLIPS = 6


def _override(records):
  data = {"input_path": records, "feature_shape": [4, 32, 32, 3],
          "min_image_size": 32, "num_examples": _CLIPS,
          "global_batch_size": _CLIPS}
  return {"task": {"train_data": data, "validation_data": data,
                   "model": {"model_id": SHORT}, "grw": {"window": 4}}}


@pytest.fixture(scope="module")
def launcher():
  return load_launch_module("diagnose")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
  """Records, a checkpoint and the saved model's own profile."""
  folder = tmp_path_factory.mktemp("diagnose")
  records = ",".join(
      write_records(str(folder / f"valid{i}.tfrecord"), num_clips=3,
                    num_frames=4, seed=i) for i in range(2))
  params = exp_factory.get_exp_config(_EXPERIMENT)
  params.override(_override(records), is_strict=False)
  task = task_factory.get_task(params.task)
  tf.keras.utils.set_random_seed(5)
  model = task.build_model()
  for v in model.weights:  # ReZero scales start at 0: open them.
    if v.shape.rank == 0 and v.name.endswith("/scale:0"):
      v.assign(0.5)
  features, labels = next(iter(task.build_inputs(params.task.validation_data)))
  labels = np.argmax(labels.numpy(), axis=-1)
  assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]
  profile = diagnose(model, features["image"].numpy(), labels=labels)
  # Where launch/fit.py writes its final checkpoint: <model_dir>/final.
  prefix = tf.train.Checkpoint(model=model).save(
      str(folder / "run" / "final" / "ckpt"))
  return {"records": records, "prefix": prefix, "profile": profile,
          "params": params, "model_dir": str(folder / "run")}


@pytest.mark.slow
def test_main_profiles_the_checkpoint(launcher, saved, capsys):
  launcher.define_flags()
  out = Path(saved["model_dir"]) / "diagnosis"  # The default output folder.
  with flagsaver.flagsaver():
    flags.FLAGS([
        "diagnose", f"--experiment={_EXPERIMENT}",
        f"--model_dir={saved['model_dir']}", "--clips=6",
        "--params_override=" + json.dumps(_override(saved["records"]))])
    launcher.main(None)
  printed = capsys.readouterr().out
  assert "Recommendation:" in printed and saved["prefix"] in printed
  with open(out / "profile.csv") as f:
    rows = list(csv.DictReader(f))
  expected = saved["profile"].rows
  assert [r["endpoint"] for r in rows] == [r["endpoint"] for r in expected]
  for row, want in zip(rows, expected):
    for key in ("accel_to_velocity", "clock_share", "order_gap",
                "probe_accuracy"):
      np.testing.assert_allclose(float(row[key]), want[key], rtol=1e-4,
                                 err_msg=f"{row['endpoint']} {key}")
  advice = json.loads((out / "recommendation.json").read_text())
  assert advice == saved["profile"].recommend()
  assert advice["reason"] in (out / "profile.md").read_text()
  assert (out / "profile.png").stat().st_size > 10_000


@pytest.mark.slow
def test_airplanes_clips_and_bad_arguments(launcher, saved):
  profile, path = launcher.diagnose_checkpoint(
      saved["params"], saved["prefix"], data="airplanes", num_clips=5)
  assert path == saved["prefix"]
  assert (profile.num_clips, profile.num_frames) == (5, 4)
  assert profile.rows[0]["probe_accuracy"] is not None  # Labels came along.
  # The MoViNet head pools `head` over time: left out, streamed or not.
  names = [r["endpoint"] for r in profile.rows]
  assert names[-1] == "block4_layer0" and "head" not in names
  streamed, _ = launcher.diagnose_checkpoint(
      saved["params"], saved["prefix"], data="airplanes", num_clips=5,
      streaming=True)
  assert [r["endpoint"] for r in streamed.rows] == names
  for row, want in zip(streamed.rows, profile.rows):
    np.testing.assert_allclose(row["order_gap"], want["order_gap"],
                               rtol=1e-4)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `clips`. Expected an integer "
      ">= 4. Received: clips=2")):
    launcher.diagnose_checkpoint(saved["params"], saved["prefix"],
                                 num_clips=2)

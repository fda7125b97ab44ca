"""Tests of PCA trajectories and smoothness statistics."""

import numpy as np
import pytest

from tf_grw.analysis import trajectories


def test_pca_recovers_a_plane():
  rng = np.random.default_rng(0)
  basis = np.linalg.qr(rng.normal(size=(10, 2)))[0].T  # 2 orthonormal rows.
  coords = rng.normal(size=(6, 7, 2)) * np.array([3.0, 1.0])
  z = coords @ basis + 5.0
  projected, ratio = trajectories.pca_project(z, 2)
  assert ratio.sum() == pytest.approx(1.0, abs=1e-9)
  assert ratio[0] > ratio[1]
  # Distances are preserved by a projection on the data's own plane.
  d_orig = np.linalg.norm(z[0, 1] - z[3, 4])
  d_proj = np.linalg.norm(projected[0, 1] - projected[3, 4])
  assert d_proj == pytest.approx(d_orig, rel=1e-9)


def test_smoothness_ranks_line_above_random_walk():
  rng = np.random.default_rng(1)
  t = np.arange(8)[None, :, None]
  line = t * rng.normal(size=(20, 1, 16))
  walk = np.cumsum(rng.normal(size=(20, 8, 16)), axis=1)
  zigzag = np.where(t % 2 == 0, 0.0, 1.0) * np.ones((20, 1, 16))
  s_line = trajectories.smoothness_stats(line)
  s_walk = trajectories.smoothness_stats(walk)
  s_zig = trajectories.smoothness_stats(zigzag)
  assert s_line["accel_to_velocity"] == pytest.approx(0.0, abs=1e-12)
  assert s_line["straightness"] == pytest.approx(1.0)
  assert s_line["step_cv"] == pytest.approx(0.0, abs=1e-12)
  # A memoryless walk: E||a||^2 = 2 E||v||^2 (two independent increments).
  assert 1.5 < s_walk["accel_to_velocity"] < 2.5
  assert s_zig["accel_to_velocity"] == pytest.approx(4.0)
  assert s_walk["straightness"] < 0.8


def test_statistics_are_scale_free():
  rng = np.random.default_rng(2)
  z = np.cumsum(rng.normal(size=(5, 6, 4)), axis=1)
  a = trajectories.smoothness_stats(z)
  b = trajectories.smoothness_stats(100.0 * z + 3.0)
  for key in a:
    assert a[key] == pytest.approx(b[key], rel=1e-9)


def test_plots_are_written(tmp_path):
  rng = np.random.default_rng(3)
  emb = rng.normal(size=(9, 5, 6))
  labels = np.arange(9) % 3
  out = trajectories.plot_trajectories(
      {"baseline": (emb, labels), "grw": (emb * 2, labels)},
      str(tmp_path / "traj.png"), class_names=["yaw", "pitch", "roll"])
  assert (tmp_path / "traj.png").stat().st_size > 5000 and out.endswith("png")
  curves = trajectories.plot_training_curves(
      {"baseline seed 0": [{"loss": 1.0, "test_accuracy": 0.3},
                           {"loss": 0.5, "test_accuracy": 0.6}]},
      str(tmp_path / "curves.png"))
  assert (tmp_path / "curves.png").stat().st_size > 5000 and curves


@pytest.mark.parametrize("bad,message", [
    (np.zeros((3, 2, 4)), r"argument `embeddings`\. Expected an array "
     r"\[clips, frames >= 3, channels\]\. Received: embeddings=<array of "
     r"shape \(3, 2, 4\)>"),
    (np.full((2, 4, 3), np.nan), r"Expected finite values"),
])
def test_errors(bad, message):
  with pytest.raises(ValueError, match=message):
    trajectories.smoothness_stats(bad)


def test_num_components_error():
  with pytest.raises(ValueError, match=r"argument `num_components`\. Expected "
                     r"an integer in \[1, 4\]\. Received: num_components=5"):
    trajectories.pca_project(np.zeros((2, 4, 4)), 5)



def test_clock_share_is_r2_of_a_frame_index_regression():
  # Independent route: least squares of the features on a one-hot frame-index
  # design; the variance it explains over the total is the clock share.
  rng = np.random.default_rng(3)
  clips, frames, channels = 7, 5, 4
  z = (rng.normal(size=(clips, frames, channels))
       + 2.0 * rng.normal(size=(1, frames, channels)))
  design = np.tile(np.eye(frames), (clips, 1))
  flat = z.reshape(-1, channels)
  coef, *_ = np.linalg.lstsq(design, flat, rcond=None)
  residual = np.sum((flat - design @ coef) ** 2)
  total = np.sum((flat - flat.mean(0)) ** 2)
  expected = 1.0 - residual / total
  assert trajectories.clock_share(z) == pytest.approx(expected, rel=1e-10)
  assert 0.3 < expected < 1.0  # The drift is there but is not everything.
  # A shared clock added to clips raises the share; per-clip offsets lower it.
  clock = np.linspace(0, 10, frames)[None, :, None]
  assert trajectories.clock_share(z + clock) > expected
  offsets = 10.0 * rng.normal(size=(clips, 1, channels))
  assert trajectories.clock_share(z + offsets) < expected

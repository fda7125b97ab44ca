"""Tests for the biplane renderer (tf_grw.datasets.airplane_renderer)."""

import re

import numpy as np
import pytest

from tf_grw.datasets import airplane_renderer


def _error(name, expected, value):
  return re.escape(
      f"Invalid value received for argument `{name}`. Expected {expected}. "
      f"Received: {name}={value!r}")


@pytest.mark.parametrize("label", [0, 1, 2])
def test_rotation_is_about_the_body_axis(label):
  rng = np.random.default_rng(label)
  q = rng.standard_normal(4)
  r0 = airplane_renderer._quaternion_to_matrix(q)  # pylint: disable=protected-access
  rots = airplane_renderer.rotation_sequence(r0, label, 17.0, 6)
  assert rots.shape == (6, 3, 3)
  np.testing.assert_allclose(rots[0], r0, atol=1e-12)
  np.testing.assert_allclose(rots @ np.swapaxes(rots, 1, 2),
                             np.broadcast_to(np.eye(3), (6, 3, 3)), atol=1e-12)
  axis = (2, 1, 0)[label]  # Yaw: body z, pitch: body y, roll: body x.
  # The rotation axis (a body axis) keeps its camera-frame direction ...
  np.testing.assert_allclose(rots[:, :, axis],
                             np.broadcast_to(r0[:, axis], (6, 3)), atol=1e-12)
  # ... while the other body axes turn by 17 degrees per frame.
  other = (axis + 1) % 3
  cosines = np.einsum("ti,ti->t", rots[1:, :, other], rots[:-1, :, other])
  np.testing.assert_allclose(cosines, np.cos(np.deg2rad(17.0)), atol=1e-12)


@pytest.mark.parametrize("label", [0, 1, 2])
def test_plane_is_visible_and_moves(label):
  rng = np.random.default_rng(100 + label)
  video, coverage = airplane_renderer.render_clip(
      label, rng, num_frames=8, resolution=48, jitter=0.0, noise=0.0,
      return_mask=True)
  assert video.shape == (8, 48, 48, 3) and video.dtype == np.uint8
  assert coverage.shape == (8, 48, 48)
  assert coverage.min() >= 0.0 and coverage.max() <= 1.0
  # The plane occupies a reasonable fraction of every frame.
  fraction = coverage.mean(axis=(1, 2))
  assert np.all(fraction > 0.03) and np.all(fraction < 0.6), fraction
  # Plane pixels stand out from the sky: compare each fully covered pixel with
  # the mean uncovered pixel of its row (the sky is a vertical gradient).
  frames = video.astype(np.float32) / 255.0
  diffs = []
  for frame, cov in zip(frames, coverage):
    sky = np.where(cov[..., None] == 0, frame, 0).sum(1) / np.maximum(
        (cov == 0).sum(1), 1)[:, None]
    rows, cols = np.nonzero(cov == 1)
    diffs.append(np.abs(frame[rows, cols] - sky[rows]).max(-1))
  assert np.median(np.concatenate(diffs)) > 0.15
  # The background is static (no jitter, no noise), so differences between
  # consecutive frames come from the rotating plane, and they are sizeable.
  changed = (np.abs(np.diff(frames, axis=0)).max(-1) > 0.1).mean(axis=(1, 2))
  assert np.all(changed > 0.01), changed
  mask = coverage > 0.5
  iou = (mask[1:] & mask[:-1]).sum((1, 2)) / (mask[1:] | mask[:-1]).sum((1, 2))
  assert np.all(iou < 0.97), iou


def test_jitter_and_noise_flags():
  base = dict(label=1, num_frames=3, resolution=32)

  def render(**kwargs):
    return airplane_renderer.render_clip(rng=np.random.default_rng(1),
                                         **base, **kwargs)

  clean = render(jitter=0.0, noise=0.0)
  noisy = render(jitter=0.0, noise=0.05)
  shaken = render(jitter=2.0, noise=0.0)
  aliased = render(jitter=0.0, noise=0.0, supersample=1)
  diff = np.abs(noisy.astype(int) - clean.astype(int))
  assert 5 < diff.mean() < 20  # ~0.05 * 255 * sqrt(2 / pi) = 10.
  assert np.any(shaken != clean)
  assert aliased.shape == clean.shape and np.any(aliased != clean)


def test_render_clip_rejects_bad_arguments():
  rng = np.random.default_rng(0)
  with pytest.raises(ValueError, match=_error(
      "label", "an integer in [0, 2] (0: yaw, 1: pitch, 2: roll)", 3)):
    airplane_renderer.render_clip(3, rng)
  with pytest.raises(ValueError, match=_error(
      "rng", "a `numpy.random.Generator`", 7)):
    airplane_renderer.render_clip(0, 7)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `speed_range`.")):
    airplane_renderer.render_clip(0, rng, speed_range=(20.0, 10.0))




def test_batch_renders_exactly_the_single_clips():
  labels = [2, 0]
  args = dict(num_frames=3, resolution=16, jitter=1.0, noise=0.02,
              supersample=2, speed_range=(10.0, 25.0))
  videos, coverage = airplane_renderer.render_clips(
      labels, [np.random.default_rng(i) for i in range(2)], **args)
  for i, label in enumerate(labels):
    clip, mask = airplane_renderer.render_clip(
        label, np.random.default_rng(i), return_mask=True, **args)
    np.testing.assert_array_equal(videos[i], clip)
    np.testing.assert_array_equal(coverage[i], mask)
  with pytest.raises(ValueError, match=_error(
      "label", "an integer in [0, 2] (0: yaw, 1: pitch, 2: roll)", 5)):
    airplane_renderer.render_clips([5], [np.random.default_rng(0)], **args)

"""Tests of `tf_grw.models.temporal_shift` (TSM as a Keras layer)."""

import numpy as np
import pytest

from tf_grw.models.temporal_shift import TemporalShift


def _clip(frames=4, channels=8, seed=0):
  return np.random.default_rng(seed).normal(
      size=(2, frames, 3, 3, channels)).astype("float32")


def test_causal_shift_by_hand():
  x = _clip()
  y = TemporalShift(shift_div=4)(x).numpy()
  # Channels 0-1 come from the previous frame (zeros at t=0), the rest stay.
  np.testing.assert_array_equal(y[:, 0, ..., :2], 0.0)
  np.testing.assert_array_equal(y[:, 1:, ..., :2], x[:, :-1, ..., :2])
  np.testing.assert_array_equal(y[..., 2:], x[..., 2:])


def test_bidirectional_shift_by_hand():
  x = _clip()
  y = TemporalShift(shift_div=4, causal=False)(x).numpy()
  np.testing.assert_array_equal(y[:, 1:, ..., :2], x[:, :-1, ..., :2])
  np.testing.assert_array_equal(y[:, :-1, ..., 2:4], x[:, 1:, ..., 2:4])
  np.testing.assert_array_equal(y[:, -1, ..., 2:4], 0.0)
  np.testing.assert_array_equal(y[..., 4:], x[..., 4:])


def test_step_frame_by_frame_equals_clip():
  x = _clip(frames=5)
  layer = TemporalShift(shift_div=8)
  whole = layer(x).numpy()
  state = np.zeros(x.shape[:1] + x.shape[2:4] + (1,), "float32")
  for t in range(x.shape[1]):
    out, state = layer.step(x[:, t], state)
    np.testing.assert_array_equal(out.numpy(), whole[:, t])


def test_too_few_channels_is_identity():
  x = _clip(channels=3)
  np.testing.assert_array_equal(TemporalShift(shift_div=4)(x).numpy(), x)


@pytest.mark.parametrize("kwargs,message", [
    (dict(shift_div=1), "Expected an integer >= 2. Received: shift_div=1"),
    (dict(shift_div=True), "Received: shift_div=True"),
    (dict(causal="yes"), "Expected a bool. Received: causal='yes'"),
])
def test_bad_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    TemporalShift(**kwargs)


def test_bidirectional_step_is_refused():
  with pytest.raises(ValueError, match="bidirectional shift needs the next"):
    TemporalShift(causal=False).step(np.zeros((1, 8)), np.zeros((1, 1)))


def test_get_config_round_trip():
  layer = TemporalShift(shift_div=4, causal=False, name="tsm")
  clone = TemporalShift.from_config(layer.get_config())
  assert (clone.shift_div, clone.causal, clone.name) == (4, False, "tsm")

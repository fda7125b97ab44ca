"""`TemporalShift`: the temporal shift module (TSM) as a Keras layer.

Lin, Gan, Han, "TSM: Temporal Shift Module for Efficient Video
Understanding", ICCV 2019, arXiv:1811.08383. Used by
`tf_grw.models.mobilenet.mobilenet_grw` to let a per-frame image backbone exchange
information between neighbouring frames at zero FLOPs, in the residual
branch of its blocks ("residual shift"); the causal (online) variant shifts
only from the past, so it streams with one small state per shifted block.

GRW smoothing (Goldman et al., NeurIPS 2025, arXiv:2511.20928) is unrelated
to the shift; the two combine in `MobilenetGRWClassifier(temporal_shift=True)`.
"""

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import invalid_value

__all__ = ["TemporalShift"]


class TemporalShift(tf_keras.layers.Layer):
  """Shifts `1/shift_div` of the channels by one frame along time.

  With `causal=True` (TSM's online variant) the first `C // shift_div`
  channels of frame t are replaced by those of frame t-1 (zeros at t=0);
  every output frame depends on frames <= t only, so `step` computes it
  frame by frame from a state holding the previous frame's shifted slice.
  With `causal=False` (TSM's offline variant) the next `C // shift_div`
  channels moreover come from frame t+1 (zeros at the last frame). When
  `C < shift_div` nothing is shifted.

  Args:
    shift_div: the inverse of the fraction of channels shifted each way
      (TSM uses 8), an integer >= 2.
    causal: shift from the past only (True) or both ways (False).
    **kwargs: standard layer arguments (`name`, ...).

  Call arguments:
    inputs: `[B, T, ..., C]` (time on axis 1).

  Example:

  >>> import numpy as np
  >>> x = np.arange(8, dtype="float32").reshape(1, 2, 4)  # 2 frames, C=4
  >>> TemporalShift(shift_div=4)(x).numpy().tolist()
  [[[0.0, 1.0, 2.0, 3.0], [0.0, 5.0, 6.0, 7.0]]]

  Reference: Lin, Gan, Han, "TSM: Temporal Shift Module for Efficient Video
  Understanding", ICCV 2019, arXiv:1811.08383.
  """

  def __init__(self, shift_div: int = 8, causal: bool = True, **kwargs):
    super().__init__(**kwargs)
    if isinstance(shift_div, bool) or not isinstance(shift_div, int) or (
        shift_div < 2):
      raise invalid_value("shift_div", "an integer >= 2", shift_div)
    if not isinstance(causal, bool):
      raise invalid_value("causal", "a bool", causal)
    self.shift_div = shift_div
    self.causal = causal

  def fold(self, channels: int) -> int:
    """Channels shifted each way for `channels` input channels."""
    return channels // self.shift_div

  def call(self, inputs):
    fold = self.fold(inputs.shape[-1])
    if fold == 0:
      return inputs
    zeros = tf.zeros_like(inputs[:, :1, ..., :fold])
    past = tf.concat([zeros, inputs[:, :-1, ..., :fold]], axis=1)
    if self.causal:
      return tf.concat([past, inputs[..., fold:]], axis=-1)
    future = tf.concat([inputs[:, 1:, ..., fold:2 * fold], zeros], axis=1)
    return tf.concat([past, future, inputs[..., 2 * fold:]], axis=-1)

  def step(self, frame, state):
    """One frame of the causal shift: `(shifted_frame, new_state)`.

    Args:
      frame: `[B, ..., C]` the current frame (no time axis).
      state: `[B, ..., C // shift_div]` the previous frame's first channels
        (zeros before the first frame).
    """
    if not self.causal:
      raise invalid_value("causal", "True to shift frame by frame (the "
                          "bidirectional shift needs the next frame)",
                          self.causal)
    fold = self.fold(frame.shape[-1])
    if fold == 0:
      return frame, state
    shifted = tf.concat([tf.cast(state, frame.dtype), frame[..., fold:]],
                        axis=-1)
    return shifted, frame[..., :fold]

  def get_config(self):
    config = super().get_config()
    config.update(shift_div=self.shift_div, causal=self.causal)
    return config

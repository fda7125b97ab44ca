"""Frame-by-frame inference of per-frame MobileNet video classifiers.

`MobilenetVideoStream` is what `MobilenetGRWClassifier.inference_model(
streaming=True)` returns: one frame per call, states in and out, the shape
`tf_grw.export` turns into a streaming SavedModel and TF Lite model.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

from typing import Dict, Sequence

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import invalid_value
from tf_grw.models.video_inputs import stream_frame
from tf_grw.models.temporal_head import HEAD_COUNT_STATE
from tf_grw.models.temporal_head import HEAD_EMBEDDINGS_STATE

__all__ = ["MobilenetVideoStream", "DEFAULT_MAX_FRAMES", "HEAD_SUM_STATE",
           "stream_states", "stream_max_frames"]

# The mean head's running sum (its count is HEAD_COUNT_STATE).
HEAD_SUM_STATE = "state_head_sum"
# Transformer head buffer length when the model has no static num_frames.
DEFAULT_MAX_FRAMES = 64


class MobilenetVideoStream(tf_keras.Model):
  """Frame-by-frame inference of a `MobilenetVideoClassifier`.

  What `MobilenetGRWClassifier.inference_model(streaming=True)` returns.
  Each call maps `{**states, "image": frames[B, 1, H, W, 3]}` to `(logits,
  new_states)`; after frame t the logits are those of the clip of frames
  0..t, so the last ones equal the whole-clip logits. States (start from
  `init_states(video_shape)`):

  * `state_shift_block{idx}` `[B, h, w, c // shift_div]` (causal temporal
    shift only): the previous frame's shifted channels at block idx's input;
  * `state_head_sum` `[B, C]` and `state_head_count` `[B]` int32 (mean head):
    the running sum of the per-frame features and the number of frames;
  * `state_head_embeddings` `[B, max_frames, embed_dim]` and
    `state_head_count` (Transformer head, see
    `TemporalTransformerHead.step`).

  Args:
    classifier: a streamable `MobilenetVideoClassifier` (causal shift and
      head); its layers are shared, not copied.
    max_frames: Transformer head buffer length.
    **kwargs: `tf_keras.Model` arguments (`name`).

  Example:

  >>> import numpy as np
  >>> from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
  >>> model = build_mobilenet_grw(num_classes=3, filter_size_scale=0.5,
  ...                             temporal_shift=True)
  >>> stream = model.inference_model(streaming=True)
  >>> states = stream.init_states([1, 1, 32, 32, 3])
  >>> frame = np.zeros([1, 1, 32, 32, 3], "float32")
  >>> logits, states = stream({**states, "image": frame})
  >>> logits.shape, int(states["state_head_count"][0])
  (TensorShape([1, 3]), 1)

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  # The export helpers' marker of a stream model (states in and out).
  use_external_states = True

  def __init__(self, classifier: "MobilenetVideoClassifier",
               max_frames: int = DEFAULT_MAX_FRAMES, **kwargs):
    super().__init__(**kwargs)
    classifier.check_streamable()
    self.classifier = classifier
    self.max_frames = stream_max_frames(max_frames, None)

  @property
  def backbone(self):
    return self.classifier.backbone

  def call(self, inputs, training=None):
    image = stream_frame(inputs, list(self.initial_state_specs([1, 1, 8, 8,
                                                                 3])))
    model = self.classifier
    frame = model.normalize(image[:, 0])
    states = {}

    def shift(i, x):
      name = model.chain.state_name(i)
      shifted, states[name] = model.shift.step(x, inputs[name])
      return shifted

    outputs = model.chain.run(frame, training=training,
                              shift=shift if model.temporal_shift else None)
    features = tf.reduce_mean(outputs[model.chain.final], axis=[1, 2])
    count_in = tf.convert_to_tensor(inputs[HEAD_COUNT_STATE])
    if model.head == "mean":
      total = tf.cast(inputs[HEAD_SUM_STATE], features.dtype) + features
      count = tf.reshape(tf.cast(count_in, tf.int32), [-1]) + 1
      pooled = total / tf.cast(count, total.dtype)[:, None]
      logits = model.classifier(model.classifier_dropout(pooled,
                                                         training=training))
      states[HEAD_SUM_STATE] = total
    else:
      # Under the head's layer name, as in MovinetTransformerStream (what
      # `export_tflite(..., float_layers=["temporal_head"])` selects).
      with tf.name_scope(model.temporal_head.name):
        z = model.temporal_head.embed(features[:, None])
        logits, buffer, count = model.temporal_head.step(
            inputs[HEAD_EMBEDDINGS_STATE], count_in, z, training=training)
      states[HEAD_EMBEDDINGS_STATE] = buffer
    states[HEAD_COUNT_STATE] = tf.cast(
        tf.reshape(count, tf.shape(count_in)), count_in.dtype)
    return logits, states

  def initial_state_specs(
      self, input_shape: Sequence[int]) -> Dict[str, tf_keras.layers.InputSpec]:
    """State specs for a video shape `[B, T, H, W, 3]` (static H, W)."""
    return {
        name: tf_keras.layers.InputSpec(shape=value[0], dtype=value[1])
        for name, value in stream_states(
            self.classifier, input_shape, self.max_frames,
            zeros=False).items()}

  def init_states(self, input_shape) -> Dict[str, tf.Tensor]:
    """Zero states for the first call (video shape `[B, T, H, W, 3]`)."""
    return stream_states(self.classifier, input_shape, self.max_frames,
                          zeros=True)


def stream_states(model, input_shape, max_frames, zeros):
  """Zero states (zeros=True) or {name: (shape, dtype)} of a stream model."""
  if isinstance(input_shape, (list, tuple)):
    batch, height, width = input_shape[0], input_shape[2], input_shape[3]
  else:
    input_shape = tf.convert_to_tensor(input_shape)
    batch, height, width = input_shape[0], input_shape[2], input_shape[3]
  states = {}
  if model.temporal_shift:
    for i, (h, w, fold) in model.chain.shift_state_shapes(
        height, width, model.shift_div).items():
      states[model.chain.state_name(i)] = ([batch, h, w, fold], tf.float32)
  if model.head == "mean":
    states[HEAD_SUM_STATE] = ([batch, model.feature_channels], tf.float32)
    states[HEAD_COUNT_STATE] = ([batch], tf.int32)
  else:
    states[HEAD_EMBEDDINGS_STATE] = ([batch, max_frames, model.embed_dim],
                                     tf.float32)
    states[HEAD_COUNT_STATE] = ([batch], tf.int32)
  if not zeros:
    return states
  return {k: tf.zeros(tf.stack(shape) if not all(
      isinstance(s, int) for s in shape) else shape, dtype)
          for k, (shape, dtype) in states.items()}


def stream_max_frames(max_frames, num_frames) -> int:
  if max_frames is None:
    return num_frames or DEFAULT_MAX_FRAMES
  if isinstance(max_frames, bool) or not isinstance(max_frames, int) or (
      max_frames < 1):
    raise invalid_value("max_frames", "a positive integer or None",
                        max_frames)
  return max_frames

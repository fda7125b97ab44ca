"""Frame-by-frame inference of a causal MoViNet with the Transformer head.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

from typing import Dict, Sequence

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.models.video_inputs import stream_frame
from tf_grw.models.temporal_head import HEAD_COUNT_STATE
from tf_grw.models.temporal_head import HEAD_EMBEDDINGS_STATE
from tf_grw.models.temporal_head import head_init_states
from tf_grw.models.temporal_head import head_state_specs

__all__ = ["MovinetTransformerStream"]


class MovinetTransformerStream(tf_keras.Model):
  """Frame-by-frame inference of a causal MoViNet with the Transformer head.

  What `MovinetGRWClassifier.inference_model(streaming=True)` returns for
  `head="transformer"`. Each call takes one frame and the states and returns
  `(logits, new_states)`:

  1. the official `movinet.Movinet` backbone with `use_external_states=True`
     runs on the frame (its states are the official ones);
  2. the frame's head features are averaged over space and embedded by the
     head's `affine` layer;
  3. the embedding is written into `state_head_embeddings[:, count]`
     (one-hot arithmetic, no Python-side state, TF Lite friendly) and
     `state_head_count` is incremented;
  4. the Transformer encodes the whole buffer with a mask of the valid
     positions 0..count (plus the causal mask if the head is causal), the
     per-frame outputs are averaged over the valid positions and classified.

  Masked positions do not change the valid outputs, so after frame t the
  logits equal the head's logits on the clip of frames 0..t, and the last
  logits equal `model(clip, training=False)`. With a causal head (the stream
  recipe) the per-frame outputs are moreover those of the whole clip: the
  output of frame t never changes once computed. Each call re-encodes the
  buffer (no key/value cache): O(max_frames^2) attention per frame.

  The buffer holds `max_frames` frames. Once it is full, further frames
  still update the backbone states, but are not written: the head state and
  the logits stay those of the first `max_frames` frames.

  Args:
    backbone: an official `movinet.Movinet` with `use_external_states=True`
      and `average_pooling_type="none"`.
    temporal_head: a built `TemporalTransformerHead`.
    max_frames: the head buffer length, a positive integer.
    **kwargs: `tf_keras.Model` arguments (`name`).

  Call arguments:
    inputs: `{**states, "image": frames}`, frames `[B, 1, H, W, 3]`;
      `state_head_count` may be `[B]` or `[]`, int32 or float.
    training: Python bool or None.

  Example (the stream of a tiny causal A0 with the Transformer head; its
  last logits are the whole clip's):

  >>> import numpy as np
  >>> from tf_grw.models.movinet.movinet_grw import build_movinet_grw
  >>> model = build_movinet_grw("a0", num_classes=3, head="transformer",
  ...                           grw_endpoints=[], embed_dim=16,
  ...                           transformer_heads=2)
  >>> stream = model.inference_model(streaming=True, max_frames=4)
  >>> isinstance(stream, MovinetTransformerStream)
  True
  >>> clip = np.random.default_rng(0).random((1, 3, 32, 32, 3), np.float32)
  >>> states = stream.init_states(clip.shape)
  >>> for t in range(3):
  ...   logits, states = stream({**states, "image": clip[:, t:t + 1]})
  >>> bool(np.allclose(logits, model(clip, training=False), atol=1e-5))
  True
  """

  def __init__(self, backbone, temporal_head, max_frames, **kwargs):
    super().__init__(**kwargs)
    if not backbone.use_external_states:
      raise invalid_value("backbone", "a Movinet with use_external_states="
                          "True",
                          Described("<Movinet without external states>"))
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or (
        max_frames < 1):
      raise invalid_value("max_frames", "a positive integer", max_frames)
    self.backbone = backbone
    self.temporal_head = temporal_head
    self.max_frames = max_frames

  def call(self, inputs, training=None):
    stream_frame(inputs, [HEAD_EMBEDDINGS_STATE, HEAD_COUNT_STATE])
    inputs = dict(inputs)
    buffer = inputs.pop(HEAD_EMBEDDINGS_STATE)
    count_in = tf.convert_to_tensor(inputs.pop(HEAD_COUNT_STATE))
    endpoints, states = self.backbone(inputs, training=training)
    if buffer.shape[1] not in (None, self.max_frames):
      raise invalid_value(
          "inputs", f"a state_head_embeddings buffer of {self.max_frames} "
          "frames", Described(f"<buffer of shape {buffer.shape}>"))
    # The head's ops under its layer name, as the backbone's are under its
    # own: `export_tflite(..., float_layers=["temporal_head"])` finds them.
    with tf.name_scope(self.temporal_head.name):
      features = tf.reduce_mean(endpoints["head"], axis=[2, 3])  # [B, 1, C]
      z = self.temporal_head.embed(features)  # [B, 1, E]
      logits, buffer, new_count = self.temporal_head.step(
          buffer, count_in, z, training=training)
    states[HEAD_EMBEDDINGS_STATE] = buffer
    states[HEAD_COUNT_STATE] = new_count
    return logits, states

  def initial_state_specs(
      self, input_shape: Sequence[int]) -> Dict[str, tf_keras.layers.InputSpec]:
    """Backbone and head state specs for a video shape `[B, T, H, W, 3]`."""
    specs = self.backbone.initial_state_specs(input_shape=input_shape)
    specs.update(head_state_specs(input_shape[0], self.max_frames,
                                   self.temporal_head.embed_dim))
    return specs

  def init_states(self, input_shape) -> Dict[str, tf.Tensor]:
    """Zero states for the first call (video shape `[B, T, H, W, 3]`)."""
    states = self.backbone.init_states(input_shape)
    states.update(head_init_states(input_shape[0], self.max_frames,
                                    self.temporal_head.embed_dim))
    return states

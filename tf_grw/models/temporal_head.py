"""`TemporalTransformerHead`: the paper's final-layer head for GRW smoothing.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Per-frame features `[B, T, C]` go through a Dense "affine" layer (the
per-frame embedding that GRW smoothing regularizes), then LayerNorm, sin-cos
positional encodings, a small pre-norm Transformer encoder, a final
LayerNorm, a mean over time and a Dense classifier. The paper does not publish
the head sizes; the defaults here are small.
"""

import math
from typing import Optional

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = ["TemporalTransformerHead", "sinusoidal_positions",
           "HEAD_EMBEDDINGS_STATE", "HEAD_COUNT_STATE", "head_state_specs",
           "head_init_states"]

# Stream states of a Transformer head (see `TemporalTransformerHead.step`).
HEAD_EMBEDDINGS_STATE = "state_head_embeddings"
HEAD_COUNT_STATE = "state_head_count"


def sinusoidal_positions(length, depth: int, dtype=tf.float32) -> tf.Tensor:
  """Sin-cos positional encodings `[length, depth]` (Vaswani et al., 2017).

  Row t holds sin(t / 10000^(2i/depth)) in column 2i and the matching cosine
  in column 2i+1. `length` may be a scalar tensor (dynamic number of frames).

  Args:
    length: number of positions, int or scalar int tensor.
    depth: encoding width, a positive integer.
    dtype: output dtype.

  Returns:
    A `[length, depth]` tensor.

  Example:

  >>> pe = sinusoidal_positions(3, 4)
  >>> pe.shape
  TensorShape([3, 4])
  >>> [round(float(v), 3) for v in pe[1]]
  [0.841, 0.54, 0.01, 1.0]
  """
  half = (depth + 1) // 2
  positions = tf.cast(tf.range(length), tf.float32)[:, tf.newaxis]
  rates = tf.exp(
      tf.range(half, dtype=tf.float32) * (-2.0 * math.log(10000.0) / depth))
  angles = positions * rates[tf.newaxis, :]
  pe = tf.stack([tf.sin(angles), tf.cos(angles)], axis=-1)  # [L, half, 2]
  pe = tf.reshape(pe, [-1, 2 * half])[:, :depth]
  return tf.cast(pe, dtype)


class _PreNormBlock(tf_keras.layers.Layer):
  """x + MHA(LN(x)); x + MLP(LN(x)). Rebuilt by its parent, not serialized."""

  def __init__(self, embed_dim, num_heads, mlp_dim, dropout, attention_dropout,
               causal, **kwargs):
    super().__init__(**kwargs)
    self.causal = causal
    self.attention_norm = tf_keras.layers.LayerNormalization(
        epsilon=1e-6, name="attention_norm")
    self.attention = tf_keras.layers.MultiHeadAttention(
        num_heads=num_heads, key_dim=embed_dim // num_heads,
        dropout=attention_dropout, name="attention")
    self.mlp_norm = tf_keras.layers.LayerNormalization(
        epsilon=1e-6, name="mlp_norm")
    self.mlp_in = tf_keras.layers.Dense(mlp_dim, activation="gelu",
                                        name="mlp_in")
    self.mlp_out = tf_keras.layers.Dense(embed_dim, name="mlp_out")
    self.dropout = tf_keras.layers.Dropout(dropout)

  def call(self, x, attention_mask=None, training=None):
    y = self.attention_norm(x)
    y = self.attention(y, y, attention_mask=attention_mask,
                       use_causal_mask=self.causal, training=training)
    x = x + self.dropout(y, training=training)
    y = self.mlp_out(self.mlp_in(self.mlp_norm(x)))
    return x + self.dropout(y, training=training)


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class TemporalTransformerHead(tf_keras.layers.Layer):
  """Affine embedding + small pre-norm Transformer over time + classifier.

  The paper's head for final-layer GRW smoothing: spatially pooled per-frame
  backbone features `[B, T, C]` are projected by a Dense layer (`affine`) to
  per-frame embeddings `[B, T, embed_dim]`; GRW smoothing regularizes those.
  The sequence then goes LayerNorm -> + sin-cos positions -> `num_layers`
  pre-norm Transformer blocks -> LayerNorm -> mean over time -> dropout ->
  Dense(`num_classes`). Positional encodings make the output depend on frame
  order.

  The pieces are public so that a GRW layer can be put between them:
  `embed(features)` returns the affine embeddings, `encode(embeddings)` the
  per-frame Transformer outputs and `classify(embeddings)` the logits; `call`
  is `classify(embed(features))`.

  Args:
    num_classes: number of output logits.
    embed_dim: width of the affine embedding and of the Transformer.
    num_layers: number of Transformer blocks (the paper uses 1-2).
    num_heads: attention heads; must divide `embed_dim`.
    mlp_dim: hidden width of each block's MLP; `None` means 2 * `embed_dim`.
    dropout: dropout rate after attention, after the MLP and before the
      classifier.
    attention_dropout: dropout rate on the attention weights.
    causal: if True, frame t attends only to frames <= t (causal mask).
    **kwargs: standard layer arguments (`name`, `dtype`, ...).

  Call arguments:
    inputs: `[B, T, C]` per-frame features.
    training: Python bool or None (dropout).

  Example:

  >>> import numpy as np
  >>> head = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=2)
  >>> head(np.ones((2, 5, 6), "float32")).shape
  TensorShape([2, 3])
  >>> head.embed(np.ones((2, 5, 6), "float32")).shape
  TensorShape([2, 5, 8])

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def __init__(self,
               num_classes: int,
               embed_dim: int = 256,
               num_layers: int = 1,
               num_heads: int = 4,
               mlp_dim: Optional[int] = None,
               dropout: float = 0.0,
               attention_dropout: float = 0.0,
               causal: bool = False,
               **kwargs):
    super().__init__(**kwargs)
    _check_positive_int("num_classes", num_classes)
    _check_positive_int("embed_dim", embed_dim)
    _check_positive_int("num_layers", num_layers)
    _check_positive_int("num_heads", num_heads)
    if embed_dim % num_heads:
      raise invalid_value(
          "num_heads", f"a divisor of embed_dim={embed_dim}", num_heads)
    if mlp_dim is not None:
      _check_positive_int("mlp_dim", mlp_dim)
    for name, rate in (("dropout", dropout),
                       ("attention_dropout", attention_dropout)):
      if not (isinstance(rate, (int, float)) and 0.0 <= rate < 1.0):
        raise invalid_value(name, "a float in [0, 1)", rate)
    if not isinstance(causal, bool):
      raise invalid_value("causal", "a bool", causal)
    self.num_classes = num_classes
    self.embed_dim = embed_dim
    self.num_layers = num_layers
    self.num_heads = num_heads
    self.mlp_dim = mlp_dim
    self.dropout = dropout
    self.attention_dropout = attention_dropout
    self.causal = causal

    self.affine = tf_keras.layers.Dense(embed_dim, name="affine")
    self.input_norm = tf_keras.layers.LayerNormalization(
        epsilon=1e-6, name="input_norm")
    self.blocks = [
        _PreNormBlock(embed_dim, num_heads, mlp_dim or 2 * embed_dim, dropout,
                      attention_dropout, causal, name=f"block{i}")
        for i in range(num_layers)
    ]
    self.output_norm = tf_keras.layers.LayerNormalization(
        epsilon=1e-6, name="output_norm")
    self.classifier_dropout = tf_keras.layers.Dropout(dropout)
    self.classifier = tf_keras.layers.Dense(num_classes, name="classifier")

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    if input_shape.rank != 3 or input_shape[-1] is None:
      raise invalid_value(
          "inputs", "a tensor of shape [batch, frames, channels] with known "
          "channels", Described(f"<tensor of shape {input_shape}>"))
    super().build(input_shape)

  def embed(self, inputs):
    """Per-frame affine embeddings `[B, T, embed_dim]` (what GRW smooths)."""
    return self.affine(inputs)

  def encode(self, embeddings, mask=None, training=None):
    """Per-frame Transformer outputs `[B, T, embed_dim]` (after the last norm).

    With `causal=True`, output t depends on embeddings 0..t only.

    Args:
      embeddings: `[B, T, embed_dim]` affine embeddings.
      mask: optional `[B, T]` bool, the valid frames: no frame attends to an
        invalid one (combined with the causal mask when `causal=True`). The
        outputs at valid positions of a valid prefix `0..n-1` then equal
        `encode(embeddings[:, :n])` (what streaming relies on); outputs at
        invalid positions are meaningless.
      training: Python bool or None (dropout).
    """
    attention_mask = None
    if mask is not None:
      attention_mask = tf.cast(mask, tf.bool)[:, tf.newaxis, :]  # [B, 1, T]
    x = self.input_norm(embeddings)
    x = x + sinusoidal_positions(tf.shape(x)[1], self.embed_dim, x.dtype)
    for block in self.blocks:
      x = block(x, attention_mask=attention_mask, training=training)
    return self.output_norm(x)

  def classify(self, embeddings, training=None):
    """Logits `[B, num_classes]` from affine embeddings `[B, T, embed_dim]`."""
    x = tf.reduce_mean(self.encode(embeddings, training=training), axis=1)
    x = self.classifier_dropout(x, training=training)
    return self.classifier(x)

  def call(self, inputs, training=None):
    return self.classify(self.embed(inputs), training=training)

  def step(self, buffer, count, z, training=None):
    """One streaming step: appends embedding `z` and classifies the buffer.

    `z` `[B, 1, embed_dim]` (one frame's affine embedding) is written into
    `buffer[:, count]` (`buffer` `[B, M, embed_dim]`, one-hot arithmetic: no
    Python-side state, TF Lite friendly) and the count goes up by one (at
    most M). The Transformer encodes the whole buffer with a mask of the
    valid positions (plus the causal mask if the head is causal); the
    per-frame outputs are averaged over the valid positions and classified.
    Masked positions do not change the valid outputs, so after frame t the
    logits equal `classify(embeddings of frames 0..t)`. Once the buffer is
    full, `z` is no longer written and the logits stay those of the first M
    frames. Each step re-encodes the buffer: O(M^2) attention per frame.

    Args:
      buffer: `[B, M, embed_dim]` embeddings of the frames seen so far.
      count: `[B]` or `[1]` int32, how many of them are valid.
      z: `[B, 1, embed_dim]` the new frame's embedding.
      training: Python bool or None (dropout).

    Returns:
      `(logits, new_buffer, new_count)`, `new_count` of `count`'s shape and
      dtype.
    """
    count_in = tf.convert_to_tensor(count)
    buffer = tf.cast(buffer, z.dtype)
    max_frames = buffer.shape[1]
    if max_frames is None:
      max_frames = tf.shape(buffer)[1]
    count = tf.reshape(tf.cast(count_in, tf.int32), [-1])
    # A one-hot row at `count` (all zeros once the buffer is full).
    write = tf.one_hot(count, max_frames, dtype=z.dtype)[:, :, None]
    buffer = buffer * (1.0 - write) + write * z
    new_count = tf.minimum(count + 1, max_frames)
    valid = tf.sequence_mask(new_count, max_frames)  # [B, M]
    encoded = self.encode(buffer, mask=valid, training=training)
    weights = tf.cast(valid, encoded.dtype)[:, :, None]
    pooled = (tf.reduce_sum(encoded * weights, axis=1) /
              tf.reduce_sum(weights, axis=1))
    pooled = self.classifier_dropout(pooled, training=training)
    new_count = tf.cast(tf.reshape(new_count, tf.shape(count_in)),
                        count_in.dtype)
    return self.classifier(pooled), buffer, new_count

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape)[:1].concatenate([self.num_classes])

  def get_config(self):
    config = super().get_config()
    config.update({
        "num_classes": self.num_classes,
        "embed_dim": self.embed_dim,
        "num_layers": self.num_layers,
        "num_heads": self.num_heads,
        "mlp_dim": self.mlp_dim,
        "dropout": self.dropout,
        "attention_dropout": self.attention_dropout,
        "causal": self.causal,
    })
    return config


def head_state_specs(batch_size, max_frames, embed_dim):
  """`InputSpec`s of the stream states of a Transformer head."""
  return {
      HEAD_EMBEDDINGS_STATE: tf_keras.layers.InputSpec(
          shape=[batch_size, max_frames, embed_dim], dtype=tf.float32),
      HEAD_COUNT_STATE: tf_keras.layers.InputSpec(
          shape=[batch_size], dtype=tf.int32),
  }


def head_init_states(batch_size, max_frames, embed_dim):
  """Zero stream states of a Transformer head (`step`'s buffer and count)."""
  return {
      HEAD_EMBEDDINGS_STATE: tf.zeros([batch_size, max_frames, embed_dim],
                                      tf.float32),
      HEAD_COUNT_STATE: tf.zeros([batch_size], tf.int32),
  }


def _check_positive_int(name, value):
  if isinstance(value, bool) or not isinstance(value, int) or value < 1:
    raise invalid_value(name, "a positive integer", value)

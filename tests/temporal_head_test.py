"""Tests of `tf_grw.models.temporal_head`."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tf_grw.models.temporal_head import sinusoidal_positions
from tf_grw.models.temporal_head import TemporalTransformerHead


@pytest.fixture(autouse=True)
def _seeded_weights():
  """Heads are built with seeded weights, so thresholds see fixed models."""
  tf_keras.utils.set_random_seed(0)


def _features(batch=2, frames=5, channels=6, seed=0):
  return np.random.default_rng(seed).normal(
      size=(batch, frames, channels)).astype("float32")


def _hand_count(c, e, h, m, layers, n):
  """Parameters of the head, counted by hand from its definition."""
  affine = c * e + e
  norm = 2 * e
  key_dim = e // h
  attention = 3 * (e * h * key_dim + h * key_dim) + (h * key_dim * e + e)
  mlp = (e * m + m) + (m * e + e)
  block = norm + attention + norm + mlp
  classifier = e * n + n
  return affine + norm + layers * block + norm + classifier



def test_shapes():
  head = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=2)
  x = _features()
  assert head(x).shape == (2, 3)
  z = head.embed(x)
  assert z.shape == (2, 5, 8)
  assert head.encode(z).shape == (2, 5, 8)
  np.testing.assert_allclose(head.classify(z), head(x), rtol=1e-6)
  # Any number of frames.
  assert head(_features(frames=9)).shape == (2, 3)
  assert head.compute_output_shape((None, 7, 6)) == (None, 3)


def test_parameter_count_by_hand():
  # Inline: affine 6*8+8=56, input norm 16, block 600 (norms 32, attention
  # 4*72=288, MLP 144+136=280), output norm 16, classifier 8*3+3=27.
  head = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=2,
                                 mlp_dim=16, num_layers=1)
  head(_features())
  assert head.count_params() == 715
  assert _hand_count(6, 8, 2, 16, 1, 3) == 715
  two = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=4,
                                num_layers=2)  # mlp_dim defaults to 16.
  two(_features())
  assert two.count_params() == _hand_count(6, 8, 4, 16, 2, 3) == 1315


def test_output_depends_on_frame_order():
  head = TemporalTransformerHead(num_classes=4, embed_dim=8, num_heads=2)
  x = _features(frames=6)
  shuffled = x[:, [0, 3, 1, 5, 2, 4]]
  out, out_shuffled = head(x), head(shuffled)
  assert np.abs(out - out_shuffled).max() > 1e-3
  # Not merely a permutation of per-frame outputs: positions enter each frame.
  z, z_shuffled = head.embed(x), head.embed(shuffled)
  per_frame = head.encode(z).numpy()[:, [0, 3, 1, 5, 2, 4]]
  assert np.abs(per_frame - head.encode(z_shuffled)).max() > 1e-3


def test_causal_mask_prefix_property():
  head = TemporalTransformerHead(num_classes=2, embed_dim=8, num_heads=2,
                                 num_layers=2, causal=True)
  z = tf.constant(_features(frames=6, channels=8))
  full = head.encode(z)
  np.testing.assert_allclose(head.encode(z[:, :3]), full[:, :3], atol=1e-5)
  acausal = TemporalTransformerHead(num_classes=2, embed_dim=8, num_heads=2)
  full = acausal.encode(z)
  assert np.abs(acausal.encode(z[:, :3]) - full[:, :3]).max() > 1e-4


@pytest.mark.parametrize("causal", [True, False])
def test_valid_frame_mask_gives_prefix_outputs(causal):
  """What streaming uses: masked-out frames do not reach the valid ones."""
  head = TemporalTransformerHead(num_classes=2, embed_dim=8, num_heads=2,
                                 num_layers=2, causal=causal)
  z = tf.constant(_features(frames=6, channels=8))
  garbage = tf.concat([z[:, :3], 100.0 * z[:, 3:] + 7.0], axis=1)
  mask = tf.sequence_mask([3, 3], 6)
  prefix = head.encode(z[:, :3])
  np.testing.assert_allclose(head.encode(garbage, mask=mask)[:, :3], prefix,
                             atol=1e-5)
  # Without the mask the non-causal head sees the later frames.
  if not causal:
    assert np.abs(head.encode(garbage)[:, :3] - prefix).max() > 1e-4


def test_get_config_round_trip():
  head = TemporalTransformerHead(num_classes=5, embed_dim=16, num_layers=2,
                                 num_heads=4, mlp_dim=24, dropout=0.1,
                                 attention_dropout=0.05, causal=True,
                                 name="th")
  config = head.get_config()
  clone = TemporalTransformerHead.from_config(config)
  assert clone.get_config() == config
  serialized = tf_keras.layers.serialize(head)
  assert (tf_keras.utils.get_registered_name(TemporalTransformerHead) ==
          "tf_grw>TemporalTransformerHead")
  again = tf_keras.layers.deserialize(serialized)
  assert isinstance(again, TemporalTransformerHead)
  assert again.get_config() == config
  x = _features()
  head(x), again(x)
  assert again.count_params() == head.count_params()


def test_sinusoidal_positions_values():
  pe = sinusoidal_positions(4, 6).numpy()
  t, i = 3, 1
  np.testing.assert_allclose(pe[t, 2 * i], np.sin(t / 10000 ** (2 * i / 6)),
                             rtol=1e-5)
  np.testing.assert_allclose(pe[t, 2 * i + 1],
                             np.cos(t / 10000 ** (2 * i / 6)), rtol=1e-5)
  assert sinusoidal_positions(3, 5).shape == (3, 5)  # Odd depth.


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_classes=3, embed_dim=10, num_heads=4),
     "Invalid value received for argument `num_heads`. Expected a divisor of "
     "embed_dim=10. Received: num_heads=4"),
    (dict(num_classes=0), "Invalid value received for argument `num_classes`."
     " Expected a positive integer. Received: num_classes=0"),
    (dict(num_classes=3, dropout=1.0), "Invalid value received for argument "
     "`dropout`. Expected a float in [0, 1). Received: dropout=1.0"),
])
def test_bad_arguments(kwargs, message):
  with pytest.raises(ValueError) as info:
    TemporalTransformerHead(**kwargs)
  assert str(info.value) == message


def test_bad_input_rank():
  head = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=2)
  with pytest.raises(ValueError, match="argument `inputs`"):
    head(np.ones((2, 5, 4, 4, 6), "float32"))

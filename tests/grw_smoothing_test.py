"""Tests of the `GRWSmoothing` layer."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

import tf_grw
from tf_grw.core.grw_smoothing import GRWSmoothing


def _clip(shape=(2, 8, 4, 4, 6), seed=0):
  return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _small_model(window=4, **kwargs):
  inputs = tf_keras.Input((8, 4, 4, 6))
  x = tf_keras.layers.Conv3D(5, 1, name="conv")(inputs)
  x = GRWSmoothing(window, name="grw", **kwargs)(x)
  x = tf_keras.layers.GlobalAveragePooling3D()(x)
  outputs = tf_keras.layers.Dense(3, name="logits")(x)
  return tf_keras.Model(inputs, outputs)


def test_identity_and_no_weights():
  layer = GRWSmoothing(4)
  x = _clip()
  out = layer(x, training=True)
  np.testing.assert_array_equal(out.numpy(), x)
  assert layer.trainable_weights == []
  seq = _clip((2, 8, 5))
  np.testing.assert_array_equal(layer.__class__(4)(seq, training=True), seq)


def test_loss_value_batch_norm_and_spatial_mean():
  x = _clip()
  layer = GRWSmoothing(4, weight=0.1)
  layer(x, training=True)
  # By hand: mean over (H, W), batch norm over batch*time with no scale/shift.
  pooled = x.mean(axis=(2, 3))
  flat = pooled.reshape(-1, pooled.shape[-1])
  normed = (flat - flat.mean(0)) / np.sqrt(flat.var(0) + 1e-3)
  expected = tf_grw.grw_loss(normed.reshape(pooled.shape), 4, alpha=0.0)
  assert len(layer.losses) == 1
  assert float(layer.losses[0]) == pytest.approx(0.1 * float(expected),
                                                 rel=1e-5)


@pytest.mark.parametrize("normalization,alpha,expected_alpha", [
    ("batch_norm", None, 0.0), ("layer_norm", None, 0.0),
    ("none", None, 0.5), ("batch_norm", 0.5, 0.5), ("none", 0.0, 0.0)])
def test_alpha_default_depends_on_normalization(normalization, alpha,
                                                expected_alpha):
  layer = GRWSmoothing(4, alpha=alpha, normalization=normalization)
  assert layer.effective_alpha == expected_alpha
  assert layer.get_config()["alpha"] == alpha  # The argument, not derived.


def test_none_normalization_loss_is_plain_grw():
  seq = _clip((3, 8, 5))
  layer = GRWSmoothing(4, weight=2.0, normalization="none")
  layer(seq, training=True)
  expected = 2.0 * float(tf_grw.grw_loss(seq, 4, alpha=0.5))
  assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-6)


def test_center_per_frame_loss_by_hand():
  # Batch norm by hand, then the batch mean at each frame index removed.
  x = _clip((4, 8, 5))
  layer = GRWSmoothing(4, weight=1.0, center_per_frame=True)
  layer(x, training=True)
  flat = x.reshape(-1, 5).astype(np.float64)
  normed = ((flat - flat.mean(0)) / np.sqrt(flat.var(0) + 1e-3)).reshape(
      x.shape)
  centered = normed - normed.mean(axis=0, keepdims=True)
  expected = tf_grw.grw_loss(centered.astype(np.float32), 4, alpha=0.0)
  assert float(layer.losses[0]) == pytest.approx(float(expected), rel=1e-5)


def test_center_per_frame_ignores_a_shared_clock():
  # A drift with the frame index shared by every clip (a "clock") changes the
  # plain loss but not the centered one; centering over time instead of over
  # the batch would fail the second assertion.
  x = _clip((6, 8, 5), seed=1)
  clock = 3.0 * np.arange(8, dtype=np.float32)[None, :, None] * np.ones(
      (1, 1, 5), np.float32)

  def loss(inputs, center):
    layer = GRWSmoothing(8, weight=1.0, normalization="none", alpha=0.0,
                         center_per_frame=center)
    layer(inputs, training=True)
    return float(layer.losses[0])

  assert loss(x + clock, False) < 0.5 * loss(x, False)
  assert loss(x + clock, True) == pytest.approx(loss(x, True), rel=1e-4)


def test_no_loss_and_no_ops_at_inference():
  layer = GRWSmoothing(4)
  x = _clip()
  layer(x, training=False)
  assert layer.losses == []

  @tf.function
  def infer(t):
    return layer(t, training=False)

  graph = infer.get_concrete_function(tf.TensorSpec(x.shape)).graph
  op_types = {op.type for op in graph.get_operations()}
  assert op_types <= {"Placeholder", "Identity", "NoOp"}, op_types


def test_functional_model_losses_only_in_training():
  model = _small_model()
  x = _clip()
  model(x, training=True)
  assert len(model.losses) == 1 and float(model.losses[0]) > 0
  model(x, training=False)
  assert model.losses == []
  model(x)  # Default call is inference.
  assert model.losses == []


def test_fit_reports_grw_loss_and_trains():
  model = _small_model()
  model.compile(tf_keras.optimizers.Adam(0.01),
                tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
  x = _clip((16, 8, 4, 4, 6), seed=1)
  y = np.arange(16) % 3
  history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
  assert "grw_loss" in history.history
  assert history.history["loss"][-1] < history.history["loss"][0]
  assert history.history["grw_loss"][-1] > 0


def test_subclassed_model():

  class Net(tf_keras.Model):

    def __init__(self):
      super().__init__()
      self.conv = tf_keras.layers.Conv3D(4, 1)
      self.grw = GRWSmoothing(4)
      self.pool = tf_keras.layers.GlobalAveragePooling3D()

    def call(self, x, training=None):
      return self.pool(self.grw(self.conv(x), training=training))

  net = Net()
  net(_clip(), training=True)
  assert len(net.losses) == 1
  net(_clip(), training=False)
  assert net.losses == []


def test_pruned_layer_is_detected():
  inputs = tf_keras.Input((8, 5))
  x = GRWSmoothing(4, name="kept")(inputs)
  GRWSmoothing(4, name="dropped")(x)  # Output discarded: pruned by Keras.
  model = tf_keras.Model(inputs, tf_keras.layers.Dense(2)(x))
  missing = tf_grw.find_disconnected_grw_layers(model)
  assert [l.name for l in missing] == ["dropped"]
  with pytest.raises(ValueError, match=r"GRWSmoothing layer\(s\) dropped are "
                     r"not connected to the outputs of model"):
    tf_grw.assert_grw_connected(model)
  good = _small_model()
  tf_grw.assert_grw_connected(good)  # No error.


def test_config_round_trip():
  layer = GRWSmoothing(5, weight=0.3, alpha=0.2, normalization="layer_norm",
                       orderings="sampled", num_orderings=10, seed=4,
                       metric_name="grw_block4", center_per_frame=True,
                       name="g")
  config = layer.get_config()
  assert config["center_per_frame"] is True
  assert "effective_alpha" not in config and "autocast" not in config
  clone = GRWSmoothing.from_config(config)
  assert clone.get_config() == config
  restored = tf_keras.layers.deserialize(tf_keras.layers.serialize(layer))
  assert isinstance(restored, GRWSmoothing) and restored.window == 5


@pytest.mark.parametrize("fmt", ["keras", "tf"])
def test_save_and_reload(tmp_path, fmt):
  model = _small_model()
  x = _clip()
  model(x, training=True)  # Updates batch-norm statistics.
  path = str(tmp_path / ("model.keras" if fmt == "keras" else "saved"))
  model.save(path, save_format=fmt) if fmt == "tf" else model.save(path)
  restored = tf_keras.models.load_model(path)
  np.testing.assert_allclose(restored(x, training=False).numpy(),
                             model(x, training=False).numpy(), rtol=1e-6)
  if fmt == "keras":
    restored(x, training=True)
    assert len(restored.losses) == 1


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
  tf_keras.mixed_precision.set_global_policy(policy)
  try:
    model = _small_model()
    x = _clip()
    out = model(x, training=True)
    assert len(model.losses) == 1
    loss = model.losses[0]
    assert loss.dtype == tf.float32
    assert np.isfinite(float(loss)) and float(loss) > 0
    assert out.dtype == tf.as_dtype(policy.split("_")[1])
  finally:
    tf_keras.mixed_precision.set_global_policy("float32")


def test_passthrough_keeps_input_dtype():
  layer = GRWSmoothing(4)
  x = tf.cast(_clip(), tf.float16)
  out = layer(x, training=True)
  assert out.dtype == tf.float16
  assert layer.losses[0].dtype == tf.float32


def test_mirrored_strategy_gradient_equals_single_device():
  """One global batch on 2 replicas gives the single-device gradient."""
  x = _clip((8, 8, 4, 4, 6), seed=2)
  y = np.arange(8) % 3

  def build(weight=0.1):
    tf_keras.utils.set_random_seed(0)
    model = _small_model(normalization="layer_norm", weight=weight)  # BN stats are per
    # replica (not synced) under MirroredStrategy; layer norm is per sample.
    model.compile(tf_keras.optimizers.SGD(1.0),
                  tf_keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True))
    return model

  single = build()
  before = [w.numpy() for w in single.trainable_weights]
  single.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
  single_step = [b - w.numpy() for b, w in zip(before,
                                               single.trainable_weights)]

  # Reduction through one device: collective all-reduce keys of strategies
  # in one test process can collide (see fit_test.py).
  strategy = tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())
  assert strategy.num_replicas_in_sync == 2
  with strategy.scope():
    mirrored = build()
  for w, b in zip(mirrored.trainable_weights, before):
    np.testing.assert_array_equal(w.numpy(), b)
  history = mirrored.fit(x, y, batch_size=8, epochs=1, shuffle=False,
                         verbose=0)
  assert history.history["grw_loss"][0] > 0
  mirrored_step = [b - w.numpy() for b, w in zip(before,
                                                 mirrored.trainable_weights)]
  # With SGD(lr=1) the step is the gradient. The GRW term dominates the
  # gradient of the conv kernel, which only it and the CE see.
  for s, m in zip(single_step, mirrored_step):
    np.testing.assert_allclose(m, s, rtol=1e-4, atol=1e-6)
  # The GRW term really contributes to the step, so a wrong per-replica
  # scaling of the add_loss term would break the equality above.
  no_grw = build(weight=0.0)
  no_grw.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
  conv_step = before[0] - no_grw.trainable_weights[0].numpy()
  assert np.abs(conv_step - single_step[0]).max() > 1e-3 * np.abs(
      single_step[0]).max()


@pytest.mark.parametrize("kwargs,message", [
    (dict(window=2), r"Invalid value received for argument `window`\. "
     r"Expected an integer >= 3\. Received: window=2"),
    (dict(window=4, normalization="group"),
     r"argument `normalization`\. Expected one of 'batch_norm', "
     r"'layer_norm', 'none'\. Received: normalization='group'"),
    (dict(window=4, weight=-1), r"argument `weight`\. Expected a float >= 0\. "
     r"Received: weight=-1"),
    (dict(window=4, alpha=-0.5), r"argument `alpha`\. Expected a float >= 0"),
    (dict(window=4, orderings="all"), r"argument `orderings`"),
    (dict(window=4, center_per_frame="yes"), r"argument `center_per_frame`\. "
     r"Expected a bool\. Received: center_per_frame='yes'"),
])
def test_constructor_errors(kwargs, message):
  with pytest.raises(ValueError, match=message):
    GRWSmoothing(**kwargs)


def test_input_errors():
  with pytest.raises(ValueError, match=r"argument `inputs`\. Expected a tensor "
                     r"of rank 3 \[batch, steps, channels\] or rank 5"):
    GRWSmoothing(4)(np.zeros((2, 8, 4, 5), np.float32), training=True)
  with pytest.raises(ValueError, match=r"argument `inputs`\. Expected at least "
                     r"window=6 steps on axis 1"):
    GRWSmoothing(6)(np.zeros((2, 4, 5), np.float32), training=True)


def test_metric_exists_before_the_first_call_and_stays_out_of_checkpoints(
    tmp_path):
  inputs = tf_keras.Input((8, 4))
  layer = GRWSmoothing(4, metric_name="grw_loss_x")
  model = tf_keras.Model(inputs, tf_keras.layers.Dense(2)(
      tf_keras.layers.Flatten()(layer(inputs))))
  # A trainer that collects `model.metrics` before training sees it.
  assert [m.name for m in model.metrics] == ["grw_loss_x"]
  x = np.random.default_rng(0).normal(size=(4, 8, 4)).astype("float32")
  model(x, training=True)
  # The same batch statistics as the training call.
  expected = float(tf_grw.grw_loss(layer.embeddings(x, training=True), 4,
                                   alpha=0.0))
  np.testing.assert_allclose(float(layer.loss_metric.result()), expected,
                             rtol=1e-5)
  path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
  names = [n for n, _ in tf.train.list_variables(path)]
  assert not [n for n in names if n.endswith(("/total/.ATTRIBUTES/VARIABLE_VALUE",
                                             "/count/.ATTRIBUTES/VARIABLE_VALUE"))], names

"""Tests of `tf_grw.mobilenet_grw` (per-frame MobileNetV3 with GRW).

Inputs are tiny (5 frames of 32x32) and most models use width 0.5 so that the
suite stays fast on a 2-core CPU.
"""

import doctest
import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.vision.modeling.backbones import mobilenet
from tf_grw import export
from tf_grw import mobilenet_grw
from tf_grw.mobilenet_grw import build_mobilenet_grw
from tf_grw.mobilenet_grw import MobilenetGRWClassifier
from tf_grw.mobilenet_grw import MobilenetVideoClassifier
from tf_grw.mobilenet_grw import MobilenetVideoStream

FRAMES, SIZE, CLASSES = 5, 32, 3


def _video(batch=2, frames=FRAMES, seed=0):
  return np.random.default_rng(seed).random(
      (batch, frames, SIZE, SIZE, 3)).astype("float32")


def _calibrate(model, seed=0):
  """Realistic activations and logits far from 0, so that parity is a test.

  A fresh MobileNet's inference activations shrink layer after layer (unit
  moving variances); the models are built with `norm_momentum=0`, so one
  training call sets every moving statistic to the batch statistics. The
  classifier then gets random kernels (3 / sqrt(fan-in)) and no bias.
  """
  model(_video(batch=4, seed=seed + 10), training=True)
  head = model.temporal_head.classifier if model.temporal_head else (
      model.classifier)
  rng = np.random.default_rng(seed)
  fan_in = head.kernel.shape[0]
  head.kernel.assign(rng.normal(scale=3 / np.sqrt(fan_in),
                                size=head.kernel.shape).astype("float32"))
  head.bias.assign(tf.zeros_like(head.bias))


@pytest.fixture(scope="module")
def tsm_mean():
  model = build_mobilenet_grw(
      num_classes=CLASSES, filter_size_scale=0.5, temporal_shift=True,
      grw_endpoints=["level3", "embedding"], window=4, dropout_rate=0.0,
      norm_momentum=0.0)
  _calibrate(model)
  return model


@pytest.fixture(scope="module")
def tsm_transformer():
  model = build_mobilenet_grw(
      num_classes=CLASSES, filter_size_scale=0.5, temporal_shift=True,
      head="transformer", embed_dim=16, transformer_heads=2,
      grw_endpoints=["embedding"], window=4, norm_momentum=0.0)
  _calibrate(model)
  return model


# -- building -----------------------------------------------------------------


@pytest.mark.parametrize("model_id,scale", [
    ("MobileNetV3Small", 1.0), ("MobileNetV3Large", 1.0),
    ("MobileNetV3Small", 0.75)])
def test_backbone_is_the_official_one(model_id, scale):
  model = build_mobilenet_grw(model_id, num_classes=600,
                              filter_size_scale=scale)
  official = mobilenet.MobileNet(model_id=model_id, filter_size_scale=scale)
  assert model.backbone.count_params() == official.count_params()
  channels = official.output[max(official.output, key=int)].shape[-1]
  assert model.feature_channels == channels  # 1024 (S), 1280 (L).
  # Backbone + Dense(600) + the GRW layer's batch norm (no scale / center).
  assert model.count_params() == (official.count_params() + channels * 600
                                   + 600 + 2 * channels)


def test_levels_are_model_garden_endpoints():
  model = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.5,
                              grw_endpoints=["level2", "level5", "block2"],
                              window=3)
  assert [s.endpoint for s in model.grw_specs] == ["block1", "block11",
                                                   "block2"]
  assert model.grw_channels("block11") == model.backbone.output["5"].shape[-1]


def test_endpoint_patterns():
  model = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.5,
                              grw_endpoints=["block1?"], window=3)
  assert [s.endpoint for s in model.grw_specs] == ["block10", "block11",
                                                   "block12"]


@pytest.mark.parametrize("kwargs,message", [
    (dict(model_id="MobileNetV2"), "argument `model_id`. Expected one of"),
    (dict(head="lstm"), "argument `head`. Expected one of"),
    (dict(filter_size_scale=0), "Expected a float > 0"),
    (dict(grw_endpoints=["stem"]), "Expected endpoint names of "
     "MobileNetV3Small .*level2, level3"),
    (dict(grw_endpoints=["level3", "block3"]), "each endpoint at most once"),
    (dict(num_frames=4, window=5), "Expected an integer <= num_frames=4"),
    (dict(window=2), "Expected an integer >= 3"),
    (dict(input_normalization="center"), "input_normalization"),
    (dict(stream="yes"), "argument `stream`"),
])
def test_bad_arguments(kwargs, message):
  kwargs = {"num_classes": CLASSES, "filter_size_scale": 0.5, **kwargs}
  with pytest.raises(ValueError, match=message):
    build_mobilenet_grw(**kwargs)


# -- GRW ------------------------------------------------------------------------


def test_grw_loss_only_in_training(tsm_mean):
  x = _video()
  tsm_mean(x, training=True)
  losses = [float(l) for l in tsm_mean.losses]
  assert len(losses) == 2 and all(np.isfinite(losses)) and sum(losses) > 0
  assert [float(l) for l in tsm_mean.grw_losses] == losses
  tsm_mean(x, training=False)
  assert not tsm_mean.losses
  tsm_mean(x)  # training=None: inference.
  assert not tsm_mean.losses


def test_grw_loss_values_match_the_layer(tsm_mean):
  """The level3 tap sees the spatial mean per frame of that block."""
  x = _video()
  tsm_mean(x, training=True)
  features = tsm_mean.per_frame_embeddings(x)
  layer = tsm_mean.grw_layers[0]
  # The layer's batch norm in training mode normalizes with batch statistics.
  expected = layer(features["block3"], training=True)
  del expected
  assert float(layer.losses[0]) == pytest.approx(float(tsm_mean.losses[0]),
                                                 rel=1e-4)


def test_grw_gradients_reach_the_backbone(tsm_mean):
  x = tf.constant(_video())
  with tf.GradientTape() as tape:
    tsm_mean(x, training=True)
    loss = tsm_mean.losses[0]  # The level3 tap only.
  grads = tape.gradient(loss, tsm_mean.backbone.trainable_variables)
  nonzero = [g for g in grads if g is not None and float(tf.norm(g)) > 0]
  assert nonzero


# -- temporal shift -------------------------------------------------------------


@pytest.mark.parametrize("causal", [True, False])
def test_temporal_shift_mixes_neighbouring_frames(causal):
  model = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5,
                                   temporal_shift=True, causal=causal)
  plain = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5)
  x = _video(batch=1)
  y = x.copy()
  y[:, 2] = 1.0 - y[:, 2]  # Change frame 2 only.
  for m, past_changes, future_changes in (
      (model, not causal, True), (plain, False, False)):
    a = m.per_frame_embeddings(x)["embedding"].numpy()[0]
    b = m.per_frame_embeddings(y)["embedding"].numpy()[0]
    # Frames the change cannot reach are computed bit for bit the same.
    changed = np.abs(a - b).max(axis=-1) > 0
    assert changed[2]
    assert changed[1] == past_changes and changed[0] == past_changes
    assert changed[3] == future_changes


def test_temporal_shift_keeps_official_weights():
  a = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5)
  b = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5,
                               temporal_shift=True)
  assert [v.shape for v in a.weights] == [v.shape for v in b.weights]


# -- inference and streaming ----------------------------------------------------


@pytest.mark.parametrize("fixture", ["tsm_mean", "tsm_transformer"])
def test_inference_model_equals_and_has_no_grw(fixture, request):
  model = request.getfixturevalue(fixture)
  plain = model.inference_model()
  assert type(plain) is MobilenetVideoClassifier  # pylint: disable=unidiomatic-typecheck
  assert not any("grw" in v.name for v in plain.weights)
  x = _video()
  np.testing.assert_allclose(plain(x), model(x, training=False), atol=1e-5)


@pytest.mark.parametrize("fixture", ["tsm_mean", "tsm_transformer"])
def test_stream_frame_by_frame_equals_clip_prefixes(fixture, request):
  model = request.getfixturevalue(fixture)
  stream = model.inference_model(streaming=True)
  assert isinstance(stream, MobilenetVideoStream)
  x = _video()
  states = stream.init_states([2, 1, SIZE, SIZE, 3])
  assert any(k.startswith("state_shift_block") for k in states)
  for t in range(FRAMES):
    logits, states = stream({**states, "image": x[:, t:t + 1]})
    clip = model(x[:, :t + 1], training=False).numpy()
    assert np.abs(clip).max() > 0.1  # Not trivially zero.
    np.testing.assert_allclose(logits, clip, atol=1e-4)
  assert states["state_head_count"].numpy().tolist() == [FRAMES, FRAMES]


def test_stream_state_specs_match_the_states(tsm_mean):
  stream = tsm_mean.inference_model(streaming=True)
  specs = stream.initial_state_specs([1, 1, SIZE, SIZE, 3])
  states = stream.init_states([1, 1, SIZE, SIZE, 3])
  _, new_states = stream({**states, "image": _video(batch=1)[:, :1]})
  assert sorted(specs) == sorted(states) == sorted(new_states)
  for name, spec in specs.items():
    assert tuple(spec.shape) == tuple(new_states[name].shape), name


def test_non_causal_models_do_not_stream():
  model = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.5,
                              stream=False, temporal_shift=True)
  with pytest.raises(ValueError, match="causal"):
    model.inference_model(streaming=True)
  # The mean head without a shift streams whatever `stream` says.
  model = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.5,
                              stream=False)
  assert isinstance(model.inference_model(streaming=True),
                    MobilenetVideoStream)


def test_stream_refuses_clips(tsm_mean):
  stream = tsm_mean.inference_model(streaming=True)
  states = stream.init_states([1, 1, SIZE, SIZE, 3])
  with pytest.raises(ValueError, match="one frame per call"):
    stream({**states, "image": _video(batch=1)})
  with pytest.raises(ValueError, match="stream states and 'image'"):
    stream({"image": _video(batch=1)[:, :1]})


def test_tflite_stream_parity(tsm_mean, tmp_path):
  path = export.export_tflite(tsm_mean, tmp_path / "mobilenet.tflite",
                              image_size=(SIZE, SIZE))
  x = _video(seed=3)
  scale = np.abs(tsm_mean(x, training=False)).max()
  assert scale > 0.1
  result = export.verify_tflite(path, tsm_mean, x)
  assert result["max_abs_diff"] < 1e-5 * scale + 1e-5
  assert result["top1_agreement"] == 1.0
  assert result["num_frames"] == 2 * FRAMES


def test_saved_model_stream_and_base(tsm_transformer, tmp_path):
  x = _video(batch=1)
  expected = tsm_transformer(x, training=False).numpy()
  base = export.export_saved_model(tsm_transformer, tmp_path / "base",
                                   streaming=False)
  logits = tf.saved_model.load(base).signatures["serving_default"](
      image=tf.constant(x))["logits"]
  np.testing.assert_allclose(logits, expected, atol=1e-4)
  stream_dir = export.export_saved_model(tsm_transformer, tmp_path / "stream",
                                         streaming=True)
  loaded = tf.saved_model.load(stream_dir)
  states = loaded.signatures["init_states"](
      tf.constant([1, 1, SIZE, SIZE, 3], tf.int32))
  for t in range(FRAMES):
    out = dict(loaded.signatures["serving_default"](
        image=tf.constant(x[:, t:t + 1]), **states))
    logits = out.pop("logits")
    states = out
  np.testing.assert_allclose(logits, expected, atol=1e-4)


# -- training ---------------------------------------------------------------------


def test_fit_lowers_loss_and_logs_grw():
  tf_keras.utils.set_random_seed(0)
  model = build_mobilenet_grw(num_classes=2, filter_size_scale=0.35,
                              grw_endpoints=["level4", "embedding"], window=4,
                              dropout_rate=0.0)
  model.compile(
      optimizer=tf_keras.optimizers.Adam(3e-3),
      loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
  x = _video(batch=8, seed=1)
  y = np.array([0, 1] * 4)
  x[y == 1] = x[y == 1, ::-1]  # Class 1 plays backwards: time matters.
  history = model.fit(x, y, batch_size=4, epochs=6, verbose=0)
  losses = history.history["loss"]
  assert losses[-1] < losses[0]
  for key in ("grw_loss", "grw_loss_block8", "grw_loss_embedding"):
    assert key in history.history and np.isfinite(history.history[key]).all()


def test_mixed_bfloat16_trains_and_streams():
  """Model Garden's Kinetics experiments run in mixed bfloat16."""
  tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
  try:
    model = build_mobilenet_grw(
        num_classes=CLASSES, filter_size_scale=0.35, temporal_shift=True,
        head="transformer", embed_dim=16, transformer_heads=2,
        grw_endpoints=["embedding", "level3"], window=4)
    x = tf.constant(_video(), tf.bfloat16)
    with tf.GradientTape() as tape:
      logits = model(x, training=True)
      loss = tf.reduce_sum(tf.cast(logits, tf.float32)) + tf.add_n(
          model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    assert logits.dtype == tf.bfloat16
    assert all(l.dtype == tf.float32 and np.isfinite(float(l))
               for l in model.losses)
    assert all(g is not None for g in grads)
    stream = model.inference_model(streaming=True)
    states = stream.init_states([2, 1, SIZE, SIZE, 3])
    logits, states = stream({**states, "image": x[:, :1]})
    assert logits.shape == (2, CLASSES)
  finally:
    tf_keras.mixed_precision.set_global_policy("float32")


# -- checkpoints and config ----------------------------------------------------


def test_load_pretrained_model_garden_checkpoint(tmp_path):
  source = mobilenet.MobileNet(model_id="MobileNetV3Small",
                               filter_size_scale=0.5)
  for i, v in enumerate(source.weights):
    v.assign(tf.fill(v.shape, 0.01 * (i + 1)))
  prefix = tf.train.Checkpoint(backbone=source).write(
      os.fspath(tmp_path / "ckpt"))
  model = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.5,
                              temporal_shift=True)
  report = model.load_pretrained(prefix)
  assert len(report.loaded) == len(source.weights) and not report.missing
  for a, b in zip(source.weights, model.backbone.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  wide = build_mobilenet_grw(num_classes=CLASSES, filter_size_scale=0.75)
  with pytest.raises(ValueError, match="does not fit the MobileNetV3Small"):
    wide.load_pretrained(prefix)
  with pytest.raises(ValueError, match="argument `checkpoint_path`"):
    model.load_pretrained(os.fspath(tmp_path / "nothing_here"))


def test_get_config_round_trip(tsm_transformer):
  config = tsm_transformer.get_config()
  clone = MobilenetGRWClassifier.from_config(config)
  assert clone.get_config() == config
  clone.set_weights(tsm_transformer.get_weights())
  x = _video()
  np.testing.assert_allclose(clone(x, training=False),
                             tsm_transformer(x, training=False), atol=1e-6)


def test_docstring_examples():
  result = doctest.testmod(mobilenet_grw, optionflags=doctest.ELLIPSIS)
  assert result.failed == 0 and result.attempted > 0

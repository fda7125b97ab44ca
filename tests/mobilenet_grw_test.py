"""Tests of `tf_grw.models.mobilenet.mobilenet_grw` (per-frame MobileNetV3 with GRW).

Inputs are tiny (5 frames of 32x32) and most models use width 0.5 so that the
suite stays fast on a 2-core CPU (see `mobilenet_fixtures`). The block chain
and the stream model have their own tests (`mobilenet_backbone_test`,
`mobilenet_stream_test`).
"""

import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.vision.modeling.backbones import mobilenet
from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
from tf_grw.models.mobilenet.mobilenet_grw import MobilenetGRWClassifier
from tf_grw.models.mobilenet.mobilenet_grw import MobilenetVideoClassifier
# pylint: disable=g-bad-import-order,unused-import
from mobilenet_fixtures import CLASSES, SIZE, video
from mobilenet_fixtures import tsm_mean, tsm_transformer
# pylint: enable=g-bad-import-order,unused-import


# -- building -----------------------------------------------------------------


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
  x = video()
  tsm_mean(x, training=True)
  losses = [float(l) for l in tsm_mean.losses]
  assert len(losses) == 2 and all(np.isfinite(losses)) and sum(losses) > 0
  assert [float(l) for l in tsm_mean.grw_losses] == losses
  tsm_mean(x, training=False)
  assert not tsm_mean.losses
  tsm_mean(x)  # training=None: inference.
  assert not tsm_mean.losses


def test_each_grw_loss_comes_from_the_endpoint_it_names():
  """weight * GRW loss of each tap, by hand from Model Garden's endpoints.

  The frames go through the official MobileNet backbone as one batch laid
  out by hand (clip-major), its level endpoints are pooled over space and
  regrouped into clips in NumPy and scored by the float64 brute force of the
  paper's definition. The taps differ in weight, alpha and normalization,
  so swapped taps, a wrong level-to-block mapping or a scrambled
  [B*T] -> [B, T] regrouping fail.
  """
  from grw_loss_test import brute_force  # pylint: disable=g-import-not-at-top
  from movinet_grw_test import _batch_norm  # pylint: disable=g-import-not-at-top
  tf_keras.utils.set_random_seed(2)
  frames = 5
  taps = {"level3": ("3", 0.4, 0.5, "none"),
          "level5": ("5", 1.1, 0.25, "batch_norm")}
  model = build_mobilenet_grw(
      num_classes=CLASSES, filter_size_scale=0.5, head="mean",
      temporal_shift=False, input_normalization="none", window=frames,
      grw_endpoints=[{"endpoint": e, "weight": w, "alpha": a,
                      "normalization": n}
                     for e, (_, w, a, n) in taps.items()])
  # Each clip brightens steadily in its own color.
  ramp = np.linspace(0, 0.6, frames)[None, :, None, None, None]
  colors = np.eye(3)[:, None, None, None, :]
  x = (0.3 * video(batch=3, frames=frames, seed=4) + ramp * colors).astype(
      "float32")
  model(x, training=True)
  losses = [float(l) for l in model.losses]
  flat = np.concatenate([x[b] for b in range(len(x))])  # Clip-major frames.
  levels = model.backbone(tf.constant(flat), training=True)

  def by_hand(level, weight, alpha, normalization, regroup=None):
    pooled = np.asarray(levels[level], np.float64).mean(axis=(1, 2))
    z = np.stack([pooled[b * frames:(b + 1) * frames] for b in range(len(x))])
    if regroup is not None:
      z = regroup(z)
    if normalization == "batch_norm":
      z = _batch_norm(z)
    return weight * brute_force(z, frames, alpha)[0]

  expected = [by_hand(*settings) for settings in taps.values()]
  np.testing.assert_allclose(losses, expected, rtol=2e-4)
  # Teeth: the taps' values are far apart, and a frame-major regrouping of
  # the same features (a scrambled reshape) gives another value.
  assert min(expected) > 0 and max(expected) > 1.2 * min(expected)
  for settings, value in zip(taps.values(), expected):
    scrambled = by_hand(*settings, regroup=lambda z: z.reshape(-1).reshape(
        z.shape[1], z.shape[0], -1).transpose(1, 0, 2))
    assert abs(scrambled - value) > 0.02 * value, settings


def test_grw_gradients_reach_the_backbone(tsm_mean):
  x = tf.constant(video())
  with tf.GradientTape() as tape:
    tsm_mean(x, training=True)
    loss = tsm_mean.losses[0]  # The level3 tap only.
  grads = tape.gradient(loss, tsm_mean.backbone.trainable_variables)
  nonzero = [g for g in grads if g is not None and float(tf.norm(g)) > 0]
  assert nonzero


# -- inference ----------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["tsm_mean", "tsm_transformer"])
def test_inference_model_equals_and_has_no_grw(fixture, request):
  model = request.getfixturevalue(fixture)
  plain = model.inference_model()
  assert type(plain) is MobilenetVideoClassifier  # pylint: disable=unidiomatic-typecheck
  assert not any("grw" in v.name for v in plain.weights)
  x = video()
  np.testing.assert_allclose(plain(x), model(x, training=False), atol=1e-5)


# -- training ---------------------------------------------------------------------


def test_fit_lowers_loss_and_logs_grw():
  tf_keras.utils.set_random_seed(0)
  model = build_mobilenet_grw(num_classes=2, filter_size_scale=0.35,
                              grw_endpoints=["level4", "embedding"], window=4,
                              dropout_rate=0.0)
  model.compile(
      optimizer=tf_keras.optimizers.Adam(3e-3),
      loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
  x = video(batch=8, seed=1)
  y = np.array([0, 1] * 4)
  x[y == 1] = x[y == 1, ::-1]  # Class 1 plays backwards: time matters.
  history = model.fit(x, y, batch_size=4, epochs=6, verbose=0)
  # One trace of the training step (tf_grw.models.single_trace).
  assert model.train_function.experimental_get_tracing_count() == 1
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
    x = tf.constant(video(), tf.bfloat16)
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
  x = video()
  np.testing.assert_allclose(clone(x, training=False),
                             tsm_transformer(x, training=False), atol=1e-6)

"""Tests of `tf_grw.models.mobilenet.mobilenet_backbone` (the official MobileNet as a block chain)."""

import numpy as np
import pytest

from official.vision.modeling.backbones import mobilenet
from tf_grw.models.mobilenet import mobilenet_backbone
from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
from tf_grw.models.mobilenet.mobilenet_grw import MobilenetVideoClassifier
from mobilenet_fixtures import CLASSES, video  # pylint: disable=g-bad-import-order


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


@pytest.mark.parametrize("causal", [True, False])
def test_temporal_shift_mixes_neighbouring_frames(causal):
  model = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5,
                                   temporal_shift=True, causal=causal)
  plain = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5)
  x = video(batch=1)
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


def test_chain_equals_the_functional_backbone():
  backbone = mobilenet_backbone.make_backbone("MobileNetV3Small", 0.5, 0.99,
                                              1e-3, 0.0, False)
  chain = mobilenet_backbone.BlockChain(backbone)
  frames = video().reshape(-1, 32, 32, 3)
  official = backbone(frames, training=False)
  ours = chain.run(frames, training=False)
  for level, name in chain.levels.items():
    np.testing.assert_array_equal(ours[name], official[level])
  np.testing.assert_array_equal(ours[chain.final],
                                official[max(official, key=int)])
  # The shifted blocks are the residual ones (stride 1).
  assert chain.shifted and all(
      chain.layers[i].get_config()["strides"] == 1 for i in chain.shifted)


def _shift_by_hand(x, batch, causal, shift_div=8):
  """TSM on `[B*T, h, w, c]` NumPy frames, clip-major, written out in loops."""
  frames = len(x) // batch
  fold = x.shape[-1] // shift_div
  out = x.copy()
  for b in range(batch):
    for t in range(frames):
      row = b * frames + t
      out[row, ..., :fold] = x[row - 1, ..., :fold] if t > 0 else 0.0
      if not causal:
        out[row, ..., fold:2 * fold] = (
            x[row + 1, ..., fold:2 * fold] if t < frames - 1 else 0.0)
  return out


@pytest.mark.parametrize("causal", [True, False])
def test_residual_shift_is_x_plus_branch_of_shifted_x(causal):
  """TSM's residual shift, x + F(shift(x)), built independently.

  The model computes it as `block(shift(x)) + (x - shift(x))` with the
  official residual block. Here each residual block is rebuilt without its
  skip connection (`use_residual=False`, same weights: F alone), the shift
  is done by hand in NumPy and the skip added by hand.
  """
  batch = 2
  model = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5,
                                   temporal_shift=True, causal=causal,
                                   input_normalization="none",
                                   norm_momentum=0.0)
  # Realistic activations: one training call sets every moving statistic to
  # batch statistics (a fresh model's inference features are ~1e-8).
  model(video(batch=4, seed=10), training=True)
  x = video(batch=batch)
  ours = model.per_frame(model.block_outputs(x, training=False),
                         model.chain.final).numpy()
  h = x.reshape(-1, *x.shape[2:])
  residual = 0
  for layer in model.chain.layers:
    config = layer.get_config()
    if (config.get("use_residual") and config.get("strides") == 1 and
        config.get("in_filters") == config.get("out_filters")):
      residual += 1
      branch = type(layer).from_config(dict(config, use_residual=False,
                                            name=layer.name + "_branch"))
      branch(h, training=False)  # Creates the weights.
      branch.set_weights(layer.get_weights())
      h = h + branch(_shift_by_hand(h, batch, causal),
                     training=False).numpy()
    else:
      h = layer(h, training=False).numpy()
  assert residual == len(model.chain.shifted) > 0
  scale = np.abs(ours).max()
  assert scale > 0.1
  np.testing.assert_allclose(ours, h.reshape(batch, -1, h.shape[-1]),
                             rtol=1e-5, atol=1e-5 * scale)
  # Teeth: without the shift the features differ by far more.
  plain = MobilenetVideoClassifier(num_classes=CLASSES, filter_size_scale=0.5,
                                   input_normalization="none")
  plain.set_weights(model.get_weights())
  other = plain.per_frame(plain.block_outputs(x, training=False),
                          plain.chain.final).numpy()
  assert np.abs(other - ours).max() > 1e-2 * scale

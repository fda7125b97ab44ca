"""Tests of `tf_grw.mobilenet_backbone` (the official MobileNet as a block chain)."""

import doctest

import numpy as np
import pytest

from official.vision.modeling.backbones import mobilenet
from tf_grw import mobilenet_backbone
from tf_grw.mobilenet_grw import build_mobilenet_grw
from tf_grw.mobilenet_grw import MobilenetVideoClassifier
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


def test_docstring_examples():
  result = doctest.testmod(mobilenet_backbone)
  assert result.failed == 0 and result.attempted > 0

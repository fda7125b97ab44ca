"""Shared MobileNet test models and clips (imported by the mobilenet tests).

Tiny clips (5 frames of 32x32) and width-0.5 models keep the tests fast on
a 2-core CPU; `calibrate` gives them realistic activations and logits so
that equality checks are real tests.
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw

FRAMES, SIZE, CLASSES = 5, 32, 3


def video(batch=2, frames=FRAMES, seed=0):
  return np.random.default_rng(seed).random(
      (batch, frames, SIZE, SIZE, 3)).astype("float32")


def calibrate(model, seed=0):
  """Realistic activations and logits far from 0, so that parity is a test.

  A fresh MobileNet's inference activations shrink layer after layer (unit
  moving variances); the models are built with `norm_momentum=0`, so one
  training call sets every moving statistic to the batch statistics. The
  classifier then gets random kernels (3 / sqrt(fan-in)) and no bias.
  """
  model(video(batch=4, seed=seed + 10), training=True)
  head = model.temporal_head.classifier if model.temporal_head else (
      model.classifier)
  rng = np.random.default_rng(seed)
  fan_in = head.kernel.shape[0]
  head.kernel.assign(rng.normal(scale=3 / np.sqrt(fan_in),
                                size=head.kernel.shape).astype("float32"))
  head.bias.assign(tf.zeros_like(head.bias))


@pytest.fixture(scope="module")
def tsm_mean():
  # Seeded: the parity tolerances were set on these weights, whatever ran
  # before in the same test process.
  tf_keras.utils.set_random_seed(0)
  model = build_mobilenet_grw(
      num_classes=CLASSES, filter_size_scale=0.5, temporal_shift=True,
      grw_endpoints=["level3", "embedding"], window=4, dropout_rate=0.0,
      norm_momentum=0.0)
  calibrate(model)
  return model


@pytest.fixture(scope="module")
def tsm_transformer():
  tf_keras.utils.set_random_seed(1)
  model = build_mobilenet_grw(
      num_classes=CLASSES, filter_size_scale=0.5, temporal_shift=True,
      head="transformer", embed_dim=16, transformer_heads=2,
      grw_endpoints=["embedding"], window=4, norm_momentum=0.0)
  calibrate(model)
  return model

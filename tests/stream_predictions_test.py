"""Tests for tf_grw.export.stream_predictions (per-frame class probabilities).

A tiny calibrated MobileNetV3 video classifier with temporal shift and the
mean of per-frame logits (`mobilenet_fixtures.tsm_mean`) is the reference: after frame t its stream must give the softmax of the whole-clip
model on frames 1..t (computed here by calling the Keras model on the clip's
first t frames, not by streaming), and the float TF Lite export must give the
same probabilities frame by frame.
"""

import re

import numpy as np
import pytest
import tensorflow as tf

from tf_grw import export
from mobilenet_fixtures import tsm_mean  # pylint: disable=g-bad-import-order,unused-import

CLASSES = ["yaw", "pitch", "roll"]


@pytest.fixture(scope="module")
def model(tsm_mean):
  return tsm_mean  # Calibrated: logits far from 0, frames matter.


def _clip():
  return np.random.default_rng(4).random((5, 32, 32, 3)).astype(np.float32)


def _prefix_probabilities(model, clip):
  return np.stack([
      tf.nn.softmax(model(clip[None, :t], training=False))[0].numpy()
      for t in range(1, len(clip) + 1)])


def test_each_frame_equals_the_clip_so_far(model):
  clip = _clip()
  expected = _prefix_probabilities(model, clip)
  assert np.abs(expected[0] - expected[-1]).max() > 1e-4  # Frames matter.
  got = export.stream_probabilities(model, clip)
  np.testing.assert_allclose(got, expected, atol=1e-5)
  np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
  # uint8 clips are scaled by 1/255, as in the exporters.
  uint8 = (clip * 255).round().astype(np.uint8)
  np.testing.assert_allclose(
      export.stream_probabilities(model, uint8),
      _prefix_probabilities(model, uint8.astype(np.float32) / 255), atol=1e-5)


@pytest.mark.slow
def test_tflite_float_and_plot_side_by_side(model, tmp_path):
  path = str(tmp_path / "stream.tflite")
  export.export_tflite(model, path, image_size=(32, 32))
  clip = _clip()
  np.testing.assert_allclose(export.stream_probabilities(path, clip),
                             _prefix_probabilities(model, clip), atol=1e-5)
  figure = export.plot_stream_predictions(
      {"keras": model, "tflite float": path}, clip, CLASSES,
      str(tmp_path / "stream.png"), top_k=2, title="tiny")
  from matplotlib.image import imread  # pylint: disable=g-import-not-at-top
  image = imread(figure)
  assert image.shape[1] > 2 * image.shape[0]  # Two panels side by side.


def test_bad_arguments(model, tmp_path):
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `class_names`. Expected 3 names "
      "(one per class)")):
    export.plot_stream_predictions(model, _clip(), ["a"], str(tmp_path / "x"))
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `top_k`. Expected an integer >= "
      "1. Received: top_k=0")):
    export.plot_stream_predictions(model, _clip(), CLASSES,
                                   str(tmp_path / "x"), top_k=0)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `clip`. Expected a single clip")):
    export.stream_probabilities(model, np.zeros((2, 3, 32, 32, 3)))

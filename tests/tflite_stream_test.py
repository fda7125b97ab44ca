"""Tests of `tf_grw.export.tflite_stream` (running and verifying streaming TF Lite).

The stream model here is a tiny hand-written one, not a MoViNet (those are
covered end to end in export_test.py): each call adds the frame's mean color
to a running-sum state and returns `logits = state @ W`, so the expected
per-frame logits are a cumulative sum computed in numpy.
"""

import re

import numpy as np
import pytest
import tensorflow as tf

from tf_grw.export import tflite_stream

SIZE, CLASSES = 8, 4
_W = np.random.default_rng(0).normal(size=(3, CLASSES)).astype(np.float32)


class _RunningSum(tf.Module):

  @tf.function(input_signature=[{
      "image": tf.TensorSpec([1, 1, SIZE, SIZE, 3], tf.float32, name="image"),
      "state_sum": tf.TensorSpec([1, 3], tf.float32, name="state_sum"),
  }])
  def serve(self, inputs):
    total = inputs["state_sum"] + tf.reduce_mean(inputs["image"], [1, 2, 3])
    return {"logits": tf.matmul(total, tf.constant(_W)), "state_sum": total}


def _expected(clip):
  """Logits after each frame [N, CLASSES] of `_RunningSum` on [1, N, H, W, 3]."""
  return np.cumsum(clip[0].mean(axis=(1, 2)), axis=0) @ _W


def _clip(frames=5, seed=1):
  return np.random.default_rng(seed).random(
      (1, frames, SIZE, SIZE, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("running_sum") / "saved_model")
  module = _RunningSum()
  tf.saved_model.save(module, path, signatures={
      "serving_default": module.serve.get_concrete_function()})
  return path


@pytest.fixture(scope="module")
def tflite_path(saved_model, tmp_path_factory):
  converter = tf.lite.TFLiteConverter.from_saved_model(
      saved_model, signature_keys=["serving_default"])
  path = tmp_path_factory.mktemp("running_sum") / "stream.tflite"
  path.write_bytes(converter.convert())
  return path


def test_run_carries_states_frame_by_frame(tflite_path):
  clip = _clip()
  logits = tflite_stream.run_tflite_stream(tflite_path, clip)
  assert logits.shape == (5, CLASSES)
  np.testing.assert_allclose(logits, _expected(clip), rtol=1e-5, atol=1e-5)
  # One clip without the batch axis is the same clip.
  np.testing.assert_allclose(
      tflite_stream.run_tflite_stream(tflite_path, clip[0]), logits)


def test_uint8_frames_are_scaled_to_unit_range(tflite_path):
  clip = (_clip() * 255).round().astype(np.uint8)
  np.testing.assert_allclose(
      tflite_stream.run_tflite_stream(tflite_path, clip),
      _expected(clip.astype(np.float32) / 255), rtol=1e-5, atol=1e-5)


def test_verify_against_a_stream_saved_model(tflite_path, saved_model):
  clips = [_clip(seed=s) for s in range(3)] + [_clip(frames=2, seed=9)[0]]
  result = tflite_stream.verify_tflite(tflite_path, saved_model, clips)
  assert result["num_clips"] == 4 and result["num_frames"] == 3 * 5 + 2
  assert result["max_abs_diff"] < 1e-5 and result["top1_agreement"] == 1.0
  assert result["latency_ms_median"] >= 0


def test_as_clips_splits_batches_and_lists():
  batch = np.zeros((3, 2, SIZE, SIZE, 3), np.uint8)
  clips = tflite_stream.as_clips([batch, np.ones((4, SIZE, SIZE, 3))], "clips")
  assert [c.shape for c in clips] == [(1, 2, SIZE, SIZE, 3)] * 3 + [
      (1, 4, SIZE, SIZE, 3)]
  assert all(c.dtype == np.float32 for c in clips)


@pytest.mark.parametrize("clips", [
    np.zeros((SIZE, SIZE, 3)), np.zeros((2, SIZE, SIZE, 4)), [], 3.0,
    np.zeros((1, 0, SIZE, SIZE, 3))])
def test_bad_clips_get_a_clear_error(clips):
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `clips`. Expected a non-empty "
      "clip [N, H, W, 3]")):
    tflite_stream.as_clips(clips, "clips")


def test_wrong_frame_size_and_several_clips_are_rejected(tflite_path):
  with pytest.raises(ValueError, match=re.escape(
      "Expected frames of shape (8, 8, 3) (the TF Lite model's image input). "
      "Received: clip=<clip of shape (1, 2, 9, 8, 3)>")):
    tflite_stream.run_tflite_stream(
        tflite_path, np.zeros((2, 9, SIZE, 3), np.float32))
  with pytest.raises(ValueError, match=re.escape(
      "Received: clip=<2 clips>")):
    tflite_stream.run_tflite_stream(tflite_path, np.zeros(
        (2, 2, SIZE, SIZE, 3), np.float32))


def test_a_model_without_an_image_input_is_rejected(tmp_path):

  class _NoImage(tf.Module):

    @tf.function(input_signature=[tf.TensorSpec([1, 3], tf.float32,
                                                name="x")])
    def serve(self, x):
      return {"logits": 2.0 * x}

  module = _NoImage()
  saved = str(tmp_path / "no_image")
  tf.saved_model.save(module, saved, signatures={
      "serving_default": module.serve.get_concrete_function()})
  path = tmp_path / "no_image.tflite"
  path.write_bytes(tf.lite.TFLiteConverter.from_saved_model(saved).convert())
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `path`. Expected a streaming TF "
      "Lite model whose signature takes `image` plus the states")):
    tflite_stream.run_tflite_stream(path, _clip())

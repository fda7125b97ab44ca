"""Tests of `tf_grw.models.mobilenet.mobilenet_stream` (frame-by-frame MobileNet inference)."""

import re

import numpy as np
import pytest
import tensorflow as tf

from tf_grw import export
from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
from tf_grw.models.mobilenet.mobilenet_stream import MobilenetVideoStream
# pylint: disable=g-bad-import-order,unused-import
from graph_fixtures import HEAD_OP_PREFIXES, head_ops, stream_op_names
from mobilenet_fixtures import CLASSES, FRAMES, SIZE, video
from mobilenet_fixtures import tsm_mean, tsm_transformer
# pylint: enable=g-bad-import-order,unused-import


@pytest.mark.parametrize("fixture", ["tsm_mean", "tsm_transformer"])
def test_stream_frame_by_frame_equals_clip_prefixes(fixture, request):
  model = request.getfixturevalue(fixture)
  stream = model.inference_model(streaming=True)
  assert isinstance(stream, MobilenetVideoStream)
  x = video()
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
  _, new_states = stream({**states, "image": video(batch=1)[:, :1]})
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
  with pytest.raises(ValueError, match=re.escape(
      f"Received: inputs=<image of shape (1, {FRAMES}, {SIZE}, {SIZE}, 3)>")):
    stream({**states, "image": video(batch=1)})
  with pytest.raises(ValueError, match="stream states and 'image'") as info:
    stream({"image": video(batch=1)[:, :1]})
  assert "Received: inputs=<dict with keys ['image']>" in str(info.value)


def test_tflite_stream_parity(tsm_mean, tmp_path):
  path = export.export_tflite(tsm_mean, tmp_path / "mobilenet.tflite",
                              image_size=(SIZE, SIZE))
  x = video(seed=3)
  scale = np.abs(tsm_mean(x, training=False)).max()
  assert scale > 0.1
  result = export.verify_tflite(path, tsm_mean, x)
  assert result["max_abs_diff"] < 1e-5 * scale + 1e-5
  assert result["top1_agreement"] == 1.0
  assert result["num_frames"] == 2 * FRAMES


def test_saved_model_stream_and_base(tsm_transformer, tmp_path):
  x = video(batch=1)
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


def test_transformer_head_ops_sit_under_the_head_layer_name(tsm_transformer):
  # What `export_tflite(..., float_layers=["temporal_head"])` selects: the
  # head's ops, and no op of the head outside its name.
  names = stream_op_names(tsm_transformer.inference_model(streaming=True),
                          [1, 1, SIZE, SIZE, 3])
  head = [n.lower() for n in head_ops(names)]
  for prefix in HEAD_OP_PREFIXES:
    assert any(n.startswith(prefix) for n in head), prefix
  outside = [n for n in names if "/temporal_head/" not in n and re.search(
      r"/(affine|input_norm|output_norm|block0|one_hot)\b", n.lower())]
  assert not outside, outside[:5]

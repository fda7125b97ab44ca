"""Tests of `tf_grw.export.exporters` (SavedModel and streaming TF Lite export).

All models are official Model Garden MoViNet stream models of the short A0
of `movinet_fixtures.py` (every stage, one layer each; random weights, ReZero
scales set nonzero so that every residual branch and hence every temporal
state matters) at 32x32: building and converting them dominates the run
time, so the models and exports are shared per module.
"""

import os
import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_model
from tf_grw import export
from tf_grw.export import quantization
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order

SIZE = 32
NUM_CLASSES = 5


def _official(conv_type="2plus1d", use_external_states=False, seed=0):
  """Official stream recipe (Model Garden's TF Lite export flags)."""
  tf_keras.utils.set_random_seed(seed)
  spec = tf_keras.layers.InputSpec(shape=[None, None, None, None, 3])
  backbone = movinet.Movinet(
      model_id=SHORT, causal=True, conv_type=conv_type, se_type="2plus3d",
      activation="hard_swish", gating_activation="hard_sigmoid",
      use_sync_bn=False, use_external_states=use_external_states,
      input_specs=spec)
  model = movinet_model.MovinetClassifier(
      backbone, NUM_CLASSES, output_states=use_external_states,
      input_specs={"image": spec})
  rng = np.random.default_rng(seed)
  scales = [v for v in model.variables if v.name.endswith("/scale:0")]
  assert len(scales) == 5  # One ReZero scale per block layer.
  for v in scales:  # ReZero scales start at 0: residual branches are off.
    v.assign(rng.uniform(0.5, 1.0))
  return model


def _clips(num_clips, num_frames, seed=0):
  """Smooth synthetic videos: a bright square moving over a gradient."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[:SIZE, :SIZE] / SIZE
  clips = np.empty((num_clips, num_frames, SIZE, SIZE, 3), np.float32)
  for i in range(num_clips):
    color, velocity = rng.uniform(size=3), rng.uniform(-3, 3, size=2)
    start = rng.uniform(4, SIZE - 12, size=2)
    for t in range(num_frames):
      y, x = (start + velocity * t).astype(int) % (SIZE - 8)
      frame = np.stack([yy, xx, 0.5 * (yy + xx)], -1) * rng.uniform(0.3, 0.6)
      frame[y:y + 8, x:x + 8] = color
      clips[i, t] = frame + rng.normal(0, 0.02, frame.shape)
  return np.clip(clips, 0, 1)


def _keras_logits(model, clip):
  """Whole-clip (non-streaming) logits of a non-streaming official model."""
  return model({"image": tf.constant(clip)}, training=False).numpy()


@pytest.fixture(scope="module")
def model():
  """A non-streaming official causal classifier (no external states)."""
  return _official()


@pytest.fixture(scope="module")
def stream_model(model):
  """The same weights with external states (what GRW models export)."""
  return export.inference_keras_model(model, streaming=True)


@pytest.fixture(scope="module")
def stream_saved_model(stream_model, tmp_path_factory):
  """Static TF Lite-ready stream SavedModel: 1 frame per call."""
  path = tmp_path_factory.mktemp("export") / "stream"
  return export.export_saved_model(stream_model, path, streaming=True,
                                   image_size=(SIZE, SIZE), num_frames=1,
                                   batch_size=1)


@pytest.fixture(scope="module")
def float_tflite(stream_saved_model, tmp_path_factory):
  path = tmp_path_factory.mktemp("tflite") / "stream.tflite"
  return export.export_tflite(stream_saved_model, path)


def test_stream_saved_model_frame_by_frame_equals_whole_clip(
    model, stream_saved_model):
  loaded = tf.saved_model.load(stream_saved_model)
  assert {"serving_default", "call", "init_states"} <= set(loaded.signatures)
  call = loaded.signatures["serving_default"]
  clip = _clips(1, 8)
  states = loaded.signatures["init_states"](tf.constant(clip.shape, tf.int32))
  # 2plus1d/2plus3d: buffers, pools, counts (16 here; 43 for the whole A0).
  assert len(states) == 16
  assert set(call.structured_input_signature[1]) == {"image", *states}
  for t in range(clip.shape[1]):
    outputs = dict(call(image=tf.constant(clip[:, t:t + 1]), **states))
    logits = outputs.pop("logits").numpy()
    states = outputs
  expected = _keras_logits(model, clip)
  np.testing.assert_allclose(logits, expected, atol=1e-5)
  # Not trivially equal: the last frame alone (fresh states) differs.
  fresh = loaded.signatures["init_states"](tf.constant([1, 1, SIZE, SIZE, 3]))
  alone = call(image=tf.constant(clip[:, -1:]), **fresh)["logits"].numpy()
  assert np.abs(alone - expected).max() > 1e-2


def test_base_saved_model_dynamic_frames(model, stream_model, tmp_path):
  path = export.export_saved_model(stream_model, tmp_path / "base",
                                   streaming=False)
  serve = tf.saved_model.load(path).signatures["serving_default"]
  assert set(serve.structured_input_signature[1]) == {"image"}
  for num_frames in (3, 6):
    clip = _clips(2, num_frames, seed=num_frames)
    logits = serve(image=tf.constant(clip))["logits"].numpy()
    np.testing.assert_allclose(logits, _keras_logits(model, clip), atol=1e-5)
  with pytest.raises(ValueError, match="Expected a stream SavedModel"):
    export.export_tflite(path, tmp_path / "m.tflite", image_size=(SIZE, SIZE))


def test_dynamic_stream_saved_model_takes_chunks(model, stream_model,
                                                tmp_path):
  path = export.export_saved_model(stream_model, tmp_path / "dynamic",
                                   streaming=True)
  loaded = tf.saved_model.load(path)
  clip = _clips(2, 7, seed=7)
  states = loaded.signatures["init_states"](tf.constant(clip.shape, tf.int32))
  for chunk in (clip[:, :3], clip[:, 3:4], clip[:, 4:]):
    outputs = dict(loaded.signatures["call"](image=tf.constant(chunk),
                                             **states))
    logits = outputs.pop("logits").numpy()
    states = outputs
  np.testing.assert_allclose(logits, _keras_logits(model, clip), atol=1e-5)
  with pytest.raises(ValueError, match=re.escape(
      "Expected a stream SavedModel with static shapes (image [1, 1, H, W, "
      "3] and fully defined states)")):
    export.export_tflite(path, tmp_path / "m.tflite", image_size=(SIZE, SIZE))


def test_tflite_float_parity_frame_by_frame(model, float_tflite):
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  signature = Interpreter(model_path=float_tflite).get_signature_list()
  assert list(signature) == ["serving_default"]
  # Written atomically: no partial file is left beside it.
  assert os.listdir(os.path.dirname(float_tflite)) == ["stream.tflite"]
  inputs, outputs = (set(signature["serving_default"][k])
                     for k in ("inputs", "outputs"))
  assert "image" in inputs and "logits" in outputs
  assert inputs - {"image"} == outputs - {"logits"}
  assert "state_block1_layer0_stream_buffer" in inputs

  clips = _clips(3, 8, seed=1)
  result = export.verify_tflite(float_tflite, model, clips)
  assert result["max_abs_diff"] <= 1e-4
  assert result["top1_agreement"] == 1.0
  assert result["num_clips"] == 3 and result["num_frames"] == 24
  assert result["latency_ms_median"] > 0
  per_frame = export.run_tflite_stream(float_tflite, clips[0])
  assert per_frame.shape == (8, NUM_CLASSES)
  np.testing.assert_allclose(
      per_frame[3], _keras_logits(model, clips[:1, :4])[0], atol=1e-4)


def test_verify_against_stream_saved_model(stream_saved_model, float_tflite):
  result = export.verify_tflite(float_tflite, stream_saved_model,
                                _clips(1, 5, seed=2))
  assert result["max_abs_diff"] <= 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["float16", "dynamic"])
def test_float16_and_dynamic_agree_on_top1(stream_saved_model, model,
                                           quantization, tmp_path):
  path = export.export_tflite(stream_saved_model, tmp_path / "q.tflite",
                              quantization=quantization)
  clips = _clips(3, 8, seed=3)
  result = export.verify_tflite(path, model, clips)
  assert result["top1_agreement"] == 1.0, result
  assert result["max_abs_diff"] < 0.05, result


@pytest.mark.slow
def test_int8_end_to_end_keeps_pooling_sums_float(stream_model, model,
                                                   float_tflite, tmp_path):
  calibration = (_clips(3, 4, seed=4) * 255).round().astype(np.uint8)
  path = export.export_tflite(
      stream_model, tmp_path / "int8.tflite", image_size=(SIZE, SIZE),
      quantization="int8", representative_clips=calibration)
  assert os.path.getsize(path) < 0.5 * os.path.getsize(float_tflite)
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_path=path)
  dtypes = {t["name"]: t["dtype"] for t in interpreter.get_tensor_details()}
  assert np.int8 in dtypes.values()  # Activations really are quantized.
  with open(path, "rb") as f:
    pool_nodes = quantization.pool_state_nodes(f.read())
  # Per SE layer and the head: the running sum, its state slice and the mean
  # (17 tensors for the 5 SE layers and the head here).
  assert len(pool_nodes) >= 6
  assert all(dtypes[name] == np.float32 for name in pool_nodes)
  # By default the stem (first convolution, on the raw frame) stays float.
  with open(path, "rb") as f:
    stem = quantization.layer_nodes(f.read(), ["stem"])
  assert stem and all(dtypes[name] == np.float32 for name in stem)
  # Streams 4x longer than the calibration clips stay close to float
  # (measured 2026-12-04: 0.0048 at 16 frames, 0.0089 at 64; the whole A0
  # gave 0.0077 and 0.0076), and it is the float pooling sums that keep them
  # there: quantized like the rest, the growing sums saturate (0.195 at 16
  # frames, 0.234 at 64; the whole A0 0.22 and 0.50).
  long_clips = _clips(2, 16, seed=5)
  result = export.verify_tflite(path, model, long_clips)
  assert result["max_abs_diff"] < 0.05, result
  quantized_pools = export.export_tflite(
      stream_model, tmp_path / "int8_pools.tflite", image_size=(SIZE, SIZE),
      quantization="int8", representative_clips=calibration,
      float_pooling=False)
  worse = export.verify_tflite(quantized_pools, model, long_clips)
  assert worse["max_abs_diff"] > 5 * result["max_abs_diff"], (worse, result)


@pytest.mark.slow
def test_quantization_layer_errors_reports_the_int8_conversion(
    stream_model, float_tflite):
  calibration = _clips(2, 3, seed=7)
  rows = export.quantization_layer_errors(stream_model, (SIZE, SIZE),
                                          calibration, float_layers=["head"])
  errors = [r["rmse/scale"] for r in rows]
  assert errors == sorted(errors, reverse=True)
  # Every conv, SE and head op is quantized and reported (142 tensors here),
  # each within a few quantization steps (measured: at most 0.70 steps here,
  # median 0.013; 0.3-0.5 on a trained whole A0, 2026-12-03; 0.29 is
  # rounding alone).
  assert len(rows) > 100
  assert all(np.isfinite(e) and 0 <= e < 5 for e in errors), rows[:3]
  names = {r["tensor_name"] for r in rows}
  assert any("se_expand" in n for n in names)
  # The running pooling sums stay float (as `export_tflite` keeps them), so
  # none of their tensors is among the quantized ones; the names are those
  # of the float model (else the check below would say nothing).
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  float_names = {t["name"] for t in
                 Interpreter(model_path=float_tflite).get_tensor_details()}
  assert len(names & float_names) > 100  # 137 here.
  with open(float_tflite, "rb") as f:
    pool_nodes = set(quantization.pool_state_nodes(f.read()))
  assert len(pool_nodes) >= 16 and pool_nodes <= float_names
  assert not names & pool_nodes, sorted(names & pool_nodes)[:3]
  # `float_layers=["head"]` keeps the head float; the stage before it and
  # the classifier after it are still quantized.
  def layers(tensor_names):
    return {part for n in tensor_names for part in n.split(";")[0].split("/")}
  assert "head" in layers(float_names) and "head" not in layers(names)
  assert {"block4_layer0", "classifier"} <= layers(names)
  # A stage name selects its layers (one here; several in
  # quantization_test.py); an unknown name selects nothing (`export_tflite`
  # then refuses it: Invalid value ... `float_layers`).
  with open(float_tflite, "rb") as f:
    content = f.read()
  block4 = layers(quantization.layer_nodes(content, ["block4"]))
  assert "block4_layer0" in block4
  assert not {"block3_layer0", "head"} & block4
  assert not quantization.layer_nodes(content, ["block9"])
  with pytest.raises(ValueError, match="`representative_clips`"):
    export.quantization_layer_errors(stream_model, (SIZE, SIZE), None)


def test_3d_conv_type_is_rejected_with_a_clear_message(tmp_path):
  model_3d = _official(conv_type="3d", use_external_states=True)
  expected = (
      "Invalid value received for argument `model_or_saved_model_path`. "
      "Expected a MoViNet built with conv_type='2plus1d': only (2+1)D "
      "convolutions convert to builtin TF Lite ops ('3d' and '3d_2plus1d' "
      "need the Flex ops Conv3D/AvgPool3D). A '3d_2plus1d' model converts "
      "exactly with `tf_grw.export.convert_to_2plus1d(model)` (as Model "
      "Garden's tools/convert_3d_2plus1d.py does); a '3d' model has full 3D "
      "kernels and must be trained or fine-tuned with conv_type='2plus1d' (or "
      "'3d_2plus1d', then converted). "
      "Received: model_or_saved_model_path=<MovinetClassifier conv_type='3d'>")
  with pytest.raises(ValueError, match=re.escape(expected)):
    export.export_tflite(model_3d, tmp_path / "m.tflite",
                         image_size=(SIZE, SIZE))
  assert not (tmp_path / "m.tflite").exists()
  with pytest.raises(ValueError, match="a '3d' model has full 3D kernels"):
    export.convert_to_2plus1d(model_3d)


def test_convert_3d_2plus1d_to_2plus1d(tmp_path):
  source = _official(conv_type="3d_2plus1d", seed=1)
  with pytest.raises(ValueError, match=re.escape(
      "<MovinetClassifier conv_type='3d_2plus1d'>")):
    export.export_tflite(source, tmp_path / "m.tflite", image_size=(SIZE, SIZE))
  converted = export.convert_to_2plus1d(source, verify=False)
  assert converted.backbone.conv_type == "2plus1d"
  assert not converted.backbone.use_external_states
  clip = _clips(1, 4, seed=6)
  np.testing.assert_allclose(_keras_logits(converted, clip),
                             _keras_logits(source, clip), atol=1e-5)


class _GRWLike:
  """Stands in for a GRW model: only `inference_model(streaming=...)`."""

  def __init__(self, plain):
    self.plain = plain
    self.calls = []

  def inference_model(self, streaming):
    self.calls.append(streaming)
    return self.plain


def test_objects_with_inference_model_are_exported_plain(stream_model):
  grw_like = _GRWLike(stream_model)
  assert export.inference_keras_model(grw_like, streaming=True) is stream_model
  assert grw_like.calls == [True]


@pytest.mark.parametrize("kwargs,argument", [
    (dict(quantization="int4"), "quantization"),
    (dict(quantization="int8"), "representative_clips"),
    (dict(quantization="int8", representative_clips=np.zeros((4, 32, 32))),
     "representative_clips"),
    (dict(image_size=(32, 0)), "image_size"),
    (dict(float_pooling="yes"), "float_pooling"),
    (dict(float_layers="head"), "float_layers"),
    (dict(float_layers=["head"]), "float_layers"),  # Not int8.
])
def test_bad_tflite_arguments(stream_model, tmp_path, kwargs, argument):
  kwargs.setdefault("image_size", (SIZE, SIZE))
  with pytest.raises(ValueError, match=re.escape(
      f"Invalid value received for argument `{argument}`.")):
    export.export_tflite(stream_model, tmp_path / "m.tflite", **kwargs)


def test_bad_model_and_saved_model_arguments(tmp_path):
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `model`. Expected an object with "
      "an `inference_model(streaming=...)` method")):
    export.export_saved_model(tf_keras.Sequential(), tmp_path / "m",
                              streaming=True)
  with pytest.raises(ValueError, match="`num_frames`"):
    export.export_saved_model(object(), tmp_path / "m", streaming=False,
                              num_frames=0)

"""SavedModel and streaming TF Lite export of MoViNets trained with GRW.

GRW smoothing (Goldman et al., "Smooth Regularization for Efficient Video
Recognition", NeurIPS 2025, arXiv:2511.20928) is a training-only regularizer:
the exported graphs below are built from the plain official Model Garden
`MovinetClassifier` (`model.inference_model(streaming)` of a GRW model), so
they carry no GRW code and cost nothing extra at inference.

Conventions follow Model Garden's `projects/movinet/tools/export_saved_model.py`
and `quantize_movinet.py`:

  * base SavedModel: signature `serving_default(image[B, N, H, W, 3]) ->
    {"logits"}`, dynamic number of frames.
  * stream SavedModel: signatures `serving_default` (also under Model
    Garden's name `call`) mapping `{"image", **states} -> {"logits",
    **states}`, and `init_states(input_shape int32[5]) -> states`.
  * stream TF Lite: one signature `serving_default` taking `image`
    `[1, 1, H, W, 3]` plus every state by its bare name (e.g.
    `state_block1_layer0_stream_buffer`) and returning `logits` plus the
    updated states under the same names. The states start as zeros.

Only `conv_type="2plus1d"` MoViNets convert to builtin TF Lite ops ('3d' and
'3d_2plus1d' need the Flex ops `Conv3D`/`AvgPool3D`); `convert_to_2plus1d`
converts a '3d_2plus1d' model exactly.

The plain model to export is resolved by `tf_grw.export.inference_model`,
int8 calibration and debugging live in `tf_grw.export.quantization`, and TF
Lite models are run and checked by `tf_grw.export.tflite_stream`.
`tf_grw.export` re-exports the public names of all three modules.

Example (a random-weight official a0 stream model, 32x32 frames):

>>> import os, tempfile
>>> import numpy as np
>>> from official.projects.movinet.modeling import movinet, movinet_model
>>> from tf_grw.export import export_tflite, run_tflite_stream, verify_tflite
>>> backbone = movinet.Movinet(
...     model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d",
...     activation="hard_swish", gating_activation="hard_sigmoid",
...     use_external_states=True)
>>> model = movinet_model.MovinetClassifier(backbone, 5, output_states=True)
>>> path = os.path.join(tempfile.mkdtemp(), "a0_stream.tflite")
>>> path == export_tflite(model, path, image_size=(32, 32))
True
>>> clips = np.random.default_rng(0).uniform(size=(2, 4, 32, 32, 3))
>>> run_tflite_stream(path, clips[0].astype(np.float32)).shape  # Per frame.
(4, 5)
>>> check = verify_tflite(path, model, clips.astype(np.float32))
>>> check["num_clips"], check["num_frames"], check["max_abs_diff"] < 1e-4
(2, 8, True)
"""

import contextlib
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet_model
from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.export.inference_model import _conv_type_error
from tf_grw.export.inference_model import _describe
from tf_grw.export.inference_model import ClipsLike
from tf_grw.export.inference_model import IMAGE
from tf_grw.export.inference_model import inference_keras_model
from tf_grw.export.inference_model import INIT_STATES_KEY
from tf_grw.export.inference_model import LOGITS
from tf_grw.export.inference_model import MODEL_GARDEN_CALL_KEY
from tf_grw.export.inference_model import PathLike
from tf_grw.export.inference_model import SIGNATURE_KEY
from tf_grw.export.inference_model import stream_function
from tf_grw.export.inference_model import whole_clip_function
from tf_grw.core.quiet_logs import quiet_info_logs
from tf_grw.export import quantization as quantization_lib
from tf_grw.export.quantization import DEFAULT_FLOAT_LAYERS
from tf_grw.export.tflite_stream import as_clips

__all__ = ["export_saved_model", "export_tflite",
           "quantization_layer_errors", "DEFAULT_FLOAT_LAYERS",
           "QUANTIZATIONS"]

QUANTIZATIONS = (None, "float16", "dynamic", "int8")
# TF ops that have no builtin TF Lite kernel (they need Flex / TF Select).
_FLEX_ONLY_OPS = frozenset({"Conv3D", "AvgPool3D", "MaxPool3D",
                            "Conv3DBackpropInputV2"})


# -- SavedModel ----------------------------------------------------------------


def _check_image_size(image_size, allow_none: bool
                     ) -> Tuple[Optional[int], Optional[int]]:
  if image_size is None and allow_none:
    return None, None
  if isinstance(image_size, (int, np.integer)) and not isinstance(
      image_size, bool):
    image_size = (image_size, image_size)
  ok = (isinstance(image_size, (tuple, list)) and len(image_size) == 2 and all(
      isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
      for s in image_size))
  if not ok:
    raise invalid_value(
        "image_size", "a pair (height, width) of positive integers"
        + (" or None" if allow_none else ""), image_size)
  return int(image_size[0]), int(image_size[1])


def _check_optional_positive(argument: str, value) -> Optional[int]:
  if value is None:
    return None
  if (not isinstance(value, (int, np.integer)) or isinstance(value, bool)
      or value < 1):
    raise invalid_value(argument, "a positive integer or None", value)
  return int(value)


def _save_module(model: tf_keras.Model, path: str,
                 signatures: Dict[str, Any]) -> None:
  # A plain tf.Module that tracks only the variables: saving the Keras model
  # itself would also trace every layer for Keras metadata (~10x slower).
  module = tf.Module()
  module.model_variables = list(model.variables)
  with quiet_info_logs():  # Signature renames, sharding times, asset paths.
    tf.saved_model.save(module, path, signatures=signatures)


def export_saved_model(model,
                       path: PathLike,
                       streaming: bool,
                       image_size: Optional[Tuple[int, int]] = None,
                       num_frames: Optional[int] = None,
                       batch_size: Optional[int] = None) -> str:
  """Exports a base (whole-clip) or stream SavedModel without GRW code.

  Base: signature `serving_default(image[B, N, H, W, 3]) -> {"logits"}`.
  Stream (causal models): `serving_default` and `call` (Model Garden's name)
  map `{"image", **states} -> {"logits", **states}`, and `init_states(
  input_shape int32[5]) -> states` gives the zero states for the first call.
  Feeding a clip one frame (or chunk) at a time while carrying the states
  gives the same logits as the whole clip.

  Args:
    model: an object with `inference_model(streaming=...)` (e.g. a GRW
      model) or an official `MovinetClassifier` (streaming or not).
    path: output directory.
    streaming: stream SavedModel (True) or base SavedModel (False).
    image_size: static (height, width) of the frames, or None for dynamic.
    num_frames: static number of frames per call, or None (dynamic; e.g. 1 for
      a strictly frame-by-frame stream model).
    batch_size: static batch size, or None (dynamic).

  Returns:
    `path` as a string.
  """
  height, width = _check_image_size(image_size, allow_none=True)
  num_frames = _check_optional_positive("num_frames", num_frames)
  batch_size = _check_optional_positive("batch_size", batch_size)
  keras_model = inference_keras_model(model, streaming)
  input_shape = [batch_size, num_frames, height, width, 3]
  if streaming:
    predict = stream_function(keras_model, input_shape)
    init_states = tf.function(keras_model.init_states).get_concrete_function(
        tf.TensorSpec([5], tf.int32, name="input_shape"))
    signatures = {SIGNATURE_KEY: predict, MODEL_GARDEN_CALL_KEY: predict,
                  INIT_STATES_KEY: init_states}
  else:
    logits_fn = whole_clip_function(keras_model)

    @tf.function
    def serve(image):
      return {LOGITS: logits_fn(image)}

    signatures = {SIGNATURE_KEY: serve.get_concrete_function(
        tf.TensorSpec(input_shape, tf.float32, name=IMAGE))}
  path = os.fspath(path)
  _save_module(keras_model, path, signatures)
  return path



# -- TF Lite -------------------------------------------------------------------


def _graph_op_types(concrete_function) -> set:
  graph_def = concrete_function.graph.as_graph_def()
  ops = {node.op for node in graph_def.node}
  for function in graph_def.library.function:
    ops.update(node.op for node in function.node_def)
  return ops


class _StreamSource:
  """A float stream model with static shapes, saved for the TF Lite converter.

  Attributes:
    saved_model_dir: a SavedModel whose `serving_default` takes
      `image[1, 1, H, W, 3]` plus the states (all static shapes).
    step: `step(inputs_dict) -> outputs_dict`, the float model, for
      calibration.
    init_states: zero states (numpy) for the first frame.
    image_size: (H, W).
  """

  def __init__(self, saved_model_dir, step, init_states, image_size):
    self.saved_model_dir = saved_model_dir
    self.step = step
    self.init_states = init_states
    self.image_size = image_size


def _check_2plus1d(model: tf_keras.Model) -> None:
  conv_type = getattr(getattr(model, "backbone", None), "conv_type", None)
  if conv_type is not None and conv_type != "2plus1d":
    raise _conv_type_error("model_or_saved_model_path", _describe(model))


def _keras_stream_source(model, image_size, tmp_dir) -> _StreamSource:
  """Static-shape stream source from a Keras model (traced, then saved)."""
  if isinstance(model, movinet_model.MovinetClassifier):
    _check_2plus1d(model)  # Before rebuilding it with external states.
  if image_size is None:
    raise invalid_value(
        "image_size", "a pair (height, width) of positive integers when "
        "exporting a Keras model", None)
  keras_model = inference_keras_model(model, streaming=True)
  _check_2plus1d(keras_model)
  input_shape = [1, 1, image_size[0], image_size[1], 3]
  predict = stream_function(keras_model, input_shape)
  _save_module(keras_model, tmp_dir, {SIGNATURE_KEY: predict})
  init = {k: v.numpy() for k, v in
          keras_model.init_states(input_shape).items()}
  return _StreamSource(tmp_dir, predict, init, image_size)


def _saved_model_stream_source(path, image_size, tmp_dir) -> _StreamSource:
  """Static-shape stream source from a stream SavedModel directory."""
  loaded = tf.saved_model.load(path)
  key = next((k for k in (SIGNATURE_KEY, MODEL_GARDEN_CALL_KEY)
              if k in loaded.signatures), None)
  fn = loaded.signatures[key] if key else None
  specs = fn.structured_input_signature[1] if fn is not None else {}
  if IMAGE not in specs or len(specs) < 2:
    raise invalid_value(
        "model_or_saved_model_path", "a stream SavedModel (from "
        "`export_saved_model(..., streaming=True)` or Model Garden's "
        "export_saved_model.py with causal=True) whose `serving_default` or "
        "`call` signature takes `image` plus the states", path)
  if _graph_op_types(fn) & _FLEX_ONLY_OPS:
    raise _conv_type_error(
        "model_or_saved_model_path",
        Described(f"<SavedModel {path!r} with ops "
                   f"{sorted(_graph_op_types(fn) & _FLEX_ONLY_OPS)}>"))
  image_spec = specs[IMAGE]
  state_specs = {k: v for k, v in specs.items() if k != IMAGE}
  if image_spec.shape.as_list()[:2] != [1, 1] or not all(
      s.shape.is_fully_defined() for s in specs.values()):
    # The converter cannot legalize the dynamic reshapes of a dynamic-shape
    # graph (DepthwiseConv2dNative on unknown shapes needs Flex ops).
    raise invalid_value(
        "model_or_saved_model_path", "a stream SavedModel with static shapes "
        "(image [1, 1, H, W, 3] and fully defined states), as from "
        "`export_saved_model(model, path, streaming=True, image_size=(H, W), "
        "num_frames=1, batch_size=1)`, or the Keras model itself",
        Described(f"<SavedModel {path!r} with image input "
                   f"{image_spec.shape}>"))
  saved_size = tuple(int(s) for s in image_spec.shape[2:4])
  if image_size is not None and tuple(image_size) != saved_size:
    raise invalid_value(
        "image_size", f"None or the SavedModel's image size {saved_size}",
        image_size)
  init = {k: np.zeros(s.shape, s.dtype.as_numpy_dtype)
          for k, s in state_specs.items()}

  def step(inputs):
    return fn(**inputs)

  if key == SIGNATURE_KEY:
    return _StreamSource(path, step, init, saved_size)
  # E.g. Model Garden's bundled export: re-save `call` as `serving_default`.
  module = tf.Module()
  module.loaded = loaded
  with quiet_info_logs():
    tf.saved_model.save(module, tmp_dir, signatures={SIGNATURE_KEY: fn})
  return _StreamSource(tmp_dir, step, init, saved_size)


def _calibration_clips(clips, purpose: str) -> List[np.ndarray]:
  if clips is None:
    raise invalid_value(
        "representative_clips", f"real clips to calibrate {purpose} "
        "([N, H, W, 3], [B, N, H, W, 3] or a list)", None)
  return as_clips(clips, "representative_clips")


@contextlib.contextmanager
def _stream_source(model_or_saved_model_path, image_size, clips):
  """(stream SavedModel source, calibration generator or None), temporary."""
  with tempfile.TemporaryDirectory() as tmp_dir:
    if isinstance(model_or_saved_model_path, (str, os.PathLike)):
      source = _saved_model_stream_source(
          os.fspath(model_or_saved_model_path), image_size, tmp_dir)
    else:
      source = _keras_stream_source(model_or_saved_model_path, image_size,
                                    tmp_dir)
    dataset = None
    if clips is not None:
      for clip in clips:
        if tuple(clip.shape[2:4]) != tuple(source.image_size):
          raise invalid_value(
              "representative_clips", f"clips of frame size "
              f"{tuple(source.image_size)}",
              Described(f"<clip of shape {clip.shape}>"))
      dataset = quantization_lib.representative_dataset(source, clips)
    yield source, dataset


def _convert(saved_model_dir: str, quantization: Optional[str],
             representative_dataset=None,
             float_pooling: bool = True,
             float_layers: Optional[Sequence[str]] = None) -> bytes:
  """Runs the TF Lite converter for one quantization mode."""
  if quantization == "int8":
    return quantization_lib.convert_int8(saved_model_dir,
                                         representative_dataset,
                                         float_pooling, float_layers)
  converter = tf.lite.TFLiteConverter.from_saved_model(
      saved_model_dir, signature_keys=[SIGNATURE_KEY])
  if quantization is not None:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
  if quantization == "float16":
    converter.target_spec.supported_types = [tf.float16]
  return converter.convert()


def export_tflite(model_or_saved_model_path,
                  path: PathLike,
                  image_size: Optional[Tuple[int, int]] = None,
                  quantization: Optional[str] = None,
                  representative_clips: Optional[ClipsLike] = None,
                  float_pooling: bool = True,
                  float_layers: Optional[Sequence[str]] = None) -> str:
  """Writes a streaming TF Lite model (one frame per call, states carried).

  The TF Lite signature `serving_default` takes `image` [1, 1, H, W, 3]
  (float in [0, 1]) plus every state by its bare name and returns `logits`
  plus the updated states under the same names; start from zero states. See
  `run_tflite_stream`.

  Args:
    model_or_saved_model_path: an object with `inference_model(streaming=...)`
      (e.g. a GRW model; its plain inference model is exported), an official
      causal `MovinetClassifier`, or the directory of a stream SavedModel
      (ours or Model Garden's). Must use conv_type '2plus1d'.
    path: output `.tflite` file.
    image_size: (height, width) of the frames; required for Keras models,
      taken from a static SavedModel when None.
    quantization: None (float32), "float16" (float16 weights), "dynamic"
      (int8 weights, float activations) or "int8" (int8 weights and
      activations calibrated on `representative_clips`, float input, output
      and states, float fallback for ops without an int8 kernel).
    representative_clips: real clips for "int8" calibration ([N, H, W, 3],
      [B, N, H, W, 3] or a list of them, float in [0, 1] or uint8). The float
      stream model runs them frame by frame carrying the states, so each
      calibration sample has the states the model really sees.
    float_pooling: for "int8", keep the running sums of the cumulative
      global average pools (the `*_pool_buffer` states, which grow with the
      number of frames) and their division by the frame count in float, so
      streams longer than the calibration clips do not saturate.
    float_layers: for "int8", layers to keep in float (every op of theirs
      runs in float, with (de)quantize ops at their borders), by name:
      'stem', 'block4_layer3', a stage 'block4' (all its layers), 'head',
      'classifier', the Transformer head 'temporal_head'. None (default):
      `DEFAULT_FLOAT_LAYERS`, those of 'stem' (a MoViNet's first
      convolution, on the raw frame) and 'temporal_head' the model has. On
      two trained MoViNet-head A0s the float stem lowered the mean logit
      error by a quarter and kept top-1 agreement with float >= 97 %; on
      three Transformer-head A0s the float head lifted it from 0.24-0.63 to
      0.940-0.967 (docs/export.md). `[]` quantizes every layer.
      `quantization_layer_errors` reports each quantized layer's error.

  Returns:
    `path` as a string.
  """
  if quantization not in QUANTIZATIONS:
    raise invalid_value("quantization", f"one of {list(QUANTIZATIONS)}",
                        quantization)
  if not isinstance(float_pooling, bool):
    raise invalid_value("float_pooling", "True or False", float_pooling)
  float_layers = quantization_lib.check_float_layers(float_layers, quantization)
  image_size = _check_image_size(image_size, allow_none=True)
  image_size = None if image_size == (None, None) else image_size
  clips = None
  if quantization == "int8":
    clips = _calibration_clips(representative_clips, "quantization='int8'")
  with _stream_source(model_or_saved_model_path, image_size,
                      clips) as (source, dataset):
    content = _convert(source.saved_model_dir, quantization, dataset,
                       float_pooling, float_layers)
  path = os.fspath(path)
  # Written next to the target and renamed: a kill mid-write leaves the old
  # file (or none), never a truncated model.
  partial = f"{path}.partial"
  with open(partial, "wb") as f:
    f.write(content)
  os.replace(partial, path)
  return path


def quantization_layer_errors(model_or_saved_model_path,
                              image_size: Optional[Tuple[int, int]],
                              representative_clips: ClipsLike,
                              float_pooling: bool = True,
                              float_layers: Optional[Sequence[str]] = None
                              ) -> List[Dict[str, Any]]:
  """Per-layer error of the int8 stream model, worst first.

  Runs the TF Lite quantization debugger (`tf.lite.experimental.
  QuantizationDebugger`) on the same conversion as `export_tflite(...,
  quantization="int8")`: every quantized op's output is compared with its
  float value on `representative_clips` streamed frame by frame.

  Args:
    model_or_saved_model_path: as for `export_tflite`.
    image_size: (height, width); None for a static SavedModel.
    representative_clips: the calibration clips (also the debug data).
    float_pooling, float_layers: as for `export_tflite` (what is kept float
      is not quantized, hence not reported).

  Returns:
    One dict per quantized op output: `op_name`, `tensor_name`, `scale`,
    `rmse` and `rmse/scale` (the error in quantization steps; about 0.29 is
    pure rounding of a uniform error), sorted by `rmse/scale`, largest first.
  """
  image_size = _check_image_size(image_size, allow_none=True)
  image_size = None if image_size == (None, None) else image_size
  float_layers = quantization_lib.check_float_layers(float_layers, "int8")
  clips = _calibration_clips(representative_clips, "the debugger")
  with _stream_source(model_or_saved_model_path, image_size,
                      clips) as (source, dataset):
    return quantization_lib.layer_errors(source.saved_model_dir, dataset,
                                         float_pooling, float_layers)

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

Example (a random-weight official a0 stream model, 32x32 frames):

```python
from official.projects.movinet.modeling import movinet, movinet_model
backbone = movinet.Movinet(
    model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d",
    activation="hard_swish", gating_activation="hard_sigmoid",
    use_external_states=True)
model = movinet_model.MovinetClassifier(backbone, 5, output_states=True)
export_tflite(model, "a0_stream.tflite", image_size=(32, 32))
clips = np.random.uniform(size=(2, 8, 32, 32, 3)).astype(np.float32)
print(verify_tflite("a0_stream.tflite", model, clips))
```
"""

import inspect
import os
import statistics
import tempfile
import time
import warnings
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple, Union)

import numpy as np
import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_model
from tf_grw.errors import invalid_value
from tf_grw.pretrained import _copy_variables

QUANTIZATIONS = (None, "float16", "dynamic", "int8")
SIGNATURE_KEY = "serving_default"
# Model Garden's name for the stream signature when `init_states` is bundled.
MODEL_GARDEN_CALL_KEY = "call"
INIT_STATES_KEY = "init_states"
LOGITS = "logits"
IMAGE = "image"
# TF ops that have no builtin TF Lite kernel (they need Flex / TF Select).
_FLEX_ONLY_OPS = frozenset({"Conv3D", "AvgPool3D", "MaxPool3D",
                            "Conv3DBackpropInputV2"})
# Substring of the name of every running-sum pooling state (the cumulative
# global average pools of the squeeze-excitation layers and of the head).
_POOL_STATE_MARK = "pool_buffer"

PathLike = Union[str, os.PathLike]
ClipsLike = Union[np.ndarray, tf.Tensor, Iterable[Any]]


class _Described:
  """A value whose repr is a short description (for error messages)."""

  def __init__(self, text: str):
    self.text = text

  def __repr__(self) -> str:
    return self.text


def _describe(model) -> _Described:
  conv_type = getattr(getattr(model, "backbone", None), "conv_type", None)
  if conv_type is not None:
    return _Described(f"<{type(model).__name__} conv_type='{conv_type}'>")
  return _Described(f"<{type(model).__name__} object>")


def _conv_type_error(argument: str, received) -> ValueError:
  return invalid_value(
      argument,
      "a MoViNet built with conv_type='2plus1d': only (2+1)D convolutions "
      "convert to builtin TF Lite ops ('3d' and '3d_2plus1d' need the Flex "
      "ops Conv3D/AvgPool3D). A '3d_2plus1d' model converts exactly with "
      "`tf_grw.export.convert_to_2plus1d(model)` (as Model Garden's "
      "tools/convert_3d_2plus1d.py does); a '3d' model has full 3D kernels "
      "and must be trained or fine-tuned with conv_type='2plus1d' (or "
      "'3d_2plus1d', then converted)", received)


# -- model resolution ---------------------------------------------------------


def _backbone_kwargs(backbone: movinet.Movinet) -> Dict[str, Any]:
  """Constructor arguments of an official `Movinet` (for rebuilding it)."""
  config = backbone.get_config()  # Lacks se_type, gating and pooling types.
  return dict(
      model_id=config["model_id"],
      causal=config["causal"],
      use_positional_encoding=config["use_positional_encoding"],
      conv_type=config["conv_type"],
      se_type=getattr(backbone, "_se_type", "3d"),
      activation=config["activation"],
      gating_activation=getattr(backbone, "_gating_activation", "sigmoid"),
      use_sync_bn=False,
      norm_momentum=config["norm_momentum"],
      norm_epsilon=config["norm_epsilon"],
      kernel_initializer=config["kernel_initializer"],
      use_external_states=config["use_external_states"],
      output_states=True,
      average_pooling_type=getattr(backbone, "_average_pooling_type", "3d"))


def _image_spec_shape(model: movinet_model.MovinetClassifier
                     ) -> List[Optional[int]]:
  """The model's image input shape [B, N, H, W, 3] (None where dynamic)."""
  specs = getattr(model, "_input_specs", None) or {}
  spec = specs.get(IMAGE) if isinstance(specs, dict) else None
  if spec is None or not spec.shape:
    return [None, None, None, None, 3]
  return list(spec.shape)


def _rebuild(model: movinet_model.MovinetClassifier,
             use_external_states: bool,
             conv_type: Optional[str] = None,
             input_shape: Optional[Sequence[Optional[int]]] = None
            ) -> movinet_model.MovinetClassifier:
  """An official classifier like `model` with copied (converted) weights."""
  kwargs = _backbone_kwargs(model.backbone)
  kwargs["use_external_states"] = use_external_states
  if conv_type is not None:
    kwargs["conv_type"] = conv_type
  spec = tf_keras.layers.InputSpec(
      shape=list(input_shape or _image_spec_shape(model)))
  backbone = movinet.Movinet(input_specs=spec, **kwargs)
  rebuilt = movinet_model.MovinetClassifier(
      backbone,
      num_classes=getattr(model, "_num_classes"),
      input_specs={IMAGE: spec},
      activation=getattr(model, "_activation", "swish"),
      dropout_rate=getattr(model, "_dropout_rate", 0.0),
      output_states=use_external_states)
  # Same values; '3d_2plus1d' kernels take their '2plus1d' layout as in Model
  # Garden's tools/convert_3d_2plus1d.py.
  _copy_variables(model.weights, rebuilt.weights)
  return rebuilt


def _check_streamable(model: movinet_model.MovinetClassifier,
                      streaming: bool) -> None:
  if streaming and not model.backbone.get_config()["causal"]:
    raise invalid_value(
        "streaming", "False for a non-causal MoViNet (only causal=True "
        "MoViNets stream frame by frame)", streaming)


def _is_stream_model(model) -> bool:
  """Whether `model` maps `{"image", **states}` to `(logits, states)`."""
  backbone = getattr(model, "backbone", None)
  external = getattr(model, "use_external_states", None)
  if external is None:
    external = getattr(backbone, "use_external_states", False)
  return bool(external) and callable(getattr(model, "init_states", None))


def inference_keras_model(model, streaming: bool) -> tf_keras.Model:
  """The plain model to export (no GRW code).

  Args:
    model: an object with an `inference_model(streaming=...)` method (e.g. a
      `tf_grw.movinet_grw.MovinetGRWClassifier`), or an official
      `movinet_model.MovinetClassifier`, streaming (backbone built with
      `use_external_states=True`) or not.
    streaming: True for a model that takes and returns external stream states
      (`{"image", **states} -> (logits, states)`); False for a whole-clip
      model. A non-streaming official model is rebuilt with external states
      (weights copied) when `streaming=True`; a streaming official model is
      returned as is for `streaming=False` (it is fed zero initial states),
      unless its input has a static number of frames (then it is rebuilt
      with a dynamic input and no external states).

  Returns:
    An official `movinet_model.MovinetClassifier` (or, from
    `inference_model`, another Keras model of the same calling convention,
    e.g. a stream model with `init_states` and `initial_state_specs`).
  """
  if not isinstance(streaming, bool):
    raise invalid_value("streaming", "True or False", streaming)
  if (not isinstance(model, movinet_model.MovinetClassifier)
      and callable(getattr(model, "inference_model", None))):
    if streaming and "num_frames" in inspect.signature(
        model.inference_model).parameters:
      # A stream model takes one frame per call, whatever the clip length the
      # training model was built for.
      plain = model.inference_model(streaming=True, num_frames=1)
    else:
      plain = model.inference_model(streaming=streaming)
    if not isinstance(plain, movinet_model.MovinetClassifier):
      # Duck-typed (e.g. a GRW model's Transformer-head stream model).
      if streaming and not (_is_stream_model(plain) and callable(
          getattr(plain, "initial_state_specs", None))):
        raise invalid_value(
            "model", "an object whose `inference_model(streaming=True)` "
            "returns a stream model (with `init_states`, "
            "`initial_state_specs` and a backbone with external states)",
            _describe(plain))
      if not isinstance(plain, tf_keras.Model):
        raise invalid_value(
            "model", "an object whose `inference_model(streaming=...)` "
            "returns a Keras model", _describe(plain))
      return plain
    model = plain
  if not isinstance(model, movinet_model.MovinetClassifier):
    raise invalid_value(
        "model", "an object with an `inference_model(streaming=...)` method "
        "returning an official MovinetClassifier, or an official "
        "`movinet_model.MovinetClassifier`", _describe(model))
  _check_streamable(model, streaming)
  if streaming and not model.backbone.use_external_states:
    model = _rebuild(model, use_external_states=True)
  elif not streaming and _image_spec_shape(model)[1] is not None:
    # E.g. a TF Lite-style stream model built for 1 frame per call.
    model = _rebuild(model, use_external_states=False,
                     input_shape=[None, None, None, None, 3])
  return model


def convert_to_2plus1d(model, streaming: bool = False, verify: bool = True
                      ) -> movinet_model.MovinetClassifier:
  """Converts a '3d_2plus1d' MoViNet into the TF Lite friendly '2plus1d' one.

  The two convolution types compute the same function: '3d_2plus1d' factorizes
  each k x k x k kernel into a (1, k, k) and a (k, 1, 1) `Conv3D`, '2plus1d'
  runs the same kernels as `Conv2D`/`DepthwiseConv2D` with reshapes. The
  weights are copied as in Model Garden's
  `official/projects/movinet/tools/convert_3d_2plus1d.py`.

  Args:
    model: as for `inference_keras_model`, with conv_type '3d_2plus1d' (or
      already '2plus1d').
    streaming: whether the returned model takes external stream states.
    verify: run both models on a small random clip and raise if the logits
      differ by more than 1e-4.

  Returns:
    An official `MovinetClassifier` with conv_type '2plus1d'.
  """
  # An official model is converted directly (no extra streaming rebuild).
  source = (model if isinstance(model, movinet_model.MovinetClassifier)
            else inference_keras_model(model, streaming))
  conv_type = source.backbone.conv_type
  if conv_type == "3d":
    raise invalid_value(
        "model", "a MoViNet with conv_type '3d_2plus1d' or '2plus1d' (a '3d' "
        "model has full 3D kernels, which have no exact (2+1)D equivalent; "
        "train or fine-tune it with conv_type='2plus1d')", _describe(source))
  if conv_type == "2plus1d":
    return inference_keras_model(source, streaming)
  if not isinstance(source, movinet_model.MovinetClassifier):
    raise invalid_value(
        "model", "an official MovinetClassifier, or an object whose "
        "`inference_model(streaming=...)` returns one", _describe(source))
  _check_streamable(source, streaming)
  converted = _rebuild(source, use_external_states=streaming,
                       conv_type="2plus1d")
  if verify:
    shape = [d or default for d, default in zip(_image_spec_shape(source),
                                                  (1, 4, 32, 32, 3))]
    clip = tf.random.stateless_uniform(shape, seed=(0, 1))
    diff = np.max(np.abs(_whole_clip_function(source)(clip).numpy()
                         - _whole_clip_function(converted)(clip).numpy()))
    if diff > 1e-4:
      raise ValueError(
          f"Bad 3d_2plus1d -> 2plus1d conversion: logits differ by {diff}.")
  return converted


# -- traced functions ----------------------------------------------------------


def _whole_clip_function(model: tf_keras.Model
                        ) -> Callable[[tf.Tensor], tf.Tensor]:
  """tf.function image[B, N, H, W, 3] -> logits for a resolved classifier."""
  external = _is_stream_model(model)

  @tf.function(reduce_retracing=True)
  def logits_fn(image):
    inputs = {IMAGE: image}
    if external:
      inputs.update(model.init_states(tf.shape(image)))
    outputs = model(inputs, training=False)
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs

  return logits_fn


def _stream_function(model: tf_keras.Model,
                     input_shape: Sequence[Optional[int]]):
  """Concrete `{"image", **states} -> {"logits", **states}` function."""
  specs = {
      name: tf.TensorSpec(spec.shape, spec.dtype, name=name)
      for name, spec in model.initial_state_specs(list(input_shape)).items()
  }
  specs[IMAGE] = tf.TensorSpec(input_shape, tf.float32, name=IMAGE)

  @tf.function
  def predict(inputs):
    logits, states = model(inputs, training=False)
    return {**states, LOGITS: logits}

  return predict.get_concrete_function(specs)


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
    predict = _stream_function(keras_model, input_shape)
    init_states = tf.function(keras_model.init_states).get_concrete_function(
        tf.TensorSpec([5], tf.int32, name="input_shape"))
    signatures = {SIGNATURE_KEY: predict, MODEL_GARDEN_CALL_KEY: predict,
                  INIT_STATES_KEY: init_states}
  else:
    logits_fn = _whole_clip_function(keras_model)

    @tf.function
    def serve(image):
      return {LOGITS: logits_fn(image)}

    signatures = {SIGNATURE_KEY: serve.get_concrete_function(
        tf.TensorSpec(input_shape, tf.float32, name=IMAGE))}
  path = os.fspath(path)
  _save_module(keras_model, path, signatures)
  return path


# -- TF Lite -------------------------------------------------------------------


def _as_clips(clips, argument: str) -> List[np.ndarray]:
  """Normalizes clips to a list of float32 arrays [1, N, H, W, 3] in [0, 1]."""
  if isinstance(clips, (np.ndarray, tf.Tensor)):
    items = [np.asarray(clips)]
  else:
    try:
      items = [np.asarray(c) for c in clips]
    except TypeError:
      items = None
  out = []
  for item in items or []:
    if item.ndim == 4:
      item = item[None]
    if item.ndim != 5 or item.shape[-1] != 3 or 0 in item.shape:
      out = None
      break
    if item.dtype == np.uint8:
      item = item.astype(np.float32) / 255.0
    out.extend(item[i:i + 1].astype(np.float32) for i in range(len(item)))
  if not out:
    raise invalid_value(
        argument, "a non-empty clip [N, H, W, 3], batch [B, N, H, W, 3] or "
        "list of them (float in [0, 1], or uint8)",
        _Described(f"<{type(clips).__name__} of shape "
                   f"{getattr(clips, 'shape', '?')}>"))
  return out


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
  predict = _stream_function(keras_model, input_shape)
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
        _Described(f"<SavedModel {path!r} with ops "
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
        _Described(f"<SavedModel {path!r} with image input "
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
  tf.saved_model.save(module, tmp_dir, signatures={SIGNATURE_KEY: fn})
  return _StreamSource(tmp_dir, step, init, saved_size)


def _representative_dataset(source: _StreamSource, clips: List[np.ndarray]):
  """Stateful calibration data: every frame of every clip, states carried.

  Like Model Garden's `quantize_movinet.stateful_representative_dataset_
  generator`, but with all frames: the float stream model runs frame by frame
  and each frame is yielded together with the states it actually receives.
  Lazy, so long calibration sets do not hold every state in memory.
  """

  def generator():
    for clip in clips:
      states = {k: tf.constant(v) for k, v in source.init_states.items()}
      for t in range(clip.shape[1]):
        inputs = {**states, IMAGE: tf.constant(clip[:, t:t + 1])}
        yield {k: v.numpy() for k, v in inputs.items()}
        outputs = source.step(inputs)
        states = {k: outputs[k] for k in source.init_states}

  return generator


def _pool_state_nodes(model_content: bytes) -> List[str]:
  """Output tensor names of the ops that carry the running pooling sums.

  A causal MoViNet's cumulative global average pools keep a running *sum*
  over all frames seen so far in the `*_pool_buffer` states (and divide by
  the frame count). The sum grows with the clip length, so an int8 scale
  calibrated on short clips saturates on longer streams. Starting from each
  `*_pool_buffer` input, this follows the ADD / STRIDED_SLICE / CUMSUM ops of
  the running sum up to (and including) the DIV that turns it into a mean;
  those ops stay in float, everything after the mean is quantized.

  Args:
    model_content: a float (or calibrated) streaming TF Lite model.

  Returns:
    Tensor names for `QuantizationDebugOptions(denylisted_nodes=...)`.
  """
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=model_content)
  runner = interpreter.get_signature_runner(SIGNATURE_KEY)
  frontier = {d["index"] for name, d in runner.get_input_details().items()
              if _POOL_STATE_MARK in name}
  state_outputs = {d["index"] for name, d in
                   runner.get_output_details().items()
                   if _POOL_STATE_MARK in name}
  names = {t["index"]: t["name"] for t in interpreter.get_tensor_details()}
  ops = interpreter._get_ops_details()  # pylint: disable=protected-access
  selected = set()
  changed = True
  while changed:
    changed = False
    for op in ops:
      if op["index"] in selected:
        continue
      feeds = frontier.intersection(op["inputs"])
      makes_state = state_outputs.intersection(op["outputs"])
      if makes_state or (feeds and op["op_name"] in (
          "ADD", "STRIDED_SLICE", "CUMSUM", "DIV", "RESHAPE")):
        selected.add(op["index"])
        changed = True
        if op["op_name"] != "DIV":  # The mean is bounded: quantize after it.
          frontier.update(op["outputs"])
  return sorted(names[i] for op in ops if op["index"] in selected
                for i in op["outputs"])


def _convert(saved_model_dir: str, quantization: Optional[str],
             representative_dataset=None,
             float_pooling: bool = True) -> bytes:
  """Runs the TF Lite converter for one quantization mode."""
  converter = tf.lite.TFLiteConverter.from_saved_model(
      saved_model_dir, signature_keys=[SIGNATURE_KEY])
  if quantization is not None:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
  if quantization == "float16":
    converter.target_spec.supported_types = [tf.float16]
  if quantization != "int8":
    return converter.convert()
  # Integer weights and activations with float input, output and states, and
  # float fallback for ops without int8 kernels (Model Garden's
  # "int_float_fallback" mode).
  converter.representative_dataset = representative_dataset
  with warnings.catch_warnings():
    # The calibrator and the debugger build deprecated tf.lite.Interpreters.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is "
                            "deprecated")
    if not float_pooling:
      return converter.convert()
    # Calibrate once, then quantize with the running pooling sums kept float.
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=representative_dataset)
    debugger.options = tf.lite.experimental.QuantizationDebugOptions(
        denylisted_nodes=_pool_state_nodes(debugger.calibrated_model))
    return debugger.get_nondebug_quantized_model()


def export_tflite(model_or_saved_model_path,
                  path: PathLike,
                  image_size: Optional[Tuple[int, int]] = None,
                  quantization: Optional[str] = None,
                  representative_clips: Optional[ClipsLike] = None,
                  float_pooling: bool = True) -> str:
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

  Returns:
    `path` as a string.
  """
  if quantization not in QUANTIZATIONS:
    raise invalid_value("quantization", f"one of {list(QUANTIZATIONS)}",
                        quantization)
  if not isinstance(float_pooling, bool):
    raise invalid_value("float_pooling", "True or False", float_pooling)
  image_size = _check_image_size(image_size, allow_none=True)
  image_size = None if image_size == (None, None) else image_size
  clips = None
  if quantization == "int8":
    if representative_clips is None:
      raise invalid_value(
          "representative_clips", "real clips to calibrate "
          "quantization='int8' ([N, H, W, 3], [B, N, H, W, 3] or a list)",
          None)
    clips = _as_clips(representative_clips, "representative_clips")
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
              _Described(f"<clip of shape {clip.shape}>"))
      dataset = _representative_dataset(source, clips)
    content = _convert(source.saved_model_dir, quantization, dataset,
                       float_pooling)
  path = os.fspath(path)
  with open(path, "wb") as f:
    f.write(content)
  return path


# -- running and verifying TF Lite ---------------------------------------------


def _load_interpreter(path: PathLike, num_threads: Optional[int]):
  # LiteRT is the supported TF Lite runtime; fall back to tf.lite if absent.
  try:
    from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  except ImportError:  # pragma: no cover
    Interpreter = tf.lite.Interpreter  # pylint: disable=invalid-name
  interpreter = Interpreter(model_path=os.fspath(path),
                            num_threads=num_threads)
  signatures = interpreter.get_signature_list()
  key = SIGNATURE_KEY if SIGNATURE_KEY in signatures else next(
      iter(signatures), None)
  if key is None or IMAGE not in signatures[key]["inputs"]:
    raise invalid_value(
        "path", "a streaming TF Lite model whose signature takes `image` "
        "plus the states (from `export_tflite`)", os.fspath(path))
  return interpreter.get_signature_runner(key)


def _quantize(value: np.ndarray, detail: Dict[str, Any]) -> np.ndarray:
  dtype = detail["dtype"]
  if dtype in (np.int8, np.uint8, np.int16) and np.issubdtype(
      np.asarray(value).dtype, np.floating):
    scale, zero_point = detail["quantization"]
    info = np.iinfo(dtype)
    value = np.clip(np.round(value / scale + zero_point), info.min, info.max)
  return np.asarray(value, dtype)


def _dequantize(value: np.ndarray, detail: Dict[str, Any]) -> np.ndarray:
  if detail["dtype"] in (np.int8, np.uint8, np.int16):
    scale, zero_point = detail["quantization"]
    return (value.astype(np.float32) - zero_point) * scale
  return value


class _TFLiteStream:
  """Runs a streaming TF Lite signature frame by frame, carrying states."""

  def __init__(self, path: PathLike, num_threads: Optional[int] = None):
    self.runner = _load_interpreter(path, num_threads)
    self.inputs = self.runner.get_input_details()
    self.outputs = self.runner.get_output_details()
    state_names = set(self.inputs) - {IMAGE}
    if LOGITS not in self.outputs or set(self.outputs) - {LOGITS} != (
        state_names):
      raise invalid_value(
          "path", "a streaming TF Lite model returning `logits` plus the "
          "states under their input names", os.fspath(path))
    self.image_shape = tuple(self.inputs[IMAGE]["shape"])

  def init_states(self) -> Dict[str, np.ndarray]:
    return {name: _quantize(np.zeros(d["shape"], np.float32), d)
            for name, d in self.inputs.items() if name != IMAGE}

  def run(self, clip: np.ndarray) -> Tuple[np.ndarray, List[float]]:
    """Logits after each frame [N, C] and per-frame latencies in ms."""
    if tuple(clip.shape[2:]) != self.image_shape[2:]:
      raise invalid_value(
          "clips", f"frames of shape {self.image_shape[2:]} (the TF Lite "
          "model's image input)", _Described(f"<clip of shape {clip.shape}>"))
    states = self.init_states()
    logits, latencies = [], []
    for t in range(clip.shape[1]):
      image = _quantize(clip[:, t:t + 1], self.inputs[IMAGE])
      start = time.perf_counter()
      outputs = self.runner(image=image, **states)
      latencies.append(1000.0 * (time.perf_counter() - start))
      logits.append(_dequantize(outputs.pop(LOGITS), self.outputs[LOGITS])[0])
      states = outputs
    return np.stack(logits), latencies


def run_tflite_stream(path: PathLike, clip: ClipsLike,
                      num_threads: Optional[int] = None) -> np.ndarray:
  """Streams one clip through a TF Lite model from `export_tflite`.

  Args:
    path: the `.tflite` file.
    clip: one clip [N, H, W, 3] or [1, N, H, W, 3] (float in [0, 1] or uint8).
    num_threads: interpreter threads (None: the runtime default).

  Returns:
    float32 array [N, num_classes]: the logits after each frame (the last row
    is the prediction for the whole clip).
  """
  clips = _as_clips(clip, "clip")
  if len(clips) != 1:
    raise invalid_value("clip", "a single clip [N, H, W, 3] or "
                        "[1, N, H, W, 3]", _Described(
                            f"<{len(clips)} clips>"))
  return _TFLiteStream(path, num_threads).run(clips[0])[0]


def _saved_model_logits_function(path: str
                                ) -> Callable[[tf.Tensor], np.ndarray]:
  """clip [1, N, H, W, 3] -> final logits, from a base or stream SavedModel."""
  loaded = tf.saved_model.load(path)
  key = next((k for k in (SIGNATURE_KEY, MODEL_GARDEN_CALL_KEY)
              if k in loaded.signatures), None)
  specs = loaded.signatures[key].structured_input_signature[1] if key else {}
  if IMAGE not in specs:
    raise invalid_value(
        "keras_model", "a model or a SavedModel whose `serving_default` "
        "signature takes `image`", path)
  fn = loaded.signatures[key]
  if set(specs) == {IMAGE}:
    return lambda clip: fn(image=clip)[LOGITS].numpy()

  def stream(clip):
    if INIT_STATES_KEY in loaded.signatures:
      states = loaded.signatures[INIT_STATES_KEY](
          tf.constant([1, 1, *clip.shape[2:]], tf.int32))
    else:
      states = {k: tf.zeros(v.shape, v.dtype) for k, v in specs.items()
                if k != IMAGE}
    for t in range(clip.shape[1]):
      outputs = dict(fn(image=clip[:, t:t + 1], **states))
      logits = outputs.pop(LOGITS)
      states = outputs
    return logits.numpy()

  return stream


def verify_tflite(path: PathLike,
                  keras_model,
                  clips: ClipsLike,
                  num_threads: Optional[int] = None) -> Dict[str, float]:
  """Compares a streaming TF Lite model with the Keras model on whole clips.

  The interpreter runs each clip frame by frame, carrying the states by name
  through the signature runner; its final logits are compared with the Keras
  model's non-streaming logits on the whole clip.

  Args:
    path: the `.tflite` file from `export_tflite`.
    keras_model: the float reference: a GRW model with `inference_model`, an
      official `MovinetClassifier` (streaming or not), or the directory of a
      base or stream SavedModel from `export_saved_model` (a stream SavedModel
      is run frame by frame).
    clips: [N, H, W, 3], [B, N, H, W, 3] or a list of them (float in [0, 1]
      or uint8), frames of the TF Lite model's size.
    num_threads: interpreter threads (None: the runtime default).

  Returns:
    A dict with `max_abs_diff` (over clips and classes), `mean_abs_diff`,
    `top1_agreement` (fraction of clips with the same argmax),
    `latency_ms_median` (per interpreter call, i.e. per frame, after one
    warm-up call), `num_clips` and `num_frames` (total).
  """
  clips = _as_clips(clips, "clips")
  stream = _TFLiteStream(path, num_threads)
  if isinstance(keras_model, (str, os.PathLike)):
    reference_fn = _saved_model_logits_function(os.fspath(keras_model))
  else:
    logits_fn = _whole_clip_function(
        inference_keras_model(keras_model, streaming=False))
    reference_fn = lambda clip: logits_fn(clip).numpy()
  stream.run(clips[0][:, :1])  # Warm-up (allocations, delegate set-up).
  diffs, agree, latencies = [], [], []
  for clip in clips:
    lite, times = stream.run(clip)
    reference = reference_fn(tf.constant(clip))[0]
    diffs.append(np.abs(lite[-1] - reference))
    agree.append(int(np.argmax(lite[-1]) == np.argmax(reference)))
    latencies.extend(times)
  diffs = np.stack(diffs)
  return {
      "max_abs_diff": float(diffs.max()),
      "mean_abs_diff": float(diffs.mean()),
      "top1_agreement": float(np.mean(agree)),
      "latency_ms_median": float(statistics.median(latencies)),
      "num_clips": len(clips),
      "num_frames": len(latencies),
  }

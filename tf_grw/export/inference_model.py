"""The plain inference model to export, and its traced functions.

GRW smoothing (Goldman et al., "Smooth Regularization for Efficient Video
Recognition", NeurIPS 2025, arXiv:2511.20928) is a training-only regularizer.
`inference_keras_model` turns a GRW model (anything with
`inference_model(streaming=...)`) or an official Model Garden
`MovinetClassifier` into the plain Keras model that `tf_grw.export` saves and
`tf_grw.export.tflite_stream` checks against: whole-clip
(`image[B, N, H, W, 3] -> logits`) or streaming (`{"image", **states} ->
(logits, states)`), rebuilding official MoViNets with or without external
states and copying their weights. `convert_to_2plus1d` converts a
'3d_2plus1d' MoViNet exactly into the TF Lite friendly '2plus1d' one.

The signature and tensor names below are shared by the SavedModel and TF Lite
exports (Model Garden's `projects/movinet/tools/export_saved_model.py`
conventions).

Example (a causal official a0 without external states becomes a stream model
with the same weights; `tests/inference_model_test.py` checks that its
whole-clip logits are unchanged):

>>> import numpy as np
>>> from official.projects.movinet.modeling import movinet, movinet_model
>>> backbone = movinet.Movinet(
...     model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d")
>>> model = movinet_model.MovinetClassifier(backbone, 3)
>>> stream = inference_keras_model(model, streaming=True)
>>> stream.backbone.use_external_states
True
>>> stream.count_params() == model.count_params()
True
>>> all(np.array_equal(s, m) for s, m in zip(
...     sorted(v.numpy().sum() for v in stream.weights),
...     sorted(v.numpy().sum() for v in model.weights)))
True
"""

import inspect
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_model
from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.models.pretrained import copy_variables

__all__ = ["inference_keras_model", "convert_to_2plus1d",
           "whole_clip_function", "stream_function", "SIGNATURE_KEY",
           "MODEL_GARDEN_CALL_KEY", "INIT_STATES_KEY", "LOGITS", "IMAGE"]

SIGNATURE_KEY = "serving_default"
# Model Garden's name for the stream signature when `init_states` is bundled.
MODEL_GARDEN_CALL_KEY = "call"
INIT_STATES_KEY = "init_states"
LOGITS = "logits"
IMAGE = "image"

PathLike = Union[str, os.PathLike]
ClipsLike = Union[np.ndarray, tf.Tensor, Iterable[Any]]



def _describe(model) -> Described:
  conv_type = getattr(getattr(model, "backbone", None), "conv_type", None)
  if conv_type is not None:
    return Described(f"<{type(model).__name__} conv_type='{conv_type}'>")
  return Described(f"<{type(model).__name__} object>")


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


def _private(obj, name: str):
  """`obj.<name>` for a setting only a private attribute holds; loud if gone.

  Model Garden's `Movinet.get_config()` lacks the SE type, the gating
  activation and the pooling type; a silent default would rebuild a
  different model (e.g. sigmoid gating instead of hard sigmoid).
  """
  if not hasattr(obj, name):
    raise AttributeError(
        f"{type(obj).__name__} has no attribute `{name}`: this tf-models-"
        "official version stores the MoViNet settings differently, so "
        "tf_grw cannot rebuild the model exactly. Please report the "
        "installed tf-models-official version.")
  return getattr(obj, name)


def _backbone_kwargs(backbone: movinet.Movinet) -> Dict[str, Any]:
  """Constructor arguments of an official `Movinet` (for rebuilding it)."""
  config = backbone.get_config()  # Lacks se_type, gating and pooling types.
  return dict(
      model_id=config["model_id"],
      causal=config["causal"],
      use_positional_encoding=config["use_positional_encoding"],
      conv_type=config["conv_type"],
      se_type=_private(backbone, "_se_type"),
      activation=config["activation"],
      gating_activation=_private(backbone, "_gating_activation"),
      use_sync_bn=False,
      norm_momentum=config["norm_momentum"],
      norm_epsilon=config["norm_epsilon"],
      kernel_initializer=config["kernel_initializer"],
      use_external_states=config["use_external_states"],
      output_states=True,
      average_pooling_type=_private(backbone, "_average_pooling_type"))


def _image_spec_shape(model: movinet_model.MovinetClassifier
                     ) -> List[Optional[int]]:
  """The model's image input shape [B, N, H, W, 3] (None where dynamic)."""
  specs = model.get_config()["input_specs"] or {}
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
  config = model.get_config()
  rebuilt = movinet_model.MovinetClassifier(
      backbone,
      num_classes=config["num_classes"],
      input_specs={IMAGE: spec},
      activation=config["activation"],
      dropout_rate=config["dropout_rate"],
      output_states=use_external_states)
  # Same values; '3d_2plus1d' kernels take their '2plus1d' layout as in Model
  # Garden's tools/convert_3d_2plus1d.py.
  copy_variables(model.weights, rebuilt.weights)
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
      `tf_grw.models.movinet.movinet_grw.MovinetGRWClassifier`), or an official
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
    diff = np.max(np.abs(whole_clip_function(source)(clip).numpy()
                         - whole_clip_function(converted)(clip).numpy()))
    if diff > 1e-4:
      raise ValueError(
          f"Bad 3d_2plus1d -> 2plus1d conversion: logits differ by {diff}.")
  return converted



# -- traced functions ----------------------------------------------------------


def whole_clip_function(model: tf_keras.Model
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


def stream_function(model: tf_keras.Model,
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


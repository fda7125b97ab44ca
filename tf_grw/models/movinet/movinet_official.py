"""Between a `MovinetGRWClassifier` and Model Garden's official MoViNets.

Weights go out to a plain official model (`inference_model`: an official
`MovinetClassifier`, optionally with stream states, or for the Transformer
head a functional model or a `MovinetTransformerStream`) and come in from an
official checkpoint (`load_pretrained`), converting `3d_2plus1d` and
`2plus1d` kernels on the way where asked. The classifier's methods of the
same names document the behaviour; this module holds the work so that the
classifier's file stays about the model itself.

Example:

  >>> from tf_grw.models.movinet.movinet_grw import build_movinet_grw
  >>> model = build_movinet_grw("a0", num_classes=3, num_frames=4,
  ...                           image_size=32, window=3)
  >>> plain = inference_model(model)
  >>> type(plain).__name__, len(plain.losses)
  ('MovinetClassifier', 0)
"""

# The classifier's construction helpers are its own family's business.
# pylint: disable=protected-access

from typing import Optional

import tf_keras

from official.projects.movinet.modeling import movinet_layers
from official.projects.movinet.modeling import movinet_model
from tf_grw.core.errors import invalid_value
from tf_grw.models.movinet.movinet_recipes import CONV_TYPES
from tf_grw.models.movinet.movinet_stream import MovinetTransformerStream
from tf_grw.models.pretrained import convertible
from tf_grw.models.pretrained import copy_variables
from tf_grw.models.pretrained import load_backbone_checkpoint
from tf_grw.models.pretrained import PretrainedLoadReport
from tf_grw.models.pretrained import resolve_checkpoint

__all__ = ["classifier_head", "inference_model", "load_pretrained",
           "official_twin"]


def _check_conversion(argument, value, from_type, to_type):
  """`from_type` weights must be usable as `to_type` (same or convertible)."""
  if from_type != to_type and not convertible(from_type, to_type):
    raise invalid_value(
        argument, f"None or '{to_type}'"
        + (", '2plus1d' or '3d_2plus1d'" if "2plus1d" in to_type else ""),
        value)


def inference_model(model,
                    streaming: bool = False,
                    conv_type: Optional[str] = None,
                    batch_size: Optional[int] = None,
                    num_frames: Optional[int] = None,
                    image_size: Optional[int] = None,
                    max_frames: Optional[int] = None) -> tf_keras.Model:
  """`model.inference_model(...)`: a plain copy without GRW (see there)."""
  conv_type = conv_type or model.conv_type
  if conv_type not in CONV_TYPES:
    raise invalid_value("conv_type", f"one of {list(CONV_TYPES)}", conv_type)
  _check_conversion("conv_type", conv_type, conv_type, model.conv_type)
  if streaming:
    model._check_streamable()
    max_frames = model._stream_max_frames(max_frames)
  shape = model._input_spec_shape(batch_size, num_frames, image_size)
  backbone = model._make_backbone(conv_type=conv_type,
                                  use_external_states=bool(streaming),
                                  use_sync_bn=False, input_shape=shape)
  copy_variables(model.backbone.weights, backbone.weights)
  spec = tf_keras.layers.InputSpec(shape=shape)
  if model.head == "movinet":
    official = movinet_model.MovinetClassifier(
        backbone, num_classes=model.num_classes,
        input_specs={"image": spec},
        activation=model.classifier_activation,
        dropout_rate=model.dropout_rate,
        output_states=bool(streaming))
    copy_variables(model.classifier_head.weights,
                   classifier_head(official).weights)
    return official
  if streaming:
    head = model._make_temporal_head()
    channels = model.temporal_head.affine.kernel.shape[0]
    head(tf_keras.Input(shape=(None, channels)))
    copy_variables(model.temporal_head.weights, head.weights)
    return MovinetTransformerStream(backbone, head, max_frames,
                                    name=f"{model.name}_stream")
  image = tf_keras.Input(shape=shape[1:], batch_size=batch_size,
                         name="image")
  endpoints, _ = backbone({"image": image})
  features = tf_keras.layers.TimeDistributed(
      tf_keras.layers.GlobalAveragePooling2D(), name="spatial_mean")(
          endpoints["head"])
  head = model._make_temporal_head()
  logits = head(features)
  copy_variables(model.temporal_head.weights, head.weights)
  return tf_keras.Model(image, logits, name=f"{model.name}_inference")


def load_pretrained(model,
                    checkpoint_path: str,
                    strict: bool = True,
                    checkpoint_conv_type: Optional[str] = None
                    ) -> PretrainedLoadReport:
  """`model.load_pretrained(...)`: official weights in (see there)."""
  path = resolve_checkpoint(checkpoint_path)  # Fails before any build.
  ck_conv_type = checkpoint_conv_type or model.conv_type
  _check_conversion("checkpoint_conv_type", checkpoint_conv_type,
                    ck_conv_type, model.conv_type)
  # Load into this model, or into an official model of the checkpoint's
  # conv type whose weights are then converted into this one.
  if ck_conv_type == model.conv_type:
    backbone, head, mirror = model.backbone, model.classifier_head, None
  else:
    mirror = official_twin(model, ck_conv_type)
    backbone, head = mirror.backbone, classifier_head(mirror)
  report = load_backbone_checkpoint(
      backbone, path, strict,
      f"the MoViNet-{model.model_id.upper()} backbone (causal={model.causal}, "
      f"conv_type='{ck_conv_type}', se_type='{model.se_type}', "
      f"use_positional_encoding={model.use_positional_encoding})",
      head=head if model.head == "movinet" else None,
      head_note="the Transformer head is not in MoViNet checkpoints",
      hint="A checkpoint of another conv type needs `checkpoint_conv_type`.",
      converted_from=ck_conv_type if mirror is not None else "")
  if mirror is not None:
    copy_variables(backbone.weights, model.backbone.weights)
    if report.head_loaded:
      copy_variables(head.weights, model.classifier_head.weights)
  return report


def official_twin(model, conv_type: str) -> tf_keras.Model:
  """An official `MovinetClassifier` of `model`'s recipe (untrained)."""
  backbone = model._make_backbone(conv_type=conv_type,
                                  use_external_states=False,
                                  use_sync_bn=False)
  return movinet_model.MovinetClassifier(
      backbone, num_classes=model.num_classes,
      activation=model.classifier_activation,
      dropout_rate=model.dropout_rate)


def classifier_head(official: tf_keras.Model) -> tf_keras.layers.Layer:
  """The `ClassifierHead` layer of an official `MovinetClassifier`."""
  return [l for l in official.layers
          if isinstance(l, movinet_layers.ClassifierHead)][0]

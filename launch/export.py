r"""Exports a MoViNet (trained with or without GRW) to SavedModel and TF Lite.

A thin CLI over `tf_grw.export`: the flags only choose the model source and
the arguments of `export_saved_model`, `export_tflite` and `verify_tflite`.

Model source (one of):
  * `--saved_model=DIR`: a static stream SavedModel (TF Lite export only),
    e.g. from `export_saved_model(..., streaming=True, image_size=(H, W),
    num_frames=1, batch_size=1)` or Model Garden's export_saved_model.py.
  * `--builder=official` (default): an official Model Garden MoViNet built
    from `--model_id/--causal/--conv_type/...` (Model Garden's stream recipe
    by default), restored from `--checkpoint` saved as
    `tf.train.Checkpoint(model=model)`.
  * `--builder=grw`: `tf_grw.models.movinet.movinet_grw.build_movinet_grw(...)` restored from
    `--checkpoint` (a `tf.train.Checkpoint(model=model)` of the GRW model);
    its plain `inference_model` is exported (GRW stripped).
  * `--builder=experiment`: the model of a registered experiment
    (`--experiment`, `--config_file`, `--params_override`, as given to
    `launch/train.py`), e.g. a per-frame MobileNetV3 (`mobilenet_grw_*`) or
    a GRW MoViNet, restored from a Model Garden training checkpoint
    (`--checkpoint=MODEL_DIR`); its plain `inference_model` is exported.

Outputs under `--output_dir`: `saved_model_stream/` (with `--streaming`),
`saved_model_base/` (with `--base`) and one
`<model>_stream_<quantization>.tflite` per `--quantization` entry (`<model>`:
`movinet_<id>`, or the experiment model's id, e.g. `mobilenetv3small`).

Example (random weights, 32x32, float and int8 calibrated on real clips
saved as a uint8 or float array [B, N, H, W, 3] in `clips.npy`):

  .venv/bin/python launch/export.py --model_id=a0 --num_classes=600 \
    --image_size=32 --output_dir=export_out --quantization=none,int8 \
    --calibration_clips=clips.npy --verify_clips=clips.npy
"""

import json
import os

from absl import app
from absl import flags
from absl import logging

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top
import tf_keras  # pylint: disable=g-import-not-at-top

from official.projects.movinet.modeling import movinet  # pylint: disable=g-import-not-at-top
from official.projects.movinet.modeling import movinet_model  # pylint: disable=g-import-not-at-top
from tf_grw import export  # pylint: disable=g-import-not-at-top
from tf_grw.core.errors import invalid_value  # pylint: disable=g-import-not-at-top

_SAVED_MODEL = flags.DEFINE_string(
    "saved_model", None, "Static stream SavedModel to convert to TF Lite "
    "(instead of building a model).")
_CHECKPOINT = flags.DEFINE_string(
    "checkpoint", None, "Checkpoint (file prefix or directory) saved as "
    "tf.train.Checkpoint(model=model); blank keeps random weights.")
_BUILDER = flags.DEFINE_enum(
    "builder", "official", ["official", "grw", "experiment"],
    "official: Model Garden MovinetClassifier; grw: "
    "tf_grw.models.movinet.movinet_grw.build_movinet_grw (exported via inference_model); "
    "experiment: the model of --experiment (+ --config_file, "
    "--params_override).")
_EXPERIMENT = flags.DEFINE_string(
    "experiment", None, "--builder=experiment: a registered experiment, "
    "e.g. mobilenet_grw_kinetics600.")
_CONFIG_FILE = flags.DEFINE_multi_string(
    "config_file", [], "--builder=experiment: YAML overrides, in order.")
_PARAMS_OVERRIDE = flags.DEFINE_string(
    "params_override", None, "--builder=experiment: a YAML/JSON string of "
    "overrides applied last.")
_MODEL_ID = flags.DEFINE_string("model_id", "a0", "MoViNet model id.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 600, "Number of classes.")
_CAUSAL = flags.DEFINE_bool("causal", True, "Causal (streamable) model.")
_CONV_TYPE = flags.DEFINE_enum(
    "conv_type", "2plus1d", ["2plus1d", "3d_2plus1d", "3d"],
    "Convolution type of the checkpoint; '3d_2plus1d' is converted to "
    "'2plus1d' (exactly) before export, '3d' cannot go to TF Lite.")
_HEAD = flags.DEFINE_enum(
    "head", "movinet", ["movinet", "transformer"],
    "--builder=grw: the head the model was trained with.")
_EMBED_DIM = flags.DEFINE_integer(
    "embed_dim", 256, "--builder=grw, head=transformer: embedding width.")
_TRANSFORMER_LAYERS = flags.DEFINE_integer(
    "transformer_layers", 1, "--builder=grw, head=transformer: layers.")
_TRANSFORMER_HEADS = flags.DEFINE_integer(
    "transformer_heads", 4, "--builder=grw, head=transformer: heads.")
_SE_TYPE = flags.DEFINE_string("se_type", "2plus3d", "Squeeze-excite type.")
_ACTIVATION = flags.DEFINE_string("activation", "hard_swish", "Activation.")
_GATING = flags.DEFINE_string("gating_activation", "hard_sigmoid",
                              "Squeeze-excitation gating activation.")
_CLASSIFIER_ACTIVATION = flags.DEFINE_string(
    "classifier_activation", "swish", "Classifier head activation.")
_IMAGE_SIZE = flags.DEFINE_list(
    "image_size", None, "Frame size: H or H,W. Required for TF Lite from a "
    "built model; None keeps SavedModels dynamic.")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Output directory.")
_STREAMING = flags.DEFINE_bool(
    "streaming", True, "Export the stream SavedModel (1 frame per call when "
    "--image_size is set, as TF Lite needs; dynamic otherwise).")
_BASE = flags.DEFINE_bool("base", False,
                          "Also export the base (whole-clip) SavedModel.")
_QUANTIZATION = flags.DEFINE_list(
    "quantization", ["none"], "TF Lite variants to write: any of none, "
    "float16, dynamic, int8; empty for no TF Lite.")
_CALIBRATION_CLIPS = flags.DEFINE_string(
    "calibration_clips", None, ".npy array [B, N, H, W, 3] of real clips "
    "(uint8, or float in [0, 1]) for int8 calibration.")
_VERIFY_CLIPS = flags.DEFINE_string(
    "verify_clips", None, ".npy clips to compare each TF Lite model with the "
    "float model (frame by frame vs. whole clip).")
_FLOAT_POOLING = flags.DEFINE_bool(
    "float_pooling", True, "int8: keep the running pooling sums in float.")
_FLOAT_LAYERS = flags.DEFINE_list(
    "float_layers", None, "int8: layers kept in float (e.g. stem,head; "
    "default: a MoViNet's stem; 'none' quantizes every layer; see "
    "tf_grw.export.export_tflite).")

FLAGS = flags.FLAGS


def _image_size():
  if not _IMAGE_SIZE.value:
    return None
  try:
    sizes = [int(v) for v in _IMAGE_SIZE.value]
  except ValueError:
    sizes = []
  if len(sizes) not in (1, 2):
    raise invalid_value("image_size", "H or H,W", ",".join(_IMAGE_SIZE.value))
  return (sizes[0], sizes[-1])


def build_official_model() -> movinet_model.MovinetClassifier:
  """An official MovinetClassifier from the flags (Model Garden recipe)."""
  spec = tf_keras.layers.InputSpec(shape=[None, None, None, None, 3])
  backbone = movinet.Movinet(
      model_id=_MODEL_ID.value, causal=_CAUSAL.value,
      conv_type=_CONV_TYPE.value, se_type=_SE_TYPE.value,
      activation=_ACTIVATION.value, gating_activation=_GATING.value,
      use_sync_bn=False, input_specs=spec)
  return movinet_model.MovinetClassifier(
      backbone, num_classes=_NUM_CLASSES.value, input_specs={"image": spec},
      activation=_CLASSIFIER_ACTIVATION.value)


def build_grw_model():
  """A GRW MoViNet (tf_grw.models.movinet.movinet_grw) from the flags."""
  from tf_grw.models.movinet import movinet_grw  # pylint: disable=g-import-not-at-top
  options = {}
  if _HEAD.value == "transformer":
    options = dict(transformer_layers=_TRANSFORMER_LAYERS.value,
                   transformer_heads=_TRANSFORMER_HEADS.value)
  return movinet_grw.build_movinet_grw(
      model_id=_MODEL_ID.value, num_classes=_NUM_CLASSES.value,
      stream=_CAUSAL.value, conv_type=_CONV_TYPE.value, head=_HEAD.value,
      # GRW layers do nothing at inference: build without them, so the
      # checkpoint's backbone and head must match and its GRW statistics are
      # simply not needed, whatever taps the model was trained with.
      grw_endpoints=[], embed_dim=_EMBED_DIM.value,
      **options)


def build_experiment_model():
  """The model of a registered experiment (as `launch/train.py` builds it)."""
  # pylint: disable=g-import-not-at-top,unused-import
  from official.core import exp_factory
  from official.core import task_factory
  from official.modeling import hyperparams
  import tf_grw.modelgarden.experiments
  # pylint: enable=g-import-not-at-top,unused-import
  if not _EXPERIMENT.value:
    raise invalid_value("experiment", "a registered experiment name with "
                        "--builder=experiment", _EXPERIMENT.value)
  params = exp_factory.get_exp_config(_EXPERIMENT.value)
  for path in _CONFIG_FILE.value:
    params = hyperparams.override_params_dict(params, path, is_strict=True)
  if _PARAMS_OVERRIDE.value:
    params = hyperparams.override_params_dict(
        params, _PARAMS_OVERRIDE.value, is_strict=True)
  params.validate()
  params.lock()
  model = task_factory.get_task(params.task).build_model()
  return model, str(params.task.model.model_id).lower()


def _load_clips(path):
  return None if not path else np.load(path)


def _float_layers():
  """--float_layers: None (the default), [] for 'none', else the names."""
  value = _FLOAT_LAYERS.value
  return [] if value == ["none"] else value


def main(argv):
  del argv
  if not _OUTPUT_DIR.value:
    raise invalid_value("output_dir", "a directory", _OUTPUT_DIR.value)
  quantizations = [None if q.lower() == "none" else q.lower()
                   for q in _QUANTIZATION.value]
  for q in quantizations:
    if q not in export.QUANTIZATIONS:
      raise invalid_value("quantization", "a comma-separated list of none, "
                          "float16, dynamic, int8", ",".join(
                              _QUANTIZATION.value))
  image_size = _image_size()
  os.makedirs(_OUTPUT_DIR.value, exist_ok=True)
  calibration = _load_clips(_CALIBRATION_CLIPS.value)
  verify_clips = _load_clips(_VERIFY_CLIPS.value)
  report = {}

  label = f"movinet_{_MODEL_ID.value}"
  if _SAVED_MODEL.value:
    source = reference = _SAVED_MODEL.value
  else:
    if _BUILDER.value == "experiment":
      model, label = build_experiment_model()
      if not label.startswith("mobilenet"):
        label = f"movinet_{label}"
    elif _BUILDER.value == "grw":
      model = build_grw_model()
    else:
      model = build_official_model()
    if _CHECKPOINT.value:
      checkpoint_path = _CHECKPOINT.value
      if tf.io.gfile.isdir(checkpoint_path):
        checkpoint_path = tf.train.latest_checkpoint(checkpoint_path)
      status = tf.train.Checkpoint(model=model).read(checkpoint_path)
      status.expect_partial().assert_existing_objects_matched()
      logging.info("Restored %s", checkpoint_path)
    if (_BUILDER.value != "experiment" and _CONV_TYPE.value == "3d_2plus1d"
        and quantizations):
      model = export.convert_to_2plus1d(model, streaming=_CAUSAL.value)
    source = reference = model
    if _STREAMING.value:
      static = dict(num_frames=1, batch_size=1) if image_size else {}
      path = export.export_saved_model(
          model, os.path.join(_OUTPUT_DIR.value, "saved_model_stream"),
          streaming=True, image_size=image_size, **static)
      report["saved_model_stream"] = path
    if _BASE.value:
      report["saved_model_base"] = export.export_saved_model(
          model, os.path.join(_OUTPUT_DIR.value, "saved_model_base"),
          streaming=False, image_size=image_size)

  for quantization in quantizations:
    name = f"{label}_stream_{quantization or 'float'}.tflite"
    path = export.export_tflite(
        source, os.path.join(_OUTPUT_DIR.value, name), image_size=image_size,
        quantization=quantization, representative_clips=calibration,
        float_pooling=_FLOAT_POOLING.value,
        float_layers=_float_layers() if quantization == "int8" else None)
    entry = {"path": path, "bytes": os.path.getsize(path)}
    if verify_clips is not None:
      entry.update(export.verify_tflite(path, reference, verify_clips))
    report[quantization or "float"] = entry
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  flags.mark_flag_as_required("output_dir")
  app.run(main)

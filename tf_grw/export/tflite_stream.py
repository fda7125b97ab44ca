"""Running a streaming TF Lite model frame by frame, and verifying it.

GRW smoothing (Goldman et al., "Smooth Regularization for Efficient Video
Recognition", NeurIPS 2025, arXiv:2511.20928) costs nothing at inference: the
TF Lite models from `tf_grw.export.export_tflite` are plain stream models.
`run_tflite_stream` feeds a clip one frame per interpreter call, carrying the
states by name through the LiteRT signature runner (int8 inputs and outputs are
(de)quantized); `verify_tflite` compares its final logits with the float
Keras model or a SavedModel on whole clips.

Example: the module example of `tf_grw.export` exports an official A0 stream
model and runs both functions on it (one export serves both, since
converting a MoViNet takes most of a minute here).
"""

import os
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.export.inference_model import ClipsLike
from tf_grw.export.inference_model import IMAGE
from tf_grw.export.inference_model import inference_keras_model
from tf_grw.export.inference_model import INIT_STATES_KEY
from tf_grw.export.inference_model import LOGITS
from tf_grw.export.inference_model import MODEL_GARDEN_CALL_KEY
from tf_grw.export.inference_model import PathLike
from tf_grw.export.inference_model import SIGNATURE_KEY
from tf_grw.export.inference_model import whole_clip_function

__all__ = ["run_tflite_stream", "verify_tflite", "as_clips", "one_clip"]


def as_clips(clips, argument: str) -> List[np.ndarray]:
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
        Described(f"<{type(clips).__name__} of shape "
                   f"{getattr(clips, 'shape', '?')}>"))
  return out



def one_clip(clip) -> np.ndarray:
  """One clip as a float32 array [1, N, H, W, 3] in [0, 1] (else an error)."""
  clips = as_clips(clip, "clip")
  if len(clips) != 1:
    raise invalid_value("clip", "a single clip [N, H, W, 3] or "
                        "[1, N, H, W, 3]", Described(f"<{len(clips)} clips>"))
  return clips[0]


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
    self.image_shape = tuple(int(d) for d in self.inputs[IMAGE]["shape"])

  def init_states(self) -> Dict[str, np.ndarray]:
    return {name: _quantize(np.zeros(d["shape"], np.float32), d)
            for name, d in self.inputs.items() if name != IMAGE}

  def run(self, clip: np.ndarray, argument: str = "clips"
         ) -> Tuple[np.ndarray, List[float]]:
    """Logits after each frame [N, C] and per-frame latencies in ms."""
    if tuple(clip.shape[2:]) != self.image_shape[2:]:
      raise invalid_value(
          argument, f"frames of shape {self.image_shape[2:]} (the TF Lite "
          "model's image input)", Described(f"<clip of shape {clip.shape}>"))
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
  return _TFLiteStream(path, num_threads).run(one_clip(clip), "clip")[0]


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
  clips = as_clips(clips, "clips")
  stream = _TFLiteStream(path, num_threads)
  if isinstance(keras_model, (str, os.PathLike)):
    reference_fn = _saved_model_logits_function(os.fspath(keras_model))
  else:
    logits_fn = whole_clip_function(
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


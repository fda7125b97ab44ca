"""Video classification evaluation: multi-view clips and frame-by-frame streams.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928 (evaluation:
one 10 s clip per video; A0-A2 50 frames at 5 fps, A3 120 frames at 12 fps).

* `classification_report(logits, labels)`: top-1, top-5, per-class accuracy
  and the confusion matrix.
* `average_views(logits, num_views)`: the mean of the logits of the views of
  each video (Model Garden's input pipeline puts the `num_test_clips *
  num_test_crops` views of a video next to each other in the batch).
* `evaluate_clips(model, dataset)`: whole clips through a Keras model.
* `stream_logits(stream_model, video, states)` / `evaluate_streaming(model,
  dataset)`: frames one at a time through `model.inference_model(
  streaming=True)` (an official `MovinetClassifier` with external states,
  or a `MobilenetVideoStream`), carrying the states; the logits after the
  last frame are scored. For a causal (stream) MoViNet these equal the
  whole-clip logits: its convolutions are causal and its pooled head feature
  is a running mean; likewise for a per-frame MobileNet (causal shift,
  running-mean or causal Transformer head).
"""

import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = [
    "ClassificationReport", "average_views", "classification_report",
    "evaluate_clips", "stream_logits", "evaluate_streaming", "format_report",
]


@dataclasses.dataclass
class ClassificationReport:
  """Accuracy figures of one evaluation.

  Attributes:
    num_examples: videos scored.
    num_views: views averaged per video.
    top1: fraction of videos whose highest logit is the label.
    top5: fraction whose label is among the `k` highest logits (`k` =
      min(5, classes)).
    per_class_accuracy: `[num_classes]` recall of each class (NaN for a class
      with no video).
    confusion: `[num_classes, num_classes]` counts, row = label, column =
      prediction.
    logits: `[num_examples, num_classes]` view-averaged logits.
    labels: `[num_examples]` class indices.

  >>> report = classification_report(np.eye(3)[[0, 1, 1]], [0, 1, 2])
  >>> report.top1, report.per_class_accuracy.tolist()
  (0.6666666666666666, [1.0, 1.0, 0.0])
  """
  num_examples: int
  num_views: int
  top1: float
  top5: float
  per_class_accuracy: np.ndarray
  confusion: np.ndarray
  logits: np.ndarray
  labels: np.ndarray

  @property
  def mean_class_accuracy(self) -> float:
    """Mean of `per_class_accuracy` over the classes that have videos."""
    return float(np.nanmean(self.per_class_accuracy))

  def as_dict(self) -> Dict[str, Any]:
    """JSON-friendly summary (without the logits)."""
    return {
        "num_examples": self.num_examples,
        "num_views": self.num_views,
        "top1": self.top1,
        "top5": self.top5,
        "mean_class_accuracy": self.mean_class_accuracy,
        "per_class_accuracy": [None if np.isnan(a) else float(a)
                               for a in self.per_class_accuracy],
        "confusion": self.confusion.tolist(),
    }


def _check_positive_int(argument, value):
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
      value < 1):
    raise invalid_value(argument, "a positive integer", value)
  return int(value)


def average_views(logits, num_views: int) -> np.ndarray:
  """Means the logits of consecutive groups of `num_views` rows.

  Example:

  >>> average_views(np.array([[0., 2.], [2., 0.], [1., 1.], [3., 1.]]), 2)
  array([[1., 1.],
         [2., 1.]])
  """
  num_views = _check_positive_int("num_views", num_views)
  logits = np.asarray(logits, dtype=np.float64)
  if logits.ndim != 2 or logits.shape[0] % num_views:
    raise invalid_value(
        "logits", f"a [videos * num_views, classes] array with num_views="
        f"{num_views}", Described(f"<array of shape {logits.shape}>"))
  return logits.reshape(-1, num_views, logits.shape[-1]).mean(axis=1)


def _sparse_labels(labels) -> np.ndarray:
  labels = np.asarray(labels)
  if labels.ndim == 2:  # One-hot (Model Garden's `one_hot=True`).
    labels = labels.argmax(axis=-1)
  return labels.reshape(-1).astype(np.int64)


def classification_report(logits,
                          labels,
                          num_classes: Optional[int] = None,
                          num_views: int = 1,
                          top_k: int = 5) -> ClassificationReport:
  """Top-1, top-k, per-class accuracy and confusion matrix.

  Args:
    logits: `[videos * num_views, classes]` scores (logits or
      probabilities; only their order matters after averaging).
    labels: `[videos]` class indices or `[videos, classes]` one-hot (one
      row per video; with `num_views > 1`, one per view is accepted too, the
      first view's is used).
    num_classes: classes (default: the width of `logits`).
    num_views: views per video, averaged with `average_views`.
    top_k: k of the top-k accuracy (capped at the number of classes).

  Returns:
    A `ClassificationReport`.

  Example:

  >>> r = classification_report([[2., 1., 0.], [0., 1., 2.]], [0, 1])
  >>> r.top1, r.top5, r.confusion.tolist()
  (0.5, 1.0, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
  """
  num_views = _check_positive_int("num_views", num_views)
  top_k = _check_positive_int("top_k", top_k)
  logits = average_views(logits, num_views)
  labels = _sparse_labels(labels)
  if labels.shape[0] == logits.shape[0] * num_views and num_views > 1:
    labels = labels[::num_views]
  if labels.shape[0] != logits.shape[0]:
    raise invalid_value(
        "labels", f"one label per video ({logits.shape[0]})",
        Described(f"<{labels.shape[0]} labels>"))
  num_classes = logits.shape[-1] if num_classes is None else num_classes
  num_classes = _check_positive_int("num_classes", num_classes)
  if logits.shape[-1] != num_classes:
    raise invalid_value("num_classes", f"the width of logits "
                        f"({logits.shape[-1]})", num_classes)
  if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
    raise invalid_value("labels", f"class indices in [0, {num_classes})",
                        Described(f"<labels from {labels.min()} to "
                                  f"{labels.max()}>"))
  k = min(top_k, num_classes)
  predictions = logits.argmax(axis=-1)
  # Stable ranking: ties go to the lower class index, as argmax.
  ranks = np.argsort(-logits, axis=-1, kind="stable")[:, :k]
  confusion = np.zeros([num_classes, num_classes], np.int64)
  np.add.at(confusion, (labels, predictions), 1)
  per_class = np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)
  per_class = np.where(confusion.sum(axis=1) > 0, per_class, np.nan)
  count = labels.shape[0]
  return ClassificationReport(
      num_examples=int(count),
      num_views=num_views,
      top1=float(np.mean(predictions == labels)) if count else float("nan"),
      top5=(float(np.mean((ranks == labels[:, None]).any(axis=1)))
            if count else float("nan")),
      per_class_accuracy=per_class,
      confusion=confusion,
      logits=logits,
      labels=labels)


def _video(features):
  return features["image"] if isinstance(features, Mapping) else features


def _batches(dataset, steps):
  for step, batch in enumerate(dataset):
    if steps is not None and step >= steps:
      break
    yield batch


def evaluate_clips(model,
                   dataset: Iterable[Tuple[Any, Any]],
                   num_views: int = 1,
                   num_classes: Optional[int] = None,
                   steps: Optional[int] = None) -> ClassificationReport:
  """Scores whole clips: `model(video, training=False)` per batch.

  Args:
    model: a Keras video classifier returning logits (a
      `MovinetGRWClassifier`, an official `MovinetClassifier` or its
      inference model).
    dataset: `(features, labels)` batches, features a video `[B, T, H, W, 3]`
      or `{"image": video}` (Model Garden's video input), the views of a
      video in consecutive rows.
    num_views: views per video (Model Garden: `num_test_clips *
      num_test_crops`).
    num_classes: classes (default: the logits' width).
    steps: at most this many batches (None: all).

  Returns:
    A `ClassificationReport`.
  """
  logits, labels = [], []
  for features, batch_labels in _batches(dataset, steps):
    output = model(_video(features), training=False)
    if isinstance(output, (tuple, list)):
      output = output[0]
    logits.append(np.asarray(tf.cast(output, tf.float32)))
    labels.append(_sparse_labels(batch_labels))
  return classification_report(np.concatenate(logits),
                               np.concatenate(labels), num_classes, num_views)


def stream_logits(stream_model,
                  video,
                  states: Mapping[str, tf.Tensor],
                  frames_per_step: int = 1) -> Tuple[tf.Tensor, Dict]:
  """Feeds a video through a streaming model, carrying its states.

  Args:
    stream_model: maps `{**states, "image": frames}` to `(logits, states)`
      (`MovinetGRWClassifier.inference_model(streaming=True)`).
    video: `[B, T, H, W, 3]`.
    states: initial states (`MovinetGRWClassifier.init_states(shape)`).
    frames_per_step: frames per call (1: one frame at a time; MobileNet
      stream models take exactly one).

  Returns:
    `(logits after the last frame, final states)`.
  """
  frames_per_step = _check_positive_int("frames_per_step", frames_per_step)
  video = tf.convert_to_tensor(video)
  num_frames = video.shape[1]
  if not num_frames:
    raise invalid_value("video", "a [B, T, H, W, 3] tensor with T >= 1 known",
                        Described(f"<tensor of shape {video.shape}>"))
  logits = None
  states = dict(states)
  for start in range(0, num_frames, frames_per_step):
    frames = video[:, start:start + frames_per_step]
    logits, states = stream_model({**states, "image": frames})
  return logits, states


def evaluate_streaming(model,
                       dataset: Iterable[Tuple[Any, Any]],
                       num_views: int = 1,
                       num_classes: Optional[int] = None,
                       steps: Optional[int] = None,
                       frames_per_step: int = 1,
                       stream_model=None) -> ClassificationReport:
  """Scores videos fed frame by frame, from zero states, per batch.

  Args:
    model: a streamable GRW model (a causal `MovinetGRWClassifier` or a
      `MobilenetGRWClassifier` built with `stream=True`); supplies
      `init_states` and, unless `stream_model` is given,
      `inference_model(streaming=True)`.
    dataset, num_views, num_classes, steps: as in `evaluate_clips`.
    frames_per_step: frames per streaming call.
    stream_model: a prebuilt streaming model (e.g. one with static shapes).

  Returns:
    A `ClassificationReport` of the logits after each video's last frame.
  """
  if stream_model is None:
    stream_model = model.inference_model(streaming=True)
  logits, labels = [], []
  for features, batch_labels in _batches(dataset, steps):
    video = tf.convert_to_tensor(_video(features))
    states = model.init_states(tf.shape(video))
    output, _ = stream_logits(stream_model, video, states, frames_per_step)
    logits.append(np.asarray(tf.cast(output, tf.float32)))
    labels.append(_sparse_labels(batch_labels))
  return classification_report(np.concatenate(logits),
                               np.concatenate(labels), num_classes, num_views)


def format_report(report: ClassificationReport,
                  class_names: Optional[List[str]] = None) -> str:
  """A short human-readable summary."""
  lines = [f"{report.num_examples} videos, {report.num_views} view(s): "
           f"top-1 {report.top1:.4f}, top-5 {report.top5:.4f}, mean class "
           f"accuracy {report.mean_class_accuracy:.4f}"]
  names = class_names or [str(i) for i in range(len(
      report.per_class_accuracy))]
  worst = np.argsort(np.nan_to_num(report.per_class_accuracy, nan=2.0))[:10]
  lines.append("Lowest per-class accuracy: " + ", ".join(
      f"{names[i]} {report.per_class_accuracy[i]:.3f}" for i in worst
      if not np.isnan(report.per_class_accuracy[i])))
  return "\n".join(lines)


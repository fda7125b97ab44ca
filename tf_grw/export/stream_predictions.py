"""What a phone sees: class probabilities after every frame of a stream.

`stream_probabilities` runs one clip frame by frame through a streaming TF
Lite model (`export_tflite`) or a Keras stream model (carrying its states)
and returns the softmax of the logits after each frame;
`plot_stream_predictions` draws the top-k classes' probabilities over the
frames, one panel per model (e.g. float and int8 side by side), the picture
of the MoViNet streaming notebook.

Example (a tiny per-frame MobileNet; the last frame's probabilities are the
whole clip's):

  >>> import numpy as np
  >>> from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
  >>> model = build_mobilenet_grw(num_classes=3, filter_size_scale=0.35,
  ...                             grw_endpoints=[])
  >>> clip = np.random.default_rng(0).random((4, 32, 32, 3), np.float32)
  >>> probabilities = stream_probabilities(model, clip)
  >>> probabilities.shape
  (4, 3)
  >>> whole = tf.nn.softmax(model(clip[None], training=False))[0]
  >>> bool(np.allclose(probabilities[-1], whole, atol=1e-5))
  True
"""

import os
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tf_grw.core.errors import check_int
from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.export.inference_model import _is_stream_model
from tf_grw.export.inference_model import inference_keras_model
from tf_grw.export.tflite_stream import one_clip
from tf_grw.export.tflite_stream import run_tflite_stream

__all__ = ["plot_stream_predictions", "stream_probabilities"]


def _keras_stream_logits(model, clip: np.ndarray) -> np.ndarray:
  if not _is_stream_model(model):
    model = inference_keras_model(model, streaming=True)
  states = model.init_states(clip.shape)
  logits = []
  for t in range(clip.shape[1]):
    out, states = model({**states, "image": tf.constant(clip[:, t:t + 1])},
                        training=False)
    logits.append(np.asarray(out)[0])
  return np.stack(logits)


def stream_probabilities(model_or_tflite, clip,
                         num_threads: Optional[int] = None) -> np.ndarray:
  """Class probabilities after every frame of one streamed clip.

  Args:
    model_or_tflite: a `.tflite` path from `export_tflite`, a Keras stream
      model (`{**states, "image"} -> (logits, states)`), or a model with
      `inference_model(streaming=True)` (a GRW classifier of this library).
    clip: one clip `[N, H, W, 3]` or `[1, N, H, W, 3]` (float in [0, 1] or
      uint8).
    num_threads: TF Lite interpreter threads.

  Returns:
    float32 `[N, num_classes]`: softmax of the logits after each frame.
  """
  clip = one_clip(clip)
  if isinstance(model_or_tflite, (str, os.PathLike)):
    logits = run_tflite_stream(model_or_tflite, clip, num_threads)
  else:
    logits = _keras_stream_logits(model_or_tflite, clip)
  return tf.nn.softmax(np.asarray(logits, np.float32), axis=-1).numpy()


def plot_stream_predictions(models: Union[object, Mapping[str, object]],
                            clip,
                            class_names: Sequence[str],
                            path: str,
                            top_k: int = 3,
                            title: Optional[str] = None) -> str:
  """Plots the top-k class probabilities after every frame of a stream.

  Args:
    models: one model or `.tflite` path (as `stream_probabilities` takes),
      or a mapping of panel name to them (e.g. `{"float": ..., "int8":
      ...}`), drawn side by side with the same classes.
    clip: one clip `[N, H, W, 3]` or `[1, N, H, W, 3]`.
    class_names: the names of the classes, in logit order.
    path: the image path (PNG).
    top_k: classes drawn: the most probable after the last frame of the
      first panel.
    title: the figure title.

  Returns:
    `path`.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")  # No display here; export may not import analysis.
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  if not isinstance(models, Mapping):
    models = {"model": models}
  if not models:
    raise invalid_value("models", "a model, a .tflite path, or a non-empty "
                        "mapping of name to them", models)
  top_k = check_int("top_k", top_k, 1)
  probabilities = {name: stream_probabilities(m, clip)
                   for name, m in models.items()}
  num_classes = next(iter(probabilities.values())).shape[1]
  if len(class_names) != num_classes:
    raise invalid_value("class_names", f"{num_classes} names (one per "
                        "class)", Described(f"<{len(class_names)} names>"))
  first = next(iter(probabilities.values()))
  classes = np.argsort(-first[-1])[:min(top_k, num_classes)]
  fig, axes = plt.subplots(1, len(probabilities), squeeze=False,
                           figsize=(5.2 * len(probabilities), 3.8),
                           sharey=True)
  colors = plt.get_cmap("tab10")
  for ax, (name, p) in zip(axes[0], probabilities.items()):
    frames = np.arange(1, len(p) + 1)
    for i, c in enumerate(classes):
      ax.plot(frames, p[:, c], "o-", markersize=3, color=colors(i % 10),
              label=class_names[c])
    ax.set_title(f"{name}: top-1 '{class_names[int(np.argmax(p[-1]))]}' "
                 f"({p[-1].max():.2f})", fontsize=10)
    ax.set_xlabel("frames seen")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
  axes[0][0].set_ylabel("probability")
  axes[0][0].legend(fontsize=8, loc="best")
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path

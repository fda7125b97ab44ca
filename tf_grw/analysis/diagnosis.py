"""Is my video model smooth? A per-endpoint profile of its features in time.

GRW's premise (Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928) is that video
models' per-frame features do not move smoothly in time. `diagnose` measures
it, endpoint by endpoint, on clips you give it, in inference mode:

* `accel_to_velocity`, `straightness` (`trajectories.smoothness_stats`):
  how jerky the per-frame trajectories are (0 and 1 for a straight line at
  constant speed; 2 for a random walk; 4 for a path that reverses each step);
* `clock_share` (`trajectories.clock_share`): the share of the feature
  variance that the frame index alone explains across clips. Near 1 the
  endpoint encodes position, not content, and a low order loss there says
  nothing about content;
* `order_loss` and `shuffled_order_loss`: the GRW order loss (alpha 0,
  window = the clip length; each clip's features centred on their own mean
  and scaled per channel by the within-clip spread, so that differences
  between clips do not shrink the motion inside them) of the clips
  in true order and with frames 1.. shuffled (the same permutation at every
  endpoint); `order_gap` is their ratio. A content-following endpoint has a
  gap well above 1; a clock or noise has a gap near 1;
* with `labels`, `probe_accuracy`: a ridge classifier of the clip label
  from the time-averaged features, fitted on half of each class's clips and
  scored on the other half (a cheap look at where class information
  appears).

Works for a `MovinetGRWClassifier`, an official `MovinetClassifier` (base or
stream backbone; its per-frame endpoints), a `MobilenetVideoClassifier`
(GRW or plain), or any Keras video model whose per-frame outputs
`[B, T, ...]` are reachable by layer name.

Example (a toy Keras model: one layer is a pure clock, one follows the
content):

  >>> import tf_keras
  >>> video = tf_keras.Input((6, 4, 4, 3))
  >>> content = tf_keras.layers.Lambda(
  ...     lambda v: tf.reduce_mean(v, axis=[2, 3]), name="content")(video)
  >>> clock = tf_keras.layers.Lambda(
  ...     lambda v: tf.tile(tf.range(6.0)[None, :, None],
  ...                       [tf.shape(v)[0], 1, 3]), name="clock")(video)
  >>> model = tf_keras.Model(video, [content, clock])
  >>> t = np.arange(6.0)[None, :, None, None, None]
  >>> rng = np.random.default_rng(0)
  >>> clips = 0.5 + 0.05 * t * rng.normal(size=(16, 1, 1, 1, 3))
  >>> clips = np.broadcast_to(clips, (16, 6, 4, 4, 3))
  >>> profile = diagnose(model, clips, endpoints=["content", "clock"])
  >>> [round(row["clock_share"], 2) for row in profile.rows]
  [0.01, 1.0]
  >>> [row["order_gap"] > 2 for row in profile.rows]
  [True, False]
  >>> advice = profile.recommend()  # The clock is skipped; content is smooth.
  >>> advice["endpoint"], advice["recommended"]
  ('content', False)
"""

import csv
import dataclasses
import io
import numbers
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import tensorflow as tf
import tf_keras

from tf_grw.analysis.trajectories import _pyplot
from tf_grw.analysis.trajectories import clock_share
from tf_grw.analysis.trajectories import pca_project
from tf_grw.analysis.trajectories import smoothness_stats
from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_loss import grw_loss
from tf_grw.models.grw_endpoints import EMBEDDING
from tf_grw.models.mobilenet.mobilenet_grw import MobilenetVideoClassifier

__all__ = ["SmoothnessProfile", "diagnose"]

COLUMNS = ("endpoint", "channels", "accel_to_velocity", "straightness",
           "clock_share", "order_loss", "shuffled_order_loss", "order_gap",
           "probe_accuracy")
_MAX_WINDOW = 16  # The exact GRW loss's limit.


@dataclasses.dataclass
class SmoothnessProfile:
  """The rows of `diagnose`, one per endpoint from input to output.

  Attributes:
    rows: a list of dicts with the keys of `COLUMNS` (`probe_accuracy` is
      None without labels).
    num_clips, num_frames, window: what was measured.

  >>> profile = SmoothnessProfile(rows=[dict(
  ...     endpoint="block4", channels=8, accel_to_velocity=1.5,
  ...     straightness=0.4, clock_share=0.1, order_loss=2.0,
  ...     shuffled_order_loss=5.0, order_gap=2.5, probe_accuracy=None)],
  ...     num_clips=4, num_frames=8, window=8)
  >>> print(profile.to_markdown().splitlines()[2])
  | block4 | 8 | 1.500 | 0.400 | 0.100 | 2.000 | 5.000 | 2.500 | - |
  """
  rows: List[Dict[str, Any]]
  num_clips: int
  num_frames: int
  window: int
  # Per-frame features [N, T, C] of each endpoint (for `plot`), and labels.
  features: Dict[str, np.ndarray] = dataclasses.field(
      default_factory=dict, repr=False)
  labels: Optional[np.ndarray] = dataclasses.field(default=None, repr=False)

  def recommend(self, exclude: Sequence[str] = ("head", EMBEDDING),
                max_clock_share: float = 0.2,
                min_accel_to_velocity: float = 1.5) -> Dict[str, Any]:
    """Where GRW should go: a rule calibrated on the airplanes data.

    The rule: take the deepest endpoint not in `exclude` whose clock share
    is below `max_clock_share` (deeper endpoints that mostly encode the
    frame index are skipped: an order loss there would be met by a clock).
    If its acceleration-to-velocity ratio is at least
    `min_accel_to_velocity` (rougher than a smooth path), recommend GRW
    there, with the window the clip length allows (at most 16); otherwise
    it is already smooth and GRW there would add little.

    Why these defaults: on the airplanes study, GRW on MoViNet-A0's last
    stage (`block4`) gained +5.4 points (pooled over 20 confirmation
    seeds) while the head's embedding lost 6.7 (docs/grw_study.md); `head`
    was not measured, so neither is proposed. Every endpoint of the demo's
    baseline had a clock share of 0.004-0.062 and an acceleration ratio of
    2.26-2.64; the GRW-trained `block4` had 0.89 (docs/diagnosis.md). The
    thresholds sit between those; unchanged, they told apart a second pair
    trained by launch/fit.py (baseline `block4` 1.74: recommended; GRW
    1.19: already smooth). One dataset, two pairs: not beyond.

    Returns:
      A dict: `endpoint` (None when no endpoint qualifies), `window`,
      `recommended` (bool) and `reason` (one sentence).
    """
    candidates = [r for r in self.rows if r["endpoint"] not in exclude
                  and r["clock_share"] < max_clock_share]
    if not candidates:
      return dict(endpoint=None, window=self.window, recommended=False,
                  reason=f"no endpoint outside {list(exclude)} has a clock "
                  f"share below {max_clock_share}")
    row = candidates[-1]
    name, accel = row["endpoint"], row["accel_to_velocity"]
    if accel >= min_accel_to_velocity:
      return dict(endpoint=name, window=self.window, recommended=True,
                  reason=f"'{name}' is the deepest endpoint not bound to the "
                  f"frame index (clock share {row['clock_share']:.3f}); its "
                  f"trajectories are rough (accel/vel {accel:.2f} >= "
                  f"{min_accel_to_velocity}): GRW with window {self.window}")
    return dict(endpoint=name, window=self.window, recommended=False,
                reason=f"'{name}' is already smooth (accel/vel {accel:.2f} "
                f"< {min_accel_to_velocity}; order gap "
                f"{row['order_gap']:.1f}): GRW there would add little")

  def plot(self, path: str, endpoint: Optional[str] = None,
           max_clips: int = 40) -> str:
    """Writes a two-panel figure: the metrics over depth, PCA trajectories.

    Args:
      path: the image path (PNG).
      endpoint: the endpoint of the trajectory panel; default the
        recommended one (else the last row).
      max_clips: clips drawn in the trajectory panel.

    Returns:
      `path`.
    """
    names = [r["endpoint"] for r in self.rows]
    if endpoint is None:
      endpoint = self.recommend()["endpoint"] or names[-1]
    if endpoint not in self.features:
      raise invalid_value("endpoint", f"a profiled endpoint with features "
                          f"(one of {list(self.features)})", endpoint)
    plt = _pyplot()
    fig, (depth, paths) = plt.subplots(1, 2, figsize=(12, 4.6))
    x = np.arange(len(names))
    for key, style in (("accel_to_velocity", "o-"), ("straightness", "s-"),
                       ("clock_share", "^-")):
      depth.plot(x, [r[key] for r in self.rows], style, label=key,
                 markersize=4)
    gap = depth.twinx()
    gap.semilogy(x, [r["order_gap"] for r in self.rows], "d--", color="k",
                 label="order_gap (right, log)", markersize=4)
    depth.axvline(names.index(endpoint), color="grey", alpha=0.4, lw=6)
    depth.set_xticks(x)
    depth.set_xticklabels(names, rotation=70, fontsize=7)
    depth.set_title(f"metrics over depth ({self.num_clips} clips, "
                    f"{self.num_frames} frames, window {self.window})",
                    fontsize=10)
    handles = (depth.get_legend_handles_labels()[0] +
               gap.get_legend_handles_labels()[0])
    depth.legend(handles, [h.get_label() for h in handles], fontsize=7)
    z = self.features[endpoint][:max_clips]
    projected, ratio = pca_project(z, 2)
    colors = plt.get_cmap("tab10")
    labels = (np.zeros(len(z), np.int64) if self.labels is None
              else np.asarray(self.labels)[:max_clips])
    for clip, label in zip(projected, labels):
      paths.plot(clip[:, 0], clip[:, 1], "-", color=colors(int(label) % 10),
                 alpha=0.55, lw=1.0)
      paths.plot(clip[0, 0], clip[0, 1], "o", color=colors(int(label) % 10),
                 markersize=2.5)
    row = self.rows[names.index(endpoint)]
    paths.set_title(f"'{endpoint}': accel/vel "
                    f"{row['accel_to_velocity']:.2f}, order gap "
                    f"{row['order_gap']:.1f} (o = first frame)", fontsize=10)
    paths.set_xlabel(f"PC1 ({ratio[0]:.0%} var)")
    paths.set_ylabel(f"PC2 ({ratio[1]:.0%} var)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

  def to_markdown(self) -> str:
    """The rows as a Markdown table (3 decimals; `-` for no value)."""
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in self.rows:
      lines.append("| " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)

  def to_csv(self) -> str:
    """The rows as CSV text with a header line (full precision)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in self.rows:
      writer.writerow({c: "" if row[c] is None else row[c] for c in COLUMNS})
    return out.getvalue()


def _cell(value) -> str:
  if value is None:
    return "-"
  if isinstance(value, float):
    return f"{value:.3f}"
  return str(value)


def _per_frame(tensor, batch: int, frames: int) -> np.ndarray:
  """`[B, T, ...]` (or `[B * T, ...]`) features averaged to `[B, T, C]`."""
  x = np.asarray(tensor, np.float64)
  if x.shape[0] == batch * frames and (x.ndim < 2 or x.shape[1] != frames):
    x = x.reshape((batch, frames) + x.shape[1:])
  if x.ndim < 3 or x.shape[:2] != (batch, frames):
    raise invalid_value(
        "endpoints", f"layers with per-frame outputs [B={batch}, T={frames}, "
        "...]", Described(f"<output of shape {tuple(x.shape)}>"))
  return x.reshape(batch, frames, -1, x.shape[-1]).mean(axis=2)


def _movinet_features(model):
  """All (or the named) per-frame endpoints of a MoViNet, in depth order."""
  def features(x):
    inputs = {"image": x}
    if getattr(model.backbone, "use_external_states", False):
      # A stream model fed the whole clip from zero states.
      inputs.update(model.backbone.init_states(tf.shape(x)))
    endpoints, _ = model.backbone(inputs, training=False)
    # The MoViNet head's `head` endpoint is pooled over time: not per frame.
    out = {k: v for k, v in endpoints.items()
           if v.shape.rank == 5 and v.shape[1] == x.shape[1]}
    if getattr(model, "temporal_head", None) is not None:
      pooled = tf.reduce_mean(endpoints["head"], axis=[2, 3])
      out[EMBEDDING] = model.temporal_head.embed(pooled)
    return out
  return features


def _movinet_stream_features(model):
  """The backbone's per-frame endpoints, run one frame at a time."""
  if not getattr(model.backbone, "use_external_states", False):
    raise invalid_value("streaming", "False for a MoViNet whose backbone "
                        "takes no states (use `model.inference_model("
                        "streaming=True)`)", True)

  # With the MoViNet head, `head` is pooled over time (a running mean when
  # streamed): the whole-clip profile leaves it out, so does this one.
  # (Model Garden's `Head` config does not say; its pooling layer does.)
  pooled = any(type(m).__name__ == "GlobalAveragePool3D"
               for m in model.backbone.get_layer("head").submodules)

  def features(x):
    states = model.backbone.init_states(tf.shape(x))
    steps = []
    for t in range(x.shape[1]):
      endpoints, states = model.backbone(
          {"image": x[:, t:t + 1], **states}, training=False)
      steps.append({k: v for k, v in endpoints.items()
                    if v.shape.rank == 5 and not (pooled and k == "head")})
    return {k: tf.concat([s[k] for s in steps], axis=1) for k in steps[0]}
  return features


def _mobilenet_features(model):
  def features(x):
    outputs = model.block_outputs(x, training=False)
    out = {name: model.per_frame(outputs, name)
           for name in model.chain.spatial}
    out[EMBEDDING] = MobilenetVideoClassifier.per_frame_embeddings(
        model, x)[EMBEDDING]
    return out
  return features


def _keras_features(model, names):
  if names is None:
    frames = model.inputs[0].shape[1]
    names = [l.name for l in model.layers
             if not isinstance(l, tf_keras.layers.InputLayer)
             and _is_per_frame(l.output, frames)]
  layers = []
  for name in names:
    try:
      layers.append(model.get_layer(name))
    except ValueError:
      raise invalid_value(
          "endpoints", f"names of layers of the model (e.g. "
          f"{[l.name for l in model.layers][:8]})", names) from None
  probe = tf_keras.Model(model.inputs, [l.output for l in layers])

  def features(x):
    outputs = probe(x, training=False)
    if len(layers) == 1:
      outputs = [outputs]
    return dict(zip([l.name for l in layers], outputs))
  return features


def _is_per_frame(output, frames) -> bool:
  return (not isinstance(output, (list, tuple, dict)) and
          output.shape.rank is not None and output.shape.rank >= 3 and
          frames is not None and output.shape[1] == frames)


def _feature_function(model, names, streaming=False
                      ) -> Callable[[tf.Tensor], Dict]:
  movinet = hasattr(model, "backbone") and hasattr(model.backbone,
                                                   "initial_state_specs")
  if streaming:
    if not movinet:
      raise invalid_value("streaming", "False for a model that is not a "
                          "MoViNet (per-frame models have no state)", True)
    return _movinet_stream_features(model)
  if isinstance(model, MobilenetVideoClassifier):
    return _mobilenet_features(model)
  if movinet:
    return _movinet_features(model)
  if isinstance(model, tf_keras.Model) and model.inputs:
    return _keras_features(model, names)
  raise invalid_value(
      "model", "a MoViNet or MobileNet video classifier of this library or "
      "Model Garden, or a functional Keras model", Described(
          f"<{type(model).__name__}>"))


def _check_clips(clips) -> np.ndarray:
  x = np.asarray(clips)
  if x.ndim != 5 or x.shape[0] < 2 or x.shape[1] < 3:
    raise invalid_value("clips", "clips [N >= 2, T >= 3, H, W, C]",
                        Described(f"<array of shape {x.shape}>"))
  if x.dtype == np.uint8:
    return x.astype(np.float32) / 255.0
  return x.astype(np.float32)


def _standardized(z: np.ndarray) -> np.ndarray:
  """Centred per clip, scaled per channel by the within-clip spread."""
  centred = z - z.mean(axis=1, keepdims=True)
  return centred / (np.sqrt(np.mean(centred ** 2, axis=(0, 1))) + 1e-6)


def _order_loss(z: np.ndarray, window: int) -> float:
  return float(grw_loss(_standardized(z).astype(np.float32), window,
                        alpha=0.0))


def _probe_accuracy(z: np.ndarray, labels: np.ndarray, lam: float = 1.0):
  """Ridge one-vs-rest on time-averaged features, fitted on half the clips.

  Each class's clips alternate between the fitting and the scoring half, so
  both halves hold every class.
  """
  x = z.mean(axis=1)
  x = (x - x.mean(0)) / (x.std(0) + 1e-6)
  x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
  classes = np.unique(labels)
  rank = np.zeros(len(labels), np.int64)
  for c in classes:
    rank[labels == c] = np.arange(np.sum(labels == c))
  train, test = np.flatnonzero(rank % 2 == 0), np.flatnonzero(rank % 2 == 1)
  targets = (labels[train, None] == classes[None]).astype(np.float64)
  a = x[train]
  weights = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ targets)
  predicted = classes[np.argmax(x[test] @ weights, axis=1)]
  return float(np.mean(predicted == labels[test]))


def diagnose(model,
             clips,
             endpoints: Union[str, Sequence[str]] = "all",
             labels=None,
             window: Optional[int] = None,
             batch_size: int = 16,
             seed: int = 0,
             streaming: bool = False,
             verbose: int = 0) -> SmoothnessProfile:
  """Profiles the temporal smoothness of a video model, endpoint by endpoint.

  Args:
    model: a MoViNet (`MovinetGRWClassifier` or official `MovinetClassifier`;
      endpoints are its backbone's per-frame outputs, plus `"embedding"`
      for the Transformer head), a MobileNet video classifier (every block,
      plus `"embedding"`), or a functional Keras model (layer names; "all"
      means every layer whose output is `[B, T, ...]` with the input's T).
    clips: `[N, T, H, W, 3]` uint8 (scaled by 1/255) or float in [0, 1],
      N >= 2 clips of T >= 3 frames.
    endpoints: "all", or the endpoint names to keep (in the model's order).
    labels: optional `[N]` integer labels for the linear probe (N >= 4).
    window: the GRW window for the order loss; default T (at most 16).
    batch_size: clips per forward pass.
    seed: the frame shuffle of `shuffled_order_loss`.
    streaming: MoViNet stream models only: run the backbone one frame at a
      time, carrying its states (the way a phone runs it). For a causal
      model this equals the whole-clip profile; the Transformer head's
      `embedding` is not profiled in this mode.
    verbose: 1 shows a progress bar over the clips (both passes).

  Returns:
    A `SmoothnessProfile` (`.rows`, `.to_markdown()`, `.to_csv()`,
    `.recommend()`, `.plot(path)`).
  """
  x = _check_clips(clips)
  num_clips, frames = x.shape[:2]
  if window is None:
    window = min(frames, _MAX_WINDOW)
  if (isinstance(window, bool) or not isinstance(window, numbers.Integral)
      or not 3 <= window <= min(frames, _MAX_WINDOW)):
    raise invalid_value("window", f"an integer in [3, "
                        f"{min(frames, _MAX_WINDOW)}] (the clip length "
                        "bounds it)", window)
  if labels is not None:
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != num_clips or num_clips < 4:
      raise invalid_value("labels", f"{num_clips} labels (one per clip, at "
                          "least 4 clips)", Described(
                              f"<{len(labels)} labels>"))
  names = None if isinstance(endpoints, str) and endpoints == "all" else (
      list(endpoints))
  if names is not None and (not names or not all(
      isinstance(n, str) for n in names)):
    raise invalid_value("endpoints", '"all" or a non-empty list of names',
                        endpoints)
  features = _feature_function(model, names, streaming)
  rng = np.random.default_rng(seed)
  shuffled = x.copy()
  for clip in shuffled:
    clip[1:] = clip[1 + rng.permutation(frames - 1)]

  progress = tf_keras.utils.Progbar(2 * num_clips, unit_name="clip",
                                    verbose=1 if verbose else 0)

  def collect(videos):
    parts: Dict[str, List[np.ndarray]] = {}
    for start in range(0, num_clips, batch_size):
      batch = videos[start:start + batch_size]
      for name, value in features(tf.constant(batch)).items():
        parts.setdefault(name, []).append(
            _per_frame(value, len(batch), frames))
      progress.add(len(batch))
    return {name: np.concatenate(v) for name, v in parts.items()}

  ordered, mixed = collect(x), collect(shuffled)
  if names is not None:
    missing = [n for n in names if n not in ordered]
    if missing:
      raise invalid_value("endpoints", f"names among {list(ordered)}",
                          endpoints)
    ordered = {n: ordered[n] for n in ordered if n in names}
  rows = []
  for name, z in ordered.items():
    smooth = smoothness_stats(z)
    loss = _order_loss(z, window)
    shuffled_loss = _order_loss(mixed[name], window)
    rows.append(dict(
        endpoint=name, channels=int(z.shape[-1]),
        accel_to_velocity=smooth["accel_to_velocity"],
        straightness=smooth["straightness"], clock_share=clock_share(z),
        order_loss=loss, shuffled_order_loss=shuffled_loss,
        order_gap=shuffled_loss / max(loss, 1e-12),
        probe_accuracy=None if labels is None else _probe_accuracy(z, labels)))
  return SmoothnessProfile(
      rows=rows, num_clips=int(num_clips), num_frames=int(frames),
      window=int(window),
      features={n: z.astype(np.float32) for n, z in ordered.items()},
      labels=labels)

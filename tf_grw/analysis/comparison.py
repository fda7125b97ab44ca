"""Controlled comparison: the same video model trained with and without GRW.

Both arms see identical data, seeds, schedule and budget; the only difference
is the GRW taps. This is the engine of `make demo` (launch/demo.py) on the
built-in rotating-airplanes data, and works on any `(videos, labels)` arrays.
Arms are MoViNets (`family="movinet"`, `tf_grw.models.movinet.movinet_grw`) or per-frame
MobileNetV3s (`family="mobilenet"`, `tf_grw.models.mobilenet.mobilenet_grw`).

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
import math
import re
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf
import tf_keras

from tf_grw.core.grw_loss import grw_loss as _grw_loss_fn
from tf_grw.core.errors import invalid_value
from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
from tf_grw.models.mobilenet.mobilenet_grw import MobilenetVideoClassifier
from tf_grw.models.grw_endpoints import EMBEDDING
from tf_grw.models.movinet.movinet_grw import build_movinet_grw

__all__ = ["ArmConfig", "train_arm", "frame_embeddings", "order_check",
           "summarize", "paired_difference"]

FAMILIES = ("movinet", "mobilenet")


@dataclasses.dataclass
class ArmConfig:
  """One arm of the comparison.

  Attributes:
    name: arm name, e.g. "baseline" or "grw".
    grw_endpoints: GRW taps (empty for the baseline), as `build_movinet_grw`
      / `build_mobilenet_grw`.
    family: "movinet" or "mobilenet".
    model_id: MoViNet size ("a0"...) or MobileNet id ("MobileNetV3Small").
    head: "movinet" or "transformer" (MoViNet); "mean" or "transformer"
      (MobileNet).
    window, weight, alpha, normalization: GRW settings.
    epochs, batch_size, learning_rate, warmup_epochs: optimisation; Adam with
      linear warm-up then cosine decay to 0.
    model_options: extra builder keyword arguments.

  The demo's two MoViNet arms differ only in `name` and `grw_endpoints`:

  >>> base = ArmConfig("baseline", head="transformer", epochs=20)
  >>> grw = dataclasses.replace(base, name="grw", grw_endpoints=("block4",))
  >>> grw.head, grw.epochs, grw.window, grw.grw_endpoints
  ('transformer', 20, 8, ('block4',))
  """
  name: str
  grw_endpoints: Sequence[Any] = ()
  family: str = "movinet"
  model_id: str = "a0"
  head: str = "movinet"
  window: int = 8
  weight: float = 0.1
  alpha: Optional[float] = None
  normalization: str = "batch_norm"
  epochs: int = 12
  batch_size: int = 16
  learning_rate: float = 3e-3
  warmup_epochs: int = 1
  model_options: Dict[str, Any] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    if self.family not in FAMILIES:
      raise invalid_value("family", f"one of {list(FAMILIES)}", self.family)
    for field in ("epochs", "batch_size"):
      value = getattr(self, field)
      if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_value(field, "an integer >= 1", value)
    if not self.learning_rate > 0:
      raise invalid_value("learning_rate", "a float > 0", self.learning_rate)


class WarmupCosine(tf_keras.optimizers.schedules.LearningRateSchedule):
  """Linear warm-up to `peak`, then cosine decay to 0 at `total_steps`.

  Not Model Garden's `LinearWarmup(CosineDecay)` that the experiments in
  `tf_grw.modelgarden.experiments` build from their YAML: this warm-up
  starts at `peak / warmup_steps` (not 0) and the cosine spans only the
  steps after it. Every figure of the demo and of the GRW study
  (docs/grw_study.md) was measured with this schedule, so it stays as it is.

  >>> schedule = WarmupCosine(peak=1.0, warmup_steps=2, total_steps=6)
  >>> [round(float(schedule(step)), 3) for step in range(7)]
  [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
  """

  def __init__(self, peak: float, warmup_steps: int, total_steps: int):
    super().__init__()
    self.peak = peak
    self.warmup_steps = warmup_steps
    self.total_steps = total_steps

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    warm = float(max(self.warmup_steps, 1))
    total = float(max(self.total_steps, self.warmup_steps + 1))
    warmup = self.peak * (step + 1.0) / warm
    progress = tf.clip_by_value((step - warm) / (total - warm), 0.0, 1.0)
    cosine = 0.5 * self.peak * (1.0 + tf.cos(math.pi * progress))
    return tf.where(step < warm, warmup, cosine)

  def get_config(self):
    return {"peak": self.peak, "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps}


def _dataset(videos, labels, batch_size, shuffle_seed=None):
  data = tf.data.Dataset.from_tensor_slices((videos, labels))
  if shuffle_seed is not None:
    data = data.shuffle(len(videos), seed=shuffle_seed,
                        reshuffle_each_iteration=True)
  data = data.batch(batch_size, drop_remainder=shuffle_seed is not None)
  data = data.map(lambda v, l: (tf.cast(v, tf.float32) / 255.0, l),
                  num_parallel_calls=tf.data.AUTOTUNE)
  return data.prefetch(tf.data.AUTOTUNE)


class _EpochLog(tf_keras.callbacks.Callback):
  """Evaluates on the test clips after every epoch; prints one line per epoch."""

  def __init__(self, label, test_data, printer):
    super().__init__()
    self.label = label
    self.test_data = test_data
    self.printer = printer
    self.epochs: List[Dict[str, float]] = []
    self._start = 0.0

  def on_epoch_begin(self, epoch, logs=None):
    self._start = time.time()

  def on_epoch_end(self, epoch, logs=None):
    logs = dict(logs or {})
    result = self.model.evaluate(self.test_data, verbose=0, return_dict=True)
    row = {"epoch": epoch + 1, "loss": float(logs.get("loss", np.nan)),
           "train_accuracy": float(logs.get("accuracy", np.nan)),
           "grw_loss": float(logs.get("grw_loss", 0.0)),
           "test_accuracy": float(result["accuracy"]),
           "seconds": time.time() - self._start}
    self.epochs.append(row)
    self.printer(
        f"  [{self.label}] epoch {row['epoch']:>2}/{self.params['epochs']}  "
        f"loss {row['loss']:.3f}  grw {row['grw_loss']:.3f}  "
        f"train acc {row['train_accuracy']:.3f}  "
        f"test acc {row['test_accuracy']:.3f}  ({row['seconds']:.0f}s)")


def build_arm_model(arm: ArmConfig, num_classes: int, num_frames: int,
                    image_size: int) -> tf_keras.Model:
  """The arm's model (causal stream recipe), GRW on `grw_endpoints`."""
  if arm.family == "mobilenet":
    return build_mobilenet_grw(
        arm.model_id, num_classes=num_classes, stream=True,
        grw_endpoints=list(arm.grw_endpoints), window=arm.window,
        weight=arm.weight, alpha=arm.alpha, normalization=arm.normalization,
        head=arm.head, num_frames=num_frames, image_size=image_size,
        **arm.model_options)
  return build_movinet_grw(
      arm.model_id, num_classes=num_classes, stream=True,
      grw_endpoints=list(arm.grw_endpoints), window=arm.window,
      weight=arm.weight, alpha=arm.alpha, normalization=arm.normalization,
      head=arm.head, num_frames=num_frames, image_size=image_size,
      **arm.model_options)


def train_arm(arm: ArmConfig, seed: int, train, test, num_classes: int,
              printer: Callable[[str], None] = print,
              verbose: Optional[int] = None):
  """Trains one arm from scratch with `seed`; returns (model, history rows).

  Args:
    arm: the arm.
    seed: seeds weights, dropout and the shuffle order (identical per arm).
    train, test: `(videos uint8 [N, T, H, W, 3], labels [N])`.
    num_classes: number of classes.
    printer: where per-epoch lines go.
    verbose: Keras `fit` verbosity; default: a progress bar on a terminal,
      nothing otherwise (the per-epoch lines are always printed).
  """
  videos, labels = train
  if verbose is None:
    verbose = 1 if sys.stdout.isatty() else 0
  tf_keras.backend.clear_session()
  tf_keras.utils.set_random_seed(seed)
  model = build_arm_model(arm, num_classes, videos.shape[1], videos.shape[2])
  steps = len(videos) // arm.batch_size
  if steps < 1:
    raise invalid_value("batch_size", f"at most the number of training clips "
                        f"({len(videos)})", arm.batch_size)
  schedule = WarmupCosine(arm.learning_rate, arm.warmup_epochs * steps,
                          arm.epochs * steps)
  model.compile(
      optimizer=tf_keras.optimizers.Adam(schedule),
      loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
      metrics=[tf_keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
  log = _EpochLog(f"{arm.name} seed {seed}",
                  _dataset(test[0], test[1], 50), printer)
  model.fit(_dataset(videos, labels, arm.batch_size, shuffle_seed=seed),
            epochs=arm.epochs, callbacks=[log], verbose=verbose)
  return model, log.epochs


def frame_embeddings(model: tf_keras.Model, videos,
                     endpoint: str, batch_size: int = 50) -> np.ndarray:
  """Per-frame features `[N, T, C]` of `endpoint` in inference mode.

  MoViNet: a backbone endpoint is averaged over space (a stage `"blockN"`
  means its last layer, as in `build_movinet_grw`); `"embedding"` is the
  Transformer head's per-frame affine embedding. MobileNet: a block
  (`"blockN"`, `"levelN"`) averaged over space, or `"embedding"` (what the
  temporal head aggregates). Works for models with or without GRW, so both
  arms can be compared at the same place.
  """
  outs = []
  for start in range(0, len(videos), batch_size):
    x = tf.cast(videos[start:start + batch_size], tf.float32) / 255.0
    if isinstance(model, MobilenetVideoClassifier):
      outs.append(_mobilenet_features(model, x, endpoint).numpy())
      continue
    endpoints, _ = model.backbone({"image": x}, training=False)
    endpoint = _resolve_stage(endpoint, endpoints)
    if endpoint == EMBEDDING:
      features = tf.reduce_mean(endpoints["head"], axis=[2, 3])
      outs.append(model.temporal_head.embed(features).numpy())
    elif endpoint in endpoints:
      outs.append(tf.reduce_mean(endpoints[endpoint], axis=[2, 3]).numpy())
    else:
      raise invalid_value("endpoint", f"one of {sorted(endpoints)} or "
                          f"'{EMBEDDING}'", endpoint)
  return np.concatenate(outs)


def _mobilenet_features(model, x, endpoint):
  if endpoint == EMBEDDING:
    return MobilenetVideoClassifier.per_frame_embeddings(model, x)[EMBEDDING]
  levels = {f"level{k}": n for k, n in model.chain.levels.items()}
  name = levels.get(endpoint, endpoint)
  if name not in model.chain.spatial:
    raise invalid_value("endpoint", f"one of {sorted(levels)}, "
                        f"{model.chain.spatial} or '{EMBEDDING}'", endpoint)
  return model.per_frame(model.block_outputs(x, training=False), name)


def _resolve_stage(name, endpoints):
  """A stage name "blockN" means its last layer, as in `build_movinet_grw`."""
  if name in endpoints or not re.fullmatch(r"block\d+", name):
    return name
  layers = [k for k in endpoints if k.startswith(name + "_layer")]
  if not layers:
    return name
  return max(layers, key=lambda k: int(k.rsplit("layer", 1)[1]))


def order_check(model: tf_keras.Model, videos, endpoint: str,
                window: int, seed: int = 0) -> Dict[str, float]:
  """Does the tapped representation follow content, or just frame position?

  GRW's order loss is also satisfied by a "clock": a feature that moves with
  the frame index whatever the frames show (a causal model can read time from
  its zero padding). This feeds the same test clips twice, in true order and
  with frames 1.. shuffled, and computes the GRW order loss (alpha=0, batch
  statistics) of the per-frame features in input order. Content-following
  features give a much higher loss for the shuffled input; a clock gives the
  same loss for both.
  """
  rng = np.random.default_rng(seed)
  shuffled = videos.copy()
  for clip in shuffled:
    clip[1:] = clip[1 + rng.permutation(len(clip) - 1)]
  result = {}
  for name, clips in (("ordered", videos), ("shuffled", shuffled)):
    z = frame_embeddings(model, clips, endpoint)
    z = (z - z.mean(axis=(0, 1))) / (z.std(axis=(0, 1)) + 1e-3)
    result[name] = float(_grw_loss_fn(z.astype(np.float32), window,
                                      alpha=0.0))
  return result


def summarize(values: Sequence[float]) -> Dict[str, float]:
  """Mean, sample standard deviation, min and max of per-seed results."""
  arr = np.asarray(values, dtype=np.float64)
  return {"mean": float(arr.mean()),
          "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
          "min": float(arr.min()), "max": float(arr.max())}


def paired_difference(treated: Sequence[float],
                      control: Sequence[float]) -> Dict[str, float]:
  """Paired difference `treated - control` per seed, with its 95 % interval.

  Args:
    treated, control: per-seed results in the same seed order.

  Returns:
    `{"mean", "lo", "hi", "n", "wins"}`: the mean difference, its two-sided
    95 % Student-t confidence interval (NaN with one pair), the number of
    pairs and how many of them are positive.

  Example:

  >>> d = paired_difference([0.5, 0.6, 0.7], [0.4, 0.4, 0.6])
  >>> round(d["mean"], 4), d["n"], d["wins"]
  (0.1333, 3, 3)
  """
  a = np.asarray(treated, dtype=np.float64)
  b = np.asarray(control, dtype=np.float64)
  if a.shape != b.shape or a.ndim != 1 or a.size < 1:
    raise invalid_value(
        "treated", f"a non-empty 1-D sequence as long as `control` "
        f"({b.size})", list(a.ravel()))
  d = a - b
  mean = float(d.mean())
  if d.size < 2:
    lo = hi = float("nan")
  else:
    from scipy import stats  # pylint: disable=g-import-not-at-top
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1)
                 / np.sqrt(d.size))
    lo, hi = mean - half, mean + half
  return {"mean": mean, "lo": lo, "hi": hi, "n": int(d.size),
          "wins": int(np.sum(d > 0))}

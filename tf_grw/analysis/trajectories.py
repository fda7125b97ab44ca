"""PCA trajectory plots and smoothness statistics of per-frame embeddings.

The paper's warm-up figure shows, for models trained with and without GRW,
the per-frame embeddings of test clips projected on their first two principal
components: with GRW each clip traces a smooth, nearly straight path. This
module computes that projection, plots the arms side by side, and puts numbers
on "smooth" so that the picture is not the only evidence.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = ["pca_project", "smoothness_stats", "clock_share",
           "plot_trajectories",
           "plot_training_curves"]


def _check_embeddings(embeddings) -> np.ndarray:
  z = np.asarray(embeddings, dtype=np.float64)
  if z.ndim != 3 or z.shape[1] < 3 or z.shape[2] < 1 or z.shape[0] < 1:
    raise invalid_value(
        "embeddings", "an array [clips, frames >= 3, channels]",
        Described(f"<array of shape {z.shape}>"))
  if not np.all(np.isfinite(z)):
    raise invalid_value("embeddings", "finite values",
                        Described("<array with NaN or inf>"))
  return z


def pca_project(embeddings, num_components: int = 2
                ) -> Tuple[np.ndarray, np.ndarray]:
  """Projects per-frame embeddings on their top principal components.

  The components are fitted on all frames of all clips together.

  Args:
    embeddings: `[clips, frames, channels]`.
    num_components: number of components to keep.

  Returns:
    `(projected [clips, frames, num_components], explained_variance_ratio
    [num_components])`.

  Example:

  >>> z = np.random.default_rng(0).normal(size=(4, 5, 8))
  >>> p, ratio = pca_project(z)
  >>> p.shape, ratio.shape
  ((4, 5, 2), (2,))
  """
  z = _check_embeddings(embeddings)
  if (isinstance(num_components, bool) or
      not isinstance(num_components, (int, np.integer)) or
      not 1 <= num_components <= z.shape[2]):
    raise invalid_value("num_components",
                        f"an integer in [1, {z.shape[2]}]", num_components)
  flat = z.reshape(-1, z.shape[2])
  flat = flat - flat.mean(axis=0)
  _, singular, vt = np.linalg.svd(flat, full_matrices=False)
  variance = singular ** 2
  ratio = variance[:num_components] / max(variance.sum(), 1e-30)
  projected = flat @ vt[:num_components].T
  return projected.reshape(z.shape[0], z.shape[1], num_components), ratio


def smoothness_stats(embeddings) -> Dict[str, float]:
  """Scale-free smoothness statistics of per-frame trajectories.

  All three are ratios, so they compare models whose embeddings differ in
  scale or offset.

  Returns:
    A dict with
    `accel_to_velocity`: mean ||z_{t+2} - 2 z_{t+1} + z_t||^2 over
      mean ||z_{t+1} - z_t||^2 (0 for constant-velocity motion, 4 for a path
      that reverses every step, 2 for a random walk without momentum);
    `straightness`: mean over clips of |z_{T-1} - z_0| / sum_t |z_{t+1} - z_t|
      (1 for a straight, monotone path);
    `step_cv`: mean over clips of the coefficient of variation of step
      lengths (0 for constant speed).

  Example:

  >>> line = np.linspace(0, 1, 6)[None, :, None] * np.ones((2, 1, 3))
  >>> s = smoothness_stats(line)
  >>> round(s["accel_to_velocity"], 6), round(s["straightness"], 6)
  (0.0, 1.0)
  """
  z = _check_embeddings(embeddings)
  vel = np.diff(z, axis=1)
  acc = np.diff(vel, axis=1)
  vel_sq = np.sum(vel ** 2, axis=-1)
  acc_sq = np.sum(acc ** 2, axis=-1)
  mean_vel_sq = float(vel_sq.mean())
  if mean_vel_sq <= 0:
    return {"accel_to_velocity": 0.0, "straightness": 1.0, "step_cv": 0.0}
  steps = np.sqrt(vel_sq)
  path = steps.sum(axis=1)
  chord = np.linalg.norm(z[:, -1] - z[:, 0], axis=-1)
  straight = np.where(path > 0, chord / np.maximum(path, 1e-30), 1.0)
  mean_step = steps.mean(axis=1)
  cv = np.where(mean_step > 0, steps.std(axis=1) / np.maximum(mean_step,
                                                             1e-30), 0.0)
  return {
      "accel_to_velocity": float(acc_sq.mean() / mean_vel_sq),
      "straightness": float(straight.mean()),
      "step_cv": float(cv.mean()),
  }


def clock_share(embeddings) -> float:
  """Share of the features' variance explained by the frame index alone.

  With `mu_t` the mean over clips of frame `t` and `mu` the overall mean,
  this is `sum_t ||mu_t - mu||^2 * clips / sum_{n,t} ||z_nt - mu||^2`: the
  between-frame-index part of the variance. Near 1, the features are a
  "clock" (they move with the frame index the same way in every clip, whatever
  the frames show) and a low GRW order loss says nothing about content; near 0,
  the frame index tells nothing and all variation is per clip.

  Example:

  >>> t = np.arange(6.0)[None, :, None]
  >>> clock = np.repeat(t, 4, axis=0)                 # every clip the same
  >>> round(clock_share(clock), 6)
  1.0
  >>> offsets = np.arange(4.0)[:, None, None] * np.ones((1, 6, 1))
  >>> round(clock_share(offsets), 6)                  # no time dependence
  0.0
  """
  z = _check_embeddings(embeddings)
  mean = z.mean(axis=(0, 1))
  total = float(np.sum((z - mean) ** 2))
  if total <= 0:
    return 0.0
  per_frame = z.mean(axis=0)
  between = float(np.sum((per_frame - mean) ** 2)) * z.shape[0]
  return between / total


def _pyplot():
  """matplotlib.pyplot on the non-interactive Agg backend (no display here)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def plot_trajectories(arms: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                      path: str,
                      class_names: Optional[Sequence[str]] = None,
                      max_clips_per_class: int = 20,
                      title: Optional[str] = None) -> str:
  """Side-by-side PCA trajectory plots, one panel per arm.

  Args:
    arms: maps an arm name (e.g. "baseline", "grw") to `(embeddings
      [clips, frames, channels], labels [clips])`.
    path: output image path (PNG).
    class_names: names of the labels, for the legend.
    max_clips_per_class: clips drawn per class and panel.
    title: figure title.

  Returns:
    `path`.
  """
  plt = _pyplot()
  if not arms:
    raise invalid_value("arms", "a non-empty mapping of arm name to "
                        "(embeddings, labels)", arms)
  fig, axes = plt.subplots(1, len(arms), figsize=(5.2 * len(arms), 4.8),
                           squeeze=False)
  colors = plt.get_cmap("tab10")
  for ax, (name, (emb, labels)) in zip(axes[0], arms.items()):
    labels = np.asarray(labels)
    projected, ratio = pca_project(emb, 2)
    stats = smoothness_stats(emb)
    for label in np.unique(labels):
      picks = np.flatnonzero(labels == label)[:max_clips_per_class]
      label_name = (class_names[label] if class_names is not None
                    else str(label))
      for i, clip in enumerate(picks):
        ax.plot(projected[clip, :, 0], projected[clip, :, 1], "-",
                color=colors(int(label)), alpha=0.55, linewidth=1.0,
                label=label_name if i == 0 else None)
        ax.plot(projected[clip, 0, 0], projected[clip, 0, 1], "o",
                color=colors(int(label)), markersize=2.5, alpha=0.8)
    ax.set_title(f"{name}\naccel/vel={stats['accel_to_velocity']:.2f}  "
                 f"straightness={stats['straightness']:.2f}", fontsize=10)
    ax.set_xlabel(f"PC1 ({ratio[0]:.0%} var)")
    ax.set_ylabel(f"PC2 ({ratio[1]:.0%} var)")
    ax.legend(fontsize=8, loc="best")
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def plot_training_curves(histories: Mapping[str, Sequence[Mapping[str, float]]],
                         path: str,
                         keys: Sequence[str] = ("loss", "test_accuracy")
                         ) -> str:
  """Plots per-epoch curves of several runs, one panel per key.

  Args:
    histories: maps a run name (e.g. "grw seed 0") to a list of per-epoch
      dicts holding the `keys`.
    path: output image path (PNG).
    keys: which per-epoch values to draw.

  Returns:
    `path`.
  """
  plt = _pyplot()
  if not histories:
    raise invalid_value("histories", "a non-empty mapping of run name to "
                        "per-epoch dicts", histories)
  fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 4.0),
                           squeeze=False)
  for ax, key in zip(axes[0], keys):
    for name, epochs in histories.items():
      values = [e[key] for e in epochs if key in e]
      if values:
        style = "-" if name.startswith("grw") else "--"
        ax.plot(range(1, len(values) + 1), values, style, label=name,
                linewidth=1.2)
    ax.set_xlabel("epoch")
    ax.set_title(key)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path

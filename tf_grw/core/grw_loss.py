"""The GRW (Gaussian-random-walk) smoothness loss as a pure function.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

For a window of T per-frame embeddings z_0..z_{T-1} and an ordering pi that
keeps frame 0 first, the GRW log-likelihood (up to a constant) is

    score(pi) = -1/2 * sum_t || z_pi(t+2) - 2 z_pi(t+1) + z_pi(t) ||^2.

The loss is the softmax cross-entropy of the true order against all orderings,
plus `alpha` times the velocity term 1/2 * sum_t || z_{t+1} - z_t ||^2.

Two exact algorithms, neither of which builds permuted copies of the input:

* table (T <= `max_table_window`): the score is a quadratic form of the
  window's Gram matrix G = Z Z^T, score(pi) = -1/2 <P^T L P, G> with
  L = D2^T D2. The (T-1)! permuted L's are precomputed once, so the logits of
  all orderings are one matmul with the flattened Gram matrices.
* dynamic program (larger T): the score is a sum over consecutive triples, so
  the log-sum-exp over all orderings is a DP over (visited subset, last two
  frames), O(2^T T^3) per window.
"""

import functools
import itertools
import math
from typing import Tuple

import numpy as np
import tensorflow as tf

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value as _invalid

__all__ = ["grw_loss", "grw_window_losses", "DEFAULT_MAX_TABLE_WINDOW"]

# (T-1)! orderings: 5040 rows of 64 values at T=8. Beyond it the DP is cheaper.
DEFAULT_MAX_TABLE_WINDOW = 8
_MAX_WINDOW = 16  # DP state count 2^(T-1) * T^2 grows fast; keep it sane.
_ORDERINGS = ("exact", "sampled")


def _second_difference(window: int) -> np.ndarray:
  d2 = np.zeros((window - 2, window))
  for t in range(window - 2):
    d2[t, t:t + 3] = (1.0, -2.0, 1.0)
  return d2


def _all_orderings(window: int) -> np.ndarray:
  """All orderings keeping frame 0 first; the identity is row 0."""
  rest = itertools.permutations(range(1, window))
  return np.array([(0,) + p for p in rest], dtype=np.int64)


def _sampled_orderings(window: int, num_orderings: int, seed: int) -> np.ndarray:
  """True order first, then distinct seeded shuffles of frames 1..T-1.

  When (T-1)! <= num_orderings every ordering is used, as the reference does.
  """
  total = math.factorial(window - 1)
  if total <= num_orderings:
    return _all_orderings(window)
  rng = np.random.default_rng(seed)
  identity = tuple(range(window))
  seen = {identity}
  rows = [identity]
  while len(rows) < num_orderings:
    perm = (0,) + tuple(int(i) + 1 for i in rng.permutation(window - 1))
    if perm not in seen:
      seen.add(perm)
      rows.append(perm)
  return np.array(rows, dtype=np.int64)


@functools.lru_cache(maxsize=64)
def _ordering_table(window: int, mode: str, num_orderings: int,
                    seed: int) -> np.ndarray:
  """[num_orderings, T*T] rows of (P^T L P - L), flattened, float64.

  Subtracting the identity's form makes the true-order logit exactly 0, so the
  cross-entropy is log-sum-exp of the relative logits (no cancellation).
  """
  if mode == "exact":
    perms = _all_orderings(window)
  else:
    perms = _sampled_orderings(window, num_orderings, seed)
  d2 = _second_difference(window)
  lap = d2.T @ d2
  # (P^T L P)[i, j] = L[pinv[i], pinv[j]] where pinv is the inverse ordering.
  inv = np.argsort(perms, axis=1)
  forms = lap[inv[:, :, None], inv[:, None, :]]
  forms = forms - lap[None]
  return forms.reshape(len(perms), window * window)


@functools.lru_cache(maxsize=16)
def _dp_plan(window: int):
  """Index tables for the subset DP over frames 1..T-1 (frame 0 is first).

  A path that starts at frame 0 and has visited the subset S of frames 1..T-1
  (|S| = k >= 2) ends in (a, b): second-to-last a and last b, both in S. Layer
  k stores the log-weights of all such paths as a dense [n_k, k, k] array, the
  last two axes indexing positions in sorted(S) (diagonal = -inf). Only valid
  states are stored.

  Returns:
    `(pairs, steps)`: `pairs` is the [n_2, 2] frames of each 2-subset; `steps`
    has, per transition k -> k+1, a tuple `(prev_idx, energy_idx, col)`:
    prev_idx [n_{k+1}, k+1]: index in layer k of S' \ {c_j} for c_j the j-th
      member of S';
    energy_idx [n_{k+1}, k+1, k, k]: flat index a*T*T + b*T + c_j of the step
      energy, a and b running over members of S' \ {c_j};
    col [k+1, k+1]: for new last frame position j and new second-to-last
      position p in S', the position of that frame in S' \ {c_j}, or k (a
      padding slot) when p == j.
  """
  frames = list(range(1, window))
  layers = [[tuple(s) for s in itertools.combinations(frames, k)]
            for k in range(window)]
  index = [{s: i for i, s in enumerate(layer)} for layer in layers]
  steps = []
  for k in range(2, window - 1):
    prev_idx, energy_idx = [], []
    for subset in layers[k + 1]:
      row_prev, row_energy = [], []
      for c in subset:
        prev = tuple(m for m in subset if m != c)
        row_prev.append(index[k][prev])
        prev_arr = np.array(prev)
        row_energy.append(prev_arr[:, None] * window * window +
                          prev_arr[None, :] * window + c)
      prev_idx.append(row_prev)
      energy_idx.append(row_energy)
    col = np.array([[p if p < j else (k if p == j else p - 1)
                     for p in range(k + 1)] for j in range(k + 1)])
    steps.append((np.array(prev_idx, np.int32),
                  np.array(energy_idx, np.int32), col.astype(np.int32)))
  return np.array(layers[2], np.int32), steps


def _masked_logsumexp(x, axis):
  """log-sum-exp that returns -inf for all -inf slices with finite gradients."""
  raw_max = tf.reduce_max(x, axis=axis, keepdims=True)
  finite = tf.math.is_finite(raw_max)
  shift = tf.stop_gradient(tf.where(finite, raw_max, tf.zeros_like(raw_max)))
  total = tf.reduce_sum(tf.exp(x - shift), axis=axis, keepdims=True)
  positive = total > 0
  safe_total = tf.where(positive, total, tf.ones_like(total))
  out = tf.where(positive, tf.math.log(safe_total) + shift,
                 tf.fill(tf.shape(total), tf.constant(-np.inf, x.dtype)))
  return tf.squeeze(out, axis=axis)


def _dp_log_partition(gram: tf.Tensor, window: int) -> tf.Tensor:
  """log sum_pi exp(score(pi)) over all orderings with frame 0 first.

  Args:
    gram: [W, T, T] float32 Gram matrices of (centred) windows.
    window: T.

  Returns:
    [W] log-partition values.
  """
  diag = tf.linalg.diag_part(gram)  # [W, T]
  # energy[a, b, c] = || z_c - 2 z_b + z_a ||^2 expanded through the Gram matrix.
  ga = diag[:, :, None, None]
  gb = diag[:, None, :, None]
  gc = diag[:, None, None, :]
  gab = gram[:, :, :, None]
  gbc = gram[:, None, :, :]
  gac = gram[:, :, None, :]
  energy = gc + 4.0 * gb + ga - 4.0 * gbc - 4.0 * gab + 2.0 * gac
  half = tf.reshape(-0.5 * energy, [-1, window ** 3])  # [W, a*T*T + b*T + c]
  pairs, steps = _dp_plan(window)
  # Layer 2: paths (0, b, c) over 2-subsets {m0 < m1}, positions (b, c).
  first = tf.gather(half, pairs[:, 0] * window + pairs[:, 1], axis=1)
  second = tf.gather(half, pairs[:, 1] * window + pairs[:, 0], axis=1)
  neg_inf = tf.fill(tf.shape(first), tf.constant(-np.inf, tf.float32))
  values = tf.stack([tf.stack([neg_inf, first], -1),
                     tf.stack([second, neg_inf], -1)], -2)  # [W, n2, 2, 2]
  for prev_idx, energy_idx, col in steps:
    k = prev_idx.shape[1] - 1
    prev = tf.gather(values, prev_idx, axis=1)  # [W, S', j, a, b]
    step = tf.gather(half, energy_idx, axis=1)  # [W, S', j, a, b]
    new = _masked_logsumexp(prev + step, axis=3)  # [W, S', j, b]
    pad = tf.fill(tf.concat([tf.shape(new)[:3], [1]], 0),
                  tf.constant(-np.inf, tf.float32))
    new = tf.concat([new, pad], axis=3)  # [W, S', j, k + 1]
    new = tf.transpose(new, [2, 0, 1, 3])  # [j, W, S', k + 1]
    new = tf.gather(new, col, axis=3, batch_dims=1)  # [j, W, S', p]
    values = tf.transpose(new, [1, 2, 3, 0])  # [W, S', p (b), j (c)]
    del k
  final = tf.reshape(values, [tf.shape(values)[0], -1])
  return _masked_logsumexp(final, axis=1)


def check_settings(window, alpha, orderings, num_orderings,
                   max_table_window=DEFAULT_MAX_TABLE_WINDOW) -> float:
  """Validates the `grw_loss` arguments other than the tensor.

  Returns:
    alpha as a float.
  """
  if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
    raise _invalid("window", "an integer >= 3", window)
  if window < 3:
    raise _invalid("window", "an integer >= 3", window)
  if window > _MAX_WINDOW:
    raise _invalid("window", f"an integer <= {_MAX_WINDOW} (the exact dynamic "
                   "program grows as 2^T)", window)
  if orderings not in _ORDERINGS:
    raise _invalid("orderings", "one of 'exact', 'sampled'", orderings)
  if (isinstance(num_orderings, bool) or
      not isinstance(num_orderings, (int, np.integer)) or num_orderings < 2):
    raise _invalid("num_orderings", "an integer >= 2", num_orderings)
  if (isinstance(max_table_window, bool) or
      not isinstance(max_table_window, (int, np.integer)) or
      not 3 <= max_table_window <= 10):
    raise _invalid("max_table_window", "an integer in [3, 10]",
                   max_table_window)
  try:
    alpha_value = float(alpha)
  except (TypeError, ValueError):
    raise _invalid("alpha", "a float >= 0", alpha) from None
  if not alpha_value >= 0.0:
    raise _invalid("alpha", "a float >= 0", alpha)
  return alpha_value


def check_args(embeddings, window, alpha, orderings, num_orderings,
               max_table_window):
  """Validates `grw_loss` arguments; returns alpha as a float."""
  alpha_value = check_settings(window, alpha, orderings, num_orderings,
                               max_table_window)
  dtype = tf.as_dtype(embeddings.dtype)
  if not dtype.is_floating:
    raise _invalid("embeddings", "a floating-point tensor",
                   Described(f"<tensor of dtype {dtype.name}>"))
  rank = embeddings.shape.rank
  if rank != 3:
    raise _invalid("embeddings",
                   "a tensor of rank 3 with shape [batch, steps, channels]",
                   Described(f"<tensor of shape {embeddings.shape}>"))
  steps = embeddings.shape[1]
  if steps is not None and steps < window:
    raise _invalid("embeddings",
                   f"at least window={window} steps on axis 1",
                   Described(f"<tensor of shape {embeddings.shape}>"))
  return alpha_value


def grw_window_losses(embeddings,
                      window: int,
                      alpha: float = 0.5,
                      orderings: str = "exact",
                      num_orderings: int = 1000,
                      seed: int = 0,
                      max_table_window: int = DEFAULT_MAX_TABLE_WINDOW
                      ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Per-window order cross-entropy and velocity terms.

  Same arguments as `grw_loss`.

  Returns:
    `(order_ce, velocity)`, each float32 of shape [batch, steps // window].
  """
  if not isinstance(embeddings, (tf.Tensor, tf.Variable)):
    embeddings = tf.convert_to_tensor(embeddings)
  check_args(embeddings, window, alpha, orderings, num_orderings,
              max_table_window)
  z = tf.cast(embeddings, tf.float32)
  shape = tf.shape(z)
  batch, steps, channels = shape[0], shape[1], shape[2]
  static_channels = z.shape[2]
  num_windows = steps // window
  z = z[:, :num_windows * window]
  z = tf.reshape(z, [batch, num_windows, window,
                     static_channels if static_channels is not None
                     else channels])
  # Centring changes no energy (differences annihilate constants) but keeps
  # the Gram matrix well conditioned in float32.
  z = z - tf.reduce_mean(z, axis=2, keepdims=True)
  gram = tf.einsum("bwtk,bwsk->bwts", z, z)  # [B, C, T, T]
  velocity = 0.5 * tf.reduce_sum(tf.square(z[:, :, 1:] - z[:, :, :-1]),
                                 axis=[2, 3])
  flat_gram = tf.reshape(gram, [batch, num_windows, window * window])

  use_table = orderings == "sampled" or window <= max_table_window
  if use_table:
    table = _ordering_table(window, orderings, int(num_orderings), int(seed))
    table = tf.constant(table, tf.float32)
    # Relative logits: the true order (row 0) is exactly 0.
    logits = -0.5 * tf.einsum("bwf,of->bwo", flat_gram, table)
    order_ce = tf.reduce_logsumexp(logits, axis=-1)
  else:
    d2 = _second_difference(window)
    true_form = tf.constant((d2.T @ d2).reshape(-1), tf.float32)
    true_score = -0.5 * tf.einsum("bwf,f->bw", flat_gram, true_form)
    log_z = _dp_log_partition(
        tf.reshape(gram, [batch * num_windows, window, window]), window)
    order_ce = tf.reshape(log_z, [batch, num_windows]) - true_score
  return order_ce, velocity


def grw_loss(embeddings,
             window: int,
             alpha: float = 0.5,
             orderings: str = "exact",
             num_orderings: int = 1000,
             seed: int = 0,
             max_table_window: int = DEFAULT_MAX_TABLE_WINDOW) -> tf.Tensor:
  """GRW smoothness loss of per-frame embeddings (Goldman et al., 2025).

  The steps are cut into `steps // window` consecutive, non-overlapping windows
  (leftover steps are dropped). For each window the loss is the softmax
  cross-entropy of the true frame order against all orderings that keep the
  first frame first, scored by a Gaussian random walk on velocity, plus
  `alpha` times the velocity term 1/2 sum_t ||z_{t+1} - z_t||^2. The result is
  the mean over windows and batch.

  All math is float32 whatever the input dtype (mixed precision safe), the
  log-sum-exp is stabilised, and the function works eagerly, in `tf.function`
  and under `jit_compile=True`.

  Args:
    embeddings: float tensor `[batch, steps, channels]`.
    window: T, steps per window, an integer >= 3.
    alpha: weight of the velocity term (paper: 0.5).
    orderings: `"exact"` (all (T-1)! orderings: a precomputed Gram-form table
      for T <= `max_table_window`, an exact subset dynamic program beyond) or
      `"sampled"` (the reference's behaviour: the true order plus a fixed,
      seeded set of shuffles, `num_orderings` in all).
    num_orderings: number of orderings in `"sampled"` mode, true order included.
    seed: seed of the sampled orderings (drawn once, cached).
    max_table_window: largest T handled by the table in `"exact"` mode.

  Returns:
    Scalar float32 loss.

  Example:

  >>> import numpy as np
  >>> z = np.arange(4, dtype="float32").reshape(1, 4, 1)
  >>> round(float(grw_loss(z, window=4, alpha=1.0)), 4)
  1.5138

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """
  order_ce, velocity = grw_window_losses(
      embeddings, window, alpha=alpha, orderings=orderings,
      num_orderings=num_orderings, seed=seed,
      max_table_window=max_table_window)
  alpha_value = float(alpha)
  per_window = order_ce + alpha_value * velocity if alpha_value else order_ce
  return tf.reduce_mean(per_window)

"""Tests of `tf_grw.core.grw_loss` against the paper's definition."""

import itertools
import math

import numpy as np
import pytest
import tensorflow as tf

from tf_grw.core.grw_loss import _sampled_orderings  # pylint: disable=protected-access
from tf_grw.core.grw_loss import grw_loss
from tf_grw.core.grw_loss import grw_window_losses


# ---------------------------------------------------------------------------
# Independent brute force: the definition in PAPER.md, float64 NumPy, with
# explicit permuted copies of each window. Gradients are derived by hand:
#   score(pi) = -1/2 ||D2 P z||^2  =>  d score / dz = -(P^T D2^T D2 P) z,
#   d CE / dz = sum_pi softmax(score)_pi * d score_pi/dz - d score_id/dz,
#   d velocity / dz = D1^T D1 z.
# ---------------------------------------------------------------------------
def _d(order, window):
  rows = window - order
  mat = np.zeros((rows, window))
  coeffs = (-1.0, 1.0) if order == 1 else (1.0, -2.0, 1.0)
  for t in range(rows):
    mat[t, t:t + order + 1] = coeffs
  return mat


def brute_force(z, window, alpha, perms=None):
  """Returns (loss, d loss / d z) for z of shape [B, N, K]."""
  z = np.asarray(z, np.float64)
  batch, steps, _ = z.shape
  num_windows = steps // window
  if perms is None:
    perms = [(0,) + p for p in itertools.permutations(range(1, window))]
  perms = [np.array(p) for p in perms]
  d1, d2 = _d(1, window), _d(2, window)
  losses = []
  grad = np.zeros_like(z)
  for b in range(batch):
    for c in range(num_windows):
      w = z[b, c * window:(c + 1) * window]
      scores, dscores = [], []
      for p in perms:
        permuted = w[p]  # Row t is z_{pi(t)}.
        acc = permuted[2:] - 2 * permuted[1:-1] + permuted[:-2]
        scores.append(-0.5 * np.sum(acc ** 2))
        pmat = np.eye(window)[p]
        dscores.append(-(pmat.T @ d2.T @ d2 @ pmat) @ w)
      scores = np.array(scores)
      top = scores.max()
      lse = top + np.log(np.sum(np.exp(scores - top)))
      probs = np.exp(scores - lse)
      vel = 0.5 * np.sum((w[1:] - w[:-1]) ** 2)
      losses.append(lse - scores[0] + alpha * vel)
      g = sum(pr * ds for pr, ds in zip(probs, dscores)) - dscores[0]
      g = g + alpha * (d1.T @ d1 @ w)
      grad[b, c * window:(c + 1) * window] = g
  count = batch * num_windows
  return np.mean(losses), grad / count


def _tf_value_and_grad(z, window, **kwargs):
  z = tf.constant(z, tf.float32)
  with tf.GradientTape() as tape:
    tape.watch(z)
    loss = grw_loss(z, window, **kwargs)
  return float(loss), tape.gradient(loss, z).numpy()


def test_hand_computed_case():
  # PAPER.md: T=4, K=1, Z=[0,1,2,3], alpha=1. Accelerations per ordering:
  #   (0,1,2,3) -> (0, 0)    sum a^2 = 0   logit  0
  #   (0,1,3,2) -> (1, -3)   sum a^2 = 10  logit -5
  #   (0,3,1,2) -> (-5, 3)   sum a^2 = 34  logit -17
  #   (0,2,1,3) -> (-3, 3)   sum a^2 = 18  logit -9
  #   (0,2,3,1) -> (-1, -3)  sum a^2 = 10  logit -5
  #   (0,3,2,1) -> (-4, 0)   sum a^2 = 16  logit -8
  # CE = log(e^0 + 2 e^-5 + e^-17 + e^-9 + e^-8) - 0
  # velocity = 1/2 * (1 + 1 + 1) = 1.5, weighted by alpha = 1.
  ce = math.log(1 + 2 * math.exp(-5) + math.exp(-17) + math.exp(-9) +
                math.exp(-8))
  expected = ce + 1.0 * 1.5
  z = np.arange(4, dtype=np.float32).reshape(1, 4, 1)
  assert float(grw_loss(z, window=4, alpha=1.0)) == pytest.approx(
      expected, rel=1e-6)
  order_ce, velocity = grw_window_losses(z, window=4, alpha=1.0)
  assert float(order_ce[0, 0]) == pytest.approx(ce, rel=1e-5)
  assert float(velocity[0, 0]) == pytest.approx(1.5, rel=1e-6)


@pytest.mark.parametrize("window", [3, 4, 5, 6, 7, 8, 9])
@pytest.mark.parametrize("batch,channels,extra", [(1, 1, 0), (3, 4, 2)])
def test_matches_brute_force(window, batch, channels, extra):
  rng = np.random.default_rng(window * 100 + batch)
  steps = 2 * window + extra if window <= 6 else window + extra
  z = rng.normal(size=(batch, steps, channels)) * 0.7
  expected, expected_grad = brute_force(z, window, alpha=0.5)
  value, grad = _tf_value_and_grad(z, window, alpha=0.5)
  assert value == pytest.approx(expected, rel=1e-5)
  np.testing.assert_allclose(grad, expected_grad, rtol=1e-4,
                             atol=1e-5 * np.abs(expected_grad).max())


@pytest.mark.parametrize("window", [4, 6, 8, 9])
def test_dynamic_program_matches_brute_force(window):
  """Forcing the DP for small windows (table limit 3) gives the same loss."""
  rng = np.random.default_rng(window)
  z = rng.normal(size=(2, window, 3))
  expected, expected_grad = brute_force(z, window, alpha=0.25)
  value, grad = _tf_value_and_grad(z, window, alpha=0.25, max_table_window=3)
  assert value == pytest.approx(expected, rel=1e-5)
  np.testing.assert_allclose(grad, expected_grad, rtol=1e-4,
                             atol=1e-5 * np.abs(expected_grad).max())


def _vectorized_brute_force_value(w, alpha):
  """Loss of one window [T, K] over all (T-1)! orderings, float64, vectorized.

  The definition itself: permuted copies of the window, their accelerations,
  a log-sum-exp over orderings, in chunks of orderings to bound memory.
  """
  window = len(w)
  scores = []
  perms = itertools.permutations(range(1, window))
  while True:
    chunk = list(itertools.islice(perms, 200_000))
    if not chunk:
      break
    idx = np.concatenate([np.zeros((len(chunk), 1), np.int64),
                          np.array(chunk)], axis=1)
    permuted = w[idx]  # [P, T, K]
    acc = permuted[:, 2:] - 2 * permuted[:, 1:-1] + permuted[:, :-2]
    scores.append(-0.5 * np.sum(acc ** 2, axis=(1, 2)))
  scores = np.concatenate(scores)
  top = scores.max()
  lse = top + np.log(np.sum(np.exp(scores - top)))
  identity = scores[0]  # itertools yields the identity first.
  return lse - identity + alpha * 0.5 * np.sum((w[1:] - w[:-1]) ** 2)


@pytest.mark.parametrize("window", [10, 11])
def test_dynamic_program_matches_vectorized_brute_force(window):
  """The exact DP beyond the table, against 9! and 10! explicit orderings."""
  rng = np.random.default_rng(window)
  z = rng.normal(size=(2, window, 2)) * 0.8
  expected = np.mean([_vectorized_brute_force_value(w, 0.5) for w in z])
  value = float(grw_loss(tf.constant(z, tf.float32), window, alpha=0.5))
  assert value == pytest.approx(expected, rel=1e-5)


def test_dynamic_program_equals_table_at_limit():
  rng = np.random.default_rng(7)
  z = tf.constant(rng.normal(size=(4, 16, 8)), tf.float32)
  table = float(grw_loss(z, 8, max_table_window=8))
  dp = float(grw_loss(z, 8, max_table_window=7))
  assert dp == pytest.approx(table, rel=1e-5)


def test_exact_works_for_window_12():
  rng = np.random.default_rng(12)
  z = tf.constant(rng.normal(size=(2, 12, 5)), tf.float32)
  value, grad = _tf_value_and_grad(z.numpy(), 12)
  assert np.isfinite(value) and np.all(np.isfinite(grad))
  # The true order of a straight line at constant speed has zero acceleration
  # and every other ordering has positive energy, so its CE is below log(11!).
  line = np.linspace(0, 1, 12)[None, :, None] * np.ones((1, 1, 3)) * 3.0
  ce = float(grw_loss(line, 12, alpha=0.0))
  assert 0.0 < ce < math.log(math.factorial(11))


def test_sampled_matches_brute_force_on_same_orderings():
  window, num = 9, 50
  perms = _sampled_orderings(window, num, seed=3)
  assert perms.shape == (num, window)
  assert tuple(perms[0]) == tuple(range(window))  # True order first.
  assert len({tuple(p) for p in perms}) == num  # Distinct.
  assert np.all(perms[:, 0] == 0)  # Frame 0 stays first.
  rng = np.random.default_rng(0)
  z = rng.normal(size=(2, 2 * window, 3))
  expected, expected_grad = brute_force(z, window, 0.5, perms=list(perms))
  value, grad = _tf_value_and_grad(z, window, orderings="sampled",
                                   num_orderings=num, seed=3)
  assert value == pytest.approx(expected, rel=1e-5)
  np.testing.assert_allclose(grad, expected_grad, rtol=1e-4,
                             atol=1e-5 * np.abs(expected_grad).max())
  # A different seed draws different orderings and gives a different value.
  other = float(grw_loss(z, window, orderings="sampled", num_orderings=num,
                         seed=4))
  assert other != pytest.approx(value, rel=1e-6)


def test_sampled_uses_all_orderings_when_few():
  rng = np.random.default_rng(1)
  z = rng.normal(size=(2, 5, 3))
  assert float(grw_loss(z, 5, orderings="sampled")) == pytest.approx(
      float(grw_loss(z, 5)), rel=1e-6)


def test_leftover_steps_dropped():
  rng = np.random.default_rng(2)
  z = rng.normal(size=(2, 10, 3)).astype(np.float32)
  # 10 steps, window 4: windows [0:4] and [4:8]; steps 8, 9 are dropped.
  changed = z.copy()
  changed[:, 8:] += 100.0
  assert float(grw_loss(z, 4)) == float(grw_loss(changed, 4))
  per_window, _ = grw_window_losses(z, 4)
  assert per_window.shape == (2, 2)


def test_offset_invariance_in_float32():
  rng = np.random.default_rng(3)
  z = rng.normal(size=(4, 7, 64)).astype(np.float32)
  base = float(grw_loss(z, 7))
  shifted = float(grw_loss(z + 10.0, 7))
  assert shifted == pytest.approx(base, rel=1e-5)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float64])
def test_float32_math_for_any_float_dtype(dtype):
  rng = np.random.default_rng(4)
  z = rng.normal(size=(2, 6, 8))
  ref = float(grw_loss(tf.constant(z, tf.float32), 6))
  loss = grw_loss(tf.cast(z, dtype), 6)
  assert loss.dtype == tf.float32
  rel = 1e-6 if dtype == tf.float64 else 5e-2
  assert float(loss) == pytest.approx(ref, rel=rel)


@pytest.mark.parametrize("window,table", [(5, 8), (9, 8)])
def test_large_magnitudes_do_not_overflow(window, table):
  rng = np.random.default_rng(5)
  z = tf.constant(rng.normal(size=(2, window, 16)) * 1e3, tf.float32)
  with tf.GradientTape() as tape:
    tape.watch(z)
    loss = grw_loss(z, window, max_table_window=table)
  grad = tape.gradient(loss, z)
  assert np.isfinite(float(loss))
  assert np.all(np.isfinite(grad.numpy()))


@pytest.mark.parametrize("window", [5, 10])
def test_tf_function_and_xla(window):
  rng = np.random.default_rng(6)
  z = tf.constant(rng.normal(size=(3, 2 * window, 6)), tf.float32)
  eager = float(grw_loss(z, window))

  def value_and_grad(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      loss = grw_loss(x, window)
    return loss, tape.gradient(loss, x)

  graph_loss, graph_grad = tf.function(value_and_grad)(z)
  xla_loss, xla_grad = tf.function(value_and_grad, jit_compile=True)(z)
  assert float(graph_loss) == pytest.approx(eager, rel=1e-5)
  assert float(xla_loss) == pytest.approx(eager, rel=1e-4)
  np.testing.assert_allclose(xla_grad.numpy(), graph_grad.numpy(), rtol=1e-3,
                             atol=1e-5)
  assert np.abs(graph_grad.numpy()).sum() > 0


def test_dynamic_batch_and_steps_in_tf_function():
  fn = tf.function(lambda x: grw_loss(x, 4), input_signature=[
      tf.TensorSpec([None, None, 3], tf.float32)])
  rng = np.random.default_rng(8)
  for shape in [(1, 4, 3), (2, 9, 3)]:
    z = rng.normal(size=shape).astype(np.float32)
    assert float(fn(z)) == pytest.approx(float(grw_loss(z, 4)), rel=1e-6)


def test_velocity_term_weighted_by_alpha():
  rng = np.random.default_rng(9)
  z = rng.normal(size=(2, 5, 3)).astype(np.float32)
  ce, vel = grw_window_losses(z, 5)
  for alpha in (0.0, 0.5, 2.0):
    expected = float(tf.reduce_mean(ce + alpha * vel))
    assert float(grw_loss(z, 5, alpha=alpha)) == pytest.approx(expected,
                                                               rel=1e-6)


# --- Errors: each names the argument, what was expected and what came. ---
_Z = np.zeros((2, 6, 3), np.float32)


@pytest.mark.parametrize("kwargs,message", [
    (dict(embeddings=_Z, window=2),
     r"Invalid value received for argument `window`\. Expected an integer "
     r">= 3\. Received: window=2"),
    (dict(embeddings=_Z, window=4.0),
     r"argument `window`\. Expected an integer >= 3\. Received: window=4\.0"),
    (dict(embeddings=_Z, window=7),
     r"argument `embeddings`\. Expected at least window=7 steps on axis 1\. "
     r"Received: embeddings=<tensor of shape \(2, 6, 3\)>"),
    (dict(embeddings=np.zeros((6, 3), np.float32), window=3),
     r"argument `embeddings`\. Expected a tensor of rank 3 with shape "
     r"\[batch, steps, channels\]\. Received: embeddings=<tensor of shape "
     r"\(6, 3\)>"),
    (dict(embeddings=np.zeros((2, 6, 3), np.int32), window=3),
     r"argument `embeddings`\. Expected a floating-point tensor\. "
     r"Received: embeddings=<tensor of dtype int32>"),
    (dict(embeddings=_Z, window=3, orderings="random"),
     r"argument `orderings`\. Expected one of 'exact', 'sampled'\. "
     r"Received: orderings='random'"),
    (dict(embeddings=_Z, window=3, alpha=-1.0),
     r"argument `alpha`\. Expected a float >= 0\. Received: alpha=-1\.0"),
    (dict(embeddings=_Z, window=3, num_orderings=1),
     r"argument `num_orderings`\. Expected an integer >= 2\. "
     r"Received: num_orderings=1"),
    (dict(embeddings=_Z, window=17),
     r"argument `window`\. Expected an integer <= 16"),
])
def test_errors(kwargs, message):
  with pytest.raises(ValueError, match=message):
    grw_loss(**kwargs)

"""Gram/DP GRW loss vs. the reference algorithm that materializes permutations.

Times forward+backward of `tf_grw.grw_loss` (Gram-form table, and the exact
subset dynamic program for larger windows) against a straightforward
TensorFlow port of the reference algorithm, which gathers every permuted copy
of every window. Both run side by side in one process, interleaved, inside
`tf.function`; the script prints medians and the speed ratio. Peak memory is
measured as the peak resident-set growth of a child process that runs only one
implementation, and printed as a ratio.

Usage:
  .venv/bin/python benchmarks/grw_loss_bench.py [--repeats 5] [--quick]
"""

import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from tf_grw.core.grw_loss import grw_loss  # pylint: disable=g-import-not-at-top


def materialized_grw_loss(z, window, alpha=0.5):
  """Reference algorithm: builds all (T-1)! permuted copies of each window."""
  perms = np.array([(0,) + p for p in itertools.permutations(
      range(1, window))], np.int32)
  z = tf.cast(z, tf.float32)
  batch, steps, channels = z.shape
  num_windows = steps // window
  w = tf.reshape(z[:, :num_windows * window],
                 [batch * num_windows, window, channels])
  permuted = tf.gather(w, perms, axis=1)  # [W, P, T, K]
  acc = permuted[:, :, 2:] - 2.0 * permuted[:, :, 1:-1] + permuted[:, :, :-2]
  logits = -0.5 * tf.reduce_sum(tf.square(acc), axis=[2, 3])  # [W, P]
  ce = tf.reduce_logsumexp(logits, axis=1) - logits[:, 0]
  vel = 0.5 * tf.reduce_sum(tf.square(w[:, 1:] - w[:, :-1]), axis=[1, 2])
  return tf.reduce_mean(ce + alpha * vel)


def _step_fn(impl, window, jit=False, max_table_window=8):
  def step(z):
    with tf.GradientTape() as tape:
      tape.watch(z)
      if impl == "materialized":
        loss = materialized_grw_loss(z, window)
      else:
        loss = grw_loss(z, window, max_table_window=max_table_window)
    return loss, tape.gradient(loss, z)
  return tf.function(step, jit_compile=jit)


def _time(fn, z, repeats):
  fn(z)  # Trace and warm up.
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    loss, grad = fn(z)
    grad.numpy()
    times.append(time.perf_counter() - start)
  return statistics.median(times), float(loss)


def peak_rss():
  """Peak resident set (bytes) of this process image, from /proc (VmHWM).

  Unlike getrusage's ru_maxrss, VmHWM is not inherited from the parent across
  fork/exec, so a child started by a big parent measures only itself.
  """
  with open("/proc/self/status", encoding="ascii") as status:
    for line in status:
      if line.startswith("VmHWM:"):
        return int(line.split()[1]) * 1024
  raise RuntimeError("VmHWM not found in /proc/self/status")


def _peak_rss_child(impl, batch, window, channels):
  """Peak RSS growth (bytes) of one step in a fresh child process."""
  code = (
      "import os, sys, json;"
      "os.environ['TF_CPP_MIN_LOG_LEVEL']='2';"
      "sys.path.insert(0, %r);"
      "import numpy as np, tensorflow as tf;"
      "import grw_loss_bench as b;"
      "z = tf.constant(np.random.default_rng(0).normal(size=(%d, %d, %d)),"
      " tf.float32);"
      "tiny = tf.constant(np.zeros((1, %d, 2)), tf.float32);"
      "f = b._step_fn(%r, %d); f(tiny);"
      "base = b.peak_rss();"
      "f(z)[1].numpy();"
      "print(json.dumps(b.peak_rss() - base))"
  ) % (os.path.dirname(os.path.abspath(__file__)), batch, window, channels,
       window, impl, window)
  out = subprocess.run([sys.executable, "-c", code], check=True,
                       capture_output=True, text=True).stdout
  return max(int(json.loads(out.strip().splitlines()[-1])), 1)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--quick", action="store_true",
                      help="fewer repeats, skip memory children")
  args = parser.parse_args()
  repeats = 2 if args.quick else args.repeats
  rng = np.random.default_rng(0)
  print(f"TensorFlow {tf.__version__}; forward+backward in tf.function, "
        f"median of {repeats}; CPU threads: {os.cpu_count()}")
  print()
  print(f"{'case':<22}{'materialized':>14}{'gram':>10}{'gram+XLA':>10}"
        f"{'speed-up':>10}{'peak-mem ratio':>16}")
  for batch, window, channels in [(32, 5, 480), (32, 6, 480), (32, 7, 480),
                                  (8, 7, 2048)]:
    z = tf.constant(rng.normal(size=(batch, window, channels)), tf.float32)
    ref_t, ref_loss = _time(_step_fn("materialized", window), z, repeats)
    gram_t, gram_loss = _time(_step_fn("gram", window), z, repeats)
    xla_t, _ = _time(_step_fn("gram", window, jit=True), z, repeats)
    if abs(ref_loss - gram_loss) > 1e-3 * max(1.0, abs(ref_loss)):
      raise SystemExit(f"Loss mismatch: {ref_loss} vs {gram_loss}")
    if args.quick:
      mem = "skipped"
    else:
      ratio = (_peak_rss_child("materialized", batch, window, channels) /
               _peak_rss_child("gram", batch, window, channels))
      mem = f"{ratio:.0f}x"
    name = f"B={batch} T={window} K={channels}"
    print(f"{name:<22}{ref_t * 1e3:>12.1f}ms{gram_t * 1e3:>8.2f}ms"
          f"{xla_t * 1e3:>8.2f}ms{ref_t / gram_t:>9.0f}x{mem:>16}")
  print()
  print("Exact dynamic program (all (T-1)! orderings), B=8, K=480:")
  for window in (8, 10, 12):
    z = tf.constant(rng.normal(size=(8, window, 480)), tf.float32)
    dp_t, _ = _time(_step_fn("gram", window, max_table_window=7), z, repeats)
    dp_xla, _ = _time(_step_fn("gram", window, jit=True, max_table_window=7),
                      z, repeats)
    print(f"  T={window:<3} orderings={math.factorial(window - 1):>10,}"
          f"  {dp_t * 1e3:8.1f} ms  ({dp_xla * 1e3:.1f} ms with XLA)")
  table_t, _ = _time(_step_fn("gram", 8, max_table_window=8),
                     tf.constant(rng.normal(size=(8, 8, 480)), tf.float32),
                     repeats)
  print(f"  (T=8 by the Gram table instead: {table_t * 1e3:.1f} ms)")


if __name__ == "__main__":
  main()

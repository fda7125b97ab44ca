r"""First `fit` call of a GRW MoViNet-A0: one trace of the step vs Keras' two.

`tf_grw.models.single_trace.SingleTraceFitMixin` builds the optimizer before
`fit` traces its training step; plain Keras builds it inside the first
trace, which makes TensorFlow trace the step a second time. Arms, side by
side in one process and interleaved (`--rounds` each, alternating):

* `single trace`: `build_movinet_grw("a0", ...)` as it is;
* `keras (two traces)`: the same model with `tf_keras.Model`'s own
  `make_train_function` (the lazy optimizer build).

Each round builds a fresh model (seeded), compiles it with "adam" (as in the
README) and times `fit` for one epoch of `--steps` steps on random
`--frames`x`--size`x`--size` clips (the traces dominate), then a second
epoch (traced already: the per-step cost, which must not change). Printed:
median seconds per arm, the ratio to Keras, and the trace counts.

Usage:
  .venv/bin/python benchmarks/single_trace_bench.py --rounds 2
"""

import argparse
import functools
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--rounds", type=int, default=2)
  parser.add_argument("--steps", type=int, default=2)
  parser.add_argument("--frames", type=int, default=4)
  parser.add_argument("--size", type=int, default=32)
  args = parser.parse_args()

  import numpy as np  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  from tf_grw.models.movinet.movinet_grw import build_movinet_grw  # pylint: disable=g-import-not-at-top

  rng = np.random.default_rng(0)
  x = rng.random((2 * args.steps, args.frames, args.size, args.size, 3),
                 np.float32)
  y = np.arange(2 * args.steps) % 3

  def run(single_trace):
    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(0)
    model = build_movinet_grw("a0", num_classes=3, window=args.frames)
    if not single_trace:
      model.make_train_function = functools.partial(
          tf_keras.Model.make_train_function, model)
    model.compile("adam", tf_keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    start = time.perf_counter()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    second = time.perf_counter() - start
    return first, second, model.train_function.experimental_get_tracing_count()

  arms = {"single trace": True, "keras (two traces)": False}
  times = {name: [] for name in arms}
  for r in range(args.rounds):
    for name, single in arms.items():
      first, second, traces = run(single)
      times[name].append((first, second, traces))
      print(f"round {r + 1} {name:20s} first epoch {first:6.1f}s  second "
            f"epoch {second:5.2f}s  traces {traces}", flush=True)
  keras_first = statistics.median(t[0] for t in times["keras (two traces)"])
  for name, rows in times.items():
    first = statistics.median(t[0] for t in rows)
    second = statistics.median(t[1] for t in rows)
    print(f"{name:20s} median first epoch {first:6.1f}s "
          f"({first / keras_first:.2f}x keras), second epoch {second:.2f}s, "
          f"traces {rows[0][2]}")


if __name__ == "__main__":
  main()

"""`fit` that traces its training step once: optimizer variables made first.

A `tf.function` that creates variables on its first call is traced a second
time (tensorflow/tensorflow issue 48851). Keras' (non-legacy) optimizers
create their slot variables (Adam's moments, ...) lazily, inside the first
trace of `fit`'s training step, so `fit` traces the whole forward and
backward graph twice. Measured on a GRW MoViNet-A0 (2-core CPU, 2 steps of
4x32x32 clips), the first `fit` epoch took 49 s with the second trace and
31 s without (medians of 2 interleaved rounds, 0.63x;
benchmarks/single_trace_bench.py). Building the
optimizer on the model's trainable variables just before `fit` makes its
training function leaves one trace; the variables, their values and every
update are the ones the lazy build would have made.

Legacy optimizers (`tf_keras.optimizers.legacy.*`, what Model Garden's
optimizer factory returns) create their slots outside the trace already and
are left alone. Metrics given by name (`compile(metrics=["mae"])`) are also
made inside the first trace (a second trace again, measured); metric objects
(`tf_keras.metrics.MeanAbsoluteError()`), as `launch/fit.py` and the demo
pass them, are made before it.
"""

import tf_keras

__all__ = ["SingleTraceFitMixin", "build_optimizer"]


def build_optimizer(optimizer, variables) -> bool:
  """Makes a Keras optimizer's variables for `variables` now, if it can.

  Returns True when `optimizer` is a (non-legacy) `tf_keras` optimizer and
  `variables` is not empty (building is idempotent: a built optimizer stays
  as it is); False otherwise (nothing done).
  """
  if not isinstance(optimizer, tf_keras.optimizers.Optimizer) or not variables:
    return False
  optimizer.build(list(variables))
  return True


class SingleTraceFitMixin:
  """Builds the compiled optimizer before `fit` traces its training step.

  For `tf_keras.Model` subclasses (listed before `tf_keras.Model` among the
  bases): `make_train_function` (what `fit` and `train_on_batch` call, in
  the distribution strategy's scope) first builds the optimizer on the
  model's trainable variables, so the training step is traced once instead
  of twice.

  >>> import numpy as np
  >>> import tf_keras
  >>> class Tiny(SingleTraceFitMixin, tf_keras.Model):
  ...   def __init__(self):
  ...     super().__init__()
  ...     self.dense = tf_keras.layers.Dense(2)
  ...     self.build((None, 3))
  ...   def call(self, x):
  ...     return self.dense(x)
  >>> model = Tiny()
  >>> model.compile("adam", "mse")
  >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
  >>> model.train_function.experimental_get_tracing_count()
  1
  """

  def make_train_function(self, force=False):
    if self.built:
      build_optimizer(getattr(self, "optimizer", None),
                      self.trainable_variables)
    return super().make_train_function(force=force)

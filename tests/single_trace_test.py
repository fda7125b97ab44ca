"""Tests of `tf_grw.models.single_trace` (one trace of fit's training step).

The reference is plain Keras: the same model without the mixin traces its
training step twice (its optimizer makes variables inside the first trace)
and must reach the very same weights; the mixin may change the number of
traces and nothing else. The GRW classifiers' own single trace is checked
where they are fit (`movinet_grw_test.py`, `mobilenet_grw_test.py`).
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tf_grw.models.single_trace import build_optimizer
from tf_grw.models.single_trace import SingleTraceFitMixin


def _tiny(mixin: bool):
  bases = (SingleTraceFitMixin, tf_keras.Model) if mixin else (
      tf_keras.Model,)

  class Tiny(*bases):

    def __init__(self):
      super().__init__()
      self.hidden = tf_keras.layers.Dense(4, activation="relu")
      self.out = tf_keras.layers.Dense(2)
      self.build((None, 3))

    def call(self, x):
      return self.out(self.hidden(x))

  tf_keras.utils.set_random_seed(0)
  return Tiny()


def _data():
  rng = np.random.default_rng(0)
  return (rng.normal(size=(8, 3)).astype("float32"),
          rng.normal(size=(8, 2)).astype("float32"))


@pytest.mark.parametrize("optimizer", [
    lambda: "adam", lambda: tf_keras.optimizers.SGD(0.1, momentum=0.9),
    lambda: tf_keras.optimizers.AdamW(0.01)])
def test_one_trace_and_the_weights_of_plain_keras(optimizer):
  x, y = _data()
  weights, traces = [], []
  for mixin in (True, False):
    model = _tiny(mixin)
    model.compile(optimizer(), "mse",
                  metrics=[tf_keras.metrics.MeanAbsoluteError()])
    model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    traces.append(model.train_function.experimental_get_tracing_count())
    weights.append([w.numpy()
                    for w in model.weights + model.optimizer.variables])
  assert traces == [1, 2]
  for ours, keras in zip(*weights):
    np.testing.assert_array_equal(ours, keras)


def test_one_trace_under_a_two_replica_mirrored_strategy():
  # On the two logical CPUs of conftest.py; the optimizer's variables are
  # made in the strategy's scope (mirrored), as Keras' lazy build makes them.
  strategy = tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())
  with strategy.scope():
    model = _tiny(True)
    model.compile("adam", "mse")
  x, y = _data()
  model.fit(x, y, batch_size=4, epochs=2, verbose=0)
  assert model.train_function.experimental_get_tracing_count() == 1
  moment = model.optimizer.variables[1]
  assert isinstance(moment, tf.distribute.DistributedValues)
  values = [v.numpy() for v in strategy.experimental_local_results(moment)]
  assert np.abs(values[0]).max() > 0
  np.testing.assert_array_equal(values[0], values[1])


def test_build_optimizer_leaves_what_it_cannot_build():
  model = _tiny(False)
  legacy = tf_keras.optimizers.legacy.Adam()
  assert not build_optimizer(legacy, model.trainable_variables)
  assert not legacy.variables()  # Nothing made: legacy builds on its own.
  adam = tf_keras.optimizers.Adam()
  assert not build_optimizer(adam, [])
  assert len(adam.variables) == 1  # Only `iterations`, made at init.
  assert not build_optimizer(None, model.trainable_variables)
  assert build_optimizer(adam, model.trainable_variables)
  # iterations + 2 moments per variable; a second build changes nothing.
  assert len(adam.variables) == 1 + 2 * len(model.trainable_variables)
  assert build_optimizer(adam, model.trainable_variables)
  assert len(adam.variables) == 1 + 2 * len(model.trainable_variables)

"""Tests of `tf_grw.modelgarden.task`: the `grw` block, the generic task's
two-group optimizer (through the registered MoViNet experiment)."""

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.core import exp_factory
from official.core import task_factory
from official.modeling import hyperparams
from official.modeling import optimization
from tf_grw.modelgarden import experiments  # pylint: disable=unused-import
from tf_grw.modelgarden import movinet_task
from tf_grw.modelgarden import task as grw_task
from tf_grw.core.errors import invalid_value


def _error(name, expected, value):
  return re.escape(str(invalid_value(name, expected, value)))



def test_endpoint_overrides_and_typos():
  config = movinet_task.MovinetGRWTaskConfig()
  hyperparams.override_params_dict(config, {"grw": {"endpoints": [
      {"name": "block4", "window": 4, "alpha": 0.0},
      {"name": "embedding", "weight": 0.05}]}}, is_strict=True)
  assert grw_task.grw_endpoint_entries(config.grw) == [
      {"endpoint": "block4", "window": 4, "alpha": 0.0},
      {"endpoint": "embedding", "weight": 0.05}]
  # A list of another length is built without the strict key check.
  hyperparams.override_params_dict(config, {"grw": {"endpoints": [
      {"name": "block4", "windw": 4}]}}, is_strict=True)
  with pytest.raises(ValueError, match=_error(
      "grw.endpoints", "entries with a `name` and optional ['alpha', "
      "'weight', 'window']", {"name": "block4", "window": None,
                              "weight": None, "alpha": None, "windw": 4})):
    grw_task.grw_endpoint_entries(config.grw)


class _TinyModel(tf_keras.Model):
  """A 'backbone' dense layer and a 'classifier_head' dense layer."""

  def __init__(self):
    super().__init__()
    self.body = tf_keras.layers.Dense(3, name="block0_layer0")
    self.classifier_head = tf_keras.layers.Dense(2, name="classifier_head")
    self(tf.zeros([1, 4]))

  def call(self, x):
    return self.classifier_head(self.body(x))


def _step_fn(strategy, model, optimizer):
  @tf.function
  def step(x):
    def replica_fn(x):
      with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x) ** 2)
      grads = tape.gradient(loss, model.trainable_variables)
      optimizer.apply_gradients(zip(grads, model.trainable_variables))
    strategy.run(replica_fn, args=(x,))
  return step


def _task_with_multiplier(multiplier):
  config = exp_factory.get_exp_config("movinet_grw_kinetics600")
  config.task.backbone_lr_multiplier = multiplier
  return task_factory.get_task(config.task), config


def test_task_optimizer_two_groups_ema_mirrored_and_checkpoint(tmp_path):
  task, config = _task_with_multiplier(0.1)
  plain, _ = _task_with_multiplier(1.0)
  assert isinstance(
      plain.create_optimizer(config.trainer.optimizer_config, config.runtime),
      optimization.ExponentialMovingAverage)
  # Not collective ops: a second MirroredStrategy in the same process (as in
  # tests/train_test.py) could reuse their instance keys.
  strategy = tf.distribute.MirroredStrategy(
      ["/cpu:0", "/cpu:1"],
      cross_device_ops=tf.distribute.ReductionToOneDevice())
  with strategy.scope():
    model = _TinyModel()
    optimizer = task.create_optimizer(config.trainer.optimizer_config,
                                      config.runtime)
    assert isinstance(optimizer, optimization.ExponentialMovingAverage)
    assert isinstance(optimizer._optimizer, grw_task.TwoGroupOptimizer)  # pylint: disable=protected-access
    optimizer.shadow_copy(model)
  before = [v.numpy() for v in model.trainable_variables]

  step = _step_fn(strategy, model, optimizer)
  step(tf.ones([2, 4]))
  assert int(optimizer.iterations.numpy()) == 1
  lr = optimizer.learning_rate
  assert float(lr(optimizer.iterations)) == pytest.approx(1e-3, rel=1e-3)
  inner = optimizer._optimizer  # pylint: disable=protected-access
  # Names carry the model's scope here: the pattern allows a prefix.
  head, backbone = inner.split([(None, v) for v in model.trainable_variables])
  assert [v.name.split("/", 1)[1] for _, v in head] == [
      "classifier_head/kernel:0", "classifier_head/bias:0"]
  assert len(backbone) == 2
  moved = [np.abs(v.numpy() - b).max()
           for v, b in zip(model.trainable_variables, before)]
  # Adam's first step moves every weight by about its learning rate.
  np.testing.assert_allclose(moved, [1e-4, 1e-4, 1e-3, 1e-3], rtol=0.05)

  # Checkpoint round trip: both groups' slots are saved and restored.
  path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(
      str(tmp_path / "ckpt"))
  with strategy.scope():
    model2 = _TinyModel()
    optimizer2 = task.create_optimizer(config.trainer.optimizer_config,
                                       config.runtime)
    optimizer2.shadow_copy(model2)
  tf.train.Checkpoint(model=model2, optimizer=optimizer2).restore(
      path).assert_existing_objects_matched()
  assert int(optimizer2.iterations.numpy()) == 1
  # One more identical step on both: equal only if the restored Adam slots
  # (m, v of both groups, created on first use) hold the saved values.
  step2 = _step_fn(strategy, model2, optimizer2)
  step(tf.ones([2, 4]))
  step2(tf.ones([2, 4]))
  for v1, v2 in zip(model.trainable_variables, model2.trainable_variables):
    np.testing.assert_allclose(v1.numpy(), v2.numpy(), rtol=1e-6)
  # EMA swap (as Model Garden's evaluation does) works on the pair.
  with strategy.scope():
    optimizer.swap_weights()
    optimizer.swap_weights()


def test_global_clipnorm_rejected():
  task, config = _task_with_multiplier(0.1)
  config.trainer.optimizer_config.optimizer.adam.global_clipnorm = 1.0
  with pytest.raises(ValueError, match=_error(
      "backbone_lr_multiplier", "1.0 with `global_clipnorm` (each group "
      "would be clipped on its own; use `clipnorm`)", 0.1)):
    task.create_optimizer(config.trainer.optimizer_config, config.runtime)

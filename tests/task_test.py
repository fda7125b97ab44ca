"""Tests for tf_grw.task: config mapping, the task, its two-group optimizer use."""

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.core import exp_factory
from official.core import task_factory
from official.modeling import hyperparams
from official.modeling import optimization
from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_layers
from official.projects.movinet.modeling import movinet_model
from tf_grw import experiments  # pylint: disable=unused-import
from tf_grw import task as grw_task
from tf_grw.core.errors import invalid_value


def _error(name, expected, value):
  return re.escape(str(invalid_value(name, expected, value)))



def test_default_config_maps_to_paper_model():
  config = exp_factory.get_exp_config("movinet_grw_kinetics600").task
  kwargs = grw_task.model_kwargs(config)
  assert kwargs["grw_endpoints"] == [{"endpoint": "embedding"}]
  assert (kwargs["window"], kwargs["weight"], kwargs["alpha"],
          kwargs["normalization"]) == (5, 0.1, None, "none")
  assert (kwargs["model_id"], kwargs["stream"], kwargs["head"]) == (
      "a0", True, "transformer")
  assert kwargs["num_classes"] == 600
  assert kwargs["l2_weight_decay"] == 3e-5
  assert "dropout_rate" not in kwargs  # None: the official recipe's.
  assert isinstance(task_factory.get_task(config), grw_task.MovinetGRWTask)


def test_endpoint_overrides_and_typos():
  config = grw_task.MovinetGRWTaskConfig()
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


def _tiny_task_config(**task_overrides):
  config = exp_factory.get_exp_config("movinet_grw_kinetics600")
  override = {
      "task": {
          "model": {"head": "movinet", "use_sync_bn": False,
                    "dropout_rate": 0.0},
          "grw": {"endpoints": [{"name": "block1", "window": 3}],
                  "normalization": "batch_norm"},
          "train_data": {"feature_shape": [3, 32, 32, 3]},
          "validation_data": {"feature_shape": [3, 32, 32, 3]},
      }}
  override["task"].update(task_overrides)
  hyperparams.override_params_dict(config, override, is_strict=True)
  return config


def _official_checkpoint(path, num_classes=600):
  """An official A0-stream MovinetClassifier checkpoint, random weights."""
  backbone = movinet.Movinet(
      model_id="a0", causal=True, conv_type="2plus1d", se_type="2plus3d",
      activation="hard_swish", gating_activation="hard_sigmoid",
      use_external_states=False)
  official = movinet_model.MovinetClassifier(
      backbone, num_classes=num_classes, activation="swish")
  rng = np.random.default_rng(1)
  for variable in official.weights:
    variable.assign(rng.normal(0.0, 0.05, variable.shape))
  return official, tf.train.Checkpoint(model=official).save(path)


@pytest.mark.slow
def test_model_init_checkpoint_and_loss_split(tmp_path):
  official, path = _official_checkpoint(str(tmp_path / "official" / "ckpt"))
  config = _tiny_task_config(init_checkpoint=path,
                             init_checkpoint_modules="backbone")
  task = task_factory.get_task(config.task)
  model = task.build_model()
  # `grw_loss_block1_layer2` exists before training (see create_grw_metrics).
  assert {m.name for m in model.metrics} == {"grw_loss",
                                             "grw_loss_block1_layer2"}
  head_before = [v.numpy() for v in model.classifier_head.weights]
  task.initialize(model)
  for ours, theirs in zip(model.backbone.weights, official.backbone.weights):
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
  for ours, before in zip(model.classifier_head.weights, head_before):
    np.testing.assert_array_equal(ours.numpy(), before)  # "backbone" only.
  task.task_config.init_checkpoint_modules = "all"
  task.initialize(model)
  official_head = [l for l in official.layers if isinstance(
      l, movinet_layers.ClassifierHead)][0].weights
  for ours, theirs in zip(model.classifier_head.weights, official_head):
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

  # One training step: the total is class + L2 + weighted GRW, each logged.
  optimizer = task.create_optimizer(
      config.trainer.optimizer_config.replace(ema=None))
  assert isinstance(optimizer, grw_task.TwoGroupOptimizer)
  metrics = task.build_metrics(training=True) + model.metrics
  rng = np.random.default_rng(0)
  features = {"image": tf.constant(rng.random([2, 3, 32, 32, 3]),
                                   tf.float32)}
  labels = tf.one_hot([0, 1], 600)
  logs = task.train_step((features, labels), model, optimizer, metrics)
  for name in ("class_loss", "reg_loss", "grw_term"):
    assert float(logs[name]) > 0.0, name
  np.testing.assert_allclose(
      float(logs["loss"]),
      float(logs["class_loss"]) + float(logs["reg_loss"]) +
      float(logs["grw_term"]), rtol=1e-5)
  # The GRW metric is the unweighted loss: weight 0.1.
  np.testing.assert_allclose(float(logs["grw_loss"]),
                             10.0 * float(logs["grw_term"]), rtol=1e-5)
  np.testing.assert_allclose(float(logs["grw_loss_block1_layer2"]),
                             float(logs["grw_loss"]), rtol=1e-6)
  # Validation: no GRW in inference, the L2 term stays.
  logs = task.validation_step((features, labels), model,
                              task.build_metrics(training=False))
  assert float(logs["grw_term"]) == 0.0 and float(logs["reg_loss"]) > 0.0
  assert 0.0 <= float(logs["top_5_accuracy"]) <= 1.0

"""Tests of `tf_grw.modelgarden.movinet_task`: config mapping, model,
official checkpoint loading and the loss split of a training step."""

import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
from official.modeling import hyperparams
from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_layers
from official.projects.movinet.modeling import movinet_model
from tf_grw.modelgarden import experiments  # pylint: disable=unused-import
from tf_grw.modelgarden import movinet_task
from tf_grw.modelgarden import task as grw_task
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order


def test_default_config_maps_to_paper_model():
  config = exp_factory.get_exp_config("movinet_grw_kinetics600").task
  kwargs = movinet_task.model_kwargs(config)
  assert kwargs["grw_endpoints"] == [{"endpoint": "embedding"}]
  assert (kwargs["window"], kwargs["weight"], kwargs["alpha"],
          kwargs["normalization"]) == (5, 0.1, None, "none")
  assert (kwargs["model_id"], kwargs["stream"], kwargs["head"]) == (
      "a0", True, "transformer")
  assert kwargs["num_classes"] == 600
  assert kwargs["l2_weight_decay"] == 3e-5
  assert "dropout_rate" not in kwargs  # None: the official recipe's.
  assert isinstance(task_factory.get_task(config), movinet_task.MovinetGRWTask)


def _tiny_task_config(**task_overrides):
  config = exp_factory.get_exp_config("movinet_grw_kinetics600")
  override = {
      "task": {
          "model": {"model_id": SHORT, "head": "movinet",
                    "use_sync_bn": False,
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
  """An official stream MovinetClassifier checkpoint, random weights.

  Of the short A0 (tests/movinet_fixtures.py), as the task config above.
  """
  backbone = movinet.Movinet(
      model_id=SHORT, causal=True, conv_type="2plus1d", se_type="2plus3d",
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
  # `grw_loss_block1_layer0` exists before training (the GRW layer makes it).
  assert {m.name for m in model.metrics} == {"grw_loss",
                                             "grw_loss_block1_layer0"}
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
  np.testing.assert_allclose(float(logs["grw_loss_block1_layer0"]),
                             float(logs["grw_loss"]), rtol=1e-6)
  # Validation: no GRW in inference, the L2 term stays.
  logs = task.validation_step((features, labels), model,
                              task.build_metrics(training=False))
  assert float(logs["grw_term"]) == 0.0 and float(logs["reg_loss"]) > 0.0
  assert 0.0 <= float(logs["top_5_accuracy"]) <= 1.0

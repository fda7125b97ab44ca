"""Tests for tf_grw.modelgarden.mobilenet_task: the per-frame MobileNetV3 Model Garden task.

The registered `mobilenet_grw_kinetics600` experiment, shrunk to 4-frame
32x32 clips of a 0.35-wide MobileNetV3-S with the Transformer head and a
causal temporal shift, builds its model, loads a Model Garden MobileNet
backbone checkpoint, splits its training loss, and trains and evaluates
through Model Garden's `train_lib.run_experiment` on two tiny TFRecords.
"""

import os

import numpy as np
import tensorflow as tf

from official.core import exp_factory
from official.core import task_factory
from official.core import train_lib
from official.modeling import hyperparams
from official.vision.modeling.backbones import mobilenet
from tf_grw.modelgarden import experiments  # pylint: disable=unused-import
from tf_grw.models.mobilenet import mobilenet_grw
from tf_grw.modelgarden import mobilenet_task
from tf_grw.modelgarden import task as grw_task
from video_fixtures import write_records  # tests/ is on sys.path under pytest.


def _tiny_config(**task_overrides):
  config = exp_factory.get_exp_config("mobilenet_grw_kinetics600")
  data = dict(feature_shape=(4, 32, 32, 3), temporal_stride=1,
              min_image_size=32, global_batch_size=2, num_examples=2,
              dtype="float32", num_classes=2)
  hyperparams.override_params_dict(config, {
      "runtime": {"distribution_strategy": "one_device", "num_gpus": 0,
                  "mixed_precision_dtype": "float32"},
      "task": {
          "model": {"filter_size_scale": 0.35, "temporal_shift": True,
                    "head": "transformer", "embed_dim": 16,
                    "transformer_heads": 2},
          "grw": {"window": 4, "endpoints": [{"name": "embedding"},
                                             {"name": "level3"}]},
          "train_data": dict(data, shuffle_buffer_size=2),
          "validation_data": data,
          **task_overrides},
      "trainer": {"train_steps": 2, "validation_steps": 1,
                  "steps_per_loop": 1, "summary_interval": 1,
                  "checkpoint_interval": 1, "validation_interval": 1,
                  "optimizer_config": {"ema": None}},
  }, is_strict=False)
  return config


def test_default_config_maps_to_the_model():
  config = exp_factory.get_exp_config("mobilenet_grw_kinetics600").task
  assert isinstance(config, mobilenet_task.MobilenetGRWTaskConfig)
  kwargs = mobilenet_task.mobilenet_model_kwargs(config)
  assert kwargs["model_id"] == "MobileNetV3Small"
  assert kwargs["grw_endpoints"] == [{"endpoint": "embedding"}]
  assert (kwargs["head"], kwargs["stream"], kwargs["num_classes"]) == (
      "mean", True, 600)
  assert isinstance(task_factory.get_task(config),
                    mobilenet_task.MobilenetGRWTask)


def test_build_initialize_and_loss_split(tmp_path):
  source = mobilenet.MobileNet(model_id="MobileNetV3Small",
                               filter_size_scale=0.35)
  for i, v in enumerate(source.weights):
    v.assign(tf.fill(v.shape, 0.001 * (i + 1)))
  path = tf.train.Checkpoint(backbone=source).write(str(tmp_path / "ckpt"))
  config = _tiny_config(init_checkpoint=path,
                        init_checkpoint_modules="backbone")
  task = task_factory.get_task(config.task)
  model = task.build_model()
  assert isinstance(model, mobilenet_grw.MobilenetGRWClassifier)
  assert {m.name for m in model.metrics} == {
      "grw_loss", "grw_loss_embedding", "grw_loss_block3"}
  task.initialize(model)
  for ours, theirs in zip(model.backbone.weights, source.weights):
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

  optimizer = task.create_optimizer(config.trainer.optimizer_config)
  assert isinstance(optimizer, grw_task.TwoGroupOptimizer)  # Multiplier 0.1.
  heads = [v.name for v in model.trainable_variables if optimizer.is_head(v)]
  assert heads and all(n.startswith("temporal_head/") for n in heads)
  metrics = task.build_metrics(training=True) + model.metrics
  features = {"image": tf.constant(
      np.random.default_rng(0).random([2, 4, 32, 32, 3]), tf.float32)}
  labels = tf.one_hot([0, 1], 2)
  logs = task.train_step((features, labels), model, optimizer, metrics)
  for name in ("class_loss", "reg_loss", "grw_term"):
    assert float(logs[name]) > 0.0, name
  np.testing.assert_allclose(
      float(logs["loss"]), float(logs["class_loss"]) +
      float(logs["reg_loss"]) + float(logs["grw_term"]), rtol=1e-5)
  np.testing.assert_allclose(float(logs["grw_loss"]),
                             10.0 * float(logs["grw_term"]), rtol=1e-5)
  logs = task.validation_step((features, labels), model,
                              task.build_metrics(training=False))
  assert float(logs["grw_term"]) == 0.0


def test_train_and_eval_through_model_garden(tmp_path):
  train = write_records(str(tmp_path / "train.tfrecord"))
  valid = write_records(str(tmp_path / "valid.tfrecord"), seed=1)
  config = _tiny_config()
  config.task.train_data.input_path = train
  config.task.validation_data.input_path = valid
  model_dir = str(tmp_path / "model")
  task = task_factory.get_task(config.task, logging_dir=model_dir)
  _, logs = train_lib.run_experiment(
      distribution_strategy=tf.distribute.get_strategy(), task=task,
      mode="train_and_eval", params=config, model_dir=model_dir,
      run_post_eval=True)
  assert 0.0 <= float(logs["top_1_accuracy"]) <= 1.0
  assert tf.train.latest_checkpoint(model_dir).endswith("-2")
  assert os.path.isdir(os.path.join(model_dir, "train"))

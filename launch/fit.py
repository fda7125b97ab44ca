r"""Keras `model.fit` training of a GRW experiment under `tf.distribute`.

The model, GRW settings, optimizer and data come from a registered experiment
(`tf_grw.modelgarden.experiments`, with --config_file / --params_override as in
launch/train.py); training runs through Keras `fit` instead of Model
Garden's trainer. The model's GRW layers add their losses with `add_loss`, so
`fit` trains on cross-entropy + lambda * GRW and logs `grw_loss` (unweighted
sum) and `grw_loss_<endpoint>` next to the accuracies.

Data (--data):
  records    the experiment's TFRecords through Model Garden's video input
             (`task.build_inputs`, sharded per worker with a DatasetCreator).
  airplanes  procedural rotating-airplane arrays rendered in memory
             (`tf_grw.datasets.airplanes.generate_split`), sized by the
             experiment's feature_shape and num_examples.

Strategies (--strategy): mirrored (all local GPUs, else the CPU),
multi_worker_mirrored (every worker runs this same command with its own
TF_CONFIG, see launch/multi_worker.sh), one_device.

Resuming: `tf_keras.callbacks.BackupAndRestore` keeps a backup in
--model_dir/backup (every epoch, or every --backup_every_steps steps); rerun
the same command after a crash and `fit` continues from it. The final weights
are saved as `tf.train.Checkpoint(model=...)` in --model_dir/final (the
layout of Model Garden checkpoints, readable by launch/evaluate.py).

Differences from launch/train.py: `optimizer_config.ema` is ignored (Keras
`fit` has no EMA swap for evaluation); the two learning-rate groups
(`task.backbone_lr_multiplier`) are kept.

--write_airplanes_records=DIR only writes the airplanes splits as TFRecords
for `--experiment=movinet_grw_airplanes` (configs/airplanes_*.yaml) and
exits.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Usage:
  .venv/bin/python launch/fit.py --experiment=movinet_grw_airplanes \
      --data=airplanes --model_dir=runs/airplanes_fit --strategy=mirrored
  .venv/bin/python launch/fit.py --write_airplanes_records=airplanes_records
"""

import json
import math
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

FLAGS = flags.FLAGS
_STRATEGIES = ("mirrored", "multi_worker_mirrored", "one_device")


def define_flags():
  """Model Garden's experiment flags plus this script's, once per process."""
  from official.common import flags as tfm_flags  # pylint: disable=g-import-not-at-top
  if "experiment" not in FLAGS:
    tfm_flags.define_flags()
  if "data" in FLAGS:
    return
  flags.DEFINE_enum("data", "records", ["records", "airplanes"],
                    "Training data: the experiment's TFRecords or airplane "
                    "arrays rendered in memory.")
  flags.DEFINE_enum("strategy", "mirrored", list(_STRATEGIES),
                    "tf.distribute strategy.")
  flags.DEFINE_integer("epochs", None, "Epochs (default: trainer.train_steps "
                       "/ steps per epoch).")
  flags.DEFINE_integer("steps_per_epoch", None, "Steps per epoch (default: "
                       "trainer.steps_per_loop).")
  flags.DEFINE_integer("validation_steps", None, "Validation steps (default: "
                       "trainer.validation_steps; the whole test split for "
                       "--data=airplanes).")
  flags.DEFINE_integer("backup_every_steps", None, "Back up for resuming "
                       "every this many steps (default: every epoch).")
  flags.DEFINE_integer("seed", 0, "Seed of the airplane arrays.")
  flags.DEFINE_string("write_airplanes_records", None, "Write the airplanes "
                      "train/test splits as TFRecords into this folder, then "
                      "exit.")


def _strategy(name):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if name == "multi_worker_mirrored":
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "one_device":
    # The default strategy (one device: the first GPU, else the CPU), not
    # `OneDeviceStrategy`, which Keras' BackupAndRestore refuses.
    return tf.distribute.get_strategy()
  return tf.distribute.MirroredStrategy()


def _is_chief(strategy):
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    return True
  return resolver.task_type == "chief" or (
      resolver.task_type == "worker" and resolver.task_id == 0 and
      "chief" not in resolver.cluster_spec().as_dict())




def _airplane_datasets(params, seed):
  """(train, validation) datasets of airplane arrays, one-hot labels."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_grw.datasets import airplanes  # pylint: disable=g-import-not-at-top
  data = params.task.train_data
  frames, height, width = data.feature_shape[:3]
  if height != width:
    raise ValueError(f"Airplane clips are square; feature_shape is "
                     f"{data.feature_shape}.")
  num_classes = data.num_classes
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = (
      tf.data.experimental.AutoShardPolicy.DATA)
  datasets = []
  for split, config in (("train", data), ("test", params.task.validation_data)):
    videos, labels = airplanes.generate_split(
        config.num_examples, frames, height,
        airplanes.split_seed(seed, split))
    dataset = tf.data.Dataset.from_tensor_slices(
        (videos, tf.one_hot(labels, num_classes)))
    dataset = dataset.map(lambda v, y: (tf.cast(v, tf.float32) / 255.0, y))
    if split == "train":
      dataset = dataset.shuffle(len(labels), seed=seed).repeat()
    dataset = dataset.batch(config.global_batch_size,
                            drop_remainder=split == "train")
    datasets.append(dataset.with_options(options).prefetch(2))
  return datasets


def _record_datasets(task, params):
  """DatasetCreators over Model Garden's video input (per-worker shards)."""
  import tf_keras  # pylint: disable=g-import-not-at-top

  def creator(config):
    def make(input_context):
      return task.build_inputs(config, input_context).repeat()
    return tf_keras.utils.experimental.DatasetCreator(make)

  return (creator(params.task.train_data),
          creator(params.task.validation_data))


def run(params, model_dir, data="records", strategy_name="mirrored",
        epochs=None, steps_per_epoch=None, validation_steps=None,
        backup_every_steps=None, seed=0, strategy=None):
  """Trains with `fit`; returns (model, history).

  Args:
    params: the experiment's `ExperimentConfig` (overrides applied).
    model_dir: backups (`backup/`), TensorBoard logs, `final/` checkpoint and
      `history.json`.
    data: "records" (the experiment's TFRecords) or "airplanes".
    strategy_name: one of "mirrored", "multi_worker_mirrored", "one_device".
    epochs, steps_per_epoch: default from the trainer config
      (`train_steps / steps_per_loop` epochs of `steps_per_loop` steps).
    validation_steps: default `trainer.validation_steps` for records; the
      whole test split for airplanes (it is finite and rendered whole).
    backup_every_steps: backup frequency (default: every epoch).
    seed: seed of the airplane arrays.
    strategy: a `tf.distribute.Strategy` to use instead of `strategy_name`.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  from official.core import task_factory  # pylint: disable=g-import-not-at-top
  from official.modeling import performance  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import

  if params.runtime.mixed_precision_dtype:
    performance.set_mixed_precision_policy(params.runtime.mixed_precision_dtype)
  strategy = strategy or _strategy(strategy_name)
  print(f"Strategy {type(strategy).__name__}, "
        f"{strategy.num_replicas_in_sync} replicas in sync", flush=True)
  trainer = params.trainer
  steps_per_epoch = steps_per_epoch or trainer.steps_per_loop
  epochs = epochs or max(1, math.ceil(trainer.train_steps / steps_per_epoch))
  if data != "airplanes":
    validation_steps = validation_steps or trainer.validation_steps
  if params.trainer.optimizer_config.ema is not None:
    logging.warning("fit.py ignores optimizer_config.ema (no EMA swap in "
                    "Keras fit); launch/train.py applies it.")
  with strategy.scope():
    task = task_factory.get_task(params.task, logging_dir=model_dir)
    model = task.build_model()
    task.initialize(model)
    optimizer = task.create_optimizer(
        params.trainer.optimizer_config.replace(ema=None), params.runtime)
    model.compile(
        optimizer=optimizer,
        loss=tf_keras.losses.CategoricalCrossentropy(
            from_logits=True,
            label_smoothing=params.task.losses.label_smoothing),
        metrics=[
            tf_keras.metrics.CategoricalAccuracy(name="top_1_accuracy"),
            tf_keras.metrics.TopKCategoricalAccuracy(k=5,
                                                     name="top_5_accuracy"),
        ])
  if data == "airplanes":
    train_data, validation_data = _airplane_datasets(params, seed)
  else:
    train_data, validation_data = _record_datasets(task, params)
  chief = _is_chief(strategy)
  log_dir = model_dir if chief else tempfile.mkdtemp()
  callbacks = [
      tf_keras.callbacks.BackupAndRestore(
          os.path.join(model_dir, "backup"),
          save_freq=backup_every_steps or "epoch",
          delete_checkpoint=False),
      tf_keras.callbacks.TensorBoard(os.path.join(log_dir, "logs")),
  ]
  history = model.fit(train_data, epochs=epochs,
                      steps_per_epoch=steps_per_epoch,
                      validation_data=validation_data,
                      validation_steps=validation_steps,
                      callbacks=callbacks, verbose=2)
  # Every worker saves (variables may sync on read); only the chief's lands
  # in model_dir.
  final = tf.train.Checkpoint(model=model).save(
      os.path.join(log_dir, "final", "ckpt"))
  if chief:
    path = os.path.join(model_dir, "history.json")
    with open(path + ".partial", "w") as f:
      json.dump({k: [float(x) for x in v] for k, v in history.history.items()},
                f, indent=1)
    os.replace(path + ".partial", path)
    logging.info("Saved %s", final)
  return model, history


def main(_):
  from official.core import train_utils  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import

  if FLAGS.write_airplanes_records:
    from tf_grw.datasets import airplanes_records  # pylint: disable=g-import-not-at-top
    paths = airplanes_records.write_airplanes_records(
        FLAGS.write_airplanes_records, seed=FLAGS.seed)
    print("Wrote " + ", ".join(f"{k}: {v}" for k, v in paths.items()))
    return
  if not FLAGS.model_dir:
    raise app.UsageError("--model_dir is required.")
  params = train_utils.parse_configuration(FLAGS)
  train_utils.serialize_config(params, FLAGS.model_dir)
  run(params, FLAGS.model_dir, data=FLAGS.data,
      strategy_name=FLAGS.strategy, epochs=FLAGS.epochs,
      steps_per_epoch=FLAGS.steps_per_epoch,
      validation_steps=FLAGS.validation_steps,
      backup_every_steps=FLAGS.backup_every_steps, seed=FLAGS.seed)


if __name__ == "__main__":
  define_flags()
  app.run(main)

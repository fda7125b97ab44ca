r"""Evaluates a trained GRW experiment: whole clips or frame-by-frame streams.

Reads the experiment's validation data through Model Garden's video input
(`task.build_inputs(task.validation_data)`, `num_test_clips *
num_test_crops` views per video), restores a checkpoint written by
launch/train.py (or launch/fit.py's `final/`), and reports top-1, top-5,
per-class accuracy and the confusion matrix (`tf_grw.analysis.evaluation`), the logits
of each video's views averaged.

--streaming feeds every clip one frame at a time (--frames_per_step) through
`model.inference_model(streaming=True)`, the official MoViNet stream model,
carrying its states; the logits after the last frame are scored. For the
causal stream models this equals clip evaluation.

--ema evaluates the exponential moving average of the weights kept by Model
Garden's EMA optimizer (the weights the trainer evaluates and exports to
`best_ckpt/`) instead of the raw weights of a regular checkpoint.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Usage:
  .venv/bin/python launch/evaluate.py \
      --experiment=movinet_grw_kinetics600 \
      --config_file=configs/movinet_a0_stream_k600_grw.yaml \
      --model_dir=runs/a0_grw --ema \
      --params_override="task.validation_data.input_path=/data/k600/valid*"
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging

FLAGS = flags.FLAGS


def define_flags():
  """Model Garden's experiment flags plus this script's, once per process."""
  from official.common import flags as tfm_flags  # pylint: disable=g-import-not-at-top
  if "experiment" not in FLAGS:
    tfm_flags.define_flags()
  # Each flag unless another launcher in this process (launch/diagnose.py
  # shares `checkpoint`, `ema` and `streaming`) defined it.
  for define, name, default, text in (
      (flags.DEFINE_string, "checkpoint", None, "Checkpoint prefix or "
       "folder (default: the newest in --model_dir)."),
      (flags.DEFINE_bool, "streaming", False, "Frame-by-frame streaming "
       "evaluation (causal stream models with the MoViNet head)."),
      (flags.DEFINE_integer, "frames_per_step", 1, "Frames per streaming "
       "call."),
      (flags.DEFINE_bool, "ema", False, "Evaluate the EMA weights of the "
       "checkpoint's optimizer."),
      (flags.DEFINE_integer, "steps", None, "At most this many batches."),
      (flags.DEFINE_string, "label_map", None, "label_map.json of the "
       "records (class names in the report)."),
      (flags.DEFINE_string, "output_json", None, "Where to write the report "
       "(default: <model_dir>/eval_<clip|stream>.json).")):
    if name not in FLAGS:
      define(name, default, text)


def restore(task, model, checkpoint_path, params, ema=False):
  """Restores `model` from a Model Garden checkpoint (EMA weights if `ema`)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  from official.modeling import optimization  # pylint: disable=g-import-not-at-top
  from tf_grw.core.errors import invalid_value  # pylint: disable=g-import-not-at-top

  if tf.io.gfile.isdir(checkpoint_path):
    found = tf.train.latest_checkpoint(checkpoint_path)
    if found is None:
      raise invalid_value("checkpoint", "a checkpoint prefix or a folder "
                          "holding one", checkpoint_path)
    checkpoint_path = found
  if not ema:
    tf.train.Checkpoint(model=model).read(checkpoint_path).expect_partial()
    return checkpoint_path
  ema_config = params.trainer.optimizer_config.ema
  if ema_config is None:
    raise invalid_value("ema", "False for an experiment without "
                        "`trainer.optimizer_config.ema`", True)
  optimizer = task.create_optimizer(params.trainer.optimizer_config,
                                    params.runtime)
  if isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer):
    optimizer = optimizer.inner_optimizer
  if not isinstance(optimizer, optimization.ExponentialMovingAverage):
    raise invalid_value("ema", "an experiment whose optimizer keeps an EMA",
                        type(optimizer).__name__)
  optimizer.shadow_copy(model)
  tf.train.Checkpoint(model=model, optimizer=optimizer).read(
      checkpoint_path).expect_partial()
  variables = (model.trainable_variables if ema_config.trainable_weights_only
               else model.variables)
  for variable in variables:
    variable.assign(optimizer.get_slot(variable, "average"))
  return checkpoint_path


def evaluate(params, checkpoint_path, streaming=False, frames_per_step=1,
             ema=False, steps=None):
  """Restores and evaluates; returns (report, checkpoint path read)."""
  from official.core import task_factory  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import evaluation  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import

  task = task_factory.get_task(params.task)
  model = task.build_model()
  checkpoint_path = restore(task, model, checkpoint_path, params, ema=ema)
  data = params.task.validation_data
  dataset = task.build_inputs(data)
  num_views = data.num_test_clips * data.num_test_crops
  if streaming:
    report = evaluation.evaluate_streaming(
        model, dataset, num_views=num_views, steps=steps,
        frames_per_step=frames_per_step)
  else:
    report = evaluation.evaluate_clips(model, dataset, num_views=num_views,
                                       steps=steps)
  return report, checkpoint_path


def main(_):
  from official.core import train_utils  # pylint: disable=g-import-not-at-top
  from official.modeling import performance  # pylint: disable=g-import-not-at-top
  from tf_grw.analysis import evaluation  # pylint: disable=g-import-not-at-top
  import tf_grw.modelgarden.experiments  # pylint: disable=g-import-not-at-top,unused-import

  checkpoint = FLAGS.checkpoint or FLAGS.model_dir
  if not checkpoint:
    raise app.UsageError("--checkpoint or --model_dir is required.")
  params = train_utils.parse_configuration(FLAGS)
  if params.runtime.mixed_precision_dtype:
    performance.set_mixed_precision_policy(params.runtime.mixed_precision_dtype)
  report, path = evaluate(params, checkpoint, streaming=FLAGS.streaming,
                          frames_per_step=FLAGS.frames_per_step,
                          ema=FLAGS.ema, steps=FLAGS.steps)
  names = None
  if FLAGS.label_map:
    from tf_grw.datasets import label_map as label_maps  # pylint: disable=g-import-not-at-top
    label_map = label_maps.load_label_map(FLAGS.label_map)
    names = [name for name, _ in sorted(label_map.items(),
                                        key=lambda item: item[1])]
  print(evaluation.format_report(report, names))
  mode = "stream" if FLAGS.streaming else "clip"
  output = FLAGS.output_json or (
      os.path.join(FLAGS.model_dir, f"eval_{mode}.json") if FLAGS.model_dir
      else None)
  if output:
    summary = dict(report.as_dict(), checkpoint=path, mode=mode,
                   ema=FLAGS.ema, experiment=FLAGS.experiment,
                   class_names=names)
    with open(output + ".partial", "w") as f:
      json.dump(summary, f, indent=1)
    os.replace(output + ".partial", output)  # Never a half-written report.
    logging.info("Wrote %s", output)


if __name__ == "__main__":
  define_flags()
  app.run(main)

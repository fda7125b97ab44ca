r"""Model Garden training driver for the GRW experiments (`tf_grw.modelgarden.experiments`).

Mirrors `official/projects/movinet/train.py` and adds `import
tf_grw.modelgarden.experiments`, which registers the `movinet_grw_*` experiments and
their task. Modes: train, eval, train_and_eval, continuous_eval (Model
Garden's `train_lib.run_experiment`). Any `runtime.distribution_strategy` of
Model Garden's `distribute_utils` works: one_device, mirrored,
multi_worker_mirrored (reads TF_CONFIG, see launch/multi_worker.sh), tpu.

Training resumes from the newest checkpoint in --model_dir (written every
`trainer.checkpoint_interval` steps): rerun the same command after a crash.
Unlike Model Garden's MoViNet driver, train_and_eval accepts training and
validation clips of different lengths (A3: 64 and 120 frames): the model is
built with dynamic frames and size.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Usage:
  .venv/bin/python launch/train.py \
      --experiment=movinet_grw_kinetics600 \
      --config_file=configs/movinet_a0_stream_k600_grw.yaml \
      --mode=train_and_eval --model_dir=runs/a0_grw \
      --params_override="task.train_data.input_path=/data/k600/train*,\
task.validation_data.input_path=/data/k600/valid*"
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import gin

from official.common import distribute_utils
from official.common import flags as tfm_flags
from official.core import task_factory
from official.core import train_lib
from official.core import train_utils
from official.modeling import performance
# Registers the MoViNet backbone in the vision factories and the Model
# Garden experiments our experiments build on.
# pylint: disable=unused-import
from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_model
from official.vision import registry_imports
import tf_grw.modelgarden.experiments
# pylint: enable=unused-import

FLAGS = flags.FLAGS


def define_flags():
  """Model Garden's flags (--experiment, --mode, ...), once per process."""
  if "experiment" not in FLAGS:
    tfm_flags.define_flags()


def run(flags_obj=FLAGS):
  """Runs the experiment of the flags; returns (model, eval logs)."""
  if flags_obj.gin_file or flags_obj.gin_params:
    # Not finalized, so that `main` can run more than once in a process.
    gin.parse_config_files_and_bindings(flags_obj.gin_file,
                                        flags_obj.gin_params,
                                        finalize_config=False)
  params = train_utils.parse_configuration(flags_obj)
  model_dir = flags_obj.model_dir
  if "train" in flags_obj.mode:
    # Pure eval modes do not write params.yaml: a continuous eval job would
    # race with the training job for the file.
    train_utils.serialize_config(params, model_dir)
  if params.runtime.mixed_precision_dtype:
    performance.set_mixed_precision_policy(params.runtime.mixed_precision_dtype)
  distribution_strategy = distribute_utils.get_distribution_strategy(
      distribution_strategy=params.runtime.distribution_strategy,
      all_reduce_alg=params.runtime.all_reduce_alg,
      num_gpus=params.runtime.num_gpus,
      tpu_address=params.runtime.tpu)
  print(f"Strategy {type(distribution_strategy).__name__}, "
        f"{distribution_strategy.num_replicas_in_sync} replicas in sync",
        flush=True)
  with distribution_strategy.scope():
    task = task_factory.get_task(params.task, logging_dir=model_dir)
  return train_lib.run_experiment(
      distribution_strategy=distribution_strategy,
      task=task,
      mode=flags_obj.mode,
      params=params,
      model_dir=model_dir)


def main(_):
  run(FLAGS)


if __name__ == "__main__":
  define_flags()
  app.run(main)

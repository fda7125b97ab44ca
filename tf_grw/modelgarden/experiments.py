"""Registered Model Garden experiments for MoViNets trained with GRW smoothing.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

Importing this module registers (with `exp_factory.register_config_factory`)

* `movinet_grw_kinetics600`: the paper's recipe for MoViNet-A0 stream on
  Kinetics-600, built from Model Garden's `movinet_kinetics600` experiment;
* `movinet_grw_kinetics400`: the same on Kinetics-400
  (`video_classification_kinetics400`);
* `movinet_grw_ucf101`, `movinet_grw_hmdb51`: fine-tuning on UCF101 (Model
  Garden's `video_classification_ucf101`, TFDS or TFRecords) and HMDB51
  (TFRecords, e.g. from `launch/prepare_videos.py`);
* `movinet_grw_airplanes`: the warm-up experiment on the procedural
  rotating-airplanes videos stored as TFRecords (`launch/fit.py
  --write_airplanes_records=DIR` writes them);
* `mobilenet_grw_kinetics600`, `mobilenet_grw_airplanes`: the same two
  settings for a per-frame MobileNetV3 (`tf_grw.models.mobilenet.mobilenet_grw`, task
  `tf_grw.modelgarden.mobilenet_task`); `configs/` has MobileNetV3-S and -L twins.

and the tasks (`tf_grw.modelgarden.task`, `tf_grw.modelgarden.mobilenet_task`). The paper's defaults: the final-layer variant
(Transformer head, GRW on the per-frame embedding), window 5 at 5 fps
(50 frames, temporal stride 5 of 25 fps video), lambda 0.1, no normalization
with alpha 0.5 (derived from the normalization when `alpha` is None), 14
epochs fine-tuning from Kinetics-600 weights with the head at 1e-3 -> 1e-5
and the backbone ten times lower (`backbone_lr_multiplier=0.1`), EMA weights
for evaluation. Not published, our choices: Adam (legacy Keras), cosine decay
without warm-up, batch 256, EMA decay 0.9998, Model Garden's MoViNet L2 3e-5
and label smoothing 0.1.

Derived values (steps per epoch, training and validation steps, decay steps)
are computed here from the dataset sizes, batch sizes and epochs; the YAML
files in `configs/` only override. Pass `--experiment` and `--config_file` to
`launch/train.py`.
"""

import math
from typing import Optional

from official.core import config_definitions as cfg
from official.core import exp_factory
from official.modeling import optimization
from official.projects.movinet.configs import movinet as movinet_configs
from official.vision.configs import video_classification as video_cfg
from tf_grw.modelgarden import mobilenet_task
from tf_grw.modelgarden import movinet_task
from tf_grw.modelgarden import task as grw_task

__all__ = [
    "EXPERIMENTS", "PAPER_EPOCHS", "PAPER_HEAD_LR", "PAPER_FINAL_LR_FRACTION",
    "PAPER_BACKBONE_LR_MULTIPLIER", "set_schedule", "movinet_grw_kinetics600",
    "movinet_grw_kinetics400", "movinet_grw_ucf101", "movinet_grw_hmdb51",
    "movinet_grw_airplanes", "mobilenet_grw_kinetics600",
    "mobilenet_grw_airplanes",
]

EXPERIMENTS = ("movinet_grw_kinetics600", "movinet_grw_kinetics400",
               "movinet_grw_ucf101", "movinet_grw_hmdb51",
               "movinet_grw_airplanes", "mobilenet_grw_kinetics600",
               "mobilenet_grw_airplanes")
PAPER_EPOCHS = 14
PAPER_HEAD_LR = 1e-3
PAPER_FINAL_LR_FRACTION = 0.01  # 1e-3 -> 1e-5 and 1e-4 -> 1e-6.
PAPER_BACKBONE_LR_MULTIPLIER = 0.1  # 1e-4 / 1e-3.
EMA_DECAY = 0.9998  # Not published.
# HMDB51 split 1 (Kuehne et al., 2011): 70 train / 30 test clips per class.
HMDB51_TRAIN_EXAMPLES = 3570
HMDB51_TEST_EXAMPLES = 1530
AIRPLANES_CLASSES = 3
AIRPLANES_TRAIN_EXAMPLES = 1000
AIRPLANES_TEST_EXAMPLES = 100


def set_schedule(config: cfg.ExperimentConfig,
                 train_epochs: float,
                 train_batch_size: int,
                 eval_batch_size: int,
                 learning_rate: float = PAPER_HEAD_LR,
                 final_lr_fraction: float = PAPER_FINAL_LR_FRACTION,
                 warmup_epochs: float = 0.0,
                 optimizer: str = "adam",
                 ema_decay: Optional[float] = EMA_DECAY
                 ) -> cfg.ExperimentConfig:
  """Sets batch sizes and a trainer with derived step counts.

  One loop, summary, checkpoint and validation per epoch (as Model Garden's
  `video_classification.add_trainer`); validation covers the whole
  validation set (the last batch may be partial).

  Args:
    config: an experiment whose data configs give `num_examples`.
    train_epochs: training length in epochs.
    train_batch_size, eval_batch_size: global batch sizes.
    learning_rate: initial learning rate (the head's when the task has a
      `backbone_lr_multiplier`).
    final_lr_fraction: cosine decay ends at this fraction of the rate.
    warmup_epochs: linear warm-up from 0 (0: none).
    optimizer: a Model Garden optimizer type with a legacy Keras class
      ("adam", "sgd", "rmsprop").
    ema_decay: EMA of all model variables for evaluation, or None.

  Returns:
    `config`, changed in place.
  """
  task = config.task
  task.train_data.global_batch_size = train_batch_size
  task.validation_data.global_batch_size = eval_batch_size
  steps_per_epoch = max(1, task.train_data.num_examples // train_batch_size)
  train_steps = max(1, int(round(train_epochs * steps_per_epoch)))
  warmup_steps = int(round(warmup_epochs * steps_per_epoch))
  optimizer_config = {
      "optimizer": {"type": optimizer},
      "learning_rate": {
          "type": "cosine",
          "cosine": {"initial_learning_rate": learning_rate,
                     "decay_steps": train_steps,
                     "alpha": final_lr_fraction},
      },
  }
  if warmup_steps:
    optimizer_config["warmup"] = {
        "type": "linear",
        "linear": {"warmup_steps": warmup_steps, "warmup_learning_rate": 0.0}}
  if ema_decay is not None:
    optimizer_config["ema"] = {"average_decay": ema_decay,
                               "trainable_weights_only": False}
  config.trainer = cfg.TrainerConfig(
      steps_per_loop=steps_per_epoch,
      summary_interval=steps_per_epoch,
      checkpoint_interval=steps_per_epoch,
      train_steps=train_steps,
      validation_steps=math.ceil(task.validation_data.num_examples /
                                 eval_batch_size),
      validation_interval=steps_per_epoch,
      best_checkpoint_export_subdir="best_ckpt",
      best_checkpoint_eval_metric="top_1_accuracy",
      best_checkpoint_metric_comp="higher",
      optimizer_config=optimization.OptimizationConfig(optimizer_config))
  return config


def _grw_experiment(base: cfg.ExperimentConfig) -> cfg.ExperimentConfig:
  """Our task on `base`'s data, runtime and restrictions, paper defaults."""
  train_data = base.task.train_data
  validation_data = base.task.validation_data
  validation_data.is_training = False
  validation_data.drop_remainder = False
  task = movinet_task.MovinetGRWTaskConfig(
      train_data=train_data,
      validation_data=validation_data,
      losses=video_cfg.Losses(l2_weight_decay=3e-5, label_smoothing=0.1),
      backbone_lr_multiplier=PAPER_BACKBONE_LR_MULTIPLIER)
  return cfg.ExperimentConfig(
      runtime=base.runtime,
      task=task,
      trainer=base.trainer,
      restrictions=[
          "task.train_data.is_training != None",
          "task.validation_data.is_training != None",
          "task.train_data.num_classes == task.validation_data.num_classes",
      ])


def _a0_stream_clips(data: video_cfg.DataConfig, training: bool) -> None:
  """MoViNet-A0 stream clips: 50 frames at 5 fps, 172 crops.

  Training as Model Garden's `movinet_a0_stream_k600_8x8.yaml` (short side
  192, random crops of 8-100 % area); evaluation as the paper (resize 200,
  center crop 172, one clip).
  """
  data.feature_shape = (50, 172, 172, 3)
  data.temporal_stride = 5
  data.random_stride_range = 0
  data.num_test_clips = 1
  data.num_test_crops = 1
  if training:
    data.min_image_size = 192
    data.aug_min_area_ratio = 0.08
    data.aug_max_area_ratio = 1.0
    data.aug_min_aspect_ratio = 0.5
    data.aug_max_aspect_ratio = 2.0
    data.shuffle_buffer_size = 1024
  else:
    data.min_image_size = 200


def _kinetics(base: cfg.ExperimentConfig) -> cfg.ExperimentConfig:
  config = _grw_experiment(base)
  _a0_stream_clips(config.task.train_data, training=True)
  _a0_stream_clips(config.task.validation_data, training=False)
  config.task.train_data.variant_name = "rgb"
  return set_schedule(config, PAPER_EPOCHS, train_batch_size=256,
                      eval_batch_size=64)


@exp_factory.register_config_factory("movinet_grw_kinetics600")
def movinet_grw_kinetics600() -> cfg.ExperimentConfig:
  """MoViNet-A0 stream + GRW on Kinetics-600 (the paper's main setting).

  Built on Model Garden's `movinet_kinetics600` (its Kinetics-600 data
  configs, bfloat16 input and mixed precision). `configs/` overrides it for
  A1, A2 (stream) and A3 (base) and for the baselines without GRW.
  """
  return _kinetics(movinet_configs.movinet_kinetics600())


@exp_factory.register_config_factory("movinet_grw_kinetics400")
def movinet_grw_kinetics400() -> cfg.ExperimentConfig:
  """MoViNet-A0 stream + GRW on Kinetics-400, the Kinetics-600 recipe."""
  base = video_cfg.video_classification_kinetics400()
  base.task.train_data.dtype = "bfloat16"
  base.task.validation_data.dtype = "bfloat16"
  return _kinetics(base)


def _small_dataset(base: cfg.ExperimentConfig) -> cfg.ExperimentConfig:
  config = _grw_experiment(base)
  _a0_stream_clips(config.task.train_data, training=True)
  _a0_stream_clips(config.task.validation_data, training=False)
  return set_schedule(config, PAPER_EPOCHS, train_batch_size=64,
                      eval_batch_size=16)


@exp_factory.register_config_factory("movinet_grw_ucf101")
def movinet_grw_ucf101() -> cfg.ExperimentConfig:
  """MoViNet-A0 stream + GRW fine-tuned on UCF101 (split 1).

  Built on Model Garden's `video_classification_ucf101` (TFDS `ucf101`; for
  TFRecords set `tfds_name: ''` and `input_path`). The paper reports no
  UCF101 numbers: the Kinetics-600 recipe, batch 64.
  """
  return _small_dataset(video_cfg.video_classification_ucf101())


@exp_factory.register_config_factory("movinet_grw_hmdb51")
def movinet_grw_hmdb51() -> cfg.ExperimentConfig:
  """MoViNet-A0 stream + GRW fine-tuned on HMDB51 (split 1), TFRecords.

  Model Garden has no HMDB51 experiment: Model Garden's UCF101 experiment
  with HMDB51's classes and sizes, read from TFRecords (`input_path`, e.g.
  written by `launch/prepare_videos.py --layout=folders`).
  """
  base = video_cfg.video_classification_ucf101()
  for data, split, examples in (
      (base.task.train_data, "train", HMDB51_TRAIN_EXAMPLES),
      (base.task.validation_data, "test", HMDB51_TEST_EXAMPLES)):
    data.name = "hmdb51"
    data.num_classes = 51
    data.num_examples = examples
    data.split = split
    data.tfds_name = ""
    data.tfds_split = ""
    data.file_type = "tfrecord"
    data.input_path = ""
  return _small_dataset(base)


@exp_factory.register_config_factory("movinet_grw_airplanes")
def movinet_grw_airplanes() -> cfg.ExperimentConfig:
  """The warm-up experiment: rotating airplanes, MoViNet-A0 stream from scratch.

  Built on Model Garden's generic `video_classification` experiment. Data:
  TFRecords of 16-frame 64x64 clips (3 classes: yaw, pitch, roll; 1000
  train / 100 test), set `input_path`. Model and optimization follow
  the earlier `launch/demo.py` defaults (1000 clips): the official MoViNet
  head, GRW on `block4` (the last stage output) with batch norm (alpha derived: 0), window 8, batch
  norm momentum 0.9, Adam 3e-3 with one warm-up epoch and cosine decay, 10
  epochs of batch 16, float32, one optimizer, no EMA.
  """
  base = video_cfg.video_classification()
  base.runtime.mixed_precision_dtype = "float32"
  for data, training, examples in (
      (base.task.train_data, True, AIRPLANES_TRAIN_EXAMPLES),
      (base.task.validation_data, False, AIRPLANES_TEST_EXAMPLES)):
    data.name = "grw_airplanes"
    data.split = "train" if training else "test"
    data.num_classes = AIRPLANES_CLASSES
    data.num_examples = examples
    data.feature_shape = (16, 64, 64, 3)
    data.temporal_stride = 1
    data.min_image_size = 64
    data.is_training = training
    data.drop_remainder = training
    data.shuffle_buffer_size = 256 if training else 64
  config = _grw_experiment(base)
  task = config.task
  task.losses = video_cfg.Losses(l2_weight_decay=0.0, label_smoothing=0.0)
  task.backbone_lr_multiplier = 1.0
  task.model = movinet_task.MovinetGRWModel(
      model_id="a0", stream=True, head="movinet", norm_momentum=0.9)
  task.grw = grw_task.GRWConfig(
      endpoints=[grw_task.GRWEndpoint(name="block4")], window=8,
      normalization="batch_norm")
  return set_schedule(config, 10, train_batch_size=16, eval_batch_size=20,
                      learning_rate=3e-3, final_lr_fraction=0.0,
                      warmup_epochs=1, ema_decay=None)


def _as_mobilenet(config: cfg.ExperimentConfig,
                  model: mobilenet_task.MobilenetGRWModel
                 ) -> cfg.ExperimentConfig:
  """`config` with the per-frame MobileNetV3 task (same data, GRW, losses)."""
  task = config.task
  config.task = mobilenet_task.MobilenetGRWTaskConfig(
      train_data=task.train_data,
      validation_data=task.validation_data,
      losses=task.losses,
      grw=task.grw,
      backbone_lr_multiplier=task.backbone_lr_multiplier,
      model=model)
  return config


@exp_factory.register_config_factory("mobilenet_grw_kinetics600")
def mobilenet_grw_kinetics600() -> cfg.ExperimentConfig:
  """MobileNetV3-S per frame + GRW on Kinetics-600 (the paper's other setting).

  The paper reports 61.3 -> 67.3 top-1 for MobileNetV3-S per frame without
  publishing its wiring. Our choices: Model Garden's MobileNetV3 backbone
  (ImageNet checkpoint in `init_checkpoint`, inputs normalized with the
  ImageNet mean and std), the mean-over-time head, GRW on the per-frame
  features it averages (T=5, lambda 0.1, no normalization, alpha 0.5, as
  the MoViNet recipe), clips of 50 frames at 5 fps with 224 crops (resize
  256 for evaluation), and the MoViNet schedule (14 epochs, head 1e-3 ->
  1e-5, backbone ten times lower, EMA). `configs/` has -S and -L twins.
  """
  config = _kinetics(movinet_configs.movinet_kinetics600())
  for data, training in ((config.task.train_data, True),
                         (config.task.validation_data, False)):
    data.feature_shape = (50, 224, 224, 3)
    data.min_image_size = 256
  return _as_mobilenet(config, mobilenet_task.MobilenetGRWModel(
      model_id="MobileNetV3Small", head="mean", stream=True))


@exp_factory.register_config_factory("mobilenet_grw_airplanes")
def mobilenet_grw_airplanes() -> cfg.ExperimentConfig:
  """The airplanes warm-up with a per-frame MobileNetV3-S, from scratch.

  A mean over time of per-frame features cannot tell the rotation axis (every
  frame has the same distribution in every class), so this
  model exchanges channels between frames (causal temporal shift) and
  classifies with the causal Transformer head; GRW smooths its per-frame
  embedding with batch norm and alpha 0 (the layer's default pairing), window
  8. Data, schedule and batch norm momentum as `movinet_grw_airplanes`.
  """
  config = movinet_grw_airplanes()
  config.task.grw = grw_task.GRWConfig(
      endpoints=[grw_task.GRWEndpoint(name="embedding")], window=8,
      normalization="batch_norm")
  return _as_mobilenet(config, mobilenet_task.MobilenetGRWModel(
      model_id="MobileNetV3Small", stream=True, temporal_shift=True,
      head="transformer", embed_dim=64, transformer_heads=4,
      dropout_rate=0.0, input_normalization="none", norm_momentum=0.9))

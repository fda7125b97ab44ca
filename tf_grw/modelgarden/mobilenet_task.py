"""Model Garden task that trains per-frame MobileNetV3 video models with GRW.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

`MobilenetGRWTaskConfig` is Model Garden's `VideoClassificationTask` config
with `model` replaced by `MobilenetGRWModel` (the arguments of
`tf_grw.models.mobilenet.mobilenet_grw.build_mobilenet_grw`) and the same
`grw` block as the MoViNet task (`tf_grw.modelgarden.task.GRWConfig`).
`MobilenetGRWTask` is the generic GRW task
(`tf_grw.modelgarden.task.GRWVideoTask`: Model Garden's video input, loss
split into `class_loss` / `reg_loss` / `grw_term`, the two-group optimizer
for `backbone_lr_multiplier`) that builds a `MobilenetGRWClassifier`
(`model_builder`) and loads a Model Garden MobileNet backbone checkpoint
(e.g. an ImageNet classifier's) into it (`initialize`).
"""

import dataclasses
from typing import Any, Dict, Optional

from absl import logging
import tf_keras

from official.core import task_factory
from official.modeling import hyperparams
from official.vision.configs import video_classification as video_cfg
from tf_grw.models.mobilenet import mobilenet_grw
from tf_grw.core.errors import invalid_value
from tf_grw.modelgarden.task import grw_kwargs
from tf_grw.modelgarden.task import GRWConfig
from tf_grw.modelgarden.task import GRWVideoTask

__all__ = ["MobilenetGRWModel", "MobilenetGRWTaskConfig", "MobilenetGRWTask",
           "mobilenet_model_kwargs"]


@dataclasses.dataclass
class MobilenetGRWModel(hyperparams.Config):
  """The per-frame MobileNetV3 classifier (`build_mobilenet_grw` args).

  Attributes:
    model_type: fixed name, for Model Garden tooling that reads it.
    model_id: "MobileNetV3Small" or "MobileNetV3Large".
    filter_size_scale: the width multiplier.
    stream: causal temporal shift and Transformer head (streamable).
    temporal_shift: TSM residual shift of 1/`shift_div` of the channels.
    shift_div: TSM's fold divisor.
    head: "mean" (mean over time, Dense) or "transformer".
    dropout_rate: dropout before the mean head's classifier.
    embed_dim, transformer_layers, transformer_heads, transformer_mlp_dim,
      transformer_dropout: the Transformer head (head="transformer").
    input_normalization: "imagenet" (ImageNet mean/std, for ImageNet
      checkpoints) or "none".
    stochastic_depth_drop_rate: Model Garden's MobileNet drop rate.
    use_sync_bn: synchronized batch norm across replicas.
    norm_momentum, norm_epsilon: batch norm settings.
  
  >>> MobilenetGRWModel(temporal_shift=True).as_dict()["model_id"]
  'MobileNetV3Small'
  """
  model_type: str = "mobilenet_grw"
  model_id: str = "MobileNetV3Small"
  filter_size_scale: float = 1.0
  stream: bool = True
  temporal_shift: bool = False
  shift_div: int = 8
  head: str = "mean"
  dropout_rate: float = 0.2
  embed_dim: int = 256
  transformer_layers: int = 1
  transformer_heads: int = 4
  transformer_mlp_dim: Optional[int] = None
  transformer_dropout: float = 0.0
  input_normalization: str = "imagenet"
  stochastic_depth_drop_rate: float = 0.0
  use_sync_bn: bool = False
  norm_momentum: float = 0.99
  norm_epsilon: float = 1e-3


@dataclasses.dataclass
class MobilenetGRWTaskConfig(video_cfg.VideoClassificationTask):
  """Model Garden video classification config, per-frame MobileNetV3 + GRW.

  Attributes (besides `VideoClassificationTask`'s):
    model: the MobileNetV3 video classifier.
    grw: the GRW taps and defaults (`tf_grw.modelgarden.task.GRWConfig`; endpoint names
      of `tf_grw.models.mobilenet.mobilenet_grw.valid_grw_endpoints`).
    init_checkpoint_strict: fail when a backbone variable is missing from
      `init_checkpoint` or has another shape.
    backbone_lr_multiplier: backbone learning rate relative to the head's.
  
  >>> config = MobilenetGRWTaskConfig()
  >>> config.override({"model": {"head": "transformer"},
  ...                  "grw": {"endpoints": [{"name": "level4"}]}})
  >>> kwargs = mobilenet_model_kwargs(config)
  >>> kwargs["head"], kwargs["grw_endpoints"], kwargs["embed_dim"]
  ('transformer', [{'endpoint': 'level4'}], 256)
  """
  model: MobilenetGRWModel = dataclasses.field(
      default_factory=MobilenetGRWModel)
  grw: GRWConfig = dataclasses.field(default_factory=GRWConfig)
  init_checkpoint_strict: bool = True
  backbone_lr_multiplier: float = 1.0


def mobilenet_model_kwargs(task_config: MobilenetGRWTaskConfig
                          ) -> Dict[str, Any]:
  """`build_mobilenet_grw` keyword arguments of a task config."""
  model = task_config.model
  kwargs = grw_kwargs(task_config)
  kwargs.update(
      filter_size_scale=model.filter_size_scale,
      temporal_shift=model.temporal_shift,
      shift_div=model.shift_div,
      dropout_rate=model.dropout_rate,
      input_normalization=model.input_normalization,
      stochastic_depth_drop_rate=model.stochastic_depth_drop_rate,
      use_sync_bn=model.use_sync_bn,
      norm_momentum=model.norm_momentum,
      norm_epsilon=model.norm_epsilon)
  if model.head == "transformer":
    kwargs.update(embed_dim=model.embed_dim,
                  transformer_layers=model.transformer_layers,
                  transformer_heads=model.transformer_heads,
                  transformer_mlp_dim=model.transformer_mlp_dim,
                  transformer_dropout=model.transformer_dropout)
  return kwargs


@task_factory.register_task_cls(MobilenetGRWTaskConfig)
class MobilenetGRWTask(GRWVideoTask):
  """Video classification of a per-frame MobileNetV3 trained with GRW.

  Logs what every `tf_grw.modelgarden.task.GRWVideoTask` logs
  (`class_loss`, `reg_loss`, `grw_term`, `grw_loss`, `grw_loss_<endpoint>`
  and the accuracies).

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  
  >>> from official.core import exp_factory, task_factory
  >>> import tf_grw.modelgarden.experiments
  >>> config = exp_factory.get_exp_config("mobilenet_grw_airplanes").task
  >>> builder, kwargs = task_factory.get_task(config).model_builder()
  >>> builder.__name__, kwargs["model_id"]
  ('build_mobilenet_grw', 'MobileNetV3Small')
  """

  def model_builder(self):
    """`build_mobilenet_grw` and its arguments from the task config."""
    return (mobilenet_grw.build_mobilenet_grw,
            mobilenet_model_kwargs(self.task_config))

  def initialize(self, model: tf_keras.Model):
    """Loads the backbone of `init_checkpoint` (a Model Garden MobileNet).

    Only the backbone is ever loaded (image checkpoints have no temporal
    head), whatever `init_checkpoint_modules` says ("all" or "backbone").
    """
    path = self.task_config.init_checkpoint
    if not path:
      return
    modules = self.task_config.init_checkpoint_modules
    if modules not in ("all", "backbone"):
      raise invalid_value("init_checkpoint_modules", "one of ['all', "
                          "'backbone']", modules)
    report = model.load_pretrained(
        path, strict=self.task_config.init_checkpoint_strict)
    logging.info("Initialized from %s:\n%s", path, report)

"""Model Garden task that trains MoViNets with GRW smoothing.

`MovinetGRWTaskConfig` subclasses Model Garden's `VideoClassificationTask`
config (`official/vision/configs/video_classification.py`): the data, loss
and checkpoint fields are Model Garden's, `model` is replaced by
`MovinetGRWModel` (the arguments of
`tf_grw.models.movinet.movinet_grw.build_movinet_grw`) and `grw`
(`tf_grw.modelgarden.task.GRWConfig`) says where and how GRW smoothing
applies. `MovinetGRWTask` (registered for that config with
`task_factory.register_task_cls`) is the generic `GRWVideoTask` (loss split,
two-group optimizer) that builds a `MovinetGRWClassifier` (official MoViNet
backbone, GRW taps, official or Transformer head) and loads
`init_checkpoint` with the model's `load_pretrained` (official MoViNet
checkpoints, (2+1)D kernel conversion, a head of another size skipped).

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
from typing import Any, Dict, Optional, Tuple

from absl import logging
import tf_keras

from official.core import task_factory
from official.modeling import hyperparams
from official.vision.configs import video_classification as video_cfg
from tf_grw.core.errors import invalid_value
from tf_grw.modelgarden.task import GRWConfig
from tf_grw.modelgarden.task import grw_kwargs
from tf_grw.modelgarden.task import GRWVideoTask
from tf_grw.models.movinet import movinet_grw

__all__ = ["MovinetGRWModel", "MovinetGRWTaskConfig", "MovinetGRWTask",
           "model_kwargs"]

_INIT_MODULES = ("all", "backbone")


@dataclasses.dataclass
class MovinetGRWModel(hyperparams.Config):
  """The MoViNet classifier (`tf_grw.models.movinet.movinet_grw.build_movinet_grw` args).

  Fields left None take the official Model Garden recipe of `model_id` and
  `stream` (`tf_grw.models.movinet.movinet_grw.movinet_recipe`).

  Attributes:
    model_type: fixed name, for Model Garden tooling that reads it.
    model_id: "a0" ... "a5" (or another key of Model Garden's
      `movinet.BLOCK_SPECS`, with A0's recipe).
    stream: causal stream recipe (True) or base recipe (False).
    conv_type: None for the recipe's, or "2plus1d", "3d_2plus1d", "3d".
    head: "transformer" (the paper's final-layer head) or "movinet" (the
      official classifier head).
    embed_dim: per-frame embedding width of the Transformer head.
    transformer_layers: Transformer blocks of the head.
    transformer_heads: attention heads.
    transformer_mlp_dim: MLP width (None: 4 * embed_dim).
    transformer_dropout: dropout in the head.
    dropout_rate: dropout before the MoViNet classifier (None: recipe).
    stochastic_depth_drop_rate: None: recipe (0.2).
    use_sync_bn: None: recipe (True).
    norm_momentum: batch norm momentum (None: recipe, 0.99).
    norm_epsilon: batch norm epsilon (None: recipe, 1e-3).
  
  >>> model = MovinetGRWModel(model_id="a2", head="movinet")
  >>> model.model_id, model.stream, model.conv_type
  ('a2', True, None)
  """
  model_type: str = "movinet_grw"
  model_id: str = "a0"
  stream: bool = True
  conv_type: Optional[str] = None
  head: str = "transformer"
  embed_dim: int = 256
  transformer_layers: int = 1
  transformer_heads: int = 4
  transformer_mlp_dim: Optional[int] = None
  transformer_dropout: float = 0.0
  dropout_rate: Optional[float] = None
  stochastic_depth_drop_rate: Optional[float] = None
  use_sync_bn: Optional[bool] = None
  norm_momentum: Optional[float] = None
  norm_epsilon: Optional[float] = None



@dataclasses.dataclass
class MovinetGRWTaskConfig(video_cfg.VideoClassificationTask):
  """Model Garden video classification task config with GRW smoothing.

  Attributes (besides `VideoClassificationTask`'s):
    model: the MoViNet classifier.
    grw: the GRW taps and defaults.
    init_checkpoint_conv_type: conv type of `init_checkpoint` when it differs
      from the model's ("2plus1d" and "3d_2plus1d" convert into each other).
    init_checkpoint_strict: fail when a backbone variable is missing from
      `init_checkpoint` or has another shape.
    backbone_lr_multiplier: learning rate of the backbone relative to the
      schedule in `trainer.optimizer_config` (which the head uses). 1 trains
      everything with one optimizer; any other value uses two optimizers of
      the configured type (`TwoGroupOptimizer`).
  
  >>> config = MovinetGRWTaskConfig()
  >>> config.override({"grw": {"endpoints": [{"name": "block4"}],
  ...                          "normalization": "batch_norm"},
  ...                  "model": {"head": "movinet"}})
  >>> kwargs = model_kwargs(config)
  >>> kwargs["grw_endpoints"], kwargs["normalization"], kwargs["head"]
  ([{'endpoint': 'block4'}], 'batch_norm', 'movinet')
  """
  model: MovinetGRWModel = dataclasses.field(default_factory=MovinetGRWModel)
  grw: GRWConfig = dataclasses.field(default_factory=GRWConfig)
  init_checkpoint_conv_type: Optional[str] = None
  init_checkpoint_strict: bool = True
  backbone_lr_multiplier: float = 1.0



def model_kwargs(task_config: MovinetGRWTaskConfig) -> Dict[str, Any]:
  """`build_movinet_grw` keyword arguments of a task config."""
  model = task_config.model
  kwargs = grw_kwargs(task_config)
  kwargs.update(conv_type=model.conv_type, embed_dim=model.embed_dim)
  if model.head == "transformer":
    kwargs.update(transformer_layers=model.transformer_layers,
                  transformer_heads=model.transformer_heads,
                  transformer_mlp_dim=model.transformer_mlp_dim,
                  transformer_dropout=model.transformer_dropout)
  for name in ("dropout_rate", "stochastic_depth_drop_rate", "use_sync_bn",
               "norm_momentum", "norm_epsilon"):
    if getattr(model, name) is not None:
      kwargs[name] = getattr(model, name)
  return kwargs



@task_factory.register_task_cls(MovinetGRWTaskConfig)
class MovinetGRWTask(GRWVideoTask):
  """Video classification of a MoViNet trained with GRW smoothing.

  `GRWVideoTask` (Model Garden's video task with the GRW loss split and the
  two-group optimizer) with the model and checkpoint loading described in
  the module docstring.

  >>> from official.core import exp_factory, task_factory
  >>> import tf_grw.modelgarden.experiments
  >>> config = exp_factory.get_exp_config("movinet_grw_kinetics600").task
  >>> task = task_factory.get_task(config)
  >>> builder, kwargs = task.model_builder()
  >>> builder.__name__, kwargs["grw_endpoints"], kwargs["window"]
  ('build_movinet_grw', [{'endpoint': 'embedding'}], 5)

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def model_builder(self) -> Tuple[Any, Dict[str, Any]]:
    """`build_movinet_grw` and its keyword arguments from the task config."""
    return movinet_grw.build_movinet_grw, model_kwargs(self.task_config)

  def initialize(self, model: tf_keras.Model):
    """Loads `init_checkpoint` (official MoViNet) with `load_pretrained`.

    `init_checkpoint_modules="backbone"` keeps the head as initialized even
    when the checkpoint has a head of the right size.
    """
    path = self.task_config.init_checkpoint
    if not path:
      return
    modules = self.task_config.init_checkpoint_modules
    if modules not in _INIT_MODULES:
      raise invalid_value("init_checkpoint_modules",
                          f"one of {list(_INIT_MODULES)}", modules)
    backbone_ids = {id(v) for v in model.backbone.weights}
    kept = [(v, v.numpy()) for v in model.weights
            if id(v) not in backbone_ids] if modules == "backbone" else []
    report = model.load_pretrained(
        path, strict=self.task_config.init_checkpoint_strict,
        checkpoint_conv_type=self.task_config.init_checkpoint_conv_type)
    for variable, value in kept:
      variable.assign(value)
    logging.info("Initialized from %s (%s):\n%s", path, modules, report)

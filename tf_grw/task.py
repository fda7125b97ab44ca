"""Model Garden task that trains MoViNets with GRW smoothing.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

`MovinetGRWTaskConfig` subclasses Model Garden's `VideoClassificationTask`
config (`official/vision/configs/video_classification.py`): the data, loss
and checkpoint fields are Model Garden's, `model` is replaced by
`MovinetGRWModel` (the arguments of `tf_grw.movinet_grw.build_movinet_grw`)
and `grw` (`GRWConfig`) says where and how GRW smoothing applies.
`MovinetGRWTask` (registered for that config with
`task_factory.register_task_cls`) reuses Model Garden's video input, metrics
and multi-view evaluation and changes four things:

* `build_model` builds a `MovinetGRWClassifier` (official MoViNet backbone,
  GRW taps, official or Transformer head);
* `initialize` loads `init_checkpoint` with the model's `load_pretrained`
  (official MoViNet checkpoints, (2+1)D kernel conversion, a head of another
  size skipped);
* the training loss is split into `class_loss`, `reg_loss` (L2 weight decay
  only) and the GRW term, each logged on its own (see `build_metrics`);
* `backbone_lr_multiplier != 1` trains the backbone and the head with two
  optimizers whose learning rates differ by that factor (the paper fine-tunes
  the backbone at 1e-4 -> 1e-6 and the head at 1e-3 -> 1e-5), through
  `TwoGroupOptimizer`.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from absl import logging
import tensorflow as tf
import tf_keras

from official.core import task_factory
from official.modeling import hyperparams
from official.modeling import optimization
from official.modeling import performance
from official.vision.configs import video_classification as video_cfg
from official.vision.tasks import video_classification
from tf_grw import movinet_grw
from tf_grw.core.errors import invalid_value
from tf_grw.two_group_optimizer import HEAD_VARIABLE_PATTERN
from tf_grw.two_group_optimizer import ScaledSchedule
from tf_grw.two_group_optimizer import TwoGroupOptimizer

__all__ = [
    "GRWEndpoint", "GRWConfig", "MovinetGRWModel", "MovinetGRWTaskConfig",
    "MovinetGRWTask", "TwoGroupOptimizer", "ScaledSchedule",
    "HEAD_VARIABLE_PATTERN", "model_kwargs", "grw_kwargs",
    "grw_endpoint_entries",
    "create_grw_metrics",
]

# Metric names logged by the task besides Model Garden's accuracy metrics. The
# model itself logs `grw_loss` (unweighted sum) and `grw_loss_<endpoint>`.
CLASS_LOSS = "class_loss"
REG_LOSS = "reg_loss"
GRW_TERM = "grw_term"
_INIT_MODULES = ("all", "backbone")


@dataclasses.dataclass
class GRWEndpoint(hyperparams.Config):
  """One GRW tap; unset fields take the `GRWConfig` defaults.

  Attributes:
    name: an endpoint of `tf_grw.movinet_grw.valid_grw_endpoints` (`"stem"`,
      `"block4"`, `"block4_layer2"`, a pattern such as `"block4_layer*"`, or
      `"embedding"` with the Transformer head).
    window: GRW window T, or None for `GRWConfig.window`.
    weight: GRW weight lambda, or None for `GRWConfig.weight`.
    alpha: velocity weight, or None for `GRWConfig.alpha`.

  >>> GRWEndpoint(name="block4", window=8).as_dict()
  {'name': 'block4', 'window': 8, 'weight': None, 'alpha': None}
  """
  name: str = ""
  window: Optional[int] = None
  weight: Optional[float] = None
  alpha: Optional[float] = None


@dataclasses.dataclass
class GRWConfig(hyperparams.Config):
  """Where and how GRW smoothing applies (the paper's defaults).

  The paper's MoViNet results smooth the final per-frame embedding of the
  Transformer head (`endpoints=[{name: embedding}]`) with T=5 (A0-A2, 5 fps)
  or T=6 (A3, 12 fps), lambda=0.1, no normalization and alpha=0.5. An empty
  `endpoints` list trains the same model without GRW (the baseline).

  Attributes:
    endpoints: the GRW taps.
    window: default window T (>= 3).
    weight: default weight lambda.
    alpha: default velocity weight; None derives it from `normalization`
      (0.5, the paper's value, for "none"; 0 after batch or layer norm, see
      `tf_grw.core.grw_smoothing.default_alpha`).
    normalization: "none", "batch_norm" or "layer_norm" of the per-frame
      embeddings before the loss.
    orderings: "exact" (all orderings) or "sampled" (the reference's fixed
      sample of `num_orderings`).
    num_orderings: orderings drawn when `orderings="sampled"`.
    seed: seed of the sampled orderings.

  >>> config = GRWConfig()  # The paper's final-layer setting.
  >>> [e.name for e in config.endpoints], config.window, config.normalization
  (['embedding'], 5, 'none')
  >>> config.override({"endpoints": [{"name": "block4"}], "window": 8,
  ...                  "normalization": "batch_norm"})
  >>> config.endpoints[0].name, config.window
  ('block4', 8)
  """
  endpoints: List[GRWEndpoint] = dataclasses.field(
      default_factory=lambda: [GRWEndpoint(name=movinet_grw.EMBEDDING)])
  window: int = 5
  weight: float = 0.1
  alpha: Optional[float] = None
  normalization: str = "none"
  orderings: str = "exact"
  num_orderings: int = 1000
  seed: int = 0


@dataclasses.dataclass
class MovinetGRWModel(hyperparams.Config):
  """The MoViNet classifier (`tf_grw.movinet_grw.build_movinet_grw` args).

  Fields left None take the official Model Garden recipe of `model_id` and
  `stream` (`tf_grw.movinet_grw.movinet_recipe`).

  Attributes:
    model_type: fixed name, for Model Garden tooling that reads it.
    model_id: "a0" ... "a5".
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
  """
  model: MovinetGRWModel = dataclasses.field(default_factory=MovinetGRWModel)
  grw: GRWConfig = dataclasses.field(default_factory=GRWConfig)
  init_checkpoint_conv_type: Optional[str] = None
  init_checkpoint_strict: bool = True
  backbone_lr_multiplier: float = 1.0


def grw_endpoint_entries(grw: GRWConfig) -> List[Dict[str, Any]]:
  """`grw.endpoints` as builder entries, checked for typos.

  Example:

  >>> grw = GRWConfig(endpoints=[GRWEndpoint(name="block4", window=4)])
  >>> grw_endpoint_entries(grw)
  [{'endpoint': 'block4', 'window': 4}]

  A list given in YAML with another length than the default is built from
  dicts without Model Garden's strict key check, so unknown keys are caught
  here.
  """
  known = {f.name for f in dataclasses.fields(GRWEndpoint)}
  entries = []
  for endpoint in grw.endpoints:
    values = (endpoint.as_dict() if isinstance(endpoint, hyperparams.Config)
              else dict(endpoint))
    unknown = sorted(set(values) - known)
    if unknown or not values.get("name"):
      raise invalid_value(
          "grw.endpoints", f"entries with a `name` and optional "
          f"{sorted(known - {'name'})}", values)
    entry = {"endpoint": values["name"]}
    entry.update({k: values[k] for k in ("window", "weight", "alpha")
                  if values.get(k) is not None})
    entries.append(entry)
  return entries


def grw_kwargs(task_config) -> Dict[str, Any]:
  """Builder keyword arguments shared by the GRW tasks' configs.

  `num_classes` (checked equal in both data configs), the GRW taps and
  settings of `task_config.grw`, `stream` and `head` of `task_config.model`,
  and `l2_weight_decay`.
  """
  model = task_config.model
  grw = task_config.grw
  num_classes = task_config.train_data.num_classes
  if num_classes != task_config.validation_data.num_classes:
    raise invalid_value(
        "validation_data.num_classes",
        f"train_data.num_classes={num_classes}",
        task_config.validation_data.num_classes)
  return dict(
      model_id=model.model_id,
      num_classes=num_classes,
      stream=model.stream,
      grw_endpoints=grw_endpoint_entries(grw),
      window=grw.window,
      weight=grw.weight,
      alpha=grw.alpha,
      normalization=grw.normalization,
      orderings=grw.orderings,
      num_orderings=grw.num_orderings,
      seed=grw.seed,
      head=model.head,
      l2_weight_decay=float(task_config.losses.l2_weight_decay),
  )


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


def _mean(name):
  return tf_keras.metrics.Mean(name, dtype=tf.float32)


@task_factory.register_task_cls(MovinetGRWTaskConfig)
class MovinetGRWTask(video_classification.VideoClassificationTask):
  """Video classification of a MoViNet trained with GRW smoothing.

  Model Garden's `VideoClassificationTask` with the model, checkpoint
  loading, loss logging and optimizer described in the module docstring.
  Metrics logged in training besides the accuracies: `class_loss`,
  `reg_loss` (L2 weight decay), `grw_term` (the weighted GRW losses, as
  added to the objective) and, from the model, `grw_loss` (sum of the
  unweighted GRW losses) and `grw_loss_<endpoint>`.

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def model_builder(self) -> Tuple[Any, Dict[str, Any]]:
    """The model builder and its keyword arguments from the task config."""
    return movinet_grw.build_movinet_grw, model_kwargs(self.task_config)

  def build_model(self) -> tf_keras.Model:
    """Builds the GRW model of `task_config.model` / `grw` (`model_builder`).

    Its GRW metrics exist right away (`create_grw_metrics`), and the
    backbone is frozen when `freeze_backbone` says so.
    """
    builder, kwargs = self.model_builder()
    logging.info("Building the model with %s: %s", builder.__name__, kwargs)
    model = builder(**kwargs)
    create_grw_metrics(model)
    if self.task_config.freeze_backbone:
      logging.info("Freezing model backbone.")
      model.backbone.trainable = False
    return model

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

  def create_optimizer(self, optimizer_config, runtime_config=None,
                       dp_config=None):
    """Model Garden's optimizer, or two when `backbone_lr_multiplier != 1`.

    An instance method (Model Garden's trainer calls it on the task): the
    head uses `optimizer_config`'s schedule, the backbone the same schedule
    times `backbone_lr_multiplier`, each with its own optimizer of the
    configured type; EMA (`optimizer_config.ema`) and loss scaling wrap the
    pair.
    """
    multiplier = float(self.task_config.backbone_lr_multiplier)
    if multiplier == 1.0:
      return super().create_optimizer(optimizer_config, runtime_config,
                                      dp_config=dp_config)
    if not multiplier > 0.0:
      raise invalid_value("backbone_lr_multiplier", "a float > 0", multiplier)
    if dp_config is not None:
      raise invalid_value("backbone_lr_multiplier",
                          "1.0 with differential privacy", multiplier)
    if optimizer_config.optimizer.get().as_dict().get("global_clipnorm"):
      raise invalid_value(
          "backbone_lr_multiplier", "1.0 with `global_clipnorm` (each group "
          "would be clipped on its own; use `clipnorm`)", multiplier)
    plain = optimizer_config.replace(ema=None)
    factory = optimization.OptimizerFactory(plain)
    head_lr = factory.build_learning_rate()
    head = factory.build_optimizer(head_lr)
    backbone = factory.build_optimizer(ScaledSchedule(head_lr, multiplier))
    optimizer = TwoGroupOptimizer(head, backbone)
    if optimizer_config.ema is not None:
      optimizer = optimization.ExponentialMovingAverage(
          optimizer, **optimizer_config.ema.as_dict())
    if runtime_config:
      optimizer = performance.configure_optimizer(
          optimizer,
          use_float16=runtime_config.mixed_precision_dtype == "float16",
          loss_scale=runtime_config.loss_scale)
    return optimizer

  def build_metrics(self, training: bool = True):
    """Model Garden's accuracies plus the loss parts (training only)."""
    metrics = super().build_metrics(training)
    if training:
      metrics += [_mean(CLASS_LOSS), _mean(REG_LOSS), _mean(GRW_TERM)]
    return metrics

  def split_losses(self, labels, outputs, model) -> Dict[str, tf.Tensor]:
    """`class_loss`, `reg_loss`, `grw_term` and the total `self.loss`.

    `outputs` are probabilities (Model Garden's task applies the softmax).
    `reg_loss` holds every model loss that is not a GRW loss (the L2
    regularizers), `grw_term` the weighted GRW losses.
    """
    grw = list(getattr(model, "grw_losses", []))
    grw_ids = {id(t) for t in grw}
    reg = [t for t in model.losses if id(t) not in grw_ids]
    logs = self.build_losses(labels=labels, model_outputs=outputs,
                             aux_losses=None)
    zero = tf.constant(0.0, tf.float32)
    reg_loss = tf.add_n([tf.cast(t, tf.float32) for t in reg]) if reg else zero
    grw_term = (tf.add_n([tf.cast(t, tf.float32) for t in grw]) if grw
                else zero)
    logs[REG_LOSS] = reg_loss
    logs[GRW_TERM] = grw_term
    logs[self.loss] = logs[self.loss] + reg_loss + grw_term
    return logs

  def process_metrics(self, metrics, labels, model_outputs, logs=None):
    """Updates the task's metrics only (not the model's own GRW metrics).

    Model Garden's trainer appends `model.metrics` to the task's metrics;
    the model's GRW metrics update themselves inside the model, so they are
    skipped here. The loss-part means take their values from `logs`.
    """
    for metric in metrics:
      if metric.name in (CLASS_LOSS, REG_LOSS, GRW_TERM):
        if logs is not None and metric.name in logs:
          metric.update_state(logs[metric.name])
      elif not _is_model_metric(metric):
        metric.update_state(labels, model_outputs)

  def train_step(self, inputs, model, optimizer, metrics=None):
    """Model Garden's train step with the loss split into its parts."""
    features, labels = inputs
    input_partition_dims = self.task_config.train_input_partition_dims
    if input_partition_dims:
      strategy = tf.distribute.get_strategy()
      features["image"] = strategy.experimental_split_to_logical_devices(
          features["image"], input_partition_dims)
    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    with tf.GradientTape() as tape:
      outputs = model(features, training=True)
      outputs = tf.nest.map_structure(lambda x: tf.cast(x, tf.float32),
                                      outputs)
      if self._is_multilabel():
        outputs = tf.nest.map_structure(tf.math.sigmoid, outputs)
      else:
        outputs = tf.nest.map_structure(tf.math.softmax, outputs)
      logs = self.split_losses(labels, outputs, model)
      scaled_loss = logs[self.loss] / num_replicas
      if isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer):
        scaled_loss = optimizer.get_scaled_loss(scaled_loss)
    tvars = model.trainable_variables
    grads = tape.gradient(scaled_loss, tvars)
    if isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer):
      grads = optimizer.get_unscaled_gradients(grads)
    optimizer.apply_gradients(list(zip(grads, tvars)))
    if metrics:
      self.process_metrics(metrics, labels, outputs, logs=logs)
      logs.update({m.name: m.result() for m in metrics})
    return logs

  def validation_step(self, inputs, model, metrics=None):
    """Model Garden's validation step (no GRW: the model is in inference)."""
    features, labels = inputs
    input_partition_dims = self.task_config.eval_input_partition_dims
    if input_partition_dims:
      strategy = tf.distribute.get_strategy()
      features["image"] = strategy.experimental_split_to_logical_devices(
          features["image"], input_partition_dims)
    outputs = self.inference_step(features, model)
    outputs = tf.nest.map_structure(lambda x: tf.cast(x, tf.float32), outputs)
    logs = self.split_losses(labels, outputs, model)
    if metrics:
      self.process_metrics(metrics, labels, outputs, logs=logs)
      logs.update({m.name: m.result() for m in metrics})
    return logs

  def build_losses(self, labels, model_outputs, aux_losses=None):
    """Model Garden's classification loss; `aux_losses` go to `reg_loss`."""
    logs = super().build_losses(labels=labels, model_outputs=model_outputs,
                                aux_losses=None)
    if aux_losses:
      reg = tf.add_n([tf.cast(t, tf.float32) for t in aux_losses])
      logs[REG_LOSS] = reg
      logs[self.loss] = logs[self.loss] + reg
    return logs


def create_grw_metrics(model: tf_keras.Model) -> None:
  """Creates the model's `grw_loss_<endpoint>` metrics now, at zero.

  A GRW layer creates its metric on its first training call (Keras
  `add_metric`), after Model Garden's trainer has collected `model.metrics`:
  the trainer would then neither log nor reset it, and the model's
  `grw_loss` (their sum) would average over the whole run instead of each
  loop. Calling every GRW layer once on zeros creates the metrics; their
  state and the layers' non-trainable weights are then restored, and the
  loss it added is dropped on the model's next call.
  """
  for spec, layer in zip(model.grw_specs, model.grw_layers):
    channels = model.grw_channels(spec.endpoint)
    saved = [(v, v.numpy()) for v in layer.non_trainable_weights]
    layer(tf.zeros([1, spec.window, channels]), training=True)
    for variable, value in saved:
      variable.assign(value)
    for metric in layer.metrics:
      metric.reset_state()


def _is_model_metric(metric) -> bool:
  """Whether a metric belongs to a `MovinetGRWClassifier` (GRW metrics)."""
  name = metric.name
  return name == movinet_grw.TOTAL_METRIC or name.startswith(
      movinet_grw.TOTAL_METRIC + "_")


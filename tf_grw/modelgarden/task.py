"""The generic GRW video task of Model Garden and the `grw` config block.

`GRWConfig` (with its `GRWEndpoint` taps) is the `grw` block of every GRW
task config: where and how GRW smoothing applies; `GRWConfig.settings()`
makes its model-wide `tf_grw.GRWSettings`. `GRWVideoTask` is Model Garden's
`VideoClassificationTask` (video input, metrics, multi-view evaluation) for
a GRW classifier, changed in two ways that both families share:

* the training loss is split into `class_loss`, `reg_loss` (L2 weight decay
  only) and the GRW term, each logged on its own (see `build_metrics`);
* `backbone_lr_multiplier != 1` trains the backbone and the head with two
  optimizers whose learning rates differ by that factor (the paper fine-tunes
  the backbone at 1e-4 -> 1e-6 and the head at 1e-3 -> 1e-5), through
  `TwoGroupOptimizer`.

The family tasks (`tf_grw.modelgarden.movinet_task.MovinetGRWTask`,
`tf_grw.modelgarden.mobilenet_task.MobilenetGRWTask`) add how to build
their model and load a pretrained checkpoint.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from absl import logging
import tensorflow as tf
import tf_keras

from official.modeling import hyperparams
from official.modeling import optimization
from official.modeling import performance
from official.vision.tasks import video_classification
from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.models.grw_endpoints import EMBEDDING
from tf_grw.models.grw_endpoints import TOTAL_METRIC
from tf_grw.modelgarden.two_group_optimizer import HEAD_VARIABLE_PATTERN
from tf_grw.modelgarden.two_group_optimizer import ScaledSchedule
from tf_grw.modelgarden.two_group_optimizer import TwoGroupOptimizer

__all__ = [
    "GRWEndpoint", "GRWConfig", "GRWVideoTask", "TwoGroupOptimizer",
    "ScaledSchedule", "HEAD_VARIABLE_PATTERN", "grw_kwargs",
    "grw_endpoint_entries",
]

# Metric names logged by the task besides Model Garden's accuracy metrics. The
# model itself logs `grw_loss` (unweighted sum) and `grw_loss_<endpoint>`.
CLASS_LOSS = "class_loss"
REG_LOSS = "reg_loss"
GRW_TERM = "grw_term"


@dataclasses.dataclass
class GRWEndpoint(hyperparams.Config):
  """One GRW tap; unset fields take the `GRWConfig` defaults.

  Attributes:
    name: an endpoint of the model (`valid_grw_endpoints` of its family;
      for a MoViNet `"stem"`, `"block4"`, `"block4_layer2"`, a pattern such
      as `"block4_layer*"`, or `"embedding"` with the Transformer head).
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
      default_factory=lambda: [GRWEndpoint(name=EMBEDDING)])
  window: int = 5
  weight: float = 0.1
  alpha: Optional[float] = None
  normalization: str = "none"
  orderings: str = "exact"
  num_orderings: int = 1000
  seed: int = 0

  def settings(self) -> GRWSettings:
    """The model-wide `GRWSettings` of this config (validated)."""
    return GRWSettings(
        window=self.window, weight=self.weight, alpha=self.alpha,
        normalization=self.normalization, orderings=self.orderings,
        num_orderings=self.num_orderings, seed=self.seed)


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
      **grw.settings().as_dict(),
      head=model.head,
      l2_weight_decay=float(task_config.losses.l2_weight_decay),
  )


def _mean(name):
  return tf_keras.metrics.Mean(name, dtype=tf.float32)


class GRWVideoTask(video_classification.VideoClassificationTask):
  """Model Garden's video classification task for a GRW classifier.

  The generic part of the family tasks (`tf_grw.modelgarden.movinet_task.
  MovinetGRWTask`, `tf_grw.modelgarden.mobilenet_task.MobilenetGRWTask`),
  which say how to build their model (`model_builder`) and load a
  pretrained checkpoint (`initialize`). Metrics logged in training besides
  the accuracies: `class_loss`, `reg_loss` (L2 weight decay), `grw_term`
  (the weighted GRW losses, as added to the objective) and, from the model,
  `grw_loss` (sum of the unweighted GRW losses) and `grw_loss_<endpoint>`.

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  
  A family task defines `model_builder` (and `initialize` for its
  checkpoints); the generic task refuses to guess:

  >>> from tf_grw.modelgarden.movinet_task import MovinetGRWTaskConfig
  >>> GRWVideoTask(MovinetGRWTaskConfig()).model_builder()
  Traceback (most recent call last):
  ...
  NotImplementedError: GRWVideoTask must define `model_builder`.
  """

  def model_builder(self) -> Tuple[Any, Dict[str, Any]]:
    """The model builder and its keyword arguments from the task config."""
    raise NotImplementedError(
        f"{type(self).__name__} must define `model_builder`.")

  def build_model(self) -> tf_keras.Model:
    """Builds the GRW model of `task_config.model` / `grw` (`model_builder`).

    Its GRW metrics exist from construction (each `GRWSmoothing` makes
    its own), and the backbone is frozen when `freeze_backbone` says so.
    """
    builder, kwargs = self.model_builder()
    logging.info("Building the model with %s: %s", builder.__name__, kwargs)
    model = builder(**kwargs)
    if self.task_config.freeze_backbone:
      logging.info("Freezing model backbone.")
      model.backbone.trainable = False
    return model

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
    _split_image(features, self.task_config.train_input_partition_dims)
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
    _split_image(features, self.task_config.eval_input_partition_dims)
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


def _split_image(features, partition_dims) -> None:
  """Model Garden's spatial partitioning of `features["image"]`, if asked."""
  if partition_dims:
    features["image"] = (
        tf.distribute.get_strategy().experimental_split_to_logical_devices(
            features["image"], partition_dims))


def _is_model_metric(metric) -> bool:
  """Whether a metric belongs to a GRW classifier (its GRW metrics)."""
  name = metric.name
  return name == TOTAL_METRIC or name.startswith(TOTAL_METRIC + "_")


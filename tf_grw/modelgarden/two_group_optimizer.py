"""Per-group learning rates: one optimizer for the head, one for the backbone.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928: the paper
fine-tunes the backbone at 1e-4 -> 1e-6 and the head at 1e-3 -> 1e-5.
`tf_grw.modelgarden.task.GRWVideoTask.create_optimizer` builds a `TwoGroupOptimizer`
when `backbone_lr_multiplier != 1`, the backbone's schedule being the head's
times the multiplier (`ScaledSchedule`).
"""

import re
from typing import Any, List, Tuple

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import invalid_value

__all__ = ["HEAD_VARIABLE_PATTERN", "ScaledSchedule", "TwoGroupOptimizer"]

# Variables of the classifier heads of `MovinetGRWClassifier` and
# `MobilenetGRWClassifier` (everything else trainable is the official
# backbone).
HEAD_VARIABLE_PATTERN = r"(^|/)(classifier_head|temporal_head|classifier)/"


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class ScaledSchedule(tf_keras.optimizers.schedules.LearningRateSchedule):
  """`multiplier` times a learning rate schedule (or a constant rate).

  >>> decay = tf_keras.optimizers.schedules.PolynomialDecay(1.0, 10, 0.0)
  >>> head = ScaledSchedule(decay, 10.0)  # 10x the backbone's rate.
  >>> float(head(0)), float(head(5))
  (10.0, 5.0)
  """

  def __init__(self, schedule, multiplier: float, name: str = "Scaled"):
    super().__init__()
    self.schedule = schedule
    self.multiplier = float(multiplier)
    self.name = name

  def __call__(self, step):
    rate = self.schedule(step) if callable(self.schedule) else self.schedule
    return tf.cast(rate, tf.float32) * self.multiplier

  def get_config(self):
    schedule = self.schedule
    if isinstance(schedule,
                  tf_keras.optimizers.schedules.LearningRateSchedule):
      schedule = tf_keras.optimizers.schedules.serialize(schedule)
    return {"schedule": schedule, "multiplier": self.multiplier,
            "name": self.name}

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    if isinstance(config["schedule"], dict):
      config["schedule"] = tf_keras.optimizers.schedules.deserialize(
          config["schedule"])
    return cls(**config)


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class TwoGroupOptimizer(tf_keras.optimizers.legacy.Optimizer):
  """Two optimizers, one for the head variables and one for the rest.

  Per-group learning rates done for real: each group has its own optimizer
  (own slots, own learning-rate schedule), so with Adam or RMSprop the update
  of a backbone variable is exactly that of a backbone-only optimizer at the
  backbone rate, which scaling its gradients would not give. A variable
  belongs to the head when its name matches `head_pattern`.

  It behaves as one legacy Keras optimizer towards Model Garden's trainer:
  `iterations` and `learning_rate` are the head optimizer's (what the trainer
  logs), both inner optimizers are tracked for checkpoints, and it can be
  wrapped by Model Garden's `ExponentialMovingAverage`. Gradients are
  all-reduced by each inner optimizer under `tf.distribute`.

  Args:
    head_optimizer: a legacy Keras optimizer for the head variables.
    backbone_optimizer: a legacy Keras optimizer for all other variables.
    head_pattern: regular expression searched in variable names.
    name: optimizer name.

  Example:

  >>> head = tf_keras.optimizers.legacy.SGD(1.0)
  >>> backbone = tf_keras.optimizers.legacy.SGD(0.1)
  >>> opt = TwoGroupOptimizer(head, backbone, head_pattern="^head")
  >>> w_head = tf.Variable(1.0, name="head/w")
  >>> w_body = tf.Variable(1.0, name="body/w")
  >>> _ = opt.apply_gradients([(1.0, w_head), (1.0, w_body)])
  >>> float(w_head.numpy()), round(float(w_body.numpy()), 6)
  (0.0, 0.9)

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928 (backbone
  1e-4 -> 1e-6, head 1e-3 -> 1e-5).
  """

  def __init__(self,
               head_optimizer,
               backbone_optimizer,
               head_pattern: str = HEAD_VARIABLE_PATTERN,
               name: str = "TwoGroupOptimizer",
               **kwargs):
    super().__init__(name, **kwargs)
    for argument, value in (("head_optimizer", head_optimizer),
                            ("backbone_optimizer", backbone_optimizer)):
      if not isinstance(value, tf_keras.optimizers.legacy.Optimizer):
        raise invalid_value(argument, "a legacy Keras optimizer "
                            "(tf_keras.optimizers.legacy.*)", value)
    self.head_pattern = head_pattern
    self._head_re = re.compile(head_pattern)
    self._head_optimizer = head_optimizer
    self._backbone_optimizer = backbone_optimizer
    self._track_trackable(head_optimizer, "head_optimizer")
    self._track_trackable(backbone_optimizer, "backbone_optimizer")

  @property
  def head_optimizer(self):
    return self._head_optimizer

  @property
  def backbone_optimizer(self):
    return self._backbone_optimizer

  def is_head(self, variable) -> bool:
    return bool(self._head_re.search(variable.name))

  def split(self, grads_and_vars) -> Tuple[List[Any], List[Any]]:
    """(head pairs, backbone pairs) of (gradient, variable) pairs."""
    head, backbone = [], []
    for grad, var in grads_and_vars:
      (head if self.is_head(var) else backbone).append((grad, var))
    return head, backbone

  def apply_gradients(self, grads_and_vars, name=None,
                      experimental_aggregate_gradients=True):
    head, backbone = self.split(list(grads_and_vars))
    if not head:
      raise ValueError(
          f"TwoGroupOptimizer: no variable name matches the head pattern "
          f"{self.head_pattern!r}; e.g. {[v.name for _, v in backbone[:3]]}.")
    ops = [self._head_optimizer.apply_gradients(
        head, name=name,
        experimental_aggregate_gradients=experimental_aggregate_gradients)]
    if backbone:
      ops.append(self._backbone_optimizer.apply_gradients(
          backbone, name=name,
          experimental_aggregate_gradients=experimental_aggregate_gradients))
    return tf.group(ops)

  @property
  def iterations(self):
    return self._head_optimizer.iterations

  @iterations.setter
  def iterations(self, variable):
    self._head_optimizer.iterations = variable

  def _get_hyper(self, name, dtype=None):
    return self._head_optimizer._get_hyper(name, dtype)  # pylint: disable=protected-access

  @property
  def learning_rate(self):
    return self._head_optimizer._get_hyper("learning_rate")  # pylint: disable=protected-access

  @learning_rate.setter
  def learning_rate(self, value):
    self._head_optimizer._set_hyper("learning_rate", value)  # pylint: disable=protected-access

  lr = learning_rate

  @property
  def weights(self):
    return self._head_optimizer.weights + self._backbone_optimizer.weights

  def variables(self):
    return self.weights

  def get_config(self):
    return {
        "name": self._name,
        "head_optimizer": tf_keras.optimizers.serialize(self._head_optimizer),
        "backbone_optimizer": tf_keras.optimizers.serialize(
            self._backbone_optimizer),
        "head_pattern": self.head_pattern,
    }

  @classmethod
  def from_config(cls, config, custom_objects=None):
    config = dict(config)
    for key in ("head_optimizer", "backbone_optimizer"):
      config[key] = tf_keras.optimizers.deserialize(
          config[key], custom_objects=custom_objects, use_legacy_optimizer=True)
    return cls(**config)

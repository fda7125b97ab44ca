"""`GRWSmoothing`: a pass-through Keras layer that adds the GRW loss."""

from typing import Optional
import weakref

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_loss import grw_loss
from tf_grw.core.grw_settings import default_alpha
from tf_grw.core.grw_settings import GRWSettings

__all__ = ["GRWSmoothing", "find_disconnected_grw_layers",
           "assert_grw_connected", "default_alpha"]

# GRW layers called on KerasTensors (functional construction), weakly held, so
# that a pruned one can be found; see `find_disconnected_grw_layers`.
_SYMBOLIC_CALLS = weakref.WeakSet()


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class GRWSmoothing(tf_keras.layers.Layer):
  """Adds the GRW temporal-smoothness loss of its input; returns the input.

  The layer taps a per-frame feature map `[B, T, H, W, C]` (e.g. a MoViNet
  block output) or a sequence `[B, T, C]`. In training it averages over space
  per frame, normalizes, cuts the frames into windows of `window` steps and
  calls `add_loss(weight * grw_loss(...))`; it also tracks the unweighted loss
  as the metric `metric_name` (default `"grw_loss"`). The main path is the
  identity, and with `training=False` the layer adds no loss and no ops, so it
  costs nothing at inference.

  Choosing `alpha`: the velocity term stops the model from sharpening the
  order softmax by scaling embeddings up. After `"batch_norm"` or
  `"layer_norm"` the scale is already fixed, so `alpha=None` means 0 there and
  the paper's 0.5 only for `normalization="none"`. An explicit `alpha`
  always wins. In this project's airplanes study (README, "Does GRW help?";
  150 noisy clips, MoViNet-A0 stream, 5 development seeds) batch norm with
  alpha 0 on `block4` was ahead of the baseline by 4.5 points on average,
  while the authors' final-layer setting (no normalization, alpha 0.5, on the
  Transformer head's per-frame embedding) was behind by 6.7.

  The clock shortcut and `center_per_frame`: a causal model can read the frame
  index from its zero padding, and features that drift with the index in the
  same way for every clip (a "clock") make the true order the most likely one
  whatever the frames show. `center_per_frame=True` subtracts, at each frame
  index, the mean over the batch before the loss, so a drift shared by all
  clips adds nothing and only each clip's own motion is scored. It needs
  batches of several clips (with one clip the centered embeddings are 0 and
  the loss is a constant). In the airplanes study the frame index explained
  about 5 % of `block4`'s feature variance, and centering did not help there
  (+2.5 points over the baseline, against +4.5 without it).

  The output must be used: a functional model drops any layer whose output does
  not lead to the model outputs, and its loss with it. Use the returned tensor
  (it is the input, unchanged) and check with `assert_grw_connected(model)`.

  Args:
    window: steps per GRW window T, an integer >= 3.
    weight: lambda, the factor of the loss added to the objective (paper: 0.1).
    alpha: velocity-term weight; `None` picks it from `normalization` (above).
    normalization: `"batch_norm"` (BatchNormalization without scale and
      center, as the paper), `"layer_norm"` (no scale/center) or `"none"`.
    orderings: `"exact"` or `"sampled"`, see `tf_grw.grw_loss`.
    num_orderings: orderings in `"sampled"` mode.
    seed: seed of the sampled orderings.
    metric_name: name of the tracked unweighted loss.
    center_per_frame: subtract the batch mean at each frame index after the
      normalization (removes a clock shared by all clips; see above).
    **kwargs: standard layer arguments (`name`, `dtype`, ...).

  Call arguments:
    inputs: `[B, T, H, W, C]` or `[B, T, C]` floating tensor.
    training: Python bool or None; the loss is added only when true.

  Example:

  >>> import numpy as np
  >>> import tf_keras
  >>> inputs = tf_keras.Input((8, 4, 4, 16))
  >>> x = GRWSmoothing(window=4)(inputs)
  >>> x = tf_keras.layers.GlobalAveragePooling3D()(x)
  >>> model = tf_keras.Model(inputs, tf_keras.layers.Dense(3)(x))
  >>> _ = model(np.ones((2, 8, 4, 4, 16), "float32"), training=True)
  >>> len(model.losses)
  1
  >>> _ = model(np.ones((2, 8, 4, 4, 16), "float32"), training=False)
  >>> len(model.losses)
  0

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def __init__(self,
               window: int,
               weight: float = 0.1,
               alpha: Optional[float] = None,
               normalization: str = "batch_norm",
               orderings: str = "exact",
               num_orderings: int = 1000,
               seed: int = 0,
               metric_name: str = "grw_loss",
               center_per_frame: bool = False,
               **kwargs):
    kwargs.setdefault("autocast", False)  # Pass the input through untouched.
    super().__init__(**kwargs)
    # Validates every setting (`GRWSettings` is the one place that does).
    self.settings = GRWSettings(
        window=window, weight=weight, alpha=alpha, normalization=normalization,
        orderings=orderings, num_orderings=num_orderings, seed=seed,
        center_per_frame=center_per_frame)
    if not isinstance(metric_name, str) or not metric_name:
      raise invalid_value(
         "metric_name", "a non-empty string", metric_name)
    for key, value in self.settings.as_dict().items():
      setattr(self, key, value)
    self.effective_alpha = self.settings.effective_alpha
    self.metric_name = metric_name
    # The unweighted loss's mean, made now so that it is one of the model's
    # metrics before the first training step (a trainer collects
    # `model.metrics` once, when it starts). Kept in the layer's metric list
    # as `add_metric` keeps its metrics, not as an attribute: an attribute
    # would make it a checkpoint dependency, and each worker's running mean
    # would then be saved with the weights.
    self._metrics.append(tf_keras.metrics.Mean(name=metric_name))
    self.supports_masking = True
    if normalization == "batch_norm":
      self.norm = tf_keras.layers.BatchNormalization(
          center=False, scale=False, dtype="float32", name="grw_norm")
    elif normalization == "layer_norm":
      self.norm = tf_keras.layers.LayerNormalization(
          center=False, scale=False, dtype="float32", name="grw_norm")
    else:
      self.norm = None

  @property
  def loss_metric(self) -> tf_keras.metrics.Mean:
    """The mean unweighted GRW loss, logged as `metric_name`."""
    return next(m for m in self._metrics if m.name == self.metric_name)

  @classmethod
  def from_settings(cls, settings: GRWSettings, **kwargs) -> "GRWSmoothing":
    """The layer of a `GRWSettings`; `kwargs`: `metric_name`, `name`, ..."""
    return cls(**settings.as_dict(), **kwargs)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    if input_shape.rank not in (3, 5):
      raise invalid_value(
         "inputs", "a tensor of rank 3 [batch, steps, channels] or rank 5 "
          "[batch, steps, height, width, channels]",
          Described(f"<tensor of shape {input_shape}>"))
    steps = input_shape[1]
    if steps is not None and steps < self.window:
      raise invalid_value(
         "inputs", f"at least window={self.window} steps on axis 1",
          Described(f"<tensor of shape {input_shape}>"))
    if self.norm is not None:
      self.norm.build(tf.TensorShape([None, input_shape[-1]]))
    super().build(input_shape)

  def embeddings(self, inputs, training=False):
    """The normalized per-frame embeddings `[B, T, C]` (float32) the loss sees."""
    x = tf.cast(inputs, tf.float32)
    if x.shape.rank == 5:
      x = tf.reduce_mean(x, axis=[2, 3])
    if self.norm is not None:
      shape = tf.shape(x)
      flat = tf.reshape(x, [-1, x.shape[-1]])
      flat = self.norm(flat, training=training)
      x = tf.reshape(flat, shape)
    if self.center_per_frame:
      x = x - tf.reduce_mean(x, axis=0, keepdims=True)
    return x

  def call(self, inputs, training=None):
    if training is None:
      training = tf_keras.backend.learning_phase()
    if isinstance(training, (bool, int)) and not training:
      return inputs
    if isinstance(training, (bool, int)):
      loss = self._loss(inputs)
    else:  # A symbolic training flag: add the loss only when it is true.
      loss = tf.cond(tf.cast(training, tf.bool),
                     lambda: self._loss(inputs),
                     lambda: tf.constant(0.0, tf.float32))
    self.add_loss(self.weight * loss)
    self.loss_metric.update_state(loss)
    return inputs

  def _loss(self, inputs):
    z = self.embeddings(inputs, training=True)
    return grw_loss(
        z, self.window, alpha=self.effective_alpha, orderings=self.orderings,
        num_orderings=self.num_orderings, seed=self.seed)

  def __call__(self, *args, **kwargs):
    outputs = super().__call__(*args, **kwargs)
    if any(tf_keras.backend.is_keras_tensor(t)
           for t in tf.nest.flatten(outputs)):
      _SYMBOLIC_CALLS.add(self)  # Functional construction: remember the call.
    return outputs

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    config = super().get_config()
    config.pop("autocast", None)
    config.update({
        "window": self.window,
        "weight": self.weight,
        "alpha": self.alpha,  # None stays None: not the effective_alpha.
        "normalization": self.normalization,
        "orderings": self.orderings,
        "num_orderings": self.num_orderings,
        "seed": self.seed,
        "metric_name": self.metric_name,
        "center_per_frame": self.center_per_frame,
    })
    return config


def _grw_layers(layer):
  found = []
  if isinstance(layer, GRWSmoothing):
    found.append(layer)
  for sub in getattr(layer, "_flatten_layers", lambda **_: [])(
      include_self=False, recursive=True):
    if isinstance(sub, GRWSmoothing):
      found.append(sub)
  return found


def find_disconnected_grw_layers(model, layers=None):
  """GRW layers that were called while building `model` but are not part of it.

  A functional model keeps only the layers on a path from its inputs to its
  outputs. A `GRWSmoothing` whose output is discarded (`GRWSmoothing(5)(x)`
  instead of `x = GRWSmoothing(5)(x)`) is silently pruned, and its loss never
  reaches the optimizer.

  Args:
    model: a built `tf_keras.Model`.
    layers: the GRW layers you expect to take effect; by default every
      `GRWSmoothing` called on a symbolic tensor since import whose inbound
      graph shares an input with `model`.

  Returns:
    The list of such layers that `model` does not contain.
  """
  contained = {id(l) for l in _grw_layers(model)}
  if layers is None:
    model_inputs = {id(t) for t in tf.nest.flatten(getattr(model, "inputs",
                                                           None) or [])}
    layers = []
    for layer in list(_SYMBOLIC_CALLS):
      if _shares_input(layer, model_inputs):
        layers.append(layer)
  return [l for l in layers if id(l) not in contained]


def assert_grw_connected(model, layers=None):
  """Raises ValueError if a GRW layer's loss cannot reach `model.losses`.

  See `find_disconnected_grw_layers`.
  """
  missing = find_disconnected_grw_layers(model, layers)
  if missing:
    names = ", ".join(l.name for l in missing)
    raise ValueError(
        f"GRWSmoothing layer(s) {names} are not connected to the outputs of "
        f"model '{model.name}', so their GRW loss would be silently dropped. "
        "Use the layer's output on the main path: `x = GRWSmoothing(...)(x)`.")


def _shares_input(layer, model_input_ids):
  """Whether `layer`'s inbound graph reaches one of the model inputs.

  Reads `tf_keras`'s `_inbound_nodes` without a default, so a renamed
  attribute fails loudly instead of reporting every layer as disconnected
  or connected. `_keras_history` is legitimately absent on tensors that no
  Keras layer produced.
  """
  seen = set()
  stack = list(layer._inbound_nodes)  # pylint: disable=protected-access
  while stack:
    node = stack.pop()
    if id(node) in seen:
      continue
    seen.add(id(node))
    for tensor in tf.nest.flatten(node.input_tensors):
      if id(tensor) in model_input_ids:
        return True
      history = getattr(tensor, "_keras_history", None)
      if history is not None:
        stack.extend(history.layer._inbound_nodes[  # pylint: disable=protected-access
            history.node_index:history.node_index + 1])
  return False

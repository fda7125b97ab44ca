"""Tests for tf_grw.modelgarden.two_group_optimizer: per-group learning rates."""

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from official.modeling import optimization
from tf_grw.modelgarden import two_group_optimizer
from tf_grw.core.errors import invalid_value


def _error(name, expected, value):
  return re.escape(str(invalid_value(name, expected, value)))



def test_scaled_schedule_gives_the_papers_backbone_rates():
  head = optimization.CosineDecayWithOffset(
      initial_learning_rate=1e-3, decay_steps=100, alpha=0.01)
  backbone = two_group_optimizer.ScaledSchedule(head, 0.1)
  np.testing.assert_allclose([float(head(0)), float(head(100))],
                             [1e-3, 1e-5], rtol=1e-5)
  np.testing.assert_allclose([float(backbone(0)), float(backbone(100))],
                             [1e-4, 1e-6], rtol=1e-5)
  assert two_group_optimizer.ScaledSchedule(0.5, 0.1)(7).numpy() == pytest.approx(0.05)


def _pairs(grads, variables):
  return [(tf.constant(g, tf.float32), v) for g, v in zip(grads, variables)]


def test_two_group_optimizer_equals_separate_adams():
  """Each group gets exactly its own Adam at its own rate."""
  head_var = tf.Variable([1.0, -2.0], name="classifier_head/kernel")
  body_var = tf.Variable([1.0, -2.0], name="block0_layer0/kernel")
  ref_head = tf.Variable([1.0, -2.0])
  ref_body = tf.Variable([1.0, -2.0])
  optimizer = two_group_optimizer.TwoGroupOptimizer(
      tf_keras.optimizers.legacy.Adam(1e-3),
      tf_keras.optimizers.legacy.Adam(two_group_optimizer.ScaledSchedule(1e-3, 0.1)))
  head_ref_opt = tf_keras.optimizers.legacy.Adam(1e-3)
  body_ref_opt = tf_keras.optimizers.legacy.Adam(1e-4)
  for scale in (1.0, 3.0, 0.5):
    grads = np.array([[0.3, -2.0], [0.3, -2.0]]) * scale
    optimizer.apply_gradients(_pairs(grads, [head_var, body_var]))
    head_ref_opt.apply_gradients(_pairs(grads[:1], [ref_head]))
    body_ref_opt.apply_gradients(_pairs(grads[1:], [ref_body]))
  np.testing.assert_allclose(head_var.numpy(), ref_head.numpy(), rtol=1e-6)
  np.testing.assert_allclose(body_var.numpy(), ref_body.numpy(), rtol=1e-6)
  # Same gradients, and Adam ignores their scale: the backbone moved 10x
  # less, which scaling its gradients would not have achieved.
  head_step = np.abs(head_var.numpy() - [1.0, -2.0])
  body_step = np.abs(body_var.numpy() - [1.0, -2.0])
  np.testing.assert_allclose(body_step, 0.1 * head_step, rtol=1e-3)
  assert int(optimizer.iterations.numpy()) == 3
  assert float(optimizer.learning_rate) == pytest.approx(1e-3)
  restored = two_group_optimizer.TwoGroupOptimizer.from_config(optimizer.get_config())
  assert float(restored.backbone_optimizer.learning_rate(0)) == (
      pytest.approx(1e-4))
  with pytest.raises(ValueError, match="no variable name matches the head"):
    optimizer.apply_gradients(_pairs([[1.0, 1.0]], [body_var]))
  with pytest.raises(ValueError, match=_error(
      "head_optimizer", "a legacy Keras optimizer "
      "(tf_keras.optimizers.legacy.*)", "adam")):
    two_group_optimizer.TwoGroupOptimizer("adam", body_ref_opt)

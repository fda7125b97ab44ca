"""Tests of `tf_grw.models.pretrained` (checkpoint matching and weight copies).

Small Keras layers stand in for a backbone and a classifier head; the
MoViNet and MobileNet checkpoints are in movinet_grw_test.py and
mobilenet_grw_test.py.
"""

import os
import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tf_grw.models import pretrained
from tf_grw.models.pretrained import load_backbone_checkpoint
from tf_grw.models.pretrained import PretrainedLoadReport


def _backbone(width=4, seed=0):
  tf_keras.utils.set_random_seed(seed)
  model = tf_keras.Sequential([tf_keras.layers.Dense(width, name="proj")])
  model.build([None, 3])
  return model


def _head(classes=2, seed=0):
  tf_keras.utils.set_random_seed(seed)
  head = tf_keras.layers.Dense(classes, name="head")
  head.build([None, 4])
  return head


def _save(directory, **objects):
  """A `tf.train.Checkpoint(**objects)` with an optimizer-like extra value."""
  objects.setdefault("step", tf.Variable(7))
  return tf.train.Checkpoint(**objects).save(os.path.join(directory, "ckpt"))


def _model_checkpoint(directory, backbone, head):
  """Like the published MoViNets: `Checkpoint(model=...)`, `model/_backbone`."""
  model = tf.Module()
  model._backbone = backbone
  model.classifier = head
  return _save(directory, model=model)


def _same(a, b):
  return all(np.array_equal(x.numpy(), y.numpy())
             for x, y in zip(a.weights, b.weights))


def test_backbone_and_head_load_from_model_checkpoint(tmp_path):
  source, source_head = _backbone(seed=1), _head(seed=1)
  prefix = _model_checkpoint(tmp_path, source, source_head)
  target, target_head = _backbone(seed=2), _head(seed=2)
  assert not _same(source, target)
  # A directory resolves to its latest checkpoint.
  report = load_backbone_checkpoint(target, str(tmp_path), True, "a Dense",
                                    head=target_head, head_key="classifier")
  assert _same(source, target) and _same(source_head, target_head)
  assert report.checkpoint == prefix and report.head_loaded
  assert len(report.loaded) == 4 and not report.missing and not report.unused
  assert "head loaded" in str(report)


def test_head_of_another_size_is_not_loaded_and_reported(tmp_path):
  prefix = _model_checkpoint(tmp_path, _backbone(seed=1), _head(5, seed=1))
  target, head = _backbone(seed=2), _head(2, seed=2)
  before = [w.numpy() for w in head.weights]
  report = load_backbone_checkpoint(target, prefix, True, "a Dense",
                                    head=head, head_key="classifier")
  assert not report.head_loaded and len(report.loaded) == 2
  # All or nothing: the bias would fit, but the kernel does not.
  assert all(np.array_equal(b, w.numpy())
             for b, w in zip(before, head.weights))
  assert report.head_note.startswith("0 head variable(s) missing, 2 of other")
  assert len(report.unused) == 2  # The checkpoint's head kernel and bias.
  report = load_backbone_checkpoint(target, prefix, True, "a Dense",
                                    head=head, head_key="nothing")
  assert report.head_note == "no `model/nothing` in the checkpoint"


def test_root_backbone_checkpoint_without_head(tmp_path):
  source = _backbone(seed=1)
  prefix = _save(tmp_path, backbone=source)
  target = _backbone(seed=2)
  report = load_backbone_checkpoint(target, prefix, True, "a Dense",
                                    head_note="no head here",
                                    converted_from="2plus1d")
  assert _same(source, target)
  assert not report.head_loaded and report.head_note == "no head here"
  assert "(head not loaded: no head here; converted from 2plus1d)" in str(
      report)


def test_strict_mismatch_names_the_backbone_and_hint(tmp_path):
  prefix = _save(tmp_path, backbone=_backbone(width=4))
  wide = _backbone(width=6, seed=3)
  before = [w.numpy() for w in wide.weights]
  with pytest.raises(ValueError, match=re.escape(
      "does not fit the wide Dense: 0 variable(s) missing, 2 with other "
      "shapes, e.g. ['proj/kernel:0', 'proj/bias:0']. Use width 4. Pass "
      "strict=False to load what matches.")):
    load_backbone_checkpoint(wide, prefix, True, "the wide Dense",
                             hint="Use width 4.")
  report = load_backbone_checkpoint(wide, prefix, False, "the wide Dense")
  assert not report.loaded and len(report.mismatched) == 2
  assert all(np.array_equal(b, w.numpy())
             for b, w in zip(before, wide.weights))


def test_bad_checkpoint_paths(tmp_path):
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `checkpoint_path`. Expected a "
      "checkpoint prefix or a directory holding a checkpoint.")):
    load_backbone_checkpoint(_backbone(), str(tmp_path), True, "a Dense")
  prefix = _save(tmp_path, something=_backbone())
  with pytest.raises(ValueError, match=re.escape(
      "Expected a checkpoint with `backbone` or `model/_backbone` at its "
      "root")):
    load_backbone_checkpoint(_backbone(), prefix, True, "a Dense")


def test_copy_variables_converts_3d_2plus1d_kernels():
  # A '3d_2plus1d' spatial kernel (1, k, k, in, out) becomes the '2plus1d'
  # Conv2D kernel (k, k, in, out); the temporal (k, 1, 1, c, 1) one the
  # depthwise (k, 1, c, 1).
  spatial = tf.Variable(np.arange(36, dtype=np.float32).reshape(1, 3, 3, 2, 2))
  temporal = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 1, 1, 2, 1))
  to_spatial = tf.Variable(tf.zeros([3, 3, 2, 2]))
  to_temporal = tf.Variable(tf.zeros([3, 1, 2, 1]))
  pretrained.copy_variables([spatial, temporal], [to_spatial, to_temporal])
  np.testing.assert_array_equal(to_spatial.numpy(), spatial.numpy()[0])
  np.testing.assert_array_equal(to_temporal.numpy(),
                                temporal.numpy().reshape(3, 1, 2, 1))
  with pytest.raises(RuntimeError, match="Cannot copy"):
    pretrained.copy_variables([spatial], [tf.Variable(tf.zeros([5]))])


def test_report_lists_at_most_twenty_items():
  report = PretrainedLoadReport(checkpoint="ck", loaded=["a"],
                                missing=[f"v{i}" for i in range(25)])
  text = str(report)
  assert text.startswith("Loaded 1 variables from ck (head not loaded: ).")
  assert "Missing from the checkpoint (25):" in text
  assert "  v19" in text and "  v20" not in text and "... 5 more" in text

"""Tests for tf_grw.analysis.evaluation: metrics by hand, streaming == whole clip."""

import re

import numpy as np
import pytest

from tf_grw.analysis import evaluation
from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw
from tf_grw.models.movinet.movinet_grw import build_movinet_grw
from tf_grw.core.errors import invalid_value
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order


def _error(name, expected, value):
  return re.escape(str(invalid_value(name, expected, value)))



def test_report_by_hand():
  # 4 videos x 2 views, 3 classes; view-averaged logits by hand:
  # video 0 -> [1, 0, 0] (pred 0, label 0), video 1 -> [0, 0.5, 1]
  # (pred 2, label 1, rank 2), video 2 -> [0, 2, 0] (pred 1, label 1),
  # video 3 -> [1, 0.5, 0] (pred 0, label 0).
  logits = np.array([[2, 0, 0], [0, 0, 0],
                     [0, 1, 2], [0, 0, 0],
                     [0, 4, 0], [0, 0, 0],
                     [1, 0, 0], [1, 1, 0]], dtype=np.float32)
  labels = np.eye(3)[[0, 1, 1, 0]]  # One-hot, one row per video.
  report = evaluation.classification_report(logits, labels, num_views=2,
                                            top_k=2)
  assert report.num_examples == 4 and report.num_views == 2
  assert report.top1 == 0.75
  assert report.top5 == 1.0  # top-2: video 1's label is its second best.
  np.testing.assert_array_equal(report.confusion,
                                [[2, 0, 0], [0, 1, 1], [0, 0, 0]])
  np.testing.assert_array_equal(report.per_class_accuracy[:2], [1.0, 0.5])
  assert np.isnan(report.per_class_accuracy[2])
  assert report.mean_class_accuracy == 0.75
  assert report.as_dict()["per_class_accuracy"] == [1.0, 0.5, None]
  np.testing.assert_allclose(report.logits[1], [0, 0.5, 1])
  assert "top-1 0.7500" in evaluation.format_report(report)


def test_top1_ties_and_top5_cap():
  report = evaluation.classification_report([[1.0, 1.0]], [1])
  assert report.top1 == 0.0  # Ties go to the lower index.
  assert report.top5 == 1.0  # k capped at 2 classes.


def test_invalid_arguments():
  with pytest.raises(ValueError, match=_error("num_views", "a positive "
                                              "integer", 0)):
    evaluation.average_views(np.zeros([2, 3]), 0)
  with pytest.raises(ValueError, match=re.escape(
      "Expected a [videos * num_views, classes] array with num_views=2")):
    evaluation.average_views(np.zeros([3, 3]), 2)
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `labels`. Expected class indices "
      "in [0, 3). Received: labels=<labels from 0 to 3>")):
    evaluation.classification_report(np.zeros([2, 3]), [0, 3])
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `labels`. Expected one label per "
      "video (2). Received: labels=<3 labels>")):
    evaluation.classification_report(np.zeros([2, 3]), [0, 1, 2])


@pytest.mark.slow
def test_streaming_equals_clip_with_nonzero_rezero_scales():
  # The short A0 (tests/movinet_fixtures.py): every stage, one layer each.
  model = build_movinet_grw(SHORT, num_classes=5, stream=True,
                            grw_endpoints=["block1"], window=3,
                            use_sync_bn=False)
  rng = np.random.default_rng(0)
  # The residual branches of the official MoViNet blocks are scaled by a
  # ReZero-style `Scale` (variables `block{b}_layer{l}/scale`) initialized
  # to 0; make them nonzero so every block contributes.
  scales = [v for v in model.backbone.variables
            if v.name.endswith("/scale:0")]
  assert len(scales) == 5
  for variable in scales:
    variable.assign(rng.uniform(0.5, 1.5))
  # Non-trivial batch-norm statistics too.
  for variable in model.backbone.variables:
    if "moving_mean" in variable.name:
      variable.assign(rng.normal(0.0, 0.1, variable.shape))
  videos = rng.random([4, 5, 32, 32, 3]).astype(np.float32)
  labels = np.array([0, 1, 2, 3])
  dataset = [({"image": videos[:2]}, labels[:2]),
             ({"image": videos[2:]}, labels[2:])]

  clip = evaluation.evaluate_clips(model, dataset)
  stream = evaluation.evaluate_streaming(model, dataset)
  # Measured 2026-12-04: 3.0e-7 apart, logits up to 0.61; the last frame
  # alone (what a stream that dropped its states would give) is 0.042 off.
  np.testing.assert_allclose(stream.logits, clip.logits, rtol=0, atol=1e-5)
  assert np.abs(clip.logits).max() > 0.1
  alone = evaluation.evaluate_clips(model, [({"image": videos[:2, -1:]},
                                             labels[:2])])
  assert np.abs(alone.logits - clip.logits[:2]).max() > 1e-2
  np.testing.assert_array_equal(stream.confusion, clip.confusion)
  assert stream.top1 == clip.top1

  # Two frames per call give the same final logits as well.
  stream_model = model.inference_model(streaming=True)
  logits, states = evaluation.stream_logits(
      stream_model, videos[:2], model.init_states(videos[:2].shape),
      frames_per_step=2)
  np.testing.assert_allclose(logits, clip.logits[:2], rtol=0, atol=1e-5)
  assert states


def test_mobilenet_streaming_equals_clip():
  model = build_mobilenet_grw(num_classes=3, filter_size_scale=0.35,
                              temporal_shift=True, grw_endpoints=["level3"],
                              window=3, norm_momentum=0.0)
  rng = np.random.default_rng(1)
  videos = rng.random([4, 5, 32, 32, 3]).astype(np.float32)
  model(videos, training=True)  # Realistic batch-norm statistics.
  model.classifier.kernel.assign(
      rng.normal(0.0, 0.1, model.classifier.kernel.shape))
  labels = np.array([0, 1, 2, 0])
  dataset = [({"image": videos[:2]}, labels[:2]),
             ({"image": videos[2:]}, labels[2:])]
  clip = evaluation.evaluate_clips(model, dataset)
  stream = evaluation.evaluate_streaming(model, dataset)
  assert np.abs(clip.logits).max() > 1e-2
  np.testing.assert_allclose(stream.logits, clip.logits, rtol=1e-4,
                             atol=1e-5)
  assert stream.top1 == clip.top1

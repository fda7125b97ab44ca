"""Tests of `tf_grw.export.inference_model` (the plain model the exports are built from).

The export round trips (SavedModel, TF Lite, '3d_2plus1d' conversion) are in
export_test.py; these are the resolution rules and their errors, on the
short A0 of `movinet_fixtures.py` (the rebuild reads the size from the config).
"""

import re

import numpy as np
import pytest
import tf_keras

from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_model
from tf_grw.export.inference_model import inference_keras_model
from tf_grw.export.inference_model import whole_clip_function
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order


def _official(causal=True, use_external_states=False, frames=None):
  tf_keras.utils.set_random_seed(0)
  spec = tf_keras.layers.InputSpec(shape=[None, frames, None, None, 3])
  backbone = movinet.Movinet(
      model_id=SHORT, causal=causal, conv_type="2plus1d", se_type="2plus3d",
      use_sync_bn=False, use_external_states=use_external_states,
      input_specs=spec)
  return movinet_model.MovinetClassifier(
      backbone, 3, output_states=use_external_states,
      input_specs={"image": spec})


def _clip(frames=4):
  return np.random.default_rng(0).random((1, frames, 32, 32, 3), "float32")



def test_one_frame_stream_model_is_rebuilt_for_whole_clips():
  # E.g. the TF Lite-style stream model, built for one frame per call.
  stream = _official(use_external_states=True, frames=1)
  plain = inference_keras_model(stream, streaming=False)
  assert plain is not stream and not plain.backbone.use_external_states
  clip = _clip()
  logits = whole_clip_function(plain)(clip).numpy()
  assert logits.shape == (1, 3)
  # Same weights: the stream model fed frame by frame gives the same logits.
  states = stream.init_states([1, 1, 32, 32, 3])
  for t in range(clip.shape[1]):
    last, states = stream({**states, "image": clip[:, t:t + 1]})
  np.testing.assert_allclose(last.numpy(), logits, atol=1e-5)
  # A dynamic stream model needs no rebuild for whole clips.
  dynamic = _official(use_external_states=True)
  assert inference_keras_model(dynamic, streaming=False) is dynamic


def test_non_causal_models_do_not_stream():
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `streaming`. Expected False for a "
      "non-causal MoViNet (only causal=True MoViNets stream frame by frame). "
      "Received: streaming=True")):
    inference_keras_model(_official(causal=False), streaming=True)


class _Wrapper:
  """Stands in for a GRW model: only `inference_model(streaming=...)`."""

  def __init__(self, plain):
    self.plain = plain

  def inference_model(self, streaming):
    del streaming
    return self.plain


@pytest.mark.parametrize("model,streaming,expected", [
    (object(), "yes", "Invalid value received for argument `streaming`. "
     "Expected True or False. Received: streaming='yes'"),
    (object(), False, "Invalid value received for argument `model`. Expected "
     "an object with an `inference_model(streaming=...)` method"),
    (_Wrapper(tf_keras.Sequential()), True, "Expected an object whose "
     "`inference_model(streaming=True)` returns a stream model"),
    (_Wrapper(object()), False, "Expected an object whose "
     "`inference_model(streaming=...)` returns a Keras model. Received: "
     "model=<object object>"),
])
def test_bad_models_get_a_clear_error(model, streaming, expected):
  with pytest.raises(ValueError, match=re.escape(expected)):
    inference_keras_model(model, streaming)


def test_rebuild_keeps_se_gating_and_pooling_and_fails_loudly_without_them():
  """Settings `get_config()` lacks are read from the official privates.

  The rebuilt stream model keeps the source's non-default SE type, gating
  activation and pooling type; if a Model Garden version renamed one of
  those attributes, the rebuild must stop, not guess a default.
  """
  tf_keras.utils.set_random_seed(0)
  backbone = movinet.Movinet(
      model_id=SHORT, causal=True, conv_type="2plus1d", se_type="2plus3d",
      gating_activation="hard_sigmoid", average_pooling_type="2d",
      use_sync_bn=False)
  model = movinet_model.MovinetClassifier(backbone, 3)
  stream = inference_keras_model(model, streaming=True)
  assert stream.backbone is not backbone
  assert (stream.backbone._se_type, stream.backbone._gating_activation,  # pylint: disable=protected-access
          stream.backbone._average_pooling_type) == (  # pylint: disable=protected-access
              "2plus3d", "hard_sigmoid", "2d")
  del backbone._gating_activation  # pylint: disable=protected-access
  with pytest.raises(AttributeError, match=re.escape(
      "Movinet has no attribute `_gating_activation`: this tf-models-official"
      " version stores the MoViNet settings differently")):
    inference_keras_model(model, streaming=True)

"""Tests of `tf_grw.models.movinet.movinet_stream` (the Transformer-head MoViNet stream model).

On the short A0 of `movinet_fixtures.py` (every stage, one layer each).
"""

import re

import numpy as np
import pytest

from official.projects.movinet.modeling import movinet
from tf_grw.models.movinet.movinet_grw import build_movinet_grw
from tf_grw.models.movinet.movinet_stream import MovinetTransformerStream
from tf_grw.models.temporal_head import TemporalTransformerHead
from graph_fixtures import HEAD_OP_PREFIXES, head_ops, stream_op_names  # pylint: disable=g-bad-import-order
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order


@pytest.fixture(scope="module")
def model():
  return build_movinet_grw(SHORT, num_classes=3, head="transformer",
                           grw_endpoints=["embedding"], embed_dim=8,
                           transformer_heads=2, window=3)


def _frames(count=3, seed=0):
  return np.random.default_rng(seed).random(
      (1, count, 32, 32, 3)).astype("float32")


def test_full_buffer_keeps_the_first_frames_logits(model):
  stream = model.inference_model(streaming=True, max_frames=2)
  assert isinstance(stream, MovinetTransformerStream)
  video = _frames()
  states = stream.init_states([1, 1, 32, 32, 3])
  outputs = []
  for t in range(3):
    logits, states = stream({**states, "image": video[:, t:t + 1]})
    outputs.append(logits.numpy())
  assert int(states["state_head_count"][0]) == 2
  np.testing.assert_array_equal(outputs[2], outputs[1])
  np.testing.assert_allclose(
      outputs[1], model(video[:, :2], training=False), atol=1e-5)


def test_refuses_bad_backbones_inputs_and_sizes(model):
  backbone = movinet.Movinet(model_id=SHORT, causal=True,
                             use_external_states=False)
  head = TemporalTransformerHead(num_classes=3, embed_dim=8, num_heads=2)
  with pytest.raises(ValueError, match=re.escape(
      "use_external_states=True. Received: backbone=<Movinet without "
      "external states>")):
    MovinetTransformerStream(backbone, head, max_frames=4)
  stream = model.inference_model(streaming=True, max_frames=4)
  with pytest.raises(ValueError, match="argument `max_frames`"):
    MovinetTransformerStream(stream.backbone, stream.temporal_head, 0)
  states = stream.init_states([1, 1, 32, 32, 3])
  with pytest.raises(ValueError, match=r"one frame per call: .* Received: "
                     r"inputs=<image of shape \(1, 2, "):
    stream({**states, "image": _frames(2)})
  with pytest.raises(ValueError, match=re.escape(
      "stream states and 'image'")) as info:
    stream({"image": _frames(1)})
  assert "Received: inputs=<dict with keys ['image']>" in str(info.value)


def test_head_ops_sit_under_the_head_layer_name(model):
  # `export_tflite(..., float_layers=["temporal_head"])` selects ops by their
  # name path (tf_grw.export.quantization.layer_nodes): every op of the
  # stream model must sit under its backbone's or its head's name, the head's
  # own (affine embedding, buffer write, Transformer, classifier) included.
  stream = model.inference_model(streaming=True, max_frames=2)
  names = stream_op_names(stream, [1, 1, 32, 32, 3])
  scopes = {n.split("/")[1] for n in names if n.startswith(stream.name + "/")}
  assert scopes == {stream.backbone.name, "temporal_head"}
  head = [n.lower() for n in head_ops(names)]
  for prefix in HEAD_OP_PREFIXES:
    assert any(n.startswith(prefix) for n in head), prefix

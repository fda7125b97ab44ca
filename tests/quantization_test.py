"""Tests of `tf_grw.export.quantization` (int8 calibration and debugging).

The end-to-end int8 checks on an official MoViNet-A0 (pooling sums and stem
kept float, the debugger's per-layer report) live in `exporters_test.py`,
which already builds and converts that model; here the pieces run on a tiny
Keras model whose layers carry MoViNet's names.
"""

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from tf_grw.export import quantization


@pytest.fixture(scope="module")
def tiny_tflite():
  """float TF Lite bytes of conv layers named like a MoViNet's."""
  tf_keras.utils.set_random_seed(0)
  inputs = tf_keras.Input((8, 8, 3))
  x = tf_keras.layers.Conv2D(4, 3, name="stem")(inputs)
  x = tf_keras.layers.Conv2D(4, 1, name="block4_layer0")(x)
  x = tf_keras.layers.Conv2D(4, 1, name="block4_layer1")(x)
  x = tf_keras.layers.Conv2D(4, 1, name="block40_layer0")(x)
  x = tf_keras.layers.GlobalAveragePooling2D(name="head")(x)
  x = tf_keras.layers.Dense(4, name="classifier")(x)
  # Last, as in the stream models: its final op makes the model's output,
  # named after the signature (no op path).
  x = tf_keras.Sequential([tf_keras.layers.Dense(4, activation="relu"),
                           tf_keras.layers.Dense(3)], name="temporal_head")(x)
  model = tf_keras.Model(inputs, x)
  return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def _layers(tensor_names):
  return {n.split(";")[0].split("/")[1] for n in tensor_names if "/" in n}


def _output_name(model_content):
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=model_content)
  (output,) = interpreter.get_output_details()
  return output["name"]


def test_the_output_op_goes_with_the_layer_that_feeds_it(tiny_tflite):
  output = _output_name(tiny_tflite)
  assert "/" not in output  # E.g. StatefulPartitionedCall:0.
  assert output in quantization.layer_nodes(tiny_tflite, ["temporal_head"])
  for other in (["classifier"], ["stem", "head"]):
    assert output not in quantization.layer_nodes(tiny_tflite, other)


def test_layer_nodes_select_layers_and_stages_by_name(tiny_tflite):
  assert _layers(quantization.layer_nodes(tiny_tflite, ["stem"])) == {"stem"}
  # A stage name means all its layers, not a stage whose name starts alike.
  assert _layers(quantization.layer_nodes(tiny_tflite, ["block4"])) == {
      "block4_layer0", "block4_layer1"}
  assert _layers(quantization.layer_nodes(
      tiny_tflite, ["block4_layer1", "head"])) == {"block4_layer1", "head"}
  assert quantization.layer_nodes(tiny_tflite, ["block9"]) == []


def test_default_float_layers_are_the_stem_and_the_transformer_head(
    tiny_tflite):
  assert _layers(quantization.layer_nodes(
      tiny_tflite, quantization.DEFAULT_FLOAT_LAYERS)) == {"stem",
                                                           "temporal_head"}


def test_float_layer_nodes_refuses_each_unknown_name(tiny_tflite):
  assert _layers(quantization.float_layer_nodes(
      tiny_tflite, ["stem", "head"])) == {"stem", "head"}
  # One known name does not cover an unknown one.
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `float_layers`. Expected names "
      "of layers of the model")) as info:
    quantization.float_layer_nodes(tiny_tflite, ["stem", "transformer"])
  assert str(info.value).endswith("Received: float_layers='transformer'")


@pytest.mark.parametrize("value,quantization_mode,expected", [
    (None, "int8", None), (None, None, None), ([], None, ()),
    (["stem"], "int8", ("stem",)), (("stem", "head"), "int8",
                                    ("stem", "head")),
])
def test_check_float_layers_accepts(value, quantization_mode, expected):
  assert quantization.check_float_layers(value, quantization_mode) == expected


@pytest.mark.parametrize("value,quantization_mode,message", [
    ("stem", "int8", "Expected a list of layer names. Received: "
     "float_layers='stem'"),
    ([1], "int8", "Expected a list of layer names."),
    ([""], "int8", "Expected a list of layer names."),
    (5, "int8", "Expected a list of layer names. Received: float_layers=5"),
    (["stem"], "float16", "Expected an empty list unless "
     "quantization='int8'."),
])
def test_check_float_layers_refuses(value, quantization_mode, message):
  with pytest.raises(ValueError, match=re.escape(
      "Invalid value received for argument `float_layers`. " + message)):
    quantization.check_float_layers(value, quantization_mode)


def test_representative_dataset_carries_the_states():
  class Counter:  # A stream "model" whose one state counts frames.
    init_states = {"count": np.zeros((1,), np.float32)}

    def step(self, inputs):
      return {"count": inputs["count"] + 1.0, "logits": inputs["count"]}

  clips = [np.zeros((1, 3, 2, 2, 3), np.float32),
           np.ones((1, 2, 2, 2, 3), np.float32)]
  samples = list(quantization.representative_dataset(Counter(), clips)())
  assert [float(s["count"][0]) for s in samples] == [0, 1, 2, 0, 1]
  assert [s["image"].shape for s in samples] == [(1, 1, 2, 2, 3)] * 5
  assert [float(s["image"].max()) for s in samples] == [0, 0, 0, 1, 1]

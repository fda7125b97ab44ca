"""int8 post-training quantization of stream models: calibration and debugging.

The machinery behind `tf_grw.export.export_tflite(..., quantization="int8")`
and `tf_grw.export.quantization_layer_errors`: stateful calibration data
(every frame of every clip with the states the float model really carries),
the ops kept in float (the running pooling sums, whose range grows with the
stream, and `float_layers`, by default a MoViNet's stem), and the TF Lite
quantization debugger's per-layer error. Measured choices:
docs/export.md, benchmarks/quantization_bench.py and int8_options_bench.py.
"""

import contextlib
import csv
import io
import math
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tf_grw.core.errors import invalid_value
from tf_grw.export.inference_model import IMAGE
from tf_grw.export.inference_model import SIGNATURE_KEY

# Layers `export_tflite(..., quantization="int8")` keeps in float unless
# told otherwise (those the model has): a MoViNet's first convolution, which
# sees the raw frame (benchmarks/int8_options_bench.py), and the Transformer
# head, whose input and layer norms do not survive int8 (docs/export.md).
DEFAULT_FLOAT_LAYERS = ("stem", "temporal_head")
# Substring of the name of every running-sum pooling state (the cumulative
# global average pools of the squeeze-excitation layers and of the head).
_POOL_STATE_MARK = "pool_buffer"


def representative_dataset(source, clips: List[np.ndarray]):
  """Stateful calibration data: every frame of every clip, states carried.

  Like Model Garden's `quantize_movinet.stateful_representative_dataset_
  generator`, but with all frames: the float stream model runs frame by frame
  and each frame is yielded together with the states it actually receives.
  Lazy, so long calibration sets do not hold every state in memory.
  """

  def generator():
    for clip in clips:
      states = {k: tf.constant(v) for k, v in source.init_states.items()}
      for t in range(clip.shape[1]):
        inputs = {**states, IMAGE: tf.constant(clip[:, t:t + 1])}
        yield {k: v.numpy() for k, v in inputs.items()}
        outputs = source.step(inputs)
        states = {k: outputs[k] for k in source.init_states}

  return generator


def pool_state_nodes(model_content: bytes) -> List[str]:
  """Output tensor names of the ops that carry the running pooling sums.

  A causal MoViNet's cumulative global average pools keep a running *sum*
  over all frames seen so far in the `*_pool_buffer` states (and divide by
  the frame count). The sum grows with the clip length, so an int8 scale
  calibrated on short clips saturates on longer streams. Starting from each
  `*_pool_buffer` input, this follows the ADD / STRIDED_SLICE / CUMSUM ops of
  the running sum up to (and including) the DIV that turns it into a mean;
  those ops stay in float, everything after the mean is quantized.

  Args:
    model_content: a float (or calibrated) streaming TF Lite model.

  Returns:
    Tensor names for `QuantizationDebugOptions(denylisted_nodes=...)`.
  """
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=model_content)
  runner = interpreter.get_signature_runner(SIGNATURE_KEY)
  frontier = {d["index"] for name, d in runner.get_input_details().items()
              if _POOL_STATE_MARK in name}
  state_outputs = {d["index"] for name, d in
                   runner.get_output_details().items()
                   if _POOL_STATE_MARK in name}
  names = {t["index"]: t["name"] for t in interpreter.get_tensor_details()}
  ops = interpreter._get_ops_details()  # pylint: disable=protected-access
  selected = set()
  changed = True
  while changed:
    changed = False
    for op in ops:
      if op["index"] in selected:
        continue
      feeds = frontier.intersection(op["inputs"])
      makes_state = state_outputs.intersection(op["outputs"])
      if makes_state or (feeds and op["op_name"] in (
          "ADD", "STRIDED_SLICE", "CUMSUM", "DIV", "RESHAPE")):
        selected.add(op["index"])
        changed = True
        if op["op_name"] != "DIV":  # The mean is bounded: quantize after it.
          frontier.update(op["outputs"])
  return sorted(names[i] for op in ops if op["index"] in selected
                for i in op["outputs"])


def check_float_layers(float_layers, quantization
                       ) -> Optional[Tuple[str, ...]]:
  """`float_layers` as a tuple of names (None stays None), else an error."""
  if float_layers is None:  # The default: a MoViNet's stem, if any.
    return None
  try:
    names = None if isinstance(float_layers, str) else tuple(float_layers)
  except TypeError:
    names = None
  if names is None or not all(isinstance(n, str) and n for n in names):
    raise invalid_value("float_layers", "a list of layer names",
                        float_layers)
  if names and quantization != "int8":
    raise invalid_value("float_layers", "an empty list unless "
                        "quantization='int8'", list(names))
  return names


def layer_nodes(model_content: bytes, layers: Sequence[str]) -> List[str]:
  """Output tensor names of the ops of the named layers.

  An op belongs to layer `name` when the first `;`-separated part of its
  output tensor name (the TF op path, e.g.
  `movinet_classifier/movinet/block4_layer3/bneck/...`) has `name` as one of
  its `/`-separated path components, or as a prefix of its layer path
  (`block4` matches every `block4_layer*`). The ops that make the model's
  outputs (the logits and the new states) are named after the signature's
  outputs (`StatefulPartitionedCall:0`, no op path): each goes with the
  layer of the ops that feed it (the Transformer head's last Dense and its
  buffer update go with `temporal_head`). The stream models put the
  Transformer head's ops under `temporal_head/`, so `temporal_head`
  selects the whole head (its own `block0` shares a component with the
  MoViNet stage name `block0`: that name selects both).
  """
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=model_content)
  names = {t["index"]: t["name"] for t in interpreter.get_tensor_details()}
  ops = interpreter._get_ops_details()  # pylint: disable=protected-access

  def path(index):
    return names[index].split(";")[0].split("/")

  selected = {index for op in ops for index in op["outputs"]
              if any(part == layer or part.startswith(f"{layer}_layer")
                     for part in path(index) for layer in layers)}
  changed = True
  while changed:  # Outputs without an op path join the layer feeding them.
    changed = False
    for op in ops:
      # (In an already quantized model, a QUANTIZE op of a float layer's
      # output is the border to the int8 layers after it, not part of it.)
      if op["op_name"] != "QUANTIZE" and selected.intersection(op["inputs"]):
        for index in op["outputs"]:
          if index not in selected and len(path(index)) == 1:
            selected.add(index)
            changed = True
  return [names[index] for op in ops for index in op["outputs"]
          if index in selected]


def float_layer_nodes(model_content: bytes,
                      float_layers: Sequence[str]) -> List[str]:
  """`layer_nodes` of each named layer; a name that matches none is refused."""
  nodes = []
  for name in float_layers:
    found = layer_nodes(model_content, [name])
    if not found:
      raise invalid_value(
          "float_layers", "names of layers of the model (e.g. 'stem', "
          "'block4_layer3', 'block4', 'head', 'classifier'; the Transformer "
          "head: 'temporal_head', or its 'input_norm', 'attention_norm', "
          "'mlp_norm', 'output_norm')", name)
    nodes += found
  return nodes


def _int8_debugger(saved_model_dir: str, representative_dataset,
                   float_pooling: bool, debug_dataset=None,
                   float_layers: Optional[Sequence[str]] = None):
  """A QuantizationDebugger over the int8 conversion (calibrated once)."""
  converter = tf.lite.TFLiteConverter.from_saved_model(
      saved_model_dir, signature_keys=[SIGNATURE_KEY])
  converter.optimizations = [tf.lite.Optimize.DEFAULT]
  converter.representative_dataset = representative_dataset
  debugger = tf.lite.experimental.QuantizationDebugger(
      converter=converter,
      debug_dataset=debug_dataset or representative_dataset)
  denylist = []
  if float_pooling:
    # Keep the running pooling sums float (see `pool_state_nodes`).
    denylist += pool_state_nodes(debugger.calibrated_model)
  if float_layers is None:
    denylist += layer_nodes(debugger.calibrated_model, DEFAULT_FLOAT_LAYERS)
  elif float_layers:
    denylist += float_layer_nodes(debugger.calibrated_model, float_layers)
  if denylist:
    debugger.options = tf.lite.experimental.QuantizationDebugOptions(
        denylisted_nodes=sorted(set(denylist)))
  return debugger


@contextlib.contextmanager
def _quiet_interpreter_warnings():
  with warnings.catch_warnings():
    # The calibrator and the debugger build deprecated tf.lite.Interpreters.
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is "
                            "deprecated")
    yield


def _input_names_in_order(model_content: bytes) -> List[str]:
  """Signature input names in the order of `get_input_details()`."""
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=model_content)
  by_index = {d["index"]: name for name, d in interpreter.get_signature_runner(
      SIGNATURE_KEY).get_input_details().items()}
  return [by_index[d["index"]] for d in interpreter.get_input_details()]


def convert_int8(saved_model_dir: str, representative_dataset,
                 float_pooling: bool = True,
                 float_layers: Optional[Sequence[str]] = None) -> bytes:
  """int8 weights and activations, float input, output and states.

  Ops without int8 kernels fall back to float (Model Garden's
  "int_float_fallback" mode). Calibrated once; the running pooling sums
  (`float_pooling`) and `float_layers` (None: `DEFAULT_FLOAT_LAYERS`) stay
  float.
  """
  with _quiet_interpreter_warnings():
    if not float_pooling and float_layers == ():
      converter = tf.lite.TFLiteConverter.from_saved_model(
          saved_model_dir, signature_keys=[SIGNATURE_KEY])
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      converter.representative_dataset = representative_dataset
      return converter.convert()
    return _int8_debugger(
        saved_model_dir, representative_dataset, float_pooling,
        float_layers=float_layers).get_nondebug_quantized_model()


def layer_errors(saved_model_dir: str, dataset, float_pooling: bool,
                 float_layers: Optional[Sequence[str]]
                 ) -> List[Dict[str, Any]]:
  """The debugger's per-layer error rows (see `quantization_layer_errors`)."""
  order = []  # Input names in the interpreter's order, set below.

  def as_lists():  # The debugger feeds inputs by position, not by name.
    for sample in dataset():
      yield [sample[name] for name in order]

  with _quiet_interpreter_warnings():
    debugger = _int8_debugger(saved_model_dir, dataset, float_pooling,
                              as_lists, float_layers)
    order.extend(_input_names_in_order(
        debugger.get_nondebug_quantized_model()))
    debugger.run()
    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
  rows = []
  for row in csv.DictReader(io.StringIO(buffer.getvalue())):
    scale = float(row["scale"])
    rmse = math.sqrt(float(row["mean_squared_error"]))
    rows.append({"op_name": row["op_name"],
                 "tensor_name": row["tensor_name"], "scale": scale,
                 "rmse": rmse, "rmse/scale": rmse / scale if scale else 0.0})
  return sorted(rows, key=lambda r: -r["rmse/scale"])

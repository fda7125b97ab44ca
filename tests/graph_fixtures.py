"""Op names of a traced stream model (what TF Lite tensor names derive from)."""

from typing import List, Sequence

import tensorflow as tf

# Ops only the Transformer head makes (its sublayers and its buffer write).
HEAD_OP_PREFIXES = ("affine/", "input_norm/", "block0/attention/",
                    "block0/mlp_in/", "output_norm/", "classifier/", "one_hot")


def stream_op_names(stream, frame_shape: Sequence[int]) -> List[str]:
  """Names of the ops of one traced call of `stream` on a frame + states."""
  states = stream.init_states(list(frame_shape))
  spec = {k: tf.TensorSpec(v.shape, v.dtype) for k, v in states.items()}
  spec["image"] = tf.TensorSpec(frame_shape, tf.float32)
  graph = tf.function(stream).get_concrete_function(spec).graph
  return [op.name for op in graph.get_operations()]


def head_ops(names: Sequence[str], scope: str = "temporal_head") -> List[str]:
  """The part after `scope/` of each op name under `scope`."""
  return [n.split(f"/{scope}/", 1)[1] for n in names if f"/{scope}/" in n]

"""Weight copies between MoViNet twins and matching of official checkpoints.

`MovinetGRWClassifier.inference_model` copies its trained weights into an
official model (converting kernels between the `3d_2plus1d` and `2plus1d`
layouts when asked), and the `load_pretrained` of the MoViNet and MobileNet
GRW classifiers walk an official Model Garden checkpoint's object graph beside
our objects (`load_backbone_checkpoint`); this module holds both.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
from typing import Dict, List, Optional, Tuple

from absl import logging
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from tf_grw.core.errors import invalid_value

__all__ = ["PretrainedLoadReport", "convertible", "copy_variables",
           "load_backbone_checkpoint"]


def convertible(source: str, target: str) -> bool:
  """Whether weights of conv type `source` load into `target` by conversion.

  >>> convertible("3d_2plus1d", "2plus1d"), convertible("3d", "2plus1d")
  (True, False)
  """
  return {source, target} == {"2plus1d", "3d_2plus1d"}


def _convert_kernel(value: np.ndarray, shape) -> Optional[np.ndarray]:
  """A kernel in the other (2+1)D layout, or None if it does not fit `shape`.

  `"3d_2plus1d"` -> `"2plus1d"` is the rule of Model Garden's
  `tools/convert_3d_2plus1d.py`: drop the unit temporal axis of spatial
  kernels (or the unit spatial axis of temporal ones) and turn grouped Conv3D
  depthwise kernels `[..., 1, C]` into DepthwiseConv2D ones `[..., C, 1]`.
  `"2plus1d"` -> `"3d_2plus1d"` is its inverse.
  """
  shape = tuple(shape)
  if value.ndim == len(shape) + 1:  # 3d_2plus1d -> 2plus1d.
    value = value[0] if value.shape[0] == 1 else value[:, 0]
    if value.shape[-1] != shape[-1] and value.ndim == 4:
      value = np.transpose(value, (0, 1, 3, 2))
    return value if tuple(value.shape) == shape else None
  if value.ndim + 1 == len(shape) and value.ndim == 4:  # 2plus1d -> 3d_2plus1d.
    for candidate in (value, np.transpose(value, (0, 1, 3, 2))):
      for axis in (0, 1):
        expanded = np.expand_dims(candidate, axis)
        if tuple(expanded.shape) == shape:
          return expanded
  return None


def copy_variables(sources, targets):
  """Copies variable values in order, converting (2+1)D kernel layouts."""
  if len(sources) != len(targets):
    raise RuntimeError(f"Cannot copy weights: {len(sources)} variables vs "
                       f"{len(targets)}.")
  for src, dst in zip(sources, targets):
    value = src.numpy()
    if tuple(value.shape) != tuple(dst.shape):
      converted = _convert_kernel(value, dst.shape)
      if converted is None:
        raise RuntimeError(f"Cannot copy {src.name} {value.shape} into "
                           f"{dst.name} {dst.shape}.")
      value = converted
    dst.assign(value)


@dataclasses.dataclass
class PretrainedLoadReport:
  """What a `load_pretrained` / `load_backbone_checkpoint` loaded, and not.

  Attributes:
    checkpoint: the checkpoint prefix read.
    loaded: variable names that received a checkpoint value.
    converted_from: the checkpoint's conv type when it was loaded through an
      official model of that type and converted, else "".
    missing: model variable names with no value in the checkpoint.
    mismatched: (name, model shape, checkpoint shape) of shape conflicts.
    unused: checkpoint keys under the backbone/head that were not loaded.
    head_loaded: whether the classifier head was loaded.
    head_note: why the head was not loaded, if it was not.

  >>> report = PretrainedLoadReport("ckpt-1", loaded=["a", "b"],
  ...                               missing=["c"], head_note="600 classes")
  >>> len(report.loaded), report.missing, report.head_loaded
  (2, ['c'], False)
  """
  checkpoint: str
  loaded: List[str] = dataclasses.field(default_factory=list)
  converted_from: str = ""
  missing: List[str] = dataclasses.field(default_factory=list)
  mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]] = (
      dataclasses.field(default_factory=list))
  unused: List[str] = dataclasses.field(default_factory=list)
  head_loaded: bool = False
  head_note: str = ""

  def __str__(self):
    head = ("loaded" if self.head_loaded
            else f"not loaded: {self.head_note}")
    converted = (f"; converted from {self.converted_from}"
                 if self.converted_from else "")
    lines = [f"Loaded {len(self.loaded)} variables from {self.checkpoint} "
             f"(head {head}{converted})."]
    for title, items in (("Missing from the checkpoint", self.missing),
                         ("Shape mismatch", self.mismatched),
                         ("Unused checkpoint values", self.unused)):
      if items:
        lines.append(f"{title} ({len(items)}):")
        lines.extend(f"  {item}" for item in items[:20])
        if len(items) > 20:
          lines.append(f"  ... {len(items) - 20} more")
    return "\n".join(lines)


def resolve_checkpoint(checkpoint_path: str) -> str:
  """A checkpoint prefix from a prefix or a directory, or a clear error."""
  path = checkpoint_path
  if tf.io.gfile.isdir(path):
    path = tf.train.latest_checkpoint(path)
  if path is None or not tf.io.gfile.exists(f"{path}.index"):
    raise invalid_value("checkpoint_path", "a checkpoint prefix or a "
                        "directory holding a checkpoint", checkpoint_path)
  return path


def _children(graph, node_id) -> Dict[str, int]:
  return {c.local_name: c.node_id for c in graph.nodes[node_id].children}


def _plan(graph, node_id, obj, shapes, reader, report):
  """Matches `obj`'s variables to checkpoint values through the object graph.

  Walks the checkpoint node and the Python object together by child name (as
  checkpoint restoration does), fills `report` and returns (variable, value)
  pairs to assign.
  """
  found = {}  # id(variable) -> checkpoint key
  subtree_keys = set()
  seen_nodes, seen_objs = set(), set()

  def walk(node, py):
    if node in seen_nodes:
      return
    seen_nodes.add(node)
    for attribute in graph.nodes[node].attributes:
      if attribute.name == "VARIABLE_VALUE":
        subtree_keys.add(attribute.checkpoint_key)
        if isinstance(py, tf.Variable):
          found[id(py)] = attribute.checkpoint_key
    ck_children = _children(graph, node)
    py_children = {}
    if py is not None and not isinstance(py, tf.Variable) and (
        id(py) not in seen_objs):
      seen_objs.add(id(py))
      py_children = tf.train.TrackableView(py).children(py)
    for name, child in ck_children.items():
      walk(child, py_children.get(name))

  walk(node_id, obj)
  plan = []
  used = set()
  for variable in obj.weights:
    key = found.get(id(variable))
    if key is None or key not in shapes:
      report.missing.append(variable.name)
      continue
    ck_shape = tuple(shapes[key])
    if ck_shape != tuple(variable.shape):
      report.mismatched.append((variable.name, tuple(variable.shape),
                                ck_shape))
      continue
    value = reader.get_tensor(key)
    plan.append((variable, value, key))
    used.add(key)
    report.loaded.append(variable.name)
  report.unused.extend(sorted(subtree_keys - used))
  return plan


def load_backbone_checkpoint(backbone, checkpoint_path: str, strict: bool,
                             description: str,
                             head=None,
                             head_key: str = "layer_with_weights-1",
                             head_note: str = "",
                             hint: str = "",
                             converted_from: str = "") -> PretrainedLoadReport:
  """Loads a backbone (and a classifier head) from a Model Garden checkpoint.

  The backbone is found at the checkpoint root's `backbone` (Model Garden's
  training checkpoints, `tf.train.Checkpoint(backbone=...)`) or at
  `model/_backbone` / `model/backbone` (`tf.train.Checkpoint(model=...)`, as
  the published MoViNet checkpoints are) and matched by child name, as
  checkpoint restoration does. Checkpoint values the objects lack (optimizer
  slots, a head of another size) are ignored and reported.

  Args:
    backbone: the Keras backbone to load into.
    checkpoint_path: a checkpoint prefix or a directory (latest one).
    strict: raise ValueError when a backbone variable is missing from the
      checkpoint or has another shape.
    description: the backbone, for the error message.
    head: a classifier head to load from `model/{head_key}`, all or nothing
      (only when every one of its variables matches), or None.
    head_key: the head's child name under `model` (the official
      `MovinetClassifier`'s `ClassifierHead` is `layer_with_weights-1`).
    head_note: why no head is loaded when `head` is None (kept in the report).
    hint: a sentence for the strict error (e.g. which argument to change).
    converted_from: for the report: the checkpoint's conv type when `backbone`
      is an official twin whose weights the caller converts afterwards.

  Returns:
    A `PretrainedLoadReport`.
  """
  path = resolve_checkpoint(checkpoint_path)
  reader = tf.train.load_checkpoint(path)
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
  shapes = reader.get_variable_to_shape_map()
  root = _children(graph, 0)
  model_children = (_children(graph, root["model"]) if "model" in root
                    else {})
  node = root.get("backbone", model_children.get(
      "_backbone", model_children.get("backbone")))
  if node is None:
    raise invalid_value(
        "checkpoint_path", "a checkpoint with `backbone` or "
        "`model/_backbone` at its root", checkpoint_path)
  report = PretrainedLoadReport(checkpoint=path, head_note=head_note,
                                converted_from=converted_from)
  plan = _plan(graph, node, backbone, shapes, reader, report)
  problems = report.missing + [m[0] for m in report.mismatched]
  if strict and problems:
    raise ValueError(
        f"Checkpoint {path} does not fit {description}: "
        f"{len(report.missing)} variable(s) missing, "
        f"{len(report.mismatched)} with other shapes, e.g. {problems[:3]}. "
        f"{hint + ' ' if hint else ''}Pass strict=False to load what "
        f"matches.\n{report}")
  if head is not None:
    plan.extend(_head_plan(graph, model_children.get(head_key), head_key,
                           head, shapes, reader, report))
  for variable, value, _ in plan:
    variable.assign(value)
  logging.info("%s", report)
  return report


def _head_plan(graph, node, head_key, head, shapes, reader, report):
  """The head's (variable, value, key) list if all of it matches, else []."""
  if node is None:
    report.head_note = f"no `model/{head_key}` in the checkpoint"
    return []
  head_report = PretrainedLoadReport(checkpoint=report.checkpoint)
  plan = _plan(graph, node, head, shapes, reader, head_report)
  if head_report.missing or head_report.mismatched:
    report.head_note = (
        f"{len(head_report.missing)} head variable(s) missing, "
        f"{len(head_report.mismatched)} of other shape, e.g. "
        f"{(head_report.mismatched or head_report.missing)[:1]}")
    report.unused.extend(sorted(
        head_report.unused + [key for _, _, key in plan]))
    return []
  report.loaded.extend(head_report.loaded)
  report.unused.extend(head_report.unused)
  report.head_loaded = True
  return plan

r"""Label maps: class name -> index, read and written as files.

Label map: class name -> index, by default the sorted class names
(`build_label_map`). It is stored as `label_map.json` in the output folder, a
JSON object `{"class name": index, ...}` listed in index order. All splits
written to one folder must share it: `prepare_records` refuses a label map that
differs from an existing `label_map.json` there. `load_label_map` reads such a
JSON object, a JSON list of names (index = position) or a `.txt` file with one
class name per line (index = line number, blank lines ignored).

>>> build_label_map(["run", "jump", "run"])
{'jump': 0, 'run': 1}
"""

from __future__ import annotations

import json
import numbers
import os
from typing import Any, Dict, Iterable, Union


from tf_grw.core.errors import invalid_value
from tf_grw.datasets.video_files import check_file
from tf_grw.datasets.video_files import short_repr
from tf_grw.datasets.video_files import write_json_atomic

__all__ = ["LABEL_MAP_FILENAME", "build_label_map", "load_label_map",
           "write_label_map"]

LABEL_MAP_FILENAME = "label_map.json"


def build_label_map(labels: Iterable[Any]) -> Dict[str, int]:
  """Maps the sorted distinct class names to 0, 1, ...

  Args:
    labels: Class names, or `(path, label)` entries.

  Returns:
    A dict `{class_name: index}` in index order.

  Example:

  >>> build_label_map(["run", "jump", "run"])
  {'jump': 0, 'run': 1}
  >>> build_label_map([("a.mp4", "b"), ("c.mp4", "a")])
  {'a': 0, 'b': 1}
  """
  names = set()
  for item in labels:
    name = item if isinstance(item, str) else (
        item[1] if isinstance(item, (tuple, list)) and len(item) == 2 else
        None)
    if not isinstance(name, str) or not name:
      raise invalid_value("labels", "class names or (path, label) entries",
                          short_repr(item))
    names.add(name)
  if not names:
    raise invalid_value("labels", "at least one class name", short_repr(labels))
  return {name: i for i, name in enumerate(sorted(names))}


def _check_label_map(label_map) -> Dict[str, int]:
  """Validates a `{name: index}` mapping with indices 0..n-1."""
  ok = isinstance(label_map, dict) and label_map
  if ok:
    ok = all(isinstance(k, str) and k and isinstance(v, numbers.Integral) and
             not isinstance(v, bool) for k, v in label_map.items())
  if ok:
    ok = sorted(int(v) for v in label_map.values()) == list(
        range(len(label_map)))
  if not ok:
    raise invalid_value(
        "label_map", "a non-empty dict of class name -> index whose indices "
        "are 0, 1, ..., n-1", short_repr(label_map))
  return {k: int(v) for k, v in sorted(label_map.items(), key=lambda kv: kv[1])}


def load_label_map(path: Union[str, os.PathLike]) -> Dict[str, int]:
  """Reads a label map file.

  Accepted formats: a `.json` file holding an object `{"name": index}` or a
  list of names (index = position); any other file is text with one class
  name per line (index = line number among the non-blank lines).

  Args:
    path: The label map file.

  Returns:
    A dict `{class_name: index}` in index order.

  Raises:
    ValueError: on a missing or malformed file.

  Example:

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), "classes.txt")
  >>> with open(path, "w") as f:
  ...   _ = f.write("run\\n\\njump\\n")
  >>> load_label_map(path)
  {'run': 0, 'jump': 1}
  """
  path = check_file("label_map", path, "label map file")
  with open(path, encoding="utf-8") as f:
    text = f.read()
  if path.lower().endswith(".json"):
    try:
      data = json.loads(text)
    except json.JSONDecodeError:
      data = None
    if isinstance(data, list) and all(isinstance(n, str) for n in data):
      if len(set(data)) != len(data):
        data = None
      else:
        data = {name: i for i, name in enumerate(data)}
    if not isinstance(data, dict):
      raise invalid_value(
          "label_map", "a JSON file holding {\"name\": index} or a list of "
          "distinct names", path)
  else:
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(set(names)) != len(names):
      raise invalid_value(
          "label_map", "a text file with one distinct class name per line",
          path)
    data = {name: i for i, name in enumerate(names)}
  return _check_label_map(data)


def write_label_map(label_map: Dict[str, int],
                    path: Union[str, os.PathLike]) -> str:
  """Writes `label_map` as a JSON object `{"name": index}` in index order.

  Args:
    label_map: A dict of class name -> index (indices 0..n-1).
    path: Destination file (written atomically).

  Returns:
    The path written.

  Example:

  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), "label_map.json")
  >>> write_label_map({"run": 1, "jump": 0}, path) == path
  True
  >>> load_label_map(path)
  {'jump': 0, 'run': 1}
  """
  label_map = _check_label_map(label_map)
  path = os.fspath(path)
  write_json_atomic(path, label_map)
  return path

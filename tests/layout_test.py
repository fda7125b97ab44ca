"""The import rules of the package layout (see each subpackage's docstring).

* `tf_grw.core` (and the lazy `tf_grw.grw_loss`, `tf_grw.GRWSmoothing`) never
  loads TF Model Garden: checked in a fresh interpreter's `sys.modules`, and
  statically: core modules import only the standard library, NumPy,
  TensorFlow (and its `absl` logging), `tf_keras` and `tf_grw.core`.
* The model families do not import each other: no `movinet_*` module imports
  a `mobilenet_*` one or the reverse (shared pieces live in family-neutral
  modules such as `grw_endpoints`, `video_inputs`, `temporal_head`).
* Library code never imports the launchers or benchmarks.
* Every public name of `tf_grw` resolves.
"""

import ast
import json
import os
import subprocess
import sys

import pytest

import tf_grw
from launch_fixtures import REPO  # pylint: disable=g-bad-import-order

_PACKAGE = os.path.join(REPO, "tf_grw")
_CORE_ALLOWED = ("absl", "numpy", "tensorflow", "tf_keras", "tf_grw.core")


def _loaded_official(statements):
  """`official` modules in sys.modules after running `statements` afresh."""
  code = "; ".join(["import json, sys", *statements, "print(json.dumps("
                    "sorted(m for m in sys.modules "
                    "if m.split('.')[0] == 'official')))"])
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
             PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
  out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                       text=True, env=env, cwd=REPO, check=True, timeout=300)
  return json.loads(out.stdout.strip().splitlines()[-1])


def _imports(path):
  """(module, line) of every import statement in a source file."""
  tree = ast.parse(open(path, encoding="utf-8").read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      for alias in node.names:
        yield alias.name, node.lineno
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      yield node.module, node.lineno


def _sources(folder):
  for root, _, names in os.walk(folder):
    for name in sorted(names):
      if name.endswith(".py"):
        yield os.path.join(root, name)


@pytest.mark.slow
def test_core_and_lazy_core_names_do_not_load_model_garden():
  assert _loaded_official([
      "import tf_grw, tf_grw.core", "tf_grw.grw_loss", "tf_grw.GRWSmoothing",
      "tf_grw.find_disconnected_grw_layers"]) == []
  # The check can fail: the model builders do load Model Garden.
  assert "official.projects.movinet.modeling.movinet" in _loaded_official(
      ["import tf_grw", "tf_grw.build_movinet_grw"])


def test_core_imports_only_tensorflow_keras_numpy_and_core():
  stdlib = sys.stdlib_module_names
  wrong = []
  for path in _sources(os.path.join(_PACKAGE, "core")):
    for module, line in _imports(path):
      top = module.split(".")[0]
      if top in stdlib or top == "__future__":
        continue
      if not any(module == a or module.startswith(a + ".")
                 for a in _CORE_ALLOWED):
        wrong.append(f"{os.path.relpath(path, REPO)}:{line} imports {module}")
  assert not wrong, wrong


def test_model_families_do_not_import_each_other():
  wrong = []
  for path in _sources(_PACKAGE):
    name = os.path.basename(path)
    for family, other in (("movinet_", "mobilenet_"),
                          ("mobilenet_", "movinet_")):
      if name.startswith(family):
        wrong += [f"{os.path.relpath(path, REPO)}:{line} imports {module}"
                  for module, line in _imports(path)
                  if module.startswith("tf_grw." + other)]
  assert not wrong, wrong


def test_library_never_imports_launchers_or_benchmarks():
  wrong = [f"{os.path.relpath(path, REPO)}:{line} imports {module}"
           for path in _sources(_PACKAGE)
           for module, line in _imports(path)
           if module.split(".")[0] in ("launch", "benchmarks", "tests")]
  assert not wrong, wrong


def test_every_public_name_resolves():
  assert set(tf_grw.__all__) <= set(dir(tf_grw))
  for name in tf_grw.__all__:
    assert getattr(tf_grw, name) is not None, name
  assert tf_grw.GRWSmoothing is tf_grw.core.GRWSmoothing
  with pytest.raises(AttributeError, match="has no attribute 'grw_los'"):
    tf_grw.grw_los  # pylint: disable=pointless-statement

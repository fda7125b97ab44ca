"""The import rules of the package layout (see each subpackage's docstring).

* `tf_grw.core` (and the lazy `tf_grw.grw_loss`, `tf_grw.GRWSmoothing`) never
  loads TF Model Garden: checked in a fresh interpreter's `sys.modules`, and
  statically: core modules import only the standard library, NumPy,
  TensorFlow (and its `absl` logging), `tf_keras` and `tf_grw.core`.
* Each subpackage imports only the floors below it (`_FLOORS`): core <
  datasets, models < modelgarden, export, analysis; every module lives in a
  subpackage.
* The model families do not import each other: nothing in
  `tf_grw.models.movinet` imports `tf_grw.models.mobilenet` or the reverse,
  and the shared modules of `tf_grw.models` import neither family.
* Library code never imports the launchers or benchmarks.
* Every public name of `tf_grw` resolves, and every public class (in a
  module's `__all__`) carries a runnable docstring example.
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
# Subpackage -> the tf_grw subpackages its modules may import.
_FLOORS = {
    "core": ("core",),
    "datasets": ("core", "datasets"),
    "models": ("core", "models"),
    "modelgarden": ("core", "models", "modelgarden"),
    "export": ("core", "models", "export"),
    "analysis": ("core", "models", "analysis"),
}


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


def _subpackage_of(path):
  return os.path.relpath(path, _PACKAGE).split(os.sep)


def test_every_module_lives_in_a_subpackage_and_imports_only_lower_floors():
  assert sorted(n for n in os.listdir(_PACKAGE)
                if n.endswith(".py")) == ["__init__.py"]
  assert sorted(n for n in os.listdir(_PACKAGE)
                if os.path.isfile(os.path.join(_PACKAGE, n, "__init__.py"))
                ) == sorted(_FLOORS)
  wrong = []
  for floor, allowed in _FLOORS.items():
    for path in _sources(os.path.join(_PACKAGE, floor)):
      for module, line in _imports(path):
        parts = module.split(".")
        if parts[0] == "tf_grw" and (len(parts) < 2 or parts[1] not in allowed):
          wrong.append(
              f"{os.path.relpath(path, REPO)}:{line} imports {module}")
  assert not wrong, wrong


def test_model_families_do_not_import_each_other():
  families = ("tf_grw.models.movinet", "tf_grw.models.mobilenet")
  wrong = []
  for path in _sources(os.path.join(_PACKAGE, "models")):
    where = _subpackage_of(path)
    own = "tf_grw.models." + where[1] if len(where) > 2 else None
    for module, line in _imports(path):
      for family in families:
        if family != own and (module == family
                              or module.startswith(family + ".")):
          wrong.append(
              f"{os.path.relpath(path, REPO)}:{line} imports {module}")
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


def test_every_public_class_has_a_docstring_example():
  import importlib  # pylint: disable=g-import-not-at-top
  import inspect  # pylint: disable=g-import-not-at-top
  import pkgutil  # pylint: disable=g-import-not-at-top
  missing = []
  for info in pkgutil.walk_packages(tf_grw.__path__, "tf_grw."):
    module = importlib.import_module(info.name)
    for name in getattr(module, "__all__", []):
      obj = getattr(module, name)
      if (inspect.isclass(obj) and obj.__module__ == module.__name__ and
          ">>>" not in (obj.__doc__ or "")):
        missing.append(f"{module.__name__}.{name}")
  assert not missing, missing

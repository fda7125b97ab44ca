"""Registers the tests' short A0 in the processes the tests start.

On `PYTHONPATH` of launched scripts (`tests/launch_fixtures.py`'s `env`), so
that `--model_id=a0_short` (`tests/movinet_fixtures.py`) works there and in
the processes they spawn. Model Garden's movinet module is left to load when
the script imports it; the spec is added right after.
"""

import importlib.abc
import importlib.machinery
import os
import sys

_MODULE = "official.projects.movinet.modeling.movinet"


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
  """Adds the short spec once Model Garden's movinet module has run."""

  def find_spec(self, name, path, target=None):
    if name != _MODULE:
      return None
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is None:
      return None
    run = spec.loader.exec_module

    def run_and_register(module):
      run(module)
      sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
      try:
        import movinet_fixtures  # pylint: disable=g-import-not-at-top
      finally:
        sys.path.pop(0)
      movinet_fixtures.register(module)

    spec.loader.exec_module = run_and_register
    return spec


sys.meta_path.insert(0, _RegisterAfterImport())

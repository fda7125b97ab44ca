"""Shared test helper: importing a launch/ script as a module (not a test)."""

import importlib.util
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_launch_module(name):
  """Imports `launch/{name}.py` as module `grw_launch_{name}`.

  Registered in `sys.modules`, so that autograph finds the source of the
  functions it converts (e.g. `tf.data` map functions).
  """
  spec = importlib.util.spec_from_file_location(
      f"grw_launch_{name}", os.path.join(REPO, "launch", f"{name}.py"))
  module = importlib.util.module_from_spec(spec)
  sys.modules[spec.name] = module
  spec.loader.exec_module(module)
  return module


def env(**variables):
  """The environment of a launched script: this repo importable, TF quiet.

  `tests/subprocess_site` on the path registers the short A0
  (`movinet_fixtures.SHORT`) in the process and in those it spawns.
  """
  path = os.pathsep.join([REPO, os.path.join(REPO, "tests", "subprocess_site"),
                          os.environ.get("PYTHONPATH", "")])
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=path,
              **variables)

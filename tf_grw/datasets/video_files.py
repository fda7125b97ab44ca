"""Small checks and file writes shared by the video dataset modules."""

import json
import os
import reprlib

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = ["short_repr", "check_file", "check_dir", "write_json_atomic"]


def short_repr(value) -> Described:
  """`value` for an error message, long containers and strings cut short.

  >>> short_repr(list(range(100)))
  [0, 1, 2, 3, 4, 5, ...]
  """
  r = reprlib.Repr()
  r.maxdict = r.maxlist = r.maxtuple = 6
  r.maxstring = r.maxother = 80
  return Described(r.repr(value))


def _existing(argument: str, path, what: str, exists, not_a_path: str) -> str:
  if not isinstance(path, (str, os.PathLike)):
    raise invalid_value(argument, not_a_path, path)
  path = os.fspath(path)
  if not exists(path):
    raise invalid_value(argument, f"a path to an existing {what}", path)
  return path


def check_file(argument: str, path, what: str) -> str:
  """`path` as a str if it names an existing file (Keras-style error if not).

  >>> check_file("csv_path", "/no/such.csv", "CSV file")
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `csv_path`. Expected a path to an existing CSV file. Received: csv_path='/no/such.csv'
  """
  return _existing(argument, path, what, os.path.isfile, f"a path to {what}")


def check_dir(argument: str, path, what: str = "directory") -> str:
  """`path` as a str if it names an existing folder (Keras-style error if not)."""
  return _existing(argument, path, what, os.path.isdir,
                   f"a path to an existing {what}")


def write_json_atomic(path: str, data) -> None:
  """Writes `data` as JSON to `path` through a temporary file (atomic)."""
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "w", encoding="utf-8") as f:
    json.dump(data, f, indent=1, ensure_ascii=False)
    f.write("\n")
  os.replace(tmp, path)

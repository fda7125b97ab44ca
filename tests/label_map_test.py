"""Tests of `tf_grw.datasets.label_map`."""

import json
import re

import pytest

from tf_grw.datasets import label_map as lm
from video_fixtures import error  # pylint: disable=g-bad-import-order


def test_label_map_files(tmp_path):
  label_map = {"jump": 0, "run": 1, "swim": 2}
  path = lm.write_label_map(label_map, tmp_path / "label_map.json")
  assert json.loads(open(path).read()) == label_map
  assert lm.load_label_map(path) == label_map
  (tmp_path / "list.json").write_text(json.dumps(["jump", "run", "swim"]))
  assert lm.load_label_map(tmp_path / "list.json") == label_map
  (tmp_path / "classes.txt").write_text("jump\nrun\n\nswim\n")
  assert lm.load_label_map(tmp_path / "classes.txt") == label_map
  (tmp_path / "dup.txt").write_text("jump\njump\n")
  with pytest.raises(ValueError, match=error(
      "label_map", "a text file with one distinct class name per line",
      str(tmp_path / "dup.txt"))):
    lm.load_label_map(tmp_path / "dup.txt")
  with pytest.raises(ValueError, match=re.escape(
      "Expected a non-empty dict of class name -> index whose indices are 0, "
      "1, ..., n-1. Received: label_map={'a': 0, 'b': 2}")):
    lm.write_label_map({"a": 0, "b": 2}, tmp_path / "x.json")

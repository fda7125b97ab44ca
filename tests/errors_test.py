"""Tests of `tf_grw.errors` (the project's Keras-style argument errors)."""

import doctest

import numpy as np

from tf_grw import errors
from tf_grw.errors import Described
from tf_grw.errors import invalid_value


def test_docstring_examples():
  result = doctest.testmod(errors)
  assert result.failed == 0 and result.attempted >= 2


def test_values_are_shown_by_repr_and_descriptions_bare():
  assert str(invalid_value("mode", "one of ['a']", "b")) == (
      "Invalid value received for argument `mode`. Expected one of ['a']. "
      "Received: mode='b'")
  assert str(invalid_value("x", "a 2-D array", Described(
      f"<array of shape {np.zeros((2, 3, 4)).shape}>"))).endswith(
          "Received: x=<array of shape (2, 3, 4)>")

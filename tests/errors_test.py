"""Tests of `tf_grw.core.errors` (the project's Keras-style argument errors)."""

import numpy as np

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value



def test_values_are_shown_by_repr_and_descriptions_bare():
  assert str(invalid_value("mode", "one of ['a']", "b")) == (
      "Invalid value received for argument `mode`. Expected one of ['a']. "
      "Received: mode='b'")
  assert str(invalid_value("x", "a 2-D array", Described(
      f"<array of shape {np.zeros((2, 3, 4)).shape}>"))).endswith(
          "Received: x=<array of shape (2, 3, 4)>")

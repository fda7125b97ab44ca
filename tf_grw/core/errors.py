"""Keras-style errors for invalid arguments, shared by every public entry."""

import math
import numbers


class Described:
  """A received value shown by a short description, as Keras shows tensors.

  Pass one as `value` to `invalid_value` when the value itself is too large
  or too opaque to print:

  >>> str(invalid_value("clip", "a clip [N, H, W, 3]",
  ...                   Described("<array of shape (4, 4)>")))
  'Invalid value received for argument `clip`. Expected a clip [N, H, W, 3]. Received: clip=<array of shape (4, 4)>'

  Reference (the project these errors serve): Goldman, Giryes,
  Satyanarayanan, "Smooth Regularization for Efficient Video Recognition",
  NeurIPS 2025, arXiv:2511.20928.
  """

  def __init__(self, text: str):
    self.text = text

  def __repr__(self) -> str:
    return self.text


def invalid_value(argument: str, expected: str, value) -> ValueError:
  """Builds the project's standard error for a bad argument.

  Example:

  >>> str(invalid_value("window", "an integer >= 3", 2))
  'Invalid value received for argument `window`. Expected an integer >= 3. Received: window=2'
  """
  return ValueError(
      f"Invalid value received for argument `{argument}`. "
      f"Expected {expected}. Received: {argument}={value!r}")


def check_int(argument: str, value, minimum: int, allow_none: bool = False):
  """Returns `value` as an `int` if it is an integer >= `minimum`.

  Booleans are refused (``True`` is not a frame count); with `allow_none`,
  ``None`` passes through.

  >>> check_int("num_frames", 8, 2)
  8
  >>> check_int("num_frames", 1, 2)
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `num_frames`. Expected an integer >= 2. Received: num_frames=1
  """
  if value is None and allow_none:
    return None
  if (not isinstance(value, numbers.Integral) or isinstance(value, bool) or
      value < minimum):
    expected = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    raise invalid_value(argument, expected, value)
  return int(value)


def check_float(argument: str, value, minimum: float = 0.0) -> float:
  """Returns `value` as a `float` if it is a finite number >= `minimum`.

  >>> check_float("noise", 0.5)
  0.5
  >>> check_float("noise", float("nan"))
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `noise`. Expected a finite number >= 0.0. Received: noise=nan
  """
  if (isinstance(value, bool) or not isinstance(value, numbers.Real) or
      not math.isfinite(value) or value < minimum):
    raise invalid_value(argument, f"a finite number >= {minimum}", value)
  return float(value)

"""Keras-style errors for invalid arguments, shared by every public entry."""


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

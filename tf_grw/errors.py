"""Keras-style errors for invalid arguments, shared by every public entry."""


def invalid_value(argument: str, expected: str, value) -> ValueError:
  """Builds the project's standard error for a bad argument.

  Example:

  >>> str(invalid_value("window", "an integer >= 3", 2))
  'Invalid value received for argument `window`. Expected an integer >= 3. Received: window=2'
  """
  return ValueError(
      f"Invalid value received for argument `{argument}`. "
      f"Expected {expected}. Received: {argument}={value!r}")

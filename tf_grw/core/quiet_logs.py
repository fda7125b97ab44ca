"""Keeps TensorFlow's and Model Garden's INFO chatter out of users' logs.

Building Model Garden's MobileNet logs a line per block, and saving a
SavedModel (every TF Lite export saves one first) logs signature renames,
sharding times and asset paths, all at INFO through absl or the `tensorflow`
Python logger. `quiet_info_logs()` raises both to WARNING for the duration of
a block and restores them after; warnings and errors still show.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928 (the GRW models
whose builds and exports this quiets).
"""

import contextlib
import logging as py_logging

from absl import logging
import tensorflow as tf

__all__ = ["quiet_info_logs"]


@contextlib.contextmanager
def quiet_info_logs():
  """Context manager: absl and `tensorflow` loggers at WARNING inside it.

  Example:

  >>> from absl import logging
  >>> before = logging.get_verbosity()
  >>> with quiet_info_logs():
  ...   logging.get_verbosity() <= logging.WARNING
  True
  >>> logging.get_verbosity() == before
  True
  """
  verbosity = logging.get_verbosity()
  tf_logger = tf.get_logger()
  level = tf_logger.level
  logging.set_verbosity(min(verbosity, logging.WARNING))
  tf_logger.setLevel(max(level, py_logging.WARNING))
  try:
    yield
  finally:
    logging.set_verbosity(verbosity)
    tf_logger.setLevel(level)

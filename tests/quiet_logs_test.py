"""Tests of `tf_grw.core.quiet_logs` (INFO chatter kept out, levels restored)."""

import logging as py_logging

from absl import logging
import pytest
import tensorflow as tf

from tf_grw.core.quiet_logs import quiet_info_logs



def test_info_is_dropped_warnings_kept_and_levels_restored(caplog):
  tf_logger = tf.get_logger()
  before = (logging.get_verbosity(), tf_logger.level)
  logging.set_verbosity(logging.INFO)
  tf_logger.setLevel(py_logging.INFO)
  try:
    with caplog.at_level(py_logging.INFO, logger="tensorflow"):
      with quiet_info_logs():
        tf_logger.info("renamed input")
        tf_logger.warning("a real warning")
        assert logging.get_verbosity() == logging.WARNING
      tf_logger.info("after the block")
    messages = [r.getMessage() for r in caplog.records]
    assert "renamed input" not in messages
    assert "a real warning" in messages and "after the block" in messages
    assert logging.get_verbosity() == logging.INFO
    assert tf_logger.level == py_logging.INFO
    # Restored even when the block raises.
    with pytest.raises(RuntimeError):
      with quiet_info_logs():
        raise RuntimeError("boom")
    assert logging.get_verbosity() == logging.INFO
  finally:
    logging.set_verbosity(before[0])
    tf_logger.setLevel(before[1])

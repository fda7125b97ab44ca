"""Shared pytest set-up (tests/ and the doctests of tf_grw/): quiet TensorFlow, two logical CPUs for distribution tests."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow as tf  # noqa: E402

# Two logical CPU devices so MirroredStrategy tests can run on one physical CPU.
# Must happen before any op runs; conftest is imported first.
_cpus = tf.config.list_physical_devices("CPU")
try:
  tf.config.set_logical_device_configuration(
      _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)
except RuntimeError:  # Already initialized (e.g. a plugin ran an op first).
  pass

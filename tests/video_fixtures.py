"""Shared test helpers: tiny video TFRecords (not collected as tests)."""

import numpy as np
import tensorflow as tf


def write_records(path, num_clips=2, num_frames=6, size=32, seed=0):
  """SequenceExamples: context `clip/label/index`, list `image/encoded`."""
  rng = np.random.default_rng(seed)
  with tf.io.TFRecordWriter(path) as writer:
    for label in range(num_clips):
      example = tf.train.SequenceExample()
      example.context.feature["clip/label/index"].int64_list.value.append(
          label)
      frames = example.feature_lists.feature_list["image/encoded"]
      for _ in range(num_frames):
        image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        frames.feature.add().bytes_list.value.append(
            tf.io.encode_jpeg(image).numpy())
      writer.write(example.SerializeToString())
  return path

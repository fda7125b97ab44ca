"""The procedural airplanes as TFRecords in Model Garden's video layout.

`write_airplanes_records` renders the train and test splits of
`tf_grw.datasets.airplanes` and writes each clip as a
`tf.train.SequenceExample` (context `clip/label/index`, feature list
`image/encoded` of JPEG frames; the keys of
`tf_grw.datasets.record_keys`), the files the `movinet_grw_airplanes` and
`mobilenet_grw_airplanes` experiments read. `launch/fit.py
--write_airplanes_records=DIR` calls it.

>>> import tempfile
>>> import tensorflow as tf
>>> paths = write_airplanes_records(tempfile.mkdtemp(), num_train=3,
...                                 num_test=2, num_frames=4, resolution=16)
>>> sorted(paths), sum(1 for _ in tf.data.TFRecordDataset(paths["train"]))
(['test', 'train'], 3)
"""

import os
from typing import Dict

import tensorflow as tf

from tf_grw.datasets import airplanes
from tf_grw.datasets.record_keys import IMAGE_KEY
from tf_grw.datasets.record_keys import LABEL_KEY

__all__ = ["write_airplanes_records"]


def write_airplanes_records(output_dir, num_train: int = 1000,
                            num_test: int = 100, num_frames: int = 16,
                            resolution: int = 64, seed: int = 0
                           ) -> Dict[str, str]:
  """Writes `{train,test}-00000-of-00001.tfrecord` of airplane clips.

  Clips of `tf_grw.datasets.airplanes` (train and test seeds derived from
  `seed` with `airplanes.split_seed`), frames JPEG-encoded at quality 95.

  Returns:
    {split: path}.
  """
  os.makedirs(output_dir, exist_ok=True)
  paths = {}
  for split, count in (("train", num_train), ("test", num_test)):
    path = os.path.join(output_dir, f"{split}-00000-of-00001.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
      for _, videos, labels in airplanes.iter_split(
          count, num_frames, resolution, airplanes.split_seed(seed, split)):
        for video, label in zip(videos, labels):
          example = tf.train.SequenceExample()
          example.context.feature[LABEL_KEY].int64_list.value.append(
              int(label))
          frames = example.feature_lists.feature_list[IMAGE_KEY]
          for frame in video:
            frames.feature.add().bytes_list.value.append(
                tf.io.encode_jpeg(frame, quality=95).numpy())
          writer.write(example.SerializeToString())
    paths[split] = path
  return paths

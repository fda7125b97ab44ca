"""Tests of `tf_grw.datasets.airplanes_records` against Model Garden's decoder."""

import numpy as np
import tensorflow as tf

from official.vision.dataloaders import video_input
from tf_grw.datasets import airplanes
from tf_grw.datasets.airplanes_records import write_airplanes_records


def test_records_decode_with_model_gardens_video_decoder(tmp_path):
  paths = write_airplanes_records(str(tmp_path), num_train=3, num_test=2,
                                  num_frames=4, resolution=16, seed=1)
  assert set(paths) == {"train", "test"}
  decoder = video_input.Decoder()  # Model Garden's default keys.
  for split, count in (("train", 3), ("test", 2)):
    videos, labels = airplanes.generate_split(
        count, 4, 16, airplanes.split_seed(1, split))
    records = list(tf.data.TFRecordDataset(paths[split]))
    assert len(records) == count
    for i, (record, video, label) in enumerate(zip(records, videos, labels)):
      decoded = decoder.decode(record)
      assert decoded[video_input.LABEL_KEY].numpy().tolist() == [label]
      frames = np.stack([tf.io.decode_jpeg(f).numpy()
                         for f in decoded[video_input.IMAGE_KEY]])
      assert frames.shape == video.shape == (4, 16, 16, 3)
      # JPEG (quality 95, chroma subsampled) of noisy 16x16 frames: near
      # the clip rendered for this record, far from the other clips.
      error = np.abs(frames.astype(float) - video.astype(float)).mean()
      others = [np.abs(frames.astype(float) - v.astype(float)).mean()
                for j, v in enumerate(videos) if j != i]
      assert 0 < error < 0.5 * min(others), (error, others)

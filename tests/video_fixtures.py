"""Shared test helpers (not collected as tests): tiny video TFRecords, and
a class-per-folder tree of good and bad video files (the `videos` fixture:
import it into a test module to use it)."""

import re

import cv2
import numpy as np
import pytest
import tensorflow as tf

SOURCE_FPS = 10.0
HEIGHT, WIDTH = 48, 64
COLOURS_BGR = {"blue": (255, 0, 0), "green": (0, 255, 0), "red": (0, 0, 255)}
COLOURS_RGB = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}
# Good videos: (class, file name, number of source frames).
GOOD = [("blue", "b1.mp4", 20), ("blue", "b2.mp4", 15),
         ("green", "g1.mp4", 20), ("green", "g2.avi", 20),
         ("red", "r1.mp4", 20), ("red", "r2.mp4", 15)]
BAD = {  # file name (in red/) -> expected reason pattern
    "trunc.mp4": "cannot open as a video",
    "trunc.avi": "truncated or corrupt: decoded",
    "notvideo.mp4": "cannot open as a video",
    "empty.mp4": r"empty file \(0 bytes\)",
}




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


def error(name, expected, value):
  return re.escape(
      f"Invalid value received for argument `{name}`. Expected {expected}. "
      f"Received: {name}={value!r}")


def block_value(index):
  """Grey level of the index block in source frame `index`."""
  return 20 + 10 * index


def write_video(path, colour_bgr, num_frames):
  fourcc = "MJPG" if path.endswith(".avi") else "mp4v"
  writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), SOURCE_FPS,
                           (WIDTH, HEIGHT))
  assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
  for i in range(num_frames):
    frame = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    frame[:] = colour_bgr
    frame[32:48, 0:16] = block_value(i)
    frame[4:14, 20 + 2 * i:30 + 2 * i] = 255
    writer.write(frame)
  writer.release()


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
  """A class-per-folder tree of good and bad videos."""
  root = tmp_path_factory.mktemp("videos") / "root"
  paths = {}
  for label, name, frames in GOOD:
    (root / label).mkdir(parents=True, exist_ok=True)
    path = str(root / label / name)
    write_video(path, COLOURS_BGR[label], frames)
    paths[name] = path
  red = root / "red"
  data = (red / "r1.mp4").read_bytes()
  (red / "trunc.mp4").write_bytes(data[:len(data) // 2])
  data = (root / "green" / "g2.avi").read_bytes()
  (red / "trunc.avi").write_bytes(data[:int(len(data) * 0.6)])
  (red / "notvideo.mp4").write_text("this is not a video\n" * 20)
  (red / "empty.mp4").write_bytes(b"")
  (red / "readme.txt").write_text("not listed: no video extension")
  (root / ".hidden").mkdir()
  for name in BAD:
    paths[name] = str(red / name)
  return {"root": str(root), "paths": paths}


def frames_for(num_source_frames, fps):
  """Expected output frame count: ceil(duration * fps)."""
  return int(np.ceil(num_source_frames / SOURCE_FPS * fps - 1e-6))

"""Tests of `tf_grw.datasets.video_decoding`: frame times, colours, sizes,
unknown frame rates and bad files."""

import os

import cv2
import numpy as np
import pytest

from tf_grw.datasets import video_decoding as vd
from tf_grw.datasets import video_records as vr
from video_fixtures import videos  # pylint: disable=g-bad-import-order,unused-import
from video_fixtures import SOURCE_FPS  # pylint: disable=g-bad-import-order
from video_fixtures import HEIGHT  # pylint: disable=g-bad-import-order
from video_fixtures import WIDTH  # pylint: disable=g-bad-import-order
from video_fixtures import COLOURS_RGB  # pylint: disable=g-bad-import-order
from video_fixtures import GOOD  # pylint: disable=g-bad-import-order
from video_fixtures import BAD  # pylint: disable=g-bad-import-order
from video_fixtures import block_value  # pylint: disable=g-bad-import-order
from video_fixtures import frames_for  # pylint: disable=g-bad-import-order


@pytest.mark.parametrize("fps", [5.0, 10.0, 20.0, 4.0])
def test_decode_video_resamples_by_time(videos, fps):
  video = vd.decode_video(videos["paths"]["r1.mp4"], fps=fps, short_side=24)
  num = frames_for(20, fps)
  assert video.frames.shape == (num, 24, 32, 3)
  assert video.frames.dtype == np.uint8
  assert video.source_fps == SOURCE_FPS and not video.source_fps_assumed
  assert video.num_source_frames == 20
  np.testing.assert_allclose(video.timestamps, np.arange(num) / fps)
  # Output frame k shows the source frame displayed at k / fps.
  shown = np.floor(np.arange(num) / fps * SOURCE_FPS + 1e-6).astype(int)
  block = video.frames[:, 20, 4].astype(int)  # Grey index block, resized.
  np.testing.assert_allclose(block[:, 0], block_value(shown), atol=6)


def test_decode_video_colour_size_and_max_frames(videos):
  for label, name, frames in GOOD:
    video = vd.decode_video(videos["paths"][name], fps=5.0, short_side=24)
    assert video.frames.shape == (frames_for(frames, 5.0), 24, 32, 3), name
    # A pure-colour area decodes to the class colour in RGB order.
    np.testing.assert_allclose(video.frames[:, 11, 25],
                               np.tile(COLOURS_RGB[label], (len(video.frames),
                                                             1)), atol=12)
  video = vd.decode_video(videos["paths"]["b1.mp4"], fps=10.0, short_side=None,
                          max_frames=4)
  assert video.frames.shape == (4, HEIGHT, WIDTH, 3)
  video = vd.decode_video(videos["paths"]["b1.mp4"], fps=10.0, short_side=96)
  assert video.frames.shape == (20, 96, 128, 3)


class _NoFpsCapture:
  """Wraps cv2.VideoCapture; reports no frame rate (and no timestamps)."""

  def __init__(self, *args, timestamps=True):
    self._cap = _REAL_CAPTURE(*args)
    self._timestamps = timestamps

  def get(self, prop):
    if prop == cv2.CAP_PROP_FPS:
      return 0.0
    if prop == cv2.CAP_PROP_POS_MSEC and not self._timestamps:
      return float("nan")
    return self._cap.get(prop)

  def __getattr__(self, name):
    return getattr(self._cap, name)


_REAL_CAPTURE = cv2.VideoCapture


@pytest.mark.parametrize("timestamps, num_frames", [(True, 10), (False, 4)])
def test_unknown_source_fps_is_assumed(videos, monkeypatch, tmp_path,
                                       timestamps, num_frames):
  monkeypatch.setattr(
      vd.cv2, "VideoCapture",
      lambda *a: _NoFpsCapture(*a, timestamps=timestamps))
  path = videos["paths"]["r1.mp4"]
  video = vd.decode_video(path, fps=5.0, short_side=24)
  assert video.source_fps_assumed
  assert video.source_fps == vd.DEFAULT_SOURCE_FPS == 30.0
  # With container timestamps the 2 s clip still gives 10 frames at 5 fps;
  # without, its 20 frames are taken as 30 fps (0.67 s -> 4 frames).
  assert len(video.frames) == num_frames
  report = vr.prepare_records([(path, "red")], tmp_path, "train", {"red": 0},
                              fps=5.0, short_side=24, num_shards=1,
                              num_workers=0, progress=False)
  assert report.num_written == 1
  assert report.notes == [(path, "container reports no usable frame rate; "
                           "assumed 30 fps where timestamps were missing")]


@pytest.mark.parametrize("name", list(BAD) + ["missing.mp4"])
def test_decode_video_bad_files(videos, name):
  path = videos["paths"].get(name, os.path.join(videos["root"], name))
  reason = BAD.get(name, "missing: file not found")
  with pytest.raises(vd.VideoDecodeError, match=reason):
    vd.decode_video(path, fps=5.0, short_side=24)

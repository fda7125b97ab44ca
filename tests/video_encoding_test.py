"""Tests for the crash-isolated video encoding workers (datasets/video_encoding)."""

import os

import cv2
import numpy as np
import pytest

from tests.video_fixtures import block_value
from tests.video_fixtures import SOURCE_FPS
from tests.video_fixtures import videos  # noqa: F401  (a fixture)
from tf_grw.datasets import video_encoding

SETTINGS = video_encoding.EncodeSettings(fps=5.0, short_side=None,
                                         max_frames=None, jpeg_quality=95)


class _KillsItsWorker(str):
  """A path whose unpickling ends the process that unpickles it.

  The pool pickles each task's arguments to send them to a worker, so a
  worker that receives this path dies as a decoder segfault would kill it.
  """

  def __reduce__(self):
    return (os._exit, (3,))  # pylint: disable=protected-access


def _blocks(result):
  """The grey level of the index block in every decoded JPEG frame."""
  levels = []
  for jpeg in result.jpegs:
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    levels.append(int(np.median(frame[36:44, 4:12])))
  return levels


def test_encode_video_resamples_to_fps(videos):  # noqa: F811
  result = video_encoding.encode_video(videos["paths"]["b1.mp4"], SETTINGS)
  assert result.ok, result.reason
  # 20 source frames at 10 fps = 2 s: 10 frames at 5 fps, every other source
  # frame (output time k / 5 s shows source frame 2 k).
  assert result.timestamps_us == [200_000 * k for k in range(10)]
  expected = [block_value(2 * k) for k in range(10)]
  assert np.max(np.abs(np.subtract(_blocks(result), expected))) <= 4
  assert (result.height, result.width) == (48, 64)
  assert SOURCE_FPS == 10.0


def test_encode_video_reports_instead_of_raising(videos):  # noqa: F811
  result = video_encoding.encode_video(videos["paths"]["notvideo.mp4"],
                                       SETTINGS)
  assert not result.ok and "cannot open as a video" in result.reason
  assert result.jpegs == []


@pytest.mark.slow
def test_a_worker_that_dies_is_pinned_on_its_video(videos):  # noqa: F811
  good = [videos["paths"][name] for name in ("b1.mp4", "g1.mp4")]
  paths = [good[0], _KillsItsWorker("poison.mp4"), good[1]]
  results = list(video_encoding.encode_all(paths, SETTINGS, num_workers=1))
  assert [r.ok for r in results] == [True, False, True]
  assert "crashed its worker process" in results[1].reason
  # The videos around the crash are encoded as without it, in order.
  for path, result in zip(good, (results[0], results[2])):
    alone = video_encoding.encode_video(path, SETTINGS)
    assert result.jpegs == alone.jpegs
    assert result.timestamps_us == alone.timestamps_us

r"""Decoding a video file to RGB frames at a constant frame rate.

Decoding (`decode_video`) uses OpenCV's FFmpeg backend. Frames are resampled to
a constant `fps` by timestamp: output frame `k` at time `k / fps` is the
source frame being displayed at that time (the last source frame whose
timestamp is <= `k / fps`), so lower rates drop frames and higher rates repeat
them; the output covers the source's duration (`ceil(duration * fps)` frames,
e.g. 20 frames at 10 fps -> 10 frames at 5 fps). Timestamps come from the
container (`CAP_PROP_POS_MSEC`) and fall back to `index / source_fps` when
those are unusable; when the container reports no usable frame rate,
`DEFAULT_SOURCE_FPS` (30) is assumed and a note is added to the report.
Frames are resized so the short side is `short_side` pixels (aspect kept;
`cv2.INTER_AREA` when shrinking, `INTER_LINEAR` when enlarging), optionally
cut to the first `max_frames` output frames, and JPEG-encoded with
`cv2.imencode` straight from OpenCV's BGR arrays, which yields standard
(RGB-correct) JPEGs: `tf.io.decode_jpeg` returns RGB.

See `DecodedVideo` for an example.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from typing import Any, Dict, Iterator, Optional, Tuple, Union

import cv2
import numpy as np

from tf_grw.core.errors import check_int
from tf_grw.core.errors import invalid_value

__all__ = ["DEFAULT_SOURCE_FPS", "DecodedVideo", "VideoDecodeError",
           "decode_video"]

DEFAULT_SOURCE_FPS = 30.0
# A video decoding to fewer than `reported - max(2, 5% of reported)` frames
# (with `reported` the container's frame count) counts as truncated/corrupt.
_TRUNCATION_FRACTION = 0.05
_TRUNCATION_MIN_FRAMES = 2
# Containers reporting a frame rate outside (0, _MAX_SOURCE_FPS] are unusable.
_MAX_SOURCE_FPS = 1000.0
_TIME_EPS = 1e-4  # Seconds; tolerance when comparing frame times.


class VideoDecodeError(Exception):
  """A video that cannot be used; `reason` says why (for the skip report).

  >>> VideoDecodeError("missing: file not found").reason
  'missing: file not found'
  """

  def __init__(self, reason: str):
    super().__init__(reason)
    self.reason = reason


@dataclasses.dataclass
class DecodedVideo:
  """Frames returned by `decode_video`.

  Attributes:
    frames: uint8 array [T, H, W, 3], RGB.
    timestamps: float array [T], seconds of each output frame (`k / fps`).
    source_fps: The container's frame rate (or `DEFAULT_SOURCE_FPS`).
    source_fps_assumed: True when the container reported no usable rate.
    num_source_frames: Number of source frames decoded.

  >>> import os, tempfile
  >>> import cv2
  >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
  >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
  ...                          (32, 24))
  >>> for k in range(20):
  ...   _ = writer.write(np.full((24, 32, 3), 10 * k, np.uint8))
  >>> writer.release()
  >>> video = decode_video(path, fps=5.0, short_side=12)
  >>> video.frames.shape, video.source_fps, video.timestamps[:3].tolist()
  ((10, 12, 16, 3), 10.0, [0.0, 0.2, 0.4])
  """
  frames: np.ndarray
  timestamps: np.ndarray
  source_fps: float
  source_fps_assumed: bool
  num_source_frames: int


def _open_capture(path: str):
  if not os.path.exists(path):
    raise VideoDecodeError("missing: file not found")
  if not os.path.isfile(path):
    raise VideoDecodeError("not a file")
  if os.path.getsize(path) == 0:
    raise VideoDecodeError("empty file (0 bytes)")
  backend = cv2.CAP_ANY
  try:
    if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):
      backend = cv2.CAP_FFMPEG  # Avoids e.g. the image-sequence reader.
  except AttributeError:
    pass
  cap = cv2.VideoCapture(path, backend)
  if not cap.isOpened():
    cap.release()
    raise VideoDecodeError(
        "cannot open as a video (corrupt, truncated or not a video)")
  return cap


def _resize_short_side(frame: np.ndarray, short_side: Optional[int]):
  if frame.ndim == 2:
    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
  elif frame.shape[2] == 4:
    frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
  height, width = frame.shape[:2]
  if short_side is None or min(height, width) == short_side:
    return frame
  scale = short_side / min(height, width)
  if height <= width:
    size = (max(1, int(math.floor(width * scale + 0.5))), short_side)
  else:
    size = (short_side, max(1, int(math.floor(height * scale + 0.5))))
  interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
  return cv2.resize(frame, size, interpolation=interpolation)


def _iter_frames(path: str, fps: float, short_side: Optional[int],
                 max_frames: Optional[int],
                 info: Dict[str, Any]
                 ) -> Iterator[Tuple[float, int, np.ndarray]]:
  """Yields `(time_s, source_index, bgr_frame)` resampled to `fps`.

  A source frame shown at several output times is yielded each time (same
  array, same `source_index`). Fills `info` with `source_fps`,
  `source_fps_assumed` and `num_source_frames`.

  Raises:
    VideoDecodeError: for unusable videos (after yielding what it could).
  """
  cap = _open_capture(path)
  try:
    source_fps = cap.get(cv2.CAP_PROP_FPS)
    assumed = not (math.isfinite(source_fps) and
                   0 < source_fps <= _MAX_SOURCE_FPS)
    if assumed:
      source_fps = DEFAULT_SOURCE_FPS
    info.update(source_fps=float(source_fps), source_fps_assumed=assumed,
                num_source_frames=0)
    reported = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    reported = int(reported) if math.isfinite(reported) and reported > 0 else 0

    count = 0  # Output frames yielded.
    decoded = 0
    origin = 0.0
    use_container_time = True
    prev = None  # (time, index, frame, resized or None)
    stopped = False
    while not stopped:
      ok, frame = cap.read()
      if not ok or frame is None:
        break
      raw = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
      if decoded == 0:
        if math.isfinite(raw) and raw >= 0:
          origin = raw
        else:
          use_container_time = False
        time = 0.0
      else:
        candidate = raw - origin
        if (use_container_time and math.isfinite(candidate) and
            candidate > prev[0] + 1e-6):
          time = candidate
        else:
          use_container_time = False
          time = prev[0] + 1.0 / source_fps
      if prev is not None:
        # `prev` is displayed during [prev_time, time).
        while count / fps < time - _TIME_EPS:
          if prev[3] is None:
            prev = prev[:3] + (_resize_short_side(prev[2], short_side),)
          yield count / fps, prev[1], prev[3]
          count += 1
          if max_frames is not None and count >= max_frames:
            stopped = True
            break
      prev = (time, decoded, frame, None)
      decoded += 1
      info["num_source_frames"] = decoded
    if not stopped and prev is not None:
      if decoded > 1 and assumed:
        duration = prev[0] / (decoded - 1)  # Mean frame interval.
      else:
        duration = 1.0 / source_fps
      resized = _resize_short_side(prev[2], short_side)
      while count / fps < prev[0] + duration - _TIME_EPS:
        yield count / fps, prev[1], resized
        count += 1
        if max_frames is not None and count >= max_frames:
          stopped = True
          break
    if decoded == 0:
      raise VideoDecodeError("no decodable frames")
    tolerance = max(_TRUNCATION_MIN_FRAMES, _TRUNCATION_FRACTION * reported)
    if not stopped and reported and decoded + tolerance < reported:
      raise VideoDecodeError(
          f"truncated or corrupt: decoded {decoded} of the {reported} frames "
          "the container announces")
  finally:
    cap.release()


def _check_fps(fps):
  if (not isinstance(fps, numbers.Real) or isinstance(fps, bool) or
      not math.isfinite(fps) or fps <= 0):
    raise invalid_value("fps", "a float > 0", fps)
  return float(fps)


def decode_video(path: Union[str, os.PathLike], fps: float = 25.0,
                 short_side: Optional[int] = 256,
                 max_frames: Optional[int] = None) -> DecodedVideo:
  """Decodes a video to RGB frames resampled to `fps`, short side resized.

  Output frame `k` (time `k / fps`) is the source frame displayed at that
  time; the output spans the source's duration.

  Args:
    path: The video file.
    fps: Output frame rate (> 0).
    short_side: Short side of the output frames in pixels (aspect kept), or
      None to keep the source size.
    max_frames: Keep at most this many output frames (the first ones), or None.

  Returns:
    A `DecodedVideo`.

  Raises:
    VideoDecodeError: if the file is missing, empty, cannot be opened, has no
      decodable frame, or decodes to clearly fewer frames than announced.
    ValueError: on invalid arguments.

  Example:

  >>> import os, tempfile
  >>> import cv2
  >>> import numpy as np
  >>> path = os.path.join(tempfile.mkdtemp(), "clip.avi")
  >>> writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
  ...                          (64, 48))
  >>> for k in range(20):  # 2 s at 10 fps.
  ...   _ = writer.write(np.full((48, 64, 3), 10 * k, np.uint8))
  >>> writer.release()
  >>> video = decode_video(path, fps=5.0, short_side=24)
  >>> video.frames.shape, video.frames.dtype  # 2 s at 5 fps, RGB.
  ((10, 24, 32, 3), dtype('uint8'))
  """
  fps = _check_fps(fps)
  short_side = check_int("short_side", short_side, 1, allow_none=True)
  max_frames = check_int("max_frames", max_frames, 1, allow_none=True)
  info: Dict[str, Any] = {}
  frames, times = [], []
  last_index, last_rgb = -1, None
  for time, index, frame in _iter_frames(os.fspath(path), fps, short_side,
                                         max_frames, info):
    if index != last_index:
      last_index, last_rgb = index, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    frames.append(last_rgb)
    times.append(time)
  return DecodedVideo(frames=np.stack(frames),
                      timestamps=np.asarray(times, np.float64),
                      source_fps=info["source_fps"],
                      source_fps_assumed=info["source_fps_assumed"],
                      num_source_frames=info["num_source_frames"])

"""Decodes and JPEG-encodes videos in crash-isolated worker processes.

`encode_all` yields one `EncodedVideo` per path, in order, from `num_workers`
spawned processes (never forked: the parent runs TensorFlow). A video never
raises: an unreadable file, a decode error or a decoder that kills its
worker process (a segfault on a corrupt file) becomes a result with
`ok=False` and a readable `reason`, and the other videos go on. After a
worker dies, the videos that were in flight are rerun one per fresh process,
so the failure is pinned on the video that caused it. The workers call
OpenCV only (no TensorFlow) and are spawn-safe top-level functions.
"""

import collections
from concurrent import futures
import dataclasses
import multiprocessing
from typing import Any, Dict, Iterator, List, Optional, Sequence

from absl import logging
import cv2

from tf_grw.datasets.video_decoding import _iter_frames
from tf_grw.datasets.video_decoding import DEFAULT_SOURCE_FPS
from tf_grw.datasets.video_decoding import VideoDecodeError

__all__ = ["EncodeSettings", "EncodedVideo", "encode_all", "encode_video"]


@dataclasses.dataclass(frozen=True)
class EncodeSettings:
  """How to turn a video into frames: see `prepare_records`' arguments.

  >>> EncodeSettings(fps=5.0, short_side=128, max_frames=None,
  ...                jpeg_quality=90).short_side
  128
  """
  fps: float
  short_side: Optional[int]
  max_frames: Optional[int]
  jpeg_quality: int


@dataclasses.dataclass
class EncodedVideo:
  """One video's JPEG frames and timestamps, or why it was skipped.

  Example (a path that does not exist is reported, not raised):

  >>> settings = EncodeSettings(fps=10.0, short_side=None, max_frames=None,
  ...                           jpeg_quality=90)
  >>> result = encode_video("/no/such/video.mp4", settings)
  >>> result.ok, bool(result.reason)
  (False, True)
  """
  ok: bool
  reason: str = ""
  jpegs: List[bytes] = dataclasses.field(default_factory=list)
  timestamps_us: List[int] = dataclasses.field(default_factory=list)
  height: int = 0
  width: int = 0
  note: str = ""


def _init_worker():
  cv2.setNumThreads(1)


def encode_video(path: str, settings: EncodeSettings) -> EncodedVideo:
  """Decodes, resamples, resizes and JPEG-encodes one video; never raises."""
  info: Dict[str, Any] = {}
  try:
    jpegs, times = [], []
    last_index, last_jpeg, shape = -1, b"", (0, 0)
    params = [int(cv2.IMWRITE_JPEG_QUALITY), settings.jpeg_quality]
    for time, index, frame in _iter_frames(path, settings.fps,
                                           settings.short_side,
                                           settings.max_frames, info):
      if index != last_index:
        # OpenCV frames are BGR and imencode expects BGR: the JPEG is RGB.
        ok, buffer = cv2.imencode(".jpg", frame, params)
        if not ok:
          raise VideoDecodeError("JPEG encoding failed")
        last_index, last_jpeg, shape = index, buffer.tobytes(), frame.shape[:2]
      jpegs.append(last_jpeg)
      times.append(int(round(time * 1e6)))
  except VideoDecodeError as e:
    return EncodedVideo(ok=False, reason=e.reason)
  except Exception as e:  # pylint: disable=broad-except
    return EncodedVideo(ok=False,
                        reason=f"decode error: {type(e).__name__}: {e}")
  note = ""
  if info.get("source_fps_assumed"):
    note = ("container reports no usable frame rate; assumed "
            f"{DEFAULT_SOURCE_FPS:g} fps where timestamps were missing")
  return EncodedVideo(ok=True, jpegs=jpegs, timestamps_us=times,
                      height=int(shape[0]), width=int(shape[1]), note=note)


def _crashed_result() -> EncodedVideo:
  return EncodedVideo(
      ok=False, reason="the decoder crashed its worker process (corrupt "
      "video?)")


def _run_isolated(path: str, settings: EncodeSettings,
                  context) -> EncodedVideo:
  executor = futures.ProcessPoolExecutor(1, mp_context=context,
                                         initializer=_init_worker)
  try:
    return executor.submit(encode_video, path, settings).result()
  except futures.process.BrokenProcessPool:
    return _crashed_result()
  except Exception as e:  # pylint: disable=broad-except
    return EncodedVideo(ok=False, reason=f"worker error: {e!r}")
  finally:
    executor.shutdown(wait=True, cancel_futures=True)


def encode_all(paths: Sequence[str], settings: EncodeSettings,
                num_workers: int) -> Iterator[EncodedVideo]:
  """Yields `encode_video` results in the order of `paths`."""
  if num_workers == 0:
    for path in paths:
      yield encode_video(path, settings)
    return
  context = multiprocessing.get_context("spawn")  # TF in the parent: no fork.
  window = 4 * num_workers
  done = 0
  while done < len(paths):
    executor = futures.ProcessPoolExecutor(
        num_workers, mp_context=context, initializer=_init_worker)
    pending = collections.deque()
    submitted = done
    broken = False
    try:
      while done < len(paths):
        while submitted < len(paths) and len(pending) < window:
          pending.append(executor.submit(encode_video, paths[submitted],
                                         settings))
          submitted += 1
        try:
          result = pending[0].result()
        except futures.process.BrokenProcessPool:
          broken = True
          break
        except Exception as e:  # pylint: disable=broad-except
          result = EncodedVideo(ok=False, reason=f"worker error: {e!r}")
        pending.popleft()
        done += 1
        yield result
    except futures.process.BrokenProcessPool:  # Raised by submit().
      broken = True
    finally:
      executor.shutdown(wait=not broken, cancel_futures=True)
    if broken:
      # A worker died (e.g. a decoder segfault). Rerun the in-flight videos
      # one at a time in fresh processes to pin it on the culprit.
      logging.warning("A video worker process died; retrying %d videos one "
                      "at a time.", max(1, submitted - done))
      for index in range(done, max(submitted, done + 1)):
        done += 1
        yield _run_isolated(paths[index], settings, context)

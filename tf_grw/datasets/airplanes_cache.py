"""Rendered airplanes splits as NumPy arrays, cached on disk.

`make demo` and the evidence study (`benchmarks/grw_study.py`) train on the
same in-memory clips; this renders a split once (with a progress bar when
asked), writes it atomically to an `.npz` named after every rendering
parameter, and loads it on later calls.
"""

import os
import sys
from typing import Tuple

import numpy as np

from tf_grw.datasets import airplanes

__all__ = ["cached_split"]


def cached_split(cache_dir: str,
                 split: str,
                 num_clips: int,
                 num_frames: int,
                 resolution: int,
                 data_seed: int = 0,
                 *,
                 jitter: float = 1.0,
                 noise: float = 0.01,
                 progress: bool = False) -> Tuple[np.ndarray, np.ndarray]:
  """Returns `(videos uint8 [N, T, H, W, 3], labels int64 [N])` of a split.

  The clips are `airplanes.iter_split(num_clips, num_frames, resolution,
  seed=airplanes.split_seed(data_seed, split), jitter=jitter, noise=noise)`.

  Args:
    cache_dir: folder of the cached `.npz` files (created if missing).
    split: split name, e.g. "train" or "test" (it seeds the split).
    num_clips, num_frames, resolution: clip count and size.
    data_seed: base seed of the data (different seeds: different clips).
    jitter, noise: renderer nuisance, as in `airplanes.iter_split`.
    progress: show a tqdm progress bar while rendering.

  Example:

  >>> import tempfile
  >>> with tempfile.TemporaryDirectory() as tmp:
  ...   x, y = cached_split(tmp, "test", 3, 4, 16)
  ...   x2, _ = cached_split(tmp, "test", 3, 4, 16)  # Loaded from the cache.
  >>> x.shape, y.shape, bool((x == x2).all())
  ((3, 4, 16, 16, 3), (3,), True)
  """
  seed = airplanes.split_seed(data_seed, split)
  chunks = airplanes.iter_split(num_clips, num_frames, resolution, seed=seed,
                                jitter=jitter, noise=noise)  # Validates.
  path = os.path.join(
      cache_dir, f"airplanes_{split}_{num_clips}_{num_frames}f_{resolution}px"
      f"_noise{noise:g}_jitter{jitter:g}_data{data_seed}.npz")
  if os.path.exists(path):
    with np.load(path) as data:
      return data["videos"], data["labels"]
  videos = np.zeros((num_clips, num_frames, resolution, resolution, 3),
                    np.uint8)
  labels = np.zeros((num_clips,), np.int64)
  bar = None
  if progress:
    import tqdm  # pylint: disable=g-import-not-at-top
    bar = tqdm.tqdm(total=num_clips, desc=f"rendering {split} clips",
                    unit="clip", file=sys.stdout)
  for first, chunk, chunk_labels in chunks:
    videos[first:first + len(chunk)] = chunk
    labels[first:first + len(chunk)] = chunk_labels
    if bar is not None:
      bar.update(len(chunk))
  if bar is not None:
    bar.close()
  os.makedirs(cache_dir, exist_ok=True)
  tmp = path + ".tmp.npz"
  np.savez(tmp, videos=videos, labels=labels)
  os.replace(tmp, path)  # Atomic: a killed run never leaves a torn cache.
  return videos, labels

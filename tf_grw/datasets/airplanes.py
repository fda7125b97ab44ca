"""Seeded splits of the "rotating airplanes" videos, and their TFDS builder.

The clips themselves (a biplane spinning about its yaw, pitch or roll axis
from a uniformly random pose, so that no single frame tells the class) are
drawn by :mod:`tf_grw.datasets.airplane_renderer`. This module turns a seed
into reproducible, balanced splits.

Two entry points:

  * :func:`generate_split` (and the chunked :func:`iter_split`): a fast path
    that returns NumPy arrays directly, no TFDS involved. Clip ``i`` of a split
    depends only on ``(seed, i)`` and the rendering arguments, so results are
    deterministic and independent of chunking.
  * :class:`GrwAirplanes`, a TensorFlow Datasets builder named
    ``"grw_airplanes"`` (configs ``"default"``, ``"small"``, ``"large"`` or a
    custom :class:`GrwAirplanesConfig`) that renders the same clips with no
    download.

`CLASS_NAMES`, `render_clip` and `rotation_sequence` are re-exported from the
renderer for convenience.

Example:

  >>> videos, labels = generate_split(num_clips=8, num_frames=16,
  ...                                 resolution=64, seed=0)
  >>> videos.shape, videos.dtype, labels.shape
  ((8, 16, 64, 64, 3), dtype('uint8'), (8,))
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, Optional, Sequence, Tuple

from etils import epath
import numpy as np
import tensorflow_datasets as tfds

from tf_grw.core.errors import check_float
from tf_grw.core.errors import check_int
from tf_grw.datasets.airplane_renderer import CLASS_NAMES
from tf_grw.datasets.airplane_renderer import DEFAULT_SPEED_RANGE
from tf_grw.datasets.airplane_renderer import check_render_args
from tf_grw.datasets.airplane_renderer import render_clip
from tf_grw.datasets.airplane_renderer import render_clips
from tf_grw.datasets.airplane_renderer import rotation_sequence

__all__ = [
    "CLASS_NAMES",
    "GrwAirplanes",
    "GrwAirplanesConfig",
    "clip_rng",
    "generate_split",
    "iter_split",
    "render_clip",
    "rotation_sequence",
    "split_labels",
    "split_seed",
]

_PIXELS_PER_CHUNK = 1 << 21  # Supersampled pixels rendered per batch.
_DESCRIPTION = (
    "Procedural videos of a small biplane spinning about one of its own body "
    "axes from a uniformly random initial orientation (GRW warm-up "
    "experiment of Goldman et al., NeurIPS 2025). Labels: 0 yaw, 1 pitch, "
    "2 roll. Every single frame has the same distribution in all classes, so "
    "only the motion reveals the label.")
_CITATION = """\
@inproceedings{goldman2025smooth,
  title={Smooth Regularization for Efficient Video Recognition},
  author={Goldman and others},
  booktitle={Advances in Neural Information Processing Systems},
  year={2025},
}"""


def split_seed(seed: int, split: str) -> int:
  """Derives the seed of a named split ("train", "test", ...) from `seed`."""
  seed = check_int("seed", seed, 0)
  entropy = [seed] + [ord(ch) for ch in split]
  return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def split_labels(num_clips: int, seed: int) -> np.ndarray:
  """Balanced labels (counts differ by at most 1), shuffled by `seed`."""
  num_clips = check_int("num_clips", num_clips, 1)
  seed = check_int("seed", seed, 0)
  labels = np.arange(num_clips) % len(CLASS_NAMES)
  return np.random.default_rng([seed, 2**32 - 1]).permutation(labels)


def clip_rng(seed: int, index: int) -> np.random.Generator:
  """The generator of clip `index` of the split seeded by `seed`."""
  return np.random.default_rng([seed, index])


def iter_split(num_clips: int,
               num_frames: int = 16,
               resolution: int = 64,
               seed: int = 0,
               *,
               jitter: float = 1.0,
               noise: float = 0.01,
               supersample: int = 2,
               speed_range: Sequence[float] = DEFAULT_SPEED_RANGE,
               chunk_size: Optional[int] = None,
               ) -> Iterator[Tuple[int, np.ndarray, np.ndarray]]:
  """Yields a split in chunks as ``(start_index, videos, labels)``.

  Same arguments as :func:`generate_split`, plus `chunk_size` (clips per chunk;
  by default about 2M supersampled pixels, i.e. 8 clips of 16x64x64 at
  ``supersample=2``). Clip ``i`` is
  ``render_clip(labels[i], numpy.random.default_rng([seed, i]), ...)`` with
  ``labels = split_labels(num_clips, seed)``, whatever the chunking.

  Returns:
    An iterator of ``(start, videos uint8 [n, T, H, W, 3], labels int [n])``.
  """
  num_clips = check_int("num_clips", num_clips, 1)
  seed = check_int("seed", seed, 0)
  num_frames, resolution, jitter, noise, supersample, speed_range = (
      check_render_args(num_frames, resolution, jitter, noise, supersample,
                    speed_range))
  if chunk_size is None:
    pixels = num_frames * (resolution * supersample)**2
    chunk_size = max(1, _PIXELS_PER_CHUNK // pixels)
  chunk_size = check_int("chunk_size", chunk_size, 1)
  labels = split_labels(num_clips, seed)

  def chunks():
    for start in range(0, num_clips, chunk_size):
      stop = min(start + chunk_size, num_clips)
      rngs = [clip_rng(seed, i) for i in range(start, stop)]
      videos, _ = render_clips(labels[start:stop], rngs, num_frames,
                                resolution, jitter, noise, supersample,
                                speed_range)
      yield start, videos, labels[start:stop]

  # Arguments are validated above, when `iter_split` is called, rather than
  # on the first `next()`.
  return chunks()


def generate_split(num_clips: int,
                   num_frames: int = 16,
                   resolution: int = 64,
                   seed: int = 0,
                   *,
                   jitter: float = 1.0,
                   noise: float = 0.01,
                   supersample: int = 2,
                   speed_range: Sequence[float] = DEFAULT_SPEED_RANGE,
                   ) -> Tuple[np.ndarray, np.ndarray]:
  """Renders a whole split in memory (fast path, no TFDS).

  Args:
    num_clips: number of clips ``N`` (>= 1). Labels are balanced (class counts
      differ by at most one) and shuffled.
    num_frames: frames per clip ``T`` (>= 2).
    resolution: frame side ``H = W`` in pixels (>= 8).
    seed: non-negative integer; the output is a deterministic function of the
      arguments.
    jitter: maximum camera translation per frame and axis, in pixels.
    noise: per-frame Gaussian pixel noise std, in [0, 1] intensity units.
    supersample: anti-aliasing factor (1 disables it).
    speed_range: (min, max) angular speed in degrees per frame.

  Returns:
    ``(videos, labels)``: uint8 [N, T, H, W, 3] and int64 [N] in {0, 1, 2}
    (0: yaw, 1: pitch, 2: roll).
  """
  chunks = list(iter_split(num_clips, num_frames, resolution, seed,
                           jitter=jitter, noise=noise, supersample=supersample,
                           speed_range=speed_range))
  videos = np.concatenate([c[1] for c in chunks])
  labels = np.concatenate([c[2] for c in chunks]).astype(np.int64)
  return videos, labels


# ---------------------------------------------------------------------------
# TensorFlow Datasets builder.
# ---------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class GrwAirplanesConfig(tfds.core.BuilderConfig):
  """Configuration of :class:`GrwAirplanes`.

  A custom config needs a name distinct from the built-in ones; configs are
  stored under ``<data_dir>/grw_airplanes/<name>/<version>``, so give
  different parameters different names.

  Attributes:
    num_train: number of training clips.
    num_test: number of test clips.
    num_frames: frames per clip.
    resolution: frame height and width in pixels.
    seed: base seed; train and test use seeds derived from it with
      :func:`split_seed`.
    jitter: maximum camera translation per frame, in pixels.
    noise: per-frame Gaussian pixel noise std, in [0, 1] intensity units.

  >>> config = GrwAirplanesConfig(name="tiny", num_train=4, num_test=2,
  ...                             num_frames=4, resolution=16)
  >>> config.name, config.num_train, config.noise
  ('tiny', 4, 0.01)
  >>> GrwAirplanesConfig(name="bad", resolution=4)
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `resolution`. Expected an integer >= 8. Received: resolution=4
  """
  num_train: int = 1000
  num_test: int = 100
  num_frames: int = 16
  resolution: int = 64
  seed: int = 0
  jitter: float = 1.0
  noise: float = 0.01

  def __post_init__(self):
    check_int("num_train", self.num_train, 1)
    check_int("num_test", self.num_test, 1)
    check_int("num_frames", self.num_frames, 2)
    check_int("resolution", self.resolution, 8)
    check_int("seed", self.seed, 0)
    check_float("jitter", self.jitter)
    check_float("noise", self.noise)


class GrwAirplanes(tfds.core.GeneratorBasedBuilder):
  """Procedural biplane rotating about its yaw, pitch or roll axis.

  A TFDS builder (registered as "grw_airplanes" by importing
  `tf_grw.datasets`); a small custom config builds in seconds:

  >>> import contextlib, io, tempfile
  >>> import tensorflow_datasets as tfds
  >>> builder = GrwAirplanes(
  ...     data_dir=tempfile.mkdtemp(),
  ...     config=GrwAirplanesConfig(name="tiny", num_train=4, num_test=2,
  ...                               num_frames=4, resolution=16))
  >>> with contextlib.redirect_stdout(io.StringIO()):  # TFDS's progress.
  ...   builder.download_and_prepare()
  >>> clip = next(iter(tfds.as_numpy(builder.as_dataset(split="test"))))
  >>> clip["video"].shape, clip["video"].dtype
  ((4, 16, 16, 3), dtype('uint8'))
  """

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Initial release."}
  BUILDER_CONFIGS = [
      GrwAirplanesConfig(
          name="default",
          description="1000 train / 100 test clips of 16 frames at 64x64 "
          "(the paper's warm-up setting).",
          num_train=1000, num_test=100),
      GrwAirplanesConfig(
          name="small",
          description="Quick-look: 300 train / 60 test clips, 16x64x64.",
          num_train=300, num_test=60),
      GrwAirplanesConfig(
          name="large",
          description="10000 train / 1000 test clips of 16 frames at 64x64.",
          num_train=10000, num_test=1000),
  ]
  DEFAULT_CONFIG_NAME = "default"

  @tfds.core.utils.classproperty
  @classmethod
  def code_path(cls) -> epath.Path:
    """Path of this module.

    Overrides the base implementation, which in tensorflow-datasets 4.9.10
    evaluates `importlib_resources.abc` for builders living in a package and
    so fails with "No module named 'importlib_resources'" on Python >= 3.9
    unless that backport happens to be installed
    (https://github.com/tensorflow/datasets/issues/11212).
    """
    return epath.Path(__file__)

  def _info(self) -> tfds.core.DatasetInfo:
    cfg = self.builder_config
    return self.dataset_info_from_configs(
        description=_DESCRIPTION,
        features=tfds.features.FeaturesDict({
            "video": tfds.features.Video(
                shape=(cfg.num_frames, cfg.resolution, cfg.resolution, 3)),
            "label": tfds.features.ClassLabel(names=list(CLASS_NAMES)),
            "clip_id": np.int64,
        }),
        supervised_keys=("video", "label"),
        citation=_CITATION,
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Procedural: nothing to download.
    cfg = self.builder_config
    return {
        "train": self._generate_examples(cfg.num_train,
                                         split_seed(cfg.seed, "train")),
        "test": self._generate_examples(cfg.num_test,
                                        split_seed(cfg.seed, "test")),
    }

  def _generate_examples(self, num_clips, seed):
    cfg = self.builder_config
    for start, videos, labels in iter_split(
        num_clips, cfg.num_frames, cfg.resolution, seed, jitter=cfg.jitter,
        noise=cfg.noise):
      for i, (video, label) in enumerate(zip(videos, labels)):
        clip_id = start + i
        yield clip_id, {"video": video, "label": int(label),
                        "clip_id": clip_id}

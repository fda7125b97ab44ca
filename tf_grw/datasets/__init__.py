"""Datasets for tf_grw; importing this package registers the TFDS builders.

After ``import tf_grw.datasets``, ``tfds.load("grw_airplanes")`` builds the
procedural rotating-airplanes dataset (see :mod:`tf_grw.datasets.airplanes`).

Holds the airplanes renderer (`airplane_renderer`: one clip from a random
generator), its seeded splits and TFDS builder (`airplanes`), its cached
splits (`airplanes_cache`) and TFRecords (`airplanes_records`); the
video-file-to-TFRecord preparation (`video_listing` reads listings,
`label_map` the class indices, `video_decoding` decodes the frames,
`video_encoding` JPEG-encodes them in crash-isolated worker processes,
`video_records` writes the resumable shards; `video_files` holds their
shared file checks); and the SequenceExample keys both record writers share
(`record_keys`).

May import: `tf_grw.core`, TensorFlow, TFDS and OpenCV. Never
`tf_grw.models`, `tf_grw.modelgarden`, `tf_grw.export` or
`tf_grw.analysis` (tested in `tests/layout_test.py`).
"""

from tf_grw.datasets import airplane_renderer
from tf_grw.datasets import airplanes
from tf_grw.datasets.airplanes import CLASS_NAMES
from tf_grw.datasets.airplanes import generate_split
from tf_grw.datasets.airplanes import GrwAirplanes
from tf_grw.datasets.airplanes import GrwAirplanesConfig
from tf_grw.datasets.airplanes import iter_split
from tf_grw.datasets.airplanes import render_clip
from tf_grw.datasets.airplanes import rotation_sequence
from tf_grw.datasets.airplanes import split_labels
from tf_grw.datasets.airplanes import split_seed

__all__ = [
    "CLASS_NAMES",
    "GrwAirplanes",
    "GrwAirplanesConfig",
    "airplane_renderer",
    "airplanes",
    "generate_split",
    "iter_split",
    "render_clip",
    "rotation_sequence",
    "split_labels",
    "split_seed",
]

"""Tests for the procedural rotating-airplanes dataset (tf_grw.datasets)."""

import re

import numpy as np
import pytest
import tensorflow_datasets as tfds

import tf_grw.datasets  # noqa: F401  (registers "grw_airplanes")
from tf_grw.datasets import airplanes


def _error(name, expected, value):
  return re.escape(
      f"Invalid value received for argument `{name}`. Expected {expected}. "
      f"Received: {name}={value!r}")


# ---------------------------------------------------------------------------
# NumPy fast path.
# ---------------------------------------------------------------------------


def test_generate_split_shapes_dtypes_and_labels():
  videos, labels = airplanes.generate_split(7, num_frames=5, resolution=24,
                                            seed=3)
  assert videos.shape == (7, 5, 24, 24, 3)
  assert videos.dtype == np.uint8
  assert labels.shape == (7,)
  assert np.issubdtype(labels.dtype, np.integer)
  assert set(labels.tolist()) <= {0, 1, 2}
  # Balanced: class counts differ by at most one.
  counts = np.bincount(labels, minlength=3)
  assert counts.max() - counts.min() <= 1
  assert airplanes.CLASS_NAMES == ("yaw", "pitch", "roll")


def test_generate_split_is_deterministic():
  kwargs = dict(num_frames=4, resolution=16)
  v1, l1 = airplanes.generate_split(6, seed=11, **kwargs)
  v2, l2 = airplanes.generate_split(6, seed=11, **kwargs)
  assert v1.tobytes() == v2.tobytes()
  np.testing.assert_array_equal(l1, l2)
  v3, _ = airplanes.generate_split(6, seed=12, **kwargs)
  assert v1.tobytes() != v3.tobytes()


def test_clips_independent_of_chunking_and_match_render_clip():
  kwargs = dict(num_frames=4, resolution=16, seed=5)
  videos, labels = airplanes.generate_split(5, **kwargs)
  chunks = list(airplanes.iter_split(5, chunk_size=2, **kwargs))
  assert [c[0] for c in chunks] == [0, 2, 4]
  np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), videos)
  np.testing.assert_array_equal(
      labels, airplanes.split_labels(5, kwargs["seed"]))
  for i in (0, 3):
    clip = airplanes.render_clip(int(labels[i]),
                                 np.random.default_rng([kwargs["seed"], i]),
                                 num_frames=4, resolution=16)
    np.testing.assert_array_equal(clip, videos[i])


def test_split_seeds_differ_and_are_deterministic():
  assert airplanes.split_seed(0, "train") == airplanes.split_seed(0, "train")
  assert airplanes.split_seed(0, "train") != airplanes.split_seed(0, "test")
  assert airplanes.split_seed(0, "train") != airplanes.split_seed(1, "train")


# ---------------------------------------------------------------------------
# Single frames carry no label information.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_data():
  # 900 clips of 8 frames at 32x32: ~3 s on 2 cores.
  videos, labels = airplanes.generate_split(900, num_frames=8, resolution=32,
                                            seed=2024)
  return videos.astype(np.float32) / 255.0, labels


def _pool(frames, k):
  *lead, h, w, c = frames.shape
  return frames.reshape(*lead, h // k, k, w // k, k, c).mean((-4, -2))


def _ridge_probe(x_train, y_train, x_test, y_test, lam=0.1):
  """One-vs-all ridge classifier; returns held-out accuracy."""
  mu, sd = x_train.mean(0), x_train.std(0) + 1e-6
  x_train = np.c_[(x_train - mu) / sd, np.ones(len(x_train))]
  x_test = np.c_[(x_test - mu) / sd, np.ones(len(x_test))]
  gram = x_train.T @ x_train + lam * len(x_train) * np.eye(x_train.shape[1])
  weights = np.linalg.solve(gram, x_train.T @ np.eye(3)[y_train])
  return float(((x_test @ weights).argmax(1) == y_test).mean())


def test_first_frame_statistics_match_across_classes(probe_data):
  videos, labels = probe_data
  first = videos[:, 0]
  stats = np.concatenate([
      first.mean((1, 2)),  # Per-channel means.
      first.std((1, 2)),  # Per-channel contrast.
      (np.abs(first - np.median(first, (1, 2), keepdims=True)).max(-1) > 0.1
      ).mean((1, 2))[:, None],  # Rough foreground fraction.
  ], axis=1)
  overall_mean = stats.mean(0)
  overall_std = stats.std(0)
  for c in range(3):
    s = stats[labels == c]
    # Class means within 4 standard errors of the overall mean ...
    np.testing.assert_array_less(np.abs(s.mean(0) - overall_mean),
                                 4 * overall_std / np.sqrt(len(s)))
    # ... and class spreads within 15% of the overall spread.
    np.testing.assert_array_less(np.abs(s.std(0) / overall_std - 1), 0.15)


@pytest.mark.parametrize("pool", [4, 8])
def test_single_frame_linear_probe_is_at_chance(probe_data, pool):
  videos, labels = probe_data
  feats = _pool(videos, pool)  # [N, T, h, w, 3]
  n_train, num_frames = 600, videos.shape[1]
  x_train = feats[:n_train].reshape(n_train * num_frames, -1)
  y_train = np.repeat(labels[:n_train], num_frames)
  x_test = feats[n_train:].reshape(-1, x_train.shape[1])
  y_test = np.repeat(labels[n_train:], num_frames)
  accuracy = _ridge_probe(x_train, y_train, x_test, y_test)
  assert accuracy <= 0.45, accuracy  # Chance is 1/3.


# ---------------------------------------------------------------------------
# TFDS builder.
# ---------------------------------------------------------------------------


def test_builder_is_registered(tmp_path):
  assert "grw_airplanes" in tfds.list_builders(with_community_datasets=False)
  builder = tfds.builder("grw_airplanes", data_dir=tmp_path)
  assert isinstance(builder, airplanes.GrwAirplanes)
  assert builder.builder_config.name == "default"
  assert str(builder.version) == "1.0.0"
  assert {"default", "small", "large"} <= set(builder.builder_configs)
  default = builder.builder_config
  assert (default.num_train, default.num_test) == (1000, 100)
  assert builder.info.features["video"].shape == (16, 64, 64, 3)
  assert builder.info.features["label"].names == ["yaw", "pitch", "roll"]
  large = tfds.builder("grw_airplanes/large", data_dir=tmp_path)
  assert (large.builder_config.num_train,
          large.builder_config.num_test) == (10000, 1000)


def test_builder_prepares_and_loads_custom_config(tmp_path):
  config = airplanes.GrwAirplanesConfig(
      name="tiny_test", num_train=12, num_test=6, num_frames=4, resolution=16,
      seed=3)
  builder = airplanes.GrwAirplanes(config=config, data_dir=tmp_path)
  builder.download_and_prepare()
  assert builder.info.splits["train"].num_examples == 12
  assert builder.info.splits["test"].num_examples == 6
  for split, n in (("train", 12), ("test", 6)):
    expected, expected_labels = airplanes.generate_split(
        n, num_frames=4, resolution=16,
        seed=airplanes.split_seed(3, split), jitter=config.jitter,
        noise=config.noise)
    examples = list(tfds.as_numpy(builder.as_dataset(split=split)))
    assert sorted(int(ex["clip_id"]) for ex in examples) == list(range(n))
    for ex in examples:
      assert ex["video"].shape == (4, 16, 16, 3)
      assert ex["video"].dtype == np.uint8
      assert 0 <= ex["label"] < 3
      i = int(ex["clip_id"])
      assert ex["label"] == expected_labels[i]
      np.testing.assert_array_equal(ex["video"], expected[i])
  # Supervised view.
  video, label = next(iter(builder.as_dataset(split="test",
                                              as_supervised=True)))
  assert video.shape == (4, 16, 16, 3) and label.shape == ()


# ---------------------------------------------------------------------------
# Argument validation.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,name,expected,value", [
    (dict(num_frames=1), "num_frames", "an integer >= 2", 1),
    (dict(num_frames=True), "num_frames", "an integer >= 2", True),
    (dict(num_frames=4.0), "num_frames", "an integer >= 2", 4.0),
    (dict(resolution=4), "resolution", "an integer >= 8", 4),
    (dict(seed=-1), "seed", "an integer >= 0", -1),
    (dict(jitter=-0.5), "jitter", "a finite number >= 0.0", -0.5),
    (dict(noise=float("nan")), "noise", "a finite number >= 0.0",
     float("nan")),
    (dict(supersample=0), "supersample", "an integer >= 1", 0),
    (dict(num_clips=0), "num_clips", "an integer >= 1", 0),
])
def test_generate_split_rejects_bad_arguments(kwargs, name, expected, value):
  args = dict(num_clips=2, num_frames=4, resolution=16, seed=0)
  args.update(kwargs)
  with pytest.raises(ValueError, match=_error(name, expected, value)):
    airplanes.generate_split(**args)
  # iter_split validates eagerly, before the first chunk is requested.
  with pytest.raises(ValueError, match=_error(name, expected, value)):
    airplanes.iter_split(**args)


def test_iter_split_rejects_a_bad_chunk_size():
  with pytest.raises(ValueError, match=_error("chunk_size", "an integer >= 1",
                                              0)):
    airplanes.iter_split(3, chunk_size=0)


def test_config_rejects_bad_arguments():
  with pytest.raises(ValueError,
                     match=_error("num_train", "an integer >= 1", 0)):
    airplanes.GrwAirplanesConfig(name="bad", num_train=0)
  with pytest.raises(ValueError,
                     match=_error("num_frames", "an integer >= 2", 1)):
    airplanes.GrwAirplanesConfig(name="bad", num_frames=1)
  with pytest.raises(ValueError,
                     match=_error("noise", "a finite number >= 0.0", -1.0)):
    airplanes.GrwAirplanesConfig(name="bad", noise=-1.0)

"""Tests of `tf_grw.datasets.airplanes_cache`."""

import os

import numpy as np
import pytest

from tf_grw.datasets import airplanes
from tf_grw.datasets import airplanes_cache


def test_equals_the_renderer_and_is_reused(tmp_path):
  videos, labels = airplanes_cache.cached_split(
      str(tmp_path), "train", 5, 4, 16, data_seed=3, jitter=2.0, noise=0.05)
  expected = airplanes.generate_split(
      5, 4, 16, seed=airplanes.split_seed(3, "train"), jitter=2.0, noise=0.05)
  np.testing.assert_array_equal(videos, expected[0])
  np.testing.assert_array_equal(labels, expected[1])
  files = os.listdir(tmp_path)
  assert len(files) == 1 and not files[0].endswith(".tmp.npz")
  # The cached file is what a second call returns (overwrite it to prove it).
  path = os.path.join(tmp_path, files[0])
  np.savez(path, videos=np.zeros_like(videos), labels=labels)
  again, _ = airplanes_cache.cached_split(
      str(tmp_path), "train", 5, 4, 16, data_seed=3, jitter=2.0, noise=0.05)
  assert not again.any()


def test_other_parameters_other_files(tmp_path):
  a, _ = airplanes_cache.cached_split(str(tmp_path), "test", 3, 4, 16, 0)
  b, _ = airplanes_cache.cached_split(str(tmp_path), "test", 3, 4, 16, 1)
  c, _ = airplanes_cache.cached_split(str(tmp_path), "test", 3, 4, 16, 0,
                                      noise=0.2)
  assert len(os.listdir(tmp_path)) == 3
  assert (a != b).any() and (a != c).any()


def test_bad_arguments_fail_before_rendering(tmp_path):
  with pytest.raises(ValueError, match=r"Invalid value received for argument "
                     r"`noise`"):
    airplanes_cache.cached_split(str(tmp_path), "test", 3, 4, 16, noise=-1.0)
  assert not os.listdir(tmp_path)

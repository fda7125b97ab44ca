"""Tests for the per-endpoint smoothness profile (tf_grw.analysis.diagnosis).

The toy model's endpoints have values known in closed form: a pure clock
(clock share 1, the same order loss whatever the frame order), a linear
content path (acceleration 0, clock share near 0, a large order gap) and
i.i.d. noise (acceleration-to-velocity ratio 3 = Var(z2 - 2 z1 + z0) /
Var(z1 - z0) = 6 / 2, clock share near 0, order gap near 1).
"""

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from matplotlib.image import imread as plt_imread
from tf_grw.analysis.diagnosis import COLUMNS
from tf_grw.analysis.diagnosis import diagnose
from tf_grw.analysis.diagnosis import SmoothnessProfile
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order

N, T, SIZE = 48, 8, 4


def _toy_model():
  video = tf_keras.Input((T, SIZE, SIZE, 3))
  content = tf_keras.layers.Lambda(
      lambda v: tf.reduce_mean(v, axis=[2, 3]), name="content")(video)
  clock = tf_keras.layers.Lambda(
      lambda v: tf.tile(tf.range(float(T))[None, :, None] * [[[1.0, -2.0]]],
                        [tf.shape(v)[0], 1, 1]), name="clock")(video)
  noise = tf_keras.layers.Lambda(
      lambda v: tf.random.normal(tf.concat([tf.shape(v)[:2], [16]], 0)),
      name="noise")(video)
  pooled = tf_keras.layers.Lambda(lambda v: tf.reduce_mean(v, [1, 2, 3]),
                                  name="pooled")(video)  # Not per frame.
  return tf_keras.Model(video, [content, clock, noise, pooled])


def _clips(seed=0):
  """Each clip moves linearly in colour along its own random direction."""
  rng = np.random.default_rng(seed)
  t = np.arange(T, dtype=np.float64)[None, :, None, None, None]
  direction = rng.normal(size=(N, 1, 1, 1, 3))
  clips = 0.5 + 0.03 * t * direction
  return np.broadcast_to(clips, (N, T, SIZE, SIZE, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def toy_profile():
  tf.random.set_seed(0)
  labels = np.arange(N) % 2
  clips = _clips().copy()
  clips[labels == 1] += 0.5  # The label is in the mean colour.
  return diagnose(_toy_model(), clips, labels=labels)


def test_all_per_frame_layers_in_model_order(toy_profile):
  assert [r["endpoint"] for r in toy_profile.rows] == [
      "content", "clock", "noise"]  # `pooled` has no time axis.
  assert [r["channels"] for r in toy_profile.rows] == [3, 2, 16]
  assert (toy_profile.num_clips, toy_profile.num_frames,
          toy_profile.window) == (N, T, T)


def test_closed_form_values(toy_profile):
  content, clock, noise = toy_profile.rows
  # Clock: every clip identical; shuffling the input changes nothing.
  assert clock["clock_share"] == pytest.approx(1.0, abs=1e-9)
  assert clock["order_gap"] == pytest.approx(1.0, abs=1e-6)
  assert clock["accel_to_velocity"] == pytest.approx(0.0, abs=1e-9)
  # Linear content: no acceleration, straight, follows the frames.
  assert content["accel_to_velocity"] == pytest.approx(0.0, abs=1e-9)
  assert content["straightness"] == pytest.approx(1.0, abs=1e-9)
  assert content["clock_share"] < 0.1
  assert content["order_gap"] > 3.0
  # Noise: ratio 3 in expectation (48 clips x 6 steps x 16 channels).
  assert noise["accel_to_velocity"] == pytest.approx(3.0, rel=0.05)
  assert noise["clock_share"] < 0.05
  assert noise["order_gap"] == pytest.approx(1.0, abs=0.1)
  # The label is in the content's mean, not in the clock or the noise.
  assert content["probe_accuracy"] == 1.0
  assert clock["probe_accuracy"] == 0.5
  assert noise["probe_accuracy"] < 0.85


def test_table_and_csv(toy_profile):
  table = toy_profile.to_markdown().splitlines()
  assert table[0] == "| " + " | ".join(COLUMNS) + " |"
  assert len(table) == 2 + len(toy_profile.rows)
  assert table[3].startswith("| clock | 2 | 0.000 | 1.000 | 1.000 |")
  lines = toy_profile.to_csv().splitlines()
  assert lines[0] == ",".join(COLUMNS)
  assert lines[2].startswith("clock,2,")


def test_named_endpoints_and_no_labels():
  profile = diagnose(_toy_model(), _clips(), endpoints=["clock"], window=4)
  assert [r["endpoint"] for r in profile.rows] == ["clock"]
  assert profile.window == 4 and profile.rows[0]["probe_accuracy"] is None
  assert "| - |" in profile.to_markdown()


def _error(name):
  return re.escape(f"Invalid value received for argument `{name}`.")


@pytest.mark.parametrize("kwargs,name", [
    (dict(window=2), "window"),
    (dict(window=T + 1), "window"),
    (dict(endpoints=["nope"]), "endpoints"),
    (dict(endpoints=[]), "endpoints"),
    (dict(endpoints=["pooled"]), "endpoints"),
    (dict(labels=[0, 1]), "labels"),
])
def test_bad_arguments(kwargs, name):
  with pytest.raises(ValueError, match=_error(name)):
    diagnose(_toy_model(), _clips(), **kwargs)


def test_bad_clips_and_model():
  with pytest.raises(ValueError, match=_error("clips")):
    diagnose(_toy_model(), np.zeros((2, 2, SIZE, SIZE, 3)))
  with pytest.raises(ValueError, match=_error("model")):
    diagnose(object(), _clips())


@pytest.mark.slow
def test_movinet_profile_every_endpoint_in_depth_order():
  from tf_grw.models.movinet.movinet_grw import build_movinet_grw  # pylint: disable=g-import-not-at-top
  # The short A0 (tests/movinet_fixtures.py): every stage, one layer each.
  model = build_movinet_grw(SHORT, num_classes=3, num_frames=4, image_size=32,
                            head="transformer", window=3, embed_dim=8,
                            transformer_heads=2)
  clips = np.random.default_rng(0).integers(0, 256, (4, 4, 32, 32, 3),
                                            dtype=np.uint8)
  profile = diagnose(model, clips)
  names = [r["endpoint"] for r in profile.rows]
  assert names[0] == "stem" and names[-2:] == ["head", "embedding"]
  assert "block4_layer0" in names and "block0_layer0" in names
  assert profile.window == 4
  by_name = {r["endpoint"]: r for r in profile.rows}
  assert by_name["embedding"]["channels"] == 8
  for row in profile.rows:
    assert all(np.isfinite(row[c]) for c in COLUMNS[2:8]), row
  # Run frame by frame with states (the official stream model), the
  # backbone's profile equals the whole clip's.
  with pytest.raises(ValueError, match=_error("streaming")):
    diagnose(model, clips, streaming=True)  # No external states.
  stream = model.inference_model(streaming=True, max_frames=4, num_frames=1)
  streamed = diagnose(stream, clips, streaming=True)
  assert [r["endpoint"] for r in streamed.rows] == names[:-1]
  for row in streamed.rows:
    for column in COLUMNS[1:8]:
      np.testing.assert_allclose(row[column], by_name[row["endpoint"]][column],
                                 rtol=1e-4, err_msg=row["endpoint"])


def test_mobilenet_profile_every_block_then_the_embedding():
  from tf_grw.models.mobilenet.mobilenet_grw import build_mobilenet_grw  # pylint: disable=g-import-not-at-top
  model = build_mobilenet_grw(num_classes=3, filter_size_scale=0.35,
                              grw_endpoints=["block2"], window=3)
  plain = model.inference_model()  # The profile does not need GRW taps.
  clips = np.random.default_rng(1).random((3, 4, 32, 32, 3)).astype(
      np.float32)
  rows = diagnose(plain, clips, endpoints=["block2", "embedding"]).rows
  assert [r["endpoint"] for r in rows] == ["block2", "embedding"]
  assert rows[0]["channels"] == plain.per_frame(
      plain.block_outputs(clips[:1], training=False), "block2").shape[-1]
  everything = diagnose(model, clips).rows
  assert [r["endpoint"] for r in everything] == (
      list(model.chain.spatial) + ["embedding"])


def _profile(rows):
  keys = dict(channels=4, straightness=0.5, order_loss=1.0,
              shuffled_order_loss=2.0, order_gap=2.0, probe_accuracy=None)
  return SmoothnessProfile(
      rows=[dict(keys, endpoint=e, accel_to_velocity=a, clock_share=c)
            for e, a, c in rows], num_clips=4, num_frames=8, window=8)


def test_recommend_the_deepest_content_endpoint_if_rough():
  rough = _profile([("stem", 2.2, 0.01), ("block4_layer3", 2.5, 0.05),
                    ("clocky", 2.4, 0.9), ("head", 2.5, 0.05),
                    ("embedding", 2.5, 0.06)])
  advice = rough.recommend()
  assert (advice["endpoint"], advice["recommended"], advice["window"]) == (
      "block4_layer3", True, 8)
  assert "clock share 0.050" in advice["reason"]
  # Smooth there: nothing recommended, and it says why.
  smooth = _profile([("stem", 2.2, 0.01), ("block4_layer3", 0.9, 0.02)])
  advice = smooth.recommend()
  assert advice["endpoint"] == "block4_layer3" and not advice["recommended"]
  assert "already smooth" in advice["reason"]
  # Every endpoint a clock: none.
  assert _profile([("a", 2.0, 0.5)]).recommend()["endpoint"] is None
  # The thresholds are arguments.
  assert smooth.recommend(min_accel_to_velocity=0.5)["recommended"]


def test_plot_writes_both_panels(tmp_path):
  clips = _clips()
  profile = diagnose(_toy_model(), clips, endpoints=["content", "clock"],
                     labels=np.arange(N) % 3)
  assert profile.features["content"].shape == (N, T, 3)
  path = profile.plot(str(tmp_path / "profile.png"))
  image = plt_imread(path)
  assert image.shape[1] > 2 * image.shape[0] * 0.9  # Two panels side by side.
  with pytest.raises(ValueError, match=_error("endpoint")):
    profile.plot(str(tmp_path / "x.png"), endpoint="pooled")


@pytest.mark.slow
def test_official_stream_classifier_whole_clip_equals_frame_by_frame():
  """Model Garden's own stream classifier (MoViNet head, external states)."""
  from official.projects.movinet.modeling import movinet  # pylint: disable=g-import-not-at-top
  from official.projects.movinet.modeling import movinet_model  # pylint: disable=g-import-not-at-top
  tf_keras.utils.set_random_seed(1)
  backbone = movinet.Movinet(  # The short A0 (tests/movinet_fixtures.py).
      SHORT, causal=True, use_external_states=True, conv_type="2plus1d",
      se_type="2plus3d", activation="hard_swish",
      gating_activation="hard_sigmoid")
  model = movinet_model.MovinetClassifier(backbone, num_classes=3,
                                          output_states=True)
  for v in model.weights:  # ReZero scales start at 0: open them.
    if v.shape.rank == 0 and v.name.endswith("/scale:0"):
      v.assign(0.5)
  clips = np.random.default_rng(2).random((4, 4, 32, 32, 3)).astype(
      np.float32)
  whole = diagnose(model, clips).rows
  streamed = diagnose(model, clips, streaming=True).rows
  names = [r["endpoint"] for r in whole]
  assert names[-1] == "block4_layer0"  # `head` is pooled over time.
  assert [r["endpoint"] for r in streamed] == names
  for row, want in zip(streamed, whole):
    for column in COLUMNS[1:8]:
      np.testing.assert_allclose(row[column], want[column], rtol=1e-4,
                                 err_msg=row["endpoint"])

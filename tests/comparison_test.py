"""Tests of the controlled GRW-vs-baseline comparison (demo engine)."""

import numpy as np
import pytest

from tf_grw.analysis import comparison
from tf_grw.datasets import airplanes


@pytest.fixture(scope="module")
def tiny_data():
  train = airplanes.generate_split(8, num_frames=4, resolution=16, seed=1)
  test = airplanes.generate_split(6, num_frames=4, resolution=16, seed=2)
  return train, test


# The MoViNet arms (train_arm, frame_embeddings and order_check on A0 with and
# without GRW on block4) run in tests/demo_test.py's tiny MoViNet demo, which
# drives exactly these functions; repeating them here cost 2.5 min.


def test_mobilenet_arms_train_and_probe(tiny_data):
  train, test = tiny_data
  losses = {}
  for name, taps in (("baseline", ()), ("grw", ("embedding",))):
    arm = comparison.ArmConfig(
        name=name, grw_endpoints=taps, family="mobilenet",
        model_id="MobileNetV3Small", head="transformer", window=4, epochs=1,
        batch_size=4, model_options=dict(
            filter_size_scale=0.35, temporal_shift=True, embed_dim=16,
            transformer_heads=2, input_normalization="none"))
    model, history = comparison.train_arm(arm, 0, train, test, 3,
                                          printer=lambda _: None, verbose=0)
    losses[name] = history[0]["grw_loss"]
    for endpoint, channels in (("embedding", 16), ("level3", None)):
      emb = comparison.frame_embeddings(model, test[0], endpoint)
      assert emb.shape[:2] == (6, 4) and np.all(np.isfinite(emb))
      assert channels is None or emb.shape[2] == channels
    order = comparison.order_check(model, test[0], "embedding", 4)
    assert np.isfinite(order["ordered"]) and np.isfinite(order["shuffled"])
  assert losses["baseline"] == 0.0 and losses["grw"] > 0.0
  with pytest.raises(ValueError, match="argument `endpoint`"):
    comparison.frame_embeddings(model, test[0], "stem")


def test_summarize():
  s = comparison.summarize([0.5, 0.7, 0.9])
  assert s["mean"] == pytest.approx(0.7)
  assert s["std"] == pytest.approx(0.2)
  assert (s["min"], s["max"]) == (0.5, 0.9)


def test_warmup_cosine_schedule():
  schedule = comparison.WarmupCosine(1.0, warmup_steps=10, total_steps=110)
  assert float(schedule(0)) == pytest.approx(0.1)
  assert float(schedule(9)) == pytest.approx(1.0)
  assert float(schedule(60)) == pytest.approx(0.5, abs=1e-6)
  assert float(schedule(110)) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    (dict(epochs=0), r"argument `epochs`\. Expected an integer >= 1\. "
     r"Received: epochs=0"),
    (dict(batch_size=2.5), r"argument `batch_size`\. Expected an integer"),
    (dict(learning_rate=0.0), r"argument `learning_rate`\. Expected a float "
     r"> 0"),
    (dict(family="resnet"), r"argument `family`\. Expected one of"),
])
def test_arm_errors(kwargs, message):
  with pytest.raises(ValueError, match=message):
    comparison.ArmConfig(name="x", **kwargs)


def test_paired_difference_matches_scipy_paired_t_test():
  from scipy import stats  # pylint: disable=g-import-not-at-top
  treated = [0.71, 0.64, 0.80, 0.55, 0.69]
  control = [0.60, 0.66, 0.70, 0.50, 0.61]
  d = comparison.paired_difference(treated, control)
  ci = stats.ttest_rel(treated, control).confidence_interval(0.95)
  assert d["mean"] == pytest.approx(np.mean(np.subtract(treated, control)))
  assert (d["lo"], d["hi"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
  assert d["n"] == 5 and d["wins"] == 4
  # Textbook: differences 1..5 have mean 3, sd 1.5811, t(0.975, 4) = 2.7764.
  d = comparison.paired_difference([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])
  assert d["lo"] == pytest.approx(3 - 2.7764 * 1.5811 / np.sqrt(5), abs=1e-3)
  one = comparison.paired_difference([0.5], [0.25])
  assert one["mean"] == 0.25 and np.isnan(one["lo"]) and np.isnan(one["hi"])


def test_paired_difference_errors():
  with pytest.raises(ValueError, match=r"Invalid value received for argument "
                     r"`treated`\. Expected a non-empty 1-D sequence as long "
                     r"as `control` \(2\)"):
    comparison.paired_difference([0.1, 0.2, 0.3], [0.1, 0.2])

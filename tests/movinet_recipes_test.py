"""Tests of `tf_grw.models.movinet.movinet_recipes` (official recipes, GRW endpoint names)."""

import pytest

from official.projects.movinet.modeling import movinet
from movinet_fixtures import SHORT  # pylint: disable=g-bad-import-order
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.models import grw_endpoints
from tf_grw.models.movinet import movinet_recipes


def test_endpoint_expansion():
  resolve = movinet_recipes.resolve_endpoints
  defaults = GRWSettings(window=5, weight=0.1)
  canonical = grw_endpoints.canonical_entry
  entries = [canonical(e) for e in (
      "block2", ("stem", 3), {"endpoint": "block4_layer*", "weight": 0.05},
      ("block1_layer0", {"alpha": 0.5}))]
  specs = resolve(entries, "a0", "movinet", defaults)
  assert [s.endpoint for s in specs] == [
      "block2_layer2", "stem", "block4_layer0", "block4_layer1",
      "block4_layer2", "block4_layer3", "block1_layer0"]
  assert specs[1].settings.window == 3 and specs[1].settings.weight == 0.1
  assert {s.settings.weight for s in specs[2:6]} == {0.05}
  assert specs[6].settings.alpha == 0.5
  assert movinet_recipes.valid_grw_endpoints("a0", "transformer")[-1] == (
      "embedding")


def test_recipes():
  stream = movinet_recipes.movinet_recipe("a2")
  assert (stream["causal"], stream["conv_type"], stream["se_type"],
          stream["activation"], stream["gating_activation"],
          stream["use_positional_encoding"]) == (
              True, "2plus1d", "2plus3d", "hard_swish", "hard_sigmoid", False)
  assert [movinet_recipes.movinet_recipe(m)["use_positional_encoding"]
          for m in movinet_recipes.MODEL_IDS] == [False] * 3 + [True] * 3
  base = movinet_recipes.movinet_recipe("a3", stream=False)
  assert (base["causal"], base["conv_type"], base["se_type"],
          base["activation"]) == (False, "3d", "3d", "swish")


@pytest.mark.parametrize("kwargs,message", [
    (dict(model_id="a9"), "argument `model_id`. Expected one of"),
    (dict(stream="yes"), "argument `stream`. Expected a bool"),
])
def test_bad_recipe_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    movinet_recipes.movinet_recipe(**kwargs)


def test_model_ids_are_model_gardens_block_specs():
  # Model Garden's own small t0 (not one of the official recipes) takes A0's
  # recipe; the short A0 the tests register in BLOCK_SPECS is accepted and
  # its endpoints follow its spec (one layer per stage).
  assert movinet_recipes.movinet_recipe("t0") == dict(
      movinet_recipes.movinet_recipe("a0"), model_id="t0")
  assert movinet_recipes.movinet_recipe("t0", stream=False) == dict(
      movinet_recipes.movinet_recipe("a0", stream=False), model_id="t0")
  assert movinet_recipes.check_model_id(SHORT) == SHORT
  assert movinet_recipes.valid_grw_endpoints(SHORT) == [
      "stem", *[n for b in range(5) for n in (f"block{b}", f"block{b}_layer0")]]
  with pytest.raises(ValueError) as info:
    movinet_recipes.check_model_id("A0")
  assert str(info.value) == (
      "Invalid value received for argument `model_id`. Expected one of "
      f"{sorted(movinet.BLOCK_SPECS)} (the keys of Model Garden's "
      "movinet.BLOCK_SPECS). Received: model_id='A0'")
  assert {"a0", "a5", "t0", SHORT} <= set(movinet.BLOCK_SPECS)


def test_embedding_only_with_the_transformer_head():
  defaults = GRWSettings(normalization="none")
  with pytest.raises(ValueError, match="'embedding' only with head="):
    movinet_recipes.resolve_endpoints(["embedding"], "a0", "movinet",
                                      defaults)

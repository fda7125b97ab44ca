"""Tests of `tf_grw.grw_endpoints`: per-tap settings reach their layers."""

import pytest

from tf_grw import grw_endpoints

_DEFAULTS = dict(window=4, weight=0.1, alpha=None, normalization="batch_norm",
                 orderings="exact", num_orderings=1000, seed=0)


def _resolve(entries):
  return grw_endpoints.resolve_grw_entries(
      [grw_endpoints.canonical_entry(e) for e in entries],
      valid=["block1", "block2"], aliases={}, pattern_names=["block1",
                                                             "block2"],
      defaults=_DEFAULTS, model_label="test model", alias_note="")


def test_per_entry_center_per_frame_reaches_only_its_layer():
  specs = _resolve([{"endpoint": "block1", "center_per_frame": True},
                    ("block2", 3)])
  layers = grw_endpoints.make_grw_layers(specs, "grw_loss")
  assert [l.name for l in layers] == ["grw_block1", "grw_block2"]
  assert [l.center_per_frame for l in layers] == [True, False]
  assert [l.window for l in layers] == [4, 3]


def test_unknown_entry_key_is_an_error():
  with pytest.raises(ValueError, match=r"argument `grw_endpoints`\. Expected "
                     r"a name, a dict with key 'endpoint' \(and optional "
                     r"window, .*center_per_frame\)"):
    grw_endpoints.canonical_entry({"endpoint": "block1", "centre": True})

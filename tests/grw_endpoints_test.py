"""Tests of `tf_grw.models.grw_endpoints`: per-tap settings reach their layers."""

import pytest

import tf_keras

from tf_grw.core.grw_settings import GRWSettings
from tf_grw.models import grw_endpoints

_DEFAULTS = GRWSettings(window=4)


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


def test_an_invalid_override_fails_with_the_settings_message():
  with pytest.raises(ValueError, match=r"argument `window`\. Expected an "
                     r"integer >= 3\. Received: window=2"):
    _resolve([("block1", 2)])
  with pytest.raises(ValueError, match="argument `weight`"):
    _resolve([{"endpoint": "block2", "weight": -1.0}])


def test_taps_mixin_wires_specs_layers_metrics_and_config():
  class Tapped(grw_endpoints.GRWTapsMixin, tf_keras.Model):

    def __init__(self, num_frames):
      super().__init__()
      self._init_grw_taps([("block1", 5), "block2"], _DEFAULTS, lambda e, s:
                          grw_endpoints.resolve_grw_entries(
                              e, ["block1", "block2"], {}, [], s, "test", ""),
                          num_frames)
      self._init_grw_total()

  model = Tapped(num_frames=None)
  assert [(s.endpoint, s.settings.window) for s in model.grw_specs] == [
      ("block1", 5), ("block2", 4)]
  assert [l.metric_name for l in model.grw_layers] == [
      "grw_loss_block1", "grw_loss_block2"]
  # The layers' metrics and their sum exist before any call.
  assert {"grw_loss", "grw_loss_block1", "grw_loss_block2"} <= {
      m.name for m in model.metrics}
  assert model.grw_config() == {
      "grw_endpoints": [{"endpoint": "block1", "window": 5}, "block2"],
      "grw_settings": _DEFAULTS.as_dict()}
  with pytest.raises(ValueError, match=r"integer <= num_frames=4 \(endpoint "
                     "'block1'\)"):
    Tapped(num_frames=4)


def test_builder_options_become_one_settings_object():
  options = {"orderings": "sampled", "seed": 3, "dropout_rate": 0.1}
  settings = grw_endpoints.pop_grw_settings(options, window=6)
  assert options == {"dropout_rate": 0.1}
  assert settings == GRWSettings(window=6, orderings="sampled", seed=3)
  assert grw_endpoints.grw_settings_of(settings.as_dict()) == settings
  assert grw_endpoints.grw_settings_of(None) == GRWSettings()
  with pytest.raises(ValueError, match="argument `grw_settings`"):
    grw_endpoints.grw_settings_of({"windw": 5})

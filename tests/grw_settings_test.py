"""Tests of `tf_grw.core.grw_settings`: one validation for every GRW tap."""

import numpy as np
import pytest

from tf_grw.core.grw_settings import GRWSettings
from tf_grw.core.grw_smoothing import GRWSmoothing


@pytest.mark.parametrize("kwargs,message", [
    (dict(window=2), r"`window`\. Expected an integer >= 3\. Received: "
     r"window=2"),
    (dict(window=17), r"`window`\. Expected an integer <= 16"),
    (dict(window=5.0), r"`window`\. Expected an integer >= 3"),
    (dict(weight=-0.1), r"`weight`\. Expected a float >= 0"),
    (dict(weight="big"), r"`weight`\. Expected a float >= 0"),
    (dict(alpha=-1.0), r"`alpha`\. Expected a float >= 0"),
    (dict(normalization="bn"), r"`normalization`\. Expected one of"),
    (dict(orderings="all"), r"`orderings`\. Expected one of 'exact', "
     r"'sampled'"),
    (dict(num_orderings=1), r"`num_orderings`\. Expected an integer >= 2"),
    (dict(seed=1.5), r"`seed`\. Expected an integer"),
    (dict(center_per_frame=1), r"`center_per_frame`\. Expected a bool"),
])
def test_every_field_is_checked_with_a_keras_style_message(kwargs, message):
  with pytest.raises(ValueError, match="Invalid value received for argument "
                     + message):
    GRWSettings(**kwargs)
  # The layer takes the same checks (it builds its settings).
  with pytest.raises(ValueError, match=message):
    GRWSmoothing(**{"window": 5, **kwargs})


def test_alpha_defaults_follow_the_normalization():
  # The paper's 0.5 without normalization; 0 once the scale is fixed.
  assert GRWSettings(normalization="none").effective_alpha == 0.5
  assert GRWSettings(normalization="batch_norm").effective_alpha == 0.0
  assert GRWSettings(normalization="layer_norm").effective_alpha == 0.0
  assert GRWSettings(alpha=0.25, normalization="none").effective_alpha == 0.25


def test_replace_revalidates_and_rejects_unknown_fields():
  settings = GRWSettings(window=np.int64(6), weight=1)
  assert isinstance(settings.weight, float)
  assert settings.replace(window=8).window == 8
  assert settings.replace(window=8).weight == 1.0
  with pytest.raises(ValueError, match=r"`window`\. Expected an integer >= 3"):
    settings.replace(window=1)
  with pytest.raises(ValueError, match="argument `windw`"):
    settings.replace(windw=8)


def test_layer_from_settings_equals_layer_from_arguments():
  settings = GRWSettings(window=6, weight=0.2, normalization="layer_norm",
                         orderings="sampled", num_orderings=50, seed=4,
                         center_per_frame=True)
  layer = GRWSmoothing.from_settings(settings, name="g")
  config = layer.get_config()
  assert {k: config[k] for k in GRWSettings.keys()} == settings.as_dict()
  assert layer.settings == settings
  assert GRWSmoothing.from_config(config).settings == settings

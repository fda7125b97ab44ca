"""GRW taps on named per-frame endpoints: entries, layers and their sum metric.

Shared by the video classifiers that put `GRWSmoothing` layers on chosen
endpoints of a backbone (`tf_grw.models.movinet.movinet_grw`,
`tf_grw.models.mobilenet.mobilenet_grw`), through `GRWTapsMixin`. An entry
of `grw_endpoints` is a name, a dict `{"endpoint": name, "window": 6, ...}`
or a tuple `(name, window[, weight[, alpha]])` / `(name, dict)`; its keys
override the model-wide `GRWSettings`.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
import fnmatch
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.core.grw_smoothing import GRWSmoothing

__all__ = ["EMBEDDING", "GRW_KEYS", "TOTAL_METRIC", "GRWSpec",
           "GRWTapsMixin", "canonical_entry", "canonical_entries",
           "grw_settings_of", "pop_grw_settings", "resolve_grw_entries",
           "make_grw_layers", "SumOfGRWMetrics"]

# The endpoint name of the per-frame embedding (the Transformer head's input).
EMBEDDING = "embedding"
# The name of the metric that sums every tap's unweighted loss.
TOTAL_METRIC = "grw_loss"
# Per-entry keys of `grw_endpoints` that override the model-wide GRW settings.
GRW_KEYS = GRWSettings.keys()


@dataclasses.dataclass(frozen=True)
class GRWSpec:
  """One resolved GRW tap: an endpoint and the settings of its layer.

  >>> spec = GRWSpec("block4", GRWSettings(window=8))
  >>> spec.endpoint, spec.settings.window, spec.settings.center_per_frame
  ('block4', 8, False)
  """
  endpoint: str
  settings: GRWSettings


def grw_settings_of(value) -> GRWSettings:
  """A `GRWSettings` from itself, a dict of its fields (a saved config) or
  None (the defaults)."""
  if value is None:
    return GRWSettings()
  if isinstance(value, GRWSettings):
    return value
  if isinstance(value, Mapping) and set(value) <= set(GRW_KEYS):
    return GRWSettings(**value)
  raise invalid_value("grw_settings",
                      f"a GRWSettings, a dict with keys among {GRW_KEYS} or "
                      "None", value)


def pop_grw_settings(options: Dict[str, Any], **given) -> GRWSettings:
  """The `GRWSettings` of a builder's arguments, taking its keys out of
  `options` (`given`: the builder's own GRW arguments)."""
  return GRWSettings(**given, **{key: options.pop(key) for key in GRW_KEYS
                                 if key in options})


def canonical_entry(entry) -> Union[str, Dict[str, Any]]:
  """A `grw_endpoints` entry as a str or a JSON-friendly dict."""
  expected = ("a name, a dict with key 'endpoint' (and optional "
              f"{', '.join(GRW_KEYS)}), or a tuple (name, window[, weight"
              "[, alpha]]) or (name, dict)")
  if isinstance(entry, str):
    return entry
  if isinstance(entry, Mapping):
    entry = dict(entry)
    if not isinstance(entry.get("endpoint"), str):
      raise invalid_value("grw_endpoints", expected, entry)
    unknown = sorted(set(entry) - {"endpoint", *GRW_KEYS})
    if unknown:
      raise invalid_value("grw_endpoints", expected, entry)
    return entry if len(entry) > 1 else entry["endpoint"]
  if isinstance(entry, (tuple, list)) and entry and isinstance(entry[0], str):
    if len(entry) == 2 and isinstance(entry[1], Mapping):
      return canonical_entry({"endpoint": entry[0], **entry[1]})
    if 2 <= len(entry) <= 4 and not any(isinstance(v, Mapping)
                                        for v in entry[1:]):
      return canonical_entry(dict(zip(("endpoint", "window", "weight",
                                        "alpha"), entry)))
    if len(entry) == 1:
      return entry[0]
  raise invalid_value("grw_endpoints", expected, entry)


def canonical_entries(grw_endpoints) -> List[Union[str, Dict[str, Any]]]:
  """`grw_endpoints` (one entry or a list of them) as canonical entries."""
  if isinstance(grw_endpoints, (str, Mapping)):
    grw_endpoints = [grw_endpoints]
  try:
    entries = list(grw_endpoints)
  except TypeError:
    raise invalid_value("grw_endpoints", "a list of endpoint entries",
                        grw_endpoints) from None
  return [canonical_entry(e) for e in entries]


def resolve_grw_entries(entries: Sequence[Any],
                        valid: Sequence[str],
                        aliases: Mapping[str, str],
                        pattern_names: Sequence[str],
                        defaults: GRWSettings,
                        model_label: str,
                        alias_note: str) -> List[GRWSpec]:
  """Expands aliases and fnmatch patterns, validates names, merges settings.

  Args:
    entries: canonical entries (`canonical_entry`).
    valid: every accepted name (for the error message and exact matches).
    aliases: names that stand for another endpoint (e.g. a stage for its
      last layer).
    pattern_names: the names fnmatch patterns are matched against.
    defaults: the model-wide GRW settings, which an entry's keys override.
    model_label: the model, for error messages (e.g. "MoViNet-A0").
    alias_note: what an alias means, for the duplicate-endpoint error.

  Returns:
    One `GRWSpec` per tapped endpoint, in entry order.
  """
  specs, seen = [], set()
  for entry in entries:
    overrides = {} if isinstance(entry, str) else dict(entry)
    name = entry if isinstance(entry, str) else overrides.pop("endpoint")
    if name in aliases:
      names = [aliases[name]]
    elif name in valid:
      names = [name]
    elif any(c in name for c in "*?["):
      names = fnmatch.filter(pattern_names, name)
    else:
      names = []
    if not names:
      raise invalid_value(
          "grw_endpoints", f"endpoint names of {model_label} (or fnmatch "
          f"patterns over them): {', '.join(valid)}", name)
    for endpoint in names:
      if endpoint in seen:
        raise invalid_value(
            "grw_endpoints", f"each endpoint at most once ({alias_note})",
            endpoint)
      seen.add(endpoint)
      specs.append(GRWSpec(endpoint, defaults.replace(**overrides)))
  return specs


def make_grw_layers(specs: Sequence[GRWSpec],
                    metric_prefix: str) -> List[GRWSmoothing]:
  """One `GRWSmoothing` layer per spec, named `grw_<endpoint>`.

  Each layer logs its unweighted loss as `<metric_prefix>_<endpoint>`.
  """
  return [
      GRWSmoothing.from_settings(
          spec.settings, metric_name=f"{metric_prefix}_{spec.endpoint}",
          name=f"grw_{spec.endpoint}")
      for spec in specs
  ]


class GRWTapsMixin:
  """The GRW taps of a video classifier (a `tf_keras.Model` subclass).

  Holds, once `_init_grw_taps` ran: `grw_endpoints` (canonical entries),
  `grw_settings` (the model-wide `GRWSettings`), `grw_specs` (one
  `GRWSpec` per tapped endpoint) and `grw_layers` (their `GRWSmoothing`
  layers, named `grw_<endpoint>`, logging `grw_loss_<endpoint>`); after
  `_init_grw_total`, the summed metric `grw_loss`.

  >>> import tf_keras
  >>> class Tapped(GRWTapsMixin, tf_keras.Model):
  ...   def __init__(self):
  ...     super().__init__()
  ...     self._init_grw_taps(
  ...         ["a", {"endpoint": "b", "window": 4}], GRWSettings(window=3),
  ...         lambda entries, settings: resolve_grw_entries(
  ...             entries, ["a", "b"], {}, [], settings, "Tapped", ""),
  ...         num_frames=None)
  ...     self._init_grw_total()
  >>> model = Tapped()
  >>> [(l.name, l.window) for l in model.grw_layers]
  [('grw_a', 3), ('grw_b', 4)]
  >>> model.grw_config()["grw_settings"]["window"]
  3
  """

  def _init_grw_taps(self,
                     entries: Sequence[Any],
                     settings: GRWSettings,
                     resolve: Callable[[Sequence[Any], GRWSettings],
                                       List[GRWSpec]],
                     num_frames: Optional[int]) -> None:
    """Resolves the taps and makes their layers.

    Args:
      entries: the `grw_endpoints` entries (made canonical here).
      settings: the model-wide settings.
      resolve: the model's `(entries, settings) -> [GRWSpec]`.
      num_frames: the static clip length, or None; no window may exceed it.
    """
    self.grw_endpoints = canonical_entries(entries)
    self.grw_settings = settings
    self.grw_specs = resolve(self.grw_endpoints, settings)
    for spec in self.grw_specs:
      if num_frames is not None and spec.settings.window > num_frames:
        raise invalid_value(
            "window", f"an integer <= num_frames={num_frames} (endpoint "
            f"'{spec.endpoint}')", spec.settings.window)
    self.grw_layers = make_grw_layers(self.grw_specs, TOTAL_METRIC)

  def _init_grw_total(self) -> None:
    # A Metric assigned to a model attribute is one of `model.metrics`, so
    # `fit` logs it as "grw_loss" with no update in `call`.
    self._grw_total = (SumOfGRWMetrics(self.grw_layers, name=TOTAL_METRIC)
                       if self.grw_layers else None)

  @property
  def grw_losses(self) -> List[tf.Tensor]:
    """The weighted GRW losses added by the last training call.

    A subset of `model.losses` (which may also hold L2 terms), e.g. to log
    the GRW part apart from `reg_loss` in a Model Garden task.
    """
    return [loss for layer in self.grw_layers for loss in layer.losses]

  def grw_config(self) -> Dict[str, Any]:
    """The GRW part of the model's `get_config()` (JSON-friendly)."""
    return dict(grw_endpoints=[e if isinstance(e, str) else dict(e)
                               for e in self.grw_endpoints],
                grw_settings=self.grw_settings.as_dict())


class SumOfGRWMetrics(tf_keras.metrics.Metric):
  """`grw_loss`: the sum of the GRW layers' unweighted-loss metrics.

  Holds no state: its result adds up the `Mean` metrics the GRW layers track
  (each is updated once per step, so a sum of means is the mean of the sums),
  which also covers taps with weight 0. The layers are held through a
  closure so that they are not tracked as sublayers of the metric.

  >>> layers = make_grw_layers([GRWSpec("a", GRWSettings(window=3)),
  ...                           GRWSpec("b", GRWSettings(window=3))],
  ...                          "grw_loss")
  >>> _ = layers[0].loss_metric.update_state(1.5)
  >>> _ = layers[1].loss_metric.update_state(0.5)
  >>> float(SumOfGRWMetrics(layers).result())
  2.0
  """

  def __init__(self, grw_layers, name=TOTAL_METRIC, **kwargs):
    super().__init__(name=name, **kwargs)
    layers = tuple(grw_layers)
    self._layers_fn = lambda: layers

  def update_state(self, *args, **kwargs):
    del args, kwargs
    return tf.no_op()

  def result(self):
    values = []
    for layer in self._layers_fn():
      values.extend(m.result() for m in layer.metrics
                    if m.name == layer.metric_name)
    if not values:
      return tf.constant(0.0, self.dtype)
    return tf.add_n([tf.cast(v, self.dtype) for v in values])

  def reset_state(self):
    pass  # The layers' metrics are reset with the model's.

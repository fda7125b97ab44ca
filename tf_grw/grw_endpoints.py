"""GRW taps on named per-frame endpoints: entries, layers and their sum metric.

Shared by the video classifiers that put `GRWSmoothing` layers on chosen
endpoints of a backbone (`tf_grw.movinet_grw`, `tf_grw.mobilenet_grw`). An
entry of `grw_endpoints` is a name, a dict `{"endpoint": name, "window": 6,
...}` or a tuple `(name, window[, weight[, alpha]])` / `(name, dict)`; its
keys override the model-wide GRW settings.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
import fnmatch
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import tensorflow as tf
import tf_keras

from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_smoothing import GRWSmoothing

__all__ = ["EMBEDDING", "GRW_KEYS", "TOTAL_METRIC", "GRWSpec", "canonical_entry", "resolve_grw_entries",
           "make_grw_layers", "SumOfGRWMetrics"]

# The endpoint name of the per-frame embedding (the Transformer head's input).
EMBEDDING = "embedding"
# The name of the metric that sums every tap's unweighted loss.
TOTAL_METRIC = "grw_loss"
# Per-entry keys of `grw_endpoints` that override the model-wide GRW settings.
GRW_KEYS = ("window", "weight", "alpha", "normalization", "orderings",
            "num_orderings", "seed", "center_per_frame")


@dataclasses.dataclass(frozen=True)
class GRWSpec:
  """One resolved GRW tap: an endpoint and the settings of its layer.

  >>> spec = GRWSpec("block4", window=8, weight=0.1, alpha=None,
  ...                normalization="batch_norm", orderings="exact",
  ...                num_orderings=1000, seed=0)
  >>> spec.endpoint, spec.window, spec.center_per_frame
  ('block4', 8, False)
  """
  endpoint: str
  window: int
  weight: float
  alpha: Optional[float]
  normalization: str
  orderings: str
  num_orderings: int
  seed: int
  center_per_frame: bool = False


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


def resolve_grw_entries(entries: Sequence[Any],
                        valid: Sequence[str],
                        aliases: Mapping[str, str],
                        pattern_names: Sequence[str],
                        defaults: Mapping[str, Any],
                        model_label: str,
                        alias_note: str) -> List[GRWSpec]:
  """Expands aliases and fnmatch patterns, validates names, merges settings.

  Args:
    entries: canonical entries (`canonical_entry`).
    valid: every accepted name (for the error message and exact matches).
    aliases: names that stand for another endpoint (e.g. a stage for its
      last layer).
    pattern_names: the names fnmatch patterns are matched against.
    defaults: the model-wide GRW settings (`GRW_KEYS`).
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
      specs.append(GRWSpec(endpoint=endpoint, **{**defaults, **overrides}))
  return specs


def make_grw_layers(specs: Sequence[GRWSpec],
                    metric_prefix: str) -> List[GRWSmoothing]:
  """One `GRWSmoothing` layer per spec, named `grw_<endpoint>`.

  Each layer logs its unweighted loss as `<metric_prefix>_<endpoint>`.
  """
  return [
      GRWSmoothing(
          window=spec.window, weight=spec.weight, alpha=spec.alpha,
          normalization=spec.normalization, orderings=spec.orderings,
          num_orderings=spec.num_orderings, seed=spec.seed,
          center_per_frame=spec.center_per_frame,
          metric_name=f"{metric_prefix}_{spec.endpoint}",
          name=f"grw_{spec.endpoint}")
      for spec in specs
  ]


class SumOfGRWMetrics(tf_keras.metrics.Metric):
  """`grw_loss`: the sum of the GRW layers' unweighted-loss metrics.

  Holds no state: its result adds up the `Mean` metrics the GRW layers track
  (each is updated once per step, so a sum of means is the mean of the sums),
  which also covers taps with weight 0. The layers are held through a
  closure so that they are not tracked as sublayers of the metric.
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

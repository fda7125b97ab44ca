"""`GRWSettings`: how one GRW tap smooths, validated once.

The same settings travel from a Model Garden YAML (`GRWConfig`) or a
builder's keyword arguments to each `GRWSmoothing` layer as one object: a
tap's overrides (`settings.replace(window=8)`) make a new, re-validated one.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

import dataclasses
import numbers
from typing import Any, Dict, Optional

from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_loss import check_settings

__all__ = ["GRWSettings", "NORMALIZATIONS", "default_alpha"]

NORMALIZATIONS = ("batch_norm", "layer_norm", "none")


def default_alpha(normalization: str) -> float:
  """The velocity weight used when `alpha=None`.

  0 when the normalization fixes the embedding scale (the velocity term only
  exists to stop the model from scaling embeddings up), 0.5 (the paper's value)
  for un-normalized embeddings.
  """
  return 0.5 if normalization == "none" else 0.0


@dataclasses.dataclass(frozen=True)
class GRWSettings:
  """The settings of a `GRWSmoothing` layer (see it for their meaning).

  Every field is checked when the object is made, with Keras-style errors,
  so a layer, a classifier or a task config holding one needs no checks of
  its own.

  Attributes:
    window: steps per GRW window T, an integer in [3, 16].
    weight: lambda, the factor of the loss in the objective (a float >= 0).
    alpha: velocity-term weight (a float >= 0), or None for
      `default_alpha(normalization)`.
    normalization: "batch_norm", "layer_norm" or "none".
    orderings: "exact" or "sampled".
    num_orderings: orderings in "sampled" mode, an integer >= 2.
    seed: seed of the sampled orderings.
    center_per_frame: subtract the batch mean at each frame index.

  >>> settings = GRWSettings(window=5, weight=0.1)
  >>> settings.effective_alpha, settings.replace(window=8).window
  (0.0, 8)
  >>> GRWSettings(window=2)
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `window`. Expected an integer >= 3. Received: window=2
  """
  window: int = 5
  weight: float = 0.1
  alpha: Optional[float] = None
  normalization: str = "batch_norm"
  orderings: str = "exact"
  num_orderings: int = 1000
  seed: int = 0
  center_per_frame: bool = False

  def __post_init__(self):
    if self.normalization not in NORMALIZATIONS:
      raise invalid_value("normalization",
                          "one of 'batch_norm', 'layer_norm', 'none'",
                          self.normalization)
    try:
      weight = float(self.weight)
    except (TypeError, ValueError):
      raise invalid_value("weight", "a float >= 0", self.weight) from None
    if not weight >= 0.0:
      raise invalid_value("weight", "a float >= 0", self.weight)
    object.__setattr__(self, "weight", weight)
    if not isinstance(self.center_per_frame, bool):
      raise invalid_value("center_per_frame", "a bool", self.center_per_frame)
    if isinstance(self.seed, bool) or not isinstance(self.seed,
                                                   numbers.Integral):
      raise invalid_value("seed", "an integer", self.seed)
    check_settings(self.window, self.effective_alpha, self.orderings,
                   self.num_orderings)
    if self.alpha is not None:
      object.__setattr__(self, "alpha", float(self.alpha))

  @property
  def effective_alpha(self):
    """`alpha`, or `default_alpha(normalization)` when it is None."""
    return (default_alpha(self.normalization) if self.alpha is None
            else self.alpha)

  def replace(self, **overrides) -> "GRWSettings":
    """A copy with some fields changed, validated again."""
    unknown = sorted(set(overrides) - set(self.keys()))
    if unknown:
      raise invalid_value(unknown[0], f"one of the GRW settings {self.keys()}",
                          overrides[unknown[0]])
    return dataclasses.replace(self, **overrides)

  def as_dict(self) -> Dict[str, Any]:
    """The fields as keyword arguments (of `GRWSmoothing`, or this class)."""
    return dataclasses.asdict(self)

  @classmethod
  def keys(cls):
    """The field names, in order."""
    return tuple(f.name for f in dataclasses.fields(cls))

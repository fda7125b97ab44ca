"""tf-grw: GRW smoothing for TensorFlow Model Garden video models.

MoViNets (`build_movinet_grw`) and per-frame MobileNetV3s
(`build_mobilenet_grw`), with the `GRWSmoothing` layer on chosen endpoints.

The names below load on first use: `tf_grw.grw_loss` and
`tf_grw.GRWSmoothing` (from `tf_grw.core`) import TensorFlow and `tf_keras`
only; the model builders import Model Garden. Keras deserialization of a
saved GRW classifier needs its class registered: use the class (e.g.
`tf_grw.MovinetGRWClassifier`) or import its module before loading.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

>>> import tf_grw
>>> tf_grw.GRWSmoothing.__module__
'tf_grw.core.grw_smoothing'
"""

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS = {
    "grw_loss": "tf_grw.core.grw_loss",
    "GRWSettings": "tf_grw.core.grw_settings",
    "GRWSmoothing": "tf_grw.core.grw_smoothing",
    "assert_grw_connected": "tf_grw.core.grw_smoothing",
    "find_disconnected_grw_layers": "tf_grw.core.grw_smoothing",
    "build_mobilenet_grw": "tf_grw.models.mobilenet.mobilenet_grw",
    "MobilenetGRWClassifier": "tf_grw.models.mobilenet.mobilenet_grw",
    "MobilenetVideoClassifier": "tf_grw.models.mobilenet.mobilenet_grw",
    "build_movinet_grw": "tf_grw.models.movinet.movinet_grw",
    "MODEL_IDS": "tf_grw.models.movinet.movinet_grw",
    "movinet_recipe": "tf_grw.models.movinet.movinet_grw",
    "MovinetGRWClassifier": "tf_grw.models.movinet.movinet_grw",
    "PretrainedLoadReport": "tf_grw.models.movinet.movinet_grw",
    "valid_grw_endpoints": "tf_grw.models.movinet.movinet_grw",
    "TemporalTransformerHead": "tf_grw.models.temporal_head",
    "TemporalShift": "tf_grw.models.temporal_shift",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
  """Imports the module that defines a public name on first access."""
  if name in _EXPORTS:
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
  raise AttributeError(f"module 'tf_grw' has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(_EXPORTS))

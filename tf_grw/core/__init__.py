"""The GRW loss and layer: what any Keras video model needs, and nothing else.

Holds `grw_loss` (the exact and sampled Gaussian-random-walk order loss),
`GRWSettings` (the validated settings of one GRW tap),
`GRWSmoothing` (the layer that adds it on a feature map) with its pruning
check, the Keras-style argument errors and the INFO-log filter.

May import: the standard library, NumPy, TensorFlow (and its `absl`
logging), `tf_keras` and other
modules of `tf_grw.core`. Never TF Model Garden (`official`) nor any other
`tf_grw` subpackage: `import tf_grw.core` is all a user of their own Keras
model pays for (tested in `tests/layout_test.py`).
"""

from tf_grw.core.grw_loss import grw_loss
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.core.grw_smoothing import assert_grw_connected
from tf_grw.core.grw_smoothing import find_disconnected_grw_layers
from tf_grw.core.grw_smoothing import GRWSmoothing

__all__ = ["GRWSettings", "GRWSmoothing", "assert_grw_connected",
           "find_disconnected_grw_layers", "grw_loss"]

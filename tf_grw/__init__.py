"""tf-grw: GRW smoothing for TensorFlow Model Garden video models.

MoViNets (`build_movinet_grw`) and per-frame MobileNetV3s
(`build_mobilenet_grw`), with the `GRWSmoothing` layer on chosen endpoints.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
"""

from tf_grw.grw_loss import grw_loss
from tf_grw.grw_smoothing import assert_grw_connected
from tf_grw.grw_smoothing import find_disconnected_grw_layers
from tf_grw.grw_smoothing import GRWSmoothing
from tf_grw.mobilenet_grw import build_mobilenet_grw
from tf_grw.mobilenet_grw import MobilenetGRWClassifier
from tf_grw.mobilenet_grw import MobilenetVideoClassifier
from tf_grw.movinet_grw import build_movinet_grw
from tf_grw.movinet_grw import MODEL_IDS
from tf_grw.movinet_grw import movinet_recipe
from tf_grw.movinet_grw import MovinetGRWClassifier
from tf_grw.movinet_grw import PretrainedLoadReport
from tf_grw.movinet_grw import valid_grw_endpoints
from tf_grw.temporal_head import TemporalTransformerHead
from tf_grw.temporal_shift import TemporalShift

__version__ = "0.1.0"

"""Export for serving and mobile streaming: SavedModel and TF Lite.

Holds the plain official model an export is built from
(`inference_model`: GRW layers dropped, '3d_2plus1d' to '2plus1d'), the
SavedModel and TF Lite converters (`exporters`; int8 calibration, float
layers and the per-layer error report in `quantization`) and the
frame-by-frame TF
Lite runner with its parity check (`tflite_stream`) and the per-frame
prediction view (`stream_predictions`). Their public names are
re-exported here: `tf_grw.export.export_tflite`, `tf_grw.export.verify_tflite`.

May import: `tf_grw.core`, `tf_grw.models` and TF Model Garden. Never
`tf_grw.modelgarden` or `tf_grw.analysis` (tested in `tests/layout_test.py`).
"""

from tf_grw.export.exporters import export_saved_model
from tf_grw.export.exporters import export_tflite
from tf_grw.export.exporters import DEFAULT_FLOAT_LAYERS
from tf_grw.export.exporters import QUANTIZATIONS
from tf_grw.export.exporters import quantization_layer_errors
from tf_grw.export.inference_model import convert_to_2plus1d
from tf_grw.export.inference_model import inference_keras_model
from tf_grw.export.stream_predictions import plot_stream_predictions
from tf_grw.export.stream_predictions import stream_probabilities
from tf_grw.export.tflite_stream import run_tflite_stream
from tf_grw.export.tflite_stream import verify_tflite

__all__ = ["DEFAULT_FLOAT_LAYERS", "QUANTIZATIONS", "convert_to_2plus1d", "export_saved_model",
           "export_tflite", "inference_keras_model",
           "plot_stream_predictions", "quantization_layer_errors",
           "run_tflite_stream",
           "stream_probabilities", "verify_tflite"]

"""Per-frame MobileNetV3 video classifiers with GRW smoothing.

`mobilenet_backbone` (Model Garden's MobileNet as a block chain, temporal
shift and endpoints), `mobilenet_grw` (`build_mobilenet_grw`, the
classifiers) and `mobilenet_stream` (the per-frame stream model).

May import: `tf_grw.core`, the shared modules of `tf_grw.models` and TF
Model Garden. Never `tf_grw.models.movinet` (tested in
`tests/layout_test.py`).
"""

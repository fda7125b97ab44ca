"""MoViNet A0-A5 with GRW smoothing: official Model Garden MoViNets.

`movinet_recipes` (the official configurations and GRW endpoint names),
`movinet_grw` (`build_movinet_grw`, `MovinetGRWClassifier`),
`movinet_official` (weights out to plain official models, in from official
checkpoints) and `movinet_stream` (the Transformer-head stream model).

May import: `tf_grw.core`, the shared modules of `tf_grw.models` and TF
Model Garden. Never `tf_grw.models.mobilenet` (tested in
`tests/layout_test.py`).
"""

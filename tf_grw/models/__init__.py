"""The GRW video classifiers and the layers they share.

Shared, family-neutral modules here: `grw_endpoints` (GRW taps: entries,
layers, the summed `grw_loss` metric), `temporal_head` (per-frame embedding
+ small Transformer head and its stream states), `temporal_shift` (TSM),
`video_inputs` (the video tensor of a classifier's inputs), `single_trace`
(`fit` traces the training step once) and `pretrained` (weight copies and
checkpoint matching). The two families are siblings:
`tf_grw.models.movinet` (official MoViNets A0-A5) and
`tf_grw.models.mobilenet` (per-frame MobileNetV3s).

May import: `tf_grw.core` and TF Model Garden's modeling code. The shared
modules never import a family; `movinet` and `mobilenet` never import each
other; nothing here imports `tf_grw.modelgarden`, `tf_grw.export`,
`tf_grw.analysis` or `tf_grw.datasets` (tested in `tests/layout_test.py`).
Importing this package loads nothing: import the module you need.
"""

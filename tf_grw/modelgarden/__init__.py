"""TF Model Garden glue: GRW tasks, experiments and the two-group optimizer.

`task` (`GRWConfig` and the GRW video task built on Model Garden's video
classification task), `mobilenet_task` (its per-frame MobileNet variant),
`experiments` (the registered experiments; importing it registers them with
`exp_factory`) and `two_group_optimizer` (backbone vs head learning rates).

May import: `tf_grw.core`, `tf_grw.models` and TF Model Garden. Never
`tf_grw.export` or `tf_grw.analysis` (tested in `tests/layout_test.py`).
"""

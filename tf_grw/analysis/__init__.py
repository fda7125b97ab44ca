"""Measuring what GRW does: evaluation, trajectories, paired comparisons.

`evaluation` (multi-view and streaming evaluation of any classifier),
`trajectories` (PCA trajectories, smoothness statistics, clock share),
`diagnosis` (`diagnose`: a model's smoothness profile, endpoint by
endpoint) and `comparison` (controlled GRW-vs-baseline training: the demo's
and the study's engine, with paired differences and their intervals).

May import: `tf_grw.core`, `tf_grw.models` and TensorFlow. Never
`tf_grw.modelgarden` or `tf_grw.export` (tested in `tests/layout_test.py`).
"""

from tf_grw.analysis.diagnosis import diagnose
from tf_grw.analysis.diagnosis import SmoothnessProfile

__all__ = ["SmoothnessProfile", "diagnose"]

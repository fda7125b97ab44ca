"""A0 with one layer per stage, registered in Model Garden's `BLOCK_SPECS`.

Tests of the machinery around a MoViNet (training loops, checkpoints,
resuming, evaluation, export, the demo, op-for-op equality with the
official inference graph) build this short A0 instead of the full one: the
same stem, stages, head, block types and recipe, 5 blocks instead of 15,
about a third of the graph to trace. The official sizes keep their own tests
(`tests/movinet_grw_test.py`: parameter counts of A0, A1 and A5 stream and A0
base, Model Garden's registered experiment, GRW taps on stages of several
layers) and the docstring examples.

Importing this module registers `SHORT`; processes the tests start get it
from `tests/subprocess_site/sitecustomize.py` (see `launch_fixtures.env`).
"""

from official.projects.movinet.modeling import movinet

SHORT = "a0_short"


def register(module=movinet):
  """Adds `SHORT` to `module.BLOCK_SPECS` (Model Garden's movinet module)."""
  def first_layer(spec):
    if isinstance(spec, module.MovinetBlockSpec):
      return module.MovinetBlockSpec(
          base_filters=spec.base_filters,
          expand_filters=spec.expand_filters[:1],
          kernel_sizes=spec.kernel_sizes[:1], strides=spec.strides[:1])
    return spec
  module.BLOCK_SPECS.setdefault(
      SHORT, tuple(first_layer(s) for s in module.BLOCK_SPECS["a0"]))


register()

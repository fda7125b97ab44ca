"""Official Model Garden MoViNet recipes and the GRW endpoint names of each size.

`movinet_recipe` gives the official stream / base recipe of a MoViNet size as
`tf_grw.models.movinet.movinet_grw.MovinetGRWClassifier` arguments;
`check_model_id` accepts the sizes Model Garden knows (the keys of its
`movinet.BLOCK_SPECS`: a0-a5, its small `t0`, and any spec registered there);
`valid_grw_endpoints`
lists where GRW taps may go (`stem`, `block{b}_layer{l}`, stages `block{b}`,
`embedding`), read from the official block specs.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928; Kondratyuk et
al., "MoViNets: Mobile Video Networks for Efficient Video Recognition",
CVPR 2021.
"""

from typing import Any, Dict, List

from official.projects.movinet.modeling import movinet
from tf_grw.core.errors import invalid_value
from tf_grw.models.grw_endpoints import EMBEDDING
from tf_grw.models.grw_endpoints import GRWSpec
from tf_grw.models.grw_endpoints import resolve_grw_entries

__all__ = ["MODEL_IDS", "CONV_TYPES", "EMBEDDING", "check_model_id",
           "movinet_recipe", "valid_grw_endpoints", "resolve_endpoints"]

MODEL_IDS = ("a0", "a1", "a2", "a3", "a4", "a5")
CONV_TYPES = ("3d", "2plus1d", "3d_2plus1d")


def check_model_id(model_id: str) -> str:
  """Returns `model_id` if Model Garden's `movinet.BLOCK_SPECS` has it.

  The official sizes are `MODEL_IDS`; Model Garden also registers a small
  `"t0"`, and a spec added to `movinet.BLOCK_SPECS` (a smaller network for
  smoke runs, say) is accepted the same way.

  Example:

  >>> check_model_id("t0")
  't0'
  >>> check_model_id("a9")
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `model_id`. Expected one of ['a0', ...
  """
  if not isinstance(model_id, str) or model_id not in movinet.BLOCK_SPECS:
    raise invalid_value(
        "model_id", f"one of {sorted(movinet.BLOCK_SPECS)} (the keys of "
        "Model Garden's movinet.BLOCK_SPECS)", model_id)
  return model_id


def movinet_recipe(model_id: str = "a0", stream: bool = True) -> Dict[str, Any]:
  """The official Model Garden MoViNet recipe, as constructor arguments.

  Reproduces `official/projects/movinet/configs/yaml/movinet_{id}_k600_8x8.yaml`
  (base) and `movinet_{id}_stream_k600_8x8.yaml` (stream), and the README /
  `tools/export_saved_model.py` settings for streaming inference:

  * stream: `causal=True`, `conv_type="2plus1d"` (Model Garden trains stream
    models as `"3d_2plus1d"` and converts them to `"2plus1d"` for TF Lite;
    both are accepted here), `se_type="2plus3d"`, `activation="hard_swish"`,
    `gating_activation="hard_sigmoid"`, `use_positional_encoding` only for
    a3, a4 and a5 (README: "A3, A4, and A5 models use a positional encoding in
    the squeeze-excitation blocks"), classifier activation `"hard_swish"` for
    a1 and a4 (their yaml sets it) and `"swish"` otherwise, dropout 0.2 for
    a0 and a1, 0.5 for a2-a5.
  * base: `causal=False`, `conv_type="3d"`, `se_type="3d"`, swish / sigmoid,
    no positional encoding, dropout 0.2 for a0 and 0.5 for a1-a5.
  * both: stochastic depth 0.2, synchronized batch norm with momentum 0.99 and
    epsilon 1e-3, and global average pooling `"3d"` in the head (cumulative
    over frames when causal).

  The task-level parts of the recipe (L2 weight decay 3e-5, label smoothing
  0.1, RMSprop) are not model arguments; pass `l2_weight_decay=3e-5` to
  `build_movinet_grw` to get Model Garden's regularizer.

  Other sizes `check_model_id` accepts (Model Garden's `t0`, a spec
  registered in `movinet.BLOCK_SPECS`) have no published recipe: they take
  A0's.

  Args:
    model_id: one of `MODEL_IDS`, or another key of `movinet.BLOCK_SPECS`.
    stream: the causal stream recipe (True) or the base recipe (False).

  Returns:
    A dict of `MovinetGRWClassifier` constructor arguments.

  Example:

  >>> movinet_recipe("a3")["use_positional_encoding"]
  True
  >>> movinet_recipe("a0", stream=False)["conv_type"]
  '3d'
  """
  check_model_id(model_id)
  if not isinstance(stream, bool):
    raise invalid_value("stream", "a bool", stream)
  if model_id not in MODEL_IDS:
    return dict(movinet_recipe("a0", stream), model_id=model_id)
  common = dict(
      model_id=model_id,
      stochastic_depth_drop_rate=0.2,
      use_sync_bn=True,
      norm_momentum=0.99,
      norm_epsilon=1e-3,
  )
  if stream:
    return dict(
        common,
        causal=True,
        conv_type="2plus1d",
        se_type="2plus3d",
        activation="hard_swish",
        gating_activation="hard_sigmoid",
        use_positional_encoding=model_id in ("a3", "a4", "a5"),
        classifier_activation=("hard_swish" if model_id in ("a1", "a4")
                               else "swish"),
        dropout_rate=0.2 if model_id in ("a0", "a1") else 0.5,
    )
  return dict(
      common,
      causal=False,
      conv_type="3d",
      se_type="3d",
      activation="swish",
      gating_activation="sigmoid",
      use_positional_encoding=False,
      classifier_activation="swish",
      dropout_rate=0.2 if model_id == "a0" else 0.5,
  )


def valid_grw_endpoints(model_id: str, head: str = "movinet") -> List[str]:
  """Names accepted in `grw_endpoints` for a model id and head.

  `"stem"`, every `"block{b}_layer{l}"`, every stage `"block{b}"` (its last
  layer's output) and, for `head="transformer"`, `"embedding"`.

  Example:

  >>> valid_grw_endpoints("a0")[:3]
  ['stem', 'block0', 'block0_layer0']
  """
  names = ["stem"]
  for stage, layers in _stage_layers(model_id).items():
    names.append(stage)
    names.extend(layers)
  if head == "transformer":
    names.append(EMBEDDING)
  return names


def _stage_layers(model_id: str) -> Dict[str, List[str]]:
  """{"block{b}": ["block{b}_layer0", ...]} from the official block specs."""
  stages = {}
  blocks = [b for b in movinet.BLOCK_SPECS[model_id]
            if isinstance(b, movinet.MovinetBlockSpec)]
  for b, block in enumerate(blocks):
    stages[f"block{b}"] = [f"block{b}_layer{l}"
                           for l in range(len(block.expand_filters))]
  return stages


def resolve_endpoints(entries, model_id, head, defaults) -> List[GRWSpec]:
  """Expands stage names and patterns, validates names, merges settings."""
  for entry in entries:
    name = entry if isinstance(entry, str) else entry["endpoint"]
    if name == EMBEDDING and head != "transformer":
      raise invalid_value(
          "grw_endpoints", "'embedding' only with head='transformer' (it is "
          "the per-frame embedding of the Transformer head)", name)
  stages = _stage_layers(model_id)
  return resolve_grw_entries(
      entries, valid_grw_endpoints(model_id, head),
      aliases={stage: layers[-1] for stage, layers in stages.items()},
      pattern_names=["stem"] + [n for ls in stages.values() for n in ls],
      defaults=defaults, model_label=f"MoViNet-{model_id.upper()}",
      alias_note="a stage name 'blockN' means its last layer")

"""Model Garden's MobileNet backbone as a chain of blocks, for video.

`tf_grw.models.mobilenet.mobilenet_grw` runs `official.vision.modeling.backbones.MobileNet`
on every frame. `BlockChain` calls the official functional model's block
layers one after the other, which lets a temporal shift (TSM) go into the
residual blocks without forking Model Garden (see `BlockChain.run`), names
every block output (`"block{idx}"`, Model Garden's `block_group_*_{idx}`),
maps Model Garden's endpoint levels ("2".."5") to blocks, and gives the
shapes of the shift's stream states.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928; Lin, Gan,
Han, "TSM: Temporal Shift Module for Efficient Video Understanding", ICCV
2019.
"""

import re
from typing import Dict, List

import tensorflow as tf
import tf_keras

from official.vision.modeling.backbones import mobilenet
from official.vision.modeling.layers import nn_blocks
from tf_grw.core.errors import invalid_value
from tf_grw.core.quiet_logs import quiet_info_logs

__all__ = ["MODEL_IDS", "SHIFT_STATE", "make_backbone", "BlockChain",
           "check_model_id", "valid_grw_endpoints"]

MODEL_IDS = ("MobileNetV3Small", "MobileNetV3Large")
# Stream state of the causal temporal shift of block idx.
SHIFT_STATE = "state_shift_block{}"
_BLOCK_NAME = re.compile(r"^block_group_[a-z0-9]+_(\d+)$")


def make_backbone(model_id, filter_size_scale, norm_momentum, norm_epsilon,
                   stochastic_depth_drop_rate, use_sync_bn,
                   kernel_regularizer=None) -> mobilenet.MobileNet:
  # Model Garden logs one INFO line per block while building.
  with quiet_info_logs():
    return _official_backbone(model_id, filter_size_scale, norm_momentum,
                              norm_epsilon, stochastic_depth_drop_rate,
                              use_sync_bn, kernel_regularizer)


def _official_backbone(model_id, filter_size_scale, norm_momentum,
                       norm_epsilon, stochastic_depth_drop_rate, use_sync_bn,
                       kernel_regularizer) -> mobilenet.MobileNet:
  return mobilenet.MobileNet(
      model_id=model_id,
      filter_size_scale=filter_size_scale,
      input_specs=tf_keras.layers.InputSpec(shape=[None, None, None, 3]),
      norm_momentum=norm_momentum,
      norm_epsilon=norm_epsilon,
      kernel_regularizer=kernel_regularizer,
      stochastic_depth_drop_rate=stochastic_depth_drop_rate,
      use_sync_bn=use_sync_bn)


class BlockChain:
  """The official MobileNet as the chain of layers it is built from.

  `layers[i]` is called on `layers[i - 1]`'s output; `outputs[name]` is the
  index of the layer whose output is block `name` (`"block{idx}"`, Model
  Garden's `block_group_*_{idx}`); `levels` maps Model Garden's endpoint keys
  ("2".."5") to block names; `final` is the last block (the per-frame
  features, `[N, 1, 1, C]`). `shifted` lists the indices of the residual
  inverted-bottleneck blocks (where a temporal shift goes).

  >>> backbone = make_backbone("MobileNetV3Small", 0.5, 0.99, 1e-3, 0.0,
  ...                          False)
  >>> chain = BlockChain(backbone)
  >>> chain.levels, chain.final
  ({'2': 'block1', '3': 'block3', '4': 'block8', '5': 'block11'}, 'block14')
  >>> len(chain.shifted), {type(chain.layers[i]).__name__
  ...                       for i in chain.shifted}
  (7, {'InvertedBottleneckBlock'})
  """

  def __init__(self, backbone: mobilenet.MobileNet):
    self.layers = [l for l in backbone.layers
                   if not isinstance(l, tf_keras.layers.InputLayer)]
    self.outputs = {}
    for i, layer in enumerate(self.layers):
      match = _BLOCK_NAME.match(layer.name)
      if match:
        self.outputs[f"block{match.group(1)}"] = i
    by_layer = {layer.name: f"block{_BLOCK_NAME.match(layer.name).group(1)}"
                for layer in self.layers if _BLOCK_NAME.match(layer.name)}
    final_key = max(backbone.output, key=int)
    self.levels = {}
    for key, tensor in backbone.output.items():
      name = next(by_layer[l.name] for l in self.layers
                  if l.name in by_layer and l.output is tensor)
      if key == final_key:
        self.final = name
      else:
        self.levels[key] = name
    self.shifted = [i for i, layer in enumerate(self.layers)
                    if _is_residual_block(layer)]
    # Layer index of a block -> its Model Garden block index (the name of
    # the `block_group_*_{idx}` layer that follows it).
    self.block_index = {i - 1: int(n[len("block"):])
                        for n, i in self.outputs.items()}
    pooled = next(i for i, l in enumerate(self.layers) if isinstance(
        l, tf_keras.layers.GlobalAveragePooling2D))
    # Blocks with spatial outputs (GRW endpoints pool them per frame).
    self.spatial = [n for n, i in self.outputs.items() if i < pooled]

  def run(self, frames, training, shift=None) -> Dict[str, tf.Tensor]:
    """Block outputs `{"block{idx}": [N, h, w, c]}` of frames `[N, H, W, 3]`.

    `shift(i, x)`, when given, returns the shifted input of residual block
    `i`; the block then computes `x + F(shift(x))`.
    """
    x = frames
    out = {}
    names = {i: n for n, i in self.outputs.items()}
    for i, layer in enumerate(self.layers):
      if shift is not None and i in self.shifted:
        shifted = shift(i, x)
        x = layer(shifted, training=training) + (x - shifted)
      else:
        x = layer(x, training=training)
      if i in names:
        out[names[i]] = x
    return out

  def state_name(self, i) -> str:
    """The stream state name of shifted layer `i`."""
    return SHIFT_STATE.format(self.block_index[i])

  def shift_state_shapes(self, height, width, shift_div):
    """{layer index: (h, w, fold)} of the shifted blocks' inputs.

    Works on Python ints and on scalar tensors (`same` padding: a stride s
    maps a size n to ceil(n / s)).
    """
    shapes = {}
    for i, layer in enumerate(self.layers):
      config = layer.get_config()
      if i in self.shifted:
        shapes[i] = (height, width, config["in_filters"] // shift_div)
      strides = config.get("strides")
      if isinstance(strides, (tuple, list)):
        strides = strides[0]
      if isinstance(strides, int) and strides > 1:
        height, width = (None if n is None else (n + strides - 1) // strides
                         for n in (height, width))
    return {i: s for i, s in shapes.items() if s[2] > 0}


def _is_residual_block(layer) -> bool:
  if not isinstance(layer, nn_blocks.InvertedBottleneckBlock):
    return False
  config = layer.get_config()
  return bool(config["use_residual"] and config["strides"] == 1 and
              config["in_filters"] == config["out_filters"])


def check_model_id(model_id):
  if model_id not in MODEL_IDS:
    raise invalid_value("model_id", f"one of {list(MODEL_IDS)}", model_id)
  return model_id


def valid_grw_endpoints(model_id: str = "MobileNetV3Small",
                        filter_size_scale: float = 1.0) -> List[str]:
  """Names accepted in `grw_endpoints`.

  `"level2"`..`"level5"` (Model Garden's MobileNet endpoints "2".."5", the
  last block of each resolution), every block with spatial output
  `"block{idx}"` (Model Garden's `block_group_*_{idx}`) and `"embedding"`
  (the per-frame vector the temporal head aggregates).

  Example:

  >>> valid_grw_endpoints("MobileNetV3Small")[:5]
  ['level2', 'level3', 'level4', 'level5', 'block0']
  """
  chain = BlockChain(make_backbone(check_model_id(model_id),
                                   filter_size_scale, 0.99, 1e-3, 0.0, False))
  return ([f"level{k}" for k in chain.levels] + chain.spatial + ["embedding"])

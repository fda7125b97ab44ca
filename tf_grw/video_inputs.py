"""The video tensor of a classifier's inputs (shared by both model families).

The GRW classifiers (`tf_grw.movinet_grw`, `tf_grw.mobilenet_grw`) accept a
video tensor [B, N, H, W, 3] or Model Garden's `{"image": video}`; stream
states belong to their `inference_model(streaming=True)`.

>>> import numpy as np
>>> video = np.zeros((1, 4, 8, 8, 3), np.float32)
>>> image_tensor({"image": video}) is video, image_tensor(video) is video
(True, True)
"""

from typing import Mapping

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = ["image_tensor"]


def image_tensor(inputs):
  """`inputs["image"]` for a dict, `inputs` otherwise; refuses stream states."""
  if isinstance(inputs, Mapping):
    states = sorted(k for k in inputs if k.startswith("state_"))
    if states or "image" not in inputs:
      raise invalid_value(
          "inputs", "a video tensor or {'image': video} (stream states go to "
          "`inference_model(streaming=True)`)", Described(
              f"<dict with keys {sorted(inputs)[:4]}"
              f"{'...' if len(inputs) > 4 else ''}>"))
    return inputs["image"]
  return inputs

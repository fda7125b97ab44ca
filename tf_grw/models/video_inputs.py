"""The video tensor of a model's inputs (shared by both model families).

The GRW classifiers (`tf_grw.models.movinet.movinet_grw`,
`tf_grw.models.mobilenet.mobilenet_grw`) accept a video tensor
[B, N, H, W, 3] or Model Garden's `{"image": video}` (`image_tensor`);
stream states belong to their `inference_model(streaming=True)`, whose
stream models take the states and one frame per call
(`stream_frame`).

>>> import numpy as np
>>> video = np.zeros((1, 4, 8, 8, 3), np.float32)
>>> image_tensor({"image": video}) is video, image_tensor(video) is video
(True, True)
"""

from typing import Mapping, Sequence

import tensorflow as tf

from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value

__all__ = ["image_tensor", "stream_frame"]


def _dict_keys(inputs) -> Described:
  """A short description of a dict's keys (or of a non-dict) for errors."""
  if not isinstance(inputs, Mapping):
    return Described(f"<{type(inputs).__name__}>")
  return Described(f"<dict with keys {sorted(inputs)[:4]}"
                   f"{'...' if len(inputs) > 4 else ''}>")


def image_tensor(inputs):
  """`inputs["image"]` for a dict, `inputs` otherwise; refuses stream states."""
  if isinstance(inputs, Mapping):
    states = sorted(k for k in inputs if k.startswith("state_"))
    if states or "image" not in inputs:
      raise invalid_value(
          "inputs", "a video tensor or {'image': video} (stream states go to "
          "`inference_model(streaming=True)`)", _dict_keys(inputs))
    return inputs["image"]
  return inputs


def stream_frame(inputs, state_names: Sequence[str]) -> tf.Tensor:
  """The image `[B, 1, H, W, 3]` of a stream model's call, inputs checked.

  Args:
    inputs: the call's dict: `state_names` and `"image"`.
    state_names: the states the stream model needs.

  >>> import numpy as np
  >>> frame = np.zeros((1, 1, 8, 8, 3), np.float32)
  >>> stream_frame({"image": frame, "state_a": 0}, ["state_a"]).shape
  TensorShape([1, 1, 8, 8, 3])
  >>> stream_frame({"image": np.zeros((1, 2, 8, 8, 3))}, [])
  Traceback (most recent call last):
  ...
  ValueError: Invalid value received for argument `inputs`. Expected one frame per call: image of shape [B, 1, H, W, 3]. Received: inputs=<image of shape (1, 2, 8, 8, 3)>
  """
  keys = list(state_names) + ["image"]
  if not isinstance(inputs, Mapping) or any(k not in inputs for k in keys):
    raise invalid_value(
        "inputs", f"a dict with the stream states and 'image' (keys {keys}; "
        "start from `init_states`)", _dict_keys(inputs))
  image = tf.convert_to_tensor(inputs["image"])
  if image.shape.rank != 5 or image.shape[1] not in (None, 1):
    raise invalid_value("inputs", "one frame per call: image of shape "
                        "[B, 1, H, W, 3]",
                        Described(f"<image of shape {image.shape}>"))
  return image

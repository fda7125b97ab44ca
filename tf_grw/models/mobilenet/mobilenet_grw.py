"""Per-frame MobileNetV3 video classifiers with GRW smoothing.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928 (MobileNetV3-S
per frame: 61.3 -> 67.3 top-1 on Kinetics-600; the wiring is not published).

`build_mobilenet_grw` returns a `MobilenetGRWClassifier`: Model Garden's
image backbone `official.vision.modeling.backbones.MobileNet`
(`MobileNetV3Small` / `MobileNetV3Large`, any width multiplier) runs on every
frame (frames folded into the batch); `GRWSmoothing` taps smooth the
spatially pooled per-frame outputs of chosen blocks and/or the final
per-frame embedding; a temporal head classifies the clip:

* `head="mean"`: the mean over time of the per-frame features (the
  backbone's last 1x1 conv output, what Model Garden's image classifier
  feeds its Dense), dropout, Dense. It streams with a running sum.
* `head="transformer"`: the paper's final-layer head
  (`tf_grw.models.temporal_head.TemporalTransformerHead`: affine embedding, GRW on
  it, small Transformer over time); it streams when causal.

Optionally (`temporal_shift=True`) the residual inverted-bottleneck blocks
exchange 1/8 of their input channels with the previous frame (TSM, Lin et
al., ICCV 2019, residual shift; causal when `causal=True`). This reuses the
official block layers unchanged - no fork of Model Garden: the backbone is a
chain of blocks, and for a residual block `x + F(s(x))` equals
`block(s(x)) + (x - s(x))` (the block adds its own input back), so the model
calls each official block on the shifted input and corrects the shortcut.
The causal shift streams with one state per shifted block (the previous
frame's shifted channels).

`inference_model()` returns the same network without GRW layers
(`MobilenetVideoClassifier`), or with `streaming=True` a
`MobilenetVideoStream` mapping `{**states, "image": frame}` to `(logits,
states)`, which `tf_grw.export` turns into SavedModel and streaming TF Lite.
"""

from typing import Any, Dict, List, Optional, Sequence

import tensorflow as tf
import tf_keras

from official.vision.ops import preprocess_ops
from tf_grw.core.errors import Described
from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.models.grw_endpoints import canonical_entries
from tf_grw.models.grw_endpoints import EMBEDDING
from tf_grw.models.grw_endpoints import grw_settings_of
from tf_grw.models.grw_endpoints import GRWTapsMixin
from tf_grw.models.grw_endpoints import pop_grw_settings
from tf_grw.models.grw_endpoints import resolve_grw_entries
from tf_grw.models.single_trace import SingleTraceFitMixin
from tf_grw.models.mobilenet.mobilenet_backbone import BlockChain
from tf_grw.models.mobilenet.mobilenet_backbone import check_model_id
from tf_grw.models.mobilenet.mobilenet_backbone import make_backbone
from tf_grw.models.mobilenet.mobilenet_backbone import MODEL_IDS
from tf_grw.models.mobilenet.mobilenet_backbone import valid_grw_endpoints
from tf_grw.models.mobilenet.mobilenet_stream import DEFAULT_MAX_FRAMES
from tf_grw.models.mobilenet.mobilenet_stream import MobilenetVideoStream
from tf_grw.models.mobilenet.mobilenet_stream import stream_max_frames
from tf_grw.models.mobilenet.mobilenet_stream import stream_states
from tf_grw.models.pretrained import copy_variables
from tf_grw.models.pretrained import load_backbone_checkpoint
from tf_grw.models.pretrained import PretrainedLoadReport
from tf_grw.models.temporal_head import TemporalTransformerHead
from tf_grw.models.temporal_shift import TemporalShift
from tf_grw.models.video_inputs import image_tensor

__all__ = [
    "MODEL_IDS", "HEADS", "build_mobilenet_grw", "valid_grw_endpoints",
    "MobilenetVideoClassifier", "MobilenetGRWClassifier",
    "MobilenetVideoStream", "DEFAULT_MAX_FRAMES",
]

HEADS = ("mean", "transformer")
INPUT_NORMALIZATIONS = ("imagenet", "none")


# -- the classifier --------------------------------------------------------------


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class MobilenetVideoClassifier(SingleTraceFitMixin, tf_keras.Model):
  """Model Garden's MobileNetV3 run on every frame, with a temporal head.

  The plain network (no GRW): what `MobilenetGRWClassifier.inference_model()`
  returns. A video `[B, T, H, W, 3]` (pixels in [0, 1], or `{"image":
  video}`) is normalized (`input_normalization="imagenet"`: ImageNet mean
  and standard deviation, as Model Garden's image classification input,
  so ImageNet MobileNet checkpoints fit), folded into `[B*T, H, W, 3]`, run
  through `mobilenet.MobileNet` (optionally with a temporal shift in the
  residual blocks, see the module docstring), and the per-frame features
  `[B, T, C]` (the last block's 1x1 output) are classified by the temporal
  head (`"mean"` or `"transformer"`).

  Args:
    num_classes: number of output logits.
    model_id: "MobileNetV3Small" or "MobileNetV3Large".
    filter_size_scale: the width multiplier (> 0).
    causal: causal temporal shift and causal Transformer head (streamable).
    temporal_shift: shift 1/`shift_div` of the channels between frames in
      the residual blocks (TSM).
    shift_div: TSM's fold divisor (8).
    head: "mean" or "transformer".
    dropout_rate: dropout before the mean head's classifier.
    embed_dim, transformer_layers, transformer_heads, transformer_mlp_dim,
      transformer_dropout: `TemporalTransformerHead` arguments.
    input_normalization: "imagenet" or "none" (frames used as they come).
    norm_momentum, norm_epsilon, stochastic_depth_drop_rate, use_sync_bn:
      `mobilenet.MobileNet` arguments.
    l2_weight_decay: when > 0, backbone kernels get `L2(l2_weight_decay / 2)`
      like Model Garden's tasks.
    num_frames, image_size: static input size recorded in the config, or
      None.
    **kwargs: `tf_keras.Model` arguments (`name`).

  Example:

  >>> import numpy as np
  >>> model = MobilenetVideoClassifier(num_classes=3, filter_size_scale=0.5)
  >>> model(np.random.rand(2, 4, 32, 32, 3).astype("float32")).shape
  TensorShape([2, 3])

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928; Howard et
  al., "Searching for MobileNetV3", ICCV 2019.
  """

  def __init__(self,
               num_classes: int,
               model_id: str = "MobileNetV3Small",
               filter_size_scale: float = 1.0,
               causal: bool = True,
               temporal_shift: bool = False,
               shift_div: int = 8,
               head: str = "mean",
               dropout_rate: float = 0.2,
               embed_dim: int = 256,
               transformer_layers: int = 1,
               transformer_heads: int = 4,
               transformer_mlp_dim: Optional[int] = None,
               transformer_dropout: float = 0.0,
               input_normalization: str = "imagenet",
               norm_momentum: float = 0.99,
               norm_epsilon: float = 1e-3,
               stochastic_depth_drop_rate: float = 0.0,
               use_sync_bn: bool = False,
               l2_weight_decay: float = 0.0,
               num_frames: Optional[int] = None,
               image_size: Optional[int] = None,
               **kwargs):
    super().__init__(**kwargs)
    check_model_id(model_id)
    if head not in HEADS:
      raise invalid_value("head", f"one of {list(HEADS)}", head)
    if input_normalization not in INPUT_NORMALIZATIONS:
      raise invalid_value("input_normalization",
                          f"one of {list(INPUT_NORMALIZATIONS)}",
                          input_normalization)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or (
        num_classes < 1):
      raise invalid_value("num_classes", "a positive integer", num_classes)
    if isinstance(filter_size_scale, bool) or not isinstance(
        filter_size_scale, (int, float)) or filter_size_scale <= 0:
      raise invalid_value("filter_size_scale", "a float > 0",
                          filter_size_scale)
    for arg, value in (("num_frames", num_frames), ("image_size", image_size)):
      if value is not None and (isinstance(value, bool) or
                                not isinstance(value, int) or value < 1):
        raise invalid_value(arg, "a positive integer or None", value)
    for arg, value in (("causal", causal), ("temporal_shift", temporal_shift)):
      if not isinstance(value, bool):
        raise invalid_value(arg, "a bool", value)
    if not (isinstance(dropout_rate, (int, float)) and
            0.0 <= dropout_rate < 1.0):
      raise invalid_value("dropout_rate", "a float in [0, 1)", dropout_rate)
    if not (isinstance(l2_weight_decay, (int, float)) and l2_weight_decay >= 0):
      raise invalid_value("l2_weight_decay", "a float >= 0", l2_weight_decay)
    self.num_classes = num_classes
    self.model_id = model_id
    self.filter_size_scale = float(filter_size_scale)
    self.causal = causal
    self.temporal_shift = temporal_shift
    self.shift_div = shift_div
    self.head = head
    self.dropout_rate = dropout_rate
    self.embed_dim = embed_dim
    self.transformer_layers = transformer_layers
    self.transformer_heads = transformer_heads
    self.transformer_mlp_dim = transformer_mlp_dim
    self.transformer_dropout = transformer_dropout
    self.input_normalization = input_normalization
    self.norm_momentum = norm_momentum
    self.norm_epsilon = norm_epsilon
    self.stochastic_depth_drop_rate = stochastic_depth_drop_rate
    self.use_sync_bn = use_sync_bn
    self.l2_weight_decay = l2_weight_decay
    self.num_frames = num_frames
    self.image_size = image_size

    # Cheap validation first (TemporalShift checks shift_div).
    self.shift = TemporalShift(shift_div, causal=causal, name="temporal_shift")
    regularizer = (tf_keras.regularizers.L2(l2_weight_decay / 2.0)
                   if l2_weight_decay else None)
    if head == "transformer":
      self.temporal_head = TemporalTransformerHead(
          num_classes=num_classes, embed_dim=embed_dim,
          num_layers=transformer_layers, num_heads=transformer_heads,
          mlp_dim=transformer_mlp_dim, dropout=transformer_dropout,
          causal=causal, name="temporal_head")
    else:
      self.temporal_head = None
      self.classifier_dropout = tf_keras.layers.Dropout(dropout_rate)
      self.classifier = tf_keras.layers.Dense(
          num_classes, kernel_regularizer=regularizer, name="classifier")
    self.backbone = make_backbone(
        model_id, self.filter_size_scale, norm_momentum, norm_epsilon,
        stochastic_depth_drop_rate, use_sync_bn, regularizer)
    self.chain = BlockChain(self.backbone)
    self.feature_channels = self.backbone.output[
        max(self.backbone.output, key=int)].shape[-1]
    if head == "transformer":
      self.temporal_head(tf_keras.Input(shape=(None, self.feature_channels)))
    else:
      # Called, not just built: its variables are named `classifier/...`.
      self.classifier(tf_keras.Input(shape=(self.feature_channels,)))
    self.built = True

  # -- forward ------------------------------------------------------------------

  def normalize(self, frames):
    """Frames in [0, 1] as the backbone expects them."""
    frames = tf.cast(frames, self.compute_dtype)
    if self.input_normalization == "none":
      return frames
    mean = tf.constant(preprocess_ops.MEAN_NORM, frames.dtype)
    std = tf.constant(preprocess_ops.STDDEV_NORM, frames.dtype)
    return (frames - mean) / std

  def block_outputs(self, video, training=None) -> Dict[str, tf.Tensor]:
    """Per-frame block outputs `{"block{idx}": [B*T, h, w, c]}` of a video.

    Returns also `"batch"` and `"frames"` (B and T as scalar tensors).
    """
    video = tf.convert_to_tensor(video)
    if video.shape.rank != 5:
      raise invalid_value("inputs", "a video of shape [B, T, H, W, 3]",
                          Described(f"<tensor of shape {video.shape}>"))
    shape = tf.shape(video)
    batch, frames = shape[0], shape[1]
    flat = tf.reshape(video, tf.concat([[-1], shape[2:]], axis=0))
    flat = self.normalize(flat)
    shift = None
    if self.temporal_shift:

      def shift(_, x):
        clip = tf.reshape(x, tf.concat([[batch, frames], tf.shape(x)[1:]], 0))
        return tf.reshape(self.shift(clip), tf.shape(x))

    outputs = self.chain.run(flat, training=training, shift=shift)
    outputs.update(batch=batch, frames=frames)
    return outputs

  def per_frame(self, outputs, name) -> tf.Tensor:
    """Spatial mean of block `name` per frame, `[B, T, c]`."""
    pooled = tf.reduce_mean(outputs[name], axis=[1, 2])
    return tf.reshape(pooled, [outputs["batch"], outputs["frames"], -1])

  def _tap(self, endpoint, features, training, frames):
    """Hook for GRW taps: returns `features` (a subclass adds the loss)."""
    del endpoint, training, frames
    return features

  def call(self, inputs, training=None):
    outputs = self.block_outputs(image_tensor(inputs), training=training)
    for name in outputs:
      if name.startswith("block"):
        self._tap(name, outputs[name], training, outputs["frames"])
    features = self.per_frame(outputs, self.chain.final)  # [B, T, C]
    if self.head == "mean":
      z = self._tap(EMBEDDING, features, training, outputs["frames"])
      pooled = tf.reduce_mean(z, axis=1)
      return self.classifier(self.classifier_dropout(pooled,
                                                     training=training))
    z = self._tap(EMBEDDING, self.temporal_head.embed(features), training,
                  outputs["frames"])
    return self.temporal_head.classify(z, training=training)

  def per_frame_embeddings(self, inputs) -> Dict[str, tf.Tensor]:
    """Per-frame `[B, T, C]` embedding (inference mode), for inspection."""
    outputs = self.block_outputs(image_tensor(inputs), training=False)
    features = self.per_frame(outputs, self.chain.final)
    if self.head == "transformer":
      features = self.temporal_head.embed(features)
    return {EMBEDDING: features}

  @property
  def checkpoint_items(self) -> Dict[str, Any]:
    """Extra checkpoint items, as Model Garden's classification models."""
    return dict(backbone=self.backbone)

  # -- streaming / export -------------------------------------------------------

  def plain_config(self) -> Dict[str, Any]:
    """Constructor arguments of `MobilenetVideoClassifier` (no GRW)."""
    return {name: getattr(self, name) for name in _plain_args()}

  def check_streamable(self) -> None:
    """Raises unless the model is causal where streaming needs it."""
    if self.head == "transformer" and not self.causal:
      raise invalid_value(
          "causal", "True to stream a Transformer head (build with "
          "stream=True)", self.causal)
    if self.temporal_shift and not self.causal:
      raise invalid_value(
          "causal", "True to stream a temporal shift (the bidirectional "
          "shift needs the next frame; build with stream=True)", self.causal)

  def inference_model(self,
                      streaming: bool = False,
                      batch_size: Optional[int] = None,
                      num_frames: Optional[int] = None,
                      image_size: Optional[int] = None,
                      max_frames: Optional[int] = None) -> tf_keras.Model:
    """The network with copies of the trained weights and no GRW code.

    Args:
      streaming: return a `MobilenetVideoStream` (one frame per call, states
        in and out) instead of a whole-clip `MobilenetVideoClassifier`.
      batch_size: unused (the models take any batch size); accepted for the
        export helpers' calling convention.
      num_frames, image_size: recorded in the returned whole-clip model's
        config; a stream model takes one frame per call of any size.
      max_frames: Transformer head buffer of the stream model (None: the
        model's `num_frames`, else `DEFAULT_MAX_FRAMES`).
    """
    del batch_size
    if not isinstance(streaming, bool):
      raise invalid_value("streaming", "True or False", streaming)
    config = self.plain_config()
    config.update(use_sync_bn=False, l2_weight_decay=0.0)
    if num_frames is not None and not streaming:
      config["num_frames"] = num_frames
    if image_size is not None:
      config["image_size"] = image_size
    if streaming:
      self.check_streamable()
      max_frames = stream_max_frames(max_frames, self.num_frames)
    plain = MobilenetVideoClassifier(**config, name=f"{self.name}_inference")
    copy_variables(self.backbone.weights, plain.backbone.weights)
    head = self.temporal_head or self.classifier
    copy_variables(head.weights, (plain.temporal_head or
                                   plain.classifier).weights)
    if not streaming:
      return plain
    return MobilenetVideoStream(plain, max_frames, name=f"{self.name}_stream")

  def init_states(self, input_shape,
                  max_frames: Optional[int] = None) -> Dict[str, tf.Tensor]:
    """Zero states of `inference_model(streaming=True)` for a video shape."""
    self.check_streamable()
    return stream_states(self, input_shape,
                          stream_max_frames(max_frames, self.num_frames), zeros=True)

  # -- pretrained weights -------------------------------------------------------

  def load_pretrained(self, checkpoint_path: str,
                      strict: bool = True) -> PretrainedLoadReport:
    """Loads a Model Garden MobileNet backbone checkpoint (e.g. ImageNet).

    Reads the backbone from a checkpoint whose root has `backbone` (Model
    Garden's training checkpoints, `tf.train.Checkpoint(backbone=...)`) or
    `model/_backbone` / `model/backbone` (`tf.train.Checkpoint(model=<image
    classification model>)`), matched by child name as checkpoint
    restoration does. The temporal head is not loaded (an image classifier
    has none); the temporal shift adds no weights.

    Args:
      checkpoint_path: a checkpoint prefix or a directory (latest one).
      strict: raise ValueError when a backbone variable is missing or has
        another shape (another model id or width multiplier).

    Returns:
      A `PretrainedLoadReport`.
    """
    return load_backbone_checkpoint(
        self.backbone, checkpoint_path, strict,
        f"the {self.model_id} backbone (filter_size_scale="
        f"{self.filter_size_scale})",
        head_note="the temporal head is not in image checkpoints")

  def get_config(self):
    return {"name": self.name, **self.plain_config()}

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class MobilenetGRWClassifier(GRWTapsMixin, MobilenetVideoClassifier):
  """A per-frame MobileNetV3 video classifier trained with GRW smoothing.

  `MobilenetVideoClassifier` plus a `GRWSmoothing` tap on each endpoint of
  `grw_endpoints`: block outputs (`"level2"`..`"level5"`, `"block{idx}"`,
  fnmatch patterns such as `"block1*"`) are averaged over space per frame
  and smoothed as side branches; `"embedding"` is the per-frame vector the
  head aggregates (the backbone features with `head="mean"`, the affine
  embedding with `head="transformer"`). In training (`training=True`) each
  tap adds `weight * GRW loss` with `add_loss` and logs the unweighted loss
  as `grw_loss_<endpoint>` (`grw_loss`: their sum); in inference it does
  nothing. `inference_model()` drops the taps.

  Args:
    grw_endpoints: entries as in `tf_grw.models.movinet.movinet_grw.MovinetGRWClassifier`
      (a name, a dict with `endpoint` and overrides, or a tuple).
    grw_settings: the model-wide `tf_grw.GRWSettings` (or a dict of its
      fields; None: the defaults), which an entry's keys override.
    **kwargs: `MobilenetVideoClassifier` arguments.

  Example:

  >>> import numpy as np
  >>> model = MobilenetGRWClassifier(num_classes=3, filter_size_scale=0.5,
  ...                                grw_endpoints=["level3", "embedding"])
  >>> video = np.random.rand(2, 5, 32, 32, 3).astype("float32")
  >>> model(video, training=True).shape
  TensorShape([2, 3])
  >>> len(model.losses)
  2

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def __init__(self,
               num_classes: int,
               grw_endpoints: Sequence[Any] = (EMBEDDING,),
               grw_settings: Optional[GRWSettings] = None,
               **kwargs):
    entries = canonical_entries(grw_endpoints)
    settings = grw_settings_of(grw_settings)
    super().__init__(num_classes, **kwargs)
    levels = {f"level{k}": n for k, n in self.chain.levels.items()}
    self._init_grw_taps(
        entries, settings,
        lambda e, s: resolve_grw_entries(
            e, list(levels) + self.chain.spatial + [EMBEDDING],
            aliases=levels, pattern_names=self.chain.spatial, defaults=s,
            model_label=f"{self.model_id} (x{self.filter_size_scale:g})",
            alias_note="'levelN' is one of the blocks"),
        self.num_frames)
    self._grw_by_endpoint = dict(zip((s.endpoint for s in self.grw_specs),
                                     self.grw_layers))
    for spec, layer in zip(self.grw_specs, self.grw_layers):
      with tf.name_scope(layer.name):
        layer.build(tf.TensorShape([None, None,
                                    self.grw_channels(spec.endpoint)]))
    self._init_grw_total()

  def grw_channels(self, endpoint: str) -> int:
    """Channels of the per-frame features GRW sees at `endpoint`."""
    if endpoint == EMBEDDING:
      return (self.embed_dim if self.head == "transformer"
              else self.feature_channels)
    return self.chain.layers[self.chain.outputs[endpoint]].output.shape[-1]

  def _tap(self, endpoint, features, training, frames):
    layer = self._grw_by_endpoint.get(endpoint)
    phase = training if training is not None else (
        tf_keras.backend.learning_phase())
    if layer is None or (isinstance(phase, (bool, int)) and not phase):
      return features  # In inference GRW is not even traced.
    if endpoint != EMBEDDING:
      # A side branch on the spatial mean per frame.
      pooled = tf.reduce_mean(features, axis=[1, 2])
      layer(tf.reshape(pooled, [-1, frames, pooled.shape[-1]]),
            training=training)
      return features
    return layer(features, training=training)

  def per_frame_embeddings(self, inputs) -> Dict[str, tf.Tensor]:
    """Per-frame `[B, T, C]` features of every GRW endpoint (inference)."""
    outputs = self.block_outputs(image_tensor(inputs), training=False)
    out = {}
    for spec in self.grw_specs:
      if spec.endpoint == EMBEDDING:
        out[EMBEDDING] = MobilenetVideoClassifier.per_frame_embeddings(
            self, inputs)[EMBEDDING]
      else:
        out[spec.endpoint] = self.per_frame(outputs, spec.endpoint)
    return out

  def get_config(self):
    config = super().get_config()
    config.update(self.grw_config())
    return config


def build_mobilenet_grw(model_id: str = "MobileNetV3Small",
                        num_classes: int = 600,
                        stream: bool = True,
                        grw_endpoints: Sequence[Any] = (EMBEDDING,),
                        window: int = 5,
                        weight: float = 0.1,
                        head: str = "mean",
                        filter_size_scale: float = 1.0,
                        temporal_shift: bool = False,
                        **options) -> MobilenetGRWClassifier:
  """Builds a per-frame MobileNetV3 video classifier with GRW smoothing.

  `stream=True` makes the temporal shift and the Transformer head causal, so
  that `inference_model(streaming=True)` runs frame by frame and ends on the
  whole-clip logits; `head="mean"` streams either way. The paper's
  MobileNetV3-S result (Kinetics-600) does not publish the wiring; this
  default smooths the per-frame features the mean head averages, with
  batch norm before the loss (alpha 0).

  Args:
    model_id: "MobileNetV3Small" or "MobileNetV3Large".
    num_classes: number of classes.
    stream: causal variant (True) or bidirectional shift / full attention.
    grw_endpoints: GRW taps, see `MobilenetGRWClassifier` (empty: baseline).
    window: default GRW window T (>= 3).
    weight: default GRW weight lambda (paper: 0.1).
    head: "mean" or "transformer".
    filter_size_scale: the MobileNet width multiplier.
    temporal_shift: TSM residual shift in the residual blocks.
    **options: the other `tf_grw.GRWSettings` fields (`alpha`,
      `normalization`, `orderings`, ...) and other `MobilenetGRWClassifier`
      arguments (`dropout_rate`, `embed_dim`, `num_frames`, `name`, ...).

  Example:

  >>> model = build_mobilenet_grw(num_classes=5, filter_size_scale=0.5,
  ...                             temporal_shift=True)
  >>> model.causal, model.head, [s.endpoint for s in model.grw_specs]
  (True, 'mean', ['embedding'])

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """
  if not isinstance(stream, bool):
    raise invalid_value("stream", "True or False", stream)
  settings = pop_grw_settings(options, window=window, weight=weight)
  return MobilenetGRWClassifier(
      num_classes=num_classes, model_id=model_id, causal=stream,
      grw_endpoints=grw_endpoints, grw_settings=settings, head=head,
      filter_size_scale=filter_size_scale, temporal_shift=temporal_shift,
      **options)


def _plain_args() -> List[str]:
  """`MobilenetVideoClassifier`'s constructor arguments (all attributes)."""
  import inspect  # pylint: disable=g-import-not-at-top
  return [p for p in inspect.signature(
      MobilenetVideoClassifier.__init__).parameters
          if p not in ("self", "kwargs")]

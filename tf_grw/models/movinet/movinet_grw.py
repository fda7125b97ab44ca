"""Official Model Garden MoViNets with GRW smoothing on chosen endpoints.

Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.

`build_movinet_grw` returns a `MovinetGRWClassifier`: the official
`movinet.Movinet` backbone (from `official.projects.movinet`), a
`GRWSmoothing` tap on each chosen per-frame endpoint, and either the official
MoViNet classifier head or the paper's final-layer head (per-frame Dense
embedding, GRW on it, small Transformer over time). `inference_model()` gives
back a plain model with the trained weights and no GRW code: an official
`MovinetClassifier` (optionally with stream states) for the MoViNet head, a
functional model or a `MovinetTransformerStream` (stream states) for the
Transformer head.
"""

from typing import Any, Dict, Optional, Sequence

import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet
from official.projects.movinet.modeling import movinet_layers
from tf_grw.core.errors import invalid_value
from tf_grw.core.grw_settings import GRWSettings
from tf_grw.models.grw_endpoints import canonical_entries
from tf_grw.models.grw_endpoints import grw_settings_of
from tf_grw.models.grw_endpoints import GRWTapsMixin
from tf_grw.models.grw_endpoints import pop_grw_settings
from tf_grw.models.movinet.movinet_recipes import CONV_TYPES
from tf_grw.models.movinet import movinet_official
from tf_grw.models.movinet.movinet_recipes import EMBEDDING
from tf_grw.models.movinet.movinet_recipes import check_model_id
from tf_grw.models.movinet.movinet_recipes import MODEL_IDS
from tf_grw.models.movinet.movinet_recipes import movinet_recipe
from tf_grw.models.movinet.movinet_recipes import resolve_endpoints as _resolve_endpoints
from tf_grw.models.movinet.movinet_recipes import valid_grw_endpoints
from tf_grw.models.movinet.movinet_stream import MovinetTransformerStream
from tf_grw.models.pretrained import PretrainedLoadReport
from tf_grw.models.single_trace import SingleTraceFitMixin
from tf_grw.models.temporal_head import head_init_states as _head_init_states
from tf_grw.models.temporal_head import head_state_specs as _head_state_specs
from tf_grw.models.temporal_head import TemporalTransformerHead
from tf_grw.models.video_inputs import image_tensor

__all__ = [
    "MODEL_IDS", "movinet_recipe", "build_movinet_grw", "MovinetGRWClassifier",
    "PretrainedLoadReport", "valid_grw_endpoints", "MovinetTransformerStream",
    "DEFAULT_MAX_FRAMES",
]

HEADS = ("movinet", "transformer")
# Head buffer length of a Transformer stream model without static num_frames.
DEFAULT_MAX_FRAMES = 64


@tf_keras.utils.register_keras_serializable(package="tf_grw")
class MovinetGRWClassifier(GRWTapsMixin, SingleTraceFitMixin, tf_keras.Model):
  """An official MoViNet video classifier trained with GRW smoothing.

  The forward pass runs the official `movinet.Movinet` backbone (per-frame
  endpoints `stem`, `block{b}_layer{l}` of shape `[B, T, h, w, c]`), applies a
  `GRWSmoothing` layer to each endpoint in `grw_endpoints`, and classifies with

  * `head="movinet"`: the official `movinet_layers.ClassifierHead` on the
    backbone's pooled `head` endpoint, so the weights are exactly those of an
    official `movinet_model.MovinetClassifier`;
  * `head="transformer"`: the paper's final-layer variant. The backbone's
    head projection (its last conv, before pooling) is averaged over space per
    frame, projected by the Dense `affine` layer of a
    `TemporalTransformerHead` to the per-frame embedding (GRW endpoint
    `"embedding"`), then LayerNorm -> Transformer -> mean over time -> logits.

  GRW taps on backbone endpoints are side branches (the official backbone is a
  closed functional model), which is enough: this is a subclassed model, so
  every loss a GRW layer adds while `call` runs with `training=True` is in
  `model.losses`, which Keras `fit` and Model Garden's video task add to the
  objective. With `training=False` nothing is added. Each tap logs its
  unweighted loss as the metric `grw_loss_<endpoint>`, and `grw_loss` logs
  their sum.

  Use `build_movinet_grw` for the official presets; this constructor takes
  the resolved arguments (it is what `get_config` stores).

  Streaming: train with the causal (stream) recipe, then
  `inference_model(streaming=True)` returns an official `MovinetClassifier`
  with external states (head="movinet") or a `MovinetTransformerStream`
  (head="transformer"); call it as `logits, states = m({**states, "image":
  frames})` starting from `model.init_states(shape)` (`shape` of the video,
  e.g. `[1, 1, H, W, 3]`). The stream recipe of `build_movinet_grw` makes the
  Transformer head causal, so the last stream logits equal the whole-clip
  logits `model(clip, training=False)`.

  Args:
    num_classes: number of output logits.
    model_id: MoViNet size, one of `MODEL_IDS` (or another key of Model
      Garden's `movinet.BLOCK_SPECS`, see `check_model_id`).
    causal, conv_type, se_type, activation, gating_activation,
      use_positional_encoding, stochastic_depth_drop_rate, use_sync_bn,
      norm_momentum, norm_epsilon: `movinet.Movinet` arguments.
    dropout_rate: dropout before the MoViNet classifier.
    classifier_activation: activation of the MoViNet classifier head.
    l2_weight_decay: Model Garden's `losses.l2_weight_decay`; when > 0 the
      backbone and head kernels get `L2(l2_weight_decay / 2)` like Model
      Garden's video task.
    head: `"movinet"` or `"transformer"`.
    embed_dim, transformer_layers, transformer_heads, transformer_mlp_dim,
      transformer_dropout, transformer_causal: `TemporalTransformerHead`
      arguments (head="transformer" only). `build_movinet_grw` sets
      `transformer_causal=stream` unless given.
    grw_endpoints: where GRW applies; each entry is a name (`"stem"`,
      `"block4_layer3"`, a stage `"block4"` meaning its last layer - the
      stage output, `"embedding"` with the Transformer head, or an fnmatch
      pattern such as `"block4_layer*"` for every layer of a stage), a dict
      `{"endpoint": name, "window": 6, "weight": 0.05, ...}` or a tuple
      `(name, window[, weight[, alpha]])` / `(name, dict)`. Per-entry keys
      override the fields of `grw_settings`.
    grw_settings: the model-wide `tf_grw.GRWSettings` of every entry (or a
      dict of its fields; None: the defaults, window 5, weight 0.1, batch
      norm, alpha 0).
    num_frames, image_size: static input frames / square size, or None.
    **kwargs: `tf_keras.Model` arguments (`name`).

  Call arguments:
    inputs: video `[B, T, H, W, 3]` (pixels in [0, 1]) or `{"image": video}`.
    training: Python bool or None.

  Example:

  >>> import numpy as np
  >>> from tf_grw.core.grw_settings import GRWSettings
  >>> model = MovinetGRWClassifier(3, grw_endpoints=["block1"],
  ...                              grw_settings=GRWSettings(window=4))
  >>> video = np.random.rand(2, 4, 32, 32, 3).astype("float32")
  >>> model(video, training=True).shape
  TensorShape([2, 3])
  >>> len(model.losses)
  1

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """

  def __init__(self,
               num_classes: int,
               model_id: str = "a0",
               causal: bool = True,
               conv_type: str = "2plus1d",
               se_type: str = "2plus3d",
               activation: str = "hard_swish",
               gating_activation: str = "hard_sigmoid",
               use_positional_encoding: bool = False,
               stochastic_depth_drop_rate: float = 0.2,
               use_sync_bn: bool = True,
               norm_momentum: float = 0.99,
               norm_epsilon: float = 1e-3,
               dropout_rate: float = 0.2,
               classifier_activation: str = "swish",
               l2_weight_decay: float = 0.0,
               head: str = "movinet",
               embed_dim: int = 256,
               transformer_layers: int = 1,
               transformer_heads: int = 4,
               transformer_mlp_dim: Optional[int] = None,
               transformer_dropout: float = 0.0,
               transformer_causal: bool = False,
               grw_endpoints: Sequence[Any] = ("block4",),
               grw_settings: Optional[GRWSettings] = None,
               num_frames: Optional[int] = None,
               image_size: Optional[int] = None,
               **kwargs):
    super().__init__(**kwargs)
    # Validate everything cheap before building the backbone.
    check_model_id(model_id)
    if head not in HEADS:
      raise invalid_value("head", f"one of {list(HEADS)}", head)
    if conv_type not in CONV_TYPES:
      raise invalid_value("conv_type", f"one of {list(CONV_TYPES)}",
                          conv_type)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or (
        num_classes < 1):
      raise invalid_value("num_classes", "a positive integer", num_classes)
    for arg, value in (("num_frames", num_frames), ("image_size", image_size)):
      if value is not None and (isinstance(value, bool) or
                                not isinstance(value, int) or value < 1):
        raise invalid_value(arg, "a positive integer or None", value)
    if not (isinstance(l2_weight_decay, (int, float)) and l2_weight_decay >= 0):
      raise invalid_value("l2_weight_decay", "a float >= 0", l2_weight_decay)
    entries = canonical_entries(grw_endpoints)
    settings = grw_settings_of(grw_settings)

    self.num_classes = num_classes
    self.model_id = model_id
    self.causal = causal
    self.conv_type = conv_type
    self.se_type = se_type
    self.activation = activation
    self.gating_activation = gating_activation
    self.use_positional_encoding = use_positional_encoding
    self.stochastic_depth_drop_rate = stochastic_depth_drop_rate
    self.use_sync_bn = use_sync_bn
    self.norm_momentum = norm_momentum
    self.norm_epsilon = norm_epsilon
    self.dropout_rate = dropout_rate
    self.classifier_activation = classifier_activation
    self.l2_weight_decay = l2_weight_decay
    self.head = head
    self.embed_dim = embed_dim
    self.transformer_layers = transformer_layers
    self.transformer_heads = transformer_heads
    self.transformer_mlp_dim = transformer_mlp_dim
    self.transformer_dropout = transformer_dropout
    self.transformer_causal = transformer_causal
    self.num_frames = num_frames
    self.image_size = image_size
    self._init_grw_taps(
        entries, settings,
        lambda e, s: _resolve_endpoints(e, model_id, head, s), num_frames)
    if head == "transformer":
      self.temporal_head = self._make_temporal_head()
      self.classifier_head = None
    else:
      self.temporal_head = None
    self._regularizer = (tf_keras.regularizers.L2(l2_weight_decay / 2.0)
                         if l2_weight_decay else None)
    self.backbone = self._make_backbone(
        conv_type=conv_type, use_external_states=False,
        use_sync_bn=use_sync_bn, kernel_regularizer=self._regularizer)
    if head == "movinet":
      # The same layer, arguments and name as in the official classifier.
      self.classifier_head = movinet_layers.ClassifierHead(
          head_filters=self.backbone.head_filters,
          num_classes=num_classes,
          dropout_rate=dropout_rate,
          kernel_initializer="HeNormal",
          kernel_regularizer=self._regularizer,
          conv_type=conv_type,
          activation=classifier_activation,
          name="classifier_head")
    self._build_heads_and_taps()
    self._init_grw_total()

  # -- construction helpers -------------------------------------------------

  def _build_heads_and_taps(self):
    """Creates every weight now, so that `weights`/`count_params` just work.

    The backbone is functional (already built); the heads are built by a
    symbolic call, the GRW layers from the endpoint shapes with unknown
    frames.
    """
    endpoints = self.backbone.output[0]
    head_channels = endpoints["head"].shape[-1]
    if self.head == "movinet":
      self.classifier_head(tf_keras.Input(shape=(1, 1, 1, head_channels)))
    else:
      self.temporal_head(tf_keras.Input(shape=(None, head_channels)))
    for spec, layer in zip(self.grw_specs, self.grw_layers):
      if spec.endpoint == EMBEDDING:
        shape = tf.TensorShape([None, None, self.embed_dim])
      else:
        shape = tf.TensorShape([None, None]).concatenate(
            endpoints[spec.endpoint].shape[2:])
      with tf.name_scope(layer.name):
        layer.build(shape)
    self.built = True

  def _input_spec_shape(self, batch_size=None, num_frames=None,
                        image_size=None):
    size = image_size if image_size is not None else self.image_size
    frames = num_frames if num_frames is not None else self.num_frames
    return [batch_size, frames, size, size, 3]

  def _make_backbone(self, conv_type, use_external_states, use_sync_bn,
                     kernel_regularizer=None, input_shape=None):
    return movinet.Movinet(
        model_id=self.model_id,
        causal=self.causal,
        use_positional_encoding=self.use_positional_encoding,
        conv_type=conv_type,
        se_type=self.se_type,
        input_specs=tf_keras.layers.InputSpec(
            shape=input_shape or self._input_spec_shape()),
        activation=self.activation,
        gating_activation=self.gating_activation,
        use_sync_bn=use_sync_bn,
        norm_momentum=self.norm_momentum,
        norm_epsilon=self.norm_epsilon,
        kernel_regularizer=kernel_regularizer,
        stochastic_depth_drop_rate=self.stochastic_depth_drop_rate,
        use_external_states=use_external_states,
        output_states=True,
        # The Transformer head needs per-frame features: no pooling.
        average_pooling_type="3d" if self.head == "movinet" else "none")

  def _make_temporal_head(self):
    return TemporalTransformerHead(
        num_classes=self.num_classes,
        embed_dim=self.embed_dim,
        num_layers=self.transformer_layers,
        num_heads=self.transformer_heads,
        mlp_dim=self.transformer_mlp_dim,
        dropout=self.transformer_dropout,
        causal=self.transformer_causal,
        name="temporal_head")

  # -- forward ----------------------------------------------------------------

  def call(self, inputs, training=None):
    image = image_tensor(inputs)
    endpoints, _ = self.backbone({"image": image}, training=training)
    phase = training if training is not None else (
        tf_keras.backend.learning_phase())
    # In inference the GRW layers are skipped altogether (not even traced).
    active = not (isinstance(phase, (bool, int)) and not phase)

    def tap(layer, x):
      return layer(x, training=training) if active else x

    embedding_layer = None
    for spec, layer in zip(self.grw_specs, self.grw_layers):
      if spec.endpoint == EMBEDDING:
        embedding_layer = layer
      else:
        tap(layer, endpoints[spec.endpoint])  # A side branch.
    if self.head == "movinet":
      logits = self.classifier_head(endpoints["head"], training=training)
    else:
      features = tf.reduce_mean(endpoints["head"], axis=[2, 3])
      z = self.temporal_head.embed(features)
      if embedding_layer is not None:
        z = tap(embedding_layer, z)  # On the main path.
      logits = self.temporal_head.classify(z, training=training)
    return logits

  def grw_channels(self, endpoint: str) -> int:
    """Channels of the per-frame features GRW sees at `endpoint`."""
    if endpoint == EMBEDDING:
      return self.embed_dim
    return self.backbone.output[0][endpoint].shape[-1]

  @property
  def checkpoint_items(self) -> Dict[str, Any]:
    """Extra checkpoint items, as Model Garden's `MovinetClassifier` has."""
    return dict(backbone=self.backbone)

  def per_frame_embeddings(self, inputs):
    """Per-frame `[B, T, C]` features of every GRW endpoint, inference mode.

    For inspection (e.g. trajectory plots): the spatial mean of each tapped
    endpoint, or the affine embedding for `"embedding"`, before the GRW
    normalization.
    """
    endpoints, _ = self.backbone({"image": image_tensor(inputs)}, training=False)
    out = {}
    for spec in self.grw_specs:
      if spec.endpoint == EMBEDDING:
        features = tf.reduce_mean(endpoints["head"], axis=[2, 3])
        out[spec.endpoint] = self.temporal_head.embed(features)
      else:
        out[spec.endpoint] = tf.reduce_mean(endpoints[spec.endpoint], [2, 3])
    return out

  # -- stream states -----------------------------------------------------------

  def initial_state_specs(
      self,
      input_shape: Sequence[int],
      max_frames: Optional[int] = None) -> Dict[str, tf_keras.layers.InputSpec]:
    """State specs of the streaming model (official `Movinet` machinery).

    With `head="transformer"` they include the head's `state_head_embeddings`
    `[B, max_frames, embed_dim]` float32 and `state_head_count` `[B]` int32
    (see `inference_model`).

    Args:
      input_shape: the video shape `[B, T, H, W, 3]` (T is not used).
      max_frames: the head buffer length (head="transformer" only); `None`
        means `inference_model`'s default.
    """
    self._check_streamable()
    specs = self.backbone.initial_state_specs(input_shape=input_shape)
    if self.head == "transformer":
      specs.update(_head_state_specs(
          input_shape[0], self._stream_max_frames(max_frames),
          self.embed_dim))
    return specs

  def init_states(self, input_shape,
                  max_frames: Optional[int] = None) -> Dict[str, tf.Tensor]:
    """Zero states for the first streaming call of `inference_model(True)`.

    Args:
      input_shape: the video shape `[B, T, H, W, 3]` (a list or a tensor).
      max_frames: the head buffer length (head="transformer" only); `None`
        means `inference_model`'s default. Pass the value given to
        `inference_model`, or use the stream model's own `init_states`.
    """
    self._check_streamable()
    states = self.backbone.init_states(input_shape)
    if self.head == "transformer":
      states.update(_head_init_states(
          input_shape[0], self._stream_max_frames(max_frames),
          self.embed_dim))
    return states

  def _stream_max_frames(self, max_frames):
    if max_frames is None:
      return self.num_frames or DEFAULT_MAX_FRAMES
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or (
        max_frames < 1):
      raise invalid_value("max_frames", "a positive integer or None",
                          max_frames)
    return max_frames

  def _check_streamable(self):
    if not self.causal:
      raise invalid_value(
          "causal", "True for streaming (build with stream=True)", self.causal)

  # -- inference / export ------------------------------------------------------

  def inference_model(self,
                      streaming: bool = False,
                      conv_type: Optional[str] = None,
                      batch_size: Optional[int] = None,
                      num_frames: Optional[int] = None,
                      image_size: Optional[int] = None,
                      max_frames: Optional[int] = None) -> tf_keras.Model:
    """A plain model with copies of the trained weights and no GRW code.

    For `head="movinet"` this is an official
    `movinet_model.MovinetClassifier`; with `streaming=True` its backbone has
    `use_external_states=True` and it maps `{**states, "image": frames}` to
    `(logits, states)`, as Model Garden's export expects.

    For `head="transformer"` it is a functional model video -> logits, or
    with `streaming=True` a `MovinetTransformerStream`: it maps `{**states,
    "image": frames[B, 1, H, W, 3]}` to `(logits, states)` where the states
    are the official backbone's plus the head's `state_head_embeddings`
    `[B, max_frames, embed_dim]` (the affine embeddings of the frames seen so
    far) and `state_head_count` `[B]` int32 (how many). After frame t the
    logits are those of the clip of frames 0..t, exactly (up to float
    rounding), so the last ones equal `model(clip, training=False)`. The
    stream recipe's causal head (`transformer_causal=True`) is the natural
    one to stream: its per-frame outputs never change once computed. The
    buffer holds `max_frames` frames; later frames still advance the
    backbone states but no longer change the head (the logits stay those of
    the first `max_frames` frames). Start from `stream.init_states(shape)`
    (or `model.init_states(shape, max_frames)`).

    Args:
      streaming: external stream states in and out (causal models only).
      conv_type: convolution type of the returned model; `None` keeps the
        training one. `"2plus1d"` from a `"3d_2plus1d"` model converts the
        kernels like Model Garden's `tools/convert_3d_2plus1d.py` (the TF
        Lite path); `"3d_2plus1d"` from `"2plus1d"` is the inverse.
      batch_size, num_frames, image_size: static input dimensions (e.g. 1, 1
        and 172 for TF Lite streaming); `None` keeps the model's.
      max_frames: streaming Transformer head only: frames its buffer holds;
        `None` means the model's `num_frames` if set, else
        `DEFAULT_MAX_FRAMES` (64).

    Returns:
      A `tf_keras.Model` (synchronized batch norm off, as for export).
    """
    return movinet_official.inference_model(
        self, streaming=streaming, conv_type=conv_type, batch_size=batch_size,
        num_frames=num_frames, image_size=image_size, max_frames=max_frames)

  # -- pretrained weights ------------------------------------------------------

  def load_pretrained(self,
                      checkpoint_path: str,
                      strict: bool = True,
                      checkpoint_conv_type: Optional[str] = None
                      ) -> "PretrainedLoadReport":
    """Loads an official Model Garden MoViNet checkpoint.

    Published MoViNet checkpoints are `tf.train.Checkpoint(model=<official
    MovinetClassifier>)`; the backbone is the classifier's `_backbone` and
    its `ClassifierHead` is `layer_with_weights-1`. (A checkpoint whose root
    has `backbone`, as Model Garden training writes, works too.) The
    checkpoint's object graph is matched against this model's backbone and
    head by child name, as `tf.train.Checkpoint.restore(...).expect_partial()`
    matches, and each matched value is assigned; values the model lacks
    (optimizer slots, a head of another size) are ignored and reported.

    The MoViNet head is loaded only when all of its variables match (same
    `num_classes`); the Transformer head is never in official checkpoints.

    Args:
      checkpoint_path: a checkpoint prefix or a directory (latest checkpoint).
      strict: raise ValueError when a backbone variable is missing from the
        checkpoint or has another shape (wrong model id or recipe).
      checkpoint_conv_type: the checkpoint's `conv_type` when it differs from
        the model's: `"2plus1d"` and `"3d_2plus1d"` checkpoints load into
        either (through an official model of the checkpoint's type, then the
        kernel conversion of Model Garden's `tools/convert_3d_2plus1d.py`).

    Returns:
      A `PretrainedLoadReport`; `str(report)` is a readable summary.
    """
    return movinet_official.load_pretrained(
        self, checkpoint_path, strict=strict,
        checkpoint_conv_type=checkpoint_conv_type)

  # -- serialization -----------------------------------------------------------

  def get_config(self):
    config = {name: getattr(self, name) for name in _constructor_args()}
    config.update(self.grw_config())
    return {"name": self.name, **config}

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)


def build_movinet_grw(model_id: str = "a0",
                      num_classes: int = 600,
                      stream: bool = True,
                      grw_endpoints: Sequence[Any] = ("block4",),
                      window: int = 5,
                      weight: float = 0.1,
                      alpha: Optional[float] = None,
                      normalization: str = "batch_norm",
                      head: str = "movinet",
                      conv_type: Optional[str] = None,
                      num_frames: Optional[int] = None,
                      image_size: Optional[int] = None,
                      embed_dim: int = 256,
                      **options) -> MovinetGRWClassifier:
  """Builds a MoViNet classifier with GRW smoothing, official recipe presets.

  `stream=True` uses the official causal stream recipe, `stream=False` the
  base recipe (see `movinet_recipe`). The paper's MoViNet results are A0-A2
  stream and A3 base, with the final-layer variant
  (`head="transformer", grw_endpoints=["embedding"]`), T=5 for A0-A2 and T=6
  for A3.

  Args:
    model_id: "a0" ... "a5" (or another key of Model Garden's
      `movinet.BLOCK_SPECS`, with A0's recipe; see `movinet_recipe`).
    num_classes: number of classes (600 matches the Kinetics-600 checkpoints).
    stream: causal stream recipe (True) or base recipe (False).
    grw_endpoints: where GRW applies, see `MovinetGRWClassifier`. A stage
      name `"blockN"` means the stage's last layer (the stage output);
      `"blockN_layer*"` taps every layer of the stage.
    window: default GRW window T (>= 3).
    weight: default GRW weight lambda (paper: 0.1).
    alpha: default velocity weight (None: from `normalization`).
    normalization: default GRW normalization.
    head: `"movinet"` (official head) or `"transformer"` (paper's final-layer
      head; needed for `"embedding"`). With `stream=True` the Transformer
      head is causal (frame t attends to frames <= t; the clip logits are the
      classifier of the mean over time of the per-frame outputs), so that
      `inference_model(streaming=True)` streams it frame by frame and ends on
      the whole-clip logits; with `stream=False` it attends over the whole
      clip. Pass `transformer_causal` to choose otherwise.
    conv_type: None for the recipe's (`"2plus1d"` stream, `"3d"` base), or
      `"3d_2plus1d"` (Model Garden's stream training type), `"2plus1d"`, `"3d"`.
    num_frames, image_size: static input size, or None (dynamic).
    embed_dim: width of the Transformer head's per-frame embedding.
    **options: the other `tf_grw.GRWSettings` fields (`orderings`,
      `num_orderings`, `seed`, `center_per_frame`), or any other
      `MovinetGRWClassifier` argument, overriding the recipe (e.g.
      `dropout_rate`, `use_sync_bn`, `l2_weight_decay`, `transformer_layers`,
      `name`).

  Returns:
    A `MovinetGRWClassifier`.

  Example:

  >>> model = build_movinet_grw("a0", num_classes=10, head="transformer",
  ...                           grw_endpoints=["embedding"], embed_dim=32)
  >>> model.conv_type, model.se_type, model.causal
  ('2plus1d', '2plus3d', True)

  Reference: Goldman, Giryes, Satyanarayanan, "Smooth Regularization for
  Efficient Video Recognition", NeurIPS 2025, arXiv:2511.20928.
  """
  settings = pop_grw_settings(options, window=window, weight=weight,
                              alpha=alpha, normalization=normalization)
  config = movinet_recipe(model_id, stream)
  if conv_type is not None:
    config["conv_type"] = conv_type
  allowed = set(_constructor_args()) - {
      "num_classes", "grw_endpoints", "grw_settings", "head", "num_frames",
      "image_size", "embed_dim", "model_id"} | {"name"}
  unknown = sorted(set(options) - allowed)
  if unknown:
    raise invalid_value(
        "options", f"keyword arguments among {sorted(allowed)}", unknown[0])
  if head == "transformer":
    config["transformer_causal"] = stream
  config.update(options)
  return MovinetGRWClassifier(
      num_classes=num_classes, grw_endpoints=grw_endpoints,
      grw_settings=settings, head=head, num_frames=num_frames,
      image_size=image_size, embed_dim=embed_dim, **config)


def _constructor_args():
  import inspect  # pylint: disable=g-import-not-at-top
  return [p for p in inspect.signature(MovinetGRWClassifier.__init__).parameters
          if p not in ("self", "kwargs")]

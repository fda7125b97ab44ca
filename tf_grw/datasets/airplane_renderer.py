"""Renders the "rotating airplanes" clips: a biplane spinning about one axis.

Goldman et al., "Smooth Regularization for Efficient Video Recognition"
(NeurIPS 2025) motivate GRW smoothing with a warm-up task: short videos of a
small biplane that spins about one of its own body axes. The label is the axis:

  * 0 ``yaw``:   rotation about the body *up* axis (+z, where the fin points),
  * 1 ``pitch``: rotation about the body *span* axis (+y, along the wings),
  * 2 ``roll``:  rotation about the body *longitudinal* axis (+x, nose).

Every clip starts from an orientation ``R_0`` drawn uniformly (Haar measure)
over SO(3) from a random unit quaternion and spins at a random angular speed
``omega`` (10-25 degrees per frame by default, random sign) about the body axis
of its class: ``R_t = R_0 @ R_axis(omega * t)``. Because the Haar measure is
invariant under right-multiplication by any fixed rotation, ``R_t`` is uniform
over SO(3) for *every* frame ``t`` and *every* class, and all other random
factors (size, position, camera jitter, background, noise) are drawn
independently of the label. Hence the distribution of any single frame is
identical in all three classes: no single-frame classifier can beat chance
(1/3), and only the temporal evolution of the pose carries the label.

Rendering is pure, vectorized NumPy: a ~80-triangle biplane mesh (tapered
fuselage, dark cowling with spinner and a single-blade propeller, upper and
lower wings, tailplane, a blue fin on top only, interplane struts, and landing
gear below) is projected with an orthographic camera, shaded with a fixed
Lambertian light plus ambient term (flat shading, faces oriented towards the
camera so thin parts are two-sided), and rasterized with a z-buffer using
vectorized scanline spans (no per-pixel Python loops). Frames are rendered at
``supersample`` times the output resolution and box-filtered (anti-aliasing).
The background is a soft sky gradient with low-contrast, per-clip static
"clouds" and texture; optional camera jitter moves the plane by up to
``jitter`` pixels per frame (a camera translation in front of a background at
infinity), and optional Gaussian pixel noise of standard deviation ``noise``
(in [0, 1] intensity units) is added to every frame.

This module renders single clips from a random generator; seeded splits and
the TensorFlow Datasets builder live in :mod:`tf_grw.datasets.airplanes`.

Example:

  >>> clip = render_clip(2, np.random.default_rng(0), num_frames=8,
  ...                    resolution=32)
  >>> clip.shape, clip.dtype
  ((8, 32, 32, 3), dtype('uint8'))
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Sequence

import numpy as np

from tf_grw.core.errors import check_float
from tf_grw.core.errors import check_int
from tf_grw.core.errors import invalid_value

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_SPEED_RANGE",
    "NUM_TRIANGLES",
    "check_render_args",
    "render_clip",
    "render_clips",
    "rotation_sequence",
]

CLASS_NAMES = ("yaw", "pitch", "roll")
# Body axis per class: yaw about up (z), pitch about span (y), roll about
# the longitudinal axis (x).
_CLASS_AXIS = (2, 1, 0)

DEFAULT_SPEED_RANGE = (10.0, 25.0)  # Degrees per frame.
# Direction *towards* the light in camera coordinates (x right, y up, z towards
# the viewer): upper left, in front.
_LIGHT_DIR = np.array([-0.45, 0.55, 0.70]) / np.linalg.norm([-0.45, 0.55, 0.70])
_AMBIENT = 0.38
_DIFFUSE = 0.62
_SKY_TOP = np.array([0.40, 0.58, 0.84])
_SKY_BOTTOM = np.array([0.78, 0.86, 0.95])
# Fraction of the frame half-size the plane's bounding sphere may occupy.
_MAX_RADIUS_FRACTION = 0.90
_SCALE_RANGE = (0.85, 1.0)  # Random per-clip scale relative to the maximum.
_MAX_OFFSET_FRACTION = 0.04  # Random per-clip centre offset, fraction of size.


# ---------------------------------------------------------------------------
# Argument validation (Keras-style messages).
# ---------------------------------------------------------------------------


def _check_speed_range(speed_range):
  try:
    lo, hi = (float(v) for v in speed_range)
    ok = 0.0 < lo <= hi and np.isfinite(hi)
  except (TypeError, ValueError):
    ok = False
  if not ok:
    raise invalid_value("speed_range",
                        "a pair (min, max) of degrees per frame with "
                        "0 < min <= max", speed_range)
  return lo, hi


def _check_label(label):
  if (isinstance(label, bool) or not isinstance(label, numbers.Integral) or
      not 0 <= label < len(CLASS_NAMES)):
    raise invalid_value("label", f"an integer in [0, {len(CLASS_NAMES) - 1}] "
                        f"(0: yaw, 1: pitch, 2: roll)", label)
  return int(label)


# ---------------------------------------------------------------------------
# Mesh.
# ---------------------------------------------------------------------------


def _hexahedron(corners, color):
  """12 triangles of a (possibly tapered) box given its 8 corners.

  Corner order: bit 0 selects the second x end, bit 1 the second y end and
  bit 2 the second z end, i.e. corners[i] for i = x + 2 y + 4 z.
  """
  faces = [(0, 2, 6, 4), (1, 5, 7, 3),  # -x, +x
           (0, 4, 5, 1), (2, 3, 7, 6),  # -y, +y
           (0, 1, 3, 2), (4, 6, 7, 5)]  # -z, +z
  c = np.asarray(corners, dtype=np.float64)
  tris = []
  for a, b, d, e in faces:
    tris += [(c[a], c[b], c[d]), (c[a], c[d], c[e])]
  return tris, [color] * len(tris)


def _box(x, y, z, color):
  """Axis-aligned box from (min, max) ranges."""
  corners = [(x[i & 1], y[(i >> 1) & 1], z[(i >> 2) & 1]) for i in range(8)]
  return _hexahedron(corners, color)


def _frustum_x(x0, x1, half0, half1, color, z_center0=0.0, z_center1=0.0):
  """Square-section box along x tapering from half-size half0 to half1."""
  corners = []
  for i in range(8):
    sx, sy, sz = i & 1, (i >> 1) & 1, (i >> 2) & 1
    half, zc = (half1, z_center1) if sx else (half0, z_center0)
    corners.append(((x1 if sx else x0), (half if sy else -half),
                    zc + (half if sz else -half)))
  return _hexahedron(corners, color)


def _quad(p0, p1, p2, p3, color):
  """Two-sided planar quad (2 triangles)."""
  p = np.asarray([p0, p1, p2, p3], dtype=np.float64)
  return [(p[0], p[1], p[2]), (p[0], p[2], p[3])], [color] * 2


def _pyramid_x(x_base, x_apex, half, color):
  """Square pyramid pointing along +x (4 side triangles, open base)."""
  apex = np.array([x_apex, 0.0, 0.0])
  base = [np.array([x_base, sy * half, sz * half])
          for sy, sz in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
  tris = [(base[i], base[(i + 1) % 4], apex) for i in range(4)]
  return tris, [color] * 4


def _build_biplane():
  """Returns (triangles [F, 3, 3], colors [F, 3]) of the biplane in body axes.

  Body axes: +x towards the nose, +y along the right wing, +z up (the fin).
  The parts are deliberately asymmetric: the fin is on top only, landing gear
  below only, a dark cowling, white spinner and a single propeller blade at the
  nose, and the upper wing is longer and brighter than the lower one.
  """
  red = (0.80, 0.17, 0.13)
  dark = (0.22, 0.22, 0.25)
  white = (0.93, 0.93, 0.90)
  brown = (0.35, 0.22, 0.10)
  yellow = (0.97, 0.80, 0.16)
  ochre = (0.82, 0.62, 0.10)
  blue = (0.12, 0.28, 0.82)
  black = (0.06, 0.06, 0.06)
  parts = [
      # Fuselage, tapering and rising slightly towards the tail.
      _frustum_x(-1.05, 0.72, 0.05, 0.14, red, z_center0=0.04),
      # Engine cowling, spinner and one propeller blade.
      _frustum_x(0.72, 0.92, 0.15, 0.11, dark),
      _pyramid_x(0.92, 1.08, 0.07, white),
      _quad((0.95, -0.03, -0.40), (0.95, 0.03, -0.40),
            (0.95, 0.03, 0.40), (0.95, -0.03, 0.40), brown),
      # Upper and lower wings.
      _box((0.05, 0.47), (-1.0, 1.0), (0.38, 0.42), yellow),
      _box((0.10, 0.46), (-0.82, 0.82), (-0.15, -0.11), ochre),
      # Tailplane and (top-only) fin.
      _box((-1.05, -0.78), (-0.40, 0.40), (0.02, 0.05), yellow),
      _quad((-1.06, 0.0, 0.06), (-0.80, 0.0, 0.06),
            (-0.97, 0.0, 0.45), (-1.08, 0.0, 0.45), blue),
      # Interplane struts (two-sided, N-shaped from the side).
      _quad((0.14, -0.62, -0.11), (0.22, -0.62, -0.11),
            (0.40, -0.62, 0.38), (0.32, -0.62, 0.38), dark),
      _quad((0.14, 0.62, -0.11), (0.22, 0.62, -0.11),
            (0.40, 0.62, 0.38), (0.32, 0.62, 0.38), dark),
      # Landing gear: legs and wheels, below only.
      _quad((0.40, -0.20, -0.14), (0.48, -0.20, -0.14),
            (0.48, -0.22, -0.36), (0.40, -0.22, -0.36), dark),
      _quad((0.40, 0.20, -0.14), (0.48, 0.20, -0.14),
            (0.48, 0.22, -0.36), (0.40, 0.22, -0.36), dark),
      _quad((0.36, -0.24, -0.30), (0.52, -0.24, -0.30),
            (0.52, -0.24, -0.46), (0.36, -0.24, -0.46), black),
      _quad((0.36, 0.24, -0.30), (0.52, 0.24, -0.30),
            (0.52, 0.24, -0.46), (0.36, 0.24, -0.46), black),
  ]
  tris, colors = [], []
  for t, c in parts:
    tris += t
    colors += c
  return np.asarray(tris, dtype=np.float64), np.asarray(colors, np.float32)


_TRIANGLES, _COLORS = _build_biplane()
_NORMALS = np.cross(_TRIANGLES[:, 1] - _TRIANGLES[:, 0],
                    _TRIANGLES[:, 2] - _TRIANGLES[:, 0])
_NORMALS /= np.linalg.norm(_NORMALS, axis=-1, keepdims=True)
_MESH_RADIUS = float(np.linalg.norm(_TRIANGLES.reshape(-1, 3), axis=-1).max())
NUM_TRIANGLES = len(_TRIANGLES)


# ---------------------------------------------------------------------------
# Rotations.
# ---------------------------------------------------------------------------


def _quaternion_to_matrix(q):
  """Quaternions (w, x, y, z) [..., 4] -> rotation matrices [..., 3, 3]."""
  q = np.asarray(q, dtype=np.float64)
  q = q / np.linalg.norm(q, axis=-1, keepdims=True)
  w, x, y, z = np.moveaxis(q, -1, 0)
  return np.stack([
      np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z),
                2 * (x * z + w * y)], -1),
      np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z),
                2 * (y * z - w * x)], -1),
      np.stack([2 * (x * z - w * y), 2 * (y * z + w * x),
                1 - 2 * (x * x + y * y)], -1),
  ], -2)


def _axis_rotations(axis, angles):
  """Rotations [len(angles), 3, 3] about body axis 0 (x), 1 (y) or 2 (z)."""
  c, s = np.cos(angles), np.sin(angles)
  i, j = [(1, 2), (2, 0), (0, 1)][axis]
  mats = np.zeros((len(angles), 3, 3))
  mats[:, axis, axis] = 1.0
  mats[:, i, i] = c
  mats[:, j, j] = c
  mats[:, i, j] = -s
  mats[:, j, i] = s
  return mats


def rotation_sequence(initial_rotation, label, degrees_per_frame, num_frames):
  """Per-frame orientations of a plane spinning about one of its body axes.

  Args:
    initial_rotation: [3, 3] rotation matrix ``R_0`` (body to camera).
    label: 0 (yaw, body z), 1 (pitch, body y) or 2 (roll, body x).
    degrees_per_frame: signed angular speed.
    num_frames: number of frames ``T``.

  Returns:
    float64 array [T, 3, 3] with ``R_t = R_0 @ R_axis(omega * t)``.
  """
  label = _check_label(label)
  num_frames = check_int("num_frames", num_frames, 1)
  angles = np.deg2rad(float(degrees_per_frame)) * np.arange(num_frames)
  return np.asarray(initial_rotation, np.float64) @ _axis_rotations(
      _CLASS_AXIS[label], angles)


# ---------------------------------------------------------------------------
# Rasterizer.
# ---------------------------------------------------------------------------


def _expand(counts, dtype):
  """For counts [K] returns (owner [sum], rank-within-owner [sum])."""
  counts = np.maximum(counts, 0).astype(dtype)
  owner = np.repeat(np.arange(len(counts), dtype=dtype), counts)
  starts = np.cumsum(counts) - counts
  rank = np.arange(len(owner), dtype=dtype) - starts[owner]
  return owner, rank


def _rasterize(rotations, centers, scales, resolution, supersample):
  """Z-buffered, flat-shaded, anti-aliased rendering of the mesh.

  Args:
    rotations: [M, 3, 3] body-to-camera rotations, one per image.
    centers: [M, 2] image position (x, y) of the body origin, in output pixels.
    scales: [M] output pixels per body unit.
    resolution: output side length in pixels.
    supersample: sub-pixels per output pixel along each axis.

  Returns:
    (foreground float32 [M, H, W, 3] premultiplied by coverage,
     coverage float32 [M, H, W] in [0, 1]).
  """
  m = len(rotations)
  f = NUM_TRIANGLES
  size = resolution * supersample
  centers = centers * supersample
  scales = scales * supersample
  # Camera coordinates: x right, y up, z towards the viewer.
  verts = np.einsum("mij,fvj->mfvi", rotations, _TRIANGLES)
  u = centers[:, None, None, 0] + scales[:, None, None] * verts[..., 0]
  v = centers[:, None, None, 1] - scales[:, None, None] * verts[..., 1]
  d = -scales[:, None, None] * verts[..., 2]  # Smaller is closer.
  u, v, d = u.reshape(-1, 3), v.reshape(-1, 3), d.reshape(-1, 3)

  # Flat Lambertian shading with normals turned towards the camera.
  normals = np.einsum("mij,fj->mfi", rotations, _NORMALS)
  normals *= np.where(normals[..., 2:] < 0, -1.0, 1.0)
  lambert = np.maximum(normals @ _LIGHT_DIR, 0.0)
  face_colors = (_COLORS[None] * (_AMBIENT + _DIFFUSE * lambert)[..., None])
  face_colors = face_colors.reshape(-1, 3).astype(np.float32)

  # Depth plane d = a u + b v + c of each triangle.
  e1u, e1v, e1d = u[:, 1] - u[:, 0], v[:, 1] - v[:, 0], d[:, 1] - d[:, 0]
  e2u, e2v, e2d = u[:, 2] - u[:, 0], v[:, 2] - v[:, 0], d[:, 2] - d[:, 0]
  area2 = e1u * e2v - e1v * e2u
  valid = np.abs(area2) > 1e-9
  safe = np.where(valid, area2, 1.0)
  plane_a = -(e1v * e2d - e1d * e2v) / safe
  plane_b = -(e1d * e2u - e1u * e2d) / safe
  plane_c = d[:, 0] - plane_a * u[:, 0] - plane_b * v[:, 0]

  # Scanline spans. Sort each triangle's vertices by v (top, middle, bottom):
  # a row crosses the long edge top-bottom and one of the two short edges.
  order = np.argsort(v, axis=1)
  ut, um, ub = np.take_along_axis(u, order, 1).T
  vt, vm, vb = np.take_along_axis(v, order, 1).T
  slope_long = (ub - ut) / np.where(vb > vt, vb - vt, 1.0)
  slope_top = (um - ut) / np.where(vm > vt, vm - vt, 1.0)
  slope_bottom = (ub - um) / np.where(vb > vm, vb - vm, 1.0)
  # Rows whose pixel centre (r + 0.5) lies inside each triangle's v-range.
  # 32-bit indices whenever they cannot overflow (faster). The number of
  # (triangle, sub-pixel) pairs is a few times the number of sub-pixels, so
  # keep a generous margin.
  depth_levels = 4 * size * 64
  itype = (np.int32 if max(16 * m * size * size, m * f, depth_levels * f) <
           2**31 else np.int64)
  row0 = np.clip(np.ceil(vt - 0.5), 0, size).astype(itype)
  row1 = np.clip(np.floor(vb - 0.5), -1, size - 1).astype(itype)
  tri, rank = _expand(np.where(valid, row1 - row0 + 1, 0), itype)
  row = row0[tri] + rank
  y = row + 0.5
  x_long = ut[tri] + (y - vt[tri]) * slope_long[tri]
  upper = y < vm[tri]
  x_short = np.where(upper, ut[tri] + (y - vt[tri]) * slope_top[tri],
                     um[tri] + (y - vm[tri]) * slope_bottom[tri])
  left, right = np.minimum(x_long, x_short), np.maximum(x_long, x_short)
  col0 = np.clip(np.ceil(left - 0.5), 0, size).astype(itype)
  col1 = np.clip(np.floor(right - 0.5), -1, size - 1).astype(itype)
  # Depth and flat pixel index at the start of each span.
  depth0 = plane_a[tri] * (col0 + 0.5) + plane_b[tri] * y + plane_c[tri]
  pixel0 = (tri // f) * (size * size) + row * size + col0
  span, rank = _expand(col1 - col0 + 1, itype)
  tri = tri[span]

  # Z-buffer: minimum of (quantized depth, triangle index) per pixel.
  depth = depth0[span] + plane_a[tri] * rank
  quant = np.clip((depth + 2.0 * size) * 64.0, 0, depth_levels - 1)
  key = quant.astype(itype) * f + (tri % f)
  pixel = pixel0[span] + rank
  sentinel = np.iinfo(itype).max
  zbuf = np.full(m * size * size, sentinel, dtype=itype)
  np.minimum.at(zbuf, pixel, key)

  # Box-filter the covered sub-pixels into the output resolution; only
  # covered sub-pixels are touched.
  pixel = np.flatnonzero(zbuf != sentinel)
  image, rest = np.divmod(pixel, size * size)
  row, col = np.divmod(rest, size)
  out_pixel = (image * resolution + row // supersample) * resolution + (
      col // supersample)
  colors = face_colors[image * f + zbuf[pixel] % f]
  num_out = m * resolution * resolution
  weight = 1.0 / supersample**2
  foreground = np.stack([
      np.bincount(out_pixel, weights=colors[:, k], minlength=num_out)
      for k in range(3)
  ], -1) * weight
  coverage = np.bincount(out_pixel, minlength=num_out) * weight
  return (foreground.reshape(m, resolution, resolution, 3).astype(np.float32),
          coverage.reshape(m, resolution, resolution).astype(np.float32))


def _interp_matrix(n_out, n_in):
  """Linear-interpolation matrix [n_out, n_in] over the unit interval."""
  x = (np.arange(n_out) + 0.5) / n_out * (n_in - 1)
  lo = np.clip(np.floor(x).astype(int), 0, n_in - 2)
  w = x - lo
  mat = np.zeros((n_out, n_in))
  mat[np.arange(n_out), lo] = 1.0 - w
  mat[np.arange(n_out), lo + 1] += w
  return mat


# ---------------------------------------------------------------------------
# Clip sampling and rendering.
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ClipParams:
  """Random factors of one clip (all independent of the label)."""
  rotations: np.ndarray  # [T, 3, 3]
  center: np.ndarray  # [2], pixels (output resolution).
  scale: float  # Pixels (output resolution) per body unit.
  offsets: np.ndarray  # [T, 2] camera jitter, pixels.
  tint: np.ndarray  # [3] background tint.
  clouds: np.ndarray  # [5, 5] low-frequency background field.
  texture: np.ndarray  # [H, W] static low-contrast background texture.


def _sample_params(rng, label, num_frames, resolution, jitter, speed_range):
  """Draws the clip's random factors from `rng` in a fixed order."""
  quaternion = rng.standard_normal(4)
  speed = rng.uniform(*speed_range) * (1.0 if rng.integers(2) else -1.0)
  rotations = rotation_sequence(_quaternion_to_matrix(quaternion), label,
                                speed, num_frames)
  scale = (rng.uniform(*_SCALE_RANGE) * _MAX_RADIUS_FRACTION * 0.5 *
           resolution / _MESH_RADIUS)
  center = (0.5 + rng.uniform(-_MAX_OFFSET_FRACTION, _MAX_OFFSET_FRACTION,
                              2)) * resolution
  tint = rng.uniform(-0.05, 0.05, 3)
  clouds = rng.standard_normal((5, 5))
  texture = rng.standard_normal((resolution, resolution))
  offsets = rng.uniform(-1.0, 1.0, (num_frames, 2)) * jitter
  return _ClipParams(rotations, center, scale, offsets, tint, clouds, texture)


def _background(params, resolution):
  """Soft sky gradient with faint static clouds and texture, [H, W, 3]."""
  rows = (np.arange(resolution) + 0.5) / resolution
  sky = (_SKY_TOP[None] * (1 - rows[:, None]) + _SKY_BOTTOM[None] *
         rows[:, None])[:, None, :] + params.tint
  interp = _interp_matrix(resolution, params.clouds.shape[0])
  clouds = interp @ params.clouds @ interp.T
  return (sky + 0.035 * clouds[..., None] +
          0.012 * params.texture[..., None]).astype(np.float32)


def _render_batch(params_list, num_frames, resolution, supersample):
  """Renders clips; returns (float32 [N, T, H, W, 3], coverage [N, T, H, W])."""
  rotations = np.concatenate([p.rotations for p in params_list])
  centers = np.concatenate([p.center[None] + p.offsets for p in params_list])
  scales = np.repeat([p.scale for p in params_list], num_frames)
  fg, cov = _rasterize(rotations, centers, scales, resolution, supersample)
  shape = (len(params_list), num_frames, resolution, resolution)
  fg, cov = fg.reshape(shape + (3,)), cov.reshape(shape)
  bg = np.stack([_background(p, resolution) for p in params_list])[:, None]
  return fg + (1.0 - cov[..., None]) * bg, cov


def _to_uint8(images):
  return np.clip(np.round(images * 255.0), 0, 255).astype(np.uint8)


def check_render_args(num_frames, resolution, jitter, noise, supersample,
                  speed_range):
  """Validates the rendering arguments shared by every entry point.

  Returns:
    ``(num_frames, resolution, jitter, noise, supersample, speed_range)`` as
    Python numbers, or raises the project's Keras-style `ValueError`.
  """
  return (check_int("num_frames", num_frames, 2),
          check_int("resolution", resolution, 8),
          check_float("jitter", jitter), check_float("noise", noise),
          check_int("supersample", supersample, 1),
          _check_speed_range(speed_range))


def render_clip(label: int,
                rng: np.random.Generator,
                num_frames: int = 16,
                resolution: int = 64,
                *,
                jitter: float = 1.0,
                noise: float = 0.01,
                supersample: int = 2,
                speed_range: Sequence[float] = DEFAULT_SPEED_RANGE,
                return_mask: bool = False):
  """Renders one clip of the biplane spinning about the body axis `label`.

  Args:
    label: 0 (yaw), 1 (pitch) or 2 (roll).
    rng: `np.random.Generator` supplying all random factors (initial pose,
      speed, size, position, jitter, background, noise).
    num_frames: number of frames ``T`` (>= 2).
    resolution: frame height and width ``H = W`` in pixels (>= 8).
    jitter: maximum camera translation per frame and axis, in pixels.
    noise: standard deviation of the per-frame Gaussian pixel noise, in [0, 1]
      intensity units (0 disables it).
    supersample: anti-aliasing factor (1 disables it).
    speed_range: (min, max) angular speed in degrees per frame; the sign is
      random.
    return_mask: also return the plane's per-pixel coverage.

  Returns:
    uint8 array [T, H, W, 3]; with `return_mask`, also a float32 coverage
    array [T, H, W] in [0, 1] (fraction of the pixel covered by the plane).
  """
  label = _check_label(label)
  if not isinstance(rng, np.random.Generator):
    raise invalid_value("rng", "a `numpy.random.Generator`", rng)
  num_frames, resolution, jitter, noise, supersample, speed_range = (
      check_render_args(num_frames, resolution, jitter, noise, supersample,
                    speed_range))
  videos, cov = render_clips([label], [rng], num_frames, resolution, jitter,
                              noise, supersample, speed_range)
  return (videos[0], cov[0]) if return_mask else videos[0]


def render_clips(labels, rngs, num_frames, resolution, jitter, noise,
                  supersample, speed_range):
  """Renders a batch of clips: (uint8 [N, T, H, W, 3], coverage [N, T, H, W]).

  Clip ``i`` is exactly ``render_clip(labels[i], rngs[i], ...)``; the batch
  only shares the vectorized rasterizer. The rendering arguments must have
  passed :func:`check_render_args`; labels are checked here.
  """
  labels = [_check_label(label) for label in labels]
  params = [_sample_params(rng, label, num_frames, resolution, jitter,
                           speed_range) for label, rng in zip(labels, rngs)]
  images, cov = _render_batch(params, num_frames, resolution, supersample)
  if noise > 0:
    for i, rng in enumerate(rngs):
      images[i] += noise * rng.standard_normal(images.shape[1:],
                                               dtype=np.float32)
  return _to_uint8(images), cov

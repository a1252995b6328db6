"""Resampling: mirrors ``torch.nn.functional.interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic,
trilinear, area, antialiased bilinear/bicubic) and the deprecated ``upsample*`` aliases.

Every mode is separable: the output is the input resampled along each spatial axis in turn.
- nearest / nearest-exact gather one input index per output index (``index_select``);
- the other modes multiply the axis by an (out x in) weight matrix built here in NumPy with torch's
  source-index formulas (``aten/src/ATen/native/UpSample.h``), so the backward pass (the transposed matrix)
  and every higher order come from ``matmul``'s autograd.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from ... import from_numpy, uint8
from ..._ops._operands import not_implemented
from ..._tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5}     # torch names the needed dims for these
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_KERNELS = {"bilinear": "compute_indices_weights_linear", "linear": "compute_indices_weights_linear",
            "trilinear": "compute_indices_weights_linear", "bicubic": "compute_indices_weights_cubic"}
_CUBIC_A = -0.75        # torch's cubic convolution constant (the antialias filter uses PIL's -0.5)


# source-index formulas (torch's area_pixel_compute_scale / area_pixel_compute_source_index) -------------------
def _ratio(n_in: int, n_out: int, align_corners: bool, scale: float | None) -> float:
    """The input step per output step: torch uses 1/scale_factor when one is given, not n_in/n_out."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _source(n_in: int, n_out: int, align_corners: bool, scale: float | None, cubic: bool) -> np.ndarray:
    """Real-valued input coordinate of each output index."""
    ratio, dst = _ratio(n_in, n_out, align_corners, scale), np.arange(n_out, dtype=np.float64)
    if align_corners:
        return ratio * dst
    src = ratio * (dst + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _floor_and_lambda(src: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's guard_index_and_lambda: the left tap (at most n_in - 1) and the fraction in [0, 1] past it."""
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    return i0, np.clip(src - i0, 0.0, 1.0)


def _scatter_weights(n_in: int, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """An (out x in) matrix with ``weights[o, k]`` added at column ``cols[o, k]`` of row ``rows[o]``."""
    w = np.zeros((len(rows), n_in))
    np.add.at(w, (np.broadcast_to(rows[:, None], cols.shape), cols), weights)
    return w


# per-axis weight matrices -----------------------------------------------------------------------------------------
def _linear_matrix(n_in: int, n_out: int, align_corners: bool, scale: float | None) -> np.ndarray:
    i0, lam = _floor_and_lambda(_source(n_in, n_out, align_corners, scale, cubic=False), n_in)
    i1 = i0 + (i0 < n_in - 1)
    return _scatter_weights(n_in, np.arange(n_out), np.stack([i0, i1], 1), np.stack([1 - lam, lam], 1))


def _cubic_coefficients(t: Any) -> list:
    """Weights of the 4 taps at offsets -1, 0, 1, 2 for fraction ``t`` (cubic convolution, A = -0.75).

    Plain arithmetic, so ``t`` may be an ndarray or a Tensor (grid_sample differentiates through it)."""
    a = _CUBIC_A

    def near(x: Any) -> Any:                                # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Any) -> Any:                                 # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_matrix(n_in: int, n_out: int, align_corners: bool, scale: float | None) -> np.ndarray:
    i0, lam = _floor_and_lambda(_source(n_in, n_out, align_corners, scale, cubic=True), n_in)
    taps = np.clip(i0[:, None] + np.arange(-1, 3), 0, n_in - 1)         # border taps are clamped (replicated)
    return _scatter_weights(n_in, np.arange(n_out), taps, np.stack(_cubic_coefficients(lam), -1))


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(1.0 - np.abs(x), 0.0)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    """PIL's bicubic filter (a = -0.5), used by torch's antialiased bicubic."""
    a, x = -0.5, np.abs(x)
    inner = ((a + 2) * x - (a + 3)) * x * x + 1
    outer = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, inner, np.where(x < 2, outer, 0.0))


def _antialias_matrix(n_in: int, n_out: int, align_corners: bool, scale: float | None, support: int,
                      kernel: Callable) -> np.ndarray:
    """torch's _compute_indices_min_size_weights_aa: the filter stretched by the downscale factor, normalised."""
    ratio = _ratio(n_in, n_out, align_corners, scale)
    reach = support * 0.5 * ratio if ratio >= 1.0 else support * 0.5
    inv = 1.0 / ratio if ratio >= 1.0 else 1.0
    width = int(math.ceil(reach)) * 2 + 1
    center = ratio * (np.arange(n_out) + 0.5)
    lo = np.maximum((center - reach + 0.5).astype(np.int64), 0)           # C++ int casts truncate
    size = np.clip(np.minimum((center + reach + 0.5).astype(np.int64), n_in) - lo, 0, width)
    j = np.arange(width)
    w = np.where(j < size[:, None], kernel((j + lo[:, None] - center[:, None] + 0.5) * inv), 0.0)
    total = w.sum(1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    return _scatter_weights(n_in, np.arange(n_out), np.minimum(lo[:, None] + j, n_in - 1), w)


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Adaptive average pooling: output i averages input[floor(i*in/out) : ceil((i+1)*in/out)]."""
    i = np.arange(n_out)
    start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
    j = np.arange(n_in)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """torch's nearest_idx / nearest_exact_idx, computed in float32 as torch does (equal sizes are skipped)."""
    if not exact and n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    ratio = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(n_in) / np.float32(n_out)
    dst = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * ratio).astype(np.int64), n_in - 1)


# applying them -----------------------------------------------------------------------------------------------------
def _resample_axis(x: Tensor, w: np.ndarray, axis: int) -> Tensor:
    """Multiplies spatial axis ``axis`` (negative) of ``x`` by the (out x in) matrix ``w``."""
    shape, n_out = tuple(x.shape), w.shape[0]
    wt = from_numpy(np.ascontiguousarray(w.astype(x.dtype.np)))
    if axis == -1:                                          # one GEMM over all leading dims
        return (x.reshape(-1, shape[-1]) @ wt.mT).reshape(*shape[:-1], n_out)
    rest = math.prod(shape[axis + 1:])
    out = wt @ x.reshape(-1, shape[axis], rest)
    return out.reshape(*shape[:axis], n_out, *shape[axis + 1:])


def _size_error(in_sizes: Sequence[int], out_sizes: Sequence[int]) -> RuntimeError:
    names = "DHW"[3 - len(in_sizes):]
    fmt = lambda s: ", ".join(f"{n}: {v}" for n, v in zip(names, s))  # noqa: E731
    joint = " and" if len(in_sizes) == 1 else ""            # torch's 1-D kernels word it so
    return RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fmt(in_sizes)}){joint} "
                        f"output ({fmt(out_sizes)})")


def _resample(input: Tensor, out_sizes: list[int], scales: list | None, mode: str, align_corners: bool,
              antialias: bool) -> Tensor:
    in_sizes = list(input.shape[2:])
    if mode != "area" and min(in_sizes + out_sizes) <= 0:     # area is adaptive pooling: empty output allowed
        raise _size_error(in_sizes, out_sizes)
    if not input.is_floating_point() and (input.dtype != uint8 or mode not in ("nearest", "nearest-exact")):
        kernel = _KERNELS.get(mode, f"adaptive_avg_pool{len(in_sizes)}d" if mode == "area" else
                              f"upsample_{mode.replace('-', '_')}{len(in_sizes)}d")
        raise not_implemented(kernel, input.dtype.np)
    out = input
    for k, (n_in, n_out) in enumerate(zip(in_sizes, out_sizes)):
        axis, scale = k - len(in_sizes), (scales[k] if scales is not None else None)
        if n_in == n_out and mode in ("nearest", "linear", "bilinear", "trilinear") and not antialias:
            continue                                        # torch copies this axis unchanged
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(n_in, n_out, scale, mode == "nearest-exact")
            out = out.index_select(out.dim() + axis, from_numpy(idx))
            continue
        if mode == "area":
            w = _area_matrix(n_in, n_out)
        elif antialias:
            w = _antialias_matrix(n_in, n_out, align_corners, scale, *((4, _keys_cubic) if mode == "bicubic"
                                                                          else (2, _triangle)))
        elif mode == "bicubic":
            w = _cubic_matrix(n_in, n_out, align_corners, scale)
        else:
            w = _linear_matrix(n_in, n_out, align_corners, scale)
        out = _resample_axis(out, w, axis)
    return out.clone() if out is input else out


# argument parsing (torch.nn.functional.interpolate) ----------------------------------------------------------------
def _is_integer(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resamples the spatial dims of an (N, C, d1[, d2[, d3]]) tensor to ``size`` or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out_sizes = [int(s) for s in size]
        else:
            out_sizes = [int(size)] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out_sizes = [math.floor(n * s) for n, s in zip(spatial, scales)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None                                       # the coordinate mapping then uses in/out
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if mode in _LINEAR_DIMS and input.dim() != _LINEAR_DIMS[mode] and input.dim() in (3, 4, 5):
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_LINEAR_DIMS[mode]}D input")
    if mode not in _MODES or input.dim() not in (3, 4, 5) or (mode == "bicubic" and input.dim() != 4):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    return _resample(input, out_sizes, scales, mode, bool(align_corners), antialias)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of ``interpolate`` (warns as torch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode="nearest")``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode="bilinear", align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

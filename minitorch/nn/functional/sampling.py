"""Spatial transformers: mirrors ``torch.nn.functional`` ``grid_sample`` and ``affine_grid``.

``grid_sample`` is written with differentiable minitorch ops, so gradients with respect to the input and the
grid (and every higher order) come from autograd: the grid is unnormalised and padded (torch's
``grid_sampler_compute_source_index``), the integer taps around each sample point are found in NumPy, their
values are gathered with one advanced-indexing op, and a weighted sum (weights built from the grid) combines
them. Taps outside the input get weight 0 (``padding_mode="zeros"``).
"""
from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Sequence

import numpy as np

from ... import from_numpy, stack
from ..._tensor import Tensor
from .upsampling import _cubic_coefficients

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


# affine_grid -------------------------------------------------------------------------------------------------------
def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    """torch's linspace_from_neg_one: pixel centres (or corners) of an axis of n pixels, in [-1, 1]."""
    if n <= 1:
        return np.zeros(1)
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4)."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    k = len(size) - 2
    if theta.dim() != 3 or theta.shape[-2] != k or theta.shape[-1] != k + 1:
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {size}. "
                         f"Got {theta.shape}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {k + 1}] "
                           f"but got: [{theta.shape[0]}, {k + 1}].")
    # base[..., :] = (x, y[, z], 1) with x along the last spatial axis
    axes = [_base_coords(n, align_corners) for n in spatial]
    mesh = list(np.meshgrid(*axes, indexing="ij"))[::-1] + [np.ones(spatial)]
    base = from_numpy(np.stack(mesh, -1).reshape(-1, k + 1).astype(theta.dtype.np))
    return (base @ theta.mT).reshape(size[0], *spatial, k)


# grid_sample -------------------------------------------------------------------------------------------------------
def _unnormalize(coord: Tensor, n: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixel coordinates: -1/1 are the centres of the corner pixels (align_corners) or their edges."""
    return (coord + 1) * ((n - 1) / 2) if align_corners else ((coord + 1) * n - 1) / 2


def _reflect(x: Any, low2: int, high2: int) -> Any:
    """torch's reflect_coordinates: folds x into [low2/2, high2/2] (Tensor or ndarray)."""
    if low2 == high2:
        return x * 0
    lo, span = low2 / 2, (high2 - low2) / 2
    x = abs(x - lo)
    flips = np.floor((x.detach().numpy() if isinstance(x, Tensor) else x) / span)
    extra = x - flips * span                                # fmod(x, span), with flips a constant
    odd = (flips % 2) == 1
    if isinstance(x, Tensor):
        return extra.where(from_numpy(~odd), span - extra) + lo
    return np.where(odd, span - extra, extra) + lo


def _pad_coords(x: Any, n: int, padding_mode: str, align_corners: bool) -> Any:
    """torch's compute_coordinates: border clamps into the image, reflection mirrors then clamps."""
    if padding_mode == "zeros":
        return x
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (n - 1)) if align_corners else _reflect(x, -1, 2 * n - 1)
    return x.clamp(0, n - 1) if isinstance(x, Tensor) else np.clip(x, 0, n - 1)


def _taps(coords: list, sizes: list, mode: str, padding_mode: str, align_corners: bool) -> tuple[list, list]:
    """For each spatial axis: integer tap positions (taps, N, *out) and their weights (list of Tensors)."""
    positions, weights = [], []
    for x, n in zip(coords, sizes):
        if mode == "bicubic":                               # taps padded one by one, at integer positions
            x0 = np.floor(x.detach().numpy())
            t = x - from_numpy(x0.astype(x.dtype.np))
            positions.append(np.stack([_pad_coords(x0 + d, n, padding_mode, align_corners) for d in (-1, 0, 1, 2)]))
            weights.append(_cubic_coefficients(t))
            continue
        x = _pad_coords(x, n, padding_mode, align_corners)
        if mode == "nearest":
            r = x.round()                                   # half to even, as torch's nearbyint
            positions.append(r.detach().numpy()[None])
            # a weight of exactly 1 whose derivative is round's (0): the grid gets torch's zero gradient, not None
            weights.append([r - r.detach() + 1])
        else:
            x0 = np.floor(x.detach().numpy())
            t = x - from_numpy(x0.astype(x.dtype.np))
            positions.append(np.stack([x0, x0 + 1]))
            weights.append([1 - t, t])
    return positions, weights


def _check_grid(input: Tensor, grid: Tensor, mode: str) -> None:
    ins, gs = list(input.shape), list(grid.shape)
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but "
                           f"got grid with sizes {gs}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_name(input)} but found {_name(grid)}")
    if ins[0] != gs[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {ins} and grid with sizes {gs}")
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {ins} and grid with sizes {gs}")
    for d, n in enumerate(ins[2:], 2):
        if n <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {ins} with dimension {d} being empty")
    if mode == "bicubic" and input.dim() != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _name(t: Tensor) -> str:
    return t.dtype._legacy[:-6]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Samples ``input`` (N, C, [D,] H, W) at the normalised points ``grid`` (N, [Do,] Ho, Wo, 2 or 3)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_grid(input, grid, mode)
    n, c, spatial, out = input.shape[0], input.shape[1], list(input.shape[2:]), list(grid.shape[1:-1])
    sizes = spatial[::-1]                                   # grid[..., 0] indexes the last axis (x = width)
    coords = [_unnormalize(grid[..., k], s, align_corners) for k, s in enumerate(sizes)]
    positions, weights = _taps(coords, sizes, mode, padding_mode, align_corners)
    # every combination of one tap per axis: flat index into the spatial dims, in-bounds mask, weight
    strides = [math.prod(spatial[len(spatial) - k:]) for k in range(len(sizes))]
    flat, combined = [], []
    for combo in itertools.product(*(range(len(p)) for p in positions)):
        pos = [p[i] for p, i in zip(positions, combo)]
        inside = np.logical_and.reduce([(q >= 0) & (q <= s - 1) for q, s in zip(pos, sizes)])
        flat.append(sum(np.clip(q, 0, s - 1).astype(np.int64) * st for q, s, st in zip(pos, sizes, strides)))
        w = from_numpy(inside.astype(input.dtype.np))
        for ws, i in zip(weights, combo):
            w = w * ws[i]
        combined.append(w)
    index = np.stack(flat, 1).reshape(n, -1)                 # (N, taps * points)
    values = input.reshape(n, c, -1).transpose(1, 2)[np.arange(n)[:, None], index]    # (N, taps*points, C)
    w = stack(combined, 1).reshape(n, -1, 1)
    result = (values * w).reshape(n, len(flat), -1, c).sum(1)                          # (N, points, C)
    return result.transpose(1, 2).reshape(n, c, *out)

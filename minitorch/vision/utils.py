"""Image grids: mirrors ``torchvision.utils`` ``make_grid`` and ``save_image``.

The grid is assembled with one NumPy reshape (no loop over the images); ``save_image`` writes it through Pillow,
imported only when an image is saved.
"""
from __future__ import annotations

import math
import os
from typing import IO, Any

import numpy as np

from .._tensor import Tensor
from .._ops.joining import stack

__all__ = ["make_grid", "save_image"]


def _require_float(arr: np.ndarray) -> None:
    """torchvision's in-place float arithmetic on an integer image fails with torch's casting error."""
    if not np.issubdtype(arr.dtype, np.floating):
        name = Tensor._make(arr[:0]).dtype._legacy[:-len("Tensor")]
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")


def _normalized(arr: np.ndarray, value_range: tuple | None, scale_each: bool) -> np.ndarray:
    """torchvision's ``norm_range``: clamp to (low, high), then map that range onto [0, 1], per image when
    ``scale_each``; the bounds are Python floats cast to the image dtype, as torch's scalar arguments are."""
    _require_float(arr)
    axes = tuple(range(1, arr.ndim)) if scale_each else None
    if value_range is None:
        low = arr.min(axis=axes, keepdims=True).astype(np.float64)
        high = arr.max(axis=axes, keepdims=True).astype(np.float64)
    else:
        low, high = np.float64(value_range[0]), np.float64(value_range[1])
    dt = arr.dtype
    scale = np.maximum(high - low, 1e-5).astype(dt)
    return (np.clip(arr, low.astype(dt), high.astype(dt)) - low.astype(dt)) / scale


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch ``(B, C, H, W)`` (or a list of equal-size images) into one ``(C, H', W')`` image."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        arr = stack([t.detach() for t in tensor]).numpy()
    elif isinstance(tensor, Tensor):
        arr = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = (np.concatenate([arr] * 3) if arr.shape[0] == 1 else arr)[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        arr = _normalized(arr, value_range, scale_each)
    if arr.shape[0] == 1:
        return Tensor._make(arr[0].copy())
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    cells = np.full((ymaps * xmaps, channels, height, width), pad_value, dtype=arr.dtype)
    cells[:nmaps, :, :h, :w] = arr
    # (y, x, C, height, width) -> (C, y, height, x, width): each image with its right/bottom padding in its cell
    tiled = cells.reshape(ymaps, xmaps, channels, height, width).transpose(2, 0, 3, 1, 4)
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    grid[:, padding:, padding:] = tiled.reshape(channels, height * ymaps, width * xmaps)
    return Tensor._make(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:
    """Save an image (or a batch, as a grid through ``make_grid(**kwargs)``) as an image file with Pillow."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs).numpy()
    _require_float(grid)
    # add 0.5 after scaling to [0, 255] to round to the nearest integer (the cast truncates)
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr).save(fp, format=format)

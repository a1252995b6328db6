"""Dropout functions: mirrors ``torch.nn.functional`` ``dropout``, ``dropout1d/2d/3d``, ``alpha_dropout`` and
``feature_alpha_dropout`` (torch's CPU algorithm: a Bernoulli(1 - p) noise tensor, one value per element or per
channel for the feature variants, drawn from minitorch's global generator so that ``manual_seed`` reproduces it).

The output is ``input * noise`` (plus a constant shift for alpha dropout) with ``noise`` a constant, so the
gradient is ``noise`` (``mask / (1 - p)``), as torch's ``MulBackward0``. ``p == 0``, ``training=False`` or an
empty input return the input itself; ``p == 1`` returns ``input * 0``.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype
from ..._ops.inplace import inplace_op
from ..._ops.random import _rng, _uniform
from ..._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766          # -SELU's negative saturation value (scale * alpha)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, lead: int, alpha: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """torch's ``_dropout_impl`` noise (and the alpha shift ``b``), in ``input``'s dtype: one value per element
    (``lead == 0``) or per entry of the first ``lead`` dims (a channel: (N, C) or, unbatched, (C,))."""
    x = input._data
    if lead == 2 and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._legacy[:-6]}")
    shape = x.shape[:lead] + (1,) * (x.ndim - lead) if lead else x.shape
    u = _uniform(_rng(None), shape, _dtype._BY_NP[x.dtype])
    mask = (u < 1 - p).astype(x.dtype)
    if not alpha:
        return mask / x.dtype.type(1 - p), None
    a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = (mask - 1) * x.dtype.type(_ALPHA * a) + x.dtype.type(_ALPHA * a * p)
    return mask * x.dtype.type(a), shift


def _apply(input: Tensor, noise: np.ndarray, shift: np.ndarray | None) -> Tensor:
    out = input * Tensor._make(noise)
    return out if shift is None else out + Tensor._make(shift)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, lead: int, alpha: bool) -> Tensor:
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._make(np.zeros((), dtype=input._data.dtype))
        return inplace_op(input, Tensor.mul, zero) if inplace else input * zero
    noise, shift = _noise(input, p, lead, alpha)
    return inplace_op(input, _apply, noise, shift) if inplace else _apply(input, noise, shift)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the others by ``1 / (1 - p)``."""
    return _dropout(input, p, training, inplace, 0, False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels ``input[n, c]`` of an (N, C, L) or (C, L) input."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, 2 if ndim == 3 else 1, False)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels ``input[n, c]`` of an (N, C, H, W) input (a 3-D input is taken as (N, C, L))."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                      stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, 2, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes whole channels ``input[n, c]`` of an (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
                      stacklevel=2)
    return _dropout(input, p, training, inplace, 2 if ndim == 5 else 1, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps zero mean and unit variance (SELU networks): dropped elements take SELU's saturation
    value, then an affine map restores the statistics."""
    return _dropout(input, p, training, inplace, 0, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels ``input[n, c]``."""
    return _dropout(input, p, training, inplace, 2, True)

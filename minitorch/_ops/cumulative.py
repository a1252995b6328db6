"""Running reductions along one dim: mirrors ``torch.cumsum`` and ``torch.cumprod`` (``dtype=``), with
cumprod's gradient exact also where the input holds zeros.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from .elementwise import where
from .reduction import accepts_axis, constant

__all__ = ["cumsum", "cumprod"]


def _reverse_cumsum(g: Tensor, dim: int) -> Tensor:
    return g.flip(dim).cumsum(dim).flip(dim)


def _running(fn, a: np.ndarray, dim: int | None, dtype: Any) -> np.ndarray:
    """``np.cumsum``/``np.cumprod`` with torch's dtypes: integers and bool give int64; float16 accumulates in
    float32 (torch's accumulate type) and is rounded back once at the end."""
    out_dtype = dtype.np if dtype is not None else (np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype)
    acc = np.float32 if out_dtype == np.float16 else out_dtype
    return fn(a, axis=dim, dtype=acc).astype(out_dtype, copy=False).reshape(a.shape)


class Cumsum(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        return _running(np.cumsum, a, dim, dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad if ctx.dim is None else _reverse_cumsum(grad, ctx.dim)), None, None


class Cumprod(Function):
    """Gradient: ``reverse_cumsum(g * out) / x`` without zeros. With zeros in a slice, the exact formula
    ``dx_k = sum_{i >= k} g_i * prod_{j <= i, j != k} x_j``, evaluated for all (k, i) at once on an
    (n, n) matrix per slice: O(n^2) memory (torch has an O(n) special case), used only when the input
    has zeros; it is exact and differentiable again."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        out = _running(np.cumprod, a, dim, dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if ctx.dim is None:
            return grad, None, None
        if not (x._data == 0).any():
            return _reverse_cumsum(grad * out, ctx.dim) / x, None, None
        xm, gm = x.movedim(ctx.dim, -1), grad.movedim(ctx.dim, -1)
        n = xm.shape[-1]
        eye = constant(np.eye(n, dtype=bool))
        rows = where(eye, constant(np.ones((), x._data.dtype)), xm.unsqueeze(-2).expand(*xm.shape[:-1], n, n))
        partial = rows.cumprod(-1) * constant(np.triu(np.ones((n, n), x._data.dtype)))   # [k, i]
        return (partial * gm.unsqueeze(-2)).sum(-1).movedim(-1, ctx.dim), None, None


def _cumulative(cls: type, input: Tensor, dim: int, dtype: Any) -> Tensor:
    d = _wrap_dim(dim, max(input.dim(), 1))
    return cls.apply(input, d if input.dim() else None, dtype)


@tensor_method
@accepts_axis
def cumsum(input: Tensor, dim: int, *, dtype: _dtype.dtype | None = None) -> Tensor:
    return _cumulative(Cumsum, input, dim, dtype)


@tensor_method
@accepts_axis
def cumprod(input: Tensor, dim: int, *, dtype: _dtype.dtype | None = None) -> Tensor:
    return _cumulative(Cumprod, input, dim, dtype)


# all / any / count_nonzero ---------------------------------------------------------------------------------

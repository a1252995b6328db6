"""Numerically stable exponent-normalising reductions: mirrors ``torch.logsumexp``, ``softmax`` and
``log_softmax`` (``dim``, ``dtype=``). Each shifts by the maximum before exponentiating and saves what its
backward needs (the input and result for logsumexp, the result for softmax) so the backward is cheap.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._method import tensor_method
from ._operands import not_implemented
from .reduction import accepts_axis, drop_reduced, expand_reduced, reduce_dims

__all__ = ["logsumexp", "softmax", "log_softmax"]


def _stable_max(a: np.ndarray, axis: Any) -> tuple[np.ndarray, bool]:
    """The shift that keeps ``exp`` from overflowing: the max, with infinities (and empty slices) as 0; and
    whether all were finite (else a slice may sum to 0 and its log / division is meant to give inf / nan)."""
    m = np.maximum.reduce(a, axis=axis, keepdims=True, initial=-np.inf)
    finite = np.isfinite(m)
    if finite.all():
        return m, True
    return np.where(finite, m, 0).astype(a.dtype, copy=False), False


def _as_float(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.kind == "f" else a.astype(_dtype.get_default_dtype().np)


class Logsumexp(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        a = _as_float(a)
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        m, finite = _stable_max(a, dims)
        out = np.log(np.add.reduce(np.exp(a - m), axis=dims, keepdims=True)) + m
        out = drop_reduced(out, dims, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        out = expand_reduced(out, ctx.shape, ctx.dims, ctx.keepdim)
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim) * (x - out).exp(), None, None


@tensor_method
@accepts_axis
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return Logsumexp.apply(input, reduce_dims(dim, input.dim()), keepdim)


class Softmax(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dim, log):
        ctx.dim, ctx.log = dim, log
        m, finite = _stable_max(a, dim)
        shifted = a - m
        e = np.exp(shifted)
        s = np.add.reduce(e, axis=dim, keepdims=True)
        out = shifted - np.log(s) if log else e / s
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        if not is_grad_enabled():        # nothing records this backward: the same formulas on arrays
            g, ya, dim = grad._data, y._data, ctx.dim
            gx = g - np.exp(ya) * g.sum(dim, keepdims=True) if ctx.log else ya * (g - (g * ya).sum(dim, keepdims=True))
            return Tensor._make(gx), None, None
        if ctx.log:
            return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None, None
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None, None


class LogSoftmax(Softmax):
    """``log_softmax``: the same computation (``log=True``), named as torch's node."""


def _softmax(input: Tensor, dim: Any, dtype: Any, log: bool) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        kernel = "log_softmax_lastdim_kernel_impl" if log else "softmax_lastdim_kernel_impl"
        raise not_implemented(kernel, input._data.dtype)
    if dim is None:
        raise TypeError(f"{'log_softmax' if log else 'softmax'}() missing required argument 'dim'")
    d = _wrap_dim(dim, max(input.dim(), 1))
    return (LogSoftmax if log else Softmax).apply(input, d if input.dim() else None, log)


@tensor_method
@accepts_axis
def softmax(input: Tensor, dim: Any = None, dtype: _dtype.dtype | None = None) -> Tensor:
    return _softmax(input, dim, dtype, False)


@tensor_method
@accepts_axis
def log_softmax(input: Tensor, dim: Any = None, dtype: _dtype.dtype | None = None) -> Tensor:
    return _softmax(input, dim, dtype, True)


# cumsum / cumprod ------------------------------------------------------------------------------------------

"""Reductions: mirrors ``torch.sum`` and ``torch.mean`` (``dim`` as int or tuple, ``keepdim``), and
``sum_to_shape``, the single helper that undoes broadcasting in backward.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method

__all__ = ["sum", "mean", "sum_to_shape"]


def normalize_dims(dim: "int | Sequence[int] | None", ndim: int) -> tuple[int, ...]:
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = tuple(sorted(_wrap_dim(int(d), ndim) for d in dims))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return out


def expand_reduced(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcasts the gradient of a reduction over ``dims`` back to the input ``shape``."""
    if not keepdim and shape:
        grad = grad.reshape([1 if i in dims else n for i, n in enumerate(shape)])
    return grad.expand(shape)


class Sum(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if dtype is None and a.dtype.kind in "biu":
            dtype = _dtype.int64
        return np.sum(a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


@tensor_method
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None) -> Tensor:
    return Sum.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


@tensor_method
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None) -> Tensor:
    dt = dtype or input.dtype
    if not dt.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {dt._legacy.replace('Tensor', '')}")
    if dtype is not None:
        input = input.to(dtype)
    dims = normalize_dims(dim, input.dim())
    count = int(np.prod([input.shape[d] for d in dims])) if dims else 1
    return Sum.apply(input, dims, keepdim, None) / count


def sum_to_shape(grad: Tensor, shape: tuple) -> Tensor:
    """Sums ``grad`` over the dims that broadcasting expanded, giving a tensor of ``shape``."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    lead = grad.dim() - len(shape)
    if lead < 0:
        return grad.reshape(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    out = Sum.apply(grad, dims, True, None) if dims else grad
    return out.reshape(shape)


@tensor_method
def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    return sum_to_shape(input, shape)

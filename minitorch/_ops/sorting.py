"""Selection along a dim: mirrors ``torch.sort``, ``argsort``, ``topk``, ``max``/``min`` (whole tensor,
with ``dim`` as a ``(values, indices)`` named tuple, or the binary ``maximum``/``minimum`` form), ``median``
and ``unique``.

The indices are found with NumPy; the values are read through ``TakeAlong`` (``take_along_axis``), whose
backward puts the gradient back at the selected positions (``PutAlong``), and vice versa, so gradients
of any order reach exactly the selected elements.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from ._return_types import return_type
from .elementwise import maximum, minimum
from .reduction import accepts_axis, amax, amin, check_nonempty, tie_share

__all__ = ["sort", "argsort", "topk", "max", "min", "median", "unique"]

_sort_t, _topk_t, _max_t, _min_t, _median_t = (return_type(n) for n in ("sort", "topk", "max", "min", "median"))


class TakeAlong(Function):
    """``np.take_along_axis(a, index, dim)`` reshaped to ``shape`` (a 0-d ``a`` is read as 1-d)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, index, dim, shape):
        ctx.shape, ctx.dim = a.shape, dim
        ctx.save_for_backward(index)
        return np.take_along_axis(a.reshape(a.shape or (1,)), index, dim).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        return PutAlong.apply(grad, index._data, ctx.dim, ctx.shape), None, None, None


class PutAlong(Function):
    """Zeros of ``shape`` with ``src`` written at ``index`` along ``dim`` (indices distinct along ``dim``)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, src, index, dim, shape):
        ctx.shape, ctx.dim = src.shape, dim
        ctx.save_for_backward(index)
        out = np.zeros(shape or (1,), src.dtype)
        np.put_along_axis(out, index, src.reshape(index.shape), dim)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        index, = ctx.saved_tensors
        return TakeAlong.apply(grad, index._data, ctx.dim, ctx.shape), None, None, None


# one TakeAlong per op, so that grad_fn carries torch's node name (SortBackward0, MaxBackward0, ...)
_NODES = {name: type(name.capitalize(), (TakeAlong,), {}) for name in ("sort", "topk", "max", "min", "median")}


def _select(input: Tensor, index: np.ndarray, dim: int, shape: tuple, cls: type) -> Any:
    """``cls(values, indices)``: the elements of ``input`` at ``index`` along ``dim``, both of ``shape``."""
    values = _NODES[cls.__name__].apply(input, index, dim, shape)
    return cls(values, Tensor._make(index.reshape(shape)))


def _sort_index(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable sort order along ``dim``; descending keeps equal elements in order and puts NaN first (torch)."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    if a.dtype.kind == "f" and not np.isnan(a).any():         # fast path: negation keeps ties in order
        return np.argsort(-a, axis=dim, kind="stable")
    n = a.shape[dim]
    return n - 1 - np.flip(np.argsort(np.flip(a, dim), axis=dim, kind="stable"), dim)


def _dim_of(input: Tensor, dim: int) -> tuple[np.ndarray, int]:
    """The array to select from (a 0-d tensor read as 1-d, as torch allows dim 0 / -1 there) and ``dim`` wrapped."""
    a = input._data
    return (a.reshape(1) if a.ndim == 0 else a), _wrap_dim(dim, a.ndim or 1)


@tensor_method
@accepts_axis
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Always a stable sort (a valid answer for ``stable=False`` too)."""
    a, d = _dim_of(input, dim)
    return _select(input, _sort_index(a, d, descending), d, input.shape, _sort_t)


@tensor_method
@accepts_axis
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    a, d = _dim_of(input, dim)
    idx = _sort_index(a, d, descending)
    return Tensor._make(idx.reshape(input.shape))


@tensor_method
@accepts_axis
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    a, d = _dim_of(input, dim)
    if not 0 <= k <= a.shape[d]:
        raise RuntimeError("selected index k out of range")
    idx = _sort_index(a, d, largest)[(slice(None),) * d + (slice(0, k),)]
    return _select(input, idx, d, idx.shape if input.dim() else (), _topk_t)


def _select_along(input: Tensor, dim: int, keepdim: bool, pick: Any, cls: type, op: str) -> Any:
    """``cls(values, indices)`` of the element ``pick(array, dim)`` chooses in each slice along ``dim``."""
    a, d = _dim_of(input, dim)
    check_nonempty(a, (d,), op, whole=False)
    shape = tuple(input.shape[:d]) + ((1,) if keepdim else ()) + tuple(input.shape[d + 1:]) if input.dim() else ()
    return _select(input, pick(a, d), d, shape, cls)


def _extreme(input: Tensor, dim: Any, keepdim: bool, smallest: bool) -> Any:
    if isinstance(dim, Tensor):                                  # max(a, b): the elementwise form
        return (minimum if smallest else maximum)(input, dim)
    op = "min" if smallest else "max"
    if dim is None:
        check_nonempty(input._data, (), op, whole=True)
        return (amin if smallest else amax)(input)
    arg = np.argmin if smallest else np.argmax
    return _select_along(input, dim, keepdim, lambda a, d: np.expand_dims(arg(a, axis=d), d),
                         _min_t if smallest else _max_t, op)


@tensor_method
@accepts_axis
def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:
    return _extreme(input, other if other is not None else dim, keepdim, False)


@tensor_method
@accepts_axis
def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:
    return _extreme(input, other if other is not None else dim, keepdim, True)


def _lower_median(a: np.ndarray, d: int) -> np.ndarray:
    """Index of element ``(n - 1) // 2`` in sorted order; in a slice holding NaN, its first NaN (torch)."""
    k = (a.shape[d] - 1) // 2
    idx = _sort_index(a, d, False)[(slice(None),) * d + (slice(k, k + 1),)]
    nan = np.isnan(a) if a.dtype.kind == "f" else None
    if nan is not None and nan.any():
        idx = np.where(nan.any(axis=d, keepdims=True), np.expand_dims(nan.argmax(axis=d), d), idx)
    return idx


class MedianAll(Function):
    """``median()`` of the whole tensor; as torch, the gradient is split evenly among elements equal to it."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        flat = a.reshape(-1)
        k = (flat.size - 1) // 2
        out = np.asarray(np.nan if flat.dtype.kind == "f" and np.isnan(flat).any() else np.partition(flat, k)[k],
                         dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * tie_share(x._data, out._data, tuple(range(x.dim())))


@tensor_method
@accepts_axis
def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (element ``(n - 1) // 2`` of the sorted values), as torch."""
    if dim is not None:
        return _select_along(input, dim, keepdim, _lower_median, _median_t, "median")
    if input.numel() == 0:
        return Tensor._make(np.full((), np.nan, input._data.dtype))
    return MedianAll.apply(input)


@tensor_method
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None) -> Any:
    """Unique values (always sorted, as torch on CPU), optional inverse indices and counts."""
    a = input._data
    axis = None if dim is None else _wrap_dim(dim, a.ndim)
    values, inverse, counts = np.unique(a if axis is not None else a.reshape(-1), return_inverse=True,
                                        return_counts=True, axis=axis)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(a.shape if axis is None else -1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)

"""Indexing: mirrors ``Tensor.__getitem__`` / ``__setitem__`` (ints, slices, None, Ellipsis, boolean
masks, integer index tensors with NumPy's advanced-indexing rules, which are torch's), ``index_put``,
``index_add``, ``index_select``, ``gather``, ``scatter``, ``scatter_add``, ``masked_fill``,
``masked_select``, ``take``, ``nonzero`` and ``argwhere``.

Basic keys give views (``shape.BasicIndex``; assigning to one is ``copy_`` into the view). The other
ops (but ``masked_fill``, a ``where``) are one of two Functions on a NumPy key: ``Index`` (reads
``a[key]``; its backward scatter-adds into zeros, so repeated indices accumulate) and ``IndexPut``
(writes or adds values at ``key``, out of place; assignment then writes the result into the tensor).
Each one's backward is written with the other, so gradients of any order work. ``gather``/``scatter``
build the key from the index tensor and the broadcast positions of the other dims.
"""
from __future__ import annotations

import operator
import re
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ._method import tensor_method
from .inplace import check_inplace, copy_, inplace_op, write_inplace
from .shape import BasicIndex

__all__ = ["index_put", "index_put_", "index_add", "index_select", "gather", "scatter", "scatter_add",
           "masked_fill", "masked_select", "take", "nonzero", "argwhere"]


# keys ------------------------------------------------------------------------------------------------------
def _index_array(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "biu":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return x.astype(np.bool_) if x.dtype == np.uint8 else x


def _slice(k: slice) -> slice:
    step = None if k.step is None else operator.index(k.step)
    if step is not None and step <= 0:
        raise ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")
    return slice(None if k.start is None else operator.index(k.start),
                 None if k.stop is None else operator.index(k.stop), step)


def _key(key: Any) -> tuple[tuple, bool]:
    """``key`` as a NumPy key, and whether it needs advanced indexing (a copy) rather than a view."""
    if type(key) is list and len(key) < 32 and any(k is None or k is Ellipsis or isinstance(k, (Tensor, list, tuple,
                                                                                                slice)) for k in key):
        key = tuple(key)            # torch's legacy rule: such a list is a tuple of indices, not an index tensor
    parts = key if type(key) is tuple else (key,)
    out, advanced = [], False
    for k in parts:
        if k is None or k is Ellipsis or type(k) is int:
            out.append(k)
        elif type(k) is slice:
            out.append(_slice(k))
        elif isinstance(k, Tensor):
            if k._data.ndim == 0 and k._data.dtype.kind in "iu" and k._data.dtype != np.uint8:
                out.append(int(k._data))         # a 0-d integer tensor selects, like an int (a view)
                continue
            out.append(_index_array(k._data))
            advanced = True
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))
            advanced = True
        elif isinstance(k, (list, tuple, np.ndarray)):
            arr = np.asarray(k)
            out.append(_index_array(arr.astype(np.int64) if arr.size == 0 and arr.dtype.kind == "f" else arr))
            advanced = True
        elif hasattr(k, "__index__"):
            out.append(operator.index(k))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(k).__name__})")
    return tuple(out), advanced


def _indexing_error(e: Exception, shape: tuple, key: tuple) -> Exception:
    """NumPy's indexing errors reworded as torch's."""
    msg = str(e)
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return IndexError(f"index {m[1]} is out of bounds for dimension {m[2]} with size {m[3]}")
    if "0-dimensional" in msg:
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                          "C++ to convert a 0-dim tensor to a number")
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    m = re.search(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); size of "
                  r"(?:axis|dimension) is (\d+) but size of corresponding boolean (?:axis|dimension) is (\d+)", msg)
    if m:
        mask = next((k for k in key if isinstance(k, np.ndarray) and k.dtype == np.bool_), None)
        mask_shape = list(mask.shape) if mask is not None else [int(m[3])]
        return IndexError(f"The shape of the mask {mask_shape} at index {m[1]} does not match the shape of the "
                          f"indexed tensor {list(shape)} at index {m[1]}")
    m = re.search(r"shape mismatch: indexing arrays could not be broadcast together with shapes (.*)", msg)
    if m:
        shapes = ", ".join(str(list(int(n) for n in re.findall(r"\d+", s))) for s in re.findall(r"\([^)]*\)", m[1]))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    m = re.search(r"value array of shape \(([^)]*)\) could not be broadcast to indexing result of shape "
                  r"\(([^)]*)\)", msg)
    if m:
        v, r = ([int(n) for n in re.findall(r"\d+", s)] for s in (m[1], m[2]))
        return RuntimeError(f"shape mismatch: value tensor of shape {v} cannot be broadcast to indexing result of "
                            f"shape {r}")
    return e


# the two Functions ---------------------------------------------------------------------------------------------
class Index(Function):
    """``a[key]`` for a key with index arrays or masks (advanced indexing: a copy)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, key):
        ctx.in_shape, ctx.key = a.shape, key
        try:
            return a[key]
        except IndexError as e:
            raise _indexing_error(e, a.shape, key) from None

    @staticmethod
    def backward(ctx, grad):
        return IndexPut.apply(grad.new_zeros(ctx.in_shape), grad, ctx.key, True), None


class IndexPut(Function):
    """``a`` with ``a[key]`` replaced by (``accumulate=False``) or increased by ``values`` (broadcast)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, values, key, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        out = np.array(a, copy=True, order="C")
        values = np.asarray(values, dtype=out.dtype) if type(values) is not np.ndarray else values
        try:
            if accumulate:
                np.add.at(out, key, values.astype(out.dtype, copy=False))
            else:
                out[key] = values
        except (IndexError, ValueError) as e:
            raise _indexing_error(e, a.shape, key) from None
        return out

    @staticmethod
    def backward(ctx, grad):
        ga = gv = None
        if ctx.needs_input_grad[0]:
            ga = grad if ctx.accumulate else IndexPut.apply(grad, 0, ctx.key, False)
        if ctx.needs_input_grad[1]:
            gv = _read(grad, ctx.key)
        return ga, gv, None, None


def _read(t: Tensor, key: tuple) -> Tensor:
    advanced = any(isinstance(k, (np.ndarray, bool)) for k in key)
    return Index.apply(t, key) if advanced else BasicIndex.apply(t, key)


# __getitem__ / __setitem__ ------------------------------------------------------------------------------------
def _getitem(self: Tensor, key: Any) -> Tensor:
    np_key, advanced = _key(key)
    if advanced:
        return Index.apply(self, np_key)
    try:
        return BasicIndex.apply(self, np_key)
    except IndexError as e:
        raise _indexing_error(e, tuple(self.shape), np_key) from None


def _check_put(self: Tensor, values: Any) -> None:
    """torch's rule for writes at advanced indices: a tensor of values must have ``self``'s dtype."""
    if isinstance(values, Tensor) and values.dtype is not self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {self.dtype._legacy[:-6]} "
                           f"for the destination and {values.dtype._legacy[:-6]} for the source.")


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value``: a basic key copies into the view ``self[key]`` (``copy_``: casts, broadcasts,
    rebases the graph through the base); an advanced key writes ``index_put(self, key, value)`` into
    ``self``. Without autograd both are one NumPy assignment."""
    if isinstance(value, (list, tuple)):
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
    np_key, advanced = _key(key)
    if advanced:
        _check_put(self, value)
    if _state["grad"] and (self._requires_grad or isinstance(value, Tensor) and value._requires_grad):
        if advanced:
            write_inplace(self, IndexPut.apply(self, value, np_key, False))
            return
        view = BasicIndex.apply(self, np_key)
        if not isinstance(value, Tensor):
            value = Tensor._make(np.asarray(value, dtype=self._data.dtype))
        elif value.dim() > view.dim() and all(n == 1 for n in value.shape[:value.dim() - view.dim()]):
            value = value.reshape(value.shape[value.dim() - view.dim():])     # torch drops leading 1s
        copy_(view, value)
        return
    check_inplace(self)
    try:
        self._data[np_key] = value._data if isinstance(value, Tensor) else value
    except (IndexError, ValueError) as e:
        raise _indexing_error(e, tuple(self.shape), np_key) from None
    self._bump_version()


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


# index_put / index_add / index_select --------------------------------------------------------------------------
@tensor_method
def index_put(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    """``input`` (out of place) with ``input[indices]`` set to, or increased by, ``values``."""
    np_key, _ = _key(tuple(indices))
    _check_put(input, values)
    return IndexPut.apply(input, values, np_key, bool(accumulate))


@tensor_method
def index_put_(input: Tensor, indices: tuple, values: Any, accumulate: bool = False) -> Tensor:
    return inplace_op(input, index_put, tuple(indices), values, accumulate)


def _dim_key(input: Tensor, dim: int, index: np.ndarray) -> tuple:
    return (slice(None),) * _wrap_dim(dim, input.dim()) + (index,)


def _vector_index(index: Tensor, op: str) -> np.ndarray:
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if index.dtype.is_floating_point or index._data.dtype == np.bool_:
        raise IndexError(f"{op}(): Expected dtype int32/int64 for index")
    return index._data.reshape(-1)


def _check_range(index: np.ndarray, size: int, dim: int) -> None:
    """torch's check for gather/scatter/index_add indices, which (unlike getitem's) must not be negative."""
    if index.size:
        hi, lo = index.max(), index.min()
        if hi >= size or lo < 0:
            raise RuntimeError(f"index {int(hi if hi >= size else lo)} is out of bounds for dimension {dim} "
                               f"with size {size}")


@tensor_method
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    idx = _vector_index(index, "index_select")
    d = _wrap_dim(dim, input.dim())
    if idx.size and (idx.max() >= (input.shape[d] if input.dim() else 1) or idx.min() < 0):
        raise IndexError("index out of range in self")
    if input.dim() == 0:
        return Index.apply(input.reshape(1), (idx,)).reshape(())
    return Index.apply(input, _dim_key(input, d, idx))


@tensor_method
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    idx = _vector_index(index, "index_add")
    d = _wrap_dim(dim, input.dim())
    _check_range(idx, input.shape[d], d)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype._legacy[:-6]}) and source ({source.dtype._legacy[:-6]}) "
                           "must have the same scalar type")
    return IndexPut.apply(input, source if alpha == 1 else source * alpha, _dim_key(input, d, idx), True)


@tensor_method
def index_add_(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    return inplace_op(input, index_add, dim, index, source, alpha=alpha)


# gather / scatter -------------------------------------------------------------------------------------------
def _gather_key(input: Tensor, dim: int, index: Tensor, op: str, src: Any = None) -> tuple:
    """The NumPy key reading ``input[..., index[i, j, k], ...]`` at each position of ``index`` (torch's
    checks of gather/scatter: index no larger than ``input`` apart from ``dim``, nor than ``src``)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx, shape = index._data, input._data.shape
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    if idx.ndim != len(shape) and idx.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = _wrap_dim(dim, len(shape))
    if not shape:
        _check_range(idx, 1, 0)
        return ()
    src_shape = src._data.shape if isinstance(src, Tensor) else idx.shape
    if len(src_shape) != len(shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if any(i > n and k != d or i > m for k, (i, n, m) in enumerate(zip(idx.shape, shape, src_shape))):
        against = f" and to be no larger size than src {list(src_shape)}" if isinstance(src, Tensor) else ""
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                           f"dimension {d}{against}")
    _check_range(idx, shape[d], d)
    nd = idx.ndim
    return tuple(idx if k == d else np.arange(n).reshape((n,) + (1,) * (nd - k - 1)) for k, n in enumerate(idx.shape))


@tensor_method
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    key = _gather_key(input, dim, index, "gather")
    return Index.apply(input, key) if key else input.clone()


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, accumulate: bool, op: str) -> Tensor:
    key = _gather_key(input, dim, index, op, src)
    if isinstance(src, Tensor) and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if isinstance(src, Tensor) and src._data.shape != index._data.shape and key:
        src = src[tuple(slice(0, n) for n in index._data.shape)]       # the leading corner of a larger src
    return IndexPut.apply(input, src, key, accumulate)


class ScatterMultiply(Function):
    """``scatter(..., reduce='multiply')``: multiplies the indexed positions by ``src`` (duplicates compound).
    Like torch, it has no derivative: backward raises."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, src, key):
        out = np.array(a, copy=True)
        np.multiply.at(out, key, np.broadcast_to(np.asarray(src, dtype=a.dtype), key[0].shape) if key else src)
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")


@tensor_method
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``src`` (or ``value``) written (or added, or multiplied, per ``reduce``) at the positions
    ``index`` names along ``dim``."""
    if reduce == "multiply":
        source = value if src is None else src
        key = _gather_key(input, dim, index, "scatter", source)
        if isinstance(source, Tensor) and source._data.shape != index._data.shape and key:
            source = source[tuple(slice(0, n) for n in index._data.shape)]
        return ScatterMultiply.apply(input, source, key)
    if reduce not in (None, "add"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    return _scatter(input, dim, index, value if src is None else src, reduce == "add", "scatter")


@tensor_method
def scatter_(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    return inplace_op(input, scatter, dim, index, src, value=value, reduce=reduce)


@tensor_method
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return _scatter(input, dim, index, src, True, "scatter_add")


@tensor_method
def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return inplace_op(input, scatter_add, dim, index, src)


# masks ----------------------------------------------------------------------------------------------------
def _bool_mask(mask: Tensor, op: str) -> None:
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype._legacy[:-6].lower()}")


@tensor_method
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    from .elementwise import where
    _bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value.dim():
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        value = value.to(input.dtype)
    else:
        value = Tensor._make(np.asarray(value, dtype=input._data.dtype))
    return where(mask, value, input)


@tensor_method
def masked_fill_(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    return inplace_op(input, masked_fill, mask, value)


@tensor_method
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    _bool_mask(mask, "masked_select:")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return Index.apply(input.expand(shape), (np.broadcast_to(mask._data, shape),))


@tensor_method
def take(input: Tensor, index: Tensor) -> Tensor:
    idx = index._data
    n = input.numel()
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return Index.apply(input.reshape(-1), (_index_array(idx),))


# nonzero ----------------------------------------------------------------------------------------------------
@tensor_method
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or one 1-D tensor per dim."""
    a = input._data
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(a.reshape(1) if a.ndim == 0 else a))
    return Tensor._make(np.argwhere(a).astype(np.int64))


@tensor_method
def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)

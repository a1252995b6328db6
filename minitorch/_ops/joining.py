"""Joining, splitting and tiling: mirrors ``torch.cat`` (``concat``, ``concatenate``), ``stack``,
``hstack``, ``vstack``, ``split``, ``chunk``, ``tensor_split``, ``repeat``, ``repeat_interleave``,
``tile``, ``flip``, ``roll``, ``tril`` and ``triu``, with torch's errors.

Multi-input ops take the tensors as positional arguments of ``Function.apply`` so that each gets its
own gradient edge. Splits are ``narrow`` views, as in torch.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from .reduction import normalize_dims
from .shape import narrow

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "tensor_split",
           "repeat_interleave", "tile", "flip", "roll", "tril", "triu"]


def _promote_all(arrays: tuple) -> list:
    dt = _dtype.result_type(*arrays).np
    return [a if a.dtype == dt else a.astype(dt) for a in arrays]


class Cat(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return np.concatenate(_promote_all(arrays), axis=dim)

    @staticmethod
    def backward(ctx, grad):
        starts = np.cumsum([0] + ctx.sizes[:-1])
        return (None,) + tuple(narrow(grad, ctx.dim, int(s), n) for s, n in zip(starts, ctx.sizes))


class Stack(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return np.stack(_promote_all(arrays), axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None,) + grad.unbind(ctx.dim)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenates along ``dim``; 1-D empty tensors are skipped (torch's legacy rule)."""
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if not (t.dim() == 1 and t.shape[0] == 0)]
    if not kept:
        kept = [(0, tensors[0])]
    first = kept[0][1]._data.shape
    d = _wrap_dim(dim, len(first))
    for i, t in kept[1:]:
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}")
        for k, (n, m) in enumerate(zip(first, shape)):
            if k != d and n != m:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {n} but got "
                                   f"size {m} for tensor number {i} in the list.")
    if len(kept) < len(tensors):          # the skipped empty tensors still need a common dtype
        dt = _dtype.result_type(*tensors)
        return Cat.apply(d, *(t if t.dtype is dt else t.to(dt) for _, t in kept))
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t.shape)} at entry {i}")
    return Stack.apply(_wrap_dim(dim, len(shape) + 1), *tensors)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    tensors = [t.reshape(1) if t.dim() == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].dim() == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


@tensor_method
def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Views of ``tensor`` of size ``split_size`` along ``dim`` (last one smaller), or of the given sizes."""
    d = _wrap_dim(dim, tensor.dim())
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0:
            if n != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            return (narrow(tensor, d, 0, 0),)
        sizes = [size] * (n // size) + ([n % size] if n % size or n == 0 else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    starts = np.cumsum([0] + sizes[:-1])
    return tuple(narrow(tensor, d, int(s), k) for s, k in zip(starts, sizes))


Tensor.split_with_sizes = lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim)


@tensor_method
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_wrap_dim(dim, input.dim())]
    return split(input, -(-n // chunks) if n else 0, dim)


@tensor_method
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        return split(input, [n // k + 1] * (n % k) + [n // k] * (k - n % k), d)
    bounds = [min(max(int(i) + n if int(i) < 0 else int(i), 0), n) for i in indices_or_sections]
    starts, ends = [0] + bounds, bounds + [n]
    return tuple(narrow(input, d, s, max(e - s, 0)) for s, e in zip(starts, ends))


class Repeat(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, reps):
        a = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
        ctx.shape, ctx.reps = a.shape, reps
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, grad):
        split_shape = [x for r, s in zip(ctx.reps, ctx.shape) for x in (r, s)]
        return grad.reshape(split_shape).sum(tuple(range(0, len(split_shape), 2))), None


@tensor_method
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    reps = tuple(int(s) for s in (sizes[0] if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer))
                                  else sizes))
    if len(reps) < input.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(reps)}: {list(reps)}")
    return Repeat.apply(input, reps)


@tensor_method
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    dims = tuple(dims)
    return repeat(input, (1,) * (input.dim() - len(dims)) + dims)


@tensor_method
def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeats each element ``repeats`` times along ``dim`` (flattened when None); with no ``repeats``,
    ``input`` holds the counts and the result is the repeated positions ``0..n-1``."""
    from .indexing import Index
    if repeats is None:
        counts = input._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return Tensor._make(np.repeat(np.arange(counts.size), counts))
    if dim is None or input.dim() == 0:
        input, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    counts = repeats._data if isinstance(repeats, Tensor) else int(repeats)
    if np.ndim(counts) > 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if np.ndim(counts) == 1 and counts.size not in (1, n):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.size} and input.size({d}) = {n}")
    if np.any(np.less(counts, 0)):
        raise RuntimeError("repeats can not be negative")
    index = np.repeat(np.arange(n), counts.reshape(-1) if np.ndim(counts) else counts)
    return Index.apply(input, (slice(None),) * d + (index,))


class Flip(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


@tensor_method
def flip(input: Tensor, *dims: Any) -> Tensor:
    dims = dims[0] if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)) else dims
    return Flip.apply(input, normalize_dims(tuple(dims), input.dim()))


class Roll(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        neg = -ctx.shifts if isinstance(ctx.shifts, int) else tuple(-s for s in ctx.shifts)
        return Roll.apply(grad, neg, ctx.dims), None, None


@tensor_method
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return Roll.apply(input, shifts, tuple(_wrap_dim(int(d), input.dim()) for d in dims))


class Tril(Function):
    """Keeps the lower triangle of the last two dims (``Triu``: the upper one) and zeroes the rest."""

    _array_forward = True
    _upper = False

    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        return np.triu(a, diagonal) if ctx._upper else np.tril(a, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return type(ctx).apply(grad, ctx.diagonal), None


class Triu(Tril):
    _upper = True


def _triangle(input: Tensor, diagonal: int, upper: bool) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return (Triu if upper else Tril).apply(input, int(diagonal))


@tensor_method
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, False)


@tensor_method
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _triangle(input, diagonal, True)

"""Explicit strides: mirrors ``Tensor.as_strided`` and ``torch.as_strided_scatter``.

``as_strided`` views the storage itself (size, strides and offset counted in storage elements), so its
backward works in storage positions too: each gradient element is added into the slot it was read
from, and the input's slots are read back (``StridedScatterGather``, its own adjoint with the two
geometries swapped). The in-place machinery uses ``AsStrided`` for views of a rebased base.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

from .._tensor import Tensor
from ..autograd.function import Function
from ._method import tensor_method

__all__ = ["as_strided", "as_strided_scatter"]


def _strided_view(a: np.ndarray, shape: tuple, strides: Sequence[int]) -> np.ndarray:
    return _np_as_strided(a, shape, tuple(int(s) * a.itemsize for s in strides))


class AsStrided(Function):
    """A view with explicit size, strides and storage offset, all counted in storage elements."""

    _array_forward = True
    _is_view = True

    @staticmethod
    def forward(ctx, a, size, stride, offset, flat_storage, in_offset):
        ctx.geometry = (size, stride, offset, a.shape, tuple(s // a.itemsize for s in a.strides), in_offset)
        return _strided_view(flat_storage[offset:], size, stride)

    @staticmethod
    def backward(ctx, grad):
        return StridedScatterGather.apply(grad, ctx.geometry), None, None, None, None, None


class StridedScatterGather(Function):
    """Backward of ``as_strided``: adds each gradient element into the storage slot it was read from
    (geometry ``src``), then reads the slots of the input (geometry ``dst``). Its own adjoint is the
    same op with the two geometries swapped."""

    _array_forward = True

    @staticmethod
    def forward(ctx, grad, geometry):
        src_shape, src_strides, src_offset, dst_shape, dst_strides, dst_offset = geometry
        ctx.geometry = geometry
        src_pos = _strided_positions(src_shape, src_strides) + src_offset
        dst_pos = _strided_positions(dst_shape, dst_strides) + dst_offset
        buf = np.zeros(int(max(src_pos.max(initial=0), dst_pos.max(initial=0))) + 1, dtype=grad.dtype)
        np.add.at(buf, src_pos.ravel(), np.broadcast_to(grad, src_shape).ravel())
        return buf[dst_pos]

    @staticmethod
    def backward(ctx, grad):
        g = ctx.geometry
        return StridedScatterGather.apply(grad, g[3:] + g[:3]), None


def _strided_positions(shape: tuple, strides: tuple) -> np.ndarray:
    """The storage position (in elements) of every element of a tensor with ``shape`` and ``strides``."""
    pos = np.zeros(shape, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos = pos + np.arange(n, dtype=np.int64).reshape([-1 if i == d else 1 for i in range(len(shape))]) * s
    return pos


@tensor_method
def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None) -> Tensor:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    item = input.element_size()
    capacity = input._storage.nbytes() // item
    needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else offset
    if needed > capacity:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {item} requiring a storage size of {needed * item} are out of bounds for "
                           f"storage of size {capacity * item}")
    flat = input._storage.flat(input._data.dtype)
    return AsStrided.apply(input, size, stride, offset, flat, input.storage_offset())


class AsStridedScatter(Function):
    """``as_strided_scatter``: a copy of ``input`` (contiguous) whose strided region holds ``src``."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, src, size, stride, offset):
        ctx.geometry = (size, stride, offset)
        out = np.array(a, copy=True, order="C")
        _strided_view(out.reshape(-1)[offset:], size, stride)[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        size, stride, offset = ctx.geometry
        grad = grad.contiguous()
        region = AsStrided.apply(grad, size, stride, offset, grad._data.reshape(-1), 0)
        return AsStridedScatter.apply(grad, region * 0, size, stride, offset), region, None, None, None


@tensor_method
def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],
                       storage_offset: int = 0) -> Tensor:
    """Out-of-place: ``input`` (read as contiguous) with ``as_strided(size, stride, offset)`` set to ``src``."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(size)}")
    return AsStridedScatter.apply(input, src, size, stride, int(storage_offset))

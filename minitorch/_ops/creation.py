"""Tensor creation: mirrors ``torch.tensor``, ``as_tensor``, ``from_numpy``, ``zeros``, ``ones``, ``full``,
``empty``, ``arange``, ``linspace``, ``eye`` and the ``*_like`` variants.

Every factory takes torch's keyword arguments (``dtype``, ``device``, ``requires_grad``); ``device``
must be the CPU. Python floats become the default dtype, Python ints int64, bools bool.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Size, Tensor
from ._method import tensor_method

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye"]


def _finish(arr: np.ndarray, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size_arg(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a sequence of integers as the size, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _infer_dtype(data: Any) -> _dtype.dtype:
    """The dtype ``torch.tensor(data)`` gives nested Python data (or NumPy data)."""
    if isinstance(data, np.ndarray):
        return _dtype.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return _dtype.from_numpy_dtype(data.dtype)
    flat = list(_leaves(data))
    if any(isinstance(x, Tensor) and x.dtype.is_floating_point for x in flat) or any(
            isinstance(x, (float, np.floating)) for x in flat):
        tensor_floats = [x.dtype for x in flat if isinstance(x, Tensor) and x.dtype.is_floating_point]
        return tensor_floats[0] if tensor_floats and not any(isinstance(x, float) for x in flat) else _dtype.get_default_dtype()
    if flat and all(isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x.dtype is _dtype.bool_) for x in flat):
        return _dtype.bool_
    if not flat:
        return _dtype.get_default_dtype()
    return _dtype.int64


def _leaves(data: Any):
    if isinstance(data, (list, tuple)):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _to_numpy(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_numpy(x) for x in data]
    return data


def tensor(data: Any, *, dtype: _dtype.dtype | None = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Copies ``data`` (nested lists, scalars, arrays, tensors) into a new leaf tensor."""
    if isinstance(data, str) or (isinstance(data, (list, tuple)) and any(isinstance(x, str) for x in _leaves(data))):
        raise TypeError(f"new(): invalid data type 'str'")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
    try:
        arr = np.array(_to_numpy(data), dtype=dt.np)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists (a rectangular shape): {e}") from None
    return _finish(arr, requires_grad, device)


def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a tensor or NumPy array of the right dtype."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or _dtype.as_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return Tensor._make(ndarray)


def _factory_dtype(dtype: Any) -> _dtype.dtype:
    return _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None) -> Tensor:
    return _finish(np.zeros(_size_arg(size), _factory_dtype(dtype).np), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_size_arg(size), _factory_dtype(dtype).np), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          memory_format: Any = None) -> Tensor:
    return _finish(np.empty(_size_arg(size), _factory_dtype(dtype).np), requires_grad, device)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
    return _finish(np.full(_size_arg((size,)), fill_value, dt.np), requires_grad, device)


def _like(input: Tensor, dtype: Any) -> tuple:
    return tuple(input.shape), (_dtype.as_dtype(dtype) if dtype is not None else input.dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    shape, dt = _like(input, dtype)
    return zeros(shape, dtype=dt, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    shape, dt = _like(input, dtype)
    return ones(shape, dtype=dt, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    shape, dt = _like(input, dtype)
    return empty(shape, dtype=dt, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, dt = _like(input, dtype)
    return full(shape, fill_value, dtype=dt, device=device, requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is not None:
        dt = _dtype.as_dtype(dtype)
    else:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else _dtype.get_default_dtype()
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * vals[2]).astype(dt.np)
    return _finish(arr, requires_grad, device)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = _factory_dtype(dtype)
    return _finish(np.linspace(float(start), float(end), int(steps)).astype(dt.np), requires_grad, device)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    dt = _factory_dtype(dtype)
    return _finish((base ** np.linspace(float(start), float(end), int(steps))).astype(dt.np), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    return _finish(np.eye(n, n if m is None else m, dtype=_factory_dtype(dtype).np), requires_grad, device)


@tensor_method
def new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


@tensor_method
def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


@tensor_method
def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


@tensor_method
def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


@tensor_method
def new_full(self: Tensor, size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

"""Tensor creation: mirrors ``torch.tensor``, ``as_tensor``, ``from_numpy``, ``zeros``, ``ones``, ``full``,
``empty``, ``arange``, ``linspace``, ``logspace``, ``eye``, the ``*_like`` variants and ``Tensor.new_*``.

Every factory takes torch's keyword arguments (``dtype``, ``device``, ``requires_grad``); ``device``
must be the CPU. Python floats become the default dtype, Python ints int64, bools bool. ``arange`` and
``linspace`` reproduce torch's kernels bit for bit (including their fused multiply-adds).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor
from ._method import tensor_method
from ._operands import not_implemented

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
           "empty_like", "full_like", "arange", "linspace", "logspace", "eye"]


def _finish(arr: np.ndarray, requires_grad: bool = False, device: Any = None) -> Tensor:
    check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _size_arg(size: tuple, name: str) -> tuple:
    """The shape given to factory ``name`` as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, checked as torch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not set(map(type, size)) <= _INT:
        size = tuple(_size_entry(s, name) for s in size)
    if size and min(size) < 0:
        if name == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    return size


_INT = {int}


def _size_entry(s: Any, name: str) -> int:
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        return int(s)
    if isinstance(s, Tensor) and s.numel() == 1 and not s.dtype.is_floating_point:
        return int(s.item())
    raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {type(s).__name__}")


_PY_SCALARS = {bool: _dtype.bool_, int: _dtype.int64}


def _scan(data: Any, first: bool = False) -> tuple:
    """``(dtype, data)`` for ``torch.tensor(data)``: the promotion of every leaf's dtype (None if there are
    none), and the data with tensors replaced by their arrays. ``first``: ``data`` opens its sequence."""
    kind = type(data)
    if kind in _PY_SCALARS:
        return _PY_SCALARS[kind], data
    if kind is float:
        return _dtype.get_default_dtype(), data
    if kind in (list, tuple, range):
        if not data:
            return None, data
        kinds = set(map(type, data))
        if kinds <= {bool, int}:
            return (_dtype.int64 if int in kinds else _dtype.bool_), data
        if kinds <= {bool, int, float}:
            return _dtype.get_default_dtype(), data
        parts = [_scan(x, i == 0) for i, x in enumerate(data)]
        dt = None
        for d, _ in parts:
            if d is not None:
                dt = d if dt is None else _dtype.promote_types(dt, d)
        return dt, [x for _, x in parts]
    if isinstance(data, Tensor):
        if data.numel() != 1:
            if data.dtype.is_floating_point:
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return data.dtype, data._data.reshape(())
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(data.dtype), data
    if isinstance(data, (bool, int, float, np.bool_)):
        return _dtype.scalar_dtype(data), data
    if isinstance(data, str):
        if first:
            raise ValueError("too many dimensions 'str'")
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _ragged_error(data: Any, dt: _dtype.dtype) -> Exception | None:
    """torch's error for nested sequences that do not form a rectangular array."""
    sizes, seq = [], data
    while isinstance(seq, (list, tuple, np.ndarray)):
        sizes.append(len(seq))
        if not len(seq):
            break
        seq = seq[0]

    def walk(x: Any, d: int) -> Exception | None:
        is_seq = isinstance(x, (list, tuple, np.ndarray))
        if d == len(sizes):
            what = "a real number" if dt.is_floating_point else "an integer"
            return TypeError(f"'{type(x).__name__}' object cannot be interpreted as {what}") if is_seq else None
        if not is_seq:
            return TypeError("not a sequence")
        if len(x) != sizes[d]:
            return ValueError(f"expected sequence of length {sizes[d]} at dim {d} (got {len(x)})")
        return next((e for e in (walk(y, d + 1) for y in x) if e is not None), None)
    return walk(data, 0)


def _check_strides(arr: np.ndarray) -> None:
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")


def tensor(data: Any, *, dtype: _dtype.dtype | None = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Copies ``data`` (nested lists, scalars, arrays, tensors) into a new leaf tensor.

    Without ``dtype``, the dtype is the promotion of the elements' dtypes: Python bools are bool, ints
    int64, floats the default dtype; NumPy values and tensors keep theirs.
    """
    if isinstance(data, Tensor):
        arr = np.array(data._data, dtype=_dtype.as_dtype(dtype).np if dtype is not None else None)
        return _finish(arr, requires_grad, device)
    if isinstance(data, np.ndarray):
        _check_strides(data)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    inferred, values = _scan(data, True)
    dt = _dtype.as_dtype(dtype) if dtype is not None else (inferred or _dtype.get_default_dtype())
    try:
        arr = np.array(values, dtype=dt.np)
    except OverflowError:
        arr = _narrow_ints(values, dt)
    except ValueError as e:
        raise (_ragged_error(values, dt) or e) from None
    return _finish(arr, requires_grad, device)


def _narrow_ints(values: Any, dt: _dtype.dtype) -> np.ndarray:
    """Python ints outside a small integer dtype: torch wraps values within +-max and rejects the rest."""
    if dt.is_floating_point or dt is _dtype.int64:
        raise ValueError("Overflow when unpacking long long")
    wide = np.array(values, dtype=np.int64)
    info = np.iinfo(dt.np)
    if wide.size and (wide.max() > info.max or wide.min() < (info.min if info.min else -info.max)):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return wide.astype(dt.np)


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
    _check_strides(ndarray)
    return Tensor._make(ndarray)


def _factory_dtype(dtype: Any) -> _dtype.dtype:
    return _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None,
          layout: Any = None, pin_memory: bool = False) -> Tensor:
    return _finish(np.zeros(_size_arg(size, "zeros"), _factory_dtype(dtype).np), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None,
         layout: Any = None, pin_memory: bool = False) -> Tensor:
    return _finish(np.ones(_size_arg(size, "ones"), _factory_dtype(dtype).np), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, out: Any = None,
          layout: Any = None, pin_memory: bool = False, memory_format: Any = None) -> Tensor:
    return _finish(np.empty(_size_arg(size, "empty"), _factory_dtype(dtype).np), requires_grad, device)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value (bool, int64, default float)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {type(fill_value).__name__}")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.scalar_dtype(fill_value)
    return _finish(np.full(_size_arg((size,), "full"), fill_value, dt.np), requires_grad, device)


def _like(input: Tensor, dtype: Any) -> tuple:
    return input._data.shape, (_dtype.as_dtype(dtype).np if dtype is not None else input._data.dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(np.zeros(*_like(input, dtype)), requires_grad, device)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(np.ones(*_like(input, dtype)), requires_grad, device)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None, layout: Any = None) -> Tensor:
    return _finish(np.empty(*_like(input, dtype)), requires_grad, device)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None, layout: Any = None) -> Tensor:
    return full(input._data.shape, fill_value, dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def _scalar(v: Any, name: str) -> Any:
    if isinstance(v, Tensor):
        if v.ndim != 0:
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got start with "
                               f"{v.ndim} dimension(s).")
        return v.item()
    return v


def _not_bool(dt: _dtype.dtype, kernel: str) -> None:
    if dt is _dtype.bool_:
        raise not_implemented(kernel, dt.np)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """``[start, start + step, ...)`` below ``end``: int64 when all bounds are integers, else the default dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (_scalar(v, "arange") for v in (start, end, step))
    if dtype is not None:
        dt = _dtype.as_dtype(dtype)
    else:
        dt = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) \
            else _dtype.get_default_dtype()
    _not_bool(dt, "arange_cpu")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (np.isfinite(start) and np.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = np.ceil((float(end) - float(start)) / float(step))
    if not 0 <= n < 2.0 ** 63:
        raise RuntimeError("invalid size, possible overflow?")
    if dt.is_floating_point:
        arr = _float_range(start, step, int(n), dt)
    else:                          # integer dtypes truncate start and step first
        arr = (int(start) + np.arange(int(n), dtype=np.int64) * int(step)).astype(dt.np)
    return _finish(arr, requires_grad, device)


def _float_range(start: Any, step: Any, n: int, dt: _dtype.dtype) -> np.ndarray:
    """torch's CPU arange kernel, bit for bit: in the accumulate type (float for float16, else double) with
    fused multiply-adds (emulated in wider precision), the leading blocks of two 32-byte vectors start each
    vector from a value rounded to ``dt`` and add ``k * step``; the tail is ``start + i * step``."""
    acc = np.float32 if dt is _dtype.float16 else np.float64
    wide = np.float64 if acc is np.float32 else np.longdouble
    start, step = wide(acc(start)), wide(acc(step))
    lanes = 32 // dt.itemsize
    vec_end = n // (2 * lanes) * 2 * lanes
    i = np.arange(n, dtype=wide)
    k = i[:vec_end] % lanes
    bases = (start + (i[:vec_end] - k) * step).astype(acc).astype(dt.np).astype(wide)
    head = (bases + k * step).astype(acc)
    tail = (start + i[vec_end:] * step).astype(acc)
    return np.concatenate((head, tail)).astype(dt.np)


def _steps(steps: Any, name: str) -> int:
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{name}(): argument 'steps' (position 3) must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _ramp(start: Any, end: Any, steps: int, dt: _dtype.dtype, work: np.dtype, fused: bool) -> np.ndarray:
    """torch's linspace/logspace ramp: ``start`` and ``end`` rounded to ``dt``, then in ``work`` precision the
    first half counts up from ``start`` and the second half down from ``end``. ``fused``: each value is one
    fused multiply-add, as torch's compiled linspace kernel computes it (emulated in wider precision: exact for
    float32; for float64, long double's 64-bit mantissa can leave a rare value 1 ulp away from torch's)."""
    s, e = (dt.np.type(v) for v in (start, end))
    if steps <= 1:
        return np.full(steps, s, dtype=work)
    step = work.type(e - s) / work.type(steps - 1)
    s, e = work.type(s), work.type(e)
    wide = work.type if not fused else np.float64 if work == np.float32 else np.longdouble
    i = np.arange(steps, dtype=wide)
    up = i * wide(step) + wide(s)
    down = wide(e) - (wide(steps - 1) - i) * wide(step)
    return np.where(i < steps // 2, up, down).astype(work)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (default float dtype)."""
    n, dt = _steps(steps, "linspace"), _factory_dtype(dtype)
    _not_bool(dt, "linspace_cpu")
    # floats step in their own precision (float16 rounds after every operation), integers in double
    work = dt.np if dt.is_floating_point else np.dtype(np.float64)
    vals = _ramp(_scalar(start, "linspace"), _scalar(end, "linspace"), n, dt, work, dt is not _dtype.float16)
    return _finish(vals.astype(dt.np), requires_grad, device)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, out: Any = None, layout: Any = None) -> Tensor:
    """``base ** linspace(start, end, steps)``, with exponents and powers in double as torch computes them."""
    n, dt = _steps(steps, "logspace"), _factory_dtype(dtype)
    _not_bool(dt, "logspace_cpu")
    start, end = _scalar(start, "logspace"), _scalar(end, "logspace")
    exps = _ramp(start, end, n, dt, np.dtype(np.float64), False) if n != 1 else np.array([float(start)])
    b = float(base) if dt.is_floating_point else float(np.float32(base))    # integer kernels use a float base
    return _finish(np.power(b, exps).astype(dt.np), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
        out: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """The ``n x m`` identity matrix (``m`` defaults to ``n``)."""
    for pos, name, v in ((1, "n", n), (2, "m", m)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _finish(np.eye(n, n if m is None else m, dtype=_factory_dtype(dtype).np), requires_grad, device)


@tensor_method
def new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


@tensor_method
def new_full(self: Tensor, size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

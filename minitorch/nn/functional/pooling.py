"""Pooling functions: mirrors ``torch.nn.functional`` max/avg/adaptive/lp pooling and ``max_unpool``.

Argument parsing and torch's errors live here; the kernels are in ``minitorch/_ops/pooling.py``. Inputs
are batched ``(N, C, *spatial)`` or unbatched ``(C, *spatial)`` (the ops pool over the trailing dims).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..._ops import pooling as _pool
from ..._ops._operands import not_implemented, type_name
from ..._dtype import int64
from ..._tensor import Tensor
from .activation import relu

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "lp_pool1d",
           "lp_pool2d", "lp_pool3d"]

_WORDS = {1: "one", 2: "two", 3: "three"}


def _ints(v: Any, nd: int, name: str, fname: str) -> tuple:
    """An int or a sequence of 1 or ``nd`` ints as an ``nd``-tuple (torch's message otherwise)."""
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"{fname}: {name} must either be a single int, or a tuple of {_WORDS[nd]} ints")
    return v


def _check_dims(x: Tensor, nd: int, fname: str) -> None:
    if x.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fname}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(x.shape)}")
    if any(n == 0 for n in x.shape[x.dim() - nd - 1:]):
        raise RuntimeError(f"{fname}: Expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(x.shape)}")


def _window_args(x: Tensor, nd: int, fname: str, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, ceil_mode: bool) -> tuple:
    """Checked (kernel, stride, padding, dilation) tuples, as torch checks them."""
    _check_dims(x, nd, fname)
    kernel = _ints(kernel_size, nd, "kernel_size", fname)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _ints(stride, nd, "stride", fname)
    padding, dilation = _ints(padding, nd, "padding", fname), _ints(dilation, nd, "dilation", fname)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{fname}: kernel_size must be greater than zero, but got {list(kernel)}")
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation: {list(dilation)}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    if any(p > k // 2 for k, p in zip(kernel, padding)):          # torch's kernels then check the plain kernel
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"pad={list(padding)}, kernel_size={list(kernel)}")
    spatial = tuple(x.shape[x.dim() - nd:])
    out = tuple(_pool.pool_output_size(*g, ceil_mode) for g in zip(spatial, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        planes = x.shape[x.dim() - nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (planes,) + spatial))}). Calculated output size: "
                           f"({'x'.join(map(str, (planes,) + out))}). Output size is too small")
    return kernel, stride, padding, dilation


# max pooling ---------------------------------------------------------------------------------------------------
def _max_pool(nd: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
              return_indices: bool) -> Any:
    args = _window_args(input, nd, f"max_pool{nd}d", kernel_size, stride, padding, dilation, ceil_mode)
    values, indices = _pool.max_pool(input, *args, bool(ceil_mode))
    return (values, indices) if return_indices else values


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


# average pooling -----------------------------------------------------------------------------------------------
def _avg_pool(nd: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: int | None) -> Tensor:
    kernel, stride, padding, _ = _window_args(input, nd, f"avg_pool{nd}d", kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return _pool.avg_pool(input, kernel, stride, padding, bool(ceil_mode), bool(count_include_pad), divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# adaptive pooling ----------------------------------------------------------------------------------------------
def _adaptive_size(nd: int, input: Tensor, output_size: Any, fname: str) -> tuple:
    _check_dims(input, nd, fname)
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    elif len(output_size) != nd:
        raise RuntimeError(f"{fname}: output_size must be {nd}")
    spatial = input.shape[input.dim() - nd:]
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, spatial))
    if any(o < 0 for o in out):
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(map(str, out))}}}")
    return out


def _adaptive_avg(nd: int, input: Tensor, output_size: Any) -> Tensor:
    fname = f"adaptive_avg_pool{nd}d"
    out = _adaptive_size(nd, input, output_size, fname)
    if not input.dtype.is_floating_point:
        raise not_implemented(fname, input._data.dtype)
    if 0 in out:
        return input.new_zeros(tuple(input.shape[:input.dim() - nd]) + out)
    return _pool.adaptive_avg_pool(input, out)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nd: int, input: Tensor, output_size: Any, return_indices: bool) -> Any:
    out = _adaptive_size(nd, input, output_size, f"adaptive_max_pool{nd}d")
    if 0 in out:
        shape = tuple(input.shape[:input.dim() - nd]) + out
        values, indices = input.new_zeros(shape), input.new_zeros(shape, dtype=int64)
    else:
        values, indices = _pool.adaptive_max_pool(input, out)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any, return_indices: bool = False) -> tuple:
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any, return_indices: bool = False) -> tuple:
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any, return_indices: bool = False) -> tuple:
    return _adaptive_max(3, input, output_size, True)


# max_unpool ----------------------------------------------------------------------------------------------------
def _unpool_output_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                        output_size: Sequence[int] | None) -> tuple:
    """torch's ``_unpool_output_size``: the default size, or ``output_size`` checked against it."""
    nd = len(kernel)
    default = [(input.shape[input.dim() - nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        return tuple(default)
    output_size = list(output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a length "
                         f"of '{len(output_size)}'")
    for d in range(nd):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
    return tuple(int(o) for o in output_size)


def _max_unpool(nd: int, input: Tensor, indices: Tensor, kernel_size: Any, stride: Any, padding: Any,
                output_size: Any) -> Tensor:
    fname = f"max_unpool{nd}d"
    kernel = _ints(kernel_size, nd, "kernel_size", fname)
    stride = kernel if stride is None else _ints(stride, nd, "stride", fname)
    out = _unpool_output_size(input, kernel, stride, _ints(padding, nd, "padding", fname), output_size)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {input.dim()} dimensions.")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements of indices should be type int64 but got: {type_name(indices._data.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    plane = math.prod(out)
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max() if idx.max() >= plane else idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, out))})")
    return _pool.max_unpool(input, indices, out)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Tensor:
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# power-average pooling -----------------------------------------------------------------------------------------
def _lp_pool(nd: int, input: Tensor, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool) -> Tensor:
    """torch's formula: ``(sign(s) * relu(|s|) * prod(kernel)) ** (1 / p)`` with ``s`` the average of ``x ** p``."""
    if norm_type == 0:
        raise ValueError(f"norm_type must be a non-zero value, but got {norm_type}")
    pool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
    if norm_type == math.inf:
        return pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = _avg_pool(nd, input.pow(norm_type), kernel_size, stride, 0, ceil_mode, True, None)
    size = math.prod(_ints(kernel_size, nd, "kernel_size", f"lp_pool{nd}d"))
    return (out.sign() * relu(out.abs())).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)

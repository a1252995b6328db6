"""Reductions: mirrors ``torch.sum``, ``mean``, ``prod``, ``var``/``std`` (``correction``/``unbiased``),
``var_mean``/``std_mean``, ``amax``/``amin``, ``argmax``/``argmin``, ``all``/``any``, ``count_nonzero`` and
``norm`` (``dim`` as int or tuple, ``keepdim``), the dim helpers the other reducing families share
(softmax.py, cumulative.py, sorting.py), and ``sum_to_shape``, the single helper that undoes
broadcasting in backward.

Forwards are NumPy; backwards are minitorch ops (differentiable again). Masks a backward needs (ties of a
max, zeros of a product) are computed in backward from the saved arrays and enter the graph as constants,
so the no-grad forward pays nothing for them. ``axis=`` is accepted as an alias of ``dim=`` (as torch).
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from .elementwise import where

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "amax", "amin", "argmax", "argmin",
           "all", "any", "count_nonzero", "norm", "sum_to_shape"]


def normalize_dims(dim: "int | Sequence[int] | None", ndim: int) -> tuple[int, ...]:
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = tuple(sorted(_wrap_dim(int(d), ndim) for d in dims))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {next(d for d in out if out.count(d) > 1)} appears multiple times in the list of dims")
    return out


def reduce_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """The dims a reduction runs over: as ``normalize_dims``, but an empty list means all (torch's rule)."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    dims = normalize_dims(dim, ndim)
    return dims if ndim else ()          # a 0-d tensor accepts dim 0 / -1 and has nothing to reduce


def accepts_axis(fn: Callable) -> Callable:
    """Lets ``fn`` take NumPy's ``axis=`` as an alias of ``dim=``, as torch's reductions do."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(*args, **kwargs)
    return wrapper


def expand_reduced(grad: Tensor, shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcasts the gradient of a reduction over ``dims`` back to the input ``shape``."""
    if not keepdim and shape:
        grad = grad.reshape([1 if i in dims else n for i, n in enumerate(shape)])
    return grad.expand(shape)


def drop_reduced(out: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    """A reduction's result computed with ``keepdims=True``, without the reduced dims unless ``keepdim``."""
    return out if keepdim else out.reshape([n for i, n in enumerate(out.shape) if i not in dims])


def constant(a: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(a))


def _require_float(input: Tensor, msg: str) -> None:
    if not input.dtype.is_floating_point:
        raise RuntimeError(msg)


def check_nonempty(a: np.ndarray, dims: tuple, op: str, whole: bool) -> None:
    """torch's errors for max-like reductions over nothing."""
    if a.size:
        return
    if whole:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if a.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


# sum / mean / prod -----------------------------------------------------------------------------------------
class Sum(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if dtype is None and a.dtype.kind in "biu":
            dtype = _dtype.int64
        return np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None, None


class Mean(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.count = math.prod([a.shape[d] for d in dims])
        return np.add.reduce(a, axis=dims, keepdims=keepdim) / a.dtype.type(ctx.count)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad / ctx.count, ctx.shape, ctx.dims, ctx.keepdim), None, None


@tensor_method
@accepts_axis
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None) -> Tensor:
    return Sum.apply(input, reduce_dims(dim, input.dim()), keepdim, dtype)


@tensor_method
@accepts_axis
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: _dtype.dtype | None = None) -> Tensor:
    dt = dtype or input.dtype
    if not dt.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {dt._legacy.replace('Tensor', '')}")
    if dtype is not None:
        input = input.to(dtype)
    return Mean.apply(input, reduce_dims(dim, input.dim()), keepdim)


class Prod(Function):
    """Gradient: ``out / x`` without zeros; with zeros, the product of the other elements (torch's rule:
    one zero gets the product of the rest, everything else 0), written so that double backward is right
    for inputs with at most one zero per reduced slice."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if dtype is None and a.dtype.kind in "biu":
            dtype = _dtype.int64
        out = np.multiply.reduce(a, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        g = expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim)
        zeros = constant(x._data == 0)
        if not zeros._data.any():
            return g * expand_reduced(out, ctx.shape, ctx.dims, ctx.keepdim) / x, None, None, None
        count = np.add.reduce(zeros._data, axis=ctx.dims, keepdims=True)
        one, none = constant((count == 1).astype(x._data.dtype)), constant((count == 0).astype(x._data.dtype))
        x_safe = x.masked_fill(zeros, 1)
        rest = Prod.apply(x_safe, ctx.dims, True, None)              # product of the non-zero elements
        zero_value = x.masked_fill(constant(~zeros._data), 0).sum(ctx.dims, keepdim=True)   # the lone zero, in the graph
        others = where(zeros, rest * one, rest * (zero_value * one + none) / x_safe)
        return g * others, None, None, None


@tensor_method
@accepts_axis
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: _dtype.dtype | None = None) -> Tensor:
    return Prod.apply(input, reduce_dims(dim, input.dim()), keepdim, dtype)


# var / std -------------------------------------------------------------------------------------------------
class Var(Function):
    """Variance (``root=False``) or standard deviation (``root=True``) with ``correction``."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim, root):
        ctx.shape, ctx.dims, ctx.keepdim, ctx.root = a.shape, dims, keepdim, root
        n = math.prod([a.shape[d] for d in dims])
        ctx.dof = n - correction
        centered = a - np.add.reduce(a, axis=dims, keepdims=True) / a.dtype.type(n)
        out = np.add.reduce(centered * centered, axis=dims, keepdims=keepdim) / a.dtype.type(max(ctx.dof, 0))
        out = (np.sqrt(out) if root else out).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if ctx.root:        # d std = d var / (2 std), 0 where std == 0 (torch)
            zero = out._data == 0
            grad = grad / (2 * out.masked_fill(constant(zero), 1)) * constant((~zero).astype(out._data.dtype))
        g = expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim)
        centered = x - x.mean(ctx.dims, keepdim=True)
        return g * centered * (2.0 / ctx.dof if ctx.dof > 0 else float("inf")), None, None, None, None


class Std(Var):
    """``std``: the same computation (``root=True``), named as torch's node."""


def _var_args(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any) -> tuple:
    if isinstance(dim, bool):                      # legacy var(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError("var(): cannot specify both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    _require_float(input, "std and var only support floating point and complex dtypes")
    return reduce_dims(dim, input.dim()), correction, keepdim


@tensor_method
@accepts_axis
def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | float | None = None) -> Tensor:
    return Var.apply(input, *_var_args(input, dim, unbiased, keepdim, correction), False)


@tensor_method
@accepts_axis
def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: int | float | None = None) -> Tensor:
    return Std.apply(input, *_var_args(input, dim, unbiased, keepdim, correction), True)


@accepts_axis
def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | float | None = None) -> tuple[Tensor, Tensor]:
    dims, correction, keepdim = _var_args(input, dim, unbiased, keepdim, correction)
    return Var.apply(input, dims, correction, keepdim, False), mean(input, dims, keepdim)


@accepts_axis
def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | float | None = None) -> tuple[Tensor, Tensor]:
    dims, correction, keepdim = _var_args(input, dim, unbiased, keepdim, correction)
    return Std.apply(input, dims, correction, keepdim, True), mean(input, dims, keepdim)


# amax / amin / argmax / argmin -----------------------------------------------------------------------------
class Amax(Function):
    """Max (or min) over ``dims``; the gradient is split evenly among tied extremes (torch's rule)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, smallest, op):
        check_nonempty(a, dims, op, whole=False)
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        out = (np.minimum if smallest else np.maximum).reduce(a, axis=dims, keepdims=True)
        out = drop_reduced(out, dims, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        out = expand_reduced(out, ctx.shape, ctx.dims, ctx.keepdim)
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim) * tie_share(x._data, out._data, ctx.dims), \
            None, None, None, None


class Amin(Amax):
    """``amin``: the same computation (``smallest=True``), named as torch's node."""


def tie_share(a: np.ndarray, extreme: np.ndarray, dims: tuple) -> Tensor:
    """1/k at each of the k elements equal to their slice's extreme (NaN counts as equal to NaN), else 0."""
    ties = (a == extreme) | (np.isnan(a) & np.isnan(extreme))
    return constant(ties / np.add.reduce(ties, axis=dims, keepdims=True, dtype=a.dtype))


@tensor_method
@accepts_axis
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    if input.numel() == 0 and (dim is None or dim == () or dim == []):
        check_nonempty(input._data, (), "amax", whole=True)
    return Amax.apply(input, reduce_dims(dim, input.dim()), keepdim, False, "amax")


@tensor_method
@accepts_axis
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    if input.numel() == 0 and (dim is None or dim == () or dim == []):
        check_nonempty(input._data, (), "amin", whole=True)
    return Amin.apply(input, reduce_dims(dim, input.dim()), keepdim, True, "amin")


def _arg_extreme(input: Tensor, dim: Any, keepdim: bool, fn: Any, op: str) -> Tensor:
    a = input._data
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        idx = np.asarray(fn(a), dtype=np.int64)
        return Tensor._make(idx.reshape([1] * a.ndim) if keepdim else idx)
    d = _wrap_dim(dim, max(a.ndim, 1))
    if a.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    check_nonempty(a, (d,), op, whole=False)
    return Tensor._make(fn(a, axis=d, keepdims=keepdim).astype(np.int64, copy=False))


@tensor_method
@accepts_axis
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(input, dim, keepdim, np.argmax, "argmax")


@tensor_method
@accepts_axis
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(input, dim, keepdim, np.argmin, "argmin")


# logsumexp / softmax / log_softmax -------------------------------------------------------------------------
def _logical_reduce(fn: Any, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    a = input._data
    out = fn(a, axis=reduce_dims(dim, a.ndim), keepdims=keepdim)
    return Tensor._make(np.asarray(out, dtype=np.uint8 if a.dtype == np.uint8 else np.bool_))


@tensor_method
@accepts_axis
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _logical_reduce(np.all, input, dim, keepdim)


@tensor_method
@accepts_axis
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _logical_reduce(np.any, input, dim, keepdim)


@tensor_method
@accepts_axis
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    a = input._data
    return Tensor._make(np.asarray(np.count_nonzero(a, axis=reduce_dims(dim, a.ndim)), dtype=np.int64))


# norm ------------------------------------------------------------------------------------------------------
class LinalgVectorNorm(Function):
    """Vector p-norm over ``dims``; gradients as torch's ``norm_backward`` (0 at a zero vector)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim, ctx.p = a.shape, dims, keepdim, p
        x = np.abs(a)
        if np.isinf(p):
            if a.size == 0:
                raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                                   "operation does not have an identity")
            out = (np.maximum if p > 0 else np.minimum).reduce(x, axis=dims, keepdims=True)
        else:
            if p == 0:
                out = np.add.reduce(x != 0, axis=dims, keepdims=True, dtype=a.dtype)
            elif p == 1:
                out = np.add.reduce(x, axis=dims, keepdims=True)
            elif p == 2:
                out = np.sqrt(np.add.reduce(x * x, axis=dims, keepdims=True))
            else:
                out = np.add.reduce(x ** p, axis=dims, keepdims=True) ** (1.0 / p)
        out = drop_reduced(out, dims, keepdim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        out = expand_reduced(out, ctx.shape, ctx.dims, ctx.keepdim)
        g, p = expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim), ctx.p
        if p == 0:
            return g * 0, None, None, None
        if np.isinf(p):
            return g * x.sign() * tie_share(np.abs(x._data), out._data, ctx.dims), None, None, None
        if p == 1:
            return g * x.sign(), None, None, None
        safe = out.masked_fill(constant(out._data == 0), 1)       # x == 0 wherever out == 0
        if p == 2:
            return g * x / safe, None, None, None
        scaled = x.sign() * x.abs().masked_fill(constant(x._data == 0), 1).pow(p - 1)
        return g * scaled / safe.pow(p - 1), None, None, None


@tensor_method
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: _dtype.dtype | None = None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                          f"Got {input.dtype._legacy[:-6]}")
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is not supported by minitorch (only vector norms and 'fro')")
    dims = reduce_dims(dim, input.dim())
    if input.numel() == 0 and not dims:
        dims = tuple(range(input.dim()))
    return LinalgVectorNorm.apply(input, float(p), dims, keepdim)


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

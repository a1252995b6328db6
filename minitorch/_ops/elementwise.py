"""Element-wise arithmetic with broadcasting: mirrors ``torch.add``, ``sub``, ``mul``, ``div``, ``pow``,
``neg`` and the Python operators on ``Tensor``, plus dtype casts (``Tensor.to(dtype)``).

Each op is a ``Function``: forward on NumPy arrays, backward in minitorch ops (so it is
differentiable again). Backward returns gradients in the broadcast shape; the engine sums them back
to each input's shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._method import tensor_method
from ._operands import float_result, promote

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg", "negative", "pow", "exp", "log", "where", "cast", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "bitwise_and", "bitwise_or", "bitwise_xor"]


def _broadcast_error(a: Any, b: Any) -> RuntimeError:
    sa, sb = np.shape(a), np.shape(b)
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                                f"at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together")


def _apply_binary(ufunc: np.ufunc, a: Any, b: Any) -> np.ndarray:
    try:
        return ufunc(a, b)
    except ValueError:
        raise _broadcast_error(a, b) from None


class Add(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = promote(a, b)
        return _apply_binary(np.add, a, b if alpha == 1 else b * np.asarray(alpha, dtype=b.dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


class Sub(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = promote(a, b)
        if a.dtype == np.bool_:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        return _apply_binary(np.subtract, a, b if alpha == 1 else b * np.asarray(alpha, dtype=b.dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha)


class Mul(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        return _apply_binary(np.logical_and if a.dtype == np.bool_ else np.multiply, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b, rounding_mode=None):
        if rounding_mode is None:
            ctx.save_for_backward(a, b)
            a, b = float_result(a, b)
            with np.errstate(divide="ignore", invalid="ignore"):
                return _apply_binary(np.true_divide, a, b)
        ctx.save_for_backward(None, None)
        a, b = promote(a, b)
        if a.dtype.kind in "iu" and np.any(b == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(divide="ignore", invalid="ignore"):
            if rounding_mode == "floor":
                return _apply_binary(np.floor_divide, a, b)
            if rounding_mode == "trunc":
                out = _apply_binary(np.true_divide, a, b)
                return np.trunc(out).astype(a.dtype, copy=False)
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if a is None:   # rounded division is piecewise constant: zero gradient, as in torch
            return grad * 0, grad * 0
        return (grad / b if ctx.needs_input_grad[0] else None,
                -grad * a / (b * b) if ctx.needs_input_grad[1] else None)


class Neg(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        pa, pb = promote(a, b)
        if pa.dtype.kind in "iu" and np.any(pb < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _apply_binary(np.power, pa, pb)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # d/da a^b = b a^(b-1); written with where() so that 0^0 terms give 0, not nan
            ga = grad * b * a.pow(b - 1)
            ga = where(b == 0, ga * 0, ga)
        if ctx.needs_input_grad[1]:
            gb = grad * out * where(a > 0, a, a * 0 + 1).log()
            gb = where((a == 0) & (b >= 0), gb * 0, gb)
        return ga, gb


class Exp(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        out = np.exp(*float_result(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(*float_result(a))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Cast(Function):
    """``Tensor.to(dtype)``: a copy in another dtype; gradient is cast back by the engine."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Where(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, cond, a, b):
        if cond.dtype != np.bool_ and cond.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{_dtype._BY_NP[cond.dtype].name.capitalize()}")
        ctx.save_for_backward(cond)
        a, b = promote(a, b)
        try:
            return np.where(cond, a, b)
        except ValueError:
            raise RuntimeError(f"where: condition {list(cond.shape)}, input {list(np.shape(a))} and other "
                               f"{list(np.shape(b))} cannot be broadcast together") from None

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        zero = grad * 0
        return None, where(cond, grad, zero), where(cond, zero, grad)


# functions -------------------------------------------------------------------------------------------------
@tensor_method
def add(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return Add.apply(input, other, alpha)


@tensor_method
def sub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return Sub.apply(input, other, alpha)


@tensor_method
def mul(input: Tensor, other: Any) -> Tensor:
    return Mul.apply(input, other)


@tensor_method
def div(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    return Div.apply(input, other, rounding_mode)


@tensor_method
def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


@tensor_method
def pow(input: Any, exponent: Any) -> Tensor:
    return Pow.apply(input, exponent)


@tensor_method
def exp(input: Tensor) -> Tensor:
    return Exp.apply(input)


@tensor_method
def log(input: Tensor) -> Tensor:
    return Log.apply(input)


def cast(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    """A differentiable dtype conversion (what ``Tensor.to(dtype)`` runs)."""
    return Cast.apply(input, dtype)


@tensor_method
def where(condition: Tensor, input: Any = None, other: Any = None) -> Tensor:
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    return Where.apply(condition, input, other)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
for _alias in ("subtract", "multiply", "divide", "true_divide", "negative"):
    setattr(Tensor, _alias, globals()[_alias])

# Python operators ----------------------------------------------------------------------------------------------
Tensor.__add__ = Tensor.__radd__ = lambda self, other: Add.apply(self, other)
Tensor.__sub__ = lambda self, other: Sub.apply(self, other)
Tensor.__rsub__ = lambda self, other: Sub.apply(other, self)
Tensor.__mul__ = Tensor.__rmul__ = lambda self, other: Mul.apply(self, other)
Tensor.__truediv__ = lambda self, other: Div.apply(self, other)
Tensor.__rtruediv__ = lambda self, other: Div.apply(other, self)
Tensor.__pow__ = lambda self, other: Pow.apply(self, other)
Tensor.__rpow__ = lambda self, other: Pow.apply(other, self)
Tensor.__neg__ = lambda self: Neg.apply(self)
Tensor.__pos__ = lambda self: self


# comparisons and logical ops: results are bool tensors, outside autograd --------------------------------------
def _compare(ufunc: np.ufunc):
    def op(input: Tensor, other: Any) -> Tensor:
        a, b = promote(input._data, other._data if isinstance(other, Tensor) else other)
        return Tensor._make(_apply_binary(ufunc, a, b))
    return op


eq, ne, lt, le, gt, ge = (_compare(f) for f in (np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                                                 np.greater_equal))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal"):
    setattr(Tensor, _name, globals()[_name])
Tensor.__eq__, Tensor.__ne__, Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__ = eq, ne, lt, le, gt, ge


def _bitwise(ufunc: np.ufunc, name: str):
    def op(input: Tensor, other: Any) -> Tensor:
        a, b = promote(input._data, other._data if isinstance(other, Tensor) else other)
        if a.dtype.kind == "f":
            raise RuntimeError(f"\"{name}_cpu\" not implemented for '{_dtype._BY_NP[a.dtype].name.capitalize()}'")
        return Tensor._make(_apply_binary(ufunc, a, b))
    return op


bitwise_and, bitwise_or, bitwise_xor = (_bitwise(np.bitwise_and, "bitwise_and"), _bitwise(np.bitwise_or, "bitwise_or"),
                                        _bitwise(np.bitwise_xor, "bitwise_xor"))
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    setattr(Tensor, _name, globals()[_name])
Tensor.__and__ = Tensor.__rand__ = bitwise_and
Tensor.__or__ = Tensor.__ror__ = bitwise_or
Tensor.__xor__ = Tensor.__rxor__ = bitwise_xor

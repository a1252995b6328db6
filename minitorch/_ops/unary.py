"""Unary element-wise math: mirrors ``torch.exp``, ``log``, ``log1p``, ``expm1``, ``log2``, ``log10``,
``sqrt``, ``rsqrt``, ``abs``, ``sign``, ``neg``, ``reciprocal``, ``square``, ``sin``, ``cos``, ``tan``,
``tanh``, ``sigmoid``, ``relu``, ``erf``, ``erfc``, ``clamp``/``clip``, ``floor``, ``ceil``, ``round``, ``trunc``,
``nan_to_num`` and the unary Python operators (``-t``, ``+t``, ``abs(t)``), with torch's dtype rules:
transcendental functions turn integer inputs into the default float dtype, ``abs``/``neg``/``sign``/
rounding keep integer dtypes.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._erf import erf_array, erfc_array
from ._method import tensor_method
from ._operands import promote
from ._operands import not_implemented
from .elementwise import Pow, where

__all__ = ["exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "abs", "absolute", "sign", "neg",
           "negative", "positive", "reciprocal", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf",
           "erfc", "clamp", "clip", "floor", "ceil", "round", "trunc", "fix", "nan_to_num"]


def _float(a: np.ndarray) -> np.ndarray:
    """``a`` itself when floating, else cast to the default float dtype (torch's int -> float rule)."""
    return a if a.dtype.kind == "f" else a.astype(_dtype.get_default_dtype().np)


class _FloatUnary(Function):
    """A float-valued ufunc: ``_ufunc`` runs on the floating input; ``_save`` is "input" or "output"."""

    _array_forward = True
    _save = "input"

    @classmethod
    def forward(cls, ctx, a):
        out = cls._ufunc(_float(a))        # no np.errstate: see minitorch/_ops/__init__.py
        ctx.save_for_backward(a if cls._save == "input" else out)
        return out


class Exp(_FloatUnary):
    _ufunc, _save = np.exp, "output"

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class Expm1(_FloatUnary):
    _ufunc, _save = np.expm1, "output"

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved_tensors[0] + 1)


class Log(_FloatUnary):
    _ufunc = np.log

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.saved_tensors[0]


class Log1p(_FloatUnary):
    _ufunc = np.log1p

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] + 1)


class Log2(_FloatUnary):
    _ufunc = np.log2

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * math.log(2.0))


class Log10(_FloatUnary):
    _ufunc = np.log10

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved_tensors[0] * math.log(10.0))


class Sqrt(_FloatUnary):
    _ufunc, _save = np.sqrt, "output"

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.saved_tensors[0])


class Rsqrt(_FloatUnary):
    _ufunc, _save = staticmethod(lambda a: 1 / np.sqrt(a)), "output"

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0].pow(3) * -0.5


class Reciprocal(_FloatUnary):
    _ufunc, _save = np.reciprocal, "output"

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return -grad * out * out


class Sin(_FloatUnary):
    _ufunc = np.sin

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0].cos()


class Cos(_FloatUnary):
    _ufunc = np.cos

    @staticmethod
    def backward(ctx, grad):
        return grad * -ctx.saved_tensors[0].sin()


class Tan(_FloatUnary):
    _ufunc, _save = np.tan, "output"

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 + out * out)


class Tanh(_FloatUnary):
    _ufunc, _save = np.tanh, "output"

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * (1 - out * out)


class Sigmoid(_FloatUnary):
    _ufunc, _save = staticmethod(lambda a: 1 / (1 + np.exp(-a))), "output"

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved_tensors[0]
        return grad * out * (1 - out)


class Erf(_FloatUnary):
    _ufunc = staticmethod(erf_array)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved_tensors[0]
        return grad * (-a * a).exp() * (2 / math.sqrt(math.pi))


class Erfc(_FloatUnary):
    _ufunc = staticmethod(erfc_array)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved_tensors[0]
        return grad * (-a * a).exp() * (-2 / math.sqrt(math.pi))


# integer-preserving ops ----------------------------------------------------------------------------------------
class Neg(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            raise NotImplementedError("Negation, the `-` operator, on a bool tensor is not supported. "
                                      "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                                      "instead.")
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            raise not_implemented("abs_cpu", a.dtype)
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * sign(ctx.saved_tensors[0])


class Relu(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            raise NotImplementedError("Boolean inputs not supported for relu")
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):        # zero gradient at 0, as in torch; a mask product is ~6x faster than where()
        return grad * (ctx.saved_tensors[0] > 0)


class Sign(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            return a.copy()
        return np.subtract(a > 0, a < 0, dtype=a.dtype)        # sign(nan) is 0 in torch

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Floor(Function):
    """Floor/Ceil/Trunc/Round: integers are returned unchanged (copied), the gradient is zero."""

    _array_forward = True
    _ufunc, _kernel = np.floor, "floor_vml_cpu"

    @classmethod
    def forward(cls, ctx, a):
        if a.dtype == np.bool_:
            raise not_implemented(cls._kernel, a.dtype)
        return a.copy() if a.dtype.kind in "iu" else cls._ufunc(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Ceil(Floor):
    _ufunc, _kernel = np.ceil, "ceil_vml_cpu"


class Trunc(Floor):
    _ufunc, _kernel = np.trunc, "trunc_vml_cpu"


class Round(Floor):
    _ufunc, _kernel = np.rint, "round_cpu"

    @classmethod
    def forward(cls, ctx, a, decimals=0):
        if decimals == 0:
            return super().forward(ctx, a)
        if a.dtype.kind != "f":
            raise not_implemented("round_cpu", a.dtype)
        scale = np.asarray(10.0 ** (-decimals if decimals < 0 else decimals), dtype=a.dtype)  # as torch
        return np.rint(a / scale) * scale if decimals < 0 else np.rint(a * scale) / scale


class Clamp(Function):
    """``clamp``. Gradients follow torch 2.x: with number bounds the input's gradient passes strictly
    inside (``min < x < max``); with tensor bounds a tie between the input and a bound splits it in
    halves (as ``maximum``/``minimum`` do), and when ``min > max`` all of it goes to ``max``."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, lo, hi):
        lo_arr, hi_arr = type(lo) is np.ndarray, type(hi) is np.ndarray
        ctx.save_for_backward(a, lo if lo_arr else None, hi if hi_arr else None)
        ctx.bounds = (None if lo_arr else lo, None if hi_arr else hi)
        if a.dtype.kind == "f" and not lo_arr and not hi_arr:
            x = a                                   # number bounds keep a floating input's dtype
        else:
            x, *bounds = promote(a, *(v for v in (lo, hi) if v is not None))
            lo, hi = (bounds.pop(0) if lo is not None else None), (bounds[0] if hi is not None else None)
        out = np.maximum(x, lo) if lo is not None else x
        return np.minimum(out, hi) if hi is not None else out

    @staticmethod
    def backward(ctx, grad):
        x, lo_t, hi_t = ctx.saved_tensors
        lo = ctx.bounds[0] if lo_t is None else lo_t
        hi = ctx.bounds[1] if hi_t is None else hi_t
        if lo_t is None and hi_t is None:
            inside = x > lo if lo is not None else x < hi
            return where(inside & (x < hi) if lo is not None and hi is not None else inside, grad, 0.0), None, None
        w_x, w_lo, w_hi = _clamp_weights(x, lo, hi)
        return grad * w_x, (grad * w_lo if ctx.needs_input_grad[1] else None), \
            (grad * w_hi if ctx.needs_input_grad[2] else None)


def _clamp_weights(x: Tensor, lo: Any, hi: Any) -> tuple:
    """The shares of the gradient that go to the input, ``min`` and ``max`` of a tensor-bound clamp."""
    if hi is None:
        return (x > lo) + (x == lo) * 0.5, (x < lo) + (x == lo) * 0.5, None
    if lo is None:
        return (x < hi) + (x == hi) * 0.5, None, (x > hi) + (x == hi) * 0.5
    ordered, proper = lo <= hi, lo < hi             # min == max: a tie is all the input's
    w_x = (((x > lo) & (x < hi)) + (x == lo) * 0.5 + (x == hi) * 0.5) * ordered
    w_lo = ((x < lo) + ((x == lo) & proper) * 0.5) * ordered
    w_hi = where(ordered, (x > hi) + ((x == hi) & proper) * 0.5, 1.0)
    return w_x, w_lo, w_hi


class NanToNum(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        if a.dtype.kind != "f":
            return a.copy()
        finite = np.isfinite(a)
        ctx.save_for_backward(finite)
        if finite.all():
            return a.copy()
        info = np.finfo(a.dtype)
        return np.nan_to_num(a, nan=0.0 if nan is None else nan, posinf=info.max if posinf is None else posinf,
                             neginf=info.min if neginf is None else neginf)

    @staticmethod
    def backward(ctx, grad):
        return where(ctx.saved_tensors[0], grad, 0.0), None, None, None


# functions -------------------------------------------------------------------------------------------------
def _unary(cls: type, name: str):
    def op(input: Tensor) -> Tensor:
        return cls.apply(input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``torch.{name}``."
    setattr(Tensor, name, op)
    return op


exp, expm1, log, log1p, log2, log10 = (_unary(c, n) for c, n in ((Exp, "exp"), (Expm1, "expm1"), (Log, "log"),
                                                                  (Log1p, "log1p"), (Log2, "log2"), (Log10, "log10")))
sqrt, rsqrt, reciprocal = _unary(Sqrt, "sqrt"), _unary(Rsqrt, "rsqrt"), _unary(Reciprocal, "reciprocal")
sin, cos, tan, tanh = _unary(Sin, "sin"), _unary(Cos, "cos"), _unary(Tan, "tan"), _unary(Tanh, "tanh")
sigmoid, relu, erf, erfc = (_unary(Sigmoid, "sigmoid"), _unary(Relu, "relu"), _unary(Erf, "erf"),
                            _unary(Erfc, "erfc"))
neg, abs, sign = _unary(Neg, "neg"), _unary(Abs, "abs"), _unary(Sign, "sign")
floor, ceil, trunc = _unary(Floor, "floor"), _unary(Ceil, "ceil"), _unary(Trunc, "trunc")
negative, absolute, fix = neg, abs, trunc
for _alias in ("negative", "absolute", "fix"):
    setattr(Tensor, _alias, globals()[_alias])


@tensor_method
def square(input: Tensor) -> Tensor:
    return Pow.apply(input, 2)


@tensor_method
def positive(input: Tensor) -> Tensor:
    if input.dtype is _dtype.bool_:
        raise NotImplementedError("The `+` operator, on a bool tensor is not supported.")
    return input


@tensor_method
def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return Round.apply(input, decimals)


@tensor_method
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, min, max)


clip = clamp
Tensor.clip = clamp


@tensor_method
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    return NanToNum.apply(input, nan, posinf, neginf)


Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs

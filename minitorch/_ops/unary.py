"""Unary element-wise math: mirrors ``torch.exp``, ``log``, ``log1p``, ``expm1``, ``log2``, ``log10``,
``sqrt``, ``rsqrt``, ``abs``, ``sign``, ``neg``, ``reciprocal``, ``square``, ``sin``, ``cos``, ``tan``,
``tanh``, ``sigmoid``, ``relu``, ``erf``, ``clamp``/``clip``, ``floor``, ``ceil``, ``round``, ``trunc``,
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
from ._method import tensor_method
from ._operands import promote
from ._operands import not_implemented
from .elementwise import Pow, where

__all__ = ["exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "abs", "absolute", "sign", "neg",
           "negative", "positive", "reciprocal", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf",
           "clamp", "clip", "floor", "ceil", "round", "trunc", "fix", "nan_to_num"]


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


# erf: Chebyshev interpolants of erf(x)/x in u = x^2 on [0, 1] and of erfcx(x) = exp(x^2) erfc(x) on
# [1, 2.5] and [2.5, 6], computed at 40-digit precision (relative error below 3e-15 on each interval);
# beyond 6, erf(x) = 1 to double precision.
_ERF_SMALL = (0.9754769393826541, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
              2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08, -1.1808582533875466e-09,
              3.2334215826050907e-11, -7.991015947004549e-13, 1.7990725113961456e-14, -3.718635487818682e-16,
              7.103599003627703e-18)
_ERFCX_MID = (0.3017138902444292, -0.10574990110152695, 0.017104848474406763, -0.002587682261135065,
              0.0003696145268036729, -5.0198560605167956e-05, 6.517935170561901e-06, -8.126449775613485e-07,
              9.763690285483578e-08, -1.133813656364367e-08, 1.2757869239497698e-09, -1.3939984728303207e-10,
              1.4818660272094127e-11, -1.5350838559289164e-12, 1.5518968060052045e-13, -1.5330737506323092e-14,
              1.481617681333899e-15, -1.4021942401247371e-16, 1.2904135730410188e-17)
_ERFCX_TAIL = (0.14016047004976134, -0.05677604943259737, 0.011209463278240392, -0.0021611166170954787,
               0.00040747765264847823, -7.523771561693374e-05, 1.3620051895515644e-05, -2.4198114237545286e-06,
               4.223228134648387e-07, -7.246499552340511e-08, 1.223372886245904e-08, -2.0334473033647613e-09,
               3.329826004203619e-10, -5.374937749488635e-11, 8.55692534783074e-12, -1.3442073415953858e-12,
               2.0845649563886506e-13, -3.192625432490355e-14, 4.830969505813416e-15, -7.224931105883063e-16,
               1.0682973938970666e-16, -1.5616429527672313e-17, 2.21440856523856e-18)


# the same interpolants as power series in the interval's variable t in [-1, 1] (well conditioned here),
# highest degree first, zero-padded to one length: row k holds interval k's series
_ERF_EDGES = np.array([1.0, 2.5, 6.0])
_ERF_POLY = np.array([np.pad(np.polynomial.chebyshev.cheb2poly(c), (0, len(_ERFCX_TAIL) - len(c)))[::-1]
                      for c in (_ERF_SMALL, _ERFCX_MID, _ERFCX_TAIL)])
_ERF_MID, _ERF_WIDTH = np.array([0.0, 3.5, 8.5]), np.array([1.0, 1.5, 3.5])   # t = (2x - mid) / width
_SMALL_N = 2048


def _erf(x: np.ndarray) -> np.ndarray:
    """Vectorised error function, accurate to a few ulp in float64 (computed in float64, cast back).

    Each element picks its interval's polynomial; small arrays evaluate all terms at once (few NumPy
    calls), large ones run Horner's rule per interval (little memory).
    """
    ax = np.abs(x, dtype=np.float64).ravel()
    k = np.searchsorted(_ERF_EDGES, ax, side="right")
    tail = k == 3                                   # |x| >= 6 or nan: erf is +-1 (nan kept below)
    k[tail] = 2
    t = np.where(k == 0, 2 * ax * ax - 1, (2 * ax - _ERF_MID[k]) / _ERF_WIDTH[k])
    if ax.size <= _SMALL_N:
        coefs = _ERF_POLY[k]                        # highest power first; powers by running product, not pow()
        powers = np.cumprod(np.broadcast_to(t[:, None], (t.size, coefs.shape[1] - 1)), axis=1)
        p = coefs[:, -1] + np.einsum("ij,ij->i", coefs[:, -2::-1], powers)
    else:
        p = np.empty_like(ax)
        for i, coefs in enumerate(_ERF_POLY):
            sel = k == i
            ti = t[sel]
            pi = np.full_like(ti, coefs[0])
            for c in coefs[1:]:
                pi *= ti
                pi += c
            p[sel] = pi
    out = np.where(k == 0, ax * p, 1 - np.exp(-ax * ax) * p)
    out[tail] = 1.0
    out[np.isnan(ax)] = np.nan
    return np.copysign(out.reshape(x.shape), x).astype(x.dtype, copy=False)


class Erf(_FloatUnary):
    _ufunc = staticmethod(_erf)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.saved_tensors[0]
        return grad * (-a * a).exp() * (2 / math.sqrt(math.pi))


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
sigmoid, relu, erf = _unary(Sigmoid, "sigmoid"), _unary(Relu, "relu"), _unary(Erf, "erf")
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

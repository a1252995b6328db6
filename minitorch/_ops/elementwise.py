"""Binary element-wise arithmetic with broadcasting: mirrors ``torch.add``, ``sub``, ``mul``, ``div``
(with ``rounding_mode``), ``floor_divide``, ``remainder``, ``fmod``, ``pow``, ``maximum``, ``minimum``,
``lerp``, ``atan2``, ``where`` and the arithmetic Python operators (``+ - * / // % **`` and their
reflected forms) on ``Tensor``, plus dtype casts (``Tensor.to(dtype)``).

Each op is a ``Function``: forward on NumPy arrays, backward in minitorch ops (so it is
differentiable again). Backward returns gradients in the broadcast shape; the engine sums them back
to each input's shape. Unary math lives in ``unary.py``, comparisons and bitwise ops in ``logical.py``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._method import tensor_method
from ._operands import float_result, not_implemented, promote, type_name

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "maximum", "minimum", "lerp", "atan2", "arctan2", "where", "cast"]


def _broadcast_error(*operands: Any) -> RuntimeError:
    """torch's message for operands whose shapes do not broadcast: names both sizes and the dim."""
    shape = np.shape(operands[0])
    for x in operands[1:]:
        sb = np.shape(x)
        n = max(len(shape), len(sb))
        pa, pb = (1,) * (n - len(shape)) + tuple(shape), (1,) * (n - len(sb)) + sb
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
                return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                                    f"at non-singleton dimension {i}")
        shape = np.broadcast_shapes(shape, sb)
    return RuntimeError(f"shapes {[list(np.shape(x)) for x in operands]} cannot be broadcast together")


def _apply_binary(ufunc: np.ufunc, a: Any, b: Any) -> np.ndarray:
    try:
        return ufunc(a, b)
    except ValueError:
        raise _broadcast_error(a, b) from None


def _check_divisor(a: np.ndarray, b: np.ndarray) -> None:
    """Integer division by zero raises in torch (floats give inf/nan)."""
    if a.dtype.kind in "iu" and not np.all(b):
        raise RuntimeError("ZeroDivisionError")


def _scaled(b: np.ndarray, alpha: Any) -> np.ndarray:
    if alpha == 1:
        return b
    if b.dtype.kind in "biu" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return b * np.asarray(alpha, dtype=b.dtype)


class Add(Function):
    _array_forward = True
    _wrapped_scalar_args = (1,)      # torch lists a Python-number ``other`` in next_functions

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = promote(a, b)
        return _apply_binary(np.add, a, _scaled(b, alpha))

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha)


def _is_bool(x: Any) -> bool:
    return type(x) is bool or (type(x) is np.ndarray and x.dtype == np.bool_)


def _check_bool_sub(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Promotes the operands of a subtraction, which torch refuses for bool tensors."""
    a_bool, b_bool = _is_bool(a), _is_bool(b)
    if a_bool and b_bool:
        raise NotImplementedError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                                  "Use the `^` or `logical_xor()` operator instead.")
    if (a_bool and type(a) is np.ndarray) or (b_bool and type(b) is np.ndarray):
        raise NotImplementedError("Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                                  "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return promote(a, b)


class Sub(Function):
    _array_forward = True
    _wrapped_scalar_args = (1,)      # torch lists a Python-number ``other`` in next_functions

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        a, b = _check_bool_sub(a, b)
        return _apply_binary(np.subtract, a, _scaled(b, alpha))

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha)


class Mul(Function):
    _array_forward = True
    _wrapped_scalar_args = (1,)      # torch lists a Python-number ``other`` in next_functions

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


def _rounded_div(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    if a.dtype == np.bool_:
        raise not_implemented("div_floor_cpu" if mode == "floor" else "div_trunc_cpu", a.dtype)
    _check_divisor(a, b)
    if mode == "floor":
        return _apply_binary(np.floor_divide, a, b)
    if a.dtype.kind in "iu":                      # exact for large integers: (a - fmod(a, b)) / b
        return (a - _apply_binary(np.fmod, a, b)) // b
    return np.trunc(_apply_binary(np.true_divide, a, b))


class Div(Function):
    _array_forward = True
    _wrapped_scalar_args = (1,)      # torch lists a Python-number ``other`` in next_functions

    @staticmethod
    def forward(ctx, a, b, rounding_mode=None):
        if rounding_mode is None:
            ctx.save_for_backward(a, b)
            a, b = float_result(a, b)
            return _apply_binary(np.true_divide, a, b)
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"'{rounding_mode}'")
        ctx.save_for_backward(None, None)
        a, b = promote(a, b)
        return _rounded_div(a, b, rounding_mode)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if a is None and b is None:   # rounded division is piecewise constant: zero gradient, as in torch
            return grad * 0, grad * 0
        return (grad / b if ctx.needs_input_grad[0] else None,
                -grad * a / (b * b) if ctx.needs_input_grad[1] else None)


class FloorDivide(Function):
    """``floor_divide`` / ``//``: like ``div(rounding_mode="floor")`` but, as in torch, without a derivative."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        return _rounded_div(a, b, "floor")

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Function):
    """``remainder``: the result has the divisor's sign (Python's ``%``); ``Fmod`` below: the dividend's sign."""

    _array_forward = True
    _ufunc, _kernel, _mode = np.remainder, "remainder_cpu", "floor"

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        a, b = promote(a, b)
        if a.dtype == np.bool_:
            raise not_implemented(cls._kernel, a.dtype)
        _check_divisor(a, b)
        return _apply_binary(cls._ufunc, a, b)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        return grad, (-grad * div(a, b, rounding_mode=cls._mode) if ctx.needs_input_grad[1] else None)


class Fmod(Remainder):
    _ufunc, _kernel, _mode = np.fmod, "fmod_cpu", "trunc"


_SCALAR_POW = {2.0: lambda a: a * a, 3.0: lambda a: a * a * a, 0.5: np.sqrt, -0.5: lambda a: 1 / np.sqrt(a),
               -1.0: lambda a: 1 / a, -2.0: lambda a: 1 / (a * a)}


def _float_pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Float powers; a single exponent of 2, 3, 0.5, -0.5, -1 or -2 is computed as torch's CPU kernel does
    (products and square roots), which is also ~100x faster than NumPy's element-wise libm pow."""
    if b.ndim == 0 and a.ndim:
        fast = _SCALAR_POW.get(float(b))
        if fast is not None:
            return fast(a).astype(a.dtype, copy=False)
    return _apply_binary(np.power, a, b)


def _int_pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer powers with negative exponents as torch computes them: 1, -1 keep magnitude 1, others give 0."""
    neg = b < 0
    out = np.power(a, np.where(neg, 0, b))
    if neg.any():
        signed = np.where(b % 2 == 0, 1, -1).astype(a.dtype) if a.dtype.kind == "i" else 1
        small = np.where(a == 1, 1, np.where(a == -1, signed, 0)).astype(out.dtype)
        out = np.where(neg, small, out)
    return out


class Pow(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        pa, pb = promote(a, b)
        if pa.dtype == np.bool_:
            raise not_implemented("pow", pa.dtype)
        if pa.dtype.kind in "iu":
            if type(b) is not np.ndarray and b < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            out = _apply_binary(_int_pow, pa, pb)
        else:
            out = _float_pow(pa, pb)
        # a Python-number base or exponent is saved in the result's dtype (precision of log(base))
        ctx.save_for_backward(a if type(a) is np.ndarray else pa, b if type(b) is np.ndarray else pb, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # d/da a^b = b a^(b-1), and 0 where b == 0 (so that 0^0 terms give 0, not nan)
            if b.dim() == 0 and not b.requires_grad:      # one exponent: decide on it once, not per element
                ga = grad * b * a.pow(b - 1) if b.item() != 0 else grad * 0
            else:
                ga = grad * b * a.pow(b - 1)
                ga = where(b == 0, ga * 0, ga)
        if ctx.needs_input_grad[1]:
            gb = grad * out * where(a > 0, a, 1).to(out.dtype).log()
            gb = where((a == 0) & (b >= 0), gb * 0, gb)
        return ga, gb


class Maximum(Function):
    """``maximum``/``minimum``: the gradient goes to the larger (smaller) input and is halved at ties, as in torch."""

    _array_forward = True
    _ufunc = np.maximum

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return _apply_binary(cls._ufunc, *promote(a, b))

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        shared = where(a == b, grad / 2, grad)
        a_loses, b_loses = (a < b, a > b) if cls._ufunc is np.maximum else (a > b, a < b)
        return (where(a_loses, 0.0, shared) if ctx.needs_input_grad[0] else None,
                where(b_loses, 0.0, shared) if ctx.needs_input_grad[1] else None)


class Minimum(Maximum):
    _ufunc = np.minimum


class Lerp(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, end, weight):
        tensor_weight = type(weight) is np.ndarray
        ctx.save_for_backward(a, end, weight if tensor_weight else None)
        ctx.weight = None if tensor_weight else weight
        diff = _apply_binary(np.subtract, end, a)
        # torch's two forms: exact at weight 0 (start) and at weight 1 (end)
        if not tensor_weight:
            w = a.dtype.type(weight)
            return a + w * diff if -0.5 < weight < 0.5 else end - diff * (1 - w)
        return np.where(np.abs(weight) < 0.5, a + weight * diff, end - diff * (1 - weight))

    @staticmethod
    def backward(ctx, grad):
        a, end, w = ctx.saved_tensors
        w = ctx.weight if w is None else w
        return (grad * (1 - w) if ctx.needs_input_grad[0] else None,
                grad * w if ctx.needs_input_grad[1] else None,
                grad * (end - a) if ctx.needs_input_grad[2] else None)


class Atan2(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _apply_binary(np.arctan2, *float_result(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / (a * a + b * b)
        return (scale * b if ctx.needs_input_grad[0] else None,
                -scale * a if ctx.needs_input_grad[1] else None)


class ToCopy(Function):
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
                               f"{type_name(cond.dtype)}")
        ctx.save_for_backward(cond)
        a, b = promote(a, b)
        try:
            return np.where(cond, a, b)
        except ValueError:
            raise _broadcast_error(cond, a, b) from None

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        return None, where(cond, grad, 0.0), where(cond, 0.0, grad)


# functions -------------------------------------------------------------------------------------------------
def _tensor_other(name: str, other: Any) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


@tensor_method
def add(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return Add.apply(input, other, alpha)


@tensor_method
def sub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return Sub.apply(input, other, alpha)


def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``."""
    return Sub.apply(other, input, alpha)


@tensor_method
def mul(input: Tensor, other: Any) -> Tensor:
    return Mul.apply(input, other)


@tensor_method
def div(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    return Div.apply(input, other, rounding_mode)


@tensor_method
def floor_divide(input: Any, other: Any) -> Tensor:
    return FloorDivide.apply(input, other)


@tensor_method
def remainder(input: Any, other: Any) -> Tensor:
    return Remainder.apply(input, other)


@tensor_method
def fmod(input: Tensor, other: Any) -> Tensor:
    return Fmod.apply(input, other)


@tensor_method
def pow(input: Any, exponent: Any) -> Tensor:
    return Pow.apply(input, exponent)


@tensor_method
def maximum(input: Tensor, other: Tensor) -> Tensor:
    _tensor_other("maximum", other)
    return Maximum.apply(input, other)


@tensor_method
def minimum(input: Tensor, other: Tensor) -> Tensor:
    _tensor_other("minimum", other)
    return Minimum.apply(input, other)


@tensor_method
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``; all tensors of one floating dtype, as torch requires."""
    kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
    if not input.dtype.is_floating_point:
        raise not_implemented(kernel, input._data.dtype)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {_c_name(input.dtype)} for `{name}` but got dtype {_c_name(t.dtype)}")
    return Lerp.apply(input, end, weight)


def _c_name(d: _dtype.dtype) -> str:
    return {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}[d.name]


@tensor_method
def atan2(input: Tensor, other: Tensor) -> Tensor:
    _tensor_other("atan2", other)
    return Atan2.apply(input, other)


def cast(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    """A differentiable dtype conversion (what ``Tensor.to(dtype)`` runs)."""
    return ToCopy.apply(input, dtype)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Tensor:
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    return Where.apply(condition, input, other)


Tensor.where = lambda self, condition, other: Where.apply(condition, self, other)     # self is the input


subtract, multiply, divide, true_divide, arctan2 = sub, mul, div, div, atan2
for _alias in ("subtract", "multiply", "divide", "true_divide", "arctan2"):
    setattr(Tensor, _alias, globals()[_alias])

# Python operators ----------------------------------------------------------------------------------------------
Tensor.__add__ = Tensor.__radd__ = lambda self, other: Add.apply(self, other)
Tensor.__sub__ = lambda self, other: Sub.apply(self, other)
Tensor.__rsub__ = lambda self, other: Sub.apply(other, self)
Tensor.__mul__ = Tensor.__rmul__ = lambda self, other: Mul.apply(self, other)
Tensor.__truediv__ = lambda self, other: Div.apply(self, other)
Tensor.__rtruediv__ = lambda self, other: Div.apply(other, self)
Tensor.__floordiv__ = lambda self, other: FloorDivide.apply(self, other)
Tensor.__rfloordiv__ = lambda self, other: FloorDivide.apply(other, self)
Tensor.__mod__ = lambda self, other: Remainder.apply(self, other)
Tensor.__rmod__ = lambda self, other: Remainder.apply(other, self)
Tensor.__pow__ = lambda self, other: Pow.apply(self, other)
Tensor.__rpow__ = lambda self, other: Pow.apply(other, self)

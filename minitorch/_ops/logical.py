"""Comparisons, logical and bitwise ops: mirrors ``torch.eq``/``ne``/``lt``/``le``/``gt``/``ge`` (and the
``== != < <= > >=`` operators), ``logical_and``/``or``/``xor``/``not``, ``bitwise_and``/``or``/``xor``/
``not`` and shifts (``& | ^ ~ << >>``), ``isnan``, ``isinf``, ``isfinite``, ``isposinf``, ``isneginf``.

Results are bool tensors (bitwise ops keep the integer dtype) and never take part in autograd.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from ._method import tensor_method
from ._operands import not_implemented, promote
from .elementwise import _apply_binary

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "isnan", "isinf", "isfinite", "isposinf",
           "isneginf", "equal", "isclose", "allclose"]


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _binary(ufunc: np.ufunc, name: str, kernel: str = "", reject: str = "", promoted: bool = True) -> Callable:
    """A non-differentiable binary op; inputs promoted to a dtype of a kind in ``reject`` raise torch's
    "``kernel`` not implemented" error."""
    def op(input: Any, other: Any) -> Tensor:
        a, b = promote(_data(input), _data(other)) if promoted else (_data(input), _data(other))
        if a.dtype.kind in reject:
            raise not_implemented(kernel, a.dtype)
        return Tensor._make(_apply_binary(ufunc, a, b))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``torch.{name}``."
    setattr(Tensor, name, op)
    return op


eq, ne, lt, le, gt, ge = (_binary(f, n) for f, n in ((np.equal, "eq"), (np.not_equal, "ne"), (np.less, "lt"),
                                                      (np.less_equal, "le"), (np.greater, "gt"),
                                                      (np.greater_equal, "ge")))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
for _name in ("greater", "greater_equal", "less", "less_equal", "not_equal"):
    setattr(Tensor, _name, globals()[_name])

# logical ops look at truthiness only, so inputs of any dtypes mix without promotion
logical_and, logical_or, logical_xor = (_binary(f, n, promoted=False) for f, n in (
    (np.logical_and, "logical_and"), (np.logical_or, "logical_or"), (np.logical_xor, "logical_xor")))
bitwise_and, bitwise_or, bitwise_xor = (_binary(f, n, n + "_cpu", "f") for f, n in (
    (np.bitwise_and, "bitwise_and"), (np.bitwise_or, "bitwise_or"), (np.bitwise_xor, "bitwise_xor")))
bitwise_left_shift = _binary(np.left_shift, "bitwise_left_shift", "lshift_cpu", "fb")
bitwise_right_shift = _binary(np.right_shift, "bitwise_right_shift", "rshift_cpu", "fb")


@tensor_method
def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(np.logical_not(input._data))


@tensor_method
def bitwise_not(input: Tensor) -> Tensor:
    if input._data.dtype.kind == "f":
        raise not_implemented("bitwise_not_cpu", input._data.dtype)
    return Tensor._make(np.invert(input._data))


def _float_test(ufunc: np.ufunc, name: str) -> Callable:
    """isnan/isinf/...: integer and bool tensors have no such values (all False)."""
    def op(input: Tensor) -> Tensor:
        a = input._data
        return Tensor._make(ufunc(a) if a.dtype.kind == "f" else np.zeros(a.shape, dtype=np.bool_))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``torch.{name}``."
    setattr(Tensor, name, op)
    return op


isnan, isinf, isposinf, isneginf = (_float_test(f, n) for f, n in ((np.isnan, "isnan"), (np.isinf, "isinf"),
                                                                    (np.isposinf, "isposinf"),
                                                                    (np.isneginf, "isneginf")))


@tensor_method
def isfinite(input: Tensor) -> Tensor:
    a = input._data
    return Tensor._make(np.isfinite(a) if a.dtype.kind == "f" else np.ones(a.shape, dtype=np.bool_))


# Python operators ----------------------------------------------------------------------------------------------
def _comparison_operator(op: Callable, fallback: Any) -> Callable:
    """``t == x`` with a non-number ``x`` (None, a string) is plain ``False``/``True`` in torch, not an error."""
    def operator(self: Tensor, other: Any) -> Any:
        if isinstance(other, (Tensor, Number, np.ndarray)):
            return op(self, other)
        return fallback
    return operator


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


Tensor.__eq__ = _comparison_operator(eq, False)
Tensor.__ne__ = _comparison_operator(ne, True)
Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__ = lt, le, gt, ge
Tensor.__and__ = Tensor.__rand__ = bitwise_and
Tensor.__or__ = Tensor.__ror__ = bitwise_or
Tensor.__xor__ = Tensor.__rxor__ = bitwise_xor
Tensor.__invert__ = _invert
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rshift__ = bitwise_right_shift
Tensor.__rlshift__ = lambda self, other: bitwise_left_shift(other, self)
Tensor.__rrshift__ = lambda self, other: bitwise_right_shift(other, self)


@tensor_method
def equal(input: Tensor, other: Tensor) -> bool:
    """``torch.equal``: True when both have the same shape and equal elements (dtypes may differ)."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


@tensor_method
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """``torch.isclose``: ``|input - other| <= atol + rtol * |other|`` element-wise (bool tensor)."""
    a, b = promote(input._data, other._data if isinstance(other, Tensor) else other)
    return Tensor._make(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@tensor_method
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """``torch.allclose``: whether ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())

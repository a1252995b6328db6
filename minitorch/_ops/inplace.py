"""In-place writes and autograd: what every ``op_`` and ``__setitem__`` runs (mirrors torch's in-place
semantics), and the element-wise in-place ops themselves (``add_``, ``mul_``, ``clamp_``, ``zero_``, ``fill_``,
``copy_``, ``addcmul_``, ``x += y``, ...).

``write_inplace(self, result)`` makes ``self`` hold ``result``: it checks that this is allowed (not a
leaf that requires grad, shapes and dtypes fit), copies the values into ``self``'s memory, bumps the
storage's version counter (so saved tensors notice), and, when ``result`` carries a graph, rebases
``self``'s history onto it (a result without history, written into a tensor with one, goes through a
``CopyBackwards`` node so the old values get a zero gradient). When ``self`` is a view, the base's history
is rebased instead, through a ``CopySlices`` node, and ``self`` becomes an ``as_strided`` view of the new
base. With nothing recording, ``add_``/``sub_``/``mul_``/``div_``/``addc*_`` write with ``out=`` directly.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ._method import tensor_method

__all__ = ["check_inplace", "inplace_op", "write_inplace", "neg_", "abs_", "exp_", "log_", "sqrt_", "sigmoid_", "tanh_",
           "relu_", "clamp_", "clip_", "zero_", "fill_", "floor_", "ceil_", "round_", "trunc_"]


def check_inplace(self: Tensor) -> None:
    """torch's errors for writing into a leaf that requires grad (or into a view of one)."""
    if not _state["grad"]:
        return
    if self._requires_grad and self._grad_fn is None:
        if self._base is not None and self._base._requires_grad and self._base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def inplace_op(self: Tensor, fn: Callable[..., Tensor], *args, **kwargs) -> Tensor:
    """Runs out-of-place ``fn(self, *args)`` and writes the result into ``self``.

    With autograd recording, ``fn`` sees a copy of ``self``'s values that keeps ``self``'s place in the
    graph, so that whatever it saves for backward is not overwritten by the write (and no extra node
    appears between the op and ``self``'s history, as in torch). Without recording, no copy is made.
    """
    check_inplace(self)
    if _state["grad"] and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args)):
        snapshot = Tensor._make(self._data.copy())
        snapshot._requires_grad, snapshot._grad_fn, snapshot._output_nr = (self._requires_grad, self._grad_fn,
                                                                           self._output_nr)
        return write_inplace(self, fn(snapshot, *args, **kwargs))
    return write_inplace(self, fn(self, *args, **kwargs))


_OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                    "location. Please clone() the tensor before performing the operation.")


def write_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Copies ``result`` into ``self``'s memory, bumps the version, and rebases autograd history."""
    check_inplace(self)
    dst, src = self._data, result._data
    if not dst.flags.writeable:
        raise RuntimeError(_OVERLAP_MESSAGE)
    if src.shape != dst.shape:
        target = np.broadcast_shapes(src.shape, dst.shape)
        if target != dst.shape:
            raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast shape {list(target)}")
        result = result.expand(dst.shape)
    if src.dtype != dst.dtype and not _dtype.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {result.dtype._legacy[:-6]} can't be cast to the desired output type "
                           f"{self.dtype._legacy[:-6]}")
    recording = _state["grad"]
    if recording and self._requires_grad and not result._requires_grad:
        result = Copy.apply(self, result)      # the old values get no gradient (torch's CopyBackwards)
    np.copyto(dst, result._data, casting="unsafe")
    self._storage._version += 1
    if recording and result._requires_grad and dst.dtype.kind == "f":
        if result._data.dtype != dst.dtype:
            result = result.to(self.dtype)
        _rebase_history(self, result)
    return self


def _rebase_history(self: Tensor, result: Tensor) -> None:
    base = self._base
    if base is None:
        self._grad_fn, self._output_nr, self._requires_grad = result._grad_fn, result._output_nr, True
        return
    from .strided import AsStrided, _strided_positions
    item = base._data.itemsize
    positions = [_strided_positions(t._data.shape, tuple(st // item for st in t._data.strides)) + t.storage_offset()
                 for t in (base, self)]
    where_in_base = np.empty(int(positions[0].max(initial=0)) + 1, dtype=np.int64)
    where_in_base[positions[0].ravel()] = np.arange(base._data.size)
    new_base = CopySlices.apply(base, result, where_in_base[positions[1]])
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    size, stride = tuple(self._data.shape), self.stride()
    view = AsStrided.apply(base, size, stride, self.storage_offset(), base._storage.flat(base._data.dtype),
                           base.storage_offset())
    self._grad_fn, self._output_nr, self._requires_grad = view._grad_fn, 0, True


class CopySlices(Function):
    """The base of a view that was written in place: ``base`` with the view's elements (``index``, positions
    in ``base`` read in C order) replaced by ``src``. Mirrors torch's CopySlices node."""

    _array_forward = True

    @staticmethod
    def forward(ctx, base, src, index):
        ctx.index = index
        out = np.array(base, order="C")
        out.reshape(-1)[index] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        from .indexing import take
        index = Tensor._make(ctx.index)
        keep = np.ones(grad.shape, dtype=grad._data.dtype)
        keep.reshape(-1)[ctx.index] = 0
        return (grad * Tensor._make(keep) if ctx.needs_input_grad[0] else None,
                take(grad.contiguous(), index) if ctx.needs_input_grad[1] else None, None)


CopySlices._node_name = "CopySlices"


# overwrites: copy_, zero_, fill_ (the old values get a zero gradient) ---------------------------------------
class Copy(Function):
    """``copy_`` (and any overwrite by a value without history): the old values get a zero gradient."""

    _array_forward = True

    @staticmethod
    def forward(ctx, dst, src):
        return np.array(np.broadcast_to(src, dst.shape), dtype=dst.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad


Copy._node_name = "CopyBackwards"


class Zero(Function):
    """``zero_`` on a tensor with history (torch's ZeroBackward0)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a):
        return np.zeros_like(a)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


class Fill(Function):
    """``fill_(value)``: torch names the node FillBackward2 for a number and FillBackward3 for a tensor."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, value):
        if isinstance(value, np.ndarray):
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value.ndim} dimensions.")
            ctx._node_name = "FillBackward3"
        else:
            ctx._node_name = "FillBackward2"
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, (grad.sum() if ctx.needs_input_grad[1] else None)


@tensor_method
def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copies ``src`` (broadcast, any dtype) into ``self``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    check_inplace(self)
    if _state["grad"] and (self._requires_grad or src._requires_grad):
        return write_inplace(self, Copy.apply(self, src))
    if src.dtype is not self.dtype:
        src = Tensor._make(src._data.astype(self._data.dtype))   # copy_ converts between any dtypes
    return write_inplace(self, src)


@tensor_method
def zero_(self: Tensor) -> Tensor:
    check_inplace(self)
    if _state["grad"] and self._requires_grad or not self._data.flags.writeable:
        return write_inplace(self, Zero.apply(self))
    self._data[...] = 0
    self._bump_version()
    return self


@tensor_method
def fill_(self: Tensor, value: Any) -> Tensor:
    """Sets every element to ``value`` (a number or a 0-d tensor, cast to ``self``'s dtype)."""
    check_inplace(self)
    return write_inplace(self, Fill.apply(self, value))


# element-wise in-place ops: ``x.foo_(*args)`` is ``x`` overwritten by ``x.foo(*args)`` -------------------------
def _inplace_method(name: str) -> Callable[..., Tensor]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace_op(self, getattr(Tensor, name), *args, **kwargs)   # looked up late: ops register lazily
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place version of ``Tensor.{name}``."
    setattr(Tensor, name + "_", method)
    return method


(pow_, neg_, abs_, exp_, log_, sqrt_, sigmoid_, tanh_, relu_, clamp_, clip_, lerp_, floor_, ceil_, round_, trunc_,
 bitwise_and_, bitwise_or_, bitwise_xor_) = (
    _inplace_method(n) for n in ("pow", "neg", "abs", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "clamp",
                                 "clip", "lerp", "floor", "ceil", "round", "trunc", "bitwise_and", "bitwise_or",
                                 "bitwise_xor"))


def _direct(self: Tensor, ufunc: np.ufunc, other: Any, alpha: Any = 1) -> bool:
    """The optimizer fast path: ``ufunc(self, other, out=self)`` when nothing records and the dtypes are
    trivially right (float ``self``, a number or a same-dtype tensor); False to take the general path."""
    dst = self._data
    if _state["grad"] and (self._requires_grad or isinstance(other, Tensor) and other._requires_grad):
        return False
    if dst.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        if other._data.dtype != dst.dtype:
            return False
        other = other._data
    elif type(other) not in (float, int) or type(alpha) not in (float, int):
        return False
    try:
        ufunc(dst, other if alpha == 1 else other * alpha, out=dst)
    except ValueError:        # not broadcastable to self: the general path raises torch's error
        return False
    self._storage._version += 1
    return True


def _arithmetic_method(name: str, ufunc: np.ufunc) -> Callable[..., Tensor]:
    def method(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        if _direct(self, ufunc, other, alpha):
            return self
        return inplace_op(self, getattr(Tensor, name), other, alpha=alpha)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place version of ``Tensor.{name}``."
    setattr(Tensor, name + "_", method)
    return method


add_, sub_ = _arithmetic_method("add", np.add), _arithmetic_method("sub", np.subtract)


@tensor_method
def mul_(self: Tensor, other: Any) -> Tensor:
    if _direct(self, np.multiply, other):
        return self
    return inplace_op(self, Tensor.mul, other)


@tensor_method
def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is None and _direct(self, np.true_divide, other):
        return self
    return inplace_op(self, Tensor.div, other, rounding_mode=rounding_mode)


def _pointwise_(self: Tensor, ufunc: np.ufunc, tensor1: Tensor, tensor2: Tensor, value: Any) -> Tensor:
    """``self += value * ufunc(tensor1, tensor2)`` (``addcmul_`` / ``addcdiv_``, optimizer hot paths)."""
    dst, a, b = self._data, tensor1._data, tensor2._data
    if (not _state["grad"] or not (self._requires_grad or tensor1._requires_grad or tensor2._requires_grad)) \
            and dst.dtype.kind == "f" and a.dtype == dst.dtype and b.dtype == dst.dtype and dst.flags.writeable:
        term = ufunc(a, b)
        if value != 1:
            term *= value
        try:
            np.add(dst, term, out=dst)
        except ValueError:
            pass                  # not broadcastable to self: the general path raises torch's error
        else:
            self._storage._version += 1
            return self
    op = Tensor.mul if ufunc is np.multiply else Tensor.div
    return inplace_op(self, lambda s: s + op(tensor1, tensor2) * value)


@tensor_method
def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return _pointwise_(self, np.multiply, tensor1, tensor2, value)


@tensor_method
def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return _pointwise_(self, np.true_divide, tensor1, tensor2, value)


Tensor.subtract_, Tensor.multiply_, Tensor.divide_, Tensor.true_divide_, Tensor.negative_ = sub_, mul_, div_, div_, neg_
Tensor.__iadd__, Tensor.__isub__, Tensor.__imul__, Tensor.__itruediv__, Tensor.__ipow__ = add_, sub_, mul_, div_, pow_
Tensor.__iand__, Tensor.__ior__, Tensor.__ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_

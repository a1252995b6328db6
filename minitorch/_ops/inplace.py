"""In-place writes and autograd: what every ``op_`` and ``__setitem__`` runs (mirrors torch's in-place
semantics).

``write_inplace(self, result)`` makes ``self`` hold ``result``: it checks that this is allowed (not a
leaf that requires grad, shapes and dtypes fit), copies the values into ``self``'s memory, bumps the
storage's version counter (so saved tensors notice), and, when ``result`` carries a graph, rebases
``self``'s history onto it. When ``self`` is a view, the base's history is rebased instead, through an
``as_strided_scatter`` node (torch's CopySlices), and ``self`` becomes a view of the new base.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import _state
from ._method import tensor_method

__all__ = ["check_inplace", "inplace_op", "write_inplace"]


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

    With autograd recording, ``fn`` sees a clone of ``self`` so that whatever it saves for backward
    is not overwritten by the write.
    """
    check_inplace(self)
    records = _state["grad"] and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad
                                                             for a in args))
    result = fn(self.clone() if records else self, *args, **kwargs)
    return write_inplace(self, result)


def write_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Copies ``result`` into ``self``'s memory, bumps the version, and rebases autograd history."""
    check_inplace(self)
    if tuple(result.shape) != tuple(self.shape):
        target = np.broadcast_shapes(tuple(result.shape), tuple(self.shape))
        if target != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape {list(target)}")
        result = result.expand(tuple(self.shape))
    if not _dtype.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {result.dtype._legacy[:-6]} can't be cast to the desired output type "
                           f"{self.dtype._legacy[:-6]}")
    np.copyto(self._data, result._data, casting="unsafe")
    self._bump_version()
    if _state["grad"] and result._requires_grad and self.dtype.is_floating_point:
        if result.dtype is not self.dtype:
            result = result.to(self.dtype)
        _rebase_history(self, result)
    return self


def _rebase_history(self: Tensor, result: Tensor) -> None:
    base = self._base
    if base is None or not (base._requires_grad or result._requires_grad) or not base._data.flags.c_contiguous:
        self._grad_fn, self._output_nr, self._requires_grad = result._grad_fn, result._output_nr, True
        return
    from .shape import AsStrided, AsStridedScatter
    size, stride = tuple(self.shape), self.stride()
    offset = self.storage_offset() - base.storage_offset()
    new_base = AsStridedScatter.apply(base, result, size, stride, offset)     # torch's CopySlices
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    view = AsStrided.apply(base, size, stride, offset, base._data.reshape(-1), 0)
    self._grad_fn, self._output_nr, self._requires_grad = view._grad_fn, 0, True


# the other families define their in-place ops with the two helpers above ------------------------------------


@tensor_method
def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copies ``src`` (broadcast, any dtype) into ``self``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    if src.dtype is not self.dtype:
        from .elementwise import cast
        src = cast(src, self.dtype)       # copy_ converts between any dtypes, unlike arithmetic in-place ops
    return write_inplace(self, src)

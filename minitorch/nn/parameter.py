"""``Parameter`` and ``Buffer``: tensors that a ``Module`` registers as learnable weights or as state (mirrors
``torch.nn.Parameter`` and ``torch.nn.Buffer``)."""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A ``Tensor`` subclass sharing ``data``'s memory; requires grad by default."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> "Parameter":
        from .. import empty
        src = empty(0) if data is None else data
        t = cls._make(src._data, src._storage)
        t.requires_grad_(requires_grad)
        return t

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for the plain tensors that ``Buffer(...)`` returns (as in torch)."""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor as a buffer: assigned as a Module attribute, it is registered with ``register_buffer``
    (``persistent`` says whether it goes into the ``state_dict``)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:  # type: ignore[misc]
        from .. import empty
        src = empty(0) if data is None else data
        t = src.detach().requires_grad_(src.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

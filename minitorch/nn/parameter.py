"""``Parameter``: a leaf tensor that a ``Module`` registers as learnable (mirrors ``torch.nn.Parameter``)."""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Parameter"]


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

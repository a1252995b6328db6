"""Attaches an op function to ``Tensor`` as a method (``torch.add`` is also ``Tensor.add``)."""
from __future__ import annotations

from typing import Callable

from .._tensor import Tensor


def tensor_method(fn: Callable | None = None, *, name: str | None = None):
    """Decorator: registers ``fn`` as ``Tensor.<name or fn.__name__>``; its first parameter is the tensor."""
    def register(f: Callable) -> Callable:
        setattr(Tensor, name or f.__name__, f)
        return f
    return register(fn) if fn is not None else register

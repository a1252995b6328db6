"""Named result tuples of the ops that return several tensors: mirrors ``torch.return_types``
(``x.max(dim)`` gives a ``max`` tuple with ``.values`` and ``.indices`` that also unpacks as a tuple, and
prints as ``minitorch.return_types.max(values=..., indices=...)`` in torch's layout).
"""
from __future__ import annotations

import collections


def _repr(self: tuple) -> str:
    fields = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
    return f"{type(self).__module__}.{type(self).__name__}(\n{fields})"


def return_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """A ``torch.return_types``-like named tuple class called ``name``."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "minitorch.return_types"
    cls.__repr__ = _repr
    return cls

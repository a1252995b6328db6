"""Named result tuples of the ops that return several tensors: mirrors ``torch.return_types``
(``x.max(dim)`` gives a ``max`` tuple with ``.values`` and ``.indices`` that also unpacks as a tuple).
"""
from __future__ import annotations

import collections


def return_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """A ``torch.return_types``-like named tuple class called ``name``."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "minitorch.return_types"
    return cls

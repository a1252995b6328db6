"""Storage: the flat memory a tensor views (mirrors ``torch.UntypedStorage``).

A tensor is (storage, shape, strides, offset). Here the storage keeps the NumPy array that owns the
memory, and the version counter that in-place writes bump and autograd checks.
"""
from __future__ import annotations

import numpy as np


class UntypedStorage:
    """The memory shared by a tensor and all its views, plus their shared version counter."""

    __slots__ = ("_owner", "_version")

    def __init__(self, owner: np.ndarray):
        self._owner = owner   # the array whose buffer the views point into
        self._version = 0

    def data_ptr(self) -> int:
        """Address of the start of the memory (two tensors sharing memory give the same value)."""
        return _base_pointer(self._owner)

    def nbytes(self) -> int:
        return _root(self._owner).nbytes

    def size(self) -> int:
        return self.nbytes()

    def flat(self, dtype: np.dtype) -> np.ndarray:
        """The whole memory as a 1-D array of ``dtype`` (a view, not a copy)."""
        root = _root(self._owner)
        if not root.flags.c_contiguous:      # a dense block laid out in another axis order (e.g. permuted)
            root = root.transpose(np.argsort(root.strides, kind="stable")[::-1])
        if not root.flags.c_contiguous:
            raise RuntimeError("as_strided: the tensor's memory is not one contiguous block")
        return root.reshape(-1).view(dtype)

    def is_shared(self) -> bool:
        """Whether the memory is a shared-memory file's mapping (see ``_shared_memory.py``)."""
        from ._shared_memory import shared_buffer   # that module builds on this one
        return shared_buffer(self._owner) is not None

    def __len__(self) -> int:
        return self.nbytes()

    def __repr__(self) -> str:
        return f"minitorch.UntypedStorage(data_ptr={self.data_ptr()}, nbytes={self.nbytes()})"


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _base_pointer(a: np.ndarray) -> int:
    return _root(a).__array_interface__["data"][0]

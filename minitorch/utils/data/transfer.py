"""How a batch travels from a DataLoader worker to the main process: mirrors torch's tensor reductions for
multiprocessing queues (``torch/multiprocessing/reductions.py``, ``file_system`` sharing strategy).

``dumps`` pickles a batch with its tensors in shared memory (``minitorch/_shared_memory.py``). A tensor already
there, such as a batch that ``default_collate`` stacked straight into shared memory in the worker, travels as its
file's path plus dtype, shape, strides and offset; any other tensor is first copied into a new shared file.
``loads`` maps each file once in the receiving process (views of one file keep sharing memory there) and rebuilds
the tensors around it. The batch's bytes are written once, in the worker, and not copied on the way. Without
shared memory, tensors are pickled by value.
"""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

from ... import _shared_memory
from ..._storage import UntypedStorage, _base_pointer
from ..._tensor import Tensor, _with_state

__all__ = ["dumps", "loads"]

_SHARED = "minitorch.shared"
_NON_LEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support "
             "crossing process boundaries.  If you just want to transfer the data, call detach() on the tensor "
             "before serializing (e.g., putting it on the queue).")


class _SharingPickler(pickle.Pickler):
    """Pickles tensors as references to shared files, and remembers the files it hands on."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.handed_on: dict[int, _shared_memory.SharedBuffer] = {}

    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, Tensor):
            return NotImplemented
        if obj.requires_grad and obj.grad_fn is not None:
            raise RuntimeError(_NON_LEAF)
        data = obj._data
        buffer = _shared_memory.shared_buffer(data)
        if buffer is None or not (buffer.sendable() or id(buffer) in self.handed_on):
            data = _shared_memory.empty_shared(data.shape, data.dtype)
            if data is None:
                return NotImplemented
            np.copyto(data, obj._data)
            buffer = _shared_memory.shared_buffer(data)
        offset = data.__array_interface__["data"][0] - _base_pointer(data)
        return _rebuild_tensor, (type(obj), buffer, data.dtype.str, data.shape, data.strides, offset,
                                 obj.requires_grad, obj._user_attributes())

    def persistent_id(self, obj: Any) -> tuple[str, str] | None:
        if not isinstance(obj, _shared_memory.SharedBuffer):
            return None
        obj.sent = True
        self.handed_on[id(obj)] = obj
        return _SHARED, obj.path


class _SharingUnpickler(pickle.Unpickler):
    """Maps each shared file a pickle refers to once, as one storage."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.storages: dict[str, UntypedStorage] = {}

    def persistent_load(self, pid: Any) -> UntypedStorage:
        kind, path = pid
        if kind != _SHARED:
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        if path not in self.storages:
            self.storages[path] = UntypedStorage(_shared_memory.open_shared(path))
        return self.storages[path]


def _rebuild_tensor(cls: type, storage: UntypedStorage, dtype: str, shape: tuple, strides: tuple, offset: int,
                    requires_grad: bool, attributes: dict) -> Tensor:
    data = np.ndarray(shape, np.dtype(dtype), buffer=storage._owner, offset=offset, strides=strides)
    return _with_state(cls._make(data, storage), requires_grad, attributes)


def dumps(obj: Any) -> bytes:
    """``obj`` pickled with its tensors in shared memory (by value where there is none)."""
    file = io.BytesIO()
    pickler = _SharingPickler(file)
    try:
        pickler.dump(obj)
    except BaseException:
        for buffer in pickler.handed_on.values():   # not handed on after all: this process still owns them
            buffer.sent = False
        raise
    return file.getvalue()


def loads(payload: bytes) -> Any:
    """The object ``dumps`` pickled, its tensors mapping the shared files (whose paths are deleted)."""
    return _SharingUnpickler(io.BytesIO(payload)).load()

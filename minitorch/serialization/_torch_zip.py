"""Reading ``torch.save``'s zip checkpoint format (torch >= 1.6) without importing torch.

The archive holds ``<name>/data.pkl`` (a pickle of the object, tensors as ``_rebuild_tensor_v2`` calls on
persistent storage records) and ``<name>/data/<key>`` raw storages. The pickle is read with a restricted
unpickler that only resolves the few globals torch uses for tensors and containers; anything else is
refused, so loading never runs code from the file.
"""
from __future__ import annotations

import collections
import io
import pickle
import zipfile
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._format import CheckpointError

_STORAGE_DTYPES = {"BoolStorage": "bool", "ByteStorage": "uint8", "CharStorage": "int8", "ShortStorage": "int16",
                   "IntStorage": "int32", "LongStorage": "int64", "HalfStorage": "float16",
                   "FloatStorage": "float32", "DoubleStorage": "float64"}


class _StorageType:
    """A ``torch.<Type>Storage`` global named in the pickle: only carries the storage's dtype."""

    def __init__(self, dtype_name: str):
        self.dtype = _dtype._BY_NAME[dtype_name]


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    size, stride, offset = tuple(int(s) for s in size), tuple(int(s) for s in stride), int(offset)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"bad tensor record: size {size}, stride {stride}, offset {offset}")
    if 0 in size:
        view = np.empty(size, dtype=storage.dtype)
    else:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= len(storage):
            raise ValueError(f"tensor of size {size}, stride {stride}, offset {offset} overruns its storage "
                             f"of {len(storage)} elements")
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                               strides=tuple(s * storage.itemsize for s in stride))
    t = Tensor._make(np.array(view, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, hooks=None):
    t = data.detach()
    if requires_grad:
        t.requires_grad_(True)
    return t


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, name: str):
        super().__init__(io.BytesIO(data))
        self._archive, self._prefix, self._name = archive, prefix, name

    def find_class(self, module: str, qualname: str) -> Any:
        if (module, qualname) in _ALLOWED:
            return _ALLOWED[(module, qualname)]
        if module == "torch" and qualname in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[qualname])
        raise CheckpointError(f"refusing to load {self._name}: the checkpoint references {module}.{qualname}, "
                              "which is not a tensor or container type (only tensors and containers are allowed)")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise CheckpointError(f"refusing to load {self._name}: unsupported persistent record {pid!r:.80}")
        _, stype, key, _location, numel = pid
        try:
            raw = self._archive.read(f"{self._prefix}/data/{key}")
        except KeyError:
            raise CheckpointError(f"corrupt torch checkpoint {self._name}: storage {key!r} is missing") from None
        dt = stype.dtype.np.newbyteorder("<")
        if len(raw) < int(numel) * dt.itemsize:
            raise CheckpointError(f"truncated torch checkpoint {self._name}: storage {key!r} has {len(raw)} bytes, "
                                  f"expected {int(numel) * dt.itemsize}")
        return np.frombuffer(raw, dtype=dt, count=int(numel)).astype(stype.dtype.np)


def load_torch_zip(buf: bytes, name: str) -> Any:
    """Reads a ``torch.save`` zip checkpoint held in ``buf`` (``name`` is used in errors)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(buf))
        pkl = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pkl:
            raise CheckpointError(f"{name} is a zip file but not a torch checkpoint (no <name>/data.pkl)")
        prefix = pkl[0][:-len("/data.pkl")]
        order = archive.read(f"{prefix}/byteorder") if f"{prefix}/byteorder" in archive.namelist() else b"little"
        if order != b"little":
            raise CheckpointError(f"unsupported torch checkpoint {name}: byte order {order!r}")
        return _Unpickler(archive.read(pkl[0]), archive, prefix, name).load()
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"corrupt torch checkpoint {name}: {e}") from None

"""Writing ``torch.save``'s zip checkpoint format without importing torch (``save(..., format="torch")``).

The pickle is emitted opcode by opcode (protocol 2) using only the globals torch itself writes for tensors
and containers, so ``torch.load(f, weights_only=True)`` accepts it. Each tensor gets its own storage.
"""
from __future__ import annotations

import collections
import pickle
import struct
import zipfile
from typing import Any, BinaryIO

from .._tensor import Tensor

_STORAGE = {"bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage", "int16": "ShortStorage",
            "int32": "IntStorage", "int64": "LongStorage", "float16": "HalfStorage", "float32": "FloatStorage",
            "float64": "DoubleStorage"}


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(s: str) -> bytes:
    raw = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw


def _int(i: int) -> bytes:
    raw = pickle.encode_long(i)
    return b"\x8a" + bytes([len(raw)]) + raw if len(raw) < 256 else b"\x8b" + struct.pack("<I", len(raw)) + raw


def _tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"


def _emit(obj: Any, storages: list[bytes]) -> bytes:
    if obj is None:
        return b"N"
    if obj is True or obj is False:
        return b"\x88" if obj else b"\x89"
    if isinstance(obj, int):
        return _int(obj)
    if isinstance(obj, float):
        return b"G" + struct.pack(">d", obj)
    if isinstance(obj, str):
        return _str(obj)
    if isinstance(obj, Tensor):
        arr = obj.detach().numpy()
        storages.append(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C"))
        strides, acc = [], 1
        for s in reversed(arr.shape):
            strides.insert(0, acc)
            acc *= max(s, 1)
        pid = _tuple([_str("storage"), _global("torch", _STORAGE[obj.dtype.name]), _str(str(len(storages) - 1)),
                      _str("cpu"), _int(arr.size)]) + b"Q"
        args = [pid, _int(0), _tuple([_int(s) for s in arr.shape]), _tuple([_int(s) for s in strides]),
                _emit(bool(obj.requires_grad), storages), _global("collections", "OrderedDict") + b")R"]
        return _global("torch._utils", "_rebuild_tensor_v2") + _tuple(args) + b"R"
    if isinstance(obj, dict):
        start = _global("collections", "OrderedDict") + b")R" if isinstance(obj, collections.OrderedDict) else b"}"
        if not obj:
            return start
        return start + b"(" + b"".join(_emit(k, storages) + _emit(v, storages) for k, v in obj.items()) + b"u"
    if isinstance(obj, list):
        return b"]" + (b"(" + b"".join(_emit(v, storages) for v in obj) + b"e" if obj else b"")
    if isinstance(obj, tuple):
        return _tuple([_emit(v, storages) for v in obj])
    raise TypeError(f"minitorch.save: cannot save an object of type {type(obj).__name__} in torch format")


def dump_torch_zip(obj: Any, f: BinaryIO, name: str = "archive") -> None:
    """Writes ``obj`` to ``f`` as a torch zip checkpoint."""
    storages: list[bytes] = []
    pkl = b"\x80\x02" + _emit(obj, storages) + b"."
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", pkl)
        z.writestr(f"{name}/byteorder", "little")
        for i, raw in enumerate(storages):
            z.writestr(f"{name}/data/{i}", raw)
        z.writestr(f"{name}/version", "3\n")

"""Reading and writing safetensors files (mirrors ``safetensors.torch.save_file`` / ``load_file``).

Layout: an 8-byte little-endian header length, a JSON header mapping each name to ``dtype``, ``shape`` and
``data_offsets`` (begin/end relative to the data section; optional ``__metadata__`` of strings), then raw
little-endian bytes. Tensors are written contiguous, in name order.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._atomic import atomic_write
from ._format import CheckpointError

_TO_ST = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
          "float16": "F16", "float32": "F32", "float64": "F64"}
_FROM_ST = {v: k for k, v in _TO_ST.items()}


def save_safetensors(tensors: dict, path: "str | os.PathLike", metadata: dict | None = None) -> None:
    """Writes a ``{name: tensor}`` dict to a safetensors file at ``path`` (atomically)."""
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        arr = t.detach().numpy()
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": _TO_ST[t.dtype.name], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)

    def write(f):
        f.write(len(text).to_bytes(8, "little") + text)
        for raw in blobs:
            f.write(raw)
    atomic_write(path, write)


def load_safetensors(path: "str | os.PathLike") -> dict:
    """Reads a safetensors file into a ``{name: tensor}`` dict."""
    name = os.fspath(path)
    with open(name, "rb") as fh:
        buf = fh.read()
    if len(buf) < 8:
        raise CheckpointError(f"truncated safetensors file {name}: {len(buf)} bytes")
    n = int.from_bytes(buf[:8], "little")
    if 8 + n > len(buf):
        raise CheckpointError(f"truncated safetensors file {name}: header of {n} bytes does not fit")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"corrupt safetensors file {name}: bad JSON header ({e})") from None
    data = memoryview(buf)[8 + n:]
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dt = _dtype._BY_NAME[_FROM_ST[info["dtype"]]]
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"corrupt safetensors file {name}: bad entry for {key!r}: {info!r:.100}") from None
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize or begin < 0 or end > len(data):
            raise CheckpointError(f"corrupt or truncated safetensors file {name}: tensor {key!r} spans bytes "
                                  f"{begin}..{end} of {len(data)}, expected {count * dt.itemsize} bytes")
        arr = np.frombuffer(data[begin:end], dtype=dt.np.newbyteorder("<")).astype(dt.np).reshape(shape)
        out[key] = Tensor._make(arr.copy())
    return out

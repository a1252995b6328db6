"""minitorch's own safe checkpoint format (mirrors the role of ``torch.save``'s file).

Layout: ``MAGIC`` (8 bytes), the header length (8 bytes, little-endian), a UTF-8 JSON header describing
the saved object, then the raw little-endian bytes of every tensor, one after another. Loading only
parses JSON and copies bytes, so it can never run code. Each tensor is stored contiguous and separately:
tensors that shared storage when saved are independent after loading.
"""
from __future__ import annotations

import collections
import json
from typing import Any, BinaryIO

import numpy as np

from .. import _dtype
from .._tensor import Tensor

MAGIC = b"MTCKPT01"


class CheckpointError(RuntimeError):
    """A checkpoint file is truncated, corrupt or not a minitorch checkpoint."""


def _encode(obj: Any, blobs: list[bytes], offset: list[int]) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return {"int": str(obj)}
    if isinstance(obj, float):
        return {"float": repr(obj)}
    if isinstance(obj, Tensor):
        arr = obj.detach().numpy()
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        blobs.append(raw)
        start = offset[0]
        offset[0] += len(raw)
        return {"tensor": obj.dtype.name, "shape": list(arr.shape), "offset": start, "nbytes": len(raw),
                "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, (dict, collections.OrderedDict)):
        kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: [[_encode(k, blobs, offset), _encode(v, blobs, offset)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple": [_encode(v, blobs, offset) for v in obj]}
    raise TypeError(f"minitorch.save: cannot save an object of type {type(obj).__name__}; supported: tensors, "
                    "dict/OrderedDict/list/tuple, int, float, bool, None and str")


def dump(obj: Any, f: BinaryIO) -> None:
    """Writes ``obj`` to the binary file ``f`` in minitorch's format."""
    blobs: list[bytes] = []
    header = json.dumps(_encode(obj, blobs, [0]), separators=(",", ":")).encode("utf-8")
    f.write(MAGIC + len(header).to_bytes(8, "little") + header)
    for raw in blobs:
        f.write(raw)


def _decode(node: Any, data: memoryview, name: str) -> Any:
    if node is None or isinstance(node, (bool, str)):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise CheckpointError(f"corrupt checkpoint {name}: unexpected header entry {node!r:.80}")
    if "tensor" in node:
        dt = _dtype._BY_NAME.get(node["tensor"])
        shape = tuple(int(s) for s in node["shape"])
        start, nbytes = int(node["offset"]), int(node["nbytes"])
        if dt is None or nbytes != int(np.prod(shape, dtype=np.int64)) * dt.itemsize or start < 0:
            raise CheckpointError(f"corrupt checkpoint {name}: bad tensor record {node!r:.120}")
        if start + nbytes > len(data):
            raise CheckpointError(f"truncated checkpoint {name}: tensor data ends at byte {start + nbytes} "
                                  f"but only {len(data)} data bytes are present")
        arr = np.frombuffer(data[start:start + nbytes], dtype=dt.np.newbyteorder("<")).astype(dt.np).reshape(shape)
        t = Tensor._make(arr.copy())
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    (kind, val), = node.items()
    if kind == "int":
        return int(val)
    if kind == "float":
        return float(val)
    if kind in ("list", "tuple"):
        items = [_decode(v, data, name) for v in val]
        return items if kind == "list" else tuple(items)
    if kind in ("dict", "odict"):
        pairs = [(_decode(k, data, name), _decode(v, data, name)) for k, v in val]
        return dict(pairs) if kind == "dict" else collections.OrderedDict(pairs)
    raise CheckpointError(f"corrupt checkpoint {name}: unknown header entry kind {kind!r}")


def parse(buf: bytes, name: str) -> Any:
    """Reads a whole minitorch checkpoint held in ``buf`` (``name`` is used in errors)."""
    if len(buf) < 16:
        raise CheckpointError(f"truncated checkpoint {name}: {len(buf)} bytes, too short for a header")
    n = int.from_bytes(buf[8:16], "little")
    if 16 + n > len(buf):
        raise CheckpointError(f"truncated checkpoint {name}: header says {n} bytes but the file has "
                              f"{len(buf) - 16} after the length field")
    try:
        tree = json.loads(buf[16:16 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"corrupt checkpoint {name}: header is not valid JSON ({e})") from None
    try:
        return _decode(tree, memoryview(buf)[16 + n:], name)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise CheckpointError(f"corrupt checkpoint {name}: malformed header ({e})") from None

"""Checkpoint saving and loading: mirrors ``torch.save`` / ``torch.load``.

``save`` writes minitorch's safe format (see ``_format``) atomically: a temporary file in the target's
folder, flushed and fsync'ed, then ``os.replace``'d over the target, so a crash mid-save leaves the previous
file intact. ``load`` never runs code from the file. Tensors sharing storage are saved separately.
"""
from __future__ import annotations

import os
from typing import Any, BinaryIO

from . import _format
from ._atomic import atomic_write
from ._safetensors import load_safetensors, save_safetensors
from ._torch_write import dump_torch_zip
from ._torch_zip import load_torch_zip
from ._format import CheckpointError

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "CheckpointError"]


def save(obj: Any, f: "str | os.PathLike | BinaryIO", format: str = "minitorch") -> None:
    """Saves ``obj`` (tensors in nested dict/list/tuple of numbers and strings) to a path or binary file.

    ``format="torch"`` writes torch's zip checkpoint format, readable by ``torch.load(f, weights_only=True)``.
    """
    writers = {"minitorch": _format.dump, "torch": dump_torch_zip}
    if format not in writers:
        raise ValueError(f"minitorch.save: unknown format {format!r}; expected 'minitorch' or 'torch'")
    if not isinstance(f, (str, os.PathLike)):
        writers[format](obj, f)
        return
    atomic_write(f, lambda out: writers[format](obj, out))


def load(f: "str | os.PathLike | BinaryIO") -> Any:
    """Loads an object written by ``save`` or by ``torch.save`` (zip format) from a path or binary file."""
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as fh:
            buf = fh.read()
    else:
        name = getattr(f, "name", repr(f))
        buf = f.read()
    if buf[:4] == b"PK\x03\x04":
        return load_torch_zip(buf, str(name))
    if buf[:8] != _format.MAGIC:
        raise CheckpointError(f"{name} is not a minitorch checkpoint (unrecognised leading bytes {buf[:8]!r})")
    return _format.parse(buf, str(name))

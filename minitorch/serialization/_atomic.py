"""Atomic file replacement used by every writer in this package (torch.save itself is not atomic).

A crash mid-write leaves the previous file intact: data goes to a temporary file in the target's folder,
which is flushed, fsync'ed and then ``os.replace``'d over the target.
"""
from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable


def atomic_write(path: "str | os.PathLike", write: Callable[[BinaryIO], None]) -> None:
    """Calls ``write(fileobj)`` on a temporary file next to ``path``, fsyncs it, then renames it over ``path``."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

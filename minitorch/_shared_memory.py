"""Arrays in shared memory: mirrors the storage side of torch's ``file_system`` sharing strategy
(``Storage._share_filename_cpu_``, ``Tensor.is_shared``), which its DataLoader workers use to hand batches to the
main process without copying them.

A shared array lives in a file under ``/dev/shm`` (a RAM-backed tmpfs on Linux), mapped into the process that
made it. Another process maps the same file by its path (``open_shared``), which deletes the path at once: the
memory is freed when the last mapping goes. Until a file is handed on (``SharedBuffer.sent``), it belongs to the
process that made it, which deletes it when the array is garbage collected. Every path starts with a prefix
(``set_name_prefix``), so that files handed on but never opened can be found and deleted (``remove_files``).

Where there is no ``/dev/shm``, or it is full, ``empty_shared`` returns ``None`` and callers keep the plain copy.
"""
from __future__ import annotations

import itertools
import mmap
import os

import numpy as np

from ._storage import _root

SHM_DIR = "/dev/shm"
AVAILABLE = os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK) and hasattr(os, "posix_fallocate")
NAME_START = "minitorch_"      # every shared file's name starts so (``open_shared`` opens no other file)


def process_prefix(pid: int) -> str:
    """The name prefix of the shared files made for process ``pid``'s loaders (and by its workers)."""
    return f"{NAME_START}{pid}_"


_name_prefix = process_prefix(os.getpid())
_file_numbers = itertools.count()


class SharedBuffer(mmap.mmap):
    """A mapping of one file under ``SHM_DIR``: its ``path``, the pid that made it (0 when mapped from another
    process), and whether it was handed on to another process (``sent``)."""

    path: str
    owner_pid: int = 0
    sent: bool = False

    def sendable(self) -> bool:
        """Whether this process may still hand the file on: it made it and has not handed it on already."""
        return self.owner_pid == os.getpid() and not self.sent

    def __del__(self) -> None:
        if self.sendable():
            _unlink(self.path)


def set_name_prefix(prefix: str) -> None:
    """Names this process's next shared files ``{prefix}{n}`` (a loader's workers use the loader's prefix)."""
    global _name_prefix
    _name_prefix = prefix


def empty_shared(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """An uninitialised C-contiguous array in a new shared file, or ``None`` (no ``/dev/shm``, too little room
    in it, or an empty shape)."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * dtype.itemsize
    if not AVAILABLE or nbytes == 0:
        return None
    path = os.path.join(SHM_DIR, f"{_name_prefix}{next(_file_numbers)}")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None
    try:
        # reserve the pages now: a full /dev/shm fails here, instead of with SIGBUS at the first write
        os.posix_fallocate(fd, 0, nbytes)
        buffer = SharedBuffer(fd, nbytes)
    except OSError:
        _unlink(path)
        return None
    finally:
        os.close(fd)
    buffer.path, buffer.owner_pid = path, os.getpid()
    return np.frombuffer(buffer, dtype, count).reshape(shape)


def open_shared(path: str) -> np.ndarray:
    """The whole of the shared file ``path`` as a writable uint8 array; the path is deleted (the memory stays
    until the array and its views are gone)."""
    if os.path.dirname(path) != SHM_DIR or not os.path.basename(path).startswith(NAME_START):
        raise ValueError(f"not a minitorch shared-memory file: {path!r}")
    fd = os.open(path, os.O_RDWR)
    try:
        buffer = SharedBuffer(fd, 0)
    finally:
        os.close(fd)
        _unlink(path)
    buffer.path = path
    return np.frombuffer(buffer, np.uint8)


def shared_buffer(array: np.ndarray) -> SharedBuffer | None:
    """The shared mapping ``array``'s memory lies in, or ``None`` for ordinary memory."""
    base = _root(array).base
    owner = base.obj if isinstance(base, memoryview) else base
    return owner if isinstance(owner, SharedBuffer) else None


def files(prefix: str) -> list[str]:
    """The paths of the shared files whose names start with ``prefix``."""
    if not AVAILABLE:
        return []
    return [os.path.join(SHM_DIR, name) for name in os.listdir(SHM_DIR) if name.startswith(prefix)]


def remove_files(prefix: str) -> None:
    """Deletes the shared files whose names start with ``prefix`` (handed on, never opened)."""
    for path in files(prefix):
        _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

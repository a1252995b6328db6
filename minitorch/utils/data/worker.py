"""Worker processes of the DataLoader: mirrors ``torch.utils.data.get_worker_info`` / ``WorkerInfo`` and
torch's worker loop (``torch/utils/data/_utils/worker.py``, ``fetch.py`` and ``ExceptionWrapper``).

Everything here runs in a worker process (the fetchers also run in the main process when ``num_workers=0``).
A worker seeds Python's ``random`` and minitorch's default generator with ``base_seed + worker_id`` and NumPy's
legacy global RNG with torch's ``_generate_state(base_seed, worker_id)``, exactly as torch's workers do, calls
``worker_init_fn(worker_id)``, then answers ``(task_idx, indices)`` requests from its index queue with
``(task_idx, pickled batch)`` on the shared result queue until it receives ``None`` or its parent dies. The
batches' tensors travel in shared memory (``transfer.py``).
"""
from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ... import _shared_memory
from ..._ops.random import manual_seed
from .transfer import dumps

__all__ = ["WorkerInfo", "get_worker_info"]

# how often a waiting process wakes up to check on the other side (worker liveness / parent liveness)
MP_STATUS_CHECK_INTERVAL = 0.25


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its id, the worker count, its seed and its dataset copy."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current DataLoader worker's ``WorkerInfo``, or ``None`` in the main process."""
    return _worker_info


class _KeyErrorMessage(str):
    """A str whose repr is itself, so that a re-raised ``KeyError`` prints its traceback unescaped (as torch)."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception caught in a worker, as its type and formatted traceback (torch's ``ExceptionWrapper``)."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        self.exc_name = exc_type.__name__
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where
        try:                                   # a class that cannot travel (e.g. defined in a function) -> RuntimeError
            pickle.dumps(exc_type)
            self.exc_type: type | None = exc_type
        except Exception:
            self.exc_type = None

    def reraise(self) -> None:
        """Raises the same exception type with "Caught X in DataLoader worker process N. Original Traceback ..."."""
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)     # type: ignore[misc]
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:        # no frame -> exception -> traceback -> frame cycle keeping the loader's iterator alive
            del exception


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Starts a new epoch in a persistent worker (acknowledged by echoing it back)."""


class _Fetcher:
    """Turns one index (or a list of indices with auto-collation) into a collated sample or batch."""

    def __init__(self, dataset: Any, iterable: bool, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset) if iterable else None
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.dataset_iter is None:
            if not self.auto_collation:
                return self.collate_fn(self.dataset[index])
            getitems = getattr(self.dataset, "__getitems__", None)
            return self.collate_fn(getitems(index) if getitems else [self.dataset[i] for i in index])
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """torch's 128-bit seed for NumPy's global RNG in a worker (a SeedSequence-like hash of base seed and id)."""
    mask = 0xFFFFFFFF
    shift = 16
    hash_const_a = 0x43B0D7E5

    def hash_(value: int) -> int:
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask
        hash_const_a = (hash_const_a * 0x931E8875) & mask
        value = (value * hash_const_a) & mask
        return (value ^ (value >> shift)) & mask

    def mix(x: int, y: int) -> int:
        result = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (result ^ (result >> shift)) & mask

    pool = [hash_(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_const_b) & mask
        hash_const_b = (hash_const_b * 0x58F38DED) & mask
        value = (value * hash_const_b) & mask
        state.append((value ^ (value >> shift)) & mask)
    return state


def _seed_worker(base_seed: int, worker_id: int) -> int:
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


def _pickled(data: Any, worker_id: int) -> bytes:
    """The batch pickled here (its tensors in shared memory), so that an unpicklable batch is reported instead of
    lost in the queue's thread."""
    try:
        return dumps(data)
    except Exception:
        return pickle.dumps(ExceptionWrapper(f"in DataLoader worker process {worker_id}"))


def _worker_loop(dataset: Any, iterable: bool, index_queue: Any, data_queue: Any, done_event: Any,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable[[int], None] | None, worker_id: int, num_workers: int,
                 shared_prefix: str) -> None:
    """The body of a worker process. Its shared-memory files are named ``{shared_prefix}{pid}_{n}``."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    parent = os.getppid()
    own_prefix = f"{shared_prefix}{os.getpid()}_"
    _shared_memory.set_name_prefix(own_prefix)
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where)
        iteration_end = False
        while os.getppid() == parent:          # a worker whose main process died exits on its own
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():        # shutting down, and the final None was lost (see _shutdown_workers)
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _Fetcher(dataset, iterable, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_error is not None:
                data: Any = init_error
                init_error = None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if iterable and isinstance(e, StopIteration):
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                    else:
                        data = ExceptionWrapper(where)
            data_queue.put((idx, _pickled(data, worker_id)))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    finally:
        _worker_info = None
    if os.getppid() != parent:                 # nobody will open the batches this worker handed on
        _shared_memory.remove_files(own_prefix)
    if done_event.is_set():                    # the main process reads nothing more: do not wait to flush
        data_queue.cancel_join_thread()
        data_queue.close()

"""What the DataLoader worker tests share: a hard time limit (a hang fails the test, not the suite) and checks that
a test leaves no worker process and no shared-memory file of this process behind."""
from __future__ import annotations

import gc
import multiprocessing
import os
import signal

import pytest

from minitorch import _shared_memory

HARD_LIMIT_S = 20


@pytest.fixture
def hard_timeout_and_no_leaks():
    """Fails a test that runs past HARD_LIMIT_S (a hang), and one that leaves worker processes or shared-memory
    files behind."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"test still running after {HARD_LIMIT_S} s: the DataLoader hangs")

    files_before = set(_shared_memory.files(_shared_memory.process_prefix(os.getpid())))
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(HARD_LIMIT_S)
    try:
        yield
        if multiprocessing.active_children():    # a loader kept alive by a reference cycle: collect it
            gc.collect()
        assert multiprocessing.active_children() == []
        assert set(_shared_memory.files(_shared_memory.process_prefix(os.getpid()))) - files_before == set()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

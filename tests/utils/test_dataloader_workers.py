"""DataLoader with worker processes: batches equal to the single-process loader and to torch's, sharding of
iterable datasets, worker info and seeding, persistent workers, prefetching, and failure behaviour (exceptions,
killed workers, timeouts, early stop) without hangs, leaked processes or leaked shared memory.

Every test runs under a hard ``signal.alarm`` limit, so that a hang fails the test instead of the suite
(``conftest.py``)."""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import random
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data

import minitorch
import minitorch.utils.data
from minitorch import _shared_memory
from minitorch.utils.data import DataLoader, get_worker_info
from minitorch.utils.data.worker import _generate_state

pytestmark = pytest.mark.usefixtures("hard_timeout_and_no_leaks")


class Squares(minitorch.utils.data.Dataset):
    """Item i is (i, i*i as float32 array); ``delay`` seconds per item; ``fail_at``/``kill_at`` items raise/die."""

    def __init__(self, n=12, delay=0.0, fail_at=None, error=ValueError, kill_at=None):
        self.n, self.delay, self.fail_at, self.error, self.kill_at = n, delay, fail_at, error, kill_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)
        if i == self.fail_at:
            raise self.error(f"item {i} is broken")
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return i, np.full(2, i * i, dtype=np.float32)


class WhoAmI(minitorch.utils.data.Dataset):
    """Item i reports the worker that loaded it and that worker's random draws."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "worker": -1 if info is None else info.id, "pid": os.getpid(),
                "seed": -1 if info is None else info.seed, "random": random.random(),
                "numpy": float(np.random.rand()), "minitorch": float(minitorch.rand(()))}


def sharded(fw, n=10):
    """An iterable dataset that splits 0..n-1 between workers by ``get_worker_info()`` (torch's recipe)."""
    class Sharded(fw.utils.data.IterableDataset):
        def __iter__(self):
            info = fw.utils.data.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, n, step))

    return Sharded()


def batches(loader):
    return [[b.tolist() if hasattr(b, "tolist") else b for b in batch] if isinstance(batch, (list, tuple))
            else batch.tolist() for batch in loader]


# --- same batches as the main process and as torch ----------------------------------------------------------------
LOADER_CASES = {
    "batch3": dict(batch_size=3),
    "batch5_drop_last": dict(batch_size=5, drop_last=True),
    "batch_size_None": dict(batch_size=None),
    "batch_sampler": dict(batch_sampler=[[3, 1], [0], [5, 6, 7, 2], [11]]),
    "prefetch_factor1": dict(batch_size=2, prefetch_factor=1),
}


@pytest.mark.parametrize("num_workers", [1, 2])
@pytest.mark.parametrize("kwargs", LOADER_CASES.values(), ids=LOADER_CASES.keys())
def test_workers_batches_equal_single_process_and_torch(kwargs, num_workers):
    single = {k: v for k, v in kwargs.items() if k != "prefetch_factor"}
    expected = batches(DataLoader(Squares(), **single))
    assert batches(DataLoader(Squares(), num_workers=num_workers, **kwargs)) == expected
    assert batches(torch.utils.data.DataLoader(Squares(), **single)) == expected


@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_workers_iterable_dataset_sharded_like_torch(num_workers):
    with pytest.warns() if num_workers > len(os.sched_getaffinity(0)) else _nothing():
        mini = batches(DataLoader(sharded(minitorch), batch_size=3, num_workers=num_workers))
    with pytest.warns() if num_workers > len(os.sched_getaffinity(0)) else _nothing():
        ref = batches(torch.utils.data.DataLoader(sharded(torch), batch_size=3, num_workers=num_workers))
    assert mini == ref
    assert sorted(sum(mini, [])) == list(range(10))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SlowFirst(Squares):
    def __getitem__(self, i):
        if i == 0:
            time.sleep(0.5)
        return super().__getitem__(i)


def test_workers_in_order_reassembles_results():
    expected = batches(DataLoader(Squares(8), batch_size=2))
    assert batches(DataLoader(SlowFirst(8), batch_size=2, num_workers=2)) == expected


def test_workers_in_order_False_returns_every_batch():
    got = batches(DataLoader(SlowFirst(8), batch_size=2, num_workers=2, in_order=False))
    assert sorted(got) == batches(DataLoader(Squares(8), batch_size=2))
    assert got[0][0] != [0, 1]            # the slow first batch did not hold the others back


# --- worker info, seeding, worker_init_fn --------------------------------------------------------------------------
def test_get_worker_info_in_workers_and_main():
    assert get_worker_info() is None
    items = [item for batch in DataLoader(WhoAmI(), batch_size=None, num_workers=2) for item in [batch]]
    assert [it["worker"] for it in items] == [0, 1] * 4                      # round-robin dispatch
    assert {it["pid"] for it in items}.isdisjoint({os.getpid()})
    seeds = {it["worker"]: it["seed"] for it in items}
    assert seeds[1] == seeds[0] + 1                                          # base_seed + worker_id
    assert get_worker_info() is None


def test_worker_seeding_like_torch():
    """Worker w seeds random and minitorch with base_seed + w, NumPy with torch's _generate_state(base_seed, w)."""
    items = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    for it in items[:2]:                       # the first draw of each worker
        assert it["random"] == random.Random(it["seed"]).random()
        assert it["minitorch"] == float(minitorch.rand((), generator=minitorch.Generator().manual_seed(it["seed"])))
        base = it["seed"] - it["worker"]
        assert it["numpy"] == np.random.RandomState(_generate_state(base, it["worker"])).rand()
    from torch.utils.data._utils.worker import _generate_state as torch_generate_state
    for base, worker in [(0, 0), (123456789, 1), ((1 << 63) - 5, 3)]:
        assert _generate_state(base, worker) == torch_generate_state(base, worker)


def test_worker_random_streams_reproducible_with_seed():
    def run(seed):
        minitorch.manual_seed(seed)
        return [(it["random"], it["numpy"], it["minitorch"], it["seed"])
                for it in DataLoader(WhoAmI(), batch_size=None, num_workers=2)]

    a = run(0)
    assert a == run(0)
    assert a != run(1)
    g = [it["seed"] for it in DataLoader(WhoAmI(), batch_size=None, num_workers=2,
                                          generator=minitorch.Generator().manual_seed(5))]
    assert g == [it["seed"] for it in DataLoader(WhoAmI(), batch_size=None, num_workers=2,
                                                  generator=minitorch.Generator().manual_seed(5))]


@pytest.mark.parametrize("seeding", ["manual_seed", "generator"])
def test_shuffled_batches_identical_for_any_num_workers(seeding):
    def run(num_workers):
        minitorch.manual_seed(7)
        generator = minitorch.Generator().manual_seed(7) if seeding == "generator" else None
        loader = DataLoader(Squares(20), batch_size=3, shuffle=True, num_workers=num_workers, generator=generator)
        return [batches(loader) for _ in range(2)]

    runs = [run(k) for k in (0, 1, 2)]
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][0] != runs[0][1]


def test_worker_init_fn_runs_in_each_worker_after_seeding():
    class Configured(WhoAmI):
        tag = None

        def __getitem__(self, i):
            return {**super().__getitem__(i), "tag": self.tag}

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        info.dataset.tag = f"worker{worker_id}-pid{os.getpid()}"

    items = list(DataLoader(Configured(), batch_size=None, num_workers=2, worker_init_fn=init))
    assert all(it["tag"] == f"worker{it['worker']}-pid{it['pid']}" for it in items)


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    pids = [{it["pid"] for it in epoch} for epoch in epochs]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    assert len(multiprocessing.active_children()) == 2
    assert [it["i"] for it in epochs[2]] == list(range(8))
    it = iter(loader)                       # an epoch stopped early, then a full one: stale results are dropped
    next(it)
    assert [x["i"] for x in loader] == list(range(8))
    del loader, it
    gc.collect()
    assert multiprocessing.active_children() == []


def test_persistent_workers_iterable_dataset_restarts():
    loader = DataLoader(sharded(minitorch), batch_size=2, num_workers=2, persistent_workers=True)
    assert batches(loader) == batches(loader) == batches(DataLoader(sharded(minitorch), batch_size=2, num_workers=2))


def test_prefetch_factor_bounds_outstanding_work():
    fetched = multiprocessing.Value("i", 0)

    class Counted(Squares):
        def __getitem__(self, i):
            with fetched.get_lock():
                fetched.value += 1
            return super().__getitem__(i)

    def settled(expected):
        deadline = time.monotonic() + 5
        while fetched.value < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)                         # time to overshoot, if the loader asked for too much
        return fetched.value

    it = iter(DataLoader(Counted(40), batch_size=2, num_workers=2, prefetch_factor=3))
    assert settled(3 * 2 * 2) == 3 * 2 * 2           # prefetch_factor * num_workers batches of 2
    next(it)
    assert settled((3 * 2 + 1) * 2) == (3 * 2 + 1) * 2   # one batch consumed, one more requested
    del it


@pytest.mark.parametrize("context", ["fork", "fork_object"])
def test_workers_multiprocessing_context(context):
    ctx = multiprocessing.get_context("fork") if context == "fork_object" else context
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, multiprocessing_context=ctx)
    assert loader.multiprocessing_context is multiprocessing.get_context("fork")
    assert [it["worker"] for it in loader] == [0, 1] * 4


@pytest.mark.slow
def test_workers_spawn_context():
    loader = DataLoader(Squares(), batch_size=4, num_workers=2, multiprocessing_context="spawn")
    assert batches(loader) == batches(DataLoader(Squares(), batch_size=4))


def test_workers_pin_memory_noop():
    with pytest.warns(UserWarning, match="pin_memory"):
        got = batches(DataLoader(Squares(), batch_size=4, num_workers=2, pin_memory=True))
    assert got == batches(DataLoader(Squares(), batch_size=4))


# --- failures: exceptions, killed workers, timeouts, early stop ---------------------------------------------------
def test_worker_exception_reraised_with_traceback_like_torch():
    messages = []
    for loader in (DataLoader(Squares(fail_at=5), batch_size=2, num_workers=2),
                   torch.utils.data.DataLoader(Squares(fail_at=5), batch_size=2, num_workers=2)):
        it = iter(loader)
        with pytest.raises(ValueError) as info:
            list(it)
        messages.append(str(info.value))
        it._shutdown_workers()    # torch's workers would otherwise wait out its 5 s join timeouts when gc ends them
    for msg in messages:
        assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
        assert 'raise self.error(f"item {i} is broken")' in msg
        assert msg.rstrip().endswith("ValueError: item 5 is broken")


def test_worker_KeyError_message_unescaped():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Squares(fail_at=3, error=KeyError), batch_size=2, num_workers=2))
    assert "Caught KeyError in DataLoader worker process 1.\nOriginal Traceback" in repr(info.value)


class NeedsTwoArgs(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


def test_worker_exception_that_cannot_be_rebuilt_becomes_RuntimeError():
    class Dataset(Squares):
        def __getitem__(self, i):
            raise NeedsTwoArgs(1, 2)

    class LocalError(Exception):
        pass

    with pytest.raises(RuntimeError, match="Caught NeedsTwoArgs in DataLoader worker process 0"):
        list(DataLoader(Dataset(), num_workers=1))
    with pytest.raises(RuntimeError, match="Caught LocalError in DataLoader worker process 0"):
        list(DataLoader(Squares(fail_at=0, error=LocalError), num_workers=1))


def test_worker_unpicklable_batch_reported():
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError), match="DataLoader worker process 0"):
        list(DataLoader(Squares(), num_workers=1, collate_fn=lambda batch: lambda: batch))


def test_worker_init_fn_exception_reraised():
    def init(worker_id):
        raise ValueError(f"init of worker {worker_id} failed")

    with pytest.raises(ValueError, match="(?s)Caught ValueError in DataLoader worker process 0.*init of worker 0"):
        list(DataLoader(Squares(), num_workers=2, worker_init_fn=init))


def test_the_loader_continues_after_a_worker_exception_like_torch():
    it = iter(DataLoader(Squares(6, fail_at=2), batch_size=None, num_workers=2))
    got = [next(it)[0], next(it)[0]]
    with pytest.raises(ValueError):
        next(it)
    got += [b[0] for b in it]
    assert got == [0, 1, 3, 4, 5]


def test_worker_killed_inside_getitem_raises_quickly():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly.*SIGKILL"):
        list(DataLoader(Squares(kill_at=5), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 5


def test_worker_killed_from_main_process_raises_quickly():
    it = iter(DataLoader(Squares(40, delay=0.05), batch_size=None, num_workers=2))
    next(it)
    os.kill(it._workers[1].pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=f"DataLoader worker \\(pid\\(s\\) {it._workers[1].pid}\\) exited"):
        for _ in it:
            pass
    assert time.monotonic() - start < 5
    del it


def test_worker_timeout():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.5 seconds$"):
        list(DataLoader(Squares(delay=3), num_workers=1, timeout=0.5))
    assert time.monotonic() - start < 2.5


def test_timeout_not_triggered_by_fast_workers():
    assert len(list(DataLoader(Squares(), batch_size=2, num_workers=2, timeout=5))) == 6


def test_early_stop_shuts_workers_down():
    loader = DataLoader(Squares(200), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader):
        assert len(multiprocessing.active_children()) == 2
        if i == 1:
            break
    assert multiprocessing.active_children() == []        # the loop dropped its iterator: no gc needed


def test_dropping_the_iterator_shuts_workers_down_without_gc():
    it = iter(DataLoader(Squares(200, delay=0.01), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it                                  # reference counting alone ends the workers (no cycle)
    assert all(not w.is_alive() for w in workers)


def test_main_process_death_ends_workers(tmp_path):
    """Workers of a killed main process exit on their own (they watch their parent), deleting the shared memory of
    the batches they sent that nobody will receive."""
    script = tmp_path / "orphan.py"
    script.write_text(
        "import os, sys, time\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from minitorch.utils.data import DataLoader\n"
        "class Slow:\n"
        "    def __len__(self): return 100\n"
        "    def __getitem__(self, i): time.sleep(0.05); return i\n"
        "it = iter(DataLoader(Slow(), num_workers=2))\n"
        "next(it)\n"
        "time.sleep(0.3)\n"                                     # the workers' prefetched batches are sent
        "from minitorch import _shared_memory\n"
        "sent = _shared_memory.files(_shared_memory.process_prefix(os.getpid()))\n"
        "print(len(sent), os.getpid(), ' '.join(str(w.pid) for w in it._workers), flush=True)\n"
        "os.kill(os.getpid(), 9)\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(script), os.getcwd()], capture_output=True, text=True, timeout=15)
    sent, main_pid, *pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    assert sent > 0 or not _shared_memory.AVAILABLE         # batches sent, never to be received
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)
    assert _shared_memory.files(_shared_memory.process_prefix(main_pid)) == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:                                    # a zombie (exited, not reaped by init yet) is not running
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False

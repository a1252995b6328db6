"""Benchmark for the data issue's DataLoader targets, on an augmentation-heavy pipeline:

* a dataset of 32x32 RGB uint8 NumPy images whose ``__getitem__`` does a reflect-padded random crop, a random
  horizontal flip, normalisation and eight 3x3 binomial blur passes in NumPy (about 1 ms per item);
* one epoch (1024 items, batch 32, default collate) with ``num_workers=2`` is at least 1.5x faster than with
  ``num_workers=0`` (minitorch);
* minitorch's DataLoader with 2 workers is within 1.5x of torch's DataLoader with 2 workers on the same dataset.

Epochs include starting the workers (non-persistent workers, as in a default training loop). The machine may be
shared and small: the worker speed-up needs two idle cores, so run it when the machine is quiet.

The speed-up target is measured before torch is imported, in a process like a minitorch user's. Forking a worker
copies the parent's page tables and its exit tears them down: with torch imported (~500 MB resident) each fork
measured ~7 ms and each exit ~10 ms, against ~1 ms and ~2 ms without, a fixed ~35 ms per epoch of two workers
that belongs to torch's footprint, not to the loader. The speed-up with torch imported is printed too.

Two processes on this machine do not run twice as fast as one (shared caches and memory bandwidth, other tenants
of the host): the benchmark also times the same items split over two forked processes with no loader at all, the
most two workers can give at that moment, and prints how much of it the loader reaches.

Run: ``python -m benchmarks.data`` (``--check`` exits non-zero when a target is missed).
"""
from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import resource
import sys
import time
from typing import Any, Callable

import numpy as np

import minitorch
import minitorch.utils.data

from .timing import ratio

TARGET_WORKER_SPEEDUP = 1.5
TARGET_TORCH_RATIO = 1.5

_MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32)
_STD = np.array([0.2470, 0.2435, 0.2616], np.float32)


class AugmentedImages:
    """Map-style dataset: ``(augmented float32 CHW image, label)``; random draws from NumPy's global RNG, which
    both frameworks seed in their workers."""

    def __init__(self, n: int = 1024, size: int = 32, blur_passes: int = 8, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.images = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
        self.labels = rng.integers(0, 10, n)
        self.size, self.blur_passes = size, blur_passes

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        s = self.size
        x = np.pad(self.images[i], ((4, 4), (4, 4), (0, 0)), mode="reflect")
        top, left = np.random.randint(0, 9, 2)
        x = x[top:top + s, left:left + s]
        if np.random.rand() < 0.5:
            x = x[:, ::-1]
        x = (x.astype(np.float32) / 255 - _MEAN) / _STD
        for _ in range(self.blur_passes):
            p = np.pad(x, ((1, 1), (1, 1), (0, 0)), mode="edge")
            rows = p[:-2] + 2 * p[1:-1] + p[2:]
            x = (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) / 16
        return np.ascontiguousarray(x.transpose(2, 0, 1)), int(self.labels[i])


def epoch(fw: Any, dataset: AugmentedImages, num_workers: int, batch_size: int = 32) -> Callable[[], int]:
    """A closure running one epoch of ``fw``'s DataLoader over ``dataset``; returns the number of batches."""
    loader = fw.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers)

    def run() -> int:
        return sum(1 for _ in loader)

    return run


def cpu_seconds(fn: Callable[[], object]) -> tuple[float, float, float]:
    """(wall, main-process CPU, worker CPU) seconds of one call: with workers, a speed-up below the CPU-time
    ratio means the cores were busy with other work, not that the loader has overhead."""
    def cpu(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    main0, kids0, t0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    return wall, cpu(resource.RUSAGE_SELF) - main0, cpu(resource.RUSAGE_CHILDREN) - kids0


def items_in_processes(data: AugmentedImages, processes: int) -> Callable[[], None]:
    """A closure computing every item of ``data`` with no loader: in this process (``processes=1``), or split
    over that many forked processes, started and joined each call as a loader's workers are each epoch."""
    def compute(part: int) -> None:
        for i in range(part, len(data), processes):
            data[i]

    def run() -> None:
        if processes == 1:
            return compute(0)
        context = multiprocessing.get_context("fork")
        workers = [context.Process(target=compute, args=(k,)) for k in range(processes)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    return run


def worker_speedup(data: AugmentedImages, rounds: int) -> tuple[float, float, float]:
    """(epoch seconds with num_workers=0, with num_workers=2, speed-up) of minitorch's DataLoader."""
    return ratio(epoch(minitorch, data, 0), epoch(minitorch, data, 2), rounds=rounds, batch_seconds=0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds per comparison")
    args = parser.parse_args(argv)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, {cpus} CPUs, 1-min load average {load:.2f}")
    data = AugmentedImages()
    print(f"epoch of {len(data)} augmented 32x32 images, batch 32")
    if "torch" in sys.modules:
        raise RuntimeError("the worker speed-up is measured before torch is imported (see the module docstring)")
    t0, t2, speedup = worker_speedup(data, args.rounds)
    print(f"minitorch num_workers=0 {t0:.3f} s, num_workers=2 {t2:.3f} s, speed-up {speedup:.2f}x "
          f"(target >= {TARGET_WORKER_SPEEDUP}x)")
    ceiling = ratio(items_in_processes(data, 1), items_in_processes(data, 2), rounds=args.rounds,
                    batch_seconds=0.01)[2]
    print(f"the machine's ceiling now: the same items in two forked processes, no loader, {ceiling:.2f}x faster "
          f"than in one (the loader reaches {speedup / ceiling:.0%} of it)")
    torch = importlib.import_module("torch")
    importlib.import_module("torch.utils.data")
    print(f"torch {torch.__version__} imported: the same speed-up now {worker_speedup(data, args.rounds)[2]:.2f}x")
    for fw in (minitorch, torch):
        wall, main_cpu, workers_cpu = cpu_seconds(epoch(fw, data, 2))
        print(f"{fw.__name__} num_workers=2, one epoch: wall {wall:.3f} s, CPU main {main_cpu:.3f} s, "
              f"workers {workers_cpu:.3f} s")
    tm, tt, r = ratio(epoch(minitorch, data, 2), epoch(torch, data, 2), rounds=args.rounds, batch_seconds=0.01)
    print(f"num_workers=2: minitorch {tm:.3f} s, torch {tt:.3f} s, ratio {r:.2f} (target <= {TARGET_TORCH_RATIO}x)")
    missed = speedup < TARGET_WORKER_SPEEDUP or r > TARGET_TORCH_RATIO
    print("target missed" if missed else "targets met")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

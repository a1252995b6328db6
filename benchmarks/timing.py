"""Timing helpers: the same callable timed on both frameworks in one run, as a ratio."""
from __future__ import annotations

import timeit
from typing import Callable


def best_time(fn: Callable[[], object], min_seconds: float = 0.2, repeat: int = 5) -> float:
    """Best per-call time in seconds over ``repeat`` batches sized to last about ``min_seconds``."""
    number = 1
    while True:
        elapsed = timeit.timeit(fn, number=number)
        if elapsed >= min_seconds / repeat or number >= 1 << 20:
            break
        number *= 4
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def ratio(minitorch_fn: Callable[[], object], torch_fn: Callable[[], object], **kw) -> tuple[float, float, float]:
    """(minitorch seconds, torch seconds, minitorch / torch) for one call, timed alternately."""
    t_torch = best_time(torch_fn, **kw)
    t_mini = best_time(minitorch_fn, **kw)
    t_torch = min(t_torch, best_time(torch_fn, **kw))   # a second torch pass guards against warm-up bias
    return t_mini, t_torch, t_mini / t_torch

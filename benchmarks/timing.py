"""Timing helpers: the same work timed on both frameworks in one run, as a ratio.

The machine may be shared, so the two sides are timed in alternating rounds and the ratio reported
is the median of the per-round ratios: a load spike then hits one round, not one framework.
"""
from __future__ import annotations

import statistics
import timeit
from typing import Any, Callable


def calls_per_batch(fn: Callable[[], object], seconds: float) -> int:
    """How many calls of ``fn`` take about ``seconds``."""
    number = 1
    while timeit.timeit(fn, number=number) < seconds and number < 1 << 20:
        number *= 4
    return number


def ratio(minitorch_fn: Callable[[], object], torch_fn: Callable[[], object], rounds: int = 7,
          batch_seconds: float = 0.02) -> tuple[float, float, float]:
    """(minitorch seconds per call, torch seconds per call, median per-round minitorch/torch ratio)."""
    n_mini = calls_per_batch(minitorch_fn, batch_seconds)
    n_torch = calls_per_batch(torch_fn, batch_seconds)
    mini, torch_, ratios = [], [], []
    for _ in range(rounds):
        t = min(timeit.repeat(torch_fn, number=n_torch, repeat=3)) / n_torch
        m = min(timeit.repeat(minitorch_fn, number=n_mini, repeat=3)) / n_mini
        torch_.append(t)
        mini.append(m)
        ratios.append(m / t)
    return statistics.median(mini), statistics.median(torch_), statistics.median(ratios)


def sgd_training_step(fw: Any, model: Any, x: Any, y: Any) -> Callable[[], object]:
    """A closure running one training step of ``model`` on ``(x, y)``: zero_grad, cross-entropy, backward and
    ``fw.optim.SGD(lr=0.01, momentum=0.9)``."""
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = fw.nn.CrossEntropyLoss()

    def step() -> object:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step

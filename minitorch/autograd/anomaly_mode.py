"""Anomaly detection: mirrors ``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``.

While enabled, every recorded node keeps the stack of the forward call that created it, and the
engine raises as soon as a backward function returns NaN, naming the node and printing that stack.
"""
from __future__ import annotations

import functools
import traceback
import warnings
from typing import Any

_enabled = [False]
_check_nan = [True]


def is_anomaly_enabled() -> bool:
    return _enabled[0]


def is_anomaly_check_nan_enabled() -> bool:
    return _enabled[0] and _check_nan[0]


def current_stack() -> list[str]:
    return traceback.format_stack()[:-3]


class set_detect_anomaly:
    """Turns anomaly detection on or off at once; restores the previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = (_enabled[0], _check_nan[0])
        _enabled[0], _check_nan[0] = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _enabled[0], _check_nan[0] = self._prev


class detect_anomaly:
    """Context manager (and decorator) that enables anomaly detection inside its block."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._prev = (_enabled[0], _check_nan[0])
        _enabled[0], _check_nan[0] = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        _enabled[0], _check_nan[0] = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper

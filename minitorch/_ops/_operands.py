"""Operand handling shared by the ops: torch's type promotion applied to NumPy arrays and scalars."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype


def promote(*xs: Any) -> tuple[np.ndarray, ...]:
    """Casts arrays / Python scalars to their torch result dtype (no copy when already right)."""
    if len(xs) == 2:
        a, b = xs
        if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == b.dtype:
            return xs
    elif len(xs) == 1 and type(xs[0]) is np.ndarray:
        return xs
    dt = _dtype.result_type(*xs).np
    return tuple(as_array(x, dt) for x in xs)


def as_array(x: Any, dt: np.dtype) -> np.ndarray:
    """``x`` as an array of NumPy dtype ``dt``; Python ints wrap around as torch's do."""
    if type(x) is np.ndarray:
        return x if x.dtype == dt else x.astype(dt)
    try:
        return np.asarray(x, dtype=dt)
    except OverflowError:
        return np.asarray(x).astype(dt)


def float_result(*xs: Any) -> tuple[np.ndarray, ...]:
    """Like ``promote`` but integer/bool results become the default float dtype (true division, exp...)."""
    dt = _dtype.result_type(*xs)
    if not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    return tuple(as_array(x, dt.np) for x in xs)


def type_name(dt: np.dtype) -> str:
    """torch's scalar-type name of a NumPy dtype, as in its error messages ('Float', 'Long', 'Bool')."""
    return _dtype._BY_NP[dt]._legacy[:-6]


def not_implemented(kernel: str, dt: np.dtype) -> NotImplementedError:
    """torch's error for a kernel that has no implementation for a dtype."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(dt)}'")

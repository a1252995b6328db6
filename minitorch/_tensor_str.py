"""``repr(tensor)`` in torch's format (mirrors ``torch/_tensor_str.py``).

Floats print with 4 decimals, or as ``1.`` when all are whole numbers, or in scientific notation
when the magnitudes span more than 1000x (or exceed 1e8 / fall below 1e-4); columns are aligned;
tensors over 1000 elements are summarised with ``...``; suffixes name a non-default dtype,
``grad_fn=<...>`` or ``requires_grad=True``.
"""
from __future__ import annotations

import numpy as np

from . import _dtype

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


def tensor_repr(t) -> str:
    prefix = "tensor("
    data = t._data
    summarize = data.size > THRESHOLD
    fmt = _formatter(_edge_values(data) if summarize else data)
    suffixes = []
    if data.size == 0 and data.shape != (0,):
        body = "[]"
        suffixes.append(f"size={tuple(data.shape)}")
    else:
        body = _format(data, fmt, len(prefix), summarize)
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_):
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body] + suffixes) + ")"


def _edge_values(a: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (first and last EDGEITEMS along each dim)."""
    for d in range(a.ndim):
        if a.shape[d] > 2 * EDGEITEMS:
            idx = list(range(EDGEITEMS)) + list(range(a.shape[d] - EDGEITEMS, a.shape[d]))
            a = np.take(a, idx, axis=d)
    return a


def _formatter(a: np.ndarray):
    if a.dtype == np.bool_:
        return lambda v: "True" if v else "False"
    if a.dtype.kind in "iu":
        width = max((len(str(v)) for v in a.ravel()), default=1)
        return lambda v: str(v).rjust(width)
    values = a.astype(np.float64).ravel()
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    int_mode = bool(np.all(np.ceil(finite) == finite))
    sci = False
    if finite.size:
        lo, hi = finite.min(), finite.max()
        sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)

    def one(v: float) -> str:
        if not np.isfinite(v):
            return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        if sci:
            return f"{v:.{PRECISION}e}"
        if int_mode:
            return f"{v:.0f}."
        return f"{v:.{PRECISION}f}"

    width = max((len(one(v)) for v in values), default=1)
    return lambda v: one(float(v)).rjust(width)


def _format(a: np.ndarray, fmt, indent: int, summarize: bool) -> str:
    if a.ndim == 0:
        return fmt(a.item()).strip()
    cut = summarize and a.shape[0] > 2 * EDGEITEMS
    shown = list(range(EDGEITEMS)) + [-1] + list(range(a.shape[0] - EDGEITEMS, a.shape[0])) if cut \
        else list(range(a.shape[0]))
    if a.ndim == 1:
        items = ["..." if i < 0 else fmt(a[i]) for i in shown]
        per_line = max(1, (LINEWIDTH - indent) // (max(len(s) for s in items) + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = ["..." if i < 0 else _format(a[i], fmt, indent + 1, summarize) for i in shown]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"

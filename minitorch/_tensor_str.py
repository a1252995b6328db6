"""``repr(tensor)`` in torch's format (mirrors ``torch/_tensor_str.py`` with its default print options).

Floats print with 4 decimals, or as ``1.`` when all are whole numbers, or in scientific notation
when the nonzero finite magnitudes span more than 1000x (or exceed 1e8, or fall below 1e-4 for
non-whole values); every element is padded to the widest one; rows wrap at 80 columns; tensors of
over 1000 elements are summarised with ``...``; suffixes name a non-default dtype, the size of an
empty tensor, ``grad_fn=<...>`` or ``requires_grad=True``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


def tensor_repr(t) -> str:
    prefix = "tensor("
    indent = len(prefix)
    data = t._data
    suffixes = []
    default = t.dtype in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool_)
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if t.dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        if not default:
            suffixes.append(f"dtype={t.dtype!r}")
        if data.dtype == np.float16:
            data = data.astype(np.float32)
        summarize = data.size > THRESHOLD
        fmt = _Formatter(_edge_values(data) if summarize else data)
        body = _format(data, fmt, indent, summarize)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # wrap where torch wraps: measure the suffix as torch spells it ("torch.float64")
        n = len(suffix.replace("minitorch.", "torch."))
        if last_line_len + n + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    return "".join(parts) + ")"


def _edge_values(a: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows (first and last EDGEITEMS along each dim)."""
    for d in range(a.ndim):
        if a.shape[d] > 2 * EDGEITEMS:
            idx = list(range(EDGEITEMS)) + list(range(a.shape[d] - EDGEITEMS, a.shape[d]))
            a = np.take(a, idx, axis=d)
    return a


class _Formatter:
    """Chooses the float mode (whole / fixed / scientific) and the common width from the shown values."""

    def __init__(self, a: np.ndarray):
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max(len(str(v)) for v in a.ravel().tolist())
            return
        vals = a.ravel().astype(np.float64)
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(np.ceil(vals) == vals))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if self.sci_mode:
            spec, extra = f".{PRECISION}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1
        else:
            spec, extra = f".{PRECISION}f", 0
        self.width = max(len(format(v, spec)) for v in vals.tolist()) + extra

    def __call__(self, v) -> str:
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:.{PRECISION}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{PRECISION}f}"
        return s.rjust(self.width)


def _format(a: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    cut = summarize and a.shape[0] > 2 * EDGEITEMS
    if a.ndim == 1:
        if cut:
            items = [fmt(v) for v in a[:EDGEITEMS].tolist()] + [" ..."] + [fmt(v) for v in a[-EDGEITEMS:].tolist()]
        else:
            items = [fmt(v) for v in a.tolist()]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    shown = list(range(EDGEITEMS)) + [-1] + list(range(a.shape[0] - EDGEITEMS, a.shape[0])) if cut \
        else range(a.shape[0])
    rows = ["..." if i < 0 else _format(a[i], fmt, indent + 1, summarize) for i in shown]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"

"""Padding: mirrors ``torch.nn.functional.pad`` (constant, reflect, replicate, circular).

``pad`` is a tuple of (before, after) pairs, last dim first, as in torch. Constant padding writes the
input into a filled array (negative amounts crop first, through a view); the other modes read the input
through one index map per padded dim (output position -> input position), so their backward is a
scatter-add over the same maps, whose own backward is the gather again.
"""
from __future__ import annotations

import functools
import operator
from typing import Sequence

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["pad"]

_NON_CONSTANT = """Padding size {} is not supported for {}D input tensor.
Supported combinations for non-constant padding:
  - 2D or 3D input: padding size = 2 (pads last dimension)
  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)
  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"""


class ConstantPad(Function):
    """Writes the input into an array filled with ``value``; all ``pads`` (lo, hi) are >= 0."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, pads, value):
        lead = a.ndim - len(pads)
        shape = a.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(a.shape[lead:], pads))
        ctx.key = (slice(None),) * lead + tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape[lead:], pads))
        out = np.full(shape, value, dtype=a.dtype)
        out[ctx.key] = a
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.key], None, None


def _gather(a: np.ndarray, maps: tuple) -> np.ndarray:
    """``a`` read through ``maps``: one index array per trailing dim (None = dim left as is)."""
    lead = a.ndim - len(maps)
    for k, m in enumerate(maps):
        if m is not None:
            a = np.take(a, m, axis=lead + k)
    return a


def _scatter_add(g: np.ndarray, maps: tuple, in_shape: tuple) -> np.ndarray:
    """The transpose of ``_gather``: sums ``g`` into an array of ``in_shape`` along the maps.

    A map is a few runs of consecutive positions (the interior, then one run per border column of reflect or
    replicate, or the wrapped block of circular): each run is added as one slice, which is much faster than
    ``np.add.at``; the loop is over the padding amount, never over the data."""
    lead = g.ndim - len(maps)
    for k, m in enumerate(maps):
        if m is not None:
            axis = lead + k
            pre = (slice(None),) * axis
            out = np.zeros(g.shape[:axis] + (in_shape[axis],) + g.shape[axis + 1:], dtype=g.dtype)
            bounds = [0, *(np.flatnonzero(np.diff(m) != 1) + 1).tolist(), len(m)]
            for a, b in zip(bounds[:-1], bounds[1:]):
                out[pre + (slice(m[a], m[a] + b - a),)] += g[pre + (slice(a, b),)]
            g = out
    return g


class IndexPad(Function):
    """Reflect / replicate / circular padding: a gather through per-dim index maps."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, maps):
        ctx.maps, ctx.in_shape = maps, a.shape
        return _gather(a, maps)

    @staticmethod
    def backward(ctx, grad):
        return IndexPadBackward.apply(grad, ctx.maps, ctx.in_shape), None


class IndexPadBackward(Function):
    """The gradient of ``IndexPad``: a scatter-add, whose own gradient is the gather."""

    _array_forward = True

    @staticmethod
    def forward(ctx, g, maps, in_shape):
        ctx.maps = maps
        return _scatter_add(g, maps, in_shape)

    @staticmethod
    def backward(ctx, grad):
        return IndexPad.apply(grad, ctx.maps), None, None


@functools.lru_cache(maxsize=512)
def _index_map(n: int, lo: int, hi: int, mode: str) -> np.ndarray | None:
    """For each output position of a dim of size ``n`` padded by (lo, hi), the input position it reads
    (cached: a layer pads the same shapes at every call)."""
    if lo == 0 and hi == 0:
        return None
    m = _positions(n, lo, hi, mode)
    m.flags.writeable = False
    return m


def _positions(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    p = np.arange(-lo, n + hi, dtype=np.intp)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    if mode == "circular":                      # torch crops first (negative amounts), then wraps what is left
        start, m = max(-lo, 0), n + min(lo, 0) + min(hi, 0)
        if n + lo + hi == 0:
            return p[:0]
        return (np.arange(-max(lo, 0), m + max(hi, 0), dtype=np.intp) % m) + start
    period = 2 * (n - 1) if n > 1 else 1       # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 n-3 ...
    p = np.abs(p) % period
    return np.where(p >= n, period - p, p)


def _pairs(pad: Sequence[int]) -> list[tuple[int, int]]:
    """torch's pad tuple (last dim first) as (lo, hi) pairs in dim order for the trailing dims."""
    return [(pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)][::-1]


def _check_non_constant(shape: tuple, pairs: list, mode: str) -> None:
    """torch's checks of reflect / replicate / circular padding of an input of ``shape``."""
    nd, k = len(shape), len(pairs)
    if nd not in (k + 1, k + 2):
        raise NotImplementedError(_NON_CONSTANT.format(2 * k, nd))
    if mode == "circular":
        for n, (lo, hi) in zip(shape[-k:], pairs):
            if lo > n or hi > n:      # torch's limit (against the uncropped size; past the cropped size we wrap)
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < 0 or (n + lo + hi > 0 and n + min(lo, 0) + min(hi, 0) <= 0):
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if any(n == 0 for n in shape[1:]):
        kind = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}[k]
        raise RuntimeError(f"Expected {kind} (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    for j, (n, (lo, hi)) in enumerate(zip(shape[-k:], pairs)):
        if mode == "reflect" and (lo >= n or hi >= n):           # torch numbers its arguments from #4 (last dim)
            raise RuntimeError(f"Argument #{4 + 2 * (k - 1 - j)}: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {nd - k + j} of input "
                               f"{list(shape)}")
    out = [n + lo + hi for n, (lo, hi) in zip(shape[-k:], pairs)]
    if k == 1 and out[0] < 1:
        raise RuntimeError(f"input (W: {shape[-1]}) is too small. Calculated output W: {out[0]}")
    if min(out) < 1:
        names = ("D", "H", "W")[3 - k:]
        raise RuntimeError(f"Calculated output {' '.join(f'{c}: {o}' for c, o in zip(names, out))} must be >= 1 in "
                           f"every dimension (input {', '.join(f'{c}: {n}' for c, n in zip(names, shape[-k:]))})")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the trailing ``len(pad) // 2`` dims of ``input``; ``pad`` lists (before, after) from the last dim."""
    pad = tuple(pad)
    try:
        if not all(type(p) is int for p in pad):
            pad = tuple(operator.index(p) for p in pad)
    except TypeError:
        pos, bad = next((i, p) for i, p in enumerate(pad) if not hasattr(p, "__index__"))
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                        f"{type(bad).__name__} at pos {pos}") from None
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input._data.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    pairs = _pairs(pad)
    if mode == "constant":
        return _constant_pad(input, pairs, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    shape = input._data.shape
    _check_non_constant(shape, pairs, mode)
    maps = tuple(_index_map(n, lo, hi, mode) for n, (lo, hi) in zip(shape[len(shape) - len(pairs):], pairs))
    if all(m is None for m in maps):
        return input.clone()
    return IndexPad.apply(input, maps)


def _constant_pad(input: Tensor, pairs: list, value: float) -> Tensor:
    lead = input.dim() - len(pairs)
    if any(lo < 0 or hi < 0 for lo, hi in pairs):          # negative padding crops, through a view
        key = []
        for n, (lo, hi) in zip(input.shape[lead:], pairs):
            start, stop = max(-lo, 0), n - max(-hi, 0)
            if stop < start:
                raise RuntimeError("narrow(): length must be non-negative.")
            key.append(slice(start, stop))
        input = input[(slice(None),) * lead + tuple(key)]
        pairs = [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]
    return ConstantPad.apply(input, tuple(pairs), value)

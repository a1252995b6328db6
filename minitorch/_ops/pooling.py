"""Pooling over sliding windows: the ops behind torch's max/avg/adaptive pooling and ``max_unpool``.

Every op pools over the trailing ``nd`` dims of an array ``(*lead, *spatial)``, so batched and unbatched
inputs are the same case (the functional layer checks dims and arguments).

* Max pooling pads with -inf and views every window with ``as_strided`` (shape ``(*lead, *out, *kernel)``,
  no copy); the max and first argmax come from one pass per kernel offset. The result carries torch's
  indices: flat positions inside each spatial plane. The backward adds the gradient into those positions
  (``ScatterPlane``), whose own backward reads them back (``GatherPlane``): the pair are each other's
  adjoint, so gradients of every order work. ``max_unpool`` is ``ScatterPlane`` writing, not adding.
* Adaptive max pooling runs the same max over windows gathered by index tables (torch's windows
  ``[floor(i*L/O), ceil((i+1)*L/O))``, short ones padded by repeating their last element, which leaves
  the max and the first argmax unchanged).
* Average pooling is a scaled window sum (``AvgPool``); its backward is the transposed sum
  (``AvgPoolT``, col2im: one strided add per kernel offset), and each is the other's adjoint.
* Adaptive average pooling is separable: per spatial dim either a reshape and mean (when the size divides)
  or a matmul with an (out, in) averaging matrix, in minitorch ops (their autograd gives the gradients).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor
from ..autograd.function import Function

__all__: list[str] = []


# geometry ----------------------------------------------------------------------------------------------------
def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """torch's output length; with ``ceil_mode`` the last window must start inside the input or left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _padded(a: np.ndarray, out: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
            padding: Sequence[int], dilation: Sequence[int], fill: Any) -> np.ndarray:
    """``a`` padded by ``padding`` on the left and enough on the right for every window, filled with ``fill``."""
    nd = len(kernel)
    spatial = a.shape[a.ndim - nd:]
    full = [max((o - 1) * s + (k - 1) * d + 1, n + p) for o, k, s, d, n, p in
            zip(out, kernel, stride, dilation, spatial, padding)]
    if all(p == 0 for p in padding) and tuple(full) == spatial:
        return a
    buf = np.full(a.shape[:a.ndim - nd] + tuple(full), fill, dtype=a.dtype)
    buf[(...,) + tuple(slice(p, p + n) for p, n in zip(padding, spatial))] = a
    return buf


def _windows(buf: np.ndarray, out: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
             dilation: Sequence[int]) -> np.ndarray:
    """Read-only view ``(*lead, *out, *kernel)`` of the windows of ``buf`` (no copy)."""
    nd = len(kernel)
    st = buf.strides[buf.ndim - nd:]
    shape = buf.shape[:buf.ndim - nd] + tuple(out) + tuple(kernel)
    strides = buf.strides[:buf.ndim - nd] + tuple(t * s for t, s in zip(st, stride)) + \
        tuple(t * d for t, d in zip(st, dilation))
    return as_strided(buf, shape, strides, writeable=False)


def _flat_index(local: np.ndarray, starts: Sequence[np.ndarray], steps: Sequence[int], kernel: Sequence[int],
                spatial: Sequence[int]) -> np.ndarray:
    """Flat in-plane input index of the chosen window element. ``local`` (shape ``(*lead, *out)``) indexes
    the flattened window; along spatial dim ``i`` window ``o`` starts at ``starts[i][o]`` and element ``k``
    lies ``k * steps[i]`` further, so the index is a per-window base plus a per-element offset."""
    nd = len(kernel)
    plane = [math.prod(spatial[i + 1:]) for i in range(nd)]
    base = np.zeros((1,) * nd, dtype=np.int64)
    for i in range(nd):
        base = base + starts[i].reshape((-1,) + (1,) * (nd - 1 - i)) * plane[i]
    offsets = sum(k * (step * pl) for k, step, pl in
                  zip(np.unravel_index(np.arange(math.prod(kernel)), kernel), steps, plane))
    return base + np.asarray(offsets, dtype=np.int64).take(local)


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min if dtype.kind in "iu" else False


def _max_windows(win: np.ndarray, nd: int) -> tuple[np.ndarray, np.ndarray]:
    """Max and first argmax over the last ``nd`` axes of ``win``: a running ``np.maximum`` over the kernel
    offsets, then, from the last offset to the first, where each equals the max (measured 1.5x faster than
    one argmax on the copied windows). NaN counts as the max, as in torch: when there is one, np.argmax
    over the copied windows finds it."""
    offsets = list(np.ndindex(*win.shape[win.ndim - nd:]))
    best = win[(...,) + offsets[0]].copy()
    for off in offsets[1:]:
        np.maximum(best, win[(...,) + off], out=best)
    if best.dtype.kind == "f" and np.isnan(best).any():
        local = win.reshape(win.shape[:win.ndim - nd] + (-1,)).argmax(-1)
        return best, local
    local = np.full(best.shape, len(offsets) - 1, dtype=np.int8 if len(offsets) <= 127 else np.int64)
    for j in reversed(range(len(offsets) - 1)):
        local = np.where(win[(...,) + offsets[j]] == best, local.dtype.type(j), local)
    return best, local


# scatter / gather pair: max-pool backward and max_unpool -------------------------------------------------------
def _global(idx: np.ndarray, nd: int, plane: int) -> np.ndarray:
    """In-plane indices ``(*lead, *out)`` -> indices into the flattened ``(*lead, *spatial)`` array."""
    lead = math.prod(idx.shape[:idx.ndim - nd])
    per_plane = math.prod(idx.shape[idx.ndim - nd:])
    return (idx.reshape(lead, per_plane) + np.arange(lead, dtype=np.int64)[:, None] * plane).ravel()


class ScatterPlane(Function):
    """Zeros of ``shape`` with ``src`` added at the in-plane ``idx``, or written where ``accumulate`` is False
    (the caller knows the indices are unique, or wants torch's ``max_unpool`` overwrite)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, src, idx, shape, nd, accumulate):
        ctx.idx, ctx.nd, ctx.accumulate = idx, nd, accumulate
        pos = _global(idx, nd, math.prod(shape[len(shape) - nd:]))
        out = np.zeros(math.prod(shape), dtype=src.dtype)
        if accumulate:
            np.add.at(out, pos, src.ravel())        # 2.5x faster than np.bincount(weights=) on NumPy 2
        else:
            out[pos] = src.ravel()
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return GatherPlane.apply(grad, ctx.idx, ctx.nd, ctx.accumulate), None, None, None, None


class GatherPlane(Function):
    """``a`` read at the in-plane indices ``idx`` (one value per index)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, idx, nd, accumulate):
        ctx.idx, ctx.nd, ctx.shape, ctx.accumulate = idx, nd, a.shape, accumulate
        plane = math.prod(a.shape[a.ndim - nd:])
        return np.ascontiguousarray(a).ravel()[_global(idx, nd, plane)].reshape(idx.shape)

    @staticmethod
    def backward(ctx, grad):
        return ScatterPlane.apply(grad, ctx.idx, ctx.shape, ctx.nd, ctx.accumulate), None, None, None


class ArgPool(Function):
    """Values and in-plane indices chosen by ``find(a)``; the gradient flows back to the chosen positions
    (``overlap``: windows share elements, so gradients landing on one position must be summed)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, find, nd, overlap):
        values, idx = find(a)
        ctx.idx, ctx.nd, ctx.shape, ctx.overlap = idx, nd, a.shape, overlap
        return values, idx

    @staticmethod
    def backward(ctx, grad, _):
        return ScatterPlane.apply(grad, ctx.idx, ctx.shape, ctx.nd, ctx.overlap), None, None, None


# max pooling ---------------------------------------------------------------------------------------------------
def max_pool(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
             ceil_mode: bool) -> tuple[Tensor, Tensor]:
    """Max over dilated windows of ``x`` padded with -inf: (values, flat in-plane indices)."""
    nd = len(kernel)
    spatial = tuple(x.shape[x.dim() - nd:])
    out = tuple(pool_output_size(*g, ceil_mode) for g in zip(spatial, kernel, stride, padding, dilation))
    starts = [np.arange(o) * s - p for o, s, p in zip(out, stride, padding)]

    def find(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fill = _lowest(a.dtype)
        buf = _padded(a, out, kernel, stride, padding, dilation, fill)
        values, local = _max_windows(_windows(buf, out, kernel, stride, dilation), nd)
        idx = _flat_index(local, starts, dilation, kernel, spatial)
        lowest = values == fill if any(padding) else None
        if lowest is not None and lowest.any():
            # a window whose max is the padding value (inputs at -inf) may have picked a padding slot; torch
            # reports the window's first element inside the input
            first = [st + np.maximum(-st + d - 1, 0) // d * d for st, d in zip(starts, dilation)]
            idx = np.where(lowest, _flat_index(np.zeros_like(local), first, dilation, kernel, spatial), idx)
        return values, idx

    overlap = any(s < (k - 1) * d + 1 for k, s, d in zip(kernel, stride, dilation))
    return ArgPool.apply(x, find, nd, overlap)


def _adaptive_bounds(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive windows along one dim: ``[floor(i*n/o), ceil((i+1)*n/o))`` for each output ``i``."""
    i = np.arange(o)
    return i * n // o, -((-(i + 1) * n) // o)


def adaptive_max_pool(x: Tensor, out: tuple) -> tuple[Tensor, Tensor]:
    """Max over torch's adaptive windows ``[floor(i*n/o), ceil((i+1)*n/o))``: (values, flat in-plane indices).
    Windows are gathered with one index table per dim, padded to the longest window by repeating their last
    element (which changes neither the max nor the first argmax)."""
    nd = len(out)
    spatial = tuple(x.shape[x.dim() - nd:])
    if all(n % o == 0 for n, o in zip(spatial, out)):          # equal disjoint windows: a plain max pool
        kernel = tuple(n // o for n, o in zip(spatial, out))
        return max_pool(x, kernel, kernel, (0,) * nd, (1,) * nd, False)
    starts, tables = [], []
    for n, o in zip(spatial, out):
        start, end = _adaptive_bounds(n, o)
        starts.append(start)
        tables.append(np.minimum(start[:, None] + np.arange(int((end - start).max(initial=1))), end[:, None] - 1))
    kernel = tuple(t.shape[1] for t in tables)

    def find(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # spatial dims first, (*spatial, *lead), so that one take per dim (replacing its axis by (o_i, k_i))
        # copies whole contiguous rows, and each kernel offset below reads (*out, *lead) blocks whose inner
        # axes are long: measured ~3x faster than gathering and reducing in the (*lead, *out, *kernel) layout
        nl = a.ndim - nd
        win = np.ascontiguousarray(np.moveaxis(a, tuple(range(nl)), tuple(range(nd, a.ndim))))
        for i, t in enumerate(tables):
            win = win.take(t, axis=2 * i)                       # (o0, k0, ..., o_i, k_i, s_{i+1}, ..., *lead)
        win = win.transpose(tuple(range(0, 2 * nd, 2)) + tuple(range(2 * nd, win.ndim)) +
                            tuple(range(1, 2 * nd, 2)))        # (*out, *lead, *kernel)
        values, local = _max_windows(win, nd)
        values, local = (np.moveaxis(v, tuple(range(nd)), tuple(range(nl, nl + nd))) for v in (values, local))
        values = np.ascontiguousarray(values)
        return values, _flat_index(local, starts, (1,) * nd, kernel, spatial)

    return ArgPool.apply(x, find, nd, True)


def max_unpool(x: Tensor, indices: Tensor, out_spatial: tuple) -> Tensor:
    """Zeros of spatial size ``out_spatial`` with ``x`` written at its in-plane ``indices``."""
    nd = len(out_spatial)
    shape = tuple(x.shape[:x.dim() - nd]) + tuple(out_spatial)
    return ScatterPlane.apply(x, indices._data, shape, nd, False)


# average pooling -----------------------------------------------------------------------------------------------
def _window_sum(a: np.ndarray, geom: tuple) -> np.ndarray:
    kernel, stride, padding, out = geom
    nd = len(kernel)
    win = _windows(_padded(a, out, kernel, stride, padding, (1,) * nd, 0), out, kernel, stride, (1,) * nd)
    offsets = list(np.ndindex(*kernel))
    total = win[(...,) + offsets[0]].astype(np.result_type(a.dtype, np.float32))
    for off in offsets[1:]:             # one add per kernel offset: ~10x faster than win.sum over the window axes
        total += win[(...,) + off]
    return total


def _window_sum_transposed(g: np.ndarray, geom: tuple, spatial: tuple) -> np.ndarray:
    """col2im: each output's value added to every input position of its window (one add per kernel offset)."""
    kernel, stride, padding, out = geom
    nd = len(kernel)
    lead = g.shape[:g.ndim - nd]
    full = [max((o - 1) * s + k, n + p) for o, k, s, n, p in zip(out, kernel, stride, spatial, padding)]
    buf = np.zeros(lead + tuple(full), dtype=g.dtype)
    for offset in np.ndindex(*kernel):
        buf[(...,) + tuple(slice(k, k + (o - 1) * s + 1, s) for k, o, s in zip(offset, out, stride))] += g
    return buf[(...,) + tuple(slice(p, p + n) for p, n in zip(padding, spatial))]


class AvgPool(Function):
    """Window sums of ``a`` (zero padded) times ``scale`` (broadcast over the output)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, geom, scale):
        ctx.geom, ctx.scale, ctx.spatial = geom, scale, a.shape[a.ndim - len(geom[0]):]
        return (_window_sum(a, geom) * scale).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return AvgPoolT.apply(grad, ctx.geom, ctx.scale, ctx.spatial), None, None


class AvgPoolT(Function):
    """The adjoint of ``AvgPool``: ``g * scale`` spread over the windows (col2im)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, g, geom, scale, spatial):
        ctx.geom, ctx.scale = geom, scale
        return _window_sum_transposed((g * scale).astype(g.dtype, copy=False), geom, spatial)

    @staticmethod
    def backward(ctx, grad):
        return AvgPool.apply(grad, ctx.geom, ctx.scale), None, None, None


def _window_counts(n: int, o: int, k: int, s: int, p: int, include_pad: bool) -> np.ndarray:
    """Per output position along one dim, how many elements torch's average divides by."""
    start = np.arange(o) * s - p
    end = np.minimum(start + k, n + p)
    if include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def avg_pool(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, ceil_mode: bool, count_include_pad: bool,
             divisor_override: int | None) -> Tensor:
    nd = len(kernel)
    spatial = tuple(x.shape[x.dim() - nd:])
    out = tuple(pool_output_size(n, k, s, p, 1, ceil_mode) for n, k, s, p in zip(spatial, kernel, stride, padding))
    dtype = x._data.dtype if x._data.dtype.kind == "f" else np.float64
    if divisor_override:
        scale = np.asarray(1.0 / divisor_override, dtype=dtype)
    else:
        counts = np.ones((), dtype=np.int64)
        for n, o, k, s, p in zip(spatial, out, kernel, stride, padding):
            counts = np.multiply.outer(counts, _window_counts(n, o, k, s, p, count_include_pad))
        scale = (1.0 / counts).astype(dtype)
    return AvgPool.apply(x, (kernel, stride, padding, out), scale)


def adaptive_avg_pool(x: Tensor, out: tuple) -> Tensor:
    """Mean over torch's adaptive windows. Global pooling is a mean; otherwise the op is separable: one matmul
    per resized spatial dim with an (out, in) averaging matrix (BLAS beats window sums here: measured 2-3x)."""
    nd = len(out)
    axes = tuple(range(x.dim() - nd, x.dim()))
    if all(o == 1 for o in out):
        return x.mean(axes, keepdim=True)
    for ax, n, o in zip(axes, x.shape[x.dim() - nd:], out):
        if n == o:
            continue
        start, end = _adaptive_bounds(n, o)
        j = np.arange(n)
        inside = (j >= start[:, None]) & (j < end[:, None])           # (o, n): the averaging matrix's support
        weights = Tensor._make((inside / inside.sum(1, keepdims=True)).astype(x._data.dtype))
        if ax == x.dim() - 1:
            x = x @ weights.T
        elif ax == x.dim() - 2:
            x = weights @ x
        else:
            x = (weights @ x.transpose(ax, -2)).transpose(ax, -2)
    return x

"""Convolutions as one matmul over im2col patches: the ops behind ``conv1d/2d/3d`` and
``conv_transpose1d/2d/3d`` (``torch.convolution``).

One N-d implementation serves 1d, 2d and 3d. Shapes: input ``x`` (N, C, *S), weight ``w`` (O, C/g, *K),
output ``y`` (N, O, *L), for ``g`` groups. A convolution is a bilinear map, and three NumPy kernels
compute its three faces:

* ``Conv``            y  = conv(x, w)       im2col of x, then ``w @ cols``
* ``ConvTranspose``   x  = conv_t(y, w)     a Conv of y (stride 1), or ``w^T @ y`` then col2im
* ``ConvWeight``      w  = conv_w(x, y)     im2col of x, then ``y @ cols^T`` summed over the batch

Each one's gradients are the other two (they are the three contractions of one trilinear form
``<y, conv(x, w)>``), so every backward is written with these ops and double backward works.

im2col: the zero-padded input (padded once, by one copy into a zeros buffer) is viewed through
``np.lib.stride_tricks.as_strided`` as windows (N, g, C/g, *K, *L) without copying; the copy into
contiguous columns (N, g, C/g*prod(K), prod(L)) happens once, right before the matmul. The matmul is a
single broadcast ``np.matmul`` of (g, O/g, C/g*K) with (N, g, C/g*K, L), which writes the output
directly in NC* layout (no transpose copy); ``np.tensordot`` and ``np.einsum`` measured 2-10x slower (both
copy the columns into a (C*K, N*L) matrix, then the result back to NC* layout). ``_strategy`` picks one of
three ways for Conv and ConvWeight (the measurements behind each are in its docstring):

* ``"sample"``: those per-sample columns (ConvWeight: (N, g, O/g, L) @ cols^T, then a sum over N);
* ``"batch"``: with at least as many output channels as window positions (ResNet's deep layers), columns laid
  out (g, C/g*K, N*L) and one large matmul over N*L, instead of N small ones that each re-read the weight;
* ``"shifted"``: with stride 1 and few channels (TinyVGG's 10), no columns at all. The conv is the sum over
  kernel offsets of ``w[:, :, k] @ (the input shifted by k)``, and with each window row running on over the
  whole padded row (``_windows(rows=True)``: the ``(K-1)*d`` extra positions per row are dropped afterwards), every
  shifted input is a strided matrix that BLAS reads in place. The columns are prod(K) times the input: at
  few channels, writing and reading them is the cost, and re-reading the input from cache is cheaper.

A depthwise Conv (one input channel per group, 2-d and 3-d) has no channel sum for a matmul to do; there
``_conv_depthwise`` turns the last kernel dim into one: along a row, a convolution is a matmul with a banded
matrix, done in blocks of ``_BAND`` outputs that each read a short stretch of the input row in place.

ConvTranspose with stride 1 is itself a Conv (of y, with the kernel flipped and its channel axes swapped):
measured ~2x faster than col2im, whose matmul writes a prod(K)-times larger result. With stride > 1 it is
col2im: that matmul, then a loop over the prod(K) kernel offsets (9 for 3x3), each a strided add of a
whole (N, C, *L) slab; cheaper than convolving a zero-dilated y (prod(stride) times the matmul work).

Geometry is one tuple ``geom = (stride, pad_lo, pad_hi, dilation, groups)`` of per-dim tuples (groups an
int): padding may be asymmetric (``padding="same"`` with an even kernel pads one more on the right).
"""
from __future__ import annotations

import math
from itertools import product
from typing import Iterable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["convolution"]


def output_size(size: Sequence[int], kernel: Sequence[int], geom: tuple) -> tuple:
    """Spatial size of ``conv(x, w)`` for input size ``size`` (torch's formula)."""
    stride, lo, hi, dilation, _ = geom
    return tuple((s + a + b - d * (k - 1) - 1) // st + 1
                 for s, k, st, a, b, d in zip(size, kernel, stride, lo, hi, dilation))


def _padded(x: np.ndarray, lo: tuple, hi: tuple) -> np.ndarray:
    """``x`` zero-padded by ``lo``/``hi`` on its spatial dims (x itself when there is no padding)."""
    if not any(lo) and not any(hi):
        return x
    out = np.zeros(x.shape[:2] + tuple(s + a + b for s, a, b in zip(x.shape[2:], lo, hi)), dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[2:]))] = x
    return out


def _windows(x: np.ndarray, kernel: tuple, geom: tuple, out: tuple, rows: bool = False) -> np.ndarray:
    """The read-only view (N, g, C/g, *K, *L) of the padded input's first ``out`` windows (no copy).

    With ``rows`` (stride 1 along the last two dims), each window row runs on over the whole padded row: the
    last two position axes merge into one contiguous run of R = ``out[-2] * row length`` positions, of which
    the last ``(K-1)*d`` of each row are garbage (one more zero row is padded, so the last row's garbage stays
    inside the buffer). Each sample's (C/g, R) slice at a kernel offset is then a strided matrix for BLAS.
    """
    stride, lo, hi, dilation, groups = geom
    if rows and kernel[-1] > 1:
        hi = hi[:-2] + (hi[-2] + 1, hi[-1])
    xp = _padded(x, lo, hi)
    if rows:
        xp = np.ascontiguousarray(xp)
    n, c = xp.shape[:2]
    st = xp.strides
    shape, steps = out, tuple(k * s for k, s in zip(stride, st[2:]))
    if rows:
        shape, steps = out[:-2] + (out[-2] * xp.shape[-1],), steps[:-2] + st[-1:]
    return as_strided(xp, (n, groups, c // groups) + kernel + shape,
                      (st[0], st[1] * (c // groups), st[1]) + tuple(d * s for d, s in zip(dilation, st[2:])) + steps,
                      writeable=False)


def _columns(x: np.ndarray, kernel: tuple, geom: tuple, out: tuple, batch_last: bool = False) -> np.ndarray:
    """im2col: the windows copied into contiguous columns (N, g, C/g*prod(K), prod(L)), or with ``batch_last``
    (g, C/g*prod(K), N*prod(L)), the batch axis moved next to the window positions."""
    n, groups, nd = x.shape[0], geom[4], len(kernel)
    patch = x.shape[1] // groups * math.prod(kernel)     # (sizes spelled out: -1 is ambiguous for an empty batch)
    windows = _windows(x, kernel, geom, out)
    if batch_last:         # (g, C/g, *K, N, *L)
        windows = windows.transpose((1, 2) + tuple(range(3, 3 + nd)) + (0,) + tuple(range(3 + nd, 3 + 2 * nd)))
        return np.ascontiguousarray(windows).reshape(groups, patch, n * math.prod(out))
    return np.ascontiguousarray(windows).reshape(n, groups, patch, math.prod(out))


def _strategy(out_channels: int, in_channels: int, out: tuple, geom: tuple) -> str:
    """How a contraction with ``out_channels``/``in_channels`` per group over the window grid ``out`` is computed:

    * ``"batch"``: batch-last columns and one large matmul over N*L, when there are at least as many output
      channels as window positions (instead of N small matmuls; ResNet's deep layers);
    * ``"shifted"``: no columns, one matmul per kernel offset reading the row windows in place, with stride 1
      along the last two dims, no more output than input channels and at most 32 input channels; there,
      writing and reading the prod(K)-times larger columns costs more than re-reading the input from cache
      (measured 0.4-0.9x the time of the columns with 8-32 channels; 1.1-1.3x with 64-128, and up to 7x
      with 3 input and 64 output channels);
    * ``"sample"``: per-sample columns and a batched matmul.
    """
    if out_channels >= math.prod(out):
        return "batch"
    if len(out) >= 2 and geom[0][-1] == geom[0][-2] == 1 and out_channels <= in_channels <= 32:
        return "shifted"
    return "sample"


def _conv(x: np.ndarray, w: np.ndarray, geom: tuple, out: tuple) -> np.ndarray:
    """y = w @ cols, batched over N and groups: (N, O, *L) for the first ``out`` windows."""
    groups, n, o = geom[4], x.shape[0], w.shape[0]
    if w.shape[1] == 1 and groups > 1 and len(out) >= 2:
        return _conv_depthwise(x, w, geom, out)
    strategy = _strategy(o // groups, w.shape[1], out, geom)
    # one input and output channel: each offset's matmul would be a scalar multiply-add over the whole output
    # (measured ~4x the columns' time)
    if strategy == "shifted" and w.shape[1] > 1:
        return _conv_shifted(x, w, geom, out)
    cols = _columns(x, w.shape[2:], geom, out, batch_last=strategy == "batch")
    y = np.matmul(w.reshape(groups, o // groups, -1), cols)   # (N, g, O/g, L), or (g, O/g, N*L) batch-last
    if strategy == "batch":
        return np.ascontiguousarray(y.reshape(o, n, math.prod(out)).swapaxes(0, 1)).reshape((n, o) + out)
    return y.reshape((n, o) + out)


def _matmul_sum(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The sum of ``a @ b`` over ``pairs``, accumulated in place through one scratch buffer."""
    y = term = None
    for a, b in pairs:
        if y is None:
            y = np.matmul(a, b)
            term = np.empty_like(y)
        else:
            y += np.matmul(a, b, out=term)
    return y


def _conv_shifted(x: np.ndarray, w: np.ndarray, geom: tuple, out: tuple) -> np.ndarray:
    """``_conv`` without columns: the sum over kernel offsets k of ``w[..., k] @ windows[..., k, ...]``, each a
    batched matmul that BLAS reads in place (a sample's (C/g, R) slice of the row windows is a strided matrix)."""
    groups, kernel, lead = geom[4], w.shape[2:], w.ndim - 4
    n, o = x.shape[0], w.shape[0]
    windows = _windows(x, kernel, geom, out, rows=True)                # (N, g, C/g, *K, *lead, R)
    wk = w.reshape((groups,) + (1,) * lead + (o // groups, w.shape[1]) + kernel)
    y = _matmul_sum((wk[(Ellipsis,) + k], np.moveaxis(windows[(slice(None),) * 3 + k], 2, -2))   # (.., C/g, R)
                    for k in np.ndindex(*kernel))                               # (N, g, *lead, O/g, R)
    y = np.moveaxis(y, -2, 2).reshape((n, o) + out[:-1] + (windows.shape[-1] // out[-2],))  # (N, O, *L[:-1], row)
    return np.ascontiguousarray(y[..., :out[-1]])                           # without the garbage positions


_BAND = 16  # outputs per block of the banded matmul (measured: 8-32 within ~10%, 16 best overall; 64+ 1.5-2.5x slower)


def _conv_depthwise(x: np.ndarray, w: np.ndarray, geom: tuple, out: tuple) -> np.ndarray:
    """``_conv`` with one input channel per group (``m = O/g`` outputs each), 2-d and 3-d, without columns.

    Along the last dim a convolution is a matmul with a banded matrix: output q of a block of ``_BAND`` outputs
    takes input ``s*q + d*j`` times ``w[j]``. Each block reads its own short stretch of the input row, a strided
    (rows, span) matrix that BLAS reads in place; the other kernel dims are a sum over their offsets of such
    matmuls. The columns would be prod(K) times the input (a 7x7 kernel: 49); this re-reads the input
    prod(K[:-1]) times from cache and does span/k times the multiply-adds (measured 3-8x faster than the columns
    at 7x7 and 1.3-4x at 3x3)."""
    stride, lo, hi, dilation, groups = geom
    n, m, kernel = x.shape[0], w.shape[0] // groups, w.shape[2:]
    s, d, k = stride[-1], dilation[-1], kernel[-1]
    band = min(_BAND, out[-1])
    blocks = -(-out[-1] // band)
    span = s * (band - 1) + d * (k - 1) + 1                      # the input positions one block reads
    width = x.shape[-1] + lo[-1] + hi[-1]
    extra = max(0, s * band * (blocks - 1) + span - width)       # zeros keeping the last block inside the buffer
    xp = np.ascontiguousarray(_padded(x, lo, hi[:-1] + (hi[-1] + extra,)))
    wk = w.reshape((groups, m) + kernel)
    banded = np.zeros((groups, m) + kernel[:-1] + (span, band), dtype=w.dtype)   # (g, m, *K[:-1], span, band)
    q = np.arange(band)
    for j in range(k):
        banded[..., s * q + d * j, q] = wk[..., j, None]
    # broadcast against the stretches below: (g, m, 1, *1 per lead dim, *K[:-1], span, band)
    banded = banded.reshape((groups, m, 1) + (1,) * len(out[:-2]) + kernel[:-1] + (span, band))
    st = xp.strides
    shape = (n, groups, 1, blocks) + out[:-1] + (span,)          # (N, g, 1, blocks, *lead, rows, span)
    steps = (st[0], st[1], 0, s * band * st[-1]) + tuple(a * b for a, b in zip(stride, st[2:-1])) + st[-1:]

    def stretches(offset: tuple) -> np.ndarray:
        start = xp[(slice(None), slice(None)) + tuple(slice(i * dd, None) for i, dd in zip(offset, dilation))]
        return as_strided(start, shape, steps, writeable=False)

    y = _matmul_sum((stretches(offset), banded[(Ellipsis,) + offset + (slice(None), slice(None))])
                    for offset in np.ndindex(*kernel[:-1]))     # (N, g, m, blocks, *lead, rows, band)
    y = np.moveaxis(y, 3, -2).reshape((n, groups * m) + out[:-1] + (blocks * band,))
    return np.ascontiguousarray(y[..., :out[-1]])


def _conv_transpose(y: np.ndarray, w: np.ndarray, geom: tuple, size: tuple) -> np.ndarray:
    """The input-gradient of ``_conv`` at input spatial size ``size``: with stride 1, a convolution of the padded
    ``y`` with the flipped, channel-swapped kernel; otherwise col2im."""
    stride, lo, hi, dilation, groups = geom
    n, o = y.shape[:2]
    cg, kernel, out = w.shape[1], w.shape[2:], y.shape[2:]
    # x[i] = sum_k y[i + lo - k*d] w[k]: a correlation of y padded by (K-1)*d - lo before and size + lo - L after
    # (negative only when the padding reaches beyond the kernel: col2im then)
    full_lo = tuple(d * (k - 1) - a for d, k, a in zip(dilation, kernel, lo))
    full_hi = tuple(s + a - m for s, a, m in zip(size, lo, out))
    if all(s == 1 for s in stride) and min(full_lo + full_hi) >= 0:
        flip = (Ellipsis,) + (slice(None, None, -1),) * len(kernel)
        flipped = w.reshape((groups, o // groups, cg) + kernel).swapaxes(1, 2)[flip]   # (g, C/g, O/g, *K) reversed
        flipped = np.ascontiguousarray(flipped).reshape((groups * cg, o // groups) + kernel)
        return _conv(y, flipped, (stride, full_lo, full_hi, dilation, groups), size)
    wt = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)                # (g, C/g*K, O/g)
    cols = np.matmul(wt, y.reshape(n, groups, o // groups, math.prod(out)))   # (N, g, C/g*K, L)
    cols = cols.reshape((n, groups * cg) + kernel + out)
    xp = np.zeros((n, groups * cg) + tuple(s + a + b for s, a, b in zip(size, lo, hi)), dtype=cols.dtype)
    for k in product(*map(range, kernel)):      # one strided add per kernel offset (9 for 3x3)
        xp[(Ellipsis,) + tuple(slice(i * d, i * d + (m - 1) * s + 1, s)
                               for i, d, m, s in zip(k, dilation, out, stride))] += cols[(slice(None),) * 2 + k]
    if not any(lo) and not any(hi):
        return xp
    return np.ascontiguousarray(xp[(Ellipsis,) + tuple(slice(a, a + s) for a, s in zip(lo, size))])


def _conv_weight(x: np.ndarray, y: np.ndarray, geom: tuple, kernel: tuple) -> np.ndarray:
    """The weight-gradient of ``_conv``: (O, C/g, *K), summed over the batch and the window positions."""
    groups = geom[4]
    n, o, out = y.shape[0], y.shape[1], y.shape[2:]
    strategy = _strategy(o // groups, x.shape[1] // groups, out, geom)
    if strategy == "shifted":
        return _conv_weight_shifted(x, y, geom, kernel)
    if strategy == "batch":   # one matmul contracting over N*L
        gy = np.ascontiguousarray(y.reshape(n, o, math.prod(out)).swapaxes(0, 1))
        gy = gy.reshape(groups, o // groups, n * math.prod(out))
        w = np.matmul(gy, _columns(x, kernel, geom, out, batch_last=True).transpose(0, 2, 1))
    else:                     # per-sample matmuls, then a sum over N of a small (N, g, O/g, C/g*K)
        gy = y.reshape(n, groups, o // groups, math.prod(out))
        w = np.matmul(gy, _columns(x, kernel, geom, out).transpose(0, 1, 3, 2)).sum(0)
    return w.reshape((o, x.shape[1] // groups) + kernel)


def _conv_weight_shifted(x: np.ndarray, y: np.ndarray, geom: tuple, kernel: tuple) -> np.ndarray:
    """``_conv_weight`` without columns: per kernel offset k, one batched matmul of ``y`` (laid out as the row
    windows, zeros at the garbage positions) with ``windows[..., k, ...]`` read in place, summed over the batch."""
    groups, lead = geom[4], len(kernel) - 2
    n, o, c = y.shape[0], y.shape[1], x.shape[1]
    windows = _windows(x, kernel, geom, y.shape[2:], rows=True)        # (N, g, C/g, *K, *lead, R)
    rows = np.zeros(y.shape[:-1] + (x.shape[-1] + geom[1][-1] + geom[2][-1],), dtype=y.dtype)
    rows[..., :y.shape[-1]] = y
    gy = np.moveaxis(rows.reshape((n, groups, o // groups) + windows.shape[3 + len(kernel):]), 2, -2)
    summed = (0,) + tuple(range(2, 2 + lead))                               # gy: (N, g, *lead, O/g, R)
    w = np.empty((groups, o // groups, c // groups) + kernel, dtype=y.dtype)
    for k in np.ndindex(*kernel):
        shifted = np.moveaxis(windows[(slice(None),) * 3 + k], 2, -1)       # (N, g, *lead, R, C/g)
        w[(Ellipsis,) + k] = np.matmul(gy, shifted).sum(summed)
    return w.reshape((o, c // groups) + kernel)


def _bias_grad(grad: Tensor) -> Tensor:
    return grad.sum((0,) + tuple(range(2, grad.dim())))


class Conv(Function):
    """``conv(x, w) + b`` (its first ``out`` windows: the output spatial size, by default all that fit);
    backward: ConvTranspose for x, ConvWeight for w, a sum for b."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, w, b, geom, out=None):
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        y = _conv(x, w, geom, out or output_size(x.shape[2:], w.shape[2:], geom))
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 2))
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = ConvTranspose.apply(grad, w, None, ctx.geom, tuple(x.shape[2:])) if ctx.needs_input_grad[0] else None
        gw = ConvWeight.apply(x, grad, ctx.geom, tuple(w.shape[2:])) if ctx.needs_input_grad[1] else None
        gb = _bias_grad(grad) if ctx.needs_input_grad[2] else None
        return gx, gw, gb       # (no gradient for geom and out)


class ConvTranspose(Function):
    """``conv_t(y, w) + b`` at output spatial size ``size``; backward: Conv for y, ConvWeight for w."""

    _array_forward = True

    @staticmethod
    def forward(ctx, y, w, b, geom, size):
        ctx.save_for_backward(y, w)
        ctx.geom = geom
        x = _conv_transpose(y, w, geom, size)
        if b is not None:
            x += b.reshape((-1,) + (1,) * (x.ndim - 2))
        return x

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        gy = Conv.apply(grad, w, None, ctx.geom, tuple(y.shape[2:])) if ctx.needs_input_grad[0] else None
        gw = ConvWeight.apply(grad, y, ctx.geom, tuple(w.shape[2:])) if ctx.needs_input_grad[1] else None
        gb = _bias_grad(grad) if ctx.needs_input_grad[2] else None
        return gy, gw, gb, None, None


class ConvWeight(Function):
    """``conv_w(x, y)``, the weight-gradient of Conv; backward: ConvTranspose for x, Conv for y."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, y, geom, kernel):
        ctx.save_for_backward(x, y)
        ctx.geom = geom
        return _conv_weight(x, y, geom, kernel)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gx = ConvTranspose.apply(y, grad, None, ctx.geom, tuple(x.shape[2:])) if ctx.needs_input_grad[0] else None
        gy = Conv.apply(x, grad, None, ctx.geom, tuple(y.shape[2:])) if ctx.needs_input_grad[1] else None
        return gx, gy, None, None


def conv_nd(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple, pad_lo: tuple, pad_hi: tuple,
            dilation: tuple, groups: int) -> Tensor:
    """Batched N-d convolution with validated arguments (per-dim tuples, possibly asymmetric padding)."""
    return Conv.apply(input, weight, bias, (stride, pad_lo, pad_hi, dilation, groups))


def conv_transpose_nd(input: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple, padding: tuple,
                      output_padding: tuple, groups: int, dilation: tuple) -> Tensor:
    """Batched N-d transposed convolution with validated arguments; weight is (C_in, C_out/g, *K)."""
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in
                 zip(input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding))
    return ConvTranspose.apply(input, weight, bias, (stride, padding, padding, dilation, groups), size)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Sequence[int], padding: Sequence[int],
                dilation: Sequence[int], transposed: bool, output_padding: Sequence[int], groups: int) -> Tensor:
    """``torch.convolution``: batched input, per-dim lists of stride/padding/dilation/output_padding."""
    stride, padding, dilation, output_padding = map(tuple, (stride, padding, dilation, output_padding))
    if transposed:
        return conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return conv_nd(input, weight, bias, stride, padding, padding, dilation, groups)

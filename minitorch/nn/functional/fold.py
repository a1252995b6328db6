"""Sliding blocks: mirrors ``torch.nn.functional`` ``unfold`` (im2col) and ``fold`` (col2im).

``unfold`` takes every (dilated, strided) kernel-sized block of the zero-padded (N, C, H, W) input into a
column: (N, C*kh*kw, L) with L the number of blocks, through the im2col of ``_ops/conv.py`` (an
``as_strided`` view, copied once). ``fold`` is its transpose: each column entry is summed back into the
position it came from, one strided slab add per kernel offset (kh*kw adds, each over the whole batch);
that measured faster than ``np.add.at`` over a precomputed index. Each is the other's backward, so
gradients of every order work.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._ops.conv import _columns
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["unfold", "fold"]


def _col2im(cols: np.ndarray, size: tuple, kernel: tuple, geom: tuple, out: tuple) -> np.ndarray:
    """Sums columns (N, C*kh*kw, L) into an (N, C, *size) array; ``out`` is the grid of blocks (L = prod(out))."""
    stride, pad, dilation = geom
    n = cols.shape[0]
    blocks = cols.reshape((n, cols.shape[1] // math.prod(kernel)) + kernel + out)
    buf = np.zeros((n, blocks.shape[1]) + tuple(s + 2 * p for s, p in zip(size, pad)), dtype=cols.dtype)
    for k in np.ndindex(*kernel):              # one strided add of an (N, C, *out) slab per kernel offset
        buf[(Ellipsis,) + tuple(slice(i * d, i * d + (m - 1) * s + 1, s)
                                for i, d, m, s in zip(k, dilation, out, stride))] += blocks[(slice(None),) * 2 + k]
    if not any(pad):
        return buf
    return np.ascontiguousarray(buf[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(pad, size))])


class Im2Col(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, x, kernel, geom, out):
        ctx.args = (x.shape[2:], kernel, geom, out)
        stride, pad, dilation = geom
        cols = _columns(x, kernel, (stride, pad, pad, dilation, 1), out)      # (N, 1, C*prod(K), L)
        return cols.reshape(cols.shape[0], cols.shape[2], cols.shape[3])

    @staticmethod
    def backward(ctx, grad):
        return Col2Im.apply(grad, *ctx.args), None, None, None


class Col2Im(Function):
    _array_forward = True

    @staticmethod
    def forward(ctx, cols, size, kernel, geom, out):
        ctx.args = (kernel, geom, out)
        return _col2im(cols, size, kernel, geom, out)

    @staticmethod
    def backward(ctx, grad):
        return Im2Col.apply(grad, *ctx.args), None, None, None, None


def _pair(name: str, value: Any) -> tuple:
    value = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    return value


def _geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple[tuple, tuple]:
    """Parses and checks the block arguments as torch does: (kernel, (stride, padding, dilation))."""
    kernel, dilation, padding, stride = (_pair(n, v) for n, v in (("kernel_size", kernel_size), ("dilation", dilation),
                                                                    ("padding", padding), ("stride", stride)))
    for what, (h, w), bad in (("kernel size", kernel, min(kernel) <= 0), ("dilation", dilation, min(dilation) <= 0),
                              ("padding", padding, min(padding) < 0), ("stride", stride, min(stride) <= 0)):
        if bad:
            expected = "non-negative" if what == "padding" else "greater than zero"
            a, b = {"kernel size": ("kernel_height", "kernel_width"), "padding": ("pad_height", "pad_width")}.get(
                what, (f"{what}_height", f"{what}_width"))
            raise RuntimeError(f"{what} should be {expected}, but got {a}: {h} {b}: {w}")
    return kernel, (stride, padding, dilation)


def _blocks(size: tuple, kernel: tuple, geom: tuple) -> tuple:
    stride, pad, dilation = geom
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, k, st, p, d in zip(size, kernel, stride, pad, dilation))


def _check_float(input: Tensor, op: str) -> None:
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{op}_out_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Columns (N, C*kh*kw, L) of the sliding blocks of an (N, C, H, W) or (C, H, W) input."""
    kernel, geom = _geometry(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        if len(shape) < 3:
            input.size(2)                         # torch's IndexError (dimension out of range)
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    out = _blocks(shape[-2:], kernel, geom)
    if min(out) < 1:
        stride, pad, dilation = geom
        raise RuntimeError(f"Given input with spatial size {shape[-2:]}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={pad}, calculated shape of the array of sliding blocks as {out}, but its "
                           "components must be at least one.")
    _check_float(input, "im2col")
    if len(shape) == 3:
        return Im2Col.apply(input.unsqueeze(0), kernel, geom, out).squeeze(0)
    return Im2Col.apply(input, kernel, geom, out)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sums columns (N, C*kh*kw, L) (or unbatched (C*kh*kw, L)) of sliding blocks into an (N, C, *output_size)."""
    size = _pair("output_size", output_size)
    kernel, geom = _geometry(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    if shape[-2] % math.prod(kernel):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={shape[-2]} and kernel_size={kernel}.")
    out = _blocks(size, kernel, geom)
    if min(out) < 1 or math.prod(out) != shape[-1]:
        stride, pad, dilation = geom
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={pad}, "
                           f"stride={stride}, expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {max(out[0], 0)} * {max(out[1], 0)} = {max(out[0], 0) * max(out[1], 0)}, "
                           f"but got input.size(2)={shape[-1]}.")
    _check_float(input, "col2im")
    if len(shape) == 2:
        return Col2Im.apply(input.unsqueeze(0), size, kernel, geom, out).squeeze(0)
    return Col2Im.apply(input, size, kernel, geom, out)

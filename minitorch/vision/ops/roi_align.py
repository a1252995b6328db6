"""Region pooling: mirrors ``torchvision.ops.roi_align`` / ``roi_pool`` and the ``RoIAlign`` / ``RoIPool`` modules.

``roi_align`` averages bilinear samples taken on a regular grid in each output bin (torchvision's CPU kernel:
same sample positions, same out-of-image rule, same adaptive grid ``ceil(roi_size / output_size)`` when
``sampling_ratio <= 0``). Bilinear weights are separable, so each roi is two small matrix products: a row weight
matrix ``wy[k, ph, i]`` (the summed weights that the samples of bin row ``ph`` put on row ``y_k + i`` of the roi's
window, divided by the bin's sample count), the roi's input window, and a column weight matrix ``wx[k, pw, j]``::

    out[k, c, ph, pw] = sum_ij wy[k, ph, i] * input[b_k, c, y_k + i, x_k + j] * wx[k, pw, j]

The weights are built with NumPy (``bincount`` over the samples, no loops). The op is linear in ``input``: its
backward is its adjoint (a scatter-add of ``wy^T @ grad @ wx`` into the windows), whose backward is the op again,
so gradients of every order work. torchvision gives no gradient for the boxes, nor does this.

``roi_pool`` takes the maximum over each bin of the rounded roi (torchvision's integer bin bounds, first maximum
on ties); the arg-max positions are found with NumPy and the output is gathered from ``input`` with minitorch
indexing, so the gradient flows to the arg-max elements as in torchvision.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..._tensor import Tensor
from ...autograd.function import Function
from ..._ops.elementwise import where
from ...nn.modules.module import Module

__all__ = ["roi_align", "roi_pool", "RoIAlign", "RoIPool"]

Boxes = Union[Tensor, Sequence[Tensor]]


def _pair(size: int | Sequence[int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


def _rois(boxes: Boxes) -> np.ndarray:
    """torchvision's ``check_roi_boxes_shape`` and ``convert_boxes_to_roi_format``: a ``[K, 5]`` array
    ``(batch index, x1, y1, x2, y2)``."""
    if isinstance(boxes, (list, tuple)):
        for b in boxes:
            assert b.shape[1] == 4, "The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]"
        arrays = [b.detach().numpy() for b in boxes]
        dtype = np.result_type(*arrays) if arrays else np.float32
        ids = [np.full((len(a), 1), i, dtype=dtype) for i, a in enumerate(arrays)]
        return np.concatenate([np.concatenate(ids), np.concatenate(arrays).astype(dtype)], axis=1)
    if isinstance(boxes, Tensor):
        assert boxes.shape[1] == 5, "The boxes tensor shape is not correct as Tensor[K, 5]"
        return boxes.detach().numpy()
    raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def _check(op: str, input: Tensor, rois: np.ndarray) -> np.ndarray:
    """The kernel's checks (RuntimeError); returns the roi batch indices (truncated, as the kernel's int cast)."""
    if input.dim() != 4:
        raise RuntimeError(f"{op}: input should be a 4D tensor [N, C, H, W], got {input.dim()}D "
                           f"with shape {tuple(input.shape)}")
    if rois.dtype != input.dtype.np:
        raise RuntimeError(f"{op}_forward_kernel: input should have the same type as rois (got {input.dtype} and "
                           f"{Tensor._make(rois[:0]).dtype})")
    if not input.is_floating_point():
        raise RuntimeError(f"\"{op}_forward_kernel\" not implemented for '{input.dtype._legacy[:-len('Tensor')]}'")
    batch = rois[:, 0].astype(np.int64)
    if batch.size and (batch.min() < 0 or batch.max() >= input.shape[0]):
        raise RuntimeError(f"{op}: roi batch index {int(batch[(batch < 0) | (batch >= input.shape[0])][0])} is "
                           f"out of range for an input batch of {input.shape[0]}")
    return batch


# roi_align ---------------------------------------------------------------------------------------------------
def _axis_weights(start: np.ndarray, bin_size: np.ndarray, grid: np.ndarray, pooled: int, size: int) -> np.ndarray:
    """Summed bilinear weights ``[K, pooled, size]`` of one axis (the kernel's ``pre_calc``).

    Sample ``i`` of bin ``p`` sits at ``start + p * bin + (i + 0.5) * bin / grid`` (in the input dtype, the
    kernel's order of operations); only ``i < grid`` exist. Samples outside ``[-1, size]`` weigh nothing; the
    others are clamped at 0 and at the last pixel."""
    t = start.dtype.type
    k = len(start)
    g = max(int(grid.max(initial=0)), 0)
    p = np.arange(pooled, dtype=start.dtype)[None, :, None]
    i = np.arange(g, dtype=start.dtype)[None, None, :]
    pos = (start[:, None, None] + p * bin_size[:, None, None]) + (i + t(0.5)) * bin_size[:, None, None] \
        / np.maximum(grid, 1).astype(start.dtype)[:, None, None]          # grid 0: no samples (masked)
    valid = (np.arange(g)[None, None, :] < grid[:, None, None]) & ~((pos < -1.0) | (pos > size))
    pos = np.where(pos <= 0, t(0), pos)
    low = pos.astype(np.int64)
    last = low >= size - 1
    low = np.where(last, size - 1, low)
    high = np.where(last, size - 1, low + 1)
    frac = np.where(last, t(0), pos - low.astype(start.dtype))
    base = (np.arange(k)[:, None, None] * pooled + np.arange(pooled)[None, :, None]) * size
    weights = np.bincount(np.concatenate([(base + low)[valid], (base + high)[valid]]),
                          np.concatenate([(t(1) - frac)[valid], frac[valid]]), minlength=k * pooled * size)
    return weights.reshape(k, pooled, size).astype(start.dtype)


def _window(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crops ``[K, pooled, size]`` weights to one window length ``S`` covering every roi's nonzero pixels:
    returns the window starts ``[K]`` (kept inside the image) and the cropped weights ``[K, pooled, S]``."""
    used = weights.any(1)
    first = used.argmax(1)
    span = np.where(used.any(1), used.shape[1] - used[:, ::-1].argmax(1) - first, 0)
    s = max(int(span.max(initial=0)), 1)
    starts = np.minimum(first, used.shape[1] - s)
    cols = starts[:, None, None] + np.arange(s)
    return starts, np.take_along_axis(weights, np.broadcast_to(cols, (len(weights), weights.shape[1], s)), 2)


class _RoIAlign(Function):
    """``out[k, c, p, q] = sum_ij wy[k, p, i] * input[b_k, c, y_k + i, x_k + j] * wx[k, q, j]``: each roi's
    window of the input (a strided view, gathered once) between its row and column weights. Linear in the input:
    its backward is :class:`_RoIAlignTranspose`, whose backward is this op again."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, geometry):
        batch, ys, xs, wy, wx = geometry
        ctx.geometry, ctx.in_shape = geometry, x.shape
        windows = sliding_window_view(x, (wy.shape[2], wx.shape[2]), axis=(2, 3))[batch, :, ys, xs]
        return wy[:, None] @ windows @ wx[:, None].transpose(0, 1, 3, 2)

    @staticmethod
    def backward(ctx, grad):
        return _RoIAlignTranspose.apply(grad, ctx.geometry, ctx.in_shape), None


class _RoIAlignTranspose(Function):
    """The adjoint of :class:`_RoIAlign`: each roi's ``wy^T @ grad @ wx`` added into its input window."""

    _array_forward = True

    @staticmethod
    def forward(ctx, grad, geometry, in_shape):
        batch, ys, xs, wy, wx = geometry
        ctx.geometry = geometry
        local = wy[:, None].transpose(0, 1, 3, 2) @ grad @ wx[:, None]            # [K, C, Sy, Sx]
        n, c, h, w = in_shape
        k, _, sy, sx = local.shape
        flat = (((batch[:, None, None, None] * c + np.arange(c)[:, None, None]) * h
                 + (ys[:, None, None, None] + np.arange(sy)[:, None])) * w + xs[:, None, None, None] + np.arange(sx))
        summed = np.bincount(flat.ravel(), local.ravel(), minlength=n * c * h * w)   # windows may overlap
        return summed.astype(grad.dtype).reshape(in_shape)

    @staticmethod
    def backward(ctx, grad):
        return _RoIAlign.apply(grad, ctx.geometry), None, None


def roi_align(input: Tensor, boxes: Boxes, output_size: int | Sequence[int], spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """RoI Align (Mask R-CNN): ``[K, C, output_size[0], output_size[1]]`` averages of bilinear samples."""
    rois = _rois(boxes)
    ph, pw = _pair(output_size)
    batch = _check("roi_align", input, rois)
    height, width = input.shape[2:]
    t = rois.dtype.type
    scale, offset = t(spatial_scale), t(0.5 if aligned else 0.0)
    x1, y1, x2, y2 = (rois[:, j] * scale - offset for j in range(1, 5))
    roi_w, roi_h = x2 - x1, y2 - y1
    if not aligned:
        roi_w, roi_h = np.maximum(roi_w, t(1)), np.maximum(roi_h, t(1))
    bin_h, bin_w = roi_h / t(ph), roi_w / t(pw)
    if sampling_ratio > 0:
        grid_h = grid_w = np.full(len(rois), sampling_ratio, dtype=np.int64)
    else:
        grid_h, grid_w = np.ceil(roi_h / t(ph)).astype(np.int64), np.ceil(roi_w / t(pw)).astype(np.int64)
    count = np.maximum(grid_h * grid_w, 1).astype(rois.dtype)
    ys, wy = _window(_axis_weights(y1, bin_h, grid_h, ph, height) / count[:, None, None])
    xs, wx = _window(_axis_weights(x1, bin_w, grid_w, pw, width))
    return _RoIAlign.apply(input, (batch, ys, xs, wy, wx))


# roi_pool ----------------------------------------------------------------------------------------------------
def _round(v: np.ndarray) -> np.ndarray:
    """C's ``round``: halves away from zero (NumPy's ``round`` rounds them to even)."""
    a = np.abs(v)
    f = np.floor(a)
    return np.copysign(f + (a - f >= 0.5), v).astype(np.int64)


def _bin_bounds(start: np.ndarray, end: np.ndarray, pooled: int, size: int, dtype: np.dtype) -> tuple:
    """Integer bin bounds ``[K, pooled]`` of the kernel: ``floor(p * bin)`` and ``ceil((p + 1) * bin)`` shifted by
    the roi start and clipped to the image, with ``bin = max(end - start + 1, 1) / pooled``."""
    t = np.dtype(dtype).type
    bin_size = np.maximum(end - start + 1, 1).astype(dtype) / t(pooled)
    p = np.arange(pooled, dtype=dtype)[None, :]
    lo = np.floor(p * bin_size[:, None]).astype(np.int64) + start[:, None]
    hi = np.ceil((p + t(1)) * bin_size[:, None]).astype(np.int64) + start[:, None]
    return np.clip(lo, 0, size), np.clip(hi, 0, size)


def _bin_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum and first arg-max ``[K, P, R]`` over the bins ``[lo, hi)`` (``[K, P]``) of axis 1 of ``values``
    ``[K, L, R]``. Empty bins give ``-inf``. The loop runs over the offsets inside a bin (a few), each step
    gathering one contiguous row per bin; a strict ``>`` keeps the first maximum, as the kernel."""
    k, length, rest = values.shape
    flat = values.reshape(k * length, rest)
    base = np.arange(k)[:, None] * length
    best = np.full((k, lo.shape[1], rest), -np.inf, dtype=values.dtype)
    arg = np.zeros(best.shape, dtype=np.int32)
    for j in range(int((hi - lo).max(initial=0))):
        v = flat[base + np.minimum(lo + j, length - 1)]
        better = v > best
        better &= (lo + j < hi)[:, :, None]
        np.copyto(best, v, where=better)
        np.copyto(arg, j, where=better)
    return best, arg


def _pool_argmax(x_last: np.ndarray, batch: np.ndarray, h_lo: np.ndarray, h_hi: np.ndarray, w_lo: np.ndarray,
                 w_hi: np.ndarray) -> np.ndarray:
    """Flat positions in the ``[N, C, H, W]`` input ``[K, C, PH, PW]`` of each bin's first maximum (any position
    for empty bins), given the input channels-last.

    Each roi's window of the input is gathered once; the maximum is taken over the column bins, then over the
    row bins of those column maxima (a separable max that keeps the kernel's first-maximum tie rule)."""
    _, height, width, c = x_last.shape
    k, ph, pw = len(batch), h_lo.shape[1], w_lo.shape[1]
    sy = min(max(int((h_hi[:, -1] - h_lo[:, 0]).max(initial=0)), 1), height)    # bins grow with p: the window
    sx = min(max(int((w_hi[:, -1] - w_lo[:, 0]).max(initial=0)), 1), width)
    ys, xs = np.minimum(h_lo[:, 0], height - sy), np.minimum(w_lo[:, 0], width - sx)
    windows = x_last[batch[:, None, None], (ys[:, None] + np.arange(sy))[:, None, :],
                     (xs[:, None] + np.arange(sx))[:, :, None]]            # [K, Sx, Sy, C]
    col_max, col_arg = _bin_max(windows.reshape(k, sx, sy * c), w_lo - xs[:, None], w_hi - xs[:, None])
    col_max = col_max.reshape(k, pw, sy, c).transpose(0, 2, 1, 3).reshape(k, sy, pw * c)
    _, row_arg = _bin_max(col_max, h_lo - ys[:, None], h_hi - ys[:, None])     # [K, PH, PW * C]
    rows = np.minimum(h_lo[:, :, None, None] - ys[:, None, None, None] + row_arg.reshape(k, ph, pw, c), sy - 1)
    cols = col_arg.reshape(k, pw, sy, c)[np.arange(k)[:, None, None, None], np.arange(pw)[:, None], rows,
                                         np.arange(c)]                 # the arg-max column of that row
    rows = rows + ys[:, None, None, None]
    cols = np.minimum(cols + w_lo[:, None, :, None], width - 1)
    index = ((batch[:, None, None, None] * c + np.arange(c)) * height + rows) * width + cols    # [K, PH, PW, C]
    return index.transpose(0, 3, 1, 2)


def roi_pool(input: Tensor, boxes: Boxes, output_size: int | Sequence[int], spatial_scale: float = 1.0) -> Tensor:
    """RoI Pool (Fast R-CNN): ``[K, C, output_size[0], output_size[1]]`` maxima over the bins of rounded rois.

    Rois are grouped by the power of two above their larger side, so that a few large rois do not make every
    roi's window large (a loop over at most log2(H + W) groups)."""
    rois = _rois(boxes)
    ph, pw = _pair(output_size)
    batch = _check("roi_pool", input, rois)
    _, c, height, width = input.shape
    scale = rois.dtype.type(spatial_scale)
    x1, y1, x2, y2 = (_round(rois[:, j] * scale) for j in range(1, 5))
    h_lo, h_hi = _bin_bounds(y1, y2, ph, height, rois.dtype)
    w_lo, w_hi = _bin_bounds(x1, x2, pw, width, rois.dtype)
    side = np.maximum(np.maximum(h_hi[:, -1] - h_lo[:, 0], w_hi[:, -1] - w_lo[:, 0]), 1)
    group = np.ceil(np.log2(side)).astype(np.int64)
    x_last = np.ascontiguousarray(input.detach().numpy().transpose(0, 2, 3, 1))   # [N, H, W, C]: gathers copy C-rows
    index = np.empty((len(rois), c, ph, pw), dtype=np.int64)
    for g in np.unique(group):
        sel = np.flatnonzero(group == g)
        index[sel] = _pool_argmax(x_last, batch[sel], h_lo[sel], h_hi[sel], w_lo[sel], w_hi[sel])
    nonempty = (h_hi > h_lo)[:, None, :, None] & (w_hi > w_lo)[:, None, None, :]          # empty bins give 0
    picked = input.reshape(-1)[Tensor._make(index)]
    return where(Tensor._make(np.broadcast_to(nonempty, index.shape)), picked, 0)


# modules -----------------------------------------------------------------------------------------------------
class RoIAlign(Module):
    """See :func:`roi_align`."""

    def __init__(self, output_size: int | Sequence[int], spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")


class RoIPool(Module):
    """See :func:`roi_pool`."""

    def __init__(self, output_size: int | Sequence[int], spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"

"""Normalisation functions: mirrors ``torch.nn.functional`` ``batch_norm``, ``layer_norm``, ``group_norm``,
``rms_norm``, ``normalize`` and ``local_response_norm``.

``batch_norm`` in training mode and ``layer_norm`` (``group_norm`` is a layer norm over groups) are fused
``Function``s, because they run inside every CNN / transformer step: the forward computes the statistics once
on arrays (training ``batch_norm`` also updates the running statistics in place with the unbiased variance,
without bumping their version, as torch's kernel), and the backward is the closed-form formula written in
minitorch ops. When the backward itself is recorded (``create_graph=True``) it recomputes the statistics from
the saved input with minitorch ops, so gradients of every order are exact. Evaluation-mode ``batch_norm``,
``rms_norm``, ``normalize`` and ``local_response_norm`` are compositions of minitorch ops.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

import minitorch as _mt

from ..._ops._operands import not_implemented, type_name
from ..._tensor import Tensor, _wrap_dim
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled

__all__ = ["batch_norm", "layer_norm", "group_norm", "rms_norm", "normalize", "local_response_norm", "instance_norm"]


def _recorded_stats(x: Tensor, dims: tuple, eps: float) -> tuple[Tensor, Tensor]:
    """``(x - mean, 1/sqrt(var + eps))`` over ``dims`` in minitorch ops: what a backward uses when it is itself
    recorded (``create_graph=True``), so that the statistics depend on ``x`` and double backward is exact."""
    c = x - x.mean(dims, keepdim=True)
    return c, ((c * c).mean(dims, keepdim=True) + eps).rsqrt()


def _moments(x: np.ndarray, dims: tuple, eps: float) -> tuple:
    """Mean, centred input, biased variance and ``1/sqrt(var + eps)`` over ``dims`` (kept), on arrays."""
    n = x.dtype.type(math.prod(x.shape[d] for d in dims))
    mean = np.add.reduce(x, axis=dims, keepdims=True) / n
    c = x - mean
    drift = np.add.reduce(c, axis=dims, keepdims=True) / n     # the rounding error of the first mean: a second
    mean += drift                                               # pass removes it, so that near-constant channels
    c -= drift                                                  # keep their tiny variance (torch sums in double)
    letters = "abcdefghijklmnopqrstuvwxyz"[:x.ndim]
    kept = "".join(ch for i, ch in enumerate(letters) if i not in dims)
    var = np.einsum(f"{letters},{letters}->{kept}", c, c).reshape(mean.shape) / n   # no temporary for c * c
    return mean, c, var, (1 / np.sqrt(var + x.dtype.type(eps))).astype(x.dtype, copy=False)


class NativeBatchNorm(Function):
    """Training-mode batch norm over every dim but 1; updates the running statistics in place."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        dims = (0,) + tuple(range(2, x.ndim))
        mean, c, var, invstd = _moments(x, dims, eps)
        n = c.size // c.shape[1]
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(-1)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var.reshape(-1)
        shape = mean.shape
        scale = invstd if weight is None else invstd * weight.reshape(shape)
        c *= scale
        if bias is not None:
            c += bias.reshape(shape)
        ctx.dims, ctx.eps, ctx.n, ctx.shape = dims, eps, n, shape
        ctx.save_for_backward(x, weight, mean, invstd)
        return c

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        dims, n = ctx.dims, ctx.n
        c, invstd = _recorded_stats(x, dims, ctx.eps) if is_grad_enabled() else (x - mean, invstd)
        sum_g = grad.sum(dims, keepdim=True)
        sum_gxhat = (grad * c).sum(dims, keepdim=True) * invstd       # also the weight's gradient
        gx = None
        if ctx.needs_input_grad[0]:
            scale = invstd if weight is None else invstd * weight.reshape(ctx.shape)
            gx = (grad - sum_g / n - c * (sum_gxhat * invstd / n)) * scale
        return (gx, sum_gxhat.reshape(-1) if ctx.needs_input_grad[1] else None,
                sum_g.reshape(-1) if ctx.needs_input_grad[2] else None, None, None, None, None)


class NativeLayerNorm(Function):
    """Layer norm over the last ``ndim`` dims with an elementwise affine of those dims' shape. The normalised
    input is saved (one activation, as large as the input torch would save) to spare the backward two passes."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, weight, bias, ndim, eps):
        dims = tuple(range(x.ndim - ndim, x.ndim))
        _, xhat, _, invstd = _moments(x, dims, eps)
        xhat *= invstd
        out = xhat if weight is None else xhat * weight
        if bias is not None:
            out = out + bias
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, weight, xhat, invstd)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, xhat, invstd = ctx.saved_tensors
        dims = ctx.dims
        if is_grad_enabled():
            c, invstd = _recorded_stats(x, dims, ctx.eps)
            xhat = c * invstd
        lead = tuple(range(grad.dim() - len(dims)))
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gxhat = grad if weight is None else grad * weight
            gx = (gxhat - gxhat.mean(dims, keepdim=True) - xhat * (gxhat * xhat).mean(dims, keepdim=True)) * invstd
        if ctx.needs_input_grad[1]:
            gw = (grad * xhat).sum(lead) if lead else grad * xhat
        if ctx.needs_input_grad[2]:
            gb = grad.sum(lead) if lead else grad
        return gx, gw, gb, None, None


# checks ----------------------------------------------------------------------------------------------------
def _require_float(input: Tensor, kernel: str) -> None:
    if not input.dtype.is_floating_point:
        raise not_implemented(kernel, input._data.dtype)


def _check_same_dtype(input: Tensor, *params: Tensor | None) -> None:
    for p in params:
        if p is not None and p.dtype != input.dtype:
            raise RuntimeError("mixed dtype (CPU): " + ("all inputs must share same datatype."
                               if input.dtype.itemsize > p.dtype.itemsize else
                               f"expect parameter to have scalar type of {type_name(input._data.dtype)}"))


def _verify_batch_size(size: Sequence[int], shown: object) -> None:
    if math.prod(size[:1] + list(size[2:])) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {shown}")


def _normalized_dims(input: Tensor, normalized_shape: Sequence[int], name: str, sep: str) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    shape = [int(s) for s in normalized_shape]
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {shape}")
    if list(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape [*{sep}"
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return tuple(shape)


def _check_affine_shape(p: Tensor | None, name: str, shape: tuple) -> None:
    if p is not None and tuple(p.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(p.shape)} and normalized_shape = {list(shape)}")


# functions -------------------------------------------------------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) over the batch and every other dim; see ``BatchNorm2d``."""
    if training:
        _verify_batch_size(list(input.shape), input.shape)
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    _require_float(input, "batch_norm")
    if training:
        _wrap_dim(1, input.dim())           # torch's IndexError for a 0-d / 1-d input
    channels = input.shape[1] if input.dim() > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    _check_same_dtype(input, weight, bias, running_mean, running_var)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with respect to argument "
                               f"'{name}'. This input cannot have requires_grad True.")
    if training:
        return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, momentum, eps)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    shape = (channels,) + (1,) * (input.dim() - 2)
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the last ``len(normalized_shape)`` dims, then ``* weight + bias`` elementwise."""
    shape = _normalized_dims(input, normalized_shape, "layer_norm", ", ")
    _check_affine_shape(weight, "weight", shape)
    _check_affine_shape(bias, "bias", shape)
    _require_float(input, "LayerNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    return NativeLayerNorm.apply(input, weight, bias, len(shape), eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalises each group of ``C // num_groups`` channels of each sample, then a per-channel affine."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + list(input.shape[2:]),
                       [n * c // num_groups, num_groups] + list(input.shape[2:]))
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(input.shape)}")
    _require_float(input, "GroupNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    out = NativeLayerNorm.apply(input.reshape(n, num_groups, -1), None, None, 1, eps).reshape(input.shape)
    shape = (c,) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``input / sqrt(mean(input**2) + eps) * weight`` over the last dims; ``eps=None`` is the dtype's eps."""
    shape = _normalized_dims(input, normalized_shape, "rms_norm", "")
    _check_affine_shape(weight, "weight", shape)
    _require_float(input, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight.to(input.dtype)      # the input's dtype, whatever the weight's


def normalize(input: Tensor, p: float = 2.0, dim: int | Sequence[int] = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return result if out is None else out.copy_(result.detach())     # with ``out``: not differentiable


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Divides by ``(k + alpha * mean of squares over a window of `size` neighbouring channels) ** beta``
    (zero padding: the mean is always over ``size`` values, as torch's average pooling)."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {input.dim()} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    zeros = [_mt.zeros((input.shape[0], m) + tuple(input.shape[2:]), dtype=input.dtype) for m in (before, after)]
    padded = _mt.cat([zeros[0], sq, zeros[1]], 1)
    channels = input.shape[1]
    window = padded.narrow(1, 0, channels)
    for i in range(1, size):                                  # a loop over the window taps only
        window = window + padded.narrow(1, i, channels)
    return input / (window * (alpha / size) + k).pow(beta)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each (sample, channel) over its spatial dims: batch norm of the input seen as (1, N*C, ...),
    with the per-channel parameters and running statistics repeated N times (as torch does); the running
    statistics are then the mean over the batch of the N updated copies."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    b, c = input.shape[:2]
    rm, rv, w, bi = (None if t is None else t.repeat(b) for t in (running_mean, running_var, weight, bias))
    out = batch_norm(input.reshape(1, b * c, *input.shape[2:]), rm, rv, w, bi, use_input_stats, momentum, eps)
    if use_input_stats:                                  # the statistics change only when updated
        with _mt.no_grad():
            for stat, copies in ((running_mean, rm), (running_var, rv)):
                if stat is not None:
                    stat.copy_(copies.view(b, c).mean(0))
    return out.view(input.shape)

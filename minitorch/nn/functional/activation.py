"""Activation functions: mirrors ``torch.nn.functional`` activations (``relu`` ... ``glu``), composed from
minitorch ops so their gradients (and higher-order gradients) come from the ops' own backwards. ``inplace=True``
writes the result into the input through ``inplace_op`` (torch's in-place rules)."""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

import minitorch as _mt

from ..._ops._erf import gelu_array, gelu_backward_array
from ..._ops._operands import not_implemented
from ..._ops.inplace import inplace_op
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh",
           "hardtanh", "hardsigmoid", "hardswish", "softplus", "softsign", "softmax", "log_softmax", "softmin",
           "threshold", "glu", "logsigmoid"]

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _maybe_inplace(fn: Callable[..., Tensor], input: Tensor, inplace: bool, *args: Any) -> Tensor:
    return inplace_op(input, fn, *args) if inplace else fn(input, *args)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_mt.relu, input, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(Tensor.clamp, input, inplace, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky_relu(x: Tensor, slope: float) -> Tensor:
    return _mt.where(x > 0, x, x * slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
        weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    return _mt.where(input > 0, input, input * weight)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    neg = (x.clamp(max=0) * input_scale).expm1() * alpha   # clamped: no inf in the branch not taken
    return _mt.where(x > 0, x, neg) * scale if scale != 1.0 else _mt.where(x > 0, x, neg)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_elu, input, inplace, alpha, 1.0, 1.0 / alpha)


class Gelu(Function):
    """Exact GELU ``x * Phi(x)`` as one node; forward keeps ``Phi(x)`` for the backward (``GeluBackward``)."""

    _array_forward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out, cdf = gelu_array(x)
        ctx.save_for_backward(x, cdf)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, cdf = ctx.saved_tensors
        return GeluBackward.apply(grad, x, cdf)


class GeluBackward(Function):
    """``grad * gelu'(x)``, differentiable in turn (``gelu''(x) = phi(x) (2 - x^2)``), so every order works."""

    _array_forward = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, x: np.ndarray, cdf: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(grad, x, cdf)
        return gelu_backward_array(grad, x, cdf)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        grad, x, cdf = ctx.saved_tensors
        d_grad = GeluBackward.apply(gg, x, cdf) if ctx.needs_input_grad[0] else None
        d_x = None
        if ctx.needs_input_grad[1]:
            x2 = x * x
            d_x = gg * grad * (x2 * -0.5).exp() * (1 / math.sqrt(2 * math.pi)) * (2 - x2)
        return d_grad, d_x, None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate == "none":
        if input.dtype.np.kind != "f":
            raise not_implemented("GeluKernelImpl", input.dtype.np)
        return Gelu.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise RuntimeError(f"approximate argument must be either none or tanh.")


def _silu(x: Tensor) -> Tensor:
    return x * x.sigmoid()


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_silu, input, inplace)


def _mish(x: Tensor) -> Tensor:
    return x * softplus(x).tanh()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_mish, input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


_ONE_SIXTH_F32 = float(np.float32(1.0 / 6.0))     # torch's backward scales by a float32 1/6 in every dtype


def _hardsigmoid(x: Tensor) -> Tensor:
    y = (x + 3).clamp(0, 6)
    return y * _ONE_SIXTH_F32 + (y / 6 - y * _ONE_SIXTH_F32).detach()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_hardsigmoid, input, inplace)


def _hardswish(x: Tensor) -> Tensor:
    return x * (x + 3).clamp(0, 6) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_hardswish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    z = input * beta
    soft = z.clamp(max=threshold).exp().log1p() / beta        # clamped: no inf in the branch not taken
    return _mt.where(z > threshold, input, soft)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def _softmax_dim(ndim: int) -> int:
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as "
                  "an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return _mt.softmax(input, _softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return _mt.log_softmax(input, _softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    return _mt.softmax(-input, _softmax_dim(input.dim()) if dim is None else dim)


def _threshold(x: Tensor, threshold: float, value: float) -> Tensor:
    return _mt.where(x > threshold, x, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


class LogSigmoid(Function):
    """``log(sigmoid(x)) = -log(1 + exp(-x))`` without overflow. Its gradient ``sigmoid(-x)`` is exact at 0, where a
    ``clamp``/``abs`` composition picks the wrong subgradient (0 instead of 1/2)."""

    _array_forward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return -np.logaddexp(0, -x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-x).sigmoid()


def logsigmoid(input: Tensor) -> Tensor:
    return LogSigmoid.apply(input)

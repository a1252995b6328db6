"""Convolution functions: mirrors ``torch.nn.functional`` ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``.

Here live torch's signatures, argument parsing (ints or tuples, ``padding="same"/"valid"``), unbatched
inputs and torch's error messages; the work is done by ``minitorch/_ops/conv.py``.
"""
from __future__ import annotations

from typing import Any

from ..._ops.conv import conv_nd, conv_transpose_nd
from ..._tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def _tuple(name: str, value: Any, n: int) -> tuple:
    """An int or a sequence of 1 or ``n`` ints as an ``n``-tuple (torch's message otherwise)."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


def _check_args(stride: tuple, padding: tuple, dilation: tuple, groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _c_name(t: Tensor) -> str:
    """torch's C type name of a tensor's dtype, as in its dtype-mismatch messages ("float", "double")."""
    return t.type().split(".")[-1].replace("Tensor", "").lower()


def _batched(fn: str, input: Tensor, weight: Tensor, bias: Tensor | None, n: int, groups: int) -> tuple[Tensor, bool]:
    """Checks dims, dtypes and groups; returns the input with a batch dim and whether it had none."""
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    unbatched = input.dim() == n + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.dim() != n + 2:
        raise RuntimeError(f"Expected {n + 2}-dimensional input for {n + 2}-dimensional weight {list(weight.shape)}, "
                           f"but got {weight.dim()}-dimensional weight of size {list(weight.shape)} instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"Input type ({input.type()}) and weight type ({weight.type()}) should be the same")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input)}) and bias type ({_c_name(bias)}) should be the same")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    return input, unbatched


def _check_bias(weight: Tensor, bias: Tensor | None, out_channels: int) -> None:
    if bias is not None and bias._data.shape != (out_channels,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def same_padding(kernel: tuple, dilation: tuple) -> tuple[tuple, tuple]:
    """torch's ``padding="same"``: total ``d*(k-1)`` per dim, the odd one extra on the right."""
    total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)


def _conv(fn: str, n: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int) -> Tensor:
    stride, dilation = _tuple("stride", stride, n), _tuple("dilation", dilation, n)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        lo, hi = same_padding(tuple(weight.shape[2:]), dilation) if padding == "same" else ((0,) * n, (0,) * n)
    else:
        lo = hi = _tuple("padding", padding, n)
    _check_args(stride, lo, dilation, groups)
    input, unbatched = _batched(fn, input, weight, bias, n, groups)
    xs, ws = input._data.shape, weight._data.shape     # plain tuples: cheaper to index than Size
    if ws[1] * groups != xs[1]:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[1] * groups} channels, but got {xs[1]} channels instead")
    _check_bias(weight, bias, ws[0])
    padded = [s + a + b for s, a, b in zip(xs[2:], lo, hi)]
    kernel = [d * (k - 1) + 1 for k, d in zip(ws[2:], dilation)]
    if any(p < k for p, k in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual "
                           "input size")
    out = conv_nd(input, weight, bias, stride, lo, hi, dilation, groups)
    return out.squeeze(0) if unbatched else out


def _conv_transpose(fn: str, n: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any) -> Tensor:
    stride, dilation = _tuple("stride", stride, n), _tuple("dilation", dilation, n)
    padding, output_padding = _tuple("padding", padding, n), _tuple("output_padding", output_padding, n)
    _check_args(stride, padding, dilation, groups)
    input, unbatched = _batched(fn, input, weight, bias, n, groups)
    if weight.shape[0] != input.shape[1]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} "
                           "channels instead")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")[-max(n, 2):]
        lead = (0,) * (len(names) - n)       # torch reports a 1-d case as 2-d with height 1
        parts = [f"{what}_{name}: {v}" for what, vals in (("output_padding", lead + output_padding),
                                                           ("stride", (1,) * len(lead) + stride),
                                                           ("dilation", (1,) * len(lead) + dilation))
                 for name, v in zip(names, vals)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    _check_bias(weight, bias, weight.shape[1] * groups)
    out = conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)

"""Linear layer functions: mirrors ``torch.nn.functional.linear``.

``linear`` is one fused autograd node (torch's ``addmm``): ``x @ w.T`` by one BLAS call with the bias added in
place, and a backward of two matmuls and a sum, with no transpose or add nodes in between (computed on arrays
when nothing records the backward, in minitorch ops under ``create_graph``). Inputs the fused path does not
cover (mixed dtypes, mismatched shapes) go through ``matmul`` and ``+``, which raise torch's errors.
"""
from __future__ import annotations

import numpy as np

from ..._ops.linalg import einsum
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled

__all__ = ["linear", "bilinear"]


class Addmm(Function):
    """``x @ w.T + b`` for ``x`` of any dims >= 1, ``w`` of shape (out, in) and ``b`` of shape (out,) or None."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x, w, b):
        # numpy's batched matmul against a transposed 2-D weight is ~50x slower than one 2-D GEMM: flatten the batch
        out = np.matmul(x.reshape(-1, x.shape[-1]), w.T).reshape(*x.shape[:-1], w.shape[0]) if x.ndim > 2 \
            else np.matmul(x, w.T)
        if b is not None:
            out += b
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        if not is_grad_enabled():        # nothing records this backward: the same three products on arrays
            return tuple(None if a is None else Tensor._make(a) for a in
                         _addmm_grads(grad._data, x._data, w._data, ctx.needs_input_grad))
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = grad.matmul(w)
        if ctx.needs_input_grad[1]:
            if x.dim() == 1:
                gw = grad.unsqueeze(1) * x
            else:
                gw = grad.reshape(-1, w.shape[0]).t().matmul(x.reshape(-1, w.shape[1]))
        if ctx.needs_input_grad[2]:
            gb = grad.sum(tuple(range(grad.dim() - 1))) if grad.dim() > 1 else grad
        return gx, gw, gb


def _addmm_grads(g: np.ndarray, x: np.ndarray, w: np.ndarray, needed: tuple) -> tuple:
    """(grad x, grad w, grad b) of ``x @ w.T + b`` for the output gradient ``g``, as arrays (None where not needed)."""
    gx = gw = gb = None
    if needed[0]:
        gx = np.matmul(g.reshape(-1, g.shape[-1]), w).reshape(x.shape) if g.ndim > 2 else np.matmul(g, w)
    if needed[1]:
        gw = np.multiply.outer(g, x) if x.ndim == 1 else np.matmul(g.reshape(-1, w.shape[0]).T,
                                                                  x.reshape(-1, w.shape[1]))
    if needed[2]:
        gb = g.sum(axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g.copy()
    return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    dtype = input._data.dtype
    if (weight._data.ndim == 2 and input._data.ndim >= 1 and input._data.shape[-1] == weight._data.shape[1]
            and dtype.kind == "f" and weight._data.dtype == dtype
            and (bias is None or bias._data.shape == weight._data.shape[:1] and bias._data.dtype == dtype)):
        return Addmm.apply(input, weight, bias)
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``: one einsum contraction."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    if input1.dim() == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{weight.shape[2]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                           f"{weight.shape[0]}")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias

"""Distance functions: mirrors ``torch.nn.functional`` ``pairwise_distance`` and ``cosine_similarity``, composed
from minitorch ops (gradients of any order come from the ops)."""
from __future__ import annotations

import numpy as np

from ... import _dtype
from ..._ops.elementwise import _broadcast_error
from ..._ops.reduction import norm
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["pairwise_distance", "cosine_similarity"]


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` over the last dimension (torch's formula, broadcasting)."""
    return norm(x1 - x2 + eps, p, max(x1.dim(), x2.dim()) - 1, keepdim)


class _ClampedNorm(Function):
    """``max(norm, eps)`` whose gradient is the norm's own (torch clamps the norms in place under ``no_grad``)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, n, eps):
        return np.maximum(n, n.dtype.type(eps))

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps), dim)`` over broadcast inputs (torch's stable form)."""
    common = _dtype.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {common._legacy[:-6]}")
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise _broadcast_error(x1._data, x2._data) from None
    x1, x2 = x1.to(common).expand(shape), x2.to(common).expand(shape)
    n1 = _ClampedNorm.apply(norm(x1, 2, dim, True), eps)
    n2 = _ClampedNorm.apply(norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)

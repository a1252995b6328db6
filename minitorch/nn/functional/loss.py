"""Loss functions: mirrors ``torch.nn.functional`` ``mse_loss``, ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``,
``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``nll_loss``, ``cross_entropy``, ``kl_div``,
``margin_ranking_loss``, ``hinge_embedding_loss``, ``poisson_nll_loss``, ``multilabel_soft_margin_loss``,
``gaussian_nll_loss``, ``cosine_embedding_loss`` and ``triplet_margin_loss`` with every ``reduction`` (and the
deprecated ``size_average`` / ``reduce`` pair), composed from minitorch ops (gradients of any order come from the ops)."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import minitorch as _mt

from ..._tensor import Tensor
from ...autograd.function import Function
from .distance import pairwise_distance

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "kl_div", "margin_ranking_loss",
           "hinge_embedding_loss", "poisson_nll_loss", "multilabel_soft_margin_loss", "gaussian_nll_loss",
           "cosine_embedding_loss", "triplet_margin_loss"]


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str, stacklevel: int = 3) -> str:
    """torch's ``_Reduction.legacy_get_string``: ``reduction`` unless the deprecated pair is given (None = True)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=stacklevel)
    return ret


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({_mt.Size(target.shape)}) that is different to the input size "
                      f"({_mt.Size(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      f"Please ensure they have the same size.", stacklevel=3)


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _warn_size(input, target)
    d = input - target
    return _reduce(d * d if weight is None else d * d * weight, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _warn_size(input, target)
    d = (input - target).abs()
    return _reduce(d if weight is None else d * weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _warn_size(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(_mt.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    _check_reduction(reduction)
    _warn_size(input, target)
    d = (input - target).abs()
    loss = _mt.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


_BCE_EPS = float(np.float32(1e-12))      # torch's clamp of x (1 - x) in the BCE gradient (1e-12 as a float32)


class BinaryCrossEntropy(Function):
    """Unreduced BCE as torch computes it: each log clamped at -100; in the gradient the denominator ``x (1 - x)``
    clamped at 1e-12, so a saturated probability gets a finite gradient (the chain rule through the clamped logs
    would give ``0 * inf = nan``)."""

    _array_forward = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore"):
            return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        gx = grad * (x - y) / (x * (1 - x)).clamp(min=_BCE_EPS) if ctx.needs_input_grad[0] else None
        gy = grad * ((-x).log1p().clamp(min=-100) - x.log().clamp(min=-100)) if ctx.needs_input_grad[1] else None
        return gx, gy


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_mt.Size(target.shape)}) that is different to the input size "
                         f"({_mt.Size(input.shape)}) is deprecated. Please ensure they have the same size.")
    x = input.detach().numpy()
    if ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_mt.Size(target.shape)}) must be the same as input size "
                         f"({_mt.Size(input.shape)})")
    from .activation import logsigmoid
    softplus_neg = -logsigmoid(input)             # log(1 + exp(-x)): stable, gradient exact at 0
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        loss = (1 - target) * input + ((pos_weight - 1) * target + 1) * softplus_neg
    return _reduce(loss if weight is None else loss * weight, reduction)


def _check_target(input: Tensor, target: Tensor) -> None:
    if target.dtype not in (_mt.int64, _mt.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {str(target.dtype).split('.')[-1].capitalize()}")
    if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    expected = (input.shape[:1] + input.shape[2:]) if input.dim() >= 2 else ()
    if tuple(target.shape) != tuple(expected):
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_target(input, target)
    t = target._data.astype(np.int64, copy=False)
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    n_classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
        raise IndexError(f"Target {int(safe[(safe < 0) | (safe >= n_classes)].flat[0])} is out of bounds.")
    class_dim = 1 if input.dim() >= 2 else 0
    dtype = input._data.dtype
    w = valid.astype(dtype) if weight is None else (weight.detach().numpy()[safe] * valid).astype(dtype)
    total = w.sum()
    scale = w if reduction != "mean" else (w / total if total else np.zeros_like(w))
    coef = np.zeros(input.shape, dtype=dtype)
    if input.dim() == 2:          # (N, C): one fancy-index write; put_along_axis does the general case
        coef[np.arange(len(safe)), safe] = -scale
    else:
        np.put_along_axis(coef, np.expand_dims(safe, class_dim), -np.expand_dims(scale, class_dim), axis=class_dim)
    out = _PickedSum.apply(input, coef, class_dim if reduction == "none" else None)
    return out + float("nan") if reduction == "mean" and not total else out


class _PickedSum(Function):
    """``sum(input * coef)`` over ``dim`` (all dims when None) for a constant ``coef``: nll_loss's one node."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, coef, dim):
        ctx.dim = dim
        ctx.save_for_backward(coef)
        prod = a * coef
        return prod.sum(axis=dim) if dim is not None else np.asarray(prod.sum(), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        coef, = ctx.saved_tensors
        return (grad.unsqueeze(ctx.dim) if ctx.dim is not None else grad) * coef, None, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.dim() >= 2 else 0
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    w_view = None if weight is None else weight.reshape((n_classes,) + (1,) * (input.dim() - class_dim - 1))
    if target.dtype.is_floating_point:
        if target.shape != input.shape:
            raise RuntimeError(f"Expected target size {list(input.shape)}, got {list(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if w_view is None else logp * target * w_view
        loss = -prod.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() / n_classes)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    ignore = _mt.from_numpy(target.numpy() == ignore_index)
    smooth = -(logp if w_view is None else logp * w_view).sum(class_dim)
    smooth = _mt.where(ignore, 0.0, smooth)
    if reduction == "mean":
        keep = ~target.numpy().__eq__(ignore_index)
        denom = (weight.detach().numpy()[target.numpy()[keep]].sum() if weight is not None else keep.sum())
        smooth = smooth.sum() / float(denom) if denom else smooth.sum() + float("nan")
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _mt.where(target > 0, target * target.clamp(min=1e-300).log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = _mt.where(target != 1, (margin - input).clamp(min=0), 0.0) + _mt.where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target.clamp(min=1)
        stirling = t * t.log() - t + (t * (2 * np.pi)).log() * 0.5
        loss = loss + _mt.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    from .activation import logsigmoid
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


def _var_shape_ok(input_shape: tuple, var_shape: tuple) -> bool:
    """torch's homoscedastic rule: ``var`` of the input's shape except for one dimension, where it is 1."""
    return len(input_shape) == len(var_shape) and sum(v for i, v in zip(input_shape, var_shape) if i != v) == 1


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _mt.full_like(input, var)
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss(): var must be a float or a Tensor, got {type(var).__name__}")
    elif (var.detach().numpy() < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not _var_shape_ok(tuple(input.shape), tuple(var.shape)):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp(min=eps) - var).detach()      # clamped value, gradient passed straight through (torch)
    d = input - target
    loss = (var.log() + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


_COSINE_EPS = 1e-12      # added to both squared magnitudes, as in ATen's cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    dim = target.dim()
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != dim + 1 or input2.dim() != dim + 1:
        raise RuntimeError(f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod = (input1 * input2).sum(dim)
    mag = (((input1 * input1).sum(dim) + _COSINE_EPS) * ((input2 * input2).sum(dim) + _COSINE_EPS)).sqrt()
    cos = prod / mag
    loss = _mt.where(target == 1, 1 - cos, 0.0) + _mt.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
                           f"{negative.dim()}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _mt.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((dist_pos - dist_neg + margin).clamp(min=0), reduction)

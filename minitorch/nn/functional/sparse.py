"""Lookup functions: mirrors ``torch.nn.functional`` ``embedding``, ``embedding_bag`` and ``one_hot``.

Two Functions do the work, each the other's backward: ``_Lookup`` reads rows of a table (``np.take``) and
``_ScatterRows`` adds rows into a zero table (one flat ``np.add.at``). Bag maxima are found with flat
``np.maximum.at`` / ``np.minimum.at`` scatters and read back with ``gather``. The lookup's backward scatters the
gradient rows (scaled by a constant per row: 0 for ``padding_idx``, ``1 / frequency`` for
``scale_grad_by_freq``); a bag sum is a scatter of rows into their bags. Gradients of any order follow.
``max_norm`` renormalises the looked-up rows of ``weight`` in place, outside autograd, as torch does.
"""
from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad

__all__ = ["embedding", "embedding_bag", "one_hot"]


def _flat_index(index: np.ndarray, d: int) -> np.ndarray:
    """The flat positions of the elements of rows ``index`` in a C-ordered (rows, d) table: 1-D indices give
    NumPy's fast ``ufunc.at`` path."""
    return (index.reshape(-1, 1) * d + np.arange(d)).reshape(-1)


def _scatter_add_rows(rows: np.ndarray, index: np.ndarray, num_rows: int) -> np.ndarray:
    """``out[index[k]] += rows[k]`` into a zero (num_rows, D) table."""
    out = np.zeros((num_rows, rows.shape[-1]), dtype=rows.dtype)
    np.add.at(out.reshape(-1), _flat_index(index, rows.shape[-1]), rows.reshape(-1))
    return out


class _Lookup(Function):
    """``table[index]`` (rows); the backward scatters ``grad * coef`` (a constant per index, or None)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, table, index, coef):
        ctx.index, ctx.coef, ctx.num_rows = index, coef, table.shape[0]
        return np.take(table, index, axis=0)

    @staticmethod
    def backward(ctx, grad):
        return _ScatterRows.apply(grad, ctx.index, ctx.coef, ctx.num_rows), None, None


class _ScatterRows(Function):
    """A zero (num_rows, D) table with row ``coef[k] * rows[k]`` added at ``index[k]`` for every k."""

    _array_forward = True

    @staticmethod
    def forward(ctx, rows, index, coef, num_rows):
        ctx.index, ctx.coef = index, coef
        rows = rows.reshape(-1, rows.shape[-1])
        return _scatter_add_rows(rows if coef is None else rows * coef.reshape(-1, 1), index, num_rows)

    @staticmethod
    def backward(ctx, grad):
        out = _Lookup.apply(grad, ctx.index, None)
        if ctx.coef is not None:
            out = out * Tensor._make(ctx.coef.reshape(ctx.coef.shape + (1,)))
        return out, None, None, None


# checks ------------------------------------------------------------------------------------------------------
def _index_array(input: Tensor, op: str) -> np.ndarray:
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{input.dtype._legacy} instead (while checking arguments for "
                           f"{op})")
    return idx


def _padding(padding_idx: int | None, num: int, name: str = "Padding_idx") -> int | None:
    """``padding_idx`` made non-negative (torch's AssertionError when outside the table)."""
    if padding_idx is None:
        return None
    if padding_idx >= num or padding_idx < -num:
        raise AssertionError(f"{name} must be within num_embeddings")
    return padding_idx % num


def _renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's ``embedding_renorm_``: rows of ``weight`` used by ``idx`` with a norm over ``max_norm`` are scaled
    to ``max_norm / (norm + 1e-7)`` of themselves, in place and outside autograd."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1).astype(np.float64)
    big = norms > max_norm
    if big.any():
        with no_grad():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] *= scale[:, None]
            weight._bump_version()


def _check_range(idx: np.ndarray, num: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")


# embedding ---------------------------------------------------------------------------------------------------
def _grad_coef(idx: np.ndarray, keep: np.ndarray | None, scale_grad_by_freq: bool, dtype: np.dtype,
               num: int) -> np.ndarray | None:
    """The per-index factor of the weight gradient: ``1 / count`` of each index, 0 where not ``keep``."""
    if keep is None and not scale_grad_by_freq:
        return None
    coef = np.ones(idx.shape, dtype=dtype) if keep is None else keep.astype(dtype)
    if scale_grad_by_freq:
        coef = coef / np.bincount(idx.ravel(), minlength=num)[idx].astype(dtype)
    return coef


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows ``weight[input]`` (shape ``input.shape + (embedding_dim,)``); no gradient reaches ``padding_idx``."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    padding_idx = _padding(padding_idx, num)
    idx = _index_array(input, "embedding")
    if sparse:
        raise NotImplementedError("embedding(sparse=True): minitorch has no sparse tensors, so it cannot return a "
                                  "sparse gradient; use sparse=False")
    _check_range(idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    keep = None if padding_idx is None else idx != padding_idx
    return _Lookup.apply(weight, idx, _grad_coef(idx, keep, scale_grad_by_freq, weight._data.dtype, num))


# embedding_bag ---------------------------------------------------------------------------------------------------
def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool, psw: Tensor | None) -> tuple:
    """The flat indices, the bag of each index, the number of bags and the flat per-sample weights."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")
        idx = _index_array(input, "embedding_bag").reshape(-1)
        return idx, np.arange(idx.size) // input.shape[1], input.shape[0], None if psw is None else psw.reshape(-1)
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    idx, off = _index_array(input, "embedding_bag"), _index_array(offsets, "embedding_bag").astype(np.int64)
    n = idx.size
    if include_last_offset and not off.size:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(off[0])}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                           f"{int(off[-1])}")
    if (np.diff(off) < 0).any():
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, but got {off.tolist()}")
    num_bags = off.size - 1 if include_last_offset else off.size
    if include_last_offset or not off.size:
        n = int(off[-1]) if off.size else 0          # indices past the last offset belong to no bag
    bag = np.searchsorted(off, np.arange(n), side="right") - 1
    return idx[:n], bag, num_bags, None if psw is None else psw[:n]


def _bag_max(weight: Tensor, idx: np.ndarray, bag: np.ndarray, num_bags: int) -> Tensor:
    """Per bag and column the largest ``weight[idx]`` entry, read with ``gather`` from the first row attaining it
    (torch's choice), so its gradient goes to that row only; empty bags give zeros."""
    d = weight.shape[1]
    vals = np.take(weight._data, idx, axis=0)
    flat = _flat_index(bag, d)
    best = np.full(num_bags * d, -np.inf, dtype=vals.dtype)
    np.maximum.at(best, flat, vals.reshape(-1))
    at = np.where(vals == best.reshape(num_bags, d)[bag], np.arange(idx.size)[:, None], idx.size)
    first = np.full(num_bags * d, idx.size)
    np.minimum.at(first, flat, at.reshape(-1))
    rows = np.append(idx, 0)[first].reshape(num_bags, d)          # an empty bag reads row 0, masked below
    out = weight.gather(0, Tensor._make(rows.astype(np.int64, copy=False)))
    empty = np.bincount(bag, minlength=num_bags) == 0
    return out.masked_fill(Tensor._make(empty[:, None]), 0) if empty.any() else out


def _check_bag_options(weight: Tensor, psw: Tensor | None, mode: str, scale_grad_by_freq: bool,
                       sparse: bool) -> None:
    """torch's errors for embedding_bag options that do not go together."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if psw is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if not weight.dtype.is_floating_point:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, "
                           f"BFloat16, Float, Double; but got torch.{weight.dtype._legacy} instead (while checking "
                           "arguments for embedding_bag)")
    if psw is not None and psw.dtype is not weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type torch.{weight.dtype._legacy} does not equal "
                           f"torch.{psw.dtype._legacy} (while checking arguments for embedding_bag)")
    if sparse:
        raise NotImplementedError("embedding_bag(sparse=True): minitorch has no sparse tensors, so it cannot return a "
                                  "sparse gradient; use sparse=False")


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of rows of ``weight`` (bags: the rows of a 2-D ``input``, or the slices of a
    1-D ``input`` starting at ``offsets``); entries equal to ``padding_idx`` are left out of every bag."""
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must "
                         f"have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    idx, bag, num_bags, psw = _bags(input, offsets, include_last_offset, per_sample_weights)
    _check_bag_options(weight, psw, mode, scale_grad_by_freq, sparse)
    num = weight.shape[0]
    bad = (idx < 0) | (idx >= num)
    if bad.any():
        k = int(np.argmax(bad))
        raise RuntimeError(f"Index {k} of input takes value {int(idx[k])} which is not in the valid range [0, {num})")
    if padding_idx is not None and not -num <= padding_idx < num:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} through {num - 1}, but got "
                           f"{padding_idx}")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    coef = _grad_coef(idx, None, scale_grad_by_freq, weight._data.dtype, num)     # frequencies over the whole input
    if padding_idx is not None:
        keep = np.flatnonzero(idx != padding_idx % num)
        idx, bag = idx[keep], bag[keep]
        coef = None if coef is None else coef[keep]
        psw = None if psw is None else psw[Tensor._make(keep)]
    if mode == "max":
        return _bag_max(weight, idx, bag, num_bags)
    rows = _Lookup.apply(weight, idx, coef)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    out = _ScatterRows.apply(rows, bag, None, num_bags)
    if mode == "mean":
        counts = np.maximum(np.bincount(bag, minlength=num_bags), 1).astype(weight._data.dtype)
        out = out / Tensor._make(counts[:, None])
    return out


# one_hot ---------------------------------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dimension (``num_classes=-1``: ``max + 1`` classes)."""
    t = tensor._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size:
        if t.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if t.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((t[..., None] == np.arange(num_classes)).astype(np.int64))

"""Batch collation: mirrors ``torch.utils.data`` ``default_collate`` and ``default_convert`` (and torch's
``collate(batch, collate_fn_map=...)`` with its per-type table ``default_collate_fn_map``).

``default_collate`` turns a list of samples into a batch: tensors are stacked along a new first dimension (in a
DataLoader worker into shared memory, with the first tensor's dtype, as torch's ``stack(out=...)``), NumPy arrays
and scalars become tensors, Python floats/ints/bools become float64/int64/bool tensors, strings and bytes stay
lists, and mappings, namedtuples and sequences are collated element-wise, keeping their type where it can be
rebuilt."""
from __future__ import annotations

import collections.abc
import copy
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import _dtype, _shared_memory
from ..._ops.creation import as_tensor, tensor
from ..._ops.joining import stack
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from .worker import get_worker_info

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_STR_OR_OBJECT = re.compile(r"[SaUO]")      # NumPy dtype codes that cannot become tensors
_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"

CollateMap = dict[type | tuple[type, ...], Callable]


def _rebuild(elem: Any, values: dict | list) -> Any:
    """A container like ``elem`` holding ``values``: a shallow copy updated in place for mutable containers, the
    type called on the values otherwise, and a plain dict/list when the type cannot be rebuilt that way."""
    elem_type = type(elem)
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return elem_type(values)
    except TypeError:
        return values


def default_convert(data: Any) -> Any:
    """Converts NumPy arrays and scalars (nested in mappings, namedtuples and sequences) to tensors, without
    batching; tuples become lists, as in torch."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and _STR_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):      # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def collate(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Any:
    """Collates ``batch`` by the type of its first element: ``collate_fn_map`` (exact type, then ``isinstance`` in
    the table's order) for leaves, recursion for mappings, namedtuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):      # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild(elem, columns)
    raise TypeError(_ERROR.format(elem_type))



def _collate_tensor(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    if get_worker_info() is None:
        return stack(list(batch), 0)
    return _stack_in_worker(batch)


def _stack_in_worker(batch: Sequence[Tensor]) -> Tensor:
    """torch's collate in a worker: ``stack`` with ``out=`` a new tensor in shared memory, so that the batch reaches
    the main process without another copy (see ``transfer.py``). Being ``out=``, the result has the first
    tensor's dtype (the others are cast to it, not promoted) and autograd is refused."""
    first = batch[0]
    if any(t.shape != first.shape for t in batch):
        return stack(list(batch), 0)                  # its error
    if is_grad_enabled() and any(t.requires_grad for t in batch):
        raise RuntimeError("stack(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    dtype = first.dtype
    if not _dtype.can_cast(functools.reduce(_dtype.promote_types, (t.dtype for t in batch)), dtype):
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type {dtype._legacy[:-6]}")
    shape = (len(batch),) + tuple(first.shape)
    out = _shared_memory.empty_shared(shape, dtype.np)
    if out is None:                                   # no room in shared memory: the batch travels as a copy
        out = np.empty(shape, dtype.np)
    np.stack([t._data for t in batch], out=out, casting="unsafe")
    return Tensor._make(out)


def _collate_numpy_array(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Any:
    if _STR_OR_OBJECT.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERROR.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return as_tensor(list(batch))


def _collate_float(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(list(batch), dtype=_dtype.float64)


def _collate_int(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(list(batch))


def _collate_str(batch: Sequence, *, collate_fn_map: CollateMap | None = None) -> Sequence:
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch: Sequence) -> Any:
    """Collates a list of samples into a batch with torch's ``default_collate`` rules."""
    return collate(batch, collate_fn_map=default_collate_fn_map)

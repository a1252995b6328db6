"""Backward-graph nodes: mirrors ``torch.autograd.graph.Node`` (a tensor's ``grad_fn``),
``AccumulateGrad`` (the node that writes a leaf's ``.grad``) and saved-tensor bookkeeping.

A node keeps edges ``(node, output_nr)`` to the nodes of its inputs, the tensors it saved for
backward (each with the storage version it had when saved), and the tensor hooks of its outputs.
Saved outputs are stored without their ``grad_fn`` (which is the node itself) so that no reference
cycle forms; unpacking rebuilds them, as torch's SavedVariable does.
"""
from __future__ import annotations

import itertools
import re
import weakref
from typing import Callable

from .. import _tensor   # the module (it imports this package first): Tensor is read from it at call time

_sequence = itertools.count()


class Node:
    """One recorded operation of the backward graph."""

    _released_message = (
        "Trying to backward through the graph a second time (or directly access saved tensors after "
        "they have already been freed). Saved intermediate values of the graph are freed when you call "
        ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
        "graph a second time or if you need to access saved tensors after calling backward.")

    _edges: tuple = ()
    _saved: list | None = None
    _released = False
    _pre_hooks: dict | None = None
    _post_hooks: list | None = None
    _trace: list | None = None
    _wrapped_scalar_args: tuple = ()

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """One ``(node, output_nr)`` per tensor argument of the forward, as torch lists them (plus the Python
        numbers torch wraps as tensors: positions in ``_wrapped_scalar_args``, e.g. ``other`` of ``add``)."""
        meta = getattr(self, "_input_meta", None)
        if meta is None:
            return self._edges
        wrapped = self._wrapped_scalar_args
        return tuple(e for i, (e, m) in enumerate(zip(self._edges, meta)) if m is not None or i in wrapped)

    def register_hook(self, fn: Callable) -> "RemovableHandle":
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its input gradients."""
        if self._post_hooks is None:
            self._post_hooks = []
        return RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn: Callable) -> "RemovableHandle":
        """``fn(grad_outputs)`` runs before this node; it may return replacement gradients."""
        return self._add_tensor_hook(-1, fn)

    def _add_tensor_hook(self, output_nr: int, fn: Callable) -> "RemovableHandle":
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return RemovableHandle(self._pre_hooks.setdefault(output_nr, []), fn)

    def _unpack_saved(self) -> tuple:
        if self._released:
            raise RuntimeError(self._released_message)
        return tuple(s.unpack(self) if s is not None else None for s in (self._saved or ()))

    def _release(self) -> None:
        if self._saved:
            self._saved = None
            self._released = True

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self._seq = next(_sequence)
        self._num_outputs = 1

    def name(self) -> str:
        return "AccumulateGrad"


class SavedTensor:
    """A tensor saved for backward, with the storage version it had when saved."""

    __slots__ = ("tensor", "version", "output_nr", "data", "storage", "requires_grad", "output")

    def __init__(self, tensor, output_nr: int | None = None):
        self.version = tensor._storage._version
        self.output_nr = output_nr
        if output_nr is None:        # an input or a constant: keeping it alive makes no cycle
            self.tensor = tensor
        else:                        # an output of this node: keep data only, rebuild on unpack
            self.tensor = None
            self.data, self.storage = tensor._data, tensor._storage
            self.requires_grad = tensor._requires_grad
            self.output = weakref.ref(tensor)      # only to name its current grad_fn in the error below

    def unpack(self, node: Node):
        if self.output_nr is None:
            t = self.tensor
            current = t._storage._version
        else:
            t = _tensor.Tensor._make(self.data, self.storage)
            if self.requires_grad:
                t._requires_grad, t._grad_fn, t._output_nr = True, node, self.output_nr
            current = self.storage._version
        if current != self.version:
            current_fn = t._grad_fn
            if self.output_nr is not None and self.output() is not None:
                current_fn = self.output()._grad_fn        # the node of the in-place op that modified it
            op = re.sub(r"Backward\d*$", "", current_fn.name()) if current_fn else ""
            where = f", which is output {t._output_nr} of {op}," if op else ""
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{t.type()} {list(t.shape)}]{where} is at version {current}; expected "
                f"version {self.version} instead. Hint: enable anomaly detection to find the operation "
                "that failed to compute its gradient, with "
                "minitorch.autograd.set_detect_anomaly(True, check_nan=False).")
        return t


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: list, fn: Callable):
        self._hooks = hooks
        self._fn = fn
        self.id = next(self._ids)
        hooks.append(fn)

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

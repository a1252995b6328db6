"""``Function``: one differentiable operation, mirrors ``torch.autograd.Function``.

The same class serves user-defined functions and minitorch's own ops:

* user functions (torch's API): ``forward(ctx, *args)`` receives tensors (run under ``no_grad``) and
  returns tensors; or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``.
* built-in ops set ``_array_forward = True``: ``forward(ctx, *args)`` receives the NumPy arrays of
  the tensor arguments and returns arrays, which keeps the no-grad path cheap.

In both, ``backward(ctx, *grads)`` works on tensors with minitorch ops, so the backward pass is itself
differentiable (``create_graph=True`` gives higher-order gradients), and returns one gradient per
positional argument of ``forward`` (``None`` where there is none). Broadcasting and dtype of the
returned gradients are fixed up by the engine, in one place.

The ctx object *is* the graph node (the tensor's ``grad_fn``), as in torch.
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Sequence

import numpy as np

from . import anomaly_mode
from .grad_mode import _state, no_grad
from .graph import AccumulateGrad, Node, SavedTensor, _sequence

Tensor: Any = None   # minitorch.Tensor, set by minitorch/_tensor.py once defined (the modules import each other)


class Function(Node):
    """Base class of differentiable operations; subclass and call ``apply``."""

    _array_forward = False
    _is_view = False     # built-in ops whose output is a view of their first input's memory
    _non_differentiable = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # torch names the node of op Foo "FooBackward0" and of a custom Function Foo "FooBackward"
        cls._node_name = cls.__name__ + ("Backward0" if cls._array_forward else "Backward")

    def name(self) -> str:
        return self._node_name

    @staticmethod
    def forward(ctx: "Function", *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: "Function", inputs: tuple, output: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: "Function", *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    # ctx API -----------------------------------------------------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        """Saves inputs or outputs of forward (or other tensors/arrays) for ``backward``."""
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self._unpack_saved()

    def mark_non_differentiable(self, *outputs: Any) -> None:
        self._non_differentiable = outputs

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty = tensors

    # apply -------------------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if not cls._array_forward:
            return _apply_tensor_forward(cls, args, kwargs)
        # built-in op: the hot path of every tensor operation, so it is kept short
        arrays, record = [], False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a._requires_grad:
                    record = True
            else:
                arrays.append(a)
        record = record and _state["grad"]
        ctx = object.__new__(cls)
        raw = cls.forward(ctx, *arrays, **kwargs)
        if cls._is_view:
            return _link_view(ctx, args, arrays, raw, record)
        if type(raw) is tuple:
            outs = tuple(Tensor._make(r) for r in raw)
            if record:
                _link(ctx, args, arrays, outs, raw)
            return outs
        out = Tensor._make(raw)
        if record:
            _link(ctx, args, arrays, (out,), (raw,))
        return out


def _apply_tensor_forward(cls: type, args: tuple, kwargs: dict) -> Any:
    """``apply`` of a user-defined Function: forward sees tensors and runs under ``no_grad``."""
    ctx = object.__new__(cls)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    record = _state["grad"] and any(ctx.needs_input_grad)
    with no_grad():
        if cls.setup_context is not Function.setup_context:
            raw = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, raw)
        else:
            raw = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(raw, tuple)
    produced = (raw,) if single else raw
    # outputs are fresh tensor objects sharing memory with what forward returned, except the inputs that
    # forward modified in place (ctx.mark_dirty): those are returned themselves, with their history rebased
    dirty = ctx.__dict__.get("_dirty", ())
    if dirty:
        for d in dirty:
            if _state["grad"] and d._requires_grad and d._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            d._bump_version()            # as torch does for a tensor marked dirty
    outs = tuple(r if any(r is d for d in dirty) else Tensor._make(r._data, r._storage) if isinstance(r, Tensor)
                 else r for r in produced)
    if record:
        _link(ctx, args, list(args), outs, produced)
    return outs[0] if single else outs


def _link_view(node: Function, args: tuple, arrays: list, raw: Any, record: bool) -> Any:
    """Wraps the outputs of a view op as views sharing the input's storage and version counter
    (unless forward had to copy and said so with ``ctx.copied = True``, as reshape may)."""
    base = args[0]
    if type(raw) is tuple:
        outs = tuple(base._view_of(r) for r in raw)
    else:
        outs = (Tensor._make(raw) if "copied" in node.__dict__ else base._view_of(raw),)
    if record:
        _link(node, args, arrays, outs, raw if type(raw) is tuple else (raw,))
    elif base._requires_grad:            # a view taken under no_grad still requires grad (as a leaf), as in torch
        for o in outs:
            if o._base is not None and o._data.dtype.kind == "f":
                o._requires_grad = True
    return outs if type(raw) is tuple else outs[0]


def _link(node: Function, args: tuple, keys: Sequence, outs: tuple, out_keys: Sequence) -> None:
    """Records ``node`` in the graph: edges to the inputs, outputs' grad_fn, saved tensors.

    ``keys``/``out_keys`` are what forward saw and returned (arrays for built-in ops), used to
    recognise which inputs and outputs ``save_for_backward`` was given.
    """
    needs, edges, meta = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            needs.append(a._requires_grad)
            edges.append(gradient_edge(a))
            meta.append((a._data.shape, a._data.dtype))
        else:
            needs.append(False)
            edges.append((None, 0))
            meta.append(None)
    node.needs_input_grad, node._edges, node._input_meta = tuple(needs), tuple(edges), meta
    node._seq = next(_sequence)
    node._num_outputs = len(outs)
    if len(outs) > 1:     # to fill in zeros for outputs that receive no gradient (see engine._call_backward)
        node._output_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs)
    non_diff = node.__dict__.get("_non_differentiable", ())
    for i, o in enumerate(outs):
        if isinstance(o, Tensor) and o._data.dtype.kind == "f":
            if non_diff and any(out_keys[i] is n for n in non_diff):
                continue
            o._requires_grad, o._grad_fn, o._output_nr = True, node, i
    to_save = node.__dict__.pop("_to_save", None)
    if to_save:
        node._saved = [_save(x, args, keys, outs, out_keys) for x in to_save]
    if anomaly_mode._enabled[0]:
        node._trace = anomaly_mode.current_stack()


def _save(x: Any, args: tuple, keys: Sequence, outs: tuple, out_keys: Sequence) -> SavedTensor | None:
    if x is None:
        return None
    for i, k in enumerate(out_keys):
        if x is k:
            return SavedTensor(outs[i], output_nr=i) if outs[i]._grad_fn is not None else SavedTensor(outs[i])
    for a, k in zip(args, keys):
        if x is k and isinstance(a, Tensor):
            return SavedTensor(a)
    if isinstance(x, Tensor):
        return SavedTensor(x)
    return SavedTensor(Tensor._make(np.asarray(x)))


def gradient_edge(t) -> tuple:
    """The edge through which gradient reaches tensor ``t``: its grad_fn, or its leaf accumulator."""
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    if not t._requires_grad:
        return (None, 0)
    acc = t._grad_accumulator() if t._grad_accumulator is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._grad_accumulator = weakref.ref(acc)
    return (acc, 0)


class FunctionCtx:
    """Placeholder exported for ``torch.autograd.function.FunctionCtx`` type annotations."""


def once_differentiable(fn):
    """Marks a backward as not differentiable twice: it runs under ``no_grad``; when its incoming gradients
    require grad (``create_graph``), its results get a node that raises if differentiated, as in torch."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _state["grad"] or not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        marked = tuple(_DelayedError.apply(o.detach().requires_grad_()) if isinstance(o, Tensor)
                       and o.dtype.is_floating_point else o for o in ((outputs,) if single else outputs))
        return marked[0] if single else marked
    return wrapper


class _DelayedError(Function):
    """Identity whose backward raises: the outputs of a ``once_differentiable`` backward (torch's DelayedError)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


_DelayedError._node_name = "Error"

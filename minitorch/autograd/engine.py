"""The backward engine: mirrors what ``Tensor.backward`` and ``torch.autograd.grad`` run.

1. Walk the graph from the roots and keep only the nodes that lead to a target (the leaves'
   accumulators, or the requested ``inputs``).
2. Count, for each node, how many kept nodes feed it; a node runs once all of them have delivered.
3. Run ready nodes newest-first (as torch does). Each node's incoming gradients are summed in a
   buffer; tensor hooks may replace them; the node's backward returns gradients for its inputs,
   which are reduced to the input's shape (undoing broadcasting, in this one place) and cast to its
   dtype.
4. Without ``retain_graph`` each node frees its saved tensors after running.
"""
from __future__ import annotations

import heapq
import math
from typing import Sequence

from .. import _tensor   # the module (it imports this package first): Tensor is read from it at call time
from .._dtype import _BY_NP
from . import anomaly_mode
from .function import gradient_edge
from .grad_mode import _state
from .graph import AccumulateGrad, Node


def run_backward(roots: Sequence, grad_roots: Sequence, retain_graph: bool, create_graph: bool,
                 inputs: Sequence | None, accumulate: bool, allow_unused: bool = True) -> tuple:
    """Backpropagates ``grad_roots`` from ``roots``.

    ``accumulate=True`` (``backward``) adds into ``.grad`` of the leaves (or of ``inputs``) and
    returns (); ``accumulate=False`` (``autograd.grad``) returns the gradients of ``inputs``.
    """
    root_edges = []
    for i, t in enumerate(roots):
        edge = gradient_edge(t)
        if edge[0] is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        root_edges.append(edge)

    input_edges = [gradient_edge(t) for t in inputs] if inputs is not None else None
    if input_edges is not None:
        for i, (t, e) in enumerate(zip(inputs, input_edges)):
            if e[0] is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = {(id(n), nr) for n, nr in input_edges} if input_edges is not None else None
    target_nodes = {id(n) for n, _ in input_edges} if input_edges is not None else None

    needed, deps = _plan(root_edges, target_nodes)
    captured: dict = {}
    buffers: dict = {}
    ready: list = []
    prev_grad = _state["grad"]
    _state["grad"] = create_graph
    try:
        for (node, nr), g in zip(root_edges, grad_roots):
            _add_to_buffer(buffers, node, nr, g)
        for node in {id(n): n for n, _ in root_edges}.values():
            if deps.get(id(node), 0) == 0:
                heapq.heappush(ready, (-node._seq, id(node), node))
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(id(node), None)
            if grads is not None:
                grads = _run_tensor_hooks(node, grads)
                if targets is not None:
                    for nr, g in enumerate(grads):
                        if (id(node), nr) in targets:
                            captured[(id(node), nr)] = g
            if isinstance(node, AccumulateGrad):
                if grads is not None and accumulate and (targets is None or (id(node), 0) in targets):
                    _accumulate(node.variable, grads[0], create_graph)
                continue
            children = [e[0] for e in node._edges if e[0] is not None and id(e[0]) in needed]
            if children and grads is not None and any(g is not None for g in grads):
                input_grads = _call_backward(node, grads)
                if not retain_graph:
                    node._release()
                given: list = []
                for i, ((child, nr), g, meta) in enumerate(zip(node._edges, input_grads, node._input_meta)):
                    if child is not None and g is not None and id(child) in needed:
                        g = _validate(node, i, g, meta)
                        if (not create_graph and isinstance(child, AccumulateGrad)
                                and any(g is h for h in given + grads)):
                            g = g.clone()       # a pass-through gradient: .grad must own its memory
                        given.append(g)
                        _add_to_buffer(buffers, child, nr, g)
            for child in children:
                deps[id(child)] -= 1
                if deps[id(child)] == 0:
                    heapq.heappush(ready, (-child._seq, id(child), child))
    finally:
        _state["grad"] = prev_grad

    if input_edges is None:
        return ()
    result = []
    for t, (n, nr) in zip(inputs, input_edges):
        g = captured.get((id(n), nr))
        if accumulate and t._grad_fn is not None and g is not None and not t._retains_grad:   # else its hook did
            _accumulate(t, g, create_graph)
        if g is None and not accumulate and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)


def _plan(root_edges: list, target_nodes: set | None) -> tuple[dict, dict]:
    """Finds the nodes that lead to a target and counts each one's kept parents."""
    order, emitted, seen, stack = [], set(), set(), [n for n, _ in root_edges]
    while stack:                                   # iterative DFS, post-order
        node = stack[-1]
        if id(node) in seen:
            stack.pop()
            if id(node) not in emitted:
                emitted.add(id(node))
                order.append(node)
            continue
        seen.add(id(node))
        for child, _ in node._edges:
            if child is not None and id(child) not in seen:
                stack.append(child)
    needed: dict = {}
    for node in order:                             # children come before parents in `order`
        is_target = (isinstance(node, AccumulateGrad) if target_nodes is None else id(node) in target_nodes)
        if is_target or any(c is not None and id(c) in needed for c, _ in node._edges):
            needed[id(node)] = node
    deps: dict = {}
    for node in needed.values():
        for child, _ in node._edges:
            if child is not None and id(child) in needed:
                deps[id(child)] = deps.get(id(child), 0) + 1
    return needed, deps


def _add_to_buffer(buffers: dict, node: Node, nr: int, g) -> None:
    buf = buffers.get(id(node))
    if buf is None:
        buf = buffers[id(node)] = [None] * node._num_outputs
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _run_tensor_hooks(node: Node, grads: list) -> list:
    hooks = node._pre_hooks
    if isinstance(node, AccumulateGrad):
        tensor_hooks = node.variable._backward_hooks
        if tensor_hooks:
            g = grads[0]
            for fn in list(tensor_hooks):
                out = fn(g)
                g = out if out is not None else g
            grads = [g]
    if hooks:
        grads = list(grads)
        for nr, fns in hooks.items():
            if nr < 0:
                for fn in list(fns):
                    out = fn(tuple(grads))
                    if out is not None:
                        grads = list(out)
                continue
            for fn in sorted(fns, key=lambda f: getattr(f, "_retains_grad", False)):
                if grads[nr] is None:
                    break
                out = fn(grads[nr])
                if out is not None:
                    grads[nr] = out
    return grads


def _call_backward(node: Node, grads: list) -> tuple:
    if node._num_outputs > 1 and getattr(node, "_materialize_grads", True):
        from .._ops.creation import zeros
        grads = [zeros(m[0], dtype=_BY_NP[m[1]]) if g is None and m is not None else g
                 for g, m in zip(grads, node._output_meta)]
    out = node.backward(node, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    n_inputs = len(node._edges)
    if len(out) < n_inputs and all(e[0] is None for e in node._edges[len(out):]):
        out = out + (None,) * (n_inputs - len(out))
    if len(out) != n_inputs:
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n_inputs}, got {len(out)})")
    for i, g in enumerate(out):
        if g is not None and not isinstance(g, _tensor.Tensor):
            raise TypeError(f"function {node.name()} returned a gradient that is not a Tensor at index {i}: "
                            f"{type(g).__name__}")
    if node._post_hooks:
        for fn in node._post_hooks:
            replaced = fn(out, tuple(grads))
            if replaced is not None:
                out = tuple(replaced)
    if anomaly_mode.is_anomaly_check_nan_enabled():
        _check_nan(node, out)
    return out


def _validate(node: Node, index: int, g, meta):
    """Reduces a gradient to its input's shape (undoing broadcasting) and casts it to its dtype."""
    shape, np_dtype = meta
    if g._data.shape != shape:
        from .._ops.reduction import sum_to_shape
        if not _broadcastable_to(g._data.shape, shape):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {index} - got "
                               f"{list(g.shape)} but expected shape compatible with {list(shape)}")
        g = sum_to_shape(g, shape)
    if g._data.dtype != np_dtype and np_dtype.kind == "f":
        g = g.to(_BY_NP[np_dtype])
    return g


def _broadcastable_to(src: tuple, dst: tuple) -> bool:
    """Whether ``dst`` broadcast to ``src`` (so that ``src`` can be summed back down to ``dst``)."""
    if len(dst) > len(src):
        return math.prod(src) == math.prod(dst) and tuple(d for d in dst if d != 1) == tuple(s for s in src if s != 1)
    return all(d == 1 or d == s for s, d in zip(src[len(src) - len(dst):], dst))


def _accumulate(variable, g, create_graph: bool) -> None:
    """Adds ``g`` into ``variable.grad`` (in place unless building a graph), then post hooks."""
    if variable.grad is None:
        if not create_graph:
            g = g.detach()
            if not g._data.flags.c_contiguous or g._data.base is not None or not g._data.flags.writeable:
                g = g.contiguous() if not g._data.flags.c_contiguous else g.clone()   # .grad: C layout
        variable._grad = g
    elif create_graph or variable.grad.requires_grad:
        variable._grad = variable.grad + g
    else:
        variable.grad._data += g._data
    for hook in variable._post_accumulate_hooks or ():
        hook(variable)


def _check_nan(node: Node, grads: tuple) -> None:
    import numpy as np
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and np.isnan(g._data).any():
            trace = "".join(node._trace or ["(no forward trace: the node was created before anomaly mode)\n"])
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                               f"Forward call that created it:\n{trace}")

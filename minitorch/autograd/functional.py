"""Higher-level autograd: mirrors ``torch.autograd.functional`` (``vjp``, ``jvp``, ``jacobian``, ``hessian``,
``vhp``, ``hvp``), with torch's signatures and output structure.

A single-tensor ``inputs`` (or output) gives tensors back, a tuple gives tuples; ``jacobian`` of a tuple of
outputs with respect to a tuple of inputs is a tuple (one per output) of tuples (one per input). Results
are detached unless ``create_graph=True``. Everything is built on ``autograd.grad``: ``jvp`` uses the
double-vjp trick, ``jacobian`` takes one vjp per output element (``vectorize`` is accepted and ignored).
"""
from __future__ import annotations

from typing import Any, Callable

from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, arg: str, fn: str) -> tuple[bool, tuple]:
    """(was it a tuple, the tensors as a tuple), with torch's TypeError for anything else."""
    from .._tensor import Tensor
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                                f"element {i} of the argument has type {type(t)}.")
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the given "
                            f"{arg} has type {type(t)}.")
    return is_tuple, xs


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that require grad: cut from their graph, unless building a graph through them."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _finish(xs: tuple, create_graph: bool) -> tuple:
    return tuple(x if x is None or create_graph else x.detach() for x in xs)


def _restore(is_tuple: bool, xs: tuple) -> Any:
    return xs if is_tuple else xs[0]


def _grad(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool, strict: bool,
          stage: str) -> tuple:
    """``autograd.grad`` that tolerates outputs without a graph and unused inputs (None), or raises (strict)."""
    from . import grad
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    grads = (grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=True,
                  create_graph=create_graph, allow_unused=True) if pairs else (None,) * len(inputs))
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(f"The {stage} of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode.")
    return grads


def _zeros_for_none(grads: tuple, like: tuple) -> tuple:
    from .._ops.creation import zeros_like
    return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, like))


def _check_v(v: Any, like: tuple, fn: str, what: str) -> tuple:
    from .._ops.creation import ones_like
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided function is a "
                               "single Tensor with a single element.")
        return (ones_like(like[0]),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, like)):
        if a.shape != b.shape:
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {tuple(b.shape)} but got "
                               f"{tuple(a.shape)}.")
    return vs


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
        vs = _check_v(v, outs, "vjp", "output")
        grads = _grad(outs, xs, vs, create_graph, strict, "output")
    return (_restore(out_tuple, _finish(outs, create_graph)),
            _restore(in_tuple, _finish(_zeros_for_none(grads, xs), create_graph)))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, as the vjp of a vjp (double-backward trick)."""
    from .._ops.creation import zeros_like
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
        xs = _prepare(xs, create_graph)
        vs = _check_v(v, xs, "jvp", "input")
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        grads = _grad(outs, xs, dummies, True, strict, "output")      # u -> J^T u, linear in u
        pairs = [(g, w) for g, w in zip(grads, vs) if g is not None and g.requires_grad]
        jv = _grad(tuple(g for g, _ in pairs), dummies, tuple(w for _, w in pairs), create_graph, False, "output")
        if strict and any(j is None for j in jv):
            raise RuntimeError("The output of the user-provided function is independent of input 0. This is not "
                               "allowed in strict mode.")
    return (_restore(out_tuple, _finish(outs, create_graph)),
            _restore(out_tuple, _finish(_zeros_for_none(jv, outs), create_graph)))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``jac[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``."""
    from .._ops.creation import zeros_like
    from .._ops.joining import stack
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                         'Otherwise, prefer to use "reverse-mode".')
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph)
        out_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jacobian")
        jac = []
        for i, out in enumerate(outs):
            rows: list[list] = [[] for _ in xs]
            flat = out.reshape(-1)
            for e in range(flat.numel()):
                grads = _grad((flat[e],), xs, (None,), create_graph, strict, f"output {i}")
                for j, g in enumerate(grads):
                    rows[j].append(zeros_like(xs[j]) if g is None else g)
            per_input = tuple(
                (stack(r) if r else zeros_like(x).reshape(0, *x.shape)).reshape(*out.shape, *x.shape)
                for r, x in zip(rows, xs))
            jac.append(_restore(in_tuple, _finish(per_input, create_graph)))
    return _restore(out_tuple, tuple(jac))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of scalar ``func``: ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args: Any) -> Any:
        out = func(*args)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        grads = _grad(outs, args, (None,), True, strict, "output")
        return _restore(in_tuple, _zeros_for_none(grads, args))

    return jacobian(gradient, _restore(in_tuple, xs), create_graph=create_graph, strict=strict)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to ``vhp`` since the Hessian is symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool, name: str) -> tuple:
    with enable_grad():
        in_tuple, xs = _as_tuple(inputs, "inputs", name)
        xs = _prepare(xs, create_graph)
        vs = _check_v(v, xs, name, "input")
        _, outs = _as_tuple(func(*xs), "outputs of the user-provided function", name)
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single "
                               "element")
        jac = _grad(outs, xs, (None,), True, strict, "output")
        pairs = [(g, w) for g, w in zip(jac, vs) if g is not None and g.requires_grad]
        prod = _grad(tuple(g for g, _ in pairs), xs, tuple(w for _, w in pairs), create_graph, False, "jacobian")
        if strict and any(p is None for p in prod):
            raise RuntimeError("The jacobian of the user-provided function is independent of input 0. This is not "
                               "allowed in strict mode.")
    return (_finish(outs, create_graph)[0], _restore(in_tuple, _finish(_zeros_for_none(prod, xs), create_graph)))

"""Parity of ``minitorch.autograd.functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) with
``torch.autograd.functional``: values, shapes and the nesting of the results (tensor vs tuple vs tuple of
tuples), ``create_graph``, ``strict``; plus higher-order gradients of composite functions vs torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from parity import assert_raises_like_torch

RNG = np.random.default_rng(0)
A = RNG.standard_normal(3)
B = RNG.standard_normal((2, 3))
S = np.array([0.7])


def _to(fw, x):
    if isinstance(x, tuple):
        return tuple(_to(fw, y) for y in x)
    return fw.tensor(x, dtype=fw.float64)


def _compare(ours, theirs, tol=1e-10):
    """Same nesting (tensor / tuple / tuple of tuples), shapes, dtypes and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (type(ours), len(theirs))
        for a, b in zip(ours, theirs):
            _compare(a, b, tol)
        return
    assert isinstance(theirs, torch.Tensor) and isinstance(ours, minitorch.Tensor), (type(ours), type(theirs))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def _run(name, f, inputs, **kwargs):
    results = []
    for fw in (minitorch, torch):
        kw = {k: (_to(fw, v) if isinstance(v, (np.ndarray, tuple)) else v) for k, v in kwargs.items()}
        results.append(getattr(fw.autograd.functional, name)(lambda *xs: f(fw, *xs), _to(fw, inputs), **kw))
    _compare(*results)
    return results


FUNCS = {
    "jacobian_single": ("jacobian", lambda fw, x: x.exp() * x.sin(), A, {}),
    "jacobian_tuple_inputs": ("jacobian", lambda fw, x, y: (x * y).tanh(), (A, B), {}),
    "jacobian_tuple_outputs": ("jacobian", lambda fw, x: (x.exp(), (x * x).sum()), A, {}),
    "jacobian_tuple_both": ("jacobian", lambda fw, x, y: (x * y, x.sigmoid()), (A, B), {}),
    "jacobian_unused_input": ("jacobian", lambda fw, x, y: x * 2, (A, B), {}),
    "jacobian_scalar_io": ("jacobian", lambda fw, x: (x * x).sum(), S, {}),
    "jacobian_create_graph": ("jacobian", lambda fw, x: x.pow(3), A, {"create_graph": True}),
    "jacobian_vectorize_flag": ("jacobian", lambda fw, x: x.cos(), A, {"vectorize": True}),
    "hessian_single": ("hessian", lambda fw, x: (x.exp() * x).sum(), A, {}),
    "hessian_tuple": ("hessian", lambda fw, x, y: (x * y * y).sum(), (A, B), {}),
    "hessian_matrix_input": ("hessian", lambda fw, x: (x @ x.t()).sin().sum(), B, {}),
    "vjp_single": ("vjp", lambda fw, x: x.exp() * 2, A, {"v": A}),
    "vjp_scalar_default_v": ("vjp", lambda fw, x: (x * x).sum(), A, {}),
    "vjp_tuple": ("vjp", lambda fw, x, y: x * y, (A, B), {"v": B}),
    "vjp_tuple_outputs": ("vjp", lambda fw, x: (x * 2, x.exp()), A, {"v": (A, A)}),
    "vjp_create_graph": ("vjp", lambda fw, x: x.tanh(), A, {"v": A, "create_graph": True}),
    "jvp_single": ("jvp", lambda fw, x: x.exp() * x, A, {"v": A}),
    "jvp_scalar_default_v": ("jvp", lambda fw, x: x.sin(), S, {}),
    "jvp_tuple": ("jvp", lambda fw, x, y: (x * y, x * 3), (A, B), {"v": (A, B)}),
    "jvp_create_graph": ("jvp", lambda fw, x: x.pow(2), A, {"v": A, "create_graph": True}),
    "vhp_single": ("vhp", lambda fw, x: (x.exp() * x).sum(), A, {"v": A}),
    "vhp_tuple": ("vhp", lambda fw, x, y: (x * y * y).sum(), (A, B), {"v": (A, B)}),
    "hvp_single": ("hvp", lambda fw, x: (x.sin() * x * x).sum(), A, {"v": A}),
    "hvp_tuple": ("hvp", lambda fw, x, y: (x * y * y * x).sum(), (A, B), {"v": (A, B)}),
    "hvp_scalar_default_v": ("hvp", lambda fw, x: (x * x * x).sum(), S, {}),
}


@pytest.mark.parametrize("case", list(FUNCS), ids=list(FUNCS))
def test_functional_parity(case):
    name, f, inputs, kwargs = FUNCS[case]
    _run(name, f, inputs, **kwargs)


def test_functional_create_graph_allows_differentiating_the_result():
    grads = []
    for fw in (minitorch, torch):
        x = fw.tensor(A, dtype=fw.float64, requires_grad=True)
        jac = fw.autograd.functional.jacobian(lambda t: t.pow(3), x, create_graph=True)
        jac.sum().backward()
        grads.append(x.grad)
    _compare(grads[0], grads[1])


def test_functional_results_are_detached_without_create_graph():
    x = minitorch.tensor(A, requires_grad=True)
    out, v = minitorch.autograd.functional.vjp(lambda t: t * t, x, minitorch.ones(3))
    assert not out.requires_grad and not v.requires_grad
    assert x.grad is None


BAD = {
    "strict_independent_input": ("jacobian", lambda fw, x, y: x * 2, (A, B), {"strict": True},
                                 "independent of input 1"),
    "vjp_v_needed": ("vjp", lambda fw, x: x * 2, A, {}, "The vector v can only be None if the"),
    "vjp_v_wrong_shape": ("vjp", lambda fw, x: x * 2, A, {"v": B}, "has invalid size: should be"),
    "hvp_non_scalar": ("hvp", lambda fw, x: x * 2, A, {"v": A}, "should contain a single element"),
    "jacobian_output_not_tensor": ("jacobian", lambda fw, x: 3.0, A, {},
                                   "must be either a Tensor or a tuple of Tensors"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_functional_errors_match_torch(case):
    name, f, inputs, kwargs, match = BAD[case]

    def call(fw):
        fw_kwargs = {k: _to(fw, v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(fw.autograd.functional, name)(lambda *xs: f(fw, *xs), _to(fw, inputs), **fw_kwargs)
    assert_raises_like_torch(call, match=match)


# higher-order gradients of composite functions ----------------------------------------------------------------
def _nth_grads(fw, x_np, f, order):
    x = fw.tensor(x_np, dtype=fw.float64, requires_grad=True)
    y = f(fw, x).sum()
    out = []
    for _ in range(order):
        (y,) = fw.autograd.grad(y, x, create_graph=True)
        out.append(y)
        y = y.sum()
    return out


COMPOSITES = {
    "tanh_of_product": lambda fw, x: (x * x.exp()).tanh(),
    "sigmoid_matmul": lambda fw, x: (x.reshape(2, 2) @ x.reshape(2, 2)).sigmoid(),
    "log_softmax_like": lambda fw, x: x - (x.exp().sum()).log(),
    "pow_and_div": lambda fw, x: x.pow(3) / (x * x + 1),
    "broadcast_mul": lambda fw, x: x.reshape(4, 1) * x.reshape(1, 4).exp(),
}


@pytest.mark.parametrize("case", list(COMPOSITES), ids=list(COMPOSITES))
def test_third_order_gradients_match_torch(case):
    x = np.array([0.3, -0.8, 1.2, 0.5])
    ours = _nth_grads(minitorch, x, COMPOSITES[case], 3)
    theirs = _nth_grads(torch, x, COMPOSITES[case], 3)
    for a, b in zip(ours, theirs):
        _compare(a, b, 1e-9)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), m=st.integers(1, 3), tupled=st.booleans(),
       op=st.sampled_from(["jacobian", "hessian", "vjp", "jvp", "hvp"]))
def test_functional_hypothesis(n, m, tupled, op):
    rng = np.random.default_rng(n * 10 + m)
    x, y = rng.standard_normal(n), rng.standard_normal((m, n))
    inputs = (x, y) if tupled else x

    def f(fw, *xs):
        a = xs[0]
        b = xs[1] if tupled else a
        out = (a * b).tanh() + a.sin()
        return out.sum() if op in ("hessian", "hvp") else out

    kwargs = {}
    if op in ("vjp",):
        kwargs["v"] = np.ones((m, n) if tupled else n)
    if op in ("jvp", "hvp"):
        kwargs["v"] = (x, y) if tupled else x
    _run(op, f, inputs, **kwargs)


# random graphs: a DAG of ops over reused intermediates (incl. in-place writes), compared with torch ---------
_UNARY = ["exp", "tanh", "sigmoid", "sin", "neg", "relu"]
_BINARY = ["add", "sub", "mul", "div"]
_INPLACE = ["add_", "mul_", "sigmoid_", "zero_"]


def _run_program(fw, leaves_np, program):
    leaves = [fw.tensor(a, dtype=fw.float64, requires_grad=True) for a in leaves_np]
    pool = list(leaves)
    try:
        for kind, name, i, j in program:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            if kind == "unary":
                pool.append(getattr(a, name)())
            elif kind == "binary":
                pool.append(getattr(a, name)(b.abs() + 1 if name == "div" else b))
            elif not a.is_leaf:                                  # in place on an intermediate
                getattr(a, name)(*(() if name in ("sigmoid_", "zero_") else (b.detach() * 0.5,)))
        total = sum(p.sum() for p in pool[len(leaves):]) if len(pool) > len(leaves) else leaves[0].sum()
        grads = fw.autograd.grad(total, leaves, allow_unused=True)
    except RuntimeError as e:
        return "error", str(e).split(":")[0][:40]
    return "ok", [None if g is None else g.numpy() for g in grads]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shapes=st.lists(st.sampled_from([(3,), (2, 3), (1, 3), (2, 1)]), min_size=1, max_size=3),
       program=st.lists(st.tuples(st.sampled_from(["unary", "binary", "binary", "inplace"]),
                                  st.integers(0, 3), st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=8))
def test_random_graphs_match_torch(shapes, program):
    program = [(k, {"unary": _UNARY, "binary": _BINARY, "inplace": _INPLACE}[k][n % {"unary": 6, "binary": 4,
                                                                                   "inplace": 4}[k]], i, j)
               for k, n, i, j in program]
    rng = np.random.default_rng(len(program))
    leaves = [rng.uniform(-1, 1, s) for s in shapes]
    ours, theirs = _run_program(minitorch, leaves, program), _run_program(torch, leaves, program)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "error":
        assert ours[1] == theirs[1]
        return
    for a, b in zip(ours[1], theirs[1]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)

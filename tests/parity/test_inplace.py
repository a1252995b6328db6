"""Parity of the in-place ops (``add_``, ``mul_``, ``clamp_``, ``zero_``, ``fill_``, ``copy_``, ``x += y``, ...)
with torch: values, dtypes, the gradients that flow through them, the nodes they leave in the graph, and
the errors (dtype casts, broadcasting, leaves that require grad)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_raises_like_torch, check

POS = Spec((2, 3), low=0.5, high=2.0)
INT = Spec((2, 3), kind="int", low=-5, high=5, grad=False, dtype="int64")
MASK = Spec((2, 3), kind="bool", grad=False)


def _iop(name: str, *args, **kwargs):
    """``fn(fw, x, *tensors)``: ``x`` copied into a non-leaf, then ``getattr(x, name)(...)`` in place."""
    def fn(fw, x, *tensors):
        y = x * 1
        out = getattr(y, name)(*tensors, *args, **kwargs)
        assert out is y
        return y
    return fn


def _iadd(fw, x, y):
    z = x * 1
    z += y
    return z


def _isub(fw, x, y):
    z = x * 1
    z -= y
    return z


def _imul(fw, x, y):
    z = x * 1
    z *= y
    return z


def _itruediv(fw, x, y):
    z = x * 1
    z /= y
    return z


def _ipow(fw, x):
    z = x * 1
    z **= 2
    return z


# name -> (fn, *specs): every case is also differentiated through the in-place write
CASES = {
    "add_": (_iop("add_"), (2, 3), (2, 3)),
    "add_broadcast_alpha": (_iop("add_", alpha=0.5), (2, 3), (3,)),
    "add_scalar": (_iop("add_", 2.5), (2, 3)),
    "sub_": (_iop("sub_"), (2, 3), (1, 3)),
    "sub_alpha": (_iop("sub_", alpha=2), (2, 3), (2, 3)),
    "mul_": (_iop("mul_"), (2, 3), (2, 1)),
    "mul_scalar": (_iop("mul_", 0.9), (2, 3)),
    "div_": (_iop("div_"), (2, 3), POS),
    "div_scalar": (_iop("div_", 4.0), (2, 3)),
    "div_floor": (_iop("div_", 0.7, rounding_mode="floor"), (2, 3)),
    "div_trunc": (_iop("div_", 0.7, rounding_mode="trunc"), (2, 3)),
    "pow_": (_iop("pow_", 3), (2, 3)),
    "pow_tensor": (_iop("pow_"), POS, (2, 3)),
    "neg_": (_iop("neg_"), (2, 3)),
    "abs_": (_iop("abs_"), (2, 3)),
    "exp_": (_iop("exp_"), (2, 3)),
    "log_": (_iop("log_"), POS),
    "sqrt_": (_iop("sqrt_"), POS),
    "sigmoid_": (_iop("sigmoid_"), (2, 3)),
    "tanh_": (_iop("tanh_"), (2, 3)),
    "relu_": (_iop("relu_"), (2, 3)),
    "clamp_": (_iop("clamp_", -0.5, 0.5), (2, 3)),
    "clamp_min_only": (_iop("clamp_", min=0.1), (2, 3)),
    "clip_": (_iop("clip_", max=0.2), (2, 3)),
    "zero_": (_iop("zero_"), (2, 3)),
    "fill_": (_iop("fill_", 1.5), (2, 3)),
    "fill_tensor": (lambda fw, x, v: (x * 1).fill_(v.sum()), (2, 3), (3,)),
    "copy_": (lambda fw, x, y: (x * 1).copy_(y), (2, 3), (2, 3)),
    "copy_broadcast": (lambda fw, x, y: (x * 1).copy_(y), (2, 3), (3,)),
    "copy_from_int": (lambda fw, x, y: (x * 1).copy_(y), (2, 3), INT),
    "masked_fill_": (lambda fw, x, m: (x * 1).masked_fill_(m, -1.0), (2, 3), MASK),
    "lerp_": (_iop("lerp_", weight=0.3), (2, 3), (2, 3)),
    "lerp_tensor_weight": (lambda fw, x, y, w: (x * 1).lerp_(y, w), (2, 3), (2, 3), (2, 3)),
    "floor_": (_iop("floor_"), (2, 3)),
    "ceil_": (_iop("ceil_"), (2, 3)),
    "round_": (_iop("round_"), (2, 3)),
    "round_decimals": (_iop("round_", decimals=1), (2, 3)),
    "trunc_": (_iop("trunc_"), (2, 3)),
    "addcmul_": (lambda fw, x, a, b: (x * 1).addcmul_(a, b, value=0.5), (2, 3), (2, 3), (3,)),
    "addcdiv_": (lambda fw, x, a, b: (x * 1).addcdiv_(a, b, value=-2), (2, 3), (2, 1), POS),
    "__iadd__": (_iadd, (2, 3), (3,)),
    "__isub__": (_isub, (2, 3), (2, 3)),
    "__imul__": (_imul, (2, 3), (2, 3)),
    "__itruediv__": (_itruediv, (2, 3), POS),
    "__ipow__": (_ipow, (2, 3)),
    "inplace_on_view": (lambda fw, x, y: _view_write(x, y), (3, 4), (2, 4)),
    "inplace_then_reuse": (lambda fw, x: (lambda z: z.mul_(2) * x)(x.sin()), (2, 3)),
    "chain_of_inplace": (lambda fw, x, y: (x * 1).add_(y).mul_(y).sub_(0.5).sigmoid_(), (2, 3), (2, 3)),
}


def _view_write(x, y):
    z = x * 1
    z.narrow(0, 1, 2).mul_(y)
    return z


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_inplace_parity(name):
    fn, *specs = CASES[name]
    check(fn, *specs)


@pytest.mark.parametrize("name", ["add_", "mul_", "div_", "addcmul_", "addcdiv_", "pow_tensor", "sqrt_", "sigmoid_",
                                  "clamp_", "lerp_", "copy_", "fill_tensor", "masked_fill_", "inplace_on_view",
                                  "__imul__"])
def test_inplace_gradcheck(name):
    fn, *specs = CASES[name]
    rng = np.random.default_rng(1)
    inputs = []
    for s in specs:
        s = s if isinstance(s, Spec) else Spec(s)
        if s.kind == "bool":
            inputs.append(minitorch.tensor(rng.random(s.shape) < 0.5))
        elif s.kind == "int":
            inputs.append(minitorch.tensor(rng.integers(-5, 5, s.shape)))
        else:
            lo, hi = (s.low, s.high) if s.low is not None else (-1.0, 1.0)
            inputs.append(minitorch.tensor(rng.uniform(lo, hi, s.shape)).requires_grad_())
    f = lambda *xs: fn(minitorch, *xs)  # noqa: E731
    assert gradcheck(f, tuple(inputs))
    if name in ("mul_", "sigmoid_", "lerp_", "inplace_on_view"):
        assert gradgradcheck(f, tuple(inputs))


# integer, bool and no-grad behaviour (no gradients) ---------------------------------------------------------
INT_CASES = {
    "add_int": lambda fw: fw.tensor([1, 2, 3]).add_(2),
    "sub_int_tensor": lambda fw: fw.tensor([1, 2, 3]).sub_(fw.tensor([3, 2, 1]), alpha=2),
    "mul_int": lambda fw: fw.tensor([1, -2, 3]).mul_(fw.tensor(3, dtype=fw.int32)),
    "div_floor_int": lambda fw: fw.tensor([7, -7, 5]).div_(2, rounding_mode="floor"),
    "div_trunc_int": lambda fw: fw.tensor([7, -7, 5]).div_(2, rounding_mode="trunc"),
    "float_add_int_tensor": lambda fw: fw.tensor([1.5, 2.0]).add_(fw.tensor([1, 2])),
    "float32_add_float64": lambda fw: fw.tensor([1.5, 2.0]).add_(fw.tensor([1.25, 2.0], dtype=fw.float64)),
    "abs_int": lambda fw: fw.tensor([-1, 2, -3]).abs_(),
    "neg_int": lambda fw: fw.tensor([-1, 2, -3]).neg_(),
    "clamp_int": lambda fw: fw.tensor([-5, 0, 5]).clamp_(-1, 2),
    "relu_int": lambda fw: fw.tensor([-5, 0, 5]).relu_(),
    "fill_int_with_float": lambda fw: fw.zeros(3, dtype=fw.int64).fill_(2.7),
    "fill_bool": lambda fw: fw.zeros(3, dtype=fw.bool).fill_(1),
    "zero_int": lambda fw: fw.tensor([1, 2]).zero_(),
    "copy_float_to_int": lambda fw: fw.zeros(3, dtype=fw.int32).copy_(fw.tensor([1.7, -2.2, 3.9])),
    "__iand__": lambda fw: _apply(fw.tensor([12, 10]), "__iand__", 6),
    "__ior__": lambda fw: _apply(fw.tensor([12, 10]), "__ior__", fw.tensor([1, 2])),
    "__ixor__": lambda fw: _apply(fw.tensor([True, False]), "__ixor__", fw.tensor([True, True])),
    "__iadd___int": lambda fw: _apply(fw.tensor([1, 2]), "__iadd__", 3),
    "pow_int": lambda fw: fw.tensor([1, 2, 3]).pow_(2),
    "masked_fill_int": lambda fw: fw.tensor([1, 2, 3]).masked_fill_(fw.tensor([True, False, True]), 9),
    "add_noncontiguous": lambda fw: _noncontig(fw).add_(1),
    "addcmul_no_grad": lambda fw: fw.ones(3).addcmul_(fw.tensor([1.0, 2.0, 3.0]), fw.tensor([2.0]), value=0.1),
    "addcdiv_no_grad": lambda fw: fw.ones(2, 3).addcdiv_(fw.ones(3), fw.tensor([2.0, 4.0, 8.0]), value=-1),
}


def _apply(t, op, other):
    out = getattr(t, op)(other)
    assert out is t
    return t


def _noncontig(fw):
    base = fw.arange(12.0).reshape(3, 4)
    base.t().add_(fw.ones(4, 3))
    return base


@pytest.mark.parametrize("name", list(INT_CASES), ids=list(INT_CASES))
def test_inplace_values_and_dtypes(name):
    ours, theirs = INT_CASES[name](minitorch), INT_CASES[name](torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_inplace_writes_through_views_and_bumps_version():
    for fw in (minitorch, torch):
        base = fw.zeros(2, 3)
        v0 = base._version
        base[1].add_(5)
        base.t().mul_(2)
        np.testing.assert_array_equal(np.asarray(base.tolist()), [[0, 0, 0], [10, 10, 10]])
        assert base._version == v0 + 2


# errors, compared with torch's --------------------------------------------------------------------------------
CAST = "result type {} can't be cast to the desired output type {}"
LEAF = "a leaf Variable that requires grad is being used in an in-place operation"
VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation"
OVERLAP = "more than one element of the written-to tensor refers to a single memory location"
BAD = {
    "int_add_float": (lambda fw: fw.tensor([1, 2]).add_(1.5), CAST.format("Float", "Long")),
    "int_true_div": (lambda fw: fw.tensor([1, 2]).div_(2), CAST.format("Float", "Long")),
    "int_sqrt": (lambda fw: fw.tensor([1, 2]).sqrt_(), CAST.format("Float", "Long")),
    "int_sigmoid": (lambda fw: fw.tensor([1, 2]).sigmoid_(), CAST.format("Float", "Long")),
    "bool_add_int": (lambda fw: fw.tensor([True]).add_(1), CAST.format("Long", "Bool")),
    "int32_add_float_tensor": (lambda fw: fw.tensor([1], dtype=fw.int32).add_(fw.tensor([1.0])),
                               CAST.format("Float", "Int")),
    "broadcast_grows_self": (lambda fw: fw.ones(2).add_(fw.ones(3, 2)),
                             r"output with shape \[2\] doesn't match the broadcast shape \[3, 2\]"),
    "mul_broadcast_grows_self": (lambda fw: fw.ones(1, 3).mul_(fw.ones(2, 3)),
                                 r"output with shape \[1, 3\] doesn't match the broadcast shape \[2, 3\]"),
    "fill_non_scalar": (lambda fw: fw.ones(2).fill_(fw.ones(2)),
                        "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions"),
    "leaf_requires_grad": (lambda fw: fw.ones(2, requires_grad=True).add_(1), LEAF),
    "leaf_requires_grad_iadd": (lambda fw: _apply(fw.ones(2, requires_grad=True), "__iadd__", 1), LEAF),
    "leaf_zero_": (lambda fw: fw.ones(2, requires_grad=True).zero_(), LEAF),
    "leaf_fill_": (lambda fw: fw.ones(2, requires_grad=True).fill_(1.0), LEAF),
    "leaf_copy_": (lambda fw: fw.ones(2, requires_grad=True).copy_(fw.zeros(2)), LEAF),
    "view_of_leaf": (lambda fw: fw.ones(2, 3, requires_grad=True).narrow(0, 0, 1).mul_(2), VIEW_OF_LEAF),
    "view_of_leaf_t": (lambda fw: fw.ones(2, 3, requires_grad=True).t().zero_(), VIEW_OF_LEAF),
    "expanded_self": (lambda fw: fw.ones(3).expand(2, 3).add_(1), OVERLAP),
    "expanded_self_mul_": (lambda fw: fw.ones(3, 1).expand(3, 2).mul_(2.0), OVERLAP),
    "copy_not_tensor": (lambda fw: fw.ones(2).copy_([1.0, 2.0]), "copy_"),
}


@pytest.mark.parametrize("name", list(BAD), ids=list(BAD))
def test_inplace_errors_match_torch(name):
    fn, message = BAD[name]
    assert_raises_like_torch(fn, match=message)


def test_inplace_allowed_on_leaf_under_no_grad():
    w = minitorch.ones(3, requires_grad=True)
    with minitorch.no_grad():
        w.add_(1).mul_(2)
        w -= 1
    assert w.is_leaf and w.requires_grad and w.tolist() == [3.0, 3.0, 3.0]


# graph structure left by in-place ops: node names match torch's -------------------------------------------------
NODE_CASES = ["add_(1)", "mul_(2)", "sqrt_()", "sigmoid_()", "relu_()", "clamp_(0, 1)", "floor_()", "zero_()",
              "fill_(2.)", "copy_(fw.zeros(3))", "exp_()", "neg_()", "abs_()"]


@pytest.mark.parametrize("expr", NODE_CASES, ids=[e.split("(")[0] for e in NODE_CASES])
def test_inplace_grad_fn_names(expr):
    names = []
    for fw in (minitorch, torch):
        a = fw.ones(3, requires_grad=True)
        x = a * 1
        eval("x." + expr, {"fw": fw, "x": x})
        names.append((type(x.grad_fn).__name__ if fw is torch else x.grad_fn.name(),
                      [n.name() if fw is minitorch else type(n).__name__
                       for n, _ in x.grad_fn.next_functions if n is not None]))
    theirs = names[1]
    ours = names[0]
    assert ours[1] == theirs[1]
    assert ours[0].rstrip("0123") == theirs[0].rstrip("0123")      # ClampBackward1 / FillBackward2 variants


# hypothesis: random shapes (broadcast into self), dtypes and ops, compared with torch --------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
       drop=st.integers(0, 3), op=st.sampled_from(["add_", "sub_", "mul_", "div_", "copy_", "lerp_"]),
       dtype=st.sampled_from(["float32", "float64"]), other_dtype=st.sampled_from(["float32", "float64", "int64"]),
       grad=st.booleans())
def test_inplace_hypothesis(shape, drop, op, dtype, other_dtype, grad):
    rng = np.random.default_rng(len(shape) * 7 + drop)
    a = rng.uniform(0.5, 2.0, shape).astype(dtype)
    other_shape = [1 if i % 2 else s for i, s in enumerate(shape)][drop:]
    b = rng.uniform(0.5, 2.0, other_shape)
    b = (b * 3).astype(other_dtype) + (1 if other_dtype == "int64" else 0)
    if op == "lerp_":
        b = b.astype(dtype)
    results = []
    for fw in (minitorch, torch):
        x = fw.tensor(a, requires_grad=grad)
        y = fw.tensor(b)
        z = x * 1 if grad else x
        getattr(z, op)(y) if op != "lerp_" else z.lerp_(y, 0.25)
        g = None
        if grad:
            (z * z).sum().backward()
            g = x.grad.numpy()
        results.append((str(z.dtype).split(".")[-1], z.detach().numpy(), g))
    (d1, v1, g1), (d2, v2, g2) = results
    assert d1 == d2
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(v1, v2, rtol=tol, atol=tol)
    if grad:
        np.testing.assert_allclose(g1, g2, rtol=tol, atol=tol)

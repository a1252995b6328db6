"""Parity of binary element-wise arithmetic (minitorch/_ops/elementwise.py) with torch: values, dtypes,
gradients in every layout, gradcheck/gradgradcheck, torch's errors, and a hypothesis differential test
over random broadcastable shapes and all nine dtypes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_close, assert_raises_like_torch, assert_same_outcome, check, run_both

POS = Spec((3, 4), low=0.5, high=2.0)          # safe divisors / positive bases
POS_ROW = Spec((4,), low=0.5, high=2.0)
MASK = Spec((3, 4), kind="bool")


def _tie(fw, a, b, m):
    """``b`` with some entries equal to ``a`` (detached), to exercise the tie rule of maximum/minimum."""
    return fw.where(m, a.detach(), b)


CASES = {
    "add": (lambda fw, a, b: fw.add(a, b), (3, 4), (4,)),
    "add_alpha": (lambda fw, a, b: fw.add(a, b, alpha=2.5), (3, 4), (3, 1)),
    "add_operator": (lambda fw, a, b: (a + b, a + 2.5, 3 + a), (2, 3, 4), (3, 1)),
    "sub": (lambda fw, a, b: fw.sub(a, b), (3, 4), (4,)),
    "sub_alpha": (lambda fw, a, b: a.sub(b, alpha=-1.5), (3, 4), (3, 4)),
    "sub_operator": (lambda fw, a, b: (a - b, a - 1, 2.5 - a), (3, 4), (4,)),
    "rsub": (lambda fw, a, b: fw.rsub(a, b), (3, 4), (4,)),
    "mul": (lambda fw, a, b: fw.mul(a, b), (3, 4), (4,)),
    "mul_operator": (lambda fw, a, b: (a * b, a * 3, 0.5 * a), (3, 1, 4), (2, 4)),
    "div": (lambda fw, a, b: fw.div(a, b), (3, 4), POS_ROW),
    "div_operator": (lambda fw, a, b: (a / b, a / 4, 2 / b), (3, 4), POS),
    "div_floor": (lambda fw, a, b: fw.div(a, b, rounding_mode="floor"), (3, 4), POS_ROW),
    "div_trunc": (lambda fw, a, b: a.div(b, rounding_mode="trunc"), (3, 4), POS_ROW),
    "floor_divide": (lambda fw, a, b: (a // b, 3 // b), Spec((3, 4), low=-5, high=5), POS),
    "remainder": (lambda fw, a, b: (fw.remainder(a, b), a.remainder(-0.75)), Spec((3, 4), low=-5, high=5), POS_ROW),
    "remainder_operator": (lambda fw, a, b: (a % b, a % -1.5, 5.0 % b.detach()), Spec((3, 4), low=-5, high=5), POS),
    "fmod": (lambda fw, a, b: (fw.fmod(a, b), a.fmod(-0.75)), Spec((3, 4), low=-5, high=5), POS_ROW),
    "pow": (lambda fw, a, b: fw.pow(a, b), POS, (4,)),
    "pow_scalar_exponent": (lambda fw, a: (a ** 2, a ** 3, fw.pow(a, 0), a.pow(-1.5).abs()), (3, 4)),
    "pow_scalar_base": (lambda fw, a: (2 ** a, fw.pow(0.5, a)), (3, 4)),
    "maximum": (lambda fw, a, b, m: fw.maximum(a, _tie(fw, a, b, m)), (3, 4), (3, 4), MASK),
    "maximum_broadcast": (lambda fw, a, b: fw.maximum(a, b), (3, 4), (4,)),
    "minimum": (lambda fw, a, b, m: a.minimum(_tie(fw, a, b, m)), (3, 4), (3, 4), MASK),
    "lerp_scalar_weight": (lambda fw, a, b: (fw.lerp(a, b, 0.3), a.lerp(b, 0.8)), (3, 4), (4,)),
    "lerp_tensor_weight": (lambda fw, a, b, w: fw.lerp(a, b, w), (3, 4), (3, 4), Spec((4,), low=-0.5, high=1.5)),
    "atan2": (lambda fw, a, b: (fw.atan2(a, b), fw.arctan2(b, a)), (3, 4), (4,)),
    "where": (lambda fw, m, a, b: fw.where(m, a, b), MASK, (3, 4), (4,)),
    "where_scalars": (lambda fw, m, a: (fw.where(m, a, 0.0), fw.where(m, 1.5, a), a.where(m, -a)), MASK, (3, 4)),
    "aliases": (lambda fw, a, b: (fw.subtract(a, b), fw.multiply(a, b), fw.divide(a, b), fw.true_divide(a, b)),
                (3, 4), POS),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    fn, *specs = CASES[name]
    check(fn, *specs, grad=name != "floor_divide")      # torch has no derivative for floor_divide


def test_floor_divide_backward_raises_like_torch():
    for fw in (minitorch, torch):
        x = fw.tensor([1.5, -2.5], requires_grad=True)
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            (x // 2).sum().backward()


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_arithmetic(dtype):
    """torch's dtype rules: int // int and int % int stay int, int / int is float, int ** int stays int."""
    low = 0 if dtype == "uint8" else -6
    a, b = Spec((3, 4), kind="int", low=low, high=7, dtype=dtype), Spec((4,), kind="int", low=1, high=4, dtype=dtype)
    if dtype == "bool":
        a, b = Spec((3, 4), kind="bool"), Spec((4,), kind="bool")
        check(lambda fw, x, y: (x + y, x * y, x / y, x + 1, x * 2.5, fw.maximum(x, y)), a, b, dtypes=("float32",))
        return
    check(lambda fw, x, y: (x + y, x - y, x * y, x / y, x // y, x % y, fw.fmod(x, y), x ** y, fw.maximum(x, y),
                            fw.minimum(x, y), x * 2.5, x + 1, 7 // y, 7 % y, 2 ** y, fw.atan2(x, y),
                            x.div(y, rounding_mode="trunc"), fw.remainder(-x, y), fw.fmod(-x, y)),
          a, b, dtypes=("float32",))


def test_uint8_wraps_like_torch():
    check(lambda fw, x: (x + 250, x - 3, x * 100, x + 1000), Spec((5,), kind="int", low=0, high=10, dtype="uint8"),
          dtypes=("float32",))


def test_integer_power_with_negative_tensor_exponent():
    base = minitorch.tensor([0, 1, -1, 2, -2, 3, -1])
    exp = minitorch.tensor([-1, -2, -3, -1, -3, 2, -2])
    assert_close(base ** exp, torch.tensor([0, 1, -1, 2, -2, 3, -1]) ** torch.tensor([-1, -2, -3, -1, -3, 2, -2]),
                 "int pow", 0, 0)


def test_float_division_by_zero_and_nan_propagation():
    a = minitorch.tensor([1.5, -2.0, 0.0, float("nan")])
    z = minitorch.zeros(4)
    ta, tz = torch.tensor([1.5, -2.0, 0.0, float("nan")]), torch.zeros(4)
    for fn in (lambda x, y: x / y, lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x.fmod(y),
               lambda x, y: x.div(y, rounding_mode="trunc"), lambda x, y: x.maximum(y), lambda x, y: x.minimum(y)):
        assert_close(fn(a, z), fn(ta, tz), "division by zero", 0, 0)


def test_maximum_minimum_split_gradient_at_ties():
    for op in ("maximum", "minimum"):
        grads = []
        for fw in (minitorch, torch):
            a = fw.tensor([1.0, 2.0, 3.0], requires_grad=True)
            b = fw.tensor([1.0, 0.0, 5.0], requires_grad=True)
            getattr(fw, op)(a, b).sum().backward()
            grads.append((a.grad, b.grad))
        assert_close(grads[0][0], grads[1][0], f"{op} grad a", 0, 0)
        assert_close(grads[0][1], grads[1][1], f"{op} grad b", 0, 0)
        assert grads[0][0].tolist()[0] == 0.5


def test_grad_fn_names_match_torch():
    a = minitorch.randn(3, requires_grad=True)
    t = torch.randn(3, requires_grad=True)
    for fn in (lambda x: x + 1, lambda x: x * x, lambda x: x / 2, lambda x: x ** 2, lambda x: x % 2,
               lambda x: x.fmod(2), lambda x: x.lerp(x, 0.5)):
        assert fn(a).grad_fn.name() == fn(t).grad_fn.name()


# gradcheck ---------------------------------------------------------------------------------------------------
def _leaf(shape, low=-1.0, high=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return minitorch.tensor(rng.uniform(low, high, shape), dtype=minitorch.float64, requires_grad=True)


GRADCHECK = {
    "add": (lambda a, b: minitorch.add(a, b, alpha=2.0), [(3, 4), (4,)]),
    "sub": (lambda a, b: a - b, [(3, 4), (3, 1)]),
    "mul": (lambda a, b: a * b, [(3, 4), (4,)]),
    "div": (lambda a, b: a / b, [(3, 4), ((4,), 0.5, 2.0)]),
    "rsub": (lambda a, b: minitorch.rsub(a, b, alpha=3), [(3,), (3,)]),
    "remainder": (lambda a, b: minitorch.remainder(a, b), [((3, 4), 0.1, 0.9), ((4,), 1.1, 1.9)]),
    "fmod": (lambda a, b: minitorch.fmod(a, b), [((3, 4), 0.1, 0.9), ((4,), 1.1, 1.9)]),
    "pow": (lambda a, b: a ** b, [((3, 4), 0.5, 2.0), (4,)]),
    "pow_scalar": (lambda a: a ** 3 + 2 ** a, [(3, 4)]),
    "maximum": (lambda a, b: minitorch.maximum(a, b), [(3, 4), (4,)]),
    "minimum": (lambda a, b: minitorch.minimum(a, b), [(3, 4), (4,)]),
    "lerp": (lambda a, b, w: minitorch.lerp(a, b, w), [(3, 4), (4,), (3, 1)]),
    "lerp_scalar": (lambda a, b: minitorch.lerp(a, b, 0.7), [(3, 4), (4,)]),
    "atan2": (lambda a, b: minitorch.atan2(a, b), [(3, 4), ((4,), 0.5, 2.0)]),
    "where": (lambda a, b: minitorch.where(a > 0, a, b), [(3, 4), (4,)]),
}


def _inputs(shapes):
    return [_leaf(*(s if isinstance(s[0], tuple) else (s,)), seed=i) for i, s in enumerate(shapes)]


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    assert gradcheck(fn, _inputs(shapes))


@pytest.mark.parametrize("name", ["mul", "div", "pow", "pow_scalar", "maximum", "lerp", "atan2", "where", "fmod"])
def test_gradgradcheck(name):
    fn, shapes = GRADCHECK[name]
    assert gradgradcheck(fn, _inputs(shapes))


# errors ------------------------------------------------------------------------------------------------------
def test_broadcast_mismatch_names_sizes_and_dim():
    assert_raises_like_torch(lambda fw, a, b: a + b, np.ones((2, 3)), np.ones((4, 3)),
                             match=r"size of tensor a \(2\) must match the size of tensor b \(4\) at "
                                   r"non-singleton dimension 0")
    assert_raises_like_torch(lambda fw, a, b: a * b, np.ones((2, 3, 5)), np.ones((7, 1, 1, 6)),
                             match=r"tensor a \(5\) .* tensor b \(6\) at non-singleton dimension 3")
    assert_raises_like_torch(lambda fw, a, b: fw.maximum(a, b), np.ones(2), np.ones(3),
                             match=r"\(2\).*\(3\).*dimension 0")
    assert_raises_like_torch(lambda fw, c, a, b: fw.where(c, a, b), np.ones(3, bool), np.ones(2), np.ones(3),
                             match=r"\(3\).*\(2\).*dimension 0")


@pytest.mark.parametrize("op", ["floor_divide", "remainder", "fmod", "div_trunc", "floordiv_operator",
                                "mod_operator", "rmod"])
def test_integer_division_by_zero_raises(op):
    fn = {"floor_divide": lambda fw, a, b: fw.floor_divide(a, b), "remainder": lambda fw, a, b: fw.remainder(a, b),
          "fmod": lambda fw, a, b: fw.fmod(a, b), "div_trunc": lambda fw, a, b: fw.div(a, b, rounding_mode="trunc"),
          "floordiv_operator": lambda fw, a, b: a // 0, "mod_operator": lambda fw, a, b: a % b,
          "rmod": lambda fw, a, b: 5 % b}[op]
    assert_raises_like_torch(fn, np.array([3, -3, 1]), np.array([1, 0, 2]), match="^ZeroDivisionError$")


def test_bool_errors():
    b = np.array([True, False])
    assert_raises_like_torch(lambda fw, a, c: a - c, b, b,
                             match=r"Subtraction, the `-` operator, with two bool tensors")
    assert_raises_like_torch(lambda fw, a, c: a // c, b, b, match=r"\"div_floor_cpu\" not implemented for 'Bool'")
    assert_raises_like_torch(lambda fw, a, c: a % c, b, b, match=r"\"remainder_cpu\" not implemented for 'Bool'")
    assert_raises_like_torch(lambda fw, a, c: a ** c, b, b, match=r"\"pow\" not implemented for 'Bool'")


def test_other_errors():
    i = np.array([1, 2, 3])
    assert_raises_like_torch(lambda fw, a: a ** -1, i, match=r"Integers to negative integer powers are not allowed")
    assert_raises_like_torch(lambda fw, a: fw.add(a, 1, alpha=2.5), i, match=r"alpha must not be a floating point")
    assert_raises_like_torch(lambda fw, a: fw.div(a, 2, rounding_mode="round"), i,
                             match=r"rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'")
    assert_raises_like_torch(lambda fw, a: fw.maximum(a, 2), i, match=r"maximum\(\): argument 'other' .* not int")
    assert_raises_like_torch(lambda fw, a: fw.lerp(a, a, 0.5), i,
                             match=r"\"lerp_kernel_scalar\" not implemented for 'Long'")
    f, d = np.ones(3, np.float32), np.ones(3)
    assert_raises_like_torch(lambda fw, a, b: fw.lerp(a, b, 0.5), f, d,
                             match=r"expected dtype float for `end` but got dtype double")
    assert_raises_like_torch(lambda fw, a, w: fw.lerp(a, a, w), f, d, match=r"expected dtype float for `weight`")
    assert_raises_like_torch(lambda fw, c, a: fw.where(c, a, a), f, f,
                             match=r"where expected condition to be a boolean tensor, but got a tensor with "
                                   r"dtype Float")


# hypothesis differential test -----------------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
BINARY = {
    "add": lambda fw, a, b: a + b, "sub": lambda fw, a, b: a - b, "mul": lambda fw, a, b: a * b,
    "div": lambda fw, a, b: a / b, "floor_divide": lambda fw, a, b: a // b, "remainder": lambda fw, a, b: a % b,
    "fmod": lambda fw, a, b: fw.fmod(a, b), "pow": lambda fw, a, b: a ** b, "maximum": lambda fw, a, b: fw.maximum(a, b),
    "minimum": lambda fw, a, b: fw.minimum(a, b), "atan2": lambda fw, a, b: fw.atan2(a, b),
    "div_trunc": lambda fw, a, b: fw.div(a, b, rounding_mode="trunc"),
}


@st.composite
def broadcastable_pair(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    other = [draw(st.sampled_from([n, 1])) for n in shape]
    other = other[draw(st.integers(0, len(other))):]            # fewer leading dims broadcast too
    return (tuple(shape), tuple(other)) if draw(st.booleans()) else (tuple(other), tuple(shape))


def _random(shape, dtype, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype[0] in "iu":
        lo = 0 if dtype == "uint8" else -4
        return rng.integers(lo, 5, shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shapes=broadcastable_pair(), da=st.sampled_from(DTYPES), db=st.sampled_from(DTYPES),
       op=st.sampled_from(list(BINARY)), seed=st.integers(0, 2 ** 16))
def test_hypothesis_binary_ops_match_torch(shapes, da, db, op, seed):
    rng = np.random.default_rng(seed)
    a, b = _random(shapes[0], da, rng), _random(shapes[1], db, rng)
    mine, theirs = run_both(BINARY[op], a, b)
    tol = 1e-2 if "float16" in (da, db) or getattr(theirs, "dtype", None) is torch.float16 else 1e-5
    assert_same_outcome(mine, theirs, f"{op}({da}{list(shapes[0])}, {db}{list(shapes[1])})", tol, tol)


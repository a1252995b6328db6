"""Parity of comparisons, logical and bitwise ops (minitorch/_ops/logical.py) with torch: values and
dtypes over layouts and broadcasting, Python operators, torch's errors, and a hypothesis differential
test over random broadcastable shapes and all nine dtypes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from parity import Spec, assert_close, assert_raises_like_torch, assert_same_outcome, check, run_both

INTS = Spec((3, 4), kind="int", low=-8, high=8, dtype="int64")
INT_ROW = Spec((4,), kind="int", low=-8, high=8, dtype="int32")
SHIFT = Spec((4,), kind="int", low=0, high=6, dtype="int64")
BOOLS, BOOL_ROW = Spec((3, 4), kind="bool"), Spec((4,), kind="bool")

CASES = {
    "eq": (lambda fw, a, b: (fw.eq(a, b), a == b, a.eq(0.5), a == a), (3, 4), (4,)),
    "ne": (lambda fw, a, b: (fw.ne(a, b), a != b, fw.not_equal(a, b), a.ne(a)), (3, 4), (4,)),
    "lt": (lambda fw, a, b: (fw.lt(a, b), a < b, fw.less(a, 0), 0 < a), (3, 4), (4,)),
    "le": (lambda fw, a, b: (fw.le(a, b), a <= b, fw.less_equal(a, a), a.le(0.1)), (3, 4), (4,)),
    "gt": (lambda fw, a, b: (fw.gt(a, b), a > b, fw.greater(a, 0), 1 > a), (3, 4), (4,)),
    "ge": (lambda fw, a, b: (fw.ge(a, b), a >= b, fw.greater_equal(a, a), a.ge(-0.2)), (3, 4), (4,)),
    "logical_and": (lambda fw, a, b, m: (fw.logical_and(a, b), fw.logical_and(m, a), m.logical_and(m)), (3, 4), (4,),
                    BOOLS),
    "logical_or": (lambda fw, a, b, m: (fw.logical_or(a > 0, b), a.logical_or(m)), (3, 4), (4,), BOOLS),
    "logical_xor": (lambda fw, a, b, m: (fw.logical_xor(a > 0, b > 0), m.logical_xor(a)), (3, 4), (4,), BOOLS),
    "logical_not": (lambda fw, a, m: (fw.logical_not(a > 0), m.logical_not(), fw.logical_not(a)), (3, 4), BOOLS),
    "bitwise_and": (lambda fw, a, b: (fw.bitwise_and(a, b), a & b, a & 6, 3 & b), INTS, INT_ROW),
    "bitwise_or": (lambda fw, a, b: (fw.bitwise_or(a, b), a | b, a | 1, 8 | b), INTS, INT_ROW),
    "bitwise_xor": (lambda fw, a, b: (fw.bitwise_xor(a, b), a ^ b, a ^ 5, 5 ^ b), INTS, INT_ROW),
    "bitwise_not": (lambda fw, a, m: (fw.bitwise_not(a), ~a, ~m, m.bitwise_not()), INTS, BOOLS),
    "bool_bitwise": (lambda fw, m, n: (m & n, m | n, m ^ n, m & True, fw.bitwise_xor(m, n)), BOOLS, BOOL_ROW),
    "bitwise_left_shift": (lambda fw, a, s: (fw.bitwise_left_shift(a, s), a << s, a << 2, 1 << s), INTS, SHIFT),
    "bitwise_right_shift": (lambda fw, a, s: (fw.bitwise_right_shift(a, s), a >> s, a >> 1, 64 >> s), INTS, SHIFT),
    "isnan": (lambda fw, a: (fw.isnan(a.log()), a.isnan()), (3, 4)),
    "isinf": (lambda fw, a: (fw.isinf(1 / (a > 0)), a.isinf(), fw.isposinf(1 / (a > 0)), fw.isneginf(-1 / (a > 0))),
              (3, 4)),
    "isfinite": (lambda fw, a: (fw.isfinite(a.log()), fw.isfinite(a > 0), (a > 0).long().isfinite()), (3, 4)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    fn, *specs = CASES[name]
    check(fn, *specs)


def test_comparisons_promote_mixed_dtypes():
    check(lambda fw, i, f: (i == f, i < f, i > 2.5, i.eq(2), f <= i, fw.ne(i, True)),
          Spec((2, 3), kind="int", low=-3, high=3, dtype="uint8"), Spec((3,), low=-3, high=3), dtypes=("float32",))


def test_comparison_with_non_number_is_python_equality():
    t = minitorch.tensor([1, 2])
    assert (t == None) is False and (t != None) is True and (t == "a") is False   # noqa: E711
    assert (torch.tensor([1, 2]) == None) is False                               # noqa: E711


def test_uint8_shift_wraps_like_torch():
    check(lambda fw, a: (a << 3, a >> 1, a << 9), Spec((5,), kind="int", low=0, high=255, dtype="uint8"),
          dtypes=("float32",))


def test_large_shifts_match_torch():
    vals, amounts = [3, -3, 1, -1], [63, 64, 70, 100]
    for fw_op in ("bitwise_left_shift", "bitwise_right_shift"):
        mine = getattr(minitorch, fw_op)(minitorch.tensor(vals), minitorch.tensor(amounts))
        theirs = getattr(torch, fw_op)(torch.tensor(vals), torch.tensor(amounts))
        assert_close(mine, theirs, fw_op, 0, 0)


# errors ------------------------------------------------------------------------------------------------------
F, I, B = np.ones(3, np.float32), np.arange(3), np.ones(3, bool)


@pytest.mark.parametrize("fn, arrays, match", [
    (lambda fw, a, b: a & b, (F, F), r"\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda fw, a, b: fw.bitwise_or(a, b), (I, F), r"\"bitwise_or_cpu\" not implemented for 'Float'"),
    (lambda fw, a, b: a ^ 2.5, (I, I), r"\"bitwise_xor_cpu\" not implemented for 'Float'"),
    (lambda fw, a: fw.bitwise_not(a), (F.astype(np.float64),), r"\"bitwise_not_cpu\" not implemented for 'Double'"),
    (lambda fw, a: ~a, (F,), r"~ \(operator.invert\) is only implemented on integer and Boolean-type tensors"),
    (lambda fw, a: a << 1, (F,), r"\"lshift_cpu\" not implemented for 'Float'"),
    (lambda fw, a, b: a >> b, (I, F), r"\"rshift_cpu\" not implemented for 'Float'"),
    (lambda fw, a, b: a << b, (B, B), r"\"lshift_cpu\" not implemented for 'Bool'"),
    (lambda fw, a, b: a < b, (np.ones(2), np.ones(3)), r"size of tensor a \(2\) must match the size of tensor b \(3\)"),
    (lambda fw, a, b: fw.logical_and(a, b), (np.ones((2, 1)), np.ones(3) > 0),
     None),
    (lambda fw, a, b: fw.logical_or(a, b), (np.ones((4, 2)), np.ones((3, 2)) > 0),
     r"size of tensor a \(4\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
], ids=["and_float", "or_float", "xor_float_scalar", "not_double", "invert_float", "lshift_float", "rshift_float",
        "lshift_bool", "lt_broadcast", "logical_and_broadcasts", "logical_or_broadcast"])
def test_errors(fn, arrays, match):
    if match is None:     # a valid broadcast: no error on either side, equal results
        assert_close(fn(minitorch, *map(minitorch.from_numpy, arrays)), fn(torch, *map(torch.from_numpy, arrays)),
                     "logical_and", 0, 0)
        return
    assert_raises_like_torch(fn, *arrays, match=match)


# hypothesis differential test -----------------------------------------------------------------------------------
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
BINARY = {
    "eq": lambda fw, a, b: a == b, "ne": lambda fw, a, b: a != b, "lt": lambda fw, a, b: a < b,
    "le": lambda fw, a, b: a <= b, "gt": lambda fw, a, b: a > b, "ge": lambda fw, a, b: a >= b,
    "logical_and": lambda fw, a, b: fw.logical_and(a, b), "logical_or": lambda fw, a, b: fw.logical_or(a, b),
    "logical_xor": lambda fw, a, b: fw.logical_xor(a, b), "bitwise_and": lambda fw, a, b: a & b,
    "bitwise_or": lambda fw, a, b: a | b, "bitwise_xor": lambda fw, a, b: a ^ b,
    "lshift": lambda fw, a, b: a << b, "rshift": lambda fw, a, b: a >> b,
}


@st.composite
def broadcastable_pair(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    other = [draw(st.sampled_from([n, 1])) for n in shape][draw(st.integers(0, len(shape))):]
    return (tuple(shape), tuple(other)) if draw(st.booleans()) else (tuple(other), tuple(shape))


def _random(shape, dtype, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype[0] in "iu":
        return rng.integers(0 if dtype == "uint8" else -3, 4, shape).astype(dtype)
    return rng.choice([-1.5, 0.0, 1.0, 2.0, np.nan], shape).astype(dtype)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shapes=broadcastable_pair(), da=st.sampled_from(DTYPES), db=st.sampled_from(DTYPES),
       op=st.sampled_from(list(BINARY)), seed=st.integers(0, 2 ** 16))
def test_hypothesis_logical_ops_match_torch(shapes, da, db, op, seed):
    rng = np.random.default_rng(seed)
    a, b = _random(shapes[0], da, rng), _random(shapes[1], db, rng)
    if op in ("lshift", "rshift") and db != "bool":
        b = np.abs(b)                            # negative shift amounts are undefined behaviour in torch
    mine, theirs = run_both(BINARY[op], a, b)
    assert_same_outcome(mine, theirs, f"{op}({da}{list(shapes[0])}, {db}{list(shapes[1])})")

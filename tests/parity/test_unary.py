"""Parity of unary element-wise math (minitorch/_ops/unary.py) with torch: values, dtypes (int -> float
rules), gradients in every layout, gradcheck/gradgradcheck, erf's accuracy, torch's errors, and a
hypothesis differential test over shapes and dtypes."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_close, assert_raises_like_torch, assert_same_outcome, check, run_both

X = (3, 4)
POS = Spec((3, 4), low=0.2, high=3.0)
UNIT = Spec((3, 4), low=-0.9, high=0.9)

CASES = {
    "exp": (lambda fw, a: fw.exp(a), X),
    "log": (lambda fw, a: fw.log(a), POS),
    "log1p": (lambda fw, a: fw.log1p(a), UNIT),
    "expm1": (lambda fw, a: a.expm1(), X),
    "log2": (lambda fw, a: fw.log2(a), POS),
    "log10": (lambda fw, a: a.log10(), POS),
    "sqrt": (lambda fw, a: fw.sqrt(a), POS),
    "rsqrt": (lambda fw, a: fw.rsqrt(a), POS),
    "abs": (lambda fw, a: (fw.abs(a), abs(a), fw.absolute(a)), X),
    "sign": (lambda fw, a: fw.sign(a) * a, X),
    "neg": (lambda fw, a: (fw.neg(a), -a, fw.negative(a), +a, fw.positive(a)), X),
    "reciprocal": (lambda fw, a: fw.reciprocal(a), POS),
    "square": (lambda fw, a: fw.square(a), X),
    "sin": (lambda fw, a: fw.sin(a), X),
    "cos": (lambda fw, a: fw.cos(a), X),
    "tan": (lambda fw, a: fw.tan(a), UNIT),
    "tanh": (lambda fw, a: fw.tanh(a), X),
    "sigmoid": (lambda fw, a: (fw.sigmoid(a), (a * 40).sigmoid()), X),
    "relu": (lambda fw, a: fw.relu(a), X),
    "erf": (lambda fw, a: (fw.erf(a), (a * 3).erf()), X),
    "erfc": (lambda fw, a: (fw.erfc(a), (a * 3).erfc()), X),
    "clamp": (lambda fw, a: (fw.clamp(a, -0.5, 0.5), a.clamp(min=0.1), a.clamp(max=-0.2), fw.clamp(a, 1, -1)), X),
    "clamp_tensor_bounds": (lambda fw, a, lo, hi: (fw.clamp(a, lo, hi), a.clamp(min=lo), a.clamp(max=hi),
                                                   fw.clamp(a, hi, lo)), X, (4,), Spec((3, 1), low=0.2, high=1.0)),
    "clip": (lambda fw, a: (fw.clip(a, -0.5, 0.5), a.clip(max=0.0)), X),
    "floor": (lambda fw, a: fw.floor(a * 3), X),
    "ceil": (lambda fw, a: a.ceil(), X),
    "round": (lambda fw, a: (fw.round(a * 3), fw.round(a * 100, decimals=1), a.round(decimals=-1)), X),
    "trunc": (lambda fw, a: (fw.trunc(a * 3), fw.fix(a * 3)), X),
    "nan_to_num": (lambda fw, a: (fw.nan_to_num(fw.log(a)), a.log().nan_to_num(nan=1.5, posinf=2.0, neginf=-3.0)),
                   X),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    fn, *specs = CASES[name]
    check(fn, *specs)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_integer_inputs_follow_torch_dtype_rules(dtype):
    """Transcendental ops give the default float dtype; abs/neg/sign/rounding/relu/clamp keep the int dtype."""
    low = 0 if dtype == "uint8" else -5
    check(lambda fw, x: (fw.exp(x), fw.log(x), fw.sqrt(x), fw.rsqrt(x), fw.sin(x), fw.tanh(x), fw.sigmoid(x),
                         fw.erf(x), fw.erfc(x), fw.reciprocal(x), fw.log1p(x), fw.expm1(x), fw.log2(x), fw.log10(x),
                         fw.abs(x), -x, fw.sign(x), fw.floor(x), fw.ceil(x), fw.round(x), fw.trunc(x), fw.relu(x),
                         fw.square(x), fw.clamp(x, 0, 3), fw.clamp(x, min=0.5), fw.nan_to_num(x)),
          Spec((2, 5), kind="int", low=low, high=6, dtype=dtype), dtypes=("float32",))


def test_bool_inputs_follow_torch_rules():
    check(lambda fw, x: (fw.sign(x), fw.exp(x), fw.square(x), fw.clamp(x, min=0), fw.sqrt(x)),
          Spec((5,), kind="bool"), dtypes=("float32",))


def test_float16_inputs_stay_float16():
    check(lambda fw, x: (fw.exp(x), fw.sigmoid(x), fw.erf(x), fw.erfc(x), fw.round(x, decimals=1),
                         fw.nan_to_num(x / 0)),
          Spec((5,)), dtypes=("float16",), grad=False)


def test_default_dtype_float64_applies_to_int_inputs():
    try:
        minitorch.set_default_dtype(minitorch.float64)
        torch.set_default_dtype(torch.float64)
        check(lambda fw, x: (fw.exp(x), fw.sqrt(x), x.sigmoid()), Spec((4,), kind="int", dtype="int64"),
              dtypes=("float32",))
    finally:
        minitorch.set_default_dtype(minitorch.float32)
        torch.set_default_dtype(torch.float32)


def test_special_values():
    vals = [0.0, -0.0, 1.0, -1.0, float("inf"), -float("inf"), float("nan"), 1e-300, 700.0, -700.0]
    for dt in ("float32", "float64"):
        a, t = minitorch.tensor(vals, dtype=getattr(minitorch, dt)), torch.tensor(vals, dtype=getattr(torch, dt))
        for op in ("exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sign", "reciprocal", "tanh", "sigmoid", "relu",
                   "erf", "erfc", "floor", "round", "nan_to_num", "abs"):
            assert_close(getattr(minitorch, op)(a), getattr(torch, op)(t), f"{op}({dt})", 1e-6, 1e-6)


def test_relu_and_clamp_gradients_at_kinks_match_torch():
    """relu: 0 at 0; clamp with number bounds: 0 on the bounds; with tensor bounds: ties split in halves."""
    x0 = [-1.0, 0.0, 0.5, 1.0, 2.0]
    for lo, hi in ((0.0, 1.0), (0.5, 0.5), (1.0, 0.0), (0.0, 0.0)):
        grads = []
        for fw in (minitorch, torch):
            x = fw.tensor(x0, requires_grad=True)
            lo_t, hi_t = fw.full((5,), lo, requires_grad=True), fw.full((5,), hi, requires_grad=True)
            out = fw.relu(x) + 10 * fw.clamp(x, lo, hi) + 100 * fw.clamp(x, lo_t, hi_t) + 1000 * fw.clamp(x, min=lo_t)
            out.sum().backward()
            grads.append([x.grad.tolist(), lo_t.grad.tolist(), hi_t.grad.tolist()])
        assert grads[0] == grads[1], (lo, hi)


# erf / erfc accuracy: float64 against mpmath (torch depends on it through sympy), float32 against math.erf/erfc
# (a float64 reference) and torch --------------------------------------------------------------------------------
def _mp_reference(fn_name: str, x: np.ndarray) -> np.ndarray:
    """``fn`` at 40 digits, rounded once to float64."""
    mpmath = pytest.importorskip("mpmath")
    fn = getattr(mpmath, fn_name)
    with mpmath.workdps(40):
        return np.array([float(fn(mpmath.mpf(float(v)))) for v in x])


def _ulps(got: np.ndarray, ref: np.ndarray, dtype: str) -> np.ndarray:
    """|got - ref| in units in the last place of ``ref`` in ``dtype``, for the normal (not subnormal) refs."""
    normal = np.abs(ref) >= np.finfo(dtype).tiny
    ulp = np.spacing(np.abs(ref[normal]).astype(dtype)).astype(np.float64)
    return np.abs(got.astype(np.float64)[normal] - ref[normal]) / ulp


def _erf_grid(top: float, n: int, tiny: float) -> np.ndarray:
    """Dense and random points on [0, top], the kernel's cell edges (multiples of 1/4096) with their neighbours,
    tiny and subnormal magnitudes."""
    edges = np.arange(0, 6.25, 1 / 16) + np.random.default_rng(2).integers(0, 256, 100) / 4096
    return np.concatenate([np.linspace(0, top, n), np.random.default_rng(0).uniform(0, top, n // 2), edges,
                           np.nextafter(edges, 0), np.nextafter(edges, 7), np.geomspace(tiny, 1.0, 200),
                           [5e-324, 1e-310, 2.2250738585072014e-308]])


def test_erf_float64_is_accurate_to_2_ulp():
    x = _erf_grid(7.0, 2001, 1e-300)
    ref = _mp_reference("erf", x)
    x, ref = np.concatenate([x, -x]), np.concatenate([ref, -ref])
    got = minitorch.erf(minitorch.from_numpy(x)).numpy()
    assert _ulps(got, ref, "float64").max() <= 2
    normal = np.abs(ref) >= np.finfo(np.float64).tiny
    assert np.max(np.abs(got - ref)[normal] / np.abs(ref[normal])) <= 4e-16
    assert np.array_equal(got[~normal], ref[~normal])                      # subnormal results exactly rounded


def test_erfc_float64_keeps_relative_precision_in_the_tail():
    x = np.concatenate([np.linspace(-6.5, 30, 2501), np.random.default_rng(1).uniform(0.4, 27, 1000),
                        [0.5, 4.0, 26.5, 27.2, 1e-300], np.nextafter([0.5, 4.0], 0)])
    ref = _mp_reference("erfc", x)
    got = minitorch.erfc(minitorch.from_numpy(x)).numpy()
    assert _ulps(got, ref, "float64").max() <= 6
    tiny = np.abs(ref) < np.finfo(np.float64).tiny                         # 26.55 < x: subnormal, then 0
    assert tiny.sum() > 50 and np.max(np.abs(got - ref)[tiny]) <= 4 * 5e-324


@pytest.mark.parametrize("op", ["erf", "erfc"])
def test_erf_float32_matches_torch_and_reference(op):
    """float32 erf is computed in float32, erfc rounded once from float64: within torch's ~1 ulp."""
    x = _erf_grid(5.0 if op == "erf" else 10.5, 20001, 1e-44).astype(np.float32)
    x = np.concatenate([x, -x])
    got = getattr(minitorch, op)(minitorch.from_numpy(x)).numpy()
    theirs = getattr(torch, op)(torch.from_numpy(x)).numpy()
    ref = np.frompyfunc(getattr(math, op), 1, 1)(x.astype(np.float64)).astype(np.float64)
    assert got.dtype == np.float32
    assert _ulps(got, ref, "float32").max() <= 1.5
    assert _ulps(got, theirs.astype(np.float64), "float32").max() <= 2


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_erf_special_values_match_torch(dtype):
    """Signed zeros, infinities and nan bitwise; subnormal, huge and edge values to rounding (float16: torch's
    half erf flushes subnormal results to 0, minitorch rounds the float32 value)."""
    info = np.finfo(dtype)
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, info.smallest_subnormal, -info.smallest_subnormal,
                     info.tiny, info.max, -info.max, 0.5, -0.5, 4.0, 6.0], dtype=dtype)
    rtol, atol = (2e-3, 2 * info.smallest_subnormal) if dtype == "float16" else (2 * info.eps, 0)
    for op in ("erf", "erfc"):
        mine = getattr(minitorch, op)(minitorch.from_numpy(vals)).numpy()
        theirs = getattr(torch, op)(torch.from_numpy(vals)).numpy()
        assert mine.dtype == theirs.dtype
        assert np.array_equal(mine[:5], theirs[:5], equal_nan=True), (op, mine, theirs)
        assert np.array_equal(np.signbit(mine[:2]), np.signbit(theirs[:2])), (op, mine, theirs)
        assert np.allclose(mine, theirs, rtol=rtol, atol=atol, equal_nan=True), (op, mine, theirs)


def test_erf_of_non_contiguous_and_empty_inputs():
    x = minitorch.from_numpy(np.linspace(-5, 5, 60000).reshape(300, 200)).t()[::2]      # 30000: two blocks
    ref = np.frompyfunc(math.erf, 1, 1)(x.numpy()).astype(np.float64)
    np.testing.assert_allclose(minitorch.erf(x).numpy(), ref, rtol=5e-16, atol=0)
    assert minitorch.erf(minitorch.zeros(0, 3)).shape == minitorch.erfc(minitorch.zeros(0, 3)).shape == (0, 3)
    assert minitorch.erfc(minitorch.tensor(-0.0)).item() == 1.0


def test_tanh_and_sigmoid_save_their_output():
    x = minitorch.randn(4, requires_grad=True)
    for op in (minitorch.tanh, minitorch.sigmoid, minitorch.exp, minitorch.sqrt):
        y = op(x.abs() + 0.1)
        assert any(s is not None and s.data_ptr() == y.data_ptr() for s in y.grad_fn.saved_tensors)


def test_grad_fn_names_match_torch():
    a, t = minitorch.rand(3, requires_grad=True), torch.rand(3, requires_grad=True)
    for op in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "erf", "erfc", "abs", "neg", "sin", "floor", "sign",
               "reciprocal", "nan_to_num", "square"):
        assert getattr(minitorch, op)(a).grad_fn.name() == getattr(torch, op)(t).grad_fn.name()


# gradcheck ---------------------------------------------------------------------------------------------------
def _leaf(low, high, shape=(3, 4), seed=0):
    arr = np.random.default_rng(seed).uniform(low, high, shape)
    return minitorch.tensor(arr, dtype=minitorch.float64, requires_grad=True)


GRADCHECK = {
    "exp": (minitorch.exp, -2, 2), "log": (minitorch.log, 0.2, 3), "log1p": (minitorch.log1p, -0.5, 2),
    "expm1": (minitorch.expm1, -2, 2), "log2": (minitorch.log2, 0.2, 3), "log10": (minitorch.log10, 0.2, 3),
    "sqrt": (minitorch.sqrt, 0.2, 3), "rsqrt": (minitorch.rsqrt, 0.2, 3), "abs": (minitorch.abs, -2, 2),
    "neg": (minitorch.neg, -2, 2), "reciprocal": (minitorch.reciprocal, 0.3, 3), "square": (minitorch.square, -2, 2),
    "sin": (minitorch.sin, -3, 3), "cos": (minitorch.cos, -3, 3), "tan": (minitorch.tan, -1, 1),
    "tanh": (minitorch.tanh, -2, 2), "sigmoid": (minitorch.sigmoid, -3, 3), "relu": (minitorch.relu, -2, 2),
    "erf": (minitorch.erf, -2.5, 2.5), "erfc": (minitorch.erfc, -2.5, 2.5),
    "clamp": (lambda x: minitorch.clamp(x, -0.5, 0.7), -2, 2),
    "clip": (lambda x: x.clip(min=0.3), -2, 2), "sign": (lambda x: minitorch.sign(x) * x, -2, 2),
    "round": (lambda x: minitorch.round(x, decimals=1) + x, -2, 2), "floor": (lambda x: minitorch.floor(x) + x, -2, 2),
    "ceil": (lambda x: minitorch.ceil(x) + x, -2, 2), "trunc": (lambda x: minitorch.trunc(x) + x, -2, 2),
    "nan_to_num": (lambda x: minitorch.nan_to_num(x.log()), -2, 2),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, low, high = GRADCHECK[name]
    assert gradcheck(fn, (_leaf(low, high),))


def test_gradcheck_clamp_tensor_bounds():
    assert gradcheck(lambda x, lo, hi: minitorch.clamp(x, lo, hi),
                     (_leaf(-2, 2), _leaf(-1, 0, (4,), seed=1), _leaf(0, 1, (3, 1), seed=2)))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "erf", "erfc", "sin", "tan", "abs",
                                  "clamp", "relu", "reciprocal", "log1p"])
def test_gradgradcheck(name):
    fn, low, high = GRADCHECK[name]
    assert gradgradcheck(fn, (_leaf(low, high),))


# errors ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op, match", [
    (lambda fw, x: fw.abs(x), r"\"abs_cpu\" not implemented for 'Bool'"),
    (lambda fw, x: -x, r"Negation, the `-` operator, on a bool tensor is not supported"),
    (lambda fw, x: +x, r"The `\+` operator, on a bool tensor is not supported"),
    (lambda fw, x: fw.relu(x), r"Boolean inputs not supported for relu"),
    (lambda fw, x: fw.floor(x), r"\"floor_vml_cpu\" not implemented for 'Bool'"),
    (lambda fw, x: fw.trunc(x), r"\"trunc_vml_cpu\" not implemented for 'Bool'"),
], ids=["abs", "neg", "pos", "relu", "floor", "trunc"])
def test_bool_errors(op, match):
    assert_raises_like_torch(op, np.array([True, False]), match=match)


def test_other_errors():
    i = np.array([1, 2, 3])
    assert_raises_like_torch(lambda fw, x: fw.round(x, decimals=1), i,
                             match=r"\"round_cpu\" not implemented for 'Long'")
    assert_raises_like_torch(lambda fw, x: fw.clamp(x), i, match=r"At least one of 'min' or 'max' must not be None")
    assert_raises_like_torch(lambda fw, x: x.clip(min=None, max=None), i, match=r"At least one of 'min' or 'max'")


# hypothesis differential test -----------------------------------------------------------------------------------
UNARY = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "abs", "sign", "neg", "reciprocal", "square", "sin", "cos",
         "tanh", "sigmoid", "relu", "erf", "erfc", "floor", "ceil", "round", "trunc", "nan_to_num"]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(0, 4), max_size=3), op=st.sampled_from(UNARY),
       dtype=st.sampled_from(["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]),
       seed=st.integers(0, 2 ** 16))
def test_hypothesis_unary_ops_match_torch(shape, op, dtype, seed):
    rng = np.random.default_rng(seed)
    arr = rng.random(shape) < 0.5 if dtype == "bool" else (rng.standard_normal(shape) * 4).astype(dtype)
    mine, theirs = run_both(lambda fw, x: getattr(fw, op)(x), arr)
    tol = 2e-3 if dtype == "float16" or getattr(theirs, "dtype", None) is torch.float16 else 1e-6
    assert_same_outcome(mine, theirs, f"{op}({dtype}{shape})", tol, tol)

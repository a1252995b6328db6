"""Parity of the reductions with torch: sum, mean, prod, var/std (+ var_mean/std_mean), amax/amin,
argmax/argmin, logsumexp, softmax/log_softmax, cumsum/cumprod, all/any, count_nonzero, norm — values and
gradients in every layout, gradcheck/gradgradcheck, gradients with zeros and ties, empty inputs, torch's
errors, and a hypothesis differential test over random shapes, dims and keepdim."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_raises_like_torch, check

INF = float("inf")

OPS = {                                      # id: (fn(fw, x), input shape)
    "sum": (lambda fw, x: fw.sum(x), (3, 4)),
    "sum_dim": (lambda fw, x: x.sum(1), (3, 4)),
    "sum_dims_keepdim": (lambda fw, x: x.sum((0, 2), keepdim=True), (2, 3, 4)),
    "sum_negative_dim": (lambda fw, x: x.sum(-1), (2, 3, 4)),
    "sum_empty_dims": (lambda fw, x: x.sum(()), (3, 4)),
    "sum_dtype": (lambda fw, x: x.sum(0, dtype=fw.float64), (3, 4)),
    "sum_0d": (lambda fw, x: x.sum(), ()),
    "sum_0d_dim": (lambda fw, x: x.sum(0, True), ()),
    "mean_0d_dim": (lambda fw, x: x.mean(-1), ()),
    "prod_0d_dim": (lambda fw, x: x.prod(0), ()),
    "amax_0d_dim": (lambda fw, x: x.amax(0), ()),
    "logsumexp_0d": (lambda fw, x: x.logsumexp(0), ()),
    "norm_0d": (lambda fw, x: x.norm(1, 0), ()),
    "cumprod_0d": (lambda fw, x: x.cumprod(0), ()),
    "sum_axis_alias": (lambda fw, x: x.sum(axis=(0, 1)), (3, 4)),
    "mean": (lambda fw, x: fw.mean(x), (3, 4)),
    "mean_dims": (lambda fw, x: x.mean((1, 2)), (2, 3, 4)),
    "mean_keepdim": (lambda fw, x: x.mean(0, keepdim=True), (3, 4)),
    "mean_dtype": (lambda fw, x: x.mean(1, dtype=fw.float64), (3, 4)),
    "prod": (lambda fw, x: fw.prod(x), (3, 4)),
    "prod_dim": (lambda fw, x: x.prod(1), (3, 4)),
    "prod_keepdim": (lambda fw, x: x.prod(0, keepdim=True), (3, 4)),
    "var": (lambda fw, x: fw.var(x), (3, 4)),
    "var_dim_unbiased": (lambda fw, x: x.var(1, True), (3, 4)),
    "var_legacy_unbiased": (lambda fw, x: x.var(False), (3, 4)),
    "var_correction": (lambda fw, x: x.var(dim=(0, 2), correction=2, keepdim=True), (3, 4, 5)),
    "var_unbiased_kw": (lambda fw, x: x.var(0, unbiased=False, keepdim=True), (3, 4)),
    "std": (lambda fw, x: fw.std(x), (3, 4)),
    "std_dim_correction": (lambda fw, x: x.std(1, correction=0), (3, 4)),
    "std_legacy": (lambda fw, x: x.std(0, False, True), (3, 4)),
    "var_mean": (lambda fw, x: fw.var_mean(x, 1), (3, 4)),
    "var_mean_axis_alias": (lambda fw, x: fw.var_mean(x, axis=0, keepdim=True), (3, 4)),
    "std_mean": (lambda fw, x: fw.std_mean(x, (0, 1), correction=0), (3, 4)),
    "amax": (lambda fw, x: fw.amax(x), (3, 4)),
    "amax_dim": (lambda fw, x: x.amax(1), (3, 4)),
    "amax_dims_keepdim": (lambda fw, x: x.amax((0, 2), keepdim=True), (2, 3, 4)),
    "amin": (lambda fw, x: fw.amin(x, 0), (3, 4)),
    "amin_keepdim": (lambda fw, x: x.amin(-1, True), (3, 4)),
    "argmax": (lambda fw, x: fw.argmax(x), (3, 4)),
    "argmax_dim": (lambda fw, x: x.argmax(1), (3, 4)),
    "argmax_keepdim": (lambda fw, x: x.argmax(0, keepdim=True), (3, 4)),
    "argmax_none_keepdim": (lambda fw, x: x.argmax(keepdim=True), (3, 4)),
    "argmin": (lambda fw, x: fw.argmin(x), (3, 4)),
    "argmin_dim": (lambda fw, x: x.argmin(-1, True), (3, 4)),
    "logsumexp": (lambda fw, x: fw.logsumexp(x, 1), (3, 4)),
    "logsumexp_dims_keepdim": (lambda fw, x: x.logsumexp((0, 1), keepdim=True), (3, 4)),
    "softmax": (lambda fw, x: fw.softmax(x, 1), (3, 4)),
    "softmax_dim0": (lambda fw, x: x.softmax(0), (3, 4, 2)),
    "softmax_dtype": (lambda fw, x: fw.softmax(x, -1, dtype=fw.float64), (3, 4)),
    "softmax_0d": (lambda fw, x: x.softmax(0), ()),
    "log_softmax": (lambda fw, x: fw.log_softmax(x, 1), (3, 4)),
    "log_softmax_dim0": (lambda fw, x: x.log_softmax(0), (3, 4, 2)),
    "log_softmax_dtype": (lambda fw, x: x.log_softmax(-1, dtype=fw.float64), (3, 4)),
    "cumsum": (lambda fw, x: fw.cumsum(x, 1), (3, 4)),
    "cumsum_dim0": (lambda fw, x: x.cumsum(0), (3, 4, 2)),
    "cumsum_dtype": (lambda fw, x: x.cumsum(-1, dtype=fw.float64), (3, 4)),
    "cumprod": (lambda fw, x: fw.cumprod(x, 1), (3, 4)),
    "cumprod_dim0": (lambda fw, x: x.cumprod(0), (3, 4, 2)),
    "norm": (lambda fw, x: fw.norm(x), (3, 4)),
    "norm_p1_dim": (lambda fw, x: x.norm(1, 1), (3, 4)),
    "norm_p3_keepdim": (lambda fw, x: x.norm(3, 0, True), (3, 4)),
    "norm_p0_5": (lambda fw, x: x.norm(0.5, dim=1), (3, 4)),
    "norm_inf": (lambda fw, x: x.norm(INF, 1), (3, 4)),
    "norm_neg_inf": (lambda fw, x: x.norm(-INF), (3, 4)),
    "norm_fro_dims": (lambda fw, x: x.norm("fro", (0, 1)), (3, 4)),
    "norm_p0": (lambda fw, x: x.norm(0), (3, 4)),
    "norm_dtype": (lambda fw, x: fw.norm(x, 2, 1, dtype=fw.float64), (3, 4)),
    "all": (lambda fw, x: fw.all(x > 0), (3, 4)),
    "all_dim": (lambda fw, x: (x > -1).all(1), (3, 4)),
    "all_dims_keepdim": (lambda fw, x: (x > -1).all((0, 1), keepdim=True), (3, 4)),
    "any": (lambda fw, x: fw.any(x > 1), (3, 4)),
    "any_dim": (lambda fw, x: (x > 1).any(0, keepdim=True), (3, 4)),
    "count_nonzero": (lambda fw, x: fw.count_nonzero(x > 0), (3, 4)),
    "count_nonzero_dims": (lambda fw, x: (x > 0).count_nonzero((0, 1)), (3, 4, 2)),
}


@pytest.mark.parametrize("name", list(OPS))
def test_parity(name):
    fn, shape = OPS[name]
    check(fn, shape)


INT_OPS = {                                  # id: fn(fw, x) on an int64 / bool tensor
    "sum_int": lambda fw, x: x.sum(0),
    "sum_bool": lambda fw, x: (x > 2).sum(),
    "prod_int": lambda fw, x: x.prod(1),
    "prod_bool": lambda fw, x: (x > 0).prod(),
    "amax_int": lambda fw, x: x.amax(1),
    "argmax_int": lambda fw, x: x.argmax(0),
    "cumsum_int": lambda fw, x: x.cumsum(1),
    "cumprod_bool": lambda fw, x: (x > 0).cumprod(0),
    "logsumexp_int": lambda fw, x: x.logsumexp(1),
    "all_int": lambda fw, x: x.all(1),
    "any_uint8": lambda fw, x: x.to(fw.uint8).any(),
    "all_uint8_dim": lambda fw, x: x.to(fw.uint8).all(0),
    "mean_int_dtype": lambda fw, x: x.mean(1, dtype=fw.float32),
}


@pytest.mark.parametrize("name", list(INT_OPS))
def test_parity_integer_inputs(name):
    check(INT_OPS[name], Spec((3, 4), kind="int", low=-3, high=5, dtype="int64"), dtypes=("float64",))


@pytest.mark.parametrize("name,fn", [
    ("sum_empty", lambda fw, x: x.sum(0)), ("prod_empty", lambda fw, x: x.prod(0)),
    ("mean_empty", lambda fw, x: x.mean(0)), ("logsumexp_empty", lambda fw, x: x.logsumexp(0)),
    ("amax_empty_kept_dim", lambda fw, x: x.amax(1)), ("norm_empty", lambda fw, x: x.norm()),
    ("all_empty", lambda fw, x: x.all()), ("any_empty", lambda fw, x: x.any(0)),
    ("cumsum_empty", lambda fw, x: x.cumsum(0)), ("softmax_empty", lambda fw, x: x.softmax(1)),
])
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # harness's diff of -inf outputs
def test_parity_empty(name, fn):
    check(fn, (0, 3), layouts=("contiguous",))


def _grads_vs_torch(fn, values):
    """Gradient of ``fn(x).sum()`` in both frameworks at ``values`` (float64)."""
    a = minitorch.tensor(values, dtype=minitorch.float64, requires_grad=True)
    b = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ga, = minitorch.autograd.grad(fn(minitorch, a).sum(), a, allow_unused=True)
    gb, = torch.autograd.grad(fn(torch, b).sum(), b, allow_unused=True)     # None: torch's p=0 norm
    np.testing.assert_allclose(ga.numpy(), np.zeros(b.shape) if gb is None else gb.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("values", [[[2., 0., 3.], [0., 0., 5.]], [[1., 2., 3.], [4., 0., 6.]], [[0., 0., 0.], [1., 2., 0.]]],
                         ids=["one_and_two_zeros", "one_zero", "three_and_two_zeros"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_zeros(values, dim):
    _grads_vs_torch(lambda fw, x: x.prod() if dim is None else x.prod(dim), values)


def test_prod_gradgradcheck_with_one_zero():
    x = minitorch.tensor([[1.5, 0., -2.], [0.5, 3., 0.]], dtype=minitorch.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t.prod(1), (x,))


@pytest.mark.parametrize("values", [[2., 0., 3., 4.], [0., 2., 0., 3.], [1., 2., 3., 0.]],
                         ids=["middle_zero", "two_zeros", "last_zero"])
def test_cumprod_gradient_with_zeros(values):
    _grads_vs_torch(lambda fw, x: x.cumprod(0) * fw.arange(1., 5., dtype=fw.float64), values)
    _grads_vs_torch(lambda fw, x: x.reshape(2, 2).cumprod(1), values)


@pytest.mark.parametrize("name,fn", [
    ("amax_ties", lambda fw, x: x.amax(1)), ("amin_ties", lambda fw, x: x.amin()),
    ("max_whole_ties", lambda fw, x: x.max()), ("norm_inf_ties", lambda fw, x: x.norm(INF, 1)),
])
def test_tied_extremes_split_gradient_evenly(name, fn):
    _grads_vs_torch(fn, [[3., 1., 3., 3.], [-2., -2., 1., 0.5]])


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, INF, 0])
def test_norm_gradient_at_zero_vector(p):
    _grads_vs_torch(lambda fw, x: x.norm(p, 1), [[0., 0., 0.], [1., 0., -2.]])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")   # inf - inf in the gradient at inf
def test_softmax_and_logsumexp_are_stable():
    x = [[1000., 1001., -INF], [-1000., -1002., -999.]]
    for fn in (lambda fw, t: t.softmax(1), lambda fw, t: t.log_softmax(1), lambda fw, t: t.logsumexp(1)):
        a, b = fn(minitorch, minitorch.tensor(x)), fn(torch, torch.tensor(x))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
        assert np.isfinite(a.numpy()[np.isfinite(b.numpy())]).all()
    _grads_vs_torch(lambda fw, t: t.logsumexp(1), [[INF, 1.], [2., 3.]])


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(), lambda x: x.mean(), lambda x: x.prod(), lambda x: x.var(), lambda x: x.std(1),
    lambda x: x.amax(1), lambda x: x.amin(0), lambda x: x.logsumexp(1), lambda x: x.softmax(1),
    lambda x: x.log_softmax(0), lambda x: x.cumsum(1), lambda x: x.cumprod(0), lambda x: x.norm(3, 1),
], ids=["sum", "mean", "prod", "var", "std", "amax", "amin", "logsumexp", "softmax", "log_softmax", "cumsum",
        "cumprod", "norm"])
def test_grad_fn_names_match_torch(fn):
    a, b = minitorch.ones(2, 3, requires_grad=True), torch.ones(2, 3, requires_grad=True)
    assert fn(a).grad_fn.name() == fn(b).grad_fn.name()


DIFFERENTIABLE = {                           # id: (fn, shape) for gradcheck in float64
    "sum": (lambda x: x.sum((0, 1)), (2, 3)),
    "mean": (lambda x: x.mean(1, keepdim=True), (2, 3)),
    "prod": (lambda x: x.prod(1), (2, 3)),
    "var": (lambda x: x.var(0, correction=0), (3, 2)),
    "std": (lambda x: x.std(1), (2, 3)),
    "var_mean": (lambda x: minitorch.var_mean(x, 1), (2, 3)),
    "std_mean": (lambda x: minitorch.std_mean(x, 0, correction=0), (2, 3)),
    "amax": (lambda x: x.amax(1), (2, 3)),
    "amin": (lambda x: x.amin(0, keepdim=True), (2, 3)),
    "logsumexp": (lambda x: x.logsumexp(1), (2, 3)),
    "softmax": (lambda x: x.softmax(1), (2, 3)),
    "log_softmax": (lambda x: x.log_softmax(0), (2, 3)),
    "cumsum": (lambda x: x.cumsum(1), (2, 3)),
    "cumprod": (lambda x: x.cumprod(1), (2, 3)),
    "norm": (lambda x: x.norm(), (2, 3)),
    "norm_p3": (lambda x: x.norm(3, 1), (2, 3)),
    "norm_p1": (lambda x: x.norm(1, 0), (2, 3)),
    "norm_inf": (lambda x: x.norm(INF, 1), (2, 3)),
}
GRADGRAD = ["sum", "mean", "prod", "var", "std", "softmax", "log_softmax", "logsumexp", "norm", "norm_p3", "cumsum",
            "cumprod", "amax"]


def _input(shape, seed=0):
    return minitorch.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, shape) *
                            np.where(np.arange(int(np.prod(shape))).reshape(shape) % 2, 1, -1),
                            dtype=minitorch.float64, requires_grad=True)


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_gradcheck(name):
    fn, shape = DIFFERENTIABLE[name]
    assert gradcheck(fn, (_input(shape),))


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck(name):
    fn, shape = DIFFERENTIABLE[name]
    assert gradgradcheck(fn, (_input(shape),))


def test_cumprod_gradcheck_with_zeros():
    x = minitorch.tensor([[1.5, 0., -2., 0.7], [0., 2., 0., 3.]], dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(1), (x,))


# errors -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn,exc,match", [
    ("sum_dim_out_of_range", lambda fw: fw.ones(2, 3).sum(2), IndexError, r"range of \[-2, 1\], but got 2"),
    ("amax_dim_out_of_range", lambda fw: fw.ones(2, 3).amax(-3), IndexError, r"range of \[-2, 1\], but got -3"),
    ("argmax_dim_out_of_range", lambda fw: fw.ones(2, 3).argmax(5), IndexError, r"range of \[-2, 1\], but got 5"),
    ("softmax_dim_out_of_range", lambda fw: fw.ones(2, 3).softmax(2), IndexError, r"range of \[-2, 1\], but got 2"),
    ("cumsum_dim_out_of_range", lambda fw: fw.ones(4).cumsum(1), IndexError, r"range of \[-1, 0\], but got 1"),
    ("sum_duplicate_dims", lambda fw: fw.ones(2, 3).sum((0, -2)), RuntimeError, "dim 0 appears multiple times"),
    ("var_duplicate_dims", lambda fw: fw.ones(2, 3).var((1, 1)), RuntimeError, "dim 1 appears multiple times"),
    ("mean_int", lambda fw: fw.arange(4).mean(), RuntimeError, "Input dtype must be either a floating point.*Long"),
    ("var_int", lambda fw: fw.arange(4).var(), RuntimeError, "std and var only support floating point"),
    ("norm_int", lambda fw: fw.arange(4).norm(), RuntimeError, "Expected a floating point.*Got Long"),
    ("softmax_int", lambda fw: fw.arange(4).softmax(0), NotImplementedError, "softmax_lastdim_kernel_impl.*Long"),
    ("amax_empty_whole", lambda fw: fw.empty(0, 3).amax(), RuntimeError, "Expected reduction dim to be specified"),
    ("amax_empty_dim", lambda fw: fw.empty(0, 3).amax(0), IndexError, "reduction dim 0 to have non-zero size"),
    ("argmax_empty", lambda fw: fw.empty(0, 3).argmax(), IndexError, "Expected reduction dim to be specified"),
    ("argmin_empty_dim", lambda fw: fw.empty(0, 3).argmin(0), IndexError, "reduction dim 0 to have non-zero size"),
    ("norm_inf_empty", lambda fw: fw.empty(0).norm(INF), RuntimeError, "cannot compute the inf norm on an empty"),
])
def test_errors(name, fn, exc, match):
    assert_raises_like_torch(fn, match=match, exc=exc)


# hypothesis differential test -----------------------------------------------------------------------------------
DIFF_OPS = {
    "sum": lambda fw, x, dims, keepdim: x.sum(dims, keepdim=keepdim),
    "mean": lambda fw, x, dims, keepdim: x.mean(dims, keepdim=keepdim),
    "var": lambda fw, x, dims, keepdim: x.var(dims, keepdim=keepdim),
    "amax": lambda fw, x, dims, keepdim: x.amax(dims, keepdim=keepdim),
    "logsumexp": lambda fw, x, dims, keepdim: x.logsumexp(dims, keepdim=keepdim),
    "softmax": lambda fw, x, dims, keepdim: x.softmax(dims[0] if dims else -1),
}


@st.composite
def reduction_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    dims = tuple(draw(st.sets(st.integers(-len(shape), len(shape) - 1).map(lambda d: d % len(shape)),
                              min_size=1, max_size=len(shape))))
    return (draw(st.sampled_from(sorted(DIFF_OPS))), shape, dims, draw(st.booleans()),
            draw(st.sampled_from(["float32", "float64"])))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(reduction_cases())
def test_hypothesis_reductions_match_torch(case):
    name, shape, dims, keepdim, dtype = case
    if name == "var" and math.prod(shape[d] for d in dims) < 2:
        dims = tuple(range(len(shape)))
        if math.prod(shape) < 2:
            return
    op = DIFF_OPS[name]
    check(lambda fw, x: op(fw, x, dims, keepdim), shape, dtypes=(dtype,))


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_float16_running_reductions_accumulate_in_float32_like_torch(op):
    values = np.full(4096, 0.1 if op == "cumsum" else 1.0002, dtype=np.float16)
    mine = getattr(minitorch.tensor(values), op)(0)
    theirs = getattr(torch.tensor(values), op)(0)
    assert mine.dtype is minitorch.float16
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())

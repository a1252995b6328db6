"""Parity of the selection ops with torch: sort, argsort, topk, max/min (whole, with dim as a named tuple, and
the binary form), median, unique — values, indices, gradients to the selected elements, gradcheck and
gradgradcheck, named-tuple behaviour, ties, torch's errors, and a hypothesis differential test over random
shapes and dims (inputs hold distinct values so that the chosen indices are unambiguous)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import LAYOUTS, assert_raises_like_torch, check

NO_BROADCAST = tuple(layout for layout in LAYOUTS if layout != "broadcast")   # its equal rows are ties along dim 0

OPS = {                                      # id: (fn(fw, x), input shape, layouts)
    "sort": (lambda fw, x: fw.sort(x), (3, 4), LAYOUTS),
    "sort_dim0": (lambda fw, x: x.sort(0), (3, 4), NO_BROADCAST),
    "sort_descending": (lambda fw, x: x.sort(1, descending=True), (2, 3, 4), LAYOUTS),
    "sort_stable": (lambda fw, x: fw.sort(x, dim=-1, stable=True), (3, 4), LAYOUTS),
    "sort_0d": (lambda fw, x: x.sort(), (), LAYOUTS),
    "argsort": (lambda fw, x: fw.argsort(x), (3, 4), LAYOUTS),
    "argsort_axis_alias": (lambda fw, x: x.argsort(axis=1), (3, 4), LAYOUTS),
    "argsort_descending_dim0": (lambda fw, x: x.argsort(0, descending=True), (3, 4), NO_BROADCAST),
    "topk": (lambda fw, x: fw.topk(x, 2), (3, 4), LAYOUTS),
    "topk_smallest_dim0": (lambda fw, x: x.topk(2, 0, largest=False), (3, 4), NO_BROADCAST),
    "topk_all": (lambda fw, x: x.topk(4, sorted=True), (3, 4), LAYOUTS),
    "topk_zero": (lambda fw, x: x.topk(0), (3, 4), LAYOUTS),
    "max": (lambda fw, x: fw.max(x), (3, 4), LAYOUTS),
    "max_dim": (lambda fw, x: x.max(1), (3, 4), LAYOUTS),
    "max_dim0_keepdim": (lambda fw, x: x.max(0, keepdim=True), (3, 4), NO_BROADCAST),
    "max_dim_kw": (lambda fw, x: fw.max(x, dim=-1, keepdim=True), (2, 3, 4), LAYOUTS),
    "max_binary": (lambda fw, x: fw.max(x, x.flip(0) * 0.5), (3, 4), NO_BROADCAST),
    "max_other_kw": (lambda fw, x: x.max(other=x.flip(1)), (3, 4), LAYOUTS),
    "max_0d_dim": (lambda fw, x: x.max(0), (), LAYOUTS),
    "max_axis_alias": (lambda fw, x: fw.max(x, axis=1), (3, 4), LAYOUTS),
    "min": (lambda fw, x: fw.min(x), (3, 4), LAYOUTS),
    "min_dim": (lambda fw, x: x.min(1, True), (3, 4), LAYOUTS),
    "min_binary": (lambda fw, x: fw.min(x, x.flip(1) * 0.5), (3, 4), LAYOUTS),
    "median": (lambda fw, x: fw.median(x), (3, 4), NO_BROADCAST),
    "median_dim": (lambda fw, x: x.median(1), (3, 5), LAYOUTS),
    "median_dim_keepdim": (lambda fw, x: x.median(-1, keepdim=True), (2, 3, 4), LAYOUTS),
}


@pytest.mark.parametrize("name", list(OPS))
def test_parity(name):
    fn, shape, layouts = OPS[name]
    check(fn, shape, layouts=layouts)


@pytest.mark.parametrize("name,fn", [
    ("unique", lambda fw, x: fw.unique(x)),
    ("unique_inverse_counts", lambda fw, x: x.unique(return_inverse=True, return_counts=True)),
    ("unique_unsorted", lambda fw, x: x.unique(sorted=False, return_counts=True)),
    ("unique_dim0", lambda fw, x: fw.unique(x.reshape(6, 2) % 2, dim=0, return_inverse=True, return_counts=True)),
    ("unique_dim1", lambda fw, x: x.unique(dim=1)),
    ("unique_float", lambda fw, x: (x.to(fw.float32) / 2).unique(return_inverse=True)),
    ("unique_bool", lambda fw, x: (x > 1).unique(return_counts=True)),
])
def test_parity_unique(name, fn):
    from parity import Spec
    check(fn, Spec((3, 4), kind="int", low=0, high=4, dtype="int64"), dtypes=("float64",))


@pytest.mark.parametrize("name,fn", [
    ("sort_int", lambda fw, x: x.sort(1, descending=True)), ("argsort_int", lambda fw, x: x.argsort(dim=0, stable=True)),
    ("max_int_dim", lambda fw, x: x.max(1)), ("min_int", lambda fw, x: x.min()),
    ("topk_int", lambda fw, x: x.topk(1)),
])
def test_parity_integer_inputs_with_ties(name, fn):
    """Ties: torch's max/min/argmax pick the first index; sort with stable=True (or descending) keeps order."""
    from parity import Spec
    check(fn, Spec((3, 6), kind="int", low=0, high=3, dtype="int64"), dtypes=("float64",))


def test_return_types_behave_like_torch():
    x = minitorch.tensor([[3., 1., 2.], [1., 5., 0.]])
    out = x.max(1)
    values, indices = out
    assert type(out).__name__ == "max" and isinstance(out, tuple) and len(out) == 2
    assert out.values is values and out.indices is indices and out[0] is values
    assert indices.dtype == minitorch.int64 and indices.tolist() == [0, 1]
    assert type(x.sort()).__name__ == "sort" and type(x.topk(1)).__name__ == "topk"
    assert type(x.min(0)).__name__ == "min" and type(x.median(0)).__name__ == "median"
    assert x.sort(descending=True).values.tolist() == torch.tensor(x.tolist()).sort(descending=True).values.tolist()
    assert repr(out) == repr(torch.tensor(x.tolist()).max(1)).replace("torch.", "minitorch.")


@pytest.mark.parametrize("fn", [lambda x: x.sort(1), lambda x: x.topk(2), lambda x: x.max(1), lambda x: x.min(0)],
                         ids=["sort", "topk", "max", "min"])
def test_grad_fn_names_match_torch(fn):
    a, b = minitorch.randn(2, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True)
    assert fn(a).values.grad_fn.name() == fn(b).values.grad_fn.name()


def test_whole_median_splits_gradient_among_ties():
    values = [[1., 2., 2.], [3., 2., 0.]]
    a, b = minitorch.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ga, = minitorch.autograd.grad(a.median(), a)
    gb, = torch.autograd.grad(b.median(), b)
    np.testing.assert_allclose(ga.numpy(), gb.numpy())


def test_max_dim_ties_take_first_index_and_its_gradient():
    values = [[2., 5., 5.], [1., 1., 0.]]
    a = minitorch.tensor(values, requires_grad=True)
    b = torch.tensor(values, requires_grad=True)
    ra, rb = a.max(1), b.max(1)
    assert ra.indices.tolist() == rb.indices.tolist() == [1, 0]
    ga, = minitorch.autograd.grad(ra.values.sum(), a)
    gb, = torch.autograd.grad(rb.values.sum(), b)
    np.testing.assert_array_equal(ga.numpy(), gb.numpy())


@pytest.mark.parametrize("name,fn", [
    ("sort", lambda x: x.sort(1)), ("sort_descending", lambda x: x.sort(1, descending=True)),
    ("topk", lambda x: x.topk(2)), ("max_dim", lambda x: x.max(1)), ("min_dim", lambda x: x.min(1)),
    ("median_dim", lambda x: x.median(1)), ("median", lambda x: (x.median(),)), ("max", lambda x: (x.max(),)),
])
def test_nan_handling_matches_torch(name, fn):
    """NaN counts as the largest value; max/min/median of a slice holding NaN is NaN at its first NaN."""
    nan = float("nan")
    x = [[1., nan, 3., nan, 0.], [2., 1., 0., 5., 4.]]
    for a, b in zip(fn(minitorch.tensor(x)), fn(torch.tensor(x))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _distinct(shape, seed=0):
    n = int(np.prod(shape))
    vals = (np.random.default_rng(seed).permutation(n) - n / 2) / 3
    return minitorch.tensor(vals.reshape(shape), dtype=minitorch.float64, requires_grad=True)


DIFFERENTIABLE = {
    "sort": lambda x: x.sort(1).values,
    "sort_descending": lambda x: x.sort(0, descending=True).values,
    "topk": lambda x: x.topk(2, 1).values,
    "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(0).values,
    "min_dim": lambda x: x.min(1, keepdim=True).values,
    "median": lambda x: x.median(),
    "median_dim": lambda x: x.median(1).values,
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_gradcheck(name):
    assert gradcheck(DIFFERENTIABLE[name], (_distinct((3, 4)),))


@pytest.mark.parametrize("name", ["sort", "topk", "max_dim"])
def test_gradgradcheck(name):
    fn = DIFFERENTIABLE[name]
    assert gradgradcheck(lambda x: fn(x) * fn(x), (_distinct((3, 4)),))


@pytest.mark.parametrize("name,fn,exc,match", [
    ("sort_dim_out_of_range", lambda fw: fw.ones(2, 3).sort(5), IndexError, r"range of \[-2, 1\], but got 5"),
    ("argsort_dim_out_of_range", lambda fw: fw.ones(2, 3).argsort(-3), IndexError, r"range of \[-2, 1\], but got -3"),
    ("max_dim_out_of_range", lambda fw: fw.ones(2, 3).max(2), IndexError, r"range of \[-2, 1\], but got 2"),
    ("unique_dim_out_of_range", lambda fw: fw.ones(2, 3).unique(dim=3), IndexError, r"range of \[-2, 1\], but got 3"),
    ("topk_k_too_large", lambda fw: fw.ones(2, 3).topk(4), RuntimeError, "selected index k out of range"),
    ("topk_k_negative", lambda fw: fw.ones(3).topk(-1), RuntimeError, "selected index k out of range"),
    ("max_empty", lambda fw: fw.empty(0, 3).max(), RuntimeError, "max\\(\\): Expected reduction dim to be specified"),
    ("min_empty", lambda fw: fw.empty(0).min(), RuntimeError, "min\\(\\): Expected reduction dim to be specified"),
    ("max_empty_dim", lambda fw: fw.empty(0, 3).max(0), IndexError, "reduction dim 0 to have non-zero size"),
    ("median_empty_dim", lambda fw: fw.empty(2, 0).median(1), IndexError, "reduction dim 1 to have non-zero size"),
])
def test_errors(name, fn, exc, match):
    assert_raises_like_torch(fn, match=match, exc=exc)


def test_empty_inputs_match_torch():
    for fn in (lambda fw: fw.empty(0, 3).max(1), lambda fw: fw.empty(0).sort(), lambda fw: fw.empty(0).topk(0),
               lambda fw: fw.empty(0).unique(return_counts=True)):
        for a, b in zip(fn(minitorch), fn(torch)):
            assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch", "minitorch")
    assert np.isnan(minitorch.empty(0).median().item()) and np.isnan(torch.empty(0).median().item())


@st.composite
def selection_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    op = draw(st.sampled_from(["sort", "sort_desc", "topk", "max", "min", "argsort"]))
    return op, shape, dim, draw(st.integers(0, shape[dim])), draw(st.booleans()), draw(st.sampled_from(["float32", "float64"]))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(selection_cases())
def test_hypothesis_selection_matches_torch(case):
    op, shape, dim, k, keepdim, dtype = case
    fn = {"sort": lambda fw, x: x.sort(dim), "sort_desc": lambda fw, x: x.sort(dim, descending=True),
          "topk": lambda fw, x: x.topk(k, dim, largest=keepdim), "max": lambda fw, x: x.max(dim, keepdim),
          "min": lambda fw, x: x.min(dim, keepdim), "argsort": lambda fw, x: x.argsort(dim)}[op]
    check(fn, shape, dtypes=(dtype,), layouts=NO_BROADCAST)

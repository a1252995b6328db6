"""pairwise_distance / cosine_similarity and the PairwiseDistance / CosineSimilarity layers: parity with torch
(values and gradients, broadcasting, keepdim, torch's clamping of the norms), gradcheck, reprs and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as MF
from parity.harness import assert_raises_like_torch, check, gradcheck_inputs
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


CASES = {
    "pairwise_distance": (lambda fw, a, b: F(fw).pairwise_distance(a, b), (4, 5), (4, 5)),
    "pairwise_distance_p1_keepdim": (lambda fw, a, b: F(fw).pairwise_distance(a, b, 1.0, keepdim=True), (4, 5), (4, 5)),
    "pairwise_distance_p3_broadcast": (lambda fw, a, b: F(fw).pairwise_distance(a, b, 3.0), (2, 4, 5), (5,)),
    "pairwise_distance_pinf": (lambda fw, a, b: F(fw).pairwise_distance(a, b, float("inf"), 1e-3), (3, 6), (3, 6)),
    "pairwise_distance_p0": (lambda fw, a, b: F(fw).pairwise_distance(a, b, 0.0), (3, 6), (3, 6)),
    "pairwise_distance_1d": (lambda fw, a, b: F(fw).pairwise_distance(a, b, 1.5, 0.0), (6,), (6,)),
    "cosine_similarity": (lambda fw, a, b: F(fw).cosine_similarity(a, b), (4, 5), (4, 5)),
    "cosine_similarity_dim0_broadcast": (lambda fw, a, b: F(fw).cosine_similarity(a, b, dim=0), (4, 1, 3), (4, 2, 1)),
    "cosine_similarity_last_dim_eps": (lambda fw, a, b: F(fw).cosine_similarity(a, b, -1, 1e-3), (2, 3, 5), (5,)),
}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_parity(name):
    fn, *shapes = CASES[name]
    check(fn, *shapes)


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("p0")], ids=[n for n in CASES
                                                                                 if not n.endswith("p0")])
def test_gradcheck(name):
    fn, *shapes = CASES[name]
    a, b = gradcheck_inputs(*shapes)
    assert minitorch.autograd.gradcheck(lambda x, y: fn(minitorch, x, y), (a, b))


@pytest.mark.parametrize("name", ["pairwise_distance", "pairwise_distance_p3_broadcast", "cosine_similarity"])
def test_gradgradcheck(name):
    fn, *shapes = CASES[name]
    a, b = gradcheck_inputs(*shapes)
    assert minitorch.autograd.gradgradcheck(lambda x, y: fn(minitorch, x, y), (a, b))


@pytest.mark.parametrize("scale", [1e-12, 1e-9, 1.0])
def test_cosine_similarity_clamps_norms_like_torch(scale):
    # norms below eps are clamped for the value, while the gradient still goes through the unclamped norm
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)) * scale, rng.standard_normal((3, 4))
    a[1] = 0.0                                                   # a zero vector: cosine 0, finite gradient
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ma, mb = (minitorch.tensor(v, requires_grad=True) for v in (a, b))
    t, m = torch.nn.functional.cosine_similarity(ta, tb), MF.cosine_similarity(ma, mb)
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    t.sum().backward()
    m.sum().backward()
    np.testing.assert_allclose(ma.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mb.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cosine_similarity_of_large_vectors_like_torch():
    # torch normalises each vector first (no overflow of |x1| * |x2|); past sqrt(max) its norm overflows to inf
    for value in (1e150, 1e200):
        big = np.full((2, 3), value)
        out = MF.cosine_similarity(minitorch.tensor(big), minitorch.tensor(big)).numpy()
        ref = torch.nn.functional.cosine_similarity(torch.tensor(big), torch.tensor(big)).numpy()
        np.testing.assert_allclose(out, ref, rtol=1e-12)


MODULES = {
    "PairwiseDistance": (lambda fw: fw.nn.PairwiseDistance(), (4, 5), (4, 5)),
    "PairwiseDistance_p1_keepdim": (lambda fw: fw.nn.PairwiseDistance(1.0, 1e-4, True), (3, 2, 5), (3, 2, 5)),
    "CosineSimilarity": (lambda fw: fw.nn.CosineSimilarity(), (4, 5, 2), (4, 5, 2)),
    "CosineSimilarity_dim_last": (lambda fw: fw.nn.CosineSimilarity(-1, 1e-6), (4, 5), (1, 5)),
}


@pytest.mark.parametrize("name", list(MODULES), ids=list(MODULES))
def test_module_parity(name):
    make, *shapes = MODULES[name]
    check_module(make, *shapes)


def test_module_repr_and_attributes():
    for args in [(), (1.0, 1e-3, True)]:
        assert repr(nn.PairwiseDistance(*args)) == repr(torch.nn.PairwiseDistance(*args))
        m, t = nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
        assert (m.norm, m.eps, m.keepdim) == (t.norm, t.eps, t.keepdim)
    for args in [(), (0, 1e-3)]:
        assert repr(nn.CosineSimilarity(*args)) == repr(torch.nn.CosineSimilarity(*args))
        m, t = nn.CosineSimilarity(*args), torch.nn.CosineSimilarity(*args)
        assert (m.dim, m.eps) == (t.dim, t.eps)


@pytest.mark.parametrize("fn", ["pairwise_distance", "cosine_similarity"])
def test_shapes_that_do_not_broadcast(fn):
    assert_raises_like_torch(lambda fw, a, b: getattr(F(fw), fn)(a, b), np.ones((3, 4)), np.ones((3, 5)),
                             match=r"The size of tensor a \(4\) must match the size of tensor b \(5\) at "
                                   r"non-singleton dimension 1", exc=RuntimeError)


def test_cosine_similarity_bad_dim_and_dtype():
    assert_raises_like_torch(lambda fw, a, b: F(fw).cosine_similarity(a, b, dim=2), np.ones((3, 4)), np.ones((3, 4)),
                             match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)",
                             exc=IndexError)
    assert_raises_like_torch(lambda fw, a, b: F(fw).cosine_similarity(a, b), np.ones((3, 4), np.int64),
                             np.ones((3, 4), np.int64),
                             match="expected common dtype to be floating point, yet common dtype is Long",
                             exc=RuntimeError)


def test_cosine_similarity_promotes_integer_input():
    a, b = np.arange(12).reshape(3, 4), np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    m = MF.cosine_similarity(minitorch.from_numpy(a), minitorch.from_numpy(b))
    t = torch.nn.functional.cosine_similarity(torch.from_numpy(a), torch.from_numpy(b))
    assert m.dtype == minitorch.float32
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)


@st.composite
def _pair(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    other = [1 if draw(st.booleans()) else n for n in shape][draw(st.integers(0, len(shape) - 1)):]
    return (shape, other) if draw(st.booleans()) else (other, shape)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shapes=_pair(), dtype=st.sampled_from(["float32", "float64"]), p=st.sampled_from([1.0, 2.0, 3.0]),
       keepdim=st.booleans(), dim=st.integers(-1, 0))
def test_differential(shapes, dtype, p, keepdim, dim):
    rng = np.random.default_rng(len(shapes[0]))
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    tol = 1e-5 if dtype == "float32" else 1e-10
    for name, kw in [("pairwise_distance", dict(p=p, keepdim=keepdim)), ("cosine_similarity", dict(dim=dim))]:
        m = getattr(MF, name)(minitorch.from_numpy(a), minitorch.from_numpy(b), **kw)
        t = getattr(torch.nn.functional, name)(torch.from_numpy(a), torch.from_numpy(b), **kw)
        assert tuple(m.shape) == tuple(t.shape) and str(m.dtype)[10:] == str(t.dtype)[6:]
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=tol, atol=tol)

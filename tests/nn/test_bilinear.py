"""nn.Bilinear / F.bilinear: parity with torch (values, input and parameter gradients, batch shapes), gradcheck,
repr, default initialisation bounds and torch's errors."""
import math

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


MODULES = {
    "Bilinear": ((3, 4, 5), {}, (6, 3), (6, 4)),
    "Bilinear_nobias": ((3, 4, 5), {"bias": False}, (6, 3), (6, 4)),
    "Bilinear_3d_batch": ((2, 3, 4), {}, (2, 5, 2), (2, 5, 3)),
    "Bilinear_unbatched": ((3, 2, 4), {}, (3,), (2,)),
}


@pytest.mark.parametrize("name", list(MODULES), ids=list(MODULES))
def test_module_parity(name):
    args, kw, *shapes = MODULES[name]
    check_module(lambda fw: fw.nn.Bilinear(*args, **kw), *shapes)


FUNCS = {
    "bilinear": ((5, 3), (5, 4), (2, 3, 4), (2,)),
    "bilinear_nobias": ((5, 3), (5, 4), (2, 3, 4)),
    "bilinear_broadcast_bias": ((2, 5, 3), (2, 5, 4), (6, 3, 4), (6,)),
}


@pytest.mark.parametrize("name", list(FUNCS), ids=list(FUNCS))
def test_functional_parity(name):
    check(lambda fw, *xs: F(fw).bilinear(*xs), *FUNCS[name])


@pytest.mark.parametrize("name", list(FUNCS), ids=list(FUNCS))
def test_gradcheck(name):
    xs = gradcheck_inputs(*FUNCS[name])
    assert minitorch.autograd.gradcheck(MF.bilinear, xs)


def test_gradgradcheck():
    xs = gradcheck_inputs(*FUNCS["bilinear"])
    assert minitorch.autograd.gradgradcheck(MF.bilinear, xs)


def test_repr():
    for args, kw in [((3, 4, 5), {}), ((2, 7, 1), {"bias": False})]:
        assert repr(nn.Bilinear(*args, **kw)) == repr(torch.nn.Bilinear(*args, **kw))
    m = nn.Bilinear(3, 4, 5, bias=False)
    assert m.bias is None and list(m.state_dict()) == ["weight"]


def test_default_init_bounds():
    # weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as torch
    m = nn.Bilinear(16, 30, 200, dtype=minitorch.float64)
    bound = 1 / math.sqrt(16)
    for p in (m.weight, m.bias):
        v = p.detach().numpy()
        assert np.abs(v).max() <= bound and np.abs(v).max() > 0.95 * bound
    w = m.weight.detach().numpy()
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert m.weight.shape == (200, 16, 30) and m.weight.dtype == minitorch.float64


def test_constructor_error():
    with pytest.raises(ValueError):
        torch.nn.Bilinear(0, 3, 2)
    with pytest.raises(ValueError, match=r"in1_features must be > 0, but got \(in1_features=0\)"):
        nn.Bilinear(0, 3, 2)


@pytest.mark.parametrize("shapes,match", [
    (((4, 3), (4, 2, 4), (5, 3, 4)), "bilinear\\(\\): input dimensions do not match: got 2 and 3"),
    (((4, 3), (5, 4), (5, 3, 4)), "bilinear\\(\\): input batch dimensions do not match at dim 0: got 4 and 5"),
    (((4, 2), (4, 4), (5, 3, 4)), "bilinear\\(\\): input1 size does not match weight size: got 2 but expected 3"),
    (((4, 3), (4, 5), (5, 3, 4)), "bilinear\\(\\): input2 size does not match weight size: got 5 but expected 4"),
    (((4, 3), (4, 4), (5, 3, 4), (6,)), "bilinear\\(\\): bias size does not match weight size: got 6 but expected 5"),
], ids=["ndim", "batch", "in1", "in2", "bias"])
def test_bad_shapes(shapes, match):
    assert_raises_like_torch(lambda fw, *xs: F(fw).bilinear(*xs), *[np.ones(s) for s in shapes], match=match,
                             exc=RuntimeError)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(batch=st.lists(st.integers(1, 4), max_size=3), sizes=st.tuples(*[st.integers(1, 5)] * 3),
       dtype=st.sampled_from(["float32", "float64"]), bias=st.booleans())
def test_differential(batch, sizes, dtype, bias):
    in1, in2, out = sizes
    rng = np.random.default_rng(len(batch) + in1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in
              [(*batch, in1), (*batch, in2), (out, in1, in2)] + ([(out,)] if bias else [])]
    m = MF.bilinear(*[minitorch.from_numpy(a) for a in arrays])
    t = torch.nn.functional.bilinear(*[torch.from_numpy(a) for a in arrays])
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert tuple(m.shape) == tuple(t.shape)
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=tol, atol=tol)

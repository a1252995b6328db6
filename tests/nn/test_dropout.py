"""nn.functional dropout family and the Dropout layers: eval parity with torch, training statistics (fraction
zeroed, exact scale, preserved mean / SELU statistics), gradient = mask * scale, reproducibility under manual_seed,
channel masks of the feature variants, in-place rules, and torch's errors."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as MF
from parity.harness import assert_raises_like_torch, gradcheck_inputs
from parity.modules import check_module

FUNCS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
SHAPES = {"Dropout": (4, 5), "Dropout1d": (2, 3, 5), "Dropout2d": (2, 3, 4, 4), "Dropout3d": (2, 3, 2, 2, 3),
          "AlphaDropout": (4, 5), "FeatureAlphaDropout": (2, 3, 4, 4)}
FEATURE_SHAPES = {"dropout1d": (20, 30, 7), "dropout2d": (20, 30, 3, 4), "dropout3d": (20, 30, 2, 2, 3),
                  "feature_alpha_dropout": (20, 30, 3, 4)}


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


def _shape(name, *sizes):
    """A batched input shape for ``name`` (3-D for dropout1d, 4-D for the others)."""
    return sizes[:3] if name == "dropout1d" else sizes


def _train(name, x, p, **kw):
    return getattr(MF, name)(x, p, training=True, **kw)


# parity in eval mode (the identity), repr and constructor errors ----------------------------------------------------
@pytest.mark.parametrize("name", MODULES, ids=MODULES)
def test_module_eval_parity(name):
    check_module(lambda fw: getattr(fw.nn, name)(p=0.3), SHAPES[name], modes=("eval",))


@pytest.mark.parametrize("name", MODULES, ids=MODULES)
def test_module_p0_train_parity(name):
    # p = 0 is the identity in training mode too (torch returns the input itself)
    check_module(lambda fw: getattr(fw.nn, name)(p=0.0), SHAPES[name], modes=("train",))


@pytest.mark.parametrize("name", MODULES, ids=MODULES)
def test_module_repr_and_errors(name):
    for kw in ({}, {"p": 0.2, "inplace": True}, {"p": 1}):
        assert repr(getattr(nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            getattr(torch.nn, name)(bad)
        with pytest.raises(ValueError, match=rf"between 0 and 1, but got {bad}"):
            getattr(nn, name)(bad)


@pytest.mark.parametrize("name", MODULES, ids=MODULES)
def test_module_eval_is_identity_train_is_not(name):
    m = getattr(nn, name)(0.5)
    x = minitorch.randn(*SHAPES[name]) + 3
    assert m.eval()(x) is x
    assert not np.array_equal(m.train()(x).numpy(), x.numpy())


@pytest.mark.parametrize("name", FUNCS, ids=FUNCS)
def test_functional_identity_cases(name):
    x = minitorch.randn(*_shape(name, 2, 3, 4, 4))
    fn = getattr(MF, name)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0, training=True) is x
    empty = minitorch.ones(*_shape(name, 0, 3, 2, 2))
    assert fn(empty, 0.5, training=True) is empty


@pytest.mark.parametrize("name", FUNCS, ids=FUNCS)
def test_p_out_of_range(name):
    for bad in (-0.5, 1.01):
        assert_raises_like_torch(lambda fw, x: getattr(F(fw), name)(x, bad, True), np.ones((2, 3, 4, 4), "f4"),
                                 match=rf"dropout probability has to be between 0 and 1, but got {bad}",
                                 exc=ValueError)


# training-mode statistics -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_fraction_scale_mean(p, dtype):
    minitorch.manual_seed(0)
    x = minitorch.ones(200_000, dtype=getattr(minitorch, dtype))
    y = MF.dropout(x, p).numpy()
    zero = y == 0
    # the fraction zeroed is Binomial(n, p) / n: 5 standard deviations
    assert abs(zero.mean() - p) < 5 * np.sqrt(p * (1 - p) / y.size)
    # the kept values are scaled exactly as torch scales them (1 / (1 - p) in the input's dtype)
    t = torch.nn.functional.dropout(torch.ones(1000, dtype=getattr(torch, dtype)), p).numpy()
    assert set(np.unique(y[~zero]).tolist()) == set(np.unique(t[t != 0]).tolist())
    assert y.dtype == np.dtype(dtype)
    assert abs(y.mean() - 1) < 5 * np.sqrt(p / (1 - p) / y.size)


def test_dropout_p1_gives_zeros_and_zero_gradient():
    x = minitorch.randn(3, 4, requires_grad=True)
    y = MF.dropout(x, 1.0)
    assert (y.detach().numpy() == 0).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()
    assert (MF.alpha_dropout(x, 1.0, True).detach().numpy() == 0).all()


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.1, 0.3, 0.6])
def test_alpha_dropout_keeps_selu_statistics(name, p):
    minitorch.manual_seed(1)
    x = MF.selu(minitorch.randn(400, 500, dtype=minitorch.float64) * 0.2 + 0.2)
    x = (x - x.mean()) / x.std()        # SELU output normalised to mean 0, variance 1
    y = _train(name, x.reshape(400, 500, 1), p).numpy() if name.startswith("feature") else _train(name, x, p).numpy()
    # channel-level masks correlate elements, so the feature variant gets a looser bound
    tol = 0.05 if name.startswith("feature") else 0.01
    assert abs(y.mean()) < tol and abs(y.var() - 1) < 2 * tol


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_values_match_torch(p):
    # on a constant input the output takes two values: the kept affine value and the saturation value
    y = MF.alpha_dropout(minitorch.ones(10_000), p, True).numpy()
    t = torch.nn.functional.alpha_dropout(torch.ones(10_000), p, True).numpy()
    assert set(np.unique(y).tolist()) == set(np.unique(t).tolist())


# gradient, reproducibility ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FUNCS, ids=FUNCS)
def test_gradient_is_mask_times_scale(name):
    p = 0.4
    shape = _shape(name, 6, 5, 4, 3)
    x = minitorch.randn(*shape, dtype=minitorch.float64, requires_grad=True)
    minitorch.manual_seed(5)
    y = _train(name, x, p)
    minitorch.manual_seed(5)
    ones = _train(name, minitorch.ones(*shape, dtype=minitorch.float64), p).numpy()
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(minitorch.tensor(g))
    if "alpha" in name:
        a = 1 / np.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
        mask = ones > 0                     # the kept entries (the dropped ones take the negative value)
        scale = a
    else:
        mask, scale = ones != 0, 1 / (1 - p)
    np.testing.assert_allclose(x.grad.numpy(), g * mask * scale, rtol=1e-12)


@pytest.mark.parametrize("name", FUNCS, ids=FUNCS)
def test_gradcheck_with_fixed_mask(name):
    x, = gradcheck_inputs(_shape(name, 2, 3, 2, 2))

    def fn(t):
        minitorch.manual_seed(2)            # the same mask at every evaluation
        return _train(name, t, 0.3)
    assert minitorch.autograd.gradcheck(fn, (x,))
    assert minitorch.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", FUNCS, ids=FUNCS)
def test_reproducible_under_manual_seed(name):
    x = minitorch.randn(*_shape(name, 8, 6, 5, 4))
    minitorch.manual_seed(123)
    a = _train(name, x, 0.5).numpy()
    minitorch.manual_seed(123)
    b = _train(name, x, 0.5).numpy()
    c = _train(name, x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# channel masks ------------------------------------------------------------------------------------------------------
# torch has no unbatched dropout2d (a 3-D input is (N, C, L)) nor unbatched feature_alpha_dropout
FEATURE_CASES = [(n, True) for n in FEATURE_SHAPES] + [("dropout1d", False), ("dropout3d", False)]


@pytest.mark.parametrize("name,batched", FEATURE_CASES, ids=[f"{n}-{'batched' if b else 'unbatched'}"
                                                             for n, b in FEATURE_CASES])
def test_feature_dropout_masks_whole_channels(name, batched):
    shape = FEATURE_SHAPES[name] if batched else FEATURE_SHAPES[name][1:]
    minitorch.manual_seed(0)
    y = _train(name, minitorch.ones(*shape), 0.5).numpy()
    lead = 2 if batched else 1
    per_channel = y.reshape(shape[:lead] + (-1,))
    # every channel is constant: either all dropped or all kept
    assert (per_channel == per_channel[..., :1]).all()
    kept = per_channel[..., 0] > 0
    assert 0.2 < kept.mean() < 0.8
    # torch gives the same two channel values
    t = getattr(torch.nn.functional, name)(torch.ones(*shape), 0.5, True).numpy()
    assert set(np.unique(y).tolist()) == set(np.unique(t).tolist())


def test_dropout2d_with_3d_input_drops_1d_channels_and_warns():
    minitorch.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = MF.dropout2d(minitorch.ones(20, 30, 7), 0.5).numpy()
    assert (y == y[..., :1]).all()


@pytest.mark.parametrize("name", ["dropout2d", "dropout3d"])
def test_wrong_dims_warn_like_torch(name):
    with pytest.warns(UserWarning, match=rf"{name}: Received a 2-D input to {name}, which is deprecated"):
        getattr(MF, name)(minitorch.ones(4, 5), 0.5)
    with pytest.warns(UserWarning):
        getattr(torch.nn.functional, name)(torch.ones(4, 5), 0.5)


def test_dropout1d_wrong_dims():
    for shape in [(5,), (2, 3, 4, 5)]:
        assert_raises_like_torch(lambda fw, x: F(fw).dropout1d(x, 0.5), np.ones(shape, "f4"),
                                 match=rf"dropout1d: Expected 2D or 3D input, but received a {len(shape)}D input",
                                 exc=RuntimeError)


def test_feature_dropout_needs_two_dims():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("dropout2d", "feature_alpha_dropout"):
            assert_raises_like_torch(lambda fw, x: getattr(F(fw), name)(x, 0.5, True), np.ones(5, "f4"),
                                     match="Feature dropout requires at least 2 dimensions in the input",
                                     exc=RuntimeError)


def test_integer_input_in_training():
    assert_raises_like_torch(lambda fw, x: F(fw).dropout(x, 0.5), np.ones(4, np.int64),
                             match="result type Float can't be cast to the desired output type Long",
                             exc=RuntimeError)
    assert (MF.dropout(minitorch.ones(4, dtype=minitorch.int64), 1.0).numpy() == 0).all()


# in place -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d"])
def test_inplace(name):
    shape = _shape(name, 4, 6, 3, 2)
    x = minitorch.ones(*shape)
    minitorch.manual_seed(9)
    y = getattr(MF, name)(x, 0.5, True, inplace=True)
    minitorch.manual_seed(9)
    ref = getattr(MF, name)(minitorch.ones(*shape), 0.5, True)
    assert y is x
    np.testing.assert_array_equal(x.numpy(), ref.numpy())
    leaf = minitorch.ones(*shape, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(MF, name)(leaf, 0.5, True, inplace=True)
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.ones(*shape, requires_grad=True), 0.5, True, inplace=True)


def test_inplace_gradient_through_nonleaf():
    a = minitorch.randn(50, dtype=minitorch.float64, requires_grad=True)
    minitorch.manual_seed(4)
    y = MF.dropout(a * 2, 0.5, inplace=True)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(a.grad.numpy(), kept * 4.0)


# differential (hypothesis): shapes, dtypes and p against torch ------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5), p=st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
       dtype=st.sampled_from(["float32", "float64"]), training=st.booleans())
def test_dropout_differential(shape, p, dtype, training):
    arr = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype) + 5     # never 0
    y = MF.dropout(minitorch.from_numpy(arr.copy()), p, training).numpy()
    t = torch.nn.functional.dropout(torch.from_numpy(arr.copy()), p, training).numpy()
    assert y.shape == t.shape and y.dtype == t.dtype
    if not training or p == 0:
        np.testing.assert_array_equal(y, arr)
        np.testing.assert_array_equal(t, arr)
        return
    for out in (y, t):          # both frameworks: every output is 0 or the input times 1 / (1 - p)
        kept = out != 0
        if p == 1:
            assert not kept.any()
        else:
            np.testing.assert_allclose(out[kept] / arr[kept], 1 / (1 - p), rtol=1e-6)

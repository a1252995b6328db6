"""Parity, repr, initialisation and error tests for the activation layers of minitorch.nn."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from parity.harness import Spec, assert_raises_like_torch, check
from parity.modules import check_module

X = (3, 4)
WIDE = Spec((3, 4), low=-8.0, high=8.0)          # reaches both kinks of ReLU6 / Hardtanh / Hardsigmoid / Hardswish

# name -> (make(fw), input spec)
CASES = {
    "ReLU": (lambda fw: fw.nn.ReLU(), X),
    "ReLU6": (lambda fw: fw.nn.ReLU6(), WIDE),
    "LeakyReLU": (lambda fw: fw.nn.LeakyReLU(0.2), X),
    "PReLU": (lambda fw: fw.nn.PReLU(), X),
    "PReLU_channels": (lambda fw: fw.nn.PReLU(4, init=0.1), (2, 4, 3)),
    "ELU": (lambda fw: fw.nn.ELU(alpha=0.5), X),
    "SELU": (lambda fw: fw.nn.SELU(), X),
    "CELU": (lambda fw: fw.nn.CELU(alpha=1.5), X),
    "GELU": (lambda fw: fw.nn.GELU(), X),
    "GELU_tanh": (lambda fw: fw.nn.GELU(approximate="tanh"), X),
    "SiLU": (lambda fw: fw.nn.SiLU(), X),
    "Mish": (lambda fw: fw.nn.Mish(), X),
    "Sigmoid": (lambda fw: fw.nn.Sigmoid(), X),
    "Tanh": (lambda fw: fw.nn.Tanh(), X),
    "Hardtanh": (lambda fw: fw.nn.Hardtanh(-0.5, 0.7), X),
    "Hardsigmoid": (lambda fw: fw.nn.Hardsigmoid(), WIDE),
    "Hardswish": (lambda fw: fw.nn.Hardswish(), WIDE),
    "Softplus": (lambda fw: fw.nn.Softplus(beta=2.0, threshold=5.0), WIDE),
    "Softsign": (lambda fw: fw.nn.Softsign(), X),
    "Softmax": (lambda fw: fw.nn.Softmax(dim=1), X),
    "LogSoftmax": (lambda fw: fw.nn.LogSoftmax(dim=-1), X),
    "Softmin": (lambda fw: fw.nn.Softmin(dim=0), X),
    "Threshold": (lambda fw: fw.nn.Threshold(0.1, -2.0), X),
    "GLU": (lambda fw: fw.nn.GLU(dim=1), X),
    "LogSigmoid": (lambda fw: fw.nn.LogSigmoid(), WIDE),
}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_parity(name):
    make, x = CASES[name]
    check_module(make, x)


REPRS = {
    "ReLU": lambda fw: fw.nn.ReLU(),
    "ReLU_inplace": lambda fw: fw.nn.ReLU(inplace=True),
    "ReLU6": lambda fw: fw.nn.ReLU6(),
    "ReLU6_inplace": lambda fw: fw.nn.ReLU6(True),
    "LeakyReLU": lambda fw: fw.nn.LeakyReLU(),
    "LeakyReLU_inplace": lambda fw: fw.nn.LeakyReLU(0.2, inplace=True),
    "PReLU": lambda fw: fw.nn.PReLU(),
    "PReLU_channels": lambda fw: fw.nn.PReLU(5, 0.3),
    "ELU": lambda fw: fw.nn.ELU(),
    "ELU_inplace": lambda fw: fw.nn.ELU(0.5, True),
    "SELU": lambda fw: fw.nn.SELU(),
    "SELU_inplace": lambda fw: fw.nn.SELU(inplace=True),
    "CELU": lambda fw: fw.nn.CELU(2),
    "GELU": lambda fw: fw.nn.GELU(),
    "GELU_tanh": lambda fw: fw.nn.GELU("tanh"),
    "SiLU_inplace": lambda fw: fw.nn.SiLU(True),
    "Mish_inplace": lambda fw: fw.nn.Mish(True),
    "Sigmoid": lambda fw: fw.nn.Sigmoid(),
    "Tanh": lambda fw: fw.nn.Tanh(),
    "Hardtanh": lambda fw: fw.nn.Hardtanh(),
    "Hardtanh_args": lambda fw: fw.nn.Hardtanh(-2, 3.5, True),
    "Hardsigmoid_inplace": lambda fw: fw.nn.Hardsigmoid(inplace=True),
    "Hardswish_inplace": lambda fw: fw.nn.Hardswish(inplace=True),
    "Softplus": lambda fw: fw.nn.Softplus(),
    "Softplus_args": lambda fw: fw.nn.Softplus(2, 10),
    "Softsign": lambda fw: fw.nn.Softsign(),
    "Softmax": lambda fw: fw.nn.Softmax(),
    "Softmax_dim": lambda fw: fw.nn.Softmax(-1),
    "LogSoftmax": lambda fw: fw.nn.LogSoftmax(1),
    "Softmin": lambda fw: fw.nn.Softmin(0),
    "Threshold": lambda fw: fw.nn.Threshold(0.5, 0),
    "Threshold_inplace": lambda fw: fw.nn.Threshold(0.5, -1.0, True),
    "GLU": lambda fw: fw.nn.GLU(),
    "LogSigmoid": lambda fw: fw.nn.LogSigmoid(),
    "Sequential": lambda fw: fw.nn.Sequential(fw.nn.Linear(2, 3), fw.nn.ReLU(True), fw.nn.Softmax(dim=1)),
}


@pytest.mark.parametrize("name", list(REPRS), ids=list(REPRS))
def test_repr(name):
    assert repr(REPRS[name](minitorch)) == repr(REPRS[name](torch))


INPLACE = {
    "ReLU": lambda fw: fw.nn.ReLU(inplace=True),
    "ReLU6": lambda fw: fw.nn.ReLU6(inplace=True),
    "LeakyReLU": lambda fw: fw.nn.LeakyReLU(0.3, inplace=True),
    "ELU": lambda fw: fw.nn.ELU(0.5, inplace=True),
    "SELU": lambda fw: fw.nn.SELU(inplace=True),
    "CELU": lambda fw: fw.nn.CELU(1.5, inplace=True),
    "SiLU": lambda fw: fw.nn.SiLU(inplace=True),
    "Mish": lambda fw: fw.nn.Mish(inplace=True),
    "Hardtanh": lambda fw: fw.nn.Hardtanh(-0.5, 0.7, inplace=True),
    "Hardsigmoid": lambda fw: fw.nn.Hardsigmoid(inplace=True),
    "Hardswish": lambda fw: fw.nn.Hardswish(inplace=True),
    "Threshold": lambda fw: fw.nn.Threshold(0.1, -2.0, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE), ids=list(INPLACE))
def test_inplace_writes_input(name):
    arr = np.random.default_rng(1).uniform(-5, 5, (3, 4))
    results = {}
    for fw in (minitorch, torch):
        x = fw.tensor(arr.copy())
        out = INPLACE[name](fw)(x)
        assert out is x or out.data_ptr() == x.data_ptr()
        results[fw.__name__] = x.numpy().copy()
    np.testing.assert_allclose(results["minitorch"], results["torch"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(INPLACE), ids=list(INPLACE))
def test_inplace_gradient(name):
    # in place on a non-leaf (x * 1): outputs and gradients flow through the rebased history, as in torch
    check(lambda fw, x: INPLACE[name](fw)(x * 1), Spec((3, 4), low=-5.0, high=5.0), layouts=("contiguous",))


def test_inplace_on_leaf_raises_like_torch():
    def fn(fw, x):
        return fw.nn.ReLU(inplace=True)(x.requires_grad_())
    assert_raises_like_torch(fn, np.ones((2, 2)), match="leaf Variable that requires grad")


def test_prelu_default_init_and_dtype():
    m = minitorch.nn.PReLU()
    assert m.weight.shape == (1,) and m.weight.tolist() == [0.25] and m.weight.requires_grad
    m = minitorch.nn.PReLU(3, init=-0.5, dtype=minitorch.float64)
    assert m.weight.dtype == minitorch.float64 and m.weight.tolist() == [-0.5] * 3
    assert list(m.state_dict()) == list(torch.nn.PReLU(3).state_dict()) == ["weight"]
    m.weight.data.fill_(2.0)
    m.reset_parameters()
    assert m.weight.tolist() == [-0.5] * 3


def test_prelu_weight_gradient():
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    grads = []
    for fw in (minitorch, torch):
        m = fw.nn.PReLU(3).double()
        (m(fw.tensor(x)) ** 2).sum().backward()
        grads.append(m.weight.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    assert np.abs(grads[0]).min() > 0


def test_prelu_channel_mismatch():
    assert_raises_like_torch(lambda fw, x: fw.nn.PReLU(3)(x), np.ones((2, 4), dtype=np.float32),
                             match=r"parameter numbers = 3 and channel size = 4")


def test_softmax_implicit_dim_warns():
    x = minitorch.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = minitorch.nn.Softmax()(x)
    np.testing.assert_allclose(out.sum(1).numpy(), np.ones(2), rtol=1e-6)


def test_hardtanh_deprecated_keywords():
    with pytest.warns(FutureWarning, match="min_value"):
        m = minitorch.nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0 and repr(m) == "Hardtanh(min_val=-2.0, max_val=1.0)"


CTOR_ERRORS = {
    "Hardtanh_order": (lambda fw: fw.nn.Hardtanh(1.0, 0.0), AssertionError, r"max_val \(0.0\) must be greater"),
    "Softmax_dim_float": (lambda fw: fw.nn.Softmax(dim=1.5), TypeError, r"dim must be an int or None"),
    "LogSoftmax_dim_bool": (lambda fw: fw.nn.LogSoftmax(dim=True), TypeError, r"dim must be an int or None"),
}


@pytest.mark.parametrize("name", list(CTOR_ERRORS), ids=list(CTOR_ERRORS))
def test_constructor_errors(name):
    make, exc, match = CTOR_ERRORS[name]
    with pytest.raises(exc, match=match):
        make(torch)
    with pytest.raises(exc, match=match):
        make(minitorch)


BAD_INPUTS = {
    "GELU_approximate": (lambda fw, x: fw.nn.GELU("fast")(x), np.ones(3, dtype=np.float32), "approximate"),
    "GLU_odd": (lambda fw, x: fw.nn.GLU()(x), np.ones((2, 3), dtype=np.float32), r"dimension 1 is size 3"),
    "Softmax_dim_range": (lambda fw, x: fw.nn.Softmax(dim=2)(x), np.ones((2, 3), dtype=np.float32),
                          r"out of range"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_inputs(name):
    fn, x, match = BAD_INPUTS[name]
    assert_raises_like_torch(fn, x, match=match)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from(list(CASES)), st.lists(st.integers(1, 3), min_size=2, max_size=4),
       st.sampled_from(["float32", "float64"]), st.sampled_from(["train", "eval"]))
def test_hypothesis(name, shape, dtype, mode):
    make, _ = CASES[name]
    shape[1] = 4                                    # PReLU_channels needs 4 channels, GLU an even dim 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_module(make, tuple(shape), dtypes=(dtype,), modes=(mode,), layouts=("contiguous", "noncontiguous"))


def test_class_hierarchy_matches_torch():
    names = minitorch.nn.modules.activation.__all__
    assert set(names) >= {n.split("_")[0] for n in CASES}
    for a in names:
        assert issubclass(getattr(minitorch.nn, a), minitorch.nn.Module)
        for b in names:
            assert issubclass(getattr(minitorch.nn, a), getattr(minitorch.nn, b)) == \
                issubclass(getattr(torch.nn, a), getattr(torch.nn, b)), (a, b)

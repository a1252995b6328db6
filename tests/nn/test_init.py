"""nn.init: torch's gains, fan computation and distribution bounds/std (statistical, generous tolerances)."""
import math

import numpy as np

import pytest
import torch

import minitorch
import minitorch.nn as nn


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope"):
        nn.init.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4, 4), (6, 2, 3)])
def test_fan_in_fan_out(shape):
    assert nn.init._calculate_fan_in_and_fan_out(minitorch.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init._calculate_fan_in_and_fan_out(minitorch.empty(3))


def _std(t):
    return float(t.detach().numpy().std())


def test_uniform_constant_ones_zeros():
    w = minitorch.empty(300, 300, requires_grad=True)
    nn.init.uniform_(w, -2, 3)
    a = w.detach().numpy()
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.05
    assert w.is_leaf and w.requires_grad
    assert (nn.init.constant_(w, 1.5).detach().numpy() == 1.5).all()
    assert (nn.init.zeros_(w).detach().numpy() == 0).all()
    assert (nn.init.ones_(w).detach().numpy() == 1).all()
    nn.init.normal_(w, 1.0, 0.5)
    assert abs(w.detach().numpy().mean() - 1.0) < 0.01 and abs(_std(w) - 0.5) < 0.01


@pytest.mark.parametrize("fn,expected_std", [
    (lambda w: nn.init.xavier_uniform_(w), math.sqrt(2 / (200 + 400))),
    (lambda w: nn.init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / (200 + 400))),
    (lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 400)),
    (lambda w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 200)),
], ids=["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
def test_scaled_inits_std(fn, expected_std):
    w = minitorch.empty(200, 400)
    assert fn(w) is w
    assert abs(_std(w) - expected_std) < 0.03 * expected_std


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(minitorch.empty(3, 3), mode="fan_avg")


def _raises_like_torch(call, *shape_args, **kwargs):
    """Runs ``call(fw.nn.init, fw.empty(...))`` in both frameworks: same exception type and message."""
    errors = []
    for fw in (torch, minitorch):
        with pytest.raises(Exception) as e:
            call(fw.nn.init, fw.empty(*shape_args), **kwargs)
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]
    return errors[0]


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_(shape):
    w = minitorch.empty(shape, requires_grad=True)
    assert nn.init.eye_(w) is w and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.detach().numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1), ((4, 3, 5, 4), 4),
                                          ((3, 5, 2, 2), 1)])
def test_dirac_(shape, groups):
    w = minitorch.empty(shape, requires_grad=True)
    assert nn.init.dirac_(w, groups) is w and w.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


@pytest.mark.parametrize("call,shape", [
    (lambda init, w: init.eye_(w), (2, 2, 2)), (lambda init, w: init.dirac_(w), (2, 2)),
    (lambda init, w: init.dirac_(w, 3), (4, 2, 3)), (lambda init, w: init.orthogonal_(w), (4,)),
    (lambda init, w: init.sparse_(w, 0.5), (4,)),
], ids=["eye_", "dirac_", "dirac_groups", "orthogonal_", "sparse_"])
def test_init_shape_errors_like_torch(call, shape):
    assert _raises_like_torch(call, *shape)[0] is ValueError


@pytest.mark.parametrize("shape,gain", [((6, 4), 1.0), ((4, 6), 2.0), ((3, 2, 2), 0.5), ((5, 5), 1.0)])
def test_orthogonal_is_orthogonal(shape, gain):
    w = minitorch.empty(shape, dtype=minitorch.float64, requires_grad=True)
    assert nn.init.orthogonal_(w, gain) is w and w.requires_grad
    flat = w.detach().numpy().reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, gain ** 2 * np.eye(len(small)), atol=1e-12)


def test_orthogonal_distribution_is_haar():
    """Haar-distributed orthogonal 3x3 matrices: every entry has mean 0 and variance 1/3; the sign correction is
    what removes the bias of the raw QR factor (torch does the same)."""
    samples = np.stack([nn.init.orthogonal_(minitorch.empty(3, 3, dtype=minitorch.float64)).numpy()
                        for _ in range(1500)])
    assert np.abs(samples.mean(0)).max() < 0.06
    np.testing.assert_allclose(samples.var(0), 1 / 3, atol=0.04)
    g1, g2 = minitorch.Generator().manual_seed(3), minitorch.Generator().manual_seed(3)
    np.testing.assert_array_equal(nn.init.orthogonal_(minitorch.empty(4, 3), generator=g1).numpy(),
                                  nn.init.orthogonal_(minitorch.empty(4, 3), generator=g2).numpy())


def _truncnorm_moments(mean, std, a, b):
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2            # noqa: E731
    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    m = mean + std * (phi(al) - phi(be)) / z
    var = std ** 2 * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, 0.46, 0.6), (0.0, 1.0, 1.5, 3.0),
                                          (1.0, 2.0, -1.0, 1.2)],
                         ids=["default", "narrow", "tail_uniform_proposals", "asymmetric"])
def test_trunc_normal_moments(mean, std, a, b):
    w = minitorch.empty(200, 200, requires_grad=True)
    assert nn.init.trunc_normal_(w, mean, std, a, b) is w and w.requires_grad and w.is_leaf
    x = w.detach().numpy()
    t = torch.nn.init.trunc_normal_(torch.empty(200, 200), mean, std, a, b).numpy()
    m, s = _truncnorm_moments(mean, std, a, b)
    for values in (x, t):
        assert values.min() >= np.float32(a) and values.max() <= np.float32(b)
        assert abs(values.mean() - m) < 0.02 * s and abs(values.std() - s) < 0.02 * s


def test_trunc_normal_warns_like_torch():
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        nn.init.trunc_normal_(minitorch.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9])
def test_sparse_(sparsity):
    w = minitorch.empty(50, 400, requires_grad=True)
    assert nn.init.sparse_(w, sparsity, std=0.3) is w and w.requires_grad
    x = w.detach().numpy()
    zeros = math.ceil(sparsity * 50)
    assert ((x == 0).sum(0) == zeros).all()
    assert abs(x[x != 0].std() - 0.3) < 0.02
    assert len({tuple(np.flatnonzero(col == 0)) for col in x.T}) > 300      # different rows in each column


@pytest.mark.parametrize("init,mode,expected_bound", [
    ("kaiming_uniform_", "fan_in", math.sqrt(6 / (3 * 25))), ("kaiming_uniform_", "fan_out", math.sqrt(6 / (8 * 25))),
    ("xavier_uniform_", None, math.sqrt(6 / (3 * 25 + 8 * 25))),
], ids=["kaiming_uniform_fan_in", "kaiming_uniform_fan_out", "xavier_uniform_conv"])
def test_uniform_bounds_on_conv_weights(init, mode, expected_bound):
    kwargs = {"mode": mode, "nonlinearity": "relu"} if mode else {}
    w = minitorch.empty(8, 3, 5, 5)
    getattr(nn.init, init)(w, **kwargs)
    x = np.abs(w.numpy())
    assert x.max() <= expected_bound and x.max() > 0.97 * expected_bound

"""nn.init: torch's gains, fan computation and distribution bounds/std (statistical, generous tolerances)."""
import math

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

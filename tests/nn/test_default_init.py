"""Every layer's default initialisation follows torch's distribution: for each parameter and buffer, the same
shape and dtype, the same support (bounds) and the same mean and standard deviation as torch's freshly built
layer, to within the sampling error of the layer's size. Constant initialisations (ones, zeros) must be exact."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch

LAYERS = {
    "Linear": lambda nn: nn.Linear(256, 384),
    "Linear_fan_in_3": lambda nn: nn.Linear(3, 4096),
    "Bilinear": lambda nn: nn.Bilinear(24, 16, 256),
    "Embedding": lambda nn: nn.Embedding(2000, 64, padding_idx=3),
    "EmbeddingBag": lambda nn: nn.EmbeddingBag(2000, 64),
    "PReLU": lambda nn: nn.PReLU(),
    "PReLU_channels": lambda nn: nn.PReLU(64, init=0.1),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(64),
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(32, affine=False),
    "LayerNorm": lambda nn: nn.LayerNorm([8, 16]),
    "GroupNorm": lambda nn: nn.GroupNorm(4, 64),
    "RMSNorm": lambda nn: nn.RMSNorm(64),
}


def _tensors(module):
    return list(module.state_dict().items())


@pytest.mark.parametrize("name", list(LAYERS))
def test_default_init_follows_torch(name):
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    mine, theirs = _tensors(LAYERS[name](minitorch.nn)), _tensors(LAYERS[name](torch.nn))
    assert [k for k, _ in mine] == [k for k, _ in theirs]
    for (key, m), (_, t) in zip(mine, theirs):
        a, e = m.numpy(), t.numpy()
        assert a.shape == e.shape and str(a.dtype) == str(e.dtype), key
        if np.ptp(e) == 0:                       # a constant initialisation: exact
            np.testing.assert_array_equal(a, e, err_msg=key)
            continue
        a, e = a.astype(np.float64).ravel(), e.astype(np.float64).ravel()
        spread = e.std()
        assert abs(a.std() - spread) < 6 * spread / np.sqrt(2 * e.size) + 1e-12, f"{key}: std {a.std()} vs {spread}"
        assert abs(a.mean() - e.mean()) < 6 * spread / np.sqrt(e.size), f"{key}: mean {a.mean()} vs {e.mean()}"
        # the support: uniform initialisations share their bound, normal ones their tails
        assert abs(np.abs(a).max() - np.abs(e).max()) < 0.1 * np.abs(e).max(), key
        assert (a == 0).sum() == (e == 0).sum(), f"{key}: zeroed entries (padding rows) differ"

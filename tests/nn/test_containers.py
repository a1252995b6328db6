"""Sequential and ModuleList compared with torch's (indexing, slicing, len, append, keys, repr, forward)."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn as nn


def _seq(fw, *args):
    return fw.nn.Sequential(*args)


def test_Sequential_parity():
    t = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Identity(), torch.nn.Linear(5, 2))
    m = nn.Sequential(nn.Linear(3, 5), nn.Identity(), nn.Linear(5, 2))
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = torch.randn(4, 3)
    np.testing.assert_allclose(m(minitorch.tensor(x.numpy())).detach().numpy(), t(x).detach().numpy(), atol=1e-5)
    assert len(m) == 3 and isinstance(m[-1], nn.Linear) and m[1] is list(m)[1]
    sub = m[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and list(sub._modules) == list(t[1:]._modules)
    with pytest.raises(IndexError, match="index 3 is out of range"):
        m[3]
    m.append(nn.Identity())
    assert list(m._modules) == ["0", "1", "2", "3"]
    del m[0]
    assert list(m._modules) == ["0", "1", "2"]


def test_Sequential_from_OrderedDict():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("id", nn.Identity())]))
    t = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)), ("id", torch.nn.Identity())]))
    assert list(m.state_dict()) == list(t.state_dict()) == ["fc.weight", "fc.bias"]
    assert repr(m) == repr(t)
    assert m.fc is m[0]


def test_ModuleList():
    layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
    m = nn.ModuleList(layers)
    t = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)])
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    assert len(m) == 2 and m[-1] is layers[1] and list(m) == layers
    assert isinstance(m[:1], nn.ModuleList) and len(m[:1]) == 1
    m.append(nn.Identity()).extend([nn.Identity()])
    assert len(m) == 4 and len(list(m.parameters())) == 4
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.append(3)


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (0, -2)], ids=["default", "start0", "1to2", "0to-2"])
def test_Flatten_parity(args):
    x = torch.randn(2, 3, 4, 5)
    m, t = nn.Flatten(*args), torch.nn.Flatten(*args)
    assert repr(m) == repr(t)
    np.testing.assert_array_equal(m(minitorch.tensor(x.numpy())).numpy(), t(x).numpy())


def test_Unflatten_parity():
    x = torch.randn(2, 12)
    m, t = nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4))
    assert repr(m) == repr(t)
    np.testing.assert_array_equal(m(minitorch.tensor(x.numpy())).numpy(), t(x).numpy())

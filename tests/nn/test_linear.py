"""nn.Linear / nn.Identity / F.linear parity with torch (forward, parameter gradients, repr, init bounds)."""
import math

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("xshape", [(5, 3), (2, 4, 3), (3,)], ids=["2d", "3d", "1d"])
def test_Linear_parity(dtype, bias, xshape):
    tdt, mdt = getattr(torch, dtype), getattr(minitorch, dtype)
    t = torch.nn.Linear(3, 4, bias=bias, dtype=tdt)
    m = nn.Linear(3, 4, bias=bias, dtype=mdt)
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x = torch.randn(*xshape, dtype=tdt, requires_grad=True)
    xm = minitorch.tensor(x.detach().numpy(), requires_grad=True)
    out_t, out_m = t(x), m(xm)
    assert tuple(out_m.shape) == tuple(out_t.shape) and out_m.dtype == mdt
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), atol=tol, rtol=tol)
    cot = torch.randn_like(out_t)
    out_t.backward(cot)
    out_m.backward(minitorch.tensor(cot.numpy()))
    np.testing.assert_allclose(xm.grad.numpy(), x.grad.numpy(), atol=tol, rtol=tol)
    for (n, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pm.grad.numpy(), pt.grad.numpy(), atol=tol * 10, rtol=tol, err_msg=n)


def test_linear_functional_gradcheck():
    x = minitorch.randn(4, 3, dtype=minitorch.float64, requires_grad=True)
    w = minitorch.randn(2, 3, dtype=minitorch.float64, requires_grad=True)
    b = minitorch.randn(2, dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(F.linear, (x, w, b))
    assert minitorch.autograd.gradgradcheck(F.linear, (x, w, b))


def test_Linear_repr_and_identity():
    assert repr(nn.Linear(3, 4)) == repr(torch.nn.Linear(3, 4))
    assert repr(nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    assert repr(nn.Identity(7, k=1)) == repr(torch.nn.Identity(7, k=1))
    x = minitorch.ones(2)
    assert nn.Identity()(x) is x
    assert nn.Linear(3, 4, bias=False).bias is None


def test_Linear_default_init_bounds():
    m = nn.Linear(50, 200)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) reduces to 1/sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_Linear_shape_error():
    m = nn.Linear(3, 4)
    with pytest.raises(RuntimeError):
        torch.nn.Linear(3, 4)(torch.ones(2, 5))
    with pytest.raises(RuntimeError):
        m(minitorch.ones(2, 5))

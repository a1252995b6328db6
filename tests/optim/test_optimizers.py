"""Optimizer trajectories vs torch (float64, 50 steps, state_dict restore mid-run), options, errors."""
import numpy as np
import pytest
import torch

import minitorch
import minitorch.optim as optim

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5, weight_decay=0.1)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]
SHAPES = [(4, 3), (3,)]


def _pair(shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return ([minitorch.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _feed(mps, tps, rng):
    for mp, tp in zip(mps, tps):
        g = rng.standard_normal(mp.shape)
        mp.grad, tp.grad = minitorch.tensor(g), torch.tensor(g)


def _close(mps, tps):
    for mp, tp in zip(mps, tps):
        np.testing.assert_allclose(mp.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_and_restore(name, kwargs):
    mps, tps = _pair(SHAPES)
    mopt, topt = getattr(optim, name)(mps, **kwargs), getattr(torch.optim, name)(tps, **kwargs)
    rng = np.random.default_rng(1)
    for step in range(50):
        if step == 25:
            sd = mopt.state_dict()
            assert sorted(sd["state"]) == sorted(topt.state_dict()["state"])
            assert sd["param_groups"][0]["params"] == topt.state_dict()["param_groups"][0]["params"]
            mopt = getattr(optim, name)(mps, lr=123.0)
            mopt.load_state_dict(sd)
            assert mopt.param_groups[0]["lr"] == kwargs["lr"]
        _feed(mps, tps, rng)
        mopt.step()
        topt.step()
        _close(mps, tps)


def test_param_groups_per_group_options():
    mps, tps = _pair(SHAPES)
    mopt = optim.SGD([{"params": [mps[0]]}, {"params": mps[1], "lr": 0.5}], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([{"params": [tps[0]]}, {"params": tps[1], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert mopt.param_groups[1]["momentum"] == 0.9 and mopt.param_groups[1]["lr"] == 0.5
    rng = np.random.default_rng(2)
    for _ in range(10):
        _feed(mps, tps, rng)
        mopt.step()
        topt.step()
        _close(mps, tps)
    assert mopt.state_dict()["param_groups"][1]["params"] == [1]


def test_add_param_group_duplicate():
    mps, tps = _pair(SHAPES)
    with pytest.raises(ValueError):
        torch.optim.SGD(tps, lr=0.1).add_param_group({"params": tps[0]})
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD(mps, lr=0.1).add_param_group({"params": mps[0]})


def test_zero_grad_and_closure():
    mps, _ = _pair(SHAPES)
    opt = optim.SGD(mps, lr=0.1)
    for p in mps:
        p.grad = minitorch.ones(p.shape, dtype=minitorch.float64)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and float(p.grad.abs().sum()) == 0 for p in mps)
    opt.zero_grad()
    assert all(p.grad is None for p in mps)

    def closure():
        opt.zero_grad()
        loss = (mps[0] ** 2).sum()
        loss.backward()
        return loss
    before = mps[0].detach().numpy().copy()
    loss = opt.step(closure)
    assert float(loss) == pytest.approx(float((before ** 2).sum()))
    np.testing.assert_allclose(mps[0].detach().numpy(), before * 0.8)


def test_load_state_dict_mismatch():
    mps, _ = _pair(SHAPES)
    sd = optim.Adam(mps[:1]).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.Adam(mps).load_state_dict(sd)


BAD = [("SGD", dict(lr=-1.0)), ("SGD", dict(lr=0.1, momentum=-0.5)), ("SGD", dict(lr=0.1, weight_decay=-1)),
       ("SGD", dict(lr=0.1, nesterov=True)), ("Adam", dict(lr=-0.1)), ("Adam", dict(betas=(1.0, 0.9))),
       ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(eps=-1.0)), ("AdamW", dict(weight_decay=-1.0)),
       ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(momentum=-1.0)), ("Adagrad", dict(lr_decay=-1.0)),
       ("Adagrad", dict(initial_accumulator_value=-1.0))]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-bad{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_inputs(name, kwargs):
    mps, tps = _pair(SHAPES)
    with pytest.raises(ValueError) as te:
        getattr(torch.optim, name)(tps, **kwargs)
    with pytest.raises(ValueError) as me:
        getattr(optim, name)(mps, **kwargs)
    assert str(me.value) == str(te.value)


def test_empty_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)

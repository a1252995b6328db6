"""Optimizer trajectories vs torch (float64, 50 steps, state_dict restore mid-run), options, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

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
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, rho=0.95, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.02, betas=(0.8, 0.95), momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
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
        if step == 25:     # checkpoint both sides, rebuild with another lr, restore
            sd, tsd = mopt.state_dict(), topt.state_dict()
            assert sorted(sd["state"]) == sorted(tsd["state"])
            assert all(sorted(sd["state"][k]) == sorted(tsd["state"][k]) for k in tsd["state"])
            assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"]
            assert set(sd["param_groups"][0]) <= set(tsd["param_groups"][0])
            mopt, topt = getattr(optim, name)(mps, lr=123.0), getattr(torch.optim, name)(tps, lr=123.0)
            mopt.load_state_dict(sd)
            topt.load_state_dict(tsd)
            assert mopt.param_groups[0]["lr"] == kwargs["lr"]
        _feed(mps, tps, rng)
        mopt.step()
        topt.step()
        _close(mps, tps)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(name=st.sampled_from(sorted({name for name, _ in CASES})),
       shapes=st.lists(st.lists(st.integers(1, 4), max_size=3).map(tuple), min_size=1, max_size=3),
       lr=st.floats(1e-3, 0.5), weight_decay=st.sampled_from([0.0, 0.05]), maximize=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_random_shapes_and_options(name, shapes, lr, weight_decay, maximize, seed):
    """Random parameter shapes (0-d included), learning rates and shared options: 10 steps match torch."""
    mps, tps = _pair(shapes, seed)
    kwargs = dict(lr=lr, weight_decay=weight_decay, maximize=maximize)
    mopt, topt = getattr(optim, name)(mps, **kwargs), getattr(torch.optim, name)(tps, **kwargs)
    rng = np.random.default_rng(seed + 1)
    for _ in range(10):
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
       ("Adagrad", dict(initial_accumulator_value=-1.0)), ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)),
       ("Adadelta", dict(eps=-1e-6)), ("Adadelta", dict(weight_decay=-0.1)), ("Adamax", dict(lr=-1.0)),
       ("Adamax", dict(betas=(0.9, 1.0))), ("Adamax", dict(eps=-1.0)), ("NAdam", dict(lr=-1.0)),
       ("NAdam", dict(betas=(-0.1, 0.9))), ("NAdam", dict(momentum_decay=-1.0)), ("NAdam", dict(weight_decay=-1)),
       ("RAdam", dict(lr=-1.0)), ("RAdam", dict(betas=(0.9, 1.5))), ("RAdam", dict(weight_decay=-0.5)),
       ("LBFGS", dict(lr=-1.0))]


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


def _rosenbrock(fw, xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def _quadratic(fw, x):
    a = fw.tensor(np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]]))
    return 0.5 * (x @ (a @ x)) - x.sum()


def _wavy(fw, x):
    return (x ** 2).sum() + 5 * (2 * x).sin().sum()


LBFGS_CASES = [
    ("rosenbrock", _rosenbrock, [-1.2, 1.0], dict(lr=1, max_iter=6, line_search_fn="strong_wolfe")),
    ("rosenbrock", _rosenbrock, [-1.2, 1.0], dict(lr=20, max_iter=6, line_search_fn="strong_wolfe")),
    ("rosenbrock", _rosenbrock, [-1.2, 1.0], dict(lr=0.1, max_iter=5, history_size=3)),
    ("rosenbrock", _rosenbrock, [0.5, -0.5], dict(max_iter=8, max_eval=12, history_size=4,
                                                  line_search_fn="strong_wolfe")),
    ("quadratic", _quadratic, [1.0, -2.0, 3.0], dict(lr=0.5, max_iter=4, tolerance_change=1e-12)),
    # a long first step on a wavy surface: the zoom phase's insufficient-progress correction is taken
    ("wavy", _wavy, [0.88, 1.34, -0.87], dict(lr=50, max_iter=6, line_search_fn="strong_wolfe")),
    ("quadratic", _quadratic, [1.0, -2.0, 3.0], dict(max_iter=3, line_search_fn="strong_wolfe", maximize=False)),
]


@pytest.mark.parametrize("fn_name,fn,start,kwargs", LBFGS_CASES,
                         ids=[f"LBFGS-{c[0]}-{i}" for i, c in enumerate(LBFGS_CASES)])
def test_LBFGS_closure_trajectory(fn_name, fn, start, kwargs):
    """Several ``step(closure)`` calls from the same start match torch (iterates, losses, evaluation counts,
    state layout), with a state_dict restore between steps."""
    mx = minitorch.tensor(np.array(start), requires_grad=True)
    tx = torch.tensor(np.array(start), requires_grad=True)
    mopt, topt = optim.LBFGS([mx], **kwargs), torch.optim.LBFGS([tx], **kwargs)

    def closure(fw, opt, x):
        def f():
            opt.zero_grad()
            loss = fn(fw, x)
            loss.backward()
            return loss
        return f
    for step in range(6):
        if step == 3:
            sd, tsd = mopt.state_dict(), topt.state_dict()
            assert sorted(sd["state"][0]) == sorted(tsd["state"][0])
            mopt = optim.LBFGS([mx], **kwargs)
            mopt.load_state_dict(sd)
        mloss = mopt.step(closure(minitorch, mopt, mx))
        tloss = topt.step(closure(torch, topt, tx))
        assert mloss.item() == pytest.approx(tloss.item(), rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(mx.detach().numpy(), tx.detach().numpy(), rtol=1e-9, atol=1e-10)
        mstate, tstate = mopt.state[mx], topt.state[tx]
        assert (mstate["func_evals"], mstate["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])


def test_LBFGS_maximize_and_errors():
    mx = minitorch.tensor([2.0, -1.0], dtype=minitorch.float64, requires_grad=True)
    tx = torch.tensor([2.0, -1.0], dtype=torch.float64, requires_grad=True)
    for fw, x, opt in ((minitorch, mx, optim.LBFGS([mx], max_iter=5, maximize=True)),
                       (torch, tx, torch.optim.LBFGS([tx], max_iter=5, maximize=True))):
        def closure():
            opt.zero_grad()
            loss = -((x - 1) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
    np.testing.assert_allclose(mx.detach().numpy(), tx.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [mx]}, {"params": [minitorch.zeros(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt = optim.LBFGS([mx], line_search_fn="armijo")
        opt.step(lambda: (mx.grad.zero_() if mx.grad is not None else None, (mx ** 2).sum().backward(),
                          (mx ** 2).sum())[-1])
    with pytest.raises(TypeError):
        optim.LBFGS([mx]).step()


@pytest.mark.parametrize("name", ["Adam", "NAdam", "Adadelta"])
def test_scalar_state_dtype_follows_default_dtype(name):
    """torch keeps ``step`` (and NAdam's ``mu_product``) in float32 unless the default dtype is float64."""
    for default in ("float32", "float64"):
        mps, tps = _pair(SHAPES)
        minitorch.set_default_dtype(getattr(minitorch, default))
        torch.set_default_dtype(getattr(torch, default))
        try:
            mopt, topt = getattr(optim, name)(mps), getattr(torch.optim, name)(tps)
            _feed(mps, tps, np.random.default_rng(0))
            mopt.step()
            topt.step()
        finally:
            minitorch.set_default_dtype(minitorch.float32)
            torch.set_default_dtype(torch.float32)
        for key, tval in topt.state[tps[0]].items():
            assert str(mopt.state[mps[0]][key].dtype).split(".")[1] == str(tval.dtype).split(".")[1], (default, key)

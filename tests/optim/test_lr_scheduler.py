"""Learning-rate schedules vs torch: 50-step lr sequences, state_dict restore mid-run, bad inputs."""
import math

import numpy as np
import pytest
import torch

import minitorch
import minitorch.optim as optim

# torch warns when SequentialLR re-runs a nested ChainedScheduler's initial step before any optimizer.step()
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")

CASES = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3)),
    ("ConstantLR", dict(factor=0.25, total_iters=8)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=20)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("PolynomialLR", dict(total_iters=30, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
]


def _opts(kind="SGD"):
    m = [minitorch.zeros(2, dtype=minitorch.float64, requires_grad=True) for _ in range(2)]
    t = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in range(2)]
    extra = dict(momentum=0.9) if kind == "SGD" else {}
    return (getattr(optim, kind)([{"params": [m[0]]}, {"params": [m[1]], "lr": 0.3}], lr=0.1, **extra),
            getattr(torch.optim, kind)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.3}], lr=0.1, **extra))


def _groups_close(mopt, topt):
    for mg, tg in zip(mopt.param_groups, topt.param_groups):
        for key in ("lr", "momentum", "betas"):
            if key in tg:
                np.testing.assert_allclose(mg[key], tg[key], rtol=1e-10, atol=1e-14, err_msg=key)


def _run(make, kind="SGD", steps=50, restore_at=25):
    """Step ``make(lr_scheduler_module, optimizer)`` in both frameworks, comparing lr (and momentum) every
    step; at ``restore_at`` rebuild the minitorch pair and restore it from state_dicts (checkpoint order)."""
    mopt, topt = _opts(kind)
    msch, tsch = make(optim.lr_scheduler, mopt), make(torch.optim.lr_scheduler, topt)
    for step in range(steps):
        np.testing.assert_allclose(msch.get_last_lr(), tsch.get_last_lr(), rtol=1e-10, atol=1e-14)
        _groups_close(mopt, topt)
        if step == restore_at:
            sd, osd = msch.state_dict(), mopt.state_dict()
            assert set(sd) <= set(tsch.state_dict())
            mopt, _ = _opts(kind)
            msch = make(optim.lr_scheduler, mopt)
            mopt.load_state_dict(osd)
            msch.load_state_dict(sd)
            assert getattr(msch, "last_epoch", None) == getattr(tsch, "last_epoch", None)
        mopt.step()
        topt.step()
        msch.step()
        tsch.step()


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence_and_restore(name, kwargs):
    _run(lambda S, opt: getattr(S, name)(opt, **kwargs))


def _sequential(S, opt):
    return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.2, total_iters=5), S.ExponentialLR(opt, gamma=0.9),
                                S.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)], milestones=[5, 20])


def _chained(S, opt):
    return S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=4), S.ExponentialLR(opt, gamma=0.95),
                               S.StepLR(opt, step_size=10, gamma=0.5)])


class _Halving:
    """A callable object: torch saves its __dict__ in state_dict (a lambda is saved as None)."""
    def __init__(self):
        self.base = 0.5

    def __call__(self, x):
        return self.base ** (x - 1)


FACTORIES = [
    ("CosineAnnealingWarmRestarts", "SGD", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7)),
    ("CosineAnnealingWarmRestarts", "SGD", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                                         eta_min=0.01)),
    ("CyclicLR", "SGD", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6)),
    ("CyclicLR", "SGD", lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.5], step_size_up=4,
                                                 step_size_down=7, mode="triangular2", base_momentum=0.7)),
    ("CyclicLR", "Adam", lambda S, o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="exp_range",
                                                  gamma=0.97)),
    ("CyclicLR", "SGD", lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=_Halving(),
                                                 scale_mode="iterations", cycle_momentum=False)),
    ("OneCycleLR", "SGD", lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=50)),
    ("OneCycleLR", "Adam", lambda S, o: S.OneCycleLR(o, max_lr=[0.1, 0.2], epochs=6, steps_per_epoch=9,
                                                      anneal_strategy="linear", pct_start=0.25, div_factor=10.0)),
    ("OneCycleLR", "SGD", lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=60, three_phase=True,
                                                     final_div_factor=100.0, base_momentum=0.8)),
    ("OneCycleLR", "Adagrad", lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=51, cycle_momentum=False)),
    ("SequentialLR", "SGD", _sequential),
    ("SequentialLR", "SGD", lambda S, o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.1, total_iters=3),
                                                            S.MultiStepLR(o, milestones=[4, 9], gamma=0.5)],
                                                        milestones=[10])),
    ("SequentialLR", "SGD", lambda S, o: S.SequentialLR(o, [_chained(S, o), S.ExponentialLR(o, gamma=0.8)],
                                                        milestones=[12])),
    ("ChainedScheduler", "SGD", _chained),
    ("ChainedScheduler", "Adam", lambda S, o: S.ChainedScheduler([S.LinearLR(o, total_iters=10),
                                                                  S.PolynomialLR(o, total_iters=40, power=0.5)],
                                                                 optimizer=o)),
]


@pytest.mark.parametrize("name,kind,make", FACTORIES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FACTORIES)])
def test_composed_lr_sequence_and_restore(name, kind, make):
    _run(make, kind)


def test_OneCycleLR_past_total_steps():
    for S, opt in zip((optim.lr_scheduler, torch.optim.lr_scheduler), _opts()):
        sch = S.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sch.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            sch.step()


@pytest.mark.parametrize("T_0,T_mult", [(5, 1), (2, 3)], ids=["CosineAnnealingWarmRestarts-epoch",
                                                            "CosineAnnealingWarmRestarts-epoch-mult"])
def test_CosineAnnealingWarmRestarts_fractional_epochs(T_0, T_mult):
    mopt, topt = _opts()
    msch = optim.lr_scheduler.CosineAnnealingWarmRestarts(mopt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
    tsch = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
    for epoch in range(12):
        for i in range(4):
            msch.step(epoch + i / 4)
            tsch.step(epoch + i / 4)
            np.testing.assert_allclose(msch.get_last_lr(), tsch.get_last_lr(), rtol=1e-10, atol=1e-14)
            assert (msch.T_cur, msch.T_i, msch.last_epoch) == pytest.approx((tsch.T_cur, tsch.T_i, tsch.last_epoch))
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        msch.step(-1)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.05, threshold_mode="abs"),
    dict(factor=0.3, patience=1, cooldown=3, min_lr=[0.02, 0.001]),
    dict(factor=0.5, patience=0, threshold=0.1, min_lr=0.05, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[f"ReduceLROnPlateau-{i}" for i in range(len(PLATEAU))])
def test_ReduceLROnPlateau_metric_sequence(kwargs):
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 10), 0.5 + 0.01 * rng.standard_normal(15),
                              np.linspace(0.5, 0.2, 5), np.full(20, 0.2)])
    mopt, topt = _opts()
    msch = optim.lr_scheduler.ReduceLROnPlateau(mopt, **kwargs)
    tsch = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for step, metric in enumerate(metrics):
        if step == 25:
            sd, osd = msch.state_dict(), mopt.state_dict()
            assert set(sd) <= set(tsch.state_dict())
            mopt, _ = _opts()
            msch = optim.lr_scheduler.ReduceLROnPlateau(mopt, **kwargs)
            mopt.load_state_dict(osd)
            msch.load_state_dict(sd)
        mopt.step()
        topt.step()
        msch.step(minitorch.tensor(metric))
        tsch.step(metric)
        assert msch.get_last_lr() == pytest.approx(tsch.get_last_lr(), rel=1e-12)
        assert (msch.num_bad_epochs, msch.cooldown_counter, msch.best) == (tsch.num_bad_epochs,
                                                                          tsch.cooldown_counter, tsch.best)
    assert msch.get_last_lr() != [0.1, 0.3]      # the schedule did reduce


BAD = [("ConstantLR", dict(factor=1.5)), ("LinearLR", dict(start_factor=0.0)), ("LinearLR", dict(end_factor=2.0)),
       ("CosineAnnealingWarmRestarts", dict(T_0=0)), ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0)),
       ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="x")),
       ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="nope")),
       ("CyclicLR", dict(base_lr=[0.1], max_lr=1.0)),
       ("OneCycleLR", dict(max_lr=0.1)), ("OneCycleLR", dict(max_lr=0.1, total_steps=0)),
       ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1)),
       ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5)),
       ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp")),
       ("ReduceLROnPlateau", dict(factor=1.0)), ("ReduceLROnPlateau", dict(mode="avg")),
       ("ReduceLROnPlateau", dict(threshold_mode="pct")), ("ReduceLROnPlateau", dict(min_lr=[0.1]))]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{b[0]}-bad{i}" for i, b in enumerate(BAD)])
def test_bad_inputs(name, kwargs):
    mopt, topt = _opts()
    with pytest.raises(ValueError) as te:
        getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with pytest.raises(ValueError) as me:
        getattr(optim.lr_scheduler, name)(mopt, **kwargs)
    assert str(me.value) == str(te.value)


def test_cycle_momentum_needs_momentum():
    m = [minitorch.zeros(2, requires_grad=True)]
    t = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError) as te:
        torch.optim.lr_scheduler.OneCycleLR(torch.optim.Adagrad(t), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError) as me:
        optim.lr_scheduler.OneCycleLR(optim.Adagrad(m), max_lr=0.1, total_steps=10)
    assert str(me.value) == str(te.value)


@pytest.mark.parametrize("name", ["SequentialLR", "ChainedScheduler"])
def test_composite_bad_inputs(name):
    def build(S, opt, other, which):
        parts = {"empty": [], "plateau": [S.ReduceLROnPlateau(opt)],
                 "other_opt": [S.StepLR(opt, 2), S.StepLR(other, 2)]}[which]
        if name == "SequentialLR":
            return S.SequentialLR(opt, parts, milestones=[3] * max(len(parts) - 1, 0))
        return S.ChainedScheduler(parts, optimizer=opt)
    for which in ("empty", "plateau", "other_opt"):
        (mopt, topt), (mother, tother) = _opts(), _opts()
        with pytest.raises(ValueError) as te:
            build(torch.optim.lr_scheduler, topt, tother, which)
        with pytest.raises(ValueError) as me:
            build(optim.lr_scheduler, mopt, mother, which)
        assert str(me.value).split(" has ")[0] == str(te.value).split(" has ")[0]
    mopt, _ = _opts()
    S = optim.lr_scheduler
    with pytest.raises(ValueError, match="number of schedulers 2 and the number of milestones to be equal to 0"):
        S.SequentialLR(mopt, [S.StepLR(mopt, 2), S.StepLR(mopt, 3)], milestones=[])


def test_step_with_epoch_uses_closed_form():
    mopt, topt = _opts()
    msch, tsch = optim.lr_scheduler.StepLR(mopt, step_size=3, gamma=0.5), torch.optim.lr_scheduler.StepLR(
        topt, step_size=3, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        msch.step(7)
    with pytest.warns(UserWarning):
        tsch.step(7)
    assert msch.get_last_lr() == pytest.approx(tsch.get_last_lr(), rel=1e-12)


def test_resume_without_initial_lr():
    mopt, _ = _opts()
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(mopt, step_size=2, last_epoch=3)


def test_cosine_closed_form_endpoint():
    mopt, _ = _opts()
    sch = optim.lr_scheduler.CosineAnnealingLR(mopt, T_max=10)
    for _ in range(10):
        mopt.step()
        sch.step()
    assert sch.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)
    assert math.isclose(sch.base_lrs[1], 0.3)

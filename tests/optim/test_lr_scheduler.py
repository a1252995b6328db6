"""Learning-rate schedules vs torch: 50-step lr sequences, state_dict restore mid-run, bad inputs."""
import math

import numpy as np
import pytest
import torch

import minitorch
import minitorch.optim as optim

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


def _opts():
    m = [minitorch.zeros(2, dtype=minitorch.float64, requires_grad=True) for _ in range(2)]
    t = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in range(2)]
    return (optim.SGD([{"params": [m[0]]}, {"params": [m[1]], "lr": 0.3}], lr=0.1, momentum=0.9),
            torch.optim.SGD([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.3}], lr=0.1, momentum=0.9))


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence_and_restore(name, kwargs):
    mopt, topt = _opts()
    msch = getattr(optim.lr_scheduler, name)(mopt, **kwargs)
    tsch = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for step in range(50):
        np.testing.assert_allclose(msch.get_last_lr(), tsch.get_last_lr(), rtol=1e-10, atol=1e-14)
        assert [g["lr"] for g in mopt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups],
                                                                       rel=1e-10, abs=1e-14)
        if step == 25:
            sd, osd = msch.state_dict(), mopt.state_dict()
            mopt, _ = _opts()
            msch = getattr(optim.lr_scheduler, name)(mopt, **kwargs)
            mopt.load_state_dict(osd)     # checkpoint order: build both, then restore both
            msch.load_state_dict(sd)
            assert msch.last_epoch == tsch.last_epoch
        mopt.step()
        topt.step()
        msch.step()
        tsch.step()


BAD = [("ConstantLR", dict(factor=1.5)), ("LinearLR", dict(start_factor=0.0)), ("LinearLR", dict(end_factor=2.0))]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{b[0]}-bad{i}" for i, b in enumerate(BAD)])
def test_bad_inputs(name, kwargs):
    mopt, topt = _opts()
    with pytest.raises(ValueError) as te:
        getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with pytest.raises(ValueError) as me:
        getattr(optim.lr_scheduler, name)(mopt, **kwargs)
    assert str(me.value) == str(te.value)


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

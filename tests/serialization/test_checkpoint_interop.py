"""A full training checkpoint (model, optimizer and scheduler state_dicts, epoch, nested metrics) moved
between torch and minitorch in both directions, and through minitorch's own format; training then continues
for 10 steps in both frameworks with identical results (float64)."""
import numpy as np
import pytest
import torch

import minitorch

PRE_STEPS, POST_STEPS = 5, 10


def _model(fw):
    class Tanh(fw.nn.Module):
        def forward(self, x):
            return fw.tanh(x)
    act = fw.nn.Tanh if hasattr(fw.nn, "Tanh") else Tanh
    return fw.nn.Sequential(fw.nn.Linear(3, 8), act(), fw.nn.Linear(8, 8), act(), fw.nn.Linear(8, 2)).double()


CONFIGS = {
    "SGD-nesterov-StepLR": (lambda fw, ps: fw.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                            lambda fw, opt: fw.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    "Adam-amsgrad-OneCycleLR": (lambda fw, ps: fw.optim.Adam(ps, lr=0.01, amsgrad=True),
                                lambda fw, opt: fw.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=20)),
    "AdamW-ReduceLROnPlateau": (lambda fw, ps: fw.optim.AdamW(ps, lr=0.02, weight_decay=0.1),
                                lambda fw, opt: fw.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0,
                                                                                        threshold=0.2)),
    "NAdam-SequentialLR": (lambda fw, ps: fw.optim.NAdam(ps, lr=0.01),
                           lambda fw, opt: fw.optim.lr_scheduler.SequentialLR(
                               opt, [fw.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=4),
                                     fw.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)], milestones=[4])),
}


def _batches(n, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 3)), rng.standard_normal((16, 2))) for _ in range(n)]


def _build(fw, config):
    make_opt, make_sched = CONFIGS[config]
    model = _model(fw)
    opt = make_opt(fw, model.parameters())
    return model, opt, make_sched(fw, opt)


def _train(fw, model, opt, sched, batches):
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = ((model(fw.tensor(x)) - fw.tensor(y)) ** 2).mean()
        loss.backward()
        opt.step()
        if isinstance(sched, fw.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(loss.item())
        else:
            sched.step()
        losses.append(loss.item())
    return losses


def _checkpoint(model, opt, sched, losses):
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": PRE_STEPS, "metrics": {"train": {"loss": losses, "best": min(losses)},
                                            "val": {"acc": [0.5, 0.75], "tag": "run-1", "pair": (1, 2.5)}}}


def _restore(fw, config, ckpt):
    model, opt, sched = _build(fw, config)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    return model, opt, sched


def _assert_same_run(mrun, trun, mlosses, tlosses):
    np.testing.assert_allclose(mlosses, tlosses, rtol=1e-10, atol=1e-12)
    (mmodel, mopt, msched), (tmodel, topt, tsched) = mrun, trun
    msd, tsd = mmodel.state_dict(), tmodel.state_dict()
    assert list(msd) == list(tsd)
    for k in tsd:
        np.testing.assert_allclose(msd[k].numpy(), tsd[k].numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(msched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)
    mstate, tstate = mopt.state_dict()["state"], topt.state_dict()["state"]
    assert sorted(mstate) == sorted(tstate)
    for i in tstate:
        assert sorted(mstate[i]) == sorted(tstate[i])
        for key, tval in tstate[i].items():
            np.testing.assert_allclose(np.asarray(mstate[i][key].numpy()), tval.numpy(), rtol=1e-10, atol=1e-12)


def _assert_metadata(loaded, ckpt):
    assert loaded["epoch"] == PRE_STEPS
    assert loaded["metrics"]["val"] == {"acc": [0.5, 0.75], "tag": "run-1", "pair": (1, 2.5)}
    np.testing.assert_allclose(loaded["metrics"]["train"]["loss"], ckpt["metrics"]["train"]["loss"], rtol=0)
    assert loaded["metrics"]["train"]["best"] == ckpt["metrics"]["train"]["best"]


def _resume_both(config, mckpt, tckpt):
    """Restore fresh models/optimizers/schedulers in both frameworks, train POST_STEPS, compare.

    Both sides resume (rather than comparing with an uninterrupted run): restoring casts floating state to the
    parameter dtype, so e.g. NAdam's float32 ``mu_product`` becomes float64 in torch as in minitorch."""
    mrun, trun = _restore(minitorch, config, mckpt), _restore(torch, config, tckpt)
    post = _batches(POST_STEPS, 2)
    _assert_same_run(mrun, trun, _train(minitorch, *mrun, post), _train(torch, *trun, post))


@pytest.mark.parametrize("config", list(CONFIGS))
def test_torch_checkpoint_resumed_in_minitorch(tmp_path, config):
    torch.manual_seed(0)
    trun = _build(torch, config)
    ckpt = _checkpoint(*trun, _train(torch, *trun, _batches(PRE_STEPS, 1)))
    torch.save(ckpt, tmp_path / "ckpt.pt")
    loaded = minitorch.load(tmp_path / "ckpt.pt")
    _assert_metadata(loaded, ckpt)
    _resume_both(config, loaded, torch.load(tmp_path / "ckpt.pt", weights_only=True))


def _minitorch_checkpoint(config):
    """A minitorch run started from torch's seeded initial weights, trained PRE_STEPS, as a checkpoint."""
    torch.manual_seed(0)
    init = {k: minitorch.tensor(v.numpy()) for k, v in _model(torch).state_dict().items()}
    mrun = _build(minitorch, config)
    mrun[0].load_state_dict(init)
    return _checkpoint(*mrun, _train(minitorch, *mrun, _batches(PRE_STEPS, 1)))


@pytest.mark.parametrize("config", list(CONFIGS))
def test_minitorch_checkpoint_resumed_in_torch(tmp_path, config):
    ckpt = _minitorch_checkpoint(config)
    minitorch.save(ckpt, tmp_path / "ckpt.pt", format="torch")
    loaded = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    _assert_metadata(loaded, ckpt)
    _resume_both(config, minitorch.load(tmp_path / "ckpt.pt"), loaded)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_minitorch_native_checkpoint_round_trip(tmp_path, config):
    ckpt = _minitorch_checkpoint(config)
    minitorch.save(ckpt, tmp_path / "ckpt.mt")
    minitorch.save(ckpt, tmp_path / "ckpt.pt", format="torch")
    loaded = minitorch.load(tmp_path / "ckpt.mt")
    _assert_metadata(loaded, ckpt)
    _resume_both(config, loaded, torch.load(tmp_path / "ckpt.pt", weights_only=True))

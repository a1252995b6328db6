"""Parity, gradcheck and error tests for minitorch.nn.functional losses."""
import time

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check, gradcheck_inputs


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


REDUCTIONS = ("none", "mean", "sum")
P01 = Spec((3, 4), low=0.05, high=0.95)
LBL = Spec((3,), kind="int", low=0, high=4, dtype="int64")
LBL_K = Spec((3, 2, 2), kind="int", low=0, high=4, dtype="int64")

CASES = {
    "mse_loss": (lambda fw, x, t, r: F(fw).mse_loss(x, t, reduction=r), ((3, 4), (3, 4))),
    "l1_loss": (lambda fw, x, t, r: F(fw).l1_loss(x, t, reduction=r), ((3, 4), (3, 4))),
    "smooth_l1_loss": (lambda fw, x, t, r: F(fw).smooth_l1_loss(x, t, reduction=r, beta=0.5), ((3, 4), (3, 4))),
    "huber_loss": (lambda fw, x, t, r: F(fw).huber_loss(x, t, reduction=r, delta=0.7), ((3, 4), (3, 4))),
    "binary_cross_entropy": (lambda fw, x, t, r: F(fw).binary_cross_entropy(x, t, reduction=r), (P01, P01)),
    "binary_cross_entropy_weight": (lambda fw, x, t, w, r: F(fw).binary_cross_entropy(x, t, w, reduction=r),
                                    (P01, P01, Spec((3, 4), grad=False))),
    "binary_cross_entropy_with_logits": (
        lambda fw, x, t, r: F(fw).binary_cross_entropy_with_logits(x * 5, t, reduction=r), ((3, 4), P01)),
    "bce_with_logits_pos_weight": (
        lambda fw, x, t, w, pw, r: F(fw).binary_cross_entropy_with_logits(x, t, w, reduction=r, pos_weight=pw),
        ((3, 4), P01, Spec((4,), grad=False), Spec((4,), low=0.5, high=2.0, grad=False))),
    "nll_loss": (lambda fw, x, t, r: F(fw).nll_loss(x, t, reduction=r), ((3, 4), LBL)),
    "nll_loss_weight_ignore": (
        lambda fw, x, t, w, r: F(fw).nll_loss(x, t, w, ignore_index=2, reduction=r),
        ((3, 4), LBL, Spec((4,), low=0.5, high=2.0, grad=False))),
    "nll_loss_kdim": (lambda fw, x, t, r: F(fw).nll_loss(x, t, reduction=r), ((3, 4, 2, 2), LBL_K)),
    "cross_entropy": (lambda fw, x, t, r: F(fw).cross_entropy(x, t, reduction=r), ((3, 4), LBL)),
    "cross_entropy_weight_ignore_smoothing": (
        lambda fw, x, t, w, r: F(fw).cross_entropy(x, t, w, ignore_index=1, reduction=r, label_smoothing=0.2),
        ((3, 4), LBL, Spec((4,), low=0.5, high=2.0, grad=False))),
    "cross_entropy_kdim": (lambda fw, x, t, r: F(fw).cross_entropy(x, t, reduction=r, label_smoothing=0.1),
                           ((3, 4, 2, 2), LBL_K)),
    "cross_entropy_probs": (
        lambda fw, x, t, w, r: F(fw).cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
        ((3, 4), Spec((3, 4), low=0.0, high=1.0), Spec((4,), low=0.5, high=2.0, grad=False))),
    "kl_div": (lambda fw, x, t, r: F(fw).kl_div(x, t, reduction=r), ((3, 4), P01)),
    "kl_div_log_target": (lambda fw, x, t, r: F(fw).kl_div(x, t, reduction=r, log_target=True), ((3, 4), (3, 4))),
    "margin_ranking_loss": (lambda fw, a, b, t, r: F(fw).margin_ranking_loss(a, b, t.sign(), 0.3, reduction=r),
                            ((5,), (5,), Spec((5,), grad=False))),
    "hinge_embedding_loss": (lambda fw, x, t, r: F(fw).hinge_embedding_loss(x, t.sign(), 0.5, reduction=r),
                             ((3, 4), Spec((3, 4), grad=False))),
    "poisson_nll_loss": (lambda fw, x, t, r: F(fw).poisson_nll_loss(x, t, reduction=r), ((3, 4), P01)),
    "poisson_nll_loss_full": (lambda fw, x, t, r: F(fw).poisson_nll_loss(x, t * 4, False, True, reduction=r),
                              (P01, P01)),
    "multilabel_soft_margin_loss": (
        lambda fw, x, t, w, r: F(fw).multilabel_soft_margin_loss(x, t, w, reduction=r),
        ((3, 4), P01, Spec((4,), grad=False))),
}
PARAMS = [(n, r) for n in CASES for r in REDUCTIONS]
IDS = [f"{n}-{r}" for n, r in PARAMS]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name,reduction", PARAMS, ids=IDS)
def test_parity(name, reduction):
    fn, specs = CASES[name]
    # torch's own K-dim nll_loss backward rejects non-contiguous inputs ("grad_input must be contiguous")
    layouts = ("contiguous",) if name == "nll_loss_kdim" else ("contiguous", "noncontiguous", "permuted", "broadcast")
    check(lambda fw, *a: fn(fw, *a, reduction), *specs, layouts=layouts)


def _gradcheck_args(specs):
    rng = np.random.default_rng(0)
    args = []
    for s in specs:
        s = s if isinstance(s, Spec) else Spec(s)
        if s.kind == "int":
            args.append(minitorch.tensor(rng.integers(s.low, s.high, size=s.shape)))
        else:
            lo, hi = (s.low, s.high) if s.low is not None else (-2.0, 2.0)
            v = lo + (hi - lo) * rng.random(s.shape)
            args.append(minitorch.tensor(v, dtype=minitorch.float64, requires_grad=s.grad))
    return args


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name,reduction", PARAMS, ids=IDS)
def test_gradcheck(name, reduction):
    fn, specs = CASES[name]
    args = _gradcheck_args(specs)
    assert minitorch.autograd.gradcheck(lambda *a: fn(minitorch, *a, reduction), tuple(args))


@pytest.mark.parametrize("name", ["mse_loss", "cross_entropy", "cross_entropy_weight_ignore_smoothing",
                                  "binary_cross_entropy_with_logits", "bce_with_logits_pos_weight"])
def test_gradgradcheck(name):
    fn, specs = CASES[name]
    args = _gradcheck_args(specs)
    assert minitorch.autograd.gradgradcheck(lambda *a: fn(minitorch, *a, "mean"), tuple(args))


def test_bce_clamps_log():
    x = minitorch.tensor([0.0, 1.0, 0.5])
    t = minitorch.tensor([1.0, 0.0, 1.0])
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0]),
                                                         reduction="none")
    np.testing.assert_allclose(MF.binary_cross_entropy(x, t, reduction="none").numpy(), expected.numpy())


def test_bce_with_logits_is_stable():
    x = minitorch.tensor([1000.0, -1000.0], requires_grad=True)
    loss = MF.binary_cross_entropy_with_logits(x, minitorch.tensor([0.0, 1.0]), reduction="sum")
    loss.backward()
    assert loss.item() == 2000.0 and x.grad.tolist() == [1.0, -1.0]


BAD = {
    "target_out_of_range": (lambda fw, x, t: F(fw).cross_entropy(x, t), np.zeros((3, 4)), np.array([0, 1, 5]),
                            r"Target 5 is out of bounds"),
    "negative_target": (lambda fw, x, t: F(fw).nll_loss(x, t), np.zeros((3, 4)), np.array([0, 1, -1]),
                        r"Target -1 is out of bounds"),
    "batch_mismatch": (lambda fw, x, t: F(fw).cross_entropy(x, t), np.zeros((3, 4)), np.array([0, 1]),
                       r"input batch_size \(3\) to match target batch_size \(2\)"),
    "float_target_nll": (lambda fw, x, t: F(fw).nll_loss(x, t), np.zeros((3, 4)), np.zeros(3, dtype=np.float32),
                         r"Long or Byte, but got Float"),
    "bce_size": (lambda fw, x, t: F(fw).binary_cross_entropy(x, t), np.full(3, 0.5), np.full(4, 0.5),
                 r"target size \(.*Size\(\[4\]\)\) that is different to the input size \(.*Size\(\[3\]\)\)"),
    "bce_range": (lambda fw, x, t: F(fw).binary_cross_entropy(x, t), np.full(3, 2.0), np.full(3, 0.5),
                  r"between 0 and 1"),
    "bce_logits_size": (lambda fw, x, t: F(fw).binary_cross_entropy_with_logits(x, t), np.zeros(3), np.zeros(4),
                        r"Target size \(.*Size\(\[4\]\)\) must be the same as input size \(.*Size\(\[3\]\)\)"),
    "bad_reduction": (lambda fw, x, t: F(fw).mse_loss(x, t, reduction="avg"), np.zeros(3), np.zeros(3),
                      r"avg is not a valid value for reduction"),
    "mse_not_broadcastable": (lambda fw, x, t: F(fw).mse_loss(x, t), np.zeros(3), np.zeros(4), r"size"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(BAD), ids=list(BAD))
def test_bad_inputs(name):
    fn, x, t, match = BAD[name]
    assert_raises_like_torch(fn, x, t, match=match)


def test_kl_div_mean_warns_and_batchmean():
    x, t = minitorch.tensor([[-1.0, -2.0]]), minitorch.tensor([[0.25, 0.75]])
    with pytest.warns(UserWarning, match="batchmean"):
        MF.kl_div(x, t)
    expected = torch.nn.functional.kl_div(torch.tensor([[-1.0, -2.0]]), torch.tensor([[0.25, 0.75]]),
                                          reduction="batchmean")
    assert abs(MF.kl_div(x, t, reduction="batchmean").item() - expected.item()) < 1e-6


def test_mse_size_warning():
    with pytest.warns(UserWarning, match="different to the input size"):
        MF.mse_loss(minitorch.zeros(3, 1), minitorch.zeros(3))


def _time(fw, x, t, n=200):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            F(fw).cross_entropy(x, t).backward()
        best = min(best, time.perf_counter() - start)
    return best


def test_cross_entropy_speed():
    rng = np.random.default_rng(0)
    xs, ts = rng.standard_normal((128, 10)).astype(np.float32), rng.integers(0, 10, 128)
    mine = _time(minitorch, minitorch.tensor(xs, requires_grad=True), minitorch.tensor(ts))
    theirs = _time(torch, torch.tensor(xs, requires_grad=True), torch.tensor(ts))
    assert mine < 6 * theirs, f"cross_entropy fwd+bwd {mine / theirs:.1f}x torch"

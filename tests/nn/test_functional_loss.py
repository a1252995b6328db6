"""Parity, gradcheck and error tests for minitorch.nn.functional losses."""

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
    "gaussian_nll_loss": (lambda fw, x, t, v, r: F(fw).gaussian_nll_loss(x, t, v, reduction=r),
                          ((3, 4), (3, 4), Spec((3, 4), low=0.1, high=2.0))),
    "gaussian_nll_loss_homoscedastic_full": (
        lambda fw, x, t, v, r: F(fw).gaussian_nll_loss(x, t, v, full=True, reduction=r),
        ((3, 4), (3, 4), Spec((3,), low=0.1, high=2.0))),
    "gaussian_nll_loss_one_mismatched_dim": (
        lambda fw, x, t, v, r: F(fw).gaussian_nll_loss(x, t, v, reduction=r),
        ((2, 3, 4), (2, 3, 4), Spec((2, 1, 4), low=0.1, high=2.0))),
    "gaussian_nll_loss_float_var": (lambda fw, x, t, r: F(fw).gaussian_nll_loss(x, t, 0.7, reduction=r),
                                    ((3, 4), (3, 4))),
    "cosine_embedding_loss": (
        lambda fw, a, b, t, r: F(fw).cosine_embedding_loss(a, b, t.sign(), 0.2, reduction=r),
        ((3, 4), (3, 4), Spec((3,), grad=False))),
    "cosine_embedding_loss_unbatched": (
        lambda fw, a, b, r: F(fw).cosine_embedding_loss(a, b, fw.tensor(-1), margin=-0.5, reduction=r),
        ((4,), (4,))),
    "triplet_margin_loss": (lambda fw, a, p, n, r: F(fw).triplet_margin_loss(a, p, n, reduction=r),
                            ((3, 4), (3, 4), (3, 4))),
    "triplet_margin_loss_p1_swap": (
        lambda fw, a, p, n, r: F(fw).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True, reduction=r),
        ((3, 4), (3, 4), (3, 4))),
    "triplet_margin_loss_pinf_broadcast": (
        lambda fw, a, p, n, r: F(fw).triplet_margin_loss(a, p, n, margin=0.5, p=float("inf"), eps=0.1, reduction=r),
        ((2, 3, 4), (2, 1, 4), (1, 3, 4))),
    "triplet_margin_loss_p3_swap_scalar": (
        lambda fw, a, p, n, r: F(fw).triplet_margin_loss(a, p, n, margin=1.5, p=3, swap=True, reduction=r),
        ((), (), ())),
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
                                  "binary_cross_entropy_with_logits", "bce_with_logits_pos_weight",
                                  "gaussian_nll_loss_homoscedastic_full", "cosine_embedding_loss",
                                  "triplet_margin_loss", "triplet_margin_loss_p1_swap"])
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


F32 = np.float32
X34 = np.ones((3, 4), F32)
BAD_MORE = {
    "gaussian_nll_loss_negative_float_var": (lambda fw, x, t: F(fw).gaussian_nll_loss(x, t, -1.0), (X34, X34),
                                             ValueError, r"var has negative entry"),
    "gaussian_nll_loss_negative_var": (lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v - 2), (X34, X34, X34),
                                       ValueError, r"var has negative entry"),
    "gaussian_nll_loss_var_size": (lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v), (X34, X34, X34[:, :2]),
                                   ValueError, r"var is of incorrect size"),
    "gaussian_nll_loss_var_two_dims": (lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v), (X34, X34, X34[:1, :1]),
                                       ValueError, r"var is of incorrect size"),
    "gaussian_nll_loss_var_scalar_tensor": (lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v[0, 0]),
                                            (X34, X34, X34), ValueError, r"var is of incorrect size"),
    "gaussian_nll_loss_int_var": (lambda fw, x, t: F(fw).gaussian_nll_loss(x, t, 1), (X34, X34), TypeError, r""),
    "gaussian_nll_loss_reduction": (lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v, reduction="avg"),
                                    (X34, X34, X34), ValueError, r"avg is not valid"),
    "cosine_embedding_loss_2d_target": (lambda fw, a, b, t: F(fw).cosine_embedding_loss(a, b, t),
                                        (X34, X34, np.ones((3, 1), F32)), RuntimeError,
                                        r"0D or 1D target tensor expected, multi-target not supported"),
    "cosine_embedding_loss_0d_target": (lambda fw, a, b: F(fw).cosine_embedding_loss(a, b, fw.tensor(1.0)),
                                        (X34, X34), RuntimeError,
                                        r"0D target tensor expects 1D input tensors.*\[3, 4\] and \[3, 4\]"),
    "cosine_embedding_loss_reduction": (lambda fw, a, b, t: F(fw).cosine_embedding_loss(a, b, t, reduction="avg"),
                                        (X34, X34, np.ones(3, F32)), ValueError, r"avg is not a valid value"),
    "cosine_embedding_loss_sizes": (lambda fw, a, b, t: F(fw).cosine_embedding_loss(a, b, t),
                                    (X34, X34[:, :3], np.ones(3, F32)), RuntimeError, r"size"),
    "triplet_margin_loss_margin": (lambda fw, a, p, n: F(fw).triplet_margin_loss(a, p, n, margin=0),
                                   (X34, X34, X34), ValueError, r"margin must be greater than 0, got 0"),
    "triplet_margin_loss_dims": (lambda fw, a, p, n: F(fw).triplet_margin_loss(a, p, n[0]), (X34, X34, X34),
                                 RuntimeError, r"anchor 2D, positive 2D, and negative 1D inputs"),
    "triplet_margin_loss_reduction": (lambda fw, a, p, n: F(fw).triplet_margin_loss(a, p, n, reduction="avg"),
                                      (X34, X34, X34), ValueError, r"avg is not a valid value"),
    "triplet_margin_loss_sizes": (lambda fw, a, p, n: F(fw).triplet_margin_loss(a, p, n), (X34, X34[:2], X34),
                                  RuntimeError, r"size"),
}


@pytest.mark.parametrize("name", list(BAD_MORE), ids=list(BAD_MORE))
def test_bad_inputs_more(name):
    fn, arrays, exc, match = BAD_MORE[name]
    assert_raises_like_torch(fn, *arrays, match=match, exc=exc)


def test_gaussian_nll_loss_clamps_var_like_torch():
    # var below eps is clamped in the forward only: its gradient passes straight through the clamp (torch)
    check(lambda fw, x, t, v: F(fw).gaussian_nll_loss(x, t, v, eps=0.5, reduction="sum"),
          (3, 4), (3, 4), Spec((3, 4), low=0.05, high=1.0))


@pytest.mark.filterwarnings("ignore:size_average and reduce")
@pytest.mark.parametrize("legacy", [(False, None), (None, False), (True, True)], ids=str)
@pytest.mark.parametrize("name", ["triplet_margin_loss", "cosine_embedding_loss", "mse_loss", "nll_loss"])
def test_legacy_size_average_reduce(name, legacy):
    fn, specs = CASES[name]
    size_average, reduce = legacy
    check(lambda fw, *a: getattr(F(fw), name)(*_legacy_args(name, a), size_average=size_average, reduce=reduce),
          *specs, layouts=("contiguous",))


def _legacy_args(name, a):
    return (a[0], a[1], a[2].sign()) if name == "cosine_embedding_loss" else a


def test_legacy_size_average_reduce_warns():
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        MF.mse_loss(minitorch.zeros(2), minitorch.zeros(2), reduce=False)


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



EDGE_GRADIENTS = {
    "bce_with_logits_at_zero": (lambda F, x, y: F.binary_cross_entropy_with_logits(x, y),
                                [0.0, 0.0, 0.0], [1.0, 0.0, 0.5]),
    "bce_probability_exactly_0_or_1": (lambda F, x, y: F.binary_cross_entropy(x, y),
                                       [0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]),
    "logsigmoid_at_zero": (lambda F, x, y: F.logsigmoid(x).sum(), [0.0, -0.0, 1e-30], None),
}


@pytest.mark.parametrize("name", list(EDGE_GRADIENTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_gradients_at_edge_points_match_torch(name, dtype):
    fn, xs, ys = EDGE_GRADIENTS[name]
    grads, values = [], []
    for fw in (minitorch, torch):
        x = fw.tensor(xs, dtype=getattr(fw, dtype), requires_grad=True)
        y = None if ys is None else fw.tensor(ys, dtype=getattr(fw, dtype))
        out = fn(fw.nn.functional, x, y)
        out.backward()
        values.append(out.item())
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-6)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-12)
    assert np.isfinite(grads[0]).all()

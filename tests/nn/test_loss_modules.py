"""Parity, state_dict, repr and error tests for the loss layers of minitorch.nn."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from parity.harness import Spec, assert_raises_like_torch, check
from parity.modules import check_module

X = (3, 4)
P01 = Spec((3, 4), low=0.05, high=0.95)
W4 = Spec((4,), low=0.5, high=2.0, grad=False)
W34 = Spec((3, 4), low=0.5, high=2.0, grad=False)
LBL = Spec((3,), kind="int", low=0, high=4, dtype="int64")
LBL_K = Spec((3, 2, 2), kind="int", low=0, high=4, dtype="int64")
SIGN3 = Spec((3,), grad=False)                  # made +-1 with .sign() in the call
VAR = Spec((3, 4), low=0.1, high=2.0)
R3 = ("none", "mean", "sum")

# name -> (call(fw, *inputs, reduction), input specs, reductions)
CASES = {
    "L1Loss": (lambda fw, x, y, r: fw.nn.L1Loss(reduction=r)(x, y), (X, X), R3),
    "MSELoss": (lambda fw, x, y, r: fw.nn.MSELoss(reduction=r)(x, y), (X, X), R3),
    "SmoothL1Loss": (lambda fw, x, y, r: fw.nn.SmoothL1Loss(reduction=r, beta=0.5)(x, y), (X, X), R3),
    "HuberLoss": (lambda fw, x, y, r: fw.nn.HuberLoss(reduction=r, delta=0.7)(x, y), (X, X), R3),
    "BCELoss": (lambda fw, x, y, r: fw.nn.BCELoss(reduction=r)(x, y), (P01, P01), R3),
    "BCELoss_weight": (lambda fw, x, y, w, r: fw.nn.BCELoss(w, reduction=r)(x, y), (P01, P01, W4), R3),
    "BCEWithLogitsLoss": (lambda fw, x, y, r: fw.nn.BCEWithLogitsLoss(reduction=r)(x * 5, y), (X, P01), R3),
    "BCEWithLogitsLoss_weight_pos_weight": (
        lambda fw, x, y, w, pw, r: fw.nn.BCEWithLogitsLoss(w, reduction=r, pos_weight=pw)(x, y),
        (X, P01, W34, W4), R3),
    "CrossEntropyLoss": (lambda fw, x, y, r: fw.nn.CrossEntropyLoss(reduction=r)(x, y), (X, LBL), R3),
    "CrossEntropyLoss_weight_ignore_smoothing": (
        lambda fw, x, y, w, r: fw.nn.CrossEntropyLoss(w, ignore_index=2, reduction=r, label_smoothing=0.2)(x, y),
        (X, LBL, W4), R3),
    "CrossEntropyLoss_probs": (
        lambda fw, x, y, w, r: fw.nn.CrossEntropyLoss(w, reduction=r, label_smoothing=0.1)(x, y.softmax(1)),
        (X, X, W4), R3),
    "CrossEntropyLoss_kdim": (
        lambda fw, x, y, w, r: fw.nn.CrossEntropyLoss(w, ignore_index=0, reduction=r)(x, y),
        ((3, 4, 2, 2), LBL_K, W4), R3),
    "CrossEntropyLoss_kdim_probs": (
        lambda fw, x, y, r: fw.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.3)(x, y.softmax(1)),
        ((3, 4, 2, 2), (3, 4, 2, 2)), R3),
    "CrossEntropyLoss_unbatched": (lambda fw, x, y, r: fw.nn.CrossEntropyLoss(reduction=r)(x, y[0]),
                                   ((4,), LBL), R3),
    "NLLLoss": (lambda fw, x, y, r: fw.nn.NLLLoss(reduction=r)(x, y), (X, LBL), R3),
    "NLLLoss_weight_ignore": (lambda fw, x, y, w, r: fw.nn.NLLLoss(w, ignore_index=1, reduction=r)(x, y),
                              (X, LBL, W4), R3),
    "NLLLoss_kdim": (lambda fw, x, y, r: fw.nn.NLLLoss(reduction=r)(x, y), ((3, 4, 2, 2), LBL_K), R3),
    "KLDivLoss": (lambda fw, x, y, r: fw.nn.KLDivLoss(reduction=r)(x, y), (X, P01), R3 + ("batchmean",)),
    "KLDivLoss_log_target": (lambda fw, x, y, r: fw.nn.KLDivLoss(reduction=r, log_target=True)(x, y), (X, X),
                             R3 + ("batchmean",)),
    "PoissonNLLLoss": (lambda fw, x, y, r: fw.nn.PoissonNLLLoss(reduction=r)(x, y * 3), (X, P01), R3),
    "PoissonNLLLoss_full": (lambda fw, x, y, r: fw.nn.PoissonNLLLoss(False, True, eps=1e-6, reduction=r)(x, y * 4),
                            (P01, P01), R3),
    "GaussianNLLLoss": (lambda fw, x, y, v, r: fw.nn.GaussianNLLLoss(reduction=r)(x, y, v), (X, X, VAR), R3),
    "GaussianNLLLoss_full_homoscedastic": (
        lambda fw, x, y, v, r: fw.nn.GaussianNLLLoss(full=True, eps=0.3, reduction=r)(x, y, v),
        (X, X, Spec((3,), low=0.1, high=2.0)), R3),
    "CosineEmbeddingLoss": (lambda fw, a, b, t, r: fw.nn.CosineEmbeddingLoss(0.2, reduction=r)(a, b, t.sign()),
                            (X, X, SIGN3), R3),
    "MarginRankingLoss": (lambda fw, a, b, t, r: fw.nn.MarginRankingLoss(0.3, reduction=r)(a, b, t.sign()),
                          ((3,), (3,), SIGN3), R3),
    "TripletMarginLoss": (lambda fw, a, p, n, r: fw.nn.TripletMarginLoss(reduction=r)(a, p, n), (X, X, X), R3),
    "TripletMarginLoss_p1_swap": (
        lambda fw, a, p, n, r: fw.nn.TripletMarginLoss(margin=2.0, p=1, swap=True, reduction=r)(a, p, n),
        (X, X, X), R3),
    "HingeEmbeddingLoss": (lambda fw, x, t, r: fw.nn.HingeEmbeddingLoss(0.5, reduction=r)(x, t.sign()),
                           (X, Spec((3, 4), grad=False)), R3),
    "MultiLabelSoftMarginLoss": (lambda fw, x, y, r: fw.nn.MultiLabelSoftMarginLoss(reduction=r)(x, y), (X, P01), R3),
    "MultiLabelSoftMarginLoss_weight": (
        lambda fw, x, y, w, r: fw.nn.MultiLabelSoftMarginLoss(w, reduction=r)(x, y), (X, P01, W4), R3),
}
PARAMS = [(n, r) for n, (_, _, rs) in CASES.items() for r in rs]
# torch's own K-dim nll_loss backward rejects non-contiguous inputs ("grad_input must be contiguous")
CONTIGUOUS_ONLY = {"NLLLoss_kdim"}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("name,reduction", PARAMS, ids=[f"{n}-{r}" for n, r in PARAMS])
def test_parity(name, reduction):
    call, specs, _ = CASES[name]
    layouts = ("contiguous",) if name in CONTIGUOUS_ONLY else ("contiguous", "noncontiguous", "permuted", "broadcast")
    check(lambda fw, *a: call(fw, *a, reduction), *specs, layouts=layouts)


# losses holding tensors: buffers (names, order, dtype conversion, load_state_dict) via check_module
BUFFERED = {
    "BCELoss": (lambda fw: fw.nn.BCELoss(fw.tensor([0.5, 1.0, 2.0, 1.5])), P01, P01),
    "BCEWithLogitsLoss": (lambda fw: fw.nn.BCEWithLogitsLoss(fw.tensor([0.5, 1.0, 2.0, 1.5]),
                                                             pos_weight=fw.tensor([3.0, 1.0, 0.5, 2.0])), X, P01),
    "BCEWithLogitsLoss_pos_weight_only": (lambda fw: fw.nn.BCEWithLogitsLoss(pos_weight=fw.tensor([3.0, 0.5, 1.0, 2.0])),
                                          X, P01),
    "CrossEntropyLoss": (lambda fw: fw.nn.CrossEntropyLoss(fw.tensor([0.5, 1.0, 2.0, 1.5]), label_smoothing=0.1),
                         X, LBL),
    "NLLLoss": (lambda fw: fw.nn.NLLLoss(fw.tensor([0.5, 1.0, 2.0, 1.5])), X, LBL),
    "MultiLabelSoftMarginLoss": (lambda fw: fw.nn.MultiLabelSoftMarginLoss(fw.tensor([0.5, 1.0, 2.0, 1.5])), X, P01),
}


@pytest.mark.parametrize("name", list(BUFFERED), ids=list(BUFFERED))
def test_buffers_state_dict(name):
    make, *specs = BUFFERED[name]
    mine, theirs = make(minitorch), make(torch)
    assert list(mine.state_dict()) == list(theirs.state_dict()) != []
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    check_module(make, *specs, layouts=("contiguous", "noncontiguous"))     # test_parity covers every layout


@pytest.mark.parametrize("name", ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
                                  "MultiLabelSoftMarginLoss", "MSELoss"])
def test_state_dict_without_weights(name):
    assert list(getattr(minitorch.nn, name)().state_dict()) == list(getattr(torch.nn, name)().state_dict()) == []


def test_buffers_follow_module_dtype():
    m = minitorch.nn.BCEWithLogitsLoss(minitorch.ones(2), pos_weight=minitorch.ones(2)).double()
    assert m.weight.dtype == m.pos_weight.dtype == minitorch.float64


REPRS = {
    "L1Loss": lambda fw: fw.nn.L1Loss(),
    "MSELoss": lambda fw: fw.nn.MSELoss(reduction="sum"),
    "SmoothL1Loss": lambda fw: fw.nn.SmoothL1Loss(beta=0.5),
    "HuberLoss": lambda fw: fw.nn.HuberLoss(delta=2.0),
    "BCELoss": lambda fw: fw.nn.BCELoss(fw.ones(2)),
    "BCEWithLogitsLoss": lambda fw: fw.nn.BCEWithLogitsLoss(pos_weight=fw.ones(2)),
    "CrossEntropyLoss": lambda fw: fw.nn.CrossEntropyLoss(label_smoothing=0.1),
    "NLLLoss": lambda fw: fw.nn.NLLLoss(ignore_index=3),
    "KLDivLoss": lambda fw: fw.nn.KLDivLoss(log_target=True),
    "PoissonNLLLoss": lambda fw: fw.nn.PoissonNLLLoss(),
    "GaussianNLLLoss": lambda fw: fw.nn.GaussianNLLLoss(full=True),
    "CosineEmbeddingLoss": lambda fw: fw.nn.CosineEmbeddingLoss(0.5),
    "MarginRankingLoss": lambda fw: fw.nn.MarginRankingLoss(),
    "TripletMarginLoss": lambda fw: fw.nn.TripletMarginLoss(p=1),
    "HingeEmbeddingLoss": lambda fw: fw.nn.HingeEmbeddingLoss(),
    "MultiLabelSoftMarginLoss": lambda fw: fw.nn.MultiLabelSoftMarginLoss(),
    "Sequential": lambda fw: fw.nn.Sequential(fw.nn.Linear(2, 1), fw.nn.Sigmoid(), fw.nn.BCELoss()),
}


@pytest.mark.parametrize("name", list(REPRS), ids=list(REPRS))
def test_repr_and_attributes(name):
    mine, theirs = REPRS[name](minitorch), REPRS[name](torch)
    assert repr(mine) == repr(theirs)
    for attr in ("reduction", "ignore_index", "label_smoothing", "log_target", "margin", "p", "eps", "swap", "full",
                 "log_input", "beta", "delta"):
        assert getattr(mine, attr, None) == getattr(theirs, attr, None), attr


LEGACY = [(None, False), (False, None), (False, False), (True, True), (True, None), (None, True), (False, True)]


@pytest.mark.parametrize("name", ["MSELoss", "NLLLoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "KLDivLoss",
                                  "TripletMarginLoss", "SmoothL1Loss", "PoissonNLLLoss"])
@pytest.mark.parametrize("size_average,reduce", LEGACY, ids=[f"{a}-{b}" for a, b in LEGACY])
def test_legacy_size_average_reduce(name, size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        mine = getattr(minitorch.nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    assert mine.reduction == theirs.reduction


@pytest.mark.filterwarnings("ignore:size_average and reduce")
@pytest.mark.parametrize("size_average,reduce", LEGACY, ids=[f"{a}-{b}" for a, b in LEGACY])
def test_legacy_functional(size_average, reduce):
    check(lambda fw, x, y: fw.nn.functional.mse_loss(x, y, size_average, reduce), X, X, layouts=("contiguous",))


def _arrays(specs, rng):
    out = []
    for s in specs:
        s = s if isinstance(s, Spec) else Spec(s)
        if s.kind == "int":
            out.append(rng.integers(s.low, s.high, size=s.shape))
        else:
            lo, hi = (s.low, s.high) if s.low is not None else (-2.0, 2.0)
            out.append(rng.uniform(lo, hi, s.shape).astype(np.float32))
    return out


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_bad_reduction(name):
    call, specs, _ = CASES[name]
    assert_raises_like_torch(lambda fw, *a: call(fw, *a, "bogus"), *_arrays(specs, np.random.default_rng(0)),
                             match="bogus is not (a )?valid", exc=ValueError)


F32 = np.float32
BAD = {
    "BCELoss_range": (lambda fw, x, y: fw.nn.BCELoss()(x, y), (np.full(3, 2.0, F32), np.full(3, 0.5, F32)),
                      r"between 0 and 1"),
    "BCELoss_size": (lambda fw, x, y: fw.nn.BCELoss()(x, y), (np.full(3, 0.5, F32), np.full(4, 0.5, F32)),
                     r"target size \(.*\[4\]\)\) that is different to the input size \(.*\[3\]\)\)"),
    "BCEWithLogitsLoss_size": (lambda fw, x, y: fw.nn.BCEWithLogitsLoss()(x, y), (np.zeros(3, F32), np.zeros(4, F32)),
                               r"Target size \(.*\[4\]\)\) must be the same as input size \(.*\[3\]\)\)"),
    "CrossEntropyLoss_target_range": (lambda fw, x, y: fw.nn.CrossEntropyLoss()(x, y),
                                      (np.zeros((3, 4), F32), np.array([0, 1, 7])), r"Target 7 is out of bounds"),
    "CrossEntropyLoss_batch": (lambda fw, x, y: fw.nn.CrossEntropyLoss()(x, y),
                               (np.zeros((3, 4), F32), np.array([0, 1])), r"batch_size \(3\).*batch_size \(2\)"),
    "CrossEntropyLoss_prob_shape": (lambda fw, x, y: fw.nn.CrossEntropyLoss()(x, y),
                                    (np.zeros((3, 4), F32), np.zeros((3, 5), F32)), r"\[3, 5\]"),
    "CrossEntropyLoss_smoothing": (lambda fw, x, y: fw.nn.CrossEntropyLoss(label_smoothing=1.5)(x, y),
                                   (np.zeros((3, 4), F32), np.array([0, 1, 2])), r"label_smoothing.*1.5"),
    "NLLLoss_float_target": (lambda fw, x, y: fw.nn.NLLLoss()(x, y), (np.zeros((3, 4), F32), np.zeros(3, F32)),
                             r"Long or Byte, but got Float"),
    "SmoothL1Loss_beta": (lambda fw, x, y: fw.nn.SmoothL1Loss(beta=-1.0)(x, y), (np.zeros(3, F32), np.zeros(3, F32)),
                          r"negative values for beta"),
    "GaussianNLLLoss_var_size": (lambda fw, x, y, v: fw.nn.GaussianNLLLoss()(x, y, v),
                                 (np.zeros((3, 4), F32), np.zeros((3, 4), F32), np.ones((3, 2), F32)),
                                 r"var is of incorrect size"),
    "GaussianNLLLoss_negative_var": (lambda fw, x, y, v: fw.nn.GaussianNLLLoss()(x, y, v - 2),
                                     (np.zeros((3, 4), F32), np.zeros((3, 4), F32), np.ones((3, 4), F32)),
                                     r"negative entry"),
    "CosineEmbeddingLoss_2d_target": (lambda fw, a, b, t: fw.nn.CosineEmbeddingLoss()(a, b, t),
                                      (np.ones((3, 4), F32), np.ones((3, 4), F32), np.ones((3, 1), F32)),
                                      r"0D or 1D target tensor expected"),
    "CosineEmbeddingLoss_input_dims": (lambda fw, a, b, t: fw.nn.CosineEmbeddingLoss()(a, b, t),
                                       (np.ones(4, F32), np.ones((3, 4), F32), np.ones(3, F32)),
                                       r"1D target tensor expects 2D input tensors.*\[4\] and \[3, 4\]"),
    "TripletMarginLoss_dims": (lambda fw, a, p, n: fw.nn.TripletMarginLoss()(a, p, n),
                               (np.ones((3, 4), F32), np.ones((3, 4), F32), np.ones(4, F32)),
                               r"anchor 2D, positive 2D, and negative 1D"),
    "MSELoss_shapes": (lambda fw, x, y: fw.nn.MSELoss()(x, y), (np.zeros(3, F32), np.zeros(4, F32)), r"size"),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(BAD), ids=list(BAD))
def test_bad_inputs(name):
    fn, arrays, match = BAD[name]
    assert_raises_like_torch(fn, *arrays, match=match)


CTOR_ERRORS = {
    "HuberLoss_delta": (lambda fw: fw.nn.HuberLoss(delta="1"), TypeError, r"delta must be a float or int"),
    "TripletMarginLoss_margin": (lambda fw: fw.nn.TripletMarginLoss(margin=0.0), ValueError,
                                 r"expected margin to be greater than 0, got 0.0"),
    "GaussianNLLLoss_positional": (lambda fw: fw.nn.GaussianNLLLoss(True), TypeError, r"positional argument"),
}


@pytest.mark.parametrize("name", list(CTOR_ERRORS), ids=list(CTOR_ERRORS))
def test_constructor_errors(name):
    make, exc, match = CTOR_ERRORS[name]
    with pytest.raises(exc, match=match):
        make(torch)
    with pytest.raises(exc, match=match):
        make(minitorch)


PAIRWISE = {   # losses of two same-shape float inputs, any shape
    "L1Loss": lambda fw, r: fw.nn.L1Loss(reduction=r),
    "MSELoss": lambda fw, r: fw.nn.MSELoss(reduction=r),
    "SmoothL1Loss": lambda fw, r: fw.nn.SmoothL1Loss(reduction=r, beta=0.3),
    "HuberLoss": lambda fw, r: fw.nn.HuberLoss(reduction=r, delta=0.3),
    "BCELoss": lambda fw, r: fw.nn.BCELoss(reduction=r),
    "BCEWithLogitsLoss": lambda fw, r: fw.nn.BCEWithLogitsLoss(reduction=r, pos_weight=fw.tensor(2.0)),
    "KLDivLoss": lambda fw, r: fw.nn.KLDivLoss(reduction=r),
    "PoissonNLLLoss": lambda fw, r: fw.nn.PoissonNLLLoss(reduction=r),
    "MultiLabelSoftMarginLoss": lambda fw, r: fw.nn.MultiLabelSoftMarginLoss(reduction=r),
    "CrossEntropyLoss_probs": lambda fw, r: (lambda x, y: fw.nn.CrossEntropyLoss(reduction=r)(x, y / y.sum(1, True))),
}


BROADCASTING = {"L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss"}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides", "ignore:Using a target size")
@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from(list(PAIRWISE)), st.lists(st.tuples(st.integers(1, 4), st.booleans()), min_size=1, max_size=4),
       st.sampled_from(["float32", "float64"]), st.sampled_from(R3))
def test_hypothesis(name, dims, dtype, reduction):
    shape = [n for n, _ in dims]
    # the target broadcasts against the input (size-1 dims where drawn) for the losses that allow it
    target = [1 if squeeze and name in BROADCASTING else n for n, squeeze in dims]
    if name == "CrossEntropyLoss_probs":
        shape, target = [2] + shape, [2] + shape
    check(lambda fw, x, y: PAIRWISE[name](fw, reduction)(x, y), Spec(tuple(shape), low=0.05, high=0.95),
          Spec(tuple(target), low=0.05, high=0.95), dtypes=(dtype,), layouts=("contiguous", "noncontiguous"))


LOSSES = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
          "CrossEntropyLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss",
          "MarginRankingLoss", "TripletMarginLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss"]


def test_class_hierarchy_matches_torch():
    for a in LOSSES:
        assert issubclass(getattr(minitorch.nn, a), minitorch.nn.Module)
        for b in LOSSES:
            assert issubclass(getattr(minitorch.nn, a), getattr(minitorch.nn, b)) == \
                issubclass(getattr(torch.nn, a), getattr(torch.nn, b)), (a, b)

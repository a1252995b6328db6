"""F.embedding / F.embedding_bag / F.one_hot and the Embedding / EmbeddingBag layers: parity with torch (outputs,
weight and per-sample-weight gradients, padding_idx, scale_grad_by_freq, max_norm renormalisation of the weight in
place, every bag mode with offsets, include_last_offset and 2-D input), gradcheck, init, reprs and torch's errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check, gradcheck_inputs
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


def idx(*shape, high=10, dtype="int64"):
    return Spec(shape, kind="int", low=0, high=high, dtype=dtype)


# embedding --------------------------------------------------------------------------------------------------------
EMBEDDING = {
    "embedding": ({}, idx(3, 5)),
    "embedding_padding_idx": ({"padding_idx": 2}, idx(4, 6, high=4)),
    "embedding_negative_padding_idx": ({"padding_idx": -7}, idx(4, 6, high=4)),
    "embedding_scale_grad_by_freq": ({"scale_grad_by_freq": True}, idx(5, 4, high=5)),
    "embedding_padding_and_freq": ({"padding_idx": 0, "scale_grad_by_freq": True}, idx(5, 4, high=4)),
    "embedding_int32_index": ({}, idx(7, dtype="int32")),
    "embedding_scalar_index": ({}, idx()),
}


@pytest.mark.parametrize("name", list(EMBEDDING), ids=list(EMBEDDING))
def test_embedding_parity(name):
    kw, index = EMBEDDING[name]
    check(lambda fw, w, i: F(fw).embedding(i, w, **kw), (10, 4), index)


@pytest.mark.parametrize("name", list(EMBEDDING), ids=list(EMBEDDING))
def test_embedding_gradcheck(name):
    kw, index = EMBEDDING[name]
    w, = gradcheck_inputs((10, 4))
    i = minitorch.tensor(np.random.default_rng(0).integers(0, index.high, index.shape))
    # padding_idx and scale_grad_by_freq change the gradient on purpose: gradcheck the true derivative without them,
    # and gradgradcheck (the backward is linear in its cotangent) with them
    assert minitorch.autograd.gradcheck(lambda t: MF.embedding(i, t), (w,))
    assert minitorch.autograd.gradgradcheck(lambda t: MF.embedding(i, t, **kw), (w,))


def test_embedding_padding_row_gets_no_gradient():
    w = minitorch.randn(5, 3, requires_grad=True)
    MF.embedding(minitorch.tensor([[0, 2, 2], [4, 2, 1]]), w, padding_idx=2).sum().backward()
    g = w.grad.numpy()
    assert (g[2] == 0).all() and (g[[0, 1, 4]] == 1).all() and (g[3] == 0).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
def test_embedding_max_norm_renormalises_weight_in_place(norm_type, dtype):
    rng = np.random.default_rng(1)
    w0 = (rng.standard_normal((8, 4)) * 2).astype(dtype)
    index = np.array([[1, 3, 3], [7, 0, 1]])
    tw, mw = torch.tensor(w0, requires_grad=True), minitorch.tensor(w0, requires_grad=True)
    t = torch.nn.functional.embedding(torch.tensor(index), tw, max_norm=1.5, norm_type=norm_type)
    m = MF.embedding(minitorch.tensor(index), mw, max_norm=1.5, norm_type=norm_type)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(mw.detach().numpy(), tw.detach().numpy(), rtol=tol, atol=tol)   # the weight itself
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    untouched = [2, 4, 5, 6]
    np.testing.assert_array_equal(mw.detach().numpy()[untouched], w0[untouched])
    assert mw._version == tw._version == 1
    g = rng.standard_normal(t.shape).astype(dtype)
    t.backward(torch.tensor(g))
    m.backward(minitorch.tensor(g))
    np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=tol, atol=tol)


EMBEDDING_MODULES = {
    "Embedding": ((10, 4), {}, idx(3, 5)),
    "Embedding_padding_idx": ((10, 4), {"padding_idx": 3}, idx(4, 5, high=5)),
    "Embedding_max_norm": ((10, 4), {"max_norm": 1.0}, idx(6, high=10)),
    "Embedding_scale_grad_by_freq": ((6, 3), {"scale_grad_by_freq": True}, idx(2, 7, high=6)),
}


@pytest.mark.parametrize("name", list(EMBEDDING_MODULES), ids=list(EMBEDDING_MODULES))
def test_embedding_module_parity(name):
    args, kw, index = EMBEDDING_MODULES[name]
    check_module(lambda fw: fw.nn.Embedding(*args, **kw), index)


def test_embedding_module_init_and_repr():
    m = nn.Embedding(2000, 50, padding_idx=7)
    w = m.weight.detach().numpy()
    assert (w[7] == 0).all()
    rest = np.delete(w, 7, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01          # N(0, 1), as torch
    for args, kw in [((10, 3), {}), ((10, 3), {"padding_idx": -2, "max_norm": 1.0, "norm_type": 1.0,
                                               "scale_grad_by_freq": True, "sparse": True})]:
        assert repr(nn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))
    assert nn.Embedding(10, 3, padding_idx=-2).padding_idx == 8
    assert list(m.state_dict()) == ["weight"]


def test_embedding_from_pretrained():
    table = minitorch.randn(6, 3)
    frozen = nn.Embedding.from_pretrained(table, padding_idx=1)
    assert not frozen.weight.requires_grad and frozen.padding_idx == 1
    np.testing.assert_array_equal(frozen.weight.detach().numpy(), table.numpy())     # no re-initialisation
    table[0, 0] = 42.0
    assert frozen.weight[0, 0].item() == 42.0           # the same memory, as torch
    trainable = nn.Embedding.from_pretrained(table, freeze=False, max_norm=2.0)
    assert trainable.weight.requires_grad and trainable.max_norm == 2.0
    trainable(minitorch.tensor([1, 2])).sum().backward()
    assert trainable.weight.grad is not None
    assert repr(frozen) == repr(torch.nn.Embedding.from_pretrained(torch.randn(6, 3), padding_idx=1))
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(minitorch.randn(6))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        nn.Embedding(5, 3, _weight=minitorch.randn(4, 3))


def test_embedding_errors():
    w = np.random.default_rng(0).standard_normal((5, 3)).astype("f4")
    for bad in ([5], [-1], [[0, 7]]):
        assert_raises_like_torch(lambda fw, ww, i: F(fw).embedding(i, ww), w, np.array(bad),
                                 match="index out of range in self", exc=IndexError)
    assert_raises_like_torch(lambda fw, ww, i: F(fw).embedding(i, ww), w, np.array([1.0], "f4"),
                             match=r"Expected tensor for argument #1 'indices' to have one of the following scalar "
                                   r"types: Long, Int; but got torch.FloatTensor instead", exc=RuntimeError)
    assert_raises_like_torch(lambda fw, ww, i: F(fw).embedding(i, ww), w[0], np.array([1]),
                             match="'weight' must be 2-D", exc=RuntimeError)
    for pad in (5, -6):
        assert_raises_like_torch(lambda fw, ww, i: F(fw).embedding(i, ww, padding_idx=pad), w, np.array([1]),
                                 match="Padding_idx must be within num_embeddings", exc=AssertionError)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            nn.Embedding(5, 3, padding_idx=pad)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        MF.embedding(minitorch.tensor([1]), minitorch.tensor(w), sparse=True)


# embedding_bag ------------------------------------------------------------------------------------------------------
def _bag(mode, offsets=None, **kw):
    def fn(fw, w, i, *psw):
        off = None if offsets is None else fw.tensor(offsets)
        return F(fw).embedding_bag(i, w, off, mode=mode, per_sample_weights=psw[0] if psw else None, **kw)
    return fn


BAGS = {}
for _mode in ("sum", "mean", "max"):
    BAGS[f"embedding_bag_{_mode}_offsets"] = (_bag(_mode, [0, 3, 3, 5]), idx(9))
    BAGS[f"embedding_bag_{_mode}_2d"] = (_bag(_mode), idx(4, 3))
    BAGS[f"embedding_bag_{_mode}_padding_idx"] = (_bag(_mode, [0, 2, 6], padding_idx=1), idx(8, high=4))
    BAGS[f"embedding_bag_{_mode}_2d_padding_idx"] = (_bag(_mode, padding_idx=-10), idx(5, 3, high=3))
    BAGS[f"embedding_bag_{_mode}_include_last_offset"] = (_bag(_mode, [0, 4, 4, 7], include_last_offset=True),
                                                          idx(7))
    BAGS[f"embedding_bag_{_mode}_int32"] = (_bag(_mode, [0, 1]), idx(5, dtype="int32"))
for _mode in ("sum", "mean"):
    BAGS[f"embedding_bag_{_mode}_scale_grad_by_freq"] = (_bag(_mode, [0, 4], scale_grad_by_freq=True),
                                                         idx(9, high=4))
BAGS["embedding_bag_sum_per_sample_weights"] = (_bag("sum", [0, 2, 2, 6]), idx(8), (8,))
BAGS["embedding_bag_sum_per_sample_weights_2d_padding"] = (_bag("sum", padding_idx=2), idx(3, 4, high=4), (3, 4))
BAGS["embedding_bag_sum_per_sample_weights_last_offset"] = (_bag("sum", [0, 5, 6], include_last_offset=True),
                                                            idx(6), (6,))


@pytest.mark.parametrize("name", list(BAGS), ids=list(BAGS))
def test_embedding_bag_parity(name):
    fn, *specs = BAGS[name]
    check(fn, (10, 4), *specs)


@pytest.mark.parametrize("name", [n for n in BAGS if "scale_grad" not in n and "padding" not in n],
                         ids=[n for n in BAGS if "scale_grad" not in n and "padding" not in n])
def test_embedding_bag_gradcheck(name):
    fn, *specs = BAGS[name]
    rng = np.random.default_rng(3)
    w, *psw = gradcheck_inputs((10, 4), *[s for s in specs[1:]])
    i = minitorch.tensor(rng.integers(0, specs[0].high, specs[0].shape).astype(specs[0].dtype))
    assert minitorch.autograd.gradcheck(lambda t, *p: fn(minitorch, t, i, *p), (w, *psw))


@pytest.mark.parametrize("name", ["embedding_bag_sum_per_sample_weights", "embedding_bag_mean_offsets",
                                  "embedding_bag_max_2d"])
def test_embedding_bag_gradgradcheck(name):
    fn, *specs = BAGS[name]
    w, *psw = gradcheck_inputs((10, 4), *[s for s in specs[1:]])
    i = minitorch.tensor(np.random.default_rng(3).integers(0, specs[0].high, specs[0].shape))
    assert minitorch.autograd.gradgradcheck(lambda t, *p: fn(minitorch, t, i, *p), (w, *psw))


def test_embedding_bag_empty_bags_and_max_norm():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((6, 3)) * 3
    index, offsets = np.array([0, 5, 5, 2, 1]), np.array([0, 0, 3, 3])
    for mode in ("sum", "mean", "max"):
        tw, mw = torch.tensor(w0, requires_grad=True), minitorch.tensor(w0, requires_grad=True)
        t = torch.nn.functional.embedding_bag(torch.tensor(index), tw, torch.tensor(offsets), max_norm=2.0, mode=mode)
        m = MF.embedding_bag(minitorch.tensor(index), mw, minitorch.tensor(offsets), max_norm=2.0, mode=mode)
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(mw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
        assert (m.detach().numpy()[[0, 2]] == 0).all()
        t.sum().backward()
        m.sum().backward()
        np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


BAG_MODULES = {f"EmbeddingBag_{mode}{'_padding_idx' if pad is not None else ''}": (mode, pad)
               for mode in ("sum", "mean", "max") for pad in (None, 1)}


@pytest.mark.parametrize("name", list(BAG_MODULES), ids=list(BAG_MODULES))
def test_embedding_bag_module_parity(name):
    mode, pad = BAG_MODULES[name]
    check_module(lambda fw: fw.nn.EmbeddingBag(10, 4, mode=mode, padding_idx=pad), idx(5, 3, high=4))


def test_embedding_bag_module_offsets_and_from_pretrained():
    table = np.random.default_rng(0).standard_normal((7, 3))
    t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), mode="sum", freeze=False)
    m = nn.EmbeddingBag.from_pretrained(minitorch.tensor(table), mode="sum", freeze=False)
    assert m.weight.requires_grad and not nn.EmbeddingBag.from_pretrained(minitorch.tensor(table)).weight.requires_grad
    index, offsets, psw = np.array([1, 2, 6, 0]), np.array([0, 1]), np.array([0.5, 2.0, -1.0, 3.0])
    out_t = t(torch.tensor(index), torch.tensor(offsets), torch.tensor(psw))
    out_m = m(minitorch.tensor(index), minitorch.tensor(offsets), minitorch.tensor(psw))
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    assert repr(m) == repr(t)
    for kw in ({}, {"max_norm": 1.0, "norm_type": 3.0, "scale_grad_by_freq": True, "mode": "sum", "padding_idx": -1}):
        assert repr(nn.EmbeddingBag(10, 3, **kw)) == repr(torch.nn.EmbeddingBag(10, 3, **kw))
    bag = nn.EmbeddingBag(100, 30, padding_idx=4)
    assert (bag.weight.detach().numpy()[4] == 0).all() and abs(bag.weight.detach().numpy().std() - 1) < 0.05
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(5, 3, padding_idx=5)


W = np.random.default_rng(0).standard_normal((5, 3)).astype("f4")
BAG_ERRORS = {
    "input_3d": ((np.zeros((1, 2, 2), np.int64), None), {}, ValueError,
                 "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    "no_offsets": ((np.zeros(3, np.int64), None), {}, ValueError, "offsets has to be a 1D Tensor but got None"),
    "offsets_2d": ((np.zeros(3, np.int64), np.zeros((1, 1), np.int64)), {}, ValueError,
                   "offsets has to be a 1D Tensor"),
    "offsets_with_2d_input": ((np.zeros((2, 2), np.int64), np.zeros(2, np.int64)), {}, ValueError,
                              "if input is 2D, then offsets has to be None"),
    "bad_mode": ((np.zeros((2, 2), np.int64), None), {"mode": "min"}, ValueError,
                 "mode has to be one of sum, mean or max"),
    "max_freq": ((np.zeros((2, 2), np.int64), None), {"mode": "max", "scale_grad_by_freq": True}, ValueError,
                 "max mode does not support scaling the gradient by the frequency"),
    "psw_mean": ((np.zeros((2, 2), np.int64), None), {"per_sample_weights": np.ones((2, 2), "f4")},
                 NotImplementedError, "per_sample_weights is only supported for mode='sum' \\(got mode='mean'\\)"),
    "psw_shape": ((np.zeros((2, 2), np.int64), None), {"per_sample_weights": np.ones(4, "f4"), "mode": "sum"},
                  ValueError, "If per_sample_weights \\(.*4.*\\) is not None, then it must have the same shape as"),
    "psw_dtype": ((np.zeros((2, 2), np.int64), None), {"per_sample_weights": np.ones((2, 2)), "mode": "sum"},
                  RuntimeError, "but type torch.FloatTensor does not equal torch.DoubleTensor"),
    "index_range": ((np.array([0, 5]), np.array([0])), {}, RuntimeError,
                    "Index 1 of input takes value 5 which is not in the valid range \\[0, 5\\)"),
    "first_offset": ((np.array([0, 1]), np.array([1])), {}, RuntimeError, "offsets\\[0\\] has to be 0"),
    "last_offset": ((np.array([0, 1]), np.array([0, 3])), {"include_last_offset": True}, RuntimeError,
                    "offsets\\[-1\\] can not be greater than input's length 2 but got offsets\\[-1\\] of 3"),
    "float_index": ((np.array([0.0, 1.0], "f4"), np.array([0])), {}, RuntimeError,
                    "to have one of the following scalar types: Long, Int; but got torch.FloatTensor"),
    "padding_range": ((np.zeros((2, 2), np.int64), None), {"padding_idx": 7}, RuntimeError,
                      "padding_idx must be within the number of embeddings, -5 through 4, but got 7"),
    "zero_length_bags": ((np.zeros((2, 0), np.int64), None), {}, RuntimeError, "step must be nonzero"),
}


@pytest.mark.parametrize("name", list(BAG_ERRORS), ids=list(BAG_ERRORS))
def test_embedding_bag_errors(name):
    (index, offsets), kw, exc, match = BAG_ERRORS[name]
    arrays = [W, index] + ([offsets] if offsets is not None else []) + ([kw["per_sample_weights"]]
                                                                        if "per_sample_weights" in kw else [])
    rest = {k: v for k, v in kw.items() if k != "per_sample_weights"}

    def fn(fw, w, i, *more):
        off = more[0] if offsets is not None else None
        psw = more[-1] if "per_sample_weights" in kw else None
        return F(fw).embedding_bag(i, w, off, per_sample_weights=psw, **rest)
    assert_raises_like_torch(fn, *arrays, match=match, exc=exc)


def test_embedding_bag_weight_errors():
    assert_raises_like_torch(lambda fw, w, i: F(fw).embedding_bag(i, w), W[0], np.zeros((2, 2), np.int64),
                             match="weight has to be a 2D Tensor, but got Tensor of dimension 1", exc=ValueError)
    assert_raises_like_torch(lambda fw, w, i: F(fw).embedding_bag(i, w), np.ones((5, 3), np.int64),
                             np.zeros((2, 2), np.int64), match="Half, BFloat16, Float, Double; but got "
                                                               "torch.LongTensor", exc=RuntimeError)


@st.composite
def _bags(draw):
    lengths = draw(st.lists(st.integers(0, 4), min_size=1, max_size=5))
    n = sum(lengths)
    index = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    return lengths, index


@settings(max_examples=30, deadline=None, derandomize=True)
@given(bags=_bags(), mode=st.sampled_from(["sum", "mean", "max"]), pad=st.sampled_from([None, 0, 3]),
       dtype=st.sampled_from(["float32", "float64"]), with_psw=st.booleans())
def test_embedding_bag_differential(bags, mode, pad, dtype, with_psw):
    lengths, index = bags
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rng = np.random.default_rng(len(index))
    w0 = rng.standard_normal((6, 3)).astype(dtype)
    psw0 = rng.standard_normal(len(index)).astype(dtype) if with_psw and mode == "sum" else None
    outs, grads = [], []
    for fw in (minitorch, torch):
        w = fw.tensor(w0, requires_grad=True)
        psw = None if psw0 is None else fw.tensor(psw0, requires_grad=True)
        out = F(fw).embedding_bag(fw.tensor(np.array(index, dtype=np.int64)), w, fw.tensor(offsets), mode=mode,
                                  padding_idx=pad, per_sample_weights=psw)
        out.backward(fw.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype)))
        outs.append(out.detach().numpy())
        grads.append([w.grad.numpy()] + ([] if psw is None else [psw.grad.numpy()]))
    tol = 1e-5 if dtype == "float32" else 1e-10
    assert outs[0].shape == outs[1].shape and outs[0].dtype == outs[1].dtype
    np.testing.assert_allclose(outs[0], outs[1], rtol=tol, atol=tol)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# one_hot ------------------------------------------------------------------------------------------------------------
ONE_HOT = {"one_hot": ((6,), -1), "one_hot_num_classes": ((2, 3), 7), "one_hot_scalar": ((), 4),
           "one_hot_empty": ((0, 2), 3)}


@pytest.mark.parametrize("name", list(ONE_HOT), ids=list(ONE_HOT))
def test_one_hot_parity(name):
    shape, k = ONE_HOT[name]
    check(lambda fw, t: F(fw).one_hot(t, k), idx(*shape, high=4), grad=False)


@pytest.mark.parametrize("values,k,match", [
    ([1, -3], -1, "Class values must be non-negative."),
    ([1, -3], 5, "Class values must be non-negative."),
    ([1, 3], 3, "Class values must be smaller than num_classes."),
    ([0], 0, "Class values must be smaller than num_classes."),
    ([], -1, "Can not infer total number of classes from empty tensor."),
], ids=["negative_infer", "negative", "too_large", "zero_classes", "empty_infer"])
def test_one_hot_errors(values, k, match):
    assert_raises_like_torch(lambda fw, t: F(fw).one_hot(t, k), np.array(values, dtype=np.int64), match=match,
                             exc=RuntimeError)


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_one_hot_needs_int64(dtype):
    assert_raises_like_torch(lambda fw, t: F(fw).one_hot(t), np.array([1, 2], dtype=dtype),
                             match="one_hot is only applicable to index tensor of type LongTensor.", exc=RuntimeError)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(0, 4), max_size=3), extra=st.integers(-1, 3))
def test_one_hot_differential(shape, extra):
    values = np.random.default_rng(len(shape)).integers(0, 5, shape)
    k = -1 if extra < 0 else 5 + extra
    results = []
    for fw in (minitorch, torch):
        try:
            results.append(F(fw).one_hot(fw.tensor(values), k).numpy())
        except RuntimeError as e:
            results.append(type(e))
    if isinstance(results[1], np.ndarray):
        assert results[0].dtype == np.int64
        np.testing.assert_array_equal(results[0], results[1])
    else:
        assert results[0] is results[1]

"""Parity of the joining/splitting/tiling ops (cat, stack, split, chunk, repeat, repeat_interleave, tile,
flip, roll, tril, triu, ...) with torch: values, dtypes, gradients, views and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_raises_like_torch, check, gradcheck_inputs

INT = Spec((2, 3), kind="int", low=-5, high=5, grad=False, dtype="int64")

CASES = {
    "cat_dim0": (lambda fw, a, b: fw.cat([a, b], 0), (2, 3), (4, 3)),
    "cat_dim_neg": (lambda fw, a, b: fw.cat((a, b), dim=-1), (2, 3), (2, 5)),
    "cat_three": (lambda fw, a, b, c: fw.cat([a, b, c], 1), (2, 1, 3), (2, 2, 3), (2, 3, 3)),
    "cat_legacy_empty": (lambda fw, a: fw.cat([a, fw.zeros(0, dtype=a.dtype), a]), (2, 3)),
    "cat_promotes_int": (lambda fw, a, b: fw.cat([a, b]), (2, 3), INT),
    "cat_same_tensor_twice": (lambda fw, a: fw.cat([a, a * 2], 0), (3,)),
    "concat": (lambda fw, a, b: fw.concat([a, b], 1), (2, 3), (2, 2)),
    "concatenate": (lambda fw, a, b: fw.concatenate([a, b]), (3,), (2,)),
    "stack_dim0": (lambda fw, a, b: fw.stack([a, b]), (2, 3), (2, 3)),
    "stack_dim_last": (lambda fw, a, b, c: fw.stack([a, b, c], dim=-1), (2, 3), (2, 3), (2, 3)),
    "stack_dim1_promotes": (lambda fw, a, b: fw.stack([a, b], 1), (2, 3), INT),
    "stack_scalars": (lambda fw, a, b: fw.stack([a, b]), (), ()),
    "hstack_1d": (lambda fw, a, b: fw.hstack([a, b]), (3,), (2,)),
    "hstack_2d": (lambda fw, a, b: fw.hstack([a, b]), (2, 3), (2, 1)),
    "vstack_1d": (lambda fw, a, b: fw.vstack([a, b]), (3,), (3,)),
    "vstack_2d": (lambda fw, a, b: fw.vstack((a, b)), (2, 3), (1, 3)),
    "split_int": (lambda fw, a: fw.split(a, 2), (5, 3)),
    "split_int_dim1": (lambda fw, a: a.split(2, dim=1), (3, 5)),
    "split_sizes": (lambda fw, a: a.split([1, 3, 0, 1]), (5, 2)),
    "split_then_math": (lambda fw, a: [p * (i + 1) for i, p in enumerate(a.split(1, -1))], (2, 3)),
    "chunk": (lambda fw, a: fw.chunk(a, 3), (7, 2)),
    "chunk_dim1_more_than_size": (lambda fw, a: a.chunk(5, 1), (2, 3)),
    "tensor_split_sections": (lambda fw, a: fw.tensor_split(a, 3), (7, 2)),
    "tensor_split_indices": (lambda fw, a: a.tensor_split([1, -2, 9], dim=1), (2, 5)),
    "repeat": (lambda fw, a: a.repeat(2, 3), (2, 3)),
    "repeat_more_dims": (lambda fw, a: a.repeat((2, 1, 3)), (2, 3)),
    "repeat_scalar": (lambda fw, a: a.repeat(3), ()),
    "repeat_zero": (lambda fw, a: a.repeat(0, 2), (2, 3)),
    "tile": (lambda fw, a: fw.tile(a, (2,)), (2, 3)),
    "tile_more_dims": (lambda fw, a: a.tile((2, 1, 2)), (3,)),
    "repeat_interleave_int": (lambda fw, a: fw.repeat_interleave(a, 2), (2, 3)),
    "repeat_interleave_int_dim": (lambda fw, a: a.repeat_interleave(3, dim=1), (2, 3)),
    "repeat_interleave_tensor": (lambda fw, a: a.repeat_interleave(fw.tensor([1, 0, 3]), dim=0), (3, 2)),
    "repeat_interleave_tensor_flat": (lambda fw, a: a.repeat_interleave(fw.tensor([2]), dim=-1), (2, 3)),
    "repeat_interleave_counts": (lambda fw, a: (fw.repeat_interleave(fw.tensor([2, 0, 1])), a * 1), (2,)),
    "flip": (lambda fw, a: fw.flip(a, [0]), (3, 4)),
    "flip_two_dims": (lambda fw, a: a.flip(-1, 0), (2, 3, 4)),
    "roll_flat": (lambda fw, a: fw.roll(a, 2), (3, 4)),
    "roll_dim": (lambda fw, a: a.roll(-1, 1), (3, 4)),
    "roll_multi": (lambda fw, a: a.roll((1, 5), (0, -1)), (3, 4)),
    "tril": (lambda fw, a: fw.tril(a), (4, 3)),
    "tril_diagonal": (lambda fw, a: a.tril(diagonal=-1), (2, 3, 4)),
    "triu": (lambda fw, a: fw.triu(a), (3, 4)),
    "triu_diagonal": (lambda fw, a: a.triu(2), (3, 5)),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_parity(case):
    fn, *specs = CASES[case]
    check(fn, *specs)


GRAD_CASES = {
    "cat": (lambda a, b: minitorch.cat([a, b], 1), (2, 3), (2, 2)),
    "stack": (lambda a, b: minitorch.stack([a, b], 1), (2, 3), (2, 3)),
    "hstack": (lambda a, b: minitorch.hstack([a, b]), (2, 3), (2, 2)),
    "vstack": (lambda a, b: minitorch.vstack([a, b]), (3,), (2, 3)),
    "split": (lambda a: a.split([1, 2], 1), (2, 3)),
    "chunk": (lambda a: a.chunk(2), (3, 2)),
    "tensor_split": (lambda a: a.tensor_split(2), (3, 2)),
    "repeat": (lambda a: a.repeat(2, 1, 3), (2, 3)),
    "tile": (lambda a: a.tile((2,)), (2, 3)),
    "repeat_interleave": (lambda a: a.repeat_interleave(minitorch.tensor([2, 0, 1]), 1), (2, 3)),
    "flip": (lambda a: a.flip(0, 1), (2, 3)),
    "roll": (lambda a: a.roll((1, -2), (0, 1)), (2, 3)),
    "tril": (lambda a: a.tril(1), (3, 3)),
    "triu": (lambda a: a.triu(-1), (2, 3, 3)),
}
GRADGRAD = ("cat", "stack", "split", "repeat", "repeat_interleave", "flip", "roll", "tril")


@pytest.mark.parametrize("case", GRAD_CASES, ids=list(GRAD_CASES))
def test_gradcheck(case):
    fn, *shapes = GRAD_CASES[case]
    assert gradcheck(fn, gradcheck_inputs(*shapes))


@pytest.mark.parametrize("case", GRADGRAD, ids=list(GRADGRAD))
def test_gradgradcheck(case):
    fn, *shapes = GRAD_CASES[case]
    assert gradgradcheck(fn, gradcheck_inputs(*shapes))


@pytest.mark.parametrize("how", ["split", "chunk", "tensor_split"])
def test_splits_are_views_like_torch(how):
    def parts(fw):
        base = fw.arange(24.0).reshape(4, 6)
        return base, {"split": lambda: base.split(4, 1), "chunk": lambda: base.chunk(3, 0),
                      "tensor_split": lambda: base.tensor_split([1, 4], 1)}[how]()
    mb, mparts = parts(minitorch)
    tb, tparts = parts(torch)
    for m, t in zip(mparts, tparts):
        assert m._base is not None and m.untyped_storage().data_ptr() == mb.untyped_storage().data_ptr()
        assert (m.storage_offset(), m.stride(), tuple(m.shape)) == (t.storage_offset(), t.stride(), tuple(t.shape))
    mparts[-1][...] = -1.0
    tparts[-1][...] = -1.0
    np.testing.assert_array_equal(mb.numpy(), tb.numpy())


NODE_NAMES = {
    "cat": lambda fw, a: fw.cat([a, a]),
    "stack": lambda fw, a: fw.stack([a, a]),
    "repeat": lambda fw, a: a.repeat(2, 1),
    "flip": lambda fw, a: a.flip(0),
    "roll": lambda fw, a: a.roll(1, 0),
    "tril": lambda fw, a: a.tril(),
    "triu": lambda fw, a: a.triu(),
}


@pytest.mark.parametrize("case", NODE_NAMES, ids=list(NODE_NAMES))
def test_grad_fn_names_match_torch(case):
    m = NODE_NAMES[case](minitorch, minitorch.ones(3, 3, requires_grad=True))
    t = NODE_NAMES[case](torch, torch.ones(3, 3, requires_grad=True))
    assert m.grad_fn.name() == t.grad_fn.name()


def test_cat_and_stack_are_copies():
    a = minitorch.ones(2, 2)
    out = minitorch.cat([a, a])
    out[0, 0] = 5.0
    assert a[0, 0].item() == 1.0
    assert minitorch.stack([a, a])._base is None


def test_cat_legacy_empty_gets_no_gradient_and_keeps_dtype():
    a = minitorch.ones(2, 3, dtype=minitorch.float32, requires_grad=True)
    out = minitorch.cat([minitorch.zeros(0, dtype=minitorch.float64), a])
    assert out.dtype is minitorch.float64 and tuple(out.shape) == (2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 3), np.float32))


def test_repeat_interleave_counts_form():
    out = minitorch.repeat_interleave(minitorch.tensor([1, 0, 3]))
    assert out.dtype is minitorch.int64 and out.tolist() == [0, 2, 2, 2]


ERRORS = {
    "cat_empty_list": (lambda fw: fw.cat([]), ValueError, r"expected a non-empty list of Tensors"),
    "cat_zero_dim": (lambda fw: fw.cat([fw.ones(2), fw.tensor(1.0)]), RuntimeError,
                     r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    "cat_ndim": (lambda fw: fw.cat([fw.ones(2, 3), fw.ones(3)]), RuntimeError,
                 r"Tensors must have same number of dimensions: got 2 and 1"),
    "cat_sizes": (lambda fw: fw.cat([fw.ones(2, 3), fw.ones(3, 3)], 1), RuntimeError,
                  r"Sizes of tensors must match except in dimension 1\. Expected size 2 but got size 3 for tensor "
                  r"number 1 in the list\."),
    "cat_sizes_later_tensor": (lambda fw: fw.cat([fw.ones(2, 3), fw.ones(1, 3), fw.ones(2, 4)]), RuntimeError,
                               r"Expected size 3 but got size 4 for tensor number 2 in the list"),
    "cat_bad_dim": (lambda fw: fw.cat([fw.ones(2, 3)], 2), IndexError,
                    r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    "stack_empty": (lambda fw: fw.stack([]), RuntimeError, r"stack expects a non-empty TensorList"),
    "stack_sizes": (lambda fw: fw.stack([fw.ones(2, 3), fw.ones(2, 4)]), RuntimeError,
                    r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[2, 4\] at entry 1"),
    "split_sizes_sum": (lambda fw: fw.ones(3, 2).split([1, 1]), RuntimeError,
                        r"split_with_sizes expects split_sizes to sum exactly to 3 \(input tensor's size at dimension "
                        r"0\), but got split_sizes=\[1, 1\]"),
    "split_zero": (lambda fw: fw.ones(3).split(0), RuntimeError,
                   r"split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
    "chunk_zero": (lambda fw: fw.ones(3).chunk(0), RuntimeError,
                   r"chunk expects `chunks` to be greater than 0, got: 0"),
    "repeat_few_dims": (lambda fw: fw.ones(2, 3).repeat(2), RuntimeError,
                        r"Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    "repeat_interleave_size": (lambda fw: fw.ones(3, 2).repeat_interleave(fw.tensor([1, 2]), 0), RuntimeError,
                               r"repeats must have the same size as input along dim, but got repeats.size\(0\) = 2 "
                               r"and input.size\(0\) = 3"),
    "flip_repeated_dim": (lambda fw: fw.ones(2, 3).flip(0, 0), RuntimeError, r"dim 0 appears multiple times"),
    "roll_shifts_dims": (lambda fw: fw.ones(2, 3).roll((1, 2), 0), RuntimeError,
                         r"shifts and dimensions must align\. shifts: 2, dims:1"),
    "roll_no_dims": (lambda fw: fw.ones(2, 3).roll((1, 2)), RuntimeError,
                     r"shifts and dimensions must align\. shifts: 2, dims:0"),
    "tril_1d": (lambda fw: fw.ones(3).tril(), RuntimeError, r"tril: input tensor must have at least 2 dimensions"),
    "triu_1d": (lambda fw: fw.ones(3).triu(), RuntimeError, r"triu: input tensor must have at least 2 dimensions"),
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_errors_match_torch(case):
    fn, exc, match = ERRORS[case]
    assert_raises_like_torch(fn, match=match, exc=exc)      # the expected message is torch's own


@st.composite
def _join_case(draw):
    ndim = draw(st.integers(1, 3))
    shape = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    dim = draw(st.integers(-ndim, ndim - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    dtypes = draw(st.lists(st.sampled_from(["float32", "float64", "int64"]), min_size=len(sizes), max_size=len(sizes)))
    return shape, dim, sizes, dtypes


@settings(max_examples=30, deadline=None, derandomize=True)
@given(_join_case())
def test_hypothesis_cat_split_stack(case):
    shape, dim, sizes, dtypes = case
    rng = np.random.default_rng(len(sizes))
    arrays = []
    for n, dt in zip(sizes, dtypes):
        s = list(shape)
        s[dim] = n
        arrays.append((rng.standard_normal(s) * 4).astype(dt))

    def run(fw):
        ts = [fw.from_numpy(a.copy()) for a in arrays]
        out = fw.cat(ts, dim)
        stacked = fw.stack([t.sum(dim) for t in ts], dim)
        return [out, stacked, *out.split(sizes, dim), *out.chunk(2, dim)]

    for m, t in zip(run(minitorch), run(torch)):
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)

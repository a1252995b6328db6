"""Parity of indexing with torch: ``__getitem__``/``__setitem__`` (basic keys as views, advanced keys
with NumPy's rules), index_put, index_add, index_select, gather, scatter, scatter_add, masked_fill,
masked_select, take, nonzero, argwhere; values, gradients (first and second order), views, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_raises_like_torch, check, gradcheck_inputs


def _idx(low, high, shape=(4,)):
    return Spec(shape, kind="int", low=low, high=high, grad=False, dtype="int64")


def _setitem(key, value=None):
    """``y = a * 1; y[key] = value`` (or the second input) — setitem on a non-leaf of the graph."""
    def fn(fw, a, *v):
        y = a * 1
        y[key(fw) if callable(key) else key] = v[0] if v else value
        return y
    return fn


def _inplace(method, *args):
    def fn(fw, a, *rest):
        y = a * 1
        getattr(y, method)(*[x(fw) if callable(x) else x for x in args], *rest)
        return y
    return fn


SCATTER_INDEX = [[0, 1, 2, 0], [2, 0, 1, 1]]          # distinct rows per column: a well-defined scatter

GETITEM = {
    "getitem_int": (lambda fw, a: a[1], (3, 4)),
    "getitem_negative_int": (lambda fw, a: a[-1, -2], (3, 4)),
    "getitem_slice": (lambda fw, a: a[1:3], (4, 2)),
    "getitem_slice_step": (lambda fw, a: a[::2, 1::3], (5, 7)),
    "getitem_slice_out_of_range": (lambda fw, a: a[2:10, -10:2], (4, 3)),
    "getitem_none": (lambda fw, a: a[None, :, None], (3, 2)),
    "getitem_ellipsis": (lambda fw, a: a[..., 1], (2, 3, 4)),
    "getitem_ellipsis_none_int": (lambda fw, a: a[0, ..., None], (2, 3, 4)),
    "getitem_0d_int_tensor": (lambda fw, a: a[fw.tensor(2)], (3, 4)),
    "getitem_int_list": (lambda fw, a: a[[0, 2, 2, -1]], (3, 4)),
    "getitem_two_lists": (lambda fw, a: a[[0, 1, 1], [2, 0, 2]], (3, 4)),
    "getitem_adjacent_advanced": (lambda fw, a: a[:, [0, 1], [2, 2]], (2, 3, 4)),
    "getitem_separated_advanced": (lambda fw, a: a[[0, 1, 1], :, [2, 0, 3]], (2, 3, 4)),
    "getitem_advanced_broadcast": (lambda fw, a: a[[[0], [1]], [0, 2, 2]], (2, 3)),
    "getitem_index_tensor": (lambda fw, a, i: a[i], (3, 4), _idx(-3, 3)),
    "getitem_index_tensor_2d": (lambda fw, a, i: a[:, i], (3, 4), _idx(0, 4, (2, 3))),
    "getitem_index_int32": (lambda fw, a: a[fw.tensor([1, 0, 1], dtype=fw.int32)], (3, 4)),
    "getitem_bool_mask": (lambda fw, a: a[a > 0], (3, 4)),
    "getitem_bool_mask_rows": (lambda fw, a: a[fw.tensor([True, False, True])], (3, 4)),
    "getitem_bool_mask_with_slice": (lambda fw, a: a[1:, fw.tensor([True, False, True, True])], (3, 4)),
    "getitem_python_bool": (lambda fw, a: (a[True], a[False]), (3, 2)),
    "getitem_empty_list": (lambda fw, a: a[[]], (3, 2)),
    # torch still reads a short list holding sequences/slices as a tuple of indices (deprecated)
    "getitem_legacy_list_as_tuple": (lambda fw, a: (a[[[0, 1], [1, 2]]], a[[0, slice(1, 3)]]), (3, 4)),
}

SETITEM = {
    "setitem_int_scalar": (_setitem(1, 5.0), (3, 4)),
    "setitem_slice_tensor": (_setitem((slice(1, None), slice(None, 2))), (3, 4), (2, 2)),
    "setitem_slice_broadcast_value": (_setitem((slice(None), 1)), (3, 4), (1, 3)),
    "setitem_ellipsis_value": (_setitem((Ellipsis, 0)), (2, 3), (2,)),
    "setitem_int_list": (_setitem(lambda fw: [0, 2]), (3, 4), (2, 4)),
    "setitem_index_tensor_scalar": (_setitem(lambda fw: (fw.tensor([2, 0]), fw.tensor([1, 3])), -1.0), (3, 4)),
    "setitem_index_tensor_broadcast": (_setitem(lambda fw: (slice(None), fw.tensor([3, 0]))), (3, 4), (3, 1)),
    "setitem_bool_mask_scalar": (_setitem(lambda fw: fw.tensor([[True, False], [False, True]]), 0.0), (2, 2)),
    "setitem_bool_mask_value": (_setitem(lambda fw: fw.tensor([True, False, True])), (3, 2), (2,)),
    "setitem_int_value_into_float": (_setitem(0), (2, 3), Spec((3,), kind="int", grad=False, dtype="int64")),
}

OPS = {
    "index_put": (lambda fw, a, v: a.index_put((fw.tensor([0, 2]), fw.tensor([1, 1])), v), (3, 4), (2,)),
    "index_put_accumulate": (lambda fw, a, v: fw.index_put(a, (fw.tensor([0, 0, 2]),), v, accumulate=True),
                             (3, 4), (3, 4)),
    "index_put_": (_inplace("index_put_", lambda fw: (fw.tensor([1, 0]),)), (3, 4), (4,)),
    "index_add": (lambda fw, a, s: a.index_add(1, fw.tensor([0, 2, 0]), s), (2, 4), (2, 3)),
    "index_add_": (_inplace("index_add_", 1, lambda fw: fw.tensor([2, 2, 0])), (2, 4), (2, 3)),
    "index_add_alpha": (lambda fw, a, s: fw.index_add(a, 0, fw.tensor([1, 1]), s, alpha=-2.0), (3, 2), (2, 2)),
    "index_select": (lambda fw, a: fw.index_select(a, 1, fw.tensor([3, 0, 3])), (2, 4)),
    "index_select_index_tensor": (lambda fw, a, i: a.index_select(0, i), (3, 2), _idx(0, 3, (5,))),
    "gather": (lambda fw, a, i: fw.gather(a, 1, i), (3, 4), _idx(0, 4, (3, 5))),
    "gather_smaller_index": (lambda fw, a, i: a.gather(0, i), (4, 3), _idx(0, 4, (2, 2))),
    "scatter_src": (lambda fw, a, s: a.scatter(0, fw.tensor(SCATTER_INDEX), s), (3, 4), (2, 4)),
    # a src larger than index is read in its leading corner (torch has no gradient for it then)
    "scatter_larger_src": (lambda fw, a, s: a.scatter(1, fw.tensor(SCATTER_INDEX).T, s), (4, 3),
                           Spec((5, 3), grad=False)),
    "scatter_value": (lambda fw, a: fw.scatter(a, 0, fw.tensor(SCATTER_INDEX), value=2.5), (3, 4)),
    # reduce='multiply' has no derivative in torch either: forward only (duplicate indices compound)
    "scatter_multiply": (lambda fw, a, s: a.scatter(0, fw.tensor([[0, 1, 0, 0], [0, 0, 1, 2]]), s, reduce="multiply"),
                         Spec((3, 4), grad=False), Spec((2, 4), grad=False)),
    "scatter_multiply_value": (lambda fw, a: a.scatter(1, fw.tensor([[0, 0], [3, 1]]), 3.0, reduce="multiply"),
                               Spec((2, 4), grad=False)),
    "scatter_": (_inplace("scatter_", 0, lambda fw: fw.tensor(SCATTER_INDEX)), (3, 4), (2, 4)),
    "scatter_add": (lambda fw, a, i, s: fw.scatter_add(a, 1, i, s), (3, 4), _idx(0, 4, (3, 6)), (3, 6)),
    "scatter_add_": (_inplace("scatter_add_", 0, lambda fw: fw.tensor([[0, 0, 1], [0, 0, 0]])), (2, 3), (2, 3)),
    "masked_fill": (lambda fw, a: a.masked_fill(a > 0, -1.5), (3, 4)),
    "masked_fill_broadcast_mask": (lambda fw, a, m: fw.masked_fill(a, m, 0.0), (3, 4), Spec((4,), kind="bool")),
    "masked_fill_tensor_value": (lambda fw, a, v: a.masked_fill(a < 0, v), (3, 4), ()),
    "masked_fill_": (lambda fw, a: (a * 1).masked_fill_(a > 0.5, 2.0), (3, 4)),
    "masked_select": (lambda fw, a: fw.masked_select(a, a > 0), (3, 4)),
    "masked_select_broadcast": (lambda fw, a, m: a.masked_select(m), (4,), Spec((3, 4), kind="bool")),
    "take": (lambda fw, a, i: fw.take(a, i), (3, 4), _idx(-12, 12, (2, 3))),
    "nonzero": (lambda fw, a: fw.nonzero(a > 0), (3, 4)),
    "nonzero_as_tuple": (lambda fw, a: a.nonzero(as_tuple=True), (2, 3, 2)),
    "nonzero_0d": (lambda fw, a: (fw.nonzero(a * 0 + 1), fw.nonzero(a * 0 + 1, as_tuple=True)), ()),
    "argwhere": (lambda fw, a: fw.argwhere(a < 0), (3, 4)),
    "where_single_argument": (lambda fw, a: fw.where(a > 0), (3, 4)),
    "iter_unbind": (lambda fw, a: [r * (i + 1) for i, r in enumerate(a)], (3, 2)),
}

ALL = {**GETITEM, **SETITEM, **OPS}


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("case", ALL, ids=list(ALL))
def test_parity(case):
    fn, *specs = ALL[case]
    check(fn, *specs)


def _set_fn(key):
    def fn(a, v):
        y = a * 1
        y[key] = v
        return y
    return fn


T = minitorch.tensor
GRAD_CASES = {
    "getitem_basic": (lambda a: a[1:, None, ::2], (3, 4)),
    "getitem_advanced": (lambda a: a[[0, 0, 2], :, T([1, 1, 0])], (3, 2, 2)),
    "getitem_mask": (lambda a: a[a > 0], (3, 4)),
    "setitem_basic": (_set_fn((slice(None), 1)), (3, 4), (3,)),
    "setitem_advanced": (_set_fn(([2, 0], [1, 1])), (3, 4), (2,)),
    "index_put": (lambda a, v: a.index_put((T([0, 0, 1]),), v, accumulate=True), (2, 3), (3,)),
    "index_add": (lambda a, s: a.index_add(0, T([1, 1, 0]), s), (2, 3), (3, 3)),
    "index_select": (lambda a: a.index_select(1, T([2, 0, 2])), (2, 3)),
    "gather": (lambda a: a.gather(1, T([[0, 0, 2], [1, 2, 2]])), (2, 3)),
    "scatter": (lambda a, s: a.scatter(0, T(SCATTER_INDEX), s), (3, 4), (2, 4)),
    "scatter_add": (lambda a, s: a.scatter_add(1, T([[0, 0, 1], [2, 2, 2]]), s), (2, 3), (2, 3)),
    "masked_fill": (lambda a, v: a.masked_fill(a > 0, v), (3, 4), ()),
    "masked_select": (lambda a: a.masked_select(T([True, False, True])), (2, 3)),
    "take": (lambda a: a.take(T([[0, 5], [5, -1]])), (2, 3)),
}
GRADGRAD = ("getitem_advanced", "getitem_basic", "setitem_advanced", "index_put", "gather", "scatter",
            "scatter_add", "index_select", "masked_fill")


@pytest.mark.parametrize("case", GRAD_CASES, ids=list(GRAD_CASES))
def test_gradcheck(case):
    fn, *shapes = GRAD_CASES[case]
    assert gradcheck(fn, gradcheck_inputs(*shapes))


@pytest.mark.parametrize("case", GRADGRAD, ids=list(GRADGRAD))
def test_gradgradcheck(case):
    fn, *shapes = GRAD_CASES[case]
    assert gradgradcheck(fn, gradcheck_inputs(*shapes))


NODE_NAMES = {
    "getitem_advanced": lambda fw, a: a[[0, 0]],
    "index_put": lambda fw, a: a.index_put((fw.tensor([1]),), fw.tensor(2.0, dtype=a.dtype)),
}


@pytest.mark.parametrize("case", NODE_NAMES, ids=list(NODE_NAMES))
def test_grad_fn_names_match_torch(case):
    m = NODE_NAMES[case](minitorch, minitorch.ones(3, 2, requires_grad=True) * 1)
    t = NODE_NAMES[case](torch, torch.ones(3, 2, requires_grad=True) * 1)
    assert m.grad_fn.name() == t.grad_fn.name()


# views ------------------------------------------------------------------------------------------------------
VIEW_KEYS = [1, (slice(1, 3),), (slice(None), slice(1, None, 2)), (Ellipsis, 2), (None, 0, slice(None, None, 3)),
             (slice(None), None, -1)]


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("key", VIEW_KEYS, ids=[repr(k) for k in VIEW_KEYS])
def test_basic_keys_give_views_like_torch(key, transposed):
    data = np.arange(20.0).reshape(4, 5)
    m, t = minitorch.from_numpy(data.copy()), torch.from_numpy(data.copy())
    if transposed:
        m, t = m.t(), t.t()
    mv, tv = m[key], t[key]
    assert tv._is_view() and mv._base is (m._base if transposed else m)
    assert (mv.storage_offset(), mv.stride(), tuple(mv.shape)) == (tv.storage_offset(), tv.stride(), tuple(tv.shape))
    assert mv.data_ptr() - m.data_ptr() == tv.data_ptr() - t.data_ptr()


def test_advanced_keys_copy():
    m = minitorch.arange(6.0).reshape(2, 3)
    sel = m[[0, 1]]
    sel[0, 0] = 100.0
    assert m[0, 0].item() == 0.0 and sel._base is None


def test_writes_through_a_slice_reach_the_base():
    m = minitorch.zeros(3, 4)
    v = m[1:, ::2]
    version = m._version
    v[0] = 7.0
    v[1, 1] = minitorch.tensor(3.0)
    t = torch.zeros(3, 4)
    t[1:, ::2][0] = 7.0
    t[1:, ::2][1, 1] = 3.0
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert m._version > version and v._version == m._version


def test_setitem_on_nonleaf_through_view_gradients_match_torch():
    def run(fw):
        x = fw.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=fw.float64, requires_grad=True)
        w = fw.tensor([10.0, 20.0], dtype=fw.float64, requires_grad=True)
        y = x * x
        row = y[1]
        row[[0, 2]] = w * 2          # advanced write into a view of a graph tensor
        y[0, 1:] = 0.0               # basic write of a constant
        (y * fw.arange(6.0, dtype=fw.float64).reshape(2, 3)).sum().backward()
        return y.detach(), x.grad, w.grad
    for m, t in zip(run(minitorch), run(torch)):
        np.testing.assert_allclose(m.numpy(), t.numpy())


def test_augmented_assignment_at_advanced_index_matches_torch():
    def run(fw):
        x = fw.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=fw.float64, requires_grad=True)
        y = x * 1
        y[[2, 0]] += fw.tensor([10.0, 20.0], dtype=fw.float64)
        y[1] *= 3
        (y * y).sum().backward()
        return y.detach(), x.grad
    for m, t in zip(run(minitorch), run(torch)):
        np.testing.assert_allclose(m.numpy(), t.numpy())


def test_setitem_no_grad_and_integer_tensors():
    m, t = minitorch.zeros(2, 3, dtype=minitorch.int64), torch.zeros(2, 3, dtype=torch.int64)
    for fw, x in ((minitorch, m), (torch, t)):
        x[0] = 2.7
        x[x == 0] = 5
        x[:, fw.tensor([2])] = fw.tensor([[9], [8]])
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    leaf = minitorch.ones(3, requires_grad=True)
    with minitorch.no_grad():
        leaf[0] = 4.0
    assert leaf.tolist() == [4.0, 1.0, 1.0] and leaf.is_leaf


# errors -------------------------------------------------------------------------------------------------------
ERRORS = {
    "index_out_of_bounds": (lambda fw: fw.ones(3)[5], IndexError,
                            r"index 5 is out of bounds for dimension 0 with size 3"),
    "index_out_of_bounds_dim1": (lambda fw: fw.ones(2, 3)[:, -4], IndexError,
                                 r"index -4 is out of bounds for dimension 1 with size 3"),
    "index_list_out_of_bounds": (lambda fw: fw.ones(3, 2)[[0, 5]], IndexError,
                                 r"index 5 is out of bounds for dimension 0 with size 3"),
    "index_0d": (lambda fw: fw.tensor(1.0)[0], IndexError, r"invalid index of a 0-dim tensor"),
    "too_many_indices": (lambda fw: fw.ones(3)[0, 0], IndexError, r"too many indices for tensor of dimension 1"),
    "negative_step": (lambda fw: fw.ones(3)[::-1], ValueError, r"step must be greater than zero"),
    "zero_step": (lambda fw: fw.ones(3)[::0], ValueError, r"slice step cannot be zero"),
    "float_index_tensor": (lambda fw: fw.ones(3)[fw.tensor([0.0])], IndexError,
                           r"tensors used as indices must be long, int, byte or bool tensors"),
    "float_index": (lambda fw: fw.ones(3)[1.5], IndexError, r"only integers, slices .* \(got float\)"),
    "mask_shape": (lambda fw: fw.ones(3, 4)[fw.tensor([True, False])], IndexError,
                   r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed tensor"),
    "index_broadcast": (lambda fw: fw.ones(3, 4)[[0, 1], [0, 1, 2]], IndexError,
                        r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], \[3\]"),
    "setitem_out_of_bounds": (lambda fw: fw.ones(3).__setitem__(fw.tensor([3]), 1.0), IndexError,
                              r"index 3 is out of bounds for dimension 0 with size 3"),
    "setitem_leaf": (lambda fw: fw.ones(3, requires_grad=True).__setitem__(0, 1.0), RuntimeError,
                     r"a view of a leaf Variable that requires grad is being used in an in-place operation"),
    "setitem_leaf_advanced": (lambda fw: fw.ones(3, requires_grad=True).__setitem__([0], 1.0), RuntimeError,
                              r"a leaf Variable that requires grad is being used in an in-place operation"),
    "index_put_value_shape": (lambda fw: fw.ones(3, 4).index_put_((fw.tensor([0]),), fw.ones(2)), RuntimeError,
                              r"shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing result "
                              r"of shape \[1, 4\]"),
    "gather_ndim": (lambda fw: fw.ones(3, 4).gather(0, fw.tensor([0])), RuntimeError,
                    r"Index tensor must have the same number of dimensions as input tensor"),
    "gather_out_of_bounds": (lambda fw: fw.ones(3, 4).gather(0, fw.tensor([[0, 5]])), RuntimeError,
                             r"index 5 is out of bounds for dimension 0 with size 3"),
    "scatter_out_of_bounds": (lambda fw: fw.ones(3, 4).scatter(1, fw.tensor([[4]]), 1.0), RuntimeError,
                              r"index 4 is out of bounds for dimension 1 with size 4"),
    "scatter_src_too_small": (lambda fw: fw.ones(3, 4).scatter(0, fw.tensor([[0, 1, 2]] * 3), fw.ones(2, 2)),
                              RuntimeError, r"Expected index \[3, 3\] to be no larger than self \[3, 4\] apart from "
                                            r"dimension 0 and to be no larger size than src \[2, 2\]"),
    "index_select_not_vector": (lambda fw: fw.ones(3, 4).index_select(0, fw.tensor([[0]])), IndexError,
                                r"index_select\(\): Index is supposed to be a vector"),
    "index_select_out_of_range": (lambda fw: fw.ones(3, 4).index_select(0, fw.tensor([3])), IndexError,
                                  r"index out of range in self"),
    "masked_fill_float_mask": (lambda fw: fw.ones(3).masked_fill(fw.ones(3), 0.0), RuntimeError,
                               r"masked_fill_ only supports boolean masks, but got mask with dtype float"),
    "masked_fill_value_dims": (lambda fw: fw.ones(3).masked_fill(fw.ones(3) > 0, fw.ones(2)), RuntimeError,
                               r"only supports a 0-dimensional value tensor, but got tensor with 1 dimension\(s\)"),
    "index_put_dtype": (lambda fw: fw.zeros(3, dtype=fw.float64).index_put((fw.tensor([0]),), fw.ones(1)), RuntimeError,
                        r"Index put requires the source and destination dtypes match, got Double for the destination "
                        r"and Float for the source"),
    "setitem_advanced_dtype": (lambda fw: fw.zeros(3, dtype=fw.float64).__setitem__([0], fw.ones(1)), RuntimeError,
                               r"Index put requires the source and destination dtypes match"),
    "setitem_list_value": (lambda fw: fw.zeros(3).__setitem__(0, [1.0]), TypeError, r"can't assign a list to a"),
    "scatter_multiply_backward": (lambda fw: fw.ones(2, requires_grad=True).mul(1).scatter(
        0, fw.tensor([0]), 2.0, reduce="multiply").sum().backward(), RuntimeError,
        r"derivative for aten::scatter is not implemented"),
    "scatter_dtype": (lambda fw: fw.zeros(3, 4, dtype=fw.float64).scatter_add(0, fw.tensor([[0]]), fw.ones(1, 1)),
                      RuntimeError, r"scatter\(\): Expected self.dtype to be equal to src.dtype"),
    "index_add_dtype": (lambda fw: fw.zeros(3, 4, dtype=fw.float64).index_add(0, fw.tensor([0]), fw.ones(1, 4)),
                        RuntimeError,
                        r"index_add_\(\): self \(Double\) and source \(Float\) must have the same scalar type"),
    "index_add_out_of_range": (lambda fw: fw.zeros(3, 4).index_add(0, fw.tensor([-1]), fw.ones(1, 4)), RuntimeError,
                               r"index -1 is out of bounds for dimension 0 with size 3"),
    "gather_negative_index": (lambda fw: fw.ones(3, 4).gather(0, fw.tensor([[-1]])), RuntimeError,
                              r"index -1 is out of bounds for dimension 0 with size 3"),
    "take_out_of_range": (lambda fw: fw.ones(2, 3).take(fw.tensor([6])), IndexError,
                          r"out of range: tried to access index 6 on a tensor of 6 elements"),
}


@pytest.mark.parametrize("case", ERRORS, ids=list(ERRORS))
def test_errors_match_torch(case):
    fn, exc, match = ERRORS[case]
    assert_raises_like_torch(fn, match=match, exc=exc)      # the expected message is torch's own


# differential test of __getitem__ -----------------------------------------------------------------------------
@st.composite
def _getitem_case(draw):
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    key, dim, ellipsis = [], 0, False
    while dim < ndim and draw(st.booleans()):
        n = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis", "list"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            key.append(slice(draw(st.none() | st.integers(-n - 1, n + 1)), draw(st.none() | st.integers(-n - 1, n + 1)),
                             draw(st.none() | st.integers(1, 3))))
        elif kind == "none":
            key.append(None)
            continue
        elif kind == "ellipsis" and not ellipsis:
            key.append(Ellipsis)
            ellipsis = True
            dim = ndim - draw(st.integers(0, ndim - dim))
            continue
        else:
            key.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
        dim += 1
    return shape, tuple(key)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(_getitem_case())
def test_hypothesis_getitem_and_setitem(case):
    shape, key = case
    rng = np.random.default_rng(len(key))
    data = rng.standard_normal(shape)
    lists = [k for k in key if isinstance(k, list)]
    if len({len(k) for k in lists} - {1}) > 1:    # index lists of different lengths (not 1) do not broadcast
        with pytest.raises(IndexError, match="shape mismatch"):
            minitorch.from_numpy(data)[key]
        return

    def run(fw):
        x = fw.from_numpy(data.copy()).requires_grad_(True)
        out = x[key]
        cot = fw.from_numpy(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))
        (grad,) = fw.autograd.grad((out * cot).sum(), x)
        return out, grad

    def assign(fw):
        x = fw.from_numpy(data.copy())
        x[key] = -1.0
        return x.numpy()

    (mo, mg), (to, tg) = run(minitorch), run(torch)
    assert tuple(mo.shape) == tuple(to.shape)
    np.testing.assert_array_equal(mo.detach().numpy(), to.detach().numpy())
    np.testing.assert_array_equal(mg.numpy(), tg.numpy())
    np.testing.assert_array_equal(assign(minitorch), assign(torch))
    if not lists:
        assert mo.stride() == to.stride() and mo.storage_offset() == to.storage_offset()

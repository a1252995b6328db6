"""Strided views over a shared storage, compared with torch: shape, strides, storage offset, contiguity and
memory sharing of view chains (``reshape`` copies only when torch does), writes through views, the shared
version counter, and gradients of in-place writes into a view of a graph tensor (torch's CopySlices)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from parity import assert_close

CHAINS = {                                       # id: fn(fw, t) on t = arange(24).reshape(2, 3, 4)
    "view": lambda fw, t: t.view(6, 4),
    "view_infer": lambda fw, t: t.view(-1),
    "view_unsqueeze": lambda fw, t: t.view(2, 1, 3, 4),
    "view_size1_last": lambda fw, t: t.view(2, 3, 4, 1),
    "reshape_view": lambda fw, t: t.reshape(4, 6),
    "reshape_copies_after_permute": lambda fw, t: t.permute(1, 0, 2).reshape(3, 8),
    "reshape_copies_after_transpose": lambda fw, t: t.transpose(0, 1).reshape(6, 4),
    "reshape_views_transposed_split": lambda fw, t: t.transpose(0, 1).reshape(3, 2, 2, 2),
    "reshape_views_after_narrow": lambda fw, t: t.narrow(1, 1, 2).reshape(4, 4),
    "reshape_copies_after_narrow": lambda fw, t: t.narrow(2, 1, 2).reshape(2, 6),
    "reshape_copies_expanded": lambda fw, t: t.narrow(1, 0, 1).expand(2, 3, 4).reshape(2, 12),
    "view_expanded_split": lambda fw, t: t.narrow(1, 0, 1).expand(2, 3, 4).view(2, 3, 2, 2),
    "view_transposed_split": lambda fw, t: t.transpose(0, 1).view(3, 2, 2, 2),
    "permute": lambda fw, t: t.permute(2, 0, 1),
    "transpose": lambda fw, t: t.transpose(0, 2),
    "swapaxes": lambda fw, t: t.swapaxes(0, 1),
    "t": lambda fw, t: t.select(0, 0).t(),
    "T": lambda fw, t: t.select(0, 1).T,
    "mT": lambda fw, t: t.mT,
    "mT_of_narrow": lambda fw, t: t.narrow(2, 1, 2).mT,
    "expand": lambda fw, t: t.narrow(1, 0, 1).expand(2, 5, 4),
    "expand_new_dims": lambda fw, t: t.expand(3, 2, 3, 4),
    "expand_new_size1_dim": lambda fw, t: t.expand(1, 2, 3, 4),
    "expand_as": lambda fw, t: t.select(0, 0).expand_as(t),
    "squeeze_all": lambda fw, t: t.view(2, 1, 3, 1, 4).squeeze(),
    "squeeze_dim": lambda fw, t: t.view(2, 1, 3, 1, 4).squeeze(1),
    "squeeze_tuple": lambda fw, t: t.view(2, 1, 3, 1, 4).squeeze((1, 3)),
    "unsqueeze": lambda fw, t: t.unsqueeze(1),
    "unsqueeze_last": lambda fw, t: t.unsqueeze(-1),
    "unsqueeze_permuted": lambda fw, t: t.permute(2, 0, 1).unsqueeze(1),
    "unsqueeze_narrowed": lambda fw, t: t.narrow(2, 0, 1).unsqueeze(0),
    "flatten": lambda fw, t: t.flatten(),
    "flatten_part": lambda fw, t: t.flatten(1),
    "flatten_copies_permuted": lambda fw, t: t.permute(0, 2, 1).flatten(1),
    "unflatten": lambda fw, t: t.unflatten(2, (2, 2)),
    "narrow": lambda fw, t: t.narrow(1, 1, 2),
    "select": lambda fw, t: t.select(1, 2),
    "select_negative": lambda fw, t: t.select(-1, -1),
    "select_to_0d": lambda fw, t: t.select(0, 1).select(0, 2).select(0, 3),
    "select_0d_view": lambda fw, t: t.select(0, 1).select(0, 2).select(0, 3).view(1, 1),
    "unbind": lambda fw, t: t.unbind(1)[1],
    "movedim": lambda fw, t: t.movedim(0, -1),
    "as_strided": lambda fw, t: t.as_strided((3, 3), (1, 2), 1),
    "as_strided_of_narrow": lambda fw, t: t.narrow(0, 1, 1).as_strided((2, 2), (4, 1)),
    "contiguous_copies": lambda fw, t: t.permute(2, 0, 1).contiguous(),
    "contiguous_noop": lambda fw, t: t.contiguous(),
    "clone_keeps_dense_layout": lambda fw, t: t.transpose(0, 1).clone(),
    "clone_of_gappy_is_contiguous": lambda fw, t: t.narrow(2, 0, 2).transpose(0, 2).clone(),
    "view_dtype": lambda fw, t: t.view(fw.int32),
    "view_dtype_smaller": lambda fw, t: t.narrow(1, 1, 1).view(fw.int16),
    "view_dtype_bigger": lambda fw, t: t.narrow(2, 2, 2).view(fw.float64),
    "ravel_copies": lambda fw, t: t.permute(1, 0, 2).ravel(),
    "empty_view": lambda fw, t: t.narrow(1, 0, 0).view(2, 0, 2, 2),
    "long_chain": lambda fw, t: t.permute(2, 0, 1).reshape(4, 6).t().unsqueeze(0).expand(2, 6, 4).narrow(2, 1, 2),
}


def _geometry(t, base) -> tuple:
    shares = t.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    return (tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.is_contiguous(), shares,
            t.data_ptr() - base.data_ptr() if shares and t.numel() else None)


@pytest.mark.parametrize("name", list(CHAINS))
def test_view_chain_geometry_matches_torch(name):
    fn = CHAINS[name]
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    tb, mb = torch.from_numpy(data.copy()), minitorch.from_numpy(data.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # torch warns about .T on a non-2-D tensor
        expected, got = fn(torch, tb), fn(minitorch, mb)
    assert _geometry(got, mb) == _geometry(expected, tb)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_view_shares_memory_and_data_ptr_offsets():
    a = minitorch.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    v = a.narrow(0, 1, 2).select(1, 3)
    assert v.untyped_storage().data_ptr() == a.untyped_storage().data_ptr()
    assert v.data_ptr() == a.data_ptr() + v.storage_offset() * a.element_size()
    assert v.storage_offset() == 7 and v.stride() == (4,)
    c = v.clone()
    assert c.untyped_storage().data_ptr() != a.untyped_storage().data_ptr()


def test_from_numpy_and_numpy_share_memory():
    arr = np.zeros((2, 3), dtype=np.float32)
    t = minitorch.from_numpy(arr)
    t.t().numpy()[2, 1] = 5.0
    assert arr[1, 2] == 5.0


def test_writes_through_views_are_seen_by_base_and_other_views():
    base = minitorch.from_numpy(np.zeros((3, 4), dtype=np.float32))
    row = base.select(0, 1)
    col = base.t().narrow(0, 2, 1)
    row.copy_(minitorch.from_numpy(np.arange(4, dtype=np.float32)))
    assert base.numpy()[1].tolist() == [0, 1, 2, 3]
    assert col.numpy().ravel().tolist() == [0, 2, 0]
    col.copy_(minitorch.from_numpy(np.full((1, 3), 7, dtype=np.float32)))
    assert base.numpy()[:, 2].tolist() == [7, 7, 7] and row.numpy().tolist() == [0, 1, 7, 3]
    flat = base.view(-1)
    flat.numpy()[0] = -1
    assert base.numpy()[0, 0] == -1
    assert (base.unsqueeze(0).expand(2, 3, 4).select(0, 1).numpy() == base.numpy()).all()
    assert base.permute(1, 0).contiguous().numpy()[0, 0] == -1


@pytest.mark.parametrize("sizes,allowed", [((2, 3), True), ((1, 2, 3), True), ((2, 2, 3), False)],
                         ids=["same_shape", "new_size1_dim", "aliasing"])
def test_writes_into_expanded_views_follow_torch(sizes, allowed):
    """Writing into an expanded view is refused only where its elements share memory."""
    for fw in (torch, minitorch):
        base = fw.from_numpy(np.zeros((2, 3)))
        view = base.expand(*sizes)
        src = fw.from_numpy(np.ones(sizes))
        if allowed:
            view.copy_(src)
            assert float(base.sum()) == 6.0
        else:
            with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a "
                                                   "single memory location"):
                view.copy_(src)


def test_reshape_copy_does_not_alias():
    base = minitorch.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    copied = base.t().reshape(-1)                # not viewable: a copy, writes do not reach the base
    copied.numpy()[0] = 100
    assert base.numpy()[0, 0] == 0


def test_views_share_the_version_counter():
    base = minitorch.from_numpy(np.zeros((3, 4), dtype=np.float32))
    view = base.narrow(1, 0, 2)
    before = base._version
    view.copy_(minitorch.from_numpy(np.ones((3, 2), dtype=np.float32)))
    assert base._version == view._version == before + 1
    base.copy_(minitorch.from_numpy(np.ones((3, 4), dtype=np.float32)))
    assert view._version == before + 2


def test_view_of_saved_tensor_modified_in_place_makes_backward_raise():
    a = minitorch.from_numpy(np.ones((2, 2))).requires_grad_()
    b = a * 1
    out = (b * b).sum()                          # b is saved for backward
    b.select(0, 0).copy_(minitorch.from_numpy(np.zeros(2)))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


@st.composite
def _view_case(draw):
    """A tensor made strided by a permutation and a narrow, and a new shape for it (same element count).
    Drawn from a seeded generator, so that the few examples are varied rather than the simplest ones."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = rng.integers(1, 5, size=rng.integers(2, 5)).tolist()
    perm = rng.permutation(len(shape)).tolist()
    perm = perm[::-1] if perm == sorted(perm) and rng.random() < 0.8 else perm
    dim = int(rng.integers(len(shape)))
    sizes = [shape[p] for p in perm]
    sizes[dim] = length = int(rng.integers(0, sizes[dim] + 1))
    new = [f for n in sizes for f in ([2, n // 2] if n == 4 and rng.random() < 0.5 else [n])]
    if len(new) > 1 and rng.random() < 0.7:      # merge a neighbouring pair of dims
        i = int(rng.integers(len(new) - 1))
        new[i:i + 2] = [new[i] * new[i + 1]]
    return shape, perm, dim, length, new, ["view", "reshape", "flatten"][int(rng.integers(3))]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(_view_case())
def test_view_and_reshape_hypothesis_match_torch(case):
    shape, perm, dim, length, new, op = case
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    results = []
    for fw in (torch, minitorch):
        base = fw.from_numpy(data.copy())
        t = base.permute(*perm).narrow(dim, 0, length)
        try:
            out = t.flatten() if op == "flatten" else getattr(t, op)(*new)
            results.append((_geometry(out, base), out.numpy().tolist()))
        except RuntimeError as e:
            results.append(str(e))
    assert results[1] == results[0]


# in-place writes into a view of a graph tensor: gradients through torch's CopySlices -------------------------
COPY_SLICES = {                                  # id: fn(fw, a, w) -> output; writes w into a view of a * 1
    "narrow": lambda fw, a, w: _write(a, w[:2], lambda b: b.narrow(0, 0, 2)),
    "narrow_then_use_base": lambda fw, a, w: (lambda b: (b.narrow(0, 1, 2).copy_(w[1:]), b * b)[1])(a * 1),
    "select_row": lambda fw, a, w: _write(a, w[0], lambda b: b.select(0, 2)),
    "select_column": lambda fw, a, w: _write(a, w[:, 1], lambda b: b.select(1, 1)),
    "transposed_narrow": lambda fw, a, w: _write(a, w.t()[:2], lambda b: b.t().narrow(0, 1, 2)),
    "view_of_view": lambda fw, a, w: _write(a, w[0, :2], lambda b: b.narrow(0, 1, 2).select(0, 1).narrow(0, 1, 2)),
    "as_strided_view": lambda fw, a, w: _write(a, w[:2, :2], lambda b: b.as_strided((2, 2), (1, 3), 1)),
    "use_view_after_write": lambda fw, a, w: (lambda b, v: (v.copy_(w[0] * 2), v * b.sum())[1])(*_base_view(a)),
    "two_writes": lambda fw, a, w: (lambda b: (b.select(0, 0).copy_(w[0]), b.select(1, 0).copy_(w[:, 1] * 3),
                                               b.exp())[2])(a * 1),
    "broadcast_src": lambda fw, a, w: _write(a, w[0, :1], lambda b: b.select(0, 1)),
    "base_without_grad": lambda fw, a, w: (lambda b: (b.narrow(0, 0, 2).copy_(w[:2]), b * b + a)[1])(a.detach() * 1),
    "permuted_clone_base": lambda fw, a, w: (lambda b: (b.narrow(1, 1, 2).copy_(w[:, :2]), b * b)[1])(a.t().clone()),
    "transposed_view": lambda fw, a, w: _write(a, w, lambda b: b.t()),
    "column_major_base": lambda fw, a, w: (lambda b: (b.select(1, 0).copy_(w[0]), b * b)[1])(a.t() * 1),
}


def _write(a, w, view_of):
    b = a * 1
    view_of(b).copy_(w)
    return b * b


def _base_view(a):
    b = a * 1
    return b, b.select(0, 1)


@pytest.mark.parametrize("name", list(COPY_SLICES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_write_into_view_gradients_match_torch(name, dtype):
    fn = COPY_SLICES[name]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 3)).astype(dtype) for _ in range(2)]
    results = {}
    for fw in (torch, minitorch):
        a, w = (fw.from_numpy(x.copy()).requires_grad_() for x in arrays)
        out = fn(fw, a, w)
        cot = fw.from_numpy(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype))
        results[fw] = (out, *fw.autograd.grad(out, (a, w), cot))
    for what, got, expected in zip(("output", "grad a", "grad w"), results[minitorch], results[torch]):
        assert_close(got, expected, what, 1e-6 if dtype == "float32" else 1e-12, 1e-6 if dtype == "float32" else 1e-12)


def test_inplace_write_into_view_grad_fn_names():
    a = minitorch.from_numpy(np.ones((3, 3))).requires_grad_()
    b = a * 1
    v = b.narrow(0, 0, 2)
    v.copy_(minitorch.from_numpy(np.zeros((2, 3))).requires_grad_())
    assert b.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"


def test_inplace_write_into_view_of_leaf_raises_like_torch():
    for fw in (torch, minitorch):
        a = fw.from_numpy(np.ones((3, 3))).requires_grad_()
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                               "in-place operation"):
            a.narrow(0, 0, 1).copy_(fw.from_numpy(np.zeros((1, 3))))


@pytest.mark.parametrize("fw", [minitorch, torch], ids=["minitorch", "torch"])
def test_detached_view_of_leaf_is_writable_and_shares_memory(fw):
    w = fw.ones(3, requires_grad=True)
    v = w[0:2].detach()
    assert v._base is None
    v.zero_()
    assert w.tolist() == [0.0, 0.0, 1.0]

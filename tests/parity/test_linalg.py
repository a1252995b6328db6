"""Parity of the linear-algebra ops with torch: matmul/@ (1-D and batched rules), mm, bmm, mv, dot, outer/ger,
inner, einsum, tensordot, addmm, addmv, baddbmm — values, gradients, gradcheck/gradgradcheck, torch's errors,
and a hypothesis differential test of matmul over random broadcastable shapes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.autograd import gradcheck, gradgradcheck
from parity import Spec, assert_raises_like_torch, check, gradcheck_inputs

MATMUL_SHAPES = {                                # id: (shape of a, shape of b)
    "1d@1d": ((3,), (3,)),
    "2d@1d": ((2, 3), (3,)),
    "1d@2d": ((3,), (3, 4)),
    "2d@2d": ((2, 3), (3, 4)),
    "3d@2d": ((5, 2, 3), (3, 4)),
    "3d@1d": ((5, 2, 3), (3,)),
    "1d@3d": ((3,), (5, 3, 4)),
    "2d@3d": ((2, 3), (5, 3, 4)),
    "3d@3d": ((5, 2, 3), (5, 3, 4)),
    "4d@3d_broadcast": ((5, 1, 2, 3), (4, 3, 2)),
    "3d@3d_batch1": ((1, 2, 3), (5, 3, 4)),
    "empty_inner": ((2, 0), (0, 3)),
}

OPS = {                                          # id: (fn(fw, *inputs), input specs)
    "mm": (lambda fw, a, b: fw.mm(a, b), [(2, 3), (3, 4)]),
    "Tensor.mm": (lambda fw, a, b: a.mm(b), [(4, 3), (3, 2)]),
    "bmm": (lambda fw, a, b: fw.bmm(a, b), [(3, 2, 4), (3, 4, 5)]),
    "mv": (lambda fw, a, b: fw.mv(a, b), [(2, 3), (3,)]),
    "dot": (lambda fw, a, b: fw.dot(a, b), [(4,), (4,)]),
    "outer": (lambda fw, a, b: fw.outer(a, b), [(3,), (4,)]),
    "ger": (lambda fw, a, b: fw.ger(a, b), [(3,), (2,)]),
    "inner": (lambda fw, a, b: fw.inner(a, b), [(2, 3), (4, 3)]),
    "rmatmul": (lambda fw, a, b: b.__rmatmul__(a), [(2, 3), (3, 4)]),
    "einsum_matmul": (lambda fw, a, b: fw.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    "einsum_implicit": (lambda fw, a, b: fw.einsum("ij,jk", a, b), [(2, 3), (3, 4)]),
    "einsum_batched": (lambda fw, a, b: fw.einsum("bij,bjk->bik", a, b), [(5, 2, 3), (5, 3, 4)]),
    "einsum_diagonal": (lambda fw, a: fw.einsum("ii->i", a), [(3, 3)]),
    "einsum_trace": (lambda fw, a: fw.einsum("ii", a), [(3, 3)]),
    "einsum_diag_mixed": (lambda fw, a, b: fw.einsum("iij,j->i", a, b), [(3, 3, 4), (4,)]),
    "einsum_sum_all": (lambda fw, a: fw.einsum("ij->", a), [(3, 4)]),
    "einsum_transpose": (lambda fw, a: fw.einsum("ijk->kij", a), [(2, 3, 4)]),
    "einsum_outer": (lambda fw, a, b: fw.einsum("i,j->ij", a, b), [(3,), (4,)]),
    "einsum_ellipsis": (lambda fw, a, b: fw.einsum("...ij,...jk", a, b), [(5, 2, 3), (4, 1, 3, 4)]),
    "einsum_ellipsis_summed": (lambda fw, a: fw.einsum("...i->i", a), [(2, 3, 4)]),
    "einsum_three": (lambda fw, a, b, c: fw.einsum("ij,jk,kl->il", a, b, c), [(5, 2), (2, 3), (3, 4)]),
    "einsum_label_broadcast": (lambda fw, a, b: fw.einsum("ij,jk->ik", a, b), [(2, 1), (3, 4)]),
    "einsum_uppercase": (lambda fw, a, b: fw.einsum("bA,ba", a, b), [(2, 3), (2, 4)]),
    "einsum_spaces": (lambda fw, a, b: fw.einsum("i j , j k -> i k", a, b), [(2, 3), (3, 4)]),
    "einsum_list": (lambda fw, a, b: fw.einsum("ij,jk", [a, b]), [(2, 3), (3, 4)]),
    "einsum_sublist": (lambda fw, a, b: fw.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 4)]),
    "tensordot_int": (lambda fw, a, b: fw.tensordot(a, b, dims=1), [(2, 3), (3, 4)]),
    "tensordot_default": (lambda fw, a, b: fw.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    "tensordot_lists": (lambda fw, a, b: fw.tensordot(a, b, dims=([1, 0], [0, 2])), [(2, 3, 4), (3, 5, 2)]),
    "tensordot_zero": (lambda fw, a, b: fw.tensordot(a, b, dims=0), [(2,), (3,)]),
    "tensordot_negative_dims": (lambda fw, a, b: fw.tensordot(a, b, dims=([-1], [0])), [(2, 3), (3, 4)]),
    "addmm": (lambda fw, i, a, b: fw.addmm(i, a, b), [(2, 4), (2, 3), (3, 4)]),
    "addmm_scaled": (lambda fw, i, a, b: fw.addmm(i, a, b, beta=0.5, alpha=2.0), [(4,), (2, 3), (3, 4)]),
    "addmm_beta0": (lambda fw, i, a, b: fw.addmm(i, a, b, beta=0), [(2, 1), (2, 3), (3, 4)]),
    "addmv": (lambda fw, i, a, b: fw.addmv(i, a, b, beta=0.5, alpha=-1.0), [(2,), (2, 3), (3,)]),
    "baddbmm": (lambda fw, i, a, b: fw.baddbmm(i, a, b), [(3, 2, 4), (3, 2, 5), (3, 5, 4)]),
    "baddbmm_scaled": (lambda fw, i, a, b: fw.baddbmm(i, a, b, beta=2, alpha=0.5), [(4,), (3, 2, 5), (3, 5, 4)]),
}


@pytest.mark.parametrize("a,b", MATMUL_SHAPES.values(), ids=[f"matmul_{k}" for k in MATMUL_SHAPES])
def test_matmul_parity(a, b):
    check(lambda fw, x, y: fw.matmul(x, y), a, b)


@pytest.mark.parametrize("a,b", [MATMUL_SHAPES[k] for k in ("1d@1d", "2d@2d", "1d@3d", "4d@3d_broadcast")],
                         ids=["1d@1d", "2d@2d", "1d@3d", "4d@3d_broadcast"])
def test_matmul_operator_parity(a, b):
    check(lambda fw, x, y: x @ y, a, b)


@pytest.mark.parametrize("fn,specs", OPS.values(), ids=list(OPS))
def test_op_parity(fn, specs):
    check(fn, *specs)


@pytest.mark.parametrize("op", ["matmul", "mm", "bmm", "mv", "dot", "einsum", "tensordot", "addmm", "outer"])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_integer_operands(op, dtype):
    fns = {"matmul": lambda fw, a, b: a @ b, "mm": lambda fw, a, b: fw.mm(a, b),
           "bmm": lambda fw, a, b: fw.bmm(a.unsqueeze(0), b.unsqueeze(0)), "mv": lambda fw, a, b: fw.mv(a, b[:, 0]),
           "dot": lambda fw, a, b: fw.dot(a[0], b[:, 0]), "einsum": lambda fw, a, b: fw.einsum("ij,jk", a, b),
           "tensordot": lambda fw, a, b: fw.tensordot(a, b, 1), "addmm": lambda fw, a, b: fw.addmm(b[0], a, b),
           "outer": lambda fw, a, b: fw.outer(a[0], b[0])}
    check(fns[op], Spec((3, 3), kind="int", low=-5, high=5), Spec((3, 3), kind="int", low=-5, high=5),
          dtypes=(dtype,), grad=False, tol={dtype: (0, 0)})


def test_mixed_dtype_outer_promotes():
    check(lambda fw, a, b: fw.outer(a, b.double()), (3,), (4,), dtypes=("float32",))


# gradcheck / gradgradcheck (float64) -----------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", MATMUL_SHAPES.values(), ids=[f"matmul_{k}" for k in MATMUL_SHAPES])
def test_matmul_gradcheck_and_gradgradcheck(a, b):
    inputs = gradcheck_inputs(a, b)
    assert gradcheck(minitorch.matmul, inputs)
    assert gradgradcheck(minitorch.matmul, inputs)


GRADGRAD = {"bmm", "mv", "dot", "einsum_diag_mixed", "einsum_ellipsis", "einsum_three", "einsum_label_broadcast",
            "tensordot_lists", "addmm_scaled", "baddbmm_scaled", "outer"}


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck(name):
    fn, specs = OPS[name]
    inputs = gradcheck_inputs(*specs)
    assert gradcheck(lambda *xs: fn(minitorch, *xs), inputs)
    if name in GRADGRAD:
        assert gradgradcheck(lambda *xs: fn(minitorch, *xs), inputs)


# errors: same exception type and message as torch ---------------------------------------------------------------
def _f32(*shape):
    return ("float32", shape)


def _f64(*shape):
    return ("float64", shape)


def _make(fw, arg):
    if isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[0], str):
        dtype, shape = arg
        return fw.from_numpy(np.ones(shape, dtype=dtype))
    return arg


BAD = {
    "matmul_0d": (lambda fw, a, b: fw.matmul(a, b), [_f32(), _f32(3)], r"at least 1D, but they are 0D and 1D"),
    "matmul_1d_size": (lambda fw, a, b: a @ b, [_f32(3), _f32(4)], r"tensor \[3\] and src \[4\]"),
    "matmul_1d_dtype": (lambda fw, a, b: a @ b, [_f32(3), _f64(3)], r"found Float and Double"),
    "matmul_mv_size": (lambda fw, a, b: a @ b, [_f32(2, 3), _f32(4)], r"mat \(2x3\), vec \(4\)"),
    "matmul_mv_folded": (lambda fw, a, b: a @ b, [_f32(2, 3, 4), _f32(5)], r"mat \(6x4\), vec \(5\)"),
    "matmul_mv_dtype": (lambda fw, a, b: a @ b, [_f32(2, 3), _f64(3)], r"Double, Float, and Double"),
    "matmul_mm_size": (lambda fw, a, b: a @ b, [_f32(2, 3), _f32(4, 5)], r"\(2x3 and 4x5\)"),
    "matmul_1d_2d_size": (lambda fw, a, b: a @ b, [_f32(3), _f32(4, 5)], r"\(1x3 and 4x5\)"),
    "matmul_folded_size": (lambda fw, a, b: a @ b, [_f32(2, 2, 3), _f32(4, 5)], r"\(4x3 and 4x5\)"),
    "matmul_mm_dtype": (lambda fw, a, b: a @ b, [_f32(2, 3), _f64(3, 4)], r"float != double"),
    "matmul_int_dtypes": (lambda fw, a, b: a.int() @ b.long(), [_f32(2, 3), _f32(3, 4)], r"int != long int"),
    "matmul_batch_broadcast": (lambda fw, a, b: a @ b, [_f32(2, 2, 3), _f32(3, 3, 4)],
                               r"size of tensor a \(2\) must match the size of tensor b \(3\)"),
    "matmul_batch_size": (lambda fw, a, b: a @ b, [_f32(2, 3, 4), _f32(3, 5, 6)], r"size of tensor a \(2\)"),
    "matmul_bmm_inner": (lambda fw, a, b: a @ b, [_f32(2, 2, 3), _f32(2, 4, 4)], r"\[2, 3\] but got: \[2, 4\]"),
    "matmul_1d_3d_inner": (lambda fw, a, b: a @ b, [_f32(3), _f32(2, 4, 5)], r"\[2, 3\] but got: \[2, 4\]"),
    "matmul_batched_dtype": (lambda fw, a, b: a @ b, [_f32(2, 2, 3), _f64(2, 3, 4)], r"Float but found Double"),
    "matmul_bool": (lambda fw, a, b: a.bool() @ b.bool(), [_f32(2, 3), _f32(3, 2)], r"'Bool'"),
    "matmul_not_tensor": (lambda fw, a, b: fw.matmul(a, 3), [_f32(2, 3), _f32(3)], r"must be Tensor, not int"),
    "matmul_operator_list": (lambda fw, a, b: a @ [1.0, 2.0, 3.0], [_f32(2, 3), _f32(3)], r"'list'"),
    "mm_not_matrix": (lambda fw, a, b: fw.mm(a, b), [_f32(3), _f32(3, 5)], r"self must be a matrix"),
    "mm_mat2_not_matrix": (lambda fw, a, b: fw.mm(a, b), [_f32(2, 3), _f32(3)], r"mat2 must be a matrix"),
    "mm_size": (lambda fw, a, b: fw.mm(a, b), [_f32(2, 3), _f32(4, 5)], r"\(2x3 and 4x5\)"),
    "mm_dtype": (lambda fw, a, b: fw.mm(a, b), [_f32(2, 3), _f64(3, 5)], r"float != double"),
    "bmm_not_3d": (lambda fw, a, b: fw.bmm(a, b), [_f32(3, 4), _f32(2, 4, 5)], r"batch1 must be a 3D tensor"),
    "bmm_batch2_not_3d": (lambda fw, a, b: fw.bmm(a, b), [_f32(2, 3, 4), _f32(4, 5)], r"batch2 must be a 3D"),
    "bmm_batch": (lambda fw, a, b: fw.bmm(a, b), [_f32(2, 3, 4), _f32(3, 4, 5)], r"\[2, 4\] but got: \[3, 4\]"),
    "bmm_no_broadcast": (lambda fw, a, b: fw.bmm(a, b), [_f32(1, 3, 4), _f32(3, 4, 5)], r"\[1, 4\] but got: \[3, 4\]"),
    "bmm_inner": (lambda fw, a, b: fw.bmm(a, b), [_f32(2, 3, 4), _f32(2, 5, 5)], r"\[2, 4\] but got: \[2, 5\]"),
    "bmm_dtype": (lambda fw, a, b: fw.bmm(a, b), [_f32(2, 3, 4), _f64(2, 4, 5)], r"Float but found Double"),
    "dot_2d": (lambda fw, a, b: fw.dot(a, b), [_f32(3, 1), _f32(3)], r"but got 2D and 1D tensors"),
    "dot_size": (lambda fw, a, b: fw.dot(a, b), [_f32(3), _f32(4)], r"got 3 and 4 elements"),
    "dot_dtype": (lambda fw, a, b: fw.dot(a, b), [_f32(3), _f64(3)], r"found Float and Double"),
    "mv_dims": (lambda fw, a, b: fw.mv(a, b), [_f32(2, 3), _f32(3, 1)], r"expected, got 1, 2, 2"),
    "mv_size": (lambda fw, a, b: fw.mv(a, b), [_f32(2, 3), _f32(4)], r"mat \(2x3\), vec \(4\)"),
    "outer_2d": (lambda fw, a, b: fw.outer(a, b), [_f32(3), _f32(4, 1)], r"vec2, but got 2-D"),
    "einsum_dtype": (lambda fw, a, b: fw.einsum("ij,jk", a, b), [_f32(2, 3), _f64(3, 4)], r"Float but found Double"),
    "einsum_size": (lambda fw, a, b: fw.einsum("ij,jk", a, b), [_f32(2, 3), _f32(4, 4)],
                    r"subscript j has size 4 for operand 1 .* previously seen size 3"),
    "einsum_too_few": (lambda fw, a, b: fw.einsum("ij,jk", a), [_f32(2, 3), _f32(3)], r"fewer operands"),
    "einsum_too_many": (lambda fw, a, b: fw.einsum("ij", a, b), [_f32(2, 3), _f32(3)], r"more operands"),
    "einsum_ndim": (lambda fw, a, b: fw.einsum("ijk,jk", a, b), [_f32(2, 3), _f32(3, 4)],
                    r"subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0"),
    "einsum_ellipsis_ndim": (lambda fw, a, b: fw.einsum("...ijk", a), [_f32(2, 3), _f32(3)],
                             r"\(3\) is more than the number of dimensions \(2\)"),
    "einsum_unknown_output": (lambda fw, a, b: fw.einsum("ij,jk->q", a, b), [_f32(2, 3), _f32(3, 4)],
                              r"output subscript q does not appear"),
    "einsum_repeated_output": (lambda fw, a, b: fw.einsum("ij,jk->ii", a, b), [_f32(2, 3), _f32(3, 4)],
                               r"output subscript i appears more than once"),
    "einsum_diagonal_size": (lambda fw, a, b: fw.einsum("ii", a), [_f32(2, 3), _f32(3)], r"sizes don't match, 3 != 2"),
    "einsum_bad_char": (lambda fw, a, b: fw.einsum("i1", a), [_f32(2, 3), _f32(3)], r"index 1"),
    "tensordot_size": (lambda fw, a, b: fw.tensordot(a, b, dims=1), [_f32(2, 3), _f32(4, 5)],
                       r"size 3 in dim -1 and second has size 4 in dim 0"),
    "tensordot_negative": (lambda fw, a, b: fw.tensordot(a, b, dims=-1), [_f32(2, 3), _f32(3, 5)], r"dims=-1"),
    "tensordot_too_many": (lambda fw, a, b: fw.tensordot(a, b, dims=3), [_f32(2, 3), _f32(3, 5)], r"dims=3"),
    "tensordot_lengths": (lambda fw, a, b: fw.tensordot(a, b, dims=([1, 0], [0])), [_f32(2, 3), _f32(3, 5)],
                          r"same length"),
    "tensordot_dtype": (lambda fw, a, b: fw.tensordot(a, b, dims=1), [_f32(2, 3), _f64(3, 5)], r"same dtype"),
    "addmm_size": (lambda fw, a, b: fw.addmm(a, b, b), [_f32(3), _f32(2, 3)], r"\(2x3 and 2x3\)"),
    "addmm_input": (lambda fw, a, b: fw.addmm(a, b, b.t()), [_f32(3), _f32(2, 3)],
                    r"expanded size of the tensor \(2\) must match the existing size \(3\)"),
    "addmm_not_matrix": (lambda fw, a, b: fw.addmm(a, a, b), [_f32(3), _f32(3, 5)], r"mat1 must be a matrix, got 1-D"),
    "addmm_dtype": (lambda fw, a, b: fw.addmm(a, b, b.t()), [_f64(2), _f32(2, 3)], r"got Double and Float"),
    "baddbmm_input": (lambda fw, a, b: fw.baddbmm(a, b, b.mT), [_f32(3, 1, 2), _f32(2, 2, 3)],
                      r"existing size \(3\) at non-singleton dimension 0"),
    "baddbmm_dtype": (lambda fw, a, b: fw.baddbmm(a, b, b.mT), [_f64(2), _f32(2, 2, 3)],
                      r"input double, batch1: float, batch2: float"),
    "baddbmm_not_3d": (lambda fw, a, b: fw.baddbmm(a, b, b), [_f32(3), _f32(2, 3)], r"range of \[-2, 1\], but got 2"),
    "baddbmm_batch2_not_3d": (lambda fw, a, b: fw.baddbmm(a, b, b.unsqueeze(0)), [_f32(2), _f32(2, 2, 3)],
                              r"batch2 must be a 3D"),
}


@pytest.mark.parametrize("fn,args,match", BAD.values(), ids=list(BAD))
def test_bad_inputs_raise_like_torch(fn, args, match):
    mine, theirs = assert_raises_like_torch(lambda fw: fn(fw, *(_make(fw, a) for a in args)), match=match)
    assert str(mine) == str(theirs).replace("torch.", "minitorch.")


# hypothesis: matmul over random broadcastable shapes, 1-D operands included --------------------------------------
@st.composite
def _matmul_case(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))
    def operand(core: tuple) -> tuple:
        lead = batch[len(batch) - draw(st.integers(0, len(batch))):]
        return tuple(1 if draw(st.booleans()) else s for s in lead) + core
    a = (k,) if draw(st.integers(0, 3)) == 0 else operand((n, k))
    b = (k,) if draw(st.integers(0, 3)) == 0 else operand((k, m))
    return a, b, draw(st.sampled_from(["float32", "float64", "int64"]))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(_matmul_case())
def test_matmul_hypothesis_matches_torch(case):
    a, b, dtype = case
    floating = dtype != "int64"
    kind = "float" if floating else "int"
    check(lambda fw, x, y: x @ y, Spec(a, kind=kind, low=-3, high=3), Spec(b, kind=kind, low=-3, high=3),
          dtypes=(dtype,), layouts=("contiguous", "permuted"), grad=floating, tol={"int64": (0, 0)})


def test_gradient_of_transposed_weight_has_torch_layout():
    """``x @ w.t()`` (a linear layer): the gradient reaching ``w`` is contiguous, as in torch."""
    strides = {}
    for fw in (torch, minitorch):
        x = fw.from_numpy(np.ones((4, 3), dtype=np.float32))
        w = fw.from_numpy(np.ones((5, 3), dtype=np.float32)).requires_grad_()
        (x @ w.t()).backward(fw.from_numpy(np.ones((4, 5), dtype=np.float32)))
        strides[fw] = (w.grad.stride(), w.grad.is_contiguous())
    assert strides[minitorch] == strides[torch] == ((3, 1), True)

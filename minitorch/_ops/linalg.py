"""Linear algebra: mirrors ``torch.matmul`` (and ``@``), ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``/``ger``,
``einsum``, ``tensordot``, ``addmm``, ``addmv`` and ``baddbmm``.

``Matmul`` is one NumPy ``matmul`` forward with torch's rules for 1-D and batched operands; its backward
is two matmuls (the batch broadcasting is summed away by the engine). Like torch, both operands must
have the same dtype, and a mismatch raises the error of the kernel torch would have dispatched to (dot,
mv, mm or bmm). ``Einsum`` runs ``np.einsum``; the gradient of each operand is another einsum, so it is
differentiable again. ``tensordot`` is an einsum; the ``add*`` ops are matmul plus scaled input.
"""
from __future__ import annotations

import math
import string
from typing import Any, Sequence

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from ._operands import not_implemented, type_name

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "einsum", "tensordot", "addmm", "addmv",
           "baddbmm"]

# the C++ type names torch's mm/matmul errors print
_CPP_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
              "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


# torch's checks, per kernel, in torch's order; called only when np.matmul refused or dtypes differ -----------
def _check_dot(sa: tuple, sb: tuple, da: np.dtype, db: np.dtype) -> None:
    if da != db:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {type_name(da)} and "
                           f"{type_name(db)}")
    if sa[0] != sb[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the same "
                           f"number of elements, but got {sa[0]} and {sb[0]} elements respectively")
    if da == np.bool_:
        raise not_implemented("dot", np.dtype(np.bool_))


def _check_mv(mat: tuple, vec: tuple, dm: np.dtype, dv: np.dtype) -> None:
    if mat[1] != vec[0]:
        raise RuntimeError(f"size mismatch, got input ({mat[0]}), mat ({mat[0]}x{mat[1]}), vec ({vec[0]})")
    if dm != dv:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {type_name(dv)}, "
                           f"{type_name(dm)}, and {type_name(dv)}")
    if dm == np.bool_:
        raise not_implemented("addmv_impl_cpu", np.dtype(np.bool_))


def _check_mm(m1: tuple, m2: tuple, d1: np.dtype, d2: np.dtype) -> None:
    if m1[1] != m2[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1[0]}x{m1[1]} and {m2[0]}x{m2[1]})")
    if d1 != d2:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[d1.name]} != "
                           f"{_CPP_NAMES[d2.name]}")
    if d1 == np.bool_:
        raise not_implemented("addmm_impl_cpu_", np.dtype(np.bool_))


def _check_bmm(first: tuple, second: tuple, d1: np.dtype, d2: np.dtype) -> None:
    """``first``: (batch, inner size) of batch1; ``second``: the same of batch2."""
    if first != second:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: {list(first)} but got: "
                           f"{list(second)}.")
    if d1 != d2:
        raise RuntimeError(f"expected scalar type {type_name(d1)} but found {type_name(d2)}")
    if d1 == np.bool_:
        raise not_implemented("bmm", np.dtype(np.bool_))


def _check_matmul(sa: tuple, sb: tuple, da: np.dtype, db: np.dtype) -> None:
    """torch.matmul's error for these operands: the one of the kernel torch dispatches them to."""
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return _check_dot(sa, sb, da, db)
    rows = math.prod(sa[:-1])                      # torch folds the batch dims of the first operand
    if nb == 1:
        return _check_mv((rows, sa[-1]), sb, da, db)
    if nb == 2:
        return _check_mm((rows, sa[-1]), sb, da, db)
    batch_a = sa[:-2]
    try:
        batch = np.broadcast_shapes(batch_a, sb[:-2])
    except ValueError:
        from .elementwise import _broadcast_error
        raise _broadcast_error(np.broadcast_to(0, batch_a), np.broadcast_to(0, sb[:-2])) from None
    n = math.prod(batch)
    _check_bmm((n, sa[-1]), (n, sb[-2]), da, db)


class Matmul(Function):
    """``a @ b`` for operands of any dims >= 1 (torch's 1-D and batch-broadcasting rules)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype != b.dtype or a.dtype == np.bool_ or not a.ndim or not b.ndim:
            _check_matmul(a.shape, b.shape, a.dtype, b.dtype)
        try:
            out = np.matmul(a, b)
        except ValueError:
            _check_matmul(a.shape, b.shape, a.dtype, b.dtype)
            raise
        ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a_vec, b_vec = a.dim() == 1, b.dim() == 1
        # restore the dims a 1-D operand lost; the engine sums broadcast batch dims back down
        if b_vec:
            grad, b = grad.unsqueeze(-1), b.unsqueeze(-1)
        if a_vec:
            grad, a = grad.unsqueeze(-2), a.unsqueeze(0)
        ga = gb = None
        # as torch does, a gradient is computed in its input's layout when that is a transposed matrix (the
        # weight of ``x @ w.t()``), so that it arrives contiguous at the untransposed tensor
        if ctx.needs_input_grad[0]:
            if a.dim() == 2 and b.dim() == 2 and _column_major(a):
                ga = Matmul.apply(b, grad.mT).mT
            else:
                ga = Matmul.apply(grad, b.mT)
            if a_vec:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            if b.dim() == 2:                       # (..., n, k) @ (k, m): one matmul over the folded batch
                a2, g2 = (a, grad) if a.dim() == 2 else (a.reshape(-1, a.shape[-1]), grad.reshape(-1, grad.shape[-1]))
                gb = Matmul.apply(g2.mT, a2).mT if _column_major(b) else Matmul.apply(a2.mT, g2)
            else:
                gb = Matmul.apply(a.mT, grad)
            if b_vec:
                gb = gb.squeeze(-1)
        return ga, gb


def _column_major(t: Tensor) -> bool:
    """Whether matrix ``t`` is laid out transposed (unit stride down its columns)."""
    strides, item = t._data.strides, t._data.itemsize
    return strides[0] == item and strides[1] != item and t.shape[0] > 1


def _require_tensor(fn: str, name: str, pos: int, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


@tensor_method
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules: 1-D operands gain (then lose) a dim; batch dims broadcast."""
    _require_tensor("matmul", "other", 2, other)
    return Matmul.apply(input, other)


def _matmul_op(self: Tensor, other: Any) -> Any:
    return Matmul.apply(self, other) if isinstance(other, Tensor) else NotImplemented


def _rmatmul_op(self: Tensor, other: Any) -> Any:
    return Matmul.apply(other, self) if isinstance(other, Tensor) else NotImplemented


Tensor.__matmul__ = _matmul_op
Tensor.__rmatmul__ = _rmatmul_op


@tensor_method
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    _require_tensor("mm", "mat2", 2, mat2)
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    return Matmul.apply(input, mat2)


@tensor_method
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    _require_tensor("bmm", "mat2", 2, mat2)
    if input.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input.shape, mat2.shape
    _check_bmm((sa[0], sa[2]), (sb[0], sb[1]), input._data.dtype, mat2._data.dtype)
    return Matmul.apply(input, mat2)


@tensor_method
def mv(input: Tensor, vec: Tensor) -> Tensor:
    _require_tensor("mv", "vec", 2, vec)
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, {vec.dim()}")
    return Matmul.apply(input, vec)


@tensor_method
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    _require_tensor("dot", "tensor", 2, tensor)
    if input.dim() != 1 or tensor.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {tensor.dim()}D tensors")
    return Matmul.apply(input, tensor)


@tensor_method
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims of both (a scalar operand multiplies)."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


@tensor_method
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``input[i] * vec2[j]`` (with type promotion, as torch's)."""
    _require_tensor("outer", "vec2", 2, vec2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(-1) * vec2


ger = outer
Tensor.ger = outer


# einsum ------------------------------------------------------------------------------------------------------
class Einsum(Function):
    """``np.einsum`` on an equation with explicit output and no ellipsis (``einsum`` rewrites it so).

    The gradient of operand i is the einsum of the output gradient with the other operands, giving
    operand i's subscripts; a subscript repeated in operand i (a diagonal) is given a fresh letter tied
    to the first one by an identity matrix, and one summed over only in operand i by a vector of ones.
    """

    _array_forward = True

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        out = np.einsum(equation, *operands, optimize=len(operands) > 2 or (
            len(operands) == 2 and operands[0].size * operands[1].size > 4096))
        if len(operands) == 1 and np.may_share_memory(out, operands[0]):
            out = out.copy()                       # np.einsum may return a view (a diagonal, a transpose)
        return out

    @staticmethod
    def backward(ctx, grad):
        ops = ctx.saved_tensors
        lhs, out_subs = ctx.equation.split("->")
        subs = lhs.split(",")
        grads: list = [None]
        for i, s in enumerate(subs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [j for j in range(len(ops)) if j != i]
            terms, operands = [out_subs] + [subs[j] for j in others], [grad] + [ops[j] for j in others]
            free = iter(c for c in _LETTERS if c not in ctx.equation)
            target, seen = "", {}
            for c, n in zip(s, ops[i].shape):
                if c in seen:                      # a diagonal: tie a fresh letter to c by an identity
                    fresh = next(free)
                    terms.append(c + fresh)
                    operands.append(Tensor._make(np.eye(n, dtype=grad._data.dtype)))
                    target += fresh
                    continue
                seen[c] = n
                if not any(c in t for t in terms):  # summed only in this operand: broadcast it back
                    terms.append(c)
                    operands.append(Tensor._make(np.ones(n, dtype=grad._data.dtype)))
                target += c
            g = Einsum.apply(",".join(terms) + "->" + target, *operands)
            if g.shape != ops[i].shape:            # a label broadcast from size 1 in the other operands
                g = g.expand(np.broadcast_shapes(g.shape, ops[i].shape))
            grads.append(g)
        return tuple(grads)


_LETTERS = string.ascii_letters


def _parse_einsum(equation: str, operands: Sequence[Tensor]) -> str:
    """Checks ``equation`` against the operands (torch's errors) and returns it with an explicit output
    and the ellipsis replaced by letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    for k, c in enumerate(eq):
        if c not in _LETTERS and c not in ".,->":
            raise RuntimeError(f"einsum(): invalid subscript given at index {k} in the equation string, subscripts "
                               "must be in [a-zA-Z]")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    unused = [c for c in _LETTERS if c not in eq]
    n_ell = 0
    for i, (t, op) in enumerate(zip(terms, operands)):
        labels = len(t.replace("...", ""))
        if "..." in t:
            if labels > op.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({labels}) is more than the "
                                   f"number of dimensions ({op.dim()}) for operand {i}")
            n_ell = max(n_ell, op.dim() - labels)
        elif labels != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({labels}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {i} and no ellipsis was given")
    ell = "".join(unused[:n_ell])
    terms = [t.replace("...", ell[len(ell) - (op.dim() - len(t) + 3):] if len(ell) else "") if "..." in t else t
             for t, op in zip(terms, operands)]
    sizes: dict = {}
    for i, (t, op) in enumerate(zip(terms, operands)):
        own: dict = {}
        for c, n in zip(t, op.shape):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, "
                                   f"{n} != {own[c]}")
            own[c] = n
            prev = sizes.get(c, 1)
            if n != 1 and prev != 1 and n != prev:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {prev}")
            sizes[c] = max(prev, n) if n != 1 else prev
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:
        joined = "".join(terms)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))
    return ",".join(terms) + "->" + out


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation (``'ij,jk->ik'``, implicit output, ``...``, diagonals, and the sublist form)."""
    if not isinstance(equation, str):                        # einsum(op1, [0, 1], op2, [1, 2], [0, 2])
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for op in operands:
        if op._data.dtype != operands[0]._data.dtype:
            raise RuntimeError(f"expected scalar type {type_name(operands[0]._data.dtype)} but found "
                               f"{type_name(op._data.dtype)}")
    return Einsum.apply(_parse_einsum(equation, operands), *operands)


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """The string equation and operands of the sublist form ``einsum(op, [0, 1], op, [1], [0])``."""
    def letters(sub: Sequence) -> str:
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)
    pairs = args[:len(args) - len(args) % 2]
    ops, subs = pairs[0::2], [letters(s) for s in pairs[1::2]]
    eq = ",".join(subs) + ("->" + letters(args[-1]) if len(args) % 2 else "")
    return eq, tuple(ops)


@tensor_method
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contracts dims ``dims[0]`` of ``a`` with ``dims[1]`` of ``b`` (or the last/first ``dims`` dims)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.dim() or dims > b.dim():
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.dim() - dims, a.dim())), list(range(dims))
        shown_a = list(range(-dims, 0))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        shown_a = dims_a
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    la, lb = _LETTERS[:a.dim()], list(_LETTERS[a.dim():a.dim() + b.dim()])
    for da, db, shown in zip(dims_a, dims_b, shown_a):
        ia, ib = _wrap_dim(da, a.dim()), _wrap_dim(db, b.dim())
        if a.shape[ia] != b.shape[ib]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[ia]} in dim "
                               f"{shown} and second has size {b.shape[ib]} in dim {db}")
        lb[ib] = la[ia]
    lb = "".join(lb)
    kept = "".join(c for c in la if c not in lb) + "".join(c for c in lb if c not in la)
    return Einsum.apply(f"{la},{lb}->{kept}", a, b)


# matmul plus a scaled input ------------------------------------------------------------------------------------
def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """``beta * input + alpha * product``; ``input`` is ignored when ``beta == 0`` (its NaNs too)."""
    if not product.dtype.is_floating_point:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


@tensor_method
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.dim() != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.dim()}-D tensor")
    _check_mm(tuple(mat1.shape), tuple(mat2.shape), mat1._data.dtype, mat1._data.dtype)
    input = input.expand(mat1.shape[0], mat2.shape[1])
    if input.dtype is not mat2.dtype or mat1.dtype is not mat2.dtype:
        other = input if input.dtype is not mat2.dtype else mat1
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {type_name(other._data.dtype)} and "
                           f"{type_name(mat2._data.dtype)}")
    return _scaled_sum(input, Matmul.apply(mat1, mat2), beta, alpha)


@tensor_method
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    if mat.dim() != 2 or vec.dim() != 1 or input.dim() > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}")
    if input.dim() == 1 and input.shape[0] not in (1, mat.shape[0]) or mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.dim() else 1}), "
                           f"mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    if not input.dtype is mat.dtype is vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {type_name(input._data.dtype)}, "
                           f"{type_name(mat._data.dtype)}, and {type_name(vec._data.dtype)}")
    return _scaled_sum(input, Matmul.apply(mat, vec), beta, alpha)


@tensor_method
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    input = input.expand(batch1.size(0), batch1.size(1), batch2.size(2))     # torch expands first
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        if m.dim() != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if not input.dtype is batch1.dtype is batch2.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_CPP_NAMES[input.dtype.name]}, batch1: "
                           f"{_CPP_NAMES[batch1.dtype.name]}, batch2: {_CPP_NAMES[batch2.dtype.name]}")
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)

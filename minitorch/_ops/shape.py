"""Views and shape ops: mirrors ``Tensor.view`` (also ``view(dtype)``), ``reshape``, ``permute``, ``transpose``,
``t``, ``T``, ``mT``, ``expand``, ``expand_as``, ``squeeze``, ``unsqueeze``, ``flatten``, ``unflatten``,
``narrow``, ``select``, ``unbind``, ``movedim``, ``contiguous`` and ``clone`` (``as_strided`` lives in
strided.py).

A view shares its input's storage (NumPy views do the strided indexing) and has torch's strides and
storage offset. ``view`` follows torch's stride rule (it fails when a new dim would span non-contiguous
memory); ``reshape`` views when it can and copies only when it must; ``clone`` keeps the input's dim
order as torch's ``preserve_format`` does.
"""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

from .. import _dtype
from .._tensor import Size, Tensor, _wrap_dim
from ..autograd.function import Function
from ._method import tensor_method
from .strided import _strided_view

# (view, view_as, expand, expand_as and contiguous are Tensor methods only, as in torch)
__all__ = ["reshape", "permute", "transpose", "swapaxes", "swapdims", "t", "adjoint", "squeeze", "unsqueeze", "flatten",
           "ravel", "unflatten", "narrow", "select", "unbind", "clone", "movedim", "moveaxis", "broadcast_to",
           "broadcast_shapes", "broadcast_tensors"]


def _shape_arg(args: tuple, fn: str = "view", arg: str = "size") -> tuple:
    """Accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` (torch's varargs-or-sequence convention)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    for a in args:
        if type(a) is not int:
            break
    else:
        return args
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        pos, bad = next((i, a) for i, a in enumerate(args) if not hasattr(a, "__index__"))
        raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos {pos + 1} with error "
                        f"\"type must be tuple of ints,but got {type(bad).__name__}\"") from None


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves one ``-1`` in ``shape`` and checks the element count (torch's messages)."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s} at index {shape.index(s)} of shape {list(shape)}")
            known *= s
    if -1 in shape:
        if numel == 0 and known == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view_strides(old_shape: tuple, old_strides: tuple, new_shape: tuple) -> list | None:
    """torch's rule for the strides of ``view(new_shape)``; None when no view is possible."""
    if not old_shape:
        return [1] * len(new_shape)
    if 0 in old_shape:
        if tuple(new_shape) == tuple(old_shape):
            return list(old_strides)
        return list(np.cumprod((1,) + tuple(max(s, 1) for s in new_shape[:0:-1]))[::-1])
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = old_strides[d - 1]
                tensor_numel = view_numel = 1
    return new_strides if view_d == -1 else None


class View(Function):
    """``view`` and the viewing case of ``reshape``."""

    _array_forward = True
    _is_view = True

    @staticmethod
    def forward(ctx, a, shape, copy_if_needed):
        ctx.in_shape = a.shape
        shape = infer_shape(shape, a.size)
        if a.flags.c_contiguous and (not a.ndim or a.strides[-1] == a.itemsize):
            return a.reshape(shape)                # torch's strides too (a size-1 last dim may have another)
        strides = view_strides(a.shape, tuple(s // a.itemsize for s in a.strides), shape)
        if strides is not None:
            return _strided_view(a, shape, strides)
        if copy_if_needed:
            ctx.copied = True
            return np.ascontiguousarray(a).reshape(shape)
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None, None


def _is_dense(a: np.ndarray) -> bool:
    """Whether ``a``'s elements fill its memory span without gaps or overlaps (in some dim order)."""
    expected = a.itemsize
    for stride, n in sorted((s, n) for s, n in zip(a.strides, a.shape) if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


class Permute(Function):
    _array_forward = True
    _is_view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(tuple(np.argsort(ctx.dims))), None


class Expand(Function):
    _array_forward = True
    _is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        lead = len(shape) - a.ndim
        strides = [0] * lead + [st if n == m else 0 for st, n, m in zip(a.strides, a.shape, shape[lead:])]
        for i in range(min(lead, len(shape) - 1) - 1, -1, -1):
            if shape[i] == 1:                      # torch strides a new size-1 dim like a contiguous one
                strides[i] = strides[i + 1] * shape[i + 1]
        # writes are refused only where elements really share memory (as in torch)
        aliased = any(st == 0 and n > 1 for st, n in zip(strides, shape))
        return _np_as_strided(a, shape, strides, writeable=a.flags.writeable and not aliased)

    @staticmethod
    def backward(ctx, grad):
        from .reduction import sum_to_shape
        return sum_to_shape(grad, ctx.in_shape), None


class BasicIndex(Function):
    """``a[key]`` for a key of ints, slices (positive steps), None and Ellipsis: always a view."""

    _array_forward = True
    _is_view = True

    @staticmethod
    def forward(ctx, a, key):
        ctx.in_shape, ctx.key = a.shape, key
        if None in key:
            return _unsqueeze_strides(a, key)
        out = a[key]
        if type(out) is not np.ndarray:            # an all-int key gives a NumPy scalar (a copy): take the 0-d view
            out = a[key + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return BasicIndexBackward.apply(grad, ctx.in_shape, ctx.key), None


def _unsqueeze_strides(a: np.ndarray, key: tuple) -> np.ndarray:
    """``a[key]`` where the dims that ``None`` inserts get torch's stride instead of NumPy's 0: torch
    unsqueezes in key order, taking ``size * stride`` of the input dim the ``None`` stands before (1
    past the end). A contiguous ``a`` gets them from a reshape that inserts those dims first."""
    shape, plain, strides, pos = [], [], [], 0
    for k in key:
        if k is None:
            shape.append(1)
            plain.append(slice(None))
            strides.append(a.shape[pos] * a.strides[pos] if pos < a.ndim else a.itemsize)
            continue
        n = a.ndim - sum(1 for j in key if j is not None and j is not Ellipsis) if k is Ellipsis else 1
        shape += a.shape[pos:pos + n]
        plain.append(k)
        strides += [None] * (n if k is Ellipsis else type(k) is slice)
        pos += n
    if a.flags.c_contiguous:
        return a.reshape(shape + list(a.shape[pos:]))[tuple(plain)]
    out = a[key]
    full = [s if s is not None else o for s, o in zip(strides + [None] * (out.ndim - len(strides)), out.strides)]
    return _np_as_strided(out, out.shape, full)


class BasicIndexBackward(Function):
    """Places a gradient into zeros of the input's shape at ``key`` (the adjoint of ``BasicIndex``)."""

    _array_forward = True

    @staticmethod
    def forward(ctx, grad, shape, key):
        ctx.key = key
        out = np.zeros(shape, dtype=grad.dtype)
        out[key] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return BasicIndex.apply(grad, ctx.key), None, None


class Clone(Function):
    """A copy; like torch's ``preserve_format`` it keeps the input's dim order (its exact strides when the
    input is dense), unless ``contiguous``."""

    _array_forward = True

    @staticmethod
    def forward(ctx, a, contiguous=False):
        if contiguous or a.flags.c_contiguous or a.ndim < 2:
            return np.array(a, copy=True, order="C")
        item = a.itemsize
        strides = [s // item for s in a.strides]
        if not _is_dense(a):
            strides = _dense_strides(a.shape, strides)
        # a view of a fresh 1-D buffer, so that the storage stays one flat block
        out = np.ndarray(a.shape, a.dtype, buffer=np.empty(a.size, a.dtype), strides=[s * item for s in strides])
        np.copyto(out, a)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def _dense_strides(shape: tuple, strides: list) -> list:
    """torch's ``infer_dense_strides``: contiguous strides in the order of ``strides`` (0-strides keep theirs)."""
    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0
    perm = list(range(len(shape)))[::-1]           # perm[0]: the fastest-moving dim
    for i in range(1, len(perm)):                  # torch's stable insertion sort
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out, cur = [0] * len(shape), 1
    for d in perm:
        out[d] = cur
        cur *= max(shape[d], 1)
    return out


# functions ------------------------------------------------------------------------------------------------
@tensor_method
def view(input: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    return View.apply(input, _shape_arg(shape), False)


def _view_dtype(input: Tensor, dtype: Any) -> Tensor:
    """A view of the same bytes as ``dtype`` (torch's checks when the element size changes)."""
    old = input.element_size()
    ratio = max(dtype.itemsize, old) // min(dtype.itemsize, old)
    if dtype.itemsize != old:
        what = f"to view {input.dtype._legacy[:-6]} as {dtype._legacy[:-6]} (different element sizes)"
        if input.dim() == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        checks = [(input.stride(-1) == 1, "self.stride(-1) must be 1", input.stride(-1))]
        if dtype.itemsize > old:
            checks = ([(input.shape[-1] % ratio == 0, f"self.size(-1) must be divisible by {ratio}", input.shape[-1])]
                      + checks + [(input.stride(d) % ratio == 0, f"self.stride({d}) must be divisible by {ratio}",
                                   input.stride(d)) for d in range(input.dim() - 1)]
                      + [(input.storage_offset() % ratio == 0, f"self.storage_offset() must be divisible by {ratio}",
                          input.storage_offset())])
        for ok, rule, got in checks:
            if not ok:
                raise RuntimeError(f"{rule} {what}, but got {got}")
    return input._view_of(input._data.view(dtype.np))


@tensor_method
def view_as(input: Tensor, other: Tensor) -> Tensor:
    return View.apply(input, tuple(other.shape), False)


@tensor_method
def reshape(input: Tensor, *shape: Any) -> Tensor:
    return View.apply(input, _shape_arg(shape, "reshape", "shape"), True)


@tensor_method
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return View.apply(input, tuple(other.shape), True)


@tensor_method
def permute(input: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims, "permute", "dims")
    n = input.dim()
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
                           f"len(dims) = {len(dims)}")
    wrapped = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, wrapped)


@tensor_method
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input.dim()
    if n == 0:
        return View.apply(input, (), False)
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose
Tensor.swapaxes = Tensor.swapdims = transpose


@tensor_method
def t(input: Tensor) -> Tensor:
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.dim()}D")
    return transpose(input, 0, 1) if input.dim() == 2 else View.apply(input, tuple(input.shape), False)


Tensor.T = property(lambda self: Permute.apply(self, tuple(range(self.dim() - 1, -1, -1))))
Tensor.mT = property(lambda self: _mT(self))
Tensor.mH = property(lambda self: _mT(self))
Tensor.H = property(lambda self: t(self))


def _mT(self: Tensor) -> Tensor:
    if self.dim() < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return transpose(self, -2, -1)


@tensor_method
def adjoint(input: Tensor) -> Tensor:
    return _mT(input)


@tensor_method
def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes, "expand")
    n = input.dim()
    if len(sizes) < n:
        raise RuntimeError(f"expand(minitorch.{input.dtype._legacy}{{{list(input.shape)}}}, size={list(sizes)}): "
                           "the number "
                           f"of sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({n})")
    lead = len(sizes) - n
    shape = []
    for i, s in enumerate(sizes):
        cur = input.shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            s = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(input.shape)}")
        shape.append(s)
    return Expand.apply(input, tuple(shape))


@tensor_method
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, tuple(other.shape))


@tensor_method
def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, tuple(size))


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape all ``shapes`` broadcast to (``torch.broadcast_shapes``), with torch's error."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    out = [1] * max((len(s) for s in shapes), default=0)
    for k, shape in enumerate(shapes):
        for i in range(1, len(shape) + 1):
            n = shape[-i]
            if out[-i] == 1:
                out[-i] = n
            elif n != 1 and n != out[-i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at -{i}! Mismatching argument "
                                   f"at index {k} had {tuple(shape)}; but expected shape should be broadcastable to "
                                   f"{out}")
    return Size(out)


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Views of ``tensors`` expanded to their common shape (``torch.broadcast_tensors``)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


@tensor_method
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    from .reduction import normalize_dims
    dims = normalize_dims(dim, input.dim())
    shape = [n for i, n in enumerate(input.shape) if not (i in dims and n == 1)]
    return View.apply(input, tuple(shape), False)


@tensor_method
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    d = _wrap_dim(dim, input.dim() + 1)
    shape = list(input.shape)
    shape.insert(d, 1)
    return View.apply(input, tuple(shape), False)


@tensor_method
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    n = input.dim()
    if n == 0:
        return View.apply(input, (1,), True)
    s, e = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = tuple(input.shape[:s]) + (int(np.prod(input.shape[s:e + 1])),) + tuple(input.shape[e + 1:])
    return View.apply(input, shape, True)


@tensor_method
def ravel(input: Tensor) -> Tensor:
    return View.apply(input, (-1,), True)


@tensor_method
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.dim())
    sizes = _shape_arg((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    n, known = input.shape[d], int(np.prod([s for s in sizes if s != -1]))
    inner = tuple(n // known if s == -1 else s for s in sizes) if -1 in sizes and known and n % known == 0 else sizes
    if int(np.prod(inner)) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({input.shape[d]}) in the input tensor")
    return View.apply(input, tuple(input.shape[:d]) + inner + tuple(input.shape[d + 1:]), True)


@tensor_method
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start = start + size if start < 0 else start
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return BasicIndex.apply(input, key)


@tensor_method
def select(input: Tensor, dim: int, index: int) -> Tensor:
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    if not -size <= int(index) < size:
        raise IndexError(f"select(): index {int(index)} out of range for tensor of size {list(input.shape)} "
                         f"at dimension {dim}")
    return BasicIndex.apply(input, (slice(None),) * d + (int(index),))


@tensor_method
def unbind(input: Tensor, dim: int = 0) -> tuple:
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.dim())
    return tuple(select(input, d, i) for i in range(input.shape[d]))


@tensor_method
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    return input if input.is_contiguous() else Clone.apply(input, True)


@tensor_method
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return Clone.apply(input)


@tensor_method
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    n = input.dim()
    src = [_wrap_dim(s, n) for s in ((source,) if isinstance(source, int) else source)]
    dst = [_wrap_dim(d, n) for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    for name, dims in (("source", src), ("destination", dst)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(dims)})")
    if n == 0:
        return View.apply(input, (), False)
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim
Tensor.moveaxis = movedim

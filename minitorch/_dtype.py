"""dtypes and type promotion: mirrors ``torch.dtype``, ``torch.promote_types``, ``torch.result_type``
and ``torch.get_default_dtype`` / ``torch.set_default_dtype``.

Each minitorch dtype wraps a NumPy dtype. Promotion follows torch's lattice (which differs from
NumPy's: ``int64 + float32 -> float32``, ``int16 + float16 -> float16``) and torch's three-tier rule
for mixing dimensioned tensors, zero-dim tensors and Python scalars.
"""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type (``torch.dtype``)."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "_rank", "_legacy")

    def __init__(self, name: str, np_dtype, rank: int, legacy: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "if"
        self._rank = rank          # order within the lattice (used for float-float promotion)
        self._legacy = legacy      # torch's legacy type name, used in error messages

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> "dtype":
        return self

    def __repr__(self) -> str:
        return "minitorch." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0, "BoolTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")
int8 = dtype("int8", np.int8, 2, "CharTensor")
int16 = dtype("int16", np.int16, 3, "ShortTensor")
int32 = dtype("int32", np.int32, 4, "IntTensor")
int64 = dtype("int64", np.int64, 5, "LongTensor")
float16 = dtype("float16", np.float16, 6, "HalfTensor")
float32 = dtype("float32", np.float32, 7, "FloatTensor")
float64 = dtype("float64", np.float64, 8, "DoubleTensor")

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
            "long": int64}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The minitorch dtype for a NumPy dtype; TypeError for types torch has no equivalent of."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def as_dtype(d) -> dtype:
    """Accepts a minitorch dtype (or, for convenience, a NumPy dtype / type) and returns the dtype."""
    if isinstance(d, dtype):
        return d
    if d is bool:
        return bool_
    if d is int:
        return int64
    if d is float:
        return get_default_dtype()
    if isinstance(d, str) and d in _ALIASES:
        return _ALIASES[d]
    return from_numpy_dtype(d)


_default_float = [float32]


def get_default_dtype() -> dtype:
    """The dtype of Python floats turned into tensors (``torch.get_default_dtype``)."""
    return _default_float[0]


def set_default_dtype(d: dtype) -> None:
    """Sets the default floating dtype (float16, float32 or float64); other dtypes raise, as in torch."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float[0] = d


def _category(d: dtype) -> int:
    """0 bool, 1 integer, 2 floating: the tiers of torch's promotion."""
    if d is bool_:
        return 0
    return 2 if d.is_floating_point else 1


def promote_types(a: dtype, b: dtype) -> dtype:
    """``torch.promote_types``: the smallest dtype both can be cast to without losing category."""
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b          # a float beats any integer, an integer beats bool
    if ca == 2:
        return a if a._rank > b._rank else b
    return _BY_NP[np.promote_types(a.np, b.np)]   # integer lattice is the same as NumPy's


def scalar_dtype(value) -> dtype:
    """The dtype torch gives a Python scalar wrapped as a number."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return get_default_dtype()
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


def result_type(*operands) -> dtype:
    """``torch.result_type`` over tensors, NumPy arrays and Python scalars.

    Dimensioned tensors win over zero-dim tensors, which win over Python scalars, unless the
    lower tier has a higher category (e.g. an int tensor plus a float scalar gives the default
    float dtype).
    """
    dim = zero = wrapped = None
    for x in operands:
        arr = x if isinstance(x, np.ndarray) else getattr(x, "_data", None)
        if arr is not None:
            d = _BY_NP[arr.dtype]
            if arr.ndim > 0:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None:
        return higher
    if _category(lower) > _category(higher):
        return promote_types(higher, lower)
    return higher


def can_cast(from_: dtype, to: dtype) -> bool:
    """``torch.can_cast``: whether an in-place op may write ``from_`` results into ``to``."""
    return _category(from_) <= _category(to)

"""Type promotion (minitorch/_dtype.py and every arithmetic op) against torch: all dtype pairs,
Python-scalar rules, zero-dim vs dimensioned tensors, and the default float dtype."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import minitorch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PAIRS = list(itertools.product(NAMES, NAMES))


def _tensors(name, shape=(2,)):
    arr = np.ones(shape, dtype=name)
    return minitorch.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_promote_types_and_add_match_torch(a, b):
    expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert _name(minitorch.promote_types(getattr(minitorch, a), getattr(minitorch, b))) == _name(expected)
    (ma, ta), (mb, tb) = _tensors(a), _tensors(b)
    assert _name((ma + mb).dtype) == _name((ta + tb).dtype)
    assert _name(minitorch.result_type(ma, mb)) == _name(torch.result_type(ta, tb))


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_zero_dim_tensor_against_dimensioned_tensor(a, b):
    """A zero-dim tensor only changes the result dtype when it is of a higher category."""
    (ma, ta), (mb, tb) = _tensors(a), _tensors(b, ())
    assert _name((ma * mb).dtype) == _name((ta * tb).dtype)
    assert _name((mb * ma).dtype) == _name((tb * ta).dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5, -1], ids=["bool", "int", "float", "negative_int"])
def test_python_scalars(name, scalar):
    m, t = _tensors(name)
    for op in (lambda x, s: x * s, lambda x, s: s * x, lambda x, s: x / s, lambda x, s: x == s,
               lambda x, s: x.maximum(x) * s if x.dtype not in (torch.bool, minitorch.bool) else x & x):
        try:
            expected = op(t, scalar)
        except Exception as e:      # noqa: BLE001 - the same exception type must come out of minitorch
            with pytest.raises(type(e)):
                op(m, scalar)
            continue
        assert _name(op(m, scalar).dtype) == _name(expected.dtype)


def test_specific_scalar_rules():
    i, ti = minitorch.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    assert (i + 2.5).dtype is minitorch.float32 and (ti + 2.5).dtype == torch.float32
    u = minitorch.tensor([1, 2, 3], dtype=minitorch.uint8)
    assert (u + 1000).tolist() == (torch.tensor([1, 2, 3], dtype=torch.uint8) + 1000).tolist() == [233, 234, 235]
    h = minitorch.ones(2, dtype=minitorch.float16)
    assert (h + 1.0).dtype is minitorch.float16
    assert (minitorch.tensor(1.5, dtype=minitorch.float64) + minitorch.ones(2)).dtype is minitorch.float32
    assert (minitorch.tensor(1.5) + minitorch.ones(2, dtype=minitorch.int64)).dtype is minitorch.float32
    b = minitorch.tensor([True, False])
    assert (b + b).dtype is minitorch.bool and (b + b).tolist() == [True, False]
    assert (b + 1).dtype is minitorch.int64
    assert (i / i).dtype is minitorch.float32 and (i // i).dtype is minitorch.int64
    assert (i ** 2).dtype is minitorch.int64 and (i ** 0.5).dtype is minitorch.float32


def test_default_dtype_float64():
    i = minitorch.tensor([1, 2])
    try:
        minitorch.set_default_dtype(minitorch.float64)
        assert (i * 2.5).dtype is minitorch.float64
        assert minitorch.tensor([1.0]).dtype is minitorch.float64
        assert (i / i).dtype is minitorch.float64 and minitorch.sqrt(i).dtype is minitorch.float64
        assert (minitorch.ones(2, dtype=minitorch.float32) * 2.5).dtype is minitorch.float32
    finally:
        minitorch.set_default_dtype(minitorch.float32)
    assert (i * 2.5).dtype is minitorch.float32 and minitorch.tensor([1.0]).dtype is minitorch.float32


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        minitorch.set_default_dtype(minitorch.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


def test_set_default_dtype_accepts_float16_like_torch():
    try:
        minitorch.set_default_dtype(minitorch.float16)
        torch.set_default_dtype(torch.float16)
        assert minitorch.tensor([1.5]).dtype is minitorch.float16 and torch.tensor([1.5]).dtype == torch.float16
        assert (minitorch.tensor([1, 2]) / 2).dtype is minitorch.float16
    finally:
        minitorch.set_default_dtype(minitorch.float32)
        torch.set_default_dtype(torch.float32)

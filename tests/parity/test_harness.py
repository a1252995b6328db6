"""The parity harness itself: it must catch every kind of difference, and feed the layouts it claims."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch
from parity import ParityError, Spec, check, to_minitorch, to_torch
from parity.harness import _laid_out


def test_identical_computation_passes_all_layouts():
    result = check(lambda fw, a, b: (a * b).exp().sum(0), (3, 4), (4,))
    assert {layout for _, layout in result.cases} == {"contiguous", "noncontiguous", "permuted", "broadcast"}
    assert {dtype for dtype, _ in result.cases} == {"float32", "float64"}


def test_value_difference_is_reported_with_element_and_size():
    with pytest.raises(ParityError, match=r"output 0: 1 of 6 elements differ; worst at \[1, 2\]"):
        def fn(fw, a):
            out = a * 2
            if fw is minitorch:
                out = out + minitorch.tensor(np.eye(1, 6, 5).reshape(2, 3), dtype=out.dtype)
            return out
        check(fn, (2, 3), layouts=("contiguous",))


def test_gradient_difference_is_caught():
    class WrongGrad(minitorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    def fn(fw, a):
        return WrongGrad.apply(a) if fw is minitorch else a * 2
    with pytest.raises(ParityError, match="gradient of input 0"):
        check(fn, (3,), layouts=("contiguous",))


def test_dtype_and_shape_differences_are_caught():
    with pytest.raises(ParityError, match="dtype"):
        check(lambda fw, a: a.double() if fw is minitorch else a.float(), (3,), dtypes=("float32",), grad=False)
    with pytest.raises(ParityError, match="shape"):
        check(lambda fw, a: a.reshape(3, 1) if fw is minitorch else a, (3,), grad=False)


def test_missing_gradient_is_caught():
    def fn(fw, a):
        return a.detach() * 2 if fw is minitorch else a * 2
    with pytest.raises(ParityError, match="requires grad in torch but not in minitorch"):
        check(fn, (3,), layouts=("contiguous",))


@pytest.mark.parametrize("fw", [minitorch, torch], ids=["minitorch", "torch"])
def test_layouts_are_what_they_claim(fw):
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    nc = _laid_out(fw, arr.copy(), "noncontiguous", True)
    assert not nc.is_contiguous() and nc.stride() == (8, 2) and nc.is_leaf and nc.requires_grad
    np.testing.assert_array_equal(nc.detach().numpy(), arr)
    perm = _laid_out(fw, arr.copy(), "permuted", False)
    assert perm.stride() == (1, 3)
    np.testing.assert_array_equal(perm.numpy(), arr)
    bc = _laid_out(fw, arr.copy(), "broadcast", False)
    assert bc.stride()[0] == 0


def test_conversion_round_trip_keeps_dtype_values_and_requires_grad():
    for dt in ("float32", "float64", "int64", "bool"):
        arr = (np.arange(6).reshape(2, 3) % 2).astype(dt)
        t = to_torch(minitorch.from_numpy(arr))
        assert str(t.dtype) == f"torch.{dt}"
        back = to_minitorch(t)
        assert str(back.dtype) == f"minitorch.{dt}"
        np.testing.assert_array_equal(back.numpy(), arr)
    leaf = minitorch.ones(2, requires_grad=True)
    assert to_torch(leaf).requires_grad and to_minitorch(to_torch(leaf)).requires_grad


def test_int_inputs_and_fixed_values_pass_through():
    check(lambda fw, a, k: a * k, Spec((3,), kind="int", low=0, high=9), 3, grad=False)

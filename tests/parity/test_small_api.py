"""Small top-level helpers PyTorch code relies on: equal, is_tensor, broadcast_shapes/broadcast_tensors and
the cuda namespace (never available in minitorch)."""
from __future__ import annotations

import pytest
import torch

import minitorch
from parity import assert_raises_like_torch, check

EQUAL_CASES = {
    "same": (lambda fw: (fw.ones(2, 3), fw.ones(2, 3))),
    "shape_differs": (lambda fw: (fw.ones(2), fw.ones(2, 1))),
    "dtype_differs_values_equal": (lambda fw: (fw.ones(2), fw.ones(2, dtype=fw.float64))),
    "value_differs": (lambda fw: (fw.ones(2), fw.zeros(2))),
    "nan": (lambda fw: (fw.tensor([float("nan")]), fw.tensor([float("nan")]))),
}


@pytest.mark.parametrize("case", EQUAL_CASES)
def test_equal_matches_torch(case):
    assert minitorch.equal(*EQUAL_CASES[case](minitorch)) == torch.equal(*EQUAL_CASES[case](torch))


def test_is_tensor():
    assert minitorch.is_tensor(minitorch.ones(1)) and not minitorch.is_tensor(1.0)
    assert not minitorch.is_tensor(torch.ones(1))


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), ((), (4,)), ((5, 1, 3), (1, 4, 1), (3,)), (2, (3, 2))])
def test_broadcast_shapes_matches_torch(shapes):
    assert tuple(minitorch.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))


def test_broadcast_shapes_error_matches_torch():
    assert_raises_like_torch(lambda fw: fw.broadcast_shapes((2,), (3,)), exc=RuntimeError,
                             match=r"Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at "
                                   r"index 1 had \(3,\); but expected shape should be broadcastable to \[2\]")


def test_broadcast_tensors_parity_and_views():
    check(lambda fw, a, b: fw.broadcast_tensors(a, b), (2, 1), (3,))
    a, b = minitorch.broadcast_tensors(minitorch.ones(2, 1), minitorch.ones(3))
    assert a.stride() == (1, 0) and b.stride() == (0, 1)


def test_cuda_namespace_reports_no_gpu():
    assert minitorch.cuda.is_available() is False and minitorch.cuda.device_count() == 0
    device = "cuda" if minitorch.cuda.is_available() else "cpu"       # the usual idiom runs unchanged
    assert minitorch.ones(2, device=device).device.type == "cpu"


@pytest.mark.parametrize("kw", [{}, {"rtol": 0.1}, {"atol": 0.5}, {"equal_nan": True}])
def test_isclose_allclose_match_torch(kw):
    def pair(fw):
        return fw.tensor([1.0, 2.0, float("nan"), 100.0]), fw.tensor([1.0 + 1e-9, 2.3, float("nan"), 101.0])
    check(lambda fw: fw.isclose(*pair(fw), **kw), grad=False)
    assert minitorch.allclose(*pair(minitorch), **kw) == torch.allclose(*pair(torch), **kw)

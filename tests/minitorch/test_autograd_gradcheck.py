"""``minitorch.autograd.gradcheck`` / ``gradgradcheck``: they pass on correct formulas (like torch's), and they
catch a deliberately wrong backward (first order) and a backward that is right but not differentiable
(second order), with torch's error type (``GradcheckError``, a RuntimeError) or ``False``."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import minitorch
from minitorch.autograd import GradcheckError, gradcheck, gradgradcheck


def _x(*shape, seed=0):
    return minitorch.tensor(np.random.default_rng(seed).uniform(0.5, 1.5, shape), dtype=minitorch.float64,
                            requires_grad=True)


def make_functions(fw):
    class WrongBackward(fw.autograd.Function):
        """x^2 with backward 3x (wrong: should be 2x)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x

    class NotTwiceDifferentiable(fw.autograd.Function):
        """x^3 whose backward is right but cuts the graph: second derivatives come out wrong (zero)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * (x * x).detach()
    return WrongBackward, NotTwiceDifferentiable


@pytest.mark.parametrize("fn", [
    lambda x, y: x * y + x.exp(),
    lambda x, y: (x @ y.t()).tanh(),
    lambda x, y: (x / y, x.sigmoid()),          # several outputs
    lambda x, y: x.sum(1, keepdim=True) * y,    # broadcasting
], ids=["mul_exp", "matmul_tanh", "two_outputs", "broadcast"])
def test_gradcheck_and_gradgradcheck_pass_on_correct_ops(fn):
    x, y = _x(2, 3), _x(2, 3, seed=1)
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))
    tx, ty = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, y))
    assert torch.autograd.gradcheck(fn, (tx, ty)) and torch.autograd.gradgradcheck(fn, (tx, ty))


def test_gradcheck_catches_wrong_backward_like_torch():
    torch_error = importlib.import_module("torch.autograd.gradcheck").GradcheckError
    for fw, check, error in ((minitorch, gradcheck, GradcheckError), (torch, torch.autograd.gradcheck, torch_error)):
        wrong, _ = make_functions(fw)
        x = fw.tensor([0.5, 1.0, 2.0], dtype=fw.float64, requires_grad=True)
        with pytest.raises(error, match="Jacobian mismatch for output 0 with respect to input 0"):
            check(wrong.apply, (x,))
        assert check(wrong.apply, (x,), raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_error_names_worst_element():
    wrong, _ = make_functions(minitorch)
    with pytest.raises(GradcheckError, match=r"numerical 4 vs analytical 6"):
        gradcheck(wrong.apply, (minitorch.tensor([2.0], dtype=minitorch.float64, requires_grad=True),))


def test_gradgradcheck_catches_non_differentiable_backward():
    for fw, check1, check2 in ((minitorch, gradcheck, gradgradcheck),
                               (torch, torch.autograd.gradcheck, torch.autograd.gradgradcheck)):
        _, cut = make_functions(fw)
        x = fw.tensor([0.5, 1.0, 2.0], dtype=fw.float64, requires_grad=True)
        assert check1(cut.apply, (x,))                            # first derivatives are right
        assert check2(cut.apply, (x,), raise_exception=False) is False


def test_gradcheck_with_non_tensor_arguments_and_inputs_without_grad():
    x = _x(3)
    c = minitorch.tensor([1.0, 2.0, 3.0], dtype=minitorch.float64)
    assert gradcheck(lambda a, b, k: (a * b).pow(k), (x, c, 2))


def test_gradcheck_warns_on_single_precision():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision floating point"):
        gradcheck(lambda t: t * 2, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_gradcheck_accepts_non_contiguous_inputs():
    base = _x(3, 4)
    x = base.detach().t().requires_grad_()            # a permuted leaf
    assert not x.is_contiguous()
    assert gradcheck(lambda t: t * t.sum(0), (x,))
    wrong, _ = make_functions(minitorch)
    with pytest.raises(GradcheckError):
        gradcheck(wrong.apply, (x,))

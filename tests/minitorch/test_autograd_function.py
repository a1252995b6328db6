"""Custom ``autograd.Function`` against torch: ``forward(ctx, ...)``/``backward(ctx, ...)``, ``save_for_backward``
/ ``saved_tensors``, ``needs_input_grad``, ``mark_non_differentiable``, ``set_materialize_grads``, the
``setup_context`` style, ``once_differentiable``, non-tensor arguments, several outputs and double backward.
Each Function class is built for both frameworks by a factory taking the module."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch

FW = [minitorch, torch]


def _np(t):
    return t.detach().numpy()


def make_cube(fw):
    class Cube(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            ctx.seen_needs = ctx.needs_input_grad
            return x * x * x * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x * ctx.scale, None
    return Cube


def make_cube_setup_context(fw):
    class Cube(fw.autograd.Function):
        @staticmethod
        def forward(x, scale):
            return x * x * x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, scale = inputs
            ctx.save_for_backward(x, output)
            ctx.scale = scale

        @staticmethod
        def backward(ctx, grad):
            x, out = ctx.saved_tensors
            return grad * 3 * out / x, None
    return Cube


@pytest.mark.parametrize("factory", [make_cube, make_cube_setup_context], ids=["ctx_forward", "setup_context"])
def test_custom_function_values_grads_and_double_backward(factory):
    results = []
    for fw in FW:
        Cube = factory(fw)
        x = fw.tensor([0.5, -1.5, 2.0], dtype=fw.float64, requires_grad=True)
        y = Cube.apply(x, 2.0)
        assert type(y.grad_fn).__name__ if fw is torch else y.grad_fn.name()
        (g,) = fw.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = fw.autograd.grad(g.sum(), x)
        results.append((y, g, gg))
    for a, b in zip(*results):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)


def test_custom_function_node_name_and_edges():
    for fw in FW:
        Cube = make_cube(fw)
        x = fw.ones(2, requires_grad=True)
        y = Cube.apply(x, 1.0)
        name = y.grad_fn.name() if fw is minitorch else type(y.grad_fn).__name__
        assert name == "CubeBackward"
        first = y.grad_fn.next_functions[0][0]
        assert (first.name() if fw is minitorch else type(first).__name__) == "AccumulateGrad"


def test_needs_input_grad():
    for fw in FW:
        seen = []

        class Mul(fw.autograd.Function):
            @staticmethod
            def forward(ctx, a, b, k):
                seen.append(ctx.needs_input_grad)
                return a * b * k

            @staticmethod
            def backward(ctx, grad):
                return None, None, None
        Mul.apply(fw.ones(2, requires_grad=True), fw.ones(2), 3)
        Mul.apply(fw.ones(2), fw.ones(2, requires_grad=True), 3)
        assert seen == [(True, False, False), (False, True, False)]


def test_mark_non_differentiable_and_multiple_outputs():
    for fw in FW:
        class SortWithIndex(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                values, idx = x.sort()
                ctx.mark_non_differentiable(idx)
                ctx.save_for_backward(idx)
                return values, idx

            @staticmethod
            def backward(ctx, g_values, g_idx):
                (idx,) = ctx.saved_tensors
                out = fw.zeros_like(g_values)
                out[idx] = g_values
                return out
        x = fw.tensor([3.0, 1.0, 2.0], requires_grad=True)
        values, idx = SortWithIndex.apply(x)
        assert values.requires_grad and not idx.requires_grad
        (values * fw.tensor([1.0, 10.0, 100.0])).sum().backward()
        assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_mark_non_differentiable_float_output():
    for fw in FW:
        class Both(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x * 2, x * 3
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2
        a, b = Both.apply(fw.ones(2, requires_grad=True))
        assert a.requires_grad and not b.requires_grad


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    got = []
    for fw in FW:
        seen = []

        class Two(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append(gb is None)
                return ga * 2 if gb is None else ga * 2 + gb * 3
        x = fw.ones(2, requires_grad=True)
        a, _ = Two.apply(x)
        a.sum().backward()
        got.append((seen, x.grad.tolist()))
    assert got[0] == got[1]
    assert got[0][0] == [not materialize]


def test_once_differentiable_blocks_double_backward():
    for fw in FW:
        from_mod = minitorch.autograd.function if fw is minitorch else torch.autograd.function

        class Square(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @from_mod.once_differentiable
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 2 * x
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        (g,) = fw.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        assert g.tolist() == [2.0, 4.0] and not g.requires_grad     # incoming gradient had no graph
        v = fw.ones(2, requires_grad=True)
        (g,) = fw.autograd.grad(Square.apply(x), x, grad_outputs=v, create_graph=True)
        assert (g.grad_fn.name() if fw is minitorch else type(g.grad_fn).__name__) == "Error"
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                               "@once_differentiable"):
            g.sum().backward()


def test_forward_runs_without_recording_and_return_count_is_checked():
    for fw in FW:
        inside = []

        class Bad(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                inside.append(fw.is_grad_enabled())
                return x + y

            @staticmethod
            def backward(ctx, grad):
                return grad, grad, grad
        out = Bad.apply(fw.ones(2, requires_grad=True), fw.ones(2, requires_grad=True))
        assert inside == [False]
        with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
            out.sum().backward()


def test_backward_gradient_shape_is_checked():
    for fw in FW:
        class WrongShape(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, grad):
                return fw.ones(5)
        with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[5\] but expected "
                                               r"shape compatible with \[2, 3\]"):
            WrongShape.apply(fw.ones(2, 3, requires_grad=True)).sum().backward()


def test_saved_tensor_modified_after_forward():
    for fw in FW:
        Cube = make_cube(fw)
        a = fw.ones(3, requires_grad=True)
        x = a * 1
        y = Cube.apply(x, 1.0)
        x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_function_without_grad_inputs_returns_plain_tensor():
    for fw in FW:
        y = make_cube(fw).apply(fw.ones(2), 1.0)
        assert not y.requires_grad and y.grad_fn is None


def test_mark_dirty_in_place_function():
    for fw in FW:
        class Double_(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2
        a = fw.tensor([1.0, 2.0], requires_grad=True)
        y = a * 3
        z = Double_.apply(y)
        assert z is y and (z.grad_fn.name() if fw is minitorch else type(z.grad_fn).__name__) == "Double_Backward"
        assert y._version == 2
        z.sum().backward()
        assert a.grad.tolist() == [6.0, 6.0] and y.tolist() == [6.0, 12.0]
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
            Double_.apply(fw.ones(2, requires_grad=True))

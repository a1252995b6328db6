"""The autograd API against torch: graph structure (grad_fn, next_functions, AccumulateGrad), leaf/requires_grad
bookkeeping, detach, retain_grad, ``Tensor.backward`` and ``autograd.grad`` with all their arguments,
accumulation, higher-order gradients and tensor hooks. Each test runs the same code on both frameworks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch

FW = [minitorch, torch]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _name(node, fw) -> str:
    return node.name() if fw is minitorch else type(node).__name__


def _structure(node, fw):
    """(name, [children]) down to the AccumulateGrad leaves, ignoring inputs without a graph."""
    if node is None:
        return None
    return (_name(node, fw), [_structure(c, fw) for c, _ in node.next_functions if c is not None])


def _both(fn):
    return fn(minitorch), fn(torch)


def _np(t):
    return None if t is None else t.detach().numpy()


def _close(a, b, tol=1e-6):
    if a is None or b is None:
        assert a is None and b is None
        return
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


# graph structure -----------------------------------------------------------------------------------------------
def test_grad_fn_structure_matches_torch():
    def build(fw):
        x = fw.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = fw.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = (x * w).exp() + x.sin()
        y = fw.cat([h.sigmoid(), w.pow(2)]).sum()
        return _structure(y.grad_fn, fw)
    ours, theirs = _both(build)
    assert ours == theirs
    assert ours[0] == "SumBackward0"


def test_accumulate_grad_is_shared_per_leaf_and_points_to_the_variable():
    for fw in FW:
        x = fw.ones(2, requires_grad=True)
        a, b = x * 2, x * 3
        acc_a, acc_b = a.grad_fn.next_functions[0][0], b.grad_fn.next_functions[0][0]
        assert _name(acc_a, fw) == "AccumulateGrad"
        assert acc_a is acc_b and acc_a.variable is x
        assert acc_a.next_functions == ()


def test_leaf_and_requires_grad_flags():
    for fw in FW:
        x = fw.ones(2)
        assert x.is_leaf and not x.requires_grad and x.grad_fn is None
        x.requires_grad_()
        assert x.is_leaf and x.requires_grad
        y = x * 2
        assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
        z = fw.ones(2) * 2
        assert z.is_leaf and not z.requires_grad
        x.requires_grad = False
        assert not x.requires_grad
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
            y.requires_grad_(False)
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            fw.tensor([1, 2]).requires_grad_()
        assert (fw.ones(2, requires_grad=True) > 0).requires_grad is False      # bool results never require grad


def test_detach_shares_memory_and_cuts_graph():
    for fw in FW:
        x = fw.ones(3, requires_grad=True)
        y = x * 2
        d = y.detach()
        assert d.is_leaf and not d.requires_grad and d.grad_fn is None
        assert d.data_ptr() == y.data_ptr()
        d[0] = 7.0
        assert y[0].item() == 7.0
        assert d._version == y._version          # a shared version counter


def test_detach_in_place():
    for fw in FW:
        x = fw.ones(3, requires_grad=True)
        y = x * 2
        assert y.detach_() is y
        assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_retain_grad_on_non_leaf():
    grads = []
    for fw in FW:
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        h.retain_grad()
        assert h.retains_grad
        (h * 3).sum().backward()
        grads.append((h.grad, x.grad))
        q = x * 2
        assert q.grad is None                     # non-leaf without retain_grad: no .grad
    _close(grads[0][0], grads[1][0])
    _close(grads[0][1], grads[1][1])


# Tensor.backward -----------------------------------------------------------------------------------------------
def test_backward_accumulates_into_leaves():
    def run(fw):
        x = fw.tensor([1.0, -2.0, 3.0], requires_grad=True)
        for _ in range(3):
            (x * x).sum().backward()
        first = x.grad.clone()
        x.grad.zero_()
        (x * 2).sum().backward()
        return first, x.grad
    (a1, a2), (b1, b2) = _both(run)
    _close(a1, b1)
    _close(a2, b2)


def test_backward_with_gradient_argument_for_non_scalar():
    def run(fw):
        x = fw.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.sin() * x
        y.backward(fw.tensor([[1.0, -1.0], [0.5, 2.0]]))
        return x.grad
    _close(*_both(run))


def test_backward_retain_graph_allows_second_pass():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    _close(*_both(run))


def test_backward_inputs_restricts_accumulation():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        w = fw.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        h.retain_grad()
        (h * h).sum().backward(inputs=[w], retain_graph=True)
        out = [x.grad, w.grad]
        (h * x).sum().backward(inputs=h)      # a non-leaf as input: its .grad is filled
        return out + [h.grad]
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_backward_create_graph_gives_higher_order():
    def run(fw):
        x = fw.tensor([0.5, 1.5], requires_grad=True)
        (x.pow(3).sum()).backward(create_graph=True)
        g = x.grad
        assert g.requires_grad
        x.grad = None
        g.sum().backward()
        return g, x.grad
    (a1, a2), (b1, b2) = _both(run)
    _close(a1, b1)
    _close(a2, b2)


def test_backward_of_int_or_bool_scalar_fails():
    for fw in FW:
        with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            fw.tensor(3.0).backward()


# autograd.grad -------------------------------------------------------------------------------------------------
def test_grad_returns_tuple_and_leaves_grad_untouched():
    def run(fw):
        x = fw.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = fw.tensor([0.5, 0.5, 0.5], requires_grad=True)
        y = (x * w).tanh().sum()
        gx, gw = fw.autograd.grad(y, [x, w])
        assert x.grad is None and w.grad is None
        assert not gx.requires_grad
        return gx, gw
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_grad_with_grad_outputs_and_several_outputs():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y1, y2 = x * 3, x.exp()
        return fw.autograd.grad([y1, y2], x, grad_outputs=[fw.tensor([1.0, 2.0]), fw.tensor([0.5, -1.0])])
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_grad_allow_unused_and_materialize_grads():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        unused = fw.tensor([5.0], requires_grad=True)
        y = (x * x).sum()
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            fw.autograd.grad(y, [x, unused], retain_graph=True)
        g = fw.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)
        assert g[1] is None
        m = fw.autograd.grad(y, [x, unused], materialize_grads=True)
        return g[0], m[0], m[1]
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_grad_create_graph_second_and_third_derivatives():
    def run(fw):
        x = fw.tensor([0.3, -0.7, 1.1], dtype=fw.float64, requires_grad=True)
        y = (x.sin() * x.exp()).sum()
        (g1,) = fw.autograd.grad(y, x, create_graph=True)
        (g2,) = fw.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = fw.autograd.grad(g2.sum(), x)
        return g1, g2, g3
    for a, b in zip(*_both(run)):
        _close(a, b, 1e-12)


def test_gradient_penalty_and_hessian_vector_product():
    def run(fw):
        w = fw.tensor([[0.2, -0.4], [0.7, 0.1]], dtype=fw.float64, requires_grad=True)
        x = fw.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=fw.float64, requires_grad=True)
        out = (x @ w).tanh().sum()
        (gx,) = fw.autograd.grad(out, x, create_graph=True)
        penalty = (gx * gx).sum()
        penalty.backward()
        v = fw.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=fw.float64)
        (gw,) = fw.autograd.grad((w * w * w).sum(), w, create_graph=True)
        (hvp,) = fw.autograd.grad(gw, w, grad_outputs=v)
        return w.grad, x.grad, hvp
    for a, b in zip(*_both(run)):
        _close(a, b, 1e-12)


def test_grad_of_broadcast_and_dtype_promotion():
    def run(fw):
        a = fw.tensor([[1.0], [2.0]], dtype=fw.float32, requires_grad=True)
        b = fw.tensor([1.0, 2.0, 3.0], dtype=fw.float64, requires_grad=True)
        y = (a * b).sum()
        ga, gb = fw.autograd.grad(y, [a, b])
        assert str(ga.dtype).endswith("float32") and str(gb.dtype).endswith("float64")
        return ga, gb
    for x, y in zip(*_both(run)):
        _close(x, y)


def test_grad_errors():
    for fw in FW:
        x = fw.ones(2, requires_grad=True)
        y = (x * 2).sum()
        with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
            fw.autograd.grad(y, [fw.ones(2)], retain_graph=True)
        with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of"):
            fw.autograd.grad(x * 2, x, grad_outputs=fw.ones(3))
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            fw.autograd.grad(x * 2, x)


# hooks -------------------------------------------------------------------------------------------------------
def test_register_hook_replaces_gradient_on_leaf_and_non_leaf():
    def run(fw):
        seen = []
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        h = x * x
        h.register_hook(lambda g: seen.append(g.clone()) or g * 10)
        handle = x.register_hook(lambda g: g + 1)
        h.sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * x).sum().backward()
        return seen[0], first, x.grad
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_hook_returning_none_observes_only_and_hooks_run_in_order():
    for fw in FW:
        order = []
        x = fw.ones(2, requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: order.append("a"))
        y.register_hook(lambda g: order.append("b") or g * 2)
        y.register_hook(lambda g: order.append(float(g[0])))
        y.sum().backward()
        assert order == ["a", "b", 2.0]
        assert x.grad.tolist() == [6.0, 6.0]


def test_post_accumulate_grad_hook():
    for fw in FW:
        calls = []
        w = fw.ones(2, requires_grad=True)
        handle = w.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.clone()))
        (w * 4).sum().backward()
        (w * 1).sum().backward()
        handle.remove()
        (w * 1).sum().backward()
        assert [c.tolist() for c in calls] == [[4.0, 4.0], [5.0, 5.0]]
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf"):
            (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_hook_on_tensor_without_grad_fails():
    for fw in FW:
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
            fw.ones(2).register_hook(lambda g: g)


def test_grad_setter_validates():
    for fw in FW:
        x = fw.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"attempting to assign a gradient of size .\[3\]. to a tensor of "
                                               r"size .\[2\]."):
            x.grad = fw.ones(3)
        with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'double' to a tensor with "
                                               "grad_dtype 'Float'"):
            x.grad = fw.ones(2, dtype=fw.float64)
        with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type list"):
            x.grad = [1.0, 2.0]
        x.grad = fw.full((2,), 3.0)
        (x * 1).sum().backward()
        assert x.grad.tolist() == [4.0, 4.0]


def test_grad_never_aliases_the_callers_gradient_tensor():
    x = minitorch.ones(2, requires_grad=True)
    v = minitorch.tensor([1.0, 2.0])
    x.backward(v)
    x.backward(v)                      # accumulates into x.grad in place
    assert v.tolist() == [1.0, 2.0] and x.grad.tolist() == [2.0, 4.0]
    x.grad = None
    x.view(2).backward(v)
    x.grad.mul_(10)
    assert v.tolist() == [1.0, 2.0]


def test_detach_in_place_refuses_views():
    for fw in FW:
        a = fw.ones(3, requires_grad=True)
        for view in (a[:2], fw.ones(3)[:2], (a * 1)[1:]):
            with pytest.raises(RuntimeError, match=r"Can't detach views in-place. Use detach\(\) instead."):
                view.detach_()


def test_leaves_fed_by_a_pass_through_own_their_grad():
    def run(fw):
        x, y, z = (fw.ones(2, requires_grad=True) for _ in range(3))
        w = fw.tensor([2.0, 3.0])
        for _ in range(2):
            (((x + y) - z) * w).sum().backward()      # Add/Sub hand the same gradient to x, y and z
        x.grad.zero_()
        return x.grad, y.grad, z.grad
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_retain_grad_sees_gradient_after_hooks_registered_later():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        h.register_hook(lambda g: g * 10)        # registered after retain_grad, still runs before it
        (h * h).sum().backward()
        return h.grad, x.grad
    for a, b in zip(*_both(run)):
        _close(a, b)


def test_legacy_variable():
    for fw in FW:
        x = fw.ones(2)
        v = fw.autograd.Variable(x, requires_grad=True)
        assert v is not x and v.data_ptr() == x.data_ptr() and v.requires_grad and v.is_leaf
        assert isinstance(x, fw.autograd.Variable)
        c = fw.autograd.Variable(fw.ones(2, requires_grad=True) * 2)
        assert c.grad_fn is None and not c.requires_grad


def test_node_hooks():
    def run(fw):
        seen = []
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 2,))
        handle = y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(
            (grad_inputs[0].clone(), grad_outputs[0].clone())))
        y.sum().backward(retain_graph=True)
        handle.remove()
        y.sum().backward()
        return seen[0][0], seen[0][1], x.grad, len(seen)
    ours, theirs = _both(run)
    for a, b in zip(ours[:3], theirs[:3]):
        _close(a, b)
    assert ours[3] == theirs[3] == 1


def test_autograd_backward_function_with_several_roots():
    def run(fw):
        x = fw.tensor([1.0, 2.0], requires_grad=True)
        w = fw.tensor([0.5, -1.0], requires_grad=True)
        y1, y2 = x * w, (x * x).sum()
        fw.autograd.backward([y1, y2], grad_tensors=[fw.tensor([1.0, 3.0]), None])
        fw.autograd.backward((w * 2).sum(), inputs=[w])
        return x.grad, w.grad
    for a, b in zip(*_both(run)):
        _close(a, b)


NEXT_FUNCTIONS = {
    "sum": lambda fw, x: x.sum(), "sum_dim": lambda fw, x: x.sum(1), "mean": lambda fw, x: x.mean(),
    "relu": lambda fw, x: x.relu(), "view": lambda fw, x: x.view(6), "add_scalar": lambda fw, x: x + 1,
    "mul_scalar": lambda fw, x: x * 2, "div_scalar": lambda fw, x: x / 2, "sub_scalar": lambda fw, x: x - 1,
    "add_tensor": lambda fw, x: x + fw.ones(3), "clamp": lambda fw, x: x.clamp(0, 1), "pow": lambda fw, x: x ** 2,
    "t": lambda fw, x: x.t(), "select": lambda fw, x: x[0], "softmax": lambda fw, x: x.softmax(1),
    "add_": lambda fw, x: (x * 1).add_(1), "zero_": lambda fw, x: (x * 1).zero_(),
    "fill_": lambda fw, x: (x * 1).fill_(1.0), "copy_": lambda fw, x: (x * 1).copy_(fw.zeros(3)),
    "cat": lambda fw, x: fw.cat([x, x * 2]), "custom": lambda fw, x: _custom(fw).apply(x, 2.0, fw.ones(3)),
}


def _custom(fw):
    class Scale(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, y):
            return x * k * y

        @staticmethod
        def backward(ctx, g):
            return g, None, g
    return Scale


@pytest.mark.parametrize("case", list(NEXT_FUNCTIONS), ids=list(NEXT_FUNCTIONS))
def test_next_functions_entries_match_torch(case):
    entries = []
    for fw in FW:
        x = fw.ones(2, 3, requires_grad=True)
        node = NEXT_FUNCTIONS[case](fw, x).grad_fn
        entries.append([None if n is None else _name(n, fw) for n, _ in node.next_functions])
    assert entries[0] == entries[1]

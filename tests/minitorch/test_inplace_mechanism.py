"""Unit tests of the in-place machinery (minitorch/_ops/inplace.py): aliasing and version counters, the
no-grad fast path, history rebasing (views of non-leaves get torch's CopySlices / AsStridedBackward0),
and overwrites by values without history (zero_, fill_, copy_) cutting the old values' gradient."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch


def test_inplace_returns_self_and_keeps_memory():
    x = minitorch.ones(2, 3)
    ptr, version = x.data_ptr(), x._version
    for op in (lambda t: t.add_(1), lambda t: t.mul_(2.0), lambda t: t.clamp_(0, 3), lambda t: t.zero_(),
               lambda t: t.fill_(4), lambda t: t.sqrt_(), lambda t: t.copy_(minitorch.zeros(3))):
        assert op(x) is x
    y = x
    y += 1
    y *= 3
    assert y is x and x.data_ptr() == ptr
    assert x._version == version + 9
    assert x.tolist() == [[3.0] * 3] * 2


def test_no_grad_path_records_nothing_and_makes_no_copy(monkeypatch):
    from minitorch._ops import inplace
    w = minitorch.ones(4, requires_grad=True)
    g = minitorch.full((4,), 0.5)
    calls = []
    monkeypatch.setattr(inplace, "inplace_op", lambda *a, **k: calls.append(a[1]))
    ptr = w.data_ptr()
    with minitorch.no_grad():
        w.add_(g, alpha=-0.1).mul_(0.9).sub_(g).div_(2.0)
        w -= 0.1 * g
        w.addcmul_(g, g, value=0.5).addcdiv_(g, g, value=-0.5)
    assert calls == []                        # the direct ``out=`` path: no out-of-place op, no copy
    assert w.is_leaf and w.grad_fn is None and w.requires_grad and w.data_ptr() == ptr
    expected = ((1 - 0.05) * 0.9 - 0.5) / 2 - 0.05 + 0.125 - 0.5
    np.testing.assert_allclose(w.detach().numpy(), np.full(4, expected, np.float32), rtol=1e-6)


def test_inplace_on_tensor_without_grad_takes_history_of_other():
    w = minitorch.tensor([1.0, 2.0], requires_grad=True)
    acc = minitorch.zeros(2)
    acc.add_(w * 3)
    assert acc.requires_grad and not acc.is_leaf and acc.grad_fn.name() == "AddBackward0"
    acc.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_overwrite_cuts_gradient_of_old_values():
    for fw in (minitorch, torch):
        a = fw.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = a * 2
        x.zero_()
        y = a * 2
        y.fill_(5.0)
        z = a * 2
        z.copy_(fw.tensor([1.0, 1.0, 1.0]))
        (x.sum() + y.sum() + z.sum()).backward()
        assert a.grad.tolist() == [0.0, 0.0, 0.0]


def test_fill_with_tensor_that_requires_grad():
    v = minitorch.tensor(2.0, requires_grad=True)
    x = minitorch.zeros(3)
    x.fill_(v)
    assert x.grad_fn.name() == "FillBackward3"
    (x * minitorch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 6.0


def test_write_into_view_of_non_leaf_rebases_the_base():
    grads = []
    for fw in (minitorch, torch):
        a = fw.arange(12.0).reshape(3, 4).requires_grad_()
        x = a * 1
        v = x[1:, ::2]
        v.mul_(fw.tensor([2.0, 3.0]))
        assert (x.grad_fn.name() if fw is minitorch else type(x.grad_fn).__name__) == "CopySlices"
        assert (v.grad_fn.name() if fw is minitorch else type(v.grad_fn).__name__) == "AsStridedBackward0"
        (x * x).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_write_into_view_of_permuted_non_leaf():
    grads = []
    for fw in (minitorch, torch):
        a = fw.arange(12.0).reshape(3, 4).requires_grad_()
        x = a.t() * 1                       # a non-contiguous result
        x.narrow(1, 1, 2).sigmoid_()
        (x * fw.arange(12.0).reshape(4, 3)).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_write_into_view_of_tensor_without_grad():
    w = minitorch.tensor([1.0, 2.0], requires_grad=True)
    buf = minitorch.zeros(2, 2)
    buf[0].copy_(w)
    assert buf.requires_grad and buf.grad_fn.name() == "CopySlices"
    (buf * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_saved_input_modified_in_place_is_caught():
    a = minitorch.ones(3, requires_grad=True)
    b = a * 1
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[minitorch.FloatTensor \[3\]\], which "
                                           r"is output 0 of Add, is at version 1; expected version 0 instead"):
        c.sum().backward()


def test_int_result_cannot_be_written_into_int_tensor_and_self_is_untouched():
    x = minitorch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x.add_(1.5)
    assert x.tolist() == [1, 2] and x._version == 0


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
def test_fast_path_falls_back_for_bad_broadcast(op):
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        getattr(minitorch.ones(3), op)(minitorch.ones(2, 3))


def test_fast_path_reads_overlapping_input_before_writing():
    # torch refuses partial overlap ("unsupported operation: some elements of the input tensor and the
    # written-to tensor refer to a single memory location"); minitorch computes as if the input were cloned
    x = minitorch.arange(6.0)
    with minitorch.no_grad():
        x[1:].add_(x[:-1])
    assert x.tolist() == [0.0, 1.0, 3.0, 5.0, 7.0, 9.0]

"""Autograd safety against torch: the version-counter check on saved tensors, in-place on (views of) leaves,
backward through a freed graph, implicit gradients of non-scalars, ``detect_anomaly``; and memory: saved
arrays are released by backward, the graph is freed by reference counting alone (no cycles), and
memory stays flat over many training steps."""
from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import minitorch
from parity import assert_raises_like_torch

FW = [minitorch, torch]


# version counter -----------------------------------------------------------------------------------------------
def test_saved_input_modified_in_place():
    def run(fw):
        a = fw.ones(2, 3, requires_grad=True)
        b = a * 2
        c = b.sin()
        b.add_(1)
        c.sum().backward()
    _, err = assert_raises_like_torch(run, match=r"one of the variables needed for gradient computation has been "
                                      r"modified by an inplace operation: \[minitorch.FloatTensor \[2, 3\]\], which is "
                                      r"output 0 of Add, is at version 1; expected version 0 instead")
    assert "is at version 1; expected version 0 instead" in str(err)


def test_saved_output_modified_in_place():
    def run(fw):
        a = fw.ones(3, dtype=fw.float64, requires_grad=True)
        b = a.exp()
        b.mul_(2)
        b.sum().backward()
    assert_raises_like_torch(run, match=r"\[minitorch.DoubleTensor \[3\]\], which is output 0 of Mul, is at version 1; "
                                         r"expected version 0")


def test_version_counts_every_write():
    def run(fw):
        a = fw.ones(3, requires_grad=True)
        b = a * 1
        c = b * b
        b.add_(1)
        b.mul_(2)
        b[0] = 5.0
        c.sum().backward()
    assert_raises_like_torch(run, match="is at version 3; expected version 0 instead")


def test_modification_of_unsaved_tensor_is_fine():
    for fw in FW:
        a = fw.ones(3, requires_grad=True)
        b = a * 1
        c = b + 1                 # add saves nothing
        b.mul_(3)
        (c.sum() + b.sum()).backward()
        assert a.grad.tolist() == [4.0, 4.0, 4.0]


# in-place on leaves ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["add_(1)", "mul_(2)", "zero_()", "fill_(1.)", "clamp_(0, 1)", "sigmoid_()",
                                "copy_(fw.zeros(3))"])
def test_inplace_on_leaf_requiring_grad(op):
    assert_raises_like_torch(lambda fw: eval("x." + op, {"fw": fw, "x": fw.ones(3, requires_grad=True)}),
                             match="a leaf Variable that requires grad is being used in an in-place operation.")


def test_inplace_on_view_of_leaf():
    view_of_leaf = "a view of a leaf Variable that requires grad is being used in an in-place operation."
    assert_raises_like_torch(lambda fw: fw.ones(3, 2, requires_grad=True)[1].mul_(2), match=view_of_leaf)
    assert_raises_like_torch(lambda fw: fw.ones(3, 2, requires_grad=True).view(6).add_(1), match=view_of_leaf)


def test_setitem_on_leaf():
    def run(fw):
        x = fw.ones(3, requires_grad=True)
        x[0] = 2.0
    assert_raises_like_torch(run, match="a leaf Variable that requires grad is being used in an in-place operation.")


# freed graph ----------------------------------------------------------------------------------------------------
FREED = "Trying to backward through the graph a second time"


def test_second_backward_through_freed_graph():
    def run(fw):
        x = fw.ones(2, requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()
    assert_raises_like_torch(run, match=FREED)


def test_saved_tensors_after_free():
    for fw in FW:
        class Keep(fw.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        y = Keep.apply(fw.ones(2, requires_grad=True))
        assert len(y.grad_fn.saved_tensors) == 1
        y.sum().backward()
        with pytest.raises(RuntimeError, match=FREED):
            y.grad_fn.saved_tensors


def test_second_backward_ok_when_nothing_saved_or_retained():
    for fw in FW:
        x = fw.ones(2, requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()                             # no node saved anything: allowed, as in torch
        z = (x * x).sum()
        z.backward(retain_graph=True)
        z.backward()
        assert x.grad.tolist() == [6.0, 6.0]


def test_autograd_grad_frees_graph_too():
    def run(fw):
        x = fw.ones(2, requires_grad=True)
        y = (x * x).sum()
        fw.autograd.grad(y, x)
        fw.autograd.grad(y, x)
    assert_raises_like_torch(run, match=FREED)


# implicit gradients -------------------------------------------------------------------------------------------
def test_non_scalar_backward_needs_gradient():
    assert_raises_like_torch(lambda fw: (fw.ones(2, requires_grad=True) * 2).backward(),
                             match="grad can be implicitly created only for scalar outputs")


def test_backward_on_tensor_without_grad():
    assert_raises_like_torch(lambda fw: fw.ones(2).sum().backward(),
                             match="element 0 of tensors does not require grad and does not have a grad_fn")


def test_backward_with_empty_inputs():
    assert_raises_like_torch(lambda fw: (fw.ones(2, requires_grad=True) * 2).sum().backward(inputs=[]),
                             match="`inputs` argument to `backward\\(\\)` cannot be empty.")


def test_backward_gradient_of_wrong_shape():
    assert_raises_like_torch(lambda fw: (fw.ones(2, requires_grad=True) * 2).backward(fw.ones(3)),
                             match=r"Mismatch in shape: grad_output\[0\] has a shape of .*\[3\].* and "
                                   r"output\[0\] has a shape of .*\[2\]")


# anomaly detection ----------------------------------------------------------------------------------------------
def _nan_function(fw):
    class NanBack(fw.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    return NanBack


# pytest.warns records every warning, including the inf * 0 RuntimeWarning that minitorch silences as torch does,
# and re-emits those it did not expect
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_sqrt_backward():
    def run(fw):
        x = fw.zeros(2, requires_grad=True)
        with fw.autograd.detect_anomaly():
            (x.sqrt() * 0).sum().backward()     # inf * 0 in SqrtBackward0
    with pytest.warns(UserWarning):
        assert_raises_like_torch(run, match="Function 'SqrtBackward0' returned nan values in its 0th output.")


def test_detect_anomaly_names_custom_function_and_its_forward_line():
    with pytest.raises(RuntimeError, match="Function 'NanBackBackward' returned nan values in its 0th output.") as err, \
            pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with minitorch.autograd.detect_anomaly():
            y = _nan_function(minitorch).apply(minitorch.ones(2, requires_grad=True))   # forward-line marker
            y.sum().backward()
    assert "forward-line marker" in str(err.value)


def _anomaly_on(fw) -> bool:
    return minitorch.autograd.is_anomaly_enabled() if fw is minitorch else torch.is_anomaly_enabled()


def test_anomaly_modes_switch_and_restore():
    for fw in FW:
        assert not _anomaly_on(fw)
        with fw.autograd.set_detect_anomaly(True, check_nan=False):
            assert _anomaly_on(fw)
            _nan_function(fw).apply(fw.ones(2, requires_grad=True)).sum().backward()   # nan allowed
        assert not _anomaly_on(fw)



@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
def test_detect_anomaly_as_decorator():
    @minitorch.autograd.detect_anomaly()
    def inner():
        return minitorch.autograd.is_anomaly_enabled()
    assert inner() and not minitorch.autograd.is_anomaly_enabled()


def test_without_anomaly_mode_nan_passes_silently():
    for fw in FW:
        x = fw.ones(2, requires_grad=True)
        _nan_function(fw).apply(x).sum().backward()
        assert np.isnan(x.grad.numpy()).all()


# memory --------------------------------------------------------------------------------------------------------
@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_backward_releases_saved_arrays_without_gc(no_gc):
    x = minitorch.randn(1000, requires_grad=True)
    h = x.exp()                          # ExpBackward0 saves its output
    t = h.tanh()                         # TanhBackward0 saves its output
    y = (t * h).sum()                    # MulBackward0 saves both inputs
    refs = {"h": weakref.ref(h._data), "t": weakref.ref(t._data)}
    node = weakref.ref(h.grad_fn)
    del h, t
    assert all(r() is not None for r in refs.values())      # kept alive by the graph, for backward
    y.backward()
    assert all(r() is None for r in refs.values()), "backward must release the saved arrays"
    assert node() is not None                                # the (empty) graph lives as long as y
    del y
    assert node() is None, "the graph must be freed by reference counting (no cycles)"


def test_graph_freed_by_refcount_when_outputs_dropped_without_backward(no_gc):
    x = minitorch.randn(50, 20, requires_grad=True)
    w = minitorch.randn(20, 10, requires_grad=True)
    h = (x @ w).relu()
    out = (h.sigmoid() * h).mean()
    refs = [weakref.ref(out.grad_fn), weakref.ref(h.grad_fn), weakref.ref(h._data)]
    del h, out
    assert [r() for r in refs] == [None, None, None]


def test_retain_graph_keeps_saved_arrays_until_last_backward(no_gc):
    x = minitorch.randn(100, requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    ref = weakref.ref(h._data)
    del h
    y.backward(retain_graph=True)
    assert ref() is not None
    y.backward()
    assert ref() is None


def test_no_garbage_cycles_from_a_training_step():
    gc.collect()
    x = minitorch.randn(16, 8)
    w = minitorch.randn(8, 4, requires_grad=True)
    for _ in range(3):
        loss = ((x @ w).tanh() ** 2).mean()
        h = loss * 1
        h.retain_grad()
        h.register_hook(lambda g: g)
        h.backward()
        with minitorch.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
        del loss, h
    assert gc.collect() == 0


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_memory_flat_over_200_training_steps():
    rng = np.random.default_rng(0)
    x = minitorch.tensor(rng.standard_normal((32, 16)), dtype=minitorch.float32)
    target = minitorch.tensor(rng.standard_normal((32, 1)), dtype=minitorch.float32)
    w1 = minitorch.tensor(rng.standard_normal((16, 32)) * 0.1, dtype=minitorch.float32, requires_grad=True)
    w2 = minitorch.tensor(rng.standard_normal((32, 1)) * 0.1, dtype=minitorch.float32, requires_grad=True)

    def step():
        loss = ((x @ w1).relu() @ w2 - target).pow(2).mean()
        loss.backward()
        with minitorch.no_grad():
            for p in (w1, w2):
                p -= 0.01 * p.grad
                p.grad.zero_()
        return loss.item()

    def array_bytes() -> int:     # memory of NumPy array buffers only (Python free lists fill up for a while)
        snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)])
        return sum(stat.size for stat in snap.statistics("filename"))

    def live_objects() -> int:
        return sum(isinstance(o, (minitorch.Tensor, minitorch.autograd.graph.Node)) for o in gc.get_objects())

    tracemalloc.start()
    try:
        for _ in range(20):
            step()
        arrays, objects = array_bytes(), live_objects()
        tracemalloc.reset_peak()
        losses = [step() for _ in range(200)]
        current, peak = tracemalloc.get_traced_memory()
        arrays_after, objects_after = array_bytes(), live_objects()
    finally:
        tracemalloc.stop()
    assert arrays_after - arrays <= 0, f"array memory grew by {arrays_after - arrays} bytes over 200 steps"
    assert objects_after == objects, f"{objects_after - objects} more tensors/graph nodes alive after 200 steps"
    assert peak - current < 200_000, f"peak {peak - current} bytes above the current memory during training"
    assert losses[-1] < losses[0]

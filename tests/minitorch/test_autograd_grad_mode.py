"""Grad modes against torch: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode`` as context
managers and as decorators (bare and called, on functions and generators), nesting and restoring on
exceptions; ``is_grad_enabled`` / ``is_inference_mode_enabled``."""
from __future__ import annotations

import pytest
import torch

import minitorch

FW = [minitorch, torch]


@pytest.mark.parametrize("fw", FW, ids=["minitorch", "torch"])
def test_context_managers_and_nesting(fw):
    x = fw.ones(2, requires_grad=True)
    assert fw.is_grad_enabled()
    with fw.no_grad():
        assert not fw.is_grad_enabled()
        assert not (x * 2).requires_grad
        with fw.enable_grad():
            assert fw.is_grad_enabled() and (x * 2).requires_grad
        with fw.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not fw.is_grad_enabled()
    assert fw.is_grad_enabled()
    with fw.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert fw.is_grad_enabled()
    with fw.inference_mode():
        assert fw.is_inference_mode_enabled() and not fw.is_grad_enabled()
        assert not (x * 2).requires_grad
        with fw.inference_mode(False):
            assert not fw.is_inference_mode_enabled() and fw.is_grad_enabled()
    assert not fw.is_inference_mode_enabled() and fw.is_grad_enabled()
    with fw.inference_mode(mode=False):
        assert fw.is_grad_enabled() and (x * 2).requires_grad
    with fw.no_grad():
        with fw.inference_mode(False):
            assert fw.is_grad_enabled()


@pytest.mark.parametrize("fw", FW, ids=["minitorch", "torch"])
def test_set_grad_enabled_as_function_applies_immediately(fw):
    try:
        fw.set_grad_enabled(False)
        assert not fw.is_grad_enabled()
        fw.set_grad_enabled(True)
        assert fw.is_grad_enabled()
    finally:
        fw.set_grad_enabled(True)


@pytest.mark.parametrize("fw", FW, ids=["minitorch", "torch"])
def test_modes_restore_after_exception(fw):
    with pytest.raises(ValueError):
        with fw.no_grad():
            raise ValueError
    assert fw.is_grad_enabled()
    with pytest.raises(ValueError):
        with fw.inference_mode():
            raise ValueError
    assert fw.is_grad_enabled() and not fw.is_inference_mode_enabled()


@pytest.mark.parametrize("fw", FW, ids=["minitorch", "torch"])
def test_decorators(fw):
    x = fw.ones(2, requires_grad=True)

    @fw.no_grad()
    def called():
        return x * 2, fw.is_grad_enabled()

    @fw.no_grad
    def bare():
        return x * 2

    @fw.enable_grad()
    def enabled():
        return x * 2

    @fw.set_grad_enabled(False)
    def disabled():
        return x * 2

    @fw.inference_mode()
    def inference():
        return fw.is_inference_mode_enabled()

    @fw.inference_mode
    def inference_bare():
        return fw.is_inference_mode_enabled()

    y, flag = called()
    assert not y.requires_grad and not flag and fw.is_grad_enabled()
    assert not bare().requires_grad
    assert fw.is_grad_enabled()                  # defining @set_grad_enabled(False) did not leave grad off
    assert not disabled().requires_grad
    with fw.no_grad():
        assert enabled().requires_grad
    assert inference() and inference_bare() and not fw.is_inference_mode_enabled()
    assert called.__name__ == "called" and bare.__name__ == "bare"


@pytest.mark.parametrize("fw", FW, ids=["minitorch", "torch"])
def test_decorated_generator_applies_mode_only_while_running(fw):
    x = fw.ones(2, requires_grad=True)

    @fw.no_grad()
    def gen():
        for _ in range(3):
            received = yield (x * 2).requires_grad, fw.is_grad_enabled()
            assert received in (None, "hi")

    g = gen()
    assert next(g) == (False, False)
    assert fw.is_grad_enabled()                   # outside the generator, grad mode is back
    assert (x * 2).requires_grad
    assert g.send("hi") == (False, False)
    assert fw.is_grad_enabled()
    g.close()


def test_no_grad_outputs_match_torch_leaf_flags():
    flags = []
    for fw in FW:
        w = fw.ones(2, requires_grad=True)
        with fw.no_grad():
            y = w * 2
            v = w.view(2)
        flags.append((y.is_leaf, y.requires_grad, y.grad_fn is None, v.grad_fn is None, v.requires_grad))
    assert flags[0] == flags[1]

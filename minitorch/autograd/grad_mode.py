"""Grad modes: mirrors ``torch.no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``
and ``torch.is_grad_enabled`` (each usable as a context manager and as a decorator).

The mode is one process-wide flag; ops consult it to decide whether to record a graph node.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

_state = {"grad": True, "inference": False}


def is_grad_enabled() -> bool:
    return _state["grad"]


def is_inference_mode_enabled() -> bool:
    return _state["inference"]


class _Mode:
    """Base for grad-mode context managers that also work as decorators."""

    _grad: bool = True
    _inference: bool = False

    def __enter__(self) -> None:
        self._prev = (_state["grad"], _state["inference"])
        _state["grad"], _state["inference"] = self._grad, self._inference

    def __exit__(self, *exc: Any) -> None:
        _state["grad"], _state["inference"] = self._prev

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        gen.close()
                        raise
                    with self.clone():
                        value = gen.send(sent)
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self) -> "_Mode":
        return self.__class__()


class no_grad(_Mode):
    """Disables graph recording inside the block (also usable bare: ``@no_grad``)."""

    _grad = False

    def __new__(cls, orig_func: Callable | None = None):
        self = super().__new__(cls)
        return self(orig_func) if orig_func is not None else self

    def __init__(self, orig_func: Callable | None = None):
        pass


class enable_grad(no_grad):
    """Re-enables graph recording inside a ``no_grad`` block."""

    _grad = True


class set_grad_enabled(_Mode):
    """Sets grad mode to ``mode`` at once (as torch does) and restores the previous mode on exit."""

    def __init__(self, mode: bool):
        self._grad = bool(mode)
        self._prev = (_state["grad"], _state["inference"])
        _state["grad"] = self._grad

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable) -> Callable:
        _state["grad"], _state["inference"] = self._prev   # as a decorator it must not stay set
        return super().__call__(fn)

    def clone(self) -> "set_grad_enabled":
        return set_grad_enabled(self._grad)


class inference_mode(_Mode):
    """Like ``no_grad`` and also reported by ``is_inference_mode_enabled``; ``inference_mode(False)`` turns
    both off (grad mode on), as torch's does. Usable bare as a decorator: ``@inference_mode``."""

    def __new__(cls, mode: "bool | Callable" = True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode: "bool | Callable" = True):
        self._mode = bool(mode) if not callable(mode) else True
        self._grad = not self._mode
        self._inference = self._mode

    def clone(self) -> "inference_mode":
        return inference_mode(self._mode)

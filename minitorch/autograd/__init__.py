"""Automatic differentiation: mirrors ``torch.autograd`` (``backward``, ``grad``, ``Function``, grad modes,
anomaly detection, ``gradcheck`` and the ``functional`` API).
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import _tensor   # the module (it imports this package first): Tensor is read from it at call time

from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from . import functional, graph
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, _tensor.Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs: tuple, grad_outputs: tuple, is_grads_batched: bool = False) -> list:
    """Default output gradients: ones for scalars; a non-scalar output needs an explicit gradient."""
    from .._ops.creation import ones_like
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = ones_like(out)
        elif not isinstance(g, _tensor.Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                               f"has a shape of {out.shape}.")
        elif not g.requires_grad:        # a view of the caller's tensor: .grad never aliases it
            g = _tensor.Tensor._make(g._data.view(), g._storage)
        grads.append(g)
    return grads


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, _tensor.Tensor)


class Variable(metaclass=_VariableMeta):
    """Legacy ``torch.autograd.Variable(data, requires_grad=False)``: a new leaf sharing ``data``'s memory
    (every tensor is an instance)."""

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        return data.detach().requires_grad_(requires_grad)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulates gradients of ``tensors`` into the ``.grad`` of graph leaves (or of ``inputs``)."""
    tensors = _as_tuple(tensors)
    grads = _make_grads(tensors, _as_tuple(grad_tensors if grad_tensors is not None else grad_variables))
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs) if inputs is not None else None
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(tensors, grads, retain_graph, create_graph, inputs, accumulate=True)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Returns the gradients of ``outputs`` w.r.t. ``inputs`` without touching ``.grad``."""
    from .._ops.creation import zeros_like
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grads = _make_grads(outputs, _as_tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs, accumulate=False,
                          allow_unused=allow_unused)
    if materialize_grads:
        result = tuple(zeros_like(x) if g is None else g for g, x in zip(result, inputs))
    return result


__all__ = ["Function", "FunctionCtx", "Variable", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "once_differentiable",
           "functional", "graph", "gradcheck",
           "gradgradcheck", "GradcheckError"]

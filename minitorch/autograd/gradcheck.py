"""Finite-difference gradient checks: mirrors ``torch.autograd.gradcheck`` and ``gradgradcheck``.

``gradcheck`` builds the full Jacobian of ``fn`` at the float64 inputs twice — by central differences
and by backpropagating each basis cotangent — and compares them. ``gradgradcheck`` applies the same
test to the function that maps inputs to their vector-Jacobian product (so it checks the backward
formulas' own derivatives, i.e. the double-backward path).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical Jacobians differ."""


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else ((x,) if not isinstance(x, list) else tuple(x))


def _differentiable_outputs(out: Any) -> list:
    from .._tensor import Tensor
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _numerical_jacobians(fn: Callable, inputs: tuple, wrt: list[int], eps: float) -> list[list[np.ndarray]]:
    """jac[k][j]: d output j / d input wrt[k], shape (numel(input), numel(output)), by central differences."""
    from .grad_mode import no_grad
    with no_grad():
        outs = [o._data.copy() for o in _differentiable_outputs(fn(*inputs))]
    jac = []
    for i in wrt:
        data = inputs[i]._data             # perturbed in place, element by element (any strides)
        if not data.flags.writeable:
            raise GradcheckError(f"gradcheck cannot perturb input {i}: its elements share memory (an expanded "
                                 "tensor); pass a contiguous copy")
        cols = [np.zeros((data.size, o.size)) for o in outs]
        for e, idx in enumerate(np.ndindex(data.shape)):
            orig = data[idx]
            with no_grad():
                data[idx] = orig + eps
                plus = [o._data.astype(np.float64).ravel() for o in _differentiable_outputs(fn(*inputs))]
                data[idx] = orig - eps
                minus = [o._data.astype(np.float64).ravel() for o in _differentiable_outputs(fn(*inputs))]
                data[idx] = orig
            for j in range(len(outs)):
                cols[j][e] = (plus[j] - minus[j]) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical_jacobians(fn: Callable, inputs: tuple, wrt: list[int]) -> list[list[np.ndarray]]:
    from .._tensor import Tensor
    from . import grad as autograd_grad
    outs = _differentiable_outputs(fn(*inputs))
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for o in outs] for i in wrt]
    for j, out in enumerate(outs):
        for e in range(out.numel()):
            cot = np.zeros(out.shape, dtype=out._data.dtype)
            cot.reshape(-1)[e] = 1.0
            if not out.requires_grad:
                continue
            grads = autograd_grad([out], [inputs[i] for i in wrt], [Tensor._make(cot)], retain_graph=True,
                                  allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    jac[k][j][:, e] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **kwargs: Any) -> bool:
    """Checks analytical gradients of ``func`` against central finite differences (float64 inputs)."""
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in wrt:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point.")
    numerical = _numerical_jacobians(func, inputs, wrt, eps)
    analytical = _analytical_jacobians(func, inputs, wrt)
    for k, i in enumerate(wrt):
        for j, (num, ana) in enumerate(zip(numerical[k], analytical[k])):
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                worst = np.unravel_index(np.argmax(np.abs(ana - num)), ana.shape)
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{ana}\n"
                    f"worst at (input element {worst[0]}, output element {worst[1]}): "
                    f"numerical {num[worst]:.6g} vs analytical {ana[worst]:.6g}")
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Sequence | None = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, **kwargs: Any) -> bool:
    """Checks second derivatives: gradcheck of ``(inputs, cotangents) -> vjp(func, inputs, cotangents)``."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    from .grad_mode import enable_grad
    inputs = _as_tuple(inputs)
    outs = _differentiable_outputs(func(*inputs))
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        cots = tuple(Tensor._make(rng.standard_normal(o.shape)).requires_grad_() for o in outs)
    else:
        cots = tuple(_as_tuple(grad_outputs))
    n = len(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def vjp(*args: Any) -> tuple:
        xs, cs = args[:n], args[n:]
        with enable_grad():      # the finite differences call this under no_grad: the vjp needs its graph
            o = [y for y in _differentiable_outputs(func(*xs)) if y.requires_grad]
            grads = autograd_grad(o, [xs[i] for i in wrt], list(cs[:len(o)]), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(vjp, inputs + cots, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)

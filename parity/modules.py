"""Module parity: build the same layer in both frameworks, copy torch's weights into minitorch with
``load_state_dict(torch_module.state_dict())`` and compare everything a training step touches.

``check_module(make, *specs)`` calls ``make(fw)`` for ``fw = torch`` and ``fw = minitorch``, for each dtype and
mode (train / eval) and each input layout, and compares: the ``state_dict`` keys (names and order), the outputs,
the gradients of the inputs and of every parameter against one random cotangent, and the buffers after the
forward pass (running statistics). Inputs are described with the specs of ``parity.harness.check``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

import minitorch

from .harness import (LAYOUTS, TOLERANCES, ParityError, Result, _flatten, _layout_applies, make_inputs,
                      assert_close, max_abs_diff, spec, to_minitorch)


def copy_weights(src: torch.nn.Module, dst: minitorch.nn.Module) -> None:
    """``dst.load_state_dict(src.state_dict())`` with the tensors converted (strict: every key must match)."""
    dst.load_state_dict({k: to_minitorch(v) for k, v in src.state_dict().items()})


def check_module(make: Callable[[Any], Any], *input_specs: Any, dtypes: Sequence[str] = ("float32", "float64"),
                 modes: Sequence[str] = ("train", "eval"), layouts: Sequence[str] = LAYOUTS, grad: bool = True,
                 seed: int = 0, tol: dict | None = None, calls: int = 1) -> Result:
    """Raises ``ParityError`` on any difference between ``make(minitorch)`` and ``make(torch)``.

    ``calls`` runs the forward pass that many times before comparing (running statistics accumulate).
    """
    specs = [spec(s) for s in input_specs]
    tols = {**TOLERANCES, **(tol or {})}
    result = Result()
    for dtype in dtypes:
        rtol, atol = tols[dtype]
        for mode in modes:
            for layout in layouts:
                if layout != "contiguous" and not _layout_applies(layout, specs):
                    continue
                where = f"[{dtype}, {mode}, {layout}]"
                torch.manual_seed(seed)
                th_mod = make(torch).to(getattr(torch, dtype))
                mt_mod = make(minitorch).to(getattr(minitorch, dtype))
                if list(mt_mod.state_dict()) != list(th_mod.state_dict()):
                    raise ParityError(f"{where} state_dict keys {list(mt_mod.state_dict())} != torch's "
                                      f"{list(th_mod.state_dict())}")
                copy_weights(th_mod, mt_mod)
                th_mod.train(mode == "train")
                mt_mod.train(mode == "train")
                rng = np.random.default_rng(seed)
                mt_in, th_in = make_inputs(specs, dtype, layout, grad, rng)
                for _ in range(calls):
                    mt_out, th_out = mt_mod(*mt_in), th_mod(*th_in)
                mt_flat, th_flat = _flatten(mt_out), _flatten(th_out)
                if len(mt_flat) != len(th_flat):
                    raise ParityError(f"{where} minitorch returned {len(mt_flat)} outputs, torch {len(th_flat)}")
                for i, (a, e) in enumerate(zip(mt_flat, th_flat)):
                    assert_close(a, e, f"{where} output {i}", rtol, atol)
                    result.max_value_diff = max(result.max_value_diff, max_abs_diff(a, e))
                for (name, a), (_, e) in zip(mt_mod.named_buffers(), th_mod.named_buffers()):
                    assert_close(a, e, f"{where} buffer {name!r} after forward", rtol, atol)
                if grad:
                    _check_module_grads(mt_mod, th_mod, mt_in, th_in, mt_flat, th_flat, where, rtol, atol, rng,
                                        result)
                result.cases.append((dtype, mode, layout))
    return result


def _check_module_grads(mt_mod: Any, th_mod: Any, mt_in: list, th_in: list, mt_flat: list, th_flat: list,
                        where: str, rtol: float, atol: float, rng: np.random.Generator, result: Result) -> None:
    outs = [i for i, t in enumerate(th_flat) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not outs:
        return
    th_params = [p for p in th_mod.parameters() if p.requires_grad]
    mt_params = [p for p in mt_mod.parameters() if p.requires_grad]
    names = [n for n, p in th_mod.named_parameters() if p.requires_grad]
    wrt = [i for i, t in enumerate(th_in) if isinstance(t, torch.Tensor) and t.requires_grad]
    cots = [rng.standard_normal(tuple(th_flat[i].shape)).astype(th_flat[i].detach().numpy().dtype) for i in outs]
    th_grads = torch.autograd.grad([th_flat[i] for i in outs], [th_in[i] for i in wrt] + th_params,
                                   [torch.from_numpy(c) for c in cots], allow_unused=True)
    mt_grads = minitorch.autograd.grad([mt_flat[i] for i in outs], [mt_in[i] for i in wrt] + mt_params,
                                       [minitorch.from_numpy(c.copy()) for c in cots], allow_unused=True)
    labels = [f"input {i}" for i in wrt] + [f"parameter {n!r}" for n in names]
    for label, a, e in zip(labels, mt_grads, th_grads):
        what = f"{where} gradient of {label}"
        if (a is None) != (e is None):
            raise ParityError(f"{what}: torch gave {'None' if e is None else 'a gradient'}, minitorch "
                              f"{'None' if a is None else 'a gradient'}")
        if e is not None:
            assert_close(a, e, what, rtol, atol)
            result.max_grad_diff = max(result.max_grad_diff, max_abs_diff(a, e))

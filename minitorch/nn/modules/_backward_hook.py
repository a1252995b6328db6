"""The machinery behind ``Module.register_full_backward_hook`` / ``register_full_backward_pre_hook`` (mirrors
``torch.utils.hooks.BackwardHook`` and ``torch.nn.modules._functions.BackwardHookFunction``).

The module's tensor inputs and outputs each pass through an identity autograd node. A pre-hook on the outputs'
node sees ``grad_output`` (and runs the backward pre-hooks, which may replace it); a post-hook on the inputs' node
sees ``grad_input`` and calls the user hooks, which may replace it. When no input requires grad, the hooks run
from the outputs' node with ``grad_input`` all ``None``, as in torch.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import _state

__all__: list[str] = []


class _BackwardHookFunction(Function):
    """Identity on the module's input (or output) tensors; its node is where the module's backward hooks run
    (torch's ``BackwardHookFunction``)."""

    @staticmethod
    def forward(ctx: Any, *args: Tensor) -> tuple:
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return grads


_BackwardHookFunction._node_name = "BackwardHookFunctionBackward"


class _BackwardHook:
    """Runs a module's full backward (pre) hooks (torch's ``torch.utils.hooks.BackwardHook``): the module's
    tensor outputs pass through an identity node whose pre-hook captures ``grad_output``; its tensor inputs
    pass through another whose post-hook sees ``grad_input`` and calls the user hooks."""

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index: list | None = None
        self.output_tensors_index: list | None = None

    @staticmethod
    def _pack_with_none(indices: list, values: Any, size: int) -> tuple:
        res: list = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    @staticmethod
    def _apply_on_tensors(register: Callable, args: tuple) -> tuple[tuple, list | None]:
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (_state["grad"] and any(args[i].requires_grad for i in idx)):
            return args, None
        new = _BackwardHookFunction.apply(*[args[i] for i in idx])
        register(next(t.grad_fn for t in new if t.grad_fn is not None))
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args: tuple) -> tuple:
        def register(grad_fn: Any) -> None:
            grad_fn.register_hook(self._input_hook)
        res, self.input_tensors_index = self._apply_on_tensors(register, args)
        self.n_inputs = len(args)
        return res

    def _input_hook(self, grad_input: tuple, _: Any) -> tuple | None:
        if self.grad_outputs is None:     # the gradient reached the inputs without passing through the outputs
            return None
        res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
        for hook in list(self.user_hooks):
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, but "
                                   f"expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def setup_output_hook(self, result: Any) -> Any:
        def register(grad_fn: Any) -> None:
            grad_fn.register_prehook(self._output_hook)
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(register, args)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]

    def _output_hook(self, grad_output: tuple) -> tuple | None:
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output, self.n_outputs)
        for hook in list(self.user_pre_hooks):
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got {len(out)}, "
                                   f"but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        if self.input_tensors_index is None and self.user_hooks:   # no input requires grad: run them here
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=5)
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for hook in list(self.user_hooks):
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

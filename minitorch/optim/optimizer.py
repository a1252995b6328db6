"""``torch.optim.Optimizer``: parameter groups, per-parameter state, state_dict and zero_grad."""
from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Iterable, Iterator

from .._dtype import float32, float64, get_default_dtype
from .._ops.creation import tensor, zeros_like
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def scalar_state(value: float) -> Tensor:
    """A 0-dim state scalar (``step``, ``mu_product``) in torch's dtype: float64 under a float64 default."""
    return tensor(value, dtype=float64 if get_default_dtype() is float64 else float32)


def init_state(states: dict[Tensor, dict[str, Any]], p: Tensor, *buffers: str) -> dict[str, Any]:
    """``p``'s state, filled on first use with a ``step`` counter and a zero buffer shaped like ``p`` per name."""
    state = states[p]
    if not state:
        state["step"] = scalar_state(0.0)
        for name in buffers:
            state[name] = zeros_like(p)
    return state


class Optimizer:
    """Base class: subclasses implement ``step`` over ``self.param_groups`` using ``self.state``."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group, filling missing options from ``defaults``; a parameter may be in one group only."""
        params = param_group["params"]
        param_group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    with no_grad():
                        p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _params_with_grad(self, group: dict[str, Any], decoupled: bool = False
                          ) -> Iterator[tuple[Tensor, Tensor]]:
        """(param, gradient) for each parameter of ``group`` that has a gradient, as torch's update loops
        see them: the gradient negated when maximizing, and the group's weight decay applied, either as an L2 term
        added to the gradient or, ``decoupled``, by shrinking the parameter by ``lr * weight_decay`` (AdamW)."""
        wd = group.get("weight_decay", 0)
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = -p.grad if group.get("maximize") else p.grad
            if wd != 0:
                if decoupled:
                    p.mul_(1 - group["lr"] * wd)
                else:
                    grad = grad.add(p, alpha=wd)
            yield p, grad

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """torch's layout: ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore state and group options saved by ``state_dict`` (tensors are copied and cast like torch)."""
        state_dict = copy.deepcopy(state_dict)
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {i: p for g, s in zip(self.param_groups, saved) for i, p in zip(s["params"], g["params"])}
        self.state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                self.state[param] = {
                    key: (val.to(param.dtype) if isinstance(val, Tensor) and key != "step"
                          and val.is_floating_point() else val)
                    for key, val in v.items()}
        self.param_groups = [{**s, "params": g["params"]} for g, s in zip(self.param_groups, saved)]

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

"""``torch.optim.Adagrad`` (single-tensor update: lr_decay, initial_accumulator_value, weight decay)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .._ops.creation import full_like
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, scalar_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        for value, what in ((lr, "learning rate"), (lr_decay, "lr_decay value"), (weight_decay, "weight_decay value"),
                            (initial_accumulator_value, "initial_accumulator_value value"), (eps, "epsilon value")):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {what}: {value}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["step"] = scalar_state(0.0)
                self.state[p]["sum"] = full_like(p, group["initial_accumulator_value"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                for p, grad in self._params_with_grad(group):
                    state = self.state[p]
                    state["step"].add_(1)
                    step = state["step"].item()
                    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                    state["sum"].addcmul_(grad, grad, value=1)
                    std = state["sum"].sqrt().add_(group["eps"])
                    p.addcdiv_(grad, std, value=-clr)
        return loss

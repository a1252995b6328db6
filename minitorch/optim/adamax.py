"""``torch.optim.Adamax`` (single-tensor update: Adam with an infinity-norm second moment)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd.grad_mode import no_grad
from .adam import check_adam_args
from .optimizer import Optimizer, init_state

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, *, maximize: bool = False) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                for p, grad in self._params_with_grad(group):
                    state = init_state(self.state, p, "exp_avg", "exp_inf")
                    state["step"].add_(1)
                    exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_inf.copy_(exp_inf.mul_(beta2).maximum(grad.abs().add_(eps)))
                    clr = lr / (1 - beta1 ** state["step"].item())
                    p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss

"""``torch.optim.RAdam`` (single-tensor update: variance rectification, decoupled weight decay, maximize)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd.grad_mode import no_grad
from .adam import check_adam_args
from .optimizer import Optimizer, init_state

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                rho_inf = 2 / (1 - beta2) - 1
                for p, grad in self._params_with_grad(group, group["decoupled_weight_decay"]):
                    state = init_state(self.state, p, "exp_avg", "exp_avg_sq")
                    state["step"].add_(1)
                    step = state["step"].item()
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    bias_correction2 = 1 - beta2 ** step
                    update = exp_avg / (1 - beta1 ** step) * lr
                    rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                    if rho_t > 5.0:
                        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                        update = update * (bias_correction2 ** 0.5 / exp_avg_sq.sqrt().add_(eps)) * rect
                    p.add_(update, alpha=-1.0)
        return loss

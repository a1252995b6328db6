"""``torch.optim.NAdam`` (single-tensor update: momentum decay schedule, decoupled weight decay, maximize)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd.grad_mode import no_grad
from .adam import check_adam_args
from .optimizer import Optimizer, init_state, scalar_state

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
                for p, grad in self._params_with_grad(group, group["decoupled_weight_decay"]):
                    state = self.state[p]
                    if not state:
                        init_state(self.state, p, "exp_avg", "exp_avg_sq")["mu_product"] = scalar_state(1.0)
                    state["step"].add_(1)
                    step = state["step"].item()
                    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
                    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
                    mu_product = state["mu_product"].mul_(mu).item()
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add_(eps)
                    p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
                    p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))
        return loss

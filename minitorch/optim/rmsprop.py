"""``torch.optim.RMSprop`` (single-tensor update: alpha, centered, momentum, weight decay, maximize)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, init_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        for value, what in ((lr, "learning rate"), (eps, "epsilon value"), (momentum, "momentum value"),
                            (weight_decay, "weight_decay value"), (alpha, "alpha value")):
            if not 0.0 <= value:
                raise ValueError(f"Invalid {what}: {value}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
                for p, grad in self._params_with_grad(group):
                    state = init_state(self.state, p, "square_avg", *(("momentum_buffer",) if momentum > 0 else ()),
                               *(("grad_avg",) if group["centered"] else ()))
                    state["step"].add_(1)
                    square_avg = state["square_avg"]
                    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                    if group["centered"]:
                        grad_avg = state["grad_avg"]
                        grad_avg.add_(grad - grad_avg, alpha=1 - alpha)
                        avg = square_avg.clone().addcmul_(grad_avg, grad_avg, value=-1).sqrt_()
                    else:
                        avg = square_avg.sqrt()
                    avg = avg.add_(group["eps"])
                    if momentum > 0:
                        buf = state["momentum_buffer"]
                        buf.mul_(momentum).addcdiv_(grad, avg)
                        p.add_(buf, alpha=-lr)
                    else:
                        p.addcdiv_(grad, avg, value=-lr)
        return loss

"""``torch.optim.lr_scheduler``: learning-rate schedules (torch's chainable, recursive forms, its closed forms
for ``step(epoch)``, and its state_dict layout: every attribute but the optimizer). Mirrors
torch.optim.lr_scheduler and re-exports every public scheduler."""
from .base import LRScheduler
from .closed_form import (ConstantLR, CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR, PolynomialLR,
                          StepLR)
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CyclicLR, OneCycleLR
from .lambda_lr import LambdaLR, MultiplicativeLR
from .plateau import ReduceLROnPlateau
from .warm_restarts import CosineAnnealingWarmRestarts

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]

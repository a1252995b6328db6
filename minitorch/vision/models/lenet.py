"""LeNet-5 (LeCun et al. 1998) as taught in courses; not in torchvision.

``features``: conv 6@5x5, activation, 2x2 pool, conv 16@5x5, activation, 2x2 pool; ``classifier``: flatten and
fully connected 400-120-84-``num_classes`` with the activation between. Choices (documented deviations from 1998):
``padding=2`` on the first convolution so 28x28 MNIST digits give the classic 32x32 geometry (use ``padding=0``
for 32x32 inputs); ``pool="max"`` (default, as most courses) or ``"avg"`` (the paper's subsampling, without its
trainable coefficients); ``activation="relu"`` (default) or ``"tanh"`` (the paper's squashing); the full C3
connection table and the RBF output layer of the paper are replaced by a dense convolution and a linear layer.
"""
from __future__ import annotations

from ... import nn
from ..._tensor import Tensor

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """LeNet-5 for ``in_channels`` x 28x28 inputs (``padding=2``) or 32x32 inputs (``padding=0``)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, pool: str = "max", activation: str = "relu",
                 padding: int = 2) -> None:
        super().__init__()
        pools = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}
        acts = {"relu": nn.ReLU, "tanh": nn.Tanh}
        if pool not in pools:
            raise ValueError(f"LeNet5: pool must be 'max' or 'avg', got {pool!r}")
        if activation not in acts:
            raise ValueError(f"LeNet5: activation must be 'relu' or 'tanh', got {activation!r}")
        pool_cls, act = pools[pool], acts[activation]
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding), act(), pool_cls(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), act(), pool_cls(kernel_size=2, stride=2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))

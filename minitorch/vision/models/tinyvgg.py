"""TinyVGG (the CNN Explainer model) as taught in courses; not in torchvision.

Two blocks of conv-ReLU-conv-ReLU-maxpool (3x3 convolutions with ``hidden_units`` channels, ``padding=1`` so only
the 2x2 max-pools shrink the image) and a classifier (flatten, one linear layer to ``output_shape`` classes).
The module names (``conv_block_1``, ``conv_block_2``, ``classifier``) are the ones of the common PyTorch course.
``image_size`` (the input's side, default 32 for CIFAR-10) fixes the classifier's input size:
``hidden_units * (image_size // 4) ** 2``.
"""
from __future__ import annotations

from ... import nn
from ..._tensor import Tensor

__all__ = ["TinyVGG"]


def _conv_block(in_channels: int, hidden_units: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, hidden_units, kernel_size=3, stride=1, padding=1), nn.ReLU(),
        nn.Conv2d(hidden_units, hidden_units, kernel_size=3, stride=1, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2))


class TinyVGG(nn.Module):
    """TinyVGG: ``input_shape`` colour channels in, ``output_shape`` logits out."""

    def __init__(self, input_shape: int = 3, hidden_units: int = 10, output_shape: int = 10,
                 image_size: int = 32) -> None:
        super().__init__()
        self.conv_block_1 = _conv_block(input_shape, hidden_units)
        self.conv_block_2 = _conv_block(hidden_units, hidden_units)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(hidden_units * (image_size // 4) ** 2, output_shape))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.conv_block_2(self.conv_block_1(x)))

"""Focal loss: mirrors ``torchvision.ops.sigmoid_focal_loss``."""
from __future__ import annotations

__all__: list[str] = []

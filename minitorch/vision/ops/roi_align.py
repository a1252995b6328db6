"""Region pooling: mirrors ``torchvision.ops.roi_align`` and ``roi_pool``."""
from __future__ import annotations

__all__: list[str] = []

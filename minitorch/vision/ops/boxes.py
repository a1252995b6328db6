"""Box utilities: mirrors ``torchvision.ops`` ``box_area``, ``box_iou``, ``generalized_box_iou``, ``box_convert``, ``nms``, ``batched_nms``."""
from __future__ import annotations

__all__: list[str] = []

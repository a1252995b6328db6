"""Per-sample normalisation layers: mirrors ``torch.nn.LayerNorm``, ``GroupNorm``, ``RMSNorm``."""
from __future__ import annotations

__all__: list[str] = []

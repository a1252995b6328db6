"""Dropout functions: mirrors ``torch.nn.functional`` ``dropout`` and its variants."""
from __future__ import annotations

__all__: list[str] = []

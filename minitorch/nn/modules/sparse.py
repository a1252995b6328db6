"""Lookup-table layers: mirrors ``torch.nn.Embedding`` and ``torch.nn.EmbeddingBag``."""
from __future__ import annotations

__all__: list[str] = []

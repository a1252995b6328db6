"""Distance layers: mirrors ``torch.nn.PairwiseDistance`` and ``torch.nn.CosineSimilarity``."""
from __future__ import annotations

__all__: list[str] = []

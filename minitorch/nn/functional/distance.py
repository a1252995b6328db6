"""Distance functions: mirrors ``torch.nn.functional`` ``pairwise_distance``, ``cosine_similarity``."""
from __future__ import annotations

__all__: list[str] = []

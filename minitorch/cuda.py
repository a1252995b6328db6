"""``torch.cuda``: minitorch has no GPU backend, so CUDA is never available.

``minitorch.cuda.is_available()`` is False, which lets the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` run unchanged on minitorch.
"""
from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no GPU generator), as torch does without a GPU."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (there is no GPU generator), as torch does without a GPU."""

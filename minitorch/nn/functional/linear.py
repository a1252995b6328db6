"""Linear layer functions: mirrors ``torch.nn.functional.linear``."""
from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    out = input.matmul(weight.t())
    return out if bias is None else out + bias

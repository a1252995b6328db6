"""Shared pytest fixtures: the device the torch side of parity tests runs on."""
from __future__ import annotations

import pytest

DEVICES = ["cpu", "cuda"]


@pytest.fixture(params=DEVICES)
def torch_device(request: pytest.FixtureRequest) -> str:
    """'cpu', and 'cuda' when torch sees a GPU (skipped with the reason otherwise)."""
    if request.param == "cuda":
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("torch.cuda.is_available() is False: no GPU on this machine, torch side not run on CUDA")
    return request.param

"""Shared pytest set-up: the device and thread count of the torch side of parity tests, and hypothesis settings."""
from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# tests write nothing into the source tree: the differential tests are derandomized (seeded), so hypothesis
# needs no example database, and its other caches go to the temp folder instead of ./.hypothesis
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "minitorch-hypothesis"))
settings.register_profile("minitorch", database=None)
settings.load_profile("minitorch")

DEVICES = ["cpu", "cuda"]


@pytest.fixture(params=DEVICES)
def torch_device(request: pytest.FixtureRequest) -> str:
    """'cpu', and 'cuda' when torch sees a GPU (skipped with the reason otherwise)."""
    if request.param == "cuda":
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("torch.cuda.is_available() is False: no GPU on this machine, torch side not run on CUDA")
    return request.param


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> None:
    """The torch side runs single-threaded: on a small shared machine torch's intra-op thread pool
    oversubscribes the cores (a (4, 3, 5) instance_norm measured 60 ms with 2 threads, 8 us with 1)."""
    import torch
    torch.set_num_threads(1)

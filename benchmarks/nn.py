"""Benchmark for the nn/optim issue's target, as a ratio to PyTorch CPU in the same run:

* one training step of a 784-256-10 MLP (``nn.Sequential(Linear, ReLU, Linear)``), batch 128,
  cross-entropy loss and ``optim.SGD`` (zero_grad, forward, backward, step): within 1.3x of torch.

Run: ``python -m benchmarks.nn`` (``--check`` exits non-zero when the target is missed).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import numpy as np
import torch

import minitorch

from .timing import ratio, sgd_training_step

TARGET_MLP_STEP = 1.3


def mlp_training_step(fw: Any, batch: int = 128, seed: int = 0) -> Callable[[], object]:
    """A closure running one SGD step of the same MLP on the same batch in framework ``fw``."""
    rng = np.random.default_rng(seed)
    x = fw.from_numpy(rng.standard_normal((batch, 784)).astype(np.float32))
    y = fw.from_numpy(rng.integers(0, 10, batch))
    fw.manual_seed(seed)
    model = fw.nn.Sequential(fw.nn.Linear(784, 256), fw.nn.ReLU(), fw.nn.Linear(256, 10))
    return sgd_training_step(fw, model, x, y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    tm, tt, r = ratio(mlp_training_step(minitorch), mlp_training_step(torch), rounds=9, batch_seconds=0.1)
    print(f"MLP 784-256-10, batch 128, SGD step (target <= {TARGET_MLP_STEP}x)")
    print(f"minitorch {tm * 1e3:.2f} ms, torch {tt * 1e3:.2f} ms, ratio {r:.2f}")
    missed = r > TARGET_MLP_STEP
    print("target missed" if missed else "target met")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark for the CNN issue's model targets, as ratios to PyTorch CPU in the same run:

* one TinyVGG training step (batch 64, 3x32x32, ``optim.SGD``, cross-entropy: zero_grad, forward, backward,
  step): within 2.5x of torch;
* ResNet-18 inference (batch 8, 3x64x64, eval mode, ``no_grad``): within 2.5x of torch.

Both sides use the same architecture (torchvision's ResNet-18, ``parity.models.tinyvgg`` for torch's TinyVGG)
with the same weights and data. Run: ``python -m benchmarks.cnn`` (``--check`` exits non-zero when a target is
missed). On a shared, loaded machine multi-threaded timings are dominated by threads waiting on each other;
``OMP_NUM_THREADS=1 python -m benchmarks.cnn`` runs both sides single-threaded, which gives stable ratios.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import numpy as np
import torch
import torchvision

import minitorch
from minitorch.vision import models
from parity.models import tinyvgg
from parity.modules import copy_weights

from .timing import ratio, sgd_training_step

TARGET_TINYVGG_STEP = 2.5
TARGET_RESNET18_INFERENCE = 2.5


def tinyvgg_training_step(fw: Any, batch: int = 64, seed: int = 0) -> Callable[[], object]:
    """A closure running one SGD step of TinyVGG on the same batch in framework ``fw``."""
    rng = np.random.default_rng(seed)
    x = fw.from_numpy(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = fw.from_numpy(rng.integers(0, 10, batch))
    fw.manual_seed(seed)
    model = models.TinyVGG() if fw is minitorch else tinyvgg(torch)
    return sgd_training_step(fw, model, x, y)


def resnet18_inference(batch: int = 8, seed: int = 0) -> tuple[Callable[[], object], Callable[[], object]]:
    """(minitorch, torch) closures running ResNet-18 in eval mode under no_grad, same weights and input."""
    torch.manual_seed(seed)
    th = torchvision.models.resnet18(weights=None).eval()
    mt = models.resnet18().eval()
    copy_weights(th, mt)
    x = np.random.default_rng(seed).standard_normal((batch, 3, 64, 64)).astype(np.float32)
    mt_x, th_x = minitorch.from_numpy(x.copy()), torch.from_numpy(x)

    def mt_run() -> object:
        with minitorch.no_grad():
            return mt(mt_x)

    def th_run() -> object:
        with torch.no_grad():
            return th(th_x)

    return mt_run, th_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    cases = [("TinyVGG SGD step, batch 64, 3x32x32", TARGET_TINYVGG_STEP,
              (tinyvgg_training_step(minitorch), tinyvgg_training_step(torch))),
             ("ResNet-18 inference, batch 8, 3x64x64", TARGET_RESNET18_INFERENCE, resnet18_inference())]
    missed = False
    for name, target, (mt_fn, th_fn) in cases:
        tm, tt, r = ratio(mt_fn, th_fn, rounds=5, batch_seconds=0.2)
        print(f"{name:38s} minitorch {tm * 1e3:7.2f} ms, torch {tt * 1e3:7.2f} ms, ratio {r:.2f} "
              f"(target <= {target}x)")
        missed |= r > target
    print("target missed" if missed else "target met")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

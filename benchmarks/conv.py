"""Benchmark for the CNN issue's conv target, as ratios to PyTorch CPU in the same run:

* ``conv2d`` forward + backward (input, weight and bias gradients) at ResNet-18 layer shapes, batch 8:
  within 2.5x of torch for each shape.

Depthwise convolutions at ConvNeXt and MobileNet shapes are timed too, forward alone and forward + backward, for
reference (no target: their forward is minitorch's slowest conv path, see ``_conv_depthwise``).

Run: ``python -m benchmarks.conv`` (``--check`` exits non-zero when a target is missed). On a shared,
loaded machine multi-threaded timings (torch's OpenMP, NumPy's OpenBLAS) are dominated by threads waiting
on each other; ``OMP_NUM_THREADS=1 python -m benchmarks.conv`` runs both sides single-threaded, which
gives stable ratios.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import numpy as np
import torch

import minitorch

from .timing import ratio

TARGET_CONV = 2.5

# (name, batch, in_channels, out_channels, kernel, stride, padding, input size)
RESNET_SHAPES = [
    ("64->64 3x3 @32x32", 8, 64, 64, 3, 1, 1, 32),
    ("64->128 3x3 s2 @32x32", 8, 64, 128, 3, 2, 1, 32),
    ("64->128 1x1 s2 @32x32 (projection)", 8, 64, 128, 1, 2, 0, 32),
    ("128->128 3x3 @16x16", 8, 128, 128, 3, 1, 1, 16),
    ("256->256 3x3 @8x8", 8, 256, 256, 3, 1, 1, 8),
]
# (name, batch, channels, kernel, stride, padding, input size): groups = channels
DEPTHWISE_SHAPES = [
    ("ConvNeXt 96 7x7 @56x56", 8, 96, 7, 1, 3, 56),
    ("MobileNetV2 144 3x3 @56x56", 8, 144, 3, 1, 1, 56),
    ("MobileNetV2 144 3x3 s2 @56x56", 8, 144, 3, 2, 1, 56),
]


def conv_step(fw: Any, batch: int, cin: int, cout: int, k: int, stride: int, padding: int, size: int,
              groups: int = 1, backward: bool = True, seed: int = 0) -> Callable[[], object]:
    """A closure running conv2d forward and (by default) backward on the same data in framework ``fw``."""
    rng = np.random.default_rng(seed)
    x = fw.from_numpy(rng.standard_normal((batch, cin, size, size)).astype(np.float32)).requires_grad_(backward)
    w = fw.from_numpy(rng.standard_normal((cout, cin // groups, k, k)).astype(np.float32) * 0.05)
    w.requires_grad_(backward)
    b = fw.zeros(cout, requires_grad=backward)
    cot = fw.from_numpy(rng.standard_normal((batch, cout, (size + 2 * padding - k) // stride + 1,
                                             (size + 2 * padding - k) // stride + 1)).astype(np.float32))

    def step() -> object:
        y = fw.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)
        return fw.autograd.grad(y, (x, w, b), cot) if backward else y

    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print(f"conv2d forward+backward, float32, batch 8 (target <= {TARGET_CONV}x)")
    missed = False
    for name, *shape in RESNET_SHAPES:
        tm, tt, r = ratio(conv_step(minitorch, *shape), conv_step(torch, *shape), rounds=3, batch_seconds=0.1)
        print(f"{name:36s} minitorch {tm * 1e3:7.2f} ms, torch {tt * 1e3:7.2f} ms, ratio {r:.2f}")
        missed |= r > TARGET_CONV
    print("target missed" if missed else "target met")
    print("depthwise conv2d, float32, batch 8 (for reference, no target)")
    for name, batch, channels, *shape in DEPTHWISE_SHAPES:
        ratios = [ratio(conv_step(minitorch, batch, channels, channels, *shape, groups=channels, backward=b),
                        conv_step(torch, batch, channels, channels, *shape, groups=channels, backward=b),
                        rounds=3, batch_seconds=0.1)[2] for b in (False, True)]
        print(f"{name:36s} forward ratio {ratios[0]:.2f}, forward+backward ratio {ratios[1]:.2f}")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

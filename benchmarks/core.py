"""Benchmarks for the foundation issue's targets, each as a ratio to PyTorch CPU in the same run:

* small-tensor op overhead without grad: at most 3x torch's time;
* the same ops recording a graph (inputs require grad): at most 4x;
* a matmul-bound MLP forward + backward: within 1.3x.

Run: ``python -m benchmarks.core`` (``--check`` exits non-zero when a target is missed).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

import minitorch

from .timing import ratio

SMALL_OPS = {
    "add": lambda fw, a, b: a + b,
    "mul": lambda fw, a, b: a * b,
    "sub scalar": lambda fw, a, b: a - 1.5,
    "exp": lambda fw, a, b: a.exp(),
    "tanh": lambda fw, a, b: fw.tanh(a),
    "relu": lambda fw, a, b: fw.relu(a),
    "sum": lambda fw, a, b: a.sum(),
    "mean dim": lambda fw, a, b: a.mean(1),
    "matmul 4x4": lambda fw, a, b: a @ b,
    "view": lambda fw, a, b: a.view(16),
    "transpose": lambda fw, a, b: a.t(),
    "getitem": lambda fw, a, b: a[1],
}
TARGET_NO_GRAD, TARGET_GRAD, TARGET_MATMUL = 3.0, 4.0, 1.3


def small_op_ratios(requires_grad: bool) -> list[tuple[str, float, float, float]]:
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((4, 4)).astype(np.float32) for _ in range(2))
    rows = []
    for name, op in SMALL_OPS.items():
        ma, mb = minitorch.tensor(a, requires_grad=requires_grad), minitorch.tensor(b)
        ta, tb = torch.tensor(a, requires_grad=requires_grad), torch.tensor(b)
        rows.append((name, *ratio(lambda: op(minitorch, ma, mb), lambda: op(torch, ta, tb))))
    return rows


def mlp_step(fw, x, w1, w2):
    """Forward + backward of a two-layer MLP; the matmuls dominate."""
    loss = (fw.relu(x @ w1) @ w2).pow(2).mean()
    loss.backward()
    w1.grad = None
    w2.grad = None
    return loss


def matmul_ratio(batch: int = 512, width: int = 1024) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, width)).astype(np.float32)
    w1 = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
    w2 = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
    mt = [minitorch.tensor(x), minitorch.tensor(w1, requires_grad=True), minitorch.tensor(w2, requires_grad=True)]
    th = [torch.tensor(x), torch.tensor(w1, requires_grad=True), torch.tensor(w2, requires_grad=True)]
    return ratio(lambda: mlp_step(minitorch, *mt), lambda: mlp_step(torch, *th), rounds=7, batch_seconds=0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    missed = []
    for requires_grad, target in ((False, TARGET_NO_GRAD), (True, TARGET_GRAD)):
        rows = small_op_ratios(requires_grad)
        print(f"\nsmall-op overhead, 4x4 float32, {'with' if requires_grad else 'without'} grad (target <= {target}x)")
        print(f"{'op':<12}{'minitorch us':>14}{'torch us':>10}{'ratio':>8}")
        for name, tm, tt, r in rows:
            print(f"{name:<12}{tm * 1e6:>14.2f}{tt * 1e6:>10.2f}{r:>8.2f}")
        geo = float(np.exp(np.mean([np.log(row[3]) for row in rows])))
        over = [f"{name} {r:.2f}x" for name, _, _, r in rows if r > target]
        print(f"geometric mean {geo:.2f}x; over target: {', '.join(over) or 'none'}")
        if over:
            missed.append(f"small ops {'with' if requires_grad else 'without'} grad over {target}x: {', '.join(over)}")
    tm, tt, r = matmul_ratio()
    print(f"\nMLP 512x1024 @ 1024x1024 (x2) forward+backward (target <= {TARGET_MATMUL}x)")
    print(f"minitorch {tm * 1e3:.1f} ms, torch {tt * 1e3:.1f} ms, ratio {r:.2f}")
    if r > TARGET_MATMUL:
        missed.append(f"matmul-bound step: {r:.2f}x > {TARGET_MATMUL}x")
    print("\n" + ("targets missed: " + "; ".join(missed) if missed else "all targets met"))
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

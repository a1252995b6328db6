"""The torch side of the parity harness on each device (CUDA runs when torch sees a GPU)."""
from __future__ import annotations

import pytest

from parity import Spec, check

REPRESENTATIVE = {
    "add_broadcast": (lambda fw, a, b: a + b, ((3, 4), (4,))),
    "mul_div": (lambda fw, a, b: a * b / (b * b + 1), ((2, 3), (2, 3))),
    "exp_log": (lambda fw, a: (a.exp() + 1).log(), ((5,),)),
    "pow": (lambda fw, a: a.pow(3), ((2, 2),)),
    "sum_mean": (lambda fw, a: (a.sum(0), a.mean()), ((3, 4),)),
    "views": (lambda fw, a: a.t().reshape(-1).unsqueeze(0).expand(2, 12), ((3, 4),)),
    # as_strided reads the storage directly, so only the contiguous layout has a well-defined answer
    "as_strided": (lambda fw, a: a.as_strided((2, 2), (1, 2), 1), (Spec((2, 3)),), {"layouts": ("contiguous",)}),
}


@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_representative_ops_on_device(name, torch_device):
    fn, specs, *options = REPRESENTATIVE[name]
    check(fn, *specs, device=torch_device, **(options[0] if options else {}))

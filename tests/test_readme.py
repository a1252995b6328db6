"""The README's example runs unchanged on minitorch and on torch, and both fits improve the loss."""
from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("module", ["minitorch", "torch"])
def test_readme_example_runs(module):
    code = re.search(r"```python\n(import minitorch as torch.*?)```", README.read_text(), re.S).group(1)
    ns: dict = {}
    exec(code.replace("import minitorch as torch", f"import {module} as torch"), ns)
    initial = float(ns["y"].pow(2).sum())          # the loss of the zero polynomial it starts from
    assert float(ns["loss"].detach()) < 0.1 * initial

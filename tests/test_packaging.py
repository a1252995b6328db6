"""Packaging rules: minitorch is NumPy-only, importable without torch, and declares only numpy."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minitorch"
FORBIDDEN = ("torch", "torchvision")

# Run first in the subprocess: any import of torch or torchvision raises ModuleNotFoundError,
# as in an environment where they are not installed.
BLOCK_TORCH = textwrap.dedent(f"""
    import importlib.abc, sys
    class _NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {FORBIDDEN!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
            return None
    sys.meta_path.insert(0, _NoTorch())
    try:
        import torch
    except ImportError:
        pass
    else:
        raise SystemExit("the torch blocker did not work")
""")


def run_without_torch(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH + textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_import_minitorch_without_torch():
    proc = run_without_torch("""
        import minitorch
        leaked = sorted(m for m in sys.modules if m.partition(".")[0] in ("torch", "torchvision"))
        assert not leaked, f"import minitorch imported {leaked}"
        print(minitorch.__file__)
    """)
    assert proc.returncode == 0, proc.stderr
    # The subprocess imported this checkout's package, not some other install.
    assert Path(proc.stdout.strip()).resolve() == PACKAGE / "__init__.py"


def test_every_minitorch_module_imports_without_torch():
    proc = run_without_torch("""
        import importlib, pkgutil, traceback
        import minitorch
        failed = []
        for info in pkgutil.walk_packages(minitorch.__path__, "minitorch.", onerror=lambda name: None):
            if info.name.rpartition(".")[2] == "__main__":
                continue
            try:
                importlib.import_module(info.name)
            except Exception:
                failed.append(info.name + ":\\n" + traceback.format_exc())
        assert not failed, "\\n".join(map(str, failed))
        leaked = sorted(m for m in sys.modules if m.partition(".")[0] in ("torch", "torchvision"))
        assert not leaked, f"importing minitorch's modules imported {leaked}"
    """)
    assert proc.returncode == 0, proc.stderr


def _torch_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Lines of ``path`` that import torch or torchvision (statically or by name)."""
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name.partition(".")[0] in FORBIDDEN for name in names):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.get_source_segment(source, node)}")
    # import_module("torch") / __import__("torch")
    pattern = re.compile(r"""(import_module|__import__)\(\s*['"](torch|torchvision)\b""")
    for lineno, line in enumerate(source.splitlines(), 1):
        if pattern.search(line):
            found.append(f"{path.relative_to(root)}:{lineno}: {line.strip()}")
    return found


def test_no_torch_import_in_minitorch_source():
    files = sorted(PACKAGE.rglob("*.py"))
    assert files, f"no Python files under {PACKAGE}"
    offenders = [hit for path in files for hit in _torch_imports(path)]
    assert not offenders, "minitorch/ must not import torch:\n" + "\n".join(offenders)


def test_torch_import_detector_catches_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Mentions import torch in a docstring only."""\n'
                   "import numpy, torch.nn as nn\nfrom torchvision import models\n"
                   "from . import torch_like\nimport importlib; importlib.import_module('torch')\n")
    hits = [hit.split(": ", 1)[1] for hit in _torch_imports(bad, root=tmp_path)]
    assert hits == ["import numpy, torch.nn as nn", "from torchvision import models",
                    "import importlib; importlib.import_module('torch')"]


def test_numpy_is_the_only_runtime_dependency():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.match(r"[A-Za-z0-9._-]+", req).group(0).lower().replace("_", "-")
             for req in project.get("dependencies", [])]
    assert names == ["numpy"], f"runtime dependencies must be numpy only, got {project.get('dependencies')}"

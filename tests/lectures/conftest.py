"""Runs the lecture tour once (quick mode, into a temp folder) for the tests of this folder."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """(the finished ``python -m lectures --tour`` process, its output folder)."""
    out = tmp_path_factory.mktemp("tour")
    done = subprocess.run([sys.executable, "-m", "lectures", "--tour", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    return done, out

"""The shared data files laid out where torchvision's datasets look for them (minitorch reads them in place)."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path


def torchvision_layout(src: Path, root: Path) -> Path:
    """``root/MNIST/raw/`` holding the decompressed IDX files of ``src`` (what torchvision's MNIST reads)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in sorted(src.glob("*-ubyte.gz")):
        target = raw / gz.name[:-3]
        if not target.exists():
            with gzip.open(gz, "rb") as f, open(target.with_suffix(".part"), "wb") as out:
                shutil.copyfileobj(f, out)
            target.with_suffix(".part").replace(target)        # atomic: never a half-written file
    return root

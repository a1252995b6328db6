"""``shared_files``: the leak check shared by the DataLoader worker tests."""
from __future__ import annotations

import os

from minitorch import _shared_memory


def shared_files(pid: int) -> list[str]:
    """The shared-memory files left by the loaders of process ``pid`` (named ``minitorch_{pid}_...``)."""
    if not _shared_memory.AVAILABLE:
        return []
    return [name for name in os.listdir(_shared_memory.SHM_DIR) if name.startswith(f"minitorch_{pid}_")]

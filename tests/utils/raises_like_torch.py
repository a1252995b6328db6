"""``raises_like_torch``: the error check shared by the utils.data test files (on top of parity's)."""
from __future__ import annotations

import re
from typing import Any, Callable

from parity.harness import assert_raises_like_torch


def raises_like_torch(fn: Callable[[Any], Any], match: str) -> None:
    """``fn(fw)`` raises exactly the same exception type on both frameworks, both messages matching ``match``."""
    mine, theirs = assert_raises_like_torch(fn, match=match)
    assert type(mine) is type(theirs) and re.search(match, str(theirs)), (mine, theirs)

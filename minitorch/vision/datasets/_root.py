"""Where datasets live, and the error that replaces ``download=True``.

torchvision downloads missing files; minitorch uses no network. The data folder is named by the
``MINITORCH_DATA`` environment variable, otherwise it is ``../shared/data`` next to the repository
(when that folder exists). Datasets accept ``root=None`` to mean this data folder.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Union

__all__ = ["DATA_ENV", "default_root"]  # the public names; the datasets also use the helpers below

DATA_ENV = "MINITORCH_DATA"
_REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir)
_REPO_DATA = os.path.normpath(os.path.join(_REPO, os.pardir, "shared", "data"))


def default_root() -> str:
    """The data folder: ``$MINITORCH_DATA`` when set, else ``../shared/data`` relative to the repository root."""
    env = os.environ.get(DATA_ENV)
    if env:
        return os.path.expanduser(env)
    if os.path.isdir(_REPO_DATA):
        return _REPO_DATA
    raise RuntimeError(f"No data root: pass root=..., or set the environment variable {DATA_ENV} to the data "
                       f"folder (the default, {_REPO_DATA}, does not exist)")


def resolve_root(root: Union[str, Path, None]) -> Union[str, Path]:
    """``root`` itself, or :func:`default_root` when it is ``None``."""
    return default_root() if root is None else root


def where_to_place(folder: Union[str, Path], files: Iterable[str], note: str = "") -> str:
    """The sentence that tells the user which files to put in which folder."""
    listing = "".join(f"\n    {name}" for name in files)
    return f"Place these files in {os.fspath(folder)}:{listing}" + (f"\n{note}" if note else "")


def no_download_error(dataset: str, folder: Union[str, Path], files: Iterable[str], note: str = "") -> RuntimeError:
    """The error raised for ``download=True`` when the files are missing: what to place where."""
    return RuntimeError(f"{dataset}: download=True is not supported: minitorch uses no network and downloads "
                        f"nothing. " + where_to_place(folder, files, note))

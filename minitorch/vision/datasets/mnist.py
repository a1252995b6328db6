"""MNIST and FashionMNIST: mirrors ``torchvision.datasets.MNIST`` / ``FashionMNIST`` (IDX files).

The IDX files are found, gzipped or not, in torchvision's layout ``<root>/MNIST/raw/`` or in a flat
folder (``<root>/mnist/`` or ``root`` itself, as ``../shared/data/mnist`` is laid out). They are parsed
with NumPy and checked (magic number, dimensions, file size): a corrupt file raises a RuntimeError
naming it. ``root=None`` means the data root (see ``_root.py``); ``download=True`` downloads nothing.
"""
from __future__ import annotations

import gzip
import os
import zlib
from math import prod
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from ..._ops.creation import from_numpy
from ._root import no_download_error, resolve_root, where_to_place
from .vision import VisionDataset, apply_transforms

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

LABELS_MAGIC, IMAGES_MAGIC = 2049, 2051  # 0x0000 0x08 (unsigned byte) then the number of dims: 1 or 3
_KIND = {LABELS_MAGIC: "labels (unsigned bytes, 1 dim)", IMAGES_MAGIC: "images (unsigned bytes, 3 dims)"}


def _read_bytes(path: str) -> bytes:
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise RuntimeError(f"{path}: cannot be read: {e}") from e


def read_idx(path: str, magic: int) -> np.ndarray:
    """The uint8 array stored in the IDX file ``path`` (gzipped when it ends in ``.gz``).

    ``magic`` is the expected magic number: 2049 for a label file, 2051 for an image file.
    """
    raw = _read_bytes(path)
    ndim = magic & 0xFF
    header = 4 * (1 + ndim)
    if len(raw) < header:
        raise RuntimeError(f"{path}: truncated IDX file: {len(raw)} bytes, shorter than its {header}-byte header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise RuntimeError(f"{path}: bad magic number {found}, expected {magic} (an IDX file of {_KIND[magic]})")
    dims = tuple(np.frombuffer(raw, ">u4", ndim, 4).tolist())
    expected = header + prod(dims)
    if len(raw) != expected:
        problem = "truncated IDX file" if len(raw) < expected else "IDX file with trailing data"
        raise RuntimeError(f"{path}: {problem}: {len(raw)} bytes, expected {expected} (a {header}-byte header "
                           f"and {' x '.join(map(str, dims))} unsigned bytes)")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(dims).copy()


class MNIST(VisionDataset):
    """The MNIST digits: ``data`` a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor (N,).

    Items are ``(PIL image of mode 'L', int target)``, then ``transform`` / ``target_transform``.
    ``root=None`` is the data root (``default_root()``); ``download=True`` downloads nothing: it is a no-op when
    the files are there and otherwise raises a RuntimeError saying which files to place in which folder.
    """

    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    flat_folder = "mnist"  # <root>/mnist holding the four files is accepted besides <root>/MNIST/raw

    def __init__(self, root: Union[str, Path, None], train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(resolve_root(root), transform=transform, target_transform=target_transform)
        self.train = train
        split = "train" if train else "t10k"
        image_file, label_file = self._find(f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte",
                                            download=download)
        images, labels = read_idx(image_file, IMAGES_MAGIC), read_idx(label_file, LABELS_MAGIC)
        if len(images) != len(labels):
            raise RuntimeError(f"{image_file} holds {len(images)} images but {label_file} holds {len(labels)} labels")
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _folders(self) -> list[str]:
        return [self.raw_folder, os.path.join(self.root, self.flat_folder), os.fspath(self.root)]

    def _find(self, *names: str, download: bool) -> list[str]:
        """The paths of ``names`` (plain or ``.gz``) in the first folder that holds them all."""
        for folder in self._folders():
            paths = [next((p for p in (os.path.join(folder, n), os.path.join(folder, n + ".gz"))
                           if os.path.isfile(p)), None) for n in names]
            if None not in paths:
                return paths
        name, folders, files = self.__class__.__name__, self._folders(), [n for n, _ in self.resources]
        note = f"(gzipped or not; the flat folders {folders[1]} and {folders[2]} are searched too)"
        if download:
            raise no_download_error(name, self.raw_folder, files, note)
        raise RuntimeError(f"{name}: dataset not found: none of the folders {folders} holds {' and '.join(names)} "
                           f"(gzipped or not). " + where_to_place(self.raw_folder, files, note))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img, target = Image.fromarray(self.data.numpy()[index]), int(self.targets.numpy()[index])
        return apply_transforms(self.transform, self.target_transform, img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST format with ten kinds of clothing."""

    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    flat_folder = "fashion-mnist"

"""CIFAR-10 and CIFAR-100: mirror ``torchvision.datasets.CIFAR10`` / ``CIFAR100`` (the python pickle batches).

The batches are unpickled safely: only the NumPy helpers that rebuild an array are allowed; any other
global in a pickle (a function call smuggled into the file) is refused with a RuntimeError naming the
file. Checksums are not checked. ``root=None`` means the data root; ``download=True`` downloads nothing.
"""
from __future__ import annotations

import importlib
import os
import pickle
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from ._root import no_download_error, resolve_root, where_to_place
from .vision import VisionDataset, apply_transforms

__all__ = ["CIFAR10", "CIFAR100", "safe_unpickle"]

# the globals a pickled ndarray needs: NumPy 1 names them numpy.core.*, NumPy 2 numpy._core.*
_NUMPY_HELPERS = {"_reconstruct": "multiarray", "scalar": "multiarray", "_frombuffer": "numeric"}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        submodule = _NUMPY_HELPERS.get(name)
        if submodule and module in (f"numpy.core.{submodule}", f"numpy._core.{submodule}"):
            core = "numpy._core" if hasattr(np, "_core") else "numpy.core"
            return getattr(importlib.import_module(f"{core}.{submodule}"), name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden: only NumPy's array reconstruction "
                                     "helpers may appear in a dataset pickle")


def safe_unpickle(path: str) -> Any:
    """The object pickled in ``path`` (Python 2 strings decoded as latin1), refusing every global except NumPy's
    array reconstruction helpers."""
    try:
        with open(path, "rb") as f:
            return _ArrayUnpickler(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
        raise RuntimeError(f"{path}: not a valid CIFAR pickle: {e}") from e


class CIFAR10(VisionDataset):
    """CIFAR-10: ``data`` a uint8 NumPy array (N, 32, 32, 3), ``targets`` a list of ints, ``classes`` from the
    meta file. Items are ``(PIL RGB image, int target)``, then ``transform`` / ``target_transform``.
    ``root=None`` and ``download=True`` behave as in :class:`MNIST`."""

    base_folder = "cifar-10-batches-py"
    filename = "cifar-10-python.tar.gz"
    train_list = [  # [file name, md5] as torchvision lists them (the md5s are not checked)
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"

    def __init__(self, root: Union[str, Path, None], train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(resolve_root(root), transform=transform, target_transform=target_transform)
        self.train = train
        self._check_files(download)
        data, self.targets = [], []
        for file_name, _ in self.train_list if train else self.test_list:
            batch, labels = self._load_batch(os.path.join(self.root, self.base_folder, file_name))
            data.append(batch)
            self.targets.extend(labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))  # HWC, as torchvision
        self._load_meta()

    def _check_files(self, download: bool) -> None:
        folder = os.path.join(self.root, self.base_folder)
        files = [f for f, _ in self.train_list + self.test_list] + [self.meta["filename"]]
        if all(os.path.isfile(os.path.join(folder, f)) for f in files):
            return
        note = f"(the contents of {self.filename}, extracted)"
        if download:
            raise no_download_error(self.__class__.__name__, folder, files, note)
        raise RuntimeError(f"{self.__class__.__name__}: dataset not found. " + where_to_place(folder, files, note))

    def _load_batch(self, path: str) -> tuple[np.ndarray, list[int]]:
        entry = safe_unpickle(path)
        labels = entry.get(self.labels_key) if isinstance(entry, dict) else None
        data = entry.get("data") if isinstance(entry, dict) else None
        if not isinstance(data, np.ndarray) or labels is None:
            raise RuntimeError(f"{path}: not a CIFAR batch: expected a dict with 'data' (an array) and "
                               f"'{self.labels_key}'")
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
            raise RuntimeError(f"{path}: not a CIFAR batch: 'data' is {data.dtype} of shape {data.shape} with "
                               f"{len(labels)} labels, expected uint8 of shape ({len(labels)}, 3072)")
        return data, list(labels)

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        meta = safe_unpickle(path)
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise RuntimeError(f"{path}: not a CIFAR meta file: expected a dict with '{self.meta['key']}'")
        self.classes = meta[self.meta["key"]]
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img, target = Image.fromarray(self.data[index]), self.targets[index]
        return apply_transforms(self.transform, self.target_transform, img, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: one ``train`` and one ``test`` pickle, the 100 fine labels."""

    base_folder = "cifar-100-python"
    filename = "cifar-100-python.tar.gz"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names"}
    labels_key = "fine_labels"

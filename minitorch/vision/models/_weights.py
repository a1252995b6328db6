"""Loading ``weights=``: mirrors torchvision's weight enums resolved to files in torch's hub cache folder (no download).

A model builder's ``weights`` argument accepts what torchvision's does: ``None`` (random initialisation), a weights
entry (``ResNet18_Weights.IMAGENET1K_V1``), its name as a string (``"IMAGENET1K_V1"``, ``"DEFAULT"`` or
``"ResNet18_Weights.IMAGENET1K_V1"``), and also a path to a checkpoint file. A weights entry names the file torchvision
would download (the last part of its ``url``, e.g. ``resnet18-f37072fd.pth``); minitorch never downloads: the file is
looked up in torch's hub cache folder, ``$TORCH_HOME/hub/checkpoints`` (``TORCH_HOME`` defaults to
``$XDG_CACHE_HOME/torch``, i.e. ``~/.cache/torch``), and a missing file raises ``RuntimeError`` naming file and folder.
Files are read with ``minitorch.load`` (torch's zip checkpoint format included). The entries carry ``url`` and
``meta`` (``num_classes``) like torchvision's; ``transforms`` (the preprocessing preset) is omitted.
"""
from __future__ import annotations

import os
from typing import Any

from ...serialization import load

__all__ = ["Weights", "WeightsEnum", "get_dir", "load_weights"]

MODELS_URL = "https://download.pytorch.org/models/"     # where torchvision downloads its weight files from


class Weights:
    """One weights entry: the download ``url`` (its file name is looked up locally) and ``meta`` information."""

    def __init__(self, url: str, meta: dict | None = None) -> None:
        self.url = url
        self.meta = {"num_classes": 1000, **(meta or {})}
        self.name = ""
        self.owner = ""

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def value(self) -> "Weights":
        return self

    def get_state_dict(self, progress: bool = True, check_hash: bool = False) -> dict:
        """The state dict read from the cached file (``progress``/``check_hash`` kept for torchvision's signature)."""
        path = os.path.join(get_dir(), "checkpoints", self.filename)
        if not os.path.isfile(path):
            raise RuntimeError(f"weights file {self.filename} for {self!r} not found in {os.path.dirname(path)}; "
                               f"minitorch does not download: fetch {self.url} into that folder (or set TORCH_HOME)")
        return load(path)

    def __repr__(self) -> str:
        return f"{self.owner}.{self.name}"


class _WeightsMeta(type):
    """Collects the class's ``Weights`` attributes as members (iteration, ``Cls["NAME"]``, ``DEFAULT``)."""

    def __new__(mcs, name: str, bases: tuple, ns: dict) -> type:
        cls = super().__new__(mcs, name, bases, ns)
        cls._members = {k: v for k, v in ns.items() if isinstance(v, Weights) and k != "DEFAULT"}
        for key, entry in cls._members.items():
            entry.name, entry.owner = key, name
        return cls

    def __iter__(cls) -> Any:
        return iter(cls._members.values())

    def __getitem__(cls, key: str) -> Weights:
        if key == "DEFAULT" and "DEFAULT" in cls.__dict__:
            return cls.DEFAULT
        if key not in cls._members:
            raise KeyError(key)
        return cls._members[key]


class WeightsEnum(metaclass=_WeightsMeta):
    """Base of the per-model weights classes (``ResNet18_Weights`` ...), torchvision's ``WeightsEnum`` look-alike."""

    @classmethod
    def verify(cls, obj: Any) -> Weights | None:
        """``obj`` (None, an entry or its name, optionally prefixed ``"<Class>."``) as an entry of this class."""
        if obj is None or isinstance(obj, Weights):
            if isinstance(obj, Weights) and obj.owner != cls.__name__:
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received {obj.owner}.")
            return obj
        if isinstance(obj, str):
            key = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[key]
            except KeyError:
                names = ["DEFAULT", *cls._members]
                raise ValueError(f"Unknown weights {obj!r} for {cls.__name__}; expected one of {names} "
                                 f"or a path to a checkpoint file") from None
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received {type(obj).__name__}.")


def get_dir() -> str:
    """torch's hub folder, as ``torch.hub.get_dir()``: ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``)."""
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return os.path.join(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch"))), "hub")


def _is_path(obj: Any) -> bool:
    """A path-like, or a string naming an existing file, containing a separator or ending in .pth / .pt."""
    return isinstance(obj, os.PathLike) or (isinstance(obj, str) and (
        os.sep in obj or obj.endswith((".pth", ".pt")) or os.path.isfile(obj)))


def load_weights(model: Any, weights_cls: type, weights: Any, progress: bool = True) -> Any:
    """Loads ``weights`` (see the module docstring) into ``model`` with ``load_state_dict``; returns ``model``."""
    if weights is None:
        return model
    if _is_path(weights):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise RuntimeError(f"weights file {os.path.basename(path)} not found in "
                               f"{os.path.dirname(os.path.abspath(path))}")
        state = load(path)
    else:
        state = weights_cls.verify(weights).get_state_dict(progress=progress)
    model.load_state_dict(state)
    return model


def resolve(weights_cls: type, weights: Any, kwargs: dict) -> Any:
    """The ``weights`` argument checked, with ``num_classes`` set from the entry's ``meta`` like torchvision."""
    if weights is None or _is_path(weights):
        return weights
    entry = weights_cls.verify(weights)
    expected = entry.meta["num_classes"]
    if kwargs.setdefault("num_classes", expected) != expected:
        raise ValueError(f"The parameter 'num_classes' expected value {expected} but got {kwargs['num_classes']} "
                         f"instead.")
    return entry

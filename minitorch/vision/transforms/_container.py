"""Composition: mirrors torchvision's ``Compose``, ``Lambda``, ``RandomApply``, ``RandomChoice``, ``RandomOrder``.

The random containers draw from minitorch's global RNG (``minitorch.manual_seed``), where torchvision draws
``RandomOrder`` / ``RandomChoice`` from Python's ``random`` module.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

import minitorch
from minitorch import nn

__all__ = ["Compose", "Lambda", "RandomApply", "RandomChoice", "RandomOrder"]
FUNCTIONAL: tuple[str, ...] = ()   # names re-exported by ``transforms.functional``


def _listing(name: str, lines: list[Any]) -> str:
    """torchvision's container repr: the name, then one indented line per entry, then ')'."""
    return name + "(" + "".join(f"\n    {line}" for line in lines) + "\n)"


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, list(self.transforms))


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomApply(nn.Module):
    """Apply all of ``transforms`` with probability ``p``, else none of them."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img: Any) -> Any:
        if self.p < minitorch.rand(1).item():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, [f"p={self.p}", *self.transforms])


class _RandomTransforms:
    """Base of the containers that pick or reorder a sequence of transforms."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, list(self.transforms))


class RandomOrder(_RandomTransforms):
    """Apply ``transforms`` in a random order."""

    def __call__(self, img: Any) -> Any:
        for i in minitorch.randperm(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img


class RandomChoice(_RandomTransforms):
    """Apply one of ``transforms``, picked at random with (relative) weights ``p`` (uniform when None)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args: Any) -> Any:
        weights = np.ones(len(self.transforms)) if self.p is None else np.asarray(self.p, dtype=np.float64)
        if len(weights) != len(self.transforms):
            raise ValueError("The number of weights does not match the population")
        cumulative = np.cumsum(weights)
        draw = minitorch.rand(1, dtype=minitorch.float64).item() * cumulative[-1]
        index = min(int(np.searchsorted(cumulative, draw, side="right")), len(self.transforms) - 1)
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"

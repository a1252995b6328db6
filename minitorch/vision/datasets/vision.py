"""The base of the datasets: mirrors ``torchvision.datasets.VisionDataset`` and ``StandardTransform``
(root, transform / target_transform / transforms, and torchvision's repr)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ...utils.data.dataset import Dataset

__all__ = ["VisionDataset", "StandardTransform"]


def _format_transform_repr(transform: Callable, head: str) -> list[str]:
    lines = repr(transform).splitlines()
    return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        return apply_transforms(self.transform, self.target_transform, input, target)

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += _format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


def apply_transforms(transform: Optional[Callable], target_transform: Optional[Callable], input: Any,
                     target: Any) -> tuple[Any, Any]:
    """``(transform(input), target_transform(target))``, each only when given."""
    if transform is not None:
        input = transform(input)
    if target_transform is not None:
        target = target_transform(target)
    return input, target


class VisionDataset(Dataset):
    """Base class of the vision datasets: subclasses implement ``__getitem__`` and ``__len__``.

    ``transforms`` (applied to input and target together) excludes ``transform`` / ``target_transform``.
    """

    _repr_indent = 4

    def __init__(self, root: Union[str, Path, None] = None, transforms: Optional[Callable] = None,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        has_separate_transform = transform is not None or target_transform is not None
        if transforms is not None and has_separate_transform:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if has_separate_transform else transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += [repr(self.transforms)]
        return "\n".join(["Dataset " + self.__class__.__name__] + [" " * self._repr_indent + line for line in body])

    def extra_repr(self) -> str:
        return ""

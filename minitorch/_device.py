"""``torch.device``: minitorch computes on the CPU only; asking for another device says so."""
from __future__ import annotations

from typing import Any


class device:
    """A device descriptor (``torch.device``); only ``cpu`` can hold minitorch tensors."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta, xpu device type at start of device string: {type}")
        self.type, self.index = type, index

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


cpu = device("cpu")


def check_device(dev: "str | device | int | None") -> device:
    """Returns the cpu device, or raises for any other device: minitorch has no GPU backend yet."""
    if dev is None:
        return cpu
    d = device(dev) if not isinstance(dev, int) else device("cuda", dev)
    if d.type != "cpu":
        raise RuntimeError(
            f"minitorch has no {d.type} backend (yet): tensors live on the CPU only, so device "
            f"'{d}' cannot be used. Use device='cpu' (the torch side of the parity harness runs on CUDA).")
    return cpu

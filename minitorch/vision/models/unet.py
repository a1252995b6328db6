"""U-Net (Ronneberger et al. 2015) for segmentation; not in torchvision.

The common modern variant: every level is a double 3x3 conv (conv, BatchNorm, ReLU, twice, "same" padding), the
encoder halves the resolution with 2x2 max pooling, the decoder doubles it with a 2x2 transposed conv (or bilinear
upsampling, then the conv halves the channels), pads the upsampled map to the skip connection's size when the input
size is odd, and concatenates ``[skip, upsampled]`` on the channels. ``parity/unet_twin.py`` writes the same
architecture against ``fw.nn`` so a torch build can be compared with this one.
"""
from __future__ import annotations

import minitorch
from minitorch import nn
from minitorch._tensor import Tensor

__all__ = ["DoubleConv", "Down", "Up", "UNet"]


class DoubleConv(nn.Module):
    """(Conv 3x3 -> BatchNorm -> ReLU) twice; ``mid_channels`` defaults to ``out_channels``."""

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int | None = None) -> None:
        super().__init__()
        mid = mid_channels or out_channels
        self.double_conv = nn.Sequential(nn.Conv2d(in_channels, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid),
                                         nn.ReLU(inplace=True),
                                         nn.Conv2d(mid, out_channels, 3, padding=1, bias=False),
                                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        return self.double_conv(x)


class Down(nn.Module):
    """2x2 max pooling, then a double conv."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        return self.maxpool_conv(x)


class Up(nn.Module):
    """Upsample ``x1`` 2x, pad it to ``x2``'s size, concatenate ``[x2, x1]`` and apply a double conv."""

    def __init__(self, in_channels: int, out_channels: int, bilinear: bool = False) -> None:
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        x1 = self.up(x1)
        dy, dx = x2.shape[2] - x1.shape[2], x2.shape[3] - x1.shape[3]
        x1 = nn.functional.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(minitorch.cat([x2, x1], dim=1))


class UNet(nn.Module):
    """U-Net with ``depth`` downsamplings; level ``i`` has ``base_channels * 2**i`` channels (the deepest level
    ``/ 2`` with ``bilinear``); returns ``num_classes`` logits per pixel at the input's resolution."""

    def __init__(self, in_channels: int = 3, num_classes: int = 1, base_channels: int = 64, depth: int = 4,
                 bilinear: bool = False) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, but got {depth}")
        self.in_channels, self.num_classes, self.bilinear = in_channels, num_classes, bilinear
        factor = 2 if bilinear else 1
        widths = [base_channels * 2 ** i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, base_channels)
        self.downs = nn.ModuleList(Down(widths[i - 1], widths[i] // (factor if i == depth else 1))
                                   for i in range(1, depth + 1))
        self.ups = nn.ModuleList(Up(widths[i], widths[i - 1] // (factor if i > 1 else 1), bilinear)
                                 for i in range(depth, 0, -1))
        self.outc = nn.Conv2d(base_channels, num_classes, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)

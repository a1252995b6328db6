"""The U-Net of ``minitorch.vision.models.unet`` written once against ``fw.nn``: ``unet(fw, ...)`` builds it with
``fw = torch`` (the torch twin the parity tests compare against) or ``fw = minitorch`` (whose ``state_dict`` keys must
equal the model class's)."""
from __future__ import annotations

from typing import Any


def unet(fw: Any, in_channels: int = 3, num_classes: int = 1, base_channels: int = 64, depth: int = 4,
         bilinear: bool = False) -> Any:
    """U-Net (see ``minitorch.vision.models.unet.UNet`` for the architecture) in framework ``fw``."""
    nn = fw.nn

    class DoubleConv(nn.Module):
        def __init__(self, cin: int, cout: int, mid: int | None = None) -> None:
            super().__init__()
            mid = mid or cout
            self.double_conv = nn.Sequential(nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid),
                                             nn.ReLU(inplace=True), nn.Conv2d(mid, cout, 3, padding=1, bias=False),
                                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        def forward(self, x: Any) -> Any:
            return self.double_conv(x)

    class Down(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(cin, cout))

        def forward(self, x: Any) -> Any:
            return self.maxpool_conv(x)

    class Up(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                self.conv = DoubleConv(cin, cout, cin // 2)
            else:
                self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(cin, cout)

        def forward(self, x1: Any, x2: Any) -> Any:
            x1 = self.up(x1)
            dy, dx = x2.shape[2] - x1.shape[2], x2.shape[3] - x1.shape[3]
            x1 = nn.functional.pad(x1, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
            return self.conv(fw.cat([x2, x1], dim=1))

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            factor = 2 if bilinear else 1
            widths = [base_channels * 2 ** i for i in range(depth + 1)]
            self.inc = DoubleConv(in_channels, base_channels)
            self.downs = nn.ModuleList(Down(widths[i - 1], widths[i] // (factor if i == depth else 1))
                                       for i in range(1, depth + 1))
            self.ups = nn.ModuleList(Up(widths[i], widths[i - 1] // (factor if i > 1 else 1))
                                     for i in range(depth, 0, -1))
            self.outc = nn.Conv2d(base_channels, num_classes, kernel_size=1)

        def forward(self, x: Any) -> Any:
            skips = [self.inc(x)]
            for down in self.downs:
                skips.append(down(skips[-1]))
            x = skips.pop()
            for up in self.ups:
                x = up(x, skips.pop())
            return self.outc(x)

    return UNet()

"""VGG-11/16 with and without batch norm: mirrors ``torchvision.models.vgg``.

``features`` (3x3 convolutions, ReLU, optional BatchNorm, 2x2 max-pools), ``avgpool`` (adaptive, 7x7: any input
of at least 32x32 works) and ``classifier`` (three linear layers with dropout): torchvision's ``state_dict`` keys
and initialisation.
"""
from __future__ import annotations

from typing import Any

from ... import nn
from ..._tensor import Tensor
from ._weights import MODELS_URL, Weights, WeightsEnum, load_weights, resolve

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "vgg11", "vgg11_bn",
           "vgg16", "vgg16_bn", "make_layers"]


class VGG(nn.Module):
    """torchvision's VGG: ``features``, a 7x7 adaptive average pool and the three-layer ``classifier``."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """``features`` from a configuration: channel counts for 3x3 convolutions, ``"M"`` for a 2x2 max-pool."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        layers += [nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers)


CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(MODELS_URL + "vgg11-8a719046.pth")
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(MODELS_URL + "vgg11_bn-6002323d.pth")
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(MODELS_URL + "vgg16-397923af.pth")
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(MODELS_URL + "vgg16_bn-6c64b313.pth")
    DEFAULT = IMAGENET1K_V1


def _vgg(cfg: str, batch_norm: bool, weights_cls: type, weights: Any, progress: bool, kwargs: dict) -> VGG:
    weights = resolve(weights_cls, weights, kwargs)
    if weights is not None:
        kwargs["init_weights"] = False
    model = VGG(make_layers(CFGS[cfg], batch_norm=batch_norm), **kwargs)
    return load_weights(model, weights_cls, weights, progress)


def vgg11(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A")."""
    return _vgg("A", False, VGG11_Weights, weights, progress, kwargs)


def vgg11_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with batch normalization."""
    return _vgg("A", True, VGG11_BN_Weights, weights, progress, kwargs)


def vgg16(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D")."""
    return _vgg("D", False, VGG16_Weights, weights, progress, kwargs)


def vgg16_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with batch normalization."""
    return _vgg("D", True, VGG16_BN_Weights, weights, progress, kwargs)

"""Torch twins of the models torchvision lacks (LeNet-5, TinyVGG), written once against ``fw.nn``.

``lenet5(fw)`` and ``tinyvgg(fw)`` build the architecture with ``fw = torch`` or ``fw = minitorch``; the tests
compare ``minitorch.vision.models.LeNet5`` / ``TinyVGG`` with the torch build (same ``state_dict`` keys, copied
weights, same outputs and gradients) and the minitorch build with the model class (same keys).
"""
from __future__ import annotations

from typing import Any


def _forward_features_classifier(self: Any, x: Any) -> Any:
    return self.classifier(self.features(x))


def _forward_tinyvgg(self: Any, x: Any) -> Any:
    return self.classifier(self.conv_block_2(self.conv_block_1(x)))


def _model(fw: Any, forward: Any, **children: Any) -> Any:
    """An ``fw.nn.Module`` with the given children (in order) and ``forward``."""
    cls = type("Twin", (fw.nn.Module,), {"forward": forward})
    model = cls()
    for name, child in children.items():
        setattr(model, name, child)
    return model


def lenet5(fw: Any, num_classes: int = 10, in_channels: int = 1, pool: str = "max", activation: str = "relu",
           padding: int = 2) -> Any:
    """LeNet-5 (see ``minitorch.vision.models.lenet``) in framework ``fw``."""
    nn = fw.nn
    pool_cls = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[pool]
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    features = nn.Sequential(nn.Conv2d(in_channels, 6, 5, padding=padding), act(), pool_cls(2, 2),
                             nn.Conv2d(6, 16, 5), act(), pool_cls(2, 2))
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), act(), nn.Linear(120, 84), act(),
                               nn.Linear(84, num_classes))
    return _model(fw, _forward_features_classifier, features=features, classifier=classifier)


def tinyvgg(fw: Any, input_shape: int = 3, hidden_units: int = 10, output_shape: int = 10,
            image_size: int = 32) -> Any:
    """TinyVGG (see ``minitorch.vision.models.tinyvgg``) in framework ``fw``."""
    nn = fw.nn

    def block(cin: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin, hidden_units, 3, 1, 1), nn.ReLU(),
                             nn.Conv2d(hidden_units, hidden_units, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2))

    classifier = nn.Sequential(nn.Flatten(), nn.Linear(hidden_units * (image_size // 4) ** 2, output_shape))
    return _model(fw, _forward_tinyvgg, conv_block_1=block(input_shape), conv_block_2=block(hidden_units),
                  classifier=classifier)

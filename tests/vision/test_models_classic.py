"""Classic CNNs (``minitorch.vision.models``: ResNet, VGG, LeNet-5, TinyVGG) against torchvision / the torch twins.

Each model is built in both frameworks, torch's random weights are copied in with ``load_state_dict`` and the
eval-mode logits (and, for ResNet-18 and VGG-11-BN, every train-mode parameter gradient) are compared. Also: the
``state_dict`` keys, ``weights=`` loading from a torch hub cache folder, and the missing-file error.
VGG builders allocate ~130M parameters (slow in both frameworks): their tests are marked slow.
"""
from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest
import torch
import torchvision

import minitorch
from minitorch.vision import models
from parity.harness import assert_close
from parity.models import lenet5, tinyvgg
from parity.modules import copy_weights

TORCHVISION = {  # name -> input shape for the logits comparison
    "resnet18": (2, 3, 64, 64),
    "resnet34": (2, 3, 64, 64),
    "resnet50": (2, 3, 64, 64),
    "vgg11": (2, 3, 32, 32),
    "vgg11_bn": (2, 3, 32, 32),
    "vgg16": (2, 3, 32, 32),
    "vgg16_bn": (2, 3, 32, 32),
}
FAST = {"resnet18"}
SLOW = pytest.mark.slow


def _param(name: str, fast: set = FAST) -> object:
    return pytest.param(name, id=name, marks=() if name in fast else SLOW)


def _pair(name: str, **kwargs: object) -> tuple:
    """(minitorch model, torchvision model) with torchvision's random weights copied into minitorch's."""
    torch.manual_seed(0)
    th = getattr(torchvision.models, name)(weights=None, **kwargs)
    mt = getattr(models, name)(weights=None, **kwargs)
    assert list(mt.state_dict()) == list(th.state_dict())
    copy_weights(th, mt)
    return mt, th


def _input(shape: tuple, dtype: type = np.float32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _eval_logits(mt: minitorch.nn.Module, th: torch.nn.Module, x: np.ndarray) -> tuple:
    mt.eval()
    th.eval()
    with minitorch.no_grad():
        a = mt(minitorch.from_numpy(x.copy()))
    with torch.no_grad():
        e = th(torch.from_numpy(x.copy()))
    return a, e


def _assert_relative(a: object, e: torch.Tensor, what: str, rtol: float) -> None:
    """Every element within ``rtol`` of the largest torch magnitude (logits are O(1) but may cross zero)."""
    assert tuple(a.shape) == tuple(e.shape), what
    scale = float(e.abs().max())
    assert_close(a, e, what, rtol, rtol * scale / max(1.0, scale))


@pytest.mark.parametrize("name", [_param(n) for n in TORCHVISION])
def test_torchvision_logits_float32(name: str) -> None:
    mt, th = _pair(name)
    a, e = _eval_logits(mt, th, _input(TORCHVISION[name]))
    _assert_relative(a, e, f"{name} logits", 1e-4)


def test_resnet18_logits_float64() -> None:
    mt, th = _pair("resnet18", num_classes=10)
    mt, th = mt.to(minitorch.float64), th.to(torch.float64)
    a, e = _eval_logits(mt, th, _input((1, 3, 32, 32), np.float64))
    assert a.dtype == minitorch.float64
    _assert_relative(a, e, "resnet18 float64 logits", 1e-10)


def _train_grads(mt: minitorch.nn.Module, th: torch.nn.Module, shape: tuple, classes: int, rtol: float,
                 dtype: str = "float32") -> None:
    """One train-mode forward/backward with cross-entropy; compares the loss, every gradient and the buffers.

    Each gradient is compared within ``rtol`` of its largest element, but never tighter than ``rtol`` times
    1e-3 of the model's largest gradient: the bias of a convolution followed by BatchNorm has an exact gradient
    of 0, so both frameworks give rounding noise there.
    """
    x, y = _input(shape, getattr(np, dtype)), np.random.default_rng(1).integers(0, classes, shape[0])
    mt, th = mt.to(getattr(minitorch, dtype)).train(), th.to(getattr(torch, dtype)).train()
    a = minitorch.nn.functional.cross_entropy(mt(minitorch.from_numpy(x.copy())), minitorch.from_numpy(y))
    e = torch.nn.functional.cross_entropy(th(torch.from_numpy(x.copy())), torch.from_numpy(y))
    a.backward()
    e.backward()
    assert_close(a, e, "loss", rtol, 0.0)
    mt_params, th_params = dict(mt.named_parameters()), dict(th.named_parameters())
    assert list(mt_params) == list(th_params)
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in th_params.values())
    for name, p in th_params.items():
        scale = max(float(p.grad.abs().max()), floor)
        assert_close(mt_params[name].grad, p.grad, f"gradient of {name}", rtol, rtol * scale / max(1.0, scale))
    for (name, b), (_, tb) in zip(mt.named_buffers(), th.named_buffers()):
        assert_close(b, tb, f"buffer {name} after the forward", rtol, rtol)


def test_resnet18_train_gradients() -> None:
    mt, th = _pair("resnet18", num_classes=10)
    _train_grads(mt, th, (4, 3, 32, 32), 10, 1e-3)


@SLOW
def test_vgg11_bn_train_gradients() -> None:
    """Every parameter gradient of VGG-11-BN after one train-mode cross-entropy step, in float64.

    Not in float32: at this random init the early gradients are discontinuous in the activations (near-ties in
    max-pool / ReLU): feeding torch's own block minitorch's first activations (equal to 7e-7) moves torch's
    gradient by 30% of its scale, so float32 rounding alone decides the result."""
    mt, th = _pair("vgg11_bn", num_classes=10, dropout=0.0)
    _train_grads(mt, th, (2, 3, 32, 32), 10, 1e-8, "float64")



@pytest.mark.parametrize("name", [_param(n, FAST | {"resnet34", "resnet50"}) for n in TORCHVISION])
def test_state_dict_keys_and_shapes(name: str) -> None:
    th = getattr(torchvision.models, name)(weights=None)
    mt = getattr(models, name)(weights=None)
    assert [(k, tuple(v.shape)) for k, v in mt.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in th.state_dict().items()]
    assert str(mt) == str(th)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_resnet_init_statistics(name: str) -> None:
    """torchvision's init: conv weights N(0, 2/fan_out), BN weight 1 / bias 0, zero_init_residual zeroes the last BN."""
    minitorch.manual_seed(0)
    model = getattr(models, name)(zero_init_residual=True)
    w = model.conv1.weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2.0 / (64 * 7 * 7))) < 0.05 * np.sqrt(2.0 / (64 * 7 * 7))
    assert np.all(model.bn1.weight.detach().numpy() == 1) and np.all(model.bn1.bias.detach().numpy() == 0)
    last_bn = model.layer1[0].bn3 if name == "resnet50" else model.layer1[0].bn2
    assert np.all(last_bn.weight.detach().numpy() == 0)


def test_resnet_kwargs_like_torchvision() -> None:
    mt, th = _pair("resnet18", num_classes=7, norm_layer=None)
    assert tuple(mt.fc.weight.shape) == (7, 512)
    with pytest.raises(ValueError, match="replace_stride_with_dilation"):
        models.resnet18(replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights="DEFAULT", num_classes=10)


# --- LeNet-5 and TinyVGG against their torch twins (parity/models.py) ---

TWINS = [
    ("lenet5_max_relu", lambda fw: lenet5(fw), (2, 1, 28, 28), lambda: models.LeNet5()),
    ("lenet5_avg_tanh_32x32", lambda fw: lenet5(fw, in_channels=3, pool="avg", activation="tanh", padding=0),
     (2, 3, 32, 32), lambda: models.LeNet5(in_channels=3, pool="avg", activation="tanh", padding=0)),
    ("tinyvgg", lambda fw: tinyvgg(fw), (2, 3, 32, 32), lambda: models.TinyVGG()),
    ("tinyvgg_64x64", lambda fw: tinyvgg(fw, hidden_units=8, output_shape=3, image_size=64), (2, 3, 64, 64),
     lambda: models.TinyVGG(hidden_units=8, output_shape=3, image_size=64)),
]


@pytest.mark.parametrize("twin, shape, build", [pytest.param(*t[1:], id=t[0]) for t in TWINS])
def test_course_models_vs_torch_twin(twin: object, shape: tuple, build: object) -> None:
    torch.manual_seed(0)
    th = twin(torch)
    mt = build()
    assert list(mt.state_dict()) == list(twin(minitorch).state_dict()) == list(th.state_dict())
    copy_weights(th, mt)
    a, e = _eval_logits(mt, th, _input(shape))
    _assert_relative(a, e, "logits", 1e-4)
    _train_grads(mt, th, shape, int(e.shape[1]), 1e-4)


def test_lenet5_bad_arguments() -> None:
    with pytest.raises(ValueError, match="pool must be 'max' or 'avg', got 'min'"):
        models.LeNet5(pool="min")
    with pytest.raises(ValueError, match="activation must be 'relu' or 'tanh', got 'gelu'"):
        models.LeNet5(activation="gelu")


# --- weights= ---

def _torch_home(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = os.path.join(str(tmp_path), "hub", "checkpoints")
    os.makedirs(folder)
    return folder


@pytest.mark.parametrize("weights", ["DEFAULT", "IMAGENET1K_V1", "ResNet18_Weights.IMAGENET1K_V1",
                                     models.ResNet18_Weights.IMAGENET1K_V1, models.ResNet18_Weights.DEFAULT],
                         ids=["DEFAULT", "IMAGENET1K_V1", "qualified_name", "enum", "enum_DEFAULT"])
def test_weights_from_torch_hub_cache(weights: object, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _torch_home(tmp_path, monkeypatch)
    assert models.get_dir() == torch.hub.get_dir()
    torch.manual_seed(0)
    th = torchvision.models.resnet18(weights=None)
    torch.save(th.state_dict(), os.path.join(folder, "resnet18-f37072fd.pth"))
    mt = models.resnet18(weights=weights)
    a, e = _eval_logits(mt, th, _input((1, 3, 64, 64)))
    _assert_relative(a, e, "logits with weights=", 1e-4)


def test_weights_from_path(tmp_path: object) -> None:
    torch.manual_seed(0)
    th = torchvision.models.resnet18(weights=None, num_classes=5)
    path = os.path.join(str(tmp_path), "mine.pth")
    torch.save(th.state_dict(), path)
    for weights in (path, pathlib.Path(path)):
        mt = models.resnet18(weights=weights, num_classes=5)
        a, e = _eval_logits(mt, th, _input((1, 3, 32, 32)))
        _assert_relative(a, e, f"logits with weights={type(weights).__name__}", 1e-4)


def test_weights_missing_file_names_file_and_folder(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _torch_home(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError) as info:
        models.resnet18(weights="DEFAULT")
    assert "resnet18-f37072fd.pth" in str(info.value) and folder in str(info.value)
    with pytest.raises(RuntimeError, match="nothere.pth not found in"):
        models.resnet18(weights=os.path.join(str(tmp_path), "nothere.pth"))


def test_weights_enums_match_torchvision() -> None:
    for name in ["ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "VGG11_Weights", "VGG11_BN_Weights",
                 "VGG16_Weights", "VGG16_BN_Weights"]:
        mine, theirs = getattr(models, name), getattr(torchvision.models, name)
        assert [(w.name, w.url) for w in mine] == [(w.name, w.url) for w in theirs if w.name in mine._members]
        assert mine.DEFAULT.name == theirs.DEFAULT.name
        assert mine.DEFAULT.url == theirs.DEFAULT.url


def test_weights_bad_values() -> None:
    with pytest.raises(ValueError, match="Unknown weights 'IMAGENET9K'"):
        models.resnet18(weights="IMAGENET9K")
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received ResNet34_Weights"):
        models.resnet18(weights=models.ResNet34_Weights.DEFAULT)

"""Conversion transforms (ToTensor, PILToTensor, ToPILImage, ConvertImageDtype, Normalize, image dimensions) and the
containers (Compose, Lambda, RandomApply, RandomChoice, RandomOrder) compared with torchvision's: outputs on PIL
images / arrays / tensors of every mode and dtype, reprs, argument errors, and a full augmentation pipeline."""
import importlib
import inspect
import re

import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from PIL import Image

import minitorch
import minitorch.vision.transforms as T
from minitorch.vision.transforms import functional as F

RS = np.random.RandomState(0)
RGBA = RS.randint(0, 256, (5, 7, 4), dtype=np.uint8)


def _pil(mode):
    if mode == "1":
        return Image.fromarray(RGBA[..., 0] > 127)
    if mode in ("I", "I;16", "F"):
        return Image.fromarray(RGBA[..., 0]).convert("I" if mode == "I;16" else mode).convert(mode) \
            if mode != "I;16" else Image.fromarray(RGBA[..., 0].astype(np.uint16) * 200)
    if mode == "P":
        return Image.fromarray(RGBA[..., :3]).convert("P")
    return Image.fromarray(RGBA).convert(mode)


def _np(x):
    return x.detach().numpy() if isinstance(x, minitorch.Tensor) else x.numpy()


def _same_tensor(mine, theirs):
    assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(_np(mine), _np(theirs))


def _both(arr):
    return minitorch.from_numpy(np.array(arr)), torch.from_numpy(np.array(arr))


TO_TENSOR_MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "I", "I;16", "F", "CMYK", "YCbCr", "HSV"]


@pytest.mark.parametrize("mode", TO_TENSOR_MODES)
def test_to_tensor_pil(mode):
    img = _pil(mode)
    _same_tensor(F.to_tensor(img), TVF.to_tensor(img))
    _same_tensor(T.ToTensor()(img), TV.ToTensor()(img))


@pytest.mark.parametrize("arr", [RGBA[..., :3], RGBA[..., 0], RGBA.astype(np.float32) / 255, RGBA.astype(np.int16),
                                 RGBA[::2, 1:]], ids=["uint8_hwc", "uint8_hw", "float32", "int16", "strided"])
def test_to_tensor_ndarray(arr):
    _same_tensor(F.to_tensor(arr), TVF.to_tensor(arr))


def test_to_tensor_default_dtype():
    minitorch.set_default_dtype(minitorch.float64)
    try:
        assert F.to_tensor(_pil("RGB")).dtype == minitorch.float64
    finally:
        minitorch.set_default_dtype(minitorch.float32)


@pytest.mark.parametrize("mode", [m for m in TO_TENSOR_MODES if m != "I;16"])   # uint16: no minitorch dtype
def test_pil_to_tensor(mode):
    img = _pil(mode)
    _same_tensor(F.pil_to_tensor(img), TVF.pil_to_tensor(img))
    _same_tensor(T.PILToTensor()(img), TV.PILToTensor()(img))


# (id, image as an HWC ndarray or CHW tensor source, mode)
TO_PIL_CASES = [
    ("float_rgb", RGBA[..., :3].transpose(2, 0, 1) / 255.0, None),
    ("float32_gray_F", (RGBA[..., :1].transpose(2, 0, 1) / 255.0).astype(np.float32), "F"),
    ("float_gray", (RGBA[..., :1].transpose(2, 0, 1) / 255.0).astype(np.float32), None),
    ("uint8_rgba", RGBA.transpose(2, 0, 1), None),
    ("uint8_la", RGBA[..., :2].transpose(2, 0, 1), None),
    ("uint8_gray", RGBA[..., :1].transpose(2, 0, 1), None),
    ("int16_gray", RGBA[..., :1].transpose(2, 0, 1).astype(np.int16) * 100, None),
    ("int32_gray", RGBA[..., :1].transpose(2, 0, 1).astype(np.int32) * 1000, None),
    ("uint8_2d", RGBA[..., 0], None),
    ("uint8_ycbcr", RGBA[..., :3].transpose(2, 0, 1), "YCbCr"),
    ("uint8_hsv", RGBA[..., :3].transpose(2, 0, 1), "HSV"),
    ("uint8_cmyk", RGBA.transpose(2, 0, 1), "CMYK"),
    ("uint8_rgbx", RGBA.transpose(2, 0, 1), "RGBX"),
    ("float_rgba_mode", RGBA.transpose(2, 0, 1) / 255.0, "RGBA"),
]


@pytest.mark.parametrize("source", ["tensor", "ndarray"])
@pytest.mark.parametrize("name,arr,mode", TO_PIL_CASES, ids=[c[0] for c in TO_PIL_CASES])
def test_to_pil_image(name, arr, mode, source):
    if source == "tensor":
        mine, theirs = _both(arr)
    else:
        mine = theirs = np.ascontiguousarray(arr if arr.ndim == 2 else arr.transpose(1, 2, 0))
    a, b = F.to_pil_image(mine, mode), TVF.to_pil_image(theirs, mode)
    assert a.mode == b.mode and a.size == b.size
    np.testing.assert_array_equal(np.array(a), np.array(b))
    assert np.array_equal(np.array(T.ToPILImage(mode)(mine)), np.array(TV.ToPILImage(mode)(theirs)))


def test_pil_round_trip():
    img = _pil("RGB")
    assert np.array_equal(np.array(F.to_pil_image(F.pil_to_tensor(img))), np.array(img))
    assert np.array_equal(np.array(F.to_pil_image(F.to_tensor(img))), np.array(img))


CONVERT_CASES = [("uint8", "float32"), ("uint8", "float64"), ("float32", "uint8"), ("float64", "uint8"),
                 ("float32", "float64"), ("uint8", "int32"), ("int32", "uint8"), ("int16", "int64"),
                 ("int64", "int16"), ("int8", "uint8"), ("float64", "int32"), ("float32", "int16"),
                 ("uint8", "uint8"), ("int32", "float32")]


@pytest.mark.parametrize("src,dst", CONVERT_CASES, ids=[f"convert_image_dtype_{a}_{b}" for a, b in CONVERT_CASES])
def test_convert_image_dtype(src, dst):
    if src.startswith("float"):
        arr = RS.rand(2, 3, 4).astype(src)
        arr[0, 0, :2] = (0.0, 1.0)
    else:
        info = np.iinfo(src)
        arr = RS.randint(max(info.min, 0), info.max, (2, 3, 4)).astype(src)
        arr[0, 0, :2] = (0, info.max)
    mine, theirs = _both(arr)
    _same_tensor(F.convert_image_dtype(mine, getattr(minitorch, dst)),
                 TVF.convert_image_dtype(theirs, getattr(torch, dst)))
    _same_tensor(T.ConvertImageDtype(getattr(minitorch, dst))(mine), TV.ConvertImageDtype(getattr(torch, dst))(theirs))


@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)], ids=["normalize_chw", "normalize_batched"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize(shape, dtype):
    mine, theirs = _both(RS.rand(*shape).astype(dtype))
    mean, std = [0.485, 0.456, 0.406], (0.229, 0.224, 0.225)
    out = F.normalize(mine, mean, std)
    np.testing.assert_allclose(_np(out), _np(TVF.normalize(theirs, mean, std)), rtol=1e-6)
    assert out.dtype == mine.dtype and not np.array_equal(_np(out), _np(mine))
    np.testing.assert_allclose(_np(T.Normalize(mean, std)(mine)), _np(TV.Normalize(mean, std)(theirs)), rtol=1e-6)
    same = T.Normalize(mean, std, inplace=True)(mine)
    assert same is mine
    np.testing.assert_allclose(_np(mine), _np(out), rtol=1e-6)


def test_normalize_gradient():
    x = minitorch.rand(3, 2, 2, dtype=minitorch.float64, requires_grad=True)
    F.normalize(x, [0.5, 0.1, 0.2], [2.0, 4.0, 0.5]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0, 0], [0.5, 0.25, 2.0])
    assert minitorch.autograd.gradgradcheck(lambda v: F.normalize(v, [0.1, 0.2, 0.3], [2.0, 3.0, 4.0]), (x,))


@pytest.mark.parametrize("kind", ["pil_RGB", "pil_L", "pil_LA", "tensor_2d", "tensor_3d", "tensor_4d"])
def test_image_dimensions(kind):
    if kind.startswith("pil"):
        mine = theirs = _pil(kind[4:])
    else:
        arr = RS.rand(*{"tensor_2d": (5, 7), "tensor_3d": (2, 5, 7), "tensor_4d": (4, 3, 5, 7)}[kind])
        mine, theirs = _both(arr)
    for name in ("get_dimensions", "get_image_size", "get_image_num_channels"):
        assert getattr(F, name)(mine) == getattr(TVF, name)(theirs)


REPRS = [
    ("ToTensor", lambda ns, fw: ns.ToTensor()),
    ("PILToTensor", lambda ns, fw: ns.PILToTensor()),
    ("ToPILImage", lambda ns, fw: ns.ToPILImage()),
    ("ToPILImage_mode", lambda ns, fw: ns.ToPILImage("RGBA")),
    ("ConvertImageDtype", lambda ns, fw: ns.ConvertImageDtype(fw.float64)),
    ("Normalize", lambda ns, fw: ns.Normalize((0.5, 0.25), [0.1, 0.2])),
    ("Lambda", lambda ns, fw: ns.Lambda(abs)),
    ("Compose", lambda ns, fw: ns.Compose([ns.CenterCrop(3), ns.ToTensor(), ns.Normalize([0.5], [0.5])])),
    ("RandomApply", lambda ns, fw: ns.RandomApply([ns.CenterCrop(3), ns.Pad(1)], p=0.3)),
    ("RandomChoice", lambda ns, fw: ns.RandomChoice([ns.CenterCrop(3), ns.Pad(1)], p=[0.2, 0.8])),
    ("RandomChoice_uniform", lambda ns, fw: ns.RandomChoice([ns.Pad(1)])),
    ("RandomOrder", lambda ns, fw: ns.RandomOrder([ns.CenterCrop(3), ns.Pad(1)])),
]


@pytest.mark.parametrize("name,make", REPRS, ids=[c[0] for c in REPRS])
def test_repr(name, make):
    assert repr(make(T, minitorch)) == repr(make(TV, torch))


BAD_ARGS = [
    ("to_tensor_type", lambda ns, fw: ns.functional.to_tensor([1, 2])),
    ("to_tensor_ndim", lambda ns, fw: ns.functional.to_tensor(np.zeros((1, 2, 3, 4), np.uint8))),
    ("pil_to_tensor_type", lambda ns, fw: ns.functional.pil_to_tensor(np.zeros((2, 3), np.uint8))),
    ("to_pil_image_type", lambda ns, fw: ns.functional.to_pil_image([1, 2])),
    ("to_pil_image_ndim", lambda ns, fw: ns.functional.to_pil_image(np.zeros((1, 2, 3, 4), np.uint8))),
    ("to_pil_image_channels", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3, 5), np.uint8))),
    ("to_pil_image_mode_1ch", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3), np.uint8), "F")),
    ("to_pil_image_mode_2ch", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3, 2), np.uint8), "RGB")),
    ("to_pil_image_mode_3ch", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3, 3), np.uint8), "RGBA")),
    ("to_pil_image_mode_4ch", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3, 4), np.uint8), "RGB")),
    ("to_pil_image_dtype", lambda ns, fw: ns.functional.to_pil_image(np.zeros((2, 3), np.int64))),
    ("convert_image_dtype_type", lambda ns, fw: ns.functional.convert_image_dtype(np.zeros((1, 2, 2)))),
    ("convert_image_dtype_f32_i32", lambda ns, fw: ns.functional.convert_image_dtype(fw.zeros(1, 2, 2), fw.int32)),
    ("convert_image_dtype_f32_i64", lambda ns, fw: ns.functional.convert_image_dtype(fw.zeros(1, 2, 2), fw.int64)),
    ("convert_image_dtype_f64_i64",
     lambda ns, fw: ns.functional.convert_image_dtype(fw.zeros(1, 2, 2, dtype=fw.float64), fw.int64)),
    ("normalize_type", lambda ns, fw: ns.functional.normalize(np.zeros((3, 2, 2)), [0.0], [1.0])),
    ("normalize_int", lambda ns, fw: ns.functional.normalize(fw.zeros(3, 2, 2, dtype=fw.uint8), [0.0], [1.0])),
    ("normalize_2d", lambda ns, fw: ns.functional.normalize(fw.zeros(2, 2), [0.0], [1.0])),
    ("normalize_1d", lambda ns, fw: ns.functional.normalize(fw.zeros(2), [0.0], [1.0])),
    ("normalize_std_zero", lambda ns, fw: ns.Normalize([0.0, 0.0], [1.0, 0.0])(fw.zeros(2, 2, 2))),
    ("get_dimensions_type", lambda ns, fw: ns.functional.get_dimensions([1, 2])),
    ("Lambda_not_callable", lambda ns, fw: ns.Lambda(3)),
    ("RandomChoice_transforms", lambda ns, fw: ns.RandomChoice(abs)),
    ("RandomChoice_p", lambda ns, fw: ns.RandomChoice([abs], p=1.0)),
    ("RandomOrder_transforms", lambda ns, fw: ns.RandomOrder({abs})),
]


@pytest.mark.parametrize("name,call", BAD_ARGS, ids=[c[0] for c in BAD_ARGS])
def test_bad_arguments(name, call):
    with pytest.raises(Exception) as expected:
        call(TV, torch)
    with pytest.raises(type(expected.value)) as got:
        call(T, minitorch)
    assert type(got.value) is type(expected.value)
    prefix = re.split(r"torch|<class", str(expected.value))[0]
    assert str(got.value).startswith(prefix), (str(got.value), str(expected.value))


def test_compose_and_lambda():
    img = _pil("RGB")
    mine = T.Compose([T.CenterCrop(3), T.Lambda(lambda x: F.hflip(x)), T.ToTensor()])
    theirs = TV.Compose([TV.CenterCrop(3), TV.Lambda(lambda x: TVF.hflip(x)), TV.ToTensor()])
    _same_tensor(mine(img), theirs(img))


def test_random_apply():
    x, _ = _both(RS.rand(1, 4, 4))
    flip = T.RandomApply([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)], p=0.5)
    assert np.array_equal(_np(T.RandomApply([T.Lambda(lambda v: v * 0)], p=1.0)(x)), np.zeros((1, 4, 4)))
    assert T.RandomApply([T.Lambda(lambda v: v * 0)], p=0.0)(x) is x
    applied = 0
    for seed in range(20):
        minitorch.manual_seed(seed)
        out = flip(x)
        minitorch.manual_seed(seed)
        draw = not 0.5 < minitorch.rand(1).item()
        applied += draw
        np.testing.assert_array_equal(_np(out), _np(x)[:, ::-1, ::-1] if draw else _np(x))
    assert 0 < applied < 20


def test_random_choice_and_order():
    minitorch.manual_seed(0)
    choice = T.RandomChoice([T.Lambda(lambda v: "a"), T.Lambda(lambda v: "b"), T.Lambda(lambda v: "c")],
                            p=[0.2, 0.0, 0.8])
    picks = [choice(None) for _ in range(300)]
    assert picks.count("b") == 0 and 30 < picks.count("a") < 90
    uniform = T.RandomChoice([T.Lambda(lambda v: 0), T.Lambda(lambda v: 1)])
    assert 0.35 < np.mean([uniform(None) for _ in range(300)]) < 0.65
    order = T.RandomOrder([T.Lambda(lambda v: v + "a"), T.Lambda(lambda v: v + "b"), T.Lambda(lambda v: v + "c")])
    outcomes = {order("") for _ in range(100)}
    assert outcomes == {"abc", "acb", "bac", "bca", "cab", "cba"}
    minitorch.manual_seed(5)
    first = [order("") for _ in range(10)]
    minitorch.manual_seed(5)
    assert [order("") for _ in range(10)] == first


@pytest.mark.parametrize("kind", ["pil", "tensor"])
def test_augmentation_pipeline(kind):
    """RandomResizedCrop -> flip -> ToTensor (or ConvertImageDtype) -> Normalize, on PIL images and uint8 tensors,
    equals torchvision's functional forms at the parameters minitorch draws."""
    img = _pil("RGB")
    mine_in, theirs_in = (img, img) if kind == "pil" else _both(np.ascontiguousarray(RGBA[..., :3].transpose(2, 0, 1)))
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    to_float = T.ToTensor() if kind == "pil" else T.ConvertImageDtype(minitorch.float32)
    pipeline = T.Compose([T.RandomResizedCrop(4, scale=(0.5, 1.0)), T.RandomHorizontalFlip(), to_float,
                          T.Normalize(mean, std)])
    for seed in range(6):
        minitorch.manual_seed(seed)
        out = pipeline(mine_in)
        assert out.shape == (3, 4, 4) and out.dtype == minitorch.float32
        minitorch.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(mine_in, (0.5, 1.0), (3 / 4, 4 / 3))
        theirs = TVF.resized_crop(theirs_in, i, j, h, w, [4, 4])
        if minitorch.rand(1).item() < 0.5:
            theirs = TVF.hflip(theirs)
        theirs = TVF.to_tensor(theirs) if kind == "pil" else TVF.convert_image_dtype(theirs, torch.float32)
        # tensor resampling of uint8 may differ by one intensity level (see test_transforms_geometry._check)
        np.testing.assert_allclose(_np(out), _np(TVF.normalize(theirs, mean, std)), rtol=1e-5,
                                   atol=1e-6 if kind == "pil" else 1.01 / 255 / min(std))


def _signature(fn):
    def default(value):   # enum members and dtypes compared by what they name
        return getattr(value, "value", str(value).replace("minitorch.", "torch."))
    return [(name, default(p.default)) for name, p in inspect.signature(fn).parameters.items()]


@pytest.mark.parametrize("family", ["_container", "_conversion", "_geometry"])
def test_api_names_and_signatures(family):
    """Every class and function of the family exists in torchvision with the same parameters and defaults."""
    module = importlib.import_module(f"minitorch.vision.transforms.{family}")
    for name in module.__all__:
        assert hasattr(TV, name), name
        if name != "InterpolationMode":
            assert _signature(getattr(T, name)) == _signature(getattr(TV, name)), name
    for name in module.FUNCTIONAL:
        assert getattr(F, name) is getattr(module, name)
        if name != "InterpolationMode":
            assert _signature(getattr(F, name)) == _signature(getattr(TVF, name)), name

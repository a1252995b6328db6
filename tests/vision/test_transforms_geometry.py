"""Resizing, cropping, padding and flipping transforms compared with torchvision's on the same PIL images and tensors
(uint8, float32, float64; single and batched): functional forms, transform classes, random transforms given the
same parameters, reprs and argument errors."""
import re
import warnings

import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.vision.transforms as T
from minitorch.vision.transforms import functional as F

from image_pairs import assert_same_image, image_pair

RS = np.random.RandomState(0)
RGB = RS.randint(0, 256, (13, 17, 3), dtype=np.uint8)
KINDS = ["pil_rgb", "pil_L", "pil_F", "uint8", "float32", "float64", "batch_float32"]


def _pair(kind):
    """The same image for minitorch and for torchvision."""
    return image_pair(kind, RGB)


def _check(mine, theirs, resampled=False):
    assert_same_image(mine, theirs, resampled, atol=1e-6)


def _mode(ns, name):
    return getattr(ns.InterpolationMode, name)


# (id, fn(F, namespace of InterpolationMode, img), resampled)
FUNCTIONAL_CASES = [
    ("resize", lambda f, ns, x: f.resize(x, [7, 9]), True),
    ("resize_int", lambda f, ns, x: f.resize(x, 8), True),
    ("resize_up", lambda f, ns, x: f.resize(x, [29, 31]), True),
    ("resize_max_size", lambda f, ns, x: f.resize(x, 10, max_size=12), True),
    ("resize_same", lambda f, ns, x: f.resize(x, [13, 17]), False),
    ("resize_nearest", lambda f, ns, x: f.resize(x, [7, 30], _mode(ns, "NEAREST")), False),
    ("resize_nearest_exact", lambda f, ns, x: f.resize(x, [26, 5], _mode(ns, "NEAREST_EXACT")), False),
    ("resize_bicubic", lambda f, ns, x: f.resize(x, [6, 25], _mode(ns, "BICUBIC")), True),
    ("resize_bilinear_no_antialias", lambda f, ns, x: f.resize(x, [5, 11], antialias=False), True),
    ("resize_bicubic_no_antialias", lambda f, ns, x: f.resize(x, [21, 8], _mode(ns, "BICUBIC"), antialias=False),
     True),
    ("resize_pillow_constant", lambda f, ns, x: f.resize(x, [9, 9], 3), True),
    ("center_crop", lambda f, ns, x: f.center_crop(x, [6, 9]), False),
    ("center_crop_int", lambda f, ns, x: f.center_crop(x, 5), False),
    ("center_crop_larger", lambda f, ns, x: f.center_crop(x, [16, 20]), False),
    ("crop", lambda f, ns, x: f.crop(x, 2, 3, 7, 8), False),
    ("crop_outside", lambda f, ns, x: f.crop(x, -2, 12, 9, 8), False),
    ("pad_constant", lambda f, ns, x: f.pad(x, [1, 2, 3, 4], fill=7), False),
    ("pad_constant_int", lambda f, ns, x: f.pad(x, 2), False),
    ("pad_edge", lambda f, ns, x: f.pad(x, [3, 1], padding_mode="edge"), False),
    ("pad_reflect", lambda f, ns, x: f.pad(x, [4, 2, 1, 5], padding_mode="reflect"), False),
    ("pad_symmetric", lambda f, ns, x: f.pad(x, [5], padding_mode="symmetric"), False),
    ("pad_negative", lambda f, ns, x: f.pad(x, [-1, 2, 3, -2], padding_mode="reflect"), False),
    ("hflip", lambda f, ns, x: f.hflip(x), False),
    ("vflip", lambda f, ns, x: f.vflip(x), False),
    ("resized_crop", lambda f, ns, x: f.resized_crop(x, 1, 2, 9, 10, [6, 7]), True),
    ("five_crop", lambda f, ns, x: f.five_crop(x, [4, 6]), False),
    ("ten_crop", lambda f, ns, x: f.ten_crop(x, 5, vertical_flip=True), False),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name,fn,resampled", FUNCTIONAL_CASES, ids=[c[0] for c in FUNCTIONAL_CASES])
def test_functional_parity(name, fn, resampled, kind):
    mine, theirs = _pair(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check(fn(F, T, mine), fn(TVF, TV, theirs), resampled)


@pytest.mark.parametrize("mode", ["BOX", "HAMMING", "LANCZOS"])
def test_resize_pil_only_modes(mode):
    mine, theirs = _pair("pil_rgb")
    _check(F.resize(mine, [7, 23], _mode(T, mode)), TVF.resize(theirs, [7, 23], _mode(TV, mode)))
    with pytest.raises(ValueError if mode == "LANCZOS" else NotImplementedError):
        F.resize(_pair("float32")[0], [7, 23], _mode(T, mode))
    with pytest.raises(ValueError if mode == "LANCZOS" else NotImplementedError):
        TVF.resize(_pair("float32")[1], [7, 23], _mode(TV, mode))


def test_interpolation_mode_enum():
    assert [(m.name, m.value) for m in T.InterpolationMode] == [(m.name, m.value) for m in TV.InterpolationMode]
    assert F.InterpolationMode is T.InterpolationMode


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 30), st.integers(1, 30), st.integers(1, 40), st.integers(1, 40),
       st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic"]), st.booleans(),
       st.sampled_from(["float32", "float64", "uint8"]), st.booleans())
def test_resize_hypothesis(channels, h, w, out_h, out_w, mode, antialias, dtype, batched):
    """Random sizes (up and down, either axis), modes, antialias and dtypes against torchvision's tensor resize."""
    shape = (2, channels, h, w) if batched else (channels, h, w)
    arr = np.random.RandomState(h * 100 + w).rand(*shape)
    arr = (arr * 255).astype(np.uint8) if dtype == "uint8" else arr.astype(dtype)
    mine = F.resize(minitorch.from_numpy(arr.copy()), [out_h, out_w], T.InterpolationMode(mode), antialias=antialias)
    theirs = TVF.resize(torch.from_numpy(arr.copy()), [out_h, out_w], TV.InterpolationMode(mode),
                        antialias=antialias)
    _check(mine, theirs, resampled=mode in ("bilinear", "bicubic"))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.integers(-3, 6), min_size=4, max_size=4), st.sampled_from(["constant", "edge", "reflect",
                                                                              "symmetric"]),
       st.sampled_from(["pil_rgb", "pil_P", "pil_F", "uint8", "float64"]))
def test_pad_hypothesis(padding, mode, kind):
    mine, theirs = _pair(kind)
    _check(F.pad(mine, padding, 3, mode), TVF.pad(theirs, padding, 3, mode))


GRADCHECK_CASES = [
    ("resize_bicubic", lambda v: F.resize(v, [3, 8], T.InterpolationMode.BICUBIC)),
    ("resize_bilinear_no_antialias", lambda v: F.resize(v, [7, 4], antialias=False)),
    ("pad_reflect", lambda v: F.pad(v, [2, 1, 3, -1], padding_mode="reflect")),
    ("pad_constant", lambda v: F.pad(v, [2, 1], fill=2.0)),
    ("crop_outside", lambda v: F.crop(v, -1, 2, 4, 6)),
    ("hflip", F.hflip),
]


@pytest.mark.parametrize("name,fn", GRADCHECK_CASES, ids=[c[0] for c in GRADCHECK_CASES])
def test_gradcheck(name, fn):
    """The tensor transforms are built from minitorch ops, so they are differentiable."""
    x = minitorch.rand(2, 5, 6, dtype=minitorch.float64, requires_grad=True)
    assert minitorch.autograd.gradcheck(fn, (x,))


def test_resize_gradient_flows():
    """Tensor resize is built from minitorch ops: gradients reach the input (a resize is linear, so the gradient of
    the sum is the column sums of the weights)."""
    x = minitorch.rand(1, 6, 8, dtype=minitorch.float64, requires_grad=True)
    F.resize(x, [3, 5]).sum().backward()
    t = torch.from_numpy(x.detach().numpy()).requires_grad_()
    TVF.resize(t, [3, 5]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)


# (id, constructor(ns)) for the transform classes
CLASS_CASES = [
    ("Resize", lambda ns: ns.Resize([9, 6])),
    ("Resize_int_bicubic", lambda ns: ns.Resize(7, ns.InterpolationMode.BICUBIC, max_size=10, antialias=False)),
    ("Resize_pil_constant", lambda ns: ns.Resize(7, 0)),
    ("CenterCrop", lambda ns: ns.CenterCrop(8)),
    ("CenterCrop_pair", lambda ns: ns.CenterCrop([15, 4])),
    ("Pad", lambda ns: ns.Pad([2, 3], fill=9)),
    ("Pad_reflect", lambda ns: ns.Pad(3, padding_mode="reflect")),
    ("FiveCrop", lambda ns: ns.FiveCrop(6)),
    ("TenCrop", lambda ns: ns.TenCrop([6, 5], vertical_flip=True)),
]


@pytest.mark.parametrize("kind", ["pil_rgb", "uint8", "float32"])
@pytest.mark.parametrize("name,make", CLASS_CASES, ids=[c[0] for c in CLASS_CASES])
def test_class_parity(name, make, kind):
    mine, theirs = _pair(kind)
    m, t = make(T), make(TV)
    assert repr(m) == repr(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PIL input with antialias=False warns (both libraries)
        _check(m(mine), t(theirs), resampled=name.startswith("Resize"))


RANDOM_REPRS = [
    ("RandomCrop", lambda ns: ns.RandomCrop(5, padding=2)),
    ("RandomResizedCrop", lambda ns: ns.RandomResizedCrop([5, 6], scale=(0.3, 0.9), ratio=(0.5, 2.0))),
    ("RandomResizedCrop_default", lambda ns: ns.RandomResizedCrop(8, interpolation=ns.InterpolationMode.NEAREST)),
    ("RandomHorizontalFlip", lambda ns: ns.RandomHorizontalFlip()),
    ("RandomVerticalFlip", lambda ns: ns.RandomVerticalFlip(0.3)),
]


@pytest.mark.parametrize("name,make", RANDOM_REPRS, ids=[c[0] for c in RANDOM_REPRS])
def test_random_repr(name, make):
    assert repr(make(T)) == repr(make(TV))


RANDOM_CROP_CASES = [
    ("RandomCrop", dict(size=5)),
    ("RandomCrop_padding", dict(size=[9, 4], padding=[1, 2], fill=4)),
    ("RandomCrop_pad_if_needed", dict(size=[20, 30], pad_if_needed=True, padding_mode="edge")),
    ("RandomCrop_full", dict(size=[13, 17])),
]


@pytest.mark.parametrize("kind", ["pil_rgb", "uint8", "float64"])
@pytest.mark.parametrize("name,kwargs", RANDOM_CROP_CASES, ids=[c[0] for c in RANDOM_CROP_CASES])
def test_RandomCrop_same_params(name, kwargs, kind):
    """minitorch's RandomCrop equals torchvision's pad + crop at the parameters its get_params draws."""
    mine, theirs = _pair(kind)
    transform = T.RandomCrop(**kwargs)
    minitorch.manual_seed(3)
    out = transform(mine)
    minitorch.manual_seed(3)
    size, fill, mode = transform.size, transform.fill, transform.padding_mode
    if transform.padding is not None:
        mine, theirs = F.pad(mine, transform.padding, fill, mode), TVF.pad(theirs, transform.padding, fill, mode)
    _, h, w = F.get_dimensions(mine)
    if transform.pad_if_needed:
        pads = [max(size[1] - w, 0), max(size[0] - h, 0)]
        mine, theirs = F.pad(mine, pads, fill, mode), TVF.pad(theirs, pads, fill, mode)
    params = T.RandomCrop.get_params(mine, size)
    _check(out, TVF.crop(theirs, *params))


def test_RandomCrop_get_params():
    img = _pair("float32")[0]
    minitorch.manual_seed(0)
    draws = np.array([T.RandomCrop.get_params(img, (4, 5)) for _ in range(200)])
    assert (draws[:, 2:] == (4, 5)).all()
    assert draws[:, 0].min() == 0 and draws[:, 0].max() == 13 - 4
    assert draws[:, 1].min() == 0 and draws[:, 1].max() == 17 - 5
    for ns, im in ((T, img), (TV, _pair("float32")[1])):
        with pytest.raises(ValueError, match=re.escape("Required crop size (14, 5) is larger than input image size "
                                                       "(13, 17)")):
            ns.RandomCrop.get_params(im, (14, 5))


@pytest.mark.parametrize("kind", ["pil_rgb", "uint8", "float32", "batch_float32"])
def test_RandomResizedCrop_same_params(kind):
    mine, theirs = _pair(kind)
    transform = T.RandomResizedCrop([6, 5], scale=(0.2, 0.9))
    for seed in range(4):
        minitorch.manual_seed(seed)
        out = transform(mine)
        minitorch.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(mine, transform.scale, transform.ratio)
        _check(out, TVF.resized_crop(theirs, i, j, h, w, [6, 5]), resampled=True)


def test_RandomResizedCrop_get_params():
    img = _pair("float32")[0]
    minitorch.manual_seed(0)
    for _ in range(100):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.3, 0.6), (0.8, 1.25))
        assert 0 <= i <= 13 - h and 0 <= j <= 17 - w
        assert 0.3 * 13 * 17 * 0.6 <= h * w <= 0.6 * 13 * 17 * 1.6   # rounding of h and w widens the bounds
    # impossible area: ten rejected draws, then torchvision's central fallback with the ratio clamped
    wide = minitorch.zeros(1, 4, 40)
    assert T.RandomResizedCrop.get_params(wide, (2.0, 3.0), (0.5, 2.0)) == \
        TV.RandomResizedCrop.get_params(torch.zeros(1, 4, 40), (2.0, 3.0), (0.5, 2.0)) == (0, 16, 4, 8)


@pytest.mark.parametrize("kind", ["pil_rgb", "uint8", "batch_float32"])
@pytest.mark.parametrize("name", ["RandomHorizontalFlip", "RandomVerticalFlip"])
def test_random_flips(name, kind):
    mine, theirs = _pair(kind)
    flip = TVF.hflip if name == "RandomHorizontalFlip" else TVF.vflip
    _check(getattr(T, name)(p=1.0)(mine), flip(theirs))
    _check(getattr(T, name)(p=0.0)(mine), theirs)
    flipped = 0
    for seed in range(20):
        minitorch.manual_seed(seed)
        out = getattr(T, name)(p=0.5)(mine)
        minitorch.manual_seed(seed)
        draw = minitorch.rand(1).item() < 0.5
        flipped += draw
        _check(out, flip(theirs) if draw else theirs)
    assert 0 < flipped < 20


# (id, call(ns, img)) of bad arguments: both libraries must raise the same exception type and message start
BAD_ARGS = [
    ("Resize_size_type", lambda ns, x: ns.Resize(8.0)),
    ("Resize_size_len", lambda ns, x: ns.Resize([1, 2, 3])),
    ("resize_interpolation_type", lambda ns, x: ns.functional.resize(x, 5, "bilinear")),
    ("resize_size_len", lambda ns, x: ns.functional.resize(x, [1, 2, 3])),
    ("resize_max_size_with_pair", lambda ns, x: ns.functional.resize(x, [4, 5], max_size=9)),
    ("resize_max_size_too_small", lambda ns, x: ns.functional.resize(x, 8, max_size=8)),
    ("resize_2d_tensor", lambda ns, x: ns.functional.resize(x[0], [4, 5])),
    ("CenterCrop_size", lambda ns, x: ns.CenterCrop([1, 2, 3])),
    ("RandomCrop_size", lambda ns, x: ns.RandomCrop([1, 2, 3])),
    ("RandomResizedCrop_scale", lambda ns, x: ns.RandomResizedCrop(4, scale=0.5)),
    ("RandomResizedCrop_ratio", lambda ns, x: ns.RandomResizedCrop(4, ratio=2)),
    ("Pad_padding_type", lambda ns, x: ns.Pad("2")),
    ("Pad_fill_type", lambda ns, x: ns.Pad(2, fill="red")),
    ("Pad_mode", lambda ns, x: ns.Pad(2, padding_mode="wrap")),
    ("Pad_padding_len", lambda ns, x: ns.Pad([1, 2, 3])),
    ("pad_fill_tuple_tensor", lambda ns, x: ns.functional.pad(x, 2, fill=(1, 2, 3))),
    ("pad_padding_len", lambda ns, x: ns.functional.pad(x, [1, 2, 3])),
    ("pad_mode", lambda ns, x: ns.functional.pad(x, 1, padding_mode="wrap")),
    ("pad_reflect_too_wide", lambda ns, x: ns.functional.pad(x, [20, 1], padding_mode="reflect")),
    ("pad_symmetric_5d", lambda ns, x: ns.functional.pad(x[None, None], 1, padding_mode="symmetric")),
    ("hflip_not_image", lambda ns, x: ns.functional.hflip([1, 2])),
    ("crop_1d_tensor", lambda ns, x: ns.functional.crop(x[0, 0], 0, 0, 1, 1)),
    ("five_crop_too_big", lambda ns, x: ns.functional.five_crop(x, 14)),
    ("five_crop_size_len", lambda ns, x: ns.functional.five_crop(x, [1, 2, 3])),
    ("center_crop_size_len", lambda ns, x: ns.functional.center_crop(x, [1, 2, 3])),
]


# cases where minitorch says what was wrong instead of torchvision's generic message (same exception type)
CLEARER_MESSAGES = {"center_crop_size_len": "Please provide only two dimensions (h, w) for size."}


@pytest.mark.parametrize("name,call", BAD_ARGS, ids=[c[0] for c in BAD_ARGS])
def test_bad_arguments(name, call):
    mine, theirs = _pair("float32")
    with pytest.raises(Exception) as expected:
        call(TV, theirs)
    with pytest.raises(type(expected.value)) as got:
        call(T, mine)
    assert type(got.value) is type(expected.value)
    assert str(got.value)[:40] == CLEARER_MESSAGES.get(name, str(expected.value))[:40]


def test_pil_resize_ignores_antialias_false_with_warning():
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        F.resize(_pair("pil_rgb")[0], [5, 5], antialias=False)

"""Rotation / affine and colour transforms compared with torchvision's on the same PIL images and tensors (uint8,
float32, float64, one-channel, batched): functional forms, transform classes given the same random parameters,
``get_params``, reprs and argument errors."""
import re
import warnings

import numpy as np
import pytest
import torch
import torchvision.transforms as TV
import torchvision.transforms.functional as TVF
from hypothesis import given, settings, strategies as st
from PIL import Image

import minitorch
import minitorch.vision.transforms as T
from minitorch.vision.transforms import functional as F

from image_pairs import assert_same_image, image_pair

RGB = np.random.RandomState(1).randint(0, 256, (13, 17, 3), dtype=np.uint8)
KINDS = ["pil_rgb", "pil_L", "uint8", "float32", "float64", "gray_uint8", "batch_float32", "batch_uint8"]
TENSOR_KINDS = [k for k in KINDS if not k.startswith("pil")]


def _pair(kind):
    """The same image for minitorch and for torchvision."""
    return image_pair(kind, RGB)


def _check(mine, theirs, rounding=False):
    assert_same_image(mine, theirs, rounding, atol=1e-5)


def _mode(ns, name):
    return getattr(ns.InterpolationMode, name)


# (id, fn(F, namespace with InterpolationMode, img), float rounding allowed on tensors: bilinear weights and the
# separable blur sum in another order than torch; contrast's mean gray level is summed in another order)
FUNCTIONAL_CASES = [
    ("rotate", lambda f, ns, x: f.rotate(x, 30.0), False),
    ("rotate_int_angle_fill", lambda f, ns, x: f.rotate(x, -75, fill=[0.5]), False),
    ("rotate_bilinear", lambda f, ns, x: f.rotate(x, 33.3, _mode(ns, "BILINEAR")), True),
    ("rotate_bilinear_fill", lambda f, ns, x: f.rotate(x, 20.0, _mode(ns, "BILINEAR"), fill=3.0), True),
    ("rotate_expand", lambda f, ns, x: f.rotate(x, 45.0, expand=True), False),
    ("rotate_expand_90", lambda f, ns, x: f.rotate(x, -90, expand=True), False),
    ("rotate_expand_bilinear", lambda f, ns, x: f.rotate(x, 10.0, 2, expand=True, fill=1.0), True),
    ("rotate_center", lambda f, ns, x: f.rotate(x, 45.0, expand=True, center=[3, 4]), False),
    ("rotate_center_bilinear", lambda f, ns, x: f.rotate(x, 12.5, _mode(ns, "BILINEAR"), center=(2, 9)), True),
    ("affine", lambda f, ns, x: f.affine(x, 30.0, [2, -3], 1.2, [10.0, -5.0]), False),
    ("affine_scale_down", lambda f, ns, x: f.affine(x, 0, (0, 0), 0.5, 0.0), False),
    ("affine_shear_one", lambda f, ns, x: f.affine(x, 90, [1, 1], 2.0, [20.0], center=[4, 5]), False),
    ("affine_bilinear", lambda f, ns, x: f.affine(x, -17.0, [3, 1], 0.8, 12.0, _mode(ns, "BILINEAR")), True),
    ("affine_bilinear_fill", lambda f, ns, x: f.affine(x, 40.0, [0, 2], 1.1, [5.0, 3.0], 2, fill=[2.0]), True),
    ("affine_fill_center", lambda f, ns, x: f.affine(x, 25, [1, 0], 1.3, 0, fill=1, center=[0, 0]), False),
    ("adjust_brightness", lambda f, ns, x: f.adjust_brightness(x, 1.4), False),
    ("adjust_brightness_dark", lambda f, ns, x: f.adjust_brightness(x, 0.3), False),
    ("adjust_contrast", lambda f, ns, x: f.adjust_contrast(x, 0.6), True),
    ("adjust_contrast_high", lambda f, ns, x: f.adjust_contrast(x, 2.5), True),
    ("adjust_saturation", lambda f, ns, x: f.adjust_saturation(x, 1.7), False),
    ("adjust_saturation_zero", lambda f, ns, x: f.adjust_saturation(x, 0.0), False),
    ("adjust_hue", lambda f, ns, x: f.adjust_hue(x, 0.23), False),
    ("adjust_hue_negative", lambda f, ns, x: f.adjust_hue(x, -0.4), False),
    ("rgb_to_grayscale", lambda f, ns, x: f.rgb_to_grayscale(x), False),
    ("rgb_to_grayscale_3", lambda f, ns, x: f.rgb_to_grayscale(x, 3), False),
    ("gaussian_blur", lambda f, ns, x: f.gaussian_blur(x, 3), True),
    ("gaussian_blur_rect_sigma", lambda f, ns, x: f.gaussian_blur(x, [3, 5], [0.8, 1.3]), True),
    ("gaussian_blur_sigma_float", lambda f, ns, x: f.gaussian_blur(x, (5, 1), 2.0), True),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name,fn,rounding", FUNCTIONAL_CASES, ids=[c[0] for c in FUNCTIONAL_CASES])
def test_functional_parity(name, fn, rounding, kind):
    mine, theirs = _pair(kind)
    _check(fn(F, T, mine), fn(TVF, TV, theirs), rounding)


@pytest.mark.parametrize("mode", ["BICUBIC", "NEAREST", "BILINEAR"])
@pytest.mark.parametrize("kind", ["pil_rgb", "pil_L"])
def test_pil_rotate_affine_modes(mode, kind):
    mine, theirs = _pair(kind)
    _check(F.rotate(mine, 21.0, _mode(T, mode), True, None, 7), TVF.rotate(theirs, 21.0, _mode(TV, mode), True,
                                                                            None, 7))
    _check(F.affine(mine, 21.0, [2, 1], 0.9, [3.0, 4.0], _mode(T, mode)),
           TVF.affine(theirs, 21.0, [2, 1], 0.9, [3.0, 4.0], _mode(TV, mode)))


def test_to_grayscale_pil():
    for kind in ["pil_rgb", "pil_L"]:
        for n in (1, 3):
            mine, theirs = _pair(kind)
            _check(F.to_grayscale(mine, n), TVF.to_grayscale(theirs, n))


@pytest.mark.parametrize("kind", TENSOR_KINDS)
def test_erase(kind):
    mine, theirs = _pair(kind)
    c = mine.shape[-3]
    v = np.arange(c, dtype=np.float32)[:, None, None] + 0.25
    _check(F.erase(mine, 2, 3, 4, 5, minitorch.from_numpy(v)), TVF.erase(theirs, 2, 3, 4, 5, torch.from_numpy(v)))
    before = mine.numpy().copy()
    F.erase(mine, 0, 0, 2, 2, minitorch.tensor(0.0))
    np.testing.assert_array_equal(mine.numpy(), before)            # not in place by default
    out = F.erase(mine, 0, 0, 2, 2, minitorch.tensor(0.0), inplace=True)
    assert out is mine and (mine.numpy()[..., :2, :2] == 0).all()


def test_grayscale_3_is_equal_channels():
    mine, _ = _pair("uint8")
    out = F.rgb_to_grayscale(mine, 3).numpy()
    assert (out[0] == out[1]).all() and (out[1] == out[2]).all()


def test_affine_matrix_matches_torchvision():
    from torchvision.transforms.functional import _get_inverse_affine_matrix as theirs

    from minitorch.vision.transforms._affine import _get_inverse_affine_matrix as mine
    for args in [([3.0, 4.0], 30.0, [1.0, -2.0], 1.3, [5.0, -7.0]), ([0.0, 0.0], -90.0, [0.0, 0.0], 0.5, [0.0, 0.0])]:
        for inverted in (True, False):
            np.testing.assert_allclose(mine(*args, inverted=inverted), theirs(*args, inverted=inverted), rtol=0,
                                       atol=1e-12)


# transform classes, random ones given the same parameters --------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", [dict(degrees=40), dict(degrees=(-10, 70), expand=True, fill=1),
                                    dict(degrees=25, interpolation="BILINEAR", center=(3, 5))],
                         ids=["RandomRotation", "RandomRotation_expand_fill", "RandomRotation_bilinear_center"])
def test_RandomRotation_same_params(kwargs, kind):
    mine, theirs = _pair(kind)
    kw = dict(kwargs)
    interpolation = kw.pop("interpolation", "NEAREST")
    t = T.RandomRotation(interpolation=_mode(T, interpolation), **kw)
    minitorch.manual_seed(5)
    angle = T.RandomRotation.get_params(t.degrees)
    minitorch.manual_seed(5)
    out = t(mine)
    fill = kw.get("fill", 0)
    if isinstance(theirs, torch.Tensor):
        fill = [float(fill)] * theirs.shape[-3]
    expected = TVF.rotate(theirs, angle, _mode(TV, interpolation), kw.get("expand", False), kw.get("center"), fill)
    _check(out, expected, interpolation == "BILINEAR")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", [dict(degrees=30, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=10),
                                    dict(degrees=(0, 0), shear=(-5, 5, -10, 10), fill=2, center=(2, 2)),
                                    dict(degrees=15, scale=(1.1, 1.3), interpolation="BILINEAR")],
                         ids=["RandomAffine", "RandomAffine_shear4_fill_center", "RandomAffine_bilinear"])
def test_RandomAffine_same_params(kwargs, kind):
    mine, theirs = _pair(kind)
    kw = dict(kwargs)
    interpolation = kw.pop("interpolation", "NEAREST")
    t = T.RandomAffine(interpolation=_mode(T, interpolation), **kw)
    w, h = mine.size if isinstance(mine, Image.Image) else (mine.shape[-1], mine.shape[-2])
    minitorch.manual_seed(6)
    params = T.RandomAffine.get_params(t.degrees, t.translate, t.scale, t.shear, [w, h])
    minitorch.manual_seed(6)
    out = t(mine)
    fill = kw.get("fill", 0)
    if isinstance(theirs, torch.Tensor):
        fill = [float(fill)] * theirs.shape[-3]
    expected = TVF.affine(theirs, *params, interpolation=_mode(TV, interpolation), fill=fill, center=kw.get("center"))
    _check(out, expected, interpolation == "BILINEAR")


@pytest.mark.parametrize("kind", KINDS)
def test_ColorJitter_same_params(kind):
    mine, theirs = _pair(kind)
    t = T.ColorJitter(0.4, (0.5, 1.5), 0.6, 0.2)
    for seed in range(4):
        minitorch.manual_seed(seed)
        fn_idx, b, c, s, h = T.ColorJitter.get_params(t.brightness, t.contrast, t.saturation, t.hue)
        minitorch.manual_seed(seed)
        out = t(mine)
        expected = theirs
        for fn_id in fn_idx.tolist():
            fn, factor = [(TVF.adjust_brightness, b), (TVF.adjust_contrast, c), (TVF.adjust_saturation, s),
                          (TVF.adjust_hue, h)][fn_id]
            expected = fn(expected, factor)
        _check(out, expected, rounding=True)  # contrast's mean gray level is summed in another order


def test_ColorJitter_get_params():
    minitorch.manual_seed(0)
    t = T.ColorJitter(brightness=0.5, hue=(-0.1, 0.3))
    assert t.contrast is None and t.saturation is None and t.brightness == (0.5, 1.5) and t.hue == (-0.1, 0.3)
    seen = set()
    for _ in range(30):
        fn_idx, b, c, s, h = T.ColorJitter.get_params(t.brightness, t.contrast, t.saturation, t.hue)
        assert isinstance(fn_idx, minitorch.Tensor) and sorted(fn_idx.tolist()) == [0, 1, 2, 3]
        assert 0.5 <= b <= 1.5 and -0.1 <= h <= 0.3 and c is None and s is None
        seen.add(tuple(fn_idx.tolist()))
    assert len(seen) > 5
    minitorch.manual_seed(9)
    first = T.ColorJitter.get_params((0.1, 0.2), None, None, None)
    minitorch.manual_seed(9)
    again = T.ColorJitter.get_params((0.1, 0.2), None, None, None)
    assert first[0].tolist() == again[0].tolist() and first[1:] == again[1:]


@pytest.mark.parametrize("kind", KINDS)
def test_Grayscale_and_RandomGrayscale(kind):
    mine, theirs = _pair(kind)
    channels = 1 if kind in ("pil_L", "gray_uint8") else 3
    for n in (1, 3):
        if channels == 1 and n == 3 and not kind.startswith("pil"):
            continue
        _check(T.Grayscale(n)(mine), TV.Grayscale(n)(theirs))
    _check(T.RandomGrayscale(p=1.0)(mine), TV.RandomGrayscale(p=1.0)(theirs))
    assert T.RandomGrayscale(p=0.0)(mine) is mine


def test_RandomGrayscale_probability():
    minitorch.manual_seed(0)
    img, _ = _pair("uint8")
    t = T.RandomGrayscale(p=0.3)
    outs = [t(img).numpy() for _ in range(200)]
    hits = sum(bool((o[0] == o[1]).all()) for o in outs)
    assert 35 < hits < 85  # about 30 % of 200


@pytest.mark.parametrize("kind", KINDS)
def test_GaussianBlur_same_params(kind):
    mine, theirs = _pair(kind)
    t = T.GaussianBlur((5, 3), sigma=(0.2, 1.5))
    minitorch.manual_seed(2)
    sigma = T.GaussianBlur.get_params(*t.sigma)
    assert 0.2 <= sigma <= 1.5
    minitorch.manual_seed(2)
    _check(t(mine), TVF.gaussian_blur(theirs, [5, 3], [sigma, sigma]), True)


@pytest.mark.parametrize("kind", TENSOR_KINDS)
@pytest.mark.parametrize("value", [0, 0.5, "random", (0.1, 0.2, 0.3)], ids=["zero", "number", "random", "per_channel"])
def test_RandomErasing_same_params(kind, value):
    mine, theirs = _pair(kind)
    if isinstance(value, tuple) and mine.shape[-3] != 3:
        return
    t = T.RandomErasing(p=1.0, value=value)
    for seed in range(3):
        minitorch.manual_seed(seed)
        minitorch.rand(1)  # forward draws p first
        val = None if value == "random" else [float(v) for v in (value if isinstance(value, tuple) else [value])]
        i, j, h, w, v = T.RandomErasing.get_params(mine, t.scale, t.ratio, val)
        assert 0 <= i and i + h <= mine.shape[-2] and 0 <= j and j + w <= mine.shape[-1]
        minitorch.manual_seed(seed)
        out = t(mine)
        _check(out, TVF.erase(theirs, i, j, h, w, torch.from_numpy(v.numpy().copy())))
    assert T.RandomErasing(p=0.0)(mine) is mine


def test_RandomErasing_get_params_fallback_and_ratio():
    img = minitorch.zeros(3, 10, 10)
    i, j, h, w, v = T.RandomErasing.get_params(img, scale=(1.0, 1.0), ratio=(1.0, 1.0))  # never fits: whole image
    assert (i, j, h, w) == (0, 0, 10, 10) and v is img
    minitorch.manual_seed(0)
    for _ in range(20):
        i, j, h, w, v = T.RandomErasing.get_params(minitorch.zeros(3, 40, 40), (0.1, 0.2), (0.5, 2.0), [0.0])
        assert 0.5 * 0.8 <= h / w <= 2.0 * 1.25 and 0.09 * 1600 <= h * w <= 0.21 * 1600
        assert v.shape == (1, 1, 1)


def test_random_transforms_follow_manual_seed():
    img, _ = _pair("float32")
    for t in [T.RandomRotation(30), T.RandomAffine(20, (0.1, 0.1), (0.9, 1.1), 5), T.ColorJitter(0.5, 0.5, 0.5, 0.1),
              T.GaussianBlur(3), T.RandomErasing(p=0.7)]:
        minitorch.manual_seed(11)
        a = t(img).numpy().copy()
        minitorch.manual_seed(11)
        np.testing.assert_array_equal(t(img).numpy(), a)


def test_transforms_are_modules():
    for t in [T.RandomRotation(3), T.RandomAffine(3), T.ColorJitter(), T.Grayscale(), T.RandomGrayscale(),
              T.GaussianBlur(3), T.RandomErasing()]:
        assert isinstance(t, minitorch.nn.Module)


# reprs -----------------------------------------------------------------------------------------------------------
REPR_CASES = [
    ("RandomRotation", lambda ns: ns.RandomRotation(30)),
    ("RandomRotation_full", lambda ns: ns.RandomRotation((-5, 10), ns.InterpolationMode.BILINEAR, True, (1, 2),
                                                         (1, 2, 3))),
    ("RandomAffine", lambda ns: ns.RandomAffine(30)),
    ("RandomAffine_full", lambda ns: ns.RandomAffine((-5, 10), (0.1, 0.2), (0.8, 1.2), (1, 2, 3, 4),
                                                     ns.InterpolationMode.BILINEAR, 3, [4, 5])),
    ("RandomAffine_pil_int_mode", lambda ns: ns.RandomAffine(10, shear=4, interpolation=3)),
    ("ColorJitter", lambda ns: ns.ColorJitter()),
    ("ColorJitter_full", lambda ns: ns.ColorJitter(0.2, [0.5, 1.5], 1.5, (-0.1, 0.2))),
    ("Grayscale", lambda ns: ns.Grayscale(3)),
    ("RandomGrayscale", lambda ns: ns.RandomGrayscale(0.25)),
    ("GaussianBlur", lambda ns: ns.GaussianBlur(5)),
    ("GaussianBlur_full", lambda ns: ns.GaussianBlur([3, 5], 1.5)),
    ("RandomErasing", lambda ns: ns.RandomErasing()),
    ("RandomErasing_full", lambda ns: ns.RandomErasing(0.3, (0.1, 0.2), [0.5, 2], "random", True)),
]


@pytest.mark.parametrize("name,make", REPR_CASES, ids=[c[0] for c in REPR_CASES])
def test_repr(name, make):
    assert repr(make(T)) == repr(make(TV))


# bad arguments: the exception type and message of torchvision's ----------------------------------------------------
def _tensor(ns, *shape):
    return (minitorch if ns is T else torch).zeros(*shape)


def _pil():
    return Image.fromarray(RGB)


ERROR_CASES = [
    ("rotate_angle_type", lambda ns, f: f.rotate(_tensor(ns, 3, 4, 4), "30")),
    ("rotate_interpolation_type", lambda ns, f: f.rotate(_tensor(ns, 3, 4, 4), 30.0, "bilinear")),
    ("rotate_center_type", lambda ns, f: f.rotate(_tensor(ns, 3, 4, 4), 30.0, center=1)),
    ("rotate_bicubic_tensor", lambda ns, f: f.rotate(_tensor(ns, 3, 4, 4), 30.0, ns.InterpolationMode.BICUBIC)),
    ("rotate_fill_channels", lambda ns, f: f.rotate(_tensor(ns, 3, 4, 4), 30.0, fill=[1, 2])),
    ("rotate_pil_fill_channels", lambda ns, f: f.rotate(_pil(), 30.0, fill=[1, 2])),
    ("rotate_not_image", lambda ns, f: f.rotate(np.zeros((4, 4)), 30.0)),
    ("affine_translate_type", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), 0.0, 1, 1.0, 0.0)),
    ("affine_translate_len", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), 0.0, [1], 1.0, 0.0)),
    ("affine_scale", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), 0.0, [1, 1], 0.0, 0.0)),
    ("affine_shear_type", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), 0.0, [1, 1], 1.0, "x")),
    ("affine_shear_len", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), 0.0, [1, 1], 1.0, [1.0, 2.0, 3.0])),
    ("affine_angle_type", lambda ns, f: f.affine(_tensor(ns, 3, 4, 4), None, [1, 1], 1.0, 0.0)),
    ("adjust_brightness_negative", lambda ns, f: f.adjust_brightness(_tensor(ns, 3, 4, 4), -1.0)),
    ("adjust_brightness_channels", lambda ns, f: f.adjust_brightness(_tensor(ns, 2, 4, 4), 1.0)),
    ("adjust_brightness_not_image", lambda ns, f: f.adjust_brightness(_tensor(ns, 4), 1.0)),
    ("adjust_brightness_pil_type", lambda ns, f: f.adjust_brightness(np.zeros((4, 4, 3)), 1.0)),
    ("adjust_contrast_negative", lambda ns, f: f.adjust_contrast(_tensor(ns, 3, 4, 4), -0.5)),
    ("adjust_saturation_negative", lambda ns, f: f.adjust_saturation(_tensor(ns, 3, 4, 4), -0.5)),
    ("adjust_saturation_channels", lambda ns, f: f.adjust_saturation(_tensor(ns, 4, 4, 4), 0.5)),
    ("adjust_hue_range", lambda ns, f: f.adjust_hue(_tensor(ns, 3, 4, 4), 0.6)),
    ("adjust_hue_pil_range", lambda ns, f: f.adjust_hue(_pil(), -0.6)),
    ("rgb_to_grayscale_ndim", lambda ns, f: f.rgb_to_grayscale(_tensor(ns, 4, 4))),
    ("rgb_to_grayscale_channels", lambda ns, f: f.rgb_to_grayscale(_tensor(ns, 2, 4, 4))),
    ("rgb_to_grayscale_outputs", lambda ns, f: f.rgb_to_grayscale(_tensor(ns, 3, 4, 4), 2)),
    ("to_grayscale_tensor", lambda ns, f: f.to_grayscale(_tensor(ns, 3, 4, 4))),
    ("to_grayscale_outputs", lambda ns, f: f.to_grayscale(_pil(), 2)),
    ("gaussian_blur_kernel_type", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), 3.0)),
    ("gaussian_blur_kernel_len", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), [3, 3, 3])),
    ("gaussian_blur_kernel_even", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), [3, 4])),
    ("gaussian_blur_sigma_type", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), 3, "1")),
    ("gaussian_blur_sigma_len", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), 3, [1.0, 2.0, 3.0])),
    ("gaussian_blur_sigma_positive", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 4, 4), 3, 0.0)),
    ("gaussian_blur_img_type", lambda ns, f: f.gaussian_blur(np.zeros((4, 4)), 3)),
    ("gaussian_blur_too_small", lambda ns, f: f.gaussian_blur(_tensor(ns, 3, 2, 2), 5)),
    ("erase_pil", lambda ns, f: f.erase(_pil(), 0, 0, 1, 1, _tensor(ns, 1))),
    ("RandomRotation_negative", lambda ns, f: ns.RandomRotation(-3)),
    ("RandomRotation_degrees_len", lambda ns, f: ns.RandomRotation([1, 2, 3])),
    ("RandomRotation_degrees_type", lambda ns, f: ns.RandomRotation("ab")),
    ("RandomRotation_center", lambda ns, f: ns.RandomRotation(3, center=(1,))),
    ("RandomRotation_fill", lambda ns, f: ns.RandomRotation(3, fill={1})),
    ("RandomAffine_translate_range", lambda ns, f: ns.RandomAffine(3, translate=(0.5, 1.5))),
    ("RandomAffine_translate_len", lambda ns, f: ns.RandomAffine(3, translate=(0.5,))),
    ("RandomAffine_scale", lambda ns, f: ns.RandomAffine(3, scale=(0.0, 1.0))),
    ("RandomAffine_shear_len", lambda ns, f: ns.RandomAffine(3, shear=(1, 2, 3))),
    ("RandomAffine_shear_negative", lambda ns, f: ns.RandomAffine(3, shear=-1)),
    ("ColorJitter_negative", lambda ns, f: ns.ColorJitter(brightness=-0.1)),
    ("ColorJitter_type", lambda ns, f: ns.ColorJitter(contrast="x")),
    ("ColorJitter_bounds", lambda ns, f: ns.ColorJitter(hue=0.7)),
    ("ColorJitter_order", lambda ns, f: ns.ColorJitter(saturation=(2.0, 1.0))),
    ("GaussianBlur_even", lambda ns, f: ns.GaussianBlur(4)),
    ("GaussianBlur_size_len", lambda ns, f: ns.GaussianBlur((3, 3, 3))),
    ("GaussianBlur_sigma", lambda ns, f: ns.GaussianBlur(3, sigma=-1.0)),
    ("GaussianBlur_sigma_order", lambda ns, f: ns.GaussianBlur(3, sigma=(2.0, 1.0))),
    ("GaussianBlur_sigma_len", lambda ns, f: ns.GaussianBlur(3, sigma=(1.0, 2.0, 3.0))),
    ("RandomErasing_value_type", lambda ns, f: ns.RandomErasing(value=None)),
    ("RandomErasing_value_str", lambda ns, f: ns.RandomErasing(value="zeros")),
    ("RandomErasing_scale_type", lambda ns, f: ns.RandomErasing(scale=0.5)),
    ("RandomErasing_ratio_type", lambda ns, f: ns.RandomErasing(ratio=0.5)),
    ("RandomErasing_scale_range", lambda ns, f: ns.RandomErasing(scale=(0.5, 1.5))),
    ("RandomErasing_p", lambda ns, f: ns.RandomErasing(p=1.5)),
    ("RandomErasing_value_channels", lambda ns, f: ns.RandomErasing(p=1.0, value=(1, 2))(_tensor(ns, 3, 8, 8))),
]


@pytest.mark.parametrize("name,call", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_arguments(name, call):
    with pytest.raises(Exception) as theirs:
        call(TV, TVF)
    with pytest.raises(theirs.type, match=re.escape(str(theirs.value).splitlines()[0])):
        call(T, F)


def test_RandomErasing_order_warning():
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind"):
        T.RandomErasing(scale=(0.3, 0.1))


def test_fill_type_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.rotate(minitorch.zeros(3, 4, 4), 10.0, fill=[1.0])
    with pytest.warns(UserWarning, match="Argument fill should be either int, float, tuple or list"):
        F.rotate(minitorch.zeros(3, 4, 4), 10.0, fill=np.float32(1.0))


# differential tests ------------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 3), st.integers(2, 12), st.integers(2, 12), st.floats(-180, 180), st.sampled_from([0, 2]),
       st.booleans(), st.sampled_from(["uint8", "float32", "float64"]), st.integers(1, 2),
       st.lists(st.integers(-3, 3), min_size=2, max_size=2), st.floats(0.5, 2.0), st.floats(-30, 30))
def test_rotate_affine_hypothesis(channels, h, w, angle, mode, expand, dtype, batch, translate, scale, shear):
    arr = np.random.RandomState(h * 13 + w).randint(0, 256, (batch, channels, h, w)).astype(dtype)
    if dtype != "uint8":
        arr /= 255
    mine, theirs = minitorch.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    fill = [0.5] * channels
    _check(F.rotate(mine, angle, mode, expand, fill=fill), TVF.rotate(theirs, angle, mode, expand, fill=fill),
           rounding=mode == 2)
    _check(F.affine(mine, angle, translate, scale, [shear, -shear], mode),
           TVF.affine(theirs, angle, translate, scale, [shear, -shear], mode), rounding=mode == 2)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.sampled_from([1, 3]), st.integers(3, 10), st.integers(3, 10),
       st.sampled_from(["uint8", "float32", "float64"]), st.floats(0, 3), st.floats(0, 3), st.floats(0, 3), st.floats(-0.5, 0.5), st.sampled_from([1, 3]),
       st.floats(0.1, 3))
def test_color_hypothesis(channels, h, w, dtype, brightness, contrast, saturation, hue, ksize, sigma):
    arr = np.random.RandomState(h * 13 + w).randint(0, 256, (channels, h, w)).astype(dtype)
    if dtype != "uint8":
        arr /= 255
    mine, theirs = minitorch.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    for name, arg in [("adjust_brightness", brightness), ("adjust_contrast", contrast),
                      ("adjust_saturation", saturation), ("adjust_hue", hue)]:
        _check(getattr(F, name)(mine, arg), getattr(TVF, name)(theirs, arg), rounding=name == "adjust_contrast")
    _check(F.gaussian_blur(mine, [ksize, 3], sigma), TVF.gaussian_blur(theirs, [ksize, 3], sigma), rounding=True)

"""The same image for minitorch and for torchvision (PIL images and tensors of several kinds), and the comparison of
two transform outputs: shared by the transform test files of this folder."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

import minitorch


def image_pair(kind: str, rgb: np.ndarray) -> tuple:
    """(minitorch image, torchvision image) of ``kind`` made from the uint8 HWC array ``rgb``: ``pil_rgb``,
    ``pil_L``/``pil_P``/``pil_F`` (PIL modes), ``uint8``/``float32``/``float64`` (CHW tensors, floats in [0, 1]),
    ``gray_uint8`` (one channel), ``batch_uint8`` / ``batch_float32`` (two images, the second flipped)."""
    if kind == "pil_rgb":
        img = Image.fromarray(rgb)
        return img, img.copy()
    if kind in ("pil_L", "pil_P", "pil_F"):
        img = Image.fromarray(rgb if kind == "pil_P" else rgb[..., 0]).convert(kind[4:])
        return img, img.copy()
    arr = rgb.transpose(2, 0, 1)
    if kind == "gray_uint8":
        arr = arr[:1]
    elif kind == "batch_uint8":
        arr = np.stack([arr, arr[:, ::-1]])
    elif kind == "batch_float32":
        arr = np.stack([arr, arr[:, :, ::-1]]).astype(np.float32) / 255
    elif kind != "uint8":
        arr = arr.astype(kind) / 255
    arr = np.ascontiguousarray(arr)
    return minitorch.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def as_array(img) -> tuple:
    """(values, kind): a PIL image's pixels with its mode and palette, or a tensor's values with its dtype name."""
    if isinstance(img, Image.Image):
        return np.array(img), (img.mode, img.getpalette())
    values = img.detach().numpy() if isinstance(img, minitorch.Tensor) else img.numpy()
    return values, str(img.dtype).split(".")[-1]


def assert_same_image(mine, theirs, rounding: bool = False, atol: float = 1e-6) -> None:
    """Equal outputs (or sequences of them): exactly, or (``rounding``, tensors only) within float rounding where a
    float result is summed in another order than torch's, and one intensity level for integer images, whose value is
    rounded from such a float (a value within rounding of x.5 can go either way)."""
    if isinstance(theirs, (tuple, list)):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert_same_image(a, b, rounding, atol)
        return
    (a, kind_a), (b, kind_b) = as_array(mine), as_array(theirs)
    assert kind_a == kind_b and a.shape == b.shape
    if not rounding or isinstance(theirs, Image.Image):
        np.testing.assert_array_equal(a, b)
    elif a.dtype == np.uint8:
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
        assert np.mean(a != b) < 0.05
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5 if a.dtype == np.float32 else 1e-10, atol=atol)

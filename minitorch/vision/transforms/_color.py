"""Colour and pixel transforms: mirrors torchvision's ``ColorJitter``, ``Grayscale``, ``RandomGrayscale``,
``GaussianBlur``, ``RandomErasing``.

PIL images go through Pillow exactly as torchvision sends them (``ImageEnhance``, ``convert``); tensor images
``(..., C, H, W)`` are computed on their NumPy arrays with torchvision's formulas, in torchvision's compute dtype
(the image's float dtype, float32 for integer images), so results match to float rounding. Tensor results are new
tensors outside autograd (data augmentation, as torchvision uses it); ``erase`` writes with minitorch indexing.
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import minitorch
from minitorch import nn

from ._conversion import _assert_image_tensor, _is_pil, _max_value, _setup_size, convert_image_dtype, \
    get_dimensions, pil_to_tensor, to_pil_image
from ._geometry import _check_pil

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "RandomErasing"]
FUNCTIONAL: tuple[str, ...] = ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
                               "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase")

Tensor = minitorch.Tensor


# helpers ---------------------------------------------------------------------------------------------------------
def _assert_channels(img: Tensor, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _compute_array(img: Tensor) -> np.ndarray:
    """The image's array in torchvision's compute dtype: its own float dtype, float32 for integer images."""
    arr = img.detach().numpy()
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)


def _blend(img: Tensor, other: np.ndarray, ratio: float) -> Tensor:
    """``ratio * img + (1 - ratio) * other`` clamped to the dtype's range and cast back (truncating, as torch)."""
    ratio = float(ratio)
    a = _compute_array(img)
    out = ratio * a + (1.0 - ratio) * other.astype(a.dtype, copy=False)
    return minitorch.from_numpy(np.clip(out, 0, _max_value(img.dtype)).astype(img.dtype.np))


def _gray_array(img: Tensor) -> np.ndarray:
    """torchvision's ITU-R 601 luma of a ``(..., 3, H, W)`` image, cast to the image dtype, keeping the C axis."""
    rgb = _compute_array(img)
    r, g, b = rgb[..., 0:1, :, :], rgb[..., 1:2, :, :], rgb[..., 2:3, :, :]
    return (0.2989 * r + 0.587 * g + 0.114 * b).astype(img.dtype.np)


# functional: brightness, contrast, saturation, grayscale ----------------------------------------------------------
def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Scale the intensities by ``brightness_factor`` (0 gives black, 1 the original image)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, np.zeros((), img.dtype.np), brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the image's mean gray level (0 gives a solid gray image, 1 the original image)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    gray = _gray_array(img) if get_dimensions(img)[0] == 3 else img.detach().numpy()
    dtype = np.float32 if not np.issubdtype(gray.dtype, np.floating) else gray.dtype
    mean = gray.astype(dtype).mean(axis=(-3, -2, -1), keepdims=True, dtype=dtype)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grayscale image (0 gives black and white, 1 the original image)."""
    if not isinstance(img, Tensor):
        _check_pil(img)
        from PIL import ImageEnhance
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL: a one-channel image has no saturation
        return img
    return _blend(img, _gray_array(img), saturation_factor)


def _pil_to_grayscale(img: Any, num_output_channels: int) -> Any:
    _check_pil(img)
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    return gray.convert("RGB")   # copies L into the three bands, as torchvision's dstack does


def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """A PIL image of any mode in grayscale: mode ``L``, or ``RGB`` with r == g == b when 3 channels."""
    if not _is_pil(img):
        raise TypeError("Input should be PIL Image")
    return _pil_to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """An RGB image (PIL, or tensor ``(..., 3, H, W)``) in grayscale, with 1 or 3 (equal) channels."""
    if not isinstance(img, Tensor):
        return _pil_to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = minitorch.from_numpy(_gray_array(img)) if img.shape[-3] == 3 else img.detach().clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


# functional: hue -------------------------------------------------------------------------------------------------
def _rgb2hsv(img: np.ndarray) -> np.ndarray:
    """Pillow's RGB -> HSV on ``(..., 3, H, W)`` floats in [0, 1] (hue in [0, 1))."""
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc  # gray pixels: S and H are 0; a divisor of 1 avoids 0 / 0 there
    cr = maxc - minc
    one = np.ones((), img.dtype)
    s = cr / np.where(eqc, one, maxc)
    cr_divisor = np.where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img: np.ndarray) -> np.ndarray:
    """HSV -> RGB on ``(..., 3, H, W)``: each output channel picks one of v, p, q, t by the hue sextant."""
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = np.stack([np.stack(c) for c in ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))])
    picked = np.take_along_axis(table, np.broadcast_to(i, (3, 1) + i.shape), axis=1)[:, 0]
    return np.moveaxis(picked, 0, -3)


def _pil_adjust_hue(img: Any, hue_factor: float) -> Any:
    from PIL import Image

    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as intended
    return Image.merge("HSV", (Image.fromarray(np_h), s, v)).convert(img.mode)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate the hue by ``hue_factor`` of a turn, in [-0.5, 0.5], through HSV."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        _check_pil(img)
        return _pil_adjust_hue(img, hue_factor)
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as PIL: a one-channel image has no hue
        return img
    hsv = _rgb2hsv(convert_image_dtype(img.detach(), minitorch.float32).numpy())
    hsv[..., 0, :, :] = (hsv[..., 0, :, :] + hue_factor) % 1.0
    return convert_image_dtype(minitorch.from_numpy(_hsv2rgb(hsv)), img.dtype)


# functional: blur and erase ----------------------------------------------------------------------------------------
def _gaussian_kernel1d(kernel_size: int, sigma: float, dtype: np.dtype) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size).astype(dtype)
    pdf = np.exp(-0.5 * (x / np.asarray(sigma, dtype)) ** 2)
    return pdf / pdf.sum()


def _correlate(arr: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Valid correlation of ``arr`` with a 1-D kernel along ``axis`` (the kernel is symmetric)."""
    windows = np.lib.stride_tricks.sliding_window_view(arr, kernel.shape[0], axis=axis)
    return windows @ kernel


def _blur_tensor(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    if img.ndim == 2:
        raise IndexError("tuple index out of range")
    if img.ndim > 4:
        raise NotImplementedError(f"Padding size 4 is not supported for {img.ndim}D input tensor.")
    arr = _compute_array(img)
    kx, ky = kernel_size[0] // 2, kernel_size[1] // 2
    batched = arr.reshape((-1,) + arr.shape[-3:])
    for dim, (pad, size) in ((3, (kx, arr.shape[-1])), (2, (ky, arr.shape[-2]))):
        if pad >= size:
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({pad}, {pad}) at dimension {dim} of input {list(batched.shape)}")
    padded = np.pad(arr, [(0, 0)] * (arr.ndim - 2) + [(ky, ky), (kx, kx)], mode="reflect")
    # the 2-D Gaussian is the outer product of two 1-D ones: blur along W, then along H
    out = _correlate(padded, _gaussian_kernel1d(kernel_size[0], sigma[0], arr.dtype), axis=-1)
    out = _correlate(out, _gaussian_kernel1d(kernel_size[1], sigma[1], arr.dtype), axis=-2)
    dtype = img.dtype.np
    if not np.issubdtype(dtype, np.floating):
        out = np.round(out)  # torchvision rounds before casting back to an integer dtype
    return minitorch.from_numpy(out.astype(dtype))


def gaussian_blur(img: Any, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None) -> Any:
    """Blur with a Gaussian kernel ``(kx, ky)`` of std ``(sigma_x, sigma_y)``, reflect-padding the borders."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return _blur_tensor(img, list(kernel_size), list(sigma))
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    return to_pil_image(_blur_tensor(pil_to_tensor(img), list(kernel_size), list(sigma)), mode=img.mode)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Tensor:
    """Write ``v`` into the ``h x w`` box at row ``i``, column ``j`` of a tensor image."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


# transforms ------------------------------------------------------------------------------------------------------
class ColorJitter(nn.Module):
    """Randomly change the brightness, contrast, saturation and hue of an image, in a random order."""

    def __init__(self, brightness: float | Sequence[float] = 0, contrast: float | Sequence[float] = 0,
                 saturation: float | Sequence[float] = 0, hue: float | Sequence[float] = 0) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def _check_input(value: Any, name: str, center: float = 1, bound: tuple = (0, float("inf")),
                     clip_first_on_zero: bool = True) -> tuple[float, float] | None:
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # the identity: nothing to jitter
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness: Sequence[float] | None, contrast: Sequence[float] | None,
                   saturation: Sequence[float] | None, hue: Sequence[float] | None
                   ) -> tuple[Tensor, float | None, float | None, float | None, float | None]:
        """A random order of the four adjustments (``fn_idx``) and a factor drawn uniformly from each range."""
        fn_idx = minitorch.randperm(4)
        factors = [None if r is None else float(minitorch.empty(1).uniform_(r[0], r[1]))
                   for r in (brightness, contrast, saturation, hue)]
        return (fn_idx, *factors)

    def forward(self, img: Any) -> Any:
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for fn_id in fn_idx.tolist():
            if factors[fn_id] is not None:
                img = adjust[fn_id](img, factors[fn_id])
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale(nn.Module):
    """Convert an image to grayscale with 1 or 3 channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img: Any) -> Any:
        return rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(nn.Module):
    """Convert an image to grayscale (keeping its channel count) with probability ``p``."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        num_output_channels = get_dimensions(img)[0]
        if minitorch.rand(1).item() < self.p:
            return rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class GaussianBlur(nn.Module):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma = (min, max)``."""

    def __init__(self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)) -> None:
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A sigma drawn uniformly from [sigma_min, sigma_max]."""
        return minitorch.empty(1).uniform_(sigma_min, sigma_max).item()

    def forward(self, img: Any) -> Any:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing(nn.Module):
    """With probability ``p``, erase a random box (area fraction in ``scale``, aspect ratio in ``ratio``) of a
    tensor image with ``value`` (a number, one per channel, or ``'random'`` for normal noise)."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33), ratio: Sequence[float] = (0.3, 3.3),
                 value: float | str | Sequence[float] = 0, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float],
                   value: list[float] | None = None) -> tuple[int, int, int, int, Tensor]:
        """``(i, j, h, w, v)`` for ``erase``: up to 10 tries for a box inside the image, else the whole image."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = minitorch.log(minitorch.tensor(ratio)).tolist()
        for _ in range(10):
            erase_area = area * minitorch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = np.exp(minitorch.empty(1).uniform_(log_ratio[0], log_ratio[1]).numpy()).item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = minitorch.empty([img_c, h, w], dtype=minitorch.float32).normal_()
            else:
                v = minitorch.tensor(value)[:, None, None]
            i = minitorch.randint(0, img_h - h + 1, size=(1,)).item()
            j = minitorch.randint(0, img_w - w + 1, size=(1,)).item()
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img: Tensor) -> Tensor:
        if minitorch.rand(1).item() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value or "
                                 f"{img.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")

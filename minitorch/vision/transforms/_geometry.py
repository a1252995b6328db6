"""Resizing, cropping and flipping: mirrors torchvision's ``Resize``, ``CenterCrop``, ``RandomCrop``,
``RandomResizedCrop``, ``Pad``, ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``FiveCrop``, ``TenCrop`` and
``InterpolationMode``.

PIL images go through Pillow's own resize / crop / expand (as torchvision does). Tensor images are resized by a
separable resampler that reproduces torch's ``interpolate`` (``align_corners=False``, antialiased bilinear/bicubic
with PIL's filter supports): one weight matrix per axis, applied with two matmuls (width first, as torch does).
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings
from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

import minitorch
from minitorch import nn

from ._conversion import _assert_image_tensor, _is_pil, _setup_size, get_dimensions

__all__ = ["InterpolationMode", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop", "Pad",
           "RandomHorizontalFlip", "RandomVerticalFlip", "FiveCrop", "TenCrop"]
FUNCTIONAL: tuple[str, ...] = ("InterpolationMode", "resize", "center_crop", "crop", "pad", "hflip", "vflip",
                               "resized_crop", "five_crop", "ten_crop")

_SIZE_ERROR = "Please provide only two dimensions (h, w) for size."


class InterpolationMode(Enum):
    """Interpolation modes (the names and values of torchvision's; the last three are for PIL images only)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_PIL_INT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
# the Pillow resampling constant of each mode (torchvision's name)
pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
               InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
               InterpolationMode.LANCZOS: 1}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    """The mode of a Pillow resampling constant (torchvision accepts both)."""
    return _FROM_PIL_INT[i]


def _check_pil(img: Any) -> None:
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


# ---------------------------------------------------------------- the tensor resampler (torch's interpolate)

def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter ``a`` (torch: -0.75 plain, -0.5 antialiased as PIL)."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _aa_weights(n_in: int, n_out: int, mode: str, dt: type) -> np.ndarray:
    """torch's antialiased (PIL-style) weights: the filter is stretched by the scale when downsampling, each output
    pixel's taps are ``[xmin, xmin + xsize)`` around its centre and the weights are normalised to sum 1."""
    scale = float(dt(n_in) / dt(n_out))
    interp_size = 2 if mode == "bilinear" else 4
    support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    max_taps = int(math.ceil(support)) * 2 + 1
    # torch rounds the centre and its +-support to the working dtype; its int casts truncate toward zero
    center = dt(scale) * (np.arange(n_out, dtype=dt) + dt(0.5))
    xmin = np.maximum(((center - dt(support)) + 0.5).astype(np.int64), 0)
    xsize = np.clip(np.minimum(((center + dt(support)) + 0.5).astype(np.int64), n_in) - xmin, 0, max_taps)
    center = center.astype(np.float64)
    taps = np.arange(max_taps)
    x = (taps + xmin[:, None] - center[:, None] + 0.5) * invscale
    w = np.maximum(1.0 - np.abs(x), 0.0) if mode == "bilinear" else _cubic(x, -0.5)
    valid = taps < xsize[:, None]
    w = np.where(valid, w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=w, where=total != 0)
    matrix = np.zeros((n_out, n_in))
    rows = np.broadcast_to(np.arange(n_out)[:, None], w.shape)
    matrix[rows[valid], (xmin[:, None] + taps)[valid]] = w[valid]
    return matrix


def _plain_weights(n_in: int, n_out: int, mode: str, dt: type) -> np.ndarray:
    """torch's non-antialiased bilinear / bicubic (a = -0.75) weights, half-pixel centres, border-clamped taps."""
    real = (dt(n_in) / dt(n_out) * (np.arange(n_out, dtype=dt) + dt(0.5)) - dt(0.5)).astype(np.float64)
    if mode == "bilinear":
        real = np.maximum(real, 0.0)
    index = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    t = np.clip(real - index, 0.0, 1.0)[:, None]
    if mode == "bilinear":
        offsets, w = np.array([0, 1]), np.concatenate([1.0 - t, t], axis=1)
    else:
        offsets, w = np.arange(-1, 3), _cubic(t - np.arange(-1, 3), -0.75)
    matrix = np.zeros((n_out, n_in))
    rows = np.broadcast_to(np.arange(n_out)[:, None], w.shape)
    np.add.at(matrix, (rows, np.clip(index[:, None] + offsets, 0, n_in - 1)), w)
    return matrix


def _nearest_index(n_in: int, n_out: int, exact: bool, dt: type) -> np.ndarray:
    """torch's nearest (``floor(i * scale)``) / nearest-exact (``floor((i + 0.5) * scale)``) source index, computed
    in the working float dtype ``dt`` as torch does."""
    scale = dt(n_in) / dt(n_out)
    position = np.arange(n_out, dtype=dt) + (dt(0.5) if exact else dt(0))
    return np.minimum(np.floor(position * scale).astype(np.int64), n_in - 1)


@functools.lru_cache(maxsize=64)
def _weights_t(n_in: int, n_out: int, mode: str, antialias: bool, dt: type) -> np.ndarray:
    """The (n_in, n_out) transposed weight matrix of one axis in dtype ``dt`` (cached: pipelines repeat sizes)."""
    matrix = (_aa_weights if antialias else _plain_weights)(n_in, n_out, mode, dt)
    out = np.ascontiguousarray(matrix.T, dtype=dt)
    out.setflags(write=False)
    return out


def _resize_tensor(img: minitorch.Tensor, size: list[int], mode: str, antialias: bool | None) -> minitorch.Tensor:
    """torchvision's tensor resize: ``interpolate(align_corners=False)`` on a float copy, rounded back for ints."""
    if mode in ("box", "hamming"):
        raise NotImplementedError("Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
                                  f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode == "lanczos":
        raise ValueError("Lanczos mode requires antialias=True")
    if img.ndim not in (3, 4):
        spatial = list(img.shape[2:] if img.ndim > 4 else img.shape[1:])
        raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {spatial} and output size of {list(size)}. Please provide input "
                         "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
    (out_h, out_w), (in_h, in_w) = size, img.shape[-2:]
    out_dtype = img.dtype
    # torch works in float32 or float64 (other dtypes are cast to float32), the scales too
    dt = np.float64 if out_dtype == minitorch.float64 else np.float32
    if mode.startswith("nearest"):
        rows = _nearest_index(in_h, out_h, mode == "nearest-exact", dt)
        cols = _nearest_index(in_w, out_w, mode == "nearest-exact", dt)
        return img[..., rows[:, None], cols[None, :]]
    work = img if out_dtype in (minitorch.float32, minitorch.float64) else img.to(minitorch.float32)
    lead = tuple(img.shape[:-2])
    # each pass is one 2-D matmul over all rows (numpy's batched matmul with a broadcast operand is far slower)
    if out_w != in_w:
        weights = minitorch.from_numpy(_weights_t(in_w, out_w, mode, antialias, dt))
        work = (work.reshape(-1, in_w) @ weights).reshape(*lead, in_h, out_w)
    if out_h != in_h:
        weights = minitorch.from_numpy(_weights_t(in_h, out_h, mode, antialias, dt))
        work = (work.transpose(-2, -1).reshape(-1, in_h) @ weights).reshape(*lead, out_w, out_h)
        work = work.transpose(-2, -1).contiguous()
    if mode == "bicubic" and out_dtype == minitorch.uint8:
        work = work.clamp(0, 255)
    if out_dtype in (minitorch.float32, minitorch.float64):
        return work
    if not out_dtype.is_floating_point:
        # torch's float result rounded: equal to torchvision's uint8 output except where its float32 value lies
        # within rounding error of a .5 boundary (then it can differ by one intensity level)
        work = minitorch.round(work)
    return work.to(out_dtype)


# ---------------------------------------------------------------- functional forms

def _compute_resized_output_size(image_size: tuple[int, int], size: list[int],
                                 max_size: int | None = None) -> list[int]:
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:   # the smaller edge is matched to size
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img: Any, size: int | list[int], interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize to ``size`` ((h, w), or the smaller edge when an int / one-element sequence)."""
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not isinstance(img, minitorch.Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
        return img.resize(tuple(output_size[::-1]), pil_modes_mapping[interpolation])
    mode = interpolation.value
    return _resize_tensor(img, output_size, mode, bool(antialias) and mode in ("bilinear", "bicubic"))


def _padding_ltrb(padding: int | Sequence[int]) -> list[int]:
    """torchvision's padding argument (one value, (left/right, top/bottom) or (l, t, r, b)) as [l, t, r, b]."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def _fill_for_pil(fill: Any, img: Any) -> Any:
    """torchvision's ``_parse_fill``: one value per channel, ints unless the image is float ('F')."""
    channels = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def _pad_pil(img: Any, padding: Any, fill: Any, padding_mode: str) -> Any:
    from PIL import Image, ImageOps

    if padding_mode == "constant":
        palette = img.getpalette() if img.mode == "P" else None
        image = ImageOps.expand(img, border=padding, fill=_fill_for_pil(fill, img))
        if palette is not None:
            image.putpalette(palette)
        return image
    left, top, right, bottom = _padding_ltrb(padding)
    crop_l, crop_t, crop_r, crop_b = (max(-p, 0) for p in (left, top, right, bottom))
    if crop_l or crop_t or crop_r or crop_b:
        img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (arr.ndim - 2)
    padded = Image.fromarray(np.pad(arr, widths, padding_mode))
    if img.mode == "P":
        padded.putpalette(img.getpalette())
    return padded


def _pad_tensor(img: minitorch.Tensor, padding: list[int], fill: Any, padding_mode: str) -> minitorch.Tensor:
    if padding_mode == "symmetric" and img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    if padding_mode in ("edge", "reflect") and img.ndim > 4:
        raise NotImplementedError(f"Padding size 4 is not supported for {img.ndim}D input tensor.")
    left, top, right, bottom = _padding_ltrb(padding)
    height, width = img.shape[-2:]
    img = img[..., max(-top, 0):height - max(-bottom, 0), max(-left, 0):width - max(-right, 0)]
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    height, width = img.shape[-2:]
    if padding_mode == "constant":
        value = 0 if fill is None else fill

        def block(shape: tuple[int, ...]) -> minitorch.Tensor:
            return minitorch.full(shape, value, dtype=img.dtype)

        lead = tuple(img.shape[:-2])
        img = minitorch.cat([block(lead + (height, left)), img, block(lead + (height, right))], dim=-1)
        return minitorch.cat([block(lead + (top, img.shape[-1])), img, block(lead + (bottom, img.shape[-1]))], dim=-2)
    if padding_mode == "reflect" and (max(left, right) >= width or max(top, bottom) >= height):
        raise RuntimeError("Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({left}, {right}) and ({top}, {bottom}) for an input of size "
                           f"{list(img.shape)}")
    # each border mode is an index map: numpy's pad of 0..n-1 in the same mode gives the source of every position
    rows = np.pad(np.arange(height), (top, bottom), padding_mode)
    cols = np.pad(np.arange(width), (left, right), padding_mode)
    return img[..., rows[:, None], cols[None, :]]


def pad(img: Any, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad the borders: ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``."""
    is_tensor = isinstance(img, minitorch.Tensor)
    if is_tensor:
        _assert_image_tensor(img)
    else:
        _check_pil(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (int, float) if is_tensor else (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)):
        if len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        padding = tuple(padding) if len(padding) > 1 else padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if is_tensor:
        return _pad_tensor(img, padding, fill, padding_mode)
    return _pad_pil(img, padding, fill, padding_mode)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` region at (``top``, ``left``); parts outside the image are zeros."""
    if not isinstance(img, minitorch.Tensor):
        _check_pil(img)
        return img.crop((left, top, left + width, top + height))
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    """The central ``output_size`` region (zero-padded first when the image is smaller)."""
    crop_height, crop_width = _setup_size(output_size, _SIZE_ERROR)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: int | list[int],
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    """``crop`` then ``resize``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img: Any) -> Any:
    """Mirror left-right."""
    if isinstance(img, minitorch.Tensor):
        _assert_image_tensor(img)
        return img.flip(-1)
    _check_pil(img)
    from PIL import Image
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Any) -> Any:
    """Mirror top-bottom."""
    if isinstance(img, minitorch.Tensor):
        _assert_image_tensor(img)
        return img.flip(-2)
    _check_pil(img)
    from PIL import Image
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def five_crop(img: Any, size: int | Sequence[int]) -> tuple:
    """The four corner crops and the central crop."""
    size = _setup_size(size, _SIZE_ERROR)
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_height, image_width)}")
    bottom, right = image_height - crop_height, image_width - crop_width
    corners = [(0, 0), (0, right), (bottom, 0), (bottom, right)]
    return (*(crop(img, i, j, crop_height, crop_width) for i, j in corners),
            center_crop(img, [crop_height, crop_width]))


def ten_crop(img: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple:
    """``five_crop`` of the image and of its flip (horizontal unless ``vertical_flip``)."""
    size = _setup_size(size, _SIZE_ERROR)
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


# ---------------------------------------------------------------- transform classes

class Resize(nn.Module):
    """Resize to ``size`` ((h, w), or the smaller edge when an int)."""

    def __init__(self, size: int | Sequence[int], interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(nn.Module):
    """Crop the centre ``size`` region."""

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)

    def forward(self, img: Any) -> Any:
        return center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad the borders with ``fill`` or by ``edge`` / ``reflect`` / ``symmetric`` extension."""

    def __init__(self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _randint(high: int) -> int:
    return int(minitorch.randint(0, high, size=(1,)).item())


class RandomCrop(nn.Module):
    """Crop a random ``size`` region, after optional padding (``pad_if_needed`` pads images smaller than ``size``)."""

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random (top, left, height, width) for a crop of ``output_size``."""
        _, h, w = get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(h - th + 1), _randint(w - tw + 1), th, tw

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg=_SIZE_ERROR))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return crop(img, *self.get_params(img, self.size))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop(nn.Module):
    """Crop a random region of random area (``scale``) and aspect ratio (``ratio``), resized to ``size``."""

    def __init__(self, size: int | Sequence[int], scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """A random (top, left, height, width): ten tries at a random area and log-uniform aspect ratio, then the
        largest central crop with the ratio clamped into ``ratio``."""
        _, height, width = get_dimensions(img)
        area = height * width
        log_ratio = minitorch.log(minitorch.tensor(ratio)).tolist()
        for _ in range(10):
            target_area = area * minitorch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = minitorch.exp(minitorch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(height - h + 1), _randint(width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return resized_crop(img, i, j, h, w, self.size, self.interpolation, antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


class RandomHorizontalFlip(nn.Module):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        return hflip(img) if minitorch.rand(1).item() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(nn.Module):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        return vflip(img) if minitorch.rand(1).item() < self.p else img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class FiveCrop(nn.Module):
    """The four corner crops and the central crop of ``size``."""

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)

    def forward(self, img: Any) -> tuple:
        return five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(nn.Module):
    """``FiveCrop`` of the image and of its (horizontal, or vertical) flip."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)
        self.vertical_flip = vertical_flip

    def forward(self, img: Any) -> tuple:
        return ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"

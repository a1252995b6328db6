"""Conversions: mirrors torchvision's ``ToTensor``, ``PILToTensor``, ``ToPILImage``, ``ConvertImageDtype``,
``Normalize``.

Also the helpers every transform family shares: whether an image is a PIL image, and an image's dimensions /
size / channel count for PIL images and tensor images (``(..., C, H, W)``), as ``torchvision.transforms.functional``
has them. Pillow is imported only inside the functions that build a PIL image.
"""
from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

import minitorch
from minitorch import nn

__all__ = ["ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize"]
FUNCTIONAL: tuple[str, ...] = ("to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
                               "get_dimensions", "get_image_size", "get_image_num_channels")

_INT16_MODE = "I;16" if sys.byteorder == "little" else "I;16B"


def _is_pil(img: Any) -> bool:
    """True when ``img`` is a PIL image (no Pillow import: a PIL image can only exist once Pillow is loaded)."""
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(img, pil.Image)


def _setup_size(size: Any, error_msg: str) -> Any:
    """A size argument as ``(h, w)``: an int means a square; a one-element sequence is repeated (torchvision's)."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _assert_image_tensor(img: minitorch.Tensor) -> None:
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img: Any) -> list[int]:
    """``[channels, height, width]`` of a PIL image or a tensor image."""
    if isinstance(img, minitorch.Tensor):
        _assert_image_tensor(img)
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    if _is_pil(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img: Any) -> list[int]:
    """``[width, height]`` of a PIL image or a tensor image."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img: Any) -> int:
    """The number of channels of a PIL image or a tensor image."""
    return get_dimensions(img)[0]


def to_tensor(pic: Any) -> minitorch.Tensor:
    """PIL image or ``(H, W[, C])`` ndarray -> ``(C, H, W)`` tensor; uint8 data becomes floats in [0, 1]."""
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = (pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1)
    else:
        mode_dtype = {"I": np.int32, _INT16_MODE: np.int16, "F": np.float32}.get(pic.mode, np.uint8)
        arr = np.array(pic, mode_dtype, copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands())).transpose(2, 0, 1)
    img = minitorch.from_numpy(np.ascontiguousarray(arr))
    if img.dtype == minitorch.uint8:
        return img.to(dtype=minitorch.get_default_dtype()).div(255)
    return img


def pil_to_tensor(pic: Any) -> minitorch.Tensor:
    """PIL image -> ``(C, H, W)`` tensor of the image's own dtype (values unscaled)."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True).reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return minitorch.as_tensor(arr).permute((2, 0, 1))


_MODES_BY_CHANNELS = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
_ONE_CHANNEL_MODES = {np.dtype(np.uint8): "L", np.dtype(np.int16): _INT16_MODE, np.dtype(np.int32): "I",
                      np.dtype(np.float32): "F"}


def to_pil_image(pic: Any, mode: str | None = None) -> Any:
    """``(C, H, W)`` tensor or ``(H, W[, C])`` ndarray -> PIL image (floats are scaled by 255 unless ``mode='F'``)."""
    if isinstance(pic, minitorch.Tensor):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.detach().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected_mode = _ONE_CHANNEL_MODES.get(npimg.dtype)
        if mode is not None and mode != expected_mode:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. Should be {expected_mode}")
        mode = expected_mode
    else:
        permitted = _MODES_BY_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    from PIL import Image

    # frombuffer reads the bytes as ``mode`` whatever the array's dtype (what torchvision relies on; Pillow's
    # fromarray stopped doing that in 11.3)
    size = (npimg.shape[1], npimg.shape[0])
    return Image.frombuffer(mode, size, np.ascontiguousarray(npimg).tobytes(), "raw", mode, 0, 1)


_MAX_VALUES = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535, "int32": 2147483647,
               "int64": 9223372036854775807}


def _max_value(dtype: minitorch.dtype) -> int:
    return _MAX_VALUES.get(np.dtype(dtype.np).name, 1)


def convert_image_dtype(image: minitorch.Tensor, dtype: minitorch.dtype = minitorch.float) -> minitorch.Tensor:
    """Cast a tensor image to ``dtype``, rescaling values between the integer range and [0, 1] as torchvision."""
    if not isinstance(image, minitorch.Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == minitorch.float32 and dtype in (minitorch.int32, minitorch.int64)) or (
                image.dtype == minitorch.float64 and dtype == minitorch.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integer levels (1.0 alone maps to the maximum)
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / float(input_max)
    output_max = _max_value(dtype)
    if input_max > output_max:
        return minitorch.div(image, (input_max + 1) // (output_max + 1), rounding_mode="floor").to(dtype)
    return image.to(dtype) * ((output_max + 1) // (input_max + 1))


def normalize(tensor: minitorch.Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> minitorch.Tensor:
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor image."""
    if not isinstance(tensor, minitorch.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean = minitorch.as_tensor(mean, dtype=tensor.dtype)
    std = minitorch.as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


class ToTensor:
    """Convert a PIL image or ndarray to a ``(C, H, W)`` tensor (uint8 scaled to [0, 1])."""

    def __call__(self, pic: Any) -> minitorch.Tensor:
        return to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """Convert a PIL image to a ``(C, H, W)`` tensor of the same dtype (values unscaled)."""

    def __call__(self, pic: Any) -> minitorch.Tensor:
        return pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype``, rescaling values."""

    def __init__(self, dtype: minitorch.dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image: minitorch.Tensor) -> minitorch.Tensor:
        return convert_image_dtype(image, self.dtype)


class ToPILImage:
    """Convert a tensor or ndarray to a PIL image (``mode`` chosen from the channels and dtype when None)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        return to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"


class Normalize(nn.Module):
    """Normalize a float tensor image per channel with ``mean`` and ``std``."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor: minitorch.Tensor) -> minitorch.Tensor:
        return normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"

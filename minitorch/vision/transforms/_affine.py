"""Rotation and affine maps: mirrors torchvision's ``RandomRotation`` and ``RandomAffine``.

PIL images are handed to Pillow's ``Image.rotate`` / ``Image.transform(AFFINE)`` with torchvision's inverse matrix,
so they match exactly. Tensor images ``(..., C, H, W)`` are resampled as torchvision's ``grid_sample`` path does
(``align_corners=False``, zeros outside, an extra all-ones channel to blend the ``fill`` colour), in vectorised NumPy
in torchvision's compute dtype (the image's float dtype, float32 for integer images, rounded back for integers).
Tensor results are new tensors outside autograd (data augmentation, as torchvision uses it).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

import minitorch
from minitorch import nn

from ._conversion import _assert_image_tensor, get_dimensions
from ._geometry import InterpolationMode, _check_pil, _fill_for_pil, _interpolation_modes_from_int, \
    pil_modes_mapping

__all__ = ["RandomRotation", "RandomAffine"]
FUNCTIONAL: tuple[str, ...] = ("rotate", "affine")

Tensor = minitorch.Tensor
Fill = Union[float, Sequence[float], None]


# the inverse affine matrix ---------------------------------------------------------------------------------------
def _get_inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float], scale: float,
                               shear: Sequence[float], inverted: bool = True) -> list[float]:
    """The 2x3 matrix (row-major, 6 floats) of ``M = T * C * RotateScaleShear * C^-1``, or of its inverse, which
    maps output pixels back to input pixels (what Pillow and the sampling grid need)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # rotation and shear, without the scale: R(a) * SHy(sy) * SHx(sx), whose determinant is 1
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        # C * RSS^-1 * C^-1 * T^-1
        matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        # T * C * RSS * C^-1
        matrix = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


# tensor resampling -----------------------------------------------------------------------------------------------
def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """``(ow, oh)`` holding the whole transformed image (``expand=True``), computed in float32 like torchvision."""
    f32 = np.float32
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], f32)
    new_pts = pts @ np.array(matrix, f32).reshape(2, 3).T
    half = np.array([w * 0.5, h * 0.5], f32)
    min_vals, max_vals = new_pts.min(axis=0) + half, new_pts.max(axis=0) + half
    tol = 1e-4  # truncate to 1e-4 so that a rounding error of 1e-15 does not ceil to one more pixel
    size = np.ceil(np.trunc(max_vals / tol) * tol) - np.floor(np.trunc(min_vals / tol) * tol)
    return int(size[0]), int(size[1])


def _source_coords(matrix: list[float], w: int, h: int, ow: int, oh: int, dtype: np.dtype
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Input pixel coordinates ``(ix, iy)``, each ``(oh, ow)``, sampled by each output pixel: torchvision's
    ``_gen_affine_grid`` (centre-origin pixel centres through ``matrix``, normalised by the input size) followed by
    ``grid_sample``'s un-normalisation with ``align_corners=False``."""
    theta = np.array(matrix, dtype).reshape(2, 3)
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], dtype)          # (3, 2)
    x = (np.arange(ow) - ow * 0.5 + 0.5).astype(dtype)
    y = (np.arange(oh) - oh * 0.5 + 0.5).astype(dtype)
    base = np.empty((oh, ow, 3), dtype)
    base[..., 0], base[..., 1], base[..., 2] = x, y[:, None], 1
    # one matmul, as torchvision's bmm: the same BLAS summation order gives bitwise the same grid, which matters
    # where a coordinate falls on a nearest-neighbour tie (x.5)
    grid = base @ rescaled
    one, half = np.ones((), dtype), np.asarray(0.5, dtype)
    ix = (grid[..., 0] + one) * np.asarray(w / 2, dtype) - half
    return ix, (grid[..., 1] + one) * np.asarray(h / 2, dtype) - half


def _axis_index(i: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer coordinates ``i`` clipped into ``[0, size)``, and whether they were inside."""
    return np.clip(i, 0, size - 1), (i >= 0) & (i < size)


def _grid_transform(img: Tensor, matrix: list[float], interpolation: str, fill: Fill, ow: int, oh: int) -> Tensor:
    """Resample ``img`` through ``matrix`` into ``(..., C, oh, ow)``, blending ``fill`` outside as torchvision.

    Each output pixel takes one (nearest) or four (bilinear) input pixels, gathered by flat index; a pixel outside
    the image gets a zero weight (grid_sample's zeros padding: a zero weight times the pixel equals the zero pixel
    times the weight), and the weights' sum is the sampled all-ones channel that blends ``fill``."""
    out_dtype = img.dtype.np
    dtype = out_dtype if np.issubdtype(out_dtype, np.floating) else np.dtype(np.float32)
    arr = img.detach().numpy().astype(dtype, copy=False)
    h, w = arr.shape[-2:]
    ix, iy = _source_coords(matrix, w, h, ow, oh, dtype)
    if interpolation == "nearest":
        # Vectorized<float>::round is nearbyint: ties go to the even pixel, as np.rint
        (cx, vx) = _axis_index(np.rint(ix).astype(np.int32), w)
        (cy, vy) = _axis_index(np.rint(iy).astype(np.int32), h)
        corners = [(cy * w + cx, (vx & vy).astype(dtype))]
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        we, ns = ix - x0, iy - y0
        ea, so = 1 - we, 1 - ns
        x0, y0 = x0.astype(np.int32), y0.astype(np.int32)
        (cx0, vx0), (cx1, vx1) = _axis_index(x0, w), _axis_index(x0 + 1, w)
        (cy0, vy0), (cy1, vy1) = _axis_index(y0, h), _axis_index(y0 + 1, h)
        cy0, cy1 = cy0 * w, cy1 * w
        # torch's order of the four terms: north-west, north-east, south-west, south-east
        corners = [(cy0 + cx0, np.where(vy0 & vx0, so * ea, 0)), (cy0 + cx1, np.where(vy0 & vx1, so * we, 0)),
                   (cy1 + cx0, np.where(vy1 & vx0, ns * ea, 0)), (cy1 + cx1, np.where(vy1 & vx1, ns * we, 0))]
    flat = np.ascontiguousarray(arr).reshape(arr.shape[:-2] + (h * w,))
    out = mask = None
    for index, weight in corners:
        term = np.take(flat, index.ravel(), axis=-1).reshape(arr.shape[:-2] + (oh, ow)) * weight
        out = term if out is None else out + term
        mask = weight if mask is None else mask + weight  # the sampled all-ones channel
    if fill is not None:
        fill_list = [float(f) for f in fill] if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.array(fill_list, dtype).reshape(len(fill_list), 1, 1)
        if interpolation == "nearest":
            out = np.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (1.0 - mask) * fill_img
    if not np.issubdtype(out_dtype, np.floating):
        out = np.round(out)  # torchvision rounds before casting back to an integer dtype
    return minitorch.from_numpy(np.ascontiguousarray(out.astype(out_dtype, copy=False)))


def _check_grid_inputs(img: Tensor, interpolation: InterpolationMode, fill: Fill) -> None:
    """torchvision's ``_assert_grid_transform_inputs`` for a tensor image."""
    _assert_image_tensor(img)
    if img.ndim == 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 1 in last dimension, but got grid with "
                           f"sizes [1, {img.shape[0]}, {img.shape[1]}, 2]")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        warnings.warn("Argument fill should be either int, float, tuple or list")
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {channels})")
    if interpolation.value not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")


# functional ------------------------------------------------------------------------------------------------------
def _interpolation_mode(interpolation: Any) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    return interpolation


def _tensor_center(img: Tensor, center: Sequence[float] | None) -> list[float]:
    """``center`` in pixels relative to the image centre (the tensor path's origin); ``[0, 0]`` when None."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(img: Any, angle: float, interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[int] | None = None, fill: Fill = None) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default the image centre); ``expand``
    enlarges the output to hold the whole rotated image."""
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        _check_pil(img)
        return img.rotate(angle, pil_modes_mapping[interpolation], expand, center, fillcolor=_fill_for_pil(fill, img))
    # the tensor path samples with the inverse map, whose angle runs the other way
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    _check_grid_inputs(img, interpolation, fill)
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    return _grid_transform(img, matrix, interpolation.value, fill, ow, oh)


def affine(img: Any, angle: float, translate: Sequence[int], scale: float, shear: float | Sequence[float],
           interpolation: InterpolationMode | int = InterpolationMode.NEAREST, fill: Fill = None,
           center: Sequence[int] | None = None) -> Any:
    """Rotate by ``angle`` degrees (clockwise), translate by ``translate`` pixels, scale by ``scale`` and shear by
    ``shear`` degrees (x, or (x, y)), keeping ``center`` (default the image centre) fixed."""
    interpolation = _interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    angle = float(angle)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if not isinstance(img, Tensor):
        _check_pil(img)
        # Pillow's origin is the top-left corner; the centre is taken without the 0.5 offset, as torchvision
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, angle, list(translate), scale, shear)
        from PIL import Image
        return img.transform(img.size, Image.AFFINE, matrix, pil_modes_mapping[interpolation],
                             fillcolor=_fill_for_pil(fill, img))
    matrix = _get_inverse_affine_matrix(_tensor_center(img, center), angle, [1.0 * t for t in translate], scale,
                                        shear)
    _check_grid_inputs(img, interpolation, fill)
    return _grid_transform(img, matrix, interpolation.value, fill, width, height)


# transforms ------------------------------------------------------------------------------------------------------
def _check_sequence_input(x: Any, name: str, req_sizes: Sequence[int]) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x: Any, name: str, req_sizes: Sequence[int] = (2,)) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _check_fill(fill: Any) -> Any:
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _tensor_fill(img: Any, fill: Any) -> Any:
    """A tensor image gets one float fill value per channel (a PIL image takes ``fill`` as given)."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * get_dimensions(img)[0]
    return [float(f) for f in fill]


def _uniform(low: float, high: float) -> float:
    return float(minitorch.empty(1).uniform_(low, high).item())


class RandomRotation(nn.Module):
    """Rotate by an angle drawn uniformly from ``degrees`` (``(min, max)``, or ``(-degrees, degrees)``)."""

    def __init__(self, degrees: float | Sequence[float], interpolation: InterpolationMode | int =
                 InterpolationMode.NEAREST, expand: bool = False, center: Sequence[int] | None = None,
                 fill: float | Sequence[float] = 0) -> None:
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """An angle drawn uniformly from ``[degrees[0], degrees[1]]``."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        angle = self.get_params(self.degrees)
        return rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}, interpolation={self.interpolation.value}"
        s += f", expand={self.expand}"
        s += f", center={self.center}" if self.center is not None else ""
        s += f", fill={self.fill}" if self.fill is not None else ""
        return s + ")"


class RandomAffine(nn.Module):
    """A random affine map keeping the centre fixed: rotation from ``degrees``, translation up to ``translate``
    (fractions of the width and height), scale from ``scale``, shear from ``shear`` (x, or x and y ranges)."""

    def __init__(self, degrees: float | Sequence[float], translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: float | Sequence[float] | None = None,
                 interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
                 fill: float | Sequence[float] = 0, center: Sequence[int] | None = None) -> None:
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else None
        self.interpolation = interpolation
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Sequence[float] | None,
                   scale_ranges: Sequence[float] | None, shears: Sequence[float] | None,
                   img_size: Sequence[int]) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for ``affine``; ``img_size`` is ``[width, height]``."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img: Any) -> Any:
        fill = _tensor_fill(img, self.fill)
        _, height, width = get_dimensions(img)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return affine(img, *params, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"

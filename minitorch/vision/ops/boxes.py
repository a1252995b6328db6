"""Box utilities: mirrors ``torchvision.ops`` ``box_area``, ``box_iou``, ``generalized_box_iou``, ``box_convert``,
``clip_boxes_to_image``, ``remove_small_boxes``, ``nms`` and ``batched_nms``.

The geometric functions are written with minitorch ops, so they are differentiable as torchvision's are. ``nms``
follows torchvision's CPU kernel: boxes are visited in decreasing score order (a stable sort, so tied scores keep
their index order) and each kept box suppresses the later boxes whose IoU with it exceeds the threshold. The IoU
matrix is computed once with NumPy, in the boxes' dtype and with the kernel's formula; the greedy pass then loops
over the kept boxes only (on bit sets, see ``_nms_keep``).
"""
from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ..._ops.joining import stack
from ..._ops.elementwise import maximum, minimum

__all__ = ["box_area", "box_iou", "generalized_box_iou", "box_convert", "clip_boxes_to_image", "remove_small_boxes",
           "nms", "batched_nms"]

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("xywhr", "cxcywhr", "xyxyxyxy")


def _upcast(t: Tensor) -> Tensor:
    """torchvision's ``_upcast``: half floats become float32, small integers int32 (no overflow in products)."""
    if t.is_floating_point():
        return t if t.dtype.np in (np.float32, np.float64) else t.float()
    return t if t.dtype.np in (np.int32, np.int64) else t.int()


# format conversion -------------------------------------------------------------------------------------------
def _cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _xywh_to_xyxy(boxes: Tensor) -> Tensor:
    x, y, w, h = boxes.unbind(-1)
    return stack((x, y, x + w, y + h), dim=-1)


def _xyxy_to_xywh(boxes: Tensor) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


_TO_XYXY = {"xyxy": None, "xywh": _xywh_to_xyxy, "cxcywh": _cxcywh_to_xyxy}
_FROM_XYXY = {"xyxy": None, "xywh": _xyxy_to_xywh, "cxcywh": _xyxy_to_cxcywh}


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Converts boxes between ``'xyxy'``, ``'xywh'`` and ``'cxcywh'`` (through xyxy, as torchvision does)."""
    allowed = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt in _ROTATED or out_fmt in _ROTATED:
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt "
                                  f"{out_fmt} (rotated box formats are not implemented in minitorch)")
    to_xyxy, from_xyxy = _TO_XYXY[in_fmt], _FROM_XYXY[out_fmt]
    if to_xyxy is not None:
        boxes = to_xyxy(boxes)
    return from_xyxy(boxes) if from_xyxy is not None else boxes


# areas and overlaps ------------------------------------------------------------------------------------------
def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas of boxes ``[..., 4]`` in format ``fmt``."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes: Tensor, fmt: str) -> tuple[Tensor, Tensor]:
    """Top-left and bottom-right corners ``[..., 2]`` of boxes in format ``fmt``, with torchvision's formulas."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    return boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2


def _inter_union(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> tuple[Tensor, Tensor]:
    """Pairwise intersection and union areas ``[..., N, M]``."""
    area1, area2 = box_area(boxes1, fmt=fmt), box_area(boxes2, fmt=fmt)
    lt1, rb1 = _corners(boxes1, fmt)
    lt2, rb2 = _corners(boxes2, fmt)
    lt = maximum(lt1[..., None, :], lt2[..., None, :, :])
    rb = minimum(rb1[..., None, :], rb2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Pairwise intersection over union ``[..., N, M]`` of boxes ``[..., N, 4]`` and ``[..., M, 4]``."""
    if fmt not in _AXIS_ALIGNED:
        if fmt in _ROTATED:
            raise NotImplementedError(f"box_iou: rotated box format '{fmt}' is not implemented in minitorch")
        raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_AXIS_ALIGNED}. "
                         f"Supported rotated formats: {('cxcywhr', 'xywhr', 'xyxyxyxy')}.")
    inter, union = _inter_union(boxes1, boxes2, fmt)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (IoU minus the enclosing box's share not covered by the union) of xyxy boxes."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    lti = minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clamps xyxy boxes ``[..., 4]`` into an image of ``size = (height, width)``."""
    height, width = size
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return stack((xs, ys), dim=boxes.dim()).reshape(boxes.shape)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the xyxy boxes whose width and height are both at least ``min_size``."""
    b = boxes.detach().numpy()
    keep = ((b[..., 2] - b[..., 0]) >= min_size) & ((b[..., 3] - b[..., 1]) >= min_size)
    return Tensor._make(np.nonzero(keep)[0].astype(np.int64))


# non-maximum suppression -------------------------------------------------------------------------------------
def _check_nms(boxes: Tensor, scores: Tensor) -> None:
    """torchvision's nms kernel checks (all RuntimeError)."""
    if boxes.dim() != 2:
        raise RuntimeError(f"nms: boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"nms: boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.dim() != 1:
        raise RuntimeError(f"nms: scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(f"nms: boxes and scores should have same number of elements in dimension 0, got "
                           f"{boxes.shape[0]} and {scores.shape[0]}")
    if boxes.dtype != scores.dtype:
        raise RuntimeError(f"nms: dets should have the same type as scores (got {boxes.dtype} and {scores.dtype})")
    if not boxes.is_floating_point():
        raise RuntimeError(f"\"nms_kernel\" not implemented for '{boxes.dtype._legacy[:-len('Tensor')]}'")


def _nms_keep(b: np.ndarray, scores: np.ndarray, iou_threshold: float,
              groups: np.ndarray | None = None) -> np.ndarray:
    """Kept indices (int64, decreasing score) of greedy NMS on xyxy boxes ``b``; boxes in different ``groups``
    never suppress each other."""
    order = np.argsort(-scores, kind="stable")          # descending; ties keep index order (torchvision's sort)
    b = b[order]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    w = np.minimum(x2[:, None], x2[None])
    w -= np.maximum(x1[:, None], x1[None])
    h = np.minimum(y2[:, None], y2[None])
    h -= np.maximum(y1[:, None], y1[None])
    inter = np.maximum(w, 0, out=w)
    inter *= np.maximum(h, 0, out=h)
    union = areas[:, None] + areas[None]
    union -= inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.divide(inter, union, out=union)
    # the kernel compares the box-dtype IoU with the threshold as a double: for a box-dtype x, x > threshold
    # exactly when x > (the largest box-dtype value <= threshold). NaN IoUs never suppress.
    t = b.dtype.type(iou_threshold)
    if float(t) > iou_threshold:
        t = np.nextafter(t, b.dtype.type(-np.inf))
    over = iou > t
    if groups is not None:
        g = groups[order]
        over &= g[:, None] == g[None]
    # greedy pass, one step per kept box: the surviving boxes are the set bits of a Python integer (bit i = the
    # i-th best score), so the next kept box is its lowest set bit and suppression clears a row's bits
    rows = np.packbits(over, axis=1, bitorder="little")
    alive = (1 << len(order)) - 1
    keep = []
    while alive:
        lowest = alive & -alive
        i = lowest.bit_length() - 1
        keep.append(i)
        alive ^= lowest
        alive &= ~int.from_bytes(rows[i].tobytes(), "little")
    return order[np.asarray(keep, dtype=np.int64)].astype(np.int64)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression of xyxy boxes: int64 indices of the kept boxes, by decreasing score."""
    _check_nms(boxes, scores)
    b, s = boxes.detach().numpy(), scores.detach().numpy()
    if b.shape[0] == 0:
        return Tensor._make(np.zeros(0, dtype=np.int64))
    return Tensor._make(_nms_keep(b, s, iou_threshold))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS applied independently per category ``idxs``.

    As torchvision on CPU: up to 4000 coordinates, the boxes of each category are shifted by
    ``idx * (max coordinate + 1)`` so that categories cannot overlap and one ``nms`` runs; above that, boxes of
    different categories are simply kept from suppressing each other (torchvision's per-class loop)."""
    if boxes.numel() == 0:
        return Tensor._make(np.zeros(0, dtype=np.int64))
    if boxes.shape[0] != idxs.shape[0]:
        raise RuntimeError(f"The size of tensor a ({boxes.shape[0]}) must match the size of tensor b "
                           f"({idxs.shape[0]}) at non-singleton dimension 0")
    b, s = boxes.detach().numpy(), scores.detach().numpy()
    cls = idxs.detach().numpy()
    if boxes.numel() > 4000:
        _check_nms(boxes, scores)
        return Tensor._make(_nms_keep(b, s, iou_threshold, groups=cls))
    offsets = cls.astype(b.dtype) * (b.max() + b.dtype.type(1))
    shifted = Tensor._make(b + offsets[:, None])
    return nms(shifted, scores, iou_threshold)

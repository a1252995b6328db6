"""Generated images of coloured shapes with their boxes, classes and masks: the data of lectures 14 and 15.

Each image holds one to ``max_objects`` shapes (circle, square, triangle), one per cell of a 2 x 2 grid so that
shapes never overlap and every box is exact. Rendering is vectorised over the images: one NumPy expression per
object slot draws that slot's shape in every image at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("circle", "square", "triangle")


@dataclass
class Shapes:
    """A batch of generated images.

    images: float32 ``(N, 3, S, S)`` in [0, 1]; masks: int64 ``(N, S, S)``, 0 for background and ``1 + class``
    inside a shape; boxes[i]: float32 ``(k_i, 4)`` as ``(x1, y1, x2, y2)`` pixel edges (torchvision's xyxy);
    labels[i]: int64 ``(k_i,)`` class indices into ``CLASSES``.
    """

    images: np.ndarray
    masks: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]


def make_shapes(n: int, size: int = 64, max_objects: int = 3, seed: int = 0) -> Shapes:
    """``n`` images of ``size`` x ``size`` pixels with 1..``max_objects`` (at most 4) shapes each."""
    if not 1 <= max_objects <= 4:
        raise ValueError(f"max_objects must be in 1..4 (one shape per cell of a 2 x 2 grid), got {max_objects}")
    rng = np.random.default_rng(seed)
    cell = size / 2
    counts = rng.integers(1, max_objects + 1, n)
    cells = np.argsort(rng.random((n, 4)), axis=1)                 # a random order of the four cells per image
    images = rng.standard_normal((n, 3, size, size), dtype=np.float32) * np.float32(0.03)
    images += rng.uniform(0.0, 0.25, (n, 3, 1, 1)).astype(np.float32)
    masks = np.zeros((n, size, size), np.int64)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + np.float32(0.5)   # pixel centres
    slot_boxes = np.zeros((n, max_objects, 4), np.float32)
    slot_labels = np.zeros((n, max_objects), np.int64)
    present = np.zeros((n, max_objects), bool)
    for slot in range(max_objects):
        active = slot < counts
        cls = rng.integers(0, len(CLASSES), n)
        half = rng.uniform(0.2, 0.42, n) * cell                      # half the side of the shape's box
        row, col = np.divmod(cells[:, slot], 2)
        cx = (col + 0.5) * cell + rng.uniform(-1, 1, n) * (cell / 2 - half)
        cy = (row + 0.5) * cell + rng.uniform(-1, 1, n) * (cell / 2 - half)
        dx = xs - cx[:, None, None].astype(np.float32)
        dy = ys - cy[:, None, None].astype(np.float32)
        h = half[:, None, None].astype(np.float32)
        inside_box = (np.abs(dx) <= h) & (np.abs(dy) <= h)
        shape = np.select([cls[:, None, None] == 0, cls[:, None, None] == 1],
                          [dx ** 2 + dy ** 2 <= h ** 2, inside_box],
                          inside_box & (np.abs(dx) <= (dy + h) / 2))   # triangle: apex up, base at the bottom
        shape &= active[:, None, None]
        colour = rng.uniform(0.45, 1.0, (n, 3, 1, 1)).astype(np.float32)
        np.copyto(images, colour, where=shape[:, None])
        masks[shape] = np.broadcast_to(cls[:, None, None] + 1, shape.shape)[shape]
        rows, cols = shape.any(axis=2), shape.any(axis=1)             # (n, size): rows/columns the shape covers
        slot_boxes[:, slot] = np.stack([cols.argmax(1), rows.argmax(1),
                                        size - cols[:, ::-1].argmax(1), size - rows[:, ::-1].argmax(1)], 1)
        slot_labels[:, slot] = cls
        present[:, slot] = rows.any(axis=1)
    return Shapes(images=np.clip(images, 0.0, 1.0, out=images), masks=masks,
                  boxes=[b[p] for b, p in zip(slot_boxes, present)],
                  labels=[l[p] for l, p in zip(slot_labels, present)])

"""lectures.shapes: the generated detection/segmentation data is deterministic and its boxes, labels and masks agree."""
from __future__ import annotations

import numpy as np
import pytest

from lectures.shapes import CLASSES, make_shapes


def test_boxes_are_tight_around_the_mask_of_their_class():
    data = make_shapes(64, size=48, max_objects=4, seed=3)
    assert data.images.shape == (64, 3, 48, 48) and data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    for mask, boxes, labels in zip(data.masks, data.boxes, data.labels):
        assert 1 <= len(boxes) == len(labels) <= 4
        painted = np.zeros_like(mask)
        for (x1, y1, x2, y2), label in zip(boxes.astype(int), labels):
            assert 0 <= label < len(CLASSES)
            inside = mask[y1:y2, x1:x2] == label + 1
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            painted[y1:y2, x1:x2][inside] = label + 1
        np.testing.assert_array_equal(painted, mask)          # every shape pixel lies in its box: no overlaps


def test_same_seed_same_data_and_bad_object_count_raises():
    a, b = make_shapes(8, seed=1), make_shapes(8, seed=1)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.masks, b.masks)
    with pytest.raises(ValueError, match="max_objects"):
        make_shapes(2, max_objects=5)

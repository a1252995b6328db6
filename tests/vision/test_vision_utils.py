"""``minitorch.vision.utils.make_grid`` / ``save_image`` compared with torchvision's: grids for several batch shapes
and options (equal values, shape and dtype), argument errors, and saved PNG / JPEG files whose pixels are equal."""
import io
import re

import numpy as np
import pytest
import torch
import torchvision.utils as TU
from hypothesis import given, settings, strategies as st
from PIL import Image

import minitorch
from minitorch.vision import utils as U


def _rs(*key):
    """A generator seeded by the test's parameters: the same inputs whatever tests run before."""
    return np.random.RandomState(abs(hash(key)) % 2**32)


def _pair(arr):
    return minitorch.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _same(mine, theirs):
    assert isinstance(mine, minitorch.Tensor) and tuple(mine.shape) == tuple(theirs.shape)
    assert str(mine.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


SHAPES = [(5, 3, 4, 6), (8, 3, 5, 5), (9, 3, 2, 3), (1, 3, 4, 4), (7, 1, 3, 2), (3, 4, 4), (1, 4, 4), (4, 5),
          (2, 2, 3, 3), (10, 4, 2, 2)]
OPTIONS = [
    ("default", {}),
    ("nrow_padding_pad_value", dict(nrow=3, padding=1, pad_value=0.5)),
    ("no_padding", dict(padding=0, nrow=4)),
    ("wide_padding", dict(padding=5, pad_value=1.0)),
    ("normalize", dict(normalize=True)),
    ("normalize_scale_each", dict(normalize=True, scale_each=True)),
    ("normalize_value_range", dict(normalize=True, value_range=(-0.5, 0.5))),
    ("normalize_value_range_scale_each", dict(normalize=True, value_range=(-1.0, 0.25), scale_each=True)),
    ("normalize_constant", dict(normalize=True, nrow=2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,options", OPTIONS, ids=[o[0] for o in OPTIONS])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_make_grid(shape, name, options, dtype):
    arr = _rs(shape).standard_normal(shape).astype(dtype)
    if name == "normalize_constant":
        arr[:] = 0.25  # max == min: divided by 1e-5 as torchvision
    mine, theirs = _pair(arr)
    _same(U.make_grid(mine, **options), TU.make_grid(theirs, **options))
    np.testing.assert_array_equal(mine.numpy(), arr)  # the input is never modified


@pytest.mark.parametrize("options", [{}, dict(nrow=2, padding=3, pad_value=7)], ids=["default", "nrow_pad"])
def test_make_grid_uint8_and_list(options):
    arr = _rs(1).randint(0, 256, (5, 3, 4, 4)).astype(np.uint8)
    mine, theirs = _pair(arr)
    _same(U.make_grid(mine, **options), TU.make_grid(theirs, **options))
    _same(U.make_grid(list(mine), **options), TU.make_grid(list(theirs), **options))


def test_make_grid_of_grad_tensor():
    arr = _rs(2).standard_normal((4, 3, 2, 2)).astype(np.float32)
    mine = minitorch.from_numpy(arr.copy()).requires_grad_()
    grid = U.make_grid(mine)
    assert not grid.requires_grad
    _same(grid, TU.make_grid(torch.from_numpy(arr).requires_grad_()))


ERROR_CASES = [
    ("not_a_tensor", lambda fw, m: m.make_grid(np.zeros((2, 3, 4, 4)))),
    ("list_of_non_tensors", lambda fw, m: m.make_grid([fw.zeros(3, 4, 4), np.zeros((3, 4, 4))])),
    ("empty_list", lambda fw, m: m.make_grid([])),
    ("list_unequal_sizes", lambda fw, m: m.make_grid([fw.zeros(3, 2, 2), fw.zeros(3, 2, 3)])),
    ("value_range_list", lambda fw, m: m.make_grid(fw.zeros(2, 3, 4, 4), normalize=True, value_range=[0, 1])),
    ("normalize_uint8", lambda fw, m: m.make_grid(fw.zeros(2, 3, 4, 4, dtype=fw.uint8), normalize=True)),
    ("save_uint8", lambda fw, m: m.save_image(fw.zeros(2, 3, 4, 4, dtype=fw.uint8), io.BytesIO(), "png")),
]


@pytest.mark.parametrize("name,call", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_arguments(name, call):
    with pytest.raises(Exception) as theirs:
        call(torch, TU)
    # the message up to torch's C++ dtype name (torch says "unsigned char" or "Byte" depending on the op)
    with pytest.raises(theirs.type, match=re.escape(str(theirs.value).splitlines()[0].split(" output type")[0])):
        call(minitorch, U)


def _pixels(fp):
    with Image.open(fp) as img:
        return img.mode, np.array(img)


@pytest.mark.parametrize("shape,options", [((6, 3, 5, 7), {}), ((3, 1, 4, 4), dict(nrow=2, padding=1)),
                                           ((3, 8, 9), {}), ((4, 3, 3, 3), dict(normalize=True, pad_value=0.3)),
                                           ((1, 6, 5), {})], ids=["batch", "gray_batch", "single", "normalize",
                                                                  "single_gray"])
def test_save_image_png(tmp_path, shape, options):
    arr = _rs(shape).uniform(-0.2, 1.2, shape).astype(np.float32)  # values outside [0, 1] are clamped
    arr.flat[:4] = [0.5 / 255, 1.5 / 255, 254.5 / 255, 1.0]      # values on the rounding boundaries
    mine, theirs = _pair(arr)
    U.save_image(mine, tmp_path / "mine.png", **options)
    TU.save_image(theirs, tmp_path / "theirs.png", **options)
    (mode_a, a), (mode_b, b) = _pixels(tmp_path / "mine.png"), _pixels(tmp_path / "theirs.png")
    assert mode_a == mode_b and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


def test_save_image_file_object_and_format(tmp_path):
    arr = _rs(3).rand(2, 3, 6, 6)
    mine, theirs = _pair(arr)
    buf_a, buf_b = io.BytesIO(), io.BytesIO()
    U.save_image(mine, buf_a, format="jpeg", nrow=1)
    TU.save_image(theirs, buf_b, format="jpeg", nrow=1)
    buf_a.seek(0), buf_b.seek(0)
    np.testing.assert_array_equal(_pixels(buf_a)[1], _pixels(buf_b)[1])
    U.save_image(list(mine), str(tmp_path / "list.png"))
    TU.save_image(list(theirs), str(tmp_path / "list_theirs.png"))
    np.testing.assert_array_equal(_pixels(tmp_path / "list.png")[1], _pixels(tmp_path / "list_theirs.png")[1])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 12), st.sampled_from([1, 3]), st.integers(1, 6), st.integers(1, 6), st.integers(1, 10),
       st.integers(0, 3), st.booleans(), st.booleans(), st.sampled_from(["float32", "float64"]))
def test_make_grid_hypothesis(n, c, h, w, nrow, padding, normalize, scale_each, dtype):
    arr = _rs(n, c, h, w).standard_normal((n, c, h, w)).astype(dtype)
    mine, theirs = _pair(arr)
    options = dict(nrow=nrow, padding=padding, normalize=normalize, scale_each=scale_each, pad_value=0.5)
    _same(U.make_grid(mine, **options), TU.make_grid(theirs, **options))

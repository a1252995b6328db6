"""F.pixel_shuffle / F.pixel_unshuffle and nn.PixelShuffle / nn.PixelUnshuffle vs torch: values, gradients,
extra batch dims, gradcheck / gradgradcheck, module parity and reprs, torch's errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check, gradcheck_inputs, run_both
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


CASES = {
    "pixel_shuffle_r2": ("pixel_shuffle", (2, 8, 3, 4), 2),
    "pixel_shuffle_r3_unbatched": ("pixel_shuffle", (18, 2, 3), 3),
    "pixel_shuffle_5d": ("pixel_shuffle", (2, 2, 4, 3, 2), 2),
    "pixel_shuffle_r1": ("pixel_shuffle", (2, 3, 2, 2), 1),
    "pixel_unshuffle_r2": ("pixel_unshuffle", (2, 3, 4, 6), 2),
    "pixel_unshuffle_r3_unbatched": ("pixel_unshuffle", (2, 6, 3), 3),
    "pixel_unshuffle_5d": ("pixel_unshuffle", (2, 2, 1, 4, 2), 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_parity(name):
    op, shape, r = CASES[name]
    assert check(lambda fw, x: getattr(F(fw), op)(x, r), shape).cases


@pytest.mark.parametrize("name", ["pixel_shuffle_r2", "pixel_unshuffle_r3_unbatched"])
def test_gradcheck(name):
    op, shape, r = CASES[name]
    fn = lambda x: getattr(MF, op)(x, r)  # noqa: E731
    inputs = gradcheck_inputs(shape)
    assert minitorch.autograd.gradcheck(fn, inputs)
    assert minitorch.autograd.gradgradcheck(fn, inputs)


def test_round_trip_and_contiguous():
    x = minitorch.randn(2, 12, 3, 4)
    y = MF.pixel_shuffle(x, 2)
    assert y.is_contiguous()
    assert MF.pixel_unshuffle(y, 2).equal(x)


def test_integer_values():
    mine, theirs = run_both(lambda fw, t: F(fw).pixel_shuffle(t, 2), np.arange(32).reshape(1, 8, 2, 2))
    assert mine.tolist() == theirs.tolist()


MODULES = {
    "PixelShuffle": (lambda fw: fw.nn.PixelShuffle(2), (2, 8, 3, 4)),
    "PixelUnshuffle": (lambda fw: fw.nn.PixelUnshuffle(3), (2, 2, 3, 6)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    assert len(check_module(make, shape, layouts=("contiguous", "noncontiguous", "permuted")).cases) == 12


@pytest.mark.parametrize("name", list(MODULES))
def test_module_repr(name):
    make, _ = MODULES[name]
    assert repr(make(minitorch)) == repr(make(torch))


BAD = {
    "pixel_shuffle_2d": ("pixel_shuffle", (8, 3), 2, RuntimeError,
                         "expects input to have at least 3 dimensions, but got input with 2 dimension"),
    "pixel_shuffle_channels": ("pixel_shuffle", (2, 8, 3, 4), 3, RuntimeError,
                               r"input.size\(-3\)=8 is not divisible by 9"),
    "pixel_shuffle_zero": ("pixel_shuffle", (2, 8, 3, 4), 0, RuntimeError,
                           "expects a positive upscale_factor, but got 0"),
    "pixel_shuffle_float": ("pixel_shuffle", (2, 8, 3, 4), 2.0, TypeError,
                            "argument 'upscale_factor' \\(position 2\\) must be int, not float"),
    "pixel_unshuffle_height": ("pixel_unshuffle", (2, 8, 3, 4), 2, RuntimeError,
                               r"expects height to be divisible by downscale_factor, but input.size\(-2\)=3"),
    "pixel_unshuffle_width": ("pixel_unshuffle", (2, 3, 4, 5), 2, RuntimeError,
                              r"expects width to be divisible by downscale_factor, but input.size\(-1\)=5"),
    "pixel_unshuffle_negative": ("pixel_unshuffle", (2, 3, 4, 4), -2, RuntimeError,
                                 "expects a positive downscale_factor, but got -2"),
    "pixel_unshuffle_2d": ("pixel_unshuffle", (4, 6), 2, RuntimeError, "at least 3 dimensions"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_errors(name):
    op, shape, r, exc, match = BAD[name]
    assert_raises_like_torch(lambda fw, x: getattr(F(fw), op)(x, r), np.zeros(shape), match=match, exc=exc)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(shuffle=st.booleans(), lead=st.lists(st.integers(1, 2), max_size=2), c=st.integers(1, 3),
       h=st.integers(1, 3), w=st.integers(1, 3), r=st.integers(1, 3), dtype=st.sampled_from(["float32", "float64"]))
def test_random(shuffle, lead, c, h, w, r, dtype):
    if shuffle:
        shape, fn = tuple(lead) + (c * r * r, h, w), lambda fw, x: F(fw).pixel_shuffle(x, r)
    else:
        shape, fn = tuple(lead) + (c, h * r, w * r), lambda fw, x: F(fw).pixel_unshuffle(x, r)
    check(fn, Spec(shape), dtypes=(dtype,), layouts=("contiguous", "permuted"))

"""F.unfold / F.fold and nn.Unfold / nn.Fold vs torch: kernel / dilation / padding / stride combinations,
batched and unbatched, gradients, gradcheck / gradgradcheck (each is the other's backward), module parity and
reprs, torch's errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check, gradcheck_inputs
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


def _blocks(size, k, d, p, s):
    k, d, p, s = (v if isinstance(v, tuple) else (v, v) for v in (k, d, p, s))
    return [(n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s)]


# (input shape (N, C, H, W) or (C, H, W), kernel_size, dilation, padding, stride)
CASES = {
    "k2": ((2, 3, 5, 6), 2, 1, 0, 1),
    "k3_pad1": ((2, 2, 5, 5), 3, 1, 1, 1),
    "k3_stride2": ((2, 2, 7, 6), 3, 1, 0, 2),
    "rect_kernel_dilation_padding_stride": ((2, 2, 7, 6), (2, 3), (2, 1), (1, 2), (2, 1)),
    "k1": ((2, 4, 3, 3), 1, 1, 0, 1),
    "stride_larger_than_kernel": ((1, 2, 7, 7), 2, 1, 1, 3),
    "unbatched": ((3, 5, 6), 3, 1, 1, 2),
    "kernel_is_input": ((2, 2, 3, 4), (3, 4), 1, 0, 1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_unfold_parity(name):
    shape, k, d, p, s = CASES[name]
    assert check(lambda fw, x: F(fw).unfold(x, k, d, p, s), shape).cases


@pytest.mark.parametrize("name", list(CASES))
def test_fold_parity(name):
    shape, k, d, p, s = CASES[name]
    kk = k if isinstance(k, tuple) else (k, k)
    blocks = _blocks(shape[-2:], k, d, p, s)
    cols = shape[:-3] + (shape[-3] * kk[0] * kk[1], blocks[0] * blocks[1])
    assert check(lambda fw, y: F(fw).fold(y, shape[-2:], k, d, p, s), cols).cases


@pytest.mark.parametrize("name", ["k3_pad1", "rect_kernel_dilation_padding_stride", "unbatched"])
def test_gradcheck(name):
    shape, k, d, p, s = CASES[name]
    (x,) = gradcheck_inputs(shape)
    unf = lambda x: MF.unfold(x, k, d, p, s)  # noqa: E731
    assert minitorch.autograd.gradcheck(unf, (x,))
    assert minitorch.autograd.gradgradcheck(unf, (x,))
    (y,) = gradcheck_inputs(tuple(unf(x).shape), seed=1)
    fld = lambda y: MF.fold(y, shape[-2:], k, d, p, s)  # noqa: E731
    assert minitorch.autograd.gradcheck(fld, (y,))
    assert minitorch.autograd.gradgradcheck(fld, (y,))


def test_empty_batch_matches_torch():
    shapes = []
    for fw in (minitorch, torch):
        x = fw.zeros(0, 3, 4, 4, requires_grad=True)
        cols = F(fw).unfold(x, 2, padding=1)
        back = F(fw).fold(cols, (4, 4), 2, padding=1)
        back.sum().backward()
        shapes.append((tuple(cols.shape), tuple(back.shape), tuple(x.grad.shape)))
    assert shapes[0] == shapes[1]


def test_fold_output_is_contiguous():
    y = MF.fold(minitorch.randn(2, 12, 42), (5, 6), 2, padding=1)
    assert y.is_contiguous() and tuple(y.shape) == (2, 3, 5, 6)


MODULES = {
    "Unfold": (lambda fw: fw.nn.Unfold(2, stride=(1, 2)), (2, 3, 4, 5)),
    "Unfold_dilation_padding": (lambda fw: fw.nn.Unfold((2, 3), dilation=2, padding=1), (2, 2, 5, 5)),
    "Fold": (lambda fw: fw.nn.Fold((4, 5), 2, padding=1), (2, 12, 30)),
    "Fold_stride_dilation": (lambda fw: fw.nn.Fold(5, (2, 2), dilation=2, stride=(2, 1)), (2, 8, 6)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    assert len(check_module(make, shape, layouts=("contiguous", "noncontiguous")).cases) == 8


@pytest.mark.parametrize("name", list(MODULES))
def test_module_repr(name):
    make, _ = MODULES[name]
    assert repr(make(minitorch)) == repr(make(torch))


UNFOLD_BAD = {
    "kernel_3_values": ((2, 3, 5, 6), dict(kernel_size=(2, 3, 4)), RuntimeError,
                        "It is expected kernel_size equals to 2, but got size 3"),
    "zero_kernel": ((2, 3, 5, 6), dict(kernel_size=0), RuntimeError,
                    "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    "zero_stride": ((2, 3, 5, 6), dict(kernel_size=2, stride=0), RuntimeError,
                    "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    "zero_dilation": ((2, 3, 5, 6), dict(kernel_size=2, dilation=(1, 0)), RuntimeError,
                      "dilation should be greater than zero, but got dilation_height: 1 dilation_width: 0"),
    "negative_padding": ((2, 3, 5, 6), dict(kernel_size=2, padding=-1), RuntimeError,
                         "padding should be non-negative, but got pad_height: -1 pad_width: -1"),
    "kernel_too_large": ((2, 3, 5, 6), dict(kernel_size=7), RuntimeError,
                         r"spatial size \(5, 6\), kernel_size=\(7, 7\).*sliding blocks as \(-1, 0\)"),
    "5d_input": ((1, 2, 3, 4, 5), dict(kernel_size=2), RuntimeError,
                 r"Expected 3D or 4D \(batch mode\) tensor .* but got: \[1, 2, 3, 4, 5\]"),
    "empty_channels": ((2, 0, 5, 6), dict(kernel_size=2), RuntimeError, r"but got: \[2, 0, 5, 6\]"),
    "2d_input": ((5, 6), dict(kernel_size=2), IndexError, "Dimension out of range"),
}


@pytest.mark.parametrize("name", list(UNFOLD_BAD))
def test_unfold_errors(name):
    shape, kw, exc, match = UNFOLD_BAD[name]
    assert_raises_like_torch(lambda fw, x: F(fw).unfold(x, **kw), np.zeros(shape), match=match, exc=exc)


FOLD_BAD = {
    "channels_not_divisible": ((2, 12, 20), dict(output_size=(5, 6), kernel_size=3), RuntimeError,
                               r"input.size\(1\)=12 and kernel_size=\(3, 3\)"),
    "wrong_block_count": ((2, 12, 20), dict(output_size=(5, 7), kernel_size=2), RuntimeError,
                          r"output_size=\(5, 7\).*sliding blocks 4 \* 6 = 24, but got input.size\(2\)=20"),
    "output_too_small": ((2, 12, 20), dict(output_size=(1, 1), kernel_size=2), RuntimeError,
                         r"sliding blocks 0 \* 0 = 0"),
    "output_size_3_values": ((2, 12, 20), dict(output_size=(5, 6, 2), kernel_size=2), RuntimeError,
                             "It is expected output_size equals to 2, but got size 3"),
    "4d_input": ((2, 3, 4, 5), dict(output_size=(5, 6), kernel_size=2), RuntimeError,
                 r"Expected 2D or 3D \(batch mode\) tensor .* but got: \[2, 3, 4, 5\]"),
    "zero_stride": ((2, 12, 20), dict(output_size=(5, 6), kernel_size=2, stride=0), RuntimeError,
                    "stride should be greater than zero"),
}


@pytest.mark.parametrize("name", list(FOLD_BAD))
def test_fold_errors(name):
    shape, kw, exc, match = FOLD_BAD[name]
    assert_raises_like_torch(lambda fw, x: F(fw).fold(x, **kw), np.zeros(shape), match=match, exc=exc)


def test_integer_input():
    x = np.arange(30).reshape(1, 1, 5, 6)
    assert_raises_like_torch(lambda fw, t: F(fw).unfold(t, 2), x, exc=NotImplementedError,
                             match="\"im2col_out_cpu\" not implemented for 'Long'")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 3),
       kw=st.integers(1, 3), d=st.integers(1, 2), p=st.integers(0, 2), s=st.integers(1, 3),
       dtype=st.sampled_from(["float32", "float64"]))
def test_unfold_fold_random(n, c, h, w, kh, kw, d, p, s, dtype):
    blocks = _blocks((h, w), (kh, kw), d, p, s)
    if min(blocks) < 1:
        return
    check(lambda fw, x: F(fw).unfold(x, (kh, kw), d, p, s), Spec((n, c, h, w)), dtypes=(dtype,),
          layouts=("contiguous", "permuted"))
    check(lambda fw, y: F(fw).fold(y, (h, w), (kh, kw), d, p, s), Spec((n, c * kh * kw, blocks[0] * blocks[1])),
          dtypes=(dtype,), layouts=("contiguous",))

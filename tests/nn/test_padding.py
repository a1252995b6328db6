"""F.pad and the padding layers vs torch: constant (incl. negative padding), reflect, replicate and circular over
1-3 trailing dims, batched and unbatched; gradients, gradcheck / gradgradcheck, module parity and reprs, and
torch's errors (types and messages)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check, gradcheck_inputs, run_both, assert_same_outcome
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


# (input shape, pad, mode, value)
PAD_CASES = {
    "constant_1d": ((2, 3, 5), (1, 2), "constant", None),
    "constant_value_2d": ((2, 3, 4, 5), (1, 0, 2, 3), "constant", 1.5),
    "constant_negative_crop": ((2, 3, 4, 5), (-1, 2, 1, -2), "constant", None),
    "constant_all_dims": ((3, 4), (1, 1, 2, 0), "constant", -2.0),
    "constant_3d": ((1, 2, 3, 4, 5), (1, 1, 0, 2, 2, 1), "constant", 0.5),
    "constant_4_dims": ((2, 3, 2, 2), (1, 0, 0, 1, 1, 1, 2, 0), "constant", None),
    "reflect_1d": ((2, 3, 5), (2, 4), "reflect", None),
    "reflect_1d_unbatched": ((3, 5), (3, 1), "reflect", None),
    "reflect_2d": ((2, 3, 4, 5), (1, 3, 3, 2), "reflect", None),
    "reflect_2d_negative": ((2, 3, 4, 5), (-1, 2, 1, -2), "reflect", None),
    "reflect_3d": ((1, 2, 3, 4, 5), (1, 2, 2, 1, 2, 0), "reflect", None),
    "replicate_1d": ((2, 3, 4), (5, 2), "replicate", None),
    "replicate_2d": ((2, 3, 4, 5), (2, 1, 0, 3), "replicate", None),
    "replicate_2d_unbatched_negative": ((3, 4, 5), (-2, 1, 3, -1), "replicate", None),
    "replicate_3d": ((2, 2, 3, 2, 4), (1, 1, 2, 2, 1, 3), "replicate", None),
    "circular_1d": ((2, 3, 5), (5, 2), "circular", None),
    "circular_1d_negative": ((2, 3, 5), (-1, 2), "circular", None),
    "circular_2d": ((2, 3, 4, 5), (1, 3, 4, 2), "circular", None),
    "circular_2d_crop_left": ((2, 3, 4, 5), (2, -1, 0, 1), "circular", None),
    "circular_3d": ((1, 2, 3, 4, 5), (1, 2, 3, 1, 2, 2), "circular", None),
}


@pytest.mark.parametrize("name", list(PAD_CASES))
def test_pad_parity(name):
    shape, p, mode, value = PAD_CASES[name]
    result = check(lambda fw, x: F(fw).pad(x, p, mode=mode, value=value), shape)
    assert result.cases


@pytest.mark.parametrize("name", ["constant_negative_crop", "reflect_2d", "replicate_3d", "circular_1d_negative"])
def test_pad_gradcheck(name):
    shape, p, mode, value = PAD_CASES[name]
    fn = lambda x: MF.pad(x, p, mode=mode, value=value)  # noqa: E731
    inputs = gradcheck_inputs(shape)
    assert minitorch.autograd.gradcheck(fn, inputs)
    assert minitorch.autograd.gradgradcheck(fn, inputs)


def test_pad_integer_and_zero_padding():
    x = np.arange(24).reshape(2, 3, 4)
    for p, mode in [((1, 2), "reflect"), ((1, 1, 1, 1), "constant"), ((0, 0), "replicate")]:
        mine, theirs = run_both(lambda fw, t: F(fw).pad(t, p, mode=mode), x)
        assert_same_outcome(mine, theirs, f"{p} {mode}")
        assert mine.dtype == minitorch.int64


def test_pad_result_is_a_copy():
    x = minitorch.zeros(2, 3)
    y = MF.pad(x, (0, 0), mode="replicate")
    y += 1
    assert float(x.sum()) == 0.0


BAD = {
    "odd_length": ((2, 3, 4), (1,), "constant", RuntimeError, "Padding length must be divisible by 2"),
    "too_long": ((2, 3), (1, 1, 1, 1, 1, 1), "constant", RuntimeError,
                 "padding length 6 and input of dimension 2"),
    "crop_too_much": ((2, 3, 4), (-3, -2), "constant", RuntimeError, "length must be non-negative"),
    "reflect_too_large": ((2, 3, 4), (4, 1), "reflect", RuntimeError,
                          r"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                          r"padding \(4, 1\) at dimension 2 of input \[2, 3, 4\]"),
    "reflect_too_large_2d": ((2, 3, 4, 5), (1, 1, 4, 1), "reflect", RuntimeError,
                             r"Argument #6: .*padding \(4, 1\) at dimension 2 of input \[2, 3, 4, 5\]"),
    "reflect_1d_input": ((4,), (1, 1), "reflect", NotImplementedError,
                         "Padding size 2 is not supported for 1D input tensor"),
    "replicate_4d_with_1d_pad": ((2, 3, 4, 5), (1, 1), "replicate", NotImplementedError,
                                 "Padding size 2 is not supported for 4D input tensor"),
    "circular_wraps_twice": ((2, 3, 4), (5, 1), "circular", RuntimeError, "wrapping around more than once"),
    "replicate_empty_dim": ((2, 0, 4), (1, 1), "replicate", RuntimeError,
                            r"Expected 2D or 3D \(batch mode\) tensor .* but got: \[2, 0, 4\]"),
    "replicate_output_too_small_1d": ((2, 3, 4), (-3, -2), "replicate", RuntimeError,
                                      r"input \(W: 4\) is too small. Calculated output W: -1"),
    "replicate_output_too_small_2d": ((1, 3, 4, 5), (0, 0, -3, -3), "replicate", RuntimeError,
                                      r"Calculated output H: -2 W: 5 must be >= 1 in every dimension "
                                      r"\(input H: 4, W: 5\)"),
    "unknown_mode": ((2, 3, 4), (1, 1), "foo", NotImplementedError, "Unrecognised padding mode foo"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_pad_errors(name):
    shape, p, mode, exc, match = BAD[name]
    assert_raises_like_torch(lambda fw, x: F(fw).pad(x, p, mode=mode), np.zeros(shape), match=match, exc=exc)


def test_pad_value_with_non_constant_mode():
    assert_raises_like_torch(lambda fw, x: F(fw).pad(x, (1, 1), mode="reflect", value=2.0), np.zeros((2, 3)),
                             match="Padding mode \"reflect\" doesn't take in value argument", exc=RuntimeError)


def test_pad_float_amounts():
    assert_raises_like_torch(lambda fw, x: F(fw).pad(x, (1.5, 1)), np.zeros((2, 3)),
                             match="must be tuple of ints, but found element of type float at pos 0", exc=TypeError)


# modules ---------------------------------------------------------------------------------------------------------
MODULES = {
    "ZeroPad1d": (lambda fw: fw.nn.ZeroPad1d((1, 2)), (2, 3, 4)),
    "ZeroPad2d": (lambda fw: fw.nn.ZeroPad2d(2), (2, 3, 4, 4)),
    "ZeroPad3d": (lambda fw: fw.nn.ZeroPad3d((1, 0, 0, 1, 2, -1)), (1, 2, 3, 3, 3)),
    "ConstantPad1d": (lambda fw: fw.nn.ConstantPad1d(2, 3.5), (2, 3, 4)),
    "ConstantPad2d": (lambda fw: fw.nn.ConstantPad2d((1, -1, 2, 0), -1.0), (3, 4, 4)),
    "ConstantPad3d": (lambda fw: fw.nn.ConstantPad3d(1, 0.5), (1, 2, 3, 3, 3)),
    "ReflectionPad1d": (lambda fw: fw.nn.ReflectionPad1d((3, 1)), (2, 3, 4)),
    "ReflectionPad2d": (lambda fw: fw.nn.ReflectionPad2d(2), (2, 3, 4, 5)),
    "ReflectionPad3d": (lambda fw: fw.nn.ReflectionPad3d((1, 2, 0, 1, 1, 1)), (1, 2, 3, 3, 3)),
    "ReplicationPad1d": (lambda fw: fw.nn.ReplicationPad1d(3), (3, 4)),
    "ReplicationPad2d": (lambda fw: fw.nn.ReplicationPad2d((1, 2, 3, 0)), (2, 3, 4, 5)),
    "ReplicationPad3d": (lambda fw: fw.nn.ReplicationPad3d(2), (1, 2, 3, 3, 3)),
    "CircularPad1d": (lambda fw: fw.nn.CircularPad1d((2, 3)), (2, 3, 4)),
    "CircularPad2d": (lambda fw: fw.nn.CircularPad2d(1), (2, 3, 4, 5)),
    "CircularPad3d": (lambda fw: fw.nn.CircularPad3d((1, 0, 2, 1, 0, 2)), (2, 3, 3, 3)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    result = check_module(make, shape, layouts=("contiguous", "noncontiguous"))
    assert len(result.cases) == 8


@pytest.mark.parametrize("name", list(MODULES))
def test_module_repr(name):
    make, _ = MODULES[name]
    assert repr(make(minitorch)) == repr(make(torch))


def test_module_repr_list_padding():
    assert repr(minitorch.nn.ReflectionPad2d([1, 2, 3, 4])) == repr(torch.nn.ReflectionPad2d([1, 2, 3, 4]))
    assert repr(minitorch.nn.ConstantPad1d(1, 2)) == repr(torch.nn.ConstantPad1d(1, 2))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_circular_pad_module_checks_dims(dims):
    make = lambda fw: getattr(fw.nn, f"CircularPad{dims}d")(1)  # noqa: E731
    shape = (2,) * (dims + 3)
    assert_raises_like_torch(lambda fw, x: make(fw)(x), np.zeros(shape), exc=ValueError,
                             match=rf"expected {dims + 1}D or {dims + 2}D input \(got {dims + 3}D input\)")


# random differential test ----------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]), k=st.integers(1, 3),
       batched=st.booleans(), data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_pad_random(mode, k, batched, data, dtype):
    sizes = data.draw(st.lists(st.integers(1, 5), min_size=k, max_size=k))
    shape = ((2,) if batched else ()) + (3,) + tuple(sizes)
    amounts = []
    for n in reversed(sizes):
        lo_max = {"reflect": n - 1, "circular": n}.get(mode, 4)
        amounts += [data.draw(st.integers(0, lo_max)), data.draw(st.integers(0, lo_max))]
    check(lambda fw, x: F(fw).pad(x, tuple(amounts), mode=mode), Spec(shape), dtypes=(dtype,),
          layouts=("contiguous", "permuted"))

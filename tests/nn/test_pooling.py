"""Pooling vs torch: max_pool1d/2d/3d (+ indices), avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d,
adaptive_max_pool1d/2d/3d, max_unpool1d/2d/3d, lp_pool1d/2d/3d and their modules (forward, indices and
gradients over tables of kernel/stride/padding/dilation/ceil_mode/... in float32 and float64 and every input
layout; gradcheck / gradgradcheck; reprs; torch's errors; a hypothesis differential test)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import LAYOUTS, Spec, assert_raises_like_torch, check, gradcheck_inputs
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


def _unpool(nd, shape, k, s=None, p=0, output_size=None):
    """max_pool then max_unpool with the same geometry (indices from a real pooling, as in practice)."""
    def fn(fw, x):
        f = F(fw)
        v, i = getattr(f, f"max_pool{nd}d")(x, k, s, p, return_indices=True)
        return getattr(f, f"max_unpool{nd}d")(v, i, k, s, p, output_size=output_size)
    return fn, (shape,)


# functional parity: outputs (indices included), gradients, float32/float64, every layout ------------------------
FUNCTIONAL = {
    "max_pool1d": (lambda fw, x: F(fw).max_pool1d(x, 3), ((2, 3, 10),)),
    "max_pool1d_stride_pad_ceil_indices": (
        lambda fw, x: F(fw).max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True), ((2, 3, 10),)),
    "max_pool1d_dilation_unbatched": (lambda fw, x: F(fw).max_pool1d(x, 2, 1, 1, dilation=3), ((3, 9),)),
    "max_pool2d_2x2": (lambda fw, x: F(fw).max_pool2d(x, 2), ((2, 3, 6, 8),)),
    "max_pool2d_odd_input_floor": (lambda fw, x: F(fw).max_pool2d(x, 2), ((2, 2, 7, 5),)),
    "max_pool2d_k3_s2_p1_indices": (lambda fw, x: F(fw).max_pool2d(x, 3, 2, 1, return_indices=True), ((2, 3, 9, 8),)),
    "max_pool2d_rect_kernel_stride": (lambda fw, x: F(fw).max_pool2d(x, (2, 3), (1, 2), (1, 0)), ((2, 2, 6, 7),)),
    "max_pool2d_dilation_ceil_indices": (
        lambda fw, x: F(fw).max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True, return_indices=True), ((2, 2, 9, 8),)),
    "max_pool2d_ceil_last_window_dropped": (lambda fw, x: F(fw).max_pool2d(x, 2, 2, 1, ceil_mode=True),
                                            ((2, 2, 5, 5),)),
    "max_pool2d_unbatched": (lambda fw, x: F(fw).max_pool2d(x, 2, 1), ((3, 5, 4),)),
    "max_pool2d_with_indices": (lambda fw, x: F(fw).max_pool2d_with_indices(x, 2, 2), ((2, 2, 4, 6),)),
    "max_pool3d": (lambda fw, x: F(fw).max_pool3d(x, 2), ((2, 2, 4, 4, 6),)),
    "max_pool3d_mixed_indices": (
        lambda fw, x: F(fw).max_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), return_indices=True), ((2, 2, 5, 6, 7),)),
    "max_pool3d_dilation_ceil_unbatched": (lambda fw, x: F(fw).max_pool3d(x, 2, 2, 1, dilation=2, ceil_mode=True),
                                           ((2, 5, 6, 5),)),
    "avg_pool1d": (lambda fw, x: F(fw).avg_pool1d(x, 3), ((2, 3, 10),)),
    "avg_pool1d_pad_ceil_exclude_pad": (
        lambda fw, x: F(fw).avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False), ((3, 11),)),
    "avg_pool2d_2x2": (lambda fw, x: F(fw).avg_pool2d(x, 2), ((2, 3, 6, 8),)),
    "avg_pool2d_k3_s2_p1_ceil": (lambda fw, x: F(fw).avg_pool2d(x, 3, 2, 1, ceil_mode=True), ((2, 3, 9, 8),)),
    "avg_pool2d_exclude_pad_ceil": (
        lambda fw, x: F(fw).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), ((2, 3, 9, 8),)),
    "avg_pool2d_divisor_override": (lambda fw, x: F(fw).avg_pool2d(x, (2, 3), 1, (1, 1), divisor_override=5),
                                    ((2, 2, 5, 6),)),
    "avg_pool2d_unbatched": (lambda fw, x: F(fw).avg_pool2d(x, 2, 1), ((3, 5, 4),)),
    "avg_pool3d": (lambda fw, x: F(fw).avg_pool3d(x, 2), ((2, 2, 4, 4, 6),)),
    "avg_pool3d_pad_ceil_exclude_pad": (
        lambda fw, x: F(fw).avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), ((2, 2, 6, 5, 7),)),
    "avg_pool3d_divisor_override_unbatched": (lambda fw, x: F(fw).avg_pool3d(x, 2, 1, 1, divisor_override=3),
                                              ((2, 3, 4, 3),)),
    "adaptive_avg_pool1d": (lambda fw, x: F(fw).adaptive_avg_pool1d(x, 4), ((2, 3, 7),)),
    "adaptive_avg_pool1d_divisible_unbatched": (lambda fw, x: F(fw).adaptive_avg_pool1d(x, 3), ((3, 9),)),
    "adaptive_avg_pool2d_global": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, 1), ((2, 3, 5, 6),)),
    "adaptive_avg_pool2d_overlapping": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, (3, 4)), ((2, 3, 9, 7),)),
    "adaptive_avg_pool2d_None_upsample": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, (None, 8)), ((2, 2, 5, 6),)),
    "adaptive_avg_pool2d_unbatched": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, (2, 3)), ((3, 4, 6),)),
    "adaptive_avg_pool3d": (lambda fw, x: F(fw).adaptive_avg_pool3d(x, (2, 5, 3)), ((2, 2, 6, 7, 9),)),
    "adaptive_max_pool1d_indices": (lambda fw, x: F(fw).adaptive_max_pool1d(x, 5, return_indices=True), ((2, 3, 9),)),
    "adaptive_max_pool1d_unbatched": (lambda fw, x: F(fw).adaptive_max_pool1d(x, 4), ((3, 8),)),
    "adaptive_max_pool2d_indices": (lambda fw, x: F(fw).adaptive_max_pool2d(x, (5, 3), return_indices=True),
                                    ((2, 3, 9, 8),)),
    "adaptive_max_pool2d_global": (lambda fw, x: F(fw).adaptive_max_pool2d(x, 1), ((2, 3, 5, 4),)),
    "adaptive_max_pool2d_upsample_unbatched": (lambda fw, x: F(fw).adaptive_max_pool2d(x, (6, None)), ((2, 4, 3),)),
    "adaptive_max_pool2d_with_indices": (lambda fw, x: F(fw).adaptive_max_pool2d_with_indices(x, 3), ((2, 2, 6, 7),)),
    "adaptive_max_pool3d_indices": (lambda fw, x: F(fw).adaptive_max_pool3d(x, (2, 3, 4), return_indices=True),
                                    ((2, 2, 5, 7, 9),)),
    "max_unpool1d": _unpool(1, (2, 3, 8), 2),
    "max_unpool1d_stride_pad_output_size": _unpool(1, (2, 3, 9), 3, 2, 1, output_size=(10,)),
    "max_unpool2d": _unpool(2, (2, 3, 6, 8), 2),
    "max_unpool2d_output_size_4d": _unpool(2, (2, 3, 7, 9), 2, output_size=(2, 3, 7, 9)),
    "max_unpool2d_k3_s2_p1_unbatched": _unpool(2, (3, 7, 8), 3, 2, 1, output_size=(7, 8)),
    "max_unpool3d": _unpool(3, (2, 2, 4, 4, 6), 2),
    "lp_pool1d": (lambda fw, x: F(fw).lp_pool1d(x, 2, 3), ((2, 3, 10),)),
    "lp_pool1d_p3_stride_ceil": (lambda fw, x: F(fw).lp_pool1d(x, 3, 3, 2, ceil_mode=True),
                                 (Spec((2, 3, 10), low=0.5, high=2.0),)),
    "lp_pool2d": (lambda fw, x: F(fw).lp_pool2d(x, 2, 2), ((2, 3, 6, 8),)),
    "lp_pool2d_p1.5_rect_ceil": (lambda fw, x: F(fw).lp_pool2d(x, 1.5, (2, 3), 2, ceil_mode=True),
                                 (Spec((2, 3, 7, 8), low=0.5, high=2.0),)),
    "lp_pool2d_inf": (lambda fw, x: F(fw).lp_pool2d(x, float("inf"), 2), ((2, 2, 4, 6),)),
    "lp_pool3d": (lambda fw, x: F(fw).lp_pool3d(x, 2, 2), ((2, 2, 4, 4, 6),)),
}


# every layout for each function's main case; its other options on contiguous and non-contiguous inputs
ALL_LAYOUTS = {"max_pool1d", "max_pool2d_k3_s2_p1_indices", "max_pool3d", "avg_pool1d", "avg_pool2d_exclude_pad_ceil",
               "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d_overlapping", "adaptive_avg_pool3d",
               "adaptive_max_pool1d_indices", "adaptive_max_pool2d_indices", "adaptive_max_pool3d_indices",
               "max_unpool2d", "lp_pool2d"}


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_parity(name):
    fn, specs = FUNCTIONAL[name]
    layouts = LAYOUTS if name in ALL_LAYOUTS else LAYOUTS[:2]
    result = check(fn, *specs, layouts=layouts)
    assert len(result.cases) == 2 * len(layouts)


# gradcheck / gradgradcheck (float64, random inputs: no ties for max) ------------------------------------------
GRADCHECK = {
    "max_pool1d_overlapping": (lambda x: MF.max_pool1d(x, 3, 1, 1), (2, 2, 7)),
    "max_pool2d_dilation_ceil": (lambda x: MF.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (1, 2, 6, 5)),
    "max_pool2d_disjoint": (lambda x: MF.max_pool2d(x, 2), (1, 2, 4, 4)),
    "max_pool3d": (lambda x: MF.max_pool3d(x, 2, 1), (1, 1, 3, 3, 4)),
    "avg_pool1d_exclude_pad": (lambda x: MF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                               (2, 2, 8)),
    "avg_pool2d_overlapping": (lambda x: MF.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 6, 5)),
    "avg_pool3d_divisor_override": (lambda x: MF.avg_pool3d(x, 2, 1, 1, divisor_override=3), (1, 1, 3, 3, 2)),
    "adaptive_avg_pool1d_overlapping": (lambda x: MF.adaptive_avg_pool1d(x, 3), (2, 2, 7)),
    "adaptive_avg_pool2d_mixed": (lambda x: MF.adaptive_avg_pool2d(x, (2, 3)), (1, 2, 4, 5)),
    "adaptive_avg_pool3d": (lambda x: MF.adaptive_avg_pool3d(x, 2), (1, 1, 3, 4, 2)),
    "adaptive_max_pool1d_overlapping": (lambda x: MF.adaptive_max_pool1d(x, 4), (2, 2, 7)),
    "adaptive_max_pool2d": (lambda x: MF.adaptive_max_pool2d(x, (3, 2)), (1, 2, 5, 4)),
    "adaptive_max_pool3d": (lambda x: MF.adaptive_max_pool3d(x, 2), (1, 1, 3, 3, 4)),
    "max_unpool2d": (lambda x: MF.max_unpool2d(*MF.max_pool2d(x, 2, return_indices=True), 2), (1, 2, 4, 6)),
    "lp_pool2d": (lambda x: MF.lp_pool2d(x * x + 0.5, 3, 2), (1, 2, 4, 5)),
    "lp_pool1d": (lambda x: MF.lp_pool1d(x * x + 0.5, 2, 3, 2), (1, 2, 7)),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck_and_gradgradcheck(name):
    fn, shape = GRADCHECK[name]
    inputs = gradcheck_inputs(shape)
    assert minitorch.autograd.gradcheck(fn, inputs)
    assert minitorch.autograd.gradgradcheck(fn, inputs)


def test_max_pool_double_backward_matches_torch():
    """d/dx of a function of the max-pool gradient (scatter whose backward is a gather) equals torch's."""
    def run(fw, x):
        y = F(fw).max_pool2d(x, 3, 2, 1)
        g, = fw.autograd.grad((y ** 3).sum(), x, create_graph=True)
        return (g * g).sum()
    check(run, (2, 2, 6, 5), layouts=("contiguous",))


def test_max_pool_ties_take_first_index_and_nan_propagates():
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.5, 2.0, 2.0]]]])
    for fn in (lambda f, t: f.max_pool2d(t, 2, return_indices=True),
               lambda f, t: f.adaptive_max_pool2d(t, (1, 2), return_indices=True)):
        mv, mi = fn(MF, minitorch.tensor(x))
        tv, ti = fn(torch.nn.functional, torch.tensor(x))
        np.testing.assert_array_equal(mi.numpy(), ti.numpy())
        np.testing.assert_array_equal(mv.numpy(), tv.numpy())
    x[0, 0, 1, 1] = np.nan
    mv = MF.max_pool2d(minitorch.tensor(x), 2)
    np.testing.assert_array_equal(mv.numpy(), torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=3, stride=1, padding=1, dilation=2),
                                    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)],
                         ids=["max_pool2d_pad", "max_pool2d_pad_dilation", "max_pool2d_pad_ceil"])
def test_max_pool_minus_inf_windows_index_first_input_element(kwargs):
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 7))
    x[0, 0, :2, :3] = -np.inf
    x[0, 1, 0, 0] = -np.inf
    mv, mi = MF.max_pool2d(minitorch.tensor(x), return_indices=True, **kwargs)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(mi.numpy(), ti.numpy())
    np.testing.assert_array_equal(mv.numpy(), tv.numpy())


def test_max_pool_integer_input():
    x = np.arange(40, dtype=np.int64).reshape(1, 2, 4, 5) % 7
    mv, mi = MF.max_pool2d(minitorch.tensor(x), 2, 1, 1, return_indices=True)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
    assert mv.dtype == minitorch.int64
    np.testing.assert_array_equal(mv.numpy(), tv.numpy())
    np.testing.assert_array_equal(mi.numpy(), ti.numpy())


# modules -------------------------------------------------------------------------------------------------------
MODULES = {
    "MaxPool1d": (lambda fw: fw.nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 10)),
    "MaxPool2d": (lambda fw: fw.nn.MaxPool2d(2), (2, 3, 6, 8)),
    "MaxPool2d_k3_s2_p1_dilation": (lambda fw: fw.nn.MaxPool2d(3, 2, 1, dilation=2), (2, 2, 9, 8)),
    "MaxPool3d": (lambda fw: fw.nn.MaxPool3d((2, 3, 2), 2, 1), (2, 2, 4, 5, 4)),
    "AvgPool1d": (lambda fw: fw.nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 10)),
    "AvgPool2d": (lambda fw: fw.nn.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 3, 9, 8)),
    "AvgPool2d_divisor_override": (lambda fw: fw.nn.AvgPool2d(2, divisor_override=3), (2, 3, 4, 6)),
    "AvgPool3d": (lambda fw: fw.nn.AvgPool3d(2, 1, 1, count_include_pad=False), (2, 2, 3, 4, 3)),
    "AdaptiveAvgPool1d": (lambda fw: fw.nn.AdaptiveAvgPool1d(4), (2, 3, 7)),
    "AdaptiveAvgPool2d": (lambda fw: fw.nn.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    "AdaptiveAvgPool3d": (lambda fw: fw.nn.AdaptiveAvgPool3d(2), (2, 2, 3, 4, 5)),
    "AdaptiveMaxPool1d": (lambda fw: fw.nn.AdaptiveMaxPool1d(3, return_indices=True), (2, 3, 7)),
    "AdaptiveMaxPool2d": (lambda fw: fw.nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 5)),
    "AdaptiveMaxPool3d": (lambda fw: fw.nn.AdaptiveMaxPool3d(2), (2, 2, 3, 4, 5)),
    "LPPool1d": (lambda fw: fw.nn.LPPool1d(2, 3, 2), (2, 3, 10)),
    "LPPool2d": (lambda fw: fw.nn.LPPool2d(2, 2), (2, 3, 6, 8)),
    "LPPool3d": (lambda fw: fw.nn.LPPool3d(2, 2), (2, 2, 4, 4, 6)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    layouts = LAYOUTS if name in ("MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d") \
        else ("contiguous",)
    check_module(make, shape, layouts=layouts, modes=("train",))


@pytest.mark.parametrize("nd", [1, 2, 3], ids=["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"])
def test_MaxUnpool_module_parity(nd):
    shape = (2, 2) + (4, 6, 4)[:nd]

    def run(fw, x):
        v, i = getattr(fw.nn, f"MaxPool{nd}d")(2, return_indices=True)(x)
        return getattr(fw.nn, f"MaxUnpool{nd}d")(2)(v, i, output_size=x.shape)
    check(run, shape)


REPRS = {
    "MaxPool1d": lambda fw: fw.nn.MaxPool1d(3, 1, 1, ceil_mode=True),
    "MaxPool2d": lambda fw: fw.nn.MaxPool2d(2),
    "MaxPool3d": lambda fw: fw.nn.MaxPool3d((2, 1, 2), dilation=2, return_indices=True),
    "AvgPool1d": lambda fw: fw.nn.AvgPool1d(3),
    "AvgPool2d": lambda fw: fw.nn.AvgPool2d(3, 2, 1),
    "AvgPool3d": lambda fw: fw.nn.AvgPool3d(2, divisor_override=2),
    "AdaptiveAvgPool1d": lambda fw: fw.nn.AdaptiveAvgPool1d(3),
    "AdaptiveAvgPool2d": lambda fw: fw.nn.AdaptiveAvgPool2d((2, None)),
    "AdaptiveAvgPool3d": lambda fw: fw.nn.AdaptiveAvgPool3d(3),
    "AdaptiveMaxPool1d": lambda fw: fw.nn.AdaptiveMaxPool1d(3),
    "AdaptiveMaxPool2d": lambda fw: fw.nn.AdaptiveMaxPool2d(2, return_indices=True),
    "AdaptiveMaxPool3d": lambda fw: fw.nn.AdaptiveMaxPool3d((1, 2, 3)),
    "MaxUnpool1d": lambda fw: fw.nn.MaxUnpool1d(2),
    "MaxUnpool2d": lambda fw: fw.nn.MaxUnpool2d(2),
    "MaxUnpool3d": lambda fw: fw.nn.MaxUnpool3d(2, 1),
    "LPPool1d": lambda fw: fw.nn.LPPool1d(2.5, 3, 2),
    "LPPool2d": lambda fw: fw.nn.LPPool2d(2, 3),
    "LPPool3d": lambda fw: fw.nn.LPPool3d(1, (2, 2, 1), ceil_mode=True),
}


@pytest.mark.parametrize("name", list(REPRS))
def test_repr(name):
    assert repr(REPRS[name](minitorch)) == repr(REPRS[name](torch))


# torch's errors ------------------------------------------------------------------------------------------------
def _idx(shape, value=0, dtype=np.int64):
    return np.full(shape, value, dtype=dtype)


ERRORS = {
    "max_pool2d_pad_over_half": (lambda fw, x: F(fw).max_pool2d(x, 2, padding=2), (np.zeros((1, 2, 5, 5)),),
                                 r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=2"),
    "max_pool2d_pad_over_half_dilated": (lambda fw, x: F(fw).max_pool2d(x, 3, 1, 2, dilation=2),
                                         (np.zeros((1, 2, 9, 9)),), "pad should be smaller than or equal to half of "
                                                                    "kernel size"),
    "avg_pool3d_pad_over_half": (lambda fw, x: F(fw).avg_pool3d(x, 3, padding=2), (np.zeros((1, 5, 5, 5)),),
                                 r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=3"),
    "max_pool2d_stride_zero": (lambda fw, x: F(fw).max_pool2d(x, 2, 0), (np.zeros((1, 2, 5, 5)),),
                               "stride should not be zero"),
    "max_pool2d_dilation_zero": (lambda fw, x: F(fw).max_pool2d(x, 2, dilation=0), (np.zeros((1, 2, 5, 5)),),
                                 "dilation should be greater than zero"),
    "max_pool2d_negative_pad": (lambda fw, x: F(fw).max_pool2d(x, 2, padding=-1), (np.zeros((1, 5, 5)),),
                                "pad must be non-negative, but got pad: -1"),
    "max_pool2d_output_too_small": (lambda fw, x: F(fw).max_pool2d(x, 6), (np.zeros((1, 2, 5, 5)),),
                                    r"Given input size: \(2x5x5\). Calculated output size: \(2x0x0\). Output size is "
                                    "too small"),
    "avg_pool2d_output_too_small": (lambda fw, x: F(fw).avg_pool2d(x, 6), (np.zeros((1, 2, 5, 5)),),
                                    r"Given input size: \(2x5x5\). Calculated output size: \(2x0x0\)"),
    "max_pool2d_5d_input": (lambda fw, x: F(fw).max_pool2d(x, 2), (np.zeros((1, 1, 1, 5, 5)),), r"4D"),
    "max_pool1d_1d_input": (lambda fw, x: F(fw).max_pool1d(x, 2), (np.zeros(5),), r"\[5\]"),
    "max_pool3d_3d_input": (lambda fw, x: F(fw).max_pool3d(x, 2), (np.zeros((1, 5, 5)),), r"4D or 5D"),
    "max_pool2d_kernel_3_ints": (lambda fw, x: F(fw).max_pool2d(x, (2, 2, 2)), (np.zeros((1, 2, 5, 5)),),
                                 "kernel_size must either be a single int, or a tuple of two ints"),
    "avg_pool2d_divisor_zero": (lambda fw, x: F(fw).avg_pool2d(x, 2, divisor_override=0), (np.zeros((1, 2, 5, 5)),),
                                "divisor must be not zero"),
    "adaptive_avg_pool2d_3_sizes": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, (2, 2, 2)), (np.zeros((1, 2, 5, 5)),),
                                    "output_size must be 2"),
    "adaptive_avg_pool2d_2d_input": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, 2), (np.zeros((5, 5)),), r"3D"),
    "adaptive_avg_pool2d_negative_size": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, -1), (np.zeros((1, 4, 4)),),
                                          "output_size must be greater than or equal to 0"),
    "adaptive_avg_pool2d_empty_dim": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, 2), (np.zeros((1, 0, 4)),),
                                      r"non-zero size for non-batch dimensions, but input has sizes \[1, 0, 4\]"),
    "adaptive_avg_pool2d_long": (lambda fw, x: F(fw).adaptive_avg_pool2d(x, 2), (np.zeros((1, 4, 4), np.int64),),
                                 "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    "adaptive_max_pool1d_4d_input": (lambda fw, x: F(fw).adaptive_max_pool1d(x, 2), (np.zeros((1, 4, 4, 4)),),
                                     r"4"),
    "max_unpool2d_output_size_out_of_range": (
        lambda fw, x, i: F(fw).max_unpool2d(x, i, 2, output_size=(3, 3)), (np.zeros((1, 2, 5, 5)), _idx((1, 2, 5, 5))),
        r'invalid output_size "\[3, 3\]" \(dim 0 must be between 8 and 12\)'),
    "max_unpool2d_output_size_length": (
        lambda fw, x, i: F(fw).max_unpool2d(x, i, 2, output_size=(2, 2, 5)), (np.zeros((1, 2, 2)), _idx((1, 2, 2))),
        "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"),
    "max_unpool2d_index_out_of_range": (
        lambda fw, x, i: F(fw).max_unpool2d(x, i, 2), (np.zeros((1, 2, 5, 5)), _idx((1, 2, 5, 5), 100)),
        r"Found an invalid max index: 100 \(output volumes are of size 10x10\)"),
    "max_unpool2d_float_indices": (
        lambda fw, x, i: F(fw).max_unpool2d(x, i, 2), (np.zeros((1, 2, 5, 5)), _idx((1, 2, 5, 5), 0, np.float32)),
        "elements of indices should be type int64 but got: Float"),
    "max_unpool2d_indices_shape": (
        lambda fw, x, i: F(fw).max_unpool2d(x, i, 2), (np.zeros((1, 2, 5, 5)), _idx((1, 2, 4, 5))),
        r"Expected shape of indices to be same as that of the input tensor \(\[1, 2, 5, 5\]\) but got indices tensor "
        r"with shape: \[1, 2, 4, 5\]"),
    "max_unpool2d_2d_input": (lambda fw, x, i: F(fw).max_unpool2d(x, i, 2), (np.zeros((2, 2)), _idx((2, 2))),
                              "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 2 dimensions"),
    "lp_pool2d_norm_zero": (lambda fw, x: F(fw).lp_pool2d(x, 0, 2), (np.zeros((1, 4, 4)),),
                            "norm_type must be a non-zero value, but got 0"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_like_torch(name):
    fn, arrays, match = ERRORS[name]
    assert_raises_like_torch(fn, *arrays, match=match)


# hypothesis: random geometry and dtype vs torch ----------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_random_pooling_matches_torch(data):
    nd = data.draw(st.integers(1, 3))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    ceil_mode = data.draw(st.booleans())
    spatial = tuple(data.draw(st.integers((k - 1) * d + 1, 7)) for k, d in zip(kernel, dilation))
    lead = (2, 3) if data.draw(st.booleans()) else (3,)
    kind = data.draw(st.sampled_from(["max", "avg", "adaptive_avg", "adaptive_max"]))
    out = tuple(data.draw(st.integers(1, 6)) for _ in range(nd))

    def fn(fw, x):
        f = F(fw)
        if kind == "max":
            return getattr(f, f"max_pool{nd}d")(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
        if kind == "avg":
            return getattr(f, f"avg_pool{nd}d")(x, kernel, stride, padding, ceil_mode, count_include_pad=ceil_mode)
        return getattr(f, f"{kind}_pool{nd}d")(x, out)
    check(fn, lead + spatial, dtypes=(data.draw(st.sampled_from(["float32", "float64"])),), layouts=("contiguous",))

"""InstanceNorm1d/2d/3d and F.instance_norm vs torch: module parity (train and eval, affine, tracked running
statistics with momentum / cumulative average, unbatched inputs), functional parity, gradcheck /
gradgradcheck, reprs, state_dict keys, torch's input checks, errors and warnings."""
import warnings

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


MODULES = {
    "InstanceNorm1d": (lambda fw: fw.nn.InstanceNorm1d(3), (4, 3, 5)),
    "InstanceNorm1d_unbatched_affine": (lambda fw: fw.nn.InstanceNorm1d(3, affine=True), (3, 5)),
    "InstanceNorm1d_tracked": (lambda fw: fw.nn.InstanceNorm1d(3, track_running_stats=True, momentum=0.3), (2, 3, 4)),
    "InstanceNorm2d": (lambda fw: fw.nn.InstanceNorm2d(3), (2, 3, 4, 5)),
    "InstanceNorm2d_affine_tracked": (
        lambda fw: fw.nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 3)),
    "InstanceNorm2d_momentum_None_eps": (
        lambda fw: fw.nn.InstanceNorm2d(2, eps=1e-3, momentum=None, track_running_stats=True), (3, 2, 2, 3)),
    "InstanceNorm2d_unbatched_tracked": (lambda fw: fw.nn.InstanceNorm2d(2, track_running_stats=True), (2, 3, 4)),
    "InstanceNorm2d_affine_bias_False": (lambda fw: fw.nn.InstanceNorm2d(3, affine=True, bias=False), (2, 3, 3, 3)),
    "InstanceNorm3d": (lambda fw: fw.nn.InstanceNorm3d(2, affine=True), (2, 2, 2, 3, 2)),
    "InstanceNorm3d_tracked_unbatched": (lambda fw: fw.nn.InstanceNorm3d(2, track_running_stats=True), (2, 2, 3, 2)),
}

ALL_LAYOUTS = {"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm2d_affine_tracked", "InstanceNorm3d"}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    layouts = LAYOUTS if name in ALL_LAYOUTS else ("contiguous",)
    result = check_module(make, shape, calls=2, layouts=layouts)
    assert len(result.cases) == 4 * len(layouts)


@pytest.mark.parametrize("name", list(MODULES))
def test_module_repr_and_state_dict(name):
    make, _ = MODULES[name]
    assert repr(make(minitorch)) == repr(make(torch))
    assert list(make(minitorch).state_dict()) == list(make(torch).state_dict())


def _stats(c, fw):
    return fw.zeros(c, dtype=fw.float64) + 0.5, fw.ones(c, dtype=fw.float64) * 2


FUNCTIONAL = {
    "instance_norm": (lambda fw, x: F(fw).instance_norm(x), (2, 3, 5)),
    "instance_norm_affine": (lambda fw, x, w, b: F(fw).instance_norm(x, weight=w, bias=b, eps=1e-3),
                             (2, 3, 4, 2), (3,), (3,)),
    "instance_norm_running_stats_eval": (
        lambda fw, x, rm, rv: F(fw).instance_norm(x, rm, rv, use_input_stats=False),
        (2, 3, 4), Spec((3,), grad=False), Spec((3,), low=0.5, high=2.0, grad=False)),
    "instance_norm_3d": (lambda fw, x: F(fw).instance_norm(x, momentum=0.2), (2, 2, 2, 2, 3)),
}


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_parity(name):
    fn, *specs = FUNCTIONAL[name]
    assert check(fn, *specs).cases


def test_functional_updates_running_stats():
    x = np.random.default_rng(0).standard_normal((4, 3, 5))
    out = []
    for fw in (minitorch, torch):
        rm, rv = fw.zeros(3, dtype=fw.float64), fw.ones(3, dtype=fw.float64)
        F(fw).instance_norm(fw.tensor(x), rm, rv, momentum=0.25)
        out.append((rm.tolist(), rv.tolist()))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_gradcheck():
    x, w, b = gradcheck_inputs((2, 3, 4), (3,), (3,))
    fn = lambda x, w, b: MF.instance_norm(x, weight=w, bias=b)  # noqa: E731
    assert minitorch.autograd.gradcheck(fn, (x, w, b))
    assert minitorch.autograd.gradgradcheck(fn, (x, w, b))


def test_input_dim_checks():
    for dims, shape in ((1, (2, 3, 4, 5)), (2, (3, 4)), (3, (2, 3, 4, 5, 6, 7))):
        low, high = dims + 1, dims + 2
        assert_raises_like_torch(lambda fw, x: getattr(fw.nn, f"InstanceNorm{dims}d")(3)(x), np.zeros(shape),
                                 exc=ValueError, match=rf"expected {low}D or {high}D input \(got {len(shape)}D input\)")


def test_affine_channel_mismatch():
    assert_raises_like_torch(lambda fw, x: fw.nn.InstanceNorm1d(4, affine=True)(x), np.zeros((2, 3, 5)),
                             exc=ValueError, match=r"expected input's size at dim=1 to match num_features \(4\), but "
                                                   "got: 3.")


def test_channel_mismatch_warns():
    with pytest.warns(UserWarning, match="input's size at dim=0 does not match num_features"):
        minitorch.nn.InstanceNorm2d(4)(minitorch.randn(3, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minitorch.nn.InstanceNorm2d(3)(minitorch.randn(2, 3, 2, 2))


FUNCTIONAL_BAD = {
    "single_spatial_element": (lambda fw, x: F(fw).instance_norm(x), (2, 3, 1), ValueError,
                               r"Expected more than 1 spatial element when training, got input size .*\[2, 3, 1\]"),
    "eval_without_stats": (lambda fw, x: F(fw).instance_norm(x, use_input_stats=False), (2, 3, 4), RuntimeError,
                           "Expected running_mean and running_var to be defined when use_input_stats is false"),
    "weight_size": (lambda fw, x: F(fw).instance_norm(x, weight=fw.ones(4, dtype=fw.float64)), (2, 3, 4),
                    RuntimeError, "weight should contain 6 elements not 8"),
}


@pytest.mark.parametrize("name", list(FUNCTIONAL_BAD))
def test_functional_errors(name):
    fn, shape, exc, match = FUNCTIONAL_BAD[name]
    assert_raises_like_torch(fn, np.zeros(shape), exc=exc, match=match)


def test_old_checkpoint_with_running_stats():
    m = minitorch.nn.InstanceNorm1d(3)
    state = {"running_mean": minitorch.zeros(3), "running_var": minitorch.ones(3)}
    with pytest.raises(RuntimeError, match="Unexpected running stats buffer"):
        m.load_state_dict(state)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(dims=st.integers(1, 3), n=st.integers(1, 3), c=st.integers(1, 3), data=st.data(), affine=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_instance_norm_random(dims, n, c, data, affine, dtype):
    spatial = tuple(data.draw(st.lists(st.integers(1, 4), min_size=dims, max_size=dims)))
    if np.prod(spatial) == 1:
        spatial = (2,) + spatial[1:]
    if affine:
        check(lambda fw, x, w, b: F(fw).instance_norm(x, weight=w, bias=b), (n, c) + spatial, (c,), (c,),
              dtypes=(dtype,), layouts=("contiguous", "permuted"))
    else:
        check(lambda fw, x: F(fw).instance_norm(x), (n, c) + spatial, dtypes=(dtype,),
              layouts=("contiguous", "permuted"))

"""F.grid_sample / F.affine_grid: parity with torch over modes, padding modes, align_corners and 2-D/3-D grids
(values and gradients w.r.t. input, grid and theta, float32/float64, every layout), gradcheck/gradgradcheck,
warnings and torch's errors."""
import itertools
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import Spec, assert_raises_like_torch, check

warnings.filterwarnings("ignore", message="Default grid_sample")


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


def _grid(shape):
    """Random normalised sample points, some outside [-1, 1] (exercises the padding modes)."""
    return Spec(shape, low=-1.3, high=1.3)


# id -> (input shape, grid shape, mode, padding_mode, align_corners)
CASES = {f"{mode}_{pad}_{'ac' if ac else 'noac'}_{'3d' if nd == 5 else '2d'}":
         (((2, 3, 4, 5), (2, 3, 4, 2)) if nd == 4 else ((2, 2, 3, 4, 3), (2, 2, 3, 2, 3))) + (mode, pad, ac)
         for nd, mode, pad, ac in itertools.product((4, 5), ("bilinear", "nearest", "bicubic"),
                                                    ("zeros", "border", "reflection"), (False, True))
         if not (nd == 5 and mode == "bicubic")}
CASES["bilinear_zeros_noac_1x1_input"] = ((1, 2, 1, 1), (1, 2, 3, 2), "bilinear", "zeros", False)
CASES["bicubic_reflection_ac_1x1_input"] = ((1, 2, 1, 1), (1, 2, 3, 2), "bicubic", "reflection", True)
CASES["bilinear_border_noac_wide_output"] = ((1, 2, 3, 3), (1, 1, 7, 2), "bilinear", "border", False)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_grid_sample_parity(name):
    x, g, mode, pad, ac = CASES[name]
    check(lambda fw, t, grid: F(fw).grid_sample(t, grid, mode=mode, padding_mode=pad, align_corners=ac), x, _grid(g))


def _safe_grid(input_shape, points, align_corners, seed=0):
    """float64 grid whose pixel coordinates are k + (0.15..0.35) for k in [-1, size]: away from every kink
    (integer taps, the clamp at 0 and size - 1, the reflection folds at -0.5 / size - 0.5 or 0 / size - 1)."""
    rng = np.random.default_rng(seed)
    sizes = input_shape[2:][::-1]
    cols = []
    for s in sizes:
        pix = rng.integers(-1, s + 1, (input_shape[0], *points)) + rng.uniform(0.15, 0.35, (input_shape[0], *points))
        cols.append(pix * 2 / (s - 1) - 1 if align_corners else (2 * pix + 1) / s - 1)
    return minitorch.tensor(np.stack(cols, -1), requires_grad=True)


GRAD_CASES = ["bilinear_zeros_noac_2d", "bilinear_border_ac_2d", "bilinear_reflection_noac_2d",
              "bilinear_reflection_ac_2d", "nearest_zeros_ac_2d", "bicubic_zeros_noac_2d", "bicubic_border_ac_2d",
              "bicubic_reflection_noac_2d", "bilinear_reflection_noac_3d", "nearest_border_noac_3d"]


@pytest.mark.parametrize("name", GRAD_CASES, ids=GRAD_CASES)
def test_grid_sample_gradcheck(name):
    x, g, mode, pad, ac = CASES[name]
    inp = minitorch.tensor(np.random.default_rng(1).standard_normal((1, 2) + x[2:]), requires_grad=True)
    grid = _safe_grid(inp.shape, (2, 3) if len(x) == 4 else (2, 2, 1), ac)[:1]
    fn = lambda t, gr: MF.grid_sample(t, gr, mode=mode, padding_mode=pad, align_corners=ac)  # noqa: E731
    assert minitorch.autograd.gradcheck(fn, (inp, grid.detach().requires_grad_()))


@pytest.mark.parametrize("mode,pad", [("bilinear", "reflection"), ("bicubic", "border")])
def test_grid_sample_gradgradcheck(mode, pad):
    inp = minitorch.tensor(np.random.default_rng(1).standard_normal((1, 1, 3, 4)), requires_grad=True)
    grid = _safe_grid(inp.shape, (2, 1), False)
    fn = lambda t, gr: MF.grid_sample(t, gr, mode=mode, padding_mode=pad, align_corners=False)  # noqa: E731
    assert minitorch.autograd.gradgradcheck(fn, (inp, grid))


def test_grid_sample_nearest_grid_gradient_is_zero():
    inp = minitorch.randn(1, 2, 3, 4, requires_grad=True)
    grid = minitorch.rand(1, 2, 2, 2, requires_grad=True)
    out = MF.grid_sample(inp, grid, mode="nearest", align_corners=False)
    (gg,) = minitorch.autograd.grad(out.sum(), grid)
    assert gg.shape == grid.shape and not gg.numpy().any()


# affine_grid -----------------------------------------------------------------------------------------------------
AFFINE = {f"affine_grid_{'2d' if len(size) == 4 else '3d'}_{'x'.join(map(str, size))}_{'ac' if ac else 'noac'}":
          (size, ac) for size in ([2, 3, 4, 5], [2, 1, 1, 3], [2, 3, 3, 2, 4], [1, 1, 2, 1, 3]) for ac in (False, True)}


@pytest.mark.parametrize("name", list(AFFINE), ids=list(AFFINE))
def test_affine_grid_parity(name):
    size, ac = AFFINE[name]
    k = len(size) - 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # align_corners with unit sizes warns (both frameworks)
        check(lambda fw, th: F(fw).affine_grid(th, size, align_corners=ac), (size[0], k, k + 1))


@pytest.mark.parametrize("size", [[1, 2, 3, 4], [1, 1, 2, 3, 2]], ids=["affine_grid_2d", "affine_grid_3d"])
def test_affine_grid_gradgradcheck(size):
    k = len(size) - 2
    theta = minitorch.tensor(np.random.default_rng(0).standard_normal((1, k, k + 1)), requires_grad=True)
    assert minitorch.autograd.gradcheck(lambda t: MF.affine_grid(t, size, align_corners=False), (theta,))
    assert minitorch.autograd.gradgradcheck(lambda t: MF.affine_grid(t, size, align_corners=False), (theta,))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_spatial_transformer_parity(mode):
    """affine_grid then grid_sample: gradients reach theta through the grid."""
    def stn(fw, x, th):
        grid = F(fw).affine_grid(th, list(x.shape), align_corners=False)
        return F(fw).grid_sample(x, grid, mode=mode, padding_mode="border", align_corners=False)
    check(stn, (2, 3, 5, 6), Spec((2, 2, 3), low=-1.0, high=1.0))


def test_align_corners_none_warns():
    x, grid = minitorch.zeros(1, 1, 2, 2), minitorch.zeros(1, 1, 1, 2)
    for fn in (lambda: MF.grid_sample(x, grid), lambda: MF.affine_grid(minitorch.zeros(1, 2, 3), [1, 1, 2, 2])):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            fn()


# errors ------------------------------------------------------------------------------------------------------------
GS_ERRORS = {
    "grid_sample_bad_mode": ((2, 3, 4, 5), (2, 3, 3, 2), dict(mode="linear"), ValueError, "but got: 'linear'"),
    "grid_sample_bad_padding": ((2, 3, 4, 5), (2, 3, 3, 2), dict(padding_mode="wrap"), ValueError,
                                "'zeros', 'border', or 'reflection', but got: 'wrap'"),
    "grid_sample_grid_last_dim": ((2, 3, 4, 5), (2, 3, 3, 3), {}, RuntimeError,
                                  r"size 2 in last dimension, but got grid with sizes \[2, 3, 3, 3\]"),
    "grid_sample_batch_mismatch": ((2, 3, 4, 5), (3, 3, 3, 2), {}, RuntimeError,
                                   r"same batch size, but got input with sizes \[2, 3, 4, 5\] and grid with sizes"),
    "grid_sample_5d_grid_4d_input": ((2, 3, 4, 5), (2, 3, 3, 3, 2), {}, RuntimeError,
                                     r"grid_sampler\(\): expected"),
    "grid_sample_bicubic_5d": ((2, 3, 4, 4, 4), (2, 3, 3, 3, 3), dict(mode="bicubic"), RuntimeError,
                               "bicubic interpolation only supports 4D input"),
    "grid_sample_empty_input": ((2, 3, 0, 4), (2, 3, 3, 2), {}, RuntimeError, "dimension 2 being empty"),
}


@pytest.mark.parametrize("name", list(GS_ERRORS), ids=list(GS_ERRORS))
def test_grid_sample_errors(name):
    x, g, kw, exc, match = GS_ERRORS[name]
    assert_raises_like_torch(lambda fw, t, gr: F(fw).grid_sample(t, gr, align_corners=False, **kw),
                             np.zeros(x, np.float32), np.zeros(g, np.float32), exc=exc, match=match)


def test_grid_sample_dtype_mismatch():
    assert_raises_like_torch(lambda fw, t, gr: F(fw).grid_sample(t, gr, align_corners=False),
                             np.zeros((1, 1, 2, 2), np.float32), np.zeros((1, 1, 1, 2)), exc=RuntimeError,
                             match="expected scalar type Float but found Double")


AG_ERRORS = {
    "affine_grid_int_theta": ((2, 2, 3), np.int64, [2, 3, 4, 5], ValueError, "floating point type, but got"),
    "affine_grid_3d_size": ((2, 2, 3), np.float32, [2, 3, 4], NotImplementedError, r"Got size \[2, 3, 4\]"),
    "affine_grid_theta_shape": ((2, 3, 3), np.float32, [2, 3, 4, 5], ValueError,
                                r"shape Nx2x3 for size \[2, 3, 4, 5\]"),
    "affine_grid_theta_shape_3d": ((2, 2, 3), np.float32, [2, 3, 4, 5, 6], ValueError, "shape Nx3x4"),
    "affine_grid_empty_size": ((2, 2, 3), np.float32, [2, 3, 0, 5], ValueError, r"positive output size. Got \[2, 3, 0"),
    "affine_grid_batch_mismatch": ((3, 2, 3), np.float32, [2, 3, 4, 5], RuntimeError, r"to be: \[2, 3\] but got"),
}


@pytest.mark.parametrize("name", list(AG_ERRORS), ids=list(AG_ERRORS))
def test_affine_grid_errors(name):
    shape, dt, size, exc, match = AG_ERRORS[name]
    assert_raises_like_torch(lambda fw, th: F(fw).affine_grid(th, size, align_corners=False),
                             np.zeros(shape, dt), exc=exc, match=match)


# differential test -------------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(nd=st.sampled_from([4, 5]), mode=st.sampled_from(["bilinear", "nearest", "bicubic"]),
       pad=st.sampled_from(["zeros", "border", "reflection"]), ac=st.booleans(),
       spatial=st.lists(st.integers(1, 5), min_size=3, max_size=3),
       points=st.lists(st.integers(1, 4), min_size=3, max_size=3), dtype=st.sampled_from(["float32", "float64"]))
def test_grid_sample_hypothesis(nd, mode, pad, ac, spatial, points, dtype):
    if nd == 5 and mode == "bicubic":
        mode = "bilinear"
    k = nd - 2
    rng = np.random.default_rng(sum(spatial))
    x = rng.standard_normal((2, 2, *spatial[:k])).astype(dtype)
    g = rng.uniform(-1.5, 1.5, (2, *points[:k], k)).astype(dtype)
    outs, grads = [], []
    for fw in (minitorch, torch):
        t, gr = fw.from_numpy(x.copy()).requires_grad_(), fw.from_numpy(g.copy()).requires_grad_()
        y = F(fw).grid_sample(t, gr, mode=mode, padding_mode=pad, align_corners=ac)
        outs.append(y.detach().numpy())
        grads.append(fw.autograd.grad(y.sum(), t)[0].numpy())
    tol = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(outs[0], outs[1], rtol=tol, atol=tol)
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol, atol=tol)

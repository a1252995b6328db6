"""Normalisation layers and functions vs torch: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm and F.batch_norm / layer_norm / group_norm / rms_norm / normalize / local_response_norm
(module parity with accumulating running statistics, functional parity, gradcheck / gradgradcheck, repr,
default initialisation, torch's errors, state_dict round trips in both directions)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.nn.functional as MF
from parity.harness import LAYOUTS, Spec, assert_raises_like_torch, check, gradcheck_inputs, to_minitorch, to_torch
from parity.modules import check_module


def F(fw):
    return MF if fw is minitorch else torch.nn.functional


# module parity: train and eval, float32 / float64, every layout, three calls so running statistics accumulate --
MODULES = {
    "BatchNorm1d_2d": (lambda fw: fw.nn.BatchNorm1d(3), (6, 3)),
    "BatchNorm1d_3d": (lambda fw: fw.nn.BatchNorm1d(3), (4, 3, 5)),
    "BatchNorm1d_momentum_None": (lambda fw: fw.nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    "BatchNorm1d_untracked": (lambda fw: fw.nn.BatchNorm1d(3, track_running_stats=False), (4, 3, 5)),
    "BatchNorm1d_affine_False": (lambda fw: fw.nn.BatchNorm1d(3, affine=False), (4, 3)),
    "BatchNorm1d_bias_False": (lambda fw: fw.nn.BatchNorm1d(3, bias=False, momentum=0.3, eps=1e-3), (4, 3)),
    "BatchNorm2d": (lambda fw: fw.nn.BatchNorm2d(3), (4, 3, 2, 5)),
    "BatchNorm2d_momentum_None_affine_False": (lambda fw: fw.nn.BatchNorm2d(3, momentum=None, affine=False),
                                               (4, 3, 2, 5)),
    "BatchNorm2d_untracked_affine_False": (
        lambda fw: fw.nn.BatchNorm2d(3, affine=False, track_running_stats=False), (2, 3, 2, 5)),
    "BatchNorm3d": (lambda fw: fw.nn.BatchNorm3d(2), (2, 2, 2, 3, 2)),
    "BatchNorm3d_untracked": (lambda fw: fw.nn.BatchNorm3d(2, track_running_stats=False), (2, 2, 3, 1, 2)),
    "LayerNorm": (lambda fw: fw.nn.LayerNorm(5), (4, 3, 5)),
    "LayerNorm_2dims_bias_False": (lambda fw: fw.nn.LayerNorm((3, 5), bias=False), (4, 3, 5)),
    "LayerNorm_affine_False": (lambda fw: fw.nn.LayerNorm([3, 5], eps=1e-3, elementwise_affine=False), (2, 3, 5)),
    "GroupNorm": (lambda fw: fw.nn.GroupNorm(2, 4), (3, 4, 5)),
    "GroupNorm_4d_affine_False": (lambda fw: fw.nn.GroupNorm(3, 6, affine=False), (2, 6, 2, 3)),
    "GroupNorm_2d_bias_False": (lambda fw: fw.nn.GroupNorm(1, 4, bias=False), (3, 4)),
    "RMSNorm": (lambda fw: fw.nn.RMSNorm(5), (4, 3, 5)),
    "RMSNorm_eps_affine_False": (lambda fw: fw.nn.RMSNorm((3, 5), eps=1e-3, elementwise_affine=False), (4, 3, 5)),
    "LocalResponseNorm": (lambda fw: fw.nn.LocalResponseNorm(3, alpha=0.1), (2, 5, 4)),
    "LocalResponseNorm_4d_even": (lambda fw: fw.nn.LocalResponseNorm(4, alpha=0.2, beta=0.5, k=2.0), (2, 5, 3, 2)),
}


ALL_LAYOUTS = {"BatchNorm1d_3d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"}


@pytest.mark.parametrize("name", list(MODULES))
def test_module_parity(name):
    make, shape = MODULES[name]
    # every input layout for each layer's main case; its options (independent of the layout) on contiguous input
    layouts = LAYOUTS if name in ALL_LAYOUTS else ("contiguous",)
    result = check_module(make, shape, calls=3, layouts=layouts)
    assert len(result.cases) == 4 * len(layouts)          # 2 dtypes x 2 modes x the layouts


# functional parity ----------------------------------------------------------------------------------------------
STAT = Spec((3,), grad=False)
FUNCTIONAL = {
    "batch_norm_train": (lambda fw, x, w, b: F(fw).batch_norm(x, None, None, w, b, training=True), ((4, 3, 5), (3,),
                                                                                                   (3,))),
    "batch_norm_train_running": (
        lambda fw, x, m, v: F(fw).batch_norm(x, m, v, training=True, momentum=0.2, eps=1e-3),
        ((5, 3), STAT, Spec((3,), low=0.5, high=2.0, grad=False))),
    "batch_norm_eval": (lambda fw, x, m, v, w, b: F(fw).batch_norm(x, m, v, w, b),
                        ((4, 3, 2, 2), STAT, Spec((3,), low=0.5, high=2.0, grad=False), (3,), (3,))),
    "layer_norm": (lambda fw, x, w, b: F(fw).layer_norm(x, (3, 4), w, b), ((2, 3, 4), (3, 4), (3, 4))),
    "layer_norm_no_affine": (lambda fw, x: F(fw).layer_norm(x, [4], eps=1e-2), ((2, 3, 4),)),
    "layer_norm_whole_input": (lambda fw, x, w, b: F(fw).layer_norm(x, [3, 4], w, b), ((3, 4), (3, 4), (3, 4))),
    "group_norm": (lambda fw, x, w, b: F(fw).group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
    "group_norm_no_affine": (lambda fw, x: F(fw).group_norm(x, 3, eps=1e-3), ((2, 6, 2, 2),)),
    "rms_norm": (lambda fw, x, w: F(fw).rms_norm(x, (4,), w), ((2, 3, 4), (4,))),
    "rms_norm_weight_float64": (lambda fw, x, w: F(fw).rms_norm(x, (4,), w), ((2, 3, 4), Spec((4,), dtype="float64"))),
    "rms_norm_eps": (lambda fw, x: F(fw).rms_norm(x, [3, 4], eps=1e-2), ((2, 3, 4),)),
    "normalize": (lambda fw, x: F(fw).normalize(x), ((3, 4),)),
    "normalize_p1_dim": (lambda fw, x: F(fw).normalize(x, p=1.0, dim=-1), ((2, 3, 4),)),
    "local_response_norm": (lambda fw, x: F(fw).local_response_norm(x, 3, alpha=0.3), ((2, 5, 3),)),
    "local_response_norm_5d": (lambda fw, x: F(fw).local_response_norm(x, 2, alpha=0.3, beta=1.0, k=0.5),
                                ((2, 4, 2, 2, 2),)),
}


@pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")   # torch's, for rms_norm's weight
@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional_parity(name):
    fn, specs = FUNCTIONAL[name]
    layouts = {
        "batch_norm_train_running": LAYOUTS[:3],     # running statistics are written in place: not into a stride-0
        "local_response_norm_5d": ("contiguous",),   # torch's own 5-d path uses view(), which refuses other layouts
    }.get(name, LAYOUTS)
    check(fn, *specs, layouts=layouts)


GRADCHECK = {
    "batch_norm_train": (lambda x, w, b: MF.batch_norm(x, None, None, w, b, training=True), [(4, 3, 2), (3,), (3,)]),
    "batch_norm_train_no_affine": (lambda x: MF.batch_norm(x, None, None, training=True), [(5, 2)]),
    "batch_norm_eval": (lambda x, w, b: MF.batch_norm(x, minitorch.tensor([0.3, -1.0], dtype=minitorch.float64),
                                                      minitorch.tensor([0.5, 2.0], dtype=minitorch.float64), w, b),
                        [(3, 2, 2), (2,), (2,)]),
    "layer_norm": (lambda x, w, b: MF.layer_norm(x, (3, 2), w, b), [(4, 3, 2), (3, 2), (3, 2)]),
    "layer_norm_no_affine": (lambda x: MF.layer_norm(x, (2,)), [(4, 3, 2)]),
    "layer_norm_whole_input": (lambda x, w, b: MF.layer_norm(x, (3, 2), w, b), [(3, 2), (3, 2), (3, 2)]),
    "group_norm": (lambda x, w, b: MF.group_norm(x, 3, w, b), [(2, 6, 2), (6,), (6,)]),
    "rms_norm": (lambda x, w: MF.rms_norm(x, (2,), w), [(4, 3, 2), (2,)]),
    "normalize": (lambda x: MF.normalize(x, dim=1), [(4, 3)]),
    "local_response_norm": (lambda x: MF.local_response_norm(x, 3, alpha=0.5), [(2, 4, 3)]),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    inputs = gradcheck_inputs(*shapes)
    assert minitorch.autograd.gradcheck(fn, inputs)
    assert minitorch.autograd.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["batch_norm", "layer_norm"])
def test_fused_double_backward_matches_torch(name):
    """The fused backward recomputes the statistics from the input when it is recorded: d/dx of a gradient norm."""
    def run(fw, x, w):
        if name == "batch_norm":
            y = F(fw).batch_norm(x, None, None, w, None, training=True)
        else:
            y = F(fw).layer_norm(x, (3,), w)
        g, = fw.autograd.grad((y ** 3).sum(), x, create_graph=True)
        return (g * g).sum()
    check(run, (4, 3), (3,), layouts=("contiguous",))


# running statistics ----------------------------------------------------------------------------------------------
def test_BatchNorm_running_var_is_unbiased_and_momentum_None_averages():
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((5, 2)) for _ in range(3)]
    m = minitorch.nn.BatchNorm1d(2, momentum=None, dtype=minitorch.float64)
    for b in batches:
        m(minitorch.tensor(b))
    np.testing.assert_allclose(m.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], 0), rtol=1e-12)
    assert m.num_batches_tracked.item() == 3 and m.num_batches_tracked.dtype == minitorch.int64
    m.eval()(minitorch.tensor(batches[0]))          # eval leaves the statistics alone
    assert m.num_batches_tracked.item() == 3


@pytest.mark.parametrize("shape", [(7, 3, 5, 5), (2, 4, 4, 4), (64, 8, 3, 3)])
def test_BatchNorm_float32_keeps_the_tiny_variance_of_near_constant_channels(shape):
    """A channel of 100 + 0.01 * noise: a float32 mean off by one rounding shifts every centred value and swamps the
    variance; minitorch refines the mean with a second pass and must be at least as accurate as torch's float32."""
    x = (100.0 + 0.01 * np.random.default_rng(0).standard_normal(shape)).astype(np.float32)
    exact = torch.nn.functional.batch_norm(torch.tensor(x, dtype=torch.float64), None, None, training=True).numpy()
    theirs = torch.nn.functional.batch_norm(torch.tensor(x), None, None, training=True).numpy()
    mine = MF.batch_norm(minitorch.tensor(x), None, None, training=True).numpy()
    assert np.abs(mine - exact).max() <= max(np.abs(theirs - exact).max(), 1e-5)


def test_BatchNorm_reset_running_stats_and_parameters():
    m = minitorch.nn.BatchNorm2d(3)
    m(minitorch.randn(4, 3, 2, 2))
    with minitorch.no_grad():
        m.weight.fill_(2.0)
    m.reset_running_stats()
    assert m.running_mean.tolist() == [0.0] * 3 and m.running_var.tolist() == [1.0] * 3
    assert m.num_batches_tracked.item() == 0 and m.weight.tolist() == [2.0] * 3
    m.reset_parameters()
    assert m.weight.tolist() == [1.0] * 3


# repr and default initialisation ---------------------------------------------------------------------------------
REPRS = {
    "BatchNorm1d": lambda fw: fw.nn.BatchNorm1d(3),
    "BatchNorm2d": lambda fw: fw.nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
    "BatchNorm3d": lambda fw: fw.nn.BatchNorm3d(2, bias=False),
    "LayerNorm": lambda fw: fw.nn.LayerNorm([3, 4], elementwise_affine=True, bias=False),
    "GroupNorm": lambda fw: fw.nn.GroupNorm(2, 4, eps=1e-3, affine=False),
    "RMSNorm": lambda fw: fw.nn.RMSNorm(4),
    "RMSNorm_eps": lambda fw: fw.nn.RMSNorm((2, 4), eps=1e-6, elementwise_affine=False),
    "LocalResponseNorm": lambda fw: fw.nn.LocalResponseNorm(5, alpha=1e-3),
}


@pytest.mark.parametrize("name", list(REPRS))
def test_repr(name):
    assert repr(REPRS[name](minitorch)) == repr(REPRS[name](torch))
    assert repr(minitorch.nn.Sequential(REPRS[name](minitorch))) == repr(torch.nn.Sequential(REPRS[name](torch)))


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "RMSNorm"])
def test_default_init(name):
    args = {"LayerNorm": ((2, 3),), "GroupNorm": (2, 6), "RMSNorm": (3,)}.get(name, (6,))
    m, t = getattr(minitorch.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert list(m.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        mine = m.state_dict()[key]
        assert mine.dtype == to_minitorch(value).dtype and mine.shape == tuple(value.shape)
        np.testing.assert_array_equal(mine.numpy(), value.numpy(), err_msg=key)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    m64 = getattr(minitorch.nn, name)(*args, dtype=minitorch.float64)
    assert all(p.dtype == minitorch.float64 for p in m64.parameters())


# errors ----------------------------------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        torch.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        minitorch.nn.GroupNorm(4, 6)


X = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
V3, V4 = np.ones(3, np.float32), np.ones(4, np.float32)
BAD = {
    "BatchNorm1d_4d": (lambda fw, x: fw.nn.BatchNorm1d(3)(x), (X[..., None],),
                       r"expected 2D or 3D input \(got 4D input\)"),
    "BatchNorm2d_3d": (lambda fw, x: fw.nn.BatchNorm2d(3)(x), (X,), r"expected 4D input \(got 3D input\)"),
    "BatchNorm3d_4d": (lambda fw, x: fw.nn.BatchNorm3d(3)(x), (X[..., None],), r"expected 5D input \(got 4D input\)"),
    "BatchNorm1d_one_value": (lambda fw, x: fw.nn.BatchNorm1d(3)(x), (X[:1, :, 0],),
                              r"Expected more than 1 value per channel when training, got input size .*\[1, 3\]"),
    "BatchNorm1d_channels": (lambda fw, x: fw.nn.BatchNorm1d(4)(x), (X,),
                             r"running_mean should contain 3 elements not 4"),
    "BatchNorm1d_dtype": (lambda fw, x: fw.nn.BatchNorm1d(3)(x.double()), (X,), r"mixed dtype \(CPU\)"),
    "layer_norm_mixed_dtype": (lambda fw, x, w: F(fw).layer_norm(x.double(), [5], w), (X, np.ones(5, np.float32)),
                               r"mixed dtype \(CPU\): all inputs must share same datatype"),
    "group_norm_mixed_dtype": (lambda fw, x, w: F(fw).group_norm(x, 3, w.double()), (X, V3),
                               r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"),
    "batch_norm_running_mean_size": (lambda fw, x, m, v: F(fw).batch_norm(x, m, v), (X, V4, V3),
                                     r"running_mean should contain 3 elements not 4"),
    "batch_norm_weight_size": (lambda fw, x, m, v, w: F(fw).batch_norm(x, m, v, w, training=True), (X, V3, V3, V4),
                               r"weight should contain 3 elements not 4"),
    "batch_norm_bias_size": (lambda fw, x, m, v, b: F(fw).batch_norm(x, m, v, None, b), (X, V3, V3, V4),
                             r"bias should contain 3 elements not 4"),
    "batch_norm_eval_without_stats": (lambda fw, x: F(fw).batch_norm(x, None, None), (X,),
                                      r"running_mean must be defined in evaluation mode"),
    "batch_norm_negative_eps": (lambda fw, x, m, v: F(fw).batch_norm(x, m, v, eps=-1.0), (X, V3, V3),
                                r"batch_norm eps must be non-negative, but got -1.0"),
    "batch_norm_zero_eps_training": (lambda fw, x: F(fw).batch_norm(x, None, None, training=True, eps=0.0), (X,),
                                     r"batch_norm eps must be positive during training, but got 0.0"),
    "batch_norm_int": (lambda fw, x: F(fw).batch_norm(x.long(), None, None, training=True), (X,),
                       r"\"batch_norm\" not implemented for 'Long'"),
    "batch_norm_running_stats_requiring_grad": (
        lambda fw, x, m, v: F(fw).batch_norm(x, m.requires_grad_(), v), (X, V3, V3),
        r"'native_batch_norm' is not differentiable with respect to argument 'running_mean'"),
    "batch_norm_1d_input": (lambda fw, x: F(fw).batch_norm(x[0, 0], None, None, training=True), (X,),
                            r"Dimension out of range"),
    "layer_norm_shape": (lambda fw, x: F(fw).layer_norm(x, [4]), (X,),
                         r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
                         r"size\[4, 3, 5\]"),
    "layer_norm_weight_shape": (lambda fw, x, w: F(fw).layer_norm(x, [3, 5], w), (X, np.ones(5, np.float32)),
                                r"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                                r"\[5\] and normalized_shape = \[3, 5\]"),
    "layer_norm_empty_shape": (lambda fw, x: F(fw).layer_norm(x, []), (X,), r"at least 1-dimensional"),
    "layer_norm_int_shape": (lambda fw, x: F(fw).layer_norm(x, 5), (X,), r"must be tuple of ints, not int"),
    "layer_norm_int": (lambda fw, x: F(fw).layer_norm(x.long(), [5]), (X,), r"not implemented for 'Long'"),
    "LayerNorm_shape": (lambda fw, x: fw.nn.LayerNorm(4)(x), (X,), r"Given normalized_shape=\[4\]"),
    "group_norm_groups": (lambda fw, x: F(fw).group_norm(x, 2), (X,),
                          r"Expected number of channels in input to be divisible by num_groups, but got input of "
                          r"shape \[4, 3, 5\] and num_groups=2"),
    "group_norm_1d": (lambda fw, x: F(fw).group_norm(x[0, 0], 1), (X,),
                      r"Expected at least 2 dimensions for input tensor but received 1"),
    "group_norm_weight": (lambda fw, x, w: F(fw).group_norm(x, 3, w), (X, V4),
                          r"Expected weight to be a vector of size equal to the number of channels in input, but got "
                          r"weight of shape \[4\] and input of shape \[4, 3, 5\]"),
    "group_norm_one_value": (lambda fw, x: F(fw).group_norm(x[:1, :, :1], 3), (X,),
                             r"Expected more than 1 value per channel when training, got input size \[1, 3, 1\]"),
    "GroupNorm_channels": (lambda fw, x: fw.nn.GroupNorm(2, 4)(x), (X,), r"divisible by num_groups"),
    "rms_norm_shape": (lambda fw, x: F(fw).rms_norm(x, [4]), (X,),
                       r"Given normalized_shape=\[4\], expected input with shape \[\*4\], but got input of "
                       r"size\[4, 3, 5\]"),
    "rms_norm_weight": (lambda fw, x, w: F(fw).rms_norm(x, [5], w), (X, V4), r"Expected weight to be of same shape"),
    "rms_norm_int": (lambda fw, x: F(fw).rms_norm(x.long(), [5]), (X,), r"\"rms_norm\" not implemented for 'Long'"),
    "normalize_dim": (lambda fw, x: F(fw).normalize(x, dim=3), (X,), r"Dimension out of range"),
    "local_response_norm_2d": (lambda fw, x: F(fw).local_response_norm(x[0], 2), (X,),
                               r"Expected 3D or higher dimensionality"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_inputs(name):
    fn, arrays, match = BAD[name]
    assert_raises_like_torch(fn, *arrays, match=match)


# state_dict round trips ------------------------------------------------------------------------------------------
ROUND_TRIP = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_state_dict_round_trip_into_torch(name):
    args, shape = {"BatchNorm1d": ((3,), (6, 3)), "BatchNorm2d": ((3,), (4, 3, 2, 2)), "LayerNorm": ((4,), (3, 4)),
                   "GroupNorm": ((2, 4), (3, 4, 2)), "RMSNorm": ((4,), (3, 4))}[name]
    rng = np.random.default_rng(1)
    m = getattr(minitorch.nn, name)(*args)
    opt = minitorch.optim.SGD(m.parameters(), lr=0.1)
    target = minitorch.tensor(rng.standard_normal(shape).astype(np.float32))
    for _ in range(3):                                # move weights and running statistics off their defaults
        opt.zero_grad()
        (m(minitorch.tensor(rng.standard_normal(shape).astype(np.float32) * 2 + 1)) * target).sum().backward()
        opt.step()
    fresh = getattr(minitorch.nn, name)(*args).state_dict()
    assert any(not np.array_equal(v.numpy(), fresh[k].numpy()) for k, v in m.state_dict().items())
    t = getattr(torch.nn, name)(*args)
    t.load_state_dict({k: to_torch(v) for k, v in m.state_dict().items()})
    x = rng.standard_normal(shape).astype(np.float32)
    m.eval(), t.eval()
    np.testing.assert_allclose(m(minitorch.tensor(x)).detach().numpy(), t(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    back = getattr(minitorch.nn, name)(*args).eval()       # and back: torch's state_dict into a fresh minitorch layer
    back.load_state_dict({k: to_minitorch(v) for k, v in t.state_dict().items()})
    np.testing.assert_array_equal(back(minitorch.tensor(x)).detach().numpy(), m(minitorch.tensor(x)).detach().numpy())


def test_BatchNorm_state_dict_without_num_batches_tracked():
    m, t = minitorch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    m(minitorch.randn(4, 3))
    legacy = {k: v for k, v in t.state_dict().items() if k != "num_batches_tracked"}   # a plain dict: version None
    t.load_state_dict(legacy)
    result = m.load_state_dict({k: to_minitorch(v) for k, v in legacy.items()})
    assert not result.missing_keys and not result.unexpected_keys
    assert m.num_batches_tracked.item() == 1          # kept, as torch keeps its own
    assert m.running_mean.tolist() == [0.0] * 3
    current = m.state_dict()                          # a version-2 state dict must have the key (torch: missing key)
    del current["num_batches_tracked"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "num_batches_tracked"'):
        m.load_state_dict(current)
    tcurrent = t.state_dict()
    del tcurrent["num_batches_tracked"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "num_batches_tracked"'):
        t.load_state_dict(tcurrent)


# randomized differential test ------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["batch_norm", "layer_norm", "group_norm", "rms_norm", "normalize"]),
       batch=st.integers(2, 4), channels=st.sampled_from([2, 4, 6]), rest=st.lists(st.integers(1, 4), max_size=2),
       dtype=st.sampled_from(["float32", "float64"]), scale=st.floats(0.1, 100.0), shift=st.floats(-50, 50))
def test_random_shapes_match_torch(kind, batch, channels, rest, dtype, scale, shift):
    shape = (batch, channels, *rest)
    x = (np.random.default_rng(len(rest)).standard_normal(shape) * scale + shift).astype(dtype)
    w = np.linspace(0.5, 1.5, channels).astype(dtype)
    tail = shape[-1]
    fns = {
        "batch_norm": lambda fw, x, w: F(fw).batch_norm(x, None, None, w, w, training=True),
        "layer_norm": lambda fw, x, w: F(fw).layer_norm(x, (tail,), eps=1e-3),
        "group_norm": lambda fw, x, w: F(fw).group_norm(x, 2, w, w),
        "rms_norm": lambda fw, x, w: F(fw).rms_norm(x, (tail,)),
        "normalize": lambda fw, x, w: F(fw).normalize(x, dim=1),
    }
    fn = fns[kind]
    mine = fn(minitorch, minitorch.from_numpy(x.copy()), minitorch.from_numpy(w.copy()))
    theirs = fn(torch, torch.from_numpy(x.copy()), torch.from_numpy(w.copy()))
    tol = 2e-4 if dtype == "float32" else 1e-9          # float32 statistics of inputs shifted by up to 50 sigma
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=tol, atol=tol)
    assert mine.dtype == to_minitorch(theirs).dtype


@pytest.mark.parametrize("name", ["batch_norm", "layer_norm"])
def test_fused_node_names_match_torch(name):
    def run(fw):
        x, w = fw.randn(4, 3, requires_grad=True), fw.ones(3, requires_grad=True)
        if name == "batch_norm":
            return F(fw).batch_norm(x, None, None, w, w, training=True)
        return F(fw).layer_norm(x, (3,), w, w)
    assert run(minitorch).grad_fn.name() == run(torch).grad_fn.name()

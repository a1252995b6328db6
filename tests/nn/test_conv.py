"""Convolutions vs torch: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d and the Conv/ConvTranspose layers
(forward, gradients, double backward, init, repr, argument errors)."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch
import minitorch.nn as nn
from minitorch._ops.conv import convolution
from parity.harness import assert_raises_like_torch, check, gradcheck_inputs
from parity.modules import check_module

# torch warns that an even kernel with padding="same" copies its input; minitorch pads once anyway
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# (id, function, input shape, weight shape, bias, keyword arguments)
CONV_CASES = [
    ("conv1d", "conv1d", (2, 4, 9), (6, 4, 3), True, {}),
    ("conv1d_stride2_pad1", "conv1d", (2, 4, 9), (6, 4, 3), True, dict(stride=2, padding=1)),
    ("conv1d_dilation2_groups2", "conv1d", (2, 4, 9), (6, 2, 3), False, dict(dilation=2, groups=2)),
    ("conv1d_same_even_kernel", "conv1d", (2, 3, 8), (4, 3, 4), True, dict(padding="same")),
    ("conv1d_unbatched", "conv1d", (4, 9), (6, 4, 3), True, dict(padding=1)),
    ("conv2d", "conv2d", (2, 3, 7, 6), (5, 3, 3, 3), True, {}),
    ("conv2d_stride_tuple_pad_tuple", "conv2d", (2, 3, 7, 8), (4, 3, 3, 2), True, dict(stride=(2, 1), padding=(1, 2))),
    ("conv2d_stride2_uneven", "conv2d", (2, 3, 8, 8), (4, 3, 3, 3), True, dict(stride=2)),
    ("conv2d_dilation2", "conv2d", (1, 2, 9, 9), (3, 2, 3, 3), True, dict(dilation=2, padding=2)),
    ("conv2d_groups2", "conv2d", (2, 4, 6, 6), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ("conv2d_depthwise", "conv2d", (2, 4, 6, 6), (8, 1, 3, 3), True, dict(groups=4, stride=2, padding=1)),
    ("conv2d_depthwise_stride1", "conv2d", (2, 4, 6, 5), (4, 1, 3, 3), True, dict(groups=4, padding=1)),
    # depthwise forward is banded matmuls over blocks of 8 outputs along the last dim: widths that leave a partial
    # block, strides and dilations along that dim, a channel multiplier, 3-d
    ("conv2d_depthwise_7x7_partial_block", "conv2d", (2, 3, 9, 19), (3, 1, 7, 7), True, dict(groups=3, padding=3)),
    ("conv2d_depthwise_multiplier_strided_dilated", "conv2d", (2, 3, 7, 23), (6, 1, 3, 3), False,
     dict(groups=3, stride=(1, 2), dilation=(2, 3), padding=(2, 3))),
    ("conv3d_depthwise", "conv3d", (1, 4, 4, 5, 11), (4, 1, 2, 3, 3), True,
     dict(groups=4, stride=(2, 1, 1), padding=1)),
    ("conv2d_same_even_kernel", "conv2d", (2, 3, 6, 7), (4, 3, 2, 4), True, dict(padding="same")),
    ("conv2d_same_dilated", "conv2d", (1, 3, 7, 7), (4, 3, 3, 2), True, dict(padding="same", dilation=(2, 3))),
    ("conv2d_valid_nobias", "conv2d", (2, 3, 5, 5), (4, 3, 3, 3), False, dict(padding="valid")),
    ("conv2d_1x1", "conv2d", (2, 3, 5, 5), (4, 3, 1, 1), False, dict(stride=2)),
    ("conv2d_padding_wider_than_kernel", "conv2d", (2, 3, 4, 4), (4, 3, 1, 2), True, dict(padding=(2, 1))),
    ("conv2d_more_channels_than_positions", "conv2d", (3, 4, 4, 3), (12, 2, 3, 2), True, dict(groups=2)),
    ("conv2d_unbatched", "conv2d", (3, 6, 6), (4, 3, 3, 3), True, dict(padding=1)),
    ("conv2d_fewer_out_channels_groups", "conv2d", (2, 6, 7, 6), (4, 3, 3, 2), True,
     dict(groups=2, padding=(1, 2), dilation=(1, 2))),
    ("conv3d", "conv3d", (1, 2, 5, 4, 5), (3, 2, 3, 2, 3), True, {}),
    ("conv3d_stride_pad_groups", "conv3d", (2, 4, 5, 5, 4), (4, 2, 3, 3, 2), True,
     dict(stride=(2, 1, 2), padding=(1, 0, 1), groups=2)),
    ("conv3d_same_dilated", "conv3d", (1, 2, 5, 5, 5), (2, 2, 2, 3, 2), False, dict(padding="same", dilation=2)),
    ("conv3d_depth_stride_fewer_out_channels", "conv3d", (2, 4, 5, 4, 5), (2, 4, 3, 2, 3), True,
     dict(stride=(2, 1, 1), padding=(0, 1, 1))),
    ("conv3d_unbatched", "conv3d", (2, 4, 4, 4), (3, 2, 2, 2, 2), True, {}),
    ("conv_transpose1d", "conv_transpose1d", (2, 4, 6), (4, 3, 3), True, {}),
    ("conv_transpose1d_stride_outpad", "conv_transpose1d", (2, 4, 6), (4, 3, 3), True,
     dict(stride=3, padding=1, output_padding=2)),
    ("conv_transpose1d_unbatched_dilation", "conv_transpose1d", (4, 6), (4, 2, 3), False, dict(dilation=3)),
    ("conv_transpose2d", "conv_transpose2d", (2, 3, 5, 4), (3, 4, 3, 3), True, {}),
    ("conv_transpose2d_stride2_outpad", "conv_transpose2d", (2, 3, 5, 4), (3, 4, 3, 3), True,
     dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d_groups_dilation", "conv_transpose2d", (2, 4, 4, 5), (4, 3, 2, 3), True,
     dict(groups=2, dilation=(2, 1), stride=(1, 2), padding=(1, 0))),
    ("conv_transpose2d_outpad_lt_dilation", "conv_transpose2d", (1, 2, 4, 4), (2, 2, 3, 3), True,
     dict(dilation=2, output_padding=1)),
    ("conv_transpose2d_depthwise_unbatched", "conv_transpose2d", (4, 5, 5), (4, 1, 3, 3), False,
     dict(groups=4, stride=2)),
    ("conv_transpose3d", "conv_transpose3d", (1, 2, 3, 4, 3), (2, 3, 2, 3, 2), True, dict(stride=2)),
    ("conv_transpose3d_groups_outpad", "conv_transpose3d", (2, 4, 3, 3, 3), (4, 1, 3, 2, 2), True,
     dict(groups=2, stride=(2, 1, 2), padding=1, output_padding=(1, 0, 1))),
]
IDS = [c[0] for c in CONV_CASES]


def _call(name, kw):
    return lambda fw, x, w, *b: getattr(fw.nn.functional, name)(x, w, *b, **kw)


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_functional_parity(case):
    _, name, xs, ws, bias, kw = case
    out_ch = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    check(_call(name, kw), xs, ws, *([(out_ch,)] if bias else []))


# small shapes covering each backward path: Conv (strided, grouped, asymmetric "same"), ConvTranspose as a
# stride-1 Conv and as col2im (stride > 1, or padding wider than the kernel), each layout of the columns
# (per sample, batch-last), the shifted strategy without columns (forward and ConvWeight; depthwise ConvWeight) and
# the banded depthwise forward
GRAD_CASES = [
    ("conv2d_shifted_groups", "conv2d", (2, 4, 4, 5), (2, 2, 3, 3), True,
     dict(padding=1, groups=2)),
    ("conv2d_depthwise_shifted_weight_grad", "conv2d", (1, 3, 4, 4), (3, 1, 3, 3), False, dict(groups=3, padding=1)),
    ("conv2d_depthwise_banded_strided", "conv2d", (1, 2, 3, 10), (4, 1, 2, 3), True,
     dict(groups=2, stride=(1, 2), dilation=(1, 2), padding=1)),
    ("conv3d_shifted_depth_stride", "conv3d", (1, 2, 3, 3, 4), (2, 2, 2, 2, 2), False, dict(stride=(2, 1, 1))),
    ("conv1d_stride_dilation_groups", "conv1d", (2, 4, 7), (2, 2, 2), True, dict(stride=2, dilation=2, groups=2)),
    ("conv2d_same_even_kernel", "conv2d", (1, 2, 4, 3), (2, 2, 2, 2), True, dict(padding="same")),
    ("conv2d_padding_wider_than_kernel", "conv2d", (1, 2, 3, 3), (2, 2, 1, 2), False, dict(padding=(2, 1))),
    ("conv3d_stride", "conv3d", (1, 1, 3, 3, 4), (2, 1, 2, 2, 2), True, dict(stride=(1, 2, 2), padding=1)),
    ("conv2d_more_channels_than_positions", "conv2d", (2, 2, 3, 2), (6, 1, 2, 2), False, dict(groups=2)),
    ("conv_transpose1d_dilation", "conv_transpose1d", (1, 2, 4), (2, 2, 3), True, dict(dilation=2, padding=1)),
    ("conv_transpose2d_stride2_outpad_groups", "conv_transpose2d", (1, 2, 3, 2), (2, 1, 2, 3), True,
     dict(stride=2, padding=1, output_padding=1, groups=2)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_functional_gradcheck_and_gradgradcheck(case):
    _, name, xs, ws, bias, kw = case
    out_ch = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    inputs = gradcheck_inputs(xs, ws, *([(out_ch,)] if bias else []))
    fn = lambda *a: getattr(minitorch.nn.functional, name)(*a, **kw)   # noqa: E731
    assert minitorch.autograd.gradcheck(fn, inputs)
    assert minitorch.autograd.gradgradcheck(fn, inputs)


def test_double_backward_gradient_penalty_matches_torch():
    """d/dw of ||d conv(x, w)/dx||^2 (a gradient penalty) goes through ConvTranspose and ConvWeight."""
    rng = np.random.default_rng(1)
    x0, w0 = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    results = []
    for fw in (minitorch, torch):
        x, w = fw.tensor(x0, requires_grad=True), fw.tensor(w0, requires_grad=True)
        y = fw.nn.functional.conv2d(x, w, stride=2, padding=1).tanh().sum()
        (gx,) = fw.autograd.grad(y, x, create_graph=True)
        (gw,) = fw.autograd.grad((gx ** 2).sum(), w)
        results.append(gw.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-10)


EMPTY_BATCH_CASES = {   # one per strategy and backward path: shifted, per-sample and batch-last columns, col2im
    "shifted": ("conv2d", (0, 6, 5, 5), (4, 6, 3, 3), dict(padding=1)),
    "sample": ("conv2d", (0, 3, 5, 5), (4, 3, 3, 3), dict(stride=2)),
    "batch_last": ("conv2d", (0, 4, 2, 2), (8, 4, 3, 3), dict(padding=1)),
    "depthwise": ("conv2d", (0, 4, 5, 5), (4, 1, 3, 3), dict(padding=1, groups=4)),
    "transpose_col2im": ("conv_transpose2d", (0, 3, 4, 4), (3, 2, 3, 3), dict(stride=2)),
}


@pytest.mark.parametrize("name,xs,ws,kw", EMPTY_BATCH_CASES.values(), ids=list(EMPTY_BATCH_CASES))
def test_empty_batch_matches_torch(name, xs, ws, kw):
    results = []
    for fw in (minitorch, torch):
        x = fw.zeros(xs, requires_grad=True)
        w = fw.ones(ws, requires_grad=True)
        y = getattr(fw.nn.functional, name)(x, w, **kw)
        y.sum().backward()
        results.append((tuple(y.shape), tuple(x.grad.shape), w.grad.numpy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_array_equal(results[0][2], results[1][2])


@pytest.mark.parametrize("transposed", [False, True], ids=["convolution", "convolution_transposed"])
def test_convolution_parity(transposed):
    """``torch.convolution``, the batched op under all of them (per-dim lists, symmetric padding)."""
    ws = (3, 2, 3, 2) if transposed else (4, 3, 3, 2)
    # (minitorch's top level does not import _ops/conv.py yet: the op is taken from its module)
    output_padding = [int(transposed), 0]
    check(lambda fw, x, w, b: (fw.convolution if fw is torch else convolution)(x, w, b, [2, 1], [1, 0], [1, 2],
                                                                               transposed, output_padding, 1),
          (2, 3, 6, 5), ws, (ws[1] if transposed else ws[0],))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(dims=st.integers(1, 3), batch=st.integers(1, 2), groups=st.sampled_from([1, 2]), cin=st.integers(1, 2),
       cout=st.integers(1, 2), k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 2),
       dil=st.integers(1, 2), size=st.integers(3, 6), transposed=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_random_conv_matches_torch(dims, batch, groups, cin, cout, k, stride, pad, dil, size, transposed, dtype):
    if dil * (k - 1) + 1 > size + 2 * pad:
        return
    name = f"conv_transpose{dims}d" if transposed else f"conv{dims}d"
    cin, cout = cin * groups, cout * groups
    ws = (cin, cout // groups) if transposed else (cout, cin // groups)
    kw = dict(stride=stride, padding=pad, dilation=dil, groups=groups)
    if transposed:
        kw["output_padding"] = stride - 1
    check(_call(name, kw), (batch, cin) + (size,) * dims, ws + (k,) * dims, (cout,), dtypes=(dtype,),
          layouts=("contiguous",))


# modules ----------------------------------------------------------------------------------------------------------
MODULE_CASES = [
    ("Conv1d", lambda fw: fw.nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("Conv1d_reflect_same", lambda fw: fw.nn.Conv1d(3, 4, 4, padding="same", padding_mode="reflect"), (2, 3, 8)),
    ("Conv2d", lambda fw: fw.nn.Conv2d(3, 4, 3), (2, 3, 6, 6)),
    ("Conv2d_groups_dilation_nobias", lambda fw: fw.nn.Conv2d(4, 6, (3, 2), padding=(2, 1), dilation=2, groups=2,
                                                               bias=False), (2, 4, 7, 6)),
    ("Conv2d_depthwise_stride2", lambda fw: fw.nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4), (2, 4, 7, 7)),
    ("Conv2d_reflect", lambda fw: fw.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), (2, 3, 6, 5)),
    ("Conv2d_replicate", lambda fw: fw.nn.Conv2d(3, 4, 3, padding=(2, 1), padding_mode="replicate"), (2, 3, 5, 5)),
    ("Conv2d_circular_stride2", lambda fw: fw.nn.Conv2d(3, 4, 3, stride=2, padding=1, padding_mode="circular"),
     (2, 3, 6, 6)),
    ("Conv2d_circular_same_even", lambda fw: fw.nn.Conv2d(2, 3, 2, padding="same", padding_mode="circular"),
     (1, 2, 5, 5)),
    ("Conv2d_unbatched", lambda fw: fw.nn.Conv2d(3, 4, 3, padding="same"), (3, 5, 5)),
    ("Conv3d", lambda fw: fw.nn.Conv3d(2, 3, 2, stride=(1, 2, 1), padding=1), (2, 2, 4, 5, 4)),
    ("Conv3d_replicate", lambda fw: fw.nn.Conv3d(2, 2, 3, padding=1, padding_mode="replicate"), (1, 2, 4, 4, 4)),
    ("ConvTranspose1d", lambda fw: fw.nn.ConvTranspose1d(3, 4, 3, stride=2, output_padding=1), (2, 3, 5)),
    ("ConvTranspose2d", lambda fw: fw.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 5)),
    ("ConvTranspose2d_dilation_nobias_unbatched", lambda fw: fw.nn.ConvTranspose2d(3, 2, 2, dilation=2, bias=False),
     (3, 4, 4)),
    ("ConvTranspose3d", lambda fw: fw.nn.ConvTranspose3d(2, 3, 2, stride=2), (1, 2, 3, 3, 2)),
    ("Conv1d_unbatched_circular", lambda fw: fw.nn.Conv1d(2, 3, 3, padding=2, dilation=2, padding_mode="circular"),
     (2, 7)),
    ("Conv3d_unbatched_groups", lambda fw: fw.nn.Conv3d(2, 4, 2, groups=2, bias=False), (2, 3, 3, 3)),
    ("ConvTranspose1d_unbatched_groups", lambda fw: fw.nn.ConvTranspose1d(4, 2, 3, groups=2, padding=1), (4, 5)),
    ("ConvTranspose3d_unbatched_outpad", lambda fw: fw.nn.ConvTranspose3d(2, 2, (1, 2, 2), stride=2, output_padding=1),
     (2, 2, 3, 2)),
]


@pytest.mark.parametrize("make,xshape", [c[1:] for c in MODULE_CASES], ids=[c[0] for c in MODULE_CASES])
def test_module_parity(make, xshape):
    check_module(make, xshape, modes=("train",))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_ConvTranspose_output_size(dims):
    mods = [getattr(fw.nn, f"ConvTranspose{dims}d")(2, 3, 3, stride=2, padding=1) for fw in (minitorch, torch)]
    mods[0].load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in mods[1].state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2) + (5,) * dims).astype(np.float32)
    outs = [m(fw.from_numpy(x), output_size=(1, 3) + (10,) * dims) for m, fw in zip(mods, (minitorch, torch))]
    assert tuple(outs[0].shape) == tuple(outs[1].shape) == (1, 3) + (10,) * dims
    np.testing.assert_allclose(outs[0].detach().numpy(), outs[1].detach().numpy(), rtol=1e-5, atol=1e-5)
    for m, fw in zip(mods, (minitorch, torch)):
        with pytest.raises(ValueError, match=r"requested an output size of \(12"):
            m(fw.from_numpy(x), output_size=(12,) * dims)


REPR_CASES = {
    "Conv1d": lambda fw: fw.nn.Conv1d(4, 6, 3),
    "Conv2d_all_options": lambda fw: fw.nn.Conv2d(4, 6, 3, padding="same", padding_mode="reflect", bias=False,
                                                  groups=2, dilation=2),
    "Conv3d_tuple": lambda fw: fw.nn.Conv3d(4, 6, (1, 2, 3), stride=(1, 2, 1), padding=(0, 1, 0)),
    "ConvTranspose2d": lambda fw: fw.nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1),
    "ConvTranspose1d_groups": lambda fw: fw.nn.ConvTranspose1d(4, 6, 3, groups=2, dilation=2, padding=1),
}


@pytest.mark.parametrize("make", list(REPR_CASES.values()), ids=list(REPR_CASES))
def test_repr_and_state_dict(make):
    m, t = make(minitorch), make(torch)
    assert repr(m) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in t.state_dict().items()]


@pytest.mark.parametrize("cls,args", [("Conv2d", (8, 64, 3)), ("ConvTranspose2d", (64, 8, 3)),
                                      ("Conv1d", (16, 32, 5, 1, 0, 1, 4))], ids=["Conv2d", "ConvTranspose2d", "Conv1d"])
def test_default_init_statistics(cls, args):
    m = getattr(nn, cls)(*args)
    fan_in = m.weight.shape[1] * math.prod(m.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)          # kaiming_uniform_(a=sqrt(5)) bound is 1/sqrt(fan_in), as is bias's
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert bound * 0.95 < np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound


# bad inputs -------------------------------------------------------------------------------------------------------
BAD_CALLS = [
    ("conv2d_2d_input", lambda fw, x, w: fw.nn.functional.conv2d(x[0, 0], w), r"Expected 3D \(unbatched\) or 4D "
     r"\(batched\) input to conv2d, but got input of size: \[5, 5\]"),
    ("conv2d_5d_input", lambda fw, x, w: fw.nn.functional.conv2d(x[None], w), r"input of size: \[1, 2, 4, 5, 5\]"),
    ("conv1d_channels", lambda fw, x, w: fw.nn.functional.conv1d(x[:, :2, 0], w[:, :, 0]),
     r"Given groups=1, weight of size \[6, 4, 3\], expected input\[2, 2, 5\] to have 4 channels, but got 2"),
    ("conv2d_channels", lambda fw, x, w: fw.nn.functional.conv2d(x, w[:, :3]),
     r"Given groups=1, weight of size \[6, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 3 channels, but got 4"),
    ("conv2d_groups_weight", lambda fw, x, w: fw.nn.functional.conv2d(x, w[:, :1], groups=4),
     r"Given groups=4, expected weight to be divisible by 4 at dimension 0, but got weight of size \[\[6, 1, 3, 3\]\]"),
    ("conv2d_bias_size", lambda fw, x, w: fw.nn.functional.conv2d(x, w, w[:5, 0, 0, 0]),
     r"expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\]"),
    ("conv2d_kernel_too_big", lambda fw, x, w: fw.nn.functional.conv2d(x[..., :2, :2], w),
     r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\)"),
    ("conv2d_bad_padding_string", lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding="foo"),
     "Invalid padding string: 'foo'"),
    ("conv2d_same_strided", lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    ("conv2d_stride0", lambda fw, x, w: fw.nn.functional.conv2d(x, w, stride=0), "non-positive stride"),
    ("conv2d_negative_padding", lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding=-1), "negative padding"),
    ("conv2d_dilation0", lambda fw, x, w: fw.nn.functional.conv2d(x, w, dilation=0), "non-positive dilation"),
    ("conv2d_groups0", lambda fw, x, w: fw.nn.functional.conv2d(x, w, groups=0), "non-positive groups"),
    ("conv2d_stride_length", lambda fw, x, w: fw.nn.functional.conv2d(x, w, stride=(1, 1, 1)),
     r"expected stride to be a single integer value or a list of 2 values .* but got stride=\[1, 1, 1\]"),
    ("conv2d_dtype_mismatch", lambda fw, x, w: fw.nn.functional.conv2d(x, w.double()),
     r"Input type \(\w+\.FloatTensor\) and weight type \(\w+\.DoubleTensor\) should be the same"),
    ("conv2d_bias_dtype", lambda fw, x, w: fw.nn.functional.conv2d(x, w, w[:, 0, 0, 0].double()),
     r"Input type \(float\) and bias type \(double\) should be the same"),
    ("conv_transpose2d_channels", lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w[:5, :3]),
     r"Given transposed=1, weight of size \[5, 3, 3, 3\], expected input\[2, 4, 5, 5\] to have 5 channels"),
    ("conv_transpose2d_output_padding", lambda fw, x, w: fw.nn.functional.conv_transpose2d(x, w[:4], output_padding=2),
     r"output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
     r"output_padding_width: 2 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1"),
    ("conv_transpose1d_output_padding", lambda fw, x, w: fw.nn.functional.conv_transpose1d(x[:, :, 0], w[:4, :, 0],
                                                                                            output_padding=2),
     r"output_padding_height: 0 output_padding_width: 2 stride_height: 1 stride_width: 1"),
    ("conv_transpose2d_1d_input", lambda fw, x, w: fw.nn.functional.conv_transpose2d(x[0, 0, 0], w),
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv_transpose2d, but got input of size: \[5\]"),
]


@pytest.mark.parametrize("fn,match", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_inputs_raise_like_torch(fn, match):
    rng = np.random.default_rng(0)
    assert_raises_like_torch(fn, rng.standard_normal((2, 4, 5, 5)).astype(np.float32),
                             rng.standard_normal((6, 4, 3, 3)).astype(np.float32), match=match)


BAD_MODULES = [
    ("groups_not_dividing_out", lambda fw: fw.nn.Conv2d(4, 6, 3, groups=4), "out_channels must be divisible by groups"),
    ("groups_not_dividing_in", lambda fw: fw.nn.Conv2d(3, 6, 3, groups=2), "in_channels must be divisible by groups"),
    ("groups0", lambda fw: fw.nn.Conv2d(4, 6, 3, groups=0), "groups must be a positive integer"),
    ("padding_mode", lambda fw: fw.nn.Conv2d(4, 6, 3, padding_mode="foo"),
     "padding_mode must be one of .* but got padding_mode='foo'"),
    ("padding_string", lambda fw: fw.nn.Conv1d(4, 6, 3, padding="foo"), "Invalid padding string 'foo', should be"),
    ("same_strided", lambda fw: fw.nn.Conv3d(4, 6, 3, padding="same", stride=2), "padding='same' is not supported"),
    ("transpose_padding_mode", lambda fw: fw.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    ("transpose_output_size_length", lambda fw: fw.nn.ConvTranspose2d(4, 6, 3)(fw.zeros(2, 4, 5, 5),
                                                                               output_size=[1, 7, 7]),
     r"ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements \(got 3\)"),
]


@pytest.mark.parametrize("fn,match", [c[1:] for c in BAD_MODULES], ids=[c[0] for c in BAD_MODULES])
def test_bad_module_arguments_raise_like_torch(fn, match):
    assert_raises_like_torch(fn, match=match)

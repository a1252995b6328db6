"""Parity of MobileNetV2, EfficientNet-B0, ConvNeXt-Tiny and their building blocks (``minitorch.vision.ops.misc``)
with torchvision, and of the U-Net with its torch twin (``parity/unet_twin.py``)."""
from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
import torchvision
import torchvision.ops as tv_ops
from hypothesis import given, settings, strategies as st

import minitorch
import minitorch.vision.models as mt_models
import minitorch.vision.ops as mt_ops
from parity.harness import assert_close
from parity.modules import check_module, copy_weights
from parity.unet_twin import unet as unet_twin


def _pair(tv_make, mt_make, dtype: str = "float32"):
    """Builds torch's model (seed 0) and minitorch's, checks the state_dict keys and copies torch's weights."""
    torch.manual_seed(0)
    th = tv_make().to(getattr(torch, dtype))
    mt = mt_make().to(getattr(minitorch, dtype))
    assert list(mt.state_dict()) == list(th.state_dict())
    copy_weights(th, mt)
    return th, mt


def _inputs(shape, dtype: str, seed: int = 0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return torch.tensor(x, requires_grad=True), minitorch.tensor(x, requires_grad=True)


def _compare_eval(th, mt, shape, dtype, rtol, atol):
    th.eval(), mt.eval()
    xt, xm = _inputs(shape, dtype)
    with torch.no_grad():
        expected = th(xt)
    with minitorch.no_grad():
        actual = mt(xm)
    assert_close(actual, expected, "eval logits", rtol, atol)


def _compare_train(th, mt, shape, dtype, rtol, atol):
    """One train-mode forward + backward: logits, input and parameter gradients, running statistics."""
    th.train(), mt.train()
    xt, xm = _inputs(shape, dtype)
    out_t, out_m = th(xt), mt(xm)
    assert_close(out_m, out_t, "train logits", rtol, atol)
    cot = np.random.default_rng(1).standard_normal(tuple(out_t.shape)).astype(dtype)
    (out_t * torch.tensor(cot)).sum().backward()
    (out_m * minitorch.tensor(cot)).sum().backward()
    assert_close(xm.grad, xt.grad, "input grad", rtol, atol)
    mt_params = dict(mt.named_parameters())
    for name, p in th.named_parameters():
        assert_close(mt_params[name].grad, p.grad, f"grad of {name}", rtol, atol)
    mt_buffers = dict(mt.named_buffers())
    for name, b in th.named_buffers():
        assert_close(mt_buffers[name], b, f"buffer {name}", rtol, atol)


# name -> (torchvision builder, minitorch builder, input shape); dropout/stochastic depth off for train-mode parity
# (their random masks come from different generators; stochastic_depth is tested on its own below).
MODELS = {
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=10, dropout=0.0),
                     lambda: mt_models.mobilenet_v2(num_classes=10, dropout=0.0), (2, 3, 64, 64)),
    "mobilenet_v2_width0.5": (lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.5, dropout=0.0),
                              lambda: mt_models.mobilenet_v2(num_classes=10, width_mult=0.5, dropout=0.0),
                              (2, 3, 32, 32)),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(num_classes=10, dropout=0.0,
                                                                   stochastic_depth_prob=0.0),
                        lambda: mt_models.efficientnet_b0(num_classes=10, dropout=0.0, stochastic_depth_prob=0.0),
                        (2, 3, 64, 64)),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(num_classes=10, stochastic_depth_prob=0.0),
                      lambda: mt_models.convnext_tiny(num_classes=10, stochastic_depth_prob=0.0), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_b0", "convnext_tiny"])
def test_default_model_keys_and_eval_logits(name):
    """The default builders (1000 classes, default dropout / stochastic depth) in eval mode, float32 rtol 1e-4."""
    th, mt = _pair(getattr(torchvision.models, name), getattr(mt_models, name))
    _compare_eval(th, mt, (2, 3, 32, 32), "float32", 1e-4, 1e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_model_eval_logits(name):
    tv_make, mt_make, shape = MODELS[name]
    th, mt = _pair(tv_make, mt_make)
    _compare_eval(th, mt, shape, "float32", 1e-4, 1e-5)


MODELS["convnext_2_stages"] = (
    lambda: torchvision.models.convnext.ConvNeXt([torchvision.models.convnext.CNBlockConfig(16, 32, 2),
                                                  torchvision.models.convnext.CNBlockConfig(32, None, 1)],
                                                 layer_scale=0.5, num_classes=10),
    lambda: mt_models.ConvNeXt([mt_models.CNBlockConfig(16, 32, 2), mt_models.CNBlockConfig(32, None, 1)],
                               layer_scale=0.5, num_classes=10), (2, 3, 32, 32))
FAST_GRAD = [n for n in MODELS if n != "convnext_tiny"]


@pytest.mark.parametrize("name", [*FAST_GRAD, pytest.param("convnext_tiny", marks=pytest.mark.slow)])
def test_model_train_grads(name):
    tv_make, mt_make, shape = MODELS[name]
    th, mt = _pair(tv_make, mt_make, "float64")
    _compare_train(th, mt, shape, "float64", 1e-7, 1e-9)


def _train_results(model, fw, dtype: str, shape, jitter_seed: int | None = None) -> dict:
    """Train-mode logits, input gradient and parameter gradients (for one fixed cotangent) as float64 arrays; with
    ``jitter_seed``, for the input scaled by 1 + 1e-7 * noise (float32 rounding noise)."""
    model.train()
    data = np.random.default_rng(0).standard_normal(shape)
    if jitter_seed is not None:
        data = data * (1 + 1e-7 * np.random.default_rng(jitter_seed).standard_normal(shape))
    x = fw.tensor(data.astype(dtype), requires_grad=True)
    out = model(x)
    cot = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
    (out * fw.tensor(cot)).sum().backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    return {k: np.asarray(v.detach().numpy(), dtype=np.float64) for k, v in
            {"logits": out, "input grad": x.grad, **grads}.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_model_train_grads_float32(name):
    """float32 train-mode gradients of deep BatchNorm networks on batch 2 are ill-conditioned (torch's own float32
    gradients differ from its float64 ones by ~1% of their scale), so minitorch's float32 results are compared with
    torch's float64 reference: their error must be at most a few times torch's float32 error. Some are chaotic, too:
    in MobileNetV2, torch's float32 error of one weight gradient measured 0.000, 0.021 or 0.32 (of a scale of 2.1)
    for inputs differing by 1e-7 relative (an activation on a ReLU6 edge), so torch's error is its largest over the
    input and three such jittered copies of it."""
    tv_make, mt_make, shape = MODELS[name]
    th32, mt32 = _pair(tv_make, mt_make)
    th64 = copy.deepcopy(th32).double()
    ref, mine = _train_results(th64, torch, "float64", shape), _train_results(mt32, minitorch, "float32", shape)
    theirs = [_train_results(copy.deepcopy(th32), torch, "float32", shape, seed) for seed in (None, 1, 2, 3)]
    for key, expected in ref.items():
        scale = max(1e-30, float(np.abs(expected).max()))
        err_mine = float(np.abs(mine[key] - expected).max())
        err_theirs = max(float(np.abs(t[key] - expected).max()) for t in theirs)
        assert err_mine <= 4 * err_theirs + 1e-5 * scale, (key, err_mine, err_theirs, scale)


def test_model_reprs_match_torchvision():
    for name in ("mobilenet_v2", "efficientnet_b0", "convnext_tiny"):
        assert repr(getattr(mt_models, name)()) == repr(getattr(torchvision.models, name)()), name


def _std(t) -> float:
    return float(np.asarray(t.detach().numpy(), dtype=np.float64).std())


def test_default_init_statistics():
    mob = mt_models.mobilenet_v2()
    conv = mob.features[1].conv[1]                                      # 1x1 projection conv, 16 x 32
    fan_out = conv.weight.shape[0] * conv.weight.shape[2] * conv.weight.shape[3]
    assert abs(_std(conv.weight) / np.sqrt(2.0 / fan_out) - 1) < 0.15      # kaiming_normal_, fan_out
    assert abs(_std(mob.classifier[1].weight) / 0.01 - 1) < 0.05
    assert float(mob.classifier[1].bias.abs().max()) == 0.0
    bn = mob.features[0][1]
    assert float((bn.weight - 1).abs().max()) == 0.0 and float(bn.bias.abs().max()) == 0.0
    eff = mt_models.efficientnet_b0()
    w = eff.classifier[1].weight.detach().numpy()
    bound = 1 / np.sqrt(1000)
    assert np.abs(w).max() <= bound and abs(w.std() / (bound / np.sqrt(3)) - 1) < 0.05   # uniform(-b, b)
    cnx = mt_models.convnext_tiny()
    w = cnx.classifier[2].weight.detach().numpy()
    assert abs(w.std() / 0.02 - 1) < 0.05       # trunc_normal_(std=0.02) cuts at +-2 (absolute, as torchvision's)
    assert float((cnx.features[1][0].layer_scale - 1e-6).abs().max()) < 1e-12
    assert float(cnx.features[1][0].block[0].bias.abs().max()) == 0.0


def test_stochastic_depth_schedules():
    eff = mt_models.efficientnet_b0()
    probs = [m.stochastic_depth.p for m in eff.modules() if isinstance(m, mt_models.MBConv)]
    expected = [m.stochastic_depth.p for m in torchvision.models.efficientnet_b0().modules()
                if isinstance(m, torchvision.models.efficientnet.MBConv)]
    assert probs == expected and len(probs) == 16
    cnx = [m.stochastic_depth.p for m in mt_models.convnext_tiny().modules() if isinstance(m, mt_models.CNBlock)]
    tv = [m.stochastic_depth.p for m in torchvision.models.convnext_tiny().modules()
          if isinstance(m, torchvision.models.convnext.CNBlock)]
    assert cnx == tv and cnx[-1] == pytest.approx(0.1)


@pytest.mark.parametrize("case", ["mobilenet_setting", "inverted_residual_stride", "efficientnet_empty",
                                  "efficientnet_type", "convnext_empty", "convnext_type", "mbconv_stride"])
def test_model_constructor_errors(case):
    """Bad constructor arguments raise torchvision's exception type with its message."""
    def build(fw):
        models = torchvision.models if fw is torch else mt_models
        return {
            "mobilenet_setting": lambda: models.MobileNetV2(inverted_residual_setting=[[1, 2]]),
            "inverted_residual_stride": lambda: models.mobilenetv2.InvertedResidual(8, 8, 3, 6),
            "efficientnet_empty": lambda: models.efficientnet.EfficientNet([], 0.2),
            "efficientnet_type": lambda: models.efficientnet.EfficientNet([1], 0.2),
            "convnext_empty": lambda: models.convnext.ConvNeXt([]),
            "convnext_type": lambda: models.convnext.ConvNeXt([1]),
            "mbconv_stride": lambda: models.efficientnet.MBConv(models.efficientnet.MBConvConfig(1, 3, 3, 16, 16, 1),
                                                                0.0, fw.nn.BatchNorm2d),
        }[case]()

    with pytest.raises((ValueError, TypeError)) as expected:
        build(torch)
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        build(minitorch)


def test_weights_argument(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"mobilenet_v2-7ebf99e0\.pth.*" + str(tmp_path)):
        mt_models.mobilenet_v2(weights="DEFAULT")
    with pytest.raises(RuntimeError, match=r"efficientnet_b0_rwightman-7f5810bc\.pth"):
        mt_models.efficientnet_b0(weights=mt_models.EfficientNet_B0_Weights.IMAGENET1K_V1)
    with pytest.raises(ValueError, match="num_classes"):
        mt_models.convnext_tiny(weights="DEFAULT", num_classes=10)
    # a checkpoint torchvision's model saved (as for the hub files) loads unchanged and gives torch's outputs
    torch.manual_seed(0)
    th = torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=5).eval()
    torch.save(th.state_dict(), tmp_path / "mnv2.pth")
    mt = mt_models.mobilenet_v2(weights=str(tmp_path / "mnv2.pth"), width_mult=0.25, num_classes=5).eval()
    xt, xm = _inputs((2, 3, 32, 32), "float32")
    assert_close(mt(xm), th(xt), "logits from a weights file", 1e-4, 1e-5)


# ---- building blocks (minitorch.vision.ops.misc) ----

def _fw_ops(fw):
    return tv_ops if fw is torch else mt_ops


# name -> (builder, input channels)
MISC_CASES = {
    "Conv2dNormActivation_default": (lambda fw: _fw_ops(fw).Conv2dNormActivation(3, 4), 3),
    "Conv2dNormActivation_k1_relu6": (lambda fw: _fw_ops(fw).Conv2dNormActivation(3, 4, kernel_size=1,
                                                                                activation_layer=fw.nn.ReLU6), 3),
    "Conv2dNormActivation_depthwise_stride2_silu": (lambda fw: _fw_ops(fw).Conv2dNormActivation(
        4, 4, stride=2, groups=4, activation_layer=fw.nn.SiLU), 4),
    "Conv2dNormActivation_no_norm": (lambda fw: _fw_ops(fw).Conv2dNormActivation(4, 6, norm_layer=None), 4),
    "Conv2dNormActivation_no_activation_dilation2": (lambda fw: _fw_ops(fw).Conv2dNormActivation(
        4, 6, dilation=2, activation_layer=None), 4),
    "Conv2dNormActivation_tuple_kernel_hardswish": (lambda fw: _fw_ops(fw).Conv2dNormActivation(
        4, 2, kernel_size=(3, 5), dilation=(1, 2), activation_layer=fw.nn.Hardswish, inplace=None, bias=True), 4),
    "SqueezeExcitation": (lambda fw: _fw_ops(fw).SqueezeExcitation(4, 2), 4),
    "SqueezeExcitation_silu_hardsigmoid": (lambda fw: _fw_ops(fw).SqueezeExcitation(
        4, 3, activation=fw.nn.SiLU, scale_activation=fw.nn.Hardsigmoid), 4),
}


@pytest.mark.parametrize("name", list(MISC_CASES))
def test_misc_module_parity(name):
    make, channels = MISC_CASES[name]
    check_module(make, (2, channels, 7, 6))
    assert repr(make(minitorch)) == repr(make(torch))


@pytest.mark.parametrize("name", ["LayerNorm2d", "CNBlock", "MBConv", "InvertedResidual", "InvertedResidual_stride2"])
def test_block_parity(name):
    """Single blocks of the models with check_module (float32/64, train/eval, input layouts)."""
    def make(fw):
        tv = fw is torch
        eff = torchvision.models.efficientnet if tv else mt_models.efficientnet
        return {
            "LayerNorm2d": lambda: (torchvision.models.convnext if tv else mt_models.convnext).LayerNorm2d(8, eps=1e-6),
            "CNBlock": lambda: (torchvision.models.convnext if tv else mt_models.convnext).CNBlock(8, 0.5, 0.0),
            "MBConv": lambda: eff.MBConv(eff.MBConvConfig(6, 5, 1, 8, 8, 1), 0.0, fw.nn.BatchNorm2d),
            "InvertedResidual": lambda: (torchvision.models.mobilenetv2 if tv else mt_models.mobilenetv2)
            .InvertedResidual(8, 8, 1, 6),
            "InvertedResidual_stride2": lambda: (torchvision.models.mobilenetv2 if tv else mt_models.mobilenetv2)
            .InvertedResidual(8, 16, 2, 1),
        }[name]()
    check_module(make, (2, 8, 7, 6), layouts=("contiguous", "noncontiguous"))


def test_permute_parity():
    check_module(lambda fw: _fw_ops(fw).Permute([0, 2, 3, 1]), (2, 3, 4, 5))


@pytest.mark.parametrize("mode", ["row", "batch"])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_stochastic_depth_eval_is_identity(mode, p):
    xt, xm = _inputs((3, 4, 5), "float32")
    assert_close(mt_ops.stochastic_depth(xm, p, mode, training=False),
                 tv_ops.stochastic_depth(xt, p, mode, training=False), "eval", 0.0, 0.0)
    module = mt_ops.StochasticDepth(p, mode).eval()
    assert_close(module(xm), xt, "eval module", 0.0, 0.0)
    assert repr(module) == repr(tv_ops.StochasticDepth(p, mode))
    assert_close(mt_ops.stochastic_depth(xm, 0.0, mode, training=True), xt, "p=0", 0.0, 0.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stochastic_depth_row_statistics_and_grad(dtype):
    """Train mode, ``row``: whole rows zeroed with probability p, kept rows scaled by 1/(1-p); the gradient is the
    same mask; the random numbers come from minitorch's generator (manual_seed reproduces them)."""
    p, n = 0.3, 4000
    x = minitorch.ones(n, 3, 2, dtype=getattr(minitorch, dtype), requires_grad=True)
    minitorch.manual_seed(0)
    out = mt_ops.stochastic_depth(x, p, "row", training=True)
    assert out.dtype == x.dtype
    y = out.detach().numpy()
    rows = y.reshape(n, -1)
    assert np.all((rows == 0).all(1) | np.isclose(rows, 1 / (1 - p)).all(1))       # a row is dropped whole
    frac = (rows[:, 0] == 0).mean()
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert abs(y.mean() - 1.0) < 0.05                                                 # unbiased
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y)
    minitorch.manual_seed(0)
    np.testing.assert_array_equal(mt_ops.stochastic_depth(x, p, "row").detach().numpy(), y)


def test_stochastic_depth_batch_statistics():
    p, trials = 0.4, 2000
    x = minitorch.ones(3, 4)
    minitorch.manual_seed(1)
    kept = []
    for _ in range(trials):
        y = mt_ops.stochastic_depth(x, p, "batch").numpy()
        assert np.all(y == 0) or np.allclose(y, 1 / (1 - p))                      # all or nothing
        kept.append(bool(y[0, 0] != 0))
    assert abs(1 - np.mean(kept) - p) < 4 * np.sqrt(p * (1 - p) / trials)
    assert float(mt_ops.stochastic_depth(x, 1.0, "row").abs().max()) == 0.0        # p = 1 drops everything


@pytest.mark.parametrize("p,mode", [(-0.1, "row"), (1.5, "batch"), (0.2, "col")], ids=["p<0", "p>1", "bad_mode"])
def test_stochastic_depth_errors(p, mode):
    with pytest.raises(ValueError) as expected:
        tv_ops.stochastic_depth(torch.ones(2, 3), p, mode)
    with pytest.raises(ValueError, match=str(expected.value)):
        mt_ops.stochastic_depth(minitorch.ones(2, 3), p, mode)


# ---- U-Net vs its torch twin ----

UNET_CASES = {"UNet_transposed": dict(in_channels=3, num_classes=2, base_channels=4, depth=3),
              "UNet_bilinear": dict(in_channels=1, num_classes=3, base_channels=4, depth=2, bilinear=True)}


def _unet(fw, **kw):
    return unet_twin(torch, **kw) if fw is torch else mt_models.UNet(**kw)


@pytest.mark.parametrize("name", list(UNET_CASES))
def test_unet_keys_match_twin(name):
    kw = UNET_CASES[name]
    keys = list(mt_models.UNet(**kw).state_dict())
    assert keys == list(unet_twin(torch, **kw).state_dict()) == list(unet_twin(minitorch, **kw).state_dict())
    assert list(mt_models.UNet().state_dict()) == list(unet_twin(torch).state_dict())   # the default 64/4 U-Net


@pytest.mark.parametrize("name", list(UNET_CASES))
def test_unet_parity(name):
    """Forward (train/eval), input and parameter gradients, running statistics; odd sizes exercise the padding."""
    kw = UNET_CASES[name]
    check_module(lambda fw: _unet(fw, **kw), (2, kw["in_channels"], 19, 13), layouts=("contiguous", "permuted"))


def test_unet_default_shapes_and_errors():
    net = mt_models.UNet(base_channels=8)
    assert tuple(net(minitorch.randn(1, 3, 33, 35)).shape) == (1, 1, 33, 35)
    with pytest.raises(ValueError, match="depth must be at least 1, but got 0"):
        mt_models.UNet(depth=0)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(h=st.integers(16, 24), w=st.integers(16, 24), depth=st.integers(1, 3), bilinear=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_unet_hypothesis(h, w, depth, bilinear, dtype):
    """Random input sizes (odd and even), depths and up-sampling modes against the torch twin, eval and train."""
    kw = dict(in_channels=2, num_classes=2, base_channels=2, depth=depth, bilinear=bilinear)
    th, mt = _pair(lambda: unet_twin(torch, **kw), lambda: mt_models.UNet(**kw), dtype)
    rtol, atol = (1e-4, 1e-5) if dtype == "float32" else (1e-9, 1e-10)
    _compare_eval(th, mt, (2, 2, h, w), dtype, rtol, atol)
    _compare_train(th, mt, (2, 2, h, w), dtype, rtol, atol)

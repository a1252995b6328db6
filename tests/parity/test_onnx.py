"""The ONNX parity path (parity/onnx.py): layers and small models exported from torch with ``torch.onnx.export``,
run in onnxruntime and compared with minitorch on the same weights and inputs; and every model of
minitorch.vision.models against its torch twin (torchvision's, or parity/'s for LeNet-5, TinyVGG and U-Net;
export and forward of the big ones take seconds: marked ``slow``)."""
import numpy as np
import pytest
import torch
import torchvision

import minitorch
from minitorch.vision import models
from parity.harness import ParityError, Spec
from parity.models import lenet5, tinyvgg
from parity.onnx import check_onnx, export_and_run
from parity.unet_twin import unet

pytest.importorskip("onnxruntime", reason="onnxruntime cannot be imported: the ONNX parity path is not run")


def mlp(fw):
    return fw.nn.Sequential(fw.nn.Linear(6, 16), fw.nn.ReLU(), fw.nn.Linear(16, 16), fw.nn.ReLU(),
                            fw.nn.Linear(16, 3))


def cnn(fw):
    return fw.nn.Sequential(fw.nn.Conv2d(3, 8, 3, padding=1), fw.nn.BatchNorm2d(8), fw.nn.ReLU(), fw.nn.MaxPool2d(2),
                            fw.nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), fw.nn.BatchNorm2d(16),
                            fw.nn.ReLU(), fw.nn.AdaptiveAvgPool2d((1, 1)), fw.nn.Flatten(), fw.nn.Linear(16, 5))


def randomized(make):
    """``make`` whose torch build (copied into minitorch's) has random BatchNorm running statistics and affine
    parameters and random ConvNeXt layer scales: with torchvision's initialisation MobileNetV2's eval-mode logits
    are ~1e-9 and ConvNeXt's blocks add ~1e-6 to their residual, too small for a comparison to see anything."""
    @torch.no_grad()
    def build(fw):
        model = make(fw)
        if fw is torch:
            for m in model.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    if m.affine:
                        m.weight.uniform_(0.5, 1.5)
                        m.bias.uniform_(-0.5, 0.5)
            for name, p in model.named_parameters():
                if name.endswith("layer_scale"):
                    p.uniform_(0.1, 0.5)
        return model
    return build


# (id, make, input shapes)
LAYER_CASES = [
    ("Linear_ReLU_MLP", mlp, [(4, 6)]),
    ("Conv2d_BatchNorm2d_ReLU_MaxPool2d_AdaptiveAvgPool2d_Flatten_Linear_CNN", randomized(cnn),
     [(2, 3, 16, 16)]),
    ("Conv2d_depthwise", lambda fw: fw.nn.Sequential(fw.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=4)),
     [(2, 4, 9, 9)]),
    ("Conv2d_depthwise_separable", lambda fw: fw.nn.Sequential(
        fw.nn.Conv2d(6, 6, 3, padding=1, groups=6, bias=False), fw.nn.BatchNorm2d(6), fw.nn.ReLU6(),
        fw.nn.Conv2d(6, 10, 1)), [(2, 6, 8, 8)]),
    ("Conv2d_dilation_padding_mode_reflect", lambda fw: fw.nn.Sequential(
        fw.nn.Conv2d(3, 4, 3, padding=2, dilation=2, padding_mode="reflect")), [(1, 3, 10, 10)]),
    ("ConvTranspose2d", lambda fw: fw.nn.Sequential(fw.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                                          output_padding=1)), [(2, 4, 5, 6)]),
    ("ConvTranspose2d_groups", lambda fw: fw.nn.Sequential(fw.nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2)),
     [(1, 4, 4, 4)]),
    ("LayerNorm", lambda fw: fw.nn.Sequential(fw.nn.Linear(8, 12), fw.nn.LayerNorm(12)), [(3, 5, 8)]),
    ("LayerNorm_channels", lambda fw: fw.nn.Sequential(fw.nn.LayerNorm([4, 6, 6])), [(2, 4, 6, 6)]),
    ("GELU", lambda fw: fw.nn.Sequential(fw.nn.Linear(5, 7), fw.nn.GELU()), [(4, 5)]),
    ("GELU_tanh", lambda fw: fw.nn.Sequential(fw.nn.Linear(5, 7), fw.nn.GELU(approximate="tanh")), [(4, 5)]),
    ("SiLU", lambda fw: fw.nn.Sequential(fw.nn.Linear(5, 7), fw.nn.SiLU()), [(4, 5)]),
    ("Hardswish", lambda fw: fw.nn.Sequential(fw.nn.Conv2d(3, 4, 1), fw.nn.Hardswish()), [(2, 3, 5, 5)]),
    ("Softmax", lambda fw: fw.nn.Sequential(fw.nn.Linear(5, 7), fw.nn.Softmax(dim=-1)), [(4, 5)]),
    ("Softmax_dim1", lambda fw: fw.nn.Sequential(fw.nn.Softmax(dim=1)), [(2, 4, 3, 3)]),
    ("Upsample_bilinear", lambda fw: fw.nn.Sequential(fw.nn.Upsample(scale_factor=2, mode="bilinear")),
     [(2, 3, 5, 4)]),
    ("Upsample_bilinear_align_corners", lambda fw: fw.nn.Sequential(
        fw.nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)), [(1, 2, 4, 5)]),
    ("Upsample_nearest", lambda fw: fw.nn.Sequential(fw.nn.Upsample(scale_factor=2)), [(1, 2, 3, 4)]),
    ("AvgPool2d", lambda fw: fw.nn.Sequential(fw.nn.AvgPool2d(2)), [(2, 3, 8, 8)]),
    ("AvgPool2d_stride_padding_no_count_pad", lambda fw: fw.nn.Sequential(
        fw.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)), [(2, 3, 9, 9)]),
    ("MaxPool2d_ceil_mode", lambda fw: fw.nn.Sequential(fw.nn.MaxPool2d(3, stride=2, ceil_mode=True)),
     [(1, 2, 8, 8)]),
]


@pytest.mark.parametrize("make, shapes", [c[1:] for c in LAYER_CASES], ids=[c[0] for c in LAYER_CASES])
def test_layers_match_onnxruntime(make, shapes):
    result = check_onnx(make, *shapes)
    assert result.cases == ["onnxruntime", "torch"]


def test_dynamo_exporter_matches():
    """torch's default exporter (torch.export-based, slower) gives the same comparison."""
    check_onnx(mlp, (4, 6), dynamo=True)


def test_falls_back_to_dynamo_exporter():
    """The TorchScript exporter cannot express adaptive pooling to a size that does not divide the input's (VGG's
    7x7 pooling of a small image): export_and_run then uses the torch.export-based one."""
    def make(fw):
        return fw.nn.Sequential(fw.nn.Conv2d(2, 3, 3), fw.nn.AdaptiveAvgPool2d((5, 3)))
    model = make(torch)
    with pytest.raises(torch.onnx.OnnxExporterError, match="adaptive_avg_pool2d"):
        export_and_run(model, torch.randn(1, 2, 5, 6), dynamo=False)
    check_onnx(make, (1, 2, 5, 6))


def test_opset():
    """An older opset (GELU decomposed into Erf, no LayerNormalization op) still matches."""
    check_onnx(lambda fw: fw.nn.Sequential(fw.nn.Linear(5, 6), fw.nn.GELU(), fw.nn.LayerNorm(6)), (3, 5), opset=13)


class TwoInTwoOut(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, x, y, unused):
        return self.linear(x) * y, x.sum()


def test_export_and_run_several_inputs_and_outputs():
    torch.manual_seed(0)
    model = TwoInTwoOut().train()
    x, y, unused = torch.randn(4, 3), torch.randn(4, 2), torch.randn(1)
    outs = export_and_run(model, (x, y, unused))
    assert model.training, "export_and_run must restore the module's mode"
    expected = model(x, y, unused)
    assert len(outs) == 2 and all(isinstance(o, np.ndarray) for o in outs)
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_export_and_run_single_tensor_in_eval_mode():
    """A lone tensor is accepted as the inputs; the export is of eval mode (Dropout off, running statistics)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.BatchNorm1d(3)).train()
    x = torch.randn(8, 3)
    (out,) = export_and_run(model, x)
    np.testing.assert_allclose(out, model.eval()(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_int_inputs():
    """Specs other than shapes pass through: an Embedding lookup on int64 indices."""
    check_onnx(lambda fw: fw.nn.Sequential(fw.nn.Embedding(10, 4), fw.nn.Linear(4, 2)),
               Spec((3, 5), kind="int", low=0, high=10, dtype="int64"))


def test_mismatch_is_reported():
    """A minitorch model computing something else fails, naming the reference and the worst element."""
    def make(fw):
        return fw.nn.Sequential(fw.nn.Linear(4, 3), fw.nn.ReLU() if fw is torch else fw.nn.Tanh())
    with pytest.raises(ParityError, match=r"vs onnxruntime\] output 0: \d+ of 6 elements differ; worst at \[\d, \d\]"):
        check_onnx(make, (2, 4))


def test_shape_mismatch_is_reported():
    def make(fw):
        return fw.nn.Sequential(fw.nn.Linear(4, 3), fw.nn.Flatten(0) if fw is minitorch else fw.nn.Identity())
    with pytest.raises(ParityError, match=r"vs onnxruntime\] output 0: shape \[6\] != torch's \[2, 3\]"):
        check_onnx(make, (2, 4))


def torchvision_twin(name, **kwargs):
    """``make`` for the builder ``name``: torchvision's in torch, minitorch.vision.models' in minitorch."""
    return lambda fw: getattr(torchvision.models if fw is torch else models, name)(weights=None, **kwargs)


def parity_twin(cls, torch_build, **kwargs):
    """``make`` for a model torchvision lacks: the model class in minitorch, its twin in parity/ in torch."""
    return lambda fw: torch_build(torch, **kwargs) if fw is torch else getattr(models, cls)(**kwargs)


SLOW = pytest.mark.slow
# (id, make, input shape, marks): every model of minitorch.vision.models against its torch twin (export and
# minitorch's forward of the big ones take seconds: slow)
MODEL_CASES = [
    ("resnet18", torchvision_twin("resnet18"), (1, 3, 64, 64), ()),
    ("resnet34", torchvision_twin("resnet34"), (1, 3, 64, 64), SLOW),
    ("resnet50", torchvision_twin("resnet50"), (1, 3, 64, 64), SLOW),
    # VGG's 7x7 adaptive pooling of a 32x32 image's 1x1 map needs the torch.export-based exporter (the fallback)
    ("vgg11", torchvision_twin("vgg11"), (1, 3, 32, 32), SLOW),
    ("vgg11_bn", torchvision_twin("vgg11_bn"), (1, 3, 32, 32), SLOW),
    ("vgg16", torchvision_twin("vgg16"), (1, 3, 32, 32), SLOW),
    ("vgg16_bn", torchvision_twin("vgg16_bn"), (1, 3, 32, 32), SLOW),
    ("mobilenet_v2", torchvision_twin("mobilenet_v2"), (1, 3, 64, 64), ()),
    ("efficientnet_b0", torchvision_twin("efficientnet_b0"), (1, 3, 64, 64), ()),
    ("convnext_tiny", torchvision_twin("convnext_tiny"), (1, 3, 64, 64), SLOW),
    ("LeNet5", parity_twin("LeNet5", lenet5), (2, 1, 28, 28), ()),
    ("LeNet5_avg_tanh_32x32", parity_twin("LeNet5", lenet5, pool="avg", activation="tanh", padding=0),
     (2, 1, 32, 32), ()),
    ("TinyVGG", parity_twin("TinyVGG", tinyvgg), (2, 3, 32, 32), ()),
    ("UNet_small_odd_size", parity_twin("UNet", unet, base_channels=8, depth=3), (1, 3, 21, 18), ()),
    ("UNet_small_bilinear", parity_twin("UNet", unet, base_channels=8, depth=2, bilinear=True), (1, 3, 16, 16), ()),
    ("UNet", parity_twin("UNet", unet), (1, 3, 64, 64), SLOW),
]


@pytest.mark.parametrize("make, shape", [pytest.param(*c[1:3], id=c[0], marks=c[3]) for c in MODEL_CASES])
def test_models_match_onnxruntime(make, shape):
    check_onnx(randomized(make), shape)


def test_every_model_is_covered():
    """Each torchvision builder minitorch.vision.models has, and each model torchvision lacks, has a case."""
    builders = set(dir(models)) & set(torchvision.models.list_models())
    assert builders | {"LeNet5", "TinyVGG", "UNet"} <= {c[0] for c in MODEL_CASES}

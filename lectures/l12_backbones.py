"""Modern backbones: BatchNorm, residual blocks, depthwise-separable blocks (MobileNet, EfficientNet), ConvNeXt.

What you will learn: what ``BatchNorm2d`` computes in training (batch statistics, running averages with an
unbiased variance) and in evaluation (the running statistics), and what it does to training: the same small CNN
with and without BatchNorm trained on real CIFAR-10 images in minitorch and torch from the same weights and
batches; the residual ``BasicBlock`` built by hand and proved equal to torchvision's, and why a skip connection
keeps the gradients of a deep stack alive (gradient norms per layer of plain and residual stacks, with and without
BatchNorm); ResNet-18 from ``torchvision.models`` loaded unchanged into ``minitorch.vision.models.resnet18`` (same
logits in eval mode, same parameter gradients in train mode); depthwise-separable convolutions and what they save
in parameters and multiply-adds (computed from the shapes, counted by the convolution itself, and timed);
MobileNetV2's inverted residual and EfficientNet-B0's MBConv with squeeze-excitation; the ConvNeXt block
(depthwise 7x7, LayerNorm, inverted bottleneck, layer scale) built by hand; a table of the four backbones
(parameters, multiply-adds, inference time in both frameworks). Deep dive: why BatchNorm tolerates large learning
rates (scale invariance), how the identity path carries the gradient, and why depthwise convolutions are slower
than their multiply-add count suggests on a CPU.

Prerequisites: lecture 05 (nn.Module, BatchNorm in train/eval), lecture 07 (the training loop) and lecture 11
(convolutions: kernels, stride, padding, groups, receptive fields).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import math
import time
from functools import cache
from pathlib import Path
from typing import Any, Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision

import minitorch
import minitorch.vision
from lectures.runtime import lecture, vision

TEACHES = ("BatchNorm (train vs eval, running statistics, its effect on training on real CIFAR-10), the residual "
           "BasicBlock and gradient flow in deep stacks, ResNet-18 parity with torchvision, depthwise-separable "
           "convolutions (parameters, multiply-adds, timing), MobileNetV2 inverted residual, EfficientNet MBConv "
           "with squeeze-excitation, the ConvNeXt block, a table of backbones")
lec = lecture("12")
torch.set_num_threads(1)          # a fair timing: both frameworks compute on one thread (NumPy's BLAS is set above)
FRAMEWORKS = (minitorch, torch)
RNG = np.random.default_rng(0)


def numpy_state(module) -> dict:
    """A module's ``state_dict`` as NumPy arrays (the common currency of the two frameworks)."""
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def load_numpy_state(fw, module, state: dict):
    """Loads a NumPy ``state_dict`` into ``module`` (strict: every key must match) and returns the module."""
    module.load_state_dict({k: fw.tensor(v) for k, v in state.items()})
    return module


def relative_error(a, b) -> float:
    """max |a - b| / max |b| of two tensors or arrays (either framework)."""
    a, b = (np.asarray(t.detach().numpy() if hasattr(t, "detach") else t) for t in (a, b))
    return float(np.abs(a - b).max() / max(float(np.abs(b).max()), 1e-30))


def best_seconds(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` calls of ``fn`` (the least disturbed by the other work on the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# %% [markdown]
# ## 1. The data: real CIFAR-10 images, read by both libraries
# `../shared/data/cifar10-jpeg` holds a CIFAR-10 subset as JPEG folders (`train/<class>/NNNN.jpg`: 1,000 training
# and 500 test images of 32 x 32 pixels per class). `ImageFolder` (minitorch.vision and torchvision) lists the
# files: the classes are the sorted sub-folders, `dataset[i]` decodes one image (a PIL RGB image) and returns it
# with its class index. Both libraries must list the same files with the same labels and decode the same pixels.
# The lecture takes the first images of every class (all of them in `--full`), stacks them once into a NumPy array
# and normalises every channel with CIFAR-10's mean and standard deviation; both frameworks then train on exactly
# these numbers.

# %%
CIFAR = Path(minitorch.vision.datasets.default_root()) / "cifar10-jpeg"
TRAIN_PER_CLASS, TEST_PER_CLASS = (40, 20) if lec.quick else (1000, 500)
CIFAR_MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32)
CIFAR_STD = np.array([0.2470, 0.2435, 0.2616], np.float32)

start = time.perf_counter()
FOLDERS = {fw: {split: vision(fw).datasets.ImageFolder(CIFAR / split) for split in ("train", "test")}
           for fw in FRAMEWORKS}


def first_per_class(dataset, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class`` images of each class: normalised float32 (N, 3, 32, 32) and int64 labels."""
    targets = np.array(dataset.targets)
    index = np.concatenate([np.flatnonzero(targets == c)[:per_class] for c in range(len(dataset.classes))])
    pixels = np.stack([np.asarray(dataset[i][0]) for i in index]).astype(np.float32) / 255
    return ((pixels - CIFAR_MEAN) / CIFAR_STD).transpose(0, 3, 1, 2).copy(), targets[index].astype(np.int64)


TRAIN_X, TRAIN_Y = first_per_class(FOLDERS[minitorch]["train"], TRAIN_PER_CLASS)
TEST_X, TEST_Y = first_per_class(FOLDERS[minitorch]["test"], TEST_PER_CLASS)
CLASSES = FOLDERS[minitorch]["train"].classes
lec.section("CIFAR-10 (JPEG folders) through ImageFolder",
            f"{len(FOLDERS[minitorch]['train'])} training and {len(FOLDERS[minitorch]['test'])} test files in "
            f"{len(CLASSES)} classes; the lecture uses the first {TRAIN_PER_CLASS} training and {TEST_PER_CLASS} test "
            f"images per class ({len(TRAIN_Y)} + {len(TEST_Y)}; listed and decoded in "
            f"{time.perf_counter() - start:.1f} s).")
for split in ("train", "test"):
    mine, theirs = FOLDERS[minitorch][split], FOLDERS[torch][split]
    lec.check(f"ImageFolder {split}: same classes and the same {len(mine)} (file, label) samples as torchvision",
              mine.classes == theirs.classes and [(str(p), c) for p, c in mine.samples]
              == [(str(p), c) for p, c in theirs.samples])
lec.compare("ImageFolder: decoded pixels + labels",
            lambda fw: [(fw.tensor(np.asarray(img)), label)
                        for img, label in (FOLDERS[fw]["test"][i] for i in (0, 777, 4999))], tol=0)


# %% [markdown]
# ## 2. BatchNorm: what it computes, and what it does to training
# `BatchNorm2d(C)` normalises every channel of a (N, C, H, W) input. In **training** mode it uses the statistics
# of the batch, over the N x H x W values of each channel: `y = (x - mean) / sqrt(var + eps) * weight + bias` with
# the *biased* variance (divided by n); and it updates two buffers, `running_mean` and `running_var`, as
# exponential moving averages `running = (1 - momentum) * running + momentum * batch_statistic` (momentum 0.1),
# where the running variance uses the *unbiased* batch variance (divided by n - 1). In **eval** mode it uses
# these buffers instead: every sample's output no longer depends on the rest of the batch, and the layer is a
# fixed per-channel affine map (which is why it can be folded into the preceding convolution for inference).
# `num_batches_tracked` counts the training batches (it is used only when `momentum=None`: a plain average).
#
# Checked below, in float64, against the formulas written in NumPy: two training batches, then eval.

# %%
def batchnorm_steps(fw, x1, x2, weight, bias):
    """Two train-mode batches through ``BatchNorm2d``, then eval mode on the first: outputs and buffers."""
    bn = fw.nn.BatchNorm2d(x1.shape[1]).double()
    with fw.no_grad():
        bn.weight.copy_(weight)
        bn.bias.copy_(bias)
    train_out = bn(x1)
    bn(x2)
    bn.eval()
    return train_out, bn.running_mean, bn.running_var, bn.num_batches_tracked, bn(x1)


BN_INPUTS = [RNG.normal(2.0, 3.0, (4, 3, 5, 5)), RNG.normal(-1.0, 0.5, (6, 3, 5, 5)), RNG.normal(1, 0.2, 3),
             RNG.normal(0, 1, 3)]
lec.section("BatchNorm2d in train and eval mode",
            "batch statistics (biased variance) in training, running averages (momentum 0.1, unbiased variance) "
            "updated per batch, running statistics in eval; both frameworks against the NumPy formulas, float64.")
bn_mt, bn_th = lec.compare("BatchNorm2d train/eval + buffers", batchnorm_steps, inputs=BN_INPUTS, grad=True,
                           tol=1e-10)


def batchnorm_by_hand(x1, x2, weight, bias, eps=1e-5, momentum=0.1):
    """The same two steps in NumPy: train output, running mean and variance, eval output."""
    per_channel = (0, 2, 3)
    shape = (1, -1, 1, 1)
    mean, var = x1.mean(per_channel), x1.var(per_channel)
    train_out = (x1 - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + \
        bias.reshape(shape)
    running_mean, running_var = np.zeros(3), np.ones(3)
    for x in (x1, x2):
        n = x.size // x.shape[1]
        running_mean = (1 - momentum) * running_mean + momentum * x.mean(per_channel)
        running_var = (1 - momentum) * running_var + momentum * x.var(per_channel) * n / (n - 1)
    eval_out = (x1 - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + eps) * \
        weight.reshape(shape) + bias.reshape(shape)
    return train_out, running_mean, running_var, eval_out


by_hand = batchnorm_by_hand(*BN_INPUTS)
for fw, result in ((minitorch, bn_mt), (torch, bn_th)):
    gaps = [relative_error(result[i], expected) for i, expected in zip((0, 1, 2, 4), by_hand)]
    lec.check(f"{fw.__name__}: BatchNorm2d == the NumPy formulas (train output, running mean, running var with "
              "n/(n-1), eval output); num_batches_tracked == 2", max(gaps) < 1e-12 and int(result[3]) == 2,
              "relative errors " + ", ".join(f"{g:.1e}" for g in gaps))

# %% [markdown]
# ### The same CNN with and without BatchNorm, trained in both frameworks
# A small CNN: three blocks `Conv2d 3x3 -> [BatchNorm2d] -> ReLU`, max-pooling after the first two, global
# average pooling after the third, and a linear classifier. With BatchNorm the convolutions have no bias (the
# normalisation subtracts the mean, which would cancel any bias; BatchNorm's own `bias` takes its place).
# Both versions start from torch's default initialisation (copied into minitorch), see the same batches in the
# same order (a NumPy permutation per epoch) and train with the same SGD settings; four runs in all.
# What to expect: BatchNorm keeps every layer's input at zero mean and unit variance whatever the weights do, so
# the gradient of the loss is well scaled from the first step; the plain network starts with activations that
# shrink from layer to layer (torch's default initialisation is not variance-preserving for ReLU): its loss stays
# at ln(10) = 2.30 for the first steps (all of quick mode's 8) and then falls more slowly. In `--full` (4 epochs
# of 10,000 images) the BatchNorm network ends at a training loss of 1.30 and 50% test accuracy, the plain one at
# 1.55 and 40-41%, in both frameworks.

# %%
WIDTHS = (8, 16, 32) if lec.quick else (16, 32, 64)
BATCH, EPOCHS = (50, 1) if lec.quick else (64, 4)
LR, MOMENTUM = 0.1, 0.9


def small_cnn(fw, batchnorm: bool):
    """Three (Conv2d 3x3 [+ BatchNorm2d] + ReLU) blocks of ``WIDTHS`` channels, pools, and a linear classifier."""
    nn, layers, channels = fw.nn, [], 3
    for i, width in enumerate(WIDTHS):
        layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not batchnorm))
        layers += [nn.BatchNorm2d(width)] if batchnorm else []
        layers += [nn.ReLU(), nn.MaxPool2d(2) if i < len(WIDTHS) - 1 else nn.AdaptiveAvgPool2d(1)]
        channels = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels, 10))


def initial_state(build: Callable[[Any], Any], seed: int = 0) -> dict:
    """The NumPy state of ``build(torch)`` freshly initialised with ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    return numpy_state(build(torch))


CNN_INIT = {bn: initial_state(lambda fw: small_cnn(fw, bn)) for bn in (False, True)}
BATCHES = [order[i:i + BATCH] for order in (RNG.permutation(len(TRAIN_Y)) for _ in range(EPOCHS))
           for i in range(0, len(TRAIN_Y) - BATCH + 1, BATCH)]


def accuracy(fw, model, x: np.ndarray, y: np.ndarray, batch: int = 500) -> float:
    """Accuracy of ``model`` in its current mode on (x, y), without a graph, in batches."""
    with fw.no_grad():
        right = sum((model(fw.tensor(x[i:i + batch])).argmax(1) == fw.tensor(y[i:i + batch])).sum().item()
                    for i in range(0, len(y), batch))
    return right / len(y)


STATS_STEP = 3                    # the running statistics are compared between the frameworks after this step


def running_statistics(fw, model) -> list:
    """The running means and variances of every BatchNorm2d of ``model``, in order."""
    return [t for m in model.modules() if isinstance(m, fw.nn.BatchNorm2d) for t in (m.running_mean, m.running_var)]


def train_cnn(fw, batchnorm: bool, lr: float = LR, steps: int = len(BATCHES)) -> dict:
    """SGD on the first ``steps`` of ``BATCHES`` from ``CNN_INIT``: per-step losses, seconds, the trained model (in
    eval mode) and copies of its running statistics after ``STATS_STEP`` steps."""
    model = load_numpy_state(fw, small_cnn(fw, batchnorm), CNN_INIT[batchnorm]).train()
    optimizer = fw.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    loss_fn = fw.nn.CrossEntropyLoss()
    x, y = fw.tensor(TRAIN_X), fw.tensor(TRAIN_Y)
    losses, early_stats, start = [], [], time.perf_counter()
    for step, index in enumerate(lec.progress(BATCHES[:steps], f"{fw.__name__} {'with' if batchnorm else 'without'} "
                                              f"BatchNorm, lr {lr}"), 1):
        index = fw.tensor(index)
        optimizer.zero_grad()
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step == STATS_STEP:
            early_stats = [t.clone() for t in running_statistics(fw, model)]
    return {"losses": np.array(losses), "seconds": time.perf_counter() - start, "model": model.eval(),
            "early_stats": early_stats}


lec.section("BatchNorm's effect on training: four runs on CIFAR-10",
            f"CNN with widths {WIDTHS}, with and without BatchNorm2d, SGD(lr={LR}, momentum={MOMENTUM}), batch "
            f"{BATCH}, {len(BATCHES)} steps ({EPOCHS} epoch(s) of {len(TRAIN_Y)} images), float32; the same initial "
            "weights and batch order on both frameworks.")
RUNS = {(fw, bn): train_cnn(fw, bn) for bn in (False, True) for fw in FRAMEWORKS}
for (fw, bn), run in RUNS.items():
    run["test_acc"] = accuracy(fw, run["model"], TEST_X, TEST_Y)
for bn in (False, True):
    mt, th = RUNS[minitorch, bn], RUNS[torch, bn]
    first = relative_error(mt["losses"][:5], th["losses"][:5])
    lec.check(f"{'with' if bn else 'without'} BatchNorm: the first 5 step losses agree between the frameworks "
              "(float32, 1e-4 relative)", first < 1e-4, f"{first:.1e}")
    lec.check(f"{'with' if bn else 'without'} BatchNorm: test accuracies of the two frameworks within 2 points",
              abs(mt["test_acc"] - th["test_acc"]) <= 0.02,
              f"minitorch {mt['test_acc'] * 100:.1f}%, torch {th['test_acc'] * 100:.1f}% on {len(TEST_Y)} images")
tail = max(1, len(BATCHES) // 4)
for fw in FRAMEWORKS:
    plain, normed = (RUNS[fw, bn]["losses"][-tail:].mean() for bn in (False, True))
    lec.check(f"{fw.__name__}: with BatchNorm the training loss of the last {tail} steps is lower", normed < plain,
              f"mean loss {normed:.3f} with vs {plain:.3f} without")
lec.note("\n".join(
    f"{fw.__name__:9} {'with' if bn else 'without':7} BatchNorm: loss {r['losses'][0]:.3f} -> "
    f"{r['losses'][-tail:].mean():.3f} (mean of the last {tail} steps), test accuracy {r['test_acc'] * 100:.1f}% "
    f"(eval mode), {r['seconds'] / len(BATCHES) * 1e3:.1f} ms per step"
    for (fw, bn), r in RUNS.items()))
if not lec.quick:
    for fw in FRAMEWORKS:
        plain, normed = (RUNS[fw, bn]["test_acc"] for bn in (False, True))
        lec.check(f"full mode, {fw.__name__}: the BatchNorm CNN reaches >= 45% test accuracy, >= 5 points more than "
                  "without BatchNorm", normed >= 0.45 and normed >= plain + 0.05,
                  f"{normed * 100:.1f}% vs {plain * 100:.1f}%")

fig, ax = plt.subplots(figsize=(8, 4))
window = max(1, len(BATCHES) // 25)
for (fw, bn), r in RUNS.items():
    smooth = np.convolve(r["losses"], np.ones(window) / window, mode="valid")
    ax.plot(np.arange(len(smooth)) + window, smooth, "-" if fw is minitorch else "--", color="C1" if bn else "C0",
            lw=2 if fw is minitorch else 1.2,
            label=f"{fw.__name__}, {'with' if bn else 'without'} BatchNorm (test {r['test_acc'] * 100:.0f}%)")
ax.axhline(math.log(10), color="gray", ls=":", lw=1)
ax.set(xlabel="step", ylabel=f"training loss (mean of {window} steps)",
       title=f"CNN {WIDTHS} on CIFAR-10, SGD lr={LR}: with and without BatchNorm")
ax.legend(fontsize=8)
lec.figure(fig, "batchnorm_training", "training loss of the four runs: minitorch (solid) and torch (dashed) lie on "
           "top of each other; dotted: ln(10), the loss of a uniform guess")

# %% [markdown]
# ### Train vs eval with the trained network
# The BatchNorm network's running statistics are what it uses at test time. After the same batches and the same
# updates they must be equal in both frameworks: compared after step 3 (to float32 rounding). At the end of a long
# run they differ more, like the weights themselves: the two float32 runs drift apart slowly (lecture 07).
# The test accuracy above is measured in eval mode, where each image's prediction depends on that image alone.
# In train mode the network normalises with the statistics of whatever batch it is given (and updates its running
# buffers with test data: the state is saved first and restored after). Two ways of batching the same test images
# show what that means: shuffled batches of 100, whose statistics resemble the training batches' (the accuracy is
# close to eval mode's; in `--full` even a few points higher, 54% vs 50%: with a constant learning rate of 0.1 the
# running averages lag behind weights that are still moving), and batches in the folder's order, where every batch
# holds a single class (in `--full`; a few classes in quick mode): normalising with the statistics of one class
# removes exactly the information that tells the classes apart, and the accuracy falls to chance (12%).

# %%
stats_gap = max(relative_error(a, b) for a, b in zip(RUNS[minitorch, True]["early_stats"],
                                                     RUNS[torch, True]["early_stats"]))
lec.check(f"BatchNorm CNN: running means and variances after {STATS_STEP} steps equal between the frameworks (1e-4 "
          "relative, float32)", stats_gap < 1e-4, f"{stats_gap:.1e}")
end_gap = max(relative_error(a, b) for a, b in zip(running_statistics(minitorch, RUNS[minitorch, True]["model"]),
                                                   running_statistics(torch, RUNS[torch, True]["model"])))
lec.note(f"running statistics after all {len(BATCHES)} steps: max relative difference {end_gap:.1e} between the "
         "frameworks (float32 drift of the whole training run, as for the weights).")
TEST_SHUFFLE = RNG.permutation(len(TEST_Y))


def eval_vs_train_mode(fw) -> tuple[float, float, float, bool]:
    """Test accuracy in eval mode, then with batch statistics (train mode) on shuffled and on class-sorted batches
    of 100; whether the train-mode passes changed the running buffers (restored after)."""
    model = RUNS[fw, True]["model"]
    saved = numpy_state(model)
    in_eval = accuracy(fw, model, TEST_X, TEST_Y)
    model.train()
    shuffled = accuracy(fw, model, TEST_X[TEST_SHUFFLE], TEST_Y[TEST_SHUFFLE], batch=100)
    sorted_batches = accuracy(fw, model, TEST_X, TEST_Y, batch=100)
    changed = relative_error(numpy_state(model)["1.running_mean"], saved["1.running_mean"]) > 0
    load_numpy_state(fw, model, saved).eval()
    return in_eval, shuffled, sorted_batches, changed


for fw in FRAMEWORKS:
    in_eval, shuffled, sorted_batches, changed = eval_vs_train_mode(fw)
    lec.check(f"{fw.__name__}: a train-mode pass over the test set changes the running statistics", changed,
              f"test accuracy {in_eval * 100:.1f}% in eval mode; with batch statistics {shuffled * 100:.1f}% on "
              f"shuffled batches of 100, {sorted_batches * 100:.1f}% on batches in folder (class) order")
    if not lec.quick:
        lec.check(f"full mode, {fw.__name__}: batch statistics of class-sorted batches ruin the predictions (>= 20 "
                  "points below eval mode)", sorted_batches <= in_eval - 0.2)


# %% [markdown]
# ## 3. The residual block
# ResNet's `BasicBlock` computes `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`: two 3x3 convolutions and a
# *skip connection* that adds the block's input to its output. When the block changes the resolution (stride 2)
# or the number of channels, the shortcut is a 1x1 convolution with the same stride followed by BatchNorm
# (`downsample`), so that the two tensors have the same shape. The block is written once below, for either
# framework, with torchvision's attribute names (`conv1`, `bn1`, `conv2`, `bn2`, `downsample`), so torchvision's
# `BasicBlock` weights load into it unchanged; `residual=False` removes the skip (a "plain" block) and
# `norm=False` replaces BatchNorm by the identity (and gives the convolutions a bias).

# %%
@cache
def basic_block_class(fw):
    """The ResNet BasicBlock written by hand for ``fw`` (torchvision's attribute names)."""
    nn = fw.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes: int, planes: int, stride: int = 1, residual: bool = True, norm: bool = True):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=1, bias=not norm)
            self.bn1 = nn.BatchNorm2d(planes) if norm else nn.Identity()
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=not norm)
            self.bn2 = nn.BatchNorm2d(planes) if norm else nn.Identity()
            self.residual = residual
            self.downsample = None
            if residual and (stride != 1 or inplanes != planes):
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                                nn.BatchNorm2d(planes))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            if self.residual:
                out = out + (x if self.downsample is None else self.downsample(x))
            return self.relu(out)

    return BasicBlock


def library_basic_block(fw, inplanes: int, planes: int, stride: int):
    """``vision(fw).models.resnet.BasicBlock`` with the shortcut ResNet builds when the shape changes."""
    resnet = vision(fw).models.resnet
    downsample = fw.nn.Sequential(resnet.conv1x1(inplanes, planes, stride), fw.nn.BatchNorm2d(planes))
    return resnet.BasicBlock(inplanes, planes, stride, downsample)


def module_parity(name: str, state: dict, build: Callable[[Any], Any], shape: tuple, tol: float = 1e-5,
                  seed: int = 1) -> tuple:
    """``build(fw)`` on both frameworks with the NumPy ``state`` loaded: train-mode output, the gradients of a
    fixed random projection of it w.r.t. the input and every parameter, then the eval-mode output; compared
    between the frameworks (a table row). The input and the projection come from ``seed``. Returns (minitorch
    result, torch result)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(np.float32)
    projection = {}

    def run(fw):
        module = load_numpy_state(fw, build(fw), state).train()
        xt = fw.tensor(x, requires_grad=True)
        out = module(xt)
        projection.setdefault("w", rng.normal(size=tuple(out.shape)).astype(np.float32))
        (out * fw.tensor(projection["w"])).sum().backward()    # not out.sum(): BatchNorm makes its gradient ~0
        module.eval()
        with fw.no_grad():
            evaluated = module(fw.tensor(x))
        return out, xt.grad, [p.grad for p in module.parameters()], evaluated

    return lec.compare(name, run, tol=tol)


lec.section("The residual block, by hand and from the libraries",
            "torchvision's BasicBlock(16 -> 32, stride 2, 1x1 downsample) initialised by torch; its state_dict "
            "loaded into the hand-written block (both frameworks) and into minitorch.vision's BasicBlock; train-mode "
            "output and gradients, eval-mode output.")
BLOCK_STATE = initial_state(lambda fw: library_basic_block(fw, 16, 32, 2))
by_library = module_parity("BasicBlock: torchvision vs minitorch", BLOCK_STATE,
                           lambda fw: library_basic_block(fw, 16, 32, 2), (4, 16, 8, 8))
by_hand_block = module_parity("BasicBlock by hand (both frameworks)", BLOCK_STATE,
                              lambda fw: basic_block_class(fw)(16, 32, 2), (4, 16, 8, 8))


def result_tensors(result: tuple) -> list:
    """The tensors of a ``module_parity`` result: output, input gradient, parameter gradients, eval output."""
    out, input_grad, grads, evaluated = result
    return [out, input_grad, *grads, evaluated]


hand_gap = max(relative_error(a, b) for a, b in zip(result_tensors(by_hand_block[1]), result_tensors(by_library[1])))
lec.check("torch: the hand-written BasicBlock == torchvision.models.resnet.BasicBlock (output, gradients, eval "
          "output)", hand_gap == 0.0, f"max relative difference {hand_gap:.1e}")

# %% [markdown]
# ### Gradient flow: plain stacks vs residual stacks
# Why the skip connection? Take 16 blocks (32 convolutional layers) after a 4x4 stride-4 stem (32 x 32 images
# become 8 x 8 maps of 16 channels), on a batch of CIFAR images, and look at the gradient of the loss with respect
# to each convolution's weight, at initialisation. Four versions: plain or residual, with or without BatchNorm.
# The derivative of a residual block is `d(x + F(x))/dx = I + dF/dx`: the identity term carries the gradient from
# the loss to every block unchanged, whatever the blocks do. A plain stack multiplies 32 Jacobians; if each shrinks
# the signal (as torch's default initialisation does for a ReLU network: its weights have variance 1/(3 fan_in),
# not 2/fan_in), the product vanishes geometrically. BatchNorm rescales the forward signal, but in a plain stack the
# gradients then grow towards the input instead (each BatchNorm divides by a small batch standard deviation on the
# way back). The experiment runs in float64: in the plain stack without BatchNorm, the input-dependent part of the
# activations becomes so small next to the biases that float32 would keep only a few of its digits.

# %%
DEPTH = 16
FLOW_BATCH = 8 if lec.quick else 64
FLOW_CONFIGS = [(False, False), (False, True), (True, False), (True, True)]     # (residual, norm)


def deep_stack(fw, residual: bool, norm: bool):
    """A 4x4 stride-4 stem (3 -> 16 channels), ``DEPTH`` blocks of 16 channels, global pooling, a classifier."""
    nn = fw.nn
    block = basic_block_class(fw)
    return nn.Sequential(nn.Conv2d(3, 16, 4, 4), nn.ReLU(),
                         *[block(16, 16, 1, residual, norm) for _ in range(DEPTH)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


FLOW_STATES = [initial_state(lambda fw: deep_stack(fw, residual, norm)) for residual, norm in FLOW_CONFIGS]


def gradient_norms(fw) -> list:
    """log10 of the gradient norm of every block convolution's weight, for each configuration (input to output);
    float64."""
    x, y = fw.tensor(TRAIN_X[:FLOW_BATCH].astype(np.float64)), fw.tensor(TRAIN_Y[:FLOW_BATCH])
    result = []
    for (residual, norm), state in zip(FLOW_CONFIGS, FLOW_STATES):
        model = load_numpy_state(fw, deep_stack(fw, residual, norm).double(), state)
        fw.nn.functional.cross_entropy(model(x), y).backward()
        convs = [conv for block in model[2:2 + DEPTH] for conv in (block.conv1, block.conv2)]
        result.append(fw.stack([conv.weight.grad.norm() for conv in convs]).log10())
    return result


lec.section("Gradient flow through 32 layers: plain vs residual, with and without BatchNorm",
            f"{DEPTH} blocks of two 3x3 convolutions (16 channels, 8 x 8 after the stem), a batch of "
            f"{FLOW_BATCH} CIFAR images, torch's default initialisation copied into minitorch, float64; log10 of each "
            "convolution's weight-gradient norm, compared between the frameworks.")
FLOW = dict(zip(FRAMEWORKS, lec.compare("gradient norms per layer (log10)", gradient_norms, tol=1e-8)))
fig, ax = plt.subplots(figsize=(8, 4))
for i, (residual, norm) in enumerate(FLOW_CONFIGS):
    label = f"{'residual' if residual else 'plain'}, {'with' if norm else 'without'} BatchNorm"
    for fw, style in ((minitorch, "o-"), (torch, "x--")):
        ax.plot(np.arange(1, 2 * DEPTH + 1), FLOW[fw][i].numpy(), style, color=f"C{i}", ms=3,
                lw=1.5 if fw is minitorch else 0.8, label=f"{label} ({fw.__name__})")
ax.set(xlabel="convolution (1 = nearest the input)", ylabel="log10 || dL/dW ||",
       title=f"gradient norm per layer at initialisation, {2 * DEPTH} conv layers")
ax.legend(fontsize=7, ncol=2)
lec.figure(fig, "gradient_flow", "weight-gradient norm of each convolution of the four 32-layer stacks; minitorch "
           "(o, solid) and torch (x, dashed) coincide")
spread = {cfg: (10 ** float(FLOW[minitorch][i][0] - FLOW[minitorch][i][-1])) for i, cfg in enumerate(FLOW_CONFIGS)}
lec.note("gradient norm of the first conv layer / the last one: " + "; ".join(
    f"{'residual' if r else 'plain'} {'+BN' if n else 'no BN'}: {spread[r, n]:.2g}" for r, n in FLOW_CONFIGS))
lec.check("plain stack without BatchNorm: the first layer's gradient is > 1e6 times smaller than the last's "
          "(vanishing); residual stacks keep the ratio within 100 (minitorch)",
          spread[False, False] < 1e-6 and all(0.01 < spread[True, n] < 100 for n in (False, True)))


# %% [markdown]
# ## 4. ResNet-18: torchvision's model, loaded unchanged into minitorch
# `torchvision.models.resnet18()` (random initialisation: Kaiming-normal convolutions, BatchNorm weight 1 and bias
# 0) and `minitorch.vision.models.resnet18()` have the same module tree, so the same `state_dict` keys: torch's
# tensors go in as they are (strict loading, nothing renamed or reshaped). In eval mode, the logits must agree to
# 1e-4 relative. In train mode (batch statistics) the lecture compares the gradient of a cross-entropy loss with
# respect to each of the 62 parameter tensors, and the running statistics that the forward pass updated, in
# float64: there the two frameworks must agree to ~1e-10. Why not float32? At 224 x 224, some of these gradients
# are ill-conditioned at initialisation: they are small sums of many large terms of both signs (BatchNorm's
# backward subtracts the mean of the incoming gradient), so float32 rounding, which depends on each library's order
# of summation, can change them by up to a few percent. How much depends on the input and on the library: `--full`
# measures the float32 gradients of both frameworks against the float64 ones (in one run while this lecture was
# written, on a different input, both were off by up to 10% on a few tensors; in the lecture's own run, torch by
# 3e-2 and minitorch by 6e-6). The float64 comparison is the test of correctness; float32 agreement at this size
# would be luck.

# %%
RESNET_SIZE = 64 if lec.quick else 224
torch.manual_seed(0)
BACKBONES = {torch: {"ResNet-18": torchvision.models.resnet18()},
             minitorch: {"ResNet-18": minitorch.vision.models.resnet18()}}
RESNET_STATE = numpy_state(BACKBONES[torch]["ResNet-18"])
load_numpy_state(minitorch, BACKBONES[minitorch]["ResNet-18"], RESNET_STATE)
lec.section("ResNet-18: torchvision's state_dict in minitorch.vision.models.resnet18",
            f"random-initialised torchvision ResNet-18 ({len(RESNET_STATE)} state_dict entries), batch 2 of "
            f"3 x {RESNET_SIZE} x {RESNET_SIZE}; eval-mode logits (float32), then train-mode loss, parameter "
            "gradients and updated running statistics (float64).")
lec.check("the two state_dicts have the same keys, in the same order, with the same shapes",
          [(k, tuple(v.shape)) for k, v in BACKBONES[minitorch]["ResNet-18"].state_dict().items()]
          == [(k, v.shape) for k, v in RESNET_STATE.items()])
RESNET_X = RNG.normal(size=(2, 3, RESNET_SIZE, RESNET_SIZE)).astype(np.float32)
RESNET_Y = np.array([3, 517])


def resnet_eval(fw):
    model = BACKBONES[fw]["ResNet-18"].eval()
    with fw.no_grad():
        return model(fw.tensor(RESNET_X))


RESNET_GRADS = {}


def resnet_train(fw, dtype: str = "float64") -> tuple:
    """Train-mode loss and backward in ``dtype``; keeps every parameter gradient (as NumPy) in
    ``RESNET_GRADS[fw, dtype]`` and returns the loss, the gradients of the first and the last layer and the updated
    running statistics (the table row). The model goes back to float32 (float32 -> float64 -> float32 is exact);
    its running statistics keep this batch's update, the same in both frameworks."""
    model = BACKBONES[fw]["ResNet-18"].to(getattr(fw, dtype)).train()
    loss = fw.nn.functional.cross_entropy(model(fw.tensor(RESNET_X.astype(dtype))), fw.tensor(RESNET_Y))
    loss.backward()
    RESNET_GRADS[fw, dtype] = [p.grad.numpy() for p in model.parameters()]    # kept alive: zero_grad sets None
    row = (loss.detach(), model.conv1.weight.grad.clone(), model.fc.weight.grad.clone(),
           [b.clone() for name, b in model.named_buffers() if "running" in name])
    model.zero_grad()
    model.float()
    return row


logits = lec.compare("ResNet-18 eval logits", resnet_eval, tol=1e-4)
logit_gap = relative_error(*logits)
lec.check("ResNet-18 eval logits within 1e-4 relative (max |diff| / max |logit|)", logit_gap < 1e-4,
          f"{logit_gap:.1e}, logits up to {float(logits[1].abs().max()):.2f}")
train_mt, train_th = lec.compare("ResNet-18 train f64: loss, grads, stats", resnet_train, tol=1e-10)
names = [name for name, _ in BACKBONES[torch]["ResNet-18"].named_parameters()]


def worst_gradient(grads, reference) -> tuple[float, str]:
    """The largest relative difference (each gradient to its own scale) and the parameter it occurs in."""
    gaps = [relative_error(a, b) for a, b in zip(grads, reference)]
    return max(gaps), names[int(np.argmax(gaps))]


gap, where = worst_gradient(RESNET_GRADS[minitorch, "float64"], RESNET_GRADS[torch, "float64"])
lec.check(f"ResNet-18 train mode, float64: all {len(names)} parameter gradients within 1e-10 relative (each to its "
          "own scale)", gap < 1e-10, f"worst {gap:.1e} ({where})")
lec.check("ResNet-18 train mode, float64: updated running statistics within 1e-10 relative",
          max(relative_error(a, b) for a, b in zip(train_mt[3], train_th[3])) < 1e-10)
if not lec.quick:
    for fw in FRAMEWORKS:
        resnet_train(fw, "float32")
    pairs = {f"{fw.__name__} float32 vs torch float64": (RESNET_GRADS[fw, "float32"], RESNET_GRADS[torch, "float64"])
             for fw in FRAMEWORKS}
    pairs["minitorch vs torch, both float32"] = (RESNET_GRADS[minitorch, "float32"], RESNET_GRADS[torch, "float32"])
    lec.note(f"train-mode gradients at {RESNET_SIZE} x {RESNET_SIZE}, worst relative difference: " + "; ".join(
        "{}: {:.1e} ({})".format(label, *worst_gradient(*pair)) for label, pair in pairs.items()) +
        ". The float32 errors come from the conditioning of these gradients and the order of summation, not from a "
        "different computation (in float64 the frameworks agree to ~1e-14).")


# %% [markdown]
# ## 5. Depthwise-separable convolutions
# A standard k x k convolution from C_in to C_out channels mixes space and channels at once: C_out x C_in x k x k
# weights, and as many multiply-adds per output pixel. A **depthwise-separable** convolution splits it in two: a
# *depthwise* k x k convolution (`groups=C_in`: each channel filtered on its own, C_in x k x k weights) followed by
# a *pointwise* 1x1 convolution that mixes the channels (C_out x C_in weights). Per output pixel that is
# C_in * k^2 + C_in * C_out multiply-adds instead of C_in * C_out * k^2: a ratio of 1/C_out + 1/k^2, about 8-9
# times fewer for 3x3 kernels and many channels (MobileNet's building block).
#
# The table computes parameters and multiply-adds (MACs) from the shapes, and cross-checks them twice on both
# frameworks: the parameters by counting the modules' `numel()`, the MACs by letting each convolution count its
# own products: with every weight set to 1 and an input of ones (padded with ones), each output value *is* the
# number of multiply-adds that produced it, and their sum is the layer's MAC count. Then both versions are timed
# (forward, batch 1, float32, one thread) on both frameworks.

# %%
DW_SIZE = 16 if lec.quick else 28
DW_CHANNELS = (16, 64, 256) if lec.quick else (16, 32, 64, 128, 256, 512)
KERNEL = 3


def standard_conv(fw, channels: int):
    return fw.nn.Conv2d(channels, channels, KERNEL, padding=KERNEL // 2, bias=False)


def separable_conv(fw, channels: int):
    """Depthwise k x k (``groups=channels``) then pointwise 1x1."""
    return fw.nn.Sequential(fw.nn.Conv2d(channels, channels, KERNEL, padding=KERNEL // 2, groups=channels, bias=False),
                            fw.nn.Conv2d(channels, channels, 1, bias=False))


def macs_from_shapes(channels: int, separable: bool, size: int = DW_SIZE) -> int:
    per_pixel = channels * KERNEL ** 2 + channels * channels if separable else channels * channels * KERNEL ** 2
    return per_pixel * size * size


def counted_macs(fw, module, channels: int, size: int = DW_SIZE) -> int:
    """Multiply-adds counted by the convolutions themselves: weights of ones on an input of ones (padded with
    ones), in float64; each output value is the number of products summed into it."""
    F, total = fw.nn.functional, 0
    x = fw.ones(1, channels, size, size, dtype=fw.float64)
    for conv in (m for m in module.modules() if isinstance(m, fw.nn.Conv2d)):
        padded = F.pad(x, [conv.padding[0]] * 4, value=1.0)
        counts = F.conv2d(padded, fw.ones(conv.weight.shape, dtype=fw.float64), stride=conv.stride,
                          groups=conv.groups)
        total += int(counts.sum().item())
        x = fw.ones(counts.shape, dtype=fw.float64)
    return total


DW_COLUMNS = ("standard params", "standard MACs", "standard s", "separable params", "separable MACs",
              "depthwise s", "pointwise s")


def depthwise_table(fw) -> list[dict]:
    """Per channel count, a row with the ``DW_COLUMNS``: parameters (numel), MACs (counted) and forward seconds
    (best of a few runs, batch 1) of the standard conv, and of the separable conv with its two layers timed apart."""
    rows = []
    for channels in DW_CHANNELS:
        x = fw.tensor(RNG.normal(size=(1, channels, DW_SIZE, DW_SIZE)).astype(np.float32))
        standard, separable = standard_conv(fw, channels), separable_conv(fw, channels)
        repeat = 2 if lec.quick else 7
        with fw.no_grad():
            timings = [best_seconds(lambda: layer(x), repeat) for layer in (standard, separable[0], separable[1])]
        rows.append(dict(zip(DW_COLUMNS, (
            sum(p.numel() for p in standard.parameters()), counted_macs(fw, standard, channels), timings[0],
            sum(p.numel() for p in separable.parameters()), counted_macs(fw, separable, channels), *timings[1:]))))
    return rows


lec.section("Depthwise-separable convolution: parameters, multiply-adds, time",
            f"3x3 convolution C -> C at {DW_SIZE} x {DW_SIZE}, standard vs depthwise + pointwise, for C in "
            f"{DW_CHANNELS}: shapes, counting and timing (forward, batch 1, one thread) on both frameworks.")
TABLE = {fw: depthwise_table(fw) for fw in FRAMEWORKS}
for fw in FRAMEWORKS:
    expected = [[c * c * KERNEL ** 2, macs_from_shapes(c, False), c * KERNEL ** 2 + c * c, macs_from_shapes(c, True)]
                for c in DW_CHANNELS]
    lec.check(f"{fw.__name__}: parameters (numel) and MACs (counted by the convolution) == the shape formulas",
              [[r["standard params"], r["standard MACs"], r["separable params"], r["separable MACs"]]
               for r in TABLE[fw]] == expected,
              f"C = {DW_CHANNELS[-1]}: {expected[-1][0]:,} vs {expected[-1][2]:,} parameters")
module_parity("depthwise-separable conv, C=32", initial_state(lambda fw: separable_conv(fw, 32)),
              lambda fw: separable_conv(fw, 32), (2, 32, 12, 12))


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def separable_seconds(row: dict) -> float:
    return row["depthwise s"] + row["pointwise s"]


lines = ["| C | params std | params sep | ratio | MACs std | MACs sep | ratio | 1/C + 1/9 | "
         "ms std (minitorch / torch) | ms sep (minitorch / torch) | time ratio sep/std (minitorch / torch) |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for c, mt_row, th_row in zip(DW_CHANNELS, TABLE[minitorch], TABLE[torch]):
    std_params, std_macs, sep_params, sep_macs = (mt_row[k] for k in ("standard params", "standard MACs",
                                                                       "separable params", "separable MACs"))
    std_time = [row["standard s"] for row in (mt_row, th_row)]
    sep_time = [separable_seconds(row) for row in (mt_row, th_row)]
    lines.append(f"| {c} | {std_params:,} | {sep_params:,} | {sep_params / std_params:.3f} | {std_macs / 1e6:.2f} M | "
                 f"{sep_macs / 1e6:.2f} M | {sep_macs / std_macs:.3f} | {1 / c + 1 / KERNEL ** 2:.3f} | "
                 f"{ms(std_time[0])} / {ms(std_time[1])} | {ms(sep_time[0])} / {ms(sep_time[1])} | "
                 f"{sep_time[0] / std_time[0]:.2f} / {sep_time[1] / std_time[1]:.2f} |")
lec.note("\n".join(lines))


def gmacs_per_second(fw) -> np.ndarray:
    """Achieved GMAC/s of the standard, depthwise and pointwise convolutions (rows: channel counts)."""
    pixels = DW_SIZE ** 2
    return np.array([[c * c * KERNEL ** 2 * pixels / row["standard s"], c * KERNEL ** 2 * pixels / row["depthwise s"],
                      c * c * pixels / row["pointwise s"]] for c, row in zip(DW_CHANNELS, TABLE[fw])]) / 1e9


RATES = {fw: gmacs_per_second(fw) for fw in FRAMEWORKS}
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
positions = np.arange(len(DW_CHANNELS))
mac_ratio = [r["separable MACs"] / r["standard MACs"] for r in TABLE[minitorch]]
bars = {"multiply-adds": mac_ratio,
        **{f"time, {fw.__name__}": [separable_seconds(r) / r["standard s"] for r in TABLE[fw]] for fw in FRAMEWORKS}}
for i, (label, values) in enumerate(bars.items()):
    axes[0].bar(positions + 0.27 * (i - 1), values, 0.27, label=label, color=("k", "C0", "C1")[i])
axes[0].axhline(1, color="gray", lw=0.8, ls=":")
axes[0].set(xlabel="channels C", ylabel="separable / standard",
            title=f"depthwise-separable vs standard 3x3 conv, {DW_SIZE}x{DW_SIZE}, batch 1")
for i, kind in enumerate(("standard 3x3", "depthwise 3x3", "pointwise 1x1")):
    for fw, style in ((minitorch, "-"), (torch, "--")):
        axes[1].plot(positions, RATES[fw][:, i], style, marker="os^"[i], color=f"C{i}",
                     label=f"{kind}, {fw.__name__}")
axes[1].set(xlabel="channels C", ylabel="GMAC/s (one thread)", title="achieved multiply-add rate per layer type")
for ax in axes:
    ax.set_xticks(positions, [str(c) for c in DW_CHANNELS])
    ax.legend(fontsize=7)
lec.figure(fig, "depthwise_separable", "left: separable / standard ratio of multiply-adds and of measured forward time "
           "(both frameworks); right: the multiply-add rate each kind of layer achieves")
lec.check("the separable conv needs fewer MACs at every C, 1/C + 1/9 of the standard's",
          all(abs(r - (1 / c + 1 / KERNEL ** 2)) < 1e-12 for r, c in zip(mac_ratio, DW_CHANNELS)))

# %% [markdown]
# ### MobileNetV2's inverted residual and EfficientNet-B0's MBConv
# MobileNetV2 (2018) builds its network from **inverted residuals**: a 1x1 convolution *expands* the channels
# (factor t = 6), a depthwise 3x3 filters each of them, and a 1x1 convolution *projects* back to few channels,
# *without* an activation after it (a "linear bottleneck": a ReLU in a low-dimensional space would destroy
# information). The skip connection joins the thin ends (the opposite of ResNet's bottleneck, hence "inverted"),
# and exists only when stride is 1 and the channels do not change. Activations are ReLU6.
# EfficientNet-B0 (2019) uses the same **MBConv** block with SiLU activations, 3x3 or 5x5 depthwise kernels, and
# a **squeeze-excitation** (SE) module after the depthwise convolution: global average pooling squeezes each
# channel to one number, two 1x1 convolutions (a bottleneck of C_in / 4 channels) and a sigmoid turn these into one
# weight in (0, 1) per channel, and the feature map is multiplied by them: the block re-weights its channels from
# global context. (Its residual branch also has *stochastic depth*: in training, the whole branch of a sample is
# dropped with a probability that grows with depth; 0 here, so that the comparison is deterministic.)
#
# The blocks from `minitorch.vision.models` and from `torchvision.models`, with torch's initial weights: train-mode
# output and gradients, eval-mode output.

# %%
lec.section("MobileNetV2 inverted residual and EfficientNet-B0 MBConv (squeeze-excitation)",
            "minitorch.vision.models blocks vs torchvision's, with torchvision's initial weights: inverted residuals "
            "24 -> 24 (stride 1, with skip) and 24 -> 32 (stride 2, no skip), expansion 6; MBConv 40 -> 40, "
            "expansion 6, 5x5 depthwise, SE with 10 channels.")
for inp, oup, stride in ((24, 24, 1), (24, 32, 2)):
    def inverted_residual(fw, inp=inp, oup=oup, stride=stride):
        return vision(fw).models.mobilenetv2.InvertedResidual(inp, oup, stride, expand_ratio=6)

    module_parity(f"InvertedResidual {inp}->{oup} s{stride}", initial_state(inverted_residual), inverted_residual,
                  (2, inp, 16, 16))


def mbconv(fw):
    efficientnet = vision(fw).models.efficientnet
    config = efficientnet.MBConvConfig(6, 5, 1, 40, 40, 1)     # expand 6, kernel 5, stride 1, 40 -> 40 channels
    return efficientnet.MBConv(config, 0.0, fw.nn.BatchNorm2d)


MBCONV_STATE = initial_state(mbconv)
module_parity("MBConv 40->40 k5 + SE", MBCONV_STATE, mbconv, (2, 40, 12, 12))


def squeeze_excitation(fw, x):
    """The MBConv's SE module on ``x``, and the same computed by hand from its weights; the channel weights
    (detached)."""
    se = load_numpy_state(fw, mbconv(fw), MBCONV_STATE).block[2]
    F = fw.nn.functional
    scale = F.conv2d(F.silu(F.conv2d(x.mean((2, 3), keepdim=True), se.fc1.weight, se.fc1.bias)), se.fc2.weight,
                     se.fc2.bias).sigmoid()
    return se(x), x * scale, scale.detach()


se_mt, se_th = lec.compare("squeeze-excitation by hand", squeeze_excitation,
                           inputs=[RNG.normal(size=(2, 240, 6, 6)).astype(np.float32)], grad=True)
lec.check("SE module == x * sigmoid(fc2(silu(fc1(avgpool(x))))) on both frameworks; weights in (0, 1)",
          all(relative_error(r[0], r[1]) < 1e-6 and 0 < r[2].min().item() and r[2].max().item() < 1
              for r in (se_mt, se_th)))


# %% [markdown]
# ## 6. The ConvNeXt block
# ConvNeXt (2022) modernises the ResNet block with the design choices of vision transformers: a **depthwise 7x7**
# convolution (a large receptive field, cheap because depthwise: the analogue of attention's spatial mixing), then,
# per pixel, a **LayerNorm** over the channels (not BatchNorm: no dependence on the batch), an **inverted
# bottleneck** MLP (Linear C -> 4C, GELU, Linear 4C -> C: the analogue of the transformer's feed-forward layer,
# written as `Linear` on a channels-last tensor, which is the same as a 1x1 convolution), and **layer scale**: a
# learned per-channel factor, initialised to 1e-6, that multiplies the branch before the residual addition, so that
# every block starts as (almost) the identity and deep networks train stably. One activation and one normalisation
# per block, where ResNet has two or three of each.
#
# Written by hand below, with the attribute names of torchvision's `CNBlock` (`block.0` the depthwise conv,
# `block.2` the LayerNorm, `block.3` and `block.5` the two linears, `layer_scale`), and compared with torchvision's
# and minitorch.vision's `CNBlock` of ConvNeXt-Tiny's first stage (96 channels). The layer scale is set to random
# values in [0.5, 1.5]: with 1e-6 the branch would hardly change the output and the comparison would test nothing.

# %%
CONVNEXT_DIM = 96


@cache
def convnext_block_class(fw):
    """The ConvNeXt block written by hand for ``fw`` (torchvision's ``CNBlock`` attribute names)."""
    nn = fw.nn

    class ChannelsLast(nn.Module):
        """(N, C, H, W) -> (N, H, W, C), or back with ``back=True``: LayerNorm and Linear act on the last dim."""

        def __init__(self, back: bool = False):
            super().__init__()
            self.dims = (0, 3, 1, 2) if back else (0, 2, 3, 1)

        def forward(self, x):
            return x.permute(*self.dims)

    class ConvNeXtBlock(nn.Module):
        def __init__(self, dim: int, layer_scale: float = 1e-6):
            super().__init__()
            self.block = nn.Sequential(nn.Conv2d(dim, dim, 7, padding=3, groups=dim), ChannelsLast(),
                                       nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(),
                                       nn.Linear(4 * dim, dim), ChannelsLast(back=True))
            self.layer_scale = nn.Parameter(fw.full((dim, 1, 1), layer_scale))

        def forward(self, x):
            return x + self.layer_scale * self.block(x)

    return ConvNeXtBlock


def library_convnext_block(fw):
    return vision(fw).models.convnext.CNBlock(CONVNEXT_DIM, layer_scale=1e-6, stochastic_depth_prob=0.0)


CONVNEXT_STATE = initial_state(library_convnext_block)
CONVNEXT_STATE["layer_scale"] = RNG.uniform(0.5, 1.5, (CONVNEXT_DIM, 1, 1)).astype(np.float32)
lec.section("The ConvNeXt block, by hand and from the libraries",
            f"torchvision's CNBlock({CONVNEXT_DIM}) (ConvNeXt-Tiny's first stage) with random layer scales; its "
            "weights in minitorch.vision's CNBlock and in the hand-written block (both frameworks); input 2 x 96 x 14 "
            "x 14.")
cn_library = module_parity("CNBlock: torchvision vs minitorch", CONVNEXT_STATE, library_convnext_block,
                           (2, CONVNEXT_DIM, 14, 14))
cn_hand = module_parity("ConvNeXt block by hand", CONVNEXT_STATE, lambda fw: convnext_block_class(fw)(CONVNEXT_DIM),
                        (2, CONVNEXT_DIM, 14, 14))
cn_gap = max(relative_error(a, b) for a, b in zip(result_tensors(cn_hand[1]), result_tensors(cn_library[1])))
lec.check("torch: the hand-written ConvNeXt block == torchvision.models.convnext.CNBlock (output, gradients, eval "
          "output; 1e-6 relative)", cn_gap < 1e-6, f"{cn_gap:.1e}")
branch = {}
for fw in FRAMEWORKS:
    fresh = load_numpy_state(fw, library_convnext_block(fw), initial_state(library_convnext_block)).eval()
    x = fw.tensor(RNG.normal(size=(1, CONVNEXT_DIM, 14, 14)).astype(np.float32))
    with fw.no_grad():
        branch[fw] = relative_error(fresh(x), x)
lec.check("with its initial layer scale (1e-6) the ConvNeXt block is the identity up to ~1e-6",
          all(b < 1e-5 for b in branch.values()), ", ".join(f"{fw.__name__}: |block(x) - x| / |x| = {b:.1e}"
                                                             for fw, b in branch.items()))


# %% [markdown]
# ## 7. The backbones side by side
# The four architectures of this lecture as whole networks, from `torchvision.models` with their random
# initialisation, loaded into `minitorch.vision.models`. For each: the parameters (counted in both frameworks and
# compared with the number torchvision publishes for its ImageNet weights), the multiply-adds of one image (counted
# by forward hooks on every `Conv2d` and `Linear`, from the shapes they see: `output elements x (C_in / groups) x
# k x k` for a convolution, `output elements x in_features` for a linear layer; BatchNorm, activations and pooling
# add a few percent more, not counted), and the eval-mode inference time of a batch of 2 in both frameworks (one
# thread each, best of a few runs). The logits must agree as for ResNet-18.

# %%
TABLE_SIZE, TABLE_BATCH = (64, 2) if lec.quick else (224, 2)
ARCHITECTURES = {"ResNet-18": "resnet18", "MobileNetV2": "mobilenet_v2", "EfficientNet-B0": "efficientnet_b0"}
if not lec.quick:
    ARCHITECTURES["ConvNeXt-Tiny"] = "convnext_tiny"       # 28.6 M parameters: building it takes seconds
PUBLISHED = {"ResNet-18": torchvision.models.ResNet18_Weights, "MobileNetV2": torchvision.models.MobileNet_V2_Weights,
             "EfficientNet-B0": torchvision.models.EfficientNet_B0_Weights,
             "ConvNeXt-Tiny": torchvision.models.ConvNeXt_Tiny_Weights}


def hooked_macs(fw, model, x) -> tuple[int, Any]:
    """(multiply-adds per image, output) of one eval forward of ``model`` on the batch ``x``, counted by forward
    hooks (each hook counts per image: output elements / batch size)."""
    total = [0]

    def conv(module, inputs, out):
        total[0] += out.numel() // out.shape[0] * (module.in_channels // module.groups) * math.prod(module.kernel_size)

    def linear(module, inputs, out):
        total[0] += out.numel() // out.shape[0] * module.in_features

    handles = [m.register_forward_hook(conv if isinstance(m, fw.nn.Conv2d) else linear) for m in model.modules()
               if isinstance(m, (fw.nn.Conv2d, fw.nn.Linear))]
    with fw.no_grad():
        out = model(x)
    for handle in handles:
        handle.remove()
    return total[0], out


def backbone_row(name: str) -> dict:
    """Builds ``name`` in both frameworks (torch's weights copied) unless built already; params, MACs, time."""
    if name not in BACKBONES[torch]:
        torch.manual_seed(0)
        BACKBONES[torch][name] = getattr(torchvision.models, ARCHITECTURES[name])()
        BACKBONES[minitorch][name] = load_numpy_state(
            minitorch, getattr(minitorch.vision.models, ARCHITECTURES[name])(), numpy_state(BACKBONES[torch][name]))
    x = RNG.normal(size=(TABLE_BATCH, 3, TABLE_SIZE, TABLE_SIZE)).astype(np.float32)
    row = {}
    for fw in FRAMEWORKS:
        model, xt = BACKBONES[fw][name].eval(), fw.tensor(x)
        macs, out = hooked_macs(fw, model, xt)            # also the warm-up run of the timing
        with fw.no_grad():
            seconds = best_seconds(lambda: model(xt), 1 if lec.quick else 2)
        row[fw] = {"params": sum(p.numel() for p in model.parameters()), "macs": macs, "seconds": seconds, "out": out}
    return row


lec.section("Backbones: parameters, multiply-adds, inference time",
            f"{', '.join(ARCHITECTURES)} (ConvNeXt-Tiny in --full only: building its 28.6 M random parameters costs "
            f"seconds) at {TABLE_SIZE} x {TABLE_SIZE}, batch {TABLE_BATCH}, eval mode, one thread per framework.")
BACKBONE_ROWS = {name: backbone_row(name) for name in lec.progress(ARCHITECTURES, "backbones")}
for name, row in BACKBONE_ROWS.items():
    mt, th = row[minitorch], row[torch]
    published = PUBLISHED[name].DEFAULT.meta
    gap = relative_error(mt["out"], th["out"])
    lec.check(f"{name}: logits within 1e-4 relative; parameters ({mt['params']:,}) equal in both frameworks and to "
              "torchvision's published count; MACs counted equal in both",
              gap < 1e-4 and mt["params"] == th["params"] == published["num_params"] and mt["macs"] == th["macs"],
              f"logits {gap:.1e}; {mt['macs'] / 1e6:.1f} M MACs per image at {TABLE_SIZE} px")
    if TABLE_SIZE == 224:
        lec.check(f"{name}: multiply-adds at 224 x 224 within 2% of torchvision's published GFLOPS "
                  f"({published['_ops']})", abs(mt["macs"] / 1e9 / published["_ops"] - 1) < 0.02,
                  f"counted {mt['macs'] / 1e9:.3f} G")
lines = [f"| backbone | params | MACs per image at {TABLE_SIZE} px | torchvision's GFLOPS at 224 | ImageNet top-1 "
         f"(torchvision weights) | minitorch ms | torch ms | ratio |", "|---|---|---|---|---|---|---|---|"]
for name, row in BACKBONE_ROWS.items():
    meta = PUBLISHED[name].DEFAULT.meta
    mt, th = row[minitorch], row[torch]
    lines.append(f"| {name} | {mt['params'] / 1e6:.2f} M | {mt['macs'] / 1e6:.1f} M | {meta['_ops']} | "
                 f"{meta['_metrics']['ImageNet-1K']['acc@1']}% | {ms(mt['seconds'])} | {ms(th['seconds'])} | "
                 f"{mt['seconds'] / th['seconds']:.2f} |")
lec.note("\n".join(lines))

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for i, (name, row) in enumerate(BACKBONE_ROWS.items()):
    mt = row[minitorch]
    axes[0].scatter(mt["macs"] / 1e6, mt["params"] / 1e6, s=60, color=f"C{i}")
    axes[0].annotate(f"{name}\n{PUBLISHED[name].DEFAULT.meta['_metrics']['ImageNet-1K']['acc@1']}% top-1",
                     (mt["macs"] / 1e6, mt["params"] / 1e6), fontsize=8, xytext=(6, -22 if i % 2 else 4),
                     textcoords="offset points")
    for j, fw in enumerate(FRAMEWORKS):
        axes[1].bar(i + 0.38 * (j - 0.5), row[fw]["seconds"] * 1e3, 0.38, color=f"C{i}", alpha=1.0 - 0.5 * j,
                    label=fw.__name__ if i == 0 else None, hatch="" if j == 0 else "//")
axes[0].margins(0.3)
axes[0].set(xlabel=f"multiply-adds per image at {TABLE_SIZE} px (M)",
            ylabel="parameters (M)", title="size and cost (annotated: torchvision's ImageNet accuracy)")
axes[1].set_xticks(range(len(BACKBONE_ROWS)), list(BACKBONE_ROWS), fontsize=8)
axes[1].set(ylabel=f"ms per batch of {TABLE_BATCH}", title=f"inference at {TABLE_SIZE} px, one thread")
axes[1].legend()
lec.figure(fig, "backbones", "the backbones: parameters vs multiply-adds, and eval-mode inference time in minitorch "
           "(solid) and torch (hatched)")


# %% [markdown]
# ## 8. Deep dive: BatchNorm and large learning rates, residuals and gradients, depthwise convs on a CPU
# Why BatchNorm tolerates large learning rates, how residuals keep gradients alive, and why depthwise convolutions
# are slower than their multiply-add count suggests.
#
# **BatchNorm makes a layer scale-invariant.** For `y = BN(conv(x; W))` in training mode, multiplying `W` by any
# `a > 0` multiplies the convolution's output, its batch mean and its batch standard deviation by `a`: `y` does not
# change. Differentiating `L(aW) = L(W)` gives two consequences: (1) the gradient at `aW` is the gradient at `W`
# divided by `a`, and (2) the gradient is orthogonal to `W` (`<W, dL/dW> = 0`: moving along `W` changes nothing).
# By (2) and Pythagoras, an SGD step can only *grow* the weight norm: `||W - lr g||^2 = ||W||^2 + lr^2 ||g||^2`. And
# by (1), the step's effect on the *direction* of `W`, which is all that matters, is `lr ||g|| / ||W||`, so the
# effective learning rate is `lr / ||W||^2`: when a step is too large, the norm grows, and the next steps are
# smaller. The network regulates its own learning rate; without BatchNorm a too-large step simply makes
# activations and gradients explode. Both properties are checked below on both frameworks (float64), and the
# weight norms of the trained BatchNorm CNN show the growth.

# %%
def scale_invariance(fw, x, w):
    """BN(conv(x; a W)) (a negligible ``eps``: both frameworks reject 0) for a = 1 and a = 10: outputs and the
    gradients w.r.t. the weight (the second times a); and <W, dL/dW> / (|W| |dL/dW|)."""
    results = []
    for a in (1.0, 10.0):
        weight = (w * a).detach().requires_grad_()
        bn = fw.nn.BatchNorm2d(w.shape[0], eps=1e-20).double()   # the default 1e-5 breaks the invariance at ~eps/var
        y = bn(fw.nn.functional.conv2d(x, weight, padding=1))
        (y * y.detach().flip(0)).sum().backward()             # any loss of y
        results.append((y, weight.grad * a))
    cosine = (w * results[0][1]).sum() / (w.norm() * results[0][1].norm())
    return results, cosine


lec.section("Deep dive: scale invariance under BatchNorm; gradients through identities; depthwise convs on a CPU",
            "BN(conv(x; aW)) == BN(conv(x; W)); the gradient scales as 1/a and is orthogonal to W (float64, both "
            "frameworks). Then the weight norms of the trained BatchNorm CNN, the gradient-flow numbers of section 3, "
            "and the multiply-add rates of the depthwise-separable table.")
inv_mt, inv_th = lec.compare("BN scale invariance, 1/a gradient",
                             lambda fw, x, w: scale_invariance(fw, x, w)[0],
                             inputs=[RNG.normal(size=(4, 3, 6, 6)), RNG.normal(size=(5, 3, 3, 3))], tol=1e-10)
for fw, result in ((minitorch, inv_mt), (torch, inv_th)):
    (y1, g1), (y10, g10) = result
    _, cosine = scale_invariance(fw, fw.tensor(RNG.normal(size=(4, 3, 6, 6))), fw.tensor(RNG.normal(size=(5, 3, 3, 3))))
    lec.check(f"{fw.__name__}: scaling W by 10 leaves BN(conv) unchanged, divides the gradient by 10, and the "
              "gradient is orthogonal to W", relative_error(y10, y1) < 1e-12 and relative_error(g10, g1) < 1e-10
              and abs(cosine.item()) < 1e-12, f"cos(W, grad) = {cosine.item():.1e}")


def conv_weight_norms(fw, batchnorm: bool) -> tuple[list, list]:
    """||W|| of each convolution at initialisation and after training (the run of section 2)."""
    convs = [m for m in RUNS[fw, batchnorm]["model"] if isinstance(m, fw.nn.Conv2d)]
    initial = [float(np.linalg.norm(CNN_INIT[batchnorm][f"{k}.weight"])) for k, m in
               enumerate(RUNS[fw, batchnorm]["model"]) if isinstance(m, fw.nn.Conv2d)]
    return initial, [m.weight.norm().item() for m in convs]


for fw in FRAMEWORKS:
    initial, trained = conv_weight_norms(fw, True)
    lec.check(f"{fw.__name__}: every BatchNorm-ed convolution's weight norm grew during training (SGD steps are "
              "orthogonal to W)", all(b > a for a, b in zip(initial, trained)),
              ", ".join(f"{a:.2f} -> {b:.2f}" for a, b in zip(initial, trained)))
plain_initial, plain_trained = conv_weight_norms(minitorch, False)
lec.note("conv weight norms without BatchNorm (minitorch), initial -> trained: " +
         ", ".join(f"{a:.2f} -> {b:.2f}" for a, b in zip(plain_initial, plain_trained)) +
         ". With BatchNorm the growth lowers the effective learning rate lr / ||W||^2 of each layer by the square of "
         "the growth factor.")

# %% [markdown]
# **The learning-rate sweep** (in `--full` only: short runs at several learning rates, both frameworks). Each
# configuration trains for the same number of steps from the same weights; the final training loss against the
# learning rate shows the range that works: narrow without BatchNorm, wide with it.

# %%
SWEEP_LRS, SWEEP_STEPS = (0.03, LR, 0.3, 1.0), 80


def sweep_loss(fw, batchnorm: bool, lr: float) -> float:
    """Mean training loss of the last 20 of the first ``SWEEP_STEPS`` steps at learning rate ``lr`` (NaN if it
    diverged); at ``LR`` these are steps of section 2's run, which started from the same weights and batches."""
    losses = (RUNS[fw, batchnorm] if lr == LR else train_cnn(fw, batchnorm, lr, SWEEP_STEPS))["losses"]
    return float(np.mean(losses[SWEEP_STEPS - 20:SWEEP_STEPS]))


if not lec.quick:
    SWEEP = {(fw, bn): [sweep_loss(fw, bn, lr) for lr in SWEEP_LRS] for fw in FRAMEWORKS for bn in (False, True)}
    fig, ax = plt.subplots(figsize=(7, 4))
    for (fw, bn), losses in SWEEP.items():
        ax.plot(SWEEP_LRS, np.nan_to_num(losses, nan=5.0), "o-" if fw is minitorch else "x--",
                color="C1" if bn else "C0", label=f"{'with' if bn else 'without'} BatchNorm, {fw.__name__}")
    ax.axhline(math.log(10), color="gray", ls=":", lw=1)
    ax.set(xscale="log", xlabel="learning rate (SGD, momentum 0.9)",
           ylabel=f"mean loss, steps {SWEEP_STEPS - 19}-{SWEEP_STEPS}",
           title="learning-rate sweep (diverged runs drawn at 5)")
    ax.legend(fontsize=8)
    lec.figure(fig, "lr_sweep", "final training loss against the learning rate, with and without BatchNorm, both "
               "frameworks")
    lec.note(f"learning-rate sweep, mean loss of steps {SWEEP_STEPS - 19}-{SWEEP_STEPS} at lr "
             f"{', '.join(map(str, SWEEP_LRS))}: " + "; ".join(
                 f"{fw.__name__} {'BN' if bn else 'plain'}: " + ", ".join(f"{v:.3f}" for v in losses)
                 for (fw, bn), losses in SWEEP.items()))
    for fw in FRAMEWORKS:
        best = {bn: np.nanmin(SWEEP[fw, bn]) for bn in (False, True)}
        at_largest = {bn: np.nan_to_num(SWEEP[fw, bn][-1], nan=np.inf) for bn in (False, True)}
        lec.check(f"{fw.__name__}: the best learning rate with BatchNorm beats the best without, and at lr "
                  f"{SWEEP_LRS[-1]} BatchNorm still trains while the plain network does worse or diverges",
                  best[True] < best[False] and at_largest[True] < min(at_largest[False], math.log(10)),
                  f"best {best[True]:.3f} vs {best[False]:.3f}; at lr {SWEEP_LRS[-1]}: {at_largest[True]:.3f} vs "
                  f"{at_largest[False]:.3f}")

# %% [markdown]
# **Residuals keep gradients alive.** In section 3, the plain stack without normalisation passed to its first
# layer a gradient about 1e-13 times the last layer's: 32 Jacobians, each shrinking the signal by the same factor,
# multiply to nothing, and those layers cannot learn. With BatchNorm the plain stack does not vanish but the opposite
# happens, gradients grow towards the input (and, trained, such networks get *worse* with depth: the "degradation"
# that motivated ResNet). A residual block's Jacobian is `I + dF/dx`: the product over blocks contains the identity
# path `I * I * ... * I`, so the loss's gradient reaches every block without being multiplied by any weight (in
# ResNet the ReLU after the addition masks it, but does not shrink it). The residual stacks kept the first/last
# ratio within about an order of magnitude of 1 (the numbers under the figure). ResNet adds two details:
# `zero_init_residual=True` sets the last BatchNorm weight of each block to 0, so that every block starts as the
# identity (the same idea as ConvNeXt's layer scale: the deep network starts as a shallow one), and the projection
# shortcut (1x1 convolution, stride 2) only where the shape changes, so that the identity path is everywhere else a
# true identity.
#
# **Depthwise convolutions on a CPU.** The right panel of section 5's figure shows the multiply-add rate each kind
# of layer achieves: the standard 3x3 and the pointwise 1x1 convolutions reach tens of GMAC/s, the depthwise 3x3
# a few at most. A standard convolution performs 9 C multiply-adds per input value it reads (one large matrix
# product after im2col, where the same values are reused from cache many times): it is bound by arithmetic. A
# depthwise convolution performs 9 per value read, whatever C: it is bound by memory traffic and by per-call
# overhead, not by arithmetic (the "multiply-adds per value moved" below). In a separable convolution the depthwise
# part holds a fraction 9 / (9 + C) of the multiply-adds: at small C it dominates, and the separable convolution is
# barely faster than the standard one, or slower (first rows of the table); at large C the efficient pointwise
# part dominates and the saving in time approaches the saving in multiply-adds (where the standard convolution
# itself runs below its best rate, as at the largest C here, the time saving can even exceed it). MobileNets are
# efficient in multiply-adds and parameters; their wall-clock advantage depends on the hardware, which is why
# EfficientNet-B0 (0.39 GFLOPS) is not five times faster than ResNet-18 (1.8 GFLOPS) in the backbone table.

# %%
def arithmetic_intensity(channels: int) -> tuple[float, float]:
    """Multiply-adds per float32 value moved (input + output + weights) of the standard and the depthwise conv."""
    pixels = DW_SIZE * DW_SIZE
    standard = channels * channels * KERNEL ** 2 * pixels / (2 * channels * pixels + channels * channels * KERNEL ** 2)
    depthwise = channels * KERNEL ** 2 * pixels / (2 * channels * pixels + channels * KERNEL ** 2)
    return standard, depthwise


lec.note("achieved GMAC/s (one thread), standard 3x3 / depthwise 3x3 / pointwise 1x1, per C: " + "; ".join(
    f"C={c}: " + " | ".join(f"{fw.__name__} " + "/".join(f"{v:.1f}" for v in RATES[fw][i]) for fw in FRAMEWORKS)
    for i, c in enumerate(DW_CHANNELS)) + ". Multiply-adds per value moved (standard / depthwise): " + "; ".join(
    f"C={c}: {s:.0f} / {d:.1f}" for c, (s, d) in ((c, arithmetic_intensity(c)) for c in DW_CHANNELS)))
lec.check("at every C, the depthwise conv achieves a lower multiply-add rate than the standard and the pointwise "
          "conv, in both frameworks",
          all((RATES[fw][:, 1] < RATES[fw][:, 0]).all() and (RATES[fw][:, 1] < RATES[fw][:, 2]).all()
              for fw in FRAMEWORKS),
          "; ".join(f"{fw.__name__} at C = {DW_CHANNELS[-1]}: depthwise {RATES[fw][-1, 1]:.2f}, standard "
                    f"{RATES[fw][-1, 0]:.2f}, pointwise {RATES[fw][-1, 2]:.2f} GMAC/s" for fw in FRAMEWORKS))


# %% [markdown]
# ## 9. Interview questions

# %%
lec.section("Interview questions", "")


def bias_cancels(fw):
    fw.manual_seed(0)
    conv, bn = fw.nn.Conv2d(3, 4, 3).double(), fw.nn.BatchNorm2d(4).double()
    x = fw.randn(5, 3, 6, 6, dtype=fw.float64)
    with_bias = bn(conv(x))
    with fw.no_grad():
        conv.bias.add_(fw.randn(4, dtype=fw.float64) * 10)
    return (bn(conv(x)) - with_bias).abs().max().item() < 1e-10


lec.qa("Why do the convolutions before a BatchNorm have bias=False?",
       "In training mode BatchNorm subtracts the per-channel batch mean, which removes any constant added per channel: "
       "the conv's bias cancels exactly (adding 10 x noise to it changes nothing, checked) and would only waste "
       "parameters and compute; BatchNorm's own bias (beta) plays its role. In eval mode the bias would not cancel "
       "against the running mean exactly, but it is still redundant with beta.", check=bias_cancels)


def single_sample_raises(fw):
    bn = fw.nn.BatchNorm2d(3)
    try:
        bn(fw.randn(1, 3, 1, 1))
        return False
    except ValueError:
        bn.eval()
        return bn(fw.randn(1, 3, 1, 1)).shape == (1, 3, 1, 1) and bn(fw.randn(1, 3, 4, 4)).shape == (1, 3, 4, 4)


lec.qa("What happens with BatchNorm and a batch of one?",
       "In training mode the statistics of each channel are computed over N x H x W values; with one value per channel "
       "(N = 1 and a 1 x 1 map, e.g. after global pooling) the variance is 0 and the output meaningless, so both "
       "frameworks raise ValueError. With N = 1 and a larger map it runs, on very noisy statistics. Eval mode uses "
       "the running statistics and works for any batch. For small batches use GroupNorm/LayerNorm (no batch "
       "dependence), or freeze BatchNorm (eval mode) when fine-tuning.", check=single_sample_raises)


def eval_is_per_sample(fw):
    fw.manual_seed(0)
    model = fw.nn.Sequential(fw.nn.Conv2d(3, 4, 3), fw.nn.BatchNorm2d(4))
    for _ in range(3):
        model(fw.randn(8, 3, 6, 6) * 3 + 1)
    x = fw.randn(6, 3, 6, 6)
    model.eval()
    eval_same = (model(x)[:1] - model(x[:1])).abs().max().item() < 1e-6
    model.train()
    train_differs = (model(x)[:2] - model(x[:2])).abs().max().item() > 1e-3
    return eval_same and train_differs


lec.qa("Why must you call model.eval() before testing a network with BatchNorm?",
       "In train mode a sample's output depends on the other samples of its batch (batch statistics) and every forward "
       "pass updates the running buffers (with test data!). eval() switches to the running statistics: each sample's "
       "output is a fixed function of that sample alone (checked: the first sample gives the same output alone and in "
       "a batch of 6 in eval mode, not in train mode).", check=eval_is_per_sample)


def folded(fw):
    fw.manual_seed(0)
    conv, bn = fw.nn.Conv2d(3, 4, 3, bias=False).double(), fw.nn.BatchNorm2d(4).double()
    with fw.no_grad():
        bn.running_mean.copy_(fw.randn(4, dtype=fw.float64))
        bn.running_var.copy_(fw.rand(4, dtype=fw.float64) + 0.5)
        bn.weight.copy_(fw.randn(4, dtype=fw.float64))
        bn.bias.copy_(fw.randn(4, dtype=fw.float64))
    bn.eval()
    x = fw.randn(2, 3, 7, 7, dtype=fw.float64)
    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
    y = fw.nn.functional.conv2d(x, conv.weight * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale)
    return (y - bn(conv(x))).abs().max().item() < 1e-12


lec.qa("How is BatchNorm folded into the preceding convolution for inference?",
       "In eval mode BN is y = gamma (z - mu) / sqrt(var + eps) + beta, an affine map per channel. With s = gamma / "
       "sqrt(var + eps): W' = W * s (per output channel) and b' = beta - mu * s (+ s * b if the conv had a bias); "
       "one convolution replaces two layers, and the results agree to rounding (1e-12 in float64, checked).",
       check=folded)


def depthwise_is_per_channel(fw):
    fw.manual_seed(0)
    x, w = fw.randn(2, 4, 7, 7), fw.randn(4, 1, 3, 3)
    grouped = fw.nn.functional.conv2d(x, w, padding=1, groups=4)
    one_by_one = fw.cat([fw.nn.functional.conv2d(x[:, c:c + 1], w[c:c + 1], padding=1) for c in range(4)], 1)
    return (grouped - one_by_one).abs().max().item() < 1e-5


lec.qa("What does groups=C_in do in a Conv2d, and what is a depthwise convolution?",
       "groups=g splits the input and output channels into g groups and convolves each group separately: the weight "
       "has shape (C_out, C_in / g, k, k). With g = C_in = C_out each channel is filtered by its own k x k kernel (a "
       "depthwise convolution): the same as C separate single-channel convolutions concatenated (checked). It mixes "
       "space but not channels; the following 1x1 (pointwise) convolution mixes the channels.",
       check=depthwise_is_per_channel)


def separable_counts(fw):
    standard, separable = standard_conv(fw, 256), separable_conv(fw, 256)
    return (sum(p.numel() for p in standard.parameters()), sum(p.numel() for p in separable.parameters())) == \
        (589824, 67840)


lec.qa("How many parameters does a 3x3 convolution 256 -> 256 have, and its depthwise-separable version?",
       "Standard: 256 x 256 x 9 = 589,824. Separable: 256 x 9 (depthwise) + 256 x 256 (pointwise) = 67,840, a ratio "
       "of 1/256 + 1/9 = 0.115; the multiply-adds per output pixel shrink by the same ratio. (No biases, as before a "
       "BatchNorm.)", check=separable_counts)


def projection_shortcut(fw):
    model = BACKBONES[fw]["ResNet-18"]
    shortcut = model.layer2[0].downsample
    return (model.layer1[0].downsample is None and isinstance(shortcut[0], fw.nn.Conv2d)
            and tuple(shortcut[0].kernel_size) == (1, 1) and tuple(shortcut[0].stride) == (2, 2)
            and isinstance(shortcut[1], fw.nn.BatchNorm2d))


lec.qa("When does a ResNet block need a convolution on its shortcut?",
       "When the residual branch changes the shape: at the first block of stages 2-4 (stride 2 halves the resolution, "
       "the channels double), x and F(x) cannot be added, so the shortcut is a 1x1 convolution with stride 2 followed "
       "by BatchNorm (layer2.0.downsample in ResNet-18; layer1's blocks have none). Everywhere else the shortcut is "
       "the identity, which is what keeps the gradient path clean.", check=projection_shortcut)


def zero_init_identity(fw):
    fw.manual_seed(0)
    block = basic_block_class(fw)(8, 8)
    with fw.no_grad():
        block.bn2.weight.zero_()
    x = fw.randn(2, 8, 5, 5)
    return (block(x) - x.relu()).abs().max().item() == 0.0


lec.qa("What does zero_init_residual=True do in torchvision's ResNet, and why?",
       "It initialises the weight (gamma) of the last BatchNorm of every residual block to 0, so that the branch "
       "outputs 0 and each block starts as relu(x + 0) = relu(x), i.e. the identity on the (non-negative) features "
       "(checked). The deep network starts as a shallow one and the blocks 'switch on' as they learn; Goyal et al. "
       "report better accuracy for large-batch training. ConvNeXt's layer scale (1e-6) and Fixup/SkipInit follow the "
       "same idea.", check=zero_init_identity)


def linear_bottleneck(fw):
    fw.manual_seed(0)
    block = vision(fw).models.mobilenetv2.InvertedResidual(16, 16, 1, expand_ratio=6).eval()
    x = fw.randn(2, 16, 8, 8)
    with fw.no_grad():
        branch = block.conv(x)
    return isinstance(block.conv[-1], fw.nn.BatchNorm2d) and block.use_res_connect and branch.min().item() < 0


lec.qa("In MobileNetV2's inverted residual, why is there no activation after the projection?",
       "The projection maps to a low-dimensional space (the block's thin ends); a ReLU there would zero out part of "
       "a representation that has little redundancy and lose information (the paper's 'linear bottleneck' argument). "
       "The block ends with BatchNorm, so its branch output takes negative values (checked), and the residual is "
       "added to it. The non-linearities (ReLU6) act in the expanded space, where information survives them.",
       check=linear_bottleneck)


def se_rescales_channels(fw):
    x = fw.tensor(RNG.normal(size=(2, 240, 5, 5)).astype(np.float32))
    se = load_numpy_state(fw, mbconv(fw), MBCONV_STATE).block[2]
    with fw.no_grad():
        ratio = se(x) / x
    per_channel = ratio.amax((2, 3)) - ratio.amin((2, 3))
    return per_channel.abs().max().item() < 1e-5 and 0 < ratio.min().item() and ratio.max().item() < 1


lec.qa("What does a squeeze-and-excitation module compute, and what does it cost?",
       "Squeeze: global average pooling gives one number per channel. Excite: a bottleneck MLP (1x1 convolutions C -> "
       "C/r -> C with an activation) and a sigmoid give one weight in (0, 1) per channel and sample; the feature map "
       "is multiplied by them: output / input is constant over each channel's pixels (checked). It adds few parameters "
       "(2 C^2 / r) and almost no multiply-adds (it runs on 1 x 1 maps), and lets the block emphasise channels using "
       "global context.", check=se_rescales_channels)


def layer_norm_ignores_batch(fw):
    fw.manual_seed(0)
    norm = vision(fw).models.convnext.LayerNorm2d(6, eps=1e-6)
    x = fw.randn(4, 6, 5, 5)
    stats = norm(x).permute(0, 2, 3, 1)
    return ((norm(x)[1:2] - norm(x[1:2])).abs().max().item() < 1e-6 and stats.mean(-1).abs().max().item() < 1e-5
            and (stats.var(-1, unbiased=False) - 1).abs().max().item() < 1e-3 and norm.training)


lec.qa("ConvNeXt uses LayerNorm where ResNet uses BatchNorm. What is the difference?",
       "BatchNorm normalises each channel over the batch and the pixels (statistics depend on the batch, differ "
       "between train and eval, need running averages); LayerNorm normalises each pixel's C-vector over the channels, "
       "per sample: the same computation in train and eval, independent of the batch (checked: a sample's output "
       "alone equals its output in a batch, in training mode; mean 0 and variance 1 over channels). It suits small "
       "or variable batches and follows the transformer design.", check=layer_norm_ignores_batch)


lec.qa("Why is ConvNeXt's depthwise convolution 7x7, and why does it come first in the block?",
       "A larger kernel enlarges the receptive field (like the 7x7 local windows of Swin transformers), and being "
       "depthwise a 7x7 costs only 49 multiply-adds per channel and pixel, small next to the block's two linear "
       "layers (2 x 4C x C per pixel, i.e. 8C per channel: 768 for C = 96). It comes before the expansion (like "
       "attention before the MLP in a transformer block) so that it runs on the C-channel tensor, not on the 4C "
       "channels of the inverted bottleneck: four times cheaper, with no loss of accuracy in the paper's ablation.")

MAC_RATIO = BACKBONE_ROWS["ResNet-18"][torch]["macs"] / BACKBONE_ROWS["EfficientNet-B0"][torch]["macs"]
TIME_RATIO = {fw: BACKBONE_ROWS["ResNet-18"][fw]["seconds"] / BACKBONE_ROWS["EfficientNet-B0"][fw]["seconds"]
              for fw in FRAMEWORKS}
lec.qa("A model has 5x fewer multiply-adds than another. Will it run 5x faster?",
       "Not necessarily. Depthwise and 1x1 convolutions, SE modules and element-wise activations have low arithmetic "
       "intensity (few multiply-adds per byte moved): they are bound by memory bandwidth and per-layer overhead, not "
       f"by arithmetic. In this lecture's table EfficientNet-B0 has {MAC_RATIO:.1f}x fewer multiply-adds than "
       f"ResNet-18, but ResNet-18 takes {TIME_RATIO[torch]:.2f}x its time in torch and {TIME_RATIO[minitorch]:.2f}x "
       "in minitorch (a ratio below 1: EfficientNet is the slower one). Measure latency on the target hardware; "
       "FLOPs are a proxy.")


def flops_scale_with_pixels(fw):
    fw.manual_seed(0)
    model = fw.nn.Sequential(fw.nn.Conv2d(3, 8, 3, padding=1), fw.nn.Conv2d(8, 8, 3, 2, padding=1))
    small, _ = hooked_macs(fw, model, fw.randn(1, 3, 16, 16))
    large, _ = hooked_macs(fw, model, fw.randn(1, 3, 32, 32))
    return large == 4 * small


lec.qa("How do a CNN's multiply-adds change with the input resolution?",
       "Convolution costs are per output pixel, so they grow with the number of pixels: doubling the side quadruples "
       "the convolutional multiply-adds (checked with forward hooks), while the parameters do not change (only a "
       "final Linear after global pooling is resolution-independent). This is why EfficientNet scales resolution, "
       "depth and width together (compound scaling), and why the table quotes MACs at a given size.",
       check=flops_scale_with_pixels)

lec.qa("Why did BatchNorm let the network train so much faster in section 2?",
       "It keeps every layer's pre-activations at zero mean and unit variance whatever the weights, so the signal and "
       "the gradient are well scaled from the first step (the plain network's activations shrink layer by layer with "
       "torch's default initialisation, and its loss stays near ln 10 for many steps); it makes the loss invariant to "
       "the scale of each layer's weights, so too-large steps grow ||W|| and shrink the effective learning rate "
       "(deep dive); and the batch statistics add a little noise that regularises. Whether it 'reduces internal "
       "covariate shift' is disputed (Santurkar et al. 2018 attribute the benefit to a smoother loss landscape).")

# %%
lec.finish()

"""Transfer learning: pretrain a backbone, save it in torchvision's format, freeze it, replace the head, fine-tune.

What you will learn: how a network trained on one task (the *backbone*: every layer but the classifier) is reused
for another. A ResNet-18 (torchvision's own ``ResNet`` class and ``BasicBlock``, at a quarter of the width so that it
trains on two CPU cores) is pretrained on CIFAR-10 (natural 32 x 32 photos: our small stand-in for ImageNet) by
minitorch and by torch from the same weights, saved with ``save(model.state_dict(), path)`` in torchvision's format
(torch's zip checkpoint, torchvision's key names) and loaded into new models, each framework reading the other's file.
Then the classic recipe on a custom dataset, brain-tumour MRI scans (4 classes): replace the head
(``model.fc = nn.Linear(model.fc.in_features, 4)``), freeze the backbone (``requires_grad_(False)``, an optimizer
over the head only, BatchNorm in eval mode: why ``requires_grad`` is not enough), fine-tune, and compare three
strategies (frozen backbone, everything fine-tuned with a lower learning rate for the backbone through parameter
groups, and the same network from scratch) in one figure, on both frameworks. Preprocessing: greyscale to three
channels and ImageNet's mean/std. Finally the ``weights=`` API: ``resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)``
reads the real torchvision file from torch's hub cache folder when it is there (shown with a file placed in a
temporary ``TORCH_HOME``), the same transfer code then trains a new head on it, and a clear error names the file and the folder when it
is missing. The deep dive measures what freezing saves and shows that a frozen backbone can be replaced by its cached
features.

Prerequisites: lecture 07 (the training loop), lecture 08 (state_dict, save/load, torch's zip format) and lectures
11-12 (convolutions, BatchNorm, residual blocks, ResNet-18).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import contextlib
import functools
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import torch
import torchvision

import minitorch
import minitorch.vision
from lectures.runtime import lecture, vision

TEACHES = ("transfer learning: pretraining a ResNet backbone, saving it in torchvision's format and loading it across "
           "frameworks, replacing the head, freezing (requires_grad_, head-only optimizer, BatchNorm in eval mode), "
           "fine-tuning with parameter groups, frozen vs fine-tuned vs from scratch on brain-tumour MRI, ImageNet "
           "preprocessing, weights= and torch's hub cache, cached features")
lec = lecture("13")
torch.set_num_threads(1)          # a fair comparison: both frameworks compute on one thread
FRAMEWORKS = (minitorch, torch)
CKPT = lec.out_dir / "checkpoints"
CKPT.mkdir(parents=True, exist_ok=True)


# %% [markdown]
# ## 1. Two tasks, and the preprocessing a pretrained network expects
# Transfer learning needs a *source* task with plenty of labelled data and a *target* task with little. The
# source here is CIFAR-10 from `../shared/data/cifar10-jpeg` (10 classes of 32 x 32 photos; 1,000 training images
# per class): natural images, the same kind of data as ImageNet, on which torchvision's pretrained weights were
# trained. The target is a real "custom dataset": brain-tumour MRI scans from `../shared/data/brain-tumor-mri`
# (glioma, meningioma, no tumour, pituitary tumour), greyscale images in class folders, read with `ImageFolder`.
#
# A pretrained network only works on inputs prepared the way its training inputs were. Two rules follow:
# * **the same normalisation as in pretraining**: torchvision's ImageNet weights expect `Normalize(mean=(0.485,
#   0.456, 0.406), std=(0.229, 0.224, 0.225))`, ImageNet's channel statistics, not the new dataset's; our backbone
#   is pretrained with the same transform, so the whole lecture uses it;
# * **the same number of channels**: the first convolution has 3 input channels, so a greyscale scan becomes three
#   identical channels (`Grayscale(num_output_channels=3)`); an interview question below shows the alternative
#   (summing `conv1`'s weights over the input channels), which gives the same outputs.
#
# Sizes: every image is resized to 32 x 32 so that the experiments run on two CPU cores (ImageNet models use
# 224 x 224: `Resize(256)`, `CenterCrop(224)`; section 6 checks that preset). The MRI training folder is split
# once (seeded): a small labelled training set of a few hundred scans, the point of transfer learning, and a
# validation set drawn from the remaining scans. The folder `Testing/` is evaluated once at the end.
#
# Both libraries read the same folders: `minitorch.vision.datasets.ImageFolder` and torchvision's must list the same
# files with the same labels, and their transforms must produce the same tensors.

# %%
DATA = Path(minitorch.vision.datasets.default_root())
CIFAR, MRI = DATA / "cifar10-jpeg", DATA / "brain-tumor-mri"
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SIZE = 32
if lec.quick:
    CIFAR_PER_CLASS, CIFAR_VAL_PER_CLASS, MRI_PER_CLASS, MRI_VAL, MRI_TEST = 7, 4, 8, 32, 32
else:
    CIFAR_PER_CLASS, CIFAR_VAL_PER_CLASS, MRI_PER_CLASS, MRI_VAL, MRI_TEST = 1000, 200, 200, 600, 314


def preprocess(fw, grey: bool):
    """The transform of every image: greyscale -> 3 channels (MRI), resize to SIZE x SIZE, ToTensor, ImageNet's
    Normalize."""
    t = vision(fw).transforms
    steps = [t.Grayscale(num_output_channels=3)] if grey else []
    return t.Compose(steps + [t.Resize((SIZE, SIZE)), t.ToTensor(), t.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def folder(fw, path: Path, grey: bool = False):
    return vision(fw).datasets.ImageFolder(str(path), transform=preprocess(fw, grey))


def balanced(targets: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random indices of each class, classes in order."""
    return np.concatenate([rng.permutation(np.flatnonzero(targets == c))[:per_class] for c in range(targets.max() + 1)])


def tensors(fw, dataset, indices: np.ndarray):
    """(images N x 3 x SIZE x SIZE, labels) of ``dataset[i]`` for the given indices."""
    items = [dataset[int(i)] for i in indices]
    return fw.stack([image for image, _ in items]), fw.tensor([label for _, label in items])


start = time.perf_counter()
FOLDERS = {fw: {"cifar_train": folder(fw, CIFAR / "train"), "cifar_test": folder(fw, CIFAR / "test"),
                "mri_train": folder(fw, MRI / "Training", grey=True),
                "mri_test": folder(fw, MRI / "Testing", grey=True)}
           for fw in FRAMEWORKS}
for name in FOLDERS[minitorch]:
    a, b = FOLDERS[minitorch][name], FOLDERS[torch][name]
    lec.check(f"ImageFolder {name}: same {len(a)} files, classes and labels in minitorch.vision and torchvision",
              a.samples == b.samples and a.classes == b.classes and a.class_to_idx == b.class_to_idx)

rng = np.random.default_rng(0)
targets = {name: np.array(ds.targets) for name, ds in FOLDERS[minitorch].items()}
INDEX = {"cifar_train": balanced(targets["cifar_train"], CIFAR_PER_CLASS, rng),
         "cifar_val": balanced(targets["cifar_test"], CIFAR_VAL_PER_CLASS, rng),
         "mri_train": balanced(targets["mri_train"], MRI_PER_CLASS, rng)}
INDEX["mri_val"] = rng.permutation(np.setdiff1d(np.arange(len(targets["mri_train"])), INDEX["mri_train"]))[:MRI_VAL]
INDEX["mri_test"] = rng.permutation(len(targets["mri_test"]))[:MRI_TEST]
SOURCE = {"cifar_train": "cifar_train", "cifar_val": "cifar_test", "mri_train": "mri_train", "mri_val": "mri_train",
          "mri_test": "mri_test"}
SETS = {fw: {split: tensors(fw, FOLDERS[fw][SOURCE[split]], idx) for split, idx in INDEX.items()} for fw in FRAMEWORKS}
load_seconds = time.perf_counter() - start
CIFAR_CLASSES, MRI_CLASSES = FOLDERS[minitorch]["cifar_train"].classes, FOLDERS[minitorch]["mri_train"].classes
N_CIFAR, N_MRI = len(CIFAR_CLASSES), len(MRI_CLASSES)

lec.section("Two tasks: CIFAR-10 (source) and brain-tumour MRI (target), with ImageNet's preprocessing",
            f"read by both libraries in {load_seconds:.1f} s: CIFAR-10 {len(INDEX['cifar_train'])} training / "
            f"{len(INDEX['cifar_val'])} validation images (from its test folder); MRI {len(INDEX['mri_train'])} "
            f"labelled training scans ({MRI_PER_CLASS} per class), {len(INDEX['mri_val'])} validation scans (other "
            f"scans of Training/), {len(INDEX['mri_test'])} scans of Testing/. Every image: 3 x {SIZE} x {SIZE}, "
            "normalised with ImageNet's mean and std.")
lec.compare("ImageFolder + transforms: the tensors", lambda fw: [SETS[fw][s] for s in INDEX], tol=1e-6)
mri_counts = np.bincount(targets["mri_train"], minlength=N_MRI)
lec.note("MRI Training/ scans per class: " + ", ".join(f"{c} {n}" for c, n in zip(MRI_CLASSES, mri_counts)) +
         "; the labelled training set takes the same number of each class, the validation set is a random draw "
         "(so it keeps the folder's imbalance: the 'no tumour' class is rarer).")


def shown(x) -> np.ndarray:
    """Undo Normalize for display: N x 3 x H x W -> N x H x W x 3 in [0, 1]."""
    return np.clip(x.numpy().transpose(0, 2, 3, 1) * IMAGENET_STD + IMAGENET_MEAN, 0, 1)


def montage(x, indices) -> np.ndarray:
    """The images ``x[indices]`` side by side, Normalize undone."""
    return np.concatenate(list(shown(x[minitorch.tensor(np.asarray(indices))])), axis=1)


cifar_x, cifar_y = SETS[minitorch]["cifar_train"]
mri_x, mri_y = SETS[minitorch]["mri_train"]
shown_cifar = [int(np.flatnonzero(cifar_y.numpy() == c)[0]) for c in range(8)]
shown_mri = [int(i) for c in range(N_MRI) for i in np.flatnonzero(mri_y.numpy() == c)[:2]]
fig, ax = plt.subplots(figsize=(12, 3.2))
ax.imshow(np.concatenate([montage(cifar_x, shown_cifar), montage(mri_x, shown_mri)]))
for i, (a, b) in enumerate(zip(shown_cifar, shown_mri)):
    ax.text(i * SIZE + SIZE / 2, -2, CIFAR_CLASSES[int(cifar_y[a])], ha="center", fontsize=8)
    ax.text(i * SIZE + SIZE / 2, 2 * SIZE + 1, MRI_CLASSES[int(mri_y[b])].replace("_tumor", ""), ha="center",
            va="top", fontsize=8)
ax.axis("off")
lec.figure(fig, "tasks", f"the source task (CIFAR-10, top) and the target task (brain-tumour MRI, bottom), as the "
           f"networks see them ({SIZE} x {SIZE}, greyscale scans as three equal channels; Normalize undone for "
           "display)")

# %% [markdown]
# ## 2. The backbone, pretrained on the source task by both frameworks
# The network is torchvision's ResNet-18: its `ResNet` class (so its `forward` and its module names `conv1`,
# `bn1`, `layer1`...`layer4`, `avgpool`, `fc`), its `BasicBlock` and its `_make_layer`, in each framework's own
# library. Only the widths are narrower: 16-32-64-128 channels instead of 64-128-256-512 (1/16 of the
# computation), so a CIFAR-10 epoch takes seconds instead of minutes on one core. Everything before `fc` is the
# *backbone* (a feature extractor ending in a 128-number vector per image after global average pooling); `fc` is
# the *head* (a linear classifier on those features).
#
# Both frameworks start from the same weights (torch's initialisation, copied into minitorch) and see the same
# batches in the same order (a NumPy permutation per epoch) with the same random horizontal flips. Training:
# SGD with momentum 0.9 and weight decay 5e-4, cross-entropy, and a one-cycle schedule (`OneCycleLR`: the learning
# rate warms up from 1/25 of its peak over the first 30% of the steps, then decays to almost zero along a cosine;
# the momentum moves the opposite way). The two runs take turns epoch by epoch, each on one thread.

# %%
WIDTH = 16
PRE_EPOCHS, PRE_BATCH, PRE_LR = (1, 16, 0.1) if lec.quick else (6, 64, 0.1)
MOMENTUM, WEIGHT_DECAY = 0.9, 5e-4


@functools.cache
def narrow_resnet_class(fw) -> type:
    """A subclass of the framework's torchvision-style ``ResNet``: ResNet-18's layout at widths w, 2w, 4w, 8w."""
    nn, resnet = fw.nn, vision(fw).models.resnet

    class NarrowResNet18(resnet.ResNet):
        """ResNet-18 built with torchvision's code (``_make_layer``, ``BasicBlock``, ``forward``, initialisation),
        its stages ``width`` times 1, 2, 4, 8 channels wide: torchvision's state_dict keys, smaller tensors."""

        def __init__(self, num_classes: int, width: int = WIDTH) -> None:
            nn.Module.__init__(self)                # not ResNet.__init__, which builds the 64-512 channel stages
            self._norm_layer, self.inplanes, self.dilation, self.groups, self.base_width = (nn.BatchNorm2d, width,
                                                                                            1, 1, 64)
            self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(resnet.BasicBlock, width, 2)
            self.layer2 = self._make_layer(resnet.BasicBlock, 2 * width, 2, stride=2)
            self.layer3 = self._make_layer(resnet.BasicBlock, 4 * width, 2, stride=2)
            self.layer4 = self._make_layer(resnet.BasicBlock, 8 * width, 2, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(8 * width, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    return NarrowResNet18


def numpy_state(model) -> dict:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def as_state(fw, state: dict) -> dict:
    return {k: fw.tensor(v) for k, v in state.items()}


torch.manual_seed(0)
PRE_INIT = numpy_state(narrow_resnet_class(torch)(N_CIFAR))           # the pretraining's starting point
SCRATCH_INIT = numpy_state(narrow_resnet_class(torch)(N_CIFAR))       # "from scratch" on MRI: another random start


def batches(rng: np.random.Generator, n: int, batch: int, flip: bool):
    """Per epoch: the shuffled batches (index arrays, the incomplete last one dropped) and their flip masks."""
    order = rng.permutation(n)
    for i in range(n // batch):
        yield order[i * batch:(i + 1) * batch], (rng.random(batch) < 0.5) if flip else None


def set_train_mode(model, frozen_bn: bool) -> None:
    """``model.train()``, with every BatchNorm layer back in eval mode when the backbone is frozen (section 4)."""
    model.train()
    if frozen_bn:
        for m in model.modules():
            if isinstance(m, (minitorch.nn.BatchNorm2d, torch.nn.BatchNorm2d)):
                m.eval()


def accuracy(fw, model, x, y, batch: int = 500) -> float:
    model.eval()
    with fw.no_grad():
        predictions = fw.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return (predictions == y).float().mean().item()


def fit(fw, model, optimizer, train, val, epochs: int, batch: int, h: dict, flip: bool = False,
        frozen_bn: bool = False, label: str = ""):
    """Mini-batch training with a per-step one-cycle schedule; fills ``h`` (step losses, validation accuracy per epoch,
    seconds) and yields after every epoch, so that two runs can take turns."""
    (x, y), (xv, yv) = train, val
    steps = len(x) // batch
    scheduler = fw.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in optimizer.param_groups],
                                                 total_steps=epochs * steps)
    loss_fn = fw.nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)                      # the same batches and flips on both frameworks
    h.update(step_loss=[], val_acc=[], seconds=0.0, steps=0)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        set_train_mode(model, frozen_bn)
        for idx, flips in lec.progress(batches(rng, len(x), batch, flip), f"{label} {fw.__name__} epoch {epoch}",
                                       total=steps):
            idx = fw.tensor(idx)
            xb = x[idx] if flips is None else fw.where(fw.tensor(flips)[:, None, None, None], x[idx].flip(3), x[idx])
            loss = loss_fn(model(xb), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            h["step_loss"].append(loss.item())
        h["seconds"] += time.perf_counter() - start
        h["steps"] += steps
        h["val_acc"].append(accuracy(fw, model, xv, yv))
        yield epoch


def in_turns(runs: list) -> None:
    """Advances the ``fit`` generators one epoch at a time, in turn, until all are done."""
    while runs:
        runs = [run for run in runs if next(run, None) is not None]


def pretrained_model(fw):
    model = narrow_resnet_class(fw)(N_CIFAR)
    model.load_state_dict(as_state(fw, PRE_INIT))
    return model


PRE = {fw: {"model": pretrained_model(fw)} for fw in FRAMEWORKS}
in_turns([fit(fw, h["model"], fw.optim.SGD(h["model"].parameters(), lr=PRE_LR, momentum=MOMENTUM,
                                           weight_decay=WEIGHT_DECAY),
              SETS[fw]["cifar_train"], SETS[fw]["cifar_val"], PRE_EPOCHS, PRE_BATCH, h, flip=True, label="pretrain")
          for fw, h in PRE.items()])
n_params = sum(p.numel() for p in PRE[torch]["model"].parameters())
lec.section("Pretraining the backbone on CIFAR-10, minitorch and torch in lockstep",
            f"ResNet-18 layout at widths {WIDTH}-{2 * WIDTH}-{4 * WIDTH}-{8 * WIDTH} ({n_params:,} parameters), "
            f"{PRE_EPOCHS} epoch(s) of {len(INDEX['cifar_train'])} images, batch {PRE_BATCH}, SGD(lr={PRE_LR}, "
            f"momentum={MOMENTUM}, weight_decay={WEIGHT_DECAY}), one-cycle schedule, random horizontal flips.")
for fw, h in PRE.items():
    lec.note(f"{fw.__name__}: {h['steps']} steps in {h['seconds']:.1f} s ({h['seconds'] / h['steps'] * 1e3:.0f} ms per "
             f"step); CIFAR-10 validation accuracy per epoch " + ", ".join(f"{a:.3f}" for a in h["val_acc"]))
pre_diff = np.abs(np.array(PRE[minitorch]["step_loss"]) - np.array(PRE[torch]["step_loss"]))
lec.check("pretraining: the first 2 step losses (before and after the first update) agree to 1e-4 (float32)",
          pre_diff[:2].max() < 1e-4, f"max |diff| {pre_diff[:2].max():.1e}; it first exceeds 1e-3 at step "
          f"{int(np.argmax(pre_diff > 1e-3)) if (pre_diff > 1e-3).any() else None} of {len(pre_diff)}")
pre_acc = {fw: h["val_acc"][-1] for fw, h in PRE.items()}
lec.check(f"pretrained backbones: CIFAR-10 validation accuracy minitorch {pre_acc[minitorch]:.3f}, torch "
          f"{pre_acc[torch]:.3f}, within 3 points", abs(pre_acc[minitorch] - pre_acc[torch]) <= 0.03 + 1e-9)
if not lec.quick:
    lec.check("full mode: the pretrained backbone reaches >= 45% on CIFAR-10 (chance: 10%)",
              min(pre_acc.values()) >= 0.45, f"{min(pre_acc.values()):.3f}")

# %% [markdown]
# ### Why the two float32 runs part ways after a few steps, and the float64 proof that they compute the same
# The first steps agree to float32 rounding (~1e-7), then the losses of the two frameworks drift apart within
# tens of steps, much sooner than the MLP of lecture 07. ReLU and max-pooling make discrete decisions: is this
# pre-activation positive, which value of this window is the largest. This network makes hundreds of thousands of
# them per batch, so a few pre-activations lie within float32 rounding of zero (or of their neighbour); when
# minitorch's and torch's kernels round such a value differently, a unit's gradient is switched on in one
# framework and off in the other: a difference of the size of the gradient, not of 1e-7. The large learning
# rates and the batch-coupled BatchNorm of the first epoch then amplify it (the loss itself jumps by tenths from
# one step to the next there). In float64 the rounding is 1e-16, no decision flips, and the same steps agree to
# 1e-10: the two frameworks compute the same thing. The final accuracies agree within a few points, as two runs
# with different seeds would.

# %%
def float64_steps(fw, steps: int = 2, batch: int = 8):
    """``steps`` pretraining steps in float64 from the same weights: the losses and the final conv1 and fc weights."""
    model = pretrained_model(fw).double()
    optimizer = fw.optim.SGD(model.parameters(), lr=PRE_LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    x, y = SETS[fw]["cifar_train"]
    h = {}
    data = (x[:steps * batch].double(), y[:steps * batch])
    in_turns([fit(fw, model, optimizer, data, data, 1, batch, h, flip=True, label="float64")])
    return fw.tensor(h["step_loss"], dtype=fw.float64), model.conv1.weight.detach(), model.fc.weight.detach()


lec.compare("float64: 2 pretraining steps, losses + weights", float64_steps, tol=1e-10)

# %% [markdown]
# ## 3. Saving the backbone in torchvision's format, loading it into new models
# `save(model.state_dict(), path)` writes a *state_dict*: an ordered mapping from dotted names to tensors
# (parameters and BatchNorm's buffers `running_mean`, `running_var`, `num_batches_tracked`). That is all a
# torchvision weights file is: `resnet18-f37072fd.pth` is `torch.save(resnet18.state_dict())` in torch's zip
# format. Our backbone, built from torchvision's ResNet code, has exactly the 122 keys of torchvision's ResNet-18,
# in the same order (with narrower tensors). torch saves with `torch.save`; minitorch with
# `minitorch.save(..., format="torch")`, which writes torch's zip format (its default is its own safe format).
#
# Each file is loaded by the *other* framework (`torch.load(path, weights_only=True)`: tensors only, no code) into a
# freshly built model; the new model must compute what the trained one computes.

# %%
FILES = {minitorch: CKPT / "backbone_minitorch.pth", torch: CKPT / "backbone_torch.pth"}
minitorch.save(PRE[minitorch]["model"].state_dict(), FILES[minitorch], format="torch")
torch.save(PRE[torch]["model"].state_dict(), FILES[torch])
torch.manual_seed(3)
TV_RESNET18 = torchvision.models.resnet18()          # randomly initialised; saved as a weights file in section 6
RESNET18_KEYS = list(TV_RESNET18.state_dict())
lec.section("Saved in torchvision's format, loaded by the other framework",
            f"files {FILES[minitorch].name} ({FILES[minitorch].stat().st_size / 1e6:.2f} MB, minitorch.save(..., "
            f"format='torch')) and {FILES[torch].name} ({FILES[torch].stat().st_size / 1e6:.2f} MB, torch.save).")
BACKBONE = {fw: fw.load(FILES[torch]) for fw in FRAMEWORKS}       # what both frameworks fine-tune from (section 5)
for fw in FRAMEWORKS:
    keys = list(BACKBONE[fw].keys())
    lec.check(f"{fw.__name__}.load: the {len(keys)} keys of the file, in order, are torchvision's ResNet-18 keys",
              keys == RESNET18_KEYS, ", ".join(keys[:4]) + ", ...")
from_mt = torch.load(FILES[minitorch], weights_only=True)
lec.check("torch.load(weights_only=True) reads minitorch's file: the tensors (dtypes included) equal minitorch's",
          all(np.array_equal(from_mt[k].numpy(), v.numpy()) and from_mt[k].numpy().dtype == v.numpy().dtype
              for k, v in PRE[minitorch]["model"].state_dict().items()))
PROBE = {fw: SETS[fw]["cifar_val"][0][:32] for fw in FRAMEWORKS}
OTHER = {minitorch: torch, torch: minitorch}


def loaded_logits(fw, path: Path):
    """A new model of ``fw`` loaded from ``path`` (strictly: every key and shape must match), in eval mode, on 32
    validation images."""
    model = narrow_resnet_class(fw)(N_CIFAR)
    model.load_state_dict(fw.load(path))
    model.eval()
    with fw.no_grad():
        return model(PROBE[fw])


lec.compare("new models from torch's file", lambda fw: loaded_logits(fw, FILES[torch]), tol=1e-4)
for trained in FRAMEWORKS:
    PRE[trained]["model"].eval()
    with trained.no_grad():
        reference = PRE[trained]["model"](PROBE[trained]).numpy()
    reader = OTHER[trained]
    diff = float(np.abs(loaded_logits(reader, FILES[trained]).numpy() - reference).max())
    lec.check(f"{trained.__name__}'s file loaded into a new {reader.__name__} model gives the logits of the model "
              f"{trained.__name__} trained", diff < 1e-4, f"max |diff| {diff:.1e} on 32 images")

# %% [markdown]
# ## 4. A new head, and a frozen backbone
# For the MRI task the CIFAR head (128 -> 10) is useless: it is replaced by a new, randomly initialised layer with
# one output per MRI class, `model.fc = nn.Linear(model.fc.in_features, 4)` (assigning a module to an attribute
# registers it; the old head is gone from `parameters()` and from the state_dict).
#
# **Freezing** the backbone means training only the head. Three things are needed, and each is checked below:
# 1. `model.requires_grad_(False)` then `model.fc.requires_grad_(True)`: autograd records no graph through the
#    backbone, its parameters get no `.grad` (it stays `None`) and backward stops at the head: cheaper steps;
# 2. an optimizer over the trainable parameters only (`[p for p in model.parameters() if p.requires_grad]`):
#    SGD and Adam skip a parameter whose grad is None, but a parameter with a zero gradient (say, after
#    `zero_grad(set_to_none=False)`) would still move through weight decay or momentum;
# 3. **BatchNorm layers in eval mode.** `requires_grad_(False)` freezes the *parameters* (weight, bias) but not the
#    *buffers*: in train mode a BatchNorm layer normalises each batch with the batch's own mean and variance and
#    moves its `running_mean`/`running_var` towards the new data's statistics (a moving average, momentum 0.1).
#    The "frozen" backbone would then change (and compute something else at test time). So after every
#    `model.train()` the BatchNorm layers go back to `eval()`: they use the stored statistics and leave them
#    alone. (Here the head has no train-mode behaviour, so `model.eval()` would do; with Dropout in the head, only
#    the BatchNorm layers must be switched.)
#
# A second strategy **fine-tunes** everything, the backbone with a 10x lower learning rate than the
# new head (parameter groups: `SGD([{"params": backbone, "lr": lr / 10}, {"params": model.fc.parameters()}],
# lr=lr)`): the pretrained features should move a little, the random head a lot. The baseline is the same network
# **from scratch** (random weights, everything trained at the full learning rate).

# %%
STRATEGIES = ("frozen", "fine-tuned", "from scratch")
FT_EPOCHS, FT_BATCH, FT_LR = (2, 16, 0.05) if lec.quick else (12, 32, 0.05)
BACKBONE_LR = FT_LR / 10
torch.manual_seed(1)
HEAD_INIT = {k: v.detach().numpy().copy() for k, v in torch.nn.Linear(8 * WIDTH, N_MRI).state_dict().items()}


def replace_head(fw, model, num_classes: int, head_init: dict | None = None):
    """``model.fc = nn.Linear(in_features, num_classes)``, with the given initial weights when any."""
    model.fc = fw.nn.Linear(model.fc.in_features, num_classes)
    if head_init is not None:
        model.fc.load_state_dict(as_state(fw, head_init))
    return model


def freeze_backbone(model):
    """Every parameter frozen but the head's (BatchNorm's eval mode is set in ``set_train_mode``)."""
    model.requires_grad_(False)
    model.fc.requires_grad_(True)
    return model


def transfer_model(fw, strategy: str):
    """The MRI model of a strategy: the backbone from torch's file (or random for "from scratch"), a new head."""
    model = narrow_resnet_class(fw)(N_CIFAR)
    model.load_state_dict(BACKBONE[fw] if strategy != "from scratch" else as_state(fw, SCRATCH_INIT))
    replace_head(fw, model, N_MRI, HEAD_INIT)
    return freeze_backbone(model) if strategy == "frozen" else model


def optimizer_for(fw, model, strategy: str):
    if strategy == "frozen":
        groups = [p for p in model.parameters() if p.requires_grad]
    elif strategy == "fine-tuned":
        groups = [{"params": [p for name, p in model.named_parameters() if not name.startswith("fc.")],
                   "lr": BACKBONE_LR}, {"params": model.fc.parameters()}]
    else:
        groups = model.parameters()
    return fw.optim.SGD(groups, lr=FT_LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)


lec.section("A new head and a frozen backbone",
            f"model.fc = nn.Linear({8 * WIDTH}, {N_MRI}); requires_grad_(False) on the backbone; an optimizer over the "
            "head; BatchNorm in eval mode. Checked on both frameworks before and after training.")


def freezing_facts(fw):
    model = transfer_model(fw, "frozen")
    optimizer = optimizer_for(fw, model, "frozen")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    keys = list(model.state_dict())
    return (trainable, total, len(optimizer.param_groups[0]["params"]), tuple(model.fc.weight.shape),
            keys[-2:], "fc.weight" in keys and len(keys) == len(RESNET18_KEYS))


facts = lec.compare("frozen model: trainable / total, head", freezing_facts, tol=0)[0]
lec.check(f"frozen: {facts[0]} trainable parameters (the head: {8 * WIDTH} x {N_MRI} + {N_MRI}) of {facts[1]:,}; the "
          "optimizer holds 2 tensors", facts[0] == 8 * WIDTH * N_MRI + N_MRI and facts[2] == 2)


def batchnorm_in_frozen_backbone(fw):
    """A frozen model on 32 MRI scans: train() vs train() + BatchNorm eval(): outputs and running statistics."""
    model = transfer_model(fw, "frozen")
    x = SETS[fw]["mri_train"][0][:32]
    stored = model.bn1.running_mean.clone()
    model.train()
    batch_stats = model(x)
    drifted = (model.bn1.running_mean - stored).abs().max().item()
    model = transfer_model(fw, "frozen")
    set_train_mode(model, frozen_bn=True)
    frozen_stats = model(x)
    kept = (model.bn1.running_mean - stored).abs().max().item()
    with fw.no_grad():
        model.eval()
        evaluated = model(x)
    return batch_stats, frozen_stats, drifted, kept, (frozen_stats - evaluated).abs().max().item()


mt_bn, th_bn = lec.compare("frozen backbone: BatchNorm train() vs eval()", batchnorm_in_frozen_backbone, tol=1e-4)
for fw, (batch_stats, frozen_stats, drifted, kept, same) in zip(FRAMEWORKS, (mt_bn, th_bn)):
    gap = (batch_stats - frozen_stats).abs().max().item()
    lec.check(f"{fw.__name__}: requires_grad_(False) does not freeze BatchNorm's statistics: in train() bn1's "
              "running_mean moves; with BatchNorm in eval() it is kept and the output equals eval-mode inference",
              drifted > 1e-3 and kept == 0.0 and same < 1e-6,
              f"running_mean moved by {drifted:.3f} vs {kept:.1f}; train-mode logits differ by {gap:.2f}")

# %% [markdown]
# ## 5. Fine-tuning on MRI: frozen vs fine-tuned vs from scratch
# The three strategies, each on both frameworks, from the same weights (the backbone from torch's file, the same
# initial head), on the same batches: SGD with momentum and weight decay, the one-cycle schedule, no augmentation. The
# figure shows the validation accuracy after every epoch.

# %%
FT = {(fw, s): {"model": transfer_model(fw, s)} for s in STRATEGIES for fw in FRAMEWORKS}
in_turns([fit(fw, h["model"], optimizer_for(fw, h["model"], s), SETS[fw]["mri_train"], SETS[fw]["mri_val"], FT_EPOCHS,
              FT_BATCH, h, frozen_bn=s == "frozen", label=s) for (fw, s), h in FT.items()])
lec.section("Fine-tuning on brain-tumour MRI: three strategies, both frameworks",
            f"{len(INDEX['mri_train'])} labelled scans, {FT_EPOCHS} epochs of batch {FT_BATCH}, lr {FT_LR} (backbone "
            f"{BACKBONE_LR} when fine-tuned); validation on {len(INDEX['mri_val'])} other scans of Training/.")
TEST_ACC = {key: accuracy(key[0], h["model"], *SETS[key[0]]["mri_test"]) for key, h in FT.items()}
majority = np.bincount(SETS[minitorch]["mri_val"][1].numpy()).max() / len(INDEX["mri_val"])
for s in STRATEGIES:
    mt, th = FT[minitorch, s], FT[torch, s]
    lec.note(f"{s}: validation accuracy per epoch, minitorch " + ", ".join(f"{a:.3f}" for a in mt["val_acc"]) +
             "; torch " + ", ".join(f"{a:.3f}" for a in th["val_acc"]) +
             f"; {mt['seconds'] / mt['steps'] * 1e3:.0f} / {th['seconds'] / th['steps'] * 1e3:.0f} ms per step "
             f"(minitorch / torch); Testing/ accuracy {TEST_ACC[minitorch, s]:.3f} / {TEST_ACC[torch, s]:.3f}.")
    diff = np.abs(np.array(mt["step_loss"]) - np.array(th["step_loss"]))
    checked = len(diff) if s == "frozen" else 2        # a linear head on fixed features: no chaotic divergence
    lec.check(f"{s}: the first {checked} step losses agree to 1e-4", diff[:checked].max() < 1e-4,
              f"max |diff| {diff[:checked].max():.1e}; over all {len(diff)} steps {diff.max():.1e}")
    lec.check(f"{s}: final validation accuracy, minitorch {mt['val_acc'][-1]:.3f} vs torch {th['val_acc'][-1]:.3f}, "
              "within 4 points", abs(mt["val_acc"][-1] - th["val_acc"][-1]) <= 0.04 + 1e-9)

for fw in FRAMEWORKS:
    model = FT[fw, "frozen"]["model"]
    loaded = fw.load(FILES[torch])                      # read again from disk
    unchanged = all(bool((v == loaded[k]).all()) for k, v in model.state_dict().items() if not k.startswith("fc."))
    no_grads = all(p.grad is None for name, p in model.named_parameters() if not name.startswith("fc."))
    head_moved = (model.fc.weight - fw.tensor(HEAD_INIT["weight"])).abs().max().item()
    lec.check(f"{fw.__name__}, frozen: after {FT[fw, 'frozen']['steps']} steps every backbone tensor (BatchNorm "
              "statistics included) is bit for bit the file's, no backbone parameter has a .grad, the head moved",
              unchanged and no_grads and head_moved > 1e-3, f"head weights moved by up to {head_moved:.3f}")
    tuned = FT[fw, "fine-tuned"]["model"]
    moved = (tuned.layer1[0].conv1.weight - loaded["layer1.0.conv1.weight"]).abs().max().item()
    lec.check(f"{fw.__name__}, fine-tuned: the backbone moved too (layer1.0.conv1 by up to {moved:.4f})", moved > 0)

if lec.quick:
    lec.note("Quick mode trains a few steps on a few dozen images: the accuracies below are near chance and say "
             "nothing about the strategies; run with --full for the real comparison.")
final = {s: np.mean([FT[fw, s]["val_acc"][-1] for fw in FRAMEWORKS]) for s in STRATEGIES}
first = {s: np.mean([FT[fw, s]["val_acc"][0] for fw in FRAMEWORKS]) for s in STRATEGIES}
mean_acc = {s: np.mean([FT[fw, s]["val_acc"] for fw in FRAMEWORKS]) for s in STRATEGIES}
lec.note("final validation accuracy (mean of the two frameworks): " +
         ", ".join(f"{s} {a:.3f}" for s, a in final.items()) + "; after the first epoch: " +
         ", ".join(f"{s} {a:.3f}" for s, a in first.items()) + "; averaged over all epochs: " +
         ", ".join(f"{s} {a:.3f}" for s, a in mean_acc.items()) +
         f"; always predicting the most frequent class: {majority:.3f}.")
if not lec.quick:
    lec.check("full mode: fine-tuning ends above the frozen backbone",
              final["fine-tuned"] > final["frozen"], ", ".join(f"{s} {a:.3f}" for s, a in final.items()))
    lec.check("full mode: fine-tuning learns faster than training from scratch (higher accuracy averaged over "
              "the epochs)", mean_acc["fine-tuned"] > mean_acc["from scratch"],
              ", ".join(f"{s} {a:.3f}" for s, a in mean_acc.items()))
    lec.check("full mode: after one epoch both pretrained strategies are ahead of the scratch network",
              min(first["frozen"], first["fine-tuned"]) > first["from scratch"],
              ", ".join(f"{s} {a:.3f}" for s, a in first.items()))
    lec.check("full mode: the frozen backbone's linear head beats the majority class by 15 points",
              final["frozen"] > majority + 0.15, f"{final['frozen']:.3f} vs {majority:.3f}")

fig, axes = plt.subplots(1, 3, figsize=(16, 4))
colors = dict(zip(STRATEGIES, ("C0", "C1", "C2")))
for (fw, s), h in FT.items():
    ls, marker = ("-", "o") if fw is minitorch else ("--", "x")
    axes[0].plot(np.arange(1, len(h["val_acc"]) + 1), h["val_acc"], ls, marker=marker, color=colors[s])
    window = 5 if len(h["step_loss"]) >= 20 else 1
    axes[1].plot(np.convolve(h["step_loss"], np.ones(window) / window, mode="valid"), ls, color=colors[s], lw=1)
for fw, ls, marker in ((minitorch, "-", "o"), (torch, "--", "x")):
    axes[2].plot(np.arange(1, PRE_EPOCHS + 1), PRE[fw]["val_acc"], ls, marker=marker, color="C3")
axes[0].axhline(majority, color="gray", ls=":", lw=1)
keys = [plt.Line2D([], [], color=c, label=s) for s, c in colors.items()] + [
    plt.Line2D([], [], color="k", ls="-", marker="o", label="minitorch"),
    plt.Line2D([], [], color="k", ls="--", marker="x", label="torch"),
    plt.Line2D([], [], color="gray", ls=":", label="most frequent class")]
axes[0].legend(handles=keys, fontsize=7)
axes[0].set(xlabel="epoch", ylabel="accuracy", title="MRI validation accuracy")
axes[1].set(xlabel="step", title=f"MRI training loss (mean of {window} steps)")
axes[2].set(xlabel="epoch", ylabel="accuracy", title="source task: CIFAR-10 validation accuracy")
lec.figure(fig, "strategies", "fine-tuning on brain-tumour MRI: frozen backbone (blue), everything fine-tuned "
           "(orange) and from scratch (green); minitorch solid with circles, torch dashed with crosses. Right: the "
           "pretraining of the backbone on CIFAR-10")

# %% [markdown]
# What the curves say (full mode; the numbers are in the notes above). After one epoch both pretrained networks
# are far ahead of the scratch network, whose random features say nothing about the scans (its early validation
# accuracy can even fall below chance: in eval mode its BatchNorm layers use running averages that lag behind
# weights changing fast at a high learning rate). The backbone's edge and texture detectors are useful even though
# CIFAR-10 holds no MRI scan. The frozen backbone then levels off: a linear head on features learned for photos can
# only separate the classes as far as those features do. Fine-tuning lets the features adapt to the scans and stays
# ahead for most of the run, but with 800 labelled scans and 12 epochs the scratch network catches up by the end:
# pretraining bought speed, not a better final model. That is a known result (He, Girshick and Dollár, "Rethinking
# ImageNet Pre-training", 2019: from scratch matches ImageNet pretraining on COCO given a long enough schedule),
# and it depends on the setting: our source is weak (under 60% on CIFAR-10 at 32 px, not ImageNet's 1.3 million
# 224-px images) and far from the target; with a strong source and fewer labels, the pretrained network also ends
# higher. The less target data, the more freezing helps (fewer parameters to fit, less overfitting); the more data
# and the further the domain, the more fine-tuning, and eventually training from scratch, pays.
#
# The frozen runs of the two frameworks stay together to float32 rounding over all steps: a linear head on fixed
# features is a logistic regression, a convex problem without ReLU decisions to flip. The fine-tuned and scratch
# runs drift apart like the pretraining (section 2) and agree within a few points (600 validation scans: one
# scan is 0.17 points, and the sampling noise of an accuracy near 0.8 is about 1.6 points).
#
# The `Testing/` folder of this dataset was collected differently from `Training/` (a known property of it):
# every model scores far lower there than on held-out training-folder scans. That distribution shift is a lesson
# of its own: a validation set must come from the data the model will meet.

# %% [markdown]
# ## 6. Real torchvision weight files: `weights=` and torch's hub cache
# `torchvision.models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)` downloads `resnet18-f37072fd.pth` into
# torch's hub cache folder, `$TORCH_HOME/hub/checkpoints` (default `~/.cache/torch/hub/checkpoints`), or reads it
# from there when it is already present. minitorch's builder takes the same argument and looks in the same folder,
# but never downloads: when the file is missing it raises an error naming the file, the folder and the URL to fetch.
# The file is a plain torch zip checkpoint of the state_dict, which `minitorch.load` reads.
#
# The machines running this course are offline, so the real ImageNet file is not here. The lecture places a file of
# the same name and format in a temporary `TORCH_HOME` (torchvision's ResNet-18, randomly initialised, saved with
# `torch.save`): both `resnet18(weights=...)` calls must find it and compute the same logits. Then the *same* code as
# above (`replace_head`, `freeze_backbone`, the head-only optimizer) takes the full ResNet-18 and trains its new
# head a few steps on MRI scans, on both frameworks. When the real file is in your hub cache, the lecture does the
# same with it. ImageNet weights also expect ImageNet's preprocessing (`weights.transforms()`): the check below
# shows that it is `Resize(256)`, `CenterCrop(224)`, `ToTensor()` and `Normalize(mean, std)` with the mean/std used
# throughout this lecture.

# %%
WEIGHTS_FILE = "resnet18-f37072fd.pth"
TEMP_HOME = lec.out_dir / "torch_home"


@contextlib.contextmanager
def torch_home(path: Path):
    """``TORCH_HOME`` set to ``path`` for the duration (both libraries read it when they look for weights)."""
    old = os.environ.get("TORCH_HOME")
    os.environ["TORCH_HOME"] = str(path)
    try:
        yield
    finally:
        if old is None:
            del os.environ["TORCH_HOME"]
        else:
            os.environ["TORCH_HOME"] = old


def imagenet_resnet18(fw):
    """``resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)`` in the framework's library, in eval mode."""
    models = vision(fw).models
    return models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1).eval()


def weights_file_run(fw):
    """The ImageNet ResNet-18 from the hub cache: its logits on 4 scans, then the transfer recipe (new head, frozen
    backbone) and 3 head-only steps: the losses."""
    x, y = SETS[fw]["mri_train"][0][:8], SETS[fw]["mri_train"][1][:8]
    model = imagenet_resnet18(fw)
    with fw.no_grad():
        logits = model(x[:4])
    freeze_backbone(replace_head(fw, model, N_MRI, WEIGHTS_HEAD_INIT))
    optimizer = optimizer_for(fw, model, "frozen")
    set_train_mode(model, frozen_bn=True)
    losses = []
    for _ in range(3):
        loss = fw.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return logits, fw.tensor(losses), sum(p.numel() for p in model.parameters() if p.requires_grad)


torch.manual_seed(2)
WEIGHTS_HEAD_INIT = {k: v.detach().numpy().copy() for k, v in torch.nn.Linear(512, N_MRI).state_dict().items()}
placed = TEMP_HOME / "hub" / "checkpoints" / WEIGHTS_FILE
placed.parent.mkdir(parents=True, exist_ok=True)
torch.save(TV_RESNET18.state_dict(), placed)
lec.section("weights=: torchvision's weight files from torch's hub cache",
            f"{WEIGHTS_FILE} ({placed.stat().st_size / 1e6:.1f} MB, torchvision's randomly initialised ResNet-18 "
            f"saved by torch.save) placed in {placed.parent}, TORCH_HOME={TEMP_HOME}.")
with torch_home(TEMP_HOME):
    lec.check("both libraries look in the same hub folder: minitorch.vision.models.get_dir() == torch.hub.get_dir()",
              minitorch.vision.models.get_dir() == torch.hub.get_dir() == str(TEMP_HOME / "hub"))
    mt_w, th_w = lec.compare("resnet18(weights=IMAGENET1K_V1): logits, head-only losses", weights_file_run, tol=1e-4)
lec.check("the same transfer code on the full ResNet-18: 2,052 trainable parameters (512 x 4 + 4) of 11.2 M, on both "
          "frameworks", mt_w[2] == th_w[2] == 512 * N_MRI + N_MRI, f"{mt_w[2]}")
placed.unlink()                                     # 47 MB of random weights: not worth keeping in the output folder

real_hub = Path(torch.hub.get_dir())
if (real_hub / "checkpoints" / WEIGHTS_FILE).is_file():
    lec.compare("the real ImageNet resnet18 file from the hub cache", weights_file_run, tol=1e-4)
    lec.note(f"{WEIGHTS_FILE} is in your hub cache ({real_hub / 'checkpoints'}): the real ImageNet weights were loaded "
             "by both libraries and fine-tuned with the same code.")
else:
    lec.note(f"The real {WEIGHTS_FILE} is not in this machine's hub cache ({real_hub / 'checkpoints'}); with it there, "
             "the same comparison runs on the real ImageNet weights.")

empty_home = lec.out_dir / "empty_torch_home"
with torch_home(empty_home):
    try:                   # what resnet18(weights=...) calls to get the weights, after building the model
        minitorch.vision.models.ResNet18_Weights.IMAGENET1K_V1.get_state_dict()
        message = ""
    except RuntimeError as error:
        message = str(error)
lec.check("weights file missing: minitorch raises RuntimeError naming the file and the folder (no download)",
          WEIGHTS_FILE in message and str(empty_home / "hub" / "checkpoints") in message, message)
lec.note(f"The error when the file is absent: \"{message}\". torchvision would try to download it instead.")

preset = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.transforms()
scan = PIL.Image.open(FOLDERS[minitorch]["mri_train"].samples[0][0]).convert("RGB")


def imagenet_preprocessing(fw):
    t = vision(fw).transforms
    return t.Compose([t.Resize(256), t.CenterCrop(224), t.ToTensor(), t.Normalize(IMAGENET_MEAN, IMAGENET_STD)])(scan)


lec.check("torchvision's IMAGENET1K_V1.transforms() uses ImageNet's mean/std, resize 256 and crop 224",
          tuple(preset.mean) == IMAGENET_MEAN and tuple(preset.std) == IMAGENET_STD
          and list(preset.resize_size) == [256] and list(preset.crop_size) == [224], repr(preset).replace("\n", " "))
mt_pre, _ = lec.compare("Resize(256), CenterCrop(224), ToTensor, Normalize", imagenet_preprocessing, tol=1e-6)
preset_diff = float(np.abs(mt_pre.numpy() - preset(scan).numpy()).max())
lec.check("minitorch's Compose equals torchvision's weights.transforms() preset on an MRI scan", preset_diff < 1e-5,
          f"max |diff| {preset_diff:.1e}")

# %% [markdown]
# ## 7. Deep dive: what freezing saves, and a frozen backbone as a cache of features
# With the backbone frozen, no tensor in it requires a gradient, so autograd records nothing there: the forward
# pass builds a graph only for the head, and backward computes two small matrix products instead of the whole
# network's gradients. The step times of section 5 show the saving (measured on both frameworks).
#
# One step further: a frozen backbone with BatchNorm in eval mode is a *fixed function* of the image. Its features
# can be computed once for the whole training set (`model.fc = nn.Identity()`; 128 numbers per scan) and the head
# trained on them alone, a logistic regression. Same data, same batches, same optimizer: the head must come out
# exactly as in the frozen run, at a fraction of the cost, since every epoch now skips the backbone. This is how
# "linear probes" of large pretrained models are evaluated. It stops working as soon as the backbone changes
# (fine-tuning) or the images change from epoch to epoch (data augmentation: each random crop has other features).

# %%
CACHED_SECONDS = {}


def cached_features_head(fw):
    """The frozen run again, with the backbone run once: features cached, the head trained on them alone."""
    backbone = transfer_model(fw, "frozen")
    backbone.fc = fw.nn.Identity()
    backbone.eval()
    start = time.perf_counter()
    with fw.no_grad():
        features = {split: (backbone(SETS[fw][split][0]), SETS[fw][split][1]) for split in ("mri_train", "mri_val")}
    head = fw.nn.Linear(8 * WIDTH, N_MRI)
    head.load_state_dict(as_state(fw, HEAD_INIT))
    h = {}
    in_turns([fit(fw, head, optimizer_for(fw, head, "from scratch"), features["mri_train"], features["mri_val"],
                  FT_EPOCHS, FT_BATCH, h, label="cached")])
    CACHED_SECONDS[fw] = time.perf_counter() - start
    return head.weight.detach(), fw.tensor(h["val_acc"])


def backbone_features(model, x):
    """ResNet's forward without the head: the pooled features of ``x``."""
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    return model.avgpool(model.layer4(model.layer3(model.layer2(model.layer1(x))))).flatten(1)


lec.section("Deep dive: the cost of freezing, and the frozen backbone as a cache of features",
            "per-step times of the three strategies; the head trained on cached features vs the frozen run.")
ms = {key: h["seconds"] / h["steps"] * 1e3 for key, h in FT.items()}
lec.note("milliseconds per training step, minitorch / torch: " + "; ".join(
    f"{s} {ms[minitorch, s]:.1f} / {ms[torch, s]:.1f}" for s in STRATEGIES) +
    f" (batch {FT_BATCH}). A frozen step runs the backbone forward only.")
for fw in FRAMEWORKS:
    model = FT[fw, "frozen"]["model"]
    x = SETS[fw]["mri_train"][0][:4]
    model.eval()
    features = backbone_features(model, x)
    logits = model.fc(features)
    lec.check(f"{fw.__name__}: in the frozen model the backbone's features do not require grad (no graph recorded), "
              "the head's output does", not features.requires_grad and features.grad_fn is None
              and logits.requires_grad)
cached = lec.compare("head on cached features (weights, val acc)", cached_features_head, tol=1e-4)
for fw, (weight, val_acc) in zip(FRAMEWORKS, cached):
    frozen = FT[fw, "frozen"]
    gap = (weight - frozen["model"].fc.weight.detach()).abs().max().item()
    same_acc = np.allclose(val_acc.numpy(), frozen["val_acc"], atol=2.5 / len(INDEX["mri_val"]))
    lec.check(f"{fw.__name__}: the head trained on cached features equals the frozen run's head, and so do the "
              "validation accuracies", gap < 1e-4 and same_acc, f"max |weight diff| {gap:.1e}")
lec.note("cached features (computed once) + the head's training, all epochs: " + "; ".join(
    f"{fw.__name__} {CACHED_SECONDS[fw]:.2f} s vs {FT[fw, 'frozen']['seconds']:.2f} s for the frozen run"
    for fw in FRAMEWORKS) + ".")

# %% [markdown]
# ## 8. Interview questions

# %%
lec.section("Interview questions", "")


def frozen_no_grad(fw):
    model = fw.nn.Sequential(fw.nn.Linear(3, 4), fw.nn.ReLU(), fw.nn.Linear(4, 2))
    model[0].requires_grad_(False)
    model(fw.ones(5, 3)).sum().backward()
    return model[0].weight.grad is None and model[2].weight.grad is not None


lec.qa("What does requires_grad_(False) on the backbone do?",
       "Autograd no longer tracks those parameters: no graph is recorded through layers whose inputs and parameters "
       "do not require grad, backward stops at the first layer that does, and the frozen parameters' .grad stays "
       "None. It changes nothing about the forward computation, and nothing about BatchNorm's buffers.",
       check=frozen_no_grad)


def bn_buffers_move(fw):
    bn = fw.nn.BatchNorm2d(3)
    bn.requires_grad_(False)
    bn.train()
    bn(fw.randn(4, 3, 5, 5) + 2)
    moved = bn.running_mean.abs().min().item() > 0.05
    bn.eval()
    before = bn.running_mean.clone()
    bn(fw.randn(4, 3, 5, 5) + 2)
    return moved and bool((bn.running_mean == before).all())


lec.qa("Why put the BatchNorm layers of a frozen backbone in eval mode?",
       "Freezing stops gradients, not BatchNorm's running statistics: in train mode BatchNorm normalises with the "
       "batch's statistics and updates running_mean/running_var with the new data, so the 'frozen' backbone changes, "
       "and small fine-tuning batches give noisy statistics. In eval mode it uses the pretrained statistics and keeps "
       "them. (Re-estimating the statistics on the new domain on purpose is a separate technique, AdaBN.)",
       check=bn_buffers_move)


def zero_grad_still_moves(fw):
    w = fw.nn.Parameter(fw.ones(3))
    optimizer = fw.optim.SGD([w], lr=0.1, weight_decay=0.1)
    w.grad = fw.zeros(3)
    optimizer.step()
    skipped = fw.nn.Parameter(fw.ones(3))
    fw.optim.SGD([skipped], lr=0.1, weight_decay=0.1).step()
    return w.detach().max().item() < 1.0 and skipped.detach().min().item() == 1.0


lec.qa("Why give the optimizer only the trainable parameters?",
       "It is cheaper, and it is the only safe choice: optimizers skip a parameter whose grad is None, but a frozen "
       "parameter with a zero gradient (zero_grad(set_to_none=False), or frozen after some training) is still "
       "moved by weight decay and momentum. The head-only optimizer also makes the intent explicit.",
       check=zero_grad_still_moves)


def head_replaced(fw):
    model = narrow_resnet_class(fw)(N_CIFAR, width=4)
    replace_head(fw, model, 7)
    keys = model.state_dict()
    return tuple(model(fw.randn(2, 3, 32, 32)).shape) == (2, 7) and tuple(keys["fc.weight"].shape) == (7, 32)


lec.qa("How do you replace the classifier of a torchvision ResNet, and of other models?",
       "Assign a new module: model.fc = nn.Linear(model.fc.in_features, n_classes) (ResNet); "
       "model.classifier[-1] for VGG, MobileNet and EfficientNet; model.heads.head for ViT. The new layer is "
       "registered under the old name, so the state_dict keys stay the same with new shapes.", check=head_replaced)


def strict_load(fw):
    model = narrow_resnet_class(fw)(N_MRI)
    state = BACKBONE[fw]
    try:
        model.load_state_dict(state, strict=False)
        return False
    except RuntimeError as error:
        mismatch = "size mismatch" in str(error)
    missing = model.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")}, strict=False)
    return mismatch and sorted(missing.missing_keys) == ["fc.bias", "fc.weight"] and not missing.unexpected_keys


lec.qa("You load a 10-class checkpoint into a 4-class model with strict=False. What happens?",
       "It still fails: strict=False tolerates missing and unexpected keys, not shape mismatches. Either load the "
       "checkpoint into the original architecture and replace the head afterwards (what this lecture does), or drop "
       "the head's keys; load_state_dict(..., strict=False) then returns missing_keys=['fc.weight', 'fc.bias'] so "
       "you can verify that nothing else was skipped.", check=strict_load)


def param_group_lrs(fw):
    model = narrow_resnet_class(fw)(N_MRI, width=4)
    optimizer = optimizer_for(fw, model, "fine-tuned")
    return ([g["lr"] for g in optimizer.param_groups] == [BACKBONE_LR, FT_LR]
            and sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters())))


lec.qa("Why fine-tune the backbone with a smaller learning rate than the head?",
       "The head starts random and must move far; the backbone is already good and large updates, driven by the "
       "random head's gradients in the first steps, would destroy its features (catastrophic forgetting). Parameter "
       "groups give each part its own learning rate (here 10x lower for the backbone); variants: warm up the head "
       "first with the backbone frozen, then unfreeze stage by stage from the top (gradual unfreezing), or a "
       "learning rate that decays with depth (layer-wise decay).", check=param_group_lrs)


def grey_conv1(fw):
    model = narrow_resnet_class(fw)(N_CIFAR)
    model.load_state_dict(BACKBONE[fw])
    model.eval()
    grey = fw.tensor(np.random.default_rng(5).normal(size=(2, 1, 32, 32)).astype(np.float32))
    with fw.no_grad():
        three = model(grey.expand(-1, 3, -1, -1))
        summed = model.conv1.weight.sum(1, keepdim=True)
        model.conv1 = fw.nn.Conv2d(1, WIDTH, kernel_size=7, stride=2, padding=3, bias=False)
        model.conv1.weight.copy_(summed)
        one = model(grey)
    return (three - one).abs().max().item() < 1e-4


lec.qa("How do you feed greyscale images to a network pretrained on RGB?",
       "Either repeat the channel three times (Grayscale(num_output_channels=3), what this lecture does), or "
       "replace conv1 by a 1-channel convolution whose weights are the pretrained ones summed over the input "
       "channels: convolution is linear in the input, so the two give the same outputs (checked) whenever the three "
       "channels are equal after normalisation, and the second does a third of conv1's work. With ImageNet's three "
       "different means and stds the normalised channels differ slightly; fold 1/std into each channel's kernel "
       "before summing (and the means into a bias) to stay exact.",
       check=grey_conv1)


def buffers_in_file(fw):
    state = BACKBONE[fw]
    return (str(state["bn1.num_batches_tracked"].dtype).endswith("int64")
            and sum(k.endswith("running_mean") for k in state) == 20 and len(state) == 122)


lec.qa("What is inside torchvision's resnet18-f37072fd.pth?",
       "A state_dict saved by torch.save in torch's zip format: 122 entries for ResNet-18, parameters (conv and "
       "BatchNorm weights, fc) and BatchNorm buffers (running_mean, running_var, num_batches_tracked as int64). No "
       "code and no architecture: you build the model first, then load. The hex digits in the name are the start of "
       "the file's SHA-256, checked when it is downloaded.", check=buffers_in_file)


def last_stage_trainable(fw):
    model = narrow_resnet_class(fw)(N_MRI, width=4)
    model.requires_grad_(False)
    for part in (model.layer4, model.fc):
        part.requires_grad_(True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    expected = sum(p.numel() for p in model.layer4.parameters()) + sum(p.numel() for p in model.fc.parameters())
    return trainable == expected and not model.layer3[1].conv2.weight.requires_grad


lec.qa("How do you fine-tune only the last stage and the head?",
       "Freeze everything, then unfreeze what should train: model.requires_grad_(False); model.layer4.requires_grad_"
       "(True); model.fc.requires_grad_(True); optimizer over the parameters that require grad. The early layers "
       "(edges, textures) transfer best, the last stage is the most specific to the source task. BatchNorm layers "
       "of the frozen stages stay in eval mode.", check=last_stage_trainable)


def eval_independent(fw):
    model = fw.nn.Sequential(fw.nn.Linear(3, 3), fw.nn.Dropout(0.5))
    model.requires_grad_(False)
    return model.training and not model[0].weight.requires_grad and not model.eval().training


lec.qa("Do model.eval() and requires_grad_(False) do the same thing?",
       "No, they are independent switches. eval() changes what layers compute (Dropout off, BatchNorm with stored "
       "statistics) and leaves autograd alone; requires_grad_(False) stops gradient tracking and leaves the "
       "layers' behaviour alone. A frozen backbone needs both; inference needs eval() and no_grad().",
       check=eval_independent)


lec.qa("When do you freeze, when do you fine-tune, when do you train from scratch?",
       "Little target data and a source close to it: freeze and train a linear head (few parameters, no overfitting). "
       "More data or a domain further away (photos -> MRI): fine-tune, with a small backbone learning rate. Lots of "
       f"data and a very different domain: scratch becomes competitive. Here, {len(INDEX['mri_train'])} MRI scans: "
       + ", ".join(f"{s} {a:.3f}" for s, a in final.items()) + " final validation accuracy; the pretrained networks "
       "learned much faster (first epoch: " + ", ".join(f"{s} {a:.3f}" for s, a in first.items()) + ").")


lec.qa("Which mean and std do you normalise the new dataset with?",
       "The pretraining's (ImageNet's (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225) for torchvision weights): the "
       "first layer's filters and BatchNorm statistics were learned on inputs with that distribution. The new "
       "dataset's own statistics would shift every activation. With many target images and full fine-tuning "
       "the difference shrinks, but the pretraining's normalisation is the safe default (weights.transforms() gives "
       "the exact preset).")


def identity_features(fw):
    model = narrow_resnet_class(fw)(N_CIFAR, width=4)
    model.fc = fw.nn.Identity()
    return tuple(model(fw.randn(3, 3, 32, 32)).shape) == (3, 32)


lec.qa("How do you turn a pretrained classifier into a feature extractor?",
       "Replace the head by nn.Identity(): model(x) then returns the pooled features (512 numbers for ResNet-18, "
       "128 for this narrow one). With the backbone frozen and in eval mode, features can be computed once and "
       "cached, and a head trained on them gives exactly the frozen run's head (the deep dive), unless the images "
       "are augmented.", check=identity_features)

# %%
lec.finish()

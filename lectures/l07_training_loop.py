"""The training loop on real MNIST: splits, DataLoader, metrics, early stopping, checkpoints, clipping, accumulation.

What you will learn: how to load the real MNIST files with ``vision.datasets.MNIST`` (minitorch) and
``torchvision.datasets.MNIST`` and check that they hold the same digits; ``ToTensor`` + ``Normalize``
applied to every image at once; a train/validation split with ``random_split`` and a test set that is
looked at once, at the end; ``DataLoader`` batches in an order shared by both frameworks (a custom
``Sampler``); the complete loop (``train()``, ``zero_grad``, forward, loss, ``backward``,
``clip_grad_norm_``, ``step``; then ``eval()`` + ``no_grad`` validation) with a progress bar, loss and
accuracy per epoch, early stopping on the validation loss and a checkpoint of the best model; a confusion
matrix with per-class precision and recall; gradient accumulation (``loss / k`` over ``k`` micro-batches
gives exactly the gradient of the large batch); and how closely two frameworks that start from the same
weights follow each other (float32: slowly drifting apart; float64: equal to ~1e-15).

Prerequisites: lecture 04 (optimizers), lecture 05 (nn.Module, CrossEntropyLoss) and lecture 06 (Dataset,
DataLoader). Lecture 08 goes deeper into checkpoints (resuming, moving them between frameworks).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import math
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision

import minitorch
import minitorch.vision
from lectures.data_files import torchvision_layout
from lectures.runtime import lecture, vision

TEACHES = ("the complete training loop on real MNIST: MNIST datasets, random_split, DataLoader with a shared "
           "sampler, train/eval + no_grad, metrics and a progress bar, early stopping, best-model checkpoints, "
           "confusion matrix, gradient clipping and accumulation, minitorch vs torch step by step (float32 drift, "
           "float64 agreement)")
lec = lecture("07")
torch.set_num_threads(1)          # a fair timing: both frameworks compute on one thread (NumPy's BLAS is set above)
FRAMEWORKS = (minitorch, torch)


# %% [markdown]
# ## 1. The data: the real MNIST files, read by both libraries
# `../shared/data/mnist` holds the four original gzipped IDX files (60,000 training and 10,000 test images of
# 28 x 28 grey digits, with their labels). `minitorch.vision.datasets.MNIST` reads them where they are
# (gzipped or not, flat folder or torchvision's `<root>/MNIST/raw/` layout; `root=None` means the data folder,
# `$MINITORCH_DATA` or `../shared/data`). torchvision 0.29 only accepts its own layout with the files
# *decompressed* (it checks for `train-images-idx3-ubyte`, not the `.gz`), so the lecture decompresses them once
# into its output folder. Nothing is downloaded: `download=True` in minitorch raises an error that says which
# files to place where.
#
# Both datasets expose the whole split as tensors: `data` (uint8, N x 28 x 28) and `targets` (int64, N);
# `dataset[i]` returns `(PIL image, int label)` and applies `transform` to the image.

# %%
DATA_ROOT = Path(minitorch.vision.datasets.default_root())
TV_ROOT = lec.out_dir / "torchvision"
start = time.perf_counter()
torchvision_layout(DATA_ROOT / "mnist", TV_ROOT)
SETS = {minitorch: {split: minitorch.vision.datasets.MNIST(None, split == "train") for split in ("train", "test")},
        torch: {split: torchvision.datasets.MNIST(TV_ROOT, split == "train") for split in ("train", "test")}}
load_seconds = time.perf_counter() - start
lec.section("The real MNIST, read by minitorch.vision and torchvision",
            f"data folder {DATA_ROOT} (read in {load_seconds:.1f} s by both). The two datasets must hold the same "
            "images and labels.")
for split in ("train", "test"):
    a, b = SETS[minitorch][split], SETS[torch][split]
    same = np.array_equal(a.data.numpy(), b.data.numpy()) and np.array_equal(a.targets.numpy(), b.targets.numpy())
    lec.check(f"MNIST {split}: data {tuple(a.data.shape)} {a.data.dtype} and targets identical to torchvision's",
              same and len(a) == len(b) and a.data.dtype == minitorch.uint8 and a.targets.dtype == minitorch.int64)


def first_items(fw):
    """``dataset[i]`` for the first 5 training images: labels and pixels (PIL images turned into arrays)."""
    items = [SETS[fw]["train"][i] for i in range(5)]
    return [label for _, label in items], fw.tensor(np.stack([np.asarray(img) for img, _ in items]))


lec.compare("dataset[i]: PIL image + label", first_items)
counts = np.bincount(SETS[minitorch]["train"].targets.numpy(), minlength=10)
lec.note("training images per class: " + ", ".join(f"{d}: {c}" for d, c in enumerate(counts)) +
         " (roughly balanced: accuracy is a meaningful headline metric here).")

images, labels = SETS[minitorch]["train"].data.numpy(), SETS[minitorch]["train"].targets.numpy()
rows = [np.concatenate([images[i] for i in np.flatnonzero(labels == d)[:3]]) for d in range(10)]   # 3 per digit
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.imshow(np.concatenate(rows, axis=1), cmap="gray_r")
ax.set(xticks=np.arange(10) * 28 + 14, xticklabels=range(10), yticks=[])
lec.figure(fig, "mnist_samples", "the first three training images of each digit (minitorch.vision.datasets.MNIST)")

# %% [markdown]
# ## 2. The splits, and from images to tensors
# Three sets, three roles: the **training** set is what the optimizer sees; the **validation** set (held out
# of MNIST's training images by `random_split`) decides when to stop and which checkpoint to keep; the **test**
# set (MNIST's separate 10,000 images) is evaluated once, at the end, so its accuracy is an honest estimate.
# `random_split(dataset, lengths, generator)` returns `Subset`s (the dataset and a list of indices; nothing is
# copied). minitorch's split, with a seeded `Generator`, decides for both frameworks: torch's `random_split` draws
# a different (equally valid) permutation from its own generator, so the torch side reuses minitorch's indices and
# both frameworks train and validate on exactly the same images.
#
# The usual MNIST pipeline is `transform=Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])`: `ToTensor` turns
# the uint8 image into a float32 tensor of shape (1, 28, 28) in [0, 1], `Normalize` subtracts the training set's
# mean pixel value (0.1307) and divides by its standard deviation (0.3081). Applied in `__getitem__`, that costs two
# transforms per image per epoch; MNIST fits in memory, so here the same arithmetic is applied once to the
# selected rows of the `data` tensor and the result wrapped in a `TensorDataset`. The check below shows the two
# give the same tensors bit for bit; the deep dive measures the difference in speed.

# %%
MEAN, STD = 0.1307, 0.3081
N_TRAIN, N_VAL, N_TEST = (3000, 1000, 1000) if lec.quick else (55000, 5000, 10000)


def as_tensor_dataset(fw, dataset, index=slice(None)):
    """``ToTensor`` + ``Normalize`` of the images ``dataset.data[index]`` at once: a TensorDataset of
    (N, 1, 28, 28) float32 images and their int64 labels."""
    data, targets = dataset.data[index], dataset.targets[index]
    images = ((data.to(fw.float32) / 255 - MEAN) / STD).unsqueeze(1)
    return fw.utils.data.TensorDataset(images, targets)


def by_transforms(fw):
    """The first 8 training images through ``Compose([ToTensor(), Normalize])``, and the same from the whole tensor."""
    t = vision(fw).transforms
    pipeline = t.Compose([t.ToTensor(), t.Normalize((MEAN,), (STD,))])
    one_by_one = fw.stack([pipeline(SETS[fw]["train"][i][0]) for i in range(8)])
    return one_by_one, as_tensor_dataset(fw, SETS[fw]["train"], slice(0, 8)).tensors[0]


lec.section("Splits; ToTensor + Normalize per image and for the whole tensor",
            f"random_split of the 60,000 training images into {N_TRAIN} for training and {N_VAL} for validation"
            + (" (and the rest, unused in quick mode)" if lec.quick else "") + f"; {N_TEST} test images. "
            "Compose([ToTensor(), Normalize((0.1307,), (0.3081,))]) on the first 8 training images equals the same "
            "arithmetic on the data tensor (both frameworks).")
lengths = [N_TRAIN, N_VAL] + ([60000 - N_TRAIN - N_VAL] if lec.quick else [])
pieces = minitorch.utils.data.random_split(SETS[minitorch]["train"], lengths,
                                           generator=minitorch.Generator().manual_seed(0))
TRAIN_IDX, VAL_IDX = list(pieces[0].indices), list(pieces[1].indices)
lec.check(f"random_split: Subsets of {N_TRAIN} + {N_VAL} images, disjoint, drawn from all 60,000",
          type(pieces[0]).__name__ == "Subset" and len(pieces[0]) == N_TRAIN and len(pieces[1]) == N_VAL
          and len(set(TRAIN_IDX) | set(VAL_IDX)) == N_TRAIN + N_VAL and max(TRAIN_IDX + VAL_IDX) < 60000)
torch_pieces = torch.utils.data.random_split(SETS[torch]["train"], lengths, generator=torch.Generator().manual_seed(0))
lec.check("torch's random_split with the same seed: same sizes, a different permutation (its own generator)",
          [len(p) for p in torch_pieces] == lengths and list(torch_pieces[0].indices) != TRAIN_IDX)
mt_tr, th_tr = lec.compare("ToTensor+Normalize per image", by_transforms, tol=0)
lec.check("per-image transforms == whole-tensor arithmetic (minitorch, torch)",
          all(bool((a == b).all()) for a, b in (mt_tr, th_tr)), "bit for bit")

SPLITS = {fw: tuple(as_tensor_dataset(fw, SETS[fw]["train"], fw.tensor(idx)) for idx in (TRAIN_IDX, VAL_IDX))
          for fw in FRAMEWORKS}
TEST = {fw: as_tensor_dataset(fw, SETS[fw]["test"], slice(0, N_TEST)) for fw in FRAMEWORKS}
lec.compare("train/val/test tensors", lambda fw: (SPLITS[fw][0][:16], SPLITS[fw][1][-16:], TEST[fw][:16]), tol=0)


# %% [markdown]
# ## 3. The DataLoader, with a batch order both frameworks share
# `DataLoader(dataset, batch_size, sampler=...)` asks its *sampler* for indices, fetches `dataset[i]` for each
# and collates them (`default_collate` stacks the images into a (B, 1, 28, 28) tensor and the labels into a (B,)
# int64 tensor). `shuffle=True` means a `RandomSampler`, which draws from the framework's own generator: minitorch
# and torch would visit the images in different orders. To compare the two trainings step by step, both get the
# same sampler: a new NumPy permutation per epoch from the same seed. The validation and test loaders do not
# shuffle (the order does not change a sum).

# %%
BATCH = 100 if lec.quick else 128
EVAL_BATCH = 1000


def shared_sampler(fw, n, seed=0):
    """A sampler yielding a fresh NumPy permutation of range(n) every epoch: the same order on both frameworks."""

    class EpochPermutation(fw.utils.data.Sampler):
        def __init__(self):
            self.rng = np.random.default_rng(seed)

        def __iter__(self):
            return iter(self.rng.permutation(n).tolist())

        def __len__(self):
            return n

    return EpochPermutation()


def loaders(fw, batch=BATCH, seed=0):
    """(train, validation, test) DataLoaders of ``fw``: shuffled with the shared sampler, then in order."""
    train, val = SPLITS[fw]
    load = fw.utils.data.DataLoader
    return (load(train, batch_size=batch, sampler=shared_sampler(fw, len(train), seed)),
            load(val, batch_size=EVAL_BATCH), load(TEST[fw], batch_size=EVAL_BATCH))


def first_batches(fw):
    train, val, test = loaders(fw)
    (xb, yb), (xv, yv) = next(iter(train)), next(iter(val))
    return len(train), len(val), len(test), xb, yb, xv.shape, yv.dtype


lec.compare("DataLoader: len, first batches", first_batches, tol=0)

# %% [markdown]
# ## 4. Same starting weights, and the loop
# The model is an MLP: `Flatten -> Linear(784, H1) -> ReLU -> Linear(H1, H2) -> ReLU -> Linear(H2, 10)`,
# trained with `CrossEntropyLoss` on the logits and SGD with momentum. torch's freshly initialised
# `state_dict` is copied into the minitorch model (lecture 05), so both start from the same function.
#
# One epoch of the loop, in order:
#
# * `model.train()` (Dropout/BatchNorm would use their training behaviour; this MLP has none, but the habit matters);
# * for each batch: `optimizer.zero_grad()` (gradients accumulate otherwise), `logits = model(x)`,
#   `loss = loss_fn(logits, y)`, `loss.backward()`, `clip_grad_norm_(model.parameters(), max_norm)` (rescales all
#   gradients together when their global L2 norm exceeds `max_norm`; it returns the norm before clipping, a
#   useful thing to log), `optimizer.step()`; running sums of `loss.item() * len(y)` and of correct predictions
#   give the epoch's training loss and accuracy (`.item()`: a Python float, no graph kept alive);
# * `scheduler.step()` once per epoch: `ExponentialLR` multiplies the learning rate by `gamma` (lecture 04), large
#   steps first, then smaller ones to settle into a minimum;
# * `model.eval()` and `with no_grad():` over the validation loader: the loss summed with `reduction="sum"` and
#   divided by the number of images, and the accuracy;
# * **early stopping**: if the validation loss improved (by more than `min_delta`), save a checkpoint (model and
#   optimizer `state_dict`, epoch, validation loss) under the output folder; otherwise count an epoch without
#   improvement, and stop after `patience` of them. The best checkpoint, not the last weights, is the model
#   (the checkpoint also holds the scheduler's state, so training could resume from it: lecture 08).
#
# The progress bar (`tqdm`, through `lec.progress`) shows the batch rate and the time left.

# %%
H1, H2 = (128, 64) if lec.quick else (512, 256)     # a narrower MLP in quick mode
LR, MOMENTUM, GAMMA, MAX_NORM = 0.05, 0.9, 0.7, 2.0
EPOCHS, PATIENCE, MIN_DELTA = (3, 1, 0.0) if lec.quick else (15, 3, 1e-4)
CKPT = lec.out_dir / "checkpoints"
CKPT.mkdir(parents=True, exist_ok=True)


def mlp(fw):
    return fw.nn.Sequential(fw.nn.Flatten(), fw.nn.Linear(784, H1), fw.nn.ReLU(), fw.nn.Linear(H1, H2), fw.nn.ReLU(),
                            fw.nn.Linear(H2, 10))


torch.manual_seed(0)
INIT = {k: v.detach().numpy().copy() for k, v in mlp(torch).state_dict().items()}


def same_start(fw, dtype="float32"):
    """The MLP on ``fw`` holding torch's initial weights ``INIT`` (cast to ``dtype``)."""
    model = mlp(fw).to(getattr(fw, dtype))
    model.load_state_dict({k: fw.tensor(v) for k, v in INIT.items()})
    return model


def train_step(fw, model, optimizer, loss_fn, micro_batches, max_norm=None):
    """One optimizer step over ``micro_batches`` (k pairs (x, y)): each loss divided by k and backpropagated, so the
    gradients add up to the mean over all of them; then clipping and the step. Returns (loss, correct, grad norm)."""
    optimizer.zero_grad()
    k, loss_sum, correct = len(micro_batches), 0.0, 0
    for xb, yb in micro_batches:
        logits = model(xb)
        loss = loss_fn(logits, yb) / k
        loss.backward()
        loss_sum += loss.item()
        correct += (logits.argmax(1) == yb).sum().item()
    norm = fw.nn.utils.clip_grad_norm_(model.parameters(), max_norm if max_norm else math.inf).item()
    optimizer.step()
    return loss_sum, correct, norm


def evaluate(fw, model, loader):
    """(mean loss, accuracy, predictions) over ``loader``, in eval mode and without building a graph."""
    model.eval()
    loss_fn = fw.nn.CrossEntropyLoss(reduction="sum")
    total, preds, targets = 0.0, [], []
    with fw.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            total += loss_fn(logits, yb).item()
            preds.append(logits.argmax(1))
            targets.append(yb)
    preds, targets = fw.cat(preds), fw.cat(targets)
    return total / len(targets), (preds == targets).sum().item() / len(targets), preds


def fit(fw, h):
    """The training loop with clipping, a learning-rate schedule, validation, early stopping and a best-model
    checkpoint; fills the history ``h`` and yields after every epoch (so two runs can take turns)."""
    model = same_start(fw)
    optimizer = fw.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    scheduler = fw.optim.lr_scheduler.ExponentialLR(optimizer, gamma=GAMMA)
    loss_fn = fw.nn.CrossEntropyLoss()
    train_loader, val_loader, _ = loaders(fw)
    h["path"] = CKPT / f"best_{fw.__name__}.pt"
    h.update({k: [] for k in ("step_loss", "grad_norm", "train_loss", "train_acc", "val_loss", "val_acc")})
    h.update(best_val_loss=math.inf, stopped_at=None, seconds=0.0, model=model)
    waited = 0
    for epoch in range(1, EPOCHS + 1):
        start = time.perf_counter()
        model.train()
        loss_sum, correct = 0.0, 0
        for xb, yb in lec.progress(train_loader, f"{fw.__name__} epoch {epoch}/{EPOCHS}"):
            loss, right, norm = train_step(fw, model, optimizer, loss_fn, [(xb, yb)], MAX_NORM)
            h["step_loss"].append(loss)
            h["grad_norm"].append(norm)
            loss_sum, correct = loss_sum + loss * len(yb), correct + right
        scheduler.step()
        val_loss, val_acc, _ = evaluate(fw, model, val_loader)
        for key, value in (("train_loss", loss_sum / N_TRAIN), ("train_acc", correct / N_TRAIN),
                           ("val_loss", val_loss), ("val_acc", val_acc)):
            h[key].append(value)
        if val_loss < h["best_val_loss"] - MIN_DELTA:
            h["best_val_loss"], h["best_epoch"], waited = val_loss, epoch, 0
            fw.save({"epoch": epoch, "val_loss": val_loss, "model": model.state_dict(),
                     "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, h["path"])
        else:
            waited += 1
        h["seconds"] += time.perf_counter() - start
        if waited >= PATIENCE:
            h["stopped_at"] = epoch
            return
        yield epoch


lec.section("Training: minitorch and torch from the same weights, same batches",
            f"MLP 784-{H1}-{H2}-10, SGD(lr={LR}, momentum={MOMENTUM}) with ExponentialLR(gamma={GAMMA}) per epoch, "
            f"clip_grad_norm_(max_norm={MAX_NORM}), batch {BATCH}, {N_TRAIN} training / {N_VAL} validation images, at "
            f"most {EPOCHS} epochs, early stopping with patience {PATIENCE} on the validation loss; float32. The two "
            "runs take turns epoch by epoch, so that the load of this shared machine weighs on both timings alike; "
            "each framework computes on one thread (NumPy's BLAS: OPENBLAS_NUM_THREADS=1; torch.set_num_threads(1)).")
HIST = {fw: {} for fw in FRAMEWORKS}
running = [fit(fw, HIST[fw]) for fw in FRAMEWORKS]
while running:
    running = [run for run in running if next(run, None) is not None]
for fw in FRAMEWORKS:
    h = HIST[fw]
    lec.note(f"{fw.__name__}: {len(h['val_loss'])} epochs in {h['seconds']:.1f} s "
             f"({h['seconds'] / len(h['step_loss']) * 1e3:.1f} ms per step, data loading and validation included); "
             "validation accuracy per epoch " + ", ".join(f"{a:.4f}" for a in h["val_acc"]) +
             f"; best epoch {h['best_epoch']}" + (f", stopped early after epoch {h['stopped_at']}" if h["stopped_at"]
                                                  else ", no early stop"))
    ran_out = h["stopped_at"] is None and len(h["val_loss"]) == EPOCHS
    lec.check(f"{fw.__name__}: early stopping ran all {EPOCHS} epochs or stopped exactly {PATIENCE} epoch(s) after the "
              "best one, which is the epoch of the lowest validation loss",
              (ran_out or h["stopped_at"] == h["best_epoch"] + PATIENCE)
              and h["val_loss"][h["best_epoch"] - 1] <= min(h["val_loss"]) + MIN_DELTA,
              f"best epoch {h['best_epoch']}, stopped after {h['stopped_at'] or len(h['val_loss'])}")
mt_h, th_h = HIST[minitorch], HIST[torch]
per_step = [HIST[fw]["seconds"] / len(HIST[fw]["step_loss"]) for fw in FRAMEWORKS]
lec.note(f"Wall time of the training loop: minitorch {mt_h['seconds']:.1f} s, torch {th_h['seconds']:.1f} s; per "
         f"step (loading and validation included) {per_step[0] * 1e3:.1f} ms vs {per_step[1] * 1e3:.1f} ms, a ratio of "
         f"{per_step[0] / per_step[1]:.2f} (one thread each; the deep dive splits a step into its parts).")

# %% [markdown]
# ### How far apart are the two runs?
# Same weights, same batches, same arithmetic: the first steps agree to float32 rounding (~1e-7 relative). But the
# frameworks do not add the numbers in the same order (different BLAS kernels, different reductions), and training
# is a chaotic map: a difference of one unit in the last place is amplified a little at each step. The per-step
# loss difference therefore grows, slowly at first; after a few epochs the two runs are as different as two runs
# from the same initialisation with a different rounding, and some test predictions differ. Their curves and
# accuracies still agree closely; the same loop in float64 agrees to ~1e-15 (next section), which shows the drift
# is rounding, not a different algorithm.

# %%
steps = min(len(mt_h["step_loss"]), len(th_h["step_loss"]))
step_diff = np.abs(np.array(mt_h["step_loss"][:steps]) - np.array(th_h["step_loss"][:steps]))
first_diff = float(step_diff[:10].max())
lec.check("float32: the first 10 step losses agree to 1e-5", first_diff < 1e-5, f"max |diff| {first_diff:.1e}")
epoch_steps = len(loaders(minitorch)[0])
per_epoch = [float(step_diff[i:i + epoch_steps].max()) for i in range(0, steps, epoch_steps)]
above = [int(np.argmax(step_diff > t)) if (step_diff > t).any() else None for t in (1e-4, 1e-2)]
lec.note("float32 drift: max |step loss minitorch - torch| per epoch " + ", ".join(f"{d:.1e}" for d in per_epoch) +
         f"; it first exceeds 1e-4 at step {above[0]} and 1e-2 at step {above[1]} (None: never).")
epochs_both = min(len(mt_h["val_acc"]), len(th_h["val_acc"]))
acc_gaps = [abs(a - b) * 100 for a, b in zip(mt_h["val_acc"][:epochs_both], th_h["val_acc"][:epochs_both])]
lec.note("validation accuracy gap per epoch (points): " + ", ".join(f"{g:.2f}" for g in acc_gaps))

fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
for fw, marker, ls in ((minitorch, "o", "-"), (torch, "x", "--")):
    h, name = HIST[fw], fw.__name__
    ep = np.arange(1, len(h["val_loss"]) + 1)
    axes[0].plot(ep, h["train_loss"], ls, marker=marker, color="C0", label=f"train, {name}")
    axes[0].plot(ep, h["val_loss"], ls, marker=marker, color="C1", label=f"validation, {name}")
    axes[1].plot(ep, h["train_acc"], ls, marker=marker, color="C0", label=f"train, {name}")
    axes[1].plot(ep, h["val_acc"], ls, marker=marker, color="C1", label=f"validation, {name}")
    axes[2].plot(h["grad_norm"], ls, color="C2" if fw is minitorch else "C3", lw=0.8, label=name)
for ax in axes[:2]:
    ax.axvline(mt_h["best_epoch"], color="gray", ls=":", lw=1)
axes[2].axhline(MAX_NORM, color="k", ls=":", lw=1, label=f"max_norm = {MAX_NORM}")
axes[3].semilogy(np.maximum(step_diff, 1e-12), lw=0.8, color="C4")
axes[0].set(xlabel="epoch", title="loss (dotted: minitorch's best epoch)")
axes[1].set(xlabel="epoch", title="accuracy")
axes[2].set(xlabel="step", title="gradient norm before clipping")
axes[3].set(xlabel="step", title="|loss minitorch - loss torch| per step (float32)")
for ax in (axes[0], axes[2]):
    ax.legend(fontsize=7)
fig.subplots_adjust(wspace=0.25)
lec.figure(fig, "curves", "loss and accuracy per epoch, minitorch (solid, o) and torch (dashed, x) on the same axes; "
           "the global gradient norm that clip_grad_norm_ sees; the per-step loss difference (float32 drift; exact "
           "agreement drawn at 1e-12)")

# %% [markdown]
# ### The float64 segment
# The same loop for 10 steps in float64, from the same weights and batches: both frameworks must agree to ~1e-10.

# %%
SEGMENT = 10


def float64_segment(fw):
    model = same_start(fw, "float64")
    optimizer = fw.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = fw.nn.CrossEntropyLoss()
    losses = []
    for _, (xb, yb) in zip(range(SEGMENT), loaders(fw)[0]):
        losses.append(train_step(fw, model, optimizer, loss_fn, [(xb.double(), yb)], MAX_NORM)[0])
    return fw.tensor(losses, dtype=fw.float64), [p.detach() for p in model.parameters()]


lec.section("float64: the two frameworks agree step by step",
            f"{SEGMENT} steps of the same loop in float64 (losses and final parameters compared, tolerance 1e-10).")
lec.compare(f"float64: {SEGMENT} steps, losses + weights", float64_segment, tol=1e-10)

# %% [markdown]
# ## 5. Checkpoint, test set, confusion matrix
# The model kept is the best checkpoint, reloaded from disk (`load_state_dict(load(path)["model"])`); its
# validation loss must be exactly the one recorded when it was saved. Then, once, the test set. A confusion
# matrix counts, for every true class (row) and predicted class (column), how many test images fell there: the
# diagonal holds the correct predictions, off-diagonal cells show which digits are mistaken for which. It is
# built with tensor ops (`index_put_` with `accumulate=True` adds 1 at each (target, prediction) cell), and the
# per-class **precision** (of the images predicted as c, the fraction that are c: column-normalised diagonal) and
# **recall** (of the images of class c, the fraction found: row-normalised diagonal) follow from it.

# %%
def confusion(fw, targets, preds, classes=10):
    cm = fw.zeros(classes, classes, dtype=fw.int64)
    return cm.index_put_((targets, preds), fw.ones_like(targets), accumulate=True)


def test_results(fw):
    h = HIST[fw]
    model = same_start(fw)
    checkpoint = fw.load(h["path"])
    model.load_state_dict(checkpoint["model"])
    val_loss, _, _ = evaluate(fw, model, loaders(fw)[1])
    test_loss, test_acc, preds = evaluate(fw, model, loaders(fw)[2])
    return checkpoint["epoch"], val_loss, test_loss, test_acc, preds, confusion(fw, TEST[fw].tensors[1], preds)


RESULTS = {fw: test_results(fw) for fw in FRAMEWORKS}
lec.section("Best checkpoint on the test set",
            "the best model reloaded from its checkpoint file, evaluated once on the test images")
for fw in FRAMEWORKS:
    epoch, val_loss, test_loss, test_acc, preds, cm = RESULTS[fw]
    lec.check(f"{fw.__name__}: reloaded checkpoint (epoch {epoch}) reproduces its validation loss exactly",
              val_loss == HIST[fw]["best_val_loss"] and epoch == HIST[fw]["best_epoch"], f"{val_loss:.6f}")
    lec.note(f"{fw.__name__}: test loss {test_loss:.4f}, test accuracy {test_acc * 100:.2f}% on {N_TEST} images")
mt_acc, th_acc = RESULTS[minitorch][3], RESULTS[torch][3]
differ = int((RESULTS[minitorch][4].numpy() != RESULTS[torch][4].numpy()).sum())
lec.check(f"test accuracy: minitorch {mt_acc * 100:.2f}%, torch {th_acc * 100:.2f}%, within 0.5 points",
          abs(mt_acc - th_acc) <= 0.005, f"{differ} of {N_TEST} test predictions differ (float32 drift)")
if not lec.quick:
    lec.check("full mode: minitorch reaches >= 97.5% test accuracy", mt_acc >= 0.975, f"{mt_acc * 100:.2f}%")

cm = RESULTS[minitorch][5].numpy()
y_true, y_pred = TEST[minitorch].tensors[1].numpy(), RESULTS[minitorch][4].numpy()
by_numpy = np.zeros((10, 10), np.int64)
np.add.at(by_numpy, (y_true, y_pred), 1)
lec.check("confusion matrix (index_put_ accumulate) == NumPy np.add.at; its diagonal / N == accuracy (minitorch)",
          np.array_equal(cm, by_numpy) and abs(np.trace(cm) / cm.sum() - mt_acc) < 1e-12)
lec.compare("confusion matrix of fixed predictions",
            lambda fw: confusion(fw, fw.tensor(y_true), fw.tensor(y_pred)), tol=0)
precision, recall = np.diag(cm) / np.maximum(cm.sum(0), 1), np.diag(cm) / np.maximum(cm.sum(1), 1)
off = cm - np.diag(np.diag(cm))
worst = np.unravel_index(off.argmax(), off.shape)
lec.note("per class (minitorch): " + "; ".join(f"{c}: precision {p:.3f}, recall {r:.3f}"
                                               for c, (p, r) in enumerate(zip(precision, recall))) +
         f". Most frequent confusion: a true {worst[0]} predicted as {worst[1]} ({off[worst]} times).")

cm_torch = RESULTS[torch][5].numpy()
cells = int((cm != cm_torch).sum())
fig, ax = plt.subplots(figsize=(6, 5))
ax.imshow(np.log1p(cm), cmap="Blues")
for i, j in zip(*np.nonzero(cm | cm_torch)):
    text = str(cm[i, j]) if cm[i, j] == cm_torch[i, j] else f"{cm[i, j]}|{cm_torch[i, j]}"
    ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color="white" if i == j else "black")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
       title=f"test accuracy: minitorch {mt_acc * 100:.2f}%, torch {th_acc * 100:.2f}%")
lec.figure(fig, "confusion_matrix", "confusion matrix of minitorch's best checkpoint on the test set (colour: log "
           f"count); a cell where torch's count differs shows 'minitorch|torch' ({cells} of 100 cells)")

# %% [markdown]
# ## 6. Gradient accumulation
# A large batch may not fit in memory. Gradient accumulation runs `k` micro-batches of size `B / k` through
# forward and backward before one optimizer step: `backward()` *adds* into `.grad`, so after `k` backward passes
# `.grad` holds the sum of the micro-batch gradients. With the default `reduction="mean"`, each micro-batch loss
# is a mean over `B / k` samples; dividing it by `k` makes the sum of the `k` gradients the gradient of the mean
# over all `B` samples, i.e. exactly the large batch's gradient (up to rounding). Without `/ k` the gradient is
# `k` times too large, which behaves like a `k` times larger learning rate. Clipping, if any, comes after the
# last micro-batch, on the accumulated gradient.
#
# Check: 3 optimizer steps with batch 128, and 3 steps each accumulating 4 micro-batches of 32 (the same images,
# same order: the shared sampler), float64, from the same weights.

# %%
ACC_K, ACC_BATCH, ACC_STEPS = 4, 128, 3


def accumulation_run(fw, k, divide=True):
    """``ACC_STEPS`` SGD steps, each over ``ACC_BATCH`` images split into ``k`` micro-batches (float64)."""
    model = same_start(fw, "float64")
    optimizer = fw.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    mean = fw.nn.CrossEntropyLoss()
    loss_fn = mean if divide else (lambda logits, y: mean(logits, y) * k)     # undoes train_step's / k
    batches = iter(loaders(fw, batch=ACC_BATCH // k)[0])
    losses = []
    for _ in range(ACC_STEPS):
        micro = [(xb.double(), yb) for _, (xb, yb) in zip(range(k), batches)]
        losses.append(train_step(fw, model, optimizer, loss_fn, micro)[0])
    return fw.tensor(losses, dtype=fw.float64), [p.detach() for p in model.parameters()]


def accumulation(fw):
    """(large batch, k micro-batches with loss / k, k micro-batches without it): losses and weights of each."""
    return accumulation_run(fw, 1), accumulation_run(fw, ACC_K), accumulation_run(fw, ACC_K, divide=False)


lec.section("Gradient accumulation == a large batch",
            f"{ACC_STEPS} steps of batch {ACC_BATCH} vs {ACC_STEPS} steps accumulating {ACC_K} micro-batches of "
            f"{ACC_BATCH // ACC_K} with loss / {ACC_K} (and without), float64, on both frameworks; the three runs are "
            "compared between the frameworks (tolerance 1e-10) and with each other on each framework.")
for fw, runs in zip(FRAMEWORKS, lec.compare("accumulation: 3 runs, losses + weights", accumulation, tol=1e-10)):
    (big_losses, big), (acc_losses, acc), (_, wrong) = runs
    gap = max((a - b).abs().max().item() for a, b in zip(big, acc))
    wrong_gap = max((a - b).abs().max().item() for a, b in zip(big, wrong))
    lec.check(f"{fw.__name__}: {ACC_K} micro-batches with loss / {ACC_K} == batch {ACC_BATCH} (weights after "
              f"{ACC_STEPS} steps)", gap < 1e-12 and (big_losses - acc_losses).abs().max().item() < 1e-12,
              f"max |weight diff| {gap:.1e}; without / {ACC_K}: {wrong_gap:.1e}")
    lec.check(f"{fw.__name__}: without / k the weights go elsewhere (k times the gradient)", wrong_gap > 1e-3)

# %% [markdown]
# ## 7. Deep dive: what train()/eval() and no_grad change in the loop, and what per-sample transforms cost
# `model.train()` / `model.eval()` only flip the `training` flag of every submodule; layers that read it
# (Dropout, BatchNorm) change behaviour. They do not touch autograd. `no_grad()` is the opposite: it does not
# touch the modules, it stops the recording of the graph, so no intermediate activations are kept and
# `backward` is impossible. Validation wants both: `eval()` for the deterministic, batch-independent behaviour,
# `no_grad()` for speed and memory. Forgetting `eval()` makes Dropout randomly zero activations at test time and
# BatchNorm normalise with the test batch's own statistics (and update its running buffers with test data!);
# forgetting `no_grad()` gives correct numbers but keeps every activation of the validation batch alive until
# the result is dropped. Forgetting to go back to `train()` after validation silently disables Dropout for the
# rest of training. The checks below run a model with Dropout through the four combinations.

# %%
def modes(fw):
    fw.manual_seed(0)
    model = fw.nn.Sequential(fw.nn.Linear(4, 64), fw.nn.ReLU(), fw.nn.Dropout(0.5), fw.nn.Linear(64, 3)).double()
    x = fw.ones(8, 4, dtype=fw.float64)
    model.train()
    a, b = model(x), model(x)
    random_in_train = bool((a != b).any()) and a.requires_grad
    model.eval()
    c, d = model(x), model(x)
    deterministic_in_eval = bool((c == d).all()) and c.requires_grad and c.grad_fn is not None
    with fw.no_grad():
        e = model(x)
    no_graph = not e.requires_grad and e.grad_fn is None and bool((e == c).all())
    model.train()
    with fw.no_grad():
        f = model(x)
    return random_in_train, deterministic_in_eval, no_graph, not f.requires_grad and bool((f != c).any())


lec.section("Deep dive: train()/eval() and no_grad in the loop; what per-image transforms cost; where a step's "
            "time goes",
            "train/eval decides what Dropout/BatchNorm do, no_grad decides whether a graph is recorded: they are "
            "independent switches. Then the cost of applying the transforms image by image, and a training step "
            "split into its phases on both frameworks.")
lec.compare("train/eval x no_grad with Dropout", modes)

# %% [markdown]
# Why the lecture converts all images at once: `dataset[i]` with `transform=Compose([ToTensor(), Normalize])`
# builds a PIL image and runs two transforms for every image, every epoch: around a hundred microseconds of
# Python per image, more than the whole training step spends per image. Measured below on both frameworks for 200
# images against the whole-tensor conversion of the same images. For augmentation (random crops, rotations)
# per-image transforms are necessary, and `num_workers > 0` moves them to other processes (lecture 06).

# %%
def transform_costs(fw, n=200):
    t = vision(fw).transforms
    dataset = vision(fw).datasets.MNIST(None if fw is minitorch else TV_ROOT, train=False,
                                        transform=t.Compose([t.ToTensor(), t.Normalize((MEAN,), (STD,))]))
    dataset[0]                                      # warm-up: the first call imports and initialises PIL
    start = time.perf_counter()
    per_image = fw.stack([dataset[i][0] for i in range(n)])
    middle = time.perf_counter()
    whole = as_tensor_dataset(fw, dataset, slice(0, n)).tensors[0]
    end = time.perf_counter()
    return per_image, whole, (middle - start) / n * 1e6, (end - middle) / n * 1e6


costs = {}
for fw in FRAMEWORKS:
    per_image, whole, us_image, us_whole = transform_costs(fw)
    costs[fw] = (us_image, us_whole)
    lec.check(f"{fw.__name__}: transforms per image == whole-tensor conversion (200 test images)",
              bool((per_image == whole).all()), f"{us_image:.1f} us per image one by one vs {us_whole:.2f} us at once")
lec.note("per image, one by one vs whole tensor: " + "; ".join(
    f"{fw.__name__} {c[0]:.0f} us vs {c[1]:.2f} us" for fw, c in costs.items()) +
    f". For {N_TRAIN} images and the {len(mt_h['val_loss'])} epochs run above, the per-image pipeline would have "
    f"added about {costs[minitorch][0] * len(mt_h['step_loss']) * BATCH / 1e6:.1f} s (minitorch) and "
    f"{costs[torch][0] * len(th_h['step_loss']) * BATCH / 1e6:.1f} s (torch) to the training.")

# %% [markdown]
# ### Where the time of a step goes
# The same step, split into its phases and timed on both frameworks (the frameworks take turns, best of three
# rounds (two in quick mode), one thread each): fetching a batch from the DataLoader (per-sample `dataset[i]` and
# `default_collate`), forward and loss, backward, `clip_grad_norm_`, and the optimizer step. The matrix products
# dominate forward and backward; NumPy's BLAS (OpenBLAS here) and torch's differ in speed, and everything else
# in minitorch is Python around NumPy calls, where torch runs C++.

# %%
PHASES = ("batch", "forward", "backward", "clip", "step")


def step_phases(fw, steps=5 if lec.quick else 40):
    """Milliseconds per step spent in each phase of the training step (mean over ``steps`` steps)."""
    model = same_start(fw)
    optimizer = fw.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = fw.nn.CrossEntropyLoss()
    batches = iter(loaders(fw)[0])
    total = dict.fromkeys(PHASES, 0.0)
    for _ in range(steps):
        t0 = time.perf_counter()
        xb, yb = next(batches)
        t1 = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        fw.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
        t4 = time.perf_counter()
        optimizer.step()
        t5 = time.perf_counter()
        for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            total[phase] += seconds * 1e3 / steps
    return total


rounds = [{fw: step_phases(fw) for fw in FRAMEWORKS} for _ in range(2 if lec.quick else 3)]
best = {fw: {k: min(r[fw][k] for r in rounds) for k in PHASES} for fw in FRAMEWORKS}
lec.note("milliseconds per step, minitorch / torch: " + "; ".join(
    f"{k} {best[minitorch][k]:.2f} / {best[torch][k]:.2f}" for k in PHASES) +
    f"; total {sum(best[minitorch].values()):.2f} / {sum(best[torch].values()):.2f} "
    f"(ratio {sum(best[minitorch].values()) / sum(best[torch].values()):.2f}), batch {BATCH}, MLP 784-{H1}-{H2}-10.")

# %% [markdown]
# ## 8. Interview questions

# %%
lec.section("Interview questions", "")


def grad_twice(fw):
    w = fw.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (w * 3).sum().backward()
    return w.grad.tolist() == [6.0, 6.0]


lec.qa("Why call optimizer.zero_grad() at every step?",
       "backward() adds into .grad instead of overwriting it (that is what makes accumulation possible). Without "
       "zero_grad each step would use the sum of all gradients so far: two backward passes of sum(3 w) leave "
       "grad = 6, not 3.", check=grad_twice)


def accumulation_equal(fw):
    fw.manual_seed(0)
    layer = fw.nn.Linear(5, 3).double()
    x, y = fw.randn(8, 5, dtype=fw.float64), fw.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    loss_fn = fw.nn.CrossEntropyLoss()
    (big,) = fw.autograd.grad(loss_fn(layer(x), y), layer.weight)
    for i in range(4):
        (loss_fn(layer(x[2 * i:2 * i + 2]), y[2 * i:2 * i + 2]) / 4).backward()
    return (layer.weight.grad - big).abs().max().item() < 1e-15


lec.qa("In gradient accumulation over k micro-batches, why divide each loss by k?",
       "Each micro-batch loss is a mean over its B/k samples; the k backward passes add their gradients. Dividing by "
       "k turns the sum of k means into the mean over all B samples, i.e. the large batch's gradient (4 micro-batches "
       "of 2 equal one batch of 8 to 1e-15). Without it the gradient, and so the step, is k times too large.",
       check=accumulation_equal)


def batchnorm_breaks(fw):
    fw.manual_seed(0)
    model = fw.nn.Sequential(fw.nn.Linear(5, 4), fw.nn.BatchNorm1d(4), fw.nn.Linear(4, 1)).double()
    x = fw.randn(8, 5, dtype=fw.float64)
    (big,) = fw.autograd.grad(model(x).pow(2).mean(), model[0].weight)
    model.zero_grad()
    for i in range(2):
        (model(x[4 * i:4 * i + 4]).pow(2).mean() / 2).backward()
    return (model[0].weight.grad - big).abs().max().item() > 1e-6


lec.qa("When is gradient accumulation NOT the same as a large batch?",
       "When a layer couples the samples of a batch: BatchNorm normalises with the micro-batch's statistics, so "
       "k micro-batches of 4 give a different gradient than a batch of 8 (and update the running statistics k "
       "times). Also when micro-batches differ in size (the means weigh samples unequally), and per-step things "
       "like the optimizer's step count or a scheduler see 1 step, not k.", check=batchnorm_breaks)


def clip_norm(fw):
    w = fw.nn.Parameter(fw.zeros(2, dtype=fw.float64))
    w.grad = fw.tensor([3.0, 4.0], dtype=fw.float64)
    total = fw.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    expected = fw.tensor([0.6, 0.8], dtype=fw.float64)
    return abs(total.item() - 5.0) < 1e-12 and (w.grad - expected).abs().max().item() < 1e-6


lec.qa("What does clip_grad_norm_(parameters, max_norm) do, and what does it return?",
       "It computes the global L2 norm of all the gradients together (as if concatenated into one vector) and, if "
       "it exceeds max_norm, multiplies every gradient by max_norm / (norm + 1e-6): the direction of the update is "
       "kept, only its length is capped. It returns the norm BEFORE clipping: grad (3, 4) has norm 5 and becomes "
       "(0.6, 0.8).", check=clip_norm)


def clip_value(fw):
    w = fw.nn.Parameter(fw.zeros(2, dtype=fw.float64))
    w.grad = fw.tensor([3.0, 0.5], dtype=fw.float64)
    fw.nn.utils.clip_grad_value_([w], clip_value=1.0)
    return w.grad.tolist() == [1.0, 0.5]


lec.qa("How does clip_grad_value_ differ from clip_grad_norm_?",
       "clip_grad_value_ clamps every gradient element to [-c, c] independently, which changes the direction of the "
       "gradient ((3, 0.5) becomes (1, 0.5)); clip_grad_norm_ rescales the whole gradient and keeps its direction. "
       "Norm clipping is the usual choice (RNNs, transformers).", check=clip_value)


def clip_before_backward(fw):
    w = fw.nn.Parameter(fw.ones(3))
    total = fw.nn.utils.clip_grad_norm_([w], 1.0)
    return total.item() == 0.0 and w.grad is None


lec.qa("Where in the loop does gradient clipping go?",
       "After backward() (the gradients must exist: called before, it sees no gradients and returns a norm of 0) "
       "and before optimizer.step(); with accumulation, after the last micro-batch. With a GradScaler, unscale "
       "first.", check=clip_before_backward)


def eval_no_grad(fw):
    m = fw.nn.Linear(3, 2)
    m.eval()
    out = m(fw.ones(1, 3))
    with fw.no_grad():
        off = m(fw.ones(1, 3))
    return out.requires_grad and off.grad_fn is None and not off.requires_grad


lec.qa("Does model.eval() make validation cheaper?",
       "No: eval() only changes layers such as Dropout and BatchNorm; the forward still records a graph (its output "
       "requires grad). Wrap validation in no_grad() (or inference_mode()) as well to skip the graph and free "
       "activations at once.", check=eval_no_grad)


def item_vs_tensor(fw):
    w = fw.tensor([1.0], requires_grad=True)
    total, logged = 0, 0.0
    for _ in range(3):
        loss = (w * 2).sum()
        total = total + loss
        logged += loss.item()
    return total.grad_fn is not None and isinstance(logged, float) and logged == 6.0


lec.qa("Why log loss.item() rather than the loss tensor?",
       "total += loss keeps a tensor that still references the graph of every step it was added from: memory grows "
       "all epoch long (a classic leak). loss.item() is a plain Python float, detached from everything.",
       check=item_vs_tensor)


def initial_loss(fw):
    model = same_start(fw)
    xb, yb = next(iter(loaders(fw)[1]))
    with fw.no_grad():
        loss = fw.nn.CrossEntropyLoss()(model(xb), yb).item()
    return abs(loss - math.log(10)) < 0.1


lec.qa("Which loss do you expect at step 0 on MNIST, and why check it?",
       "About ln(10) = 2.30: a freshly initialised network gives nearly uniform probabilities over the 10 classes. "
       "A very different first loss points to a bug (wrong labels, unnormalised inputs, softmax applied twice, "
       "a bad initialisation) before any training time is spent. Checked on the validation images.",
       check=initial_loss)


def loader_len(fw):
    ds = fw.utils.data.TensorDataset(fw.arange(10))
    return (len(fw.utils.data.DataLoader(ds, batch_size=4)) == 3
            and len(fw.utils.data.DataLoader(ds, batch_size=4, drop_last=True)) == 2)


lec.qa("How many batches does a DataLoader yield per epoch, and what does drop_last change?",
       "ceil(N / batch_size): 10 samples in batches of 4 give 3 batches, the last one of 2. drop_last=True drops "
       "the incomplete last batch (2 batches), useful when a layer (BatchNorm) or a compiled step needs a fixed batch "
       "size; note that the dropped samples change every epoch when shuffling.", check=loader_len)


def shuffle_reproducible(fw):
    ds = fw.utils.data.TensorDataset(fw.arange(20))

    def first(seed):
        loader = fw.utils.data.DataLoader(ds, batch_size=5, shuffle=True, generator=fw.Generator().manual_seed(seed))
        return [b[0].tolist() for b in loader]

    a, b, c = first(1), first(1), first(2)
    ordered = [b[0].tolist() for b in fw.utils.data.DataLoader(ds, batch_size=5)]
    return a == b and a != c and sorted(sum(a, [])) == list(range(20)) and ordered[0] == [0, 1, 2, 3, 4]


lec.qa("Why shuffle the training set but not the validation set, and how do you make shuffling reproducible?",
       "Training on a fixed order lets the model pick up order effects and makes consecutive batches correlated; a "
       "new permutation every epoch gives unbiased gradient estimates. Validation computes a sum, which the order "
       "does not change. Pass generator=Generator().manual_seed(s) (or seed globally): the same seed gives the same "
       "batches, each epoch a different permutation.", check=shuffle_reproducible)


def split_fractions(fw):
    parts = fw.utils.data.random_split(range(10), [0.7, 0.3], generator=fw.Generator().manual_seed(0))
    return [len(p) for p in parts] == [7, 3] and sorted(list(parts[0]) + list(parts[1])) == list(range(10))


lec.qa("What does random_split accept, and what does it return?",
       "A dataset and either lengths that sum to its size or fractions that sum to 1 (the remainder is spread "
       "round-robin), plus an optional generator for a reproducible split. It returns Subset objects (dataset + "
       "indices): no data is copied, and the pieces are disjoint and cover the dataset.", check=split_fractions)


def argmax_logits(fw):
    z = fw.tensor(np.random.default_rng(3).normal(0, 3, (50, 10)))
    return bool((z.argmax(1) == z.softmax(1).argmax(1)).all())


lec.qa("To compute accuracy, do you need a softmax?",
       "No: softmax is monotonic, so argmax of the logits equals argmax of the probabilities. Apply softmax only when "
       "you need calibrated probabilities (or top-k confidences).", check=argmax_logits)


def early_stop_metric(fw):
    checkpoint = fw.load(HIST[fw]["path"])
    return (set(checkpoint) == {"epoch", "val_loss", "model", "optimizer", "scheduler"}
            and list(checkpoint["model"]) == list(INIT)
            and checkpoint["val_loss"] <= min(HIST[fw]["val_loss"]) + MIN_DELTA)


lec.qa("Early stopping: which data decides, and what do you keep?",
       "The validation set, never the test set (otherwise the test accuracy is no longer an unbiased estimate). Keep "
       "a checkpoint of the best epoch (model and optimizer state_dict, epoch, metric) and restore it at the end: the "
       "last epoch has already overfitted by `patience` epochs. min_delta ignores improvements too small to matter.",
       check=early_stop_metric)


def set_to_none(fw):
    m = fw.nn.Linear(2, 1)
    opt = fw.optim.SGD(m.parameters(), lr=0.1)
    m(fw.ones(1, 2)).sum().backward()
    opt.zero_grad()
    return m.weight.grad is None


lec.qa("What does optimizer.zero_grad() do to .grad by default?",
       "It sets each gradient to None (set_to_none=True) instead of filling it with zeros: no memory traffic, and the "
       "next backward allocates fresh gradients; optimizers skip parameters whose grad is None.", check=set_to_none)


lec.qa("The two frameworks started from the same weights and saw the same batches. Why do their float32 runs "
       "drift apart?",
       "Floating-point addition is not associative: different BLAS kernels and reduction orders give results that "
       "differ in the last bits, and training amplifies such differences slowly (the same happens between two "
       "torch versions, or CPU and GPU). The float64 segment agrees to ~1e-12, and the float32 curves and accuracies "
       "agree to well within the run-to-run noise of a different seed.")

# %%
lec.finish()

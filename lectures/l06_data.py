"""Data: Dataset, DataLoader, samplers and augmentation on tabular, image and text data.

What you will learn: the two dataset protocols (map-style ``__getitem__``/``__len__`` and ``IterableDataset``)
and how to write your own for a CSV table, an image folder and a text corpus; what ``DataLoader`` does with them
(sampler -> batch sampler -> fetch -> ``collate_fn``), batching, ``drop_last`` and ``len``; shuffling (why the
same sampler order gives the same batches on any framework, and how a seeded ``generator`` makes an epoch
reproducible); a padding ``collate_fn`` and length bucketing for variable-length text; ``random_split`` and
fitting preprocessing statistics on the training split only; ``ImageFolder`` and transforms; an imbalanced
real dataset (brain-tumour MRI) re-balanced with ``WeightedRandomSampler``; data augmentation as an image grid
(``RandomResizedCrop``, flips, ``ColorJitter``, ``RandomRotation``) and the invariances it teaches a model;
worker processes: the speed-up measured, the order of batches, per-worker seeds, prefetching and sharding an
``IterableDataset`` with ``get_worker_info``.

Data: a generated table written as CSV; real CIFAR-10 JPEG folders, brain-tumour MRI folders and the Rotten
Tomatoes sentence-polarity corpus from ``../shared/data``.

Prerequisites: lecture 01 (tensors) and lecture 05 (nn.Module, the training step).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small arrays: BLAS threads only contend (set before NumPy loads)

import collections
import csv
import math
import random
import re
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import minitorch
import minitorch.vision
from lectures.runtime import lecture, vision

TEACHES = ("custom Datasets for CSV, image-folder and text data, DataLoader batching/collate/len, shuffling and "
           "seeded generators, padding collate_fn and length bucketing, random_split, ImageFolder and transforms, "
           "WeightedRandomSampler for imbalanced classes, augmentation and invariance, worker processes: speed-up, "
           "seeds, prefetching, IterableDataset sharding")
lec = lecture("06")
torch.set_num_threads(1)          # tiny tensors: torch's thread pool only adds overhead on a shared 2-core machine
OUT = lec.out_dir
OUT.mkdir(parents=True, exist_ok=True)


DATA = Path(minitorch.vision.datasets.default_root())      # $MINITORCH_DATA, else ../shared/data


def as_numpy(t) -> np.ndarray:
    return t.detach().numpy()

# %% [markdown]
# ## 1. The Dataset protocol, on a CSV table
# A *map-style* dataset is any object with `__len__` and `__getitem__(i)` returning one sample; subclassing
# `torch.utils.data.Dataset` adds nothing but `+` (concatenation) and documents the intent. The `DataLoader` then
# turns indices into batches:
#
# 1. a **sampler** yields indices (`SequentialSampler` 0, 1, 2, ...; `RandomSampler` a permutation when
#    `shuffle=True`; or any iterable of indices you pass as `sampler=`),
# 2. a **batch sampler** groups them `batch_size` at a time (the last, smaller batch is dropped with `drop_last=True`),
# 3. each index is **fetched** with `dataset[i]` (in worker processes when `num_workers > 0`),
# 4. `collate_fn` turns the list of samples into a batch: `default_collate` stacks tensors and NumPy arrays,
#    turns numbers into tensors and recurses into tuples, lists and dicts.
#
# The table: a generated "penguins" data set (three species, four measurements per bird, an island, some missing
# values), written to CSV in the lecture's output folder, split 80/20 into `penguins_train.csv` and
# `penguins_test.csv`. The dataset
# parses the file once in `__init__` (small data: keep it in memory; for data that does not fit, `__getitem__`
# would read row `i` from disk instead). Preprocessing statistics (the means used to fill missing values, the
# standardisation, the category lists) are *fitted on the training file only* and passed to the test set: computing
# them on all the data leaks test information into training.


# %%
SPECIES, ISLANDS = ("Adelie", "Chinstrap", "Gentoo"), ("Biscoe", "Dream", "Torgersen")


def write_penguins(n: int, rng: np.random.Generator) -> tuple[Path, Path]:
    """A generated penguin table (species-dependent Gaussian measurements, ~3% missing), as train/test CSV files."""
    means = np.array([[38.8, 18.3, 190.0, 3700.0], [48.8, 18.4, 196.0, 3733.0], [47.5, 15.0, 217.0, 5076.0]])
    stds = np.array([2.7, 1.2, 6.5, 458.0])
    island_p = np.array([[0.3, 0.35, 0.35], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    species = rng.integers(0, 3, n)
    values = means[species] + stds * rng.standard_normal((n, 4))
    missing = rng.random((n, 4)) < 0.03
    rows = [{"species": SPECIES[s], "island": ISLANDS[rng.choice(3, p=island_p[s])],
             **{c: "NA" if missing[k, j] else f"{values[k, j]:.1f}"
                for j, c in enumerate(("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"))}}
            for k, s in enumerate(species)]
    paths = OUT / "penguins_train.csv", OUT / "penguins_test.csv"
    cut = int(0.8 * n)
    for path, part in zip(paths, (rows[:cut], rows[cut:])):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(part)
    return paths


N_PENGUINS = 410 if lec.quick else 4010
TRAIN_CSV, TEST_CSV = write_penguins(N_PENGUINS, np.random.default_rng(0))


def csv_dataset_class(fw):
    """A map-style Dataset over a CSV file: (standardised numeric + one-hot categorical features, class index)."""

    class CSVDataset(fw.utils.data.Dataset):
        def __init__(self, path, label="species", categorical=("island",), fitted=None):
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            numeric = [c for c in rows[0] if c != label and c not in categorical]
            values = np.array([[np.nan if r[c] == "NA" else float(r[c]) for c in numeric] for r in rows])
            if fitted is None:                     # the training split: fit the preprocessing here
                fitted = {"mean": np.nanmean(values, 0), "std": np.nanstd(values, 0),
                          "classes": sorted({r[label] for r in rows}),
                          "categories": {c: sorted({r[c] for r in rows}) for c in categorical}}
            self.fitted = fitted
            values = np.where(np.isnan(values), fitted["mean"], values)          # impute with the TRAIN mean
            onehot = [np.array([[r[c] == v for v in fitted["categories"][c]] for r in rows], dtype=np.float64)
                      for c in categorical]
            features = np.concatenate([(values - fitted["mean"]) / fitted["std"], *onehot], axis=1)
            self.columns = numeric + [f"{c}={v}" for c in categorical for v in fitted["categories"][c]]
            self.x = fw.tensor(features, dtype=fw.float32)
            self.y = fw.tensor([fitted["classes"].index(r[label]) for r in rows])

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return self.x[i], self.y[i]

    return CSVDataset


def penguin_sets(fw):
    CSVDataset = csv_dataset_class(fw)
    train = CSVDataset(TRAIN_CSV)
    return train, CSVDataset(TEST_CSV, fitted=train.fitted)


def tabular_batches(fw):
    train, test = penguin_sets(fw)
    loader = fw.utils.data.DataLoader(train, batch_size=32)
    batches = list(loader)
    dropped = fw.utils.data.DataLoader(train, batch_size=32, drop_last=True)
    return (train[0], batches[0], fw.cat([x for x, _ in batches]), fw.cat([y for _, y in batches]),
            len(loader), len(dropped), [len(y) for _, y in batches][-1], test.x.mean(0))


lec.section("A custom Dataset for a CSV table",
            f"{N_PENGUINS} generated penguins (species, island, four measurements, ~3% missing) written to "
            "penguins_train.csv / penguins_test.csv. CSVDataset parses the file, imputes missing values with the "
            "training means, standardises with the training statistics and one-hot encodes the island. "
            "DataLoader(batch_size=32) must give identical batches on both frameworks.")
mt_tab, _ = lec.compare("CSV Dataset + DataLoader batches", tabular_batches)
train_mt, _ = penguin_sets(minitorch)
lec.note(f"columns: {train_mt.columns}; sample 0 = {[round(float(v), 3) for v in mt_tab[0][0]]}, label "
         f"{mt_tab[0][1].item()} ({train_mt.fitted['classes'][mt_tab[0][1].item()]}). One batch: x "
         f"{tuple(mt_tab[1][0].shape)} {mt_tab[1][0].dtype}, y {tuple(mt_tab[1][1].shape)} {mt_tab[1][1].dtype}. {len(train_mt)} rows -> "
         f"len(loader) = {mt_tab[4]} batches (the last has {mt_tab[6]} rows); with drop_last=True {mt_tab[5]}. "
         "The test features use the training statistics, so their mean is only close to 0: "
         f"{[round(float(v), 3) for v in mt_tab[7][:4]]}.")

# %% [markdown]
# ### Shuffling: the sampler decides the order
# `shuffle=True` is shorthand for `sampler=RandomSampler(dataset)`, which draws a fresh permutation every epoch
# from the loader's `generator` (or the global RNG). The two frameworks draw *different* permutations from the same
# seed (their generators differ, by design), so a shuffled loader cannot be compared batch by batch. What can be
# compared: (a) given the same order of indices as `sampler=`, batches are identical, and so is training on them;
# (b) on each framework, the same seed gives the same order again, every epoch is a permutation, and a new epoch
# (or a new seed) gives a new order.


# %%
EPOCHS_TAB = 3 if lec.quick else 10
ORDERS = [np.random.default_rng(10 + e).permutation(int(0.8 * N_PENGUINS)).tolist() for e in range(EPOCHS_TAB)]


def train_tabular(fw):
    """Softmax regression trained with SGD on batches drawn in the fixed ORDERS: identical batches, identical model."""
    train, test = penguin_sets(fw)
    model = fw.nn.Linear(train.x.shape[1], 3)
    with fw.no_grad():
        model.weight.copy_(fw.tensor(np.linspace(-0.2, 0.2, model.weight.numel()).reshape(model.weight.shape),
                                     dtype=fw.float32))
        model.bias.zero_()
    opt = fw.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for order in ORDERS:
        for x, y in fw.utils.data.DataLoader(train, batch_size=16, sampler=order):
            loss = fw.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    with fw.no_grad():
        accuracy = (model(test.x).argmax(1) == test.y).float().mean()
    return model.weight, model.bias, fw.tensor(losses), accuracy


mt_fit, _ = lec.compare("SGD on batches in the same order", train_tabular)
lec.note(f"{EPOCHS_TAB} epochs of softmax regression, batch 16, each epoch's order given as sampler=: the weights, "
         f"every loss and the test accuracy ({mt_fit[3].item():.1%}) agree between frameworks.")


def by_hand_loader(dataset, order, batch_size, collate):
    """What DataLoader(dataset, batch_size, sampler=order, collate_fn=collate) does with num_workers=0."""
    for start in range(0, len(order), batch_size):
        yield collate([dataset[i] for i in order[start:start + batch_size]])


def loader_by_hand(fw):
    train, _ = penguin_sets(fw)
    D = fw.utils.data
    pairs = zip(D.DataLoader(train, batch_size=16, sampler=ORDERS[0]),
                by_hand_loader(train, ORDERS[0], 16, D.default_collate))
    return max(max((a - c).abs().max().item(), (b - d).abs().max().item()) for (a, b), (c, d) in pairs)


lec.check("DataLoader == sampler order + dataset[i] + default_collate written out, on both frameworks",
          all(loader_by_hand(fw) == 0 for fw in (minitorch, torch)))


def shuffle_laws(fw):
    data = list(range(100))
    def epoch_orders(seed, epochs=2):
        loader = fw.utils.data.DataLoader(data, batch_size=10, shuffle=True,
                                          generator=fw.Generator().manual_seed(seed))
        return [fw.cat(list(loader)).tolist() for _ in range(epochs)]
    first, again, other = epoch_orders(0), epoch_orders(0), epoch_orders(1)
    return (first == again, first[0] != first[1], first[0] != other[0],
            all(sorted(o) == data for o in first + other), first[0][:10])


SHUFFLE = {fw.__name__: shuffle_laws(fw) for fw in (minitorch, torch)}
for name, (same, new_epoch, new_seed, perm, head) in SHUFFLE.items():
    lec.check(f"{name}: shuffle=True with generator seed 0 repeats its orders; epoch 2 and seed 1 give new ones; "
              "each epoch is a permutation", same and new_epoch and new_seed and perm, f"first batch {head}")
lec.check("the frameworks' shuffled orders differ (different generators, by design)",
          SHUFFLE["minitorch"][4] != SHUFFLE["torch"][4])


def splits(fw):
    ds = fw.utils.data.TensorDataset(fw.arange(100))
    parts = fw.utils.data.random_split(ds, [0.7, 0.2, 0.1], generator=fw.Generator().manual_seed(0))
    idx = [sorted(p.indices) for p in parts]
    covered = sorted(i for p in idx for i in p) == list(range(100))
    odd = fw.utils.data.random_split(range(10), [0.33, 0.33, 0.34], generator=fw.Generator().manual_seed(0))
    return [len(p) for p in parts], covered, [len(p) for p in odd], type(parts[0]).__name__


mt_split, _ = lec.compare("random_split: sizes, disjoint cover", splits)
lec.note(f"random_split(dataset, [0.7, 0.2, 0.1], generator=...) -> {mt_split[3]}s of sizes {mt_split[0]}, disjoint and "
         "covering the dataset (which indices land where is random, and differs between frameworks). Fractions are "
         "turned into lengths by flooring and handing out the remainder: [0.33, 0.33, 0.34] of 10 -> "
         f"{mt_split[2]}. Split first, then fit preprocessing on the training part only, as with the CSV files above.")

# %% [markdown]
# ## 2. Images: `ImageFolder` and a hand-written image Dataset
# `ImageFolder(root)` expects `root/<class>/<image>`: it lists the class folders in sorted order
# (`classes`, `class_to_idx`), collects `(path, class_index)` pairs in `samples` (sorted, filtered by extension)
# and, on `__getitem__`, opens the file with Pillow, converts it to RGB and applies `transform` to the image and
# `target_transform` to the label. `transforms.ToTensor` turns an `H x W x C` uint8 image into a `C x H x W`
# float tensor in `[0, 1]`; `Normalize(mean, std)` then standardises each channel. The hand-written dataset below
# does the same in fifteen lines, which is all `ImageFolder` is.


# %%
CIFAR = DATA / "cifar10-jpeg"
MRI = DATA / "brain-tumor-mri"
IMG_EXT = (".jpg", ".jpeg", ".png")


def folder_dataset_class(fw):
    """ImageFolder written by hand: sorted class folders, (path, label) pairs, Pillow decoding, HWC uint8 -> CHW float."""

    class FolderDataset(fw.utils.data.Dataset):
        def __init__(self, root, transform=None):
            root = os.fspath(root)
            self.classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
            self.samples = [(os.path.join(root, c, name), k) for k, c in enumerate(self.classes)
                            for name in sorted(os.listdir(os.path.join(root, c))) if name.lower().endswith(IMG_EXT)]
            self.transform = transform

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, i):
            from PIL import Image
            path, label = self.samples[i]
            with Image.open(path) as img:
                array = np.asarray(img.convert("RGB"))
            x = fw.tensor(array).permute(2, 0, 1).float() / 255
            return (self.transform(x) if self.transform else x), label

    return FolderDataset


N_IMAGES = 64 if lec.quick else 512
PICK = np.random.default_rng(1).choice(5000, N_IMAGES, replace=False).tolist()
MEAN, STD = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)


def image_folders(fw):
    T = vision(fw).transforms
    folder = vision(fw).datasets.ImageFolder(CIFAR / "test", transform=T.ToTensor())
    by_hand = folder_dataset_class(fw)(CIFAR / "test")
    subset = fw.utils.data.Subset(folder, PICK)
    x, y = next(iter(fw.utils.data.DataLoader(subset, batch_size=N_IMAGES)))
    mine = fw.stack([by_hand[i][0] for i in PICK])
    grid = vision(fw).utils.make_grid(x[:32], nrow=8, padding=2, pad_value=1.0)
    return (folder.classes, folder.class_to_idx, len(folder), folder.samples[::499], folder.targets[::250],
            folder.samples == by_hand.samples, x, y, (mine - x).abs().max().item(), T.Normalize(MEAN, STD)(x), grid)


lec.section("ImageFolder and a hand-written image Dataset",
            f"The CIFAR-10 JPEG test folder (10 classes x 500 images, 32 x 32): ImageFolder's classes, class_to_idx, "
            f"samples and targets, a batch of {N_IMAGES} images (ToTensor, then Normalize) and make_grid of its first 32 "
            "on both frameworks; the hand-written FolderDataset must list the same files and decode the same pixels.")
mt_img, _ = lec.compare("ImageFolder listing + ToTensor batch", image_folders, tol=1e-6)
first_path, first_label = mt_img[3][0]
lec.note(f"classes: {mt_img[0]}; {mt_img[2]} images, e.g. samples[0] = ({os.path.relpath(first_path, DATA)!r}, "
         f"{first_label}). Batch: x "
         f"{tuple(mt_img[6].shape)} {mt_img[6].dtype} in [{mt_img[6].min().item():.2f}, {mt_img[6].max().item():.2f}], "
         f"y {mt_img[7][:10].tolist()}...; after Normalize: mean {mt_img[9].mean().item():+.2f}, std "
         f"{mt_img[9].std().item():.2f}; make_grid(x[:32], nrow=8, padding=2): {tuple(mt_img[10].shape)}.")
lec.check("hand-written FolderDataset == ImageFolder: same (path, label) list, same pixels (minitorch)",
          mt_img[5] and mt_img[8] == 0, f"max |difference| {mt_img[8]:.1e}")

# %% [markdown]
# ## 3. Text: tokenise, build a vocabulary, pad in `collate_fn`
# Sentences have different lengths, so `default_collate` cannot stack them (it raises). The usual pipeline:
#
# * **tokenise**: split a sentence into tokens (here: lower-case words, with punctuation as separate tokens);
# * **vocabulary**: the tokens of the *training* split that occur at least `min_freq` times, plus two specials,
#   `<pad>` = 0 and `<unk>` = 1 (every unseen or rare word maps to `<unk>`); built on the training split only;
# * the Dataset returns `(token ids, label)`: a 1-D int64 tensor of its own length;
# * a **padding `collate_fn`** fills a `(batch, longest)` tensor with `<pad>` and copies each sequence in, and
#   also returns the true lengths (for masking or `pack_padded_sequence` later).
#
# Padding costs compute: a batch is as long as its longest sentence. **Bucketing** (a custom batch sampler that
# sorts chunks of the shuffled data by length before cutting them into batches, passed as `batch_sampler=`) puts
# sentences of similar lengths together and removes most of the padding, while the order of the batches stays
# random. Its randomness comes from NumPy with a seed we choose, so both frameworks get the same batches.
#
# Data: Rotten Tomatoes sentence polarity (5,331 positive and 5,331 negative review snippets), split 90/10.


# %%
def tokenise(text: str) -> list[str]:
    """Lower-case words (with their apostrophe part: "it's", "film's") and single punctuation marks."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]", text.lower())


def read_polarity() -> tuple[list[str], list[int]]:
    """The positive (1) and negative (0) snippets, in one fixed shuffled order."""
    texts, labels = [], []
    for label, name in ((1, "rt-polarity.pos"), (0, "rt-polarity.neg")):
        lines = (DATA / "rt-polarity" / name).read_text(encoding="utf-8", errors="replace").splitlines()
        texts += lines
        labels += [label] * len(lines)
    order = np.random.default_rng(2).permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


TEXTS, LABELS = read_polarity()
N_TRAIN_TEXT = int(0.9 * len(TEXTS))
PAD, UNK, MIN_FREQ = 0, 1, 2
TOKENS = [tokenise(t) for t in TEXTS]
counts = collections.Counter(tok for tokens in TOKENS[:N_TRAIN_TEXT] for tok in tokens)
VOCAB = ["<pad>", "<unk>"] + sorted(w for w, c in counts.items() if c >= MIN_FREQ)
STOI = {w: i for i, w in enumerate(VOCAB)}
IDS = [[STOI.get(tok, UNK) for tok in tokens] for tokens in TOKENS]
LENGTHS = np.array([len(s) for s in IDS])


def text_dataset_class(fw):
    class TextDataset(fw.utils.data.Dataset):
        """(token ids as a 1-D int64 tensor, label) for each sentence."""
        def __init__(self, ids, labels):
            self.ids, self.labels = ids, labels

        def __len__(self):
            return len(self.ids)

        def __getitem__(self, i):
            return fw.tensor(self.ids[i], dtype=fw.int64), self.labels[i]

    return TextDataset


def pad_collate(fw):
    def collate(batch):
        """[(ids, label), ...] -> (padded ids (B, longest), lengths (B,), labels (B,))."""
        seqs, labels = zip(*batch)
        lengths = fw.tensor([len(s) for s in seqs])
        padded = fw.full((len(seqs), int(lengths.max())), PAD, dtype=fw.int64)
        for row, s in enumerate(seqs):
            padded[row, :len(s)] = s
        return padded, lengths, fw.tensor(labels)
    return collate


def bucket_sampler_class(fw):
    class BucketBatchSampler(fw.utils.data.Sampler):
        """Batches of indices of similar lengths. Each epoch: a fresh permutation (NumPy, seeded by seed and epoch),
        cut into chunks of ``chunk`` batches, each chunk sorted by length and cut into batches, then the batches
        shuffled. A custom sampler only needs ``__iter__`` (and ``__len__`` for ``len(loader)``)."""

        def __init__(self, lengths, batch_size, chunk=50, seed=0):
            self.lengths, self.batch_size, self.chunk, self.seed, self.epoch = lengths, batch_size, chunk, seed, 0

        def __iter__(self):
            rng = np.random.default_rng([self.seed, self.epoch])
            self.epoch += 1
            order, size = rng.permutation(len(self.lengths)), self.batch_size * self.chunk
            batches = []
            for start in range(0, len(order), size):
                part = order[start:start + size]
                part = part[np.argsort(self.lengths[part], kind="stable")].tolist()
                batches += [part[k:k + self.batch_size] for k in range(0, len(part), self.batch_size)]
            return (batches[k] for k in rng.permutation(len(batches)))

        def __len__(self):
            return math.ceil(len(self.lengths) / self.batch_size)

    return BucketBatchSampler


TEXT_ORDER = np.random.default_rng(3).permutation(N_TRAIN_TEXT).tolist()
BUCKETS = list(bucket_sampler_class(minitorch)(LENGTHS[:N_TRAIN_TEXT], 32))       # epoch 0's batches (for the figure)
N_TEXT_BATCHES = 40 if lec.quick else len(BUCKETS)


def text_batches(fw):
    ds = text_dataset_class(fw)(IDS[:N_TRAIN_TEXT], LABELS[:N_TRAIN_TEXT])
    plain = fw.utils.data.DataLoader(ds, batch_size=32, sampler=TEXT_ORDER, collate_fn=pad_collate(fw))
    buckets = bucket_sampler_class(fw)(LENGTHS[:N_TRAIN_TEXT], 32)
    bucketed = fw.utils.data.DataLoader(ds, batch_sampler=buckets, collate_fn=pad_collate(fw))
    padding = []
    for loader in (plain, bucketed):
        pads = total = 0
        for k, (ids, lengths, labels) in enumerate(loader):
            if k == N_TEXT_BATCHES:
                break
            pads, total = pads + (ids == PAD).sum().item(), total + ids.numel()
        padding.append(pads / total)
    first = next(iter(plain))
    failed = ""
    try:
        next(iter(fw.utils.data.DataLoader(ds, batch_size=4)))
    except RuntimeError as e:
        failed = type(e).__name__
    epoch1 = next(iter(bucketed))[0]         # the sampler's second epoch: new batches
    return first, padding, failed, len(bucketed), epoch1


lec.section("Text: vocabulary, padding collate_fn, bucketing",
            f"Rotten Tomatoes polarity: {len(TEXTS)} snippets, {N_TRAIN_TEXT} for training; vocabulary of the training "
            f"tokens seen at least {MIN_FREQ} times ({len(VOCAB)} entries with <pad> and <unk>). Batches of 32 in one "
            f"fixed shuffled order, padded by a collate_fn; then the same data through a bucketing batch_sampler; "
            f"padding measured on {N_TEXT_BATCHES} batches of each.")
mt_txt, _ = lec.compare("text batches: pad collate + bucketing", text_batches)
(ids0, len0, lab0), (pad_plain, pad_bucket), failure, n_buckets, _ = mt_txt
test_tokens = [tok for tokens in TOKENS[N_TRAIN_TEXT:] for tok in tokens]
oov = sum(tok not in STOI for tok in test_tokens) / len(test_tokens)
lec.note(f"'{TEXTS[TEXT_ORDER[0]][:70]}...' -> tokens {TOKENS[TEXT_ORDER[0]][:8]}... -> ids "
         f"{ids0[0, :8].tolist()}... First batch: ids {tuple(ids0.shape)} (longest sentence {len0.max().item()} tokens, "
         f"shortest {len0.min().item()}), labels {lab0[:8].tolist()}... Padding: {pad_plain:.0%} of the batch entries "
         f"in shuffled batches, {pad_bucket:.0%} with bucketing. {oov:.1%} of the test tokens are <unk> (rare or unseen "
         f"in training). Without the collate_fn, default_collate raises {failure} (the tensors differ in size). "
         f"With batch_sampler=, len(loader) is len(batch_sampler) = {n_buckets}.")
lec.check("bucketing removes most of the padding; default_collate refuses unequal lengths",
          pad_bucket < pad_plain / 3 and failure == "RuntimeError", f"{pad_plain:.1%} -> {pad_bucket:.1%}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
hist, edges = np.histogram(LENGTHS[:N_TRAIN_TEXT], bins=np.arange(0, LENGTHS.max() + 2, 2))
axes[0].stairs(hist, edges, fill=True)
axes[0].set(xlabel="tokens per snippet", ylabel="snippets", title="rt-polarity: sentence lengths (training split)")
shown = np.arange(40)
for label, batches in (("shuffled", [TEXT_ORDER[k:k + 32] for k in range(0, 32 * 40, 32)]), ("bucketed", BUCKETS[:40])):
    axes[1].plot(shown, [LENGTHS[b].max() * len(b) for b in batches], "-o", ms=3, label=f"{label}: padded size")
    axes[1].plot(shown, [LENGTHS[b].sum() for b in batches], ":", label=f"{label}: real tokens")
axes[1].set(xlabel="batch", ylabel="entries in the (B, longest) tensor", title="padding per batch of 32")
axes[1].legend(fontsize=7)
fig.tight_layout()
lec.figure(fig, "text_padding", "Left: snippet lengths. Right: size of each padded batch tensor, shuffled vs "
           "bucketed batches (same data); the dotted lines are the real tokens: the gap is padding")

# %% [markdown]
# ## 4. An imbalanced dataset and `WeightedRandomSampler`
# The brain-tumour MRI training folder is imbalanced: *no tumour* has about a third as many images as each tumour
# class. A model trained on it sees that class three times less often, and its loss can be lowered by rarely
# predicting it. Two standard fixes: weight the loss (`CrossEntropyLoss(weight=...)`), or **re-sample**:
# `WeightedRandomSampler(weights, num_samples, replacement=True)` draws index `i` with probability
# `weights[i] / sum(weights)`. With `weights[i] = 1 / count[class of i]` every class has the same total weight, so
# batches are balanced in expectation. The weights are *per sample*, not per class, and need not sum to 1.
# The price: with replacement, an epoch of `len(dataset) = 2713` draws spends about 678 draws on the 271 minority
# images (2.5 each on average: repeats) and about 678 on each ~815-image majority class (0.83 each: some are
# never seen that epoch), so oversampling goes together with augmentation (section 5), which makes the repeats
# differ. Only the labels are needed here (`ImageFolder.targets`): no image is decoded.


# %%
EPOCHS_MRI = 2 if lec.quick else 40


def class_counts(fw, labels, classes: int = 4):
    """How many of each class ``labels`` holds (a bincount, written with a broadcast comparison)."""
    return (labels[:, None] == fw.arange(classes)).sum(0)


def rebalanced(fw):
    folder = vision(fw).datasets.ImageFolder(MRI / "Training")
    targets = fw.tensor(folder.targets)
    counts = class_counts(fw, targets)
    weights = (1.0 / counts.double())[targets]
    sampler = fw.utils.data.WeightedRandomSampler(weights, num_samples=len(targets), replacement=True,
                                                  generator=fw.Generator().manual_seed(0))
    labels = fw.utils.data.TensorDataset(targets)
    drawn = fw.cat([y for _ in range(EPOCHS_MRI)
                    for (y,) in fw.utils.data.DataLoader(labels, batch_size=64, sampler=sampler)])
    shuffled = fw.cat([y for _ in range(EPOCHS_MRI) for (y,) in
                       fw.utils.data.DataLoader(labels, batch_size=64, shuffle=True)])
    idx = fw.tensor(list(sampler))
    minority = counts.argmin().item()
    seen_once = len(set(idx[targets[idx] == minority].tolist())) / counts[minority].item()
    return folder.classes, counts, weights, class_counts(fw, shuffled), class_counts(fw, drawn), seen_once


lec.section("WeightedRandomSampler on brain-tumour MRI",
            "ImageFolder(brain-tumor-mri/Training) labels only; weights 1 / count[label]; "
            f"{EPOCHS_MRI} epochs of len(dataset) draws per framework. The counts and weights are deterministic "
            "and compared exactly; the draws are random on each framework and compared with the law (each class ~ 1/4).")
REBAL = {fw.__name__: rebalanced(fw) for fw in (minitorch, torch)}
lec.compare("MRI classes, counts, sample weights", lambda fw: REBAL[fw.__name__][:3])
classes, counts_np = REBAL["minitorch"][0], as_numpy(REBAL["minitorch"][1])
n_draws = counts_np.sum() * EPOCHS_MRI
for name, (_, _, _, before, after, seen) in REBAL.items():
    frac_before, frac_after = as_numpy(before) / n_draws, as_numpy(after) / n_draws
    sigma = math.sqrt(0.25 * 0.75 / n_draws)
    lec.check(f"{name}: shuffle keeps the class shares {np.round(frac_before, 3).tolist()}; the weighted sampler "
              f"draws {np.round(frac_after, 3).tolist()} (each within 5 sigma of 0.25)",
              np.allclose(frac_before, counts_np / counts_np.sum()) and np.abs(frac_after - 0.25).max() < 5 * sigma)
    expected_seen = 1 - math.exp(-counts_np.sum() / 4 / counts_np.min())       # Poisson: 1 - e^(-draws per image)
    lec.check(f"{name}: one epoch shows {seen:.1%} of the minority images at least once (expected "
              f"1 - exp(-{counts_np.sum() / 4 / counts_np.min():.2f}) = {expected_seen:.1%})",
              abs(seen - expected_seen) < 0.06)

fig, ax = plt.subplots(figsize=(8, 3.4))
width = 0.27
for k, (label, values) in enumerate((("shuffle=True (both)", counts_np / counts_np.sum()),
                                     ("WeightedRandomSampler, minitorch", as_numpy(REBAL["minitorch"][4]) / n_draws),
                                     ("WeightedRandomSampler, torch", as_numpy(REBAL["torch"][4]) / n_draws))):
    ax.bar(np.arange(4) + (k - 1) * width, values, width, label=label)
ax.axhline(0.25, color="k", ls=":", lw=1)
ax.set_xticks(np.arange(4), [c.replace("_", " ") for c in classes])
ax.set(ylabel="share of the samples drawn", title=f"brain-tumour MRI training labels over {EPOCHS_MRI} epochs")
ax.set_ylim(0, 0.44)
ax.legend(fontsize=8, ncol=3, loc="upper center")
lec.figure(fig, "class_histograms", "Class shares before (plain shuffling: the data's own imbalance) and after "
           "re-sampling with WeightedRandomSampler (1 / class count per sample), minitorch and torch: both ~1/4")

# %% [markdown]
# ## 5. Augmentation: many views of one image
# A random transform applied in `__getitem__` gives the model a different version of each image every epoch.
# Each one states an **invariance** we want the model to learn: the class of a photo does not change when it is
# cropped and rescaled (`RandomResizedCrop`: the object may be anywhere and of any size), mirrored
# (`RandomHorizontalFlip`: the world has no preferred left or right, unlike text or digits), re-lit
# (`ColorJitter`: brightness, contrast, saturation, hue) or tilted (`RandomRotation`). Augmentation only helps when
# the invariance is true for the task: flipping a "b" makes a "d", and rotating a 6 by 180 degrees makes a 9.
# For dense targets (segmentation masks, boxes, keypoints) the model should be *equivariant* instead,
# `f(t(x)) = t(f(x))`: the target must be transformed with the *same* random parameters as the image, which is why
# the transforms expose `get_params` and a functional form. Augmentations run only on the training set; validation
# uses deterministic `Resize`/`CenterCrop`/`Normalize`.
#
# The random draws differ between the frameworks (each has its own generator), so the grids below are different
# samples of the same distributions. What is compared exactly: the deterministic `Resize`, and each transform's
# output when both frameworks get the *same parameters* (drawn here by minitorch's `get_params`, then applied
# with the functional form `F.resized_crop`, `F.hflip`, `F.adjust_*`, `F.rotate` of each framework).


# %%
AUG_FILE = CIFAR / "train" / "horse" / "0002.jpg"
AUG_SIZE, VIEWS = 96, 8


def base_image(fw):
    """The horse as a PIL image, resized (deterministically) so that its shorter side is AUG_SIZE."""
    from PIL import Image
    with Image.open(AUG_FILE) as img:
        return vision(fw).transforms.Resize(AUG_SIZE)(img.convert("RGB"))


def augmentations(fw) -> dict:
    """The four random transforms of the grid, and their composition, by name."""
    T = vision(fw).transforms
    crop, flip = T.RandomResizedCrop(AUG_SIZE, scale=(0.25, 1.0)), T.RandomHorizontalFlip()
    jitter, rotate = T.ColorJitter(0.5, 0.5, 0.5, 0.1), T.RandomRotation(30)
    return {"RandomResizedCrop": crop, "RandomHorizontalFlip": flip, "ColorJitter": jitter,
            "RandomRotation": rotate, "all four": T.Compose([crop, flip, jitter, rotate])}


def augmentation_grid(fw):
    """VIEWS draws of each augmentation as one make_grid image (seed 0), and the base image as uint8."""
    T = vision(fw).transforms
    fw.manual_seed(0)
    base = base_image(fw)
    views = [T.ToTensor()(t(base)) for t in augmentations(fw).values() for _ in range(VIEWS)]
    return vision(fw).utils.make_grid(fw.stack(views), nrow=VIEWS, padding=2, pad_value=1.0), T.PILToTensor()(base)


lec.section("Augmentation as an image grid",
            f"One CIFAR-10 horse, resized to {AUG_SIZE} px, through RandomResizedCrop(scale 0.25-1), "
            "RandomHorizontalFlip, ColorJitter(0.5, 0.5, 0.5, 0.1), RandomRotation(30) and all four composed, "
            f"{VIEWS} draws each, laid out with make_grid on each framework.")
GRIDS = {fw.__name__: augmentation_grid(fw) for fw in (minitorch, torch)}
lec.compare("Resize(96) of the base image", lambda fw: GRIDS[fw.__name__][1], tol=1.01 / 255)
fig, axes = plt.subplots(2, 1, figsize=(6.4, 7))
for ax, (name, (grid, _)) in zip(axes, GRIDS.items()):
    ax.imshow(as_numpy(grid).transpose(1, 2, 0), interpolation="nearest")
    ax.set_yticks([(k + 0.5) * (AUG_SIZE + 2) for k in range(5)], list(augmentations(minitorch)))
    ax.set_xticks([])
    ax.set_title(f"{'minitorch.vision' if name == 'minitorch' else 'torchvision'} (seed 0)")
fig.tight_layout()
lec.figure(fig, "augmentation_grid", "Eight random views per transform of one image, minitorch (top) and "
           "torchvision (bottom): different draws of the same distributions")

minitorch.manual_seed(1)
_base_mt, _T = base_image(minitorch), minitorch.vision.transforms
CROPS = [_T.RandomResizedCrop.get_params(_base_mt, [0.25, 1.0], [3 / 4, 4 / 3]) for _ in range(4)]
JITTERS = [_T.ColorJitter.get_params((0.5, 1.5), (0.5, 1.5), (0.5, 1.5), (-0.1, 0.1)) for _ in range(4)]
ANGLES = [_T.RandomRotation.get_params([-30.0, 30.0]) for _ in range(4)]


def with_parameters(fw):
    """Every transform of the grid, with parameters drawn once by minitorch, applied by fw's functional form."""
    F = vision(fw).transforms.functional
    base = base_image(fw)
    out = [F.resized_crop(base, *box, [AUG_SIZE, AUG_SIZE], antialias=True) for box in CROPS] + [F.hflip(base)]
    for order, b, c, s, h in JITTERS:
        img = base
        for k in order.tolist():             # ColorJitter applies its four adjustments in a random order
            img = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)[k](img, (b, c, s, h)[k])
        out.append(img)
    out += [F.rotate(base, angle) for angle in ANGLES]
    return fw.stack([F.pil_to_tensor(img) for img in out])


mt_same, th_same = lec.compare("transforms with the same parameters", with_parameters, tol=1.01 / 255)
levels = int(np.abs(as_numpy(mt_same).astype(int) - as_numpy(th_same).astype(int)).max())
lec.note("Parameters drawn by minitorch's get_params: crops (top, left, height, width) "
         f"{[tuple(int(v) for v in c) for c in CROPS]}; rotation angles {[round(float(a), 1) for a in ANGLES]}; "
         "colour factors (brightness, contrast, saturation, hue) "
         f"{[tuple(round(float(v), 2) for v in j[1:]) for j in JITTERS]}. Applied by each framework's functional "
         f"form to the same PIL image, the {len(mt_same)} outputs differ by at most {levels} intensity level(s) of 255 "
         "(both resample with Pillow).")


N_LAW = 1000 if lec.quick else 10000


def random_laws(fw):
    """Statistics of the random transforms on fw's own draws: flip rate, crop area, rotation angle range."""
    T = vision(fw).transforms
    fw.manual_seed(0)
    x = fw.tensor([[[0.0, 1.0]]])
    flip = T.RandomHorizontalFlip(0.5)
    flipped = sum(flip(x)[0, 0, 0].item() == 1.0 for _ in range(N_LAW)) / N_LAW
    area = np.array([h * w for _, _, h, w in (T.RandomResizedCrop.get_params(fw.zeros(3, 64, 64), [0.25, 1.0],
                                                                             [3 / 4, 4 / 3]) for _ in range(N_LAW))])
    angles = np.array([T.RandomRotation.get_params([-30.0, 30.0]) for _ in range(N_LAW)])
    return flipped, area.mean() / 64 ** 2, area.std() / 64 ** 2 / math.sqrt(N_LAW), angles.min(), angles.max()


LAWS = {fw.__name__: random_laws(fw) for fw in (minitorch, torch)}
(f_mt, a_mt, se_mt, lo_mt, hi_mt), (f_th, a_th, se_th, lo_th, hi_th) = LAWS["minitorch"], LAWS["torch"]
lec.check(f"RandomHorizontalFlip(0.5) flips ~half the time on both ({N_LAW} draws each, 5 sigma)",
          max(abs(f_mt - 0.5), abs(f_th - 0.5)) < 5 * math.sqrt(0.25 / N_LAW), f"minitorch {f_mt:.3f}, torch {f_th:.3f}")
lec.check(f"RandomResizedCrop's mean crop area is the same law on both ({N_LAW} draws each, 5 combined s.e.)",
          abs(a_mt - a_th) < 5 * math.hypot(se_mt, se_th), f"minitorch {a_mt:.3f}, torch {a_th:.3f} of the image")
lec.check("RandomRotation(30) angles lie in [-30, 30] and fill it on both",
          all(-30 <= lo < -28 and 28 < hi <= 30 for lo, hi in ((lo_mt, hi_mt), (lo_th, hi_th))))

# %% [markdown]
# ## 6. Worker processes: is loading the bottleneck?
# With `num_workers=0` the training process itself decodes and augments every image, and the model waits. With
# `num_workers=k` the `DataLoader` starts `k` worker processes, each holding a copy of the dataset; batch `n` is
# built by worker `n mod k` while the main process trains on earlier ones. This pays off when loading is the slow
# part (JPEG decoding, heavy augmentation) and there are idle cores; it costs process start-up per epoch (unless
# `persistent_workers=True`) and pickling each batch back to the main process.
#
# The measurement below is an augmentation-heavy pipeline (decode a JPEG, `RandomResizedCrop` to 128 px, flip,
# `ColorJitter`, `RandomRotation`, `ToTensor`, `Normalize`) over CIFAR-10 images, loaded with 0 and with 2
# workers on each framework (the best of two passes in full mode; a single short pass in quick mode, where the
# worker start-up dominates). The machine has 2 cores *shared with other jobs*, so the best possible speed-up is
# 2x and the measured one depends on the load at that moment (printed with the result).


# %%
N_WORK, REPEATS, WORK_BATCH = (16, 1, 8) if lec.quick else (1536, 2, 16)
WORK_PICK = np.random.default_rng(5).choice(10000, N_WORK, replace=False).tolist()


def heavy_pipeline(fw):
    T = vision(fw).transforms
    return T.Compose([T.RandomResizedCrop(128, scale=(0.3, 1.0)), T.RandomHorizontalFlip(),
                      T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.RandomRotation(20), T.ToTensor(), T.Normalize(MEAN, STD)])


STEP_SECONDS = 0.03      # a simulated training step on an accelerator: the CPU is idle while it runs


def timed_epoch(fw, workers: int, step: float = 0.0, repeats: int = REPEATS):
    """Best-of-``repeats`` seconds for a pass over the heavy pipeline (sleeping ``step`` seconds per batch, as if a
    GPU were training on it), and the labels in the order received."""
    loader = fw.utils.data.DataLoader(HEAVY[fw.__name__], batch_size=WORK_BATCH, num_workers=workers)
    best = math.inf
    for _ in range(repeats):
        start, labels = time.perf_counter(), []
        for _, y in loader:
            labels.append(y)
            time.sleep(step)
        best = min(best, time.perf_counter() - start)
    return best, fw.cat(labels)


lec.section("Worker speed-up, measured",
            f"{N_WORK} CIFAR-10 JPEGs through decode + RandomResizedCrop(128) + flip + ColorJitter + RandomRotation + "
            f"ToTensor + Normalize, batch {WORK_BATCH}, num_workers = 0 and 2, on each framework (best of {REPEATS} pass(es), "
            "worker start-up included).")
HEAVY = {fw.__name__: fw.utils.data.Subset(vision(fw).datasets.ImageFolder(CIFAR / "train",
                                                                           transform=heavy_pipeline(fw)), WORK_PICK)
         for fw in (minitorch, torch)}
TIMES, WORK_LABELS = {}, {}
for fw in (minitorch, torch):
    for workers in (0, 2):
        seconds, labels = timed_epoch(fw, workers)
        TIMES[fw.__name__, workers] = seconds
        WORK_LABELS[fw.__name__, workers] = labels.tolist()
load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
speedups = {name: TIMES[name, 0] / TIMES[name, 2] for name in ("minitorch", "torch")}
lec.note("images per second: " + "; ".join(f"{name}: {N_WORK / TIMES[name, 0]:.0f} with 0 workers, "
                                             f"{N_WORK / TIMES[name, 2]:.0f} with 2 (speed-up {speedups[name]:.2f}x)"
                                             for name in ("minitorch", "torch")) +
         f". {os.cpu_count()} cores, 1-minute load average {load:.1f} while measuring. "
         "minitorch with 2 workers vs torch with 2 workers: "
         f"{TIMES['minitorch', 2] / TIMES['torch', 2]:.2f}x torch's time. "
         + ("(Quick mode: a pass this short is dominated by process start-up; run --full for a steadier number.)"
            if lec.quick else ""))
lec.check("workers change where samples are loaded, not what or in which order: labels equal for 0 and 2 workers, "
          "on both frameworks", len({tuple(v) for v in WORK_LABELS.values()}) == 1)
if not lec.quick:            # the overlap with a (simulated) accelerator step: full mode only, it takes a while
    overlap = {(fw.__name__, w): timed_epoch(fw, w, STEP_SECONDS, repeats=1)[0]
               for fw in (minitorch, torch) for w in (0, 2)}
    lec.note(f"With a simulated {STEP_SECONDS * 1e3:.0f} ms training step per batch (time.sleep: the CPU is free, as "
             "when a GPU trains), 0 workers load and train in turn while 2 workers prefetch during the step: "
             + "; ".join(f"{name}: {overlap[name, 0]:.1f} s -> {overlap[name, 2]:.1f} s "
                         f"(x{overlap[name, 0] / overlap[name, 2]:.2f})" for name in ("minitorch", "torch")) + ".")
else:
    lec.note("(--full also measures the overlap of loading with a simulated accelerator step.)")

# %% [markdown]
# ## 7. Deep dive: how workers, prefetching and seeding work
# **Order.** The main process owns the sampler. It sends the index lists of batches to the workers'
# index queues round-robin (batch 0 to worker 0, batch 1 to worker 1, ...), keeping `prefetch_factor` (default 2)
# batches outstanding per worker, so `num_workers x prefetch_factor` batches are in flight. Workers put finished
# batches on one result queue in whatever order they finish; the main process buffers early arrivals and yields
# batches strictly in sampler order. Hence the result with workers is the same as without.
#
# **Seeds.** Each worker is a separate process with its own random state. The loader draws one `base_seed` per
# epoch from its `generator` (or the global RNG); worker `i` then seeds the framework's RNG and Python's `random`
# with `base_seed + i`, and NumPy's global RNG with a seed derived from both. So: random augmentations differ
# between workers (no two workers produce the same "random" crops), differ between epochs, and are reproducible
# from the generator's seed. `get_worker_info()` returns `None` in the main process and, in a worker, its `id`,
# `num_workers`, `seed` and its copy of the `dataset`; `worker_init_fn(worker_id)` runs in each worker after
# seeding (to seed other libraries or configure the worker's dataset copy).
#
# **Iterable datasets.** An `IterableDataset` has no indices: every worker runs its own `__iter__` over its copy.
# Without sharding each worker yields the whole stream, so with 2 workers every element arrives twice; the dataset
# must split itself with `get_worker_info()` (worker `id` takes elements `id, id + k, id + 2k, ...`).
#
# **Transfer.** A batch does not travel through the result queue as bytes. In a worker, `default_collate` stacks
# the samples straight into a new shared-memory file (under `/dev/shm` on Linux); the queue carries a small pickle
# with the file's handle, shape, dtype and strides, and the main process maps the same memory, so
# `batch.is_shared()` is True and the batch's bytes are written once. (torch hands over a file descriptor by
# default; minitorch hands over the file's name, as torch's `file_system` sharing strategy does.)


# %%
def probe_class(fw):
    class Probe(fw.utils.data.Dataset):
        """Each sample reports which worker loaded it and what that worker's random generators produce."""
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = fw.utils.data.get_worker_info()
            return {"index": i, "worker": info.id, "workers": info.num_workers, "seed": info.seed,
                    "initial_seed": fw.initial_seed(), "fw_rand": fw.rand(()).item(),
                    "np_rand": np.random.random(), "py_rand": random.random()}
    return Probe


def probe(fw):
    """The probe's batches, loaded by 2 workers, as {key: list of values}; the layout and seeds are deterministic."""
    loader = fw.utils.data.DataLoader(probe_class(fw)(), batch_size=2, num_workers=2,
                                      generator=fw.Generator().manual_seed(0))
    return [{k: v.tolist() for k, v in batch.items()} for batch in loader]


lec.section("Deep dive: DataLoader workers, prefetching, seeding and sharding",
            "A probe dataset of 8 samples, batch 2, 2 workers: which worker built which batch, the worker seeds and "
            "what each worker's random generators draw; then an IterableDataset of 10 numbers with 2 workers, "
            "without and with sharding by get_worker_info().")
PROBES = {fw.__name__: probe(fw) for fw in (minitorch, torch)}
mt_layout, _ = lec.compare("worker of each batch (round-robin)", lambda fw: (
    [b["index"] for b in PROBES[fw.__name__]], [b["worker"] for b in PROBES[fw.__name__]],
    [b["workers"] for b in PROBES[fw.__name__]], fw.utils.data.get_worker_info() is None))
lec.note(f"indices per batch {mt_layout[0]}; worker per sample {mt_layout[1]}: batch n comes from worker n mod 2, "
         "and the batches arrive in sampler order.")


def seeding_laws(fw):
    """Per worker: its seed, whether it seeded fw's RNG and Python's random with it (replayed here in the main
    process from the seed alone), and whether the workers' NumPy draws differ."""
    draws = collections.defaultdict(lambda: collections.defaultdict(list))
    for batch in PROBES[fw.__name__]:
        for k, worker in enumerate(batch["worker"]):
            for key in ("seed", "initial_seed", "fw_rand", "np_rand", "py_rand"):
                draws[worker][key].append(batch[key][k])
    seeds = {w: d["seed"][0] for w, d in draws.items()}
    replayed = True
    for w, d in draws.items():
        g, py = fw.Generator().manual_seed(seeds[w]), random.Random(seeds[w])
        replayed &= (d["initial_seed"] == [seeds[w]] * 4 and d["fw_rand"] == [fw.rand((), generator=g).item()
                                                                                for _ in range(4)]
                     and d["py_rand"] == [py.random() for _ in range(4)])
    return seeds, seeds[1] - seeds[0] == 1, replayed, draws[0]["np_rand"] != draws[1]["np_rand"]


for fw in (minitorch, torch):
    seeds, offset, replayed, distinct = seeding_laws(fw)
    lec.check(f"{fw.__name__}: worker seeds are base_seed + worker id", offset, f"seeds {seeds}")
    lec.check(f"{fw.__name__}: each worker seeds the framework's RNG and Python's random with its seed "
              "(its draws replay from Generator().manual_seed(seed) / random.Random(seed) in the main process)",
              replayed)
    lec.check(f"{fw.__name__}: NumPy's global RNG is seeded per worker too (the two workers draw different numbers)",
              distinct)


def stream_class(fw):
    class Stream(fw.utils.data.IterableDataset):
        """range(n) as a stream; with ``shard=True`` each worker yields only its share."""
        def __init__(self, n, shard):
            self.n, self.shard = n, shard

        def __iter__(self):
            info = fw.utils.data.get_worker_info()
            if info is None or not self.shard:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))
    return Stream


def streams(fw):
    Stream = stream_class(fw)
    return [[b.tolist() for b in fw.utils.data.DataLoader(Stream(10, shard), batch_size=3, num_workers=2)]
            for shard in (False, True)] + [[b.tolist() for b in fw.utils.data.DataLoader(Stream(10, True),
                                                                                         batch_size=3)]]


mt_streams, _ = lec.compare("IterableDataset with 2 workers", streams)
unsharded, sharded, single = mt_streams
lec.note(f"without sharding: {unsharded} (every element twice); sharded with get_worker_info(): {sharded} "
         f"(each element once; worker 0 builds [0, 2, 4], worker 1 [1, 3, 5], ...); in the main process "
         f"(num_workers=0) get_worker_info() is None and the stream is whole: {single}.")
lec.check("sharding by get_worker_info yields every element exactly once; without it, num_workers times",
          sorted(v for b in sharded for v in b) == list(range(10))
          and sorted(v for b in unsharded for v in b) == sorted(list(range(10)) * 2))
lec.note("Prefetching: while the model trains on batch n, the workers are already building up to "
         "num_workers x prefetch_factor later batches (4 with the defaults and 2 workers), so loading overlaps compute; "
         "a higher prefetch_factor only smooths uneven loading times, it does not make loading faster. "
         "persistent_workers=True keeps the workers (and their dataset copies) alive across epochs instead of forking "
         "new ones each epoch; pin_memory=True copies batches into page-locked memory for faster host-to-GPU copies "
         "(a no-op on CPU).")

# %% [markdown]
# ## 8. Interview questions

# %%
lec.section("Interview questions", "Each answer that states a behaviour is checked on both frameworks.")


def check_map_vs_iterable(fw):
    class Squares(fw.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return i * i

    class Stream(fw.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    batches = [b.tolist() for b in fw.utils.data.DataLoader(Squares(), batch_size=2)]
    try:
        fw.utils.data.DataLoader(Stream(), shuffle=True)
        return False
    except ValueError:
        pass
    return batches == [[0, 1], [4, 9], [16]] and [b.tolist() for b in fw.utils.data.DataLoader(Stream())] == \
        [[0], [1], [2], [3], [4]]


lec.qa("What is the difference between a map-style Dataset and an IterableDataset?",
       "A map-style dataset implements __getitem__(i) and __len__: the DataLoader's sampler chooses the indices, so "
       "it can shuffle, re-weight and split it. An IterableDataset implements __iter__ (a stream: files too big to "
       "index, generated data, a database cursor): the dataset itself decides the order, so shuffle=True and "
       "samplers are refused (ValueError), and with workers it must shard itself.", check=check_map_vs_iterable)


def check_len(fw):
    ds = fw.utils.data.TensorDataset(fw.arange(10))
    DL = fw.utils.data.DataLoader
    return (len(DL(ds, batch_size=3)), len(DL(ds, batch_size=3, drop_last=True)),
            [len(b) for (b,) in DL(ds, batch_size=3)]) == (4, 3, [3, 3, 3, 1])


lec.qa("What is len(DataLoader) for 10 samples and batch_size=3? And with drop_last=True?",
       "ceil(10 / 3) = 4 batches (the last holds 1 sample); with drop_last=True floor(10 / 3) = 3 and the last "
       "sample is skipped this epoch. drop_last avoids a tiny last batch (noisy gradient, BatchNorm failing on a "
       "single sample, a recompile for a new shape).", check=check_len)


def check_collate(fw):
    batch = fw.utils.data.default_collate([{"x": fw.ones(2), "y": 1, "p": 0.5, "name": "a"},
                                           {"x": fw.zeros(2), "y": 0, "p": 1.5, "name": "b"}])
    pairs = fw.utils.data.default_collate([(np.array([1.0, 2.0]), 3), (np.array([3.0, 4.0]), 4)])
    return (tuple(batch["x"].shape) == (2, 2) and batch["y"].dtype == fw.int64 and batch["p"].dtype == fw.float64
            and batch["name"] == ["a", "b"] and isinstance(pairs, list) and tuple(pairs[0].shape) == (2, 2)
            and pairs[0].dtype == fw.float64 and pairs[1].tolist() == [3, 4])


lec.qa("What does default_collate do with a list of samples?",
       "It keeps the structure of one sample and batches each leaf: tensors and NumPy arrays are stacked along a new "
       "dimension 0, Python ints become an int64 tensor, floats a float64 tensor, strings stay a list; dicts are "
       "collated key by key and tuples/lists position by position (a list of pairs gives a list of two batches).",
       check=check_collate)


def check_unequal(fw):
    try:
        fw.utils.data.default_collate([fw.zeros(3), fw.zeros(4)])
        return False
    except RuntimeError:
        return True


lec.qa("Why does batching sentences fail with the default collate, and what do you do?",
       "default_collate stacks tensors, which must have equal shapes: sequences of different lengths raise "
       "RuntimeError. Pass a collate_fn that pads to the longest sequence of the batch (and returns the lengths or "
       "a mask), and bucket by length to keep the padding small (section 3).", check=check_unequal)


def check_exclusive(fw):
    errors = 0
    for kwargs in ({"shuffle": True, "sampler": [0, 1]}, {"batch_sampler": [[0, 1]], "batch_size": 2}):
        try:
            fw.utils.data.DataLoader(list(range(4)), **kwargs)
        except ValueError:
            errors += 1
    return errors == 2


lec.qa("Can you pass shuffle=True together with a sampler, or batch_size with a batch_sampler?",
       "No, both raise ValueError: shuffle=True just means sampler=RandomSampler(dataset), and batch_sampler replaces "
       "batch_size/shuffle/sampler/drop_last altogether. To shuffle with a custom sampler, make the sampler random.",
       check=check_exclusive)


def check_samplers(fw):
    D = fw.utils.data
    batches = list(D.BatchSampler(D.SequentialSampler(range(7)), batch_size=3, drop_last=False))
    fw.manual_seed(0)
    subset = list(D.SubsetRandomSampler([10, 20, 30, 40]))
    drawn = list(D.RandomSampler(range(5), replacement=True, num_samples=50))
    loader = D.DataLoader(range(7), batch_size=3)
    return (batches == [[0, 1, 2], [3, 4, 5], [6]] and sorted(subset) == [10, 20, 30, 40] and len(drawn) == 50
            and set(drawn) <= set(range(5)) and isinstance(loader.sampler, D.SequentialSampler)
            and isinstance(loader.batch_sampler, D.BatchSampler))


lec.qa("How do samplers and the batch sampler fit together inside a DataLoader?",
       "DataLoader(ds, batch_size=3) builds sampler = SequentialSampler(ds) (RandomSampler with shuffle=True) and "
       "batch_sampler = BatchSampler(sampler, 3, drop_last): [[0, 1, 2], [3, 4, 5], [6]] for 7 samples. "
       "SubsetRandomSampler(indices) permutes only the given indices (a train/val split of one dataset); "
       "RandomSampler(replacement=True, num_samples=n) draws n indices with replacement (bootstrap).",
       check=check_samplers)


def check_generator(fw):
    def order(seed):
        return fw.cat(list(fw.utils.data.DataLoader(list(range(20)), batch_size=5, shuffle=True,
                                                    generator=fw.Generator().manual_seed(seed)))).tolist()
    return order(3) == order(3) and order(3) != order(4)


lec.qa("How do you make the shuffled order reproducible?",
       "Give the DataLoader (or RandomSampler, random_split, WeightedRandomSampler) a generator: "
       "generator=torch.Generator().manual_seed(s). The same seed gives the same orders epoch after epoch; it also "
       "fixes the workers' base seed. Different frameworks (or library versions) may still draw differently.",
       check=check_generator)


def check_weighted(fw):
    sampler = fw.utils.data.WeightedRandomSampler([0.0, 3.0, 1.0], num_samples=4000, replacement=True,
                                                  generator=fw.Generator().manual_seed(0))
    drawn = np.array(list(sampler))
    return len(drawn) == 4000 and (drawn != 0).all() and abs((drawn == 1).mean() - 0.75) < 0.04


lec.qa("What do the weights of WeightedRandomSampler mean?",
       "One non-negative weight per sample (not per class); index i is drawn with probability w_i / sum(w), so they "
       "need not sum to 1 and a zero weight is never drawn. For class balance use w_i = 1 / count(class of i). "
       "num_samples sets the epoch length; replacement=True (the default) is needed to oversample.",
       check=check_weighted)


def check_class_weight(fw):
    logits = fw.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=fw.float64)
    y = fw.tensor([0, 1, 1])
    w = fw.tensor([1.0, 3.0], dtype=fw.float64)
    per = fw.nn.functional.cross_entropy(logits, y, reduction="none")
    weighted = fw.nn.functional.cross_entropy(logits, y, weight=w).item()
    return abs(weighted - (w[y] * per).sum().item() / w[y].sum().item()) < 1e-12


lec.qa("Besides re-sampling, how else can you handle class imbalance?",
       "Weight the loss: CrossEntropyLoss(weight=w) multiplies each sample's loss by w[class] and, with "
       "reduction='mean', divides by the sum of those weights (not by N). Others: focal loss, threshold tuning, "
       "metrics that respect imbalance (per-class recall, F1, balanced accuracy) instead of plain accuracy.",
       check=check_class_weight)


def check_split(fw):
    parts = fw.utils.data.random_split(range(10), [0.33, 0.33, 0.34], generator=fw.Generator().manual_seed(0))
    halves = fw.utils.data.random_split(range(11), [0.5, 0.5], generator=fw.Generator().manual_seed(0))
    return [len(p) for p in parts] == [4, 3, 3] and [len(p) for p in halves] == [6, 5]


lec.qa("How does random_split handle fractions that do not divide the length?",
       "Each part gets floor(fraction x n); the remainder is handed out one by one, round-robin from the first part: "
       "[0.33, 0.33, 0.34] of 10 gives [4, 3, 3], [0.5, 0.5] of 11 gives [6, 5]. The parts are Subsets of one "
       "random permutation (disjoint, covering everything).", check=check_split)


def check_concat(fw):
    a = fw.utils.data.TensorDataset(fw.arange(3))
    b = fw.utils.data.TensorDataset(fw.arange(10, 15))
    both = a + b
    sub = fw.utils.data.Subset(both, [4, 0])
    return len(both) == 8 and both[4][0].item() == 11 and [s[0].item() for s in sub] == [11, 0]


lec.qa("How do ConcatDataset and Subset index?",
       "ConcatDataset([a, b]) (also a + b) maps index i to a[i] for i < len(a), else b[i - len(a)] (a binary search "
       "over cumulative sizes); Subset(ds, indices)[k] is ds[indices[k]]. Both are views: nothing is copied.",
       check=check_concat)


def check_tensor_dataset(fw):
    try:
        fw.utils.data.TensorDataset(fw.zeros(3), fw.zeros(4))
        return False
    except AssertionError:
        pass
    ds = fw.utils.data.TensorDataset(fw.zeros(3, 2), fw.arange(3))
    return len(ds) == 3 and isinstance(ds[1], tuple) and ds[1][1].item() == 1


lec.qa("What does TensorDataset check, and what does it return?",
       "That all tensors have the same size along dimension 0 (an AssertionError 'Size mismatch between tensors' "
       "otherwise); ds[i] is the tuple (t[i] for each tensor).", check=check_tensor_dataset)


def check_to_tensor(fw):
    from PIL import Image
    img = Image.fromarray(np.array([[[255, 0, 51]], [[0, 102, 0]]], dtype=np.uint8))     # H=2, W=1, RGB
    T = vision(fw).transforms
    x = T.ToTensor()(img)
    y = T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])(x)
    return (tuple(x.shape) == (3, 2, 1) and x.dtype == fw.float32 and abs(x[2, 0, 0].item() - 0.2) < 1e-7
            and abs(y[0, 0, 0].item() - 1.0) < 1e-7 and T.PILToTensor()(img).dtype == fw.uint8)


lec.qa("What exactly do ToTensor and Normalize do?",
       "ToTensor turns a PIL image or an H x W x C uint8 array into a C x H x W float32 tensor divided by 255 "
       "(PILToTensor keeps uint8 and does not scale). Normalize(mean, std) computes (x - mean[c]) / std[c] per "
       "channel; with mean = std = 0.5 it maps [0, 1] to [-1, 1]. Use the training set's statistics.",
       check=check_to_tensor)


def check_equivariance(fw):
    F = vision(fw).transforms.functional
    fw.manual_seed(0)
    x = fw.rand(3, 8, 8)
    segment = lambda img: (img.mean(0, keepdim=True) > 0.5).to(fw.uint8)     # a pointwise "segmenter"
    return (bool((segment(F.hflip(x)) == F.hflip(segment(x))).all())
            and bool((segment(F.rotate(x, 90.0)) == F.rotate(segment(x), 90.0)).all()))


lec.qa("Invariance or equivariance: what must happen to the labels when you augment?",
       "For classification the label is invariant: flip or crop the image, keep the class. For dense targets "
       "(masks, boxes, keypoints) the target must move with the image: apply the same geometric transform with the "
       "same random parameters (get_params + the functional form), because the model should be equivariant, "
       "f(t(x)) = t(f(x)). Photometric transforms (ColorJitter) leave masks unchanged.", check=check_equivariance)


def check_worker_error(fw):
    class Broken(fw.utils.data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 3:
                raise KeyError(f"bad sample {i}")
            return i

    try:
        list(fw.utils.data.DataLoader(Broken(), batch_size=2, num_workers=2))
        return False
    except KeyError as e:
        return "bad sample 3" in str(e)


lec.qa("What happens when __getitem__ raises inside a worker process?",
       "The worker catches the exception with its traceback and sends it to the main process, which re-raises the "
       "same exception type there when it reaches that batch, with the worker's traceback in the message "
       "('Caught KeyError in DataLoader worker process 1'). Earlier batches are still delivered.",
       check=check_worker_error)


def check_no_worker_info(fw):
    return fw.utils.data.get_worker_info() is None


lec.qa("What does get_worker_info() return, and what is it for?",
       "None in the main process; in a worker, an object with id, num_workers, seed and dataset (that worker's "
       "copy). Use it to shard an IterableDataset, to open one file handle or DB connection per worker, or to seed "
       "other libraries in worker_init_fn.", check=check_no_worker_info)


def check_shared_batches(fw):
    dataset = fw.utils.data.TensorDataset(fw.arange(8.0).reshape(4, 2))
    (from_worker,) = next(iter(fw.utils.data.DataLoader(dataset, batch_size=2, num_workers=1)))
    (in_process,) = next(iter(fw.utils.data.DataLoader(dataset, batch_size=2)))
    return from_worker.is_shared() and not in_process.is_shared() and fw.equal(from_worker, in_process)


lec.qa("Is a batch copied on its way from a worker to the training loop?",
       "Not as bytes through the queue: the worker's collate writes the batch into shared memory and sends only a "
       "handle to it, which the main process maps (batch.is_shared() is True; with num_workers=0 it is False). The "
       "samples are copied once, when they are stacked into the batch.", check=check_shared_batches)


lec.qa("More workers made my loading slower: why?",
       "Workers only help when loading is the bottleneck and cores are free: each worker is a process (start-up per "
       "epoch unless persistent_workers=True, a copy of the dataset, every batch handed back through shared "
       "memory and a queue message). "
       "With cheap samples, few cores or a busy machine the overhead dominates; here, on 2 shared cores, the "
       f"speed-up measured in section 6 was {speedups['minitorch']:.2f}x (minitorch) and {speedups['torch']:.2f}x "
       "(torch). Rule of thumb: raise num_workers until the GPU/model is busy, not beyond the number of cores. "
       "Whatever the speed, the batches are the same, in the same order, as with num_workers=0.",
       check=lambda fw: WORK_LABELS[fw.__name__, 0] == WORK_LABELS[fw.__name__, 2])

# %%
lec.finish()

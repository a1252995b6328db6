"""Convolutions: kernels, stride, padding, dilation, receptive fields, pooling; LeNet-5 on MNIST, TinyVGG on CIFAR-10.

What you will learn: what a 2-D convolution computes (at every position, a weighted sum over a window of every
input channel, with the same weights everywhere) and how frameworks compute it: *im2col* gathers every window
into a column and one matrix product does the rest. You write it from scratch in NumPy, forward and backward, and
check it against ``F.conv2d`` of minitorch and of PyTorch. Then classic hand-made kernels (blur, Sobel,
Laplacian) on a real digit; the output-size formula for stride, padding and dilation, and figures of a kernel
sliding over a padded input; how the receptive field grows through a stack of layers (computed with a formula,
then measured as the gradient of one output pixel w.r.t. the input, in both frameworks); max and average pooling
with their indices and gradients; parameter and multiply-add counts (weight sharing); LeNet-5 trained on the real
MNIST in both frameworks from the same weights (>= 98.5% test accuracy in full mode) and the feature maps of the
trained net; TinyVGG trained on the CIFAR-10 JPEG folders through ``ImageFolder``, with a confusion matrix and
sample predictions. The deep dive measures why im2col + one GEMM is fast, what it costs in memory, and shows that
the backward pass of a convolution is itself a (transposed) convolution.

Prerequisites: lecture 02 (autograd), lecture 05 (nn.Module, hooks), lecture 07 (the training loop on MNIST).
Lecture 12 builds deeper backbones (BatchNorm, residual and depthwise-separable blocks) from these layers.
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import copy
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle

import minitorch
import minitorch.vision
from lectures.data_files import torchvision_layout
from lectures.runtime import lecture, vision
from parity.models import lenet5, tinyvgg

TEACHES = ("what conv2d computes (im2col from scratch in NumPy, forward and backward), hand-made kernels, output "
           "size with stride/padding/dilation, receptive fields (formula and gradient), max/avg pooling with indices, "
           "parameter and multiply-add counts, LeNet-5 on real MNIST and its feature maps, TinyVGG on CIFAR-10 "
           "(ImageFolder), im2col speed and memory, conv backward as a transposed conv")
lec = lecture("11")
torch.set_num_threads(1)          # a fair timing: both frameworks compute on one thread (NumPy's BLAS is set above)
FRAMEWORKS = (minitorch, torch)
RNG = np.random.default_rng(0)


def max_abs_diff(a: list, b: list) -> float:
    """The largest absolute difference between two equally long lists of arrays."""
    return max(float(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)).max()) for x, y in zip(a, b))


def mosaic(images: np.ndarray, columns: int, gap: int = 2, fill: float = np.nan) -> np.ndarray:
    """Tiles ``images`` (n, h, w[, 3]) into one image, ``columns`` per row, ``gap`` pixels of ``fill`` between them
    (NaN is drawn blank): one ``imshow`` instead of one axes per image, which keeps the figures fast to draw."""
    n, h, w = images.shape[:3]
    rows = -(-n // columns)
    padded = np.full((rows * columns, h + gap, w + gap) + images.shape[3:], fill)
    padded[:n, :h, :w] = images
    tiled = padded.reshape(rows, columns, h + gap, w + gap, *images.shape[3:]).swapaxes(1, 2)
    return tiled.reshape(rows * (h + gap), columns * (w + gap), *images.shape[3:])[:-gap, :-gap]


def label_tiles(ax, labels: list, tile: tuple, columns: int, gap: int = 2, colors: list | None = None,
                **text) -> None:
    """Writes ``labels[i]`` above tile i (in ``colors[i]``, default black) of a ``mosaic`` of (h, w) tiles in ``ax``."""
    (h, w), step = tile, (tile[0] + gap, tile[1] + gap)
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        ax.text(c * step[1] + (w - 1) / 2, r * step[0] - 0.8, label, ha="center", va="bottom",
                color=colors[i] if colors else "k", **text)


def per_tile(images: np.ndarray) -> np.ndarray:
    """Every image divided by its largest absolute value (so each uses the whole colour scale)."""
    return images / np.maximum(np.abs(images).max(axis=(1, 2), keepdims=True), 1e-12)


# %% [markdown]
# ## 1. What a convolution computes
# A 2-D convolution layer with weight `w` of shape (O, C, k, k) and bias `b` (O) maps an input `x` (N, C, H, W) to
#
# `out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * xpad[n, c, i*stride + u*dilation, j*stride + v*dilation]`
#
# where `xpad` is `x` with `padding` zeros on every side. Every output channel `o` looks at a k x k window of
# *all* input channels, and the same weights are used at every position (i, j): that is weight sharing, and it
# makes the layer *translation-equivariant* (shift the input, the output shifts the same way). Strictly this is a
# cross-correlation (the kernel is not flipped); deep-learning libraries call it convolution anyway.
#
# **im2col.** Gather the window of every output position into a column: a matrix `cols` of shape
# (N, C*k*k, Ho*Wo). Then the whole layer is ONE matrix product, `w.reshape(O, C*k*k) @ cols`, plus the bias.
# In NumPy the windows are a strided *view* of the padded input (`as_strided`: element [n, c, u, v, i, j] sits
# at a computable offset; nothing is copied); reshaping that view into `cols` copies it once.
#
# **Backward**, from the upstream gradient `g = dL/dout`: `dL/dw = g @ cols^T` (summed over the batch: a second
# GEMM), `dL/db = g` summed over batch and positions, and `dL/dcols = w^T @ g` (a third GEMM), whose columns are
# scattered back onto the windows they came from (*col2im*; where windows overlap, the contributions add up:
# `np.add.at`). Below, this NumPy version is checked against `F.conv2d` of both frameworks (forward and the three
# gradients, with a random upstream gradient) for four geometries, in float64.

# %%
def out_size(size: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The output length of a convolution or pooling: floor((size + 2 padding - dilation (k - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def windows(x: np.ndarray, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """Every window a k x k kernel reads in ``x`` (N, C, H, W): a read-only (N, C, k, k, Ho, Wo) strided view of the
    zero-padded input whose element [n, c, u, v, i, j] is xpad[n, c, i*stride + u*dilation, j*stride + v*dilation]."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c = x.shape[:2]
    ho, wo = (out_size(s, k, stride, padding, dilation) for s in x.shape[2:])
    sn, sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, k, k, ho, wo), (sn, sc, sh * dilation, sw * dilation, sh * stride, sw * stride), writeable=False)


def im2col(x: np.ndarray, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """(N, C*k*k, Ho*Wo): the window of every output position as one column (this copies the windows)."""
    win = windows(x, k, stride, padding, dilation)
    n, c, _, _, ho, wo = win.shape
    return win.reshape(n, c * k * k, ho * wo)


def conv2d_numpy(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: int = 0,
                 dilation: int = 1) -> np.ndarray:
    """conv2d from scratch: im2col, then one matrix product (O, C*k*k) @ (N, C*k*k, Ho*Wo), plus the bias."""
    o, k = w.shape[0], w.shape[-1]
    ho, wo = (out_size(s, k, stride, padding, dilation) for s in x.shape[2:])
    cols = im2col(x, k, stride, padding, dilation)
    return (w.reshape(o, -1) @ cols + b[:, None]).reshape(len(x), o, ho, wo)


def conv2d_numpy_backward(x: np.ndarray, w: np.ndarray, grad_out: np.ndarray, stride: int = 1, padding: int = 0,
                          dilation: int = 1) -> tuple:
    """(dL/dx, dL/dw, dL/db) from dL/dout: dw = grad_out @ columns^T (a GEMM summed over the batch), db = grad_out
    summed, and the column gradients w^T @ grad_out (a GEMM) added back onto the windows they came from (col2im)."""
    (n, c, h, wd), (o, _, k, _) = x.shape, w.shape
    ho, wo = grad_out.shape[2:]
    g = grad_out.reshape(n, o, ho * wo)
    cols = im2col(x, k, stride, padding, dilation)
    dw = np.tensordot(g, cols, axes=([0, 2], [0, 2])).reshape(w.shape)
    dcols = (w.reshape(o, -1).T @ g).reshape(n, c, k, k, ho, wo)
    rows = np.arange(k)[:, None] * dilation + np.arange(ho)[None, :] * stride     # (k, Ho): padded row of tap u, row i
    cols_at = np.arange(k)[:, None] * dilation + np.arange(wo)[None, :] * stride  # (k, Wo)
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding))
    np.add.at(dxp, (slice(None), slice(None), rows[:, None, :, None], cols_at[None, :, None, :]), dcols)
    return dxp[:, :, padding:padding + h, padding:padding + wd], dw, grad_out.sum((0, 2, 3))


def conv_and_grads(fw, x: np.ndarray, w: np.ndarray, b: np.ndarray, upstream: np.ndarray, geometry: dict) -> list:
    """``F.conv2d`` of ``fw`` and the gradients of sum(out * upstream) w.r.t. x, w and b, as NumPy arrays."""
    x, w, b = (fw.tensor(a, requires_grad=True) for a in (x, w, b))
    out = fw.nn.functional.conv2d(x, w, b, **geometry)
    grads = fw.autograd.grad((out * fw.tensor(upstream)).sum(), (x, w, b))
    return [t.detach().numpy() for t in (out, *grads)]


GEOMETRIES = [dict(stride=1, padding=0, dilation=1), dict(stride=2, padding=1, dilation=1),
              dict(stride=1, padding=2, dilation=2), dict(stride=3, padding=1, dilation=2)]
X_SMALL, W_SMALL, B_SMALL = RNG.normal(size=(2, 3, 9, 11)), RNG.normal(size=(4, 3, 3, 3)), RNG.normal(size=4)
lec.section("What a convolution computes: im2col + one GEMM, from scratch",
            "conv2d written in NumPy (as_strided windows, one matrix product; backward: two GEMMs and a col2im "
            "scatter) against F.conv2d of minitorch and torch: input (2, 3, 9, 11), weight (4, 3, 3, 3), float64, "
            "a random upstream gradient; four stride/padding/dilation settings.")
for geom in GEOMETRIES:
    label = ", ".join(f"{key[0]}={value}" for key, value in geom.items())
    out = conv2d_numpy(X_SMALL, W_SMALL, B_SMALL, **geom)
    upstream = RNG.normal(size=out.shape)
    expected = [out, *conv2d_numpy_backward(X_SMALL, W_SMALL, upstream, **geom)]
    lec.compare(f"F.conv2d {label} (+grads)",
                lambda fw, x, w, b, geom=geom, upstream=upstream:
                fw.nn.functional.conv2d(x, w, b, **geom) * fw.tensor(upstream),
                inputs=[X_SMALL, W_SMALL, B_SMALL], grad=True, tol=1e-10)
    worst = max(max_abs_diff(conv_and_grads(fw, X_SMALL, W_SMALL, B_SMALL, upstream, geom), expected)
                for fw in FRAMEWORKS)
    lec.check(f"NumPy im2col conv2d == F.conv2d of minitorch and torch ({label}, output {out.shape[2:]}): "
              "output, dL/dx, dL/dw, dL/db", worst < 1e-10, f"max |diff| {worst:.1e}")

# %% [markdown]
# ## 2. Kernels: what one filter detects
# Before learning kernels, look at classic hand-made ones, each a 3 x 3 weight: the identity; the box and
# Gaussian blurs (averages: a low-pass filter); Sobel x and y (a difference across the window: large where the
# intensity changes horizontally / vertically, i.e. at edges, with a sign that says which way); the Laplacian
# (the sum of second differences: responds to thin lines and corners, zero on flat regions and ramps); and sharpen
# (identity + (-Laplacian): boosts the differences). Stacked as the 7 output channels of one weight (7, 1, 3, 3),
# they run as a single `F.conv2d` on a real MNIST digit (padding 1 keeps 28 x 28). A trained first layer learns
# filters of this kind; section 8 shows LeNet's.
#
# The data: the real MNIST files in `../shared/data/mnist`, read by `minitorch.vision.datasets.MNIST` and by
# `torchvision.datasets.MNIST` (which wants its own `MNIST/raw/` layout with the files decompressed, so the
# lecture decompresses them once into its output folder, as lecture 07 does).

# %%
DATA_ROOT = Path(minitorch.vision.datasets.default_root())
TV_ROOT = lec.out_dir / "torchvision"
torchvision_layout(DATA_ROOT / "mnist", TV_ROOT)
MNIST_SETS = {fw: {split: vision(fw).datasets.MNIST(None if fw is minitorch else TV_ROOT, train=split == "train")
                   for split in ("train", "test")} for fw in FRAMEWORKS}
KERNELS = {"identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
           "box blur": np.full((3, 3), 1 / 9),
           "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
           "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
           "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
           "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
           "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]}
BANK = np.stack([np.asarray(k, np.float64) for k in KERNELS.values()])[:, None]          # (7, 1, 3, 3)
DIGIT = MNIST_SETS[minitorch]["test"].data[:1].numpy()[:, None] / 255.0                   # (1, 1, 28, 28), a 7
lec.section("Kernels: hand-made 3x3 filters on a real digit",
            "identity, box and Gaussian blur, Sobel x/y, Laplacian and sharpen as the 7 output channels of one "
            "F.conv2d (padding=1) on the first MNIST test image.")
responses, _ = lec.compare("7 hand-made kernels, one conv2d", lambda fw, x, w: fw.nn.functional.conv2d(x, w, padding=1),
                           inputs=[DIGIT, BANK], grad=True, tol=1e-10)
responses = responses[0].detach().numpy()
lec.check("the identity kernel returns the image; the box blur keeps the total ink (the digit stays clear of the "
          "border); Sobel x and the Laplacian add up to 0 (their weights sum to 0: they measure differences)",
          np.allclose(responses[0], DIGIT[0, 0]) and abs(responses[1].sum() - DIGIT.sum()) < 1e-9
          and abs(responses[5].sum()) < 1e-9 and abs(responses[3].sum()) < 1e-9,
          f"ink {DIGIT.sum():.2f}, box blur {responses[1].sum():.2f}, Laplacian sum {responses[5].sum():.1e}")

tiles = np.concatenate([
    np.concatenate([np.full((1, 30, 30), np.nan), per_tile(np.kron(BANK[:, 0], np.ones((10, 10))))]),   # 3x3 -> 30x30
    np.pad(np.concatenate([DIGIT[0], per_tile(responses)]), ((0, 0), (1, 1), (1, 1)), constant_values=np.nan)])
fig, ax = plt.subplots(figsize=(13, 3.9))
ax.imshow(mosaic(tiles, 8, gap=4), cmap="RdBu_r", vmin=-1, vmax=1)
label_tiles(ax, [""] + [f"kernel: {name}" for name in KERNELS] + ["input digit"] + ["output"] * 7, (30, 30), 8, 4,
            fontsize=8)
ax.axis("off")
lec.figure(fig, "kernels", "top: seven hand-made 3x3 kernels (red positive, blue negative); bottom: the input "
           "digit (red: ink) and the output channel each kernel produces (same colour code, each scaled to its "
           "largest value): blurs smooth, Sobel x/y light up vertical/"
           "horizontal edges with a sign for the direction, the Laplacian outlines the strokes")

# %% [markdown]
# ## 3. Stride, padding, dilation: the output size
# Along each spatial axis, an input of length H, a kernel of k taps spaced `dilation` apart (so it spans
# `dilation*(k-1) + 1` pixels), `padding` zeros on each side and a step of `stride` give
#
# `H_out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1`
#
# (the same formula holds for pooling; `ceil_mode=True` rounds up instead). Common cases: `padding = (k-1)/2` with
# stride 1 keeps the size ("same", e.g. 3x3 with padding 1); stride 2 halves it (rounding down: 7 -> 3 with k=3,
# p=0); dilation widens the field without adding weights. When the floor drops pixels, the last rows/columns of
# the input are never read. The figure draws where the kernel sits for the first two output positions.

# %%
SIZES = [(28, 5, 1, 2, 1), (28, 5, 1, 0, 1), (32, 3, 2, 1, 1), (7, 3, 2, 0, 1), (8, 3, 2, 0, 1), (9, 3, 1, 0, 2),
         (10, 3, 3, 1, 2), (224, 7, 2, 3, 1), (15, 4, 4, 0, 1)]      # (H, k, stride, padding, dilation)


def conv_sizes(fw) -> list:
    """The output side of ``F.conv2d`` for every geometry of SIZES."""
    F = fw.nn.functional
    return [F.conv2d(fw.zeros(1, 1, h, h), fw.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
            for h, k, s, p, d in SIZES]


lec.section("Stride, padding and dilation: the output size",
            "H_out = floor((H + 2p - d(k-1) - 1)/s) + 1 against F.conv2d on both frameworks for 9 geometries.")
sizes, _ = lec.compare("output sizes, 9 geometries", conv_sizes, tol=0)
lec.check("the formula gives F.conv2d's output size in all 9 geometries", sizes == [out_size(*g) for g in SIZES])
lec.note("H, k, stride, padding, dilation -> H_out: " + "; ".join(
    f"{h}, {k}, {s}, {p}, {d} -> {o}" for (h, k, s, p, d), o in zip(SIZES, sizes)))

SLIDES = [("k=3, valid", 5, 3, 1, 0, 1), ("k=3, p=1 (same)", 5, 3, 1, 1, 1), ("k=3, stride 2, p=1", 5, 3, 2, 1, 1),
          ("k=3, dilation 2", 7, 3, 1, 0, 2)]            # (title, H, k, stride, padding, dilation)
POSITIONS = ((0, 0), (0, 1))


def tap_masks(fw, h: int, k: int, stride: int, padding: int, dilation: int) -> list:
    """Which cells of the padded input each output position of POSITIONS reads: where the gradient of that output
    w.r.t. the padded input is non-zero (a kernel of ones)."""
    xp = fw.ones(1, 1, h + 2 * padding, h + 2 * padding, requires_grad=True)
    out = fw.nn.functional.conv2d(xp, fw.ones(1, 1, k, k), stride=stride, dilation=dilation)
    return [fw.autograd.grad(out[0, 0, i, j], xp, retain_graph=True)[0][0, 0] != 0 for i, j in POSITIONS]


def expected_taps(h: int, k: int, stride: int, padding: int, dilation: int) -> list:
    """The same masks from the index formula: rows i*stride + u*dilation, columns j*stride + v*dilation."""
    masks = []
    for i, j in POSITIONS:
        mask = np.zeros((h + 2 * padding,) * 2, bool)
        taps = np.arange(k) * dilation
        mask[np.ix_(i * stride + taps, j * stride + taps)] = True
        masks.append(mask)
    return masks


CELL = 8                                                          # pixels per grid cell in the figure


def cells(image: np.ndarray, size: int) -> tuple:
    """An RGB grid ``image`` drawn with CELL x CELL pixels per cell and dark lines between cells, centred on a white
    ``size`` x ``size`` canvas (so that grids of different sizes tile into one mosaic); and its offset there."""
    big = np.pad(np.repeat(np.repeat(image, CELL, 0), CELL, 1), ((0, 1), (0, 1), (0, 0)))
    big[::CELL, :] = big[:, ::CELL] = 0.25
    offset = (size - len(big)) // 2
    canvas = np.ones((size, size, 3))
    canvas[offset:offset + len(big), offset:offset + len(big)] = big
    return canvas, offset


RED, BLUE, PURPLE = np.array([0.93, 0.35, 0.35]), np.array([0.35, 0.5, 0.95]), np.array([0.65, 0.4, 0.8])
SIDE = max(h + 2 * p for _, h, _, _, p, _ in SLIDES) * CELL + 1
inputs, outputs, titles, corners = [], [], [], []
for title, h, k, s, p, d in SLIDES:
    masks, _ = lec.compare(f"taps drawn: {title}", lambda fw, g=(h, k, s, p, d): tap_masks(fw, *g), tol=0)
    first, second = (m.numpy() for m in masks)
    lec.check(f"taps of outputs (0,0), (0,1) from autograd == index formula ({title})",
              all(np.array_equal(a, b) for a, b in zip((first, second), expected_taps(h, k, s, p, d))))
    image = np.full(first.shape + (3,), 0.82)                     # padding: grey
    image[p:p + h, p:p + h] = 1.0                                  # the input itself: white
    image[first], image[second], image[first & second] = RED, BLUE, PURPLE
    ho = out_size(h, k, s, p, d)
    out_image = np.ones((ho, ho, 3))
    out_image[0, 0], out_image[0, 1] = RED, BLUE
    (canvas, offset), (out_canvas, _) = cells(image, SIDE), cells(out_image, SIDE)
    inputs.append(canvas)
    outputs.append(out_canvas)
    titles.append(f"{title}\ninput {h}x{h}" + (f" + padding {p}" if p else ""))
    corners.append(offset + p * CELL)
GAP = 14
fig, ax = plt.subplots(figsize=(12, 7))
ax.imshow(mosaic(np.stack(inputs + outputs), len(SLIDES), gap=GAP, fill=1.0))
label_tiles(ax, titles + [f"output {out_size(*g[1:])}x{out_size(*g[1:])}" for g in SLIDES], (SIDE, SIDE),
            len(SLIDES), GAP, fontsize=10)
for col, ((_, h, *_), corner) in enumerate(zip(SLIDES, corners)):
    ax.add_patch(Rectangle((col * (SIDE + GAP) + corner, corner), h * CELL, h * CELL, fill=False, lw=2.5, ls="--",
                           color="k"))
ax.axis("off")
lec.figure(fig, "stride_padding_dilation", "top: the input (dashed square) with its zero padding (grey); the cells "
           "read by output (0,0) in red, by output (0,1) in blue, by both in purple. The step from red to blue is "
           "the stride; the gaps between taps are the dilation. Bottom: the output grid. The masks are the non-zero "
           "gradient of each output pixel w.r.t. the padded input, computed by autograd on both frameworks")

# %% [markdown]
# ## 4. Receptive fields
# The *receptive field* of an output pixel is the input region that can influence it. Through a stack of layers
# it grows by a simple recurrence: with `r` the receptive field and `j` the *jump* (the distance in input pixels
# between two neighbouring positions of the current layer; it starts at 1),
#
# `r <- r + (k - 1) * dilation * j`,  then  `j <- j * stride`.
#
# A stride multiplies every later growth: two 3x3 convolutions see 5 x 5, but after a 2x2 pool the next 3x3 adds
# 4, not 2. Dilations 1, 2, 4, 8 give 3, 7, 15, 31: exponential growth with linear depth and no extra weights
# (WaveNet, DeepLab). The measurement: set every weight to 1 (so no contributions cancel), replace max pooling by
# average pooling (a max pool's gradient flows only to the winner of each window, which would show the pixels
# that *did* influence this input, not those that *can*), and take the gradient of the central output pixel
# w.r.t. the input: its non-zero region is exactly the receptive field. Its values are not uniform: the centre
# reaches the output through many more paths than the border, so the *effective* receptive field is a
# bump much narrower than the theoretical square.

# %%
STACKS = {"LeNet-5 features": [("conv", 5, 1, 2, 1), ("pool", 2, 2, 0, 1), ("conv", 5, 1, 0, 1), ("pool", 2, 2, 0, 1)],
          "TinyVGG blocks": [("conv", 3, 1, 1, 1), ("conv", 3, 1, 1, 1), ("pool", 2, 2, 0, 1)] * 2,
          "dilated 1-2-4-8": [("conv", 3, 1, d, d) for d in (1, 2, 4, 8)],
          "3x3 stride 2, x4": [("conv", 3, 2, 1, 1)] * 4}            # (kind, k, stride, padding, dilation)
RF_INPUT = 72


def receptive_fields(layers: list) -> list:
    """The receptive field after each layer: r += (k - 1) * dilation * jump, then jump *= stride."""
    r, jump, fields = 1, 1, []
    for _, k, s, _, d in layers:
        r, jump = r + (k - 1) * d * jump, jump * s
        fields.append(r)
    return fields


def ones_stack(fw, layers: list) -> list:
    """The layers in float64, every convolution weight set to 1 (no bias), pooling as AvgPool2d."""
    modules = []
    for kind, k, s, p, d in layers:
        if kind == "conv":
            conv = fw.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False).double()
            fw.nn.init.ones_(conv.weight)
            modules.append(conv)
        else:
            modules.append(fw.nn.AvgPool2d(k, stride=s, padding=p))
    return modules


def rf_gradients(fw, layers: list) -> list:
    """After each layer: the gradient of its central output pixel w.r.t. a RF_INPUT x RF_INPUT input of ones."""
    x = fw.ones(1, 1, RF_INPUT, RF_INPUT, dtype=fw.float64, requires_grad=True)
    h, maps = x, []
    for module in ones_stack(fw, layers):
        h = module(h)
        c = h.shape[-1] // 2
        maps.append(fw.autograd.grad(h[0, 0, c, c], x, retain_graph=True)[0][0, 0])
    return maps


def support(grad_map: np.ndarray) -> tuple:
    """(height, width) of the bounding box of the non-zero entries."""
    rows, cols = np.flatnonzero(grad_map.any(1)), np.flatnonzero(grad_map.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


lec.section("Receptive fields: the recurrence, and the gradient of one output pixel",
            f"four stacks; for each layer, the receptive field from r += (k-1)·d·jump against the extent of the "
            f"non-zero gradient of the central output pixel w.r.t. a {RF_INPUT}x{RF_INPUT} input (weights of ones, "
            "average pooling, float64), on both frameworks")
RF_MAPS = {}
for name, layers in STACKS.items():
    maps, _ = lec.compare(f"RF gradients: {name}", lambda fw, layers=layers: rf_gradients(fw, layers), tol=1e-12)
    RF_MAPS[name] = [m.numpy() for m in maps]
    computed = receptive_fields(layers)
    measured = [support(m) for m in RF_MAPS[name]]
    lec.check(f"{name}: measured receptive field == recurrence after every layer",
              measured == [(r, r) for r in computed],
              "receptive fields " + ", ".join(map(str, computed)))
vgg = RF_MAPS["TinyVGG blocks"][-1]
rows, cols = np.flatnonzero(vgg.any(1)), np.flatnonzero(vgg.any(0))
box = vgg[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
quarter = len(box) // 4
lec.note(f"TinyVGG blocks: receptive field {len(box)} x {len(box)} pixels, but the gradient is "
         f"{box.max() / box.min():.0f} times larger at its peak than at its weakest pixel, and the central "
         f"{len(box) - 2 * quarter} x {len(box) - 2 * quarter} pixels (a quarter of the area) hold "
         f"{box[quarter:-quarter, quarter:-quarter].sum() / box.sum() * 100:.0f}% of its total: the effective "
         "receptive field is much smaller than the theoretical one.")

CROP = slice(RF_INPUT // 2 - 18, RF_INPUT // 2 + 18)              # 36 x 36 around the centre
fig = plt.figure(figsize=(15, 5.2))
spec = fig.add_gridspec(2, 2, width_ratios=[2.3, 1])
for row, name in enumerate(("TinyVGG blocks", "dilated 1-2-4-8")):
    ax = fig.add_subplot(spec[row, 0])
    crops = per_tile(np.stack([m[CROP, CROP] for m in RF_MAPS[name]]))
    ax.imshow(mosaic(crops, 6, gap=3), cmap="magma", vmin=0, vmax=1)
    titles = []
    for i, (crop, r, layer) in enumerate(zip(crops, receptive_fields(STACKS[name]), STACKS[name])):
        top, left = np.flatnonzero(crop.any(1))[0], np.flatnonzero(crop.any(0))[0]
        ax.add_patch(Rectangle((i * 39 + left - 0.5, top - 0.5), r, r, fill=False, color="c", lw=1.2))
        titles.append(f"{layer[0]} k={layer[1]}" + (f" d={layer[4]}" if layer[4] > 1 else "") + f": RF {r}")
    label_tiles(ax, titles, (36, 36), 6, 3, fontsize=8)
    ax.set_title(name, fontsize=10, pad=14)
    ax.axis("off")
ax = fig.add_subplot(spec[:, 1])
for (name, layers), ls in zip(STACKS.items(), ("-", "-", "-", ":")):
    depth = np.arange(1, len(layers) + 1)
    ax.plot(depth, receptive_fields(layers), ls, lw=2, label=name)
    ax.plot(depth, [support(m)[0] for m in RF_MAPS[name]], "k.", ms=5)
ax.set(xlabel="layers", ylabel="receptive field (pixels)", title="recurrence (lines), gradient extent (dots)")
ax.legend(fontsize=7, loc="upper left")
lec.figure(fig, "receptive_fields", "gradient of the central output pixel w.r.t. the input after each layer (a 36x36 "
           "crop; cyan: the receptive field from the recurrence): TinyVGG's blocks (top) and a dilated stack (bottom); "
           "right: receptive field against depth for four stacks. The gradient is peaked in the centre: the "
           "effective receptive field")

# %% [markdown]
# ## 5. Pooling
# Pooling summarises each window of a single channel (no weights): `max_pool2d` keeps the largest value,
# `avg_pool2d` the mean. A 2x2 pool with stride 2 halves the resolution, which cheaply grows the receptive field
# (the jump doubles) and makes the output tolerant to small shifts. `return_indices=True` also returns where each
# maximum was (the flat index h*W + w inside its channel), which `max_unpool2d` uses to put the values back
# (SegNet's decoder). The gradients differ in kind: max pooling sends each output's gradient to the single
# winner of its window (in overlapping windows, 3x3 stride 2, a pixel can win several times and collects several
# gradients), average pooling spreads it evenly, 1/k² to every cell (with `count_include_pad=False`, the padded
# cells do not count in the divisor).

# %%
def pools(fw, x):
    """Max pools 2x2 and 3x3/2 (values and indices), an average pool 3x3/2 with padding, and max_unpool2d."""
    F = fw.nn.functional
    v2, i2 = F.max_pool2d(x, 2, return_indices=True)
    v3, i3 = F.max_pool2d(x, 3, stride=2, return_indices=True)
    avg = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    return v2, i2, v3, i3, avg, F.max_unpool2d(v2, i2, 2)


def max_pool_grad(fw, x: np.ndarray, k: int, stride: int) -> tuple:
    """(gradient of max_pool2d(x).sum() w.r.t. x, how many times each pixel is the winner of a window)."""
    xt = fw.tensor(x, requires_grad=True)
    values, indices = fw.nn.functional.max_pool2d(xt, k, stride=stride, return_indices=True)
    (grad,) = fw.autograd.grad(values.sum(), xt)
    wins = np.zeros(x.shape[:2] + (x.shape[2] * x.shape[3],))
    n, c = np.indices(indices.shape[:2])
    np.add.at(wins, (n[..., None, None], c[..., None, None], indices.numpy()), 1)
    return grad.numpy(), wins.reshape(x.shape)


POOL_X = RNG.normal(size=(2, 3, 8, 8))
lec.section("Pooling: max and average, indices, gradients",
            "max_pool2d (2x2, and overlapping 3x3 stride 2) with return_indices, avg_pool2d (3x3, stride 2, padding 1, "
            "count_include_pad=False) and max_unpool2d on a (2, 3, 8, 8) input; gradients of their sum")
lec.compare("max/avg pool, indices, unpool", pools, inputs=[POOL_X], grad=True, tol=1e-12)
for fw in FRAMEWORKS:
    for k, s in ((2, 2), (3, 2)):
        grad, wins = max_pool_grad(fw, POOL_X, k, s)
        lec.check(f"{fw.__name__}: max_pool2d k={k} s={s}: the gradient of each pixel = the number of windows it wins",
                  np.array_equal(grad, wins), f"largest count {int(wins.max())}")
small = np.array([[1, 8, 2, 0], [3, 4, 9, 5], [7, 6, 1, 2], [0, 5, 3, 8]], np.float64)[None, None]
values, indices = minitorch.nn.functional.max_pool2d(minitorch.tensor(small), 2, return_indices=True)
lec.note(f"a 4x4 example, rows {small[0, 0].astype(int).tolist()}: 2x2 max pool gives {values[0, 0].tolist()} with "
         f"indices {indices[0, 0].tolist()} (flat positions row*4 + column in the 4x4 input); the 2x2 average pool "
         f"gives {minitorch.nn.functional.avg_pool2d(minitorch.tensor(small), 2)[0, 0].tolist()}.")

# %% [markdown]
# ## 6. Parameters and multiply-adds
# A convolution's weight has `O * C * k * k` entries (+ O biases), independent of the image size: weight sharing.
# Its cost is `O * C * k * k` multiply-adds *per output position*, so `O*C*k*k*Ho*Wo` per image. A dense layer
# doing the same map would need one weight per (input pixel, output pixel) pair. The table comes from forward hooks
# (lecture 05) that record every `Conv2d` and `Linear` output during one forward pass, for minitorch's
# `vision.models.LeNet5` / `TinyVGG` and their torch twins in `parity/models.py` (same module names, so the same
# `state_dict` keys: weights copy over directly).

# %%
def build_lenet(fw):
    """LeNet-5: minitorch.vision.models.LeNet5, or its torch twin from parity/models.py."""
    return minitorch.vision.models.LeNet5() if fw is minitorch else lenet5(torch)


def build_tinyvgg(fw):
    """TinyVGG (10 hidden channels, 32x32 inputs): minitorch.vision.models.TinyVGG, or its torch twin."""
    return minitorch.vision.models.TinyVGG() if fw is minitorch else tinyvgg(torch)


def layer_table(fw, model, x) -> list:
    """(name, output shape, parameters, multiply-adds per image) of every Conv2d and Linear of ``model``, recorded
    by forward hooks during one forward pass of ``x``."""
    rows = []

    def record(name):
        def hook(module, inputs, output):
            positions = output[0, 0].numel() if output.dim() == 4 else 1
            rows.append((name, tuple(output.shape[1:]), sum(p.numel() for p in module.parameters()),
                         module.weight.numel() * positions))
        return hook

    handles = [m.register_forward_hook(record(name)) for name, m in model.named_modules()
               if isinstance(m, (fw.nn.Conv2d, fw.nn.Linear))]
    with fw.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return rows


lec.section("Parameters and multiply-adds of LeNet-5 and TinyVGG",
            "per layer, from forward hooks, on minitorch's models and the torch twins")
TABLES = {}
for label, build, shape in (("LeNet-5", build_lenet, (1, 1, 28, 28)), ("TinyVGG", build_tinyvgg, (1, 3, 32, 32))):
    TABLES[label], _ = lec.compare(f"{label}: layer shapes/params/MACs",
                                   lambda fw, build=build, shape=shape: layer_table(fw, build(fw), fw.zeros(*shape)),
                                   tol=0)
    total = sum(p.numel() for p in build(minitorch).parameters())
    lec.check(f"{label}: the layers' parameters add up to the model's {total:,}",
              sum(r[2] for r in TABLES[label]) == total)
    lec.note(f"{label}: " + "; ".join(f"{name} -> {shape}: {params:,} parameters, {macs:,} MACs"
                                      for name, shape, params, macs in TABLES[label]) +
             f". Total {total:,} parameters, {sum(r[3] for r in TABLES[label]):,} multiply-adds per image.")
conv1 = TABLES["LeNet-5"][0]
dense = 28 * 28 * int(np.prod(conv1[1]))
lec.note(f"LeNet's first convolution maps 1x28x28 to {conv1[1][0]}x{conv1[1][1]}x{conv1[1][2]} with {conv1[2]} "
         f"parameters; a dense layer with the same input and output would need {dense + int(np.prod(conv1[1])):,}, "
         f"{(dense + int(np.prod(conv1[1]))) / conv1[2]:,.0f} times more. The convolutions hold few parameters and "
         "do most of the arithmetic; the linear layers the opposite.")

# %% [markdown]
# ## 7. LeNet-5 on the real MNIST, in both frameworks from the same weights
# LeNet-5 (LeCun et al., 1998): conv 6@5x5 (padding 2) - ReLU - 2x2 max pool - conv 16@5x5 - ReLU - pool - linear
# 400-120-84-10. The torch twin is initialised with torch's default initialisation and its `state_dict` is copied
# into minitorch's `LeNet5`; both then see the same normalised images ((x/255 - 0.1307) / 0.3081, converted once
# for the whole tensor as in lecture 07) in the same order (a NumPy permutation per epoch). The optimiser is Adam
# with a one-cycle learning-rate schedule (`OneCycleLR`: warm up to the peak, then anneal to ~0), batch 128: it
# converges in a few epochs, which matters when one minitorch epoch of 60,000 images costs about a minute of
# NumPy. Nothing is selected with the test set here (no early stopping), so its accuracy after the last epoch is an
# honest estimate; it is also measured after every epoch to draw the curve.

# %%
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
N_TRAIN, N_TEST = (1000, 300) if lec.quick else (60000, 10000)
LENET_EPOCHS, LENET_BATCH, LENET_LR = (1, 100, 3e-3) if lec.quick else (3, 128, 2e-3)


def mnist_tensors(fw, split: str, n: int) -> tuple:
    """The first ``n`` images of a split as normalised (n, 1, 28, 28) float32, and their int64 labels."""
    dataset = MNIST_SETS[fw][split]
    return ((dataset.data[:n].to(fw.float32) / 255 - MNIST_MEAN) / MNIST_STD).unsqueeze(1), dataset.targets[:n]


def shared_batches(n: int, batch: int, epoch: int) -> np.ndarray:
    """One epoch's batches of indices (a NumPy permutation seeded by the epoch, incomplete last batch dropped): the
    same on both frameworks."""
    return np.random.default_rng(epoch).permutation(n)[:n // batch * batch].reshape(-1, batch)


def same_start(fw, build, init: dict, dtype: str = "float32"):
    """The model ``build(fw)`` holding the weights ``init`` (a NumPy state_dict), cast to ``dtype``."""
    model = build(fw).to(getattr(fw, dtype))
    model.load_state_dict({k: fw.tensor(v) for k, v in init.items()})
    return model


def predict(fw, model, x, batch: int = 500):
    """The predicted classes of ``x``, in eval mode, without a graph, ``batch`` images at a time."""
    model.eval()
    with fw.no_grad():
        preds = fw.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    model.train()
    return preds


def fit(fw, model, train: tuple, test: tuple, epochs: int, batch: int, lr: float, h: dict):
    """Adam + OneCycleLR over the shared batches; records every step's loss, the test accuracy and predictions after
    every epoch, and the training time in ``h``; yields after every epoch (so two runs can take turns)."""
    x, y = train
    optimizer = fw.optim.Adam(model.parameters(), lr=lr)
    scheduler = fw.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * (len(x) // batch))
    loss_fn = fw.nn.CrossEntropyLoss()
    h.update(step_loss=[], test_acc=[], seconds=0.0, model=model)
    for epoch in range(epochs):
        start = time.perf_counter()
        for idx in lec.progress(shared_batches(len(x), batch, epoch), f"{fw.__name__} epoch {epoch + 1}/{epochs}"):
            idx = fw.tensor(idx)
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            scheduler.step()
            h["step_loss"].append(loss.item())
        h["seconds"] += time.perf_counter() - start
        h["preds"] = predict(fw, model, test[0])
        h["test_acc"].append((h["preds"] == test[1]).to(fw.float32).mean().item())
        yield epoch


def train_both(build, init: dict, data: dict, epochs: int, batch: int, lr: float) -> dict:
    """Trains ``build(fw)`` from ``init`` on both frameworks, taking turns epoch by epoch (so the load of this shared
    machine weighs on both timings alike); returns the history of each."""
    hist = {fw: {} for fw in FRAMEWORKS}
    runs = [fit(fw, same_start(fw, build, init), *data[fw], epochs, batch, lr, hist[fw]) for fw in FRAMEWORKS]
    while runs:
        runs = [run for run in runs if next(run, None) is not None]
    return hist


def report_training(label: str, hist: dict, first_steps: int, tol: float) -> None:
    """Notes the accuracies and times; checks that the first steps' losses agree to ``tol``."""
    for fw in FRAMEWORKS:
        h = hist[fw]
        accuracies = ", ".join(f"{a * 100:.2f}%" for a in h["test_acc"])
        lec.note(f"{label}, {fw.__name__}: test accuracy per epoch {accuracies}"
                 + f"; training {h['seconds']:.1f} s ({h['seconds'] / len(h['step_loss']) * 1e3:.0f} ms per step)")
    diff = np.abs(np.subtract(hist[minitorch]["step_loss"][:first_steps], hist[torch]["step_loss"][:first_steps]))
    lec.check(f"{label}: the first {first_steps} step losses of minitorch and torch agree to {tol:g} (float32, same "
              "weights, same batches)", float(diff.max()) < tol, f"max |diff| {diff.max():.1e}")


def check_accuracies(label: str, hist: dict, within: float, full_min: float, full_claim: str) -> dict:
    """Checks that the final test accuracies agree to ``within`` and, in full mode, reach ``full_min`` (the claim
    ``full_claim``); returns them per framework."""
    acc = {fw: hist[fw]["test_acc"][-1] for fw in FRAMEWORKS}
    preds = [hist[fw]["preds"].numpy() for fw in FRAMEWORKS]
    lec.check(f"{label} test accuracy: minitorch {acc[minitorch] * 100:.2f}%, torch {acc[torch] * 100:.2f}%, "
              f"within {within * 100:g} points", abs(acc[minitorch] - acc[torch]) <= within,
              f"{int((preds[0] != preds[1]).sum())} of {len(preds[0])} test predictions differ (float32 drift)")
    if not lec.quick:
        lec.check(f"full mode: {full_claim}", min(acc.values()) >= full_min,
                  ", ".join(f"{fw.__name__} {a * 100:.2f}%" for fw, a in acc.items()))
    return acc


lec.section("LeNet-5 trained on the real MNIST by both frameworks",
            f"{N_TRAIN} training / {N_TEST} test images, batch {LENET_BATCH}, {LENET_EPOCHS} epoch(s), Adam + "
            f"OneCycleLR(max_lr={LENET_LR}), float32, one thread each; torch's initial weights copied into minitorch")
for split, n in (("train", N_TRAIN), ("test", N_TEST)):
    a, b = MNIST_SETS[minitorch][split], MNIST_SETS[torch][split]
    lec.check(f"MNIST {split}: minitorch.vision and torchvision read the same images and labels (the {n:,} used here)",
              np.array_equal(a.data[:n].numpy(), b.data[:n].numpy())
              and np.array_equal(a.targets[:n].numpy(), b.targets[:n].numpy()))
MNIST_DATA = {fw: (mnist_tensors(fw, "train", N_TRAIN), mnist_tensors(fw, "test", N_TEST)) for fw in FRAMEWORKS}
lec.compare("normalised MNIST tensors", lambda fw: (MNIST_DATA[fw][0][0][:64], MNIST_DATA[fw][1][0][-64:]), tol=1e-6)
torch.manual_seed(0)
LENET_INIT = {k: v.detach().numpy().copy() for k, v in build_lenet(torch).state_dict().items()}
lec.compare("LeNet-5 from the same weights: logits", lambda fw: same_start(fw, build_lenet, LENET_INIT)(
    MNIST_DATA[fw][1][0][:32]), tol=1e-5)
LENET = train_both(build_lenet, LENET_INIT, MNIST_DATA, LENET_EPOCHS, LENET_BATCH, LENET_LR)
report_training("LeNet-5", LENET, 8, 1e-4)
lenet_acc = check_accuracies("LeNet-5", LENET, 0.005, 0.985, "LeNet-5 reaches >= 98.5% test accuracy on MNIST in BOTH "
                             "frameworks")


def float64_steps(fw, steps: int = 3, batch: int = 32):
    """``steps`` Adam steps of LeNet-5 in float64 from LENET_INIT: the losses and the final weights."""
    model = same_start(fw, build_lenet, LENET_INIT, "float64")
    optimizer = fw.optim.Adam(model.parameters(), lr=LENET_LR)
    (x, y), _ = MNIST_DATA[fw]
    losses = []
    for idx in shared_batches(len(x), batch, 0)[:steps]:
        idx = fw.tensor(idx)
        optimizer.zero_grad()
        loss = fw.nn.functional.cross_entropy(model(x[idx].double()), y[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p.detach() for p in model.parameters()]


lec.compare("LeNet-5, 3 Adam steps in float64", float64_steps, tol=1e-10)

# %% [markdown]
# The float32 runs start equal to rounding (the first losses agree to ~1e-7) and then drift apart slowly: the
# frameworks add the same numbers in different orders (different GEMM kernels), and training amplifies the last-bit
# differences (lecture 07). The same steps in float64 agree to ~1e-15, which shows the drift is rounding and not a
# different algorithm. The test accuracies still agree to a fraction of a point.

# %% [markdown]
# ## 8. Feature maps of the trained LeNet
# What did the network learn? Forward hooks on the two ReLUs of `features` capture the activations of one test
# digit: the 6 maps of the first layer (28 x 28) and the 16 of the second (10 x 10, before the second pool). The
# first layer's 5x5 kernels look like the hand-made filters of section 2: oriented edge and stroke detectors;
# their maps are the digit seen through each filter. The second layer combines them into detectors of stroke
# parts (ends, corners, crossings) at a lower resolution, on a larger receptive field (14 pixels). The same
# trained weights (minitorch's) loaded into the torch twin give the same maps.

# %%
def feature_maps(fw, state: dict, image: np.ndarray) -> list:
    """The activations after the two ReLUs of ``features`` for ``image``, captured by forward hooks, for LeNet-5
    holding ``state`` (a NumPy state_dict)."""
    model = same_start(fw, build_lenet, state)
    captured = []
    handles = [model.features[i].register_forward_hook(lambda m, inputs, output: captured.append(output[0]))
               for i in (1, 4)]
    with fw.no_grad():
        model(fw.tensor(image))
    for handle in handles:
        handle.remove()
    return captured


TRAINED = {k: v.detach().numpy().copy() for k, v in LENET[minitorch]["model"].state_dict().items()}
SAMPLE = MNIST_DATA[minitorch][1][0][:1].numpy()
lec.section("Feature maps of the trained LeNet-5",
            "minitorch's trained weights; activations captured by forward hooks after each convolution + ReLU")
(maps1, maps2), _ = lec.compare("feature maps, trained weights", lambda fw: feature_maps(fw, TRAINED, SAMPLE), tol=1e-5)
maps1, maps2 = maps1.numpy(), maps2.numpy()
lec.note(f"first layer: {int((maps1.max((1, 2)) > 0).sum())} of 6 maps active on this digit, mean activation "
         f"{maps1.mean():.3f}; second layer: {int((maps2.max((1, 2)) > 0).sum())} of 16 active, "
         f"{(maps2 > 0).mean() * 100:.0f}% of their cells positive (ReLU makes the maps sparse).")

kernels = TRAINED["features.0.weight"][:, 0]
fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), gridspec_kw={"width_ratios": [1, 2.2, 3, 3]})
panels = ((SAMPLE[0], 1, "gray_r", (0, None), "input"),
          (per_tile(kernels), 3, "RdBu_r", (-1, 1), "conv1: six 5x5 kernels"),
          (per_tile(maps1), 3, "viridis", (0, 1), "conv1 + ReLU: 6 maps, 28x28"),
          (per_tile(maps2), 4, "viridis", (0, 1), "conv2 + ReLU: 16 maps, 10x10"))
for ax, (images, columns, cmap, (low, high), title) in zip(axes, panels):
    ax.imshow(mosaic(images, columns, gap=1), cmap=cmap, vmin=low, vmax=high)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
lec.figure(fig, "lenet_feature_maps", "trained LeNet-5 (minitorch): a test digit, the first layer's six 5x5 "
           "kernels (red positive, blue negative), their six feature maps after ReLU (in the same order), and the 16 "
           "maps of the second layer (10x10); each tile scaled to its own maximum")

# %% [markdown]
# ## 9. TinyVGG on CIFAR-10, read with ImageFolder
# `../shared/data/cifar10-jpeg` holds a CIFAR-10 subset as image folders: `train/<class>/NNNN.jpg` (1,000 per
# class) and `test/<class>/NNNN.jpg` (500 per class), 32 x 32 colour JPEGs. `ImageFolder` (minitorch.vision and
# torchvision) lists the classes as the sorted sub-folder names and every image file as a (path, class index)
# sample; `dataset[i]` returns (PIL image, label). The usual pipeline, `transform=Compose([ToTensor(),
# Normalize(mean, std)])`, turns each image into a normalised (3, 32, 32) float tensor (with the usual per-channel
# CIFAR-10 statistics). Here the images are decoded once (about half a millisecond per 32x32 JPEG: doing it every
# epoch would cost as much as a minitorch training step) and the same arithmetic, `(pixels / 255 - mean) / std`
# in channel-first layout, is applied to the whole uint8 stack at once (checked equal to the per-image transforms).
# Both libraries decode with PIL, so their tensors must be identical.
#
# TinyVGG (the CNN Explainer model): two blocks of [3x3 conv - ReLU - 3x3 conv - ReLU - 2x2 max pool] with 10
# channels, then a linear layer from 10 x 8 x 8 to 10 classes: 9,420 parameters. It is small and trains in minutes
# on a CPU, and it is far from the state of the art: with 10,000 training images and a few epochs expect roughly
# 45-55% test accuracy (chance is 10%); more channels, BatchNorm, data augmentation and more epochs (lecture 12)
# go much further.

# %%
CIFAR = DATA_ROOT / "cifar10-jpeg"
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
TRAIN_PER_CLASS, TEST_PER_CLASS = (20, 8) if lec.quick else (1000, 500)
VGG_EPOCHS, VGG_BATCH, VGG_LR = (1, 25, 3e-3) if lec.quick else (5, 64, 3e-3)


def normalise(fw, pixels):
    """``ToTensor`` + ``Normalize(CIFAR_MEAN, CIFAR_STD)`` for a whole (N, 32, 32, 3) uint8 stack at once."""
    mean, std = (fw.tensor(v).view(1, 3, 1, 1) for v in (CIFAR_MEAN, CIFAR_STD))
    return (pixels.permute(0, 3, 1, 2).to(fw.float32) / 255 - mean) / std


def cifar_split(fw, split: str, per_class: int) -> tuple:
    """The first ``per_class`` images of each class of the ImageFolder ``FOLDERS[fw][split]``, decoded and normalised
    at once: (images (N, 3, 32, 32) float32, labels int64, class names)."""
    dataset = FOLDERS[fw][split]
    targets = np.array(dataset.targets)
    index = np.concatenate([np.flatnonzero(targets == c)[:per_class] for c in range(len(dataset.classes))])
    pixels = fw.tensor(np.stack([np.asarray(dataset[i][0]) for i in index]))
    return normalise(fw, pixels), fw.tensor(targets[index]), dataset.classes


def per_image_transforms(fw):
    """The first 8 test images through the usual per-image ``transform=Compose([ToTensor(), Normalize])`` (set on a
    copy of the test ImageFolder), and the same images normalised at once."""
    t = vision(fw).transforms
    folder = FOLDERS[fw]["test"]
    transformed = copy.copy(folder)
    transformed.transform = t.Compose([t.ToTensor(), t.Normalize(CIFAR_MEAN, CIFAR_STD)])
    one_by_one = fw.stack([transformed[i][0] for i in range(8)])
    return one_by_one, normalise(fw, fw.tensor(np.stack([np.asarray(folder[i][0]) for i in range(8)])))


start = time.perf_counter()
FOLDERS = {fw: {split: vision(fw).datasets.ImageFolder(str(CIFAR / split)) for split in ("train", "test")}
           for fw in FRAMEWORKS}
CIFAR_SETS = {fw: {split: cifar_split(fw, split, n) for split, n in (("train", TRAIN_PER_CLASS),
                                                                    ("test", TEST_PER_CLASS))} for fw in FRAMEWORKS}
CLASSES = CIFAR_SETS[minitorch]["train"][2]
lec.section("TinyVGG trained on CIFAR-10 (JPEG folders) by both frameworks",
            f"{TRAIN_PER_CLASS * 10} training / {TEST_PER_CLASS * 10} test images (ImageFolder, read by both "
            f"libraries in {time.perf_counter() - start:.1f} s), batch {VGG_BATCH}, {VGG_EPOCHS} epoch(s), Adam + "
            f"OneCycleLR(max_lr={VGG_LR}), float32; torch's initial weights copied into minitorch")
lec.compare("CIFAR-10 ImageFolder tensors + classes", lambda fw: (CIFAR_SETS[fw]["train"], CIFAR_SETS[fw]["test"]),
            tol=1e-6)
transformed, _ = lec.compare("ToTensor+Normalize per image vs at once", per_image_transforms, tol=1e-6)
lec.check("per-image Compose([ToTensor(), Normalize]) == the whole-stack arithmetic (minitorch)",
          (transformed[0] - transformed[1]).abs().max().item() < 1e-6)
CIFAR_DATA = {fw: tuple(CIFAR_SETS[fw][split][:2] for split in ("train", "test")) for fw in FRAMEWORKS}
torch.manual_seed(0)
VGG_INIT = {k: v.detach().numpy().copy() for k, v in build_tinyvgg(torch).state_dict().items()}
VGG = train_both(build_tinyvgg, VGG_INIT, CIFAR_DATA, VGG_EPOCHS, VGG_BATCH, VGG_LR)
report_training("TinyVGG", VGG, 5, 1e-4)
vgg_acc = check_accuracies("TinyVGG", VGG, 0.02, 0.40, "TinyVGG is far above chance (10%) on CIFAR-10 in both "
                           "frameworks: >= 40% test accuracy")

fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(13, 4))
for (label, hist, epochs), colour in zip((("LeNet-5 / MNIST", LENET, LENET_EPOCHS), ("TinyVGG / CIFAR-10", VGG,
                                                                                    VGG_EPOCHS)), ("C0", "C1")):
    for fw, ls, marker in ((minitorch, "-", "o"), (torch, "--", "x")):
        losses = np.array(hist[fw]["step_loss"])
        smooth = np.convolve(losses, np.ones(10) / 10, mode="valid") if len(losses) >= 10 else losses
        loss_ax.semilogy(np.linspace(0, epochs, len(smooth)), smooth, ls, color=colour, lw=1,
                         label=f"{label}, {fw.__name__}")
        acc_ax.plot(np.arange(1, epochs + 1), np.array(hist[fw]["test_acc"]) * 100, ls, color=colour, marker=marker,
                    label=f"{label}, {fw.__name__}")
loss_ax.set(xlabel="epoch", title="training loss (10-step mean)")
acc_ax.set(xlabel="epoch", ylabel="%", title="test accuracy after each epoch")
loss_ax.legend(fontsize=8, loc="lower left")
acc_ax.legend(fontsize=8, loc="center right")
lec.figure(fig, "training_curves", "training loss per step and test accuracy per epoch of minitorch (solid, o) and "
           "torch (dashed, x), from the same initial weights and batches: LeNet-5 on MNIST (blue), TinyVGG on "
           "CIFAR-10 (orange)")


def confusion(targets: np.ndarray, preds: np.ndarray, classes: int = 10) -> np.ndarray:
    """counts[true, predicted]."""
    counts = np.zeros((classes, classes), np.int64)
    np.add.at(counts, (targets, preds), 1)
    return counts


test_images, test_labels = (t.numpy() for t in CIFAR_DATA[minitorch][1])
cm = confusion(test_labels, VGG[minitorch]["preds"].numpy())
recall = np.diag(cm) / cm.sum(1)
off = cm - np.diag(np.diag(cm))
confused = np.unravel_index(off.argmax(), off.shape)
lec.note("TinyVGG (minitorch) recall per class: " + ", ".join(f"{c} {r * 100:.0f}%" for c, r in zip(CLASSES, recall))
         + f". Most frequent confusion: {CLASSES[confused[0]]} predicted as {CLASSES[confused[1]]} "
         f"({off[confused]} times).")
fig, (ax, grid_ax) = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 1.35]})
ax.imshow(cm, cmap="Blues")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
       title=f"minitorch TinyVGG: {vgg_acc[minitorch] * 100:.1f}% (torch {vgg_acc[torch] * 100:.1f}%)")
ax.set_xticklabels(CLASSES, rotation=60, fontsize=8)
ax.set_yticklabels(CLASSES, fontsize=8)
shown = np.random.default_rng(1).choice(len(test_labels), 18, replace=False)
pictures = np.clip(test_images[shown].transpose(0, 2, 3, 1) * CIFAR_STD + CIFAR_MEAN, 0, 1)
grid_ax.imshow(mosaic(pictures, 6, gap=16, fill=1.0))
guesses = VGG[minitorch]["preds"].numpy()[shown]
label_tiles(grid_ax, [f"{CLASSES[g]}\n(true: {CLASSES[t]})" for g, t in zip(guesses, test_labels[shown])], (32, 32),
            6, 16, colors=["green" if g == t else "red" for g, t in zip(guesses, test_labels[shown])], fontsize=7.5)
grid_ax.axis("off")
lec.figure(fig, "cifar_predictions", "TinyVGG on the CIFAR-10 test images: confusion matrix of minitorch's model "
           "(rows true class, columns predicted) and 18 test images with its prediction (green right, red wrong)")

# %% [markdown]
# ## 10. Deep dive: im2col + GEMM, what it costs, and the backward pass as a convolution
# **Why im2col + one GEMM is fast.** A convolution is `N*O*C*k²*Ho*Wo` multiply-adds, exactly like a matrix
# product of (O, C*k²) by (C*k², N*Ho*Wo). Written as loops, each multiply-add needs two loads from scattered
# addresses; written as one GEMM, BLAS blocks the two matrices into tiles that fit the caches and registers and
# reuses every loaded number many times (dozens of flops per memory access, vectorised with SIMD), reaching a
# large fraction of the CPU's peak. Gathering the columns costs one pass over `C*k²*Ho*Wo` numbers per image: no
# arithmetic, only memory traffic, yet for a small layer like the one below it takes as long as the GEMM or longer
# (the GEMM does only O = 32 multiply-adds per gathered number); that is why fast libraries gather tiles on the fly
# inside the GEMM ("implicit GEMM") instead of building the whole buffer. Below, the same layer computed three ways
# in NumPy: im2col + one GEMM; *shift-and-add* (k² smaller GEMMs, one per kernel offset, on shifted views of the
# padded input: no im2col buffer); and `np.einsum` straight on the strided window view (no copy, but a naive loop
# in C) — and `F.conv2d` of both frameworks.
#
# **What it costs in memory.** The column buffer holds every input pixel about k²/stride² times: 9x the input for
# a 3x3 stride-1 convolution, 25x for LeNet's 5x5. That is why implementations process large batches in chunks,
# and why some (cuDNN's "implicit GEMM") never materialise it.
#
# **The backward pass is a convolution.** Each input pixel contributes to every output whose window covers it, with
# the kernel weight at that offset; collecting those contributions is a *transposed convolution* of the upstream
# gradient with the same weight: `dL/dx = conv_transpose2d(g, w, stride, padding, dilation, output_padding)`
# (`output_padding` restores the rows the floor in the size formula dropped). With stride 1 that is an ordinary
# convolution with the kernel flipped by 180° and in/out channels swapped, padded by `d(k-1) - p` ("full"
# convolution). The weight gradient is a convolution too: of the input (batch and channel axes swapped) with the
# upstream gradient as the kernel, `dL/dw = conv2d(x^T, g^T, stride=dilation, dilation=stride)^T`. This is why
# double backward through a convolution works: the backward is made of differentiable convolutions.

# %%
BENCH_SHAPE = (8 if lec.quick else 64, 16, 32, 32)      # a TinyVGG-like layer: 16 -> 32 channels, 3x3, padding 1


def best_of(fn, repeat: int = 3) -> tuple:
    """(the fastest of ``repeat`` runs of ``fn()`` in seconds: the least disturbed by the other jobs on this machine,
    the result of the last run)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def shift_and_add(x: np.ndarray, w: np.ndarray, padding: int) -> np.ndarray:
    """Stride-1 conv2d as k*k GEMMs, one per kernel offset (u, v), on shifted views of the padded input."""
    k, (h, wd) = w.shape[-1], x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = h + 2 * padding - k + 1, wd + 2 * padding - k + 1
    out = 0
    for u in range(k):
        for v in range(k):
            out = out + np.einsum("oc,nchw->nohw", w[:, :, u, v], xp[:, :, u:u + ho, v:v + wo], optimize=True)
    return out


x32 = RNG.normal(size=BENCH_SHAPE).astype(np.float32)
w32 = RNG.normal(size=(32, 16, 3, 3)).astype(np.float32) / 12
zero_bias = np.zeros(32, np.float32)
macs = x32.shape[0] * 32 * 16 * 9 * 32 * 32
methods = {"im2col + 1 GEMM (NumPy)": lambda: conv2d_numpy(x32, w32, zero_bias, padding=1),
           "shift-and-add, 9 GEMMs (NumPy)": lambda: shift_and_add(x32, w32, 1),
           "einsum on the window view (NumPy)": lambda: np.einsum("nckluv,ockl->nouv", windows(x32, 3, padding=1), w32)}
for fw in FRAMEWORKS:
    xt, wt = fw.tensor(x32), fw.tensor(w32)
    methods[f"F.conv2d ({fw.__name__})"] = lambda fw=fw, xt=xt, wt=wt: fw.nn.functional.conv2d(xt, wt, padding=1)
lec.section("Deep dive: im2col + GEMM, its memory, and the backward pass as a (transposed) convolution",
            f"one layer, input {BENCH_SHAPE}, 32 output channels, 3x3, padding 1 ({macs / 1e6:.0f} M multiply-adds), "
            "float32, one thread: computed five ways")
timings, results = {}, {}
for name, fn in methods.items():
    timings[name], out = best_of(fn, 1 if "einsum on" in name else 3)
    results[name] = out if isinstance(out, np.ndarray) else out.numpy()
reference = results["im2col + 1 GEMM (NumPy)"]
lec.check("the five ways give the same output (relative 1e-4)",
          all(np.allclose(r, reference, rtol=1e-4, atol=1e-4 * np.abs(reference).max()) for r in results.values()))
lec.note("time and multiply-adds per second: " + "; ".join(
    f"{name}: {s * 1e3:.1f} ms, {macs / s / 1e9:.2f} GMAC/s" for name, s in timings.items()) +
    f". im2col + GEMM is {timings['einsum on the window view (NumPy)'] / timings['im2col + 1 GEMM (NumPy)']:.0f} "
    "times faster than the loop over the same windows.")
im2col_seconds, _ = best_of(lambda: im2col(x32, 3, padding=1))
gemm_seconds = timings["im2col + 1 GEMM (NumPy)"] - im2col_seconds
lec.note(f"of the im2col + GEMM time, gathering the columns takes {im2col_seconds * 1e3:.1f} ms "
         f"({im2col_seconds / timings['im2col + 1 GEMM (NumPy)'] * 100:.0f}%); the matrix product alone runs at "
         f"about {macs / max(gemm_seconds, 1e-9) / 1e9:.0f} GMAC/s.")

MEMORY_CASES = [("LeNet conv1, batch 128", (128, 1, 28, 28), 5, 1, 2),
                ("LeNet conv2, batch 128", (128, 6, 14, 14), 5, 1, 0),
                ("TinyVGG conv, batch 64", (64, 10, 32, 32), 3, 1, 1),
                ("ResNet-18 layer1 conv, batch 32", (32, 64, 56, 56), 3, 1, 1),
                ("ResNet-18 stem 7x7/2, batch 32", (32, 3, 224, 224), 7, 2, 3)]


def column_bytes(shape: tuple, k: int, stride: int, padding: int) -> int:
    """Bytes of the float32 im2col buffer: N * C*k*k * Ho*Wo * 4."""
    n, c, h, w = shape
    return n * c * k * k * out_size(h, k, stride, padding) * out_size(w, k, stride, padding) * 4


lec.check("column_bytes == the nbytes of the buffer im2col actually builds (benchmark layer)",
          im2col(x32, 3, padding=1).nbytes == column_bytes(BENCH_SHAPE, 3, 1, 1))
lec.note("im2col buffer (float32) vs the input: " + "; ".join(
    f"{name}: {column_bytes(shape, k, s, p) / 2**20:.1f} MiB vs {np.prod(shape) * 4 / 2**20:.1f} MiB "
    f"({column_bytes(shape, k, s, p) / (np.prod(shape) * 4):.1f}x)" for name, shape, k, s, p in MEMORY_CASES))


def backward_as_convolutions(fw, x, w, g, stride: int, padding: int, dilation: int) -> list:
    """(autograd dL/dx, the same by conv_transpose2d, autograd dL/dw, the same by conv2d of x with g as kernel)."""
    F = fw.nn.functional
    k, h = w.shape[-1], x.shape[-1]
    out = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    dx, dw = fw.autograd.grad((out * g).sum(), (x, w))
    extra = h - ((g.shape[-1] - 1) * stride - 2 * padding + dilation * (k - 1) + 1)     # rows the floor dropped
    dx_conv = F.conv_transpose2d(g, w, stride=stride, padding=padding, output_padding=extra, dilation=dilation)
    dw_conv = F.conv2d(x.transpose(0, 1), g.transpose(0, 1), padding=padding, stride=dilation,
                       dilation=stride).transpose(0, 1)[:, :, :k, :k]
    return [dx, dx_conv, dw, dw_conv]


for geom in (dict(stride=1, padding=1, dilation=1), dict(stride=2, padding=1, dilation=1),
             dict(stride=2, padding=2, dilation=2)):
    label = ", ".join(f"{key[0]}={value}" for key, value in geom.items())
    xb, wb = RNG.normal(size=(2, 3, 10, 10)), RNG.normal(size=(4, 3, 3, 3))
    gb = RNG.normal(size=(2, 4) + (out_size(10, 3, **geom),) * 2)
    both = lec.compare(f"backward as convolutions ({label})",
                       lambda fw, x, w, g, geom=geom: backward_as_convolutions(fw, x, w, g, **geom),
                       inputs=[xb, wb, gb], grad=True, tol=1e-10)
    worst = max(max((a - b).abs().max().item() for a, b in ((r[0], r[1]), (r[2], r[3]))) for r in both)
    lec.check(f"dL/dx == conv_transpose2d(g, w) and dL/dw == conv2d(x^T, g^T)^T on both frameworks ({label})",
              worst < 1e-10, f"max |diff| {worst:.1e}")


def flipped_kernel(fw, x, w, g):
    """Stride 1: dL/dx by autograd, and as conv2d(g, w flipped 180° with in/out swapped, padding k-1-p)."""
    x.requires_grad_(True)
    out = fw.nn.functional.conv2d(x, w, padding=1)
    (dx,) = fw.autograd.grad((out * g).sum(), x)
    return dx, fw.nn.functional.conv2d(g, w.flip(2, 3).transpose(0, 1), padding=3 - 1 - 1)


dx_pair, _ = lec.compare("stride 1: dL/dx as a flipped-kernel conv", flipped_kernel,
                         inputs=[RNG.normal(size=(2, 3, 8, 8)), RNG.normal(size=(4, 3, 3, 3)),
                                 RNG.normal(size=(2, 4, 8, 8))], tol=1e-10)
lec.check("stride 1: dL/dx == conv2d(g, flip(w).transpose(0, 1), padding=k-1-p) (minitorch)",
          (dx_pair[0] - dx_pair[1]).abs().max().item() < 1e-10)

# %% [markdown]
# Beyond im2col: for large kernels, FFT-based convolution turns the sliding sum into a pointwise product
# (O(HW log HW) instead of O(HW k²)); for 3x3 kernels, Winograd's F(2x2, 3x3) computes a 2x2 output tile with 16
# multiplications instead of 36. Libraries such as cuDNN and oneDNN pick among these per layer shape (PyTorch's
# `torch.backends.cudnn.benchmark = True` times them once and keeps the fastest).

# %% [markdown]
# ## 11. Interview questions

# %%
lec.section("Interview questions", "")


def size_question(fw):
    y = fw.nn.Conv2d(3, 8, 3, stride=2, padding=1)(fw.zeros(1, 3, 32, 32))
    z = fw.nn.Conv2d(3, 8, 3, stride=2)(fw.zeros(1, 3, 7, 7))
    return tuple(y.shape) == (1, 8, 16, 16) and tuple(z.shape) == (1, 8, 3, 3)


lec.qa("What is the output size of a convolution?",
       "floor((H + 2p - d(k-1) - 1) / s) + 1 per spatial axis: a 3x3 stride-2 padding-1 convolution halves 32 to 16; "
       "without padding, 7 becomes floor(4/2) + 1 = 3 (the floor drops what does not fit). Pooling uses the same "
       "formula (ceil_mode rounds up).", check=size_question)


def flipped(fw):
    impulse = fw.zeros(1, 1, 5, 5, dtype=fw.float64)
    impulse[0, 0, 2, 2] = 1.0
    kernel = fw.arange(9, dtype=fw.float64).reshape(1, 1, 3, 3)
    out = fw.nn.functional.conv2d(impulse, kernel, padding=1)
    return bool((out[0, 0, 1:4, 1:4] == kernel[0, 0].flip(0, 1)).all())


lec.qa("Is F.conv2d a convolution or a cross-correlation?",
       "A cross-correlation: out[i, j] = sum w[u, v] x[i + u, j + v], without flipping the kernel. Fed a single "
       "impulse, it returns the kernel rotated by 180° (a true convolution would return the kernel itself). For a "
       "learned kernel the distinction does not matter: the network learns the flipped weights.", check=flipped)


def two_3x3(fw):
    c = 16
    two = fw.nn.Sequential(fw.nn.Conv2d(c, c, 3, bias=False), fw.nn.Conv2d(c, c, 3, bias=False))
    one = fw.nn.Conv2d(c, c, 5, bias=False)
    size = lambda m: sum(p.numel() for p in m.parameters())
    same_rf = two(fw.zeros(1, c, 9, 9)).shape == one(fw.zeros(1, c, 9, 9)).shape
    return same_rf and size(two) == 18 * c * c and size(one) == 25 * c * c


lec.qa("Why do VGG and ResNet stack 3x3 convolutions instead of using 5x5 or 7x7 kernels?",
       "Two 3x3 layers see 5x5 (three see 7x7) with 18C² weights instead of 25C² (27C² instead of 49C²), fewer "
       "multiply-adds, and a non-linearity between them, which makes the function more expressive.", check=two_3x3)


def one_by_one(fw):
    fw.manual_seed(0)
    conv, x = fw.nn.Conv2d(6, 4, 1).double(), fw.randn(2, 6, 5, 5, dtype=fw.float64)
    linear = fw.nn.functional.linear(x.permute(0, 2, 3, 1), conv.weight[:, :, 0, 0], conv.bias).permute(0, 3, 1, 2)
    return (conv(x) - linear).abs().max().item() < 1e-12


lec.qa("What does a 1x1 convolution do?",
       "It is a Linear layer applied to the channel vector of every pixel independently (same weights everywhere): "
       "it mixes channels without looking at neighbours. Used to change the number of channels cheaply "
       "(bottlenecks in ResNet and Inception, the expansion/projection of MobileNet blocks).", check=one_by_one)


def counts(fw):
    full = fw.nn.Conv2d(32, 64, 3)
    depthwise = fw.nn.Conv2d(32, 32, 3, groups=32)
    size = lambda m: sum(p.numel() for p in m.parameters())
    return size(full) == 64 * 32 * 9 + 64 and size(depthwise) == 32 * 9 + 32


lec.qa("How many parameters does Conv2d(C_in, C_out, k) have, and with groups?",
       "C_out * C_in * k * k + C_out (bias): Conv2d(32, 64, 3) has 18,496, whatever the image size. With groups=g "
       "each output channel sees C_in / g input channels: C_out * (C_in / g) * k² + C_out; a depthwise conv "
       "(groups = C_in = C_out = 32) has only 32 * 9 + 32 = 320 (lecture 12).", check=counts)


def equivariant(fw):
    fw.manual_seed(0)
    conv = fw.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular", bias=False).double()
    x = fw.randn(1, 2, 8, 8, dtype=fw.float64)
    shifted = conv(fw.roll(x, shifts=(2, 3), dims=(2, 3)))
    return (shifted - fw.roll(conv(x), shifts=(2, 3), dims=(2, 3))).abs().max().item() < 1e-12


lec.qa("What does translation equivariance mean for a convolution, and where does it break?",
       "Shifting the input shifts the output by the same amount: conv(shift(x)) = shift(conv(x)), because the same "
       "weights are applied everywhere (exact with circular padding). It breaks at the borders (zero padding), with "
       "stride > 1 (only shifts by multiples of the stride commute) and through the final flatten + linear layer. "
       "Pooling adds a little invariance to small shifts.", check=equivariant)


def max_pool_gradient(fw):
    x = fw.tensor([[[[1.0, 3.0], [2.0, 0.0]]]], requires_grad=True)
    fw.nn.functional.max_pool2d(x, 2).sum().backward()
    return x.grad.flatten().tolist() == [0.0, 1.0, 0.0, 0.0]


lec.qa("How does the gradient flow through max pooling?",
       "Only to the position of the maximum in each window (the others get 0): max pooling routes the gradient; "
       "the frameworks store the argmax indices in the forward for this. Average pooling spreads it as 1/k² to every "
       "cell. With overlapping windows a pixel can receive several gradients.", check=max_pool_gradient)


def same_padding(fw):
    conv = fw.nn.Conv2d(1, 1, 4, padding="same", dilation=2)
    try:
        fw.nn.functional.conv2d(fw.zeros(1, 1, 5, 5), fw.zeros(1, 1, 3, 3), stride=2, padding="same")
        strided = False
    except RuntimeError:
        strided = True
    return tuple(conv(fw.zeros(1, 1, 9, 10)).shape) == (1, 1, 9, 10) and strided


lec.qa("What does padding='same' do?",
       "It pads so that the output has the input's size at stride 1, total padding d(k-1) split between the sides "
       "(the extra pixel goes to the right/bottom when it is odd, e.g. k=4). It is refused for strided "
       "convolutions (RuntimeError), where no padding can keep the size.", check=same_padding)


def dilation_rf(fw):
    conv = fw.nn.Conv2d(1, 1, 3, dilation=2)
    return tuple(conv(fw.zeros(1, 1, 5, 5)).shape) == (1, 1, 1, 1) and conv.weight.numel() == 9


lec.qa("What does dilation buy, and what is the catch?",
       "A k-tap kernel with dilation d spans d(k-1)+1 pixels (3x3 with d=2 covers 5x5 with 9 weights): a larger "
       "receptive field without more parameters or downsampling, so resolution is kept (segmentation, audio). The "
       "catch: stacking the same dilation leaves holes in the receptive field (gridding artefacts); use increasing "
       "dilations (1, 2, 4, ...) so the field stays dense.", check=dilation_rf)


def global_pool(fw):
    x = fw.randn(2, 5, 7, 9)
    pooled = fw.nn.AdaptiveAvgPool2d(1)(x)
    return tuple(pooled.shape) == (2, 5, 1, 1) and (pooled[..., 0, 0] - x.mean((2, 3))).abs().max().item() < 1e-6


lec.qa("Why do modern CNNs end with global average pooling instead of flatten + a large linear layer?",
       "AdaptiveAvgPool2d(1) averages each channel to one number: the head no longer depends on the input size, "
       "has C x classes weights instead of C*H*W x classes (LeNet's and TinyVGG's flatten ties them to 28x28 and "
       "32x32), and overfits less.", check=global_pool)


def transposed_backward(fw):
    fw.manual_seed(0)
    x = fw.randn(1, 2, 9, 9, dtype=fw.float64, requires_grad=True)
    w = fw.randn(3, 2, 3, 3, dtype=fw.float64)
    out = fw.nn.functional.conv2d(x, w, stride=2, padding=1)
    g = fw.randn(*out.shape, dtype=fw.float64)
    (dx,) = fw.autograd.grad((out * g).sum(), x)
    return (dx - fw.nn.functional.conv_transpose2d(g, w, stride=2, padding=1)).abs().max().item() < 1e-12


lec.qa("What is a transposed convolution, and how is it related to the convolution's backward pass?",
       "The linear map whose matrix is the transpose of the convolution's: it spreads each input value over a k x k "
       "window of a larger output (upsampling by the stride, learned in decoders and GANs). It is exactly the "
       "gradient of a convolution w.r.t. its input: conv_transpose2d(g, w, stride, padding) = dL/dx.",
       check=transposed_backward)


def macs_question(fw):
    rows = layer_table(fw, build_lenet(fw), fw.zeros(1, 1, 28, 28))
    return rows[0][3] == 6 * 1 * 25 * 28 * 28 and rows[1][3] == 16 * 6 * 25 * 10 * 10


lec.qa("How many multiply-adds does a convolution layer cost?",
       "O * C * k² per output position, times Ho * Wo positions (per image): LeNet's first layer 6*1*25*28*28 = "
       "117,600, its second 16*6*25*10*10 = 240,000. The parameters and the cost are decoupled: a small kernel applied "
       "at many positions is cheap in memory and expensive in compute.", check=macs_question)

lec.qa("Why is im2col + GEMM the default way to implement convolution on CPUs (and what does it cost)?",
       "It turns the convolution into one large matrix product, for which BLAS reaches near-peak speed through "
       "cache blocking and SIMD; the deep dive measured it against a loop over the same windows. The price is "
       "memory: the column buffer holds each input pixel about k²/s² times (9x for a 3x3 conv), so large batches "
       "are processed in chunks, and GPUs use implicit GEMM, Winograd or FFT variants.")

# %%
lec.finish()

"""Segmentation: a U-Net trained with Dice + BCE on generated shapes, and the Mask R-CNN idea with roi_align.

What you will learn: what segmentation predicts (a label for every pixel) and how semantic segmentation (one class
map) differs from instance segmentation (one mask per object); the U-Net (``minitorch.vision.models.UNet`` and its
torch twin in ``parity/unet_twin.py``): an encoder that halves the resolution and doubles the channels, a decoder
that upsamples back, and skip connections that concatenate the encoder's full-resolution features into the decoder,
with the shape of every level checked on both frameworks; transposed convolutions vs interpolation for upsampling
(and the checkerboard pattern of overlapping transposed kernels); the soft Dice loss written once for both
frameworks, ``binary_cross_entropy_with_logits`` and their sum, with values and gradients checked equal; training a
binary (foreground) U-Net with Dice + BCE and a 4-class U-Net with CrossEntropy + multi-class Dice on both
frameworks from the same weights and batches; Dice and IoU per image on held-out images; predicted masks next to
their targets; the Mask R-CNN idea: crop each object's box out of the feature map with ``roi_align``, predict a
28 x 28 mask per instance with a small head, and paste it back into the image with ``grid_sample``. Deep dive: why
Dice copes with a tiny foreground where plain BCE does not (numbers and gradients), and the U-Net's receptive field.

Prerequisites: lecture 05 (nn.Module, BCEWithLogitsLoss), lecture 07 (the training loop), lecture 11
(convolutions), lecture 14 (detection: boxes, IoU, ``roi_align`` and the R-CNN idea; the same generated shapes).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import time
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

import minitorch
import minitorch.vision
from lectures.runtime import lecture, vision
from lectures.shapes import CLASSES, Shapes, make_shapes
from parity.unet_twin import unet

TEACHES = ("semantic vs instance segmentation, the U-Net (encoder, decoder, skip connections, transposed conv vs "
           "interpolation), soft Dice, BCE-with-logits and Dice + BCE, multi-class Dice + CrossEntropy, training on "
           "generated shapes on both frameworks, Dice/IoU metrics, the Mask R-CNN idea (roi_align, a per-instance "
           "mask head, pasting masks back), Dice vs BCE under class imbalance, receptive fields")
lec = lecture("15")
torch.set_num_threads(1)          # a fair timing: both frameworks compute on one thread (NumPy's BLAS is set above)
FRAMEWORKS = (minitorch, torch)
CLASS_COLOURS = ListedColormap(["black", "tab:red", "tab:green", "tab:blue"])     # background + the 3 shapes
OBJECT_COLOURS = ListedColormap(["black", "tab:orange", "tab:cyan", "tab:olive", "tab:pink"])   # background + objects
SCORE_BOX = {"facecolor": "black", "alpha": 0.7, "pad": 0.5, "linewidth": 0}          # a score written on a tile


def grey(mask: np.ndarray) -> np.ndarray:
    """A (H, W) map in [0, 1] as an RGB image."""
    return np.repeat(np.asarray(mask, np.float32)[..., None], 3, axis=-1)


def show_mosaic(ax, rows: list, labels: list, gap: int = 2) -> int:
    """Draws rows of equally sized RGB tiles (H, W, 3) as one image on ``ax`` (one imshow instead of an axes per
    tile: much faster to draw), white gaps between tiles, ``labels`` on the left; returns the tile pitch."""
    h, w = rows[0][0].shape[:2]
    canvas = np.ones((len(rows) * (h + gap) - gap, len(rows[0]) * (w + gap) - gap, 3), np.float32)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tile
    ax.imshow(canvas, interpolation="nearest")
    ax.set(xticks=[], yticks=(np.arange(len(rows)) + 0.5) * (h + gap), yticklabels=labels)
    ax.tick_params(length=0)
    return h + gap


# %% [markdown]
# ## 1. The task: a label for every pixel
# Classification gives one label per image, detection (lecture 14) a box and a label per object. Segmentation
# labels every pixel. **Semantic** segmentation predicts a class map: each pixel is background or one of the
# classes, and two objects of the same class touching each other would merge into one region. **Instance**
# segmentation separates the objects: one mask per object (Mask R-CNN, section 6), so two circles are two masks.
#
# The data are `lectures/shapes.py`'s generated images: 1 to 3 coloured shapes (circle, square, triangle) on a
# dark noisy background, one per cell of a 2 x 2 grid, with their class map (`masks`: 0 background, 1 + class
# inside a shape), boxes and labels. The instance masks follow from the boxes: the foreground pixels inside an
# object's box (shapes never overlap, so a box holds exactly one shape). Most pixels are background, which is the
# class imbalance that the Dice loss (section 3, deep dive) is made for.

# %%
SIZE, N_TRAIN, N_TEST = (32, 240, 48) if lec.quick else (48, 2000, 200)
TRAIN = make_shapes(N_TRAIN, SIZE, 3, seed=1)
TEST = make_shapes(N_TEST, SIZE, 3, seed=2)


def box_masks(boxes: np.ndarray, size: int) -> np.ndarray:
    """(K, size, size): True at the pixels whose centre lies inside each (x1, y1, x2, y2) box."""
    centres = np.arange(size, dtype=np.float32) + np.float32(0.5)
    inside_x = (centres >= boxes[:, 0, None]) & (centres < boxes[:, 2, None])          # (K, size)
    inside_y = (centres >= boxes[:, 1, None]) & (centres < boxes[:, 3, None])
    return inside_y[:, :, None] & inside_x[:, None, :]


def instances(data: Shapes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every object of ``data`` as (image index, box, label, boolean mask of shape (S, S)): the mask is the
    foreground inside the object's box."""
    image = np.concatenate([np.full(len(b), i) for i, b in enumerate(data.boxes)])
    boxes, labels = np.concatenate(data.boxes), np.concatenate(data.labels)
    return image, boxes, labels, box_masks(boxes, data.masks.shape[-1]) & (data.masks[image] > 0)


def instance_map(image: np.ndarray, masks: np.ndarray, n: int) -> np.ndarray:
    """(n, S, S) maps with 0 for background and k for the k-th object of each image."""
    rank = np.arange(len(image)) - np.searchsorted(image, image)             # position of the object in its image
    out = np.zeros((n,) + masks.shape[1:], np.int64)
    np.add.at(out, image, masks * (rank + 1)[:, None, None])
    return out


TRAIN_INST, TEST_INST = instances(TRAIN), instances(TEST)
lec.section("The task: semantic and instance masks of generated shapes",
            f"{N_TRAIN} training and {N_TEST} held-out images of {SIZE} x {SIZE} pixels "
            f"({len(TRAIN_INST[0])} and {len(TEST_INST[0])} objects); class map per pixel (semantic) and one mask "
            "per object (instance).")
object_image, object_boxes, object_labels, object_masks = TRAIN_INST
on_rows, on_cols = object_masks.any(2), object_masks.any(1)
tight = np.stack([on_cols.argmax(1), on_rows.argmax(1), SIZE - on_cols[:, ::-1].argmax(1),
                  SIZE - on_rows[:, ::-1].argmax(1)], 1)
lec.check("every instance mask fills its box exactly and lies in the class map with its own label",
          np.array_equal(tight, object_boxes) and bool((TRAIN.masks[object_image][object_masks] ==
                                                       np.repeat(object_labels + 1, object_masks.sum((1, 2)))).all()))
lec.check("the instance masks cover the foreground exactly once (no overlaps, nothing left out)",
          np.array_equal(instance_map(object_image, object_masks, N_TRAIN) > 0, TRAIN.masks > 0)
          and int(object_masks.sum()) == int((TRAIN.masks > 0).sum()))


def class_fractions(fw):
    """The share of the pixels of each class (background, circle, square, triangle), from a one-hot encoding."""
    one_hot = fw.nn.functional.one_hot(fw.tensor(TRAIN.masks), len(CLASSES) + 1)
    return one_hot.to(fw.float64).mean((0, 1, 2))


fractions = lec.compare("class pixel fractions via one_hot", class_fractions, tol=1e-12)[0].numpy()
lec.note("share of the training pixels: " + ", ".join(f"{name} {f * 100:.1f}%" for name, f in
                                                       zip(("background",) + CLASSES, fractions)) +
         f". The foreground is {(1 - fractions[0]) * 100:.1f}% of the pixels: a model that predicts 'background' "
         f"everywhere is {fractions[0] * 100:.1f}% pixel-accurate and useless, which is why segmentation is "
         "measured with Dice and IoU, not pixel accuracy.")

SHOW = 6
inst = instance_map(object_image, object_masks, N_TRAIN)
fig, ax = plt.subplots(figsize=(1.5 * SHOW, 4.6))
pitch = show_mosaic(ax, [[TRAIN.images[i].transpose(1, 2, 0) for i in range(SHOW)],
                         [CLASS_COLOURS(TRAIN.masks[i])[..., :3] for i in range(SHOW)],
                         [OBJECT_COLOURS(inst[i])[..., :3] for i in range(SHOW)]],
                    ["image + boxes", "semantic: class", "instance: object"])
for i in range(SHOW):
    for x1, y1, x2, y2 in TRAIN.boxes[i]:
        ax.add_patch(Rectangle((i * pitch + x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, color="w", lw=0.8))
lec.figure(fig, "data", "generated images with their boxes (top), the semantic class map (middle; red circle, green "
           "square, blue triangle) and the instance map (bottom; one colour per object, whatever its class)")

# %% [markdown]
# ## 2. The U-Net
# A classification network ends in a vector; a segmentation network must end with a map at the input's
# resolution. The U-Net (Ronneberger et al., 2015) is an **encoder**, a **decoder** and **skip connections**:
#
# * encoder: `inc` (two 3x3 conv + BatchNorm + ReLU, "same" padding), then `depth` times `Down` = 2x2 max pooling
#   and a double conv that doubles the channels: the map shrinks to 1/2, 1/4, ... of the input and each position
#   sees a larger region (the receptive field, deep dive) and holds more abstract features;
# * decoder: `depth` times `Up` = upsample 2x (a transposed conv that also halves the channels), concatenate the
#   encoder's map of the same resolution (the skip connection), double conv; a final 1x1 conv gives
#   `num_classes` logits per pixel;
# * the skip connections bring back the precise positions the pooling threw away: the decoder gets "what"
#   from below and "where" from the side. Without them the boundaries come out blurred.
#
# minitorch's `UNet(in_channels, num_classes, base_channels, depth, bilinear)` and `parity/unet_twin.unet(torch,
# ...)` build the same network with the same `state_dict` keys, so torch's freshly initialised weights are copied
# into minitorch and both start from the same function. The original has 64 base channels and depth 4 (31 M
# parameters); this lecture uses a narrow one that trains on 2 CPU cores. Forward hooks record the shape of every
# level.

# %%
BASE, DEPTH = (4, 2) if lec.quick else (8, 3)


def build_unet(fw, num_classes: int, bilinear: bool = False, base: int = BASE, depth: int = DEPTH):
    """minitorch's ``vision.models.UNet`` or its torch twin, randomly initialised."""
    if fw is minitorch:
        return minitorch.vision.models.UNet(3, num_classes, base, depth, bilinear)
    return unet(torch, 3, num_classes, base, depth, bilinear)


@lru_cache(maxsize=None)
def torch_init(num_classes: int, bilinear: bool = False, **sizes) -> dict:
    """The initial ``state_dict`` (NumPy arrays) of the torch twin built after ``manual_seed(0)`` (built once per
    configuration; callers must not modify the arrays)."""
    torch.manual_seed(0)
    return {k: v.numpy().copy() for k, v in build_unet(torch, num_classes, bilinear, **sizes).state_dict().items()}


def same_start(fw, num_classes: int, bilinear: bool = False, init: dict | None = None, **sizes):
    """The U-Net on ``fw`` holding torch's initial weights (or ``init``)."""
    model = build_unet(fw, num_classes, bilinear, **sizes)
    model.load_state_dict({k: fw.tensor(v) for k, v in (init or torch_init(num_classes, bilinear, **sizes)).items()})
    return model


x_probe = TRAIN.images[:4]


def level_shapes(fw, size=SIZE, bilinear=False):
    """The output shape of every encoder and decoder level (forward hooks) and of the logits."""
    model = same_start(fw, 1, bilinear)
    shapes = []
    modules = [("inc", model.inc)] + [(f"down{i + 1}", m) for i, m in enumerate(model.downs)] + \
              [(f"up{i + 1}", m) for i, m in enumerate(model.ups)]
    handles = [m.register_forward_hook(lambda _, __, out, n=name: shapes.append(f"{n} {tuple(out.shape)}"))
               for name, m in modules]
    out = model(fw.tensor(np.zeros((2, 3, size, size), np.float32)))
    for h in handles:
        h.remove()
    return shapes + [f"logits {tuple(out.shape)}"]


lec.section("The U-Net: encoder, decoder, skip connections",
            f"UNet(in_channels=3, num_classes=1, base_channels={BASE}, depth={DEPTH}): minitorch.vision.models.UNet "
            "and the torch twin of parity/unet_twin.py, torch's initial weights copied into minitorch.")
shapes = lec.compare("U-Net level shapes (hooks)", level_shapes)[0]
lec.note("shapes per level (batch 2): " + "; ".join(shapes) + ". The encoder halves the size and doubles the "
         "channels; every Up doubles the size again, concatenates the encoder map of that size and halves the "
         "channels; the logits have the input's height and width.")
odd = lec.compare("U-Net on a 37 x 37 input (odd size)", lambda fw: level_shapes(fw, 37))[0]
lec.check("odd input size: Up pads the upsampled map to the skip's size, the logits are 37 x 37 again",
          odd[-1] == "logits (2, 1, 37, 37)", "; ".join(odd))


def unet_eval(fw, x, bilinear: bool = False):
    """Eval-mode logits (BatchNorm with its running statistics) of the U-Net from torch's initial weights."""
    return same_start(fw, 1, bilinear).eval()(x)


lec.compare("U-Net forward, eval mode", unet_eval, inputs=[x_probe])


# %% [markdown]
# ### Upsampling: transposed convolution or interpolation
# `ConvTranspose2d(c, c // 2, kernel_size=2, stride=2)` is a *learned* upsampling: every input pixel writes a
# 2 x 2 block of outputs (weights times its value), and with kernel = stride the blocks tile the output without
# overlap. With kernel 3 and stride 2 the blocks overlap on every other row and column: an output pixel receives 1,
# 2 or 4 contributions, and the constant input below comes out as a checkerboard, the artefact that made "resize
# then convolve" popular (Odena et al., 2016). `bilinear=True` builds the U-Net that way: `Upsample(scale_factor=2,
# mode="bilinear", align_corners=True)` (no parameters) followed by the double conv, which then reduces the
# channels. Both frameworks must give the same numbers for all three.

# %%
def upsamplings(fw):
    """A constant 1 x 1 x 4 x 4 map upsampled by ConvTranspose2d(k=3, s=2) and (k=2, s=2) with weights 1, and by
    bilinear interpolation."""
    x = fw.ones(1, 1, 4, 4)
    outs = []
    for k in (3, 2):
        up = fw.nn.ConvTranspose2d(1, 1, kernel_size=k, stride=2, bias=False)
        with fw.no_grad():
            up.weight.fill_(1.0)
            outs.append(up(x))
    return outs + [fw.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)]


lec.section("Upsampling: transposed conv vs interpolation",
            "ConvTranspose2d with overlapping kernels (k=3, s=2), tiling kernels (k=2, s=2, the U-Net's) and bilinear "
            "interpolation, on a constant map; the U-Net with bilinear=True on both frameworks.")
ups = lec.compare("upsampling a constant map", upsamplings, tol=1e-6)[0]
lec.check("k=3, s=2 gives a checkerboard (1, 2, 4 contributions); k=2, s=2 and bilinear stay constant",
          set(np.unique(ups[0].numpy()[0, 0, 1:-1, 1:-1])) == {1.0, 2.0, 4.0}
          and set(np.unique(ups[1].numpy())) == {1.0} and np.allclose(ups[2].numpy(), 1.0),
          f"output sizes {[tuple(u.shape[2:]) for u in ups]}: (H - 1) * stride + kernel for the transposed convs")
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, out, title in zip(axes, ups, ("ConvTranspose k=3 s=2", "ConvTranspose k=2 s=2", "bilinear x2")):
    image = ax.imshow(out.numpy()[0, 0], cmap="viridis", vmin=0, vmax=4)
    ax.set(title=title, xticks=[], yticks=[])
fig.colorbar(image, ax=axes, shrink=0.8)
lec.figure(fig, "upsampling", "a constant 4 x 4 map of ones upsampled: overlapping transposed-conv kernels add up "
           "unevenly (checkerboard), kernel = stride tiles the output, interpolation is smooth")

counts = {b: sum(v.size for k, v in torch_init(1, b).items() if "running" not in k and "num_batches" not in k)
          for b in (False, True)}
bilinear_out = lec.compare("U-Net, bilinear=True: forward", lambda fw, x: unet_eval(fw, x, bilinear=True),
                           inputs=[x_probe])[0]
lec.check("the bilinear U-Net also maps (N, 3, H, W) to (N, 1, H, W), with fewer parameters",
          tuple(bilinear_out.shape) == (len(x_probe), 1, SIZE, SIZE) and counts[True] < counts[False],
          f"{counts[False]:,} parameters with transposed convs, {counts[True]:,} with bilinear upsampling (no weights "
          "in the upsampling, a narrower deepest level); at the original width (64, depth 4): 31.0 M vs 17.3 M")


# %% [markdown]
# ## 3. The losses: soft Dice, BCE with logits, and their sum
# The **Dice coefficient** of a predicted mask P and a target T is 2 |P and T| / (|P| + |T|): 1 for a perfect
# mask, 0 for no overlap. It is not differentiable on hard masks, so the loss uses the probabilities
# p = sigmoid(logits) instead of 0/1 (**soft Dice**): `dice = (2 sum(p t) + eps) / (sum(p) + sum(t) + eps)`, the
# sums over the pixels of each image, and `loss = 1 - mean(dice)`. The smoothing `eps = 1` keeps an empty target
# and an empty prediction at Dice 1 instead of 0/0, and softens the gradient of tiny objects. The correctly
# predicted background pixels (the true negatives) do not enter Dice at all: it only weighs the predicted and the
# true foreground against each other, however many background pixels there are.
#
# **BCE with logits** (lecture 05) is the per-pixel log loss, computed stably from the logits as
# `max(z, 0) - z t + log(1 + exp(-|z|))`. Its gradient per pixel, (p - t) / N, never vanishes, even for a
# confidently wrong prediction (Dice's goes through sigmoid' and does: deep dive), but it averages over all pixels,
# so a small object weighs little. The sum Dice + BCE is the usual compromise. For C classes, the softmax
# probabilities and a one-hot target give one Dice per class (summed over the batch and the pixels), averaged over
# the classes, added to CrossEntropy.
#
# `dice_coefficient` is written once: soft Dice for the loss, hard Dice (eps = 0, 0/1 masks) for the metric.

# %%
def dice_coefficient(probs, target, dims, eps: float = 0.0):
    """(2 sum(p t) + eps) / (sum(p) + sum(t) + eps) summed over ``dims``: soft Dice on probabilities, the
    usual Dice on 0/1 masks."""
    overlap = (probs * target).sum(dims)
    return (2 * overlap + eps) / (probs.sum(dims) + target.sum(dims) + eps)


def dice_bce_loss(fw, logits, target, eps: float = 1.0):
    """Binary segmentation: BCE with logits + (1 - soft Dice per image, averaged); logits and target (N, 1, H, W)."""
    bce = fw.nn.functional.binary_cross_entropy_with_logits(logits, target)
    return bce + 1 - dice_coefficient(logits.sigmoid(), target, (1, 2, 3), eps).mean()


def ce_dice_loss(fw, logits, target, eps: float = 1.0):
    """C classes: CrossEntropy + (1 - soft Dice per class over the batch, averaged); logits (N, C, H, W), target
    (N, H, W) class indices."""
    one_hot = fw.nn.functional.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(logits.dtype)
    dice = dice_coefficient(logits.softmax(1), one_hot, (0, 2, 3), eps)
    return fw.nn.functional.cross_entropy(logits, target) + 1 - dice.mean()


rng = np.random.default_rng(0)
logits_in = rng.normal(0, 2, (4, 1, 8, 8)).astype(np.float32)
target_in = (rng.random((4, 1, 8, 8)) < 0.3).astype(np.float32)
lec.section("Soft Dice, BCE with logits, Dice + BCE (written once for fw)",
            "values and gradients with respect to the logits and the target compared between the frameworks; "
            "the multi-class version with CrossEntropy; then a whole train-mode step of the U-Net with Dice + BCE "
            "(logits, loss, the gradients of the input and of every parameter).")


def binary_losses(fw, z, t):
    """BCE with logits, the soft Dice loss, and their sum."""
    bce = fw.nn.functional.binary_cross_entropy_with_logits(z, t)
    return bce, 1 - dice_coefficient(z.sigmoid(), t, (1, 2, 3), 1.0).mean(), dice_bce_loss(fw, z, t)


lec.compare("BCE, soft Dice, Dice + BCE", binary_losses, inputs=[logits_in, target_in], grad=True)
lec.compare("CrossEntropy + multi-class Dice",
            lambda fw, z: ce_dice_loss(fw, z, fw.tensor(TRAIN.masks[:2, :8, :8])),
            inputs=[rng.normal(0, 2, (2, 4, 8, 8)).astype(np.float32)], grad=True)


def loss_properties(fw):
    """Stable BCE formula; soft Dice of a confident correct prediction ~ 0 and of the inverse ~ 1."""
    z, t = fw.tensor(logits_in), fw.tensor(target_in)
    stable = z.clamp(min=0) - z * t + (1 + (-z.abs()).exp()).log()
    bce = fw.nn.functional.binary_cross_entropy_with_logits(z, t)
    confident = (2 * t - 1) * 20
    return ((bce - stable.mean()).abs().item() < 1e-6,
            dice_bce_loss(fw, confident, t).item() < 1e-3, (1 - dice_coefficient((-confident).sigmoid(), t,
                                                                                 (1, 2, 3))).min().item() > 0.99)


lec.check("BCE with logits = mean(max(z, 0) - z t + log(1 + exp(-|z|))); Dice + BCE of a confident correct "
          "prediction < 1e-3; Dice loss of the inverted prediction > 0.99 (both frameworks)",
          all(all(loss_properties(fw)) for fw in FRAMEWORKS))


def unet_train_step(fw, x):
    """Train-mode forward (batch statistics) and backward of the Dice + BCE loss: logits, loss, the input's
    gradient (via ``grad=True``) and every parameter's gradient."""
    model = same_start(fw, 1)
    logits = model(x)
    loss = dice_bce_loss(fw, logits, fw.tensor((TRAIN.masks[:4, None] > 0).astype(np.float32)))
    loss.backward(retain_graph=True)                   # the runtime differentiates the outputs once more
    return logits, loss, [p.grad for p in model.parameters()]


lec.compare("U-Net train step: loss, grads", unet_train_step, inputs=[x_probe], grad=True, tol=1e-4)

# %% [markdown]
# ## 4. Training on generated shapes, on both frameworks
# Two U-Nets, each trained on both frameworks from torch's initial weights and the same batches (a NumPy
# permutation per epoch, shared): a **binary** one (foreground vs background, 1 output channel, Dice + BCE) and a
# **4-class** one (background + circle, square, triangle; 4 output channels, CrossEntropy + multi-class Dice).
# Adam with a cosine learning-rate schedule (`CosineAnnealingLR`, stepped every batch: from `LR` down to 0 at the
# last step, so that training settles; with a constant rate the held-out scores still jump from step to step,
# and BatchNorm's running statistics, which eval mode uses, lag behind the moving weights). The two frameworks
# take turns step by step, so that the load of this shared machine weighs on both timings alike.

# %%
BATCH, STEPS, LR = (8, 16, 1e-2) if lec.quick else (16, 240, 3e-3)
TASKS = {"binary": (1, dice_bce_loss), "classes": (4, ce_dice_loss)}


def batch_order(n: int, batch: int, steps: int, seed: int = 1) -> list[np.ndarray]:
    """``steps`` batches of indices: consecutive chunks of a new permutation of range(n) every epoch."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-steps * batch // n))])
    return [order[i * batch:(i + 1) * batch] for i in range(steps)]


def targets(fw, data: Shapes, task: str):
    """The binary task's float (N, 1, S, S) foreground, or the class task's int64 (N, S, S) class map."""
    return fw.tensor((data.masks[:, None] > 0).astype(np.float32)) if task == "binary" else fw.tensor(data.masks)


DATA = {fw: {"x": fw.tensor(TRAIN.images), "test": fw.tensor(TEST.images),
             **{task: targets(fw, TRAIN, task) for task in TASKS}} for fw in FRAMEWORKS}
BATCHES = batch_order(N_TRAIN, BATCH, STEPS)


def fit(fw, task: str, h: dict):
    """Adam on the task's U-Net and loss over ``BATCHES``; fills ``h`` and yields after every step."""
    classes, loss_fn = TASKS[task]
    model = same_start(fw, classes)
    optimizer = fw.optim.Adam(model.parameters(), lr=LR)
    schedule = fw.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS)
    h.update(loss=[], seconds=0.0, model=model)
    for idx in BATCHES:
        start = time.perf_counter()
        index = fw.tensor(idx)
        optimizer.zero_grad()
        loss = loss_fn(fw, model(DATA[fw]["x"][index]), DATA[fw][task][index])
        loss.backward()
        optimizer.step()
        schedule.step()
        h["loss"].append(loss.item())
        h["seconds"] += time.perf_counter() - start
        yield


lec.section("Training: binary (Dice + BCE) and 4-class (CrossEntropy + Dice) U-Nets on both frameworks",
            f"UNet(base_channels={BASE}, depth={DEPTH}), Adam(lr={LR}) with CosineAnnealingLR(T_max={STEPS}), "
            f"batch {BATCH}, {STEPS} steps on "
            f"{N_TRAIN} images of {SIZE} x {SIZE}, the same weights and batches on both frameworks; float32, one "
            "thread each.")
HIST = {task: {fw: {} for fw in FRAMEWORKS} for task in TASKS}
for task in TASKS:
    runs = [fit(fw, task, HIST[task][fw]) for fw in FRAMEWORKS]
    for _ in lec.progress(range(STEPS), f"{task} U-Net, both frameworks"):
        for run in runs:
            next(run)
    mt, th = (HIST[task][fw] for fw in FRAMEWORKS)
    first = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(mt["loss"][:3], th["loss"][:3]))
    lec.check(f"{task}: the first 3 step losses agree to 1e-4 (same weights, same batches)", first < 1e-4,
              f"max relative diff {first:.1e}")
    last = [np.mean(HIST[task][fw]["loss"][-5:]) for fw in FRAMEWORKS]
    lec.check(f"{task}: both frameworks' losses fell (mean of the last 5 steps below the first step's)",
              all(l < HIST[task][fw]["loss"][0] for l, fw in zip(last, FRAMEWORKS)),
              f"first {mt['loss'][0]:.4f}; last 5 steps minitorch {last[0]:.4f}, torch {last[1]:.4f}")
    lec.note(f"{task}: {STEPS} steps in {mt['seconds']:.1f} s (minitorch) and {th['seconds']:.1f} s (torch): "
             f"{mt['seconds'] / STEPS * 1e3:.0f} vs {th['seconds'] / STEPS * 1e3:.0f} ms per step, a ratio of "
             f"{mt['seconds'] / th['seconds']:.2f}.")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, task, title in zip(axes, TASKS, ("binary: BCE + Dice", "4 classes: CrossEntropy + Dice")):
    for fw, style in ((minitorch, "-"), (torch, "--")):
        ax.plot(HIST[task][fw]["loss"], style, lw=1.2, label=fw.__name__)
    ax.set(xlabel="step", ylabel="loss", title=title, ylim=(0, None))
    ax.legend()
lec.figure(fig, "curves", "training loss per step of both U-Nets on minitorch (solid) and torch (dashed), from the "
           "same weights and batches: the curves lie on top of each other")


# %% [markdown]
# ## 5. Metrics on held-out images
# The predicted mask is `logits > 0` (p > 0.5) for the binary U-Net and `argmax` over the classes for the 4-class
# one, in eval mode (BatchNorm's running statistics). Per image, **Dice** = 2 |P and T| / (|P| + |T|) and **IoU**
# (Jaccard) = |P and T| / |P or T|. For the same masks they are tied: IoU = Dice / (2 - Dice), so they rank models
# the same way, but IoU is harsher (Dice 0.9 is IoU 0.82). For the classes, Dice and IoU are computed per class
# over the whole test set; their mean over the classes is the usual "mIoU".

# %%
def predict(fw, model, images):
    """Eval-mode logits of ``images`` without a graph."""
    model.eval()
    with fw.no_grad():
        return model(images)


def iou(pred, target, dims):
    overlap = (pred * target).sum(dims)
    return overlap / (pred.sum(dims) + target.sum(dims) - overlap)


def scores(fw, task: str):
    """Binary: hard masks, Dice and IoU per test image. Classes: class maps, Dice and IoU per class (1..3)."""
    logits = predict(fw, HIST[task][fw]["model"], DATA[fw]["test"])
    if task == "binary":
        pred, target, dims = (logits > 0).to(fw.float64), targets(fw, TEST, task).to(fw.float64), (1, 2, 3)
    else:
        pred, target = (fw.nn.functional.one_hot(m, 4)[..., 1:].to(fw.float64)
                        for m in (logits.argmax(1), fw.tensor(TEST.masks)))
        dims = (0, 1, 2)
    return pred, dice_coefficient(pred, target, dims), iou(pred, target, dims)


lec.section("Metrics: Dice and IoU on held-out images",
            f"{N_TEST} held-out images; binary: per image, then averaged; 4 classes: per class over the test set.")
SCORES = {task: {fw: scores(fw, task) for fw in FRAMEWORKS} for task in TASKS}
for fw in FRAMEWORKS:
    _, dice, jaccard = SCORES["binary"][fw]
    lec.check(f"{fw.__name__}: IoU = Dice / (2 - Dice) on every test image",
              (jaccard - dice / (2 - dice)).abs().max().item() < 1e-12)
summary = {fw: {task: (SCORES[task][fw][1].mean().item(), SCORES[task][fw][2].mean().item()) for task in TASKS}
           for fw in FRAMEWORKS}
for fw in FRAMEWORKS:
    per_class = SCORES["classes"][fw][1].numpy()
    lec.note(f"{fw.__name__}: binary U-Net Dice {summary[fw]['binary'][0]:.4f}, IoU {summary[fw]['binary'][1]:.4f} "
             f"(mean over test images, worst image Dice {SCORES['binary'][fw][1].min().item():.4f}); 4-class U-Net "
             "Dice per class " + ", ".join(f"{c} {d:.4f}" for c, d in zip(CLASSES, per_class)) +
             f", mean Dice {summary[fw]['classes'][0]:.4f}, mIoU {summary[fw]['classes'][1]:.4f}")
gap = max(abs(summary[minitorch][t][i] - summary[torch][t][i]) for t in TASKS for i in range(2))
lec.check("the two frameworks' Dice and IoU agree within 0.02 (same start, same batches; float32 drift only)",
          gap < 0.02, f"max gap {gap:.4f}")
if lec.quick:
    lec.note(f"Quick mode trains {STEPS} steps only, and eval mode makes it look worse still: BatchNorm's running "
             f"statistics (momentum 0.1) have moved only 1 - 0.9^{STEPS} = {1 - 0.9 ** STEPS:.0%} of the way from "
             "their initial mean 0 and variance 1 to the data's. Full mode reaches Dice ~1.")
everything = dice_coefficient(np.ones_like(TEST.masks), TEST.masks > 0, (1, 2)).mean()
lec.check("binary: both U-Nets beat the trivial mask 'everything is foreground'",
          min(summary[fw]["binary"][0] for fw in FRAMEWORKS) > everything,
          f"Dice of the trivial mask {everything:.4f}")
if not lec.quick:
    for task, threshold in (("binary", 0.97), ("classes", 0.95)):
        lec.check(f"full mode, {task}: mean Dice >= {threshold} on both frameworks",
                  all(summary[fw][task][0] >= threshold for fw in FRAMEWORKS),
                  f"minitorch {summary[minitorch][task][0]:.4f}, torch {summary[torch][task][0]:.4f}")

SHOW = 8
binary_pred = {fw: SCORES["binary"][fw][0].numpy()[:SHOW, 0] for fw in FRAMEWORKS}
class_pred = {fw: predict(fw, HIST["classes"][fw]["model"], DATA[fw]["test"][:SHOW]).argmax(1).numpy()
              for fw in FRAMEWORKS}
fig, ax = plt.subplots(figsize=(1.5 * SHOW, 9.4))
pitch = show_mosaic(ax, [[TEST.images[i].transpose(1, 2, 0) for i in range(SHOW)],
                         [CLASS_COLOURS(TEST.masks[i])[..., :3] for i in range(SHOW)]] +
                    [[grey(binary_pred[fw][i]) for i in range(SHOW)] for fw in FRAMEWORKS] +
                    [[CLASS_COLOURS(class_pred[fw][i])[..., :3] for i in range(SHOW)] for fw in FRAMEWORKS],
                    ["input", "target", "binary\nminitorch", "binary\ntorch", "classes\nminitorch", "classes\ntorch"])
for row, fw in ((2, minitorch), (3, torch)):
    for i in range(SHOW):
        ax.text((i + 1) * pitch - 3, (row + 1) * pitch - 3, f"{SCORES['binary'][fw][1][i].item():.3f}",
                color="yellow", fontsize=6, ha="right", va="bottom", bbox=SCORE_BOX)
lec.figure(fig, "predictions", "held-out images, their target class maps, the binary U-Net's masks (logits > 0; "
           "yellow: the image's Dice) and the 4-class U-Net's class maps (argmax), on minitorch and torch")


# %% [markdown]
# ## 6. The Mask R-CNN idea: one mask per instance, from its box
# A semantic map cannot tell two touching circles apart. Mask R-CNN (He et al., 2017) adds a third head to the
# two-stage detector of lecture 14: for every detected box, `roi_align` crops the box out of the feature map into
# a fixed 14 x 14 grid (bilinear samples, no rounding of the box to the feature grid: that is the "align"), a small
# fully convolutional head upsamples it to **28 x 28** and predicts one mask *per class*; the mask of the box's
# predicted class is kept (classification and mask prediction are decoupled: no competition between classes,
# a per-pixel sigmoid + BCE). The training target is the object's ground-truth mask, cropped by the same
# `roi_align` at 28 x 28 and thresholded at 0.5. At test time, the 28 x 28 mask is resized into the box and pasted
# into the image: here with `grid_sample`, one sampling grid per instance that maps every image pixel to its
# position inside the box (outside the box it samples zeros).
#
# Here the boxes are the ground-truth boxes (a real Mask R-CNN uses the detector's boxes), and the features are
# the binary U-Net's last decoder map (`BASE` channels at full resolution, read with a forward hook on `outc`),
# frozen: only the mask head trains, on both frameworks from the same weights and the same batches of instances.

# %%
MASK_IN, MASK_OUT, HEAD = 14, 28, 16
HEAD_IMAGES, HEAD_STEPS, HEAD_BATCH = (48, 12, 32) if lec.quick else (600, 200, 64)


def decoder_features(fw, model, images):
    """The input of the U-Net's final 1x1 conv (the last decoder map), in eval mode, without a graph."""
    captured = []
    handle = model.outc.register_forward_hook(lambda module, args, out: captured.append(args[0]))
    predict(fw, model, images)
    handle.remove()
    return captured[0]


def mask_head(fw):
    """14 x 14 roi features -> two 3x3 convs -> transposed conv 2x -> one 28 x 28 mask logit map per class."""
    nn = fw.nn
    return nn.Sequential(nn.Conv2d(BASE, HEAD, 3, padding=1), nn.ReLU(), nn.Conv2d(HEAD, HEAD, 3, padding=1),
                         nn.ReLU(), nn.ConvTranspose2d(HEAD, HEAD, 2, stride=2), nn.ReLU(),
                         nn.Conv2d(HEAD, len(CLASSES), 1))


torch.manual_seed(0)
HEAD_INIT = {k: v.detach().numpy().copy() for k, v in mask_head(torch).state_dict().items()}


def rois(fw, image: np.ndarray, boxes: np.ndarray):
    """roi_align's (K, 5) format: (image index, x1, y1, x2, y2)."""
    return fw.tensor(np.concatenate([image[:, None], boxes], 1).astype(np.float32))


def instance_logits(fw, head, features, roi, labels):
    """roi_align each box to 14 x 14, run the head, keep the mask of each box's class: (K, 28, 28) logits."""
    crops = vision(fw).ops.roi_align(features, roi, MASK_IN, spatial_scale=1.0, sampling_ratio=2, aligned=True)
    return head(crops)[fw.arange(len(labels)), labels]


def mask_targets(fw, masks: np.ndarray, boxes: np.ndarray):
    """Each object's ground-truth mask cropped by roi_align to 28 x 28 and thresholded at 0.5 (float 0/1)."""
    roi = rois(fw, np.arange(len(masks)), boxes)
    crops = vision(fw).ops.roi_align(fw.tensor(masks[:, None].astype(np.float32)), roi, MASK_OUT, 1.0, 2, True)
    return (crops[:, 0] >= 0.5).to(fw.float32)


def paste_masks(fw, probs, boxes, size: int):
    """(K, M, M) masks in box coordinates -> (K, size, size) image masks: each pixel centre's position inside its
    box, normalised to [-1, 1], is where grid_sample reads the mask (zeros outside the box)."""
    centres = fw.arange(size, dtype=fw.float32) + 0.5
    x1, y1, x2, y2 = (boxes[:, j:j + 1] for j in range(4))
    gx, gy = 2 * (centres - x1) / (x2 - x1) - 1, 2 * (centres - y1) / (y2 - y1) - 1         # (K, size) each
    k = len(boxes)
    grid = fw.stack([gx[:, None, :].expand(k, size, size), gy[:, :, None].expand(k, size, size)], dim=-1)
    return fw.nn.functional.grid_sample(probs[:, None], grid, mode="bilinear", padding_mode="zeros",
                                        align_corners=False)[:, 0]


def head_start(fw):
    head = mask_head(fw)
    head.load_state_dict({k: fw.tensor(v) for k, v in HEAD_INIT.items()})
    return head


lec.section("The Mask R-CNN idea: roi_align, a 28 x 28 mask head, pasting masks back",
            f"features: the trained binary U-Net's last decoder map ({BASE} channels, {SIZE} x {SIZE}); each "
            f"ground-truth box cropped by roi_align to {MASK_IN} x {MASK_IN}, a head predicting {len(CLASSES)} masks "
            f"of {MASK_OUT} x {MASK_OUT}, BCE with logits on the mask of the box's class; {HEAD_STEPS} Adam steps of "
            f"{HEAD_BATCH} instances from the objects of the first {HEAD_IMAGES} training images.")
feature_probe = decoder_features(minitorch, HIST["binary"][minitorch]["model"], DATA[minitorch]["test"][:4]).numpy()
probe = TEST_INST[0] < 4


def roi_head_paste(fw, features):
    """roi_align -> head -> the box's class mask -> sigmoid -> pasted into the image, for the objects of 4 test
    images, from the same features on both frameworks (gradients with respect to the features)."""
    image, boxes, labels, _ = (a[probe] for a in TEST_INST)
    logits = instance_logits(fw, head_start(fw), features, rois(fw, image, boxes), fw.tensor(labels))
    return logits, paste_masks(fw, logits.sigmoid(), fw.tensor(boxes), SIZE)


lec.compare("roi_align + mask head + paste (grads)", roi_head_paste, inputs=[feature_probe], grad=True, tol=1e-4)
lec.compare("mask targets: roi_align of GT masks at 28x28",
            lambda fw: mask_targets(fw, TEST_INST[3], TEST_INST[1]), tol=0)
pasted_ones = {fw: paste_masks(fw, fw.ones(len(TEST_INST[1]), MASK_OUT, MASK_OUT), fw.tensor(TEST_INST[1]), SIZE)
               for fw in FRAMEWORKS}
lec.check("pasting a 28 x 28 mask of ones gives > 0.5 exactly at the pixel centres inside its box (both frameworks)",
          all(np.array_equal(pasted_ones[fw].numpy() > 0.5, box_masks(TEST_INST[1], SIZE)) for fw in FRAMEWORKS))

HEAD_TRAIN = tuple(a[TRAIN_INST[0] < HEAD_IMAGES] for a in TRAIN_INST)
HEAD_BATCHES = batch_order(len(HEAD_TRAIN[0]), HEAD_BATCH, HEAD_STEPS, seed=2)


def head_inputs(fw, inst: tuple, images):
    """(features of ``images`` from fw's trained binary U-Net, rois, labels, 28 x 28 targets) of the objects."""
    image, boxes, labels, masks = inst
    features = decoder_features(fw, HIST["binary"][fw]["model"], images)
    return features, rois(fw, image, boxes), fw.tensor(labels), mask_targets(fw, masks, boxes)


def fit_head(fw, h: dict):
    """Adam on the mask head over ``HEAD_BATCHES`` of instances, BCE with logits per mask pixel."""
    features, roi, labels, target = head_inputs(fw, HEAD_TRAIN, DATA[fw]["x"][:HEAD_IMAGES])
    head = head_start(fw)
    optimizer = fw.optim.Adam(head.parameters(), lr=1e-2 if lec.quick else 3e-3)
    h.update(loss=[], head=head)
    for idx in HEAD_BATCHES:
        index = fw.tensor(idx)
        optimizer.zero_grad()
        logits = instance_logits(fw, head, features, roi[index], labels[index])
        loss = fw.nn.functional.binary_cross_entropy_with_logits(logits, target[index])
        loss.backward()
        optimizer.step()
        h["loss"].append(loss.item())
        yield


def instance_results(fw, h: dict):
    """The test objects' 28 x 28 mask probabilities, their pasted image masks (> 0.5) and mask IoU per object."""
    features, roi, labels, _ = head_inputs(fw, TEST_INST, DATA[fw]["test"])
    with fw.no_grad():
        probs = instance_logits(fw, h["head"], features, roi, labels).sigmoid()
    pasted = (paste_masks(fw, probs, fw.tensor(TEST_INST[1]), SIZE) > 0.5).to(fw.float64)
    return probs, pasted, iou(pasted, fw.tensor(TEST_INST[3]).to(fw.float64), (1, 2))


HEAD_HIST = {fw: {} for fw in FRAMEWORKS}
runs = [fit_head(fw, HEAD_HIST[fw]) for fw in FRAMEWORKS]
for _ in lec.progress(range(HEAD_STEPS), "mask head, both frameworks"):
    for run in runs:
        next(run)
INSTANCE = {fw: instance_results(fw, HEAD_HIST[fw]) for fw in FRAMEWORKS}
mask_iou = {fw: INSTANCE[fw][2].mean().item() for fw in FRAMEWORKS}
features = [decoder_features(fw, HIST["binary"][fw]["model"], DATA[fw]["test"][:16]).numpy() for fw in FRAMEWORKS]
first = abs(HEAD_HIST[minitorch]["loss"][0] - HEAD_HIST[torch]["loss"][0])
lec.note(f"each framework's head reads its own U-Net's features; after {STEPS} steps of float32 drift (section 4) "
         "these are no longer the same numbers (max |difference| "
         f"{np.abs(features[0] - features[1]).max() / np.abs(features[1]).max():.1e} relative to their scale), "
         f"although the two U-Nets' masks agree; the head's first-step losses differ by {first:.1e}.")
lec.note(f"mask IoU of the pasted instance masks on the {len(TEST_INST[0])} held-out objects: minitorch "
         f"{mask_iou[minitorch]:.4f}, torch {mask_iou[torch]:.4f} (head loss after {HEAD_STEPS} steps: "
         f"{HEAD_HIST[minitorch]['loss'][-1]:.4f} / {HEAD_HIST[torch]['loss'][-1]:.4f}). Each object gets its own "
         "mask, so two objects of the same class stay apart, which the class map of section 5 cannot express.")
lec.check("mask IoU of the two frameworks within 0.02", abs(mask_iou[minitorch] - mask_iou[torch]) < 0.02)
lec.check(f"mean mask IoU >= {0.3 if lec.quick else 0.9} on both frameworks",
          min(mask_iou.values()) >= (0.3 if lec.quick else 0.9))

SHOWN = 6
objects = instance_map(*TEST_INST[::3], N_TEST)
pasted = {fw: instance_map(TEST_INST[0], INSTANCE[fw][1].numpy().astype(bool), N_TEST) for fw in FRAMEWORKS}
first_object = np.searchsorted(TEST_INST[0], np.arange(SHOWN))
small_targets = mask_targets(minitorch, TEST_INST[3][first_object], TEST_INST[1][first_object]).numpy()


def framed(mask28: np.ndarray) -> np.ndarray:
    """A 28 x 28 mask centred on a grey SIZE x SIZE tile (the tiles of a mosaic share one size; SIZE >= 28)."""
    tile = np.full((SIZE, SIZE), 0.5, np.float32)
    lo = (SIZE - MASK_OUT) // 2
    tile[lo:lo + MASK_OUT, lo:lo + MASK_OUT] = mask28
    return grey(tile)


fig, (ax, curve) = plt.subplots(1, 2, figsize=(14, 6.4), gridspec_kw={"width_ratios": [2.2, 1]})
pitch = show_mosaic(ax, [[TEST.images[i].transpose(1, 2, 0) for i in range(SHOWN)],
                         [OBJECT_COLOURS(objects[i])[..., :3] for i in range(SHOWN)]] +
                    [[OBJECT_COLOURS(pasted[fw][i])[..., :3] for i in range(SHOWN)] for fw in FRAMEWORKS] +
                    [[framed(small_targets[i]) for i in range(SHOWN)],
                     [framed(INSTANCE[minitorch][0].numpy()[first_object[i]]) for i in range(SHOWN)]],
                    ["image + boxes", "instances", "pasted\nminitorch", "pasted\ntorch", "28x28 target\n(object 1)",
                     "28x28 predicted\n(minitorch)"])
for i in range(SHOWN):
    for x1, y1, x2, y2 in TEST.boxes[i]:
        ax.add_patch(Rectangle((i * pitch + x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, color="w", lw=0.8))
    for row, fw in ((2, minitorch), (3, torch)):
        ax.text((i + 1) * pitch - 3, (row + 1) * pitch - 3, f"{INSTANCE[fw][2].numpy()[TEST_INST[0] == i].mean():.3f}",
                color="yellow", fontsize=6, ha="right", va="bottom", bbox=SCORE_BOX)
for fw, style in ((minitorch, "-"), (torch, "--")):
    curve.plot(HEAD_HIST[fw]["loss"], style, label=fw.__name__)
curve.set(xlabel="step", title="mask head loss (BCE)", ylim=(0, None))
curve.legend()
lec.figure(fig, "mask_rcnn", "the Mask R-CNN idea on held-out images: each ground-truth box cropped with roi_align, "
           "a 28 x 28 mask predicted for it and pasted back into the image (one colour per object; yellow: the "
           "image's mean mask IoU), on both frameworks; the first object's 28 x 28 target and prediction; the "
           "head's training loss")


# %% [markdown]
# ## 7. Deep dive: why Dice copes with a small foreground, and how far a U-Net sees
# **Class imbalance.** Take a 64 x 64 image holding one square object, from 32 x 32 (25% of the pixels) down to
# 2 x 2 (0.1%), and two confident predictions: one that *misses* the object (logit -8 everywhere) and one that
# *finds* it (+8 inside, -8 outside). What finding the object is worth to the optimizer is the loss *gap* between
# the two. BCE is a mean over all pixels, so its gap is the object's share of the pixels times ~8: it shrinks with
# the object's area, and for a small object a network loses almost nothing by predicting background everywhere.
# Dice is a ratio of the overlap to the foreground's own size: missing the object costs nearly the whole loss
# whatever its size. The other side of the coin is the gradient: when the prediction is confidently wrong, Dice's
# gradient on the object's pixels goes through sigmoid'(-8) = 3e-4 and nearly vanishes, while BCE's (p - t) / N
# never does. Hence the usual sum of the two. Computed on both frameworks (values and gradients).

# %%
SIDES, CANVAS, LOGIT = (32, 16, 8, 4, 2), 64, 8.0
square = np.zeros((len(SIDES), 1, CANVAS, CANVAS), np.float32)
for i, side in enumerate(SIDES):
    lo = (CANVAS - side) // 2
    square[i, 0, lo:lo + side, lo:lo + side] = 1
missed = np.full_like(square, -LOGIT)
found = np.where(square > 0, LOGIT, -LOGIT).astype(np.float32)
area = np.array(SIDES) ** 2 / CANVAS ** 2


def imbalance(fw, miss, hit, t):
    """Per image: BCE and Dice loss of the missing and the finding prediction, and the mean |gradient| of each loss
    on the object's pixels at the missing prediction."""
    bce = lambda z: fw.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none").mean((1, 2, 3))
    dice = lambda z: 1 - dice_coefficient(z.sigmoid(), t, (1, 2, 3), 1.0)
    on_object = []
    for loss in (bce, dice):
        (g,) = fw.autograd.grad(loss(miss).sum(), miss)
        on_object.append((g.abs() * t).sum((1, 2, 3)) / t.sum((1, 2, 3)))
    return bce(miss), bce(hit), dice(miss), dice(hit), on_object[0], on_object[1]


lec.section("Deep dive: Dice vs BCE under class imbalance; the U-Net's receptive field",
            f"one square object of side {', '.join(map(str, SIDES))} in a {CANVAS} x {CANVAS} image; a prediction "
            f"missing it (logit -{LOGIT:g} everywhere) and one finding it (+{LOGIT:g} inside); then the receptive "
            "field of U-Nets of depth 1 to 3 measured with gradients.")
values = [v.detach().numpy() for v in lec.compare("Dice vs BCE on shrinking objects", imbalance,
                                                   inputs=[missed, found, square], grad=True)[0]]
bce_miss, bce_hit, dice_miss, dice_hit, grad_bce, grad_dice = values
bce_gap, dice_gap = bce_miss - bce_hit, dice_miss - dice_hit
for i, side in enumerate(SIDES):
    lec.note(f"object {side} x {side} ({area[i] * 100:.2f}% of the pixels): loss gap missed - found: BCE "
             f"{bce_gap[i]:.4f}, Dice {dice_gap[i]:.3f}; mean |gradient| on the object at the missing prediction: "
             f"BCE {grad_bce[i]:.1e}, Dice {grad_dice[i]:.1e}")
lec.check("BCE's gap shrinks with the object's area (32x32 -> 2x2: 256x), Dice's stays above 0.5",
          abs(bce_gap[0] / bce_gap[-1] / 256 - 1) < 0.01 and dice_gap.min() > 0.5,
          f"BCE {bce_gap[0]:.3f} -> {bce_gap[-1]:.4f}; Dice {dice_gap[0]:.3f} -> {dice_gap[-1]:.3f}")
lec.check("confidently wrong: BCE's gradient per object pixel is 1/N whatever the size, Dice's is far smaller",
          np.allclose(grad_bce, (1 - 1 / (1 + np.exp(LOGIT))) / CANVAS ** 2, rtol=1e-4) and bool((grad_dice <
                                                                                                  grad_bce).all()),
          f"BCE {grad_bce[0]:.2e}; Dice {grad_dice[0]:.1e} (32 x 32) to {grad_dice[-1]:.1e} (2 x 2)")

# %% [markdown]
# **Receptive field and skip connections.** Which input pixels can change the logit of the centre pixel? The
# gradient answers it: `d logit[centre] / d input` is non-zero exactly on the receptive field when no ReLU is
# switched off, which holds with all weights positive, a positive input and BatchNorm in eval mode (fresh running
# statistics: the identity). Every 3x3 conv adds 2 pixels times the current stride, every pooling doubles the
# stride: each extra level roughly doubles the side of the square (measured below). The influence is far from
# uniform: central pixels reach the output through many more paths than the border ones, so the gradient falls
# off by two (depth 1) to five (depth 3) orders of magnitude towards the edge (the "effective" receptive field is
# much smaller than the theoretical one). That is the U-Net's division of labour: the deep levels bring context (a
# depth-3 U-Net sees 87 x 87 pixels: from the centre of a 48 x 48 image, all of it), and the skip connections bring
# back the full-resolution detail that pooling discarded, which a receptive field does not show: it says which
# pixels *can* matter, not how precisely the network can localise them. In train mode BatchNorm normalises with
# statistics of the whole batch, so every pixel influences every output: the "receptive field" becomes the whole
# image.

# %%
RF_SIZE = 88


def receptive_field(fw, depth: int, train: bool = False):
    """|d logit[centre] / d input| summed over the input channels, for a U-Net (base 2) with positive weights."""
    init = {k: np.abs(v) if "running" not in k and "num_batches" not in k else v
            for k, v in torch_init(1, base=2, depth=depth).items()}
    model = same_start(fw, 1, init=init, base=2, depth=depth).train(train)
    x = fw.tensor(np.full((1, 3, RF_SIZE, RF_SIZE), 0.5, np.float32), requires_grad=True)
    (grad,) = fw.autograd.grad(model(x)[0, 0, RF_SIZE // 2, RF_SIZE // 2], x)
    return grad.abs().sum(1)[0]


maps = lec.compare("receptive field of U-Nets of depth 1-3 (grads)", lambda fw: [receptive_field(fw, d)
                                                                                 for d in (1, 2, 3)])[0]
sides = [int((m.numpy() > 0).any(0).sum()) for m in maps]
lec.note("receptive field of the centre logit: " + ", ".join(f"depth {d}: {s} x {s} pixels" for d, s in
                                                               zip((1, 2, 3), sides)) +
         f"; from the centre of a {SIZE} x {SIZE} image, the U-Net trained above (depth {DEPTH}) sees " +
         ("all of it." if sides[DEPTH - 1] >= SIZE else "not all of it."))
lec.check("the receptive field grows with depth and is a square around the centre",
          sides[0] < sides[1] < sides[2] < RF_SIZE
          and all(np.array_equal((m.numpy() > 0).any(0), (m.numpy() > 0).any(1)) for m in maps))

fig, axes = plt.subplots(1, 3, figsize=(18, 4), gridspec_kw={"width_ratios": [1, 1, 2.2]})
for values, marker, label in ((bce_gap, "o-", "BCE"), (dice_gap, "s-", "Dice")):
    axes[0].plot(np.log10(area), np.log10(values), marker, label=label)
for values, marker, label in ((grad_bce, "o-", "BCE"), (grad_dice, "s-", "Dice")):
    axes[1].plot(np.log10(area), np.log10(values), marker, label=label)
axes[0].set(xlabel="log10 object share of the pixels", title="log10 [loss(missed) - loss(found)]")
axes[1].set(xlabel="log10 object share of the pixels", title="log10 mean |gradient| on the object (missed)")
for ax in axes[:2]:
    ax.legend()
log_maps = [np.log10(m.numpy() + 1e-30) for m in maps]
pitch = show_mosaic(axes[2], [[plt.cm.magma(np.clip((lm - lm.max()) / 6 + 1, 0, 1))[..., :3] for lm in log_maps]],
                    [""])
axes[2].set_xticks((np.arange(3) + 0.5) * pitch, [f"depth {d}: {s} x {s}" for d, s in zip((1, 2, 3), sides)])
axes[2].set_title("log10 |d centre logit / d input| (6 decades), receptive field side")
lec.figure(fig, "deep_dive", "left: what finding the object is worth (loss gap between missing and finding it) and "
           "the gradient on the object of a confidently wrong prediction, as the object shrinks (BCE vs Dice); "
           "right: log10 |d centre logit / d input| of U-Nets of depth 1-3 (positive weights): the receptive field "
           "roughly doubles per level, and the influence falls off steeply away from the centre")

# %% [markdown]
# ## 8. Interview questions

# %%
lec.section("Interview questions", "")


def semantic_merges(fw):
    two = fw.zeros(1, 8, 8, dtype=fw.int64)
    two[0, 1:3, 1:3] = 1
    two[0, 3:5, 3:5] = 1                                        # two touching squares of the same class
    instance = fw.zeros(1, 8, 8, dtype=fw.int64)
    instance[0, 1:3, 1:3] = 1
    instance[0, 3:5, 3:5] = 2
    return len(fw.unique(two)) == 2 and len(fw.unique(instance)) == 3


lec.qa("Semantic vs instance vs panoptic segmentation?",
       "Semantic: one class per pixel; objects of one class that touch merge into one region (two touching squares "
       "give the values {0, 1}). Instance: one mask per object (Mask R-CNN), usually only for countable 'things' "
       "(the map holds {0, 1, 2}). Panoptic: both at once, every pixel gets a class and, for things, an instance id.",
       check=semantic_merges)


def iou_from_dice(fw):
    p = fw.tensor(np.random.default_rng(1).random((3, 16, 16)) < 0.4, dtype=fw.float64)
    t = fw.tensor(np.random.default_rng(2).random((3, 16, 16)) < 0.4, dtype=fw.float64)
    d, j = dice_coefficient(p, t, (1, 2)), iou(p, t, (1, 2))
    return (j - d / (2 - d)).abs().max().item() < 1e-12 and bool((j <= d).all())


lec.qa("How are Dice and IoU related?",
       "For the same masks IoU = Dice / (2 - Dice) (and Dice = 2 IoU / (1 + IoU)): a monotonic map, so they rank "
       "predictions the same way, IoU <= Dice, and IoU is harsher on mediocre masks (Dice 0.9 = IoU 0.82). Dice is "
       "the F1 score of the pixels.", check=iou_from_dice)


def hard_dice_no_grad(fw):
    z = fw.tensor([[0.3, -0.2, 1.5]], requires_grad=True)
    t = fw.tensor([[1.0, 0.0, 1.0]])
    hard = dice_coefficient((z > 0).to(fw.float32), t, 1)
    soft = dice_coefficient(z.sigmoid(), t, 1)
    soft.sum().backward()
    return not hard.requires_grad and bool((z.grad.abs() > 0).all())


lec.qa("Why the *soft* Dice for training?",
       "Thresholding (z > 0) has zero gradient almost everywhere (the result does not even require grad), so a hard "
       "Dice cannot be trained with backpropagation. Replacing the 0/1 mask by the probabilities makes the overlap "
       "and the sizes smooth functions of the logits: every pixel gets a gradient.", check=hard_dice_no_grad)


def smoothing(fw):
    empty = fw.zeros(1, 4, 4)
    return (bool(dice_coefficient(empty, empty, (1, 2)).isnan().all())
            and dice_coefficient(empty, empty, (1, 2), eps=1.0).item() == 1.0)


lec.qa("What is the eps (smoothing) in the Dice loss for?",
       "With an empty target and an empty prediction, Dice is 0 / 0 = nan and the loss breaks; eps = 1 makes it "
       "(0 + 1) / (0 + 1) = 1, a perfect score, which it is. It also limits how hard tiny objects pull (the "
       "gradient of a ratio with a small denominator is large).", check=smoothing)


def bce_logits_stable(fw):
    z, t = fw.tensor([100.0, -100.0], requires_grad=True), fw.tensor([0.0, 1.0])
    fused = fw.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none")
    naive = fw.nn.functional.binary_cross_entropy(z.sigmoid(), t, reduction="none")
    (fused_grad,), (naive_grad,) = (fw.autograd.grad(loss.sum(), z) for loss in (fused, naive))
    return (bool((fused == 100).all()) and bool((naive == 100).all()) and fused_grad.tolist() == [1.0, -1.0]
            and naive_grad.abs().max().item() == 0.0)


lec.qa("Why binary_cross_entropy_with_logits rather than sigmoid followed by binary_cross_entropy?",
       "sigmoid(100) rounds to exactly 1 in float32, and log(1 - 1) = -inf: BCE on probabilities has to clamp the "
       "log at -100 (both frameworks do), which caps the loss at 100 and zeroes its gradient. The fused version "
       "computes max(z, 0) - z t + log(1 + exp(-|z|)) from the logits: exact (here 100 as well) with the right "
       "gradient sigmoid(z) - t = +-1, where the two-step version's gradient is exactly 0: the most wrong pixels "
       "stop learning.", check=bce_logits_stable)


def transposed_size(fw):
    x = fw.zeros(1, 1, 5, 5)
    sizes = [fw.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=o)(x).shape[-1]
             for k, s, p, o in ((2, 2, 0, 0), (3, 2, 1, 1), (4, 2, 1, 0), (3, 1, 1, 0))]
    return sizes == [10, 10, 10, 5]


lec.qa("What output size does ConvTranspose2d give?",
       "(H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1. For a clean 2x upsampling of "
       "5 pixels to 10: kernel 2, stride 2 (the U-Net's); kernel 3, stride 2, padding 1, output_padding 1; or "
       "kernel 4, stride 2, padding 1. output_padding resolves the ambiguity that a strided conv maps several "
       "input sizes to the same output size.", check=transposed_size)


def skip_channels(fw):
    model = build_unet(fw, 1, base=4, depth=2)
    first_up = model.ups[0]
    return (first_up.up.out_channels + model.downs[0].maxpool_conv[1].double_conv[-3].out_channels
            == first_up.conv.double_conv[0].in_channels)


lec.qa("What do the skip connections of a U-Net carry, and how are they merged?",
       "The encoder's feature map at each resolution, before pooling: precise positions and edges that the "
       "downsampled path has lost. The decoder concatenates it on the channels with the upsampled map (so the "
       "decoder's conv takes upsampled + skip channels), unlike ResNet's skips, which add. Without them the masks "
       "are blob-like; with them the boundaries are sharp.", check=skip_channels)


def odd_sizes(fw):
    model = build_unet(fw, 2, base=2, depth=3).eval()
    return all(tuple(model(fw.zeros(1, 3, h, w)).shape) == (1, 2, h, w) for h, w in ((33, 47), (40, 24)))


lec.qa("What happens with an input whose size is not divisible by 2**depth?",
       "Max pooling floors (33 -> 16), so the upsampled map is one pixel short of its skip; the U-Net pads it to the "
       "skip's size before concatenating (the original U-Net cropped the skip instead, with 'valid' convs), and the "
       "output has the input's size again (33 x 47 -> 33 x 47).", check=odd_sizes)


def roi_align_vs_pool(fw):
    ramp = fw.arange(16, dtype=fw.float32).reshape(1, 1, 1, 16).expand(1, 1, 16, 16).contiguous()
    box = [fw.tensor([[2.3, 0.0, 6.3, 4.0]])]
    ops = vision(fw).ops
    aligned, shifted = (ops.roi_align(ramp, box, (1, 4), 1.0, 1, aligned=a).flatten() for a in (True, False))
    return ((aligned - fw.tensor([2.3, 3.3, 4.3, 5.3])).abs().max().item() < 1e-5
            and (shifted - aligned - 0.5).abs().max().item() < 1e-5
            and ops.roi_pool(ramp, box, (1, 4), 1.0).flatten().tolist() == [3.0, 4.0, 5.0, 6.0])


lec.qa("roi_align vs roi_pool: why did Mask R-CNN need the former, and what does aligned=True change?",
       "RoIPool rounds the box to the integer grid (x 2.3..6.3 on a ramp whose value is x becomes pixels 2..6) and "
       "its bins to integer, overlapping ranges, then takes maxima (3, 4, 5, 6): the crop is shifted by up to a "
       "feature-map pixel, i.e. a whole stride of image pixels, harmless for classification, fatal for "
       "pixel-accurate masks. RoIAlign keeps the exact coordinates and samples bilinearly at the bin centres: with "
       "aligned=True it reads 2.3, 3.3, 4.3, 5.3 exactly; aligned=False (the original) forgets the half-pixel offset "
       "between continuous coordinates and pixel indices and reads 0.5 too far (2.8, ...).", check=roi_align_vs_pool)


def class_specific(fw):
    logits = fw.arange(2 * 3 * 2 * 2, dtype=fw.float32).reshape(2, 3, 2, 2)
    picked = logits[fw.arange(2), fw.tensor([2, 0])]
    return picked.shape == (2, 2, 2) and picked[0].equal(logits[0, 2]) and picked[1].equal(logits[1, 0])


lec.qa("Why does Mask R-CNN predict one mask per class and use a sigmoid, not a softmax over classes?",
       "The class is decided by the box head; the mask head only has to say 'which pixels of this box belong to an "
       "object of class c'. With one binary mask per class (indexed with the box's class: "
       "logits[arange(K), labels]) and a per-pixel sigmoid + BCE, the classes do not compete for pixels; the paper "
       "found this decoupling clearly better than a per-pixel softmax.", check=class_specific)


def train_bn_couples(fw):
    return bool((receptive_field(fw, 1, train=True) > 0).all()) and not bool((receptive_field(fw, 1) > 0).all())


lec.qa("What is the receptive field of a U-Net output pixel, and what can make it the whole image?",
       "The input region that can influence it: each 3x3 conv adds 2 x the current stride, each pooling doubles the "
       "stride, so it grows roughly as 2**depth (depth 3 with double convs sees about 90 pixels). Measured with the "
       "gradient of one output w.r.t. the input. BatchNorm in train mode couples all pixels (and images) of the "
       "batch through its statistics: then every pixel influences every output.", check=train_bn_couples)


lec.qa("Why is pixel accuracy a poor segmentation metric, and what do you report instead?",
       f"Background dominates: here {fractions[0] * 100:.0f}% of the pixels, so predicting nothing scores "
       f"{fractions[0] * 100:.0f}% accuracy. Report Dice or IoU per class (mIoU: the mean over classes, computed "
       "from the total intersection and union over the dataset), and for instances the mask AP (precision/recall "
       "over IoU thresholds, as for boxes in lecture 14).")

# %%
lec.finish()

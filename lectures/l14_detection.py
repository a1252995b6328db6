"""Object detection: IoU, NMS, anchors, a single-stage detector on generated shapes, and the R-CNN idea.

What you will learn: how a detector describes objects (boxes in ``xyxy``/``xywh``/``cxcywh``, converted with
``box_convert``); intersection over union and generalized IoU, written from scratch in NumPy and checked against
``vision.ops.box_iou``/``generalized_box_iou`` of both libraries (values and gradients), and why GIoU still has a
gradient where IoU has none; greedy non-maximum suppression from scratch, against ``nms`` and ``batched_nms`` (ties
included); anchors at several sizes and aspect ratios over a feature-map grid, matched to the ground truth by IoU
(positive, negative, ignored) and turned into regression targets with Faster R-CNN's box encoding; a small
single-stage (YOLO/RetinaNet-style) detector, a conv backbone with one prediction per anchor (objectness, class,
box offsets), trained on generated images of shapes with focal loss + cross-entropy + smooth L1 in minitorch and
torch from the same weights and batches, decoded with a score threshold and NMS, and scored with mAP@0.5,
precision and recall computed in NumPy; the two-stage idea (R-CNN): proposals, ``roi_align`` on the trained
backbone's features (compared with torchvision, gradients included) and a per-region classifier; and, in the deep
dive, why anchor matching makes the objectness task extremely imbalanced and how focal loss copes with that.

Prerequisites: lecture 05 (nn.Module, BCE and cross-entropy), lecture 07 (the training loop, the same run on both
frameworks), lecture 11 (convolutions) and lecture 12 (BatchNorm and backbones).
"""
# %%
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one BLAS thread, like torch below (set before NumPy loads)

import math
import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
import torch
from torchvision.models.detection._utils import BoxCoder

import minitorch
from lectures.runtime import lecture, vision
from lectures.shapes import CLASSES, make_shapes

TEACHES = ("boxes and box_convert, IoU and GIoU from scratch vs vision.ops, greedy NMS and batched_nms (ties), "
           "anchors (sizes, aspect ratios, IoU matching, box encoding), a single-stage detector trained with focal "
           "loss + CE + smooth L1 on generated shapes in both frameworks, mAP@0.5, the R-CNN idea with roi_align, "
           "class imbalance and focal loss")
lec = lecture("14")
torch.set_num_threads(1)          # a fair timing: both frameworks compute on one thread (NumPy's BLAS is set above)
FRAMEWORKS = (minitorch, torch)
COLOURS = ("tab:red", "tab:blue", "tab:orange")          # one per class: circle, square, triangle


def draw_boxes(ax, boxes: np.ndarray, colours, ls: str = "-", lw: float = 1.5, texts=None, alpha: float = 1.0) -> None:
    """Draws xyxy ``boxes`` (pixel edges) on an image axis; ``colours`` one per box or one for all."""
    colours = [colours] * len(boxes) if isinstance(colours, str) else colours
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=float).reshape(-1, 4)):
        ax.add_patch(plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec=colours[i], ls=ls, lw=lw,
                                   alpha=alpha))
        if texts is not None:
            ax.text(x1 - 0.5, y1 - 1.5, texts[i], color=colours[i], fontsize=6.5)


def class_legend(where, **placement) -> None:
    """A legend of the class colours on an axis or a figure (``placement``: legend keywords; default lower left)."""
    where.legend(handles=[plt.Line2D([], [], color=c, label=n) for c, n in zip(COLOURS, CLASSES)], fontsize=6.5,
                 framealpha=0.6, **(placement or {"loc": "lower left"}))


def plain_log_ticks(ax, subs=(1.0,)) -> None:
    """Log y-axis ticks at ``subs`` x 10^k labelled as plain numbers (matplotlib's default 10^k labels go through its
    slow mathtext)."""
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def show(ax, image: np.ndarray, title: str = "") -> None:
    """A (3, S, S) image on an axis, pixel (i, j) centred at (j, i); the limits stay on the image whatever is
    drawn over it."""
    ax.imshow(image.transpose(1, 2, 0))
    size = image.shape[-1]
    ax.set(xticks=[], yticks=[], title=title, xlim=(-0.5, size - 0.5), ylim=(size - 0.5, -0.5))
    ax.title.set_fontsize(8)


# %% [markdown]
# ## 1. The data: generated images of shapes, and what a box is
# `lectures/shapes.py` draws one to three coloured shapes (circle, square, triangle) on a noisy background, one per
# cell of a 2 x 2 grid, so that shapes never overlap and the boxes are exact. Each image comes with its boxes in
# torchvision's `xyxy` format (`x1, y1, x2, y2`: pixel *edges*, so the width is `x2 - x1`) and a class index per
# box. A detector's output is the same thing: a variable-length list of (box, class, score) per image, which is
# why detection code passes lists of tensors around, not one batch tensor.
#
# Three box formats are in common use: `xyxy` (corners; what IoU, NMS and roi_align take), `xywh` (top-left corner
# and size; COCO's annotation files) and `cxcywh` (centre and size; what YOLO and DETR regress).
# `box_convert(boxes, in_fmt, out_fmt)` converts between them, always through `xyxy`.

# %%
SIZE, STRIDE = 64, 8                        # images of 64 x 64 pixels; the backbone's feature map is 8 x 8
GRID = SIZE // STRIDE
N_TRAIN, N_TEST = (256, 64) if lec.quick else (4000, 400)
TRAIN = make_shapes(N_TRAIN, SIZE, max_objects=3, seed=0)
TEST = make_shapes(N_TEST, SIZE, max_objects=3, seed=1)
ALL_TRAIN_BOXES = np.concatenate(TRAIN.boxes)
sides = ALL_TRAIN_BOXES[:, 2:] - ALL_TRAIN_BOXES[:, :2]

lec.section("The data: generated shapes with exact boxes",
            f"{N_TRAIN} training and {N_TEST} test images of {SIZE} x {SIZE} pixels, "
            f"{len(ALL_TRAIN_BOXES) / N_TRAIN:.2f} objects per image on average, classes {', '.join(CLASSES)}; box "
            f"sides from {sides.min():.0f} to {sides.max():.0f} pixels, aspect ratio h / w between "
            f"{(sides[:, 1] / sides[:, 0]).min():.2f} and {(sides[:, 1] / sides[:, 0]).max():.2f}.")


def conversions(fw, boxes):
    """xyxy -> cxcywh -> xywh -> xyxy with ``box_convert``, and the areas."""
    ops = vision(fw).ops
    cxcywh = ops.box_convert(boxes, "xyxy", "cxcywh")
    xywh = ops.box_convert(cxcywh, "cxcywh", "xywh")
    return cxcywh, xywh, ops.box_convert(xywh, "xywh", "xyxy"), ops.box_area(boxes)


first_boxes = TRAIN.boxes[0]
mt_conv, th_conv = lec.compare("box_convert round trip + box_area", conversions, inputs=[first_boxes], grad=True)
centre = (first_boxes[:, :2] + first_boxes[:, 2:]) / 2
lec.check("box_convert: cxcywh is (centre, size) computed in NumPy; the round trip returns the xyxy boxes",
          np.allclose(th_conv[0].detach().numpy(), np.hstack([centre, first_boxes[:, 2:] - first_boxes[:, :2]]))
          and np.array_equal(mt_conv[2].detach().numpy(), first_boxes))


# %% [markdown]
# ## 2. Intersection over union, from scratch
# IoU is *the* similarity of two boxes: the area of their intersection divided by the area of their union, 1 for
# identical boxes, 0 for disjoint ones. Pairwise for `N` and `M` boxes it is one broadcast: the intersection's
# top-left corner is the elementwise maximum of the two top-left corners, its bottom-right corner the minimum of the
# bottom-right corners, and a negative width or height (no overlap) is clamped to 0.
#
# IoU as a *loss* (`1 - IoU`) has a flaw: for disjoint boxes it is 1 whatever the distance, so its gradient is 0
# and a far-off prediction gets no signal. **Generalized IoU** (Rezatofighi et al. 2019) subtracts the fraction of
# the smallest enclosing box `C` that the union does not cover: `GIoU = IoU - |C \ (A u B)| / |C|`, in [-1, 1]. It
# equals IoU when one box holds the other and keeps decreasing as disjoint boxes move apart, so `1 - GIoU` pulls
# them together.

# %%
def box_area_np(b: np.ndarray) -> np.ndarray:
    """Areas ``[...]`` of xyxy boxes ``[..., 4]``."""
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def inter_union_np(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise intersection and union areas ``[..., N, M]`` of xyxy boxes ``[..., N, 4]`` and ``[..., M, 4]``."""
    top_left = np.maximum(a[..., :, None, :2], b[..., None, :, :2])
    bottom_right = np.minimum(a[..., :, None, 2:], b[..., None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    return inter, box_area_np(a)[..., :, None] + box_area_np(b)[..., None, :] - inter


def iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU ``[..., N, M]`` (NumPy, from scratch)."""
    inter, union = inter_union_np(a, b)
    return inter / union


def giou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise generalized IoU ``[..., N, M]``: IoU minus the share of the enclosing box outside the union."""
    inter, union = inter_union_np(a, b)
    wh = np.maximum(a[..., :, None, 2:], b[..., None, :, 2:]) - np.minimum(a[..., :, None, :2], b[..., None, :, :2])
    enclosing = wh[..., 0] * wh[..., 1]
    return inter / union - (enclosing - union) / enclosing


def random_boxes(rng: np.random.Generator, n: int, size: float = SIZE) -> np.ndarray:
    """``n`` random xyxy float32 boxes inside a ``size`` x ``size`` image."""
    corner = rng.uniform(0, size * 0.7, (n, 2))
    return np.hstack([corner, corner + rng.uniform(4, size * 0.3, (n, 2))]).astype(np.float32)


rng = np.random.default_rng(0)
BOXES_A, BOXES_B = random_boxes(rng, 12), random_boxes(rng, 9)
BOXES_B[0] = BOXES_A[0]                                                  # identical: IoU 1
BOXES_B[1] = [BOXES_A[1, 2], BOXES_A[1, 1], BOXES_A[1, 2] + 8, BOXES_A[1, 3]]   # touching edge: IoU 0
BOXES_B[2] = BOXES_A[2] + np.float32([2, 2, -2, -2]) * (BOXES_A[2, 2:4] - BOXES_A[2, :2]).min() / 8   # inside
lec.section("IoU and generalized IoU from scratch vs vision.ops",
            f"{len(BOXES_A)} x {len(BOXES_B)} random boxes (with an identical pair, two boxes touching along an edge "
            "and one box inside another): the NumPy formulas above against box_iou and generalized_box_iou of "
            "minitorch and torchvision, values and gradients w.r.t. both sets of boxes.")
iou_mt, iou_th = lec.compare("box_iou (values + grads)", lambda fw, a, b: vision(fw).ops.box_iou(a, b),
                             inputs=[BOXES_A, BOXES_B], grad=True)
giou_mt, giou_th = lec.compare("generalized_box_iou (values + grads)",
                               lambda fw, a, b: vision(fw).ops.generalized_box_iou(a, b),
                               inputs=[BOXES_A, BOXES_B], grad=True)
scratch = iou_np(BOXES_A, BOXES_B), giou_np(BOXES_A, BOXES_B)
gaps = [float(np.abs(s - t.detach().numpy()).max()) for s, t in zip(scratch, (iou_th, giou_th))]
lec.check("from-scratch NumPy IoU and GIoU == torchvision's", max(gaps) < 1e-6,
          f"max |diff| IoU {gaps[0]:.1e}, GIoU {gaps[1]:.1e}; identical pair IoU {scratch[0][0, 0]:.3f}, touching "
          f"pair IoU {scratch[0][1, 1]:.3f} (GIoU {scratch[1][1, 1]:.3f}), inner box IoU = GIoU "
          f"= {scratch[0][2, 2]:.3f}")
lec.compare("box_iou batched [N, G, 4] x [K, 4]", lambda fw, a, b: vision(fw).ops.box_iou(a, b),
            inputs=[np.stack([BOXES_A[:4], BOXES_A[4:8]]), BOXES_B])


def sliding_overlap(fw, shift):
    """IoU and GIoU of a 16 x 16 box and a copy moved by ``shift`` pixels to the right, and d(1 - .)/d shift."""
    ops = vision(fw).ops
    shift.requires_grad_(True)
    fixed = fw.tensor([[24.0, 24.0, 40.0, 40.0]], dtype=shift.dtype)
    moving = fw.stack([24 + shift, 24 + 0 * shift, 40 + shift, 40 + 0 * shift], 1)
    iou, giou = ops.box_iou(moving, fixed)[:, 0], ops.generalized_box_iou(moving, fixed)[:, 0]
    grads = [fw.autograd.grad((1 - v).sum(), shift, retain_graph=True)[0] for v in (iou, giou)]
    return iou.detach(), giou.detach(), grads[0], grads[1]


SHIFTS = np.linspace(-40, 40, 161)
slide_mt, slide_th = lec.compare("IoU / GIoU of a sliding box and their gradients", sliding_overlap,
                                 inputs=[SHIFTS], grad=False, tol=1e-10)
far = np.abs(SHIFTS) > 16
lec.check("disjoint boxes: d(1 - IoU)/dshift = 0, d(1 - GIoU)/dshift != 0 (both frameworks)",
          all(float(np.abs(r[2].numpy()[far]).max()) == 0 and float(np.abs(r[3].numpy()[far]).min()) > 0
              for r in (slide_mt, slide_th)))

# %% [markdown]
# ## 3. Non-maximum suppression
# A detector proposes many overlapping boxes for one object (every nearby anchor fires). **Greedy NMS** keeps the
# highest-scoring box, removes every remaining box whose IoU with it is *above* the threshold, and repeats with the
# best survivor. Two details decide whether two implementations agree exactly: the sort must be *stable*, so that
# tied scores keep their input order (the lower index wins), and the comparison is strict (`IoU > threshold`
# suppresses, an IoU exactly equal to it does not). `batched_nms(boxes, scores, idxs, t)` runs NMS separately per
# category `idxs` (classes, or images): torchvision shifts each category's boxes by `idx * (max coordinate + 1)` so
# that boxes of different categories cannot overlap, and runs one NMS.

# %%
def nms_np(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS from scratch: indices of the kept boxes, by decreasing score (ties: lower index first)."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:                                    # one iteration per kept box
        best, rest = order[0], order[1:]
        keep.append(best)
        overlap = iou_np(boxes[best][None], boxes[rest])[0]
        order = rest[overlap.astype(np.float64) <= iou_threshold]   # the kernel compares in double precision
    return np.array(keep, dtype=np.int64)


def batched_nms_np(boxes: np.ndarray, scores: np.ndarray, idxs: np.ndarray, iou_threshold: float) -> np.ndarray:
    """NMS per category: each category's boxes are moved to a region of the plane of their own first."""
    offsets = idxs.astype(boxes.dtype) * (boxes.max() + 1)
    return nms_np(boxes + offsets[:, None], scores, iou_threshold)


def candidates(rng: np.random.Generator, boxes: np.ndarray, labels: np.ndarray, per_object: int = 10):
    """Noisy copies of the true boxes with scores rounded to 0.05 (many ties) and a few wrong labels."""
    jitter = rng.normal(0, 2.5, (len(boxes), per_object, 4))
    noisy = (boxes[:, None] + jitter).reshape(-1, 4).astype(np.float32)
    score = np.round(np.clip(iou_np(noisy, boxes).max(1) + rng.normal(0, 0.1, len(noisy)), 0.05, 1) * 20) / 20
    label = np.repeat(labels, per_object)
    flip = rng.random(len(label)) < 0.2
    return noisy, score.astype(np.float32), np.where(flip, rng.integers(0, len(CLASSES), len(label)), label)


NMS_IMAGE = int(np.argmax([len(b) for b in TEST.boxes]))        # a test image with three shapes
CAND_BOXES, CAND_SCORES, CAND_LABELS = candidates(np.random.default_rng(1), TEST.boxes[NMS_IMAGE],
                                                  TEST.labels[NMS_IMAGE])
NMS_IOU = 0.5
ties = len(CAND_SCORES) - len(np.unique(CAND_SCORES))
lec.section("NMS from scratch vs vision.ops.nms and batched_nms",
            f"{len(CAND_BOXES)} noisy candidate boxes around the {len(TEST.boxes[NMS_IMAGE])} shapes of a test image, "
            f"scores rounded to 0.05 ({ties} tied scores), 20% wrong labels; IoU threshold {NMS_IOU}.")
nms_mt, nms_th = lec.compare("nms (many tied scores)", lambda fw, b, s: vision(fw).ops.nms(b, s, NMS_IOU),
                             inputs=[CAND_BOXES, CAND_SCORES], tol=0)
bnms_mt, bnms_th = lec.compare("batched_nms (per class)",
                               lambda fw, b, s, c: vision(fw).ops.batched_nms(b, s, c, NMS_IOU),
                               inputs=[CAND_BOXES, CAND_SCORES, CAND_LABELS], tol=0)
keep_np, bkeep_np = nms_np(CAND_BOXES, CAND_SCORES, NMS_IOU), batched_nms_np(CAND_BOXES, CAND_SCORES, CAND_LABELS,
                                                                               NMS_IOU)
lec.check("from-scratch NMS and batched NMS keep exactly torchvision's indices, in the same order",
          np.array_equal(keep_np, nms_th.numpy()) and np.array_equal(bkeep_np, bnms_th.numpy()),
          f"nms keeps {len(keep_np)} of {len(CAND_BOXES)}, batched_nms {len(bkeep_np)} (one per class and object)")
per_class = np.concatenate([np.flatnonzero(CAND_LABELS == c)[nms_np(CAND_BOXES[CAND_LABELS == c],
                                                                     CAND_SCORES[CAND_LABELS == c], NMS_IOU)]
                            for c in range(len(CLASSES))])
lec.check("batched_nms (offset trick) == a separate NMS per class", set(per_class) == set(bkeep_np.tolist()))

fig, axes = plt.subplots(1, 4, figsize=(15, 3.7))
axes[0].plot(SHIFTS, slide_th[1].numpy(), color="C1", lw=3, label="GIoU")
axes[0].plot(SHIFTS, slide_th[0].numpy(), "--", color="C0", label="IoU")
axes[0].axvspan(-40, -16, color="grey", alpha=0.15)
axes[0].axvspan(16, 40, color="grey", alpha=0.15)
axes[0].set(xlabel="shift of the second box (pixels; grey: disjoint)", title="a 16 px box sliding past another")
axes[0].title.set_fontsize(8)
axes[0].legend(fontsize=6.5)
for ax, keep, title in ((axes[1], np.arange(len(CAND_BOXES)), f"{len(CAND_BOXES)} candidates"),
                        (axes[2], keep_np, f"after nms: {len(keep_np)} kept"),
                        (axes[3], bkeep_np, f"after batched_nms (per class): {len(bkeep_np)} kept")):
    show(ax, TEST.images[NMS_IMAGE], title)
    draw_boxes(ax, CAND_BOXES[keep], [COLOURS[c] for c in CAND_LABELS[keep]], lw=1,
               texts=[f"{s:.2f}" for s in CAND_SCORES[keep]] if len(keep) < 20 else None)
class_legend(axes[1])
lec.figure(fig, "iou_nms", "left: IoU and GIoU of two 16 px boxes (equal while they overlap); once they are "
           "disjoint IoU is flat at 0 (1 - IoU has no gradient) while GIoU keeps falling; right: "
           "candidate boxes (colour = predicted class, with the score) before NMS, after class-agnostic nms and after "
           "batched_nms, which keeps the best box of each class per object")

# %% [markdown]
# ## 4. Anchors: a fixed set of reference boxes, matched to the objects
# A single-stage detector predicts, at every cell of its feature map, a fixed number `A` of boxes. Each prediction
# is relative to an **anchor**: a box of a given size and aspect ratio centred on the cell (YOLOv2, SSD, RetinaNet,
# and Faster R-CNN's region proposal network). For a stride-8 feature map of an `S x S` image, the centres sit at
# `(i + 0.5) * 8`; with sizes `s` and ratios `r = h / w` an anchor is `w = s / sqrt(r)`, `h = s * sqrt(r)` (area
# `s^2` for every ratio).
#
# Training needs a target for every anchor, found by **IoU matching** (RetinaNet's rule): an anchor whose best IoU
# with a true box is >= 0.5 is *positive* (it must predict that object's class and box), < 0.4 *negative*
# (background), in between *ignored* (neither; a half-overlapping anchor is neither a clear object nor clear
# background). Every true box also claims its best anchor, whatever the IoU, so that small or oddly placed objects
# are never left without a positive anchor.
#
# The box target of a positive anchor is its **offset** to the true box, encoded as in Faster R-CNN:
# `dx = (gx - ax) / aw`, `dy = (gy - ay) / ah`, `dw = log(gw / aw)`, `dh = log(gh / ah)` (centres and sizes),
# multiplied by the weights (10, 10, 5, 5) to give the four numbers similar ranges. Offsets relative to the anchor's
# size make the target scale-invariant, and the log keeps the decoded width positive (`w = aw * exp(dw)`).

# %%
def make_anchors(grid: int, stride: int, sizes, ratios) -> np.ndarray:
    """xyxy anchors ``[grid * grid * len(sizes) * len(ratios), 4]`` (float32), ordered by (row, column, anchor)."""
    ratios = np.asarray(ratios, dtype=np.float64)
    w = (np.asarray(sizes, dtype=np.float64)[:, None] / np.sqrt(ratios)).ravel()
    h = (np.asarray(sizes, dtype=np.float64)[:, None] * np.sqrt(ratios)).ravel()
    cy, cx = np.meshgrid((np.arange(grid) + 0.5) * stride, (np.arange(grid) + 0.5) * stride, indexing="ij")
    cx, cy = cx[..., None], cy[..., None]
    return np.stack(np.broadcast_arrays(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), -1).reshape(-1, 4) \
        .astype(np.float32)


BOX_WEIGHTS = np.float32([10, 10, 5, 5])
MAX_OBJECTS = 3
POS_IOU, NEG_IOU = 0.5, 0.4


def encode_np(gt: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Faster R-CNN's offsets ``[..., 4]`` of boxes ``gt`` relative to ``anchors`` (NumPy)."""
    aw, ah = anchors[..., 2] - anchors[..., 0], anchors[..., 3] - anchors[..., 1]
    gw, gh = gt[..., 2] - gt[..., 0], gt[..., 3] - gt[..., 1]
    ax, ay = anchors[..., 0] + 0.5 * aw, anchors[..., 1] + 0.5 * ah
    gx, gy = gt[..., 0] + 0.5 * gw, gt[..., 1] + 0.5 * gh
    return np.stack([(gx - ax) / aw, (gy - ay) / ah, np.log(gw / aw), np.log(gh / ah)], -1) * BOX_WEIGHTS


def decode(fw, offsets, anchors):
    """Boxes ``[..., 4]`` from predicted ``offsets`` and ``anchors`` (the inverse of ``encode_np``; the size
    offsets are clamped at log(1000 / 16) before ``exp``, as in torchvision)."""
    aw, ah = anchors[..., 2] - anchors[..., 0], anchors[..., 3] - anchors[..., 1]
    ax, ay = anchors[..., 0] + 0.5 * aw, anchors[..., 1] + 0.5 * ah
    d = offsets / fw.tensor(BOX_WEIGHTS, dtype=offsets.dtype)
    cx, cy = d[..., 0] * aw + ax, d[..., 1] * ah + ay
    w = d[..., 2].clamp(max=math.log(1000 / 16)).exp() * aw
    h = d[..., 3].clamp(max=math.log(1000 / 16)).exp() * ah
    return fw.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], -1)


def padded(boxes: list, labels: list, slots: int = MAX_OBJECTS) -> tuple[np.ndarray, np.ndarray]:
    """Per-image boxes and labels padded to ``slots``: ``[N, slots, 4]`` and ``[N, slots]`` (-1 = no object)."""
    count = np.array([len(b) for b in boxes])
    filled = np.arange(slots)[None] < count[:, None]
    out_boxes = np.zeros((len(boxes), slots, 4), np.float32)
    out_labels = np.full((len(boxes), slots), -1, np.int64)
    out_boxes[filled], out_labels[filled] = np.concatenate(boxes), np.concatenate(labels)
    return out_boxes, out_labels


@dataclass
class Targets:
    """Per-anchor targets ``[N, K]``: state (1 positive, 0 negative, -1 ignored), class, box offsets to the matched
    true box ``gt`` (``[N, K, 4]``), that box's ``slot`` in the image's list, and the anchor's best IoU."""

    state: np.ndarray
    label: np.ndarray
    offsets: np.ndarray
    gt: np.ndarray
    slot: np.ndarray
    best_iou: np.ndarray


def match(boxes: list, labels: list, anchors: np.ndarray) -> Targets:
    """IoU matching of every image's anchors at once (vectorised over the images, NumPy)."""
    gt_boxes, gt_labels = padded(boxes, labels)
    iou = np.where(gt_labels[..., None] >= 0, iou_np(gt_boxes, anchors), -1.0)      # [N, slots, K]
    best_gt, best_iou = iou.argmax(1), iou.max(1)                                   # [N, K]
    state = np.where(best_iou >= POS_IOU, 1, np.where(best_iou < NEG_IOU, 0, -1))
    image, slot = np.nonzero(gt_labels >= 0)
    own = iou[image, slot].argmax(1)                       # every true box claims its best anchor
    state[image, own], best_gt[image, own] = 1, slot
    gt = np.take_along_axis(gt_boxes, best_gt[..., None], 1)
    label = np.where(state == 1, np.take_along_axis(gt_labels, best_gt, 1), 0)
    return Targets(state, label, encode_np(gt, anchors).astype(np.float32), gt, best_gt, best_iou)


ALL_ANCHORS = make_anchors(GRID, STRIDE, sizes=(12, 18, 26), ratios=(0.5, 1.0, 2.0))
ANCHORS = make_anchors(GRID, STRIDE, sizes=(12, 18, 26), ratios=(1.0,))     # the detector's: the boxes are square
A = len(ANCHORS) // GRID ** 2
best_nine, best_three = (iou_np(ALL_TRAIN_BOXES, anchors).max(1) for anchors in (ALL_ANCHORS, ANCHORS))
TARGETS = {name: match(d.boxes, d.labels, ANCHORS) for name, d in (("train", TRAIN), ("test", TEST))}
state = TARGETS["train"].state
lec.section("Anchors: generation, IoU matching and box encoding",
            f"anchors of sizes 12, 18, 26 and ratios 0.5, 1, 2 on the {GRID} x {GRID} grid of stride {STRIDE}: "
            f"{len(ALL_ANCHORS)} anchors. The shapes' boxes are square, so the detector keeps ratio 1 only "
            f"({len(ANCHORS)} anchors, {A} per cell): the best anchor's IoU with a true box is "
            f"{best_three.mean():.3f} on average with the 3 square anchors and {best_nine.mean():.3f} with all 9: the "
            "other ratios never match better "
            f"(choosing anchor shapes from the data is what YOLOv2 does with k-means). Matching the training set: "
            f"{(state == 1).sum(1).mean():.1f} positive, {(state == -1).sum(1).mean():.1f} ignored and "
            f"{(state == 0).sum(1).mean():.1f} negative anchors per image.")
lec.check("anchors: centres on the grid, every ratio with area size^2, ordered (row, column, anchor)",
          np.allclose(box_area_np(ALL_ANCHORS[:9]), np.repeat([144, 324, 676], 3), rtol=1e-5)
          and np.allclose((ALL_ANCHORS[9 * (GRID + 1), :2] + ALL_ANCHORS[9 * (GRID + 1), 2:]) / 2, 1.5 * STRIDE))
image, slot = np.nonzero(state == 1)
claimed = len(np.unique(image * MAX_OBJECTS + TARGETS["train"].slot[image, slot]))
lec.check("matching: every true box is the target of at least one positive anchor",
          claimed == len(ALL_TRAIN_BOXES), f"{claimed} of {len(ALL_TRAIN_BOXES)} boxes")


def iou_matching(fw, gt_boxes, gt_labels):
    """The matching's IoU step with vision.ops.box_iou (batched over images): best IoU and best true box."""
    iou = vision(fw).ops.box_iou(gt_boxes, fw.tensor(ANCHORS))
    iou = fw.where(gt_labels[..., None] >= 0, iou, fw.tensor(-1.0))
    best = iou.max(1)
    return best.values, best.indices


MATCH_BOXES, MATCH_LABELS = padded(TRAIN.boxes[:16], TRAIN.labels[:16])
match_mt, match_th = lec.compare("anchor matching via box_iou", iou_matching, inputs=[MATCH_BOXES, MATCH_LABELS])
lec.check("matching: NumPy best IoU == box_iou's, on 16 training images",
          np.allclose(TARGETS["train"].best_iou[:16], match_th[0].numpy(), atol=1e-6))

pos = TARGETS["train"].state[:64] == 1
positive_offsets, positive_gt = TARGETS["train"].offsets[:64][pos], TARGETS["train"].gt[:64][pos]
positive_anchors = np.broadcast_to(ANCHORS, pos.shape + (4,))[pos]
coder = BoxCoder(tuple(BOX_WEIGHTS.tolist()))
coded = coder.encode_single(torch.tensor(positive_gt), torch.tensor(positive_anchors)).numpy()
lec.check("encode (NumPy) == torchvision's BoxCoder(weights=(10, 10, 5, 5)).encode_single",
          np.allclose(coded, positive_offsets, atol=1e-5), f"{len(positive_offsets)} positive anchors of 64 images")
decoded_mt, decoded_th = lec.compare("decode(offsets, anchors)", decode, inputs=[positive_offsets, positive_anchors])
reference = coder.decode_single(torch.tensor(positive_offsets), torch.tensor(positive_anchors)).numpy()
lec.check("decode == BoxCoder.decode_single, and decode(encode(box)) == box",
          np.allclose(decoded_th.numpy(), reference, atol=1e-5)
          and np.allclose(decoded_mt.numpy(), positive_gt, atol=1e-4),
          f"max |decode(encode(box)) - box| {np.abs(decoded_mt.numpy() - positive_gt).max():.1e} px")

fig, axes = plt.subplots(1, 3, figsize=(12.8, 4.3))
EXAMPLE, CELL = 0, (3, 4)
centres = (ALL_ANCHORS[::9, :2] + ALL_ANCHORS[::9, 2:]) / 2
at_cell = ALL_ANCHORS[(CELL[0] * GRID + CELL[1]) * 9:(CELL[0] * GRID + CELL[1] + 1) * 9]
show(axes[0], TRAIN.images[EXAMPLE], f"anchor centres; the 9 anchors of cell {CELL}\n(sizes 12, 18, 26: cyan, "
     "yellow, magenta; ratios 0.5, 1, 2)")
axes[0].plot(centres[:, 0] - 0.5, centres[:, 1] - 0.5, ".", color="white", ms=3)
draw_boxes(axes[0], at_cell, [("cyan", "yellow", "magenta")[i // 3] for i in range(9)], lw=1)
example = TARGETS["train"]
positive, ignored = example.state[EXAMPLE] == 1, example.state[EXAMPLE] == -1
show(axes[1], TRAIN.images[EXAMPLE], f"{positive.sum()} positive anchors (colour of the class), {ignored.sum()} "
     "ignored (grey);\ntrue boxes dashed")
class_legend(axes[1])
draw_boxes(axes[1], ANCHORS[ignored], "lightgrey", ls=":", lw=1)
draw_boxes(axes[1], ANCHORS[positive], [COLOURS[c] for c in example.label[EXAMPLE][positive]], lw=1)
draw_boxes(axes[1], TRAIN.boxes[EXAMPLE], "white", ls="--", lw=1.5)
anchor_centre = (ANCHORS[positive, :2] + ANCHORS[positive, 2:]) / 2 - 0.5
target = example.gt[EXAMPLE][positive]
show(axes[2], TRAIN.images[EXAMPLE], "encoding: each positive anchor's offsets to its box\n"
     "(dx, dy, dw, dh) = 10, 10, 5, 5 x (shift / size, log size ratio)")
draw_boxes(axes[2], ANCHORS[positive], "yellow", ls=":", lw=1)
draw_boxes(axes[2], TRAIN.boxes[EXAMPLE], "white", ls="--", lw=1.5)
axes[2].quiver(*anchor_centre.T, *((target[:, :2] + target[:, 2:]) / 2 - 0.5 - anchor_centre).T, color="yellow",
               angles="xy", scale_units="xy", scale=1, width=0.006)
lec.figure(fig, "anchors", "left: the anchor grid (stride 8) and the 3 sizes x 3 ratios of one cell; middle: the "
           "square anchors matched to the true boxes by IoU (>= 0.5 or the box's best anchor: positive; 0.4 to 0.5: "
           "ignored; the rest: background); right: the regression targets, from each positive anchor (dotted) to "
           "the centre and size of its true box (decode inverts them)")


# %% [markdown]
# ## 5. A single-stage detector, trained on both frameworks
# The detector is a small conv backbone (four `Conv2dNormActivation` blocks = conv 3 x 3 + BatchNorm + ReLU, three
# of them with stride 2: 64 x 64 pixels -> an 8 x 8 feature map with 64 channels) and a 1 x 1 conv **head** that
# predicts, at each of the 8 x 8 cells and for each of its 3 anchors, `1 + 4 + 3` numbers: an objectness logit,
# the box offsets and the class logits (YOLO's layout; RetinaNet uses two separate heads). All 192 predictions of
# an image come out of one forward pass: no proposals, no second stage.
#
# The loss has three parts, each summed over anchors and divided by the number of positive anchors:
# * **objectness**: `sigmoid_focal_loss` over the positive and negative anchors (ignored anchors count nothing);
# * **class**: cross-entropy over the positive anchors only (a background anchor has no class);
# * **box**: smooth L1 between predicted and target offsets, positive anchors only.
#
# The objectness bias starts at `-log((1 - pi) / pi)` with `pi = 0.01` (RetinaNet's prior): at step 0 every anchor
# says "probably background", so the ~180 negative anchors per image do not swamp the first updates (the deep dive
# has the numbers). Both frameworks start from the same weights (torch's initialisation copied into minitorch),
# see the same batches, and use Adam with a one-cycle learning-rate schedule.

# %%
C = len(CLASSES)
OUTPUTS = 1 + 4 + C                       # objectness, box offsets, class logits per anchor
PRIOR, ALPHA, GAMMA, BETA = 0.01, 0.25, 2.0, 1 / 9
STEPS, BATCH, LR = (20, 8, 1e-2) if lec.quick else (1200, 32, 3e-3)     # quick: a higher peak to get somewhere


def detector(fw):
    """The single-stage detector on framework ``fw``: ``model(images)`` gives ``[N, K, 1 + 4 + C]`` predictions,
    one row per anchor (ordered as ``ANCHORS``)."""
    nn, ops = fw.nn, vision(fw).ops

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = nn.Sequential(ops.Conv2dNormActivation(3, 16, stride=2),
                                          ops.Conv2dNormActivation(16, 32, stride=2),
                                          ops.Conv2dNormActivation(32, 64, stride=2),
                                          ops.Conv2dNormActivation(64, 64))
            self.head = nn.Conv2d(64, A * OUTPUTS, 1)

        def forward(self, x):
            out = self.head(self.backbone(x))                       # [N, A * OUTPUTS, GRID, GRID]
            return out.permute(0, 2, 3, 1).reshape(x.shape[0], -1, OUTPUTS)

    return Detector()


torch.manual_seed(0)
initial = detector(torch)
with torch.no_grad():
    initial.head.bias.view(A, OUTPUTS)[:, 0] = -math.log((1 - PRIOR) / PRIOR)
INIT = {k: v.detach().numpy().copy() for k, v in initial.state_dict().items()}


def same_start(fw, dtype: str = "float32"):
    """The detector on ``fw`` holding torch's initial weights ``INIT`` (cast to ``dtype``)."""
    model = detector(fw).to(getattr(fw, dtype))
    model.load_state_dict({k: fw.tensor(v) for k, v in INIT.items()})
    return model


def detection_loss(fw, pred, state, label, offsets):
    """(total, objectness, class, box) losses of a batch; each part summed and divided by the positive anchors."""
    positive, counted = (state == 1).to(pred.dtype), (state >= 0).to(pred.dtype)
    n_pos = positive.sum().clamp(min=1)
    objectness = vision(fw).ops.sigmoid_focal_loss(pred[..., 0], positive, alpha=ALPHA, gamma=GAMMA)
    classes = fw.nn.functional.cross_entropy(pred[..., 5:].reshape(-1, C), label.reshape(-1), reduction="none")
    box = fw.nn.functional.smooth_l1_loss(pred[..., 1:5], offsets, beta=BETA, reduction="none").sum(-1)
    parts = [(objectness * counted).sum() / n_pos, (classes.reshape(positive.shape) * positive).sum() / n_pos,
             (box * positive).sum() / n_pos]
    return (parts[0] + parts[1] + parts[2], *parts)


def batch(fw, idx: np.ndarray, dtype: str = "float32") -> tuple:
    """Training images and anchor targets ``idx`` as ``fw`` tensors."""
    t, dt = TARGETS["train"], getattr(fw, dtype)
    return (fw.tensor(TRAIN.images[idx], dtype=dt), fw.tensor(t.state[idx]), fw.tensor(t.label[idx]),
            fw.tensor(t.offsets[idx], dtype=dt))


def shared_batches(steps: int, size: int, seed: int = 2) -> list[np.ndarray]:
    """``steps`` batches of training indices, a new permutation every epoch: the same for both frameworks."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(N_TRAIN) for _ in range(steps * size // N_TRAIN + 1)])
    return [order[i * size:(i + 1) * size] for i in range(steps)]


def train(fw, steps: int, batch_size: int, dtype: str = "float32"):
    """Trains the detector from ``INIT`` for ``steps`` shared batches; returns the model, the losses per step
    (``[steps, 4]``: total, objectness, class, box) and the seconds taken."""
    model = same_start(fw, dtype)
    optimizer = fw.optim.Adam(model.parameters(), lr=LR)
    scheduler = fw.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps)
    history, start = [], time.perf_counter()
    for idx in lec.progress(shared_batches(steps, batch_size), f"{fw.__name__} {dtype}"):
        images, *targets = batch(fw, idx, dtype)
        losses = detection_loss(fw, model(images), *targets)
        optimizer.zero_grad()
        losses[0].backward()
        optimizer.step()
        scheduler.step()
        history.append([v.item() for v in losses])
    return model, np.array(history), time.perf_counter() - start


def first_step(fw):
    """Loss parts and every parameter's gradient at the initial weights, on the first shared batch."""
    model = same_start(fw)
    images, *targets = batch(fw, shared_batches(1, BATCH)[0])
    losses = detection_loss(fw, model(images), *targets)
    losses[0].backward()
    return [v.detach() for v in losses], [p.grad for p in model.parameters()]


lec.section("A single-stage detector: same weights, same batches, both frameworks",
            f"backbone of 4 Conv2dNormActivation blocks (3 -> 16 -> 32 -> 64 -> 64 channels, stride 8) and a 1 x 1 "
            f"head with {A} x {OUTPUTS} outputs per cell; focal loss (alpha {ALPHA}, gamma {GAMMA}) + cross-entropy + "
            f"smooth L1 (beta 1/9); Adam with OneCycleLR(max_lr={LR}), {STEPS} steps of batch {BATCH} on "
            f"{N_TRAIN} training images, float32, one thread per framework."
            + (" Quick mode trains for a few steps only (rough boxes); --full trains 1200 steps." if lec.quick else ""))
# float32 tolerance 5e-5: the first conv's weight gradient sums 16 x 32 x 32 terms that come through BatchNorm's
# backward (which subtracts means: cancellation), so the two summation orders differ by ~1e-5 of its scale; the
# float64 segment below shows the arithmetic itself agrees to ~1e-14.
(mt_loss0, _), _ = lec.compare("loss parts + all gradients at step 0", first_step, tol=5e-5)
lec.check("initial loss: objectness small thanks to the prior bias, class loss near ln(3)",
          float(mt_loss0[1]) < 2 and abs(float(mt_loss0[2]) - math.log(3)) < 0.5,
          f"objectness {float(mt_loss0[1]):.3f}, class {float(mt_loss0[2]):.3f} (ln 3 = {math.log(3):.3f}), box "
          f"{float(mt_loss0[3]):.3f}")
SEGMENT = 3


def float64_segment(fw):
    model, history, _ = train(fw, SEGMENT, 8, "float64")
    return fw.tensor(history, dtype=fw.float64), [p.detach() for p in model.parameters()]


lec.compare(f"float64: {SEGMENT} steps, losses + weights", float64_segment, tol=1e-9)
RUNS = {fw: train(fw, STEPS, BATCH) for fw in FRAMEWORKS}
MODELS = {fw: run[0] for fw, run in RUNS.items()}
HISTORY = {fw: run[1] for fw, run in RUNS.items()}
TAIL = max(3, STEPS // 20)                  # the final loss: the mean of the last steps
for fw in FRAMEWORKS:
    h, seconds = HISTORY[fw], RUNS[fw][2]
    lec.note(f"{fw.__name__}: {STEPS} steps in {seconds:.1f} s ({seconds / STEPS * 1e3:.0f} ms per step); loss "
             f"{h[0, 0]:.3f} -> {h[-TAIL:, 0].mean():.3f} (mean of the last {TAIL} steps: objectness "
             f"{h[-TAIL:, 1].mean():.3f}, class {h[-TAIL:, 2].mean():.3f}, box {h[-TAIL:, 3].mean():.3f})")
drift = np.abs(HISTORY[minitorch][:, 0] - HISTORY[torch][:, 0])
lec.check("float32: the first 5 step losses of the two frameworks agree to 1e-4", drift[:5].max() < 1e-4,
          f"max |diff| {drift[:5].max():.1e}; over all {STEPS} steps {drift.max():.1e}")
FALL = 0.7 if lec.quick else 0.1
lec.check(f"both frameworks' final loss is below {FALL} x the initial loss", all(
    HISTORY[fw][-TAIL:, 0].mean() < FALL * HISTORY[fw][0, 0] for fw in FRAMEWORKS),
          ", ".join(f"{fw.__name__} {HISTORY[fw][-TAIL:, 0].mean() / HISTORY[fw][0, 0]:.3f}" for fw in FRAMEWORKS))

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for fw, ls in ((minitorch, "-"), (torch, "--")):
    for j, (part, colour) in enumerate(zip(("total", "objectness (focal)", "class (CE)", "box (smooth L1)"),
                                           ("k", "C0", "C1", "C2"))):
        axes[0].semilogy(HISTORY[fw][:, j], ls, color=colour, lw=1.2 if j == 0 else 0.8,
                         label=part if fw is minitorch else None)
axes[0].set(xlabel="step", title="training loss: minitorch (solid) and torch (dashed)")
axes[0].legend(fontsize=7)
axes[1].semilogy(np.maximum(drift, 1e-9), color="C4", lw=0.8)
axes[1].set(xlabel="step", title="|total loss minitorch - torch| per step (float32 drift; 0 drawn at 1e-9)")
plain_log_ticks(axes[0], subs=(1, 2, 5))
plain_log_ticks(axes[1])
lec.figure(fig, "training", "the detector's loss and its three parts on both frameworks (same weights, same "
           "batches); right: how far apart the two float32 runs drift")

# %% [markdown]
# ### From predictions to detections, and how good they are
# At test time every anchor's prediction becomes a box: `decode` the offsets, clip to the image, keep the anchors
# whose objectness `sigmoid(logit)` exceeds a score threshold, and run `batched_nms` per class within each image
# (several anchors fire on one object). The class is the arg-max of the class logits.
#
# The metric of detection is **average precision**: sort all detections of a class (over the whole test set) by
# score; a detection is a true positive when its IoU with a true box of its class is >= 0.5 and that box was not
# already taken by a higher-scoring detection (a duplicate is a false positive). Walking down the list gives a
# precision/recall curve; AP is the area under its upper envelope (Pascal VOC's all-point interpolation), and
# **mAP@0.5** its mean over the classes; COCO's **mAP@[.5:.95]** also averages over the IoU thresholds 0.5, 0.55,
# ..., 0.95, which rewards tight boxes (both are reported below). It uses
# every detection down to a low score (0.05), so no single threshold is favoured; precision and recall at the
# display threshold (0.5) say what the drawn boxes look like.
#
# In full mode (1200 steps on 4000 images) both frameworks reach mAP@0.5 = 1.000 on the 400 test images, with
# precision 0.998, recall 0.988 and a mean IoU of 0.948 for the boxes scoring >= 0.5: the task is easy at IoU 0.5,
# and mAP@[.5:.95] (0.919 minitorch, 0.922 torch) is what still separates a good box from a perfect one.

# %%
SCORE_MIN, SCORE_SHOW, NMS_THRESHOLD = 0.05, 0.5, 0.5


@dataclass
class Detections:
    """Detections of a set of images, one row each: image index, class, score, xyxy box."""

    image: np.ndarray
    label: np.ndarray
    score: np.ndarray
    box: np.ndarray


def predict(fw, model, images: np.ndarray):
    """The model's decoded boxes ``[N, K, 4]`` (clipped to the image), objectness scores and classes ``[N, K]``."""
    model.eval()
    with fw.no_grad():
        pred = model(fw.tensor(images))
        boxes = vision(fw).ops.clip_boxes_to_image(decode(fw, pred[..., 1:5], fw.tensor(ANCHORS)), (SIZE, SIZE))
        return boxes, pred[..., 0].sigmoid(), pred[..., 5:].argmax(-1)


def detect(fw, model, images: np.ndarray) -> Detections:
    """Score threshold ``SCORE_MIN`` and per-class NMS within each image."""
    boxes, scores, labels = predict(fw, model, images)
    rows = []
    for i in range(len(images)):               # NMS image by image (a detection never suppresses another image's)
        keep = scores[i] > SCORE_MIN
        b, s, c = boxes[i][keep], scores[i][keep], labels[i][keep]
        kept = vision(fw).ops.batched_nms(b, s, c, NMS_THRESHOLD)
        rows.append((np.full(len(kept), i), c[kept].numpy(), s[kept].numpy(), b[kept].numpy().reshape(-1, 4)))
    return Detections(*(np.concatenate(column) for column in zip(*rows)))


def true_positives(det: Detections, data, iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Whether each detection is a true positive (best same-class box of its image at IoU >= threshold, not taken
    by a higher score), and that IoU."""
    gt_image = np.repeat(np.arange(len(data.boxes)), [len(b) for b in data.boxes])
    gt_box, gt_label = np.concatenate(data.boxes), np.concatenate(data.labels)
    iou = iou_np(det.box, gt_box)
    iou[(det.image[:, None] != gt_image[None]) | (det.label[:, None] != gt_label[None])] = 0
    best, best_iou = iou.argmax(1), iou.max(1)
    order = np.argsort(-det.score, kind="stable")
    hits = order[best_iou[order] >= iou_threshold]                 # hitting detections, by decreasing score
    _, first = np.unique(best[hits], return_index=True)             # the first (best) hit of each true box
    tp = np.zeros(len(det.score), bool)
    tp[hits[first]] = True
    return tp, best_iou


def average_precision(scores: np.ndarray, tp: np.ndarray, n_true: int) -> float:
    """Area under the precision envelope of the precision/recall curve (all-point interpolation)."""
    order = np.argsort(-scores, kind="stable")
    found = np.cumsum(tp[order])
    precision, recall = found / np.arange(1, len(order) + 1), found / max(n_true, 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * envelope))


def ap_per_class(det: Detections, data, iou_threshold: float) -> list[float]:
    """Average precision of each class at one IoU threshold."""
    tp, _ = true_positives(det, data, iou_threshold)
    gt_label = np.concatenate(data.labels)
    return [average_precision(det.score[det.label == c], tp[det.label == c], int((gt_label == c).sum()))
            for c in range(C)]


def metrics(det: Detections, data) -> dict:
    """mAP@0.5 (and AP per class), COCO's mAP@[.5:.95], and precision, recall and mean IoU of the detections
    scoring >= ``SCORE_SHOW``."""
    tp, best_iou = true_positives(det, data)
    gt_label = np.concatenate(data.labels)
    ap = ap_per_class(det, data, 0.5)
    coco = np.mean([ap_per_class(det, data, t) for t in np.linspace(0.5, 0.95, 10)])
    shown = det.score >= SCORE_SHOW
    return {"mAP": float(np.mean(ap)), "AP": ap, "COCO mAP": float(coco),
            "precision": tp[shown].sum() / max(shown.sum(), 1),
            "recall": tp[shown].sum() / len(gt_label), "mean IoU": float(best_iou[tp & shown].mean())
            if (tp & shown).any() else 0.0, "shown": int(shown.sum())}


DETECTIONS = {fw: detect(fw, MODELS[fw], TEST.images) for fw in FRAMEWORKS}
SCORES = {fw: metrics(DETECTIONS[fw], TEST) for fw in FRAMEWORKS}
lec.section("Detections on the test images: score threshold + NMS, mAP@0.5",
            f"{N_TEST} test images, {sum(len(b) for b in TEST.boxes)} true boxes; detections with score > {SCORE_MIN} "
            f"after per-class NMS at IoU {NMS_THRESHOLD}; precision/recall for the detections with score >= "
            f"{SCORE_SHOW}.")
for fw in FRAMEWORKS:
    m = SCORES[fw]
    lec.note(f"{fw.__name__}: mAP@0.5 {m['mAP']:.3f} (AP " + ", ".join(
        f"{name} {ap:.3f}" for name, ap in zip(CLASSES, m["AP"])) + f"), mAP@[.5:.95] {m['COCO mAP']:.3f}; at "
        f"score >= {SCORE_SHOW}: {m['shown']} "
        f"boxes, precision {m['precision']:.3f}, recall {m['recall']:.3f}, mean IoU of the true positives "
        f"{m['mean IoU']:.3f}")
toy = average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([True, False, True, False]), 3)
lec.check("average_precision on a toy list (TP, FP, TP, FP; 3 true boxes) = 1/3 * 1 + 1/3 * 2/3 = 0.556",
          abs(toy - 5 / 9) < 1e-12, f"{toy:.4f}")
gap = max(abs(SCORES[minitorch][k] - SCORES[torch][k]) for k in ("mAP", "COCO mAP"))
lec.check("mAP@0.5 and mAP@[.5:.95] of minitorch and torch within 0.03", gap <= 0.03,
          f"{SCORES[minitorch]['mAP']:.3f} vs {SCORES[torch]['mAP']:.3f}, {SCORES[minitorch]['COCO mAP']:.3f} vs "
          f"{SCORES[torch]['COCO mAP']:.3f}; {len(DETECTIONS[minitorch].score)} vs {len(DETECTIONS[torch].score)} "
          "detections")
if not lec.quick:
    lec.check("full mode: mAP@0.5 >= 0.95 and mean IoU of the shown true positives >= 0.9 on both frameworks",
              all(s["mAP"] >= 0.95 and s["mean IoU"] >= 0.9 for s in SCORES.values()),
              "; ".join(f"{fw.__name__}: {SCORES[fw]['mAP']:.3f}, {SCORES[fw]['mean IoU']:.3f}" for fw in FRAMEWORKS))

SHOWN = 5
fig, axes = plt.subplots(2, SHOWN, figsize=(2.2 * SHOWN, 5))
for row, fw in enumerate(FRAMEWORKS):
    det = DETECTIONS[fw]
    for i, ax in enumerate(axes[row]):
        pick = (det.image == i) & (det.score >= SCORE_SHOW)
        show(ax, TEST.images[i])
        draw_boxes(ax, det.box[pick], [COLOURS[c] for c in det.label[pick]], lw=2,
                   texts=[f"{CLASSES[c][:3]} {s:.2f}" for c, s in zip(det.label[pick], det.score[pick])])
        draw_boxes(ax, TEST.boxes[i], "white", ls="--", lw=1)
    axes[row, 0].set_ylabel(fw.__name__)
class_legend(fig, loc="center left", bbox_to_anchor=(0.9, 0.5))
lec.figure(fig, "detections", f"the first {SHOWN} test images: true boxes (white, dashed) and the detections with "
           f"score >= {SCORE_SHOW} after NMS (colour = predicted class, with its score); top minitorch, bottom torch")

# %% [markdown]
# ## 6. The two-stage idea: proposals, RoI Align, a per-region head (R-CNN)
# A two-stage detector (R-CNN -> Fast R-CNN -> Faster R-CNN -> Mask R-CNN) splits the job. Stage one proposes a few
# hundred class-agnostic boxes that probably hold *something* (selective search in R-CNN; in Faster R-CNN a region
# proposal network, which is exactly an anchor-based objectness + box head like the one trained above). Stage two
# looks at each proposal again: it cuts the proposal's part of the backbone's feature map out into a fixed-size
# grid (**RoI Align**, here 3 x 3 cells of 64 channels), and a small head classifies that region (background or one
# of the classes; in Faster R-CNN it also refines the box). The per-region second look is what made two-stage
# detectors the accurate ones; one forward pass per image is what makes single-stage detectors the fast ones.
#
# `roi_align(features, boxes, output_size, spatial_scale, sampling_ratio, aligned)` takes the boxes in image pixels
# (a list with one `[L, 4]` tensor per image, or one `[K, 5]` tensor whose first column is the image index) and
# `spatial_scale = 1 / stride` maps them onto the feature map. Each output cell averages
# `sampling_ratio x sampling_ratio` bilinearly interpolated samples of its bin; `aligned=True` shifts the box by
# half a feature pixel so that feature pixel `j` is centred on image position `(j + 0.5) * stride`. It is linear
# in the features and differentiable: in Faster R-CNN the second stage's loss trains the backbone through it.
#
# Below, the proposals are the trained single-stage detector's 12 most confident boxes per image *before* NMS
# (it plays the region proposal network) plus 4 random boxes (more background), labelled by IoU with the true
# boxes (>= 0.5: that object's class, else background). The features are the trained backbone's (frozen); the
# region head is trained on both frameworks from the same weights. In full mode it classifies 98.5% (minitorch) and
# 98.6% (torch) of the test regions correctly.

# %%
TOP, RANDOM, POOL = 12, 4, 3
N_REGION_TRAIN = 64 if lec.quick else 1000
HEAD_STEPS, HEAD_BATCH = (20, 128) if lec.quick else (600, 256)


def proposals(model, data, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``[count, TOP + RANDOM, 4]`` proposals of the first ``count`` images (the minitorch detector's most
    confident boxes and random boxes) and their labels (0 background, 1 + class)."""
    boxes, scores, _ = predict(minitorch, model, data.images[:count])
    top = np.argsort(-scores.numpy(), axis=1, kind="stable")[:, :TOP]
    chosen = np.take_along_axis(boxes.numpy(), top[..., None], 1)
    rand = random_boxes(np.random.default_rng(seed), count * RANDOM).reshape(count, RANDOM, 4)
    props = np.concatenate([chosen, rand], 1)
    gt_boxes, gt_labels = padded(data.boxes[:count], data.labels[:count])
    iou = np.where(gt_labels[:, None] >= 0, iou_np(props, gt_boxes), -1.0)          # [count, P, slots]
    best = iou.argmax(2)
    return props, np.where(iou.max(2) >= 0.5, np.take_along_axis(gt_labels, best, 1) + 1, 0)


def pooled(fw, model, images: np.ndarray, props: np.ndarray):
    """RoI Align of every proposal on the frozen backbone's features: ``[count * P, 64, POOL, POOL]``."""
    model.eval()
    with fw.no_grad():
        features = model.backbone(fw.tensor(images))
        return vision(fw).ops.roi_align(features, [fw.tensor(p) for p in props], POOL, 1 / STRIDE,
                                        sampling_ratio=2, aligned=True)


REGIONS = {split: proposals(MODELS[minitorch], data, count, seed)
           for split, data, count, seed in (("train", TRAIN, N_REGION_TRAIN, 3), ("test", TEST, N_TEST, 4))}
region_labels = REGIONS["test"][1]
lec.section("Two stages: proposals -> roi_align -> a per-region classifier",
            f"{TOP} detector boxes + {RANDOM} random boxes per image; {N_REGION_TRAIN} training images "
            f"({N_REGION_TRAIN * (TOP + RANDOM)} regions) and {N_TEST} test images; of the test regions "
            f"{(region_labels > 0).mean() * 100:.0f}% hold an object (IoU >= 0.5). roi_align: output {POOL} x {POOL}, "
            f"spatial_scale 1/{STRIDE}, sampling_ratio 2, aligned=True.")
with torch.no_grad():
    FEATURES = MODELS[torch].eval().backbone(torch.tensor(TEST.images[:4])).numpy()
ROI_BOXES = REGIONS["test"][0][:4]
lec.compare("roi_align (values + grads)", lambda fw, f: vision(fw).ops.roi_align(
    f, [fw.tensor(p) for p in ROI_BOXES], POOL, 1 / STRIDE, sampling_ratio=2, aligned=True), inputs=[FEATURES],
    grad=True)
lec.compare("roi_align [K, 5] boxes, aligned=False", lambda fw, f: vision(fw).ops.roi_align(
    f, fw.tensor(np.hstack([np.repeat(np.arange(4.0), TOP + RANDOM)[:, None], ROI_BOXES.reshape(-1, 4)]).astype(
        np.float32)), (2, 4), 1 / STRIDE), inputs=[FEATURES], grad=True)
lec.compare("roi_pool (values + grads)", lambda fw, f: vision(fw).ops.roi_pool(
    f, [fw.tensor(p) for p in ROI_BOXES], POOL, 1 / STRIDE), inputs=[FEATURES], grad=True)


def region_head(fw):
    return fw.nn.Sequential(fw.nn.Flatten(), fw.nn.Linear(64 * POOL * POOL, 128), fw.nn.ReLU(),
                            fw.nn.Linear(128, 1 + C))


torch.manual_seed(1)
HEAD_INIT = {k: v.detach().numpy().copy() for k, v in region_head(torch).state_dict().items()}


def second_stage(fw) -> tuple:
    """Trains the region head on the frozen features of ``fw``'s detector; returns the loss per step and the test
    accuracy (all regions, and the object regions only)."""
    head = region_head(fw)
    head.load_state_dict({k: fw.tensor(v) for k, v in HEAD_INIT.items()})
    train_x = pooled(fw, MODELS[fw], TRAIN.images[:N_REGION_TRAIN], REGIONS["train"][0])
    train_y = fw.tensor(REGIONS["train"][1].reshape(-1))
    optimizer = fw.optim.Adam(head.parameters(), lr=1e-3)
    rng, losses = np.random.default_rng(5), []
    for _ in range(HEAD_STEPS):
        idx = fw.tensor(rng.integers(0, len(train_y), HEAD_BATCH))
        loss = fw.nn.functional.cross_entropy(head(train_x[idx]), train_y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with fw.no_grad():
        guess = head(pooled(fw, MODELS[fw], TEST.images, REGIONS["test"][0])).argmax(1).numpy()
    truth = region_labels.reshape(-1)
    return losses, float((guess == truth).mean()), float((guess == truth)[truth > 0].mean()), guess


SECOND = {fw: second_stage(fw) for fw in FRAMEWORKS}
for fw in FRAMEWORKS:
    losses, accuracy, object_accuracy, _ = SECOND[fw]
    lec.note(f"{fw.__name__}: region head loss {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f} in {HEAD_STEPS} "
             f"steps; test regions classified correctly {accuracy * 100:.1f}% (object regions: "
             f"{object_accuracy * 100:.1f}%, background vs 3 classes)")
lec.check("region head: the accuracies of both frameworks within 2 points",
          abs(SECOND[minitorch][1] - SECOND[torch][1]) <= 0.02,
          f"{SECOND[minitorch][1] * 100:.1f}% vs {SECOND[torch][1] * 100:.1f}%")
if not lec.quick:
    lec.check("full mode: region head >= 90% on the test regions (both frameworks)",
              min(SECOND[fw][1] for fw in FRAMEWORKS) >= 0.9)

# %% [markdown]
# ### RoI Align vs RoI Pool
# Fast R-CNN's **RoI Pool** rounds the box to whole feature pixels (`round(x * spatial_scale)`), splits it into
# bins with integer bounds (`floor` / `ceil`, so neighbouring bins may share a pixel) and takes the maximum of each
# bin. At stride 8 a rounding moves the box by up to 4 image pixels, which barely matters for classification but
# ruins pixel-accurate masks. Mask R-CNN's **RoI Align** never rounds: each bin averages bilinear samples at
# exact fractional positions, so the output moves smoothly with the box. The figure shows one proposal: RoI
# Align's bins and sample points, and the feature pixels RoI Pool actually reads.

# %%
props, labels = REGIONS["test"]
k = int(np.flatnonzero(labels[0] > 0)[0])
x1, y1, x2, y2 = props[0, k]
bins_x, bins_y = np.linspace(x1, x2, POOL + 1), np.linspace(y1, y2, POOL + 1)
samples = (np.arange(POOL * 2) + 0.5) / (POOL * 2)            # sampling_ratio 2: 2 x 2 samples per bin
sx, sy = np.meshgrid(x1 + samples * (x2 - x1), y1 + samples * (y2 - y1))
qx1, qy1, qx2, qy2 = (np.floor(v / STRIDE + 0.5) for v in (x1, y1, x2, y2))   # roi_pool's rounding (C round)
fig, ax = plt.subplots(figsize=(4.6, 4.6))
show(ax, TEST.images[0], "one proposal: roi_align's bins and samples (yellow), roi_pool's pixels (cyan)")
for g in np.arange(0, SIZE + 1, STRIDE):
    ax.axhline(g - 0.5, color="grey", lw=0.4)
    ax.axvline(g - 0.5, color="grey", lw=0.4)
ax.add_patch(plt.Rectangle((qx1 * STRIDE - 0.5, qy1 * STRIDE - 0.5), (qx2 - qx1 + 1) * STRIDE,
                           (qy2 - qy1 + 1) * STRIDE, fill=True, fc="cyan", alpha=0.2, ec="cyan", lw=1.5))
for b in bins_x:
    ax.plot([b - 0.5, b - 0.5], [y1 - 0.5, y2 - 0.5], color="yellow", lw=0.8)
for b in bins_y:
    ax.plot([x1 - 0.5, x2 - 0.5], [b - 0.5, b - 0.5], color="yellow", lw=0.8)
ax.plot(sx.ravel() - 0.5, sy.ravel() - 0.5, ".", color="yellow", ms=4)
lec.figure(fig, "roi_align", f"a proposal ({x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f}) on the stride-8 feature grid: "
           f"roi_align's {POOL} x {POOL} bins with 2 x 2 bilinear samples each (yellow) vs the whole feature pixels "
           "that roi_pool's rounded box covers (cyan)")


def shifted_response(fw, f):
    """roi_align and roi_pool of one box moved right by 0 .. 4 image pixels: outputs per shift."""
    ops = vision(fw).ops
    boxes = fw.tensor(np.array([[0, 10 + s, 12, 34 + s, 36] for s in np.arange(0, 4.5, 0.5)], np.float32))
    return ops.roi_align(f, boxes, POOL, 1 / STRIDE, 2, True), ops.roi_pool(f, boxes, POOL, 1 / STRIDE)


align_out, pool_out = lec.compare("roi_align / roi_pool of a box moved 0..4 px", shifted_response,
                                  inputs=[FEATURES[:1]])[1]
step_align = np.abs(np.diff(align_out.numpy(), axis=0)).reshape(len(align_out) - 1, -1).max(1)
step_pool = np.abs(np.diff(pool_out.numpy(), axis=0)).reshape(len(pool_out) - 1, -1).max(1)
lec.note("a box moved right in 0.5 px steps: the largest change of a roi_align output per step "
         + ", ".join(f"{v:.3f}" for v in step_align) + "; of a roi_pool output " + ", ".join(f"{v:.3f}" for v in
                                                                                             step_pool)
         + " (roi_pool is piecewise constant: it jumps when the rounding of an edge flips, and is flat otherwise).")
lec.check("roi_pool is flat under sub-pixel shifts except at rounding flips; roi_align changes at every step",
          (step_pool == 0).sum() >= len(step_pool) // 2 and (step_align > 0).all())


# %% [markdown]
# ## 7. Deep dive: anchor matching, class imbalance, and why focal loss
# Count the anchors: per training image about 5 are positive, 5 ignored and ~182 negative, a ratio of ~1 : 37, and
# real detectors (RetinaNet: ~100k anchors per image, a handful of objects) are at 1 : 1000 or worse. Almost every
# negative is *easy*: an anchor on empty background that the network quickly scores near 0. With plain binary
# cross-entropy each easy negative still contributes `-log(1 - p)` to the loss and `p` to the gradient, and
# thousands of small contributions add up to a gradient dominated by background the model already gets right.
# Two-stage detectors avoid this by sampling (the RPN and the second stage train on fixed positive/negative
# mini-batches, e.g. 1:3); single-stage detectors (SSD) used hard-negative mining, and RetinaNet introduced
# **focal loss**: `FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t)`, where `p_t` is the probability of the true label.
# The factor `(1 - p_t)^gamma` is ~0 for well-classified anchors and ~1 for hard ones, so it down-weights the easy
# negatives by orders of magnitude (gamma = 2: an anchor at `p_t = 0.9` weighs 100 times less than with BCE), while
# `alpha = 0.25` weighs positives against negatives. Normalising the sum by the number of *positive* anchors (not
# all anchors) keeps the loss scale independent of how many negatives there are.
#
# The prior bias is the other half of the recipe. With a zero bias every anchor starts at `p = 0.5`: the ~182
# negatives contribute `182 ln 2 = 126` to the loss of one image against `5 ln 2 = 3.4` from the positives, and the
# first steps only learn "everything is background", often destabilising training. With `pi = 0.01`, the negatives
# start at `182 * (-ln 0.99) = 1.8`. Below: the per-anchor BCE and focal losses of the trained detector's
# objectness on the test images (both frameworks), and which anchors the loss and the gradient come from. In full
# mode, 72,000 of the 74,600 counted test anchors are easy negatives (p < 0.1): under BCE they carry 63% of the
# loss and 67% of the gradient, under focal loss 2% and 4%.

# %%
def objectness_losses(fw, logits, target):
    """Per-anchor BCE and focal loss of objectness logits, and their gradients w.r.t. the logits."""
    logits.requires_grad_(True)
    bce = fw.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    focal = vision(fw).ops.sigmoid_focal_loss(logits, target, alpha=ALPHA, gamma=GAMMA)
    grads = [fw.autograd.grad(v.sum(), logits, retain_graph=True)[0] for v in (bce, focal)]
    return bce.detach(), focal.detach(), grads[0], grads[1]


with torch.no_grad():
    test_logits = MODELS[torch].eval()(torch.tensor(TEST.images))[..., 0].numpy()
counted = TARGETS["test"].state >= 0
obj_logits, obj_target = test_logits[counted], (TARGETS["test"].state[counted] == 1).astype(np.float32)
bce, focal, g_bce, g_focal = (v.numpy() for v in lec.compare(
    "objectness: BCE and focal loss + d/dlogit", objectness_losses, inputs=[obj_logits, obj_target])[1])
p = 1 / (1 + np.exp(-obj_logits))
negative, easy = obj_target == 0, (obj_target == 0) & (p < 0.1)
share = {name: (v[negative].sum() / v.sum(), v[easy].sum() / v.sum(), np.abs(g[easy]).sum() / np.abs(g).sum())
         for name, v, g in (("BCE", bce, g_bce), ("focal", focal, g_focal))}
n_neg = (TARGETS["train"].state == 0).sum(1).mean()
n_pos = (TARGETS["train"].state == 1).sum(1).mean()
lec.section("Deep dive: anchor matching, class imbalance, why focal loss",
            f"per training image {n_pos:.1f} positive and {n_neg:.1f} negative anchors (1 : {n_neg / n_pos:.0f}). "
            f"On the trained detector's {counted.sum()} counted test anchors, {easy.sum()} are easy negatives "
            f"(p < 0.1).")
for name, (neg_share, easy_share, easy_grad) in share.items():
    lec.note(f"{name}: negatives carry {neg_share * 100:.1f}% of the objectness loss, easy negatives "
             f"{easy_share * 100:.1f}% of the loss and {easy_grad * 100:.1f}% of the total |gradient|")
lec.note(f"at step 0 with a zero objectness bias the negatives of an image would contribute {n_neg * math.log(2):.1f} "
         f"to the BCE loss (positives {n_pos * math.log(2):.1f}); with the prior bias (p = {PRIOR}) "
         f"{-n_neg * math.log(1 - PRIOR):.2f}.")
lec.check("focal loss gives the easy negatives a smaller share of the gradient than BCE does",
          share["focal"][2] < share["BCE"][2], f"{share['focal'][2] * 100:.1f}% vs {share['BCE'][2] * 100:.1f}%")

pt = np.linspace(0.01, 1, 200)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for g in (0, 0.5, 1, 2, 5):
    axes[0].plot(pt, -(1 - pt) ** g * np.log(pt), label=f"gamma = {g}" + (" (BCE)" if g == 0 else ""))
axes[0].axvspan(0.6, 1, color="grey", alpha=0.15)
axes[0].set(xlabel="p_t, probability of the true label", ylabel="loss", ylim=(0, 5),
            title="focal loss -(1 - p_t)^gamma log p_t (grey: well classified)")
axes[0].legend(fontsize=7)
bins = np.linspace(-5, 0, 41)
for target, name in ((0, "negative"), (1, "positive")):
    axes[1].hist(np.log10(p[obj_target == target]), bins, density=True, alpha=0.6,
                 label=f"{name} anchors ({(obj_target == target).sum()})")
axes[1].set(xlabel="log10 of the predicted objectness p", ylabel="density",
            title="trained detector, test anchors (p < 1e-5 not drawn)")
axes[1].legend(fontsize=7)
lec.figure(fig, "focal_loss", "left: focal loss for several gamma (gamma = 0 is BCE; alpha omitted); right: the "
           "trained detector's objectness on the test anchors (each group's histogram normalised): the negatives "
           "pile up near 0 (easy), where focal loss all but ignores them")

# %% [markdown]
# ## 8. Interview questions

# %%
lec.section("Interview questions", "")


def nested_iou(fw):
    iou = vision(fw).ops.box_iou(fw.tensor([[0.0, 0.0, 4.0, 4.0]]), fw.tensor([[1.0, 1.0, 3.0, 3.0], [4.0, 0, 8, 4]]))
    return iou.tolist() == [[0.25, 0.0]]


lec.qa("What is the IoU of a 4 x 4 box and a 2 x 2 box inside it? Of two boxes sharing only an edge?",
       "Intersection / union = 4 / 16 = 0.25: a box fully inside another has IoU = area ratio, however well "
       "centred. Boxes that touch along an edge have intersection 0, so IoU 0 (xyxy coordinates are pixel edges: a "
       "box [0, 4] and a box [4, 8] share no pixel).", check=nested_iou)


def giou_gradient(fw):
    shift = fw.tensor([10.0], requires_grad=True)
    a = fw.stack([shift, shift * 0, shift + 2, shift * 0 + 2], 1)
    b = fw.tensor([[0.0, 0.0, 2.0, 2.0]])
    ops = vision(fw).ops
    (g_iou,) = fw.autograd.grad(ops.box_iou(a, b).sum(), shift, retain_graph=True)
    (g_giou,) = fw.autograd.grad(ops.generalized_box_iou(a, b).sum(), shift)
    return g_iou.item() == 0.0 and g_giou.item() < 0


lec.qa("Why train box regression with a GIoU (or DIoU/CIoU) loss rather than 1 - IoU?",
       "For disjoint boxes IoU is 0 whatever the distance, so 1 - IoU has zero gradient and cannot pull a far-off "
       "prediction towards its target. GIoU subtracts the empty fraction of the enclosing box, which keeps shrinking "
       "as the boxes approach: a useful gradient everywhere, and IoU-like behaviour (scale invariance) when they "
       "overlap.", check=giou_gradient)


def nms_ties(fw):
    boxes = fw.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 11, 11]])
    keep = vision(fw).ops.nms(boxes, fw.tensor([0.5, 0.5, 0.5]), 0.5)
    return keep.tolist() == [0]


lec.qa("NMS gets identical boxes with identical scores. Which one survives?",
       "The first one in input order: torchvision sorts the scores with a stable sort, so ties keep their index "
       "order, and the kept box suppresses the rest. An implementation with an unstable sort (or a different tie "
       "rule) can keep a different box, so detections differ between libraries on exactly tied scores.",
       check=nms_ties)


def nms_strict(fw):
    boxes = fw.tensor([[0.0, 0, 2, 1], [1, 0, 4, 1]])          # intersection 1, union 4: IoU 0.25 exactly
    return vision(fw).ops.nms(boxes, fw.tensor([0.9, 0.8]), 0.25).tolist() == [0, 1]


lec.qa("Does NMS suppress a box whose IoU with a kept box equals the threshold exactly?",
       "No: only IoU > threshold suppresses. Two boxes with IoU exactly 0.25 both survive nms(..., 0.25).",
       check=nms_strict)


def batched_keeps_classes(fw):
    boxes = fw.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10]])
    scores = fw.tensor([0.9, 0.8])
    ops = vision(fw).ops
    return (ops.nms(boxes, scores, 0.5).tolist() == [0]
            and ops.batched_nms(boxes, scores, fw.tensor([0, 1]), 0.5).tolist() == [0, 1])


lec.qa("What does batched_nms do differently from nms, and how is it implemented?",
       "It never lets boxes of different categories (classes, or images) suppress each other: two identical boxes of "
       "different classes both survive. torchvision adds idx * (max coordinate + 1) to each box, so categories live "
       "in disjoint regions of the plane, and runs one NMS (for many boxes on CPU it loops over categories "
       "instead).", check=batched_keeps_classes)


def encode_decode(fw):
    anchors = fw.tensor([[10.0, 10, 30, 20], [0, 0, 8, 8]], dtype=fw.float64)
    boxes = np.array([[12.0, 8, 40, 22], [1, 2, 5, 9]])
    offsets = fw.tensor(encode_np(boxes, anchors.numpy()), dtype=fw.float64)
    return (decode(fw, offsets, anchors) - fw.tensor(boxes)).abs().max().item() < 1e-12


lec.qa("Why are box targets encoded as (dx, dy) / anchor size and log(w / w_anchor)?",
       "Dividing by the anchor's size makes the targets scale-invariant (a 4 px error matters more on a 10 px box than "
       "on a 100 px one), and the log turns the ratio of sizes into an unbounded number whose exp is always a positive "
       "width. Decoding inverts it exactly; the weights (10, 10, 5, 5) only rescale the targets to similar ranges.",
       check=encode_decode)


lec.qa("Why do anchors with an IoU between 0.4 and 0.5 get no label?",
       "They half-overlap an object: calling them background would punish the network for firing near an object, "
       "calling them positive would ask it to regress a box from a poor starting point. Ignoring them removes "
       "contradictory targets. Every true box also claims its best anchor whatever the IoU, so no object is left "
       "without a positive anchor.")


def focal_is_bce(fw):
    x = fw.tensor([-3.0, -0.5, 0.2, 2.0], dtype=fw.float64)
    y = fw.tensor([0.0, 1.0, 0.0, 1.0], dtype=fw.float64)
    focal = vision(fw).ops.sigmoid_focal_loss(x, y, alpha=-1, gamma=0)
    bce = fw.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
    return (focal - bce).abs().max().item() < 1e-15


lec.qa("How does focal loss relate to binary cross-entropy?",
       "FL = alpha_t (1 - p_t)^gamma BCE: with gamma = 0 and no alpha (alpha = -1 in torchvision) it is exactly BCE. "
       "gamma > 0 down-weights well-classified examples (p_t near 1), which in a detector are the countless easy "
       "background anchors; alpha balances positives and negatives.", check=focal_is_bce)


def prior_bias(fw):
    bias = fw.tensor(-math.log((1 - PRIOR) / PRIOR))
    return abs(bias.sigmoid().item() - PRIOR) < 1e-7


lec.qa("Why initialise the objectness bias to -log((1 - pi) / pi) with pi = 0.01?",
       "So that sigmoid(bias) = pi: every anchor starts predicting 'background with probability 0.99'. With a zero "
       "bias, p = 0.5 everywhere and the loss of the hundreds of negative anchors per image dominates the first "
       "updates (126 vs 3 per image here), which can destabilise training.", check=prior_bias)


def spatial_scale(fw):
    f = fw.tensor(np.random.default_rng(0).normal(size=(1, 2, 8, 8)))
    ops = vision(fw).ops
    boxes = np.array([[0.0, 9, 14, 40, 50]])
    scaled = ops.roi_align(f, fw.tensor(boxes), 3, spatial_scale=1 / 8, sampling_ratio=2, aligned=True)
    direct = ops.roi_align(f, fw.tensor(boxes * [1, 1 / 8, 1 / 8, 1 / 8, 1 / 8]), 3, 1.0, 2, aligned=True)
    return (scaled - direct).abs().max().item() < 1e-12


lec.qa("What is roi_align's spatial_scale, and what does aligned=True change?",
       "The factor from image coordinates to feature-map coordinates, 1 / stride (1/8 for the backbone here): a box in "
       "image pixels scaled by it gives the same result as passing the box already divided by 8 with scale 1. "
       "aligned=True subtracts half a feature pixel so that feature pixel j is centred on image position "
       "(j + 0.5) * stride; the default aligned=False (kept for old models) is off by that half pixel.",
       check=spatial_scale)


def pool_picks_elements(fw):
    f = fw.tensor(np.random.default_rng(1).normal(size=(1, 3, 8, 8)))
    out = vision(fw).ops.roi_pool(f, fw.tensor([[0.0, 5, 7, 40, 33]], dtype=f.dtype), 2, 1 / 8)
    values = set(np.round(f.numpy().ravel(), 12))
    return all(v in values for v in np.round(out.numpy().ravel(), 12))


lec.qa("How does roi_pool differ from roi_align?",
       "roi_pool rounds the box to whole feature pixels and outputs the maximum of each bin: its outputs are elements "
       "of the feature map, constant under sub-pixel shifts of the box and jumping when a rounding flips. roi_align "
       "keeps fractional coordinates and averages bilinear samples, so its output moves smoothly with the box; that "
       "precision is what Mask R-CNN needed for masks.", check=pool_picks_elements)


lec.qa("One-stage vs two-stage detectors: what is the trade-off?",
       "A single-stage detector (YOLO, SSD, RetinaNet) predicts class and box for every anchor in one pass: fast, "
       "but it must handle the extreme foreground/background imbalance (focal loss, hard-negative mining). A "
       "two-stage detector (Faster R-CNN) first proposes a few hundred regions, then classifies and refines each "
       "with features pooled by roi_align: the second look and the balanced sampling of regions made it the more "
       "accurate, at a higher and input-dependent cost. Modern one-stage and anchor-free detectors (FCOS, YOLOv8, "
       "DETR-style set prediction) have largely closed the accuracy gap.")


def ap_of_perfect(fw):
    scores = fw.tensor([0.9, 0.8, 0.3]).numpy()
    return abs(average_precision(scores, np.array([True, True, False]), 2) - 1.0) < 1e-12


lec.qa("What is mAP@0.5, and why does it need no score threshold?",
       "For each class, sort all detections by score, mark each as a true positive (IoU >= 0.5 with a not yet "
       "matched true box of its class) or a false positive, and integrate precision over recall (the area under "
       "the precision envelope); average over classes. Every score threshold is a point on that curve, so the metric "
       "covers them all: a false positive ranked below all true positives costs nothing (AP 1.0 for TP, TP, FP).",
       check=ap_of_perfect)

# %%
lec.finish()

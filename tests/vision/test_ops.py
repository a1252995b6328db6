"""``minitorch.vision.ops`` compared with ``torchvision.ops``: box geometry (values and gradients, every format,
batched, degenerate and empty boxes), ``nms`` / ``batched_nms`` (tied scores, identical boxes, empty inputs,
several classes, both of torchvision's batched strategies), ``roi_align`` / ``roi_pool`` (forward and input gradient
for aligned / sampling-ratio / scale / list-of-boxes variants), ``sigmoid_focal_loss``, the modules' reprs,
gradcheck / gradgradcheck, and bad inputs raising torchvision's exception types."""
import numpy as np
import pytest
import torch
import torchvision.ops as TO
from hypothesis import given, settings, strategies as st

import minitorch
from minitorch.vision import ops as MO
from parity.harness import Spec, assert_raises_like_torch, check


def ops(fw):
    return MO if fw is minitorch else TO


def _boxes(fw, xy, wh, fmt="xyxy"):
    """Boxes built from corners ``xy`` and sizes ``wh`` (so they are valid whatever the random values)."""
    if fmt == "xyxy":
        return fw.cat([xy, xy + wh], -1)
    if fmt == "xywh":
        return fw.cat([xy, wh], -1)
    return fw.cat([xy + wh / 2, wh], -1)


XY, WH = Spec((6, 2), low=0.0, high=10.0), Spec((6, 2), low=0.5, high=6.0)
XY2, WH2 = Spec((4, 2), low=0.0, high=10.0), Spec((4, 2), low=0.5, high=6.0)
BXY, BWH = Spec((2, 5, 2), low=0.0, high=10.0), Spec((2, 5, 2), low=0.5, high=6.0)

GEOMETRY = [
    ("box_area_xyxy", lambda fw, a, b: ops(fw).box_area(_boxes(fw, a, b)), (XY, WH)),
    ("box_area_xywh", lambda fw, a, b: ops(fw).box_area(_boxes(fw, a, b, "xywh"), fmt="xywh"), (XY, WH)),
    ("box_area_cxcywh", lambda fw, a, b: ops(fw).box_area(_boxes(fw, a, b, "cxcywh"), fmt="cxcywh"), (XY, WH)),
    ("box_area_batched", lambda fw, a, b: ops(fw).box_area(_boxes(fw, a, b)), (BXY, BWH)),
    *[(f"box_iou_{f}", lambda fw, a, b, c, d, f=f: ops(fw).box_iou(_boxes(fw, a, b, f), _boxes(fw, c, d, f), fmt=f),
       (XY, WH, XY2, WH2)) for f in ("xyxy", "xywh", "cxcywh")],
    ("box_iou_batched", lambda fw, a, b, c, d: ops(fw).box_iou(_boxes(fw, a, b), _boxes(fw, c, d)),
     (BXY, BWH, Spec((2, 3, 2), low=0.0, high=10.0), Spec((2, 3, 2), low=0.5, high=6.0))),
    ("generalized_box_iou", lambda fw, a, b, c, d: ops(fw).generalized_box_iou(_boxes(fw, a, b), _boxes(fw, c, d)),
     (XY, WH, XY2, WH2)),
    ("generalized_box_iou_batched",
     lambda fw, a, b, c, d: ops(fw).generalized_box_iou(_boxes(fw, a, b), _boxes(fw, c, d)), (BXY, BWH, BXY, BWH)),
    *[(f"box_convert_{i}_to_{o}", lambda fw, a, b, i=i, o=o: ops(fw).box_convert(_boxes(fw, a, b, i), i, o), (XY, WH))
      for i in ("xyxy", "xywh", "cxcywh") for o in ("xyxy", "xywh", "cxcywh")],
    ("box_convert_batched", lambda fw, a, b: ops(fw).box_convert(_boxes(fw, a, b), "xyxy", "cxcywh"), (BXY, BWH)),
    ("clip_boxes_to_image", lambda fw, a, b: ops(fw).clip_boxes_to_image(_boxes(fw, a - 3, b), (7, 9)), (XY, WH)),
    ("clip_boxes_to_image_batched", lambda fw, a, b: ops(fw).clip_boxes_to_image(_boxes(fw, a, b), (8, 6)),
     (BXY, BWH)),
]


@pytest.mark.parametrize("fn,specs", [(f, s) for _, f, s in GEOMETRY], ids=[n for n, _, _ in GEOMETRY])
def test_box_geometry_parity(fn, specs):
    check(fn, *specs)


DEGENERATE = np.array([[1, 1, 4, 5], [1, 1, 4, 5], [2, 2, 2, 6], [3, 3, 3, 3], [0, 0, 1, 1], [5, 5, 4, 4]],
                      dtype=np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou", "box_area", "box_convert", "clip"])
def test_box_geometry_degenerate_and_empty(name, dtype):
    """Identical, zero-width, zero-area and inverted boxes (0/0 NaNs included), and empty box sets."""
    calls = {"box_iou": lambda o, b, c: o.box_iou(b, c),
             "generalized_box_iou": lambda o, b, c: o.generalized_box_iou(b, c),
             "box_area": lambda o, b, c: o.box_area(b),
             "box_convert": lambda o, b, c: o.box_convert(b, "xyxy", "cxcywh"),
             "clip": lambda o, b, c: o.clip_boxes_to_image(b, (3, 4))}[name]
    for b, c in [(DEGENERATE, DEGENERATE[:3]), (DEGENERATE[:0], DEGENERATE), (DEGENERATE, DEGENERATE[:0])]:
        b, c = b.astype(dtype), c.astype(dtype)
        mine = calls(MO, minitorch.from_numpy(b.copy()), minitorch.from_numpy(c.copy()))
        theirs = calls(TO, torch.from_numpy(b.copy()), torch.from_numpy(c.copy()))
        assert tuple(mine.shape) == tuple(theirs.shape) and str(mine.dtype)[10:] == str(theirs.dtype)[6:]
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "float16"])
def test_box_iou_integer_and_half_boxes(dtype):
    """torchvision upcasts: integer boxes give int areas / float IoU, half boxes float32."""
    b = DEGENERATE[:5].astype(dtype)
    for fn in (lambda o, x: o.box_area(x), lambda o, x: o.box_iou(x, x), lambda o, x: o.generalized_box_iou(x, x)):
        mine, theirs = fn(MO, minitorch.from_numpy(b.copy())), fn(TO, torch.from_numpy(b.copy()))
        assert str(mine.dtype)[10:] == str(theirs.dtype)[6:]
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


def test_remove_small_boxes():
    rng = np.random.default_rng(3)
    b = np.concatenate([rng.uniform(0, 5, (40, 2)), rng.uniform(0, 5, (40, 2))], 1)
    b[:, 2:] += b[:, :2]
    for min_size in (0.0, 1.0, 2.5):
        mine = MO.remove_small_boxes(minitorch.from_numpy(b.copy()), min_size)
        theirs = TO.remove_small_boxes(torch.from_numpy(b.copy()), min_size)
        assert mine.dtype == minitorch.int64
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


# nms ---------------------------------------------------------------------------------------------------------
def _random_boxes(rng, n, dtype, span=20.0, size=8.0):
    xy = rng.uniform(0, span, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(0.1, size, (n, 2))], 1).astype(dtype)


def _nms_both(boxes, scores, thr, idxs=None, tie_order=True):
    """Kept indices equal torchvision's; with ``tie_order=False`` only as a set, in the same score order (torchvision's
    per-class path sorts with an unstable sort, so the order of kept boxes with tied scores is unspecified)."""
    if idxs is None:
        mine = MO.nms(minitorch.from_numpy(boxes.copy()), minitorch.from_numpy(scores.copy()), thr)
        theirs = TO.nms(torch.from_numpy(boxes.copy()), torch.from_numpy(scores.copy()), thr)
    else:
        mine = MO.batched_nms(minitorch.from_numpy(boxes.copy()), minitorch.from_numpy(scores.copy()),
                              minitorch.from_numpy(idxs.copy()), thr)
        theirs = TO.batched_nms(torch.from_numpy(boxes.copy()), torch.from_numpy(scores.copy()),
                                torch.from_numpy(idxs.copy()), thr)
    assert mine.dtype == minitorch.int64 and tuple(mine.shape) == tuple(theirs.shape)
    if tie_order:
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    else:
        np.testing.assert_array_equal(np.sort(mine.numpy()), np.sort(theirs.numpy()))
        np.testing.assert_array_equal(scores[mine.numpy()], scores[theirs.numpy()])
    return mine


NMS_CASES = ["random", "tied_scores", "all_tied", "identical_boxes", "degenerate", "clustered", "many"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", NMS_CASES)
def test_nms(case, dtype):
    rng = np.random.default_rng(NMS_CASES.index(case))
    n = 300 if case == "many" else 40
    boxes = _random_boxes(rng, n, dtype, span=8.0 if case == "clustered" else 20.0)
    scores = rng.random(n).astype(dtype)
    if case == "tied_scores":
        scores = rng.integers(0, 4, n).astype(dtype)
    if case == "all_tied":
        scores[:] = 0.5
    if case == "identical_boxes":
        boxes[n // 2:] = boxes[: n - n // 2]
        scores = rng.integers(0, 3, n).astype(dtype)
    if case == "degenerate":
        boxes[::3, 2] = boxes[::3, 0]                    # zero width
        boxes[1::5, 2:] = boxes[1::5, :2]                # zero area (0/0 IoU with each other)
        boxes[2::7, 2:] = boxes[2::7, :2] - 1            # inverted
    kept = [_nms_both(boxes, scores, thr) for thr in (0.0, 0.1, 0.3, 0.5, 0.7, 1.0)]
    assert len(kept[0]) <= len(kept[2]) <= len(kept[-1])   # a loose threshold keeps more


def test_nms_empty():
    for dtype in ("float32", "float64"):
        _nms_both(np.zeros((0, 4), dtype), np.zeros(0, dtype), 0.5)
        _nms_both(np.zeros((0, 4), dtype), np.zeros(0, dtype), 0.5, idxs=np.zeros(0, np.int64))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n,classes", [(30, 1), (60, 3), (200, 7), (1100, 5)],
                         ids=["one_class", "three_classes", "seven_classes", "vanilla_path_over_4000_coords"])
def test_batched_nms(n, classes, dtype):
    rng = np.random.default_rng(n)
    boxes = _random_boxes(rng, n, dtype, span=10.0 * max(1, n // 100))
    scores = rng.integers(0, 10, n).astype(dtype)        # many ties, across and within classes
    idxs = rng.integers(0, classes, n)
    for thr in (0.2, 0.5, 0.8):
        _nms_both(boxes, scores, thr, idxs, tie_order=4 * n <= 4000)


def test_batched_nms_classes_never_suppress_each_other():
    boxes = np.array([[0, 0, 10, 10]] * 4, dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32)
    kept = _nms_both(boxes, scores, 0.5, np.array([0, 1, 0, 1]))
    np.testing.assert_array_equal(kept.numpy(), [0, 1])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(0, 25), dtype=st.sampled_from(["float32", "float64"]), thr=st.floats(0.0, 1.0),
       levels=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_nms_hypothesis(n, dtype, thr, levels, seed):
    """Random box sets with coarse (tied) scores: nms, batched_nms and box_iou equal torchvision's."""
    rng = np.random.default_rng(seed)
    boxes = np.round(_random_boxes(rng, n, dtype, span=6.0, size=4.0), 1)   # coarse coordinates: exact repeats
    scores = rng.integers(0, levels, n).astype(dtype)
    _nms_both(boxes, scores, thr)
    _nms_both(boxes, scores, thr, rng.integers(0, 3, n))
    mine = MO.box_iou(minitorch.from_numpy(boxes.copy()), minitorch.from_numpy(boxes[:3].copy()))
    np.testing.assert_allclose(mine.numpy(), TO.box_iou(torch.from_numpy(boxes), torch.from_numpy(boxes[:3])).numpy(),
                               rtol=1e-6, equal_nan=True)


# roi_align / roi_pool ----------------------------------------------------------------------------------------
def _rois(seed, k=6, n=2, h=9, w=11, list_form=False):
    """Random rois (some reaching outside the image), plus a zero-size, an inverted and a far-away one."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-3, w, (k, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0, 0.8 * w, (k, 2))], 1)
    boxes = np.concatenate([boxes, [[2, 2, 2, 2], [6, 5, 4, 3], [w + 3, h + 3, w + 6, h + 6]]])
    batch = np.concatenate([rng.integers(0, n, k), [0, n - 1, 0]])
    if list_form:
        return [boxes[batch == i] for i in range(n)]
    return np.concatenate([batch[:, None], boxes], 1)


def _roi_call(name, rois, *args):
    def fn(fw, x):
        r = [fw.from_numpy(b).to(x.dtype) for b in rois] if isinstance(rois, list) else fw.from_numpy(rois).to(x.dtype)
        return getattr(ops(fw), name)(x, r, *args)
    return fn


ROI_CASES = [
    ("roi_align_default", "roi_align", {}, ((3, 4),)),
    ("roi_align_aligned", "roi_align", {}, ((3, 4), 1.0, -1, True)),
    ("roi_align_sampling2", "roi_align", {}, (2, 1.0, 2, False)),
    ("roi_align_sampling2_aligned_scale", "roi_align", {}, ((2, 3), 0.5, 2, True)),
    ("roi_align_adaptive_scale", "roi_align", {}, ((4, 2), 0.7, -1, False)),
    ("roi_align_sampling0_aligned", "roi_align", {}, (3, 1.3, 0, True)),
    ("roi_align_list_of_boxes", "roi_align", {"list_form": True}, ((3, 3), 1.0, -1, True)),
    ("roi_align_single_image", "roi_align", {"n": 1}, ((2, 2), 1.0, 3, False)),
    ("roi_pool_default", "roi_pool", {}, ((3, 4),)),
    ("roi_pool_scale", "roi_pool", {}, (2, 0.5)),
    ("roi_pool_scale_fine", "roi_pool", {}, ((4, 3), 1.7)),
    ("roi_pool_list_of_boxes", "roi_pool", {"list_form": True}, ((3, 2), 1.0)),
]


@pytest.mark.parametrize("name,kw,args", [c[1:] for c in ROI_CASES], ids=[c[0] for c in ROI_CASES])
def test_roi_parity(name, kw, args):
    """Forward and input gradient (every layout, float32 and float64)."""
    n = kw.get("n", 2)
    check(_roi_call(name, _rois(len(name) + len(args), n=n, list_form=kw.get("list_form", False)), *args),
          (n, 3, 9, 11))


@pytest.mark.parametrize("name", ["roi_align", "roi_pool"])
def test_roi_empty_rois(name):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    mine = getattr(MO, name)(minitorch.from_numpy(x), minitorch.zeros(0, 5), 2)
    theirs = getattr(TO, name)(torch.from_numpy(x), torch.zeros(0, 5), 2)
    assert tuple(mine.shape) == tuple(theirs.shape) == (0, 2, 2, 2)


def test_roi_modules_and_repr():
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 11))
    rois = _rois(5)
    for args_fn in (lambda o: o.RoIAlign(3, 0.5, 2), lambda o: o.RoIAlign((3, 2), 1, -1, True),
                    lambda o: o.RoIPool((3, 2), 1.0), lambda o: o.RoIPool(2, 0.5)):
        mine, theirs = args_fn(MO), args_fn(TO)
        assert repr(mine) == repr(theirs)
        np.testing.assert_allclose(mine(minitorch.from_numpy(x), minitorch.from_numpy(rois)).numpy(),
                                   theirs(torch.from_numpy(x), torch.from_numpy(rois)).numpy(), rtol=1e-10, atol=1e-12)


# sigmoid_focal_loss ------------------------------------------------------------------------------------------
FOCAL = [(f"sigmoid_focal_loss_{r}_alpha{a}_gamma{g}", r, a, g)
         for r, a, g in [("none", 0.25, 2), ("mean", 0.25, 2), ("sum", 0.5, 1.5), ("none", -1, 0), ("mean", 1, 3)]]


@pytest.mark.parametrize("reduction,alpha,gamma", [c[1:] for c in FOCAL], ids=[c[0] for c in FOCAL])
def test_sigmoid_focal_loss(reduction, alpha, gamma):
    check(lambda fw, x, t: ops(fw).sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, reduction=reduction),
          (4, 5), Spec((4, 5), low=0.0, high=1.0))


# gradcheck ---------------------------------------------------------------------------------------------------
def _leaf(arr):
    return minitorch.from_numpy(np.array(arr, dtype=np.float64)).requires_grad_(True)


def _gradcheck_boxes(seed, n):
    return _leaf(_random_boxes(np.random.default_rng(seed), n, "float64", span=5.0, size=4.0))


GRADCHECK = [
    ("box_area", lambda b, c: MO.box_area(b)),
    ("box_iou", lambda b, c: MO.box_iou(b, c)),
    ("box_iou_cxcywh", lambda b, c: MO.box_iou(b, c, fmt="cxcywh")),
    ("generalized_box_iou", lambda b, c: MO.generalized_box_iou(b, c)),
    ("box_convert", lambda b, c: MO.box_convert(b, "xywh", "cxcywh")),
    ("clip_boxes_to_image", lambda b, c: MO.clip_boxes_to_image(b, (4.5, 5.5))),
]


@pytest.mark.parametrize("fn", [f for _, f in GRADCHECK], ids=[n for n, _ in GRADCHECK])
def test_box_gradcheck(fn):
    assert minitorch.autograd.gradcheck(fn, (_gradcheck_boxes(0, 5), _gradcheck_boxes(1, 3)))


def test_box_gradgradcheck():
    assert minitorch.autograd.gradgradcheck(MO.generalized_box_iou, (_gradcheck_boxes(2, 4), _gradcheck_boxes(3, 3)))


@pytest.mark.parametrize("name,args", [("roi_align", ((2, 3), 0.8, -1, True)), ("roi_align", (2, 1.0, 2, False)),
                                       ("roi_pool", ((2, 2), 1.0))], ids=["roi_align_aligned", "roi_align_sr2",
                                                                          "roi_pool"])
def test_roi_gradcheck(name, args):
    x = _leaf(np.random.default_rng(4).standard_normal((2, 1, 5, 6)))
    rois = minitorch.from_numpy(_rois(6, k=2, h=5, w=6))
    assert minitorch.autograd.gradcheck(lambda x: getattr(MO, name)(x, rois, *args), (x,))
    assert minitorch.autograd.gradgradcheck(lambda x: getattr(MO, name)(x, rois, *args), (x,))


def test_sigmoid_focal_loss_gradcheck():
    rng = np.random.default_rng(5)
    x, t = _leaf(rng.standard_normal((3, 4))), _leaf(rng.random((3, 4)))
    assert minitorch.autograd.gradcheck(lambda x, t: MO.sigmoid_focal_loss(x, t, reduction="mean"), (x, t))
    assert minitorch.autograd.gradgradcheck(lambda x, t: MO.sigmoid_focal_loss(x, t, gamma=2.5), (x, t))


# bad inputs --------------------------------------------------------------------------------------------------
B3 = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 1, 2, 4]], dtype=np.float32)
S3 = np.array([0.5, 0.7, 0.1], dtype=np.float32)
X = np.zeros((1, 2, 5, 5), dtype=np.float32)
R5 = np.array([[0, 0, 0, 2, 2]], dtype=np.float32)

BAD = [
    ("nms_1d_boxes", lambda fw, b, s: ops(fw).nms(b[0], s, 0.5), (B3, S3), "boxes should be a 2d tensor, got 1D"),
    ("nms_5_columns", lambda fw, b, s: ops(fw).nms(fw.cat([b, b[:, :1]], 1), s, 0.5), (B3, S3),
     "boxes should have 4 elements in dimension 1, got 5"),
    ("nms_2d_scores", lambda fw, b, s: ops(fw).nms(b, s[None], 0.5), (B3, S3), "scores should be a 1d tensor, got 2D"),
    ("nms_count_mismatch", lambda fw, b, s: ops(fw).nms(b, s[:2], 0.5), (B3, S3),
     "same number of elements in dimension 0, got 3 and 2"),
    ("nms_dtype_mismatch", lambda fw, b, s: ops(fw).nms(b, s.double(), 0.5), (B3, S3),
     "dets should have the same type as scores"),
    ("nms_integer_boxes", lambda fw, b, s: ops(fw).nms(b.long(), s.long(), 0.5), (B3, S3),
     "\"nms_kernel\" not implemented for 'Long'"),
    ("batched_nms_idxs_mismatch", lambda fw, b, s: ops(fw).batched_nms(b, s, fw.zeros(4, dtype=fw.int64), 0.5),
     (B3, S3), r"size of tensor a \(3\) must match the size of tensor b"),
    ("box_convert_unknown_fmt", lambda fw, b, s: ops(fw).box_convert(b, "xyxy", "foo"), (B3, S3),
     "Unsupported Bounding Box Conversions for given in_fmt xyxy and out_fmt foo"),
    ("box_area_unknown_fmt", lambda fw, b, s: ops(fw).box_area(b, fmt="foo"), (B3, S3),
     "Unsupported Bounding Box area for given format foo"),
    ("box_iou_unknown_fmt", lambda fw, b, s: ops(fw).box_iou(b, b, fmt="foo"), (B3, S3), "Unsupported format 'foo'"),
    ("sigmoid_focal_loss_bad_reduction", lambda fw, b, s: ops(fw).sigmoid_focal_loss(b, b, reduction="avg"),
     (B3, S3), "Invalid Value for arg 'reduction': 'avg"),
    ("sigmoid_focal_loss_bad_alpha", lambda fw, b, s: ops(fw).sigmoid_focal_loss(b, b, alpha=2), (B3, S3),
     "Invalid alpha value: 2"),
    ("roi_align_boxes_k4", lambda fw, x, r: ops(fw).roi_align(x, r[:, 1:], 2), (X, R5),
     r"not correct as Tensor\[K, 5\]"),
    ("roi_align_list_boxes_k5", lambda fw, x, r: ops(fw).roi_align(x, [r], 2), (X, R5),
     r"not correct as List\[Tensor\[L, 4\]\]"),
    ("roi_align_boxes_not_tensor", lambda fw, x, r: ops(fw).roi_align(x, 3, 2), (X, R5),
     r"boxes is expected to be a Tensor\[L, 5\] or a List\[Tensor\[K, 4\]\]"),
    ("roi_align_dtype_mismatch", lambda fw, x, r: ops(fw).roi_align(x, r.double(), 2), (X, R5),
     "input should have the same type as rois"),
    ("roi_pool_dtype_mismatch", lambda fw, x, r: ops(fw).roi_pool(x, r.double(), 2), (X, R5),
     "input should have the same type as rois"),
    ("roi_align_integer_input", lambda fw, x, r: ops(fw).roi_align(x.long(), r.long(), 2), (X, R5),
     "\"roi_align_forward_kernel\" not implemented for 'Long'"),
    ("roi_align_3d_input", lambda fw, x, r: ops(fw).roi_align(x[0], r, 2), (X, R5), ""),
    ("roi_pool_3d_input", lambda fw, x, r: ops(fw).roi_pool(x[0], r, 2), (X, R5), ""),
]


@pytest.mark.parametrize("fn,arrays,match", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_inputs(fn, arrays, match):
    assert_raises_like_torch(fn, *arrays, match=match)


def test_bad_input_messages_name_the_problem():
    """Our own wording where torchvision's comes from deep inside its kernels."""
    with pytest.raises(RuntimeError, match=r"4D tensor \[N, C, H, W\], got 3D with shape \(2, 5, 5\)"):
        MO.roi_align(minitorch.zeros(2, 5, 5), minitorch.zeros(1, 5), 2)
    with pytest.raises(RuntimeError, match="roi batch index 3 is out of range for an input batch of 1"):
        MO.roi_pool(minitorch.zeros(1, 2, 5, 5), minitorch.tensor([[3.0, 0, 0, 2, 2]]), 2)
    with pytest.raises(NotImplementedError, match="in_fmt xyxy and out_fmt xywhr"):
        MO.box_convert(minitorch.zeros(2, 4), "xyxy", "xywhr")


def test_roi_pool_tied_maxima():
    """Integer-valued inputs tie inside bins: the gradient goes to the first maximum in row-major order."""
    x = np.random.default_rng(7).integers(0, 3, (2, 3, 9, 11)).astype(np.float64)
    rois = _rois(8)
    mx = minitorch.from_numpy(x.copy()).requires_grad_(True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    mine, theirs = MO.roi_pool(mx, minitorch.from_numpy(rois), (3, 4)), TO.roi_pool(tx, torch.from_numpy(rois), (3, 4))
    np.testing.assert_array_equal(mine.detach().numpy(), theirs.detach().numpy())
    cot = np.random.default_rng(8).standard_normal(tuple(theirs.shape))
    mine.backward(minitorch.from_numpy(cot))
    theirs.backward(torch.from_numpy(cot))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(k=st.integers(0, 6), out=st.tuples(st.integers(1, 4), st.integers(1, 4)), scale=st.sampled_from([0.5, 1.0, 1.6]),
       sampling=st.sampled_from([-1, 0, 1, 2]), aligned=st.booleans(), dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2 ** 16))
def test_roi_hypothesis(k, out, scale, sampling, aligned, dtype, seed):
    """Random rois and options: roi_align and roi_pool outputs and input gradients equal torchvision's."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2, 7, 8)).astype(dtype)
    rois = _rois(seed, k=k, h=7, w=8).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for name, args in (("roi_align", (out, scale, sampling, aligned)), ("roi_pool", (out, scale))):
        mx = minitorch.from_numpy(x.copy()).requires_grad_(True)
        tx = torch.from_numpy(x.copy()).requires_grad_(True)
        mine = getattr(MO, name)(mx, minitorch.from_numpy(rois), *args)
        theirs = getattr(TO, name)(tx, torch.from_numpy(rois), *args)
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), **tol)
        mine.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), **tol)


def test_nms_threshold_compared_in_double():
    """The kernel compares the float32 IoU 3/10 (0.300000012) with the double 0.3: suppressed."""
    boxes = np.array([[0, 0, 10, 1], [0, 0, 3, 1]], dtype=np.float32)
    kept = _nms_both(boxes, np.array([0.9, 0.8], dtype=np.float32), 0.3)
    np.testing.assert_array_equal(kept.numpy(), [0])

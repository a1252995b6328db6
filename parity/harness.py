"""The parity harness: run one callable on minitorch and on real PyTorch and compare everything.

``check(fn, *specs)`` calls ``fn(fw, *inputs)`` with ``fw = minitorch`` and ``fw = torch`` on equal
inputs, for each dtype and each input layout (contiguous, non-contiguous, permuted, broadcast), and
compares the outputs' shape, dtype and values, then the gradients of every differentiable output
with respect to every input, obtained with ``autograd.grad`` against one random cotangent. The torch
side runs on ``device`` (``"cuda"`` when asked for and available). A failure says which layout and
dtype, which output or gradient, the element that differs most, and by how much.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

import minitorch

# tolerances (rtol, atol-scale) per floating dtype: see ARCHITECTURE.md ("float64 ~1e-10, float32 ~1e-5")
TOLERANCES = {"float64": (1e-10, 1e-10), "float32": (1e-5, 1e-5), "float16": (1e-2, 1e-2)}
LAYOUTS = ("contiguous", "noncontiguous", "permuted", "broadcast")


@dataclass
class Spec:
    """One input: its shape and how to fill it.

    ``kind`` is "float" (random normal scaled to [low, high] when given, follows the dtype under test),
    "int" (integers in [low, high)), "bool", or "fixed" (``value`` used as is, never re-laid-out).
    ``grad`` says whether a float input requires grad.
    """

    shape: tuple = ()
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    grad: bool = True
    dtype: str | None = None          # pin the dtype of this input (otherwise the dtype under test)
    value: Any = None


def spec(x: Any) -> Spec:
    if isinstance(x, Spec):
        return x
    if isinstance(x, tuple):
        return Spec(shape=x)
    return Spec(kind="fixed", value=x, grad=False)


def devices() -> list[str]:
    """Devices the torch side can run on here."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


# conversion ------------------------------------------------------------------------------------------------
def to_torch(t: Any, device: str = "cpu") -> Any:
    """minitorch tensor -> torch tensor (copy), keeping dtype and requires_grad; recurses into tuples."""
    if isinstance(t, minitorch.Tensor):
        out = torch.from_numpy(np.array(t.detach().numpy())).to(device)
        return out.requires_grad_(t.requires_grad) if t.is_leaf else out
    if isinstance(t, (tuple, list)):
        return type(t)(to_torch(x, device) for x in t)
    return t


def to_minitorch(t: Any) -> Any:
    """torch tensor -> minitorch tensor (copy), keeping dtype and requires_grad; recurses into tuples."""
    if isinstance(t, torch.Tensor):
        out = minitorch.from_numpy(np.array(t.detach().cpu().numpy()))
        return out.requires_grad_(t.requires_grad) if t.is_leaf and t.requires_grad else out
    if isinstance(t, (tuple, list)):
        return type(t)(to_minitorch(x) for x in t)
    return t


def to_numpy(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    if isinstance(t, minitorch.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


# input construction --------------------------------------------------------------------------------------------
def _values(s: Spec, dtype: str, rng: np.random.Generator) -> np.ndarray:
    dt = s.dtype or dtype
    if s.kind == "int":
        return rng.integers(s.low if s.low is not None else 0, s.high if s.high is not None else 5, size=s.shape).astype(dt)
    if s.kind == "bool":
        return rng.random(s.shape) < 0.5
    v = rng.standard_normal(s.shape)
    if s.low is not None or s.high is not None:
        lo, hi = (s.low if s.low is not None else -1.0), (s.high if s.high is not None else 1.0)
        v = lo + (hi - lo) * rng.random(s.shape)
    return v.astype(dt)


def _laid_out(fw: Any, arr: np.ndarray, layout: str, requires_grad: bool) -> Any:
    """A leaf tensor of framework ``fw`` holding ``arr`` with the given memory layout."""
    nd = arr.ndim
    if layout == "noncontiguous" and nd >= 1 and arr.size > 1:
        wide = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
        wide[..., ::2] = arr
        strides = [int(np.prod(wide.shape[d + 1:])) for d in range(nd)]
        strides[-1] = 2
        t = fw.from_numpy(wide).as_strided(arr.shape, strides, 0)
    elif layout == "permuted" and nd >= 2:
        rev = tuple(range(nd - 1, -1, -1))
        t = fw.from_numpy(np.ascontiguousarray(arr.transpose(rev))).permute(rev)
    elif layout == "broadcast" and nd >= 1 and arr.shape[0] > 1:
        arr[...] = arr[:1]                       # equal rows, so a stride-0 view can hold them
        t = fw.from_numpy(np.ascontiguousarray(arr[:1])).expand(*arr.shape)
    else:
        t = fw.from_numpy(np.array(arr, order="C"))
    t = t.detach()
    return t.requires_grad_(True) if requires_grad else t


def make_inputs(specs: Sequence[Spec], dtype: str, layout: str, grad: bool, rng: np.random.Generator,
                device: str = "cpu") -> tuple[list, list]:
    """Equal inputs for both frameworks, (minitorch's, torch's), drawn from ``rng`` and laid out as ``layout``;
    float inputs require grad when ``grad`` and their spec allows; "fixed" values pass through unchanged."""
    mt_in, th_in = [], []
    for s in specs:
        if s.kind == "fixed":
            mt_in.append(s.value)
            th_in.append(s.value)
            continue
        arr = _values(s, dtype, rng)
        needs = grad and s.grad and s.kind == "float"
        mt_in.append(_laid_out(minitorch, arr.copy(), layout, needs))
        th = _laid_out(torch, arr.copy(), layout, needs)
        th_in.append(th.detach().to(device).requires_grad_(needs) if device != "cpu" else th)
    return mt_in, th_in


def _layout_applies(layout: str, specs: Sequence[Spec]) -> bool:
    shapes = [s.shape for s in specs if s.kind != "fixed"]
    if layout == "noncontiguous":
        return any(len(sh) >= 1 and int(np.prod(sh)) > 1 for sh in shapes)
    if layout == "permuted":
        return any(len(sh) >= 2 for sh in shapes)
    if layout == "broadcast":
        return any(len(sh) >= 1 and sh[0] > 1 for sh in shapes)
    return True


# comparison ---------------------------------------------------------------------------------------------------
class ParityError(AssertionError):
    pass


def _flatten(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [y for x in out for y in _flatten(x)]
    return [out]


def assert_close(actual: Any, expected: Any, what: str, rtol: float, atol_scale: float,
                 check_dtype: bool = True) -> None:
    """Compares a minitorch result with a torch result (tensors or Python values)."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, minitorch.Tensor):
            raise ParityError(f"{what}: torch gave a Tensor, minitorch gave {type(actual).__name__}")
        if tuple(actual.shape) != tuple(expected.shape):
            raise ParityError(f"{what}: shape {list(actual.shape)} != torch's {list(expected.shape)}")
        if check_dtype and str(actual.dtype).split(".")[-1] != str(expected.dtype).split(".")[-1]:
            raise ParityError(f"{what}: dtype {actual.dtype} != torch's {expected.dtype}")
    a, e = to_numpy(actual), to_numpy(expected)
    if a.dtype == np.bool_ or e.dtype == np.bool_ or a.dtype.kind in "iu":
        bad = np.argwhere(np.asarray(a != e))
        if bad.size:
            idx = tuple(bad[0])
            raise ParityError(f"{what}: {len(bad)} elements differ; first at {list(idx)}: "
                              f"minitorch {a[idx]!r} vs torch {e[idx]!r}")
        return
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    finite = np.isfinite(e64)
    if not np.array_equal(np.isnan(a64), np.isnan(e64)) or not np.array_equal(a64[~finite & ~np.isnan(e64)],
                                                                                e64[~finite & ~np.isnan(e64)]):
        idx = tuple(np.argwhere((np.isnan(a64) != np.isnan(e64)) | (~finite & (a64 != e64)))[0]) if a64.ndim else ()
        raise ParityError(f"{what}: non-finite values differ at {list(idx)}: minitorch {a64[idx]} vs torch {e64[idx]}")
    if not finite.any():
        return
    scale = max(1.0, float(np.abs(e64[finite]).max()))
    diff = np.abs(np.where(finite, a64, 0.0) - np.where(finite, e64, 0.0))      # inf - inf would warn
    err = np.where(finite, diff - (atol_scale * scale + rtol * np.abs(e64)), -np.inf)
    if (err > 0).any():
        idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        raise ParityError(f"{what}: {int((err > 0).sum())} of {err.size} elements differ; worst at {[int(i) for i in idx]}: "
                          f"minitorch {float(a64[idx])!r} vs torch {float(e64[idx])!r} (|diff| {abs(a64[idx] - e64[idx]):.3g}, "
                          f"rtol {rtol}, atol {atol_scale * scale:.3g})")


def run_both(fn: Callable[..., Any], *arrays: Any) -> tuple[Any, Any]:
    """Evaluates ``fn(fw, *tensors)`` with ``fw = minitorch`` and ``fw = torch``, each array made a tensor with
    ``fw.from_numpy`` (of a copy): returns (minitorch's, torch's) result, the exception where one raised (so a test
    can compare failures as well as values)."""
    out = []
    for fw in (minitorch, torch):
        try:
            out.append(fn(fw, *[fw.from_numpy(np.array(a)) for a in arrays]))
        except Exception as e:     # noqa: BLE001 - the caller compares the exceptions
            out.append(e)
    return out[0], out[1]


def assert_same_outcome(mine: Any, theirs: Any, what: str, rtol: float = 0.0, atol_scale: float = 0.0) -> None:
    """Checks a ``run_both`` pair: where torch raised, minitorch raised the same exception type; otherwise
    minitorch returned a result ``assert_close`` to torch's."""
    if isinstance(theirs, Exception):
        if type(mine) is not type(theirs):
            raise ParityError(f"{what}: torch raised {theirs!r}, minitorch gave {mine!r}")
        return
    if isinstance(mine, Exception):
        raise ParityError(f"{what}: minitorch raised {mine!r}, torch gave a result")
    assert_close(mine, theirs, what, rtol, atol_scale)


def gradcheck_inputs(*shapes: tuple, seed: int = 0) -> tuple:
    """Standard-normal float64 minitorch leaves that require grad, one per shape (inputs for ``gradcheck``)."""
    rng = np.random.default_rng(seed)
    return tuple(minitorch.tensor(rng.standard_normal(s), dtype=minitorch.float64, requires_grad=True) for s in shapes)


def assert_raises_like_torch(fn: Callable[..., Any], *arrays: Any, match: str,
                             exc: type[Exception] | None = None) -> tuple[Exception, Exception]:
    """Runs ``fn(fw, *tensors)`` (each array made a tensor with ``fw.from_numpy``) on both frameworks: torch must
    raise (``exc`` if given, its message then matching ``match`` too), and minitorch an instance of torch's exception
    type with a message matching ``match`` (``re.search``). Returns (minitorch's, torch's) exception."""
    mine, theirs = run_both(fn, *arrays)
    if not isinstance(theirs, Exception):
        raise ParityError(f"torch did not raise, gave {theirs!r}")
    if exc is not None and not (isinstance(theirs, exc) and re.search(match, str(theirs))):
        raise ParityError(f"torch raised {theirs!r}, expected {exc.__name__} matching {match!r}")
    if not isinstance(mine, type(theirs)):
        raise ParityError(f"torch raised {theirs!r}, minitorch gave {mine!r}")
    if not re.search(match, str(mine)):
        raise ParityError(f"minitorch's message {str(mine)!r} does not match {match!r} (torch's: {str(theirs)!r})")
    return mine, theirs


@dataclass
class Result:
    """What ``check`` compared (handy in lectures: max differences per case)."""

    cases: list = field(default_factory=list)
    max_value_diff: float = 0.0
    max_grad_diff: float = 0.0


def check(fn: Callable, *input_specs: Any, dtypes: Sequence[str] = ("float32", "float64"),
          layouts: Sequence[str] = LAYOUTS, grad: bool = True, device: str = "cpu", seed: int = 0,
          tol: dict | None = None, check_dtype: bool = True) -> Result:
    """Runs ``fn(fw, *inputs)`` on both frameworks and raises ``ParityError`` on any difference."""
    specs = [spec(s) for s in input_specs]
    tols = {**TOLERANCES, **(tol or {})}
    result = Result()
    for dtype in dtypes:
        rtol, atol = tols[dtype]
        for layout in layouts:
            if layout != "contiguous" and not _layout_applies(layout, specs):
                continue
            where = f"[{dtype}, {layout}, torch on {device}]"
            rng = np.random.default_rng(seed)
            mt_in, th_in = make_inputs(specs, dtype, layout, grad, rng, device)
            mt_out = fn(minitorch, *mt_in)
            th_out = fn(torch, *th_in)
            mt_flat, th_flat = _flatten(mt_out), _flatten(th_out)
            if len(mt_flat) != len(th_flat):
                raise ParityError(f"{where} minitorch returned {len(mt_flat)} outputs, torch {len(th_flat)}")
            for i, (a, e) in enumerate(zip(mt_flat, th_flat)):
                assert_close(a, e, f"{where} output {i}", rtol, atol, check_dtype)
                if isinstance(e, torch.Tensor) and e.is_floating_point():
                    result.max_value_diff = max(result.max_value_diff, max_abs_diff(a, e))
            if grad:
                _check_grads(mt_in, th_in, mt_flat, th_flat, where, rtol, atol, rng, result)
            result.cases.append((dtype, layout))
    return result


def _check_grads(mt_in: list, th_in: list, mt_flat: list, th_flat: list, where: str, rtol: float, atol: float,
                 rng: np.random.Generator, result: Result) -> None:
    wrt = [i for i, t in enumerate(th_in) if isinstance(t, torch.Tensor) and t.requires_grad]
    outs = [i for i, t in enumerate(th_flat) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not wrt or not outs:
        return
    for i in outs:
        if not (isinstance(mt_flat[i], minitorch.Tensor) and mt_flat[i].requires_grad):
            raise ParityError(f"{where} output {i} requires grad in torch but not in minitorch")
    cots = [rng.standard_normal(tuple(th_flat[i].shape)).astype(to_numpy(th_flat[i]).dtype) for i in outs]
    th_grads = torch.autograd.grad([th_flat[i] for i in outs], [th_in[i] for i in wrt],
                                   [torch.from_numpy(c).to(th_flat[i].device) for c, i in zip(cots, outs)],
                                   allow_unused=True)
    mt_grads = minitorch.autograd.grad([mt_flat[i] for i in outs], [mt_in[i] for i in wrt],
                                       [minitorch.from_numpy(c.copy()) for c in cots], allow_unused=True)
    for k, (a, e) in enumerate(zip(mt_grads, th_grads)):
        what = f"{where} gradient of input {wrt[k]}"
        if e is None or a is None:
            if (e is None) != (a is None) and not _is_zero(a if e is None else e):
                raise ParityError(f"{what}: torch gave {'None' if e is None else 'a gradient'}, minitorch "
                                  f"{'None' if a is None else 'a gradient'}")
            continue
        assert_close(a, e, what, rtol, atol)
        result.max_grad_diff = max(result.max_grad_diff, max_abs_diff(a, e))


def max_abs_diff(a: Any, e: Any) -> float:
    """Largest |a - e| over the elements where both are finite (0 for empty tensors)."""
    a64, e64 = to_numpy(a).astype(np.float64), to_numpy(e).astype(np.float64)
    both = np.isfinite(a64) & np.isfinite(e64)
    return float(np.max(np.abs(a64[both] - e64[both]), initial=0.0))


def _is_zero(t: Any) -> bool:
    return bool(np.all(to_numpy(t) == 0))

"""The lecture runtime: runs each experiment on minitorch and on PyTorch side by side, and records it.

A lecture script calls ``lec = lecture(__file__)`` first and ``lec.finish()`` last. In between,
``lec.compare(name, fn, inputs=...)`` runs ``fn(fw, *tensors)`` with ``fw = minitorch`` and ``fw = torch``
on identical inputs and records a row of the side-by-side table (max value difference, max gradient
difference, time on each); ``lec.check`` records any other agreement check; ``lec.figure`` saves a
matplotlib figure; ``lec.qa`` records an interview question, its answer and (optionally) a behaviour
checked on both frameworks. ``finish`` prints the table and writes ``<out>/lNN/result.json``, which the
tour turns into the HTML report.

Settings come from the runner (``python -m lectures``) through environment variables, or from the
script's own command line: ``--full`` (the long version) and ``--out DIR`` (default ``./out``).
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

import minitorch

FULL_ENV, OUT_ENV = "MINITORCH_LECTURE_FULL", "MINITORCH_LECTURE_OUT"


def _settings(argv: Sequence[str]) -> tuple[bool, Path]:
    full = os.environ.get(FULL_ENV) == "1" or "--full" in argv
    out = os.environ.get(OUT_ENV)
    if "--out" in argv and argv.index("--out") + 1 < len(argv):
        out = argv[argv.index("--out") + 1]
    return full, Path(out or "out").resolve()


def _frameworks() -> list:
    import torch      # the lectures compare against real PyTorch (installed with the `lectures` extra)
    return [minitorch, torch]


@dataclass
class Row:
    name: str
    value_diff: float
    grad_diff: float | None
    seconds: dict
    passed: bool
    detail: str = ""


@dataclass
class Lecture:
    """One lecture's run: settings, and everything it records for the table and the report."""

    number: str
    slug: str
    title: str
    teaches: str
    quick: bool
    out_dir: Path
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    blocks: list = field(default_factory=list)         # sections, notes and Q&A, in lecture order
    started: float = field(default_factory=time.perf_counter)

    # ---------------------------------------------------------------------------------------------------
    def section(self, title: str, text: str = "") -> None:
        print(f"\n## {title}\n{text}".rstrip())
        self.blocks.append({"kind": "section", "title": title, "text": text})

    def note(self, text: str) -> None:
        print(text)
        self.blocks.append({"kind": "note", "text": text})

    def compare(self, name: str, fn: Callable, inputs: Sequence[np.ndarray] = (), grad: bool = False,
                tol: float = 1e-5) -> tuple:
        """Runs ``fn(fw, *inputs_as_fw_tensors)`` on both frameworks; returns (minitorch result, torch result).

        Values (tensors, dtypes, numbers, strings, nested tuples/lists) must agree within ``tol`` relative to
        their scale; with ``grad=True`` so must the gradients of the summed float outputs w.r.t. the inputs.
        """
        results, grads, seconds = [], [], {}
        for fw in _frameworks():
            tensors = [fw.tensor(np.array(x), requires_grad=grad and np.asarray(x).dtype.kind == "f") for x in inputs]
            start = time.perf_counter()
            out = fn(fw, *tensors)
            g = _gradients(fw, out, tensors) if grad else None
            seconds[fw.__name__] = time.perf_counter() - start
            results.append(out)
            grads.append(g)
        try:
            value_diff = _max_diff(_flatten(results[0]), _flatten(results[1]))
            grad_diff = _max_diff(grads[0], grads[1]) if grad else None
            passed = value_diff <= tol and (grad_diff is None or grad_diff <= tol)
            detail = ""
        except _Mismatch as e:
            value_diff, grad_diff, passed, detail = float("inf"), None, False, str(e)
        self.rows.append(Row(name, value_diff, grad_diff, seconds, passed, detail))
        self.checks.append({"name": name, "passed": passed, "detail": detail or f"max diff {value_diff:.2e}"})
        return results[0], results[1]

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Records an agreement check (e.g. both frameworks raise the same error)."""
        self.checks.append({"name": name, "passed": bool(ok), "detail": detail})
        print(f"[{'ok' if ok else 'FAIL'}] {name}" + (f": {detail}" if detail else ""))
        return bool(ok)

    def figure(self, fig: Any, name: str, caption: str = "") -> Path:
        """Saves a matplotlib figure as ``<out>/lNN/<name>.png`` and shows it in the report."""
        path = self.out_dir / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=90, bbox_inches="tight")
        import matplotlib.pyplot as plt
        plt.close(fig)
        self.figures.append({"file": path.name, "caption": caption or name})
        self.blocks.append({"kind": "figure", "file": path.name, "caption": caption or name})
        print(f"(figure saved: {path})")
        return path

    def progress(self, iterable: Iterable, desc: str, total: int | None = None) -> Iterable:
        """A progress bar (rate and ETA) around a long loop."""
        from tqdm.auto import tqdm
        return tqdm(iterable, desc=desc, total=total, leave=False, mininterval=0.5)

    def qa(self, question: str, answer: str, check: Callable[[Any], bool] | None = None) -> None:
        """An interview question; ``check(fw)`` (if given) must hold on both frameworks."""
        verdict = None
        if check is not None:
            wrong = [fw.__name__ for fw in _frameworks() if not bool(check(fw))]
            verdict = not wrong
            self.checks.append({"name": f"Q: {question}", "passed": verdict,
                                "detail": "answer checked on both" if verdict else f"does not hold on {', '.join(wrong)}"})
        self.blocks.append({"kind": "qa", "question": question, "answer": answer, "checked": verdict})
        print(f"\nQ: {question}\nA: {answer}" + ("" if verdict is None else f"  [{'checked' if verdict else 'FAIL'}]"))

    # ---------------------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Prints the side-by-side table and summary, writes result.json; exits 1 when a check failed."""
        seconds = time.perf_counter() - self.started
        print("\n" + format_table(self.rows))
        failed = [c["name"] for c in self.checks if not c["passed"]]
        print(f"\nlecture {self.number}: {len(self.checks) - len(failed)}/{len(self.checks)} checks passed "
              f"in {seconds:.1f} s ({'quick' if self.quick else 'full'} mode)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        result = {"number": self.number, "slug": self.slug, "title": self.title, "teaches": self.teaches,
                  "quick": self.quick, "seconds": seconds, "passed": not failed, "checks": self.checks,
                  "rows": [r.__dict__ for r in self.rows], "blocks": self.blocks}
        (self.out_dir / "result.json").write_text(json.dumps(result, indent=1, default=float))
        if failed:
            print("failed checks: " + "; ".join(failed), file=sys.stderr)
            raise SystemExit(1)


def vision(fw: Any) -> Any:
    """The vision library of a framework: ``minitorch.vision`` for minitorch, ``torchvision`` for torch."""
    return importlib.import_module("minitorch.vision" if fw is minitorch else "torchvision")


def lecture(file_or_number: str) -> Lecture:
    """The ``Lecture`` of script ``lNN_slug.py`` given by path (``__file__``) or number (``"02"``, which also
    works in a notebook, where ``__file__`` is undefined), with the run's settings."""
    import matplotlib
    matplotlib.use("Agg")
    path = Path(file_or_number)
    if path.suffix != ".py":
        path = next(Path(__file__).resolve().parent.glob(f"l{str(file_or_number).zfill(2)}_*.py"))
    m = re.match(r"l(\d\d)_(\w+)$", path.stem)
    if not m:
        raise ValueError(f"lecture files are named lNN_slug.py, got {path.name}")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = (ast.get_docstring(tree) or path.stem).strip().splitlines()[0]
    teaches = next((n.value.value for n in tree.body if isinstance(n, ast.Assign) and
                    any(getattr(t, "id", "") == "TEACHES" for t in n.targets) and isinstance(n.value, ast.Constant)), "")
    full, out = _settings(sys.argv)
    print(f"# Lecture {m.group(1)}: {doc}  ({'full' if full else 'quick'} mode)")
    return Lecture(m.group(1), m.group(2), doc, teaches, not full, out / f"l{m.group(1)}")


def format_table(rows: Sequence[Row]) -> str:
    """The side-by-side table: max differences and time per framework."""
    head = f"{'experiment':<34}{'max |value diff|':>17}{'max |grad diff|':>16}{'minitorch ms':>13}{'torch ms':>10}  ok"
    lines = [head, "-" * len(head)]
    for r in rows:
        g = "-" if r.grad_diff is None else f"{r.grad_diff:.2e}"
        lines.append(f"{r.name[:33]:<34}{r.value_diff:>17.2e}{g:>16}{r.seconds.get('minitorch', 0) * 1e3:>13.2f}"
                     f"{r.seconds.get('torch', 0) * 1e3:>10.2f}  {'yes' if r.passed else 'NO'}")
    return "\n".join(lines)


# comparison of arbitrary results -----------------------------------------------------------------------------
class _Mismatch(Exception):
    pass


def _flatten(x: Any) -> list:
    """Tensors -> float64/bool arrays, dtypes -> their names, sequences recursively, scalars as they are."""
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        arr = x.detach().cpu().numpy() if hasattr(x, "cpu") else x.detach().numpy()
        return [("array", tuple(arr.shape), str(arr.dtype), arr)]
    if type(x).__name__ == "dtype" or type(x).__name__ == "device":
        return [("name", str(x).split(".")[-1])]
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _flatten(item)]
    if isinstance(x, (bool, np.bool_, str)) or x is None:
        return [("exact", x)]
    if isinstance(x, (int, float, np.number)):
        return [("number", float(x))]
    return [("exact", repr(x))]


def _max_diff(a: list | None, b: list | None) -> float:
    if a is None or b is None:
        raise _Mismatch("a gradient is missing on one side")
    if len(a) != len(b):
        raise _Mismatch(f"minitorch gave {len(a)} values, torch {len(b)}")
    worst = 0.0
    for x, y in zip(a, b):
        if x[0] != y[0]:
            raise _Mismatch(f"kinds differ: {x[0]} vs {y[0]}")
        if x[0] == "array":
            if x[1] != y[1] or x[2] != y[2]:
                raise _Mismatch(f"shape/dtype {x[1]} {x[2]} vs torch {y[1]} {y[2]}")
            if x[3].size:
                xa, ya = x[3].astype(np.float64), y[3].astype(np.float64)
                if not np.array_equal(np.isnan(xa), np.isnan(ya)):
                    raise _Mismatch("nan positions differ")
                finite = np.isfinite(ya)
                if not np.array_equal(xa[~finite & ~np.isnan(ya)], ya[~finite & ~np.isnan(ya)]):
                    raise _Mismatch("infinite values differ")
                if finite.any():
                    scale = max(1.0, float(np.abs(ya[finite]).max()))
                    worst = max(worst, float(np.abs(xa[finite] - ya[finite]).max()) / scale)
        elif x[0] == "number":
            worst = max(worst, abs(x[1] - y[1]) / max(1.0, abs(y[1])))
        elif x[1] != y[1]:
            raise _Mismatch(f"{x[1]!r} vs torch {y[1]!r}")
    return worst


def _gradients(fw: Any, out: Any, tensors: list) -> list | None:
    wrt = [t for t in tensors if t.requires_grad]
    outs = [o for o in (out if isinstance(out, (tuple, list)) else [out])
            if hasattr(o, "requires_grad") and o.requires_grad]
    if not wrt or not outs:
        return []
    total = sum(o.sum() for o in outs)
    grads = fw.autograd.grad(total, wrt, allow_unused=True)
    return [y for g, t in zip(grads, wrt) for y in _flatten(g if g is not None else fw.zeros_like(t))]

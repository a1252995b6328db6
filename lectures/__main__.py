"""The lecture runner: ``python -m lectures [--list | NN [--full] | --tour] [--out DIR]``.

* no argument or ``--list``: the lectures, with their titles and what each teaches;
* ``NN``: runs lecture NN in quick mode (``--full``: its long version);
* ``--tour``: runs every lecture in quick mode and writes the HTML report to ``<out>/index.html``.

Each lecture runs in its own process (a lecture may change global settings such as the default dtype);
the output folder defaults to ``./out``. Unknown numbers or options print the error and the list and
exit with status 2.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .report import write_report
from .runtime import FULL_ENV, OUT_ENV

HERE = Path(__file__).resolve().parent


def discover() -> dict[str, Path]:
    """Lecture scripts by two-digit number, in order."""
    return {p.name[1:3]: p for p in sorted(HERE.glob("l[0-9][0-9]_*.py"))}


def describe(path: Path) -> tuple[str, str]:
    """(title, what it teaches), read from the script without running it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = (ast.get_docstring(tree) or "(no docstring)").strip().splitlines()[0]
    teaches = next((n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                    and any(getattr(t, "id", "") == "TEACHES" for t in n.targets)), "")
    return doc, teaches


def print_list(lectures: dict[str, Path], file=sys.stdout) -> None:
    if not lectures:
        print("No lectures exist yet (expected lectures/lNN_<slug>.py).", file=file)
    for number, path in lectures.items():
        title, teaches = describe(path)
        print(f"  {number}  {title}\n      teaches: {teaches}", file=file)


def run(path: Path, full: bool, out: Path) -> int:
    """Runs one lecture in a fresh Python process; returns its exit status."""
    env = {**os.environ, FULL_ENV: "1" if full else "0", OUT_ENV: str(out)}
    root = str(HERE.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.call([sys.executable, "-m", f"lectures.{path.stem}"], env=env, cwd=os.getcwd())


def record_wall_time(result: Path, seconds: float) -> None:
    """Adds the lecture's whole run time (process start and imports included) to its result file."""
    if result.exists():
        data = json.loads(result.read_text())
        data["wall_seconds"] = seconds
        result.write_text(json.dumps(data, indent=1))


def tour(lectures: dict[str, Path], out: Path, full: bool) -> int:
    failed = []
    for number, path in lectures.items():
        print(f"\n=== lecture {number}: {describe(path)[0]} ===", flush=True)
        start = time.perf_counter()
        if run(path, full, out) != 0:
            failed.append(number)
        wall = time.perf_counter() - start
        record_wall_time(out / f"l{number}" / "result.json", wall)
        print(f"=== lecture {number} done in {wall:.1f} s ===", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    report = write_report(out)
    print(f"\ntour: {len(lectures) - len(failed)}/{len(lectures)} lectures agree"
          + (f"; failed: {', '.join(failed)}" if failed else "") + f"\nreport: {report}")
    return 1 if failed else 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:     # an unknown option: the error, then the list, exit 2
        print(f"python -m lectures: {message}", file=sys.stderr)
        print_list(discover(), file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m lectures", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("number", nargs="?", help="two-digit lecture number to run")
    parser.add_argument("--list", action="store_true", help="list the lectures (the default)")
    parser.add_argument("--tour", action="store_true", help="run every lecture (quick mode) and write the report")
    parser.add_argument("--full", action="store_true", help="run the long version")
    parser.add_argument("--out", default=os.environ.get(OUT_ENV, "out"),
                        help=f"output folder (default ${OUT_ENV}, else ./out)")
    args = parser.parse_args(argv)
    lectures, out = discover(), Path(args.out).resolve()
    if args.tour:
        return tour(lectures, out, args.full)
    if args.number is None or args.list:
        print_list(lectures)
        return 0
    number = args.number.zfill(2)
    if number not in lectures:
        print(f"python -m lectures: no lecture numbered {args.number}", file=sys.stderr)
        print_list(lectures, file=sys.stderr)
        return 2
    return run(lectures[number], args.full, out)


if __name__ == "__main__":
    sys.exit(main())

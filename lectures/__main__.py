"""Minimal lecture runner: ``python -m lectures [NN | --tour | --list]``.

Lists the lecture scripts ``lectures/lNN_<slug>.py`` (title: the first line of each module's
docstring), runs one by number, or runs all of them in order (the tour). A placeholder until the
full lecture system exists.
"""
from __future__ import annotations

import ast
import runpy
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
USAGE = "usage: python -m lectures [--list | NN | --tour]"


def discover() -> dict[str, Path]:
    """Lecture scripts by two-digit number, in order."""
    return {p.name[1:3]: p for p in sorted(HERE.glob("l[0-9][0-9]_*.py"))}


def title(path: Path) -> str:
    """First line of the script's module docstring, read without importing it."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    return doc.strip().splitlines()[0] if doc and doc.strip() else "(no docstring)"


def print_list(lectures: dict[str, Path], file=sys.stdout) -> None:
    if not lectures:
        print("No lectures exist yet (expected lectures/lNN_<slug>.py).", file=file)
        return
    for number, path in lectures.items():
        print(f"  {number}  {path.stem[4:]:<28} {title(path)}", file=file)


def run(path: Path) -> None:
    """Run one lecture as ``__main__`` (as a module of this package, so its imports work)."""
    runpy.run_module(f"{__package__ or 'lectures'}.{path.stem}", run_name="__main__", alter_sys=True)


def tour(lectures: dict[str, Path]) -> int:
    if not lectures:
        print_list(lectures)
        return 0
    failed = []
    for number, path in lectures.items():
        print(f"=== lecture {number}: {title(path)} ===", flush=True)
        try:
            run(path)
        except SystemExit as e:
            if e.code not in (None, 0):
                failed.append(number)
        except Exception:
            traceback.print_exc()
            failed.append(number)
    print(f"tour: {len(lectures) - len(failed)}/{len(lectures)} lectures ran"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    lectures = discover()
    if args in ([], ["--list"]):
        print_list(lectures)
        return 0
    if args in (["-h"], ["--help"]):
        print(USAGE)
        print_list(lectures)
        return 0
    if args == ["--tour"]:
        return tour(lectures)
    if len(args) == 1 and args[0].isdigit() and f"{int(args[0]):02d}" in lectures:
        run(lectures[f"{int(args[0]):02d}"])
        return 0
    what = "no lecture numbered" if len(args) == 1 and args[0].isdigit() else "unknown arguments:"
    print(f"python -m lectures: {what} {' '.join(args)}\n{USAGE}", file=sys.stderr)
    print_list(lectures, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""``python -m lectures``: listing, running one, and its errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lectures.__main__ import describe, discover

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lectures", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_lectures_01_to_03_exist_with_title_and_what_they_teach():
    lectures = discover()
    assert {"01", "02", "03"} <= set(lectures)
    for path in lectures.values():
        title, teaches = describe(path)
        assert title and title != "(no docstring)" and teaches, path.name


def test_list_shows_every_lecture_with_title_and_teaches():
    done = _run()
    assert done.returncode == 0
    for number, path in discover().items():
        title, teaches = describe(path)
        assert f"{number}  {title}" in done.stdout and teaches in done.stdout


def test_unknown_number_and_option_give_error_list_and_status_2():
    for args, message in ((("77",), "no lecture numbered 77"), (("--bogus",), "unrecognized arguments: --bogus")):
        done = _run(*args)
        assert done.returncode == 2, args
        assert message in done.stderr and "01  " in done.stderr


def test_lectures_are_cell_formatted_scripts():
    for path in discover().values():
        text = path.read_text()
        assert text.count("# %%") >= 5, f"{path.name} is not written in '# %%' cells"
        assert "lec.finish()" in text.splitlines()[-1] or text.rstrip().endswith("lec.finish()")

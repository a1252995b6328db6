"""The quick tour: every lecture runs, both frameworks agree, and each lecture has what the course promises."""
from __future__ import annotations

import json

from lectures.__main__ import discover

QUICK_SECONDS = 15.0


def test_tour_exits_zero_and_every_lecture_agrees(tour):
    done, out = tour
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for number in discover():
        result = json.loads((out / f"l{number}" / "result.json").read_text())
        failed = [c["name"] + ": " + c.get("detail", "") for c in result["checks"] if not c["passed"]]
        assert not failed, f"lecture {number}: frameworks disagree: {failed}"
        assert result["rows"], f"lecture {number} compared nothing side by side"


def test_each_lecture_is_quick_and_complete(tour):
    _, out = tour
    for number in discover():
        result = json.loads((out / f"l{number}" / "result.json").read_text())
        seconds = result["wall_seconds"]          # the whole run: process start, imports and the lecture
        assert result["quick"] and seconds < QUICK_SECONDS, f"lecture {number} took {seconds:.1f} s"
        titles = [b["title"].lower() for b in result["blocks"] if b["kind"] == "section"]
        assert any("deep dive" in t for t in titles), f"lecture {number} has no deep-dive section"
        questions = [b for b in result["blocks"] if b["kind"] == "qa"]
        assert len(questions) >= 10, f"lecture {number} has {len(questions)} interview questions"
        assert any(q["checked"] for q in questions), f"lecture {number}: no answer is checked on both frameworks"
        assert any(b["kind"] == "figure" for b in result["blocks"]), f"lecture {number} saved no figure"


def test_report_has_a_section_per_lecture_with_images_that_exist(tour):
    _, out = tour
    page = (out / "index.html").read_text()
    for number in discover():
        assert f'id="l{number}"' in page
        result = json.loads((out / f"l{number}" / "result.json").read_text())
        for block in result["blocks"]:
            if block["kind"] == "figure":
                assert (out / f"l{number}" / block["file"]).stat().st_size > 0
                assert f'src="l{number}/{block["file"]}"' in page

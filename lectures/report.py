"""The tour's report: one self-contained HTML page (``<out>/index.html``) with, for each lecture, its title,
what it teaches, the side-by-side table, the figures, the interview questions, and the pass/fail of every
agreement check. Figures are referenced by relative path, so the page opens from disk with no server.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
section.lecture{border-top:2px solid #ccc;margin-top:2em}table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.pass{color:#17702a;font-weight:bold}.fail{color:#b00020;font-weight:bold}img{max-width:100%;border:1px solid #eee}
figure{display:inline-block;margin:.5em;max-width:48%}dt{font-weight:bold;margin-top:.6em}
p.note{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85em}"""

# sets data-images-loaded / data-images-total on <body> once the page has loaded (read by the browser test)
IMAGE_PROBE = """<script>window.addEventListener('load',()=>{const i=[...document.images];
document.body.dataset.imagesTotal=i.length;
document.body.dataset.imagesLoaded=i.filter(x=>x.complete&&x.naturalWidth>0).length;});</script>"""


def load_results(out_dir: Path) -> list[dict]:
    """Every lecture result written under ``out_dir`` (``lNN/result.json``), in lecture order."""
    return [json.loads(p.read_text()) for p in sorted(out_dir.glob("l[0-9][0-9]/result.json"))]


def _table(rows: list[dict]) -> str:
    head = ("<tr><th>experiment</th><th>max |value diff|</th><th>max |grad diff|</th><th>minitorch ms</th>"
            "<th>torch ms</th><th>agree</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(r['name'])}</td><td>{r['value_diff']:.2e}</td>"
        f"<td>{'-' if r['grad_diff'] is None else format(r['grad_diff'], '.2e')}</td>"
        f"<td>{r['seconds'].get('minitorch', 0) * 1e3:.2f}</td><td>{r['seconds'].get('torch', 0) * 1e3:.2f}</td>"
        f"<td class=\"{'pass' if r['passed'] else 'fail'}\">{'pass' if r['passed'] else 'FAIL'}</td></tr>"
        for r in rows)
    return f"<table>{head}{body}</table>"


def _block(b: dict, folder: str) -> str:
    if b["kind"] == "section":
        return f"<h3>{html.escape(b['title'])}</h3><p>{html.escape(b['text'])}</p>"
    if b["kind"] == "note":
        return f"<p class=\"note\">{html.escape(b['text'])}</p>"
    if b["kind"] == "figure":
        cap = html.escape(b["caption"])
        return f'<figure><img src="{folder}/{b["file"]}" alt="{cap}"><figcaption>{cap}</figcaption></figure>'
    mark = "" if b["checked"] is None else (' <span class="pass">[checked on both]</span>' if b["checked"]
                                            else ' <span class="fail">[check FAILED]</span>')
    return f"<dl><dt>Q: {html.escape(b['question'])}</dt><dd>{html.escape(b['answer'])}{mark}</dd></dl>"


def lecture_html(r: dict) -> str:
    folder = f"l{r['number']}"
    failed = [c for c in r["checks"] if not c["passed"]]
    checks = "".join(f"<li class=\"{'pass' if c['passed'] else 'fail'}\">{'pass' if c['passed'] else 'FAIL'}: "
                     f"{html.escape(c['name'])} <small>{html.escape(c.get('detail', ''))}</small></li>"
                     for c in r["checks"])
    return (f'<section class="lecture" id="{folder}"><h2>{r["number"]}. {html.escape(r["title"])}</h2>'
            f"<p><em>{html.escape(r['teaches'])}</em></p>"
            f"<p class=\"{'fail' if failed else 'pass'}\">{len(r['checks']) - len(failed)}/{len(r['checks'])} "
            f"agreement checks passed ({r['seconds']:.1f} s, {'quick' if r['quick'] else 'full'} mode)</p>"
            f"<h3>minitorch vs torch</h3>{_table(r['rows'])}"
            + "".join(_block(b, folder) for b in r["blocks"])
            + f"<details><summary>all agreement checks</summary><ul>{checks}</ul></details></section>")


def write_report(out_dir: Path) -> Path:
    """Writes ``<out_dir>/index.html`` from the lecture results found there; returns its path."""
    results = load_results(out_dir)
    toc = "".join(f'<li><a href="#l{r["number"]}">{r["number"]}. {html.escape(r["title"])}</a> '
                  f"<span class=\"{'pass' if r['passed'] else 'fail'}\">{'pass' if r['passed'] else 'FAIL'}</span></li>"
                  for r in results)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>minitorch lectures</title>"
            f"<style>{STYLE}</style></head><body><h1>minitorch vs PyTorch: the lecture tour</h1><ol>{toc}</ol>"
            + "".join(lecture_html(r) for r in results) + IMAGE_PROBE + "</body></html>")
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path

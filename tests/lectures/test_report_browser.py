"""The tour's report renders in a real browser (headless Chromium), opened from disk with no server."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from lectures.__main__ import discover


def _chromium() -> str:
    """Debian's Chromium, installed here when missing (as root, through apt); else the test is skipped."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and this user cannot install it with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium ({' '.join(cmd)}): {done.stderr.strip()[-300:]}")
    return shutil.which("chromium") or pytest.skip("apt-get installed chromium but it is not on PATH")


def test_report_sections_and_images_render_in_headless_chromium(tour, tmp_path):
    _, out = tour
    browser = _chromium()
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                           (out / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert "<body" in dom, done.stderr[-2000:]
    total = re.search(r'data-images-total="(\d+)"', dom)
    loaded = re.search(r'data-images-loaded="(\d+)"', dom)
    assert total and loaded, "the page's load handler did not run"
    assert int(total.group(1)) > 0 and loaded.group(1) == total.group(1), (loaded.group(1), total.group(1))
    for number in discover():
        assert re.search(rf'<section class="lecture" id="l{number}">', dom), f"lecture {number} missing"

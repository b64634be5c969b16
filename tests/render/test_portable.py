"""Drawings that work on another machine: an SVG carries its icons and a DOT file names no path of this one."""

from __future__ import annotations

import base64
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.render.test_gallery import chromium, decode_png
from vpcdraw.render import render
from vpcdraw.render.icons import DRAW_BY_HAND

REPO = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLINK = "{http://www.w3.org/1999/xlink}href"
SVG = "{http://www.w3.org/2000/svg}"


def _machine_paths() -> list[str]:
    """Strings that name this machine's files: the repository, the Python environment and its packages."""
    return [str(REPO), sys.prefix, str(Path(sys.prefix).resolve()), "site-packages", "file://", "/resources/"]


def _assert_names_no_machine_path(text: str) -> None:
    for path in _machine_paths():
        assert path not in text, path


def test_svg_embeds_every_icon_and_names_no_path_of_this_machine(assignment, tmp_path):
    svg = render(assignment, tmp_path / "assignment.svg", my_ip="203.0.113.10/32").path.read_text("utf-8")
    _assert_names_no_machine_path(svg)
    images = ET.fromstring(svg).iter(f"{SVG}image")  # still valid XML after the icons went in
    hrefs = [image.get(XLINK, "") for image in images]
    assert len(hrefs) >= 10  # the internet, the gateway, the admin, route tables and subnets
    for href in hrefs:
        media, _, data = href.partition(",")
        assert media == "data:image/png;base64", href[:80]
        assert base64.b64decode(data, validate=True)[:8] == PNG_SIGNATURE


def _screenshot(browser: str, page: Path, out: Path) -> tuple[int, int, list[bytes]]:
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={out}", "--window-size=1400,1000", page.as_uri()],
                   capture_output=True, timeout=60, check=True)
    width, height, _, rows = decode_png(out.read_bytes())
    return width, height, rows


def test_a_copied_svg_shows_its_icons_in_chromium(assignment, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no headless Chromium on PATH (chromium or chromium-headless-shell)")
    drawn = render(assignment, tmp_path / "drawn" / "assignment.svg", my_ip="203.0.113.10/32").path
    posted = tmp_path / "elsewhere" / "assignment.svg"  # as a student's post is opened: away from any icon file
    posted.parent.mkdir()
    shutil.copy(drawn, posted)
    iconless = posted.with_name("iconless.svg")
    iconless.write_text(re.sub(r"<image\b[^>]*/>", "", posted.read_text("utf-8")), encoding="utf-8")

    width, height, rows = _screenshot(browser, posted, tmp_path / "posted.png")
    assert (width, height) == (1400, 1000)
    sample = [b for row in rows[::9] for b in row[::7]]
    assert statistics.pvariance(sample) > 100 and len(set(sample)) > 50, "the screenshot is blank"
    _, _, bare = _screenshot(browser, iconless, tmp_path / "iconless.png")
    changed = sum(a != b for row, other in zip(rows, bare, strict=True) for a, b in zip(row, other, strict=True))
    assert changed > 20_000, "the icons did not show"  # each of the ten icons is thousands of pixel bytes


def test_dot_file_names_icons_relative_to_diagrams_resources(assignment, tmp_path):
    dot = render(assignment, tmp_path / "assignment.dot").path.read_text("utf-8")
    _assert_names_no_machine_path(dot)
    icons = set(re.findall(r'(?:image|SRC)="([^"]+)"', dot))
    assert "aws/network/internet-gateway.png" in icons and "aws/network/vpc-router.png" in icons
    assert all(not name.startswith("/") for name in icons), icons
    assert DRAW_BY_HAND in dot.split("graph [", 1)[0]  # the top says where the icons are resolved from


def test_the_dot_files_own_command_draws_it_with_icons_from_another_directory(assignment, tmp_path):
    dot = render(assignment, tmp_path / "drawing" / "assignment.dot", my_ip="203.0.113.10/32").path
    png = render(assignment, tmp_path / "drawing" / "assignment.png", my_ip="203.0.113.10/32").path
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the command the file's comment gives, with this environment's Python as the reader's `python3`
    command = (DRAW_BY_HAND.replace("python3", shlex.quote(sys.executable))
               .replace("FILE.dot", shlex.quote(str(dot))).replace("FILE.png", "by-hand.png"))
    done = subprocess.run(command, shell=True, cwd=elsewhere, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "No such file" not in done.stderr and "improper image" not in done.stderr, done.stderr
    assert (elsewhere / "by-hand.png").read_bytes() == png.read_bytes()  # the very picture vpcdraw draws


"""The class gallery: escaped, self-contained, sorted; and (from tests/deploy/test_roster.py) shown by Chromium.

The Chromium helpers live here: `chromium()` finds Debian's browser, `chromium_check` loads a gallery in it twice
(the DOM as parsed, and a screenshot on a laptop-sized window) and checks that the cards really rendered.
"""

from __future__ import annotations

import shutil
import statistics
import struct
import subprocess
import zlib
from pathlib import Path

from vpcdraw.render.gallery import Card, gallery
from vpcdraw.topology.analysis.grade import Item

BROWSERS = ("chromium", "chromium-headless-shell", "chromium-browser")
WINDOW = (1366, 900)  # a laptop screen
BORDER = {"pass": (0x2E, 0x7D, 0x32), "fail": (0xE6, 0xA7, 0x00), "error": (0xC6, 0x28, 0x28)}  # the CSS's colours


def encode_png(width: int, rows: list[tuple[int, bytes]]) -> bytes:
    """A small 8-bit RGB PNG of already-filtered rows (filter type, bytes): to test the decoder against."""
    def chunk(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(bytes([kind]) + row for kind, row in rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = encode_png(1, [(0, b"\x10\x20\x30")])


def _card(student: str, **fields: object) -> Card:
    return Card(student, **fields)  # type: ignore[arg-type]


def test_everything_from_an_account_is_escaped():
    nasty = '<script>alert("x")</script> & "q"'
    item = Item("private-3306", "3306 <b>허용</b>", "allow 3306 <i>", False, f"group {nasty}")
    page = gallery([Card(nasty, account="1", vpc=f"vpc-1 ({nasty})", score=(0, 1), failed=(item,), error=nasty)], nasty)
    assert "<script" not in page and "<b>" not in page and "<i>" not in page
    shown = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;q&quot;"
    assert page.count(shown) == 7  # the title, heading, card's attribute and name, VPC, error and evidence


def test_cards_are_sorted_by_student_and_say_what_failed_in_both_languages():
    failed = Item("public-subnets", "퍼블릭 서브넷은 두 AZ에", "public subnets in two AZs", False, "both in 2a")
    page = gallery([_card("park", score=(10, 11), failed=(failed,)), _card("김민준", score=(11, 11)),
                    _card("choi", error="DescribeVpcs failed: UnauthorizedOperation: no")], "week1")
    assert [page.index(f'data-student="{s}"') for s in ("choi", "park", "김민준")] == sorted(
        page.index(f'data-student="{s}"') for s in ("choi", "park", "김민준"))
    assert "퍼블릭 서브넷은 두 AZ에" in page and "public subnets in two AZs" in page and "both in 2a" in page
    assert "3 students: 1 passed everything, 1 failed something, 1 could not be graded" in page
    assert 'class="card error"' in page and "UnauthorizedOperation" in page


def test_the_page_is_self_contained():
    page = gallery([_card("kim", score=(1, 1), drawing=PNG)], "week1")
    assert '<img alt="kim: graded drawing" src="data:image/png;base64,iVBORw0KGgo' in page
    assert "http" not in page.replace('name="viewport"', "") and "<link" not in page and "<script" not in page
    assert "display: grid" in page and 'charset="utf-8"' in page


def chromium() -> str | None:
    """The headless Chromium to test with (Debian's chromium or chromium-headless-shell), None when absent."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def chromium_check(browser: str, page: Path, screenshot: Path, *, cards: int, verdicts: dict[str, int]) -> None:
    """Load `page` in Chromium: the parsed DOM has `cards` cards, and a screenshot of a laptop-sized window is not
    blank and shows each card's coloured top border (`verdicts`: how many of each colour)."""
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    assert dom.count('<section class="card ') == cards, dom[:2000]
    # taller than the screen so that every row of cards is in the picture; as wide as a laptop's
    subprocess.run([*common, f"--screenshot={screenshot}", f"--window-size={WINDOW[0]},{WINDOW[1] * 2}",
                    page.as_uri()], capture_output=True, timeout=60, check=True)
    width, height, channels, rows = decode_png(screenshot.read_bytes())
    assert (width, height) == (WINDOW[0], WINDOW[1] * 2)
    sample = [b for row in rows[::9] for b in row[::7]]
    assert statistics.pvariance(sample) > 100 and len(set(sample)) > 50, "the screenshot is blank"
    assert {v: bars(rows, channels, colour) for v, colour in BORDER.items()} == {
        v: verdicts.get(v, 0) for v in BORDER}


def bars(rows: list[bytes], channels: int, colour: tuple[int, int, int], shortest: int = 200) -> int:
    """How many separate horizontal bars of exactly `colour`, at least `shortest` pixels long, the image shows."""
    pixel = bytes(colour) if channels == 3 else bytes((*colour, 255))
    count, above = 0, set()
    for row in rows:
        here, start = set(), row.find(pixel * shortest)
        while start >= 0:
            if start % channels:
                start = row.find(pixel * shortest, start + 1)
                continue
            end = start + channels * shortest
            while row[end:end + channels] == pixel:
                end += channels
            here.add((start + end) // 2 // channels // 8)  # a bar's middle: its rounded ends make rows differ
            start = row.find(pixel * shortest, end)
        count += len(here - above)
        above = here
    return count


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, channels and unfiltered rows of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium
    writes): zlib and the five PNG filters, so the test needs no imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert depth == 8 and kind in (2, 6) and not interlace, (depth, kind, interlace)
    channels = 3 if kind == 2 else 4
    compressed, at = b"", 8
    while at < len(data):
        length, name = struct.unpack(">I4s", data[at:at + 8])
        if name == b"IDAT":
            compressed += data[at + 8:at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(compressed)
    stride = width * channels
    rows, previous = [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        row = _unfilter(line[0], bytearray(line[1:]), previous, channels)
        rows.append(row)
        previous = row
    return width, height, channels, rows


def _unfilter(kind: int, row: bytearray, above: bytes, bpp: int) -> bytes:
    """One PNG row undone from its filter (None, Sub, Up, Average, Paeth; RFC 2083 section 6)."""
    if kind == 1:
        for i in range(bpp, len(row)):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif kind == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, above, strict=True))
    elif kind == 3:
        for i in range(len(row)):
            row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + above[i]) // 2) & 255
    elif kind == 4:
        for i in range(len(row)):
            a, b, c = (row[i - bpp], above[i], above[i - bpp]) if i >= bpp else (0, above[i], 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return bytes(row)


def _filtered(kind: int, row: bytes, above: bytes, bpp: int = 3) -> bytes:
    """`row` under PNG filter `kind` (the encoder's side, RFC 2083 section 6), to test the decoder against."""
    def predictor(i: int) -> int:
        a, b, c = (row[i - bpp], above[i], above[i - bpp]) if i >= bpp else (0, above[i], 0)
        p = a + b - c
        paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
        return (0, a, b, (a + b) // 2, paeth)[kind]

    return bytes((row[i] - predictor(i)) & 255 for i in range(len(row)))


def test_the_png_decoder_undoes_each_filter():
    picture = [bytes((7 * y + 13 * x * x) % 256 for x in range(12)) for y in range(6)]  # four RGB pixels a row
    rows, above = [], bytes(12)
    for kind, row in zip((0, 1, 2, 3, 4, 4), picture, strict=True):
        rows.append((kind, _filtered(kind, row, above)))
        above = row
    assert decode_png(encode_png(4, rows)) == (4, 6, 3, picture)

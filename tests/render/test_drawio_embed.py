""".drawio.png and .drawio.svg: the picture a student posts, with the draw.io diagram inside, as draw.io writes it."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest

from tests.render.test_gallery import decode_png
from vpcdraw.render import output_format, render
from vpcdraw.render.drawio import to_drawio
from vpcdraw.render.drawio_embed import diagram_in_png, diagram_in_svg, png_with_diagram
from vpcdraw.topology import Topology

from ..drawio_cells import cell_to_edit, flat_cells

MY_IP = "203.0.113.10/32"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Each chunk of a PNG as (type, body), read independently of vpcdraw's reader, checking every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body), f"the CRC of {kind!r} is right"
        chunks.append((kind, body))
        at += 12 + length
    assert at == len(data), "nothing after the last chunk"
    return chunks


def _cells(xml: str) -> dict[str, dict[str, str]]:
    """Each cell of an mxfile by id: its attributes and geometry."""
    cells = {}
    for cell in flat_cells(ET.fromstring(xml)):
        geometry = cell.find("mxGeometry")
        cells[cell.get("id", "")] = {**cell.attrib, **(geometry.attrib if geometry is not None else {})}
    return cells


def _move(xml: str, cell_id: str, x: float, y: float) -> str:
    """The mxfile with one cell dragged to (x, y), as a user does in draw.io."""
    document = ET.fromstring(xml)
    geometry = cell_to_edit(document, cell_id).find("mxGeometry")
    assert geometry is not None
    geometry.set("x", str(x))
    geometry.set("y", str(y))
    return ET.tostring(document, encoding="unicode")


@pytest.mark.parametrize(("name", "expected"), [("lab.drawio.png", "drawio.png"), ("LAB.DRAWIO.SVG", "drawio.svg"),
                                                ("lab.drawio", "drawio"), ("lab.v2.png", "png"), ("lab", "png")])
def test_the_double_suffix_asks_for_a_picture_with_the_diagram_inside(name, expected):
    assert output_format(Path(name)) == expected


def test_the_drawio_png_holds_the_diagram_as_draw_io_writes_it(assignment: Topology, tmp_path: Path):
    out = render(assignment, tmp_path / "lab.drawio.png", MY_IP).path
    assert out.name == "lab.drawio.png"
    chunks = _chunks(out.read_bytes())
    kinds = [kind for kind, _body in chunks]
    texts = [body for kind, body in chunks if kind == b"tEXt" and body.startswith(b"mxfile\0")]
    assert len(texts) == 1
    # before the first IDAT: draw.io's reader stops looking there
    assert kinds.index(b"tEXt") < kinds.index(b"IDAT") and kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    value = texts[0].removeprefix(b"mxfile\0").decode("latin-1")
    assert value.startswith("%3Cmxfile"), "encodeURIComponent of the XML"
    assert unquote(value) == to_drawio(assignment, MY_IP)
    assert diagram_in_png(out.read_bytes()) == to_drawio(assignment, MY_IP)


def test_the_drawio_png_shows_the_same_picture_as_the_plain_png(assignment: Topology, tmp_path: Path):
    embedded = decode_png(render(assignment, tmp_path / "lab.drawio.png", MY_IP).path.read_bytes())
    plain = decode_png(render(assignment, tmp_path / "lab.png", MY_IP).path.read_bytes())
    width, height, _channels, _rows = embedded
    assert width > 100 and height > 100
    assert embedded == plain
    assert diagram_in_png((tmp_path / "lab.png").read_bytes()) is None


def test_the_drawio_svg_holds_the_diagram_in_its_content_attribute(assignment: Topology, tmp_path: Path):
    out = render(assignment, tmp_path / "lab.drawio.svg", MY_IP).path
    root = ET.fromstring(out.read_bytes())
    assert root.tag == f"{SVG}svg"
    assert root.get("content") == to_drawio(assignment, MY_IP), "newlines survive attribute normalisation"
    assert _cells(root.get("content", "")) == _cells(to_drawio(assignment, MY_IP))
    images = [image.get(XLINK, image.get("href", "")) for image in root.iter(f"{SVG}image")]
    assert images and all(src.startswith("data:image/") for src in images), "icons travel inside the file"
    plain = ET.fromstring(render(assignment, tmp_path / "lab.svg", MY_IP).path.read_bytes())
    assert plain.get("content") is None
    assert len(list(root.iter())) == len(list(plain.iter())), "the same drawing, only the attribute added"


@pytest.mark.parametrize("suffix", [".drawio.png", ".drawio.svg"])
def test_rendering_again_keeps_the_cells_the_user_moved(assignment: Topology, tmp_path: Path, suffix: str):
    out = tmp_path / f"lab{suffix}"
    render(assignment, out, MY_IP)
    read = diagram_in_png if suffix.endswith("png") else diagram_in_svg
    first = read(out.read_bytes())
    assert first is not None
    moved = next(i for i, c in _cells(first).items() if c.get("vertex") == "1" and c.get("parent") != "1")
    edited = _move(first, moved, 17, 23)
    if suffix.endswith("png"):  # as draw.io saves it: the same picture, the edited diagram inside
        out.write_bytes(png_with_diagram(out.read_bytes(), edited))
    else:
        root = ET.fromstring(out.read_bytes())
        root.set("content", edited)
        out.write_bytes(ET.tostring(root))
    render(assignment, out, MY_IP)
    again = read(out.read_bytes())
    assert again is not None
    assert (_cells(again)[moved]["x"], _cells(again)[moved]["y"]) == ("17", "23")
    if suffix.endswith("png"):
        assert sum(kind == b"tEXt" for kind, _body in _chunks(out.read_bytes())) == 1, "the old diagram replaced"


def test_a_png_without_a_diagram_is_drawn_over_from_scratch(assignment: Topology, tmp_path: Path):
    out = tmp_path / "lab.drawio.png"
    out.write_bytes(render(assignment, tmp_path / "lab.png", MY_IP).path.read_bytes())
    render(assignment, out, MY_IP)
    assert diagram_in_png(out.read_bytes()) == to_drawio(assignment, MY_IP)


def test_draw_io_s_reader_rules_are_followed():
    # extractGraphModelFromPng: tEXt keyed mxfile or mxGraphModel, URI-decoded when it starts with '%'
    from vpcdraw.render.drawio_embed import _tiny_png, chunk

    tiny = _tiny_png()
    plain = tiny[:33] + chunk(b"tEXt", b"mxGraphModel\0<mxGraphModel/>") + tiny[33:]
    assert diagram_in_png(plain) == "<mxGraphModel/>"
    broken = bytearray(png_with_diagram(tiny, "<mxfile/>"))
    broken[33 + 8 + 10] ^= 1  # one flipped bit in the text (past IHDR, length, type, keyword): a bad CRC
    assert diagram_in_png(bytes(broken)) is None
    assert diagram_in_png(b"GIF89a") is None

"""The draw.io diagram inside a picture: `.drawio.png` and `.drawio.svg` files that draw.io opens editable.

What draw.io itself writes and reads (jgraph/drawio, src/main/webapp/js/diagramly/):
- PNG: EditorUi.js calls `Editor.writeGraphModelToPng(data, 'tEXt', 'mxfile', encodeURIComponent(xml))`, which
  (Editor.js) inserts one tEXt chunk, keyword `mxfile`, NUL, value, with its CRC, right before the first IDAT.
  `Editor.extractGraphModelFromPng` reads tEXt chunks keyed `mxfile` or `mxGraphModel` (and zTXt keyed
  `mxGraphModel`), stops at the first IDAT ("our text chunks are always placed before the data section"), and
  URI-decodes the value when it starts with '%'. So the chunk must come before IDAT, not merely before IEND.
- SVG: `EditorUi.exportSvg` and drawio-desktop's export do `svgRoot.setAttribute('content', getFileData(true))`:
  the plain mxfile XML in the root element's `content` attribute, escaped as any XML attribute value.
"""

from __future__ import annotations

import re
import struct
import zlib
from urllib.parse import quote

from vpcdraw.topology.mxfile import (
    PNG_SIGNATURE,
    READ_KEYWORDS,
    URI_SAFE,
    diagram_in_png,
    diagram_in_svg,
    png_chunks,
)

KEYWORD = b"mxfile"
__all__ = ["chunk", "diagram_in_png", "diagram_in_svg", "png_chunks", "png_with_diagram", "svg_with_diagram"]


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, and the CRC-32 of type and body (PNG spec, section 5.3)."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with_diagram(png: bytes, xml: str) -> bytes:
    """`png` with the mxfile `xml` in a tEXt chunk keyed `mxfile` before the first IDAT, as draw.io writes it;
    an earlier diagram chunk is dropped, so writing twice leaves one."""
    text = quote(xml, safe=URI_SAFE).encode("ascii")  # encodeURIComponent: ASCII, so within tEXt's Latin-1
    out = [PNG_SIGNATURE]
    placed = False
    for kind, body, crc in png_chunks(png):
        if kind in (b"tEXt", b"zTXt", b"iTXt") and body.split(b"\0", 1)[0] in READ_KEYWORDS:
            continue
        if kind == b"IDAT" and not placed:
            out.append(chunk(b"tEXt", KEYWORD + b"\0" + text))
            placed = True
        out.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc))
    if not placed:
        raise ValueError("not a PNG with image data (no IDAT chunk)")
    return b"".join(out)


_SVG_START = re.compile(rb"<svg\b[^>]*?(/?)>", re.DOTALL)
_CONTENT = re.compile(rb"""\scontent\s*=\s*("[^"]*"|'[^']*')""")


def svg_with_diagram(svg: bytes, xml: str) -> bytes:
    """`svg` with the mxfile `xml` as the root <svg> element's `content` attribute (replacing one already there).

    >>> diagram_in_svg(svg_with_diagram(b'<svg xmlns="http://www.w3.org/2000/svg"/>', '<mxfile a="1&2"/>'))
    '<mxfile a="1&2"/>'
    """
    match = _SVG_START.search(svg)
    if match is None:
        raise ValueError("not an SVG (no <svg> element)")
    tag = _CONTENT.sub(b"", match.group(0))
    close = b"/>" if tag.endswith(b"/>") else b">"
    tag = tag[:-len(close)].rstrip() + b' content="' + _attribute(xml).encode("utf-8") + b'"' + close
    return svg[:match.start()] + tag + svg[match.end():]


def _attribute(text: str) -> str:
    """`text` escaped for a double-quoted XML attribute; newlines and tabs as character references, since an XML
    parser turns literal ones into spaces (XML 1.0, 3.3.3 attribute-value normalisation)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _tiny_png() -> bytes:
    """A 1x1 grey PNG, for the examples in the docstrings."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b"")

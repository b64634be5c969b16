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
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"mxfile"
READ_KEYWORDS = (b"mxfile", b"mxGraphModel")  # what extractGraphModelFromPng accepts
URI_SAFE = "-_.!~*'()"  # the characters JavaScript's encodeURIComponent leaves alone (besides letters and digits)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    """The chunks of a PNG as (type, body, stored CRC); ValueError when `data` is not a whole PNG.

    >>> [kind for kind, _body, _crc in png_chunks(png_with_diagram(_tiny_png(), "<mxfile/>"))]
    [b'IHDR', b'tEXt', b'IDAT', b'IEND']
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG (no PNG signature)")
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError("a PNG chunk is cut short")
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        end = at + 8 + length
        if end + 4 > len(data):
            raise ValueError(f"the PNG chunk {kind!r} is cut short")
        (crc,) = struct.unpack(">I", data[end:end + 4])
        chunks.append((kind, data[at + 8:end], crc))
        at = end + 4
        if kind == b"IEND":
            break
    return chunks


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


def diagram_in_png(data: bytes) -> str | None:
    """The mxfile XML embedded in a PNG the way draw.io reads it, or None when it holds none (or is no PNG)."""
    try:
        chunks = png_chunks(data)
    except ValueError:
        return None
    for kind, body, crc in chunks:
        if kind == b"IDAT":
            break
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            continue  # a damaged chunk is not the diagram
        keyword, _, value = body.partition(b"\0")
        if kind == b"tEXt" and keyword in READ_KEYWORDS:
            return _uri_decoded(value.decode("latin-1"))
        if kind == b"zTXt" and keyword == b"mxGraphModel" and value:
            try:  # draw.io's own zTXt is raw deflate; the PNG spec's is zlib
                text = zlib.decompress(value[1:], wbits=-15 if value[1:2] != b"\x78" else 15)
            except zlib.error:
                continue
            return _uri_decoded(text.decode("utf-8", "replace").replace("+", " "))
    return None


def _uri_decoded(text: str) -> str:
    """What extractGraphModelFromPng does last: decodeURIComponent while the text starts with '%' (twice at most)."""
    for _ in range(2):
        if text.startswith("%"):
            text = unquote(text)
    return text


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


def diagram_in_svg(data: bytes) -> str | None:
    """The mxfile XML in the root <svg> element's `content` attribute, or None when there is none (or no SVG)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    content = root.get("content")
    if not root.tag.endswith("svg") or not content:
        return None
    return _uri_decoded(content)


def _tiny_png() -> bytes:
    """A 1x1 grey PNG, for the examples in the docstrings."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b"")

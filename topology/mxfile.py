"""draw.io's file format, for reading: the mxfile's pages, compressed or plain, and the diagram that a
`.drawio.png` or `.drawio.svg` picture carries inside it.

What draw.io itself writes and reads (jgraph/drawio, src/main/webapp/js/diagramly/; drawio.com/doc/faq/file-format):
- A `.drawio` file is an `mxfile` of `diagram` pages; a page holds an `mxGraphModel`, or (compressed) its XML
  URI-encoded, raw-deflated and Base64-encoded as the page's text.
- PNG: `Editor.writeGraphModelToPng` puts one tEXt chunk keyed `mxfile` (the URI-encoded XML) before the first
  IDAT; `Editor.extractGraphModelFromPng` reads tEXt chunks keyed `mxfile` or `mxGraphModel` (and zTXt keyed
  `mxGraphModel`), stops at the first IDAT, and URI-decodes a value that starts with '%'.
- SVG: the plain mxfile XML is the root element's `content` attribute.
"""

from __future__ import annotations

import base64
import struct
import zlib
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
READ_KEYWORDS = (b"mxfile", b"mxGraphModel")  # what extractGraphModelFromPng accepts
SUFFIXES = (".drawio", ".drawio.png", ".drawio.svg")  # the files that hold a draw.io diagram
URI_SAFE = "-_.!~*'()"  # the characters JavaScript's encodeURIComponent leaves alone (besides letters and digits)


def is_drawio(name: str) -> bool:
    """Whether a file name says it holds a draw.io diagram (`.drawio`, `.drawio.png`, `.drawio.svg`).

    >>> is_drawio("a.drawio.png"), is_drawio("a.png")
    (True, False)
    """
    return name.lower().endswith(SUFFIXES)


def diagram_text(data: bytes, name: str) -> str:
    """The mxfile XML held by a file's bytes: the file itself, or the diagram inside a picture; ValueError with
    the reason when it holds none."""
    lower = name.lower()
    if lower.endswith(".png"):
        found = diagram_in_png(data)
        if found is None:
            raise ValueError("this PNG holds no draw.io diagram (draw.io's 'Include a copy of my diagram' "
                             "or `vpcdraw render -o FILE.drawio.png` makes one)")
        return found
    if lower.endswith(".svg"):
        found = diagram_in_svg(data)
        if found is None:
            raise ValueError("this SVG holds no draw.io diagram (no `content` attribute on its <svg> element)")
        return found
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"it is not text ({error})") from None


def pages(text: str) -> list[ET.Element]:
    """The mxGraphModel of each page of an mxfile (or a bare mxGraphModel), inflating compressed pages;
    ET.ParseError, ValueError or zlib.error when the text is not one."""
    root = ET.fromstring(text)
    if root.tag == "mxGraphModel":
        return [root]
    if root.tag != "mxfile":
        raise ValueError(f"its top element is <{root.tag}>, not draw.io's <mxfile>")
    found = []
    for diagram in root.iter("diagram"):
        model = diagram.find("mxGraphModel")
        if model is None and (diagram.text or "").strip():
            model = ET.fromstring(inflate(diagram.text or ""))
        if model is not None:
            found.append(model)
    return found


def deflate(xml: str) -> str:
    """draw.io's compressed page text: the XML URI-encoded, raw-deflated (no zlib header), Base64.

    >>> inflate(deflate("<mxGraphModel/>"))
    '<mxGraphModel/>'
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(quote(xml, safe=URI_SAFE).encode("ascii")) + packer.flush()
    return base64.b64encode(data).decode("ascii")


def inflate(text: str) -> str:
    """The XML of a compressed draw.io page: Base64, raw inflate, then URI-decode (what draw.io itself does)."""
    data = zlib.decompressobj(wbits=-15).decompress(base64.b64decode(text.strip()))
    return unquote(data.decode("utf-8"))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    """The chunks of a PNG as (type, body, stored CRC); ValueError when `data` is not a whole PNG."""
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
            return uri_decoded(value.decode("latin-1"))
        if kind == b"zTXt" and keyword == b"mxGraphModel" and value:
            try:  # draw.io's own zTXt is raw deflate; the PNG spec's is zlib
                text = zlib.decompress(value[1:], wbits=-15 if value[1:2] != b"\x78" else 15)
            except zlib.error:
                continue
            return uri_decoded(text.decode("utf-8", "replace").replace("+", " "))
    return None


def uri_decoded(text: str) -> str:
    """What extractGraphModelFromPng does last: decodeURIComponent while the text starts with '%' (twice at most)."""
    for _ in range(2):
        if text.startswith("%"):
            text = unquote(text)
    return text


def diagram_in_svg(data: bytes) -> str | None:
    """The mxfile XML in the root <svg> element's `content` attribute, or None when there is none (or no SVG)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    content = root.get("content")
    if not root.tag.endswith("svg") or not content:
        return None
    return uri_decoded(content)

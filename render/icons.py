"""Where the drawing's icons live, so DOT names them portably and SVG carries them inside itself."""

from __future__ import annotations

import base64
import html
import importlib.util
import re
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

# Graphviz resolves a relative image name against `imagepath`; vpcdraw hands it this folder when it draws, and a
# user drawing a posted .dot file by hand gives it the same way (the command is in the DOT's first comment).
DRAW_BY_HAND = ('dot -Gimagepath="$(python3 -c \'import diagrams, pathlib; '
                'print(pathlib.Path(diagrams.__file__).parent.parent / "resources")\')" -Tpng FILE.dot -o FILE.png')
COMMENT = ("\t// Icons are named relative to the resources folder installed with the Python package diagrams\n"
           "\t// (pip install diagrams), by the graph's imagepath; to draw this file by hand:\n"
           f"\t// {DRAW_BY_HAND}\n")
_MEDIA = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".gif": "image/gif"}
_HREF = re.compile(r'(<image\b[^>]*?\bxlink:href=")([^"]*)(")')


@cache
def icon_root() -> Path:
    """The `resources` folder installed beside the diagrams package (found without importing diagrams)."""
    spec = importlib.util.find_spec("diagrams")
    if spec is None or spec.origin is None:
        return Path("resources")  # no diagrams: nothing will be drawn with icons anyway
    return Path(spec.origin).resolve().parent.parent / "resources"


def icon_name(icon: Any) -> str:
    """A diagrams node class's icon, named relative to `icon_root()`: `aws/network/internet-gateway.png`.

    >>> from diagrams.aws.network import InternetGateway
    >>> icon_name(InternetGateway)
    'aws/network/internet-gateway.png'
    """
    return str(PurePosixPath(icon._icon_dir, icon._icon).relative_to("resources"))


def with_comment(dot: str) -> str:
    """DOT source with the comment on where its icons are resolved from as the first line of the graph's body,
    so the file still starts with `digraph`."""
    head, newline, body = dot.partition("\n")
    return head + newline + COMMENT + body


@cache
def data_uri(path: str) -> str | None:
    """The file at `path` as a `data:` URI (read once a process), or None when it is not a readable image."""
    file = Path(path)
    media = _MEDIA.get(file.suffix.lower())
    if media is None:
        return None
    try:
        data = file.read_bytes()
    except OSError:
        return None
    return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"


def embed_icons(svg: bytes) -> bytes:
    """Graphviz's SVG with every `<image>`'s file replaced by its bytes as a data URI, so the SVG shows its icons
    on any machine and names no path of this one."""
    root = icon_root()

    def embedded(found: re.Match[str]) -> str:
        href = html.unescape(found.group(2))
        if href.startswith("data:"):
            return found.group(0)
        path = Path(href.removeprefix("file://"))
        uri = data_uri(str(path if path.is_absolute() else root / path))
        return found.group(0) if uri is None else found.group(1) + uri + found.group(3)

    return _HREF.sub(embedded, svg.decode("utf-8")).encode("utf-8")

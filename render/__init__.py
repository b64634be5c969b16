"""vpcdraw's drawing: a topology as PNG, SVG, DOT, draw.io or an HTML page, through `diagrams` and Graphviz."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vpcdraw.topology.admin_ip import normalise
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.files import write
from vpcdraw.topology.model import Topology

from .environment import INSTALL_DOT, INSTALL_FONT, dot_path, hangul_font, has_hangul
from .icons import embed_icons, icon_root
from .layout import Layout, Overlay, layout

FORMATS = ("png", "svg", "dot", "drawio", "drawio.png", "drawio.svg", "html")
EMBEDDED = ("drawio.png", "drawio.svg")  # a picture with the draw.io diagram inside, which draw.io opens editable


class RenderError(VpcdrawError):
    """The drawing could not be made (no Graphviz, an unknown format, Graphviz failed)."""


@dataclass
class Drawing:
    """What `render` made: the DOT source, the file written, and warnings for the user."""

    dot: str
    path: Path
    warnings: list[str] = field(default_factory=list)


def output_format(path: Path) -> str:
    """The format an output path asks for, by its extension (`drawio.png` and `drawio.svg` for the double ones
    draw.io uses); PNG when it has none.

    >>> output_format(Path("lab.drawio.png")), output_format(Path("lab.v2.svg"))
    ('drawio.png', 'svg')
    """
    suffix = path.suffix.lower().lstrip(".")
    if not suffix:
        return "png"
    double = "".join(path.suffixes[-2:]).lower().lstrip(".")
    if double in EMBEDDED:
        return double
    if suffix not in FORMATS:
        raise RenderError(f"{path}: vpcdraw draws .png, .svg, .dot, .drawio, .drawio.png, .drawio.svg or .html, "
                          f"not .{suffix}")
    return suffix


def dot_source(topology: Topology, my_ip: str | None = None, overlay: Overlay | None = None,
               detail: str = "auto") -> tuple[str, list[str]]:
    """The DOT source of the drawing (with drift over it when `overlay` is given), and warnings."""
    from .draw import to_dot

    plan: Layout = layout(topology, normalise(my_ip) if my_ip else None, overlay, detail)
    font = hangul_font()
    warnings = []
    texts = [plan.title] + [n.label for n in plan.nodes()]
    if font is None and any(has_hangul(t) for t in texts):
        warnings.append(f"the labels have Hangul but no Korean font is installed, so it may show as boxes; "
                        f"{INSTALL_FONT}")
    return to_dot(plan, font), warnings


def render(topology: Topology, out: str | Path, my_ip: str | None = None, overlay: Overlay | None = None,
           detail: str = "auto", compressed: bool = False, ids: Mapping[str, str] | None = None) -> Drawing:
    """Draw `topology` into `out` (.png, .svg, .dot, .drawio, .drawio.png, .drawio.svg or .html by extension);
    `overlay` draws drift over it; `detail` is how subnets are drawn (see `layout`); `compressed` writes a .drawio
    in draw.io's deflate form instead of plain XML; `ids` (address -> AWS id, from a live VPC) are shown on the
    .html page when an element is clicked.

    Over an existing .drawio, .drawio.png or .drawio.svg, cells the user moved in draw.io keep their place."""
    path = Path(out)
    fmt = output_format(path)
    if fmt == "png" and not path.suffix and not path.is_dir():
        path = path.with_suffix(".png")
    source, warnings = dot_source(topology, my_ip, overlay, detail)
    if fmt == "drawio":  # diagrams.net's file; a second export keeps where the user moved its boxes
        from .drawio import to_drawio

        previous = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        data = to_drawio(topology, my_ip, overlay, detail, previous=previous, compressed=compressed).encode("utf-8")
    elif fmt == "html":  # the SVG in a page of its own, with each element's rules and routes on hover
        from .page import html_page

        plan = layout(topology, normalise(my_ip) if my_ip else None, overlay, detail)
        data = html_page(topology, rasterise(source, "svg"), plan, normalise(my_ip) if my_ip else None, overlay,
                         ids).encode("utf-8")
    elif fmt in EMBEDDED:
        data = _embedded(topology, path, fmt, source, my_ip, overlay, detail)
    else:
        data = source.encode("utf-8") if fmt == "dot" else rasterise(source, fmt)
    write(path, data, "the drawing")
    return Drawing(source, path, warnings)


def _embedded(topology: Topology, path: Path, fmt: str, source: str, my_ip: str | None, overlay: Overlay | None,
              detail: str) -> bytes:
    """The PNG or SVG drawing with the draw.io diagram inside; the diagram already in `path` is the previous one."""
    from .drawio import to_drawio
    from .drawio_embed import diagram_in_png, diagram_in_svg, png_with_diagram, svg_with_diagram

    picture = fmt.removeprefix("drawio.")
    read, embed = (diagram_in_png, png_with_diagram) if picture == "png" else (diagram_in_svg, svg_with_diagram)
    previous = read(path.read_bytes()) if path.is_file() else None
    return embed(rasterise(source, picture), to_drawio(topology, my_ip, overlay, detail, previous=previous))


def rasterise(source: str, fmt: str, timeout: float = 120.0) -> bytes:
    """Run Graphviz's `dot` on DOT source; RenderError with one sentence when it is missing, fails or hangs.

    Icons are found by `imagepath` (the DOT names them relative to diagrams' resources folder), and an SVG gets
    them embedded as data URIs, so it shows them anywhere and names no path of this machine."""
    dot = dot_path()
    if dot is None:
        raise RenderError(f"Graphviz's dot program is not installed; {INSTALL_DOT}")
    try:
        done = subprocess.run([dot, f"-Gimagepath={icon_root()}", f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz did not finish drawing within {timeout:.0f} s") from None
    if done.returncode < 0:  # killed by a signal: its warnings are not why
        name = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else "a signal"
        raise RenderError(f"Graphviz's dot crashed ({name}) drawing this topology as {fmt}; please report it "
                          "with `vpcdraw render FILE -o x.dot`")
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        errors = [line for line in detail if line.startswith("Error")] or detail or [f"exit {done.returncode}"]
        raise RenderError(f"Graphviz failed to draw this topology: {errors[0]}")
    return embed_icons(done.stdout) if fmt == "svg" else done.stdout


__all__ = ["FORMATS", "Drawing", "RenderError", "dot_source", "layout", "render"]

"""Reading a drawing's SVG as a reviewer reads the picture: each line's colour, width, dashes and words,
each box's pen, fill and bounds."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from vpcdraw.render import dot_source, rasterise
from vpcdraw.render.draw import EDGE_LOOK

RED, ORANGE, GREY = (EDGE_LOOK[k][0].lower() for k in ("missing", "unmanaged", "unreachable"))


@dataclass(frozen=True)
class Line:
    """An edge as the SVG draws it."""

    source: str
    target: str
    stroke: str
    width: float
    dashed: bool
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Box:
    """A cluster or a node's outline as the SVG draws it: pen, fill, dashes, bounds and texts."""

    stroke: str
    fill: str
    dashes: str
    bounds: tuple[float, float, float, float]  # left, top, right, bottom
    texts: tuple[str, ...]

    def inside(self, other: Box) -> bool:
        (l1, t1, r1, b1), (l2, t2, r2, b2) = self.bounds, other.bounds
        return l1 >= l2 and t1 >= t2 and r1 <= r2 and b1 <= b2


def draw(topology, overlay=None, my_ip=None, detail="auto"):
    dot, _ = dot_source(topology, my_ip, overlay, detail)
    return dot, rasterise(dot, "svg").decode("utf-8")


def _groups(svg: str, kind: str) -> list[tuple[str, str]]:
    return [(html.unescape(t), body) for t, body in
            re.findall(rf'<g id="[^"]+" class="{kind}">\s*<title>(.*?)</title>(.*?)</g>', svg, re.S)]


def _texts(body: str) -> tuple[str, ...]:
    return tuple(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", body, re.S))


def lines(svg: str) -> list[Line]:
    found = []
    for title, body in _groups(svg, "edge"):
        source, _, target = title.partition("->")
        path = re.search(r"<path ([^>]*)>", body)
        assert path, title
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', path.group(1)))
        found.append(Line(source, target, attrs["stroke"].lower(), float(attrs.get("stroke-width", 1)),
                          "stroke-dasharray" in attrs, _texts(body)))
    return found


def boxes(svg: str, kind: str = "cluster") -> dict[str, Box]:
    found = {}
    for title, body in _groups(svg, kind):
        # a cluster is one polygon; an HTML label paints its fill and its border as two
        polygons = [dict(re.findall(r'([\w-]+)="([^"]*)"', p)) for p in re.findall(r"<polygon ([^>]*)>", body)]
        if not polygons:
            continue
        points = [tuple(map(float, p.split(","))) for p in polygons[0]["points"].split()]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        pen = next((p for p in polygons if p.get("stroke", "transparent") != "transparent"), {})
        fill = next((p["fill"] for p in polygons if p.get("fill", "none") != "none"), "")
        found[title.removeprefix("cluster_")] = Box(pen.get("stroke", "").lower(), fill.lower(),
                                                    pen.get("stroke-dasharray", ""),
                                                    (min(xs), min(ys), max(xs), max(ys)), _texts(body))
    return found

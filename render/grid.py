"""A placement without Graphviz, for draw.io exports of VPCs too large for `dot` (it takes minutes past about
60 subnets drawn one by one): boxes in rows, in the layout's own nesting and order.

Each box sizes itself from what it holds: icons and inner boxes flow left to right in rows of a few, under room
for the box's label. Availability zones stand side by side in their VPC, so a tier reads across; VPCs stand
in a grid in the region; the internet and other outside peers above it, the admin below. The result has the
shape of `drawio.graphviz_boxes`: every box and icon's rectangle by id, origin top-left, in points.
"""

from __future__ import annotations

import math

from .drawio import Box
from .layout import Cluster, Layout, Node

GAP = 24.0  # between neighbours in a row, and between rows
PAD = 16.0  # inside a box, around what it holds
LABEL_LINE = 15.0  # room for each line of a box's label, above what it holds
ICON = 60.0  # an icon's picture; its label lines go under it


def grid_boxes(plan: Layout) -> dict[str, Box]:
    """Every box's and icon's rectangle in a layout, placed in rows (no Graphviz)."""
    boxes: dict[str, Box] = {}
    sizes: dict[str, tuple[float, float]] = {}
    for cluster in plan.root:
        _measure(cluster, sizes)
    top = [n for n in plan.top]
    y = 0.0
    if top:
        _row([(n.id, _node_size(n)) for n in top], 0.0, 0.0, boxes, sizes)
        y = max(_node_size(n)[1] for n in top) + 2 * GAP
    x = 0.0
    for cluster in plan.root:
        _place(cluster, x, y, boxes, sizes)
        x += sizes[cluster.id][0] + GAP
    bottom = y + max((sizes[c.id][1] for c in plan.root), default=0.0) + 2 * GAP
    if plan.bottom:
        _row([(n.id, _node_size(n)) for n in plan.bottom], 0.0, bottom, boxes, sizes)
    return boxes


def _node_size(node: Node) -> tuple[float, float]:
    lines = node.label.split("\n") if node.label else []
    width = max([ICON + 20, *(len(line) * 7.0 for line in lines)])
    return width, ICON + 8 + LABEL_LINE * len(lines)


def _per_row(cluster: Cluster, count: int) -> int:
    """How many of a box's items share a row: zones all side by side, VPCs in a square grid, a zone's subnets in
    one column until they are many, the rest a few to a row."""
    if cluster.style == "vpc":
        return max(count, 1)
    if cluster.style == "region":
        return max(math.ceil(math.sqrt(count)), 1)
    if cluster.style == "az":
        return 1 if count <= 6 else min(4, math.ceil(count / 6))
    return 4


def _items(cluster: Cluster) -> list[tuple[str, Node | Cluster]]:
    drawn = [c for c in cluster.clusters if c.style != "placeholder"]
    nodes = [n for n in cluster.nodes if not (cluster.style == "vpc" and n.icon == "internet_gateway")
             and n.icon != "anchor"]
    return [(n.id, n) for n in nodes] + [(c.id, c) for c in drawn]


def _measure(cluster: Cluster, sizes: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The size of a box (and, on the way, of everything in it)."""
    items = _items(cluster)
    measured = []
    for ident, item in items:
        size = _measure(item, sizes) if isinstance(item, Cluster) else _node_size(item)
        sizes[ident] = size
        measured.append(size)
    across = _per_row(cluster, len(items))
    width, height = 0.0, 0.0
    for start in range(0, len(measured), across):
        row = measured[start:start + across]
        width = max(width, sum(w for w, _h in row) + GAP * (len(row) - 1))
        height += max(h for _w, h in row) + GAP
    label = LABEL_LINE * max(len(cluster.label.split("\n")), 1) + (ICON / 2 if cluster.style == "vpc" else 0)
    width = max(width + 2 * PAD, 180.0, max((len(line) * 7.0 for line in cluster.label.split("\n")), default=0) + 60)
    size = (width, label + PAD + max(height - GAP, 0.0) + PAD)
    sizes[cluster.id] = size
    return size


def _place(cluster: Cluster, x: float, y: float, boxes: dict[str, Box], sizes: dict[str, tuple[float, float]]
           ) -> None:
    """Put a box at (x, y) and what it holds in rows inside it; a VPC's internet gateway on its top edge."""
    width, height = sizes[cluster.id]
    boxes[cluster.id] = Box(x, y, width, height)
    for node in cluster.nodes:
        if cluster.style == "vpc" and node.icon == "internet_gateway":
            w, h = _node_size(node)
            boxes[node.id] = Box(x + width / 2 - w / 2, y - ICON / 2, w, h)
    items = _items(cluster)
    across = _per_row(cluster, len(items))
    row_y = y + LABEL_LINE * max(len(cluster.label.split("\n")), 1) + (ICON / 2 if cluster.style == "vpc" else 0) \
        + PAD
    for start in range(0, len(items), across):
        row = items[start:start + across]
        row_x = x + PAD
        for ident, item in row:
            w, h = sizes[ident]
            if isinstance(item, Cluster):
                _place(item, row_x, row_y, boxes, sizes)
            else:
                boxes[ident] = Box(row_x, row_y, w, h)
            row_x += w + GAP
        row_y += max(sizes[i][1] for i, _item in row) + GAP


def _row(items: list[tuple[str, tuple[float, float]]], x: float, y: float, boxes: dict[str, Box],
         sizes: dict[str, tuple[float, float]]) -> None:
    for ident, (w, h) in items:
        boxes[ident] = Box(x, y, w, h)
        sizes[ident] = (w, h)
        x += w + GAP

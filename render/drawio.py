"""A topology as a diagrams.net (draw.io) file: the PNG's placement, AWS4 shapes, cells named by address.

Graphviz places the drawing (`dot -Tjson` on the same DOT source as the PNG); each box becomes a container
cell and each icon a cell inside it, positioned relative to its container, so moving a subnet in draw.io
moves what is inside it. Cell ids are addresses, so a second export over an edited file (`previous`) keeps
the geometry the user gave to cells that still exist and places only the new ones.
"""

from __future__ import annotations

import html
import json
import zlib
from dataclasses import dataclass, replace
from xml.etree import ElementTree as ET

from vpcdraw.topology.model import Topology
from vpcdraw.topology.mxfile import deflate, pages

from . import drawio_model
from . import drawio_styles as styles
from .draw import DRIFT_LOOK
from .layout import Cluster, Layout, Node, Overlay

AWS_CLOUD = "aws_cloud"  # the AWS Cloud group around the region: the one container that is not a resource
CLOUD_PAD = 24.0  # room between the AWS Cloud group and the region, in points
CLOUD_TOP = 36.0  # room above the region for the AWS Cloud group's label
MARGIN = 40.0  # room around the whole drawing
# layout helpers with no draw.io cell of their own
UNDRAWN = ("placeholder", "anchor", "public_subnet", "private_subnet")


@dataclass(frozen=True)
class Box:
    """A rectangle in draw.io's orientation (origin top-left, y down), in points."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Vertex:
    """A box or an icon cell: its address, label, style, container, and geometry relative to the container."""

    id: str
    value: str
    style: str
    parent: str
    geometry: Box
    container: bool = False
    data: tuple[tuple[str, str], ...] = ()  # draw.io properties ("Edit Data"): what reading the file back needs


@dataclass(frozen=True)
class Link:
    """A rule edge cell between two cells, labelled with its ports."""

    id: str
    value: str
    style: str
    source: str
    target: str
    points: tuple[tuple[float, float], ...] = ()  # waypoints, as the user bent the edge in draw.io
    data: tuple[tuple[str, str], ...] = ()  # draw.io properties: the rules' descriptions


def to_drawio(topology: Topology, my_ip: str | None, overlay: Overlay | None = None, detail: str = "auto",
              previous: str | None = None, compressed: bool = False) -> str:
    """The mxfile XML of `topology`, placed as the PNG is (past DOT_LIMIT subnets drawn one by one, in rows:
    render.grid); over `previous` (an earlier .drawio's text) cells
    that still exist keep the geometry they have there, and edges their waypoints. `compressed` writes draw.io's
    deflate form. Reading the file back (`vpcdraw check x.drawio`) gives `topology` again."""
    from vpcdraw.topology.admin_ip import normalise

    from . import dot_source
    from .layout import layout

    plan = layout(topology, normalise(my_ip) if my_ip else None, overlay, detail)
    if _too_big_for_dot(topology, detail):
        from .grid import grid_boxes

        boxes = grid_boxes(plan)
    else:
        source, _warnings = dot_source(topology, my_ip, overlay, detail)
        boxes = graphviz_boxes(source)
    vertices = place(plan, _close_gateway_gap(plan, boxes))
    if drawio_model.grouped(topology, detail):  # counts, not subnets: a picture to look at, not to build from
        edges = links(plan, vertices) + network_links(plan, vertices)
        vertices = [replace(v, data=(("detail", "tiers"),)) if v.id == AWS_CLOUD else v for v in vertices]
    else:
        vertices, edges = _buildable(topology, vertices, overlay, my_ip)
        edges += network_links(plan, vertices)
    if previous is not None:
        before = read_geometry(previous)
        vertices = keep_geometry(vertices, before)
        edges = [replace(e, points=before[e.id][2]) if e.id in before else e for e in edges]
    return mxfile(plan.title, fit_containers(vertices), edges, compressed)


DOT_LIMIT = 60  # past this many subnets drawn one by one, dot takes minutes (100: 107 s; 200: over 120 s)


def _too_big_for_dot(topology: Topology, detail: str) -> bool:
    """Whether the layout draws so many subnets one by one that the export places them in rows itself."""
    return not drawio_model.grouped(topology, detail) and sum(len(v.subnets) for v in topology.vpcs) > DOT_LIMIT


def _buildable(topology: Topology, vertices: list[Vertex], overlay: Overlay | None, my_ip: str | None
               ) -> tuple[list[Vertex], list[Link]]:
    """The vertices with their properties, plus cells for what the layout leaves out, and the rule edges."""
    ids = {v.id for v in vertices}
    added = drawio_model.acl_cells(topology, ids) + drawio_model.extras(topology, ids)
    ids |= {e.id for e in added}
    rules = drawio_model.RuleLinks(topology, ids, overlay, my_ip)
    found = rules.build()
    found = drawio_model.gateway_paths(topology, found, ids) + found
    vertices = with_properties(vertices + _placed(vertices, added + rules.extras), topology)
    return vertices, [Link(r.id, _html(r.value), r.style, r.source, r.target, data=r.data) for r in found]


def _placed(vertices: list[Vertex], extras: list[drawio_model.Extra]) -> list[Vertex]:
    """Cells the layout has no place for: a network ACL at its subnet's top right, others in a row under what
    their container holds (the container grows to hold them)."""
    by_id = {v.id: v for v in vertices}
    row: dict[str, float] = {}
    found = []
    for extra in extras:
        holder = by_id.get(extra.parent)
        if "/network_acl/" in extra.id and holder is not None and "/subnet/" in holder.id:
            box = Box(holder.geometry.width - extra.width - 6, 6, extra.width, extra.height)
        else:
            bottom = max((v.geometry.y + v.geometry.height for v in vertices if v.parent == extra.parent), default=0)
            x = row.get(extra.parent, 20.0)
            box = Box(x, bottom + 16 if holder is not None else bottom + 40, extra.width, extra.height)
            row[extra.parent] = x + extra.width + 24
        found.append(Vertex(extra.id, _html(extra.value), extra.style, extra.parent, box, extra.container,
                            extra.data))
    return found


def with_properties(vertices: list[Vertex], topology: Topology) -> list[Vertex]:
    """The vertices with their properties (by the address they stand for), and group boxes labelled by their
    group alone: their rules are edges."""
    found = drawio_model.properties(topology)
    out = []
    for vertex in vertices:
        key = vertex.id
        if "/subnet/" in key and "/vpc/" in key[1:]:  # <subnet address>/<group or network ACL address>
            key = "vpc/" + key.split("/vpc/", 1)[1]
        value = vertex.value
        if "/security_group/" in key:
            value = "<br>".join(line for line in value.split("<br>") if not line.startswith("members allow each other"))
        out.append(replace(vertex, value=value, data=vertex.data or tuple(found.get(key, {}).items())))
    return out


def graphviz_boxes(source: str) -> dict[str, Box]:
    """Every cluster's and node's rectangle, by id, as Graphviz lays out the DOT `source`.

    Clusters are named `cluster_<id>` in the DOT; `dot -Tjson0` gives their `bb` (points, origin bottom-left)
    and each node's centre `pos` (points) and `width` / `height` (inches).
    """
    from . import rasterise

    graph = json.loads(rasterise(source, "json0"))  # json0: positions without the drawing operations, which
    # Graphviz 2.43 renders for -Tjson and -Txdot and crashes on for dashed HTML table borders (a legend's samples)
    top = float(graph["bb"].split(",")[3])
    boxes: dict[str, Box] = {}
    for item in graph.get("objects", []):
        name = str(item.get("name", ""))
        if "bb" in item and name.startswith("cluster_"):
            left, bottom, right, upper = (float(v) for v in item["bb"].split(","))
            boxes[name.removeprefix("cluster_")] = Box(left, top - upper, right - left, upper - bottom)
        elif "pos" in item:
            x, y = (float(v) for v in item["pos"].split(",")[:2])
            width, height = float(item["width"]) * 72, float(item["height"]) * 72
            boxes[name] = Box(x - width / 2, top - y - height / 2, width, height)
    return boxes


def _close_gateway_gap(plan: Layout, boxes: dict[str, Box], room: float = 96.0) -> dict[str, Box]:
    """The boxes with the empty band closed that the internet gateway leaves at the top of a lone VPC when it
    moves from its rank inside the VPC onto the VPC's edge: what is inside and below moves up."""
    vpcs = [c for region in plan.root for c in region.clusters if c.style == "vpc" and c.id in boxes]
    if len(vpcs) != 1:
        return boxes
    vpc = boxes[vpcs[0].id]
    inner = [boxes[c.id] for c in vpcs[0].clusters if c.id in boxes]
    gap = min((b.y for b in inner), default=vpc.y) - vpc.y - room
    if gap <= 0:
        return boxes
    region_ids = {c.id for c in plan.root}
    moved: dict[str, Box] = {}
    for ident, box in boxes.items():
        if ident == vpcs[0].id or ident in region_ids:
            moved[ident] = replace(box, height=box.height - gap)
        elif box.y >= vpc.y + room:  # inside the VPC below its gateway, or below the VPC
            moved[ident] = replace(box, y=box.y - gap)
        else:
            moved[ident] = box
    return moved


def place(plan: Layout, boxes: dict[str, Box]) -> list[Vertex]:
    """The vertex cells of a layout, containers before what they hold, at Graphviz's positions.

    The region sits in an AWS Cloud group; the internet gateway sits on its VPC's top edge.
    """
    found: list[Vertex] = []
    regions = [c for c in plan.root if c.id in boxes]
    if regions:
        outer = _union([boxes[c.id] for c in regions])
        cloud = Box(outer.x - CLOUD_PAD + MARGIN, outer.y - CLOUD_TOP + MARGIN,
                    outer.width + 2 * CLOUD_PAD, outer.height + CLOUD_TOP + CLOUD_PAD)
        found.append(Vertex(AWS_CLOUD, "AWS Cloud", styles.AWS_CLOUD, "1", cloud, container=True))
        origin = Box(cloud.x - MARGIN, cloud.y - MARGIN, 0, 0)  # the cloud's corner in Graphviz's frame
        for cluster in regions:
            found += _cluster_cells(cluster, AWS_CLOUD, origin, boxes)
    for node in [*plan.top, *plan.bottom]:
        if node.id in boxes:
            found += _node_cells(node, "1", Box(-MARGIN, -MARGIN, 0, 0), boxes, on_edge=False)
    return found


def _cluster_cells(cluster: Cluster, parent: str, origin: Box, boxes: dict[str, Box]) -> list[Vertex]:
    """A box's cell (relative to `origin`, its container's corner) and the cells of everything inside it."""
    if cluster.style not in styles.GROUPS or cluster.id not in boxes:
        return []
    box = boxes[cluster.id]
    style = styles.GROUPS[cluster.style]
    if cluster.status:
        style = _marked(style, cluster.status)
    found = [Vertex(cluster.id, _html(cluster.label), style, parent, _relative(box, origin), container=True)]
    for node in cluster.nodes:
        found += _node_cells(node, cluster.id, box, boxes, on_edge=cluster.style == "vpc")
    for child in cluster.clusters:
        found += _cluster_cells(child, cluster.id, box, boxes)
    return found


def _node_cells(node: Node, parent: str, origin: Box, boxes: dict[str, Box], on_edge: bool) -> list[Vertex]:
    """An icon's cell: the AWS4 icon at the top of Graphviz's node box, its label below it (draw.io's way)."""
    if node.icon in UNDRAWN or node.id not in boxes:
        return []
    box = boxes[node.id]
    if node.icon == "note":
        return [Vertex(node.id, _html(node.label), styles.note(node.status), parent, _relative(box, origin))]
    style, width, height = styles.icon(node.icon)
    if node.status:
        style = _marked(style, node.status)
    icon = Box(box.x + (box.width - width) / 2, box.y + 4, width, height)
    geometry = _relative(icon, origin)
    if on_edge and node.icon == "internet_gateway":
        geometry = replace(geometry, y=-height / 2)  # on the VPC's border, as AWS draws it
    return [Vertex(node.id, _html(node.label), style, parent, geometry)]


def links(plan: Layout, vertices: list[Vertex]) -> list[Link]:
    """The rule edges, joining drawn cells; an edge to a subnet's "any host" stand-in joins its SG or subnet."""
    drawn = {v.id for v in vertices}
    holder = _holders(plan)
    found: list[Link] = []
    seen: set[str] = set()
    for edge in plan.edges:
        source = _drawn(edge.tail_box or edge.source, drawn, holder)
        target = _drawn(edge.head_box or edge.target, drawn, holder)
        if source is None or target is None:
            continue
        cell_id = f"{source}->{target}"
        if cell_id in seen:
            cell_id = f"{cell_id}/{edge.style}"
        seen.add(cell_id)
        found.append(Link(cell_id, _html("\n".join(edge.labels)), styles.edge(edge.style, edge.both), source, target))
    return found


def network_links(plan: Layout, vertices: list[Vertex]) -> list[Link]:
    """The peerings', transit gateways' and gateway endpoints' lines: to the VPC's box where the PNG's ends at
    its border, else between the icons."""
    drawn = {v.id for v in vertices}
    holder = _holders(plan)
    found = []
    for link in plan.links:
        source = _drawn(link.tail_box or link.source, drawn, holder)
        target = _drawn(link.head_box or link.target, drawn, holder)
        if source is not None and target is not None:
            found.append(Link(f"{source}->{target}", "", styles.link(link.style), source, target))
    return found


def _holders(plan: Layout) -> dict[str, str]:
    """Each node's and box's container in the layout, by id."""
    found: dict[str, str] = {}
    stack = list(plan.root)
    while stack:
        cluster = stack.pop()
        for node in cluster.nodes:
            found[node.id] = cluster.id
        for child in cluster.clusters:
            found[child.id] = cluster.id
        stack += cluster.clusters
    return found


def _drawn(cell: str, drawn: set[str], holder: dict[str, str]) -> str | None:
    """`cell`, or its nearest container that has a cell, or None."""
    current: str | None = cell
    while current is not None and current not in drawn:
        current = holder.get(current)
    return current


def read_geometry(text: str) -> dict[str, tuple[str, Box, tuple[tuple[float, float], ...]]]:
    """The container, geometry and waypoints of each cell of an existing .drawio file (plain or compressed), by
    id; RenderError in one sentence when the text is not a draw.io file."""
    from vpcdraw.topology.drawio import cells

    from . import RenderError

    try:
        models = pages(text)
    except (ET.ParseError, ValueError, zlib.error) as error:  # binascii.Error is a ValueError
        raise RenderError(f"the existing drawing is not a draw.io file that vpcdraw can read ({error})") from None
    found: dict[str, tuple[str, Box, tuple[tuple[float, float], ...]]] = {}
    for page in models:
        for cell in cells(page):
            local = cell.local
            found[cell.id] = (cell.parent, Box(local.x, local.y, local.width, local.height), cell.points)
    return found


def keep_geometry(vertices: list[Vertex], previous: dict[str, tuple[str, Box, tuple[tuple[float, float], ...]]]
                  ) -> list[Vertex]:
    """The vertices, with the geometry of the previous file for those still in the same container."""
    kept = []
    for vertex in vertices:
        before = previous.get(vertex.id)
        if before is not None and before[0] == vertex.parent and before[1].width > 0:
            vertex = replace(vertex, geometry=before[1])
        kept.append(vertex)
    return kept


def fit_containers(vertices: list[Vertex], pad: float = 12.0) -> list[Vertex]:
    """The vertices, with containers grown (never shrunk) to hold their cells, innermost first."""
    by_id = {v.id: v for v in vertices}
    held: dict[str, list[str]] = {}
    for vertex in vertices:
        held.setdefault(vertex.parent, []).append(vertex.id)
    for vertex in reversed(vertices):  # containers come before their cells, so children are fitted first
        children = [by_id[i] for i in held.get(vertex.id, [])]
        if not vertex.container or not children:
            continue
        vertex = by_id[vertex.id]
        right = max(c.geometry.x + c.geometry.width for c in children) + pad
        bottom = max(c.geometry.y + c.geometry.height for c in children) + pad
        grown = replace(vertex.geometry, width=max(vertex.geometry.width, right),
                        height=max(vertex.geometry.height, bottom))
        by_id[vertex.id] = replace(vertex, geometry=grown)
    return [by_id[v.id] for v in vertices]


def mxfile(title: str, vertices: list[Vertex], edges: list[Link], compressed: bool = False) -> str:
    """The mxfile text of one page: cells 0 (root) and 1 (layer), then the vertices and edges."""
    document = ET.Element("mxfile", host="vpcdraw", type="device")
    diagram = ET.SubElement(document, "diagram", id="vpcdraw", name=title)
    model = graph_model(vertices, edges)
    if compressed:
        diagram.text = deflate(ET.tostring(model, encoding="unicode"))
    else:
        diagram.append(model)
    ET.indent(document)
    return ET.tostring(document, encoding="unicode") + "\n"


def graph_model(vertices: list[Vertex], edges: list[Link]) -> ET.Element:
    """The mxGraphModel element holding the cells, all listed flat under root, each naming its parent."""
    page = _union([v.geometry for v in vertices if v.parent == "1"] or [Box(0, 0, 850, 1100)])
    model = ET.Element("mxGraphModel", dx="1000", dy="1000", grid="1", gridSize="10", guides="1", tooltips="1",
                       connect="1", arrows="1", fold="1", page="1", pageScale="1",
                       pageWidth=_number(page.x + page.width + MARGIN),
                       pageHeight=_number(page.y + page.height + MARGIN), math="0", shadow="0")
    root = ET.SubElement(model, "root")
    ET.SubElement(root, "mxCell", id="0")
    ET.SubElement(root, "mxCell", {"id": "1", "parent": "0"})
    for vertex in vertices:
        cell = _cell(root, vertex.id, vertex.value, vertex.data,
                     {"style": vertex.style, "vertex": "1", "parent": vertex.parent})
        g = vertex.geometry
        ET.SubElement(cell, "mxGeometry", {"x": _number(g.x), "y": _number(g.y), "width": _number(g.width),
                                           "height": _number(g.height), "as": "geometry"})
    for link in edges:
        cell = _cell(root, link.id, link.value, link.data, {"style": link.style, "edge": "1", "parent": "1",
                                                            "source": link.source, "target": link.target})
        geometry = ET.SubElement(cell, "mxGeometry", {"relative": "1", "as": "geometry"})
        if link.points:
            array = ET.SubElement(geometry, "Array", {"as": "points"})
            for x, y in link.points:
                ET.SubElement(array, "mxPoint", {"x": _number(x), "y": _number(y)})
    return model


def _cell(root: ET.Element, ident: str, value: str, data: tuple[tuple[str, str], ...],
          attributes: dict[str, str]) -> ET.Element:
    """An mxCell; with properties, inside an <object> that holds its id, label and properties (draw.io's form for
    "Edit Data"), as draw.io writes it."""
    if not data:
        return ET.SubElement(root, "mxCell", {"id": ident, "value": value, **attributes})
    wrapper = ET.SubElement(root, "object", {"label": value, "id": ident, **dict(data)})
    return ET.SubElement(wrapper, "mxCell", attributes)


def _relative(box: Box, origin: Box) -> Box:
    return Box(box.x - origin.x, box.y - origin.y, box.width, box.height)


def _union(boxes: list[Box]) -> Box:
    left, top = min(b.x for b in boxes), min(b.y for b in boxes)
    right, bottom = max(b.x + b.width for b in boxes), max(b.y + b.height for b in boxes)
    return Box(left, top, right - left, bottom - top)


def _marked(style: str, status: str) -> str:
    """A style in a drift mark's colours (missing, changed, unmanaged), as the PNG marks boxes and icons."""
    pen, fill, line, _words = DRIFT_LOOK[status]
    values = {"strokeColor": pen, "fontColor": pen, "strokeWidth": "3"}
    if "container=1" in style:
        values["fillColor"] = fill
    if line in ("dashed", "dotted"):
        values["dashed"] = "1"
    return styles.override(style, **values)


def _html(text: str) -> str:
    """A label as draw.io's html=1 value: escaped, lines joined by <br>."""
    return "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))


def _number(value: float) -> str:
    """A coordinate as draw.io writes it: no trailing `.0`."""
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)

"""The one place that calls `diagrams`: a Layout becomes DOT, and Graphviz turns it into PNG or SVG.

The graph settings follow what avoided Graphviz's crashes and label drift in trials: `newrank=true`
(rows across clusters, no `trouble in init_rank`), `splines=spline` with `decorate` on labelled edges.
"""

from __future__ import annotations

import html
import importlib
import itertools
from collections import defaultdict
from typing import Any

from .edges import Bundle, bundles
from .icons import icon_name, with_comment
from .layout import Cluster, Edge, Layout, Node

# AWS Architecture Icons group conventions: (pen colour, fill, line style).
CLUSTER_LOOK: dict[str, tuple[str, str, str]] = {
    "aws_cloud": ("#232F3E", "#FFFFFF", "solid"),
    "region": ("#00A4A6", "#FFFFFF", "dashed"),
    "vpc": ("#8C4FFF", "#FFFFFF", "solid"),
    "az": ("#007FAA", "#FFFFFF", "dashed"),
    "public_subnet": ("#248814", "#F2F8F0", "solid"),
    "private_subnet": ("#147EBA", "#EFF6FB", "solid"),
    "security_group": ("#DD344C", "#FFFFFF", "dashed"),
    "placeholder": ("#FFFFFF", "#FFFFFF", "invis"),
    "account": ("#CD2264", "#FFFFFF", "solid"),  # an external peer VPC's AWS account
}

AWS_CLOUD = "aws_cloud"  # the id of the AWS Cloud box around the regions

# The picture for each node kind: a diagrams class, by module and name. Hosts of every role ("instance_web",
# "instance_db", ...) are EC2 instances and get AWS's EC2 instance icon, their role being in the label: a db host
# drawn with the RDS database icon reads as a managed database.
INSTANCE_ICON = "diagrams.aws.compute.EC2Instance"
ICONS: dict[str, str] = {
    "internet": "diagrams.aws.general.InternetAlt1",
    "cidr": "diagrams.aws.general.GenericOfficeBuilding",
    "admin": "diagrams.aws.general.User",
    "internet_gateway": "diagrams.aws.network.InternetGateway",
    "nat_gateway": "diagrams.aws.network.NATGateway",
    # diagrams' RouteTable artwork prints "172.16.0.0 / 172.16.1.0 / 172.16.2.0", which reads as routes (wrong in
    # any other VPC): the VPC router, whose table it is, has no text; the label names the table and its routes.
    "route_table": "diagrams.aws.network.VPCRouter",
    "public_subnet": "diagrams.aws.network.PublicSubnet",
    "private_subnet": "diagrams.aws.network.PrivateSubnet",
    "peering": "diagrams.aws.network.VPCPeering",
    "transit_gateway": "diagrams.aws.network.TransitGateway",
    "transit_gateway_attachment": "diagrams.aws.network.TransitGatewayAttachment",
    "gateway_endpoint": "diagrams.aws.network.Endpoint",
    "interface_endpoint": "diagrams.aws.network.VPCElasticNetworkInterface",
    "external_vpc": "diagrams.aws.network.VPC",
}

# The links that are no rule (render.links): colour, line style, the legend's words. AWS's networking purple,
# told apart by the line.
LINK_LOOK: dict[str, tuple[str, str, str]] = {
    "peering": ("#8C4FFF", "bold", "VPC peering: between the two VPCs (bold, purple)"),
    "transit": ("#8C4FFF", "solid", "transit gateway attachment: its icon in each subnet it uses (solid, purple)"),
    "endpoint": ("#8C4FFF", "dashed", "gateway endpoint: route tables it adds its route to (dashed, purple)"),
}

# Edge looks: colour, line style, and the legend's words (line styles carry meaning without colour). No two kinds
# share a colour and line, so each legend entry names one kind of edge only; the words name what the edge is.
EDGE_LOOK: dict[str, tuple[str, str, str]] = {
    "internet": ("#248814", "bold", "from the internet (bold, green)"),
    "tier": ("#147EBA", "solid", "between tiers (solid, blue)"),
    "ssh": ("#D45B07", "dashed", "SSH between hosts of the VPC (dashed, orange)"),
    "admin": ("#E7157B", "bold", "from my IP, any port (bold, pink)"),
    "egress": ("#7B8894", "dotted", "egress rule (dotted, grey)"),
    "unreachable": ("#8D99A6", "dashed", "allowed, but cannot arrive: no route or no public IP (dashed, grey)"),
    "missing": ("#D13212", "dashed", "MISSING: drawn, not in the account (dashed, red)"),
    "unmanaged": ("#F08000", "bold", "UNMANAGED: in the account, not in the drawing (bold, orange)"),
}
PEN_WIDTH = {"unmanaged": "4", "missing": "2"}  # drift is drawn heavier than the rules that agree; else 1.5, bold 2
# Drift on boxes and icons: pen colour, fill, line style, and the legend's words.
DRIFT_LOOK: dict[str, tuple[str, str, str, str]] = {
    "missing": ("#D13212", "#FDECEA", "dashed", "MISSING: drawn, not in the account (red, dashed)"),
    "changed": ("#B7791F", "#FFF6D6", "bold", "CHANGED: differs, as its label says (yellow, bold)"),
    "unmanaged": ("#F08000", "#FFF3E0", "dotted", "UNMANAGED: in the account, not in the drawing (orange, dotted)"),
}

FONT_FALLBACK = "Sans-Serif"
LABEL_PAD = (6, 14)  # points of room above and below an edge's label, so it sits clear of the boxes around it
# supporting icons, drawn smaller
SMALL_ICONS = ("route_table", "public_subnet", "private_subnet", "transit_gateway_attachment", "interface_endpoint")
SMALL_ICON_PT = 44
BESIDE_ICONS = ("peering", "transit_gateway")  # hubs of lines: the text beside the icon, where no line runs
BESIDE_PT = 72
# Copies of each invisible line of a fan (Layout.fans): dot counts a crossing of one with another line as many
# times as there are copies of both, so the fan's order outweighs what other lines into the boxes would gain.
FAN_COPIES = 8
ICON_PT = 96  # a marked icon drawn over its text, about as large as the others


def to_dot(layout: Layout, font: str | None = None) -> str:
    """The DOT source of a layout, built with `diagrams`; same layout, byte-identical text."""
    from diagrams import Diagram, setdiagram

    fontname = font or FONT_FALLBACK
    diagram = Diagram(
        name=layout.title,
        filename="vpcdraw",
        direction="TB",
        show=False,
        graph_attr={
            "newrank": "true",
            "mclimit": "0.01",
            "splines": "spline",
            "compound": "true",
            "labelloc": "t",
            "fontname": fontname,
            "fontsize": "20",
            "pad": "0.5",
            "nodesep": "0.5",
            "ranksep": "0.7",
        },
        node_attr={"fontname": fontname, "fontsize": "12"},
        edge_attr={"fontname": fontname},
    )
    setdiagram(diagram)  # what `with Diagram()` does on entry; its exit would also render to a file
    try:
        levels = {n.id: n.level for n in layout.nodes()}
        bundled, single = bundles(layout.edges, levels)
        points = _junctions(layout, bundled)
        for node in layout.top:
            _node(node, fontname)
        if layout.root:
            _aws_cloud(layout.root, fontname, points, {f[0]: len(f) - 1 for f in layout.fans})
        for node in layout.bottom:
            _node(node, fontname)
        _points(points.get("", []))
        if layout.edges or layout.links or any(n.status for n in layout.nodes()) or \
                any(c.status for c in layout.clusters()):
            _legend(layout, fontname)
        for edge in single:
            _edge(diagram, edge, levels, fontname)
        for link in layout.links:
            _link(diagram, link, layout.nodes())
        for number, bundle in enumerate(bundled):
            _bundle(diagram, f"rules/{number}", bundle, levels, fontname)
        for column in layout.columns:
            for upper, lower in itertools.pairwise(column):
                diagram.dot.edge(upper, lower, style="invis", weight="10")
        for fan in layout.fans:
            for port, lower in enumerate(fan[1:]):
                for copy in range(FAN_COPIES):  # one edge to keep the fan just above, the others weigh nothing
                    diagram.dot.edge(f"{fan[0]}:p{port}", lower, style="invis", weight="0" if copy else "1")
        for row in layout.rows:
            diagram.dot.body.append("\t{rank=same; " + " ".join(_quote(n) for n in row) + "}\n")
        return with_comment(str(diagram.dot.source))
    finally:
        setdiagram(None)


def _icon_class(kind: str) -> Any:
    module, _, name = (INSTANCE_ICON if kind.startswith("instance_") else ICONS[kind]).rpartition(".")
    return getattr(importlib.import_module(module), name)


def _node(node: Node, fontname: str, ports: int = 0) -> None:
    from diagrams import Node as Plain

    if node.icon == "placeholder":
        Plain("", nodeid=node.id, style="invis", width="1.4", height="1.4")
    elif node.icon == "anchor":  # invisible, with a port for each of its fan's lines, left to right
        cells = "".join(f'<TD PORT="p{i}" WIDTH="2" HEIGHT="2"></TD>' for i in range(max(ports, 1)))
        Plain(f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>>', nodeid=node.id,
              shape="plaintext", style="invis", width="0", height="0", fixedsize="false")
    elif node.icon == "note":
        pen, fill, style, _ = DRIFT_LOOK[node.status or "unmanaged"]
        Plain(node.label, nodeid=node.id, shape="note", style=f"filled,{style}", color=pen, fillcolor=fill,
              fixedsize="false", width="0", height="0", labeljust="l", fontname=fontname, fontsize="11")
    elif node.icon in BESIDE_ICONS:
        _icon_beside_text(node, fontname)
    elif node.icon in SMALL_ICONS or node.status:
        # An icon over its text, sized by Graphviz so long labels get room of their own; a marked one is framed
        # in the drift's colours and line, as a marked box is (a fixed-size icon node would cut its frame).
        _icon_over_text(node, SMALL_ICON_PT if node.icon in SMALL_ICONS else ICON_PT, fontname)
    else:
        icon = _icon_class(node.icon)
        # An internet gateway is attached to its VPC's edge: dot cannot draw a node on a box's border, so the
        # gateway is the VPC's first row and its icon the top of its node, as near the border as dot allows.
        lines = node.label.count("\n") + 1
        edge = {"imagepos": "tc", "height": f"{1.45 + 0.22 * lines:.2f}"} if node.icon == "internet_gateway" else {}
        icon(node.label, nodeid=node.id, fontname=fontname, image=icon_name(icon), **edge)  # relative: see icons.py


def _icon_beside_text(node: Node, fontname: str) -> None:
    """A peering's or transit gateway's icon with its text on its right: its lines leave the icon (its port
    `icon`) up and down without crossing the text."""
    from diagrams import Node as Plain

    path = icon_name(_icon_class(node.icon))
    text = "<BR/>".join(html.escape(line) for line in node.label.split("\n"))
    frame = 'BORDER="0" CELLSPACING="4" CELLPADDING="0"'
    if node.status:
        pen, fill, style, _ = DRIFT_LOOK[node.status]
        frame = (f'BORDER="2" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2" COLOR="{pen}" BGCOLOR="{fill}"'
                 f'{_html_style(style)}')
        text = f'<FONT COLOR="{pen}">{text}</FONT>'
    label = (f'<<TABLE {frame}><TR><TD PORT="icon" FIXEDSIZE="TRUE" WIDTH="{BESIDE_PT}" HEIGHT="{BESIDE_PT}">'
             f'<IMG SRC="{html.escape(path)}" SCALE="TRUE"/></TD><TD ALIGN="LEFT">{text}</TD></TR></TABLE>>')
    Plain(label, nodeid=node.id, shape="plaintext", fixedsize="false", width="0", height="0",
          fontname=fontname, fontsize="12")


def _icon_over_text(node: Node, size: int, fontname: str) -> None:
    from diagrams import Node as Plain

    path = icon_name(_icon_class(node.icon))
    text = "<BR/>".join(html.escape(line) for line in node.label.split("\n"))
    frame = 'BORDER="0" CELLSPACING="2" CELLPADDING="0"'
    if node.status:
        pen, fill, style, _ = DRIFT_LOOK[node.status]
        frame = (f'BORDER="2" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2" COLOR="{pen}" BGCOLOR="{fill}"'
                 f'{_html_style(style)}')
        text = f'<FONT COLOR="{pen}">{text}</FONT>'
    label = (f'<<TABLE {frame}><TR><TD FIXEDSIZE="TRUE" WIDTH="{size}" HEIGHT="{size}">'
             f'<IMG SRC="{html.escape(path)}" SCALE="TRUE"/></TD></TR><TR><TD>{text}</TD></TR></TABLE>>')
    Plain(label, nodeid=node.id, shape="plaintext", fixedsize="false", width="0", height="0",
          fontname=fontname, fontsize="11" if size == SMALL_ICON_PT else "12")


def _cluster(cluster: Cluster, fontname: str, points: dict[str, list[tuple[str, str]]],
             ports: dict[str, int]) -> None:
    from diagrams import Cluster as Box

    pen, fill, style = CLUSTER_LOOK[cluster.style]
    if cluster.status:
        pen, fill, style, _ = DRIFT_LOOK[cluster.status]
    attrs = {
        "label": cluster.label,  # the visible text; the id below keeps same-label siblings apart
        "pencolor": pen,
        "fontcolor": pen,
        "bgcolor": fill,
        "style": style if style != "solid" else "",
        "penwidth": "3" if cluster.status else "2" if cluster.style in ("vpc", "public_subnet", "private_subnet")
        else "1.5",
        "fontname": fontname,
        "fontsize": "14" if cluster.style in ("region", "vpc", "az") else "13",
        "margin": "12",
    }
    with Box(cluster.id, graph_attr=attrs):
        for node in cluster.nodes:
            _node(node, fontname, ports.get(node.id, 0))
        _points(points.get(cluster.id, []))
        for child in cluster.clusters:
            _cluster(child, fontname, points, ports)


def _aws_cloud(regions: list[Cluster], fontname: str, points: dict[str, list[tuple[str, str]]],
               ports: dict[str, int]) -> None:
    """AWS's "AWS Cloud" group around the regions; the internet, other networks and the admin stay outside it.
    It is the drawing's alone (no resource has it), so the Layout does not have it."""
    from diagrams import Cluster as Box

    pen, fill, style = CLUSTER_LOOK["aws_cloud"]
    attrs = {"label": "AWS Cloud", "pencolor": pen, "fontcolor": pen, "bgcolor": fill, "style": style,
             "penwidth": "2", "fontname": fontname, "fontsize": "14", "margin": "16"}
    with Box(AWS_CLOUD, graph_attr=attrs):
        for cluster in regions:
            _cluster(cluster, fontname, points, ports)


def _edge_label(lines: tuple[str, ...]) -> str:
    """An edge's ports, with room above and below: dot puts an edge's label in the row between its ends, flush
    against the next box's border (8 pt off, the box's name over it); the padding keeps the text off both boxes.
    Between two AZ columns the label can only go in the gap between their borders: white behind the text keeps
    the dashed line from running through it."""
    text = "<BR/>".join(html.escape(line) for line in lines)
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD HEIGHT="{LABEL_PAD[0]}"></TD></TR>'
            f'<TR><TD BGCOLOR="#FFFFFF">{text}</TD></TR><TR><TD HEIGHT="{LABEL_PAD[1]}"></TD></TR></TABLE>>')


def _edge(diagram: Any, edge: Edge, levels: dict[str, int], fontname: str) -> None:
    color, style, _ = EDGE_LOOK[edge.style]
    attrs = {
        "label": _edge_label(edge.labels),
        "color": color,
        "fontcolor": color,
        "style": style,
        "fontname": fontname,
        "fontsize": "12",
        "penwidth": _pen_width(edge.style),
    }
    source_level, target_level = levels.get(edge.source, 0), levels.get(edge.target, 0)
    reverse = source_level > target_level  # drawn target -> source, so ranks stay top-down
    if source_level == target_level:
        # A labelled edge within one row makes dot fail ("trouble in init_rank", "lost edge"); xlabel does not.
        attrs["xlabel"] = attrs.pop("label")
        if "/az/" in edge.source and "/az/" in edge.target:
            # Between two tier-and-AZ boxes of a grouped drawing it would also rank one end a row below the
            # other, a staircase of AZ columns. (Not in general: there dot's spline router failed in trials.)
            attrs["constraint"] = "false"
    if edge.both:
        attrs["dir"] = "both"
    if edge.tail_box or edge.head_box:  # a label dot would place as a rank's node, far from a clipped line
        attrs["xlabel"] = attrs.pop("label", attrs.get("xlabel", ""))
    if edge.tail_box:  # from another VPC: the line leaves its box's border
        attrs["lhead" if reverse else "ltail"] = f"cluster_{edge.tail_box}"
    if edge.head_box:
        attrs["ltail" if reverse else "lhead"] = f"cluster_{edge.head_box}"
    if reverse:
        diagram.dot.edge(edge.target, edge.source, dir=attrs.pop("dir", "back"), **attrs)
    else:
        diagram.dot.edge(edge.source, edge.target, **attrs)


def _link(diagram: Any, link: Edge, layout_nodes: list[Node]) -> None:
    """A peering's, transit gateway's or gateway endpoint's line: no arrowhead (traffic goes both ways), ending at
    its box's border when it has one (`lhead`: the DOT's clusters are `cluster_<id>`)."""
    color, style, _ = LINK_LOOK[link.style]
    attrs = {"color": color, "style": style, "dir": "none", "penwidth": "3" if style == "bold" else "2"}
    if link.style == "transit":  # room between the VPCs' rows and the gateway for the lines to fan out
        attrs["minlen"] = "2"
    if link.head_box:
        attrs["lhead"] = f"cluster_{link.head_box}"
    if link.tail_box:
        attrs["ltail"] = f"cluster_{link.tail_box}"
    hubs = {n.id for n in layout_nodes if n.icon in BESIDE_ICONS}
    source, target = (f"{end}:icon" if end in hubs else end for end in (link.source, link.target))
    diagram.dot.edge(source, target, **attrs)


def _junctions(layout: Layout, bundled: list[Bundle]) -> dict[str, list[tuple[str, str]]]:
    """The two points of each bundle (id, colour), by the innermost box that holds all the bundle's ends ("" for
    none): a point outside every box would pull the lines out of the VPC, round all the AZ columns."""
    chain: dict[str, tuple[str, ...]] = {}
    stack: list[tuple[Cluster, tuple[str, ...]]] = [(c, (c.id,)) for c in layout.root]
    while stack:
        cluster, path = stack.pop()
        chain.update((n.id, path) for n in cluster.nodes)
        stack += [(child, (*path, child.id)) for child in cluster.clusters]
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for number, bundle in enumerate(bundled):
        paths = [chain.get(n, ()) for n in (*bundle.sources, *bundle.targets)]
        shared = _prefix(paths)
        home = paths[0][shared - 1] if shared else ""
        color = EDGE_LOOK[bundle.style][0]
        found[home] += [(f"rules/{number}/from", color), (f"rules/{number}/to", color)]
    return found


def _prefix(paths: list[tuple[str, ...]]) -> int:
    """How many boxes, from the outermost, all the paths share."""
    shared = 0
    for ids in zip(*paths, strict=False):
        if len(set(ids)) != 1:
            break
        shared += 1
    return shared


def _points(points: list[tuple[str, str]]) -> None:
    from diagrams import Node as Plain

    for point, color in points:
        Plain("", nodeid=point, shape="point", width="0.09", height="0.09", fixedsize="true", color=color,
              fillcolor=color, style="filled")


def _bundle(diagram: Any, here: str, bundle: Bundle, levels: dict[str, int], fontname: str) -> None:
    """A bundle of rule edges: the sources meet at a point, one edge with the ports goes to a second point, and
    arrows leave it for the targets; every segment in the rules' look. Edges run down the ranks, as `_edge`'s."""
    color, style, _ = EDGE_LOOK[bundle.style]
    look = {"color": color, "style": style, "penwidth": _pen_width(bundle.style)}
    join, split = f"{here}/from", f"{here}/to"  # drawn by _points, in their box
    trunk = {"label": _edge_label(bundle.labels), "fontcolor": color, "fontname": fontname, "fontsize": "12", **look}
    tail = "back" if bundle.both else "none"  # an arrowhead at a source only when the traffic is allowed back
    if min(levels.get(n, 0) for n in bundle.sources) < min(levels.get(n, 0) for n in bundle.targets):
        for source in bundle.sources:
            diagram.dot.edge(source, join, dir=tail, **look)
        diagram.dot.edge(join, split, dir="none", **trunk)
        for target in bundle.targets:
            diagram.dot.edge(split, target, **look)
    else:  # the targets are above: drawn from them down to the sources, the arrowheads at the targets
        for target in bundle.targets:
            diagram.dot.edge(target, split, dir="back", **look)
        diagram.dot.edge(split, join, dir="none", **trunk)
        for source in bundle.sources:
            diagram.dot.edge(join, source, dir="forward" if bundle.both else "none", **look)


def _legend(layout: Layout, fontname: str) -> None:
    from diagrams import Node as Plain

    # each section under its own heading, and only when it has entries: a drawing with links and no rule edges
    # has no "Security group rules" over its links
    rows = []
    ruled = [kind for kind in EDGE_LOOK if any(e.style == kind for e in layout.edges)]
    if ruled:
        rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Security group rules</B></TD></TR>')
    for kind in ruled:
        color, style, words = EDGE_LOOK[kind]
        rows.append(f'<TR><TD>{_swatch(color, style, _pen_width(kind))}</TD><TD ALIGN="LEFT">{words}</TD></TR>')
    linked = [kind for kind in LINK_LOOK if any(link.style == kind for link in layout.links)]
    if linked:
        rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Links</B></TD></TR>')
    for kind in linked:
        color, style, words = LINK_LOOK[kind]
        rows.append(f'<TR><TD>{_swatch(color, style, "3" if style == "bold" else "2")}</TD>'
                    f'<TD ALIGN="LEFT">{html.escape(words)}</TD></TR>')
    used = {c.status for c in layout.clusters()} | {n.status for n in layout.nodes()}
    marks = [status for status in DRIFT_LOOK if status in used]
    if marks:
        rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Boxes and icons</B></TD></TR>')
    for status in marks:
        # the swatch is a little box drawn as the marked boxes are: their pen, fill and line
        pen, fill, style, words = DRIFT_LOOK[status]
        if status == "changed" and layout.changed_meaning:
            words = layout.changed_meaning
        rows.append(f'<TR><TD BORDER="2" COLOR="{pen}" BGCOLOR="{fill}"{_html_style(style)}> </TD>'
                    f'<TD ALIGN="LEFT">{html.escape(words)}</TD></TR>')
    table = '<TABLE BORDER="1" COLOR="#AEB6BE" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3">'
    Plain(f"<{table}{''.join(rows)}</TABLE>>", nodeid="legend", shape="plaintext", fixedsize="false",
          fontname=fontname, width="0", height="0")


def _pen_width(kind: str) -> str:
    return PEN_WIDTH.get(kind, "2" if EDGE_LOOK[kind][1] == "bold" else "1.5")


def _swatch(color: str, style: str, width: str) -> str:
    """A short line drawn by Graphviz as the edges are, in their colour, dashes and relative width (a cell's
    bottom border: whole points only, so 1.5 -> 2, 2 -> 3, 4 -> 6); a text glyph would depend on the font."""
    border = int(float(width) * 1.5 + 0.5)
    dashes = _html_style(style)
    return (f'<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="44" HEIGHT="6" BORDER="{border}" '
            f'SIDES="B" COLOR="{color}"{dashes}></TD></TR></TABLE>')


def _html_style(style: str) -> str:
    """An HTML-label border style for a box's line style (Graphviz draws no bold borders there: solid)."""
    return f' STYLE="{style}"' if style in ("dashed", "dotted") else ""


def _quote(node_id: str) -> str:
    return '"' + node_id.replace('"', '\\"') + '"'

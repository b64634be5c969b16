"""draw.io style strings for vpcdraw's boxes, icons and rule edges, as draw.io's own AWS4 sidebar writes them.

The strings are those of `src/main/webapp/js/diagramly/sidebar/Sidebar-AWS4.js` in jgraph/drawio (groups,
Network & Content Delivery, Compute, General Resources and Arrows palettes); vpcdraw only adds colours for
rule kinds, so a user's own AWS shapes and vpcdraw's look the same in draw.io.
"""

from __future__ import annotations

from .draw import DRIFT_LOOK, EDGE_LOOK

# Groups palette (addAWS4GroupsPalette): connection points, then the group base `n4`.
_POINTS = ("points=[[0,0],[0.25,0],[0.5,0],[0.75,0],[1,0],[1,0.25],[1,0.5],[1,0.75],[1,1],[0.75,1],[0.5,1],"
           "[0.25,1],[0,1],[0,0.75],[0,0.5],[0,0.25]];")
_GROUP = (_POINTS + "outlineConnect=0;gradientColor=none;html=1;whiteSpace=wrap;fontSize=12;fontStyle=0;container=1;"
          "pointerEvents=0;collapsible=0;recursiveResize=0;shape=mxgraph.aws4.")

AWS_CLOUD = (_GROUP + "group;grIcon=mxgraph.aws4.group_aws_cloud_alt;strokeColor=#232F3E;fillColor=none;"
             "verticalAlign=top;align=left;spacingLeft=30;fontColor=#232F3E;dashed=0;")

# A box's look by its layout style (render.layout.Cluster.style).
GROUPS: dict[str, str] = {
    "region": _GROUP + "group;grIcon=mxgraph.aws4.group_region;strokeColor=#00A4A6;fillColor=none;"
              "verticalAlign=top;align=left;spacingLeft=30;fontColor=#147EBA;dashed=1;",
    "vpc": _GROUP + "group;grIcon=mxgraph.aws4.group_vpc2;strokeColor=#8C4FFF;fillColor=none;verticalAlign=top;"
           "align=left;spacingLeft=30;fontColor=#AAB7B8;dashed=0;",
    # Availability Zone and Security group are plain rectangles in the palette, not aws4 group shapes;
    # `container=1` lets a moved box carry what is inside it, as the aws4 groups do.
    "az": "fillColor=none;strokeColor=#147EBA;dashed=1;verticalAlign=top;fontStyle=0;fontColor=#147EBA;"
          "whiteSpace=wrap;html=1;container=1;",
    "security_group": "fillColor=none;strokeColor=#DD3522;verticalAlign=top;fontStyle=0;fontColor=#DD3522;"
                      "whiteSpace=wrap;html=1;container=1;",
    "public_subnet": _GROUP + "group;grIcon=mxgraph.aws4.group_security_group;grStroke=0;strokeColor=#7AA116;"
                     "fillColor=#F2F6E8;verticalAlign=top;align=left;spacingLeft=30;fontColor=#248814;dashed=0;",
    "private_subnet": _GROUP + "group;grIcon=mxgraph.aws4.group_security_group;grStroke=0;strokeColor=#00A4A6;"
                      "fillColor=#E6F6F7;verticalAlign=top;align=left;spacingLeft=30;fontColor=#147EBA;dashed=0;",
    "account": _GROUP + "group;grIcon=mxgraph.aws4.group_account;strokeColor=#CD2264;fillColor=none;"
               "verticalAlign=top;align=left;spacingLeft=30;fontColor=#CD2264;dashed=0;",
}

# Resource icons: the Network & Content Delivery base `n` (purple), Compute's (orange), General Resources'.
_NETWORK = ("sketch=0;outlineConnect=0;fontColor=#232F3E;gradientColor=none;fillColor=#8C4FFF;strokeColor=none;"
            "dashed=0;verticalLabelPosition=bottom;verticalAlign=top;align=center;html=1;fontSize=12;fontStyle=0;"
            "aspect=fixed;pointerEvents=1;shape=mxgraph.aws4.")
# The palette's service icons (base `n2`): an AWS service's square, its artwork named by resIcon.
_SERVICE = ("sketch=0;outlineConnect=0;fontColor=#232F3E;fillColor=#8C4FFF;strokeColor=#ffffff;dashed=0;"
            "verticalLabelPosition=bottom;verticalAlign=top;align=center;html=1;fontSize=12;fontStyle=0;"
            "aspect=fixed;shape=mxgraph.aws4.resourceIcon;resIcon=mxgraph.aws4.")
_COMPUTE = _NETWORK.replace("fillColor=#8C4FFF", "fillColor=#ED7100")
_GENERAL = ("outlineConnect=0;fontColor=#232F3E;gradientColor=none;fillColor=#232F3E;strokeColor=none;dashed=0;"
            "verticalLabelPosition=bottom;verticalAlign=top;align=center;html=1;fontSize=12;fontStyle=0;"
            "aspect=fixed;pointerEvents=1;shape=mxgraph.aws4.")

# An icon's style and size (points) by the layout's icon kind (render.layout.Node.icon); instances of any
# role ("instance_web", "instance_db", ...) are EC2 instances and use INSTANCE.
ICONS: dict[str, tuple[str, float, float]] = {
    "internet_gateway": (_NETWORK + "internet_gateway;", 78, 78),
    "nat_gateway": (_NETWORK + "nat_gateway;", 78, 78),
    # AWS's route-table icon prints 172.16.0.0 / 172.16.1.0 / 172.16.2.0, which reads as routes: the VPC router,
    # as in the PNG, with the table's name and routes in its label
    "route_table": (_NETWORK + "router;", 46, 46),
    "network_acl": (_NETWORK + "network_access_control_list;", 46, 46),
    "internet": (_GENERAL + "internet_alt1;", 78, 48),
    "admin": (_GENERAL + "user;", 78, 78),
    "cidr": (_GENERAL + "office_building;", 50, 78),
    # the links between VPCs and to AWS services (render.links)
    "peering": (_NETWORK + "peering;", 60, 60),
    "transit_gateway": (_SERVICE + "transit_gateway;", 60, 60),
    "transit_gateway_attachment": (_NETWORK + "transit_gateway_attachment;", 40, 40),
    "gateway_endpoint": (_NETWORK + "endpoints;", 60, 60),
    "interface_endpoint": (_NETWORK + "elastic_network_interface;", 40, 40),
    "external_vpc": (_NETWORK + "vpc_virtual_private_cloud_vpc;", 50, 50),
}
INSTANCE = (_COMPUTE + "instance2;", 48.0, 48.0)

# Arrows palette: the solid block arrow; rule kinds recolour it (render.draw.EDGE_LOOK).
_ARROW = ("edgeStyle=orthogonalEdgeStyle;html=1;endArrow=block;elbow=vertical;startArrow=none;endFill=1;"
          "strokeColor=#545B64;rounded=0;")
NOTE = "shape=note;whiteSpace=wrap;html=1;backgroundOutline=1;darkOpacity=0.05;align=left;verticalAlign=top;"


def icon(kind: str) -> tuple[str, float, float]:
    """The style, width and height of the icon for a layout icon kind; an EC2 instance for any host role.

    >>> icon("instance_db")[0].endswith("shape=mxgraph.aws4.instance2;")
    True
    """
    return ICONS.get(kind, INSTANCE)


def override(style: str, **values: str) -> str:
    """`style` with some keys set to new values (kept in place, or appended), so no key appears twice.

    >>> override("a=1;b=2;", b="3", c="4")
    'a=1;b=3;c=4;'
    """
    parts = [p for p in style.split(";") if p]
    keys = [p.split("=", 1)[0] for p in parts]
    for key, value in values.items():
        if key in keys:
            parts[keys.index(key)] = f"{key}={value}"
        else:
            parts.append(f"{key}={value}")
            keys.append(key)
    return ";".join(parts) + ";"


def edge(kind: str, both: bool = False) -> str:
    """The style of a rule edge of a kind (internet, tier, ssh, admin, egress, ...): colour and line of the PNG."""
    color, line, _words = EDGE_LOOK.get(kind, EDGE_LOOK["tier"])
    values = {"strokeColor": color, "fontColor": color}
    if line in ("dashed", "dotted"):
        values["dashed"] = "1"
    if line == "dotted":
        values["dashPattern"] = "1 3"
    if line == "bold" or kind in ("unmanaged", "missing"):
        values["strokeWidth"] = "2"
    if both:
        values.update(startArrow="block", startFill="1")
    return override(_ARROW, **values)


def link(kind: str) -> str:
    """The style of a peering's, transit gateway's or gateway endpoint's line (render.draw.LINK_LOOK): no arrow."""
    from .draw import LINK_LOOK

    color, line, _words = LINK_LOOK[kind]
    values = {"edgeStyle": "none", "strokeColor": color, "endArrow": "none",  # straight: no shared elbows
              "strokeWidth": "3" if line == "bold" else "2"}
    if line == "dashed":
        values["dashed"] = "1"
    return override(_ARROW, **values)


def note(status: str) -> str:
    """The style of a note (drift's words with no box to sit on), in the drift's colours."""
    pen, fill, _line, _words = DRIFT_LOOK.get(status or "unmanaged", DRIFT_LOOK["unmanaged"])
    return override(NOTE, strokeColor=pen, fillColor=fill)

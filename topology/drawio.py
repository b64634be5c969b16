"""Building from a drawing: a diagrams.net (draw.io) file read into a Topology.

What a drawing says is read from what anyone sees in draw.io: AWS4 shapes, which box a cell sits in (its
container, or the box around it), labels (`public-a 10.0.1.0/24`, `SG web`), and labelled edges (`tcp/8080`).
What a picture cannot show (a group's description, an instance's type, a network ACL's entries) is read from
the cell's properties, draw.io's "Edit Data" (the `<object>` around a cell), which `vpcdraw render -o x.drawio`
writes. Where both speak, the picture wins and a property only gives the exact spelling (an AZ written `a`
rather than `ap-northeast-2a`).

The conventions for what a drawing leaves out (README, "Building from a drawing"):
- A subnet's tier is its `tier` property, else what its name or label says (외부망, private, 관리망...), else
  its shape: the green public subnet group is public, the blue private one private.
- A subnet with no route table icon in it: a public-tier one uses the VPC's table that sends 0.0.0.0/0 to the
  internet gateway (made as `public` when there is none), any other uses the VPC's main table (local only).
- An edge into a security group box is an ingress rule of that group for each port on its label, from what the
  edge starts at: the internet or the internet gateway (0.0.0.0/0), the admin (my IP), a box or icon labelled with
  a CIDR, another group, or a subnet. A label line `egress tcp/443` is an egress rule of the group the edge starts
  at. `(words)` after a port is the rule's description. An edge into a subnet box means its one security group.
- A group's egress is AWS's default (all traffic out) unless egress edges or its `egress` property say otherwise.

A .drawio file is data: reading one runs nothing, so it is safe under --no-exec.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from .builder import NetworkAclBuilder, RouteTableBuilder, SecurityGroupBuilder, TopologyBuilder, VpcBuilder
from .errors import InvalidTopology
from .model import ANYWHERE_CIDR, Peer, Rule, Tier, Topology
from .mxfile import diagram_text, pages
from .ports import BadPort, parse_ports, port_text
from .regions import zone_name
from .roles import named_tier
from .validate.problem import Problem, valid_name

_REGION = re.compile(r"\b([a-z]{2}(?:-gov)?-[a-z]+-\d)([a-z])?\b")
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>|</?div[^>]*>|</?p[^>]*>|</li>", re.IGNORECASE)
_MARKS = ("MISSING", "CHANGED", "FAIL", "PASS")  # first lines a drift or grade drawing adds to a label

# draw.io's AWS4 shapes by what they stand for (Sidebar-AWS4.js in jgraph/drawio): group icons, then resources.
GROUP_ICONS: dict[str, str] = {
    "group_aws_cloud_alt": "cloud", "group_aws_cloud": "cloud", "group_account": "cloud",
    "group_region": "region", "group_vpc2": "vpc", "group_vpc": "vpc",
    "group_security_group": "subnet",  # the padlock: draw.io's public and private subnet groups both use it
}
RESOURCE_SHAPES: dict[str, str] = {
    "internet_gateway": "internet_gateway", "nat_gateway": "nat_gateway", "route_table": "route_table",
    "router": "route_table",  # vpcdraw's own: the route-table icon's artwork prints addresses that read as routes
    "network_access_control_list": "network_acl", "instance2": "instance", "instance": "instance",
    "instances": "instance", "ec2": "instance", "internet_alt1": "internet", "internet_alt2": "internet",
    "internet": "internet", "globe": "internet", "user": "admin", "users": "admin", "client": "admin",
    "office_building": "cidr", "corporate_data_center": "cidr", "traditional_server": "cidr",
    # the links between VPCs and to AWS services
    "peering": "peering", "transit_gateway": "transit_gateway", "transit_gateway_attachment": "tgw_attachment",
    "endpoints": "endpoint", "endpoint": "endpoint", "elastic_network_interface": "interface_endpoint",
    "vpc_privatelink": "interface_endpoint", "vpc_virtual_private_cloud_vpc": "external",
}
_ENDPOINT_ROUTE = re.compile(r"\S+ prefix list to endpoint \S+")  # a gateway endpoint's route, which AWS adds
_ROUTE_KINDS = {"peering": "vpc_peering_connection", "tgw": "transit_gateway", "transit gateway": "transit_gateway"}
PUBLIC_COLOURS = ("#7aa116", "#248814", "#f2f6e8", "#e9f3e6")  # the public subnet group's stroke, font and fill
PRIVATE_COLOURS = ("#00a4a6", "#147eba", "#e6f6f7")


@dataclass(frozen=True)
class Box:
    """A rectangle on the page (absolute, origin top-left), in points."""

    x: float
    y: float
    width: float
    height: float

    def holds(self, other: Box) -> bool:
        """Whether `other`'s centre lies in this box (its border included)."""
        cx, cy = other.x + other.width / 2, other.y + other.height / 2
        return self.x <= cx <= self.x + self.width and self.y <= cy <= self.y + self.height

    @property
    def area(self) -> float:
        return self.width * self.height


@dataclass
class Cell:
    """One cell of the page: a vertex or an edge, its text, style, properties and place."""

    id: str
    text: str  # the label as plain text, lines joined by newlines
    style: dict[str, str]
    parent: str
    data: dict[str, str]
    edge: bool
    source: str = ""
    target: str = ""
    box: Box = field(default_factory=lambda: Box(0, 0, 0, 0))  # absolute, filled in once parents are known
    local: Box = field(default_factory=lambda: Box(0, 0, 0, 0))  # relative to the parent, as the file says
    points: tuple[tuple[float, float], ...] = ()  # an edge's waypoints, as the user bent it
    kind: str = ""

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.split("\n") if line]

    @property
    def called(self) -> str:
        """How a problem names the cell: its id, and its label when it has one."""
        label = " ".join(self.lines)
        return f"cell '{self.id}'" + (f" ({label})" if label else "")


def read(data: bytes, name: str) -> tuple[Topology, list[str]]:
    """The topology a draw.io file (or a .drawio.png / .drawio.svg picture) draws, and what was assumed where
    the drawing left something to convention; InvalidTopology naming every cell that cannot be read."""
    try:
        models = pages(diagram_text(data, name))
    except (ET.ParseError, ValueError, zlib.error) as error:  # binascii.Error is a ValueError
        raise InvalidTopology(name, [Problem("file", f"not a draw.io file vpcdraw can read ({error})")]) from None
    return _Reader(name, models).run()


def _text(value: str) -> str:
    """A label as plain text: draw.io's html=1 values have <br>, <div> and entities."""
    text = _BREAK.sub("\n", value)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def _style(text: str) -> dict[str, str]:
    """A style string as keys and values; a bare first word (`text`, `ellipse`) is kept as its own key."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            found[key.strip()] = value.strip()
    return found


def cells(model: ET.Element) -> list[Cell]:
    """Every cell of a page, unwrapping `<object>` / `<UserObject>` (whose attributes are its properties)."""
    root = model.find("root")
    found = []
    for element in (root if root is not None else []):
        if element.tag in ("object", "UserObject"):
            inner = element.find("mxCell")
            if inner is None:
                continue
            data = {k: v for k, v in element.attrib.items() if k not in ("id", "label", "placeholders", "tooltip")}
            value, ident = element.get("label", ""), element.get("id", "")
        elif element.tag == "mxCell":
            inner, data, value, ident = element, {}, element.get("value", ""), element.get("id", "")
        else:
            continue
        geometry = inner.find("mxGeometry")
        local = Box(0, 0, 0, 0)
        if geometry is not None and inner.get("edge") != "1":
            with contextlib.suppress(ValueError):  # a geometry that is not numbers places the cell at its corner
                local = Box(*(float(geometry.get(k, "0")) for k in ("x", "y", "width", "height")))
        points: list[tuple[float, float]] = []
        if geometry is not None and inner.get("edge") == "1":
            for point in geometry.iter("mxPoint"):
                if point.get("as") is None:  # the waypoints, inside <Array as="points">
                    with contextlib.suppress(ValueError):
                        points.append((float(point.get("x", "0")), float(point.get("y", "0"))))
        found.append(Cell(ident, _text(value), _style(inner.get("style", "")), inner.get("parent", ""), data,
                          inner.get("edge") == "1", inner.get("source", ""), inner.get("target", ""), local=local,
                          points=tuple(points)))
    return found


def _kind(cell: Cell) -> str:
    """What a vertex stands for, by its shape and colours; `annotation` for text and notes, `` when unknown."""
    style = cell.style
    shape = style.get("shape", "")
    if shape.startswith("mxgraph.aws4.group") or shape == "mxgraph.aws4.groupCenter":
        icon = style.get("grIcon", "").removeprefix("mxgraph.aws4.")
        kind = GROUP_ICONS.get(icon, "")
        if kind == "subnet":
            colours = " ".join(style.get(k, "").lower() for k in ("strokeColor", "fillColor", "fontColor"))
            if any(c in colours for c in PUBLIC_COLOURS):
                return "public_subnet"
            return "private_subnet" if any(c in colours for c in PRIVATE_COLOURS) else "subnet"
        return kind
    if shape == "mxgraph.aws4.resourceIcon":
        return RESOURCE_SHAPES.get(style.get("resIcon", "").removeprefix("mxgraph.aws4."), "")
    if shape.startswith("mxgraph.aws4."):
        return RESOURCE_SHAPES.get(shape.removeprefix("mxgraph.aws4."), "")
    if "text" in style or shape == "note" or "edgeLabel" in style or (not cell.lines and "group" in style):
        return "annotation"
    stroke = style.get("strokeColor", "").lower()
    if stroke == "#dd3522":
        return "security_group"
    if stroke in ("#147eba", "#879196") and style.get("dashed") == "1":
        return "az"
    if stroke == "#5a6c86":  # the palette's generic group: a frame around things, nothing of its own
        return "annotation"
    if len(cell.lines) == 1 and _cidr(cell.lines[0]):
        return "cidr"
    return ""


def _cidr(text: str) -> str:
    """`text` as an IPv4 CIDR block (a bare address is a /32), or ''."""
    try:
        return str(ipaddress.IPv4Network(text.strip(), strict=True)) if "/" in text else \
            str(ipaddress.IPv4Network(f"{text.strip()}/32"))
    except ValueError:
        return ""


def _name(text: str) -> str:
    """`text` when it can be a resource name (ASCII, address-safe, two characters at least), else ''."""
    return text if text.isascii() and len(text) >= 2 and valid_name(text) else ""


class _Reader:
    """One drawing's reading: cells classified and placed, then each kind built in containment order."""

    def __init__(self, source: str, models: list[ET.Element]) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        chosen = next((m for m in models if any(_kind(c) == "vpc" for c in cells(m))), models[0] if models else None)
        self.cells = cells(chosen) if chosen is not None else []
        self.by_id = {c.id: c for c in self.cells}
        for cell in self.cells:
            cell.kind = "edge" if cell.edge else "external" if cell.data.get("external") == "true" else _kind(cell)
        for cell in self.cells:  # what an external VPC's box (or its account's, region's) holds is not built
            if not cell.edge and self._in_external(cell):
                cell.kind = "external"
        for cell in self.cells:
            cell.box = self._absolute(cell)
        self.marked_out = {c.id for c in self.cells if c.lines[:1] and c.lines[0].startswith("UNMANAGED")}
        self.names: dict[str, set[str]] = defaultdict(set)  # kind -> names taken in the VPC being read
        self.subnet_of: dict[str, tuple[str, str]] = {}  # subnet cell id -> (vpc name, subnet name)
        self.group_of: dict[str, tuple[str, str]] = {}  # security group cell id -> (vpc name, group name)
        self.vpc_of: dict[str, str] = {}  # vpc cell id -> vpc name
        self.group_builders: dict[tuple[str, str], SecurityGroupBuilder] = {}

    def _in_external(self, cell: Cell) -> bool:
        parent, depth = self.by_id.get(cell.parent), 0
        while parent is not None and depth < 50:
            if parent.kind == "external":
                return True
            parent, depth = self.by_id.get(parent.parent), depth + 1
        return False

    def _absolute(self, cell: Cell, depth: int = 0) -> Box:
        parent = self.by_id.get(cell.parent)
        if parent is None or parent.edge or depth > 50 or (parent.parent in ("", "0") and not parent.style):
            return cell.local
        origin = self._absolute(parent, depth + 1)
        return Box(origin.x + cell.local.x, origin.y + cell.local.y, cell.local.width, cell.local.height)

    def problem(self, cell: Cell, message: str) -> None:
        self.problems.append(Problem(cell.called, message, "DrawingError"))

    def of(self, *kinds: str) -> list[Cell]:
        return [c for c in self.cells if c.kind in kinds and c.id not in self.marked_out]

    def inside(self, cell: Cell, *kinds: str) -> Cell | None:
        """The box of one of `kinds` that `cell` sits in: its nearest container of that kind, else the smallest
        such box around it on the page (draw.io's AZ and security group boxes are not containers)."""
        parent = self.by_id.get(cell.parent)
        depth = 0
        while parent is not None and depth < 50:
            if parent.kind in kinds:
                return parent
            parent, depth = self.by_id.get(parent.parent), depth + 1
        around = [c for c in self.of(*kinds) if c is not cell and c.box.area > cell.box.area and c.box.holds(cell.box)]
        return min(around, key=lambda c: c.box.area) if around else None

    def unique(self, kind: str, wanted: str) -> str:
        taken = self.names[kind]
        name, n = wanted, 2
        while name in taken:
            name, n = f"{wanted}-{n}", n + 1
        taken.add(name)
        return name

    def run(self) -> tuple[Topology, list[str]]:
        cloud = next(iter(self.of("cloud")), None)
        if cloud is not None and cloud.data.get("detail") == "tiers":
            self.problem(cloud, "this drawing shows one box per tier and AZ, not each subnet, so it cannot be built "
                                "from; draw it with `vpcdraw render FILE -o OUT.drawio --expand`")
            raise InvalidTopology(self.source, self.problems)
        for cell in self.cells:
            if cell.kind == "" and not cell.edge and cell.id not in ("0", "1") and cell.parent not in ("",):
                self.problem(cell, f"a shape vpcdraw does not build ({self._shape(cell)}); use draw.io's AWS shapes "
                                   "(VPC, subnet groups, security group, internet and NAT gateway, route table, "
                                   "network ACL, EC2 instance) or a text cell for notes")
        region = self.region()
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", self.source.rsplit("/", 1)[-1].split(".")[0]).strip("-._")
        data = cloud.data if cloud is not None else {}
        builder = TopologyBuilder(data.get("topology") or _name(stem) or "drawing", region=region or "us-east-1",
                                  description=data.get("description", ""))
        vpcs = self.of("vpc")
        if not vpcs:
            self.problems.append(Problem("file", "no VPC is drawn: draw.io's VPC group (AWS / Groups) holds the "
                                                 "subnets, and its label holds the CIDR, like `main 10.0.0.0/16`",
                                         "DrawingError"))
        for cell in vpcs:
            self.vpc(builder, cell, region or "us-east-1")
        self.links(builder)
        self.edges(builder)
        if self.problems:
            raise InvalidTopology(self.source, self.problems)
        return builder.build(), self.notes

    def _shape(self, cell: Cell) -> str:
        shape = cell.style.get("shape") or next(iter(cell.style), "a plain rectangle")
        return shape.removeprefix("mxgraph.")

    def region(self) -> str:
        regions = {m.group(1) for c in self.of("region") if (m := _REGION.search(c.text))}
        if len(regions) > 1:
            for cell in self.of("region"):
                self.problem(cell, f"the drawing has several regions ({', '.join(sorted(regions))}); vpcdraw builds "
                                   "one region per topology")
            return ""
        if regions:
            return regions.pop()
        zones = {m.group(1) for c in self.of("az") if (m := _REGION.search(c.text))}
        if len(zones) == 1:
            found = zones.pop()
            self.notes.append(f"region {found}: from the Availability Zone boxes (no Region box says it)")
            return found
        self.problems.append(Problem("file", "no Region box names the region: draw.io's Region group (AWS / Groups) "
                                             "labelled like `Region ap-northeast-2` holds the VPC", "DrawingError"))
        return ""

    # --- containers and resources, in containment order -------------------------------------------------

    def vpc(self, builder: TopologyBuilder, cell: Cell, region: str) -> None:
        lines = [line for line in cell.lines if not line.startswith(_MARKS)]
        words = (lines[0] if lines else "").split()
        block = next((w for w in reversed(words) if "/" in w and _cidr(w)), "")
        if not block:
            self.problem(cell, "a VPC without a CIDR; label it like `main 10.0.0.0/16`")
            return
        before = words[:words.index(block)]
        name = _name(before[-1]) if before and before[-1].lower() != "vpc" else ""
        label_words = before[:-1] if name else before
        label = " ".join(label_words)
        wanted = cell.data.get("Name", "")
        if label in (wanted, f"VPC {wanted}".strip()):
            label = wanted
        elif label.startswith("VPC ") and "vpc" not in label[4:].lower():
            label = label[4:]
        elif label == "VPC":
            label = ""
        self.names = defaultdict(set)
        name = name or self.unique("vpc", "main")
        self.vpc_of[cell.id] = name
        vpc = builder.vpc(name, block, label=label)
        if cell.data.get("lock_default_security_group") == "true":
            vpc.lock_default_security_group()
        self.subnets(vpc, cell, region)
        self.gateways(vpc, cell)
        self.route_tables(vpc, cell)
        self.endpoints(vpc, cell)
        self.network_acls(vpc, cell)
        self.groups(vpc, cell)
        self.instances(vpc, cell)

    def mine(self, vpc_cell: Cell, *kinds: str) -> list[Cell]:
        """The cells of `kinds` that sit in this VPC (or, with one VPC on the page, anywhere near it)."""
        alone = len(self.of("vpc")) == 1
        return [c for c in self.of(*kinds)
                if self.inside(c, "vpc") is vpc_cell or (alone and self.inside(c, "vpc") is None)]

    def subnets(self, vpc: VpcBuilder, vpc_cell: Cell, region: str) -> None:
        self.tiers: dict[str, Tier] = {}
        self.shapes: dict[str, str] = {}
        for cell in self.mine(vpc_cell, "public_subnet", "private_subnet", "subnet"):
            lines = [line for line in cell.lines if not line.startswith(_MARKS)]
            words = " ".join(lines).split()
            block = next((w for w in words if "/" in w and _cidr(w)), "")
            zone_cell = self.inside(cell, "az")
            zone = ""
            if zone_cell is not None:
                zone_words = zone_cell.text.split()
                zone = zone_words[-1] if zone_words else ""
            if not block:
                self.problem(cell, "a subnet without a CIDR; label it like `public-a 10.0.1.0/24`")
                continue
            if not zone:
                self.problem(cell, "a subnet in no Availability Zone box; put it in one labelled like "
                                   "`Availability Zone ap-northeast-2a`")
                continue
            if zone.lower().startswith(region) and len(zone) == len(region) + 1:
                zone = zone[-1].lower()
            elif len(zone) == 1:
                zone = zone.lower()
            wanted_zone = cell.data.get("az", "")
            if wanted_zone and zone_name(region, wanted_zone) == zone_name(region, zone):
                zone = wanted_zone
            before = " ".join(words[:words.index(block)])
            label_words = before.split()
            name = _name(label_words[-1]) if label_words else ""
            label = " ".join(label_words[:-1]) if name else before
            tier = self._tier(cell, name, label)
            if not name:
                name = self.unique("subnet", f"{tier}-{zone[-1] if zone else 'x'}")
                self.notes.append(f"{cell.called}: named subnet {name} (its label holds no ASCII name)")
            else:
                self.names["subnet"].add(name)
            self.subnet_of[cell.id] = (self.vpc_of[vpc_cell.id], name)
            self.tiers[name] = tier
            self.shapes[name] = cell.kind
            vpc.subnet(name, block, az=zone, tier=tier, label=label,
                       map_public_ip=cell.data.get("map_public_ip") == "true")

    def _tier(self, cell: Cell, name: str, label: str) -> Tier:
        said = cell.data.get("tier", "")
        if said in ("public", "private", "management"):
            return said  # type: ignore[return-value]  # checked just above
        named = named_tier(name, label)
        if named is not None:
            return named
        if cell.kind == "subnet":
            self.notes.append(f"{cell.called}: a private subnet (neither its name nor its colour says a tier)")
        return "public" if cell.kind == "public_subnet" else "private"

    def gateways(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        gateways = self.mine(vpc_cell, "internet_gateway")
        if len(self.of("vpc")) > 1:  # an internet gateway on a VPC's edge may sit just outside it
            loose = [c for c in self.of("internet_gateway") if self.inside(c, "vpc") is None]
            gateways += [c for c in loose if self._nearest_vpc(c) is vpc_cell]
        self.igw = ""
        for index, cell in enumerate(gateways):
            if index:
                self.problem(cell, "a second internet gateway in one VPC; a VPC has at most one")
                continue
            name, label = self._named(cell, "Internet Gateway", "igw")
            self.igw = name
            vpc.internet_gateway(name, attached=cell.data.get("attached") != "false", label=label)
        self.nats: set[str] = set()
        for cell in self.mine(vpc_cell, "nat_gateway"):
            subnet = self.inside(cell, "public_subnet", "private_subnet", "subnet")
            if subnet is None:
                self.problem(cell, "a NAT gateway in no subnet; put it in the public subnet it lives in")
            if subnet is None or subnet.id not in self.subnet_of:  # in a subnet that could not be read: said there
                continue
            name, label = self._named(cell, "NAT Gateway", "nat")
            self.nats.add(name)
            vpc.nat_gateway(name, subnet=self.subnet_of[subnet.id][1], label=label)

    def _nearest_vpc(self, cell: Cell) -> Cell | None:
        def distance(vpc: Cell) -> float:
            cx, cy = cell.box.x + cell.box.width / 2, cell.box.y + cell.box.height / 2
            dx = max(vpc.box.x - cx, 0.0, cx - vpc.box.x - vpc.box.width)
            dy = max(vpc.box.y - cy, 0.0, cy - vpc.box.y - vpc.box.height)
            return dx * dx + dy * dy
        return min(self.of("vpc"), key=distance, default=None)

    def _named(self, cell: Cell, title: str, kind: str) -> tuple[str, str]:
        """A gateway's name and label from its label (`Internet Gateway`, then `[label] name`)."""
        lines = [line for line in cell.lines if not line.startswith(_MARKS) and line != title]
        words = " ".join(lines).split()
        name = _name(words[-1]) if words else ""
        label = " ".join(words[:-1]) if name else " ".join(words)
        wanted = cell.data.get("Name")
        if wanted is not None and name and " ".join(words[:-1]) == wanted:
            label = wanted
        if not name:
            name = self.unique(kind, kind)
        else:
            self.names[kind].add(name)
        return name, label

    def route_tables(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        tables: dict[str, list[tuple[Cell, tuple[str, ...]]]] = defaultdict(list)  # name -> (icon, routes)
        associated: dict[str, list[str]] = defaultdict(list)
        labels: dict[str, str] = {}
        for cell in self.mine(vpc_cell, "route_table"):
            lines = [line for line in cell.lines if not line.startswith(_MARKS)]
            head = lines[0] if lines else ""
            name = head.removeprefix("route table").strip().split(" (")[0] if head.lower().startswith("route table") \
                else ""
            routes = tuple(lines[1:] if head.lower().startswith("route table") else lines)
            if not name:
                name = f"table-{len(tables) + 1}"
            if name == "main":  # the VPC's main table (local routes only), drawn: no convention for its subnets
                associated["main"] += [self.subnet_of[s.id][1] for s in self._served(cell)]
                continue
            subnets = [self.subnet_of[s.id][1] for s in self._served(cell)]  # none: a table no subnet uses yet
            tables[name].append((cell, routes))
            associated[name] += subnets
            if "Name" in cell.data:
                labels[name] = cell.data["Name"]
        self.to_gateway: dict[str, RouteTableBuilder] = {}  # tables sending 0.0.0.0/0 to the internet gateway
        for name, drawn in tables.items():
            drawn = [(c, tuple(r for r in routes if not _ENDPOINT_ROUTE.fullmatch(r))) for c, routes in drawn]
            first_cell, routes = drawn[0]
            for cell, other in drawn[1:]:
                if other != routes:
                    self.problem(cell, f"route table {name} is drawn with other routes in {first_cell.called}; "
                                       "make its icons list the same routes")
            table = vpc.route_table(name, subnets=list(dict.fromkeys(associated[name])), label=labels.get(name, ""))
            for line in routes:
                self._route(table, first_cell, line)
        used = {s for subnets in associated.values() for s in subnets}
        for subnet, tier in self.tiers.items():
            if subnet in used or (tier != "public" and self.shapes.get(subnet) != "public_subnet"):
                continue
            self._public_convention(vpc, subnet)

    def endpoints(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        """Gateway endpoints (on the VPC, lines to the route tables they route from) and interface endpoints (a
        network interface in each of their subnets)."""
        interfaces: dict[str, list[Cell]] = defaultdict(list)
        for cell in self.mine(vpc_cell, "endpoint", "interface_endpoint"):
            title = "Interface endpoint" if cell.kind == "interface_endpoint" else "Gateway endpoint"
            head = next((line for line in cell.lines if line.startswith(title)), "")
            service = cell.data.get("service") or head.removeprefix(title).strip()
            if not service:
                self.problem(cell, f"an endpoint that names no service; label it like `{title} s3`")
                continue
            rest = [line for line in cell.lines if line != head and not line.startswith(_MARKS)]
            words = " ".join(rest).split()
            name = cell.data.get("name") or (_name(words[-1]) if words else "") or _name(service.replace(".", "-"))
            kind = cell.data.get("endpoint_type") or ("interface" if cell.kind == "interface_endpoint" else "gateway")
            if kind == "interface":
                interfaces[name].append(cell)
                continue
            tables = [t for t in cell.data.get("route_tables", "").split(",") if t]
            if not tables:  # the lines from it to route table icons
                for edge in self.of("edge"):
                    other = self.by_id.get(edge.target if edge.source == cell.id else edge.source) \
                        if cell.id in (edge.source, edge.target) else None
                    if other is not None and other.kind == "route_table" and other.lines:
                        tables.append(other.lines[0].removeprefix("route table").strip().split(" (")[0])
            vpc.gateway_endpoint(name, service, route_tables=list(dict.fromkeys(tables)),
                                 policy=cell.data.get("policy", ""), label=cell.data.get("Name", ""))
        for name, drawn in interfaces.items():
            first = drawn[0]
            head = next((line for line in first.lines if line.startswith("Interface endpoint")), "")
            service = first.data.get("service") or head.removeprefix("Interface endpoint").strip()
            subnets = [self.subnet_of[holder.id][1] for c in drawn
                       if (holder := self.inside(c, "public_subnet", "private_subnet", "subnet")) is not None
                       and holder.id in self.subnet_of]
            groups = [g for g in first.data.get("security_groups", "").split(",") if g]
            vpc.interface_endpoint(name, service, subnets=list(dict.fromkeys(subnets)), security_groups=groups,
                                   private_dns=first.data.get("private_dns", "true" if not first.data else "") ==
                                   "true", policy=first.data.get("policy", ""), label=first.data.get("Name", ""))

    def links(self, builder: TopologyBuilder) -> None:
        """Peerings (their icon's lines to the two VPCs' boxes) and transit gateways (their attachments' icons in
        the subnets, joined to the gateway by a line or naming it)."""
        from .builder import external_vpc

        for cell in self.of("peering"):
            head = next((line for line in cell.lines if line.startswith("VPC peering")), "")
            name = cell.data.get("name") or _name(head.removeprefix("VPC peering").strip())
            if not name:
                self.problem(cell, "a peering connection without a name; label it like `VPC peering app-shared`")
                continue
            joined = [self.by_id[e.target if e.source == cell.id else e.source] for e in self.of("edge")
                      if cell.id in (e.source, e.target) and (e.target if e.source == cell.id else e.source)
                      in self.by_id]
            vpcs = [self.vpc_of[c.id] for c in joined if c.id in self.vpc_of]
            outside = cell.data.get("external") or next((c.id for c in joined if c.kind == "external"), "")
            box = self.by_id.get(outside)
            requester = cell.data.get("requester") or (vpcs[0] if vpcs else "")
            accepter = cell.data.get("accepter", "") if "requester" in cell.data else \
                next((v for v in vpcs if v != requester), "")
            if box is not None and box.data.get("vpc_id") and box.data.get("cidr"):
                found = box.data
                builder.peering(name, requester=requester, external=external_vpc(
                    found["vpc_id"], found["cidr"], account=found.get("account", ""), region=found.get("region", "")),
                    label=cell.data.get("Name", ""))
            elif requester and accepter:
                builder.peering(name, requester=requester, accepter=accepter, label=cell.data.get("Name", ""))
            else:
                self.problem(cell, "a peering connection that joins no two VPCs; draw a line from it to each VPC box")
        tgws: dict[str, Cell] = {}
        for cell in self.of("transit_gateway"):
            head = next((line for line in cell.lines if line.startswith("Transit Gateway")), "")
            name = cell.data.get("name") or _name(head.removeprefix("Transit Gateway").strip())
            if name:
                tgws[name] = cell
            else:
                self.problem(cell, "a transit gateway without a name; label it like `Transit Gateway hub`")
        attached: dict[str, dict[str, list[str]]] = {name: defaultdict(list) for name in tgws}
        by_cell = {c.id: n for n, c in tgws.items()}
        for cell in self.of("tgw_attachment"):
            tgw = cell.data.get("transit_gateway") or next(
                (by_cell[e.source if e.target == cell.id else e.target] for e in self.of("edge")
                 if cell.id in (e.source, e.target) and {e.source, e.target} & by_cell.keys()), "")
            if not tgw:
                said = " ".join(cell.lines).split()
                tgw = said[-1] if said and said[-1] in tgws else ""
            holder = self.inside(cell, "public_subnet", "private_subnet", "subnet")
            if tgw not in attached or holder is None or holder.id not in self.subnet_of:
                self.problem(cell, "a transit gateway attachment in no subnet or of no transit gateway drawn; put it "
                                   "in its subnet and join it to the transit gateway")
                continue
            vpc_name, subnet = self.subnet_of[holder.id]
            attached[tgw][vpc_name].append(subnet)
        for name, cell in tgws.items():
            made = builder.transit_gateway(name, label=cell.data.get("Name", ""))
            for vpc_name, subnets in attached[name].items():
                made.attach(vpc_name, subnets=subnets)

    def _served(self, cell: Cell) -> list[Cell]:
        """The subnets a route table icon serves: the one it sits in, and those a line joins it to."""
        found = []
        holder = self.inside(cell, "public_subnet", "private_subnet", "subnet")
        if holder is not None and holder.id in self.subnet_of:
            found.append(holder)
        for edge in self.of("edge"):
            if cell.id in (edge.source, edge.target):
                other = self.by_id.get(edge.target if edge.source == cell.id else edge.source)
                if other is not None and other.id in self.subnet_of:
                    found.append(other)
        return found

    def _route(self, table: RouteTableBuilder, cell: Cell, line: str) -> None:
        parts = re.split(r"\s+(?:to|->|→)\s+", line.strip(), maxsplit=1)
        destination = _cidr(parts[0]) if "/" in parts[0] else ""
        if len(parts) != 2 or not destination:
            self.problem(cell, f"route '{line}' does not read as `0.0.0.0/0 to igw` (a CIDR, `to`, a gateway)")
            return
        target = parts[1].strip()
        if target == "local":
            return  # the local route is implicit
        kind, _, named = target.rpartition(" ")
        if kind.lower() in _ROUTE_KINDS and named:
            if _ROUTE_KINDS[kind.lower()] == "transit_gateway":
                table.route(destination, transit_gateway=named)
            else:
                table.route(destination, vpc_peering_connection=named)
            return
        if target in (self.igw, "internet_gateway") or (target.lower() in ("igw", "internet gateway") and self.igw):
            table.route(destination, internet_gateway=self.igw or target)
            if destination == ANYWHERE_CIDR:
                self.to_gateway.setdefault(table.name, table)
        elif target in self.nats or (target.lower() in ("nat", "nat gateway") and len(self.nats) == 1):
            table.route(destination, nat_gateway=target if target in self.nats else next(iter(self.nats)))
        else:
            self.problem(cell, f"route '{line}' goes to '{target}', which is no gateway of the drawing (its internet "
                               "gateway or a NAT gateway, by name)")

    def _public_convention(self, vpc: VpcBuilder, subnet: str) -> None:
        """A public subnet drawn without a route table: the VPC's table to the internet gateway serves it."""
        if not self.igw:
            self.notes.append(f"subnet {subnet}: public, but the VPC has no internet gateway, so it routes locally")
            return
        for table in sorted(self.to_gateway.values(), key=lambda t: t.name):
            table.subnets = (*table.subnets, subnet)
            self.notes.append(f"subnet {subnet}: no route table drawn in it, so it uses route table {table.name} "
                              f"(0.0.0.0/0 to {self.igw})")
            return
        name = self.unique("route_table", "public")
        made = vpc.route_table(name, subnets=[subnet]).route(ANYWHERE_CIDR, internet_gateway=self.igw)
        self.to_gateway[name] = made
        self.notes.append(f"subnet {subnet}: no route table drawn in it, so a table {name} sends 0.0.0.0/0 to "
                          f"{self.igw}")

    def network_acls(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        acls: dict[str, list[str]] = defaultdict(list)
        entries: dict[str, str] = {}
        labels: dict[str, str] = {}
        first: dict[str, Cell] = {}
        for cell in self.mine(vpc_cell, "network_acl"):
            lines = [line for line in cell.lines if not line.startswith(_MARKS)]
            name = lines[0].removeprefix("network ACL").strip() if lines else ""
            name = _name(name.split()[-1]) if name.split() else ""
            if not name:
                self.problem(cell, "a network ACL without a name; label it like `network ACL web`")
                continue
            holder = self.inside(cell, "public_subnet", "private_subnet", "subnet")  # none: it guards no subnet yet
            if "entries" not in cell.data:
                self.problem(cell, "a network ACL without entries, which would deny all traffic; give them as its "
                                   "`entries` property (Edit Data), one per line like `100 ingress allow tcp/22 "
                                   "0.0.0.0/0`, or leave the icon out")
                continue
            acls[name] += [self.subnet_of[holder.id][1]] if holder is not None and holder.id in self.subnet_of else []
            entries.setdefault(name, cell.data["entries"])
            labels.setdefault(name, cell.data.get("Name", ""))
            first.setdefault(name, cell)
        for name, subnets in acls.items():
            acl = vpc.network_acl(name, subnets=subnets, label=labels[name])
            for line in entries[name].split("\n"):
                if line.strip():
                    self._entry(acl, first[name], line)

    def _entry(self, acl: NetworkAclBuilder, cell: Cell, line: str) -> None:
        words = line.split()
        try:
            number, direction, action, ports, block = words
            parse_ports(ports)
            if direction not in ("ingress", "egress") or action not in ("allow", "deny") or not _cidr(block):
                raise ValueError(line)
            add = acl.outbound if direction == "egress" else acl.inbound
            add(int(number), ports, block, action)
        except (ValueError, BadPort):
            self.problem(cell, f"network ACL entry '{line}' does not read as `100 ingress allow tcp/22 0.0.0.0/0` "
                               "(number, ingress or egress, allow or deny, ports, CIDR)")

    def groups(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        boxes: dict[str, list[Cell]] = defaultdict(list)
        for cell in self.mine(vpc_cell, "security_group"):
            lines = [line for line in cell.lines if not line.startswith(_MARKS)]
            text = (lines[0] if lines else "").strip()
            for prefix in ("SG ", "Security group ", "Security Group ", "security group "):
                text = text.removeprefix(prefix)
            name = _name(text.split()[-1]) if text.split() else ""
            if not name:
                name = cell.data.get("name", "") or self.unique("security_group", "sg")
                self.notes.append(f"{cell.called}: named security group {name} (its label holds no ASCII name)")
            boxes[name].append(cell)
        self.group_names = set(boxes)
        for name, cells in boxes.items():
            data = next((c.data for c in cells if c.data), {})
            subnets: list[str] = []
            if "subnets" in data or "tier" in data:
                subnets = [s for s in data.get("subnets", "").split(",") if s]
            for cell in cells:
                if cell.data and ("subnets" in cell.data or "tier" in cell.data):
                    continue
                holder = self.inside(cell, "public_subnet", "private_subnet", "subnet")
                around = [s for s in self.of("public_subnet", "private_subnet", "subnet")
                          if cell.box.area > s.box.area and cell.box.holds(s.box)]
                hosts = [h for h in self.of("instance") if self.inside(h, "security_group") is cell]
                for subnet in ([holder] if holder is not None and not hosts else []) + around:
                    if subnet.id in self.subnet_of and self.subnet_of[subnet.id][1] not in subnets:
                        subnets.append(self.subnet_of[subnet.id][1])
            tier = data.get("tier") or None
            label = data.get("Name", "")
            group = vpc.security_group(name, data.get("description") or label or name,
                                       tier=tier if tier in ("public", "private", "management") else None,  # type: ignore[arg-type]
                                       subnets=subnets, label=label)
            if data.get("egress") == "none":
                group.no_egress()
            self.group_builders[(self.vpc_of[vpc_cell.id], name)] = group
            for cell in cells:
                self.group_of[cell.id] = (self.vpc_of[vpc_cell.id], name)

    def instances(self, vpc: VpcBuilder, vpc_cell: Cell) -> None:
        for cell in self.mine(vpc_cell, "instance"):
            holder = self.inside(cell, "public_subnet", "private_subnet", "subnet")
            if holder is None:
                self.problem(cell, "an EC2 instance in no subnet; put it in the subnet it runs in")
            if holder is None or holder.id not in self.subnet_of:  # in a subnet that could not be read: said there
                continue
            lines = [line for line in cell.lines if not line.startswith(_MARKS)]
            head = (lines[0] if lines else "").split()
            name = _name(head[0]) if head else ""
            name = name or self.unique("instance", "host")
            data = cell.data
            groups = [g for g in data.get("security_groups", "").split(",") if g]
            box = self.inside(cell, "security_group")
            if box is not None and box.id in self.group_of and self.group_of[box.id][1] not in groups:
                groups.insert(0, self.group_of[box.id][1])
            role = data.get("role")
            if role is None:
                role = head[1].strip("()") if len(head) > 1 and head[1].startswith("(") else ""
            subnet = self.subnet_of[holder.id][1]
            public_ip = data.get("public_ip")
            if public_ip is None:  # drawn where the internet gateway routes: meant to be reached from outside
                routed = any(subnet in table.subnets for table in self.to_gateway.values())
                public_ip = "true" if routed else "false"
                if routed:
                    self.notes.append(f"instance {name}: a public IP address (its subnet {subnet} routes to the "
                                      "internet gateway; its `public_ip` property false says otherwise)")
            vpc.instance(name, subnet=subnet, security_groups=groups, role=role,
                         instance_type=data.get("instance_type", "t3.micro"), **({"image": data["image"]}
                                                                                  if "image" in data else {}),
                         public_ip=public_ip == "true", label=data.get("Name", ""))

    # --- rules, from the edges -----------------------------------------------------------------------------

    def edges(self, builder: TopologyBuilder) -> None:
        groups = self.group_builders
        seen: set[tuple[str, str, str, Rule]] = set()
        for edge in self.of("edge"):
            text = "\n".join([edge.text, *(c.text for c in self.cells if c.parent == edge.id and not c.edge)])
            lines = [line.strip() for line in text.split("\n") if line.strip()]
            source, target = self.by_id.get(edge.source), self.by_id.get(edge.target)
            if source is None or target is None:
                if lines:
                    self.problem(edge, "an edge with a loose end; join both ends to shapes")
                continue
            if source.kind == "route_table" or target.kind == "route_table":
                continue  # a route table's association line
            into = self._group(target)
            if not lines:
                if into is not None:
                    self.problem(edge, "an edge into a security group without a port; label it like `tcp/22`")
                continue
            said = dict(line.partition("=")[::2] for line in edge.data.get("descriptions", "").split("\n") if line)
            for line in lines:
                if line.startswith("UNMANAGED"):
                    continue
                line = line.removeprefix("MISSING ").strip()
                described = said.get(line, "")  # the descriptions property names each rule by its label line
                direction = "ingress"
                for word in ("egress ", "outbound "):
                    if line.lower().startswith(word):
                        direction, line = "egress", line[len(word):].strip()
                group_cell, peer_cell = (target, source) if direction == "ingress" else (source, target)
                group = self._group(group_cell)
                if group is None:
                    if direction == "ingress" and (target.kind in ("internet_gateway", "internet")
                                                   or (self._peer(target) is not None and self._group(source) is None)):
                        break  # the path traffic takes to the gateway, drawn for the picture
                    self.problem(edge, f"an edge whose rule has no security group at its "
                                       f"{'end' if direction == 'ingress' else 'start'} ({group_cell.called}); "
                                       "join it to a security group box")
                    break
                peer = self._peer(peer_cell, group)
                if peer is None:
                    self.problem(edge, f"an edge from {peer_cell.called}, which is no rule's peer (the internet, the "
                                       "admin, a CIDR, a security group or a subnet)")
                    break
                for rule in self._rules(edge, line, peer, described):
                    key = (*group, direction, rule)
                    if key in seen:
                        continue
                    seen.add(key)
                    add = groups[group].ingress if direction == "ingress" else groups[group].egress
                    add(rule.port_text, rule.peer, rule.description)

    def _rules(self, edge: Cell, line: str, peer: Peer, described: str) -> list[Rule]:
        """The rules of one label line (`tcp/8080, tcp/443 (words)`); `described` is the description otherwise."""
        match = re.fullmatch(r"(?P<ports>[^()]*?)\s*(?:\((?P<words>.*)\))?", line)
        ports = [p.strip() for p in re.split(r"[,\s]+", match.group("ports") if match else line) if p.strip()]
        description = (match.group("words") or "").strip() if match else ""
        found = []
        for text in ports:
            try:
                protocol, low, high = parse_ports(text)
            except BadPort as error:
                self.problem(edge, str(error))
                continue
            found.append(Rule(protocol, low, high, peer, description or described))
        if not ports:
            self.problem(edge, f"label line '{line}' names no port; write it like `tcp/22` or `tcp/8080, tcp/443`")
        return found

    def _group(self, cell: Cell) -> tuple[str, str] | None:
        """The security group a rule edge's end stands for: a group box, an instance's, or a subnet's only one."""
        if cell.id in self.group_of:
            return self.group_of[cell.id]
        if cell.kind == "instance":
            box = self.inside(cell, "security_group")
            return self.group_of.get(box.id) if box is not None else None
        if cell.id in self.subnet_of:
            inside = {self.group_of[c.id] for c in self.of("security_group")
                      if c.id in self.group_of and self.inside(c, "public_subnet", "private_subnet", "subnet") is cell}
            return inside.pop() if len(inside) == 1 else None
        return None

    def _peer(self, cell: Cell, group: tuple[str, str] | None = None) -> Peer | None:
        """What a rule edge's other end stands for as the rule's peer."""
        if cell.kind in ("internet", "internet_gateway"):
            return Peer("cidr", ANYWHERE_CIDR)
        if cell.kind == "admin" or "my ip" in cell.text.lower():
            return Peer("my_ip")
        if cell.id in self.group_of:
            return Peer("security_group", self.group_of[cell.id][1])
        if cell.kind == "instance":
            box = self.inside(cell, "security_group")
            return Peer("security_group", self.group_of[box.id][1]) if box is not None and box.id in self.group_of \
                else None
        if cell.id in self.subnet_of:
            return Peer("subnet", self.subnet_of[cell.id][1])
        block = next((_cidr(line) for line in cell.lines if "/" in line and _cidr(line)), "")
        if block:
            return Peer("cidr", block)
        return None


def port_lines(rules: list[tuple[str, Rule]]) -> str:
    """An edge's label for rules (direction, rule): `tcp/8080`, `egress tcp/443`, `tcp/22 (from the office)`."""
    lines = []
    for direction, rule in rules:
        text = ("egress " if direction == "egress" else "") + port_text(rule.protocol, rule.from_port, rule.to_port)
        lines.append(f"{text} ({rule.description})" if rule.description else text)
    return "\n".join(lines)

"""The drawing as plain data: which boxes hold which icons, which rows they sit in, which edges join them.

This step is pure (no Graphviz, no `diagrams`), so the layout decisions are tested directly; `draw`
turns a Layout into a picture. Node and cluster ids are resource addresses, so output is stable.
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from vpcdraw.topology.address import address, vpc_address
from vpcdraw.topology.model import (
    TIERS,
    Instance,
    NatGateway,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Topology,
    Vpc,
)
from vpcdraw.topology.regions import zone_name
from vpcdraw.topology.specs import Direction

INTERNET = "internet"
MY_IP = "my-ip"

DETAILS = ("auto", "subnets", "tiers")  # how subnets are drawn: auto, each one, or one box per tier and AZ
GROUP_OVER = 24  # in auto, a VPC with more subnets than this is drawn one box per tier and AZ
PER_ROW = 3  # subnet boxes of one tier side by side in an AZ before they wrap onto another row
MAX_LABELS = 4  # an edge lists at most this many port labels; the rest are counted

# Vertical levels: an edge from a lower level to a higher one is drawn reversed so ranks stay top-down.
LEVEL = {"outside": 0, "gateway": 1, "public": 2, "private": 3, "management": 4, "admin": 5}


@dataclass(frozen=True)
class Node:
    """An icon: `icon` names the kind of picture (see draw.ICONS), `label` the text under it."""

    id: str
    label: str
    icon: str
    level: int
    status: str = ""  # drift: missing, changed or unmanaged


@dataclass
class Cluster:
    """A box: `style` names its look (region, vpc, az, public_subnet, private_subnet, security_group, ...)."""

    id: str
    label: str
    style: str
    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    status: str = ""  # drift: missing, changed or unmanaged


@dataclass(frozen=True)
class Edge:
    """A line for the traffic that security group rules allow; `labels` go one per line."""

    source: str
    target: str
    labels: tuple[str, ...]
    # internet, admin, ssh, tier, egress, unreachable (allowed, but it cannot arrive); in drift also missing, unmanaged
    style: str
    both: bool = False  # the same traffic is allowed back: one line with two arrowheads
    tail_box: str = ""  # a link that leaves a box rather than its node: the box's id (Graphviz's ltail)
    head_box: str = ""  # a link that ends at a box's border: the box's id (Graphviz's lhead)


@dataclass
class Layout:
    """A whole drawing: title, the boxes, the nodes outside them, edges, and the rows that align tiers."""

    title: str
    top: list[Node]
    root: list[Cluster]
    bottom: list[Node]
    edges: list[Edge]
    rows: list[list[str]]
    columns: list[list[str]]
    changed_meaning: str = ""  # the legend's words for a changed box or icon ("" : drift's CHANGED)
    # lines that are no rule: peerings, transit gateway attachments, gateway endpoints to their route tables
    links: list[Edge] = field(default_factory=list)
    # an invisible node, then the nodes below it to hold left to right in that order (a VPC's AZ columns' tops)
    fans: list[list[str]] = field(default_factory=list)

    def nodes(self) -> list[Node]:
        """Every node, in drawing order."""
        found = list(self.top) + list(self.bottom)
        stack = list(self.root)
        while stack:
            cluster = stack.pop(0)
            found += cluster.nodes
            stack = cluster.clusters + stack
        return found

    def clusters(self) -> list[Cluster]:
        """Every box, in drawing order."""
        found: list[Cluster] = []
        stack = list(self.root)
        while stack:
            cluster = stack.pop(0)
            found.append(cluster)
            stack = cluster.clusters + stack
        return found


@dataclass(frozen=True)
class UnmanagedRule:
    """A rule in the account, on a security group of the drawing, that the drawing does not have."""

    security_group: str  # the group's address in the drawing, such as vpc/main/security_group/private
    direction: Direction
    rule: Rule

    @property
    def words(self) -> str:
        """`tcp/22 from 0.0.0.0/0 on SG private`."""
        side = "from" if self.direction == "ingress" else "to"
        return f"{self.rule.port_text} {side} {self.rule.peer} on SG {self.security_group.rsplit('/', 1)[-1]}"


@dataclass(frozen=True)
class Overlay:
    """Drift (or a grade) to draw over the layout, as plain data: addresses, differences in words, extras."""

    missing: frozenset[str] = frozenset()
    changed: dict[str, str] = field(default_factory=dict)  # address -> "az should be ..., is ..."
    unmanaged_rules: tuple[UnmanagedRule, ...] = ()  # live rules on groups of the drawing, drawn as edges
    unmanaged_subnets: tuple[tuple[str, Subnet], ...] = ()  # (VPC address, live subnet): boxes in its AZ and tier
    unmanaged: tuple[str, ...] = ()  # everything else in the account and not in the drawing, in words
    notes: tuple[str, ...] = ()  # marks that have no element to sit on, in words (a failed check of nothing drawn)
    title: str = "Drift"  # what the drawing shows: drift, or a grade
    changed_marker: str = "CHANGED"  # "" : the words in `changed` are the whole marker
    changed_meaning: str = ""  # the legend's words for a changed box or icon ("" : drift's CHANGED)

    def status(self, address: str) -> str:
        return "missing" if address in self.missing else "changed" if address in self.changed else ""

    def marker(self, address: str) -> str:
        """The text marker for a marked address (so the meaning does not rest on colour alone), or ""."""
        if address in self.missing:
            return "MISSING"
        if address in self.changed:
            words = self.changed[address]
            return f"{self.changed_marker} ({words})" if self.changed_marker else words
        return ""


def layout(topology: Topology, my_ip: str | None = None, overlay: Overlay | None = None,
           detail: str = "auto") -> Layout:
    """The layout of `topology`; `my_ip` (a /32) labels the admin node; `overlay` marks drift.

    `detail` says how subnets are drawn: "subnets" one box each, "tiers" one box per tier and AZ with counts
    (what stays legible for hundreds of subnets), "auto" the first up to GROUP_OVER subnets in a VPC.
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    title = f"{topology.description or topology.name} ({topology.region})"
    if overlay is not None:
        title = f"{overlay.title}: {title}"
    region = Cluster(f"region/{topology.region}", f"Region {topology.region}", "region")
    builder = _Builder(topology.region, my_ip, overlay or Overlay(), detail, topology)
    for vpc in topology.vpcs:
        region.clusters.append(builder.vpc(vpc))
    from .links import links  # it builds on this module's types

    # Several VPCs go in a grid, about as many rows as columns, rather than one wide strip.
    across = math.ceil(math.sqrt(len(builder.ends)))
    for upper, lower in zip(builder.ends, builder.ends[across:], strict=False):
        builder.columns.append([upper[1], lower[0]])
    if len(builder.ends) > 1:  # the first row's VPCs left to right in their order, as a VPC's AZs (see `fans`)
        fan = Node(f"{region.id}/columns", "", "anchor", LEVEL["outside"])
        region.nodes.append(fan)
        builder.fans.append([fan.id, *(top for top, _bottom in builder.ends[:across])])
    found = links(topology, builder, region, across)
    if overlay is not None:
        home = region.clusters[0].nodes if region.clusters else region.nodes
        home += builder.notes({vpc_address(v) for v in topology.vpcs})
    lines = builder.lines
    edges = [_to_box(e, builder.tops) for e in lines.edges()]
    return Layout(title, lines.top(), [region, *found.boxes], lines.bottom(), edges, builder.rows,
                  builder.columns, overlay.changed_meaning if overlay else "", found.edges, builder.fans)


class _Builder:
    """Walks the VPCs once, placing nodes and collecting edges and rows."""

    def __init__(self, region: str, my_ip: str | None, overlay: Overlay, detail: str,
                 topology: Topology | None = None) -> None:
        from .edges import RuleEdges  # it builds on this module's types

        self.region = region
        self.topology = topology or Topology("", region)
        self.tables: dict[tuple[str, str], list[str]] = defaultdict(list)  # (VPC, route table) -> its icons' ids
        self.tops: dict[str, str] = {}  # VPC name -> a node inside its box, for lines that end at the box
        self.spans: dict[str, tuple[str, str]] = {}  # VPC name -> its top and bottom node
        self.marks: dict[str, str] = {}  # a link mark's node id in a subnet (attachment, endpoint ENI) -> its id
        self.overlay = overlay
        self.detail = detail
        self.alias: dict[str, str] = {}  # a grouped subnet's or host's node id -> its tier-and-AZ box's node
        self.rows: list[list[str]] = []
        self.columns: list[list[str]] = []
        self.fans: list[list[str]] = []  # a VPC's fan node, then its AZ columns' first nodes in AZ order
        self.ends: list[tuple[str, str]] = []  # each VPC's top and bottom node, to stack VPCs in a grid
        self.shown: set[str] = set()  # marked addresses that a box, icon or edge of the drawing shows
        self.lines = RuleEdges(my_ip, overlay, self.alias, self.shown)
        self.lines.linked = {v.cidr: v.name for v in self.topology.vpcs if _linked(self.topology, v.name)}

    def vpc(self, vpc: Vpc) -> Cluster:
        here = vpc_address(vpc)
        strays = [s for owner, s in self.overlay.unmanaged_subnets if owner == here]
        grouped = self.detail == "tiers" or (self.detail == "auto" and len(vpc.subnets) > GROUP_OVER)
        named = vpc.label if "vpc" in vpc.label.lower() else f"VPC {vpc.label}".strip()  # not "VPC 과제 VPC"
        label = f"{named} {vpc.name} {vpc.cidr}"
        if grouped:
            label += f"\n{len(vpc.subnets)} subnets, one box per tier and AZ (--expand draws each)"
        label, status = self.mark(here, label)
        box = Cluster(here, label, "vpc", status=status)
        igw = vpc.internet_gateway
        if igw is not None:
            igw_id = address(vpc, "internet_gateway", igw.name)
            label, status = self.mark(igw_id, _labelled("Internet Gateway", igw.label, igw.name))
            box.nodes.append(Node(igw_id, label, "internet_gateway", LEVEL["gateway"], status))
        for endpoint in vpc.endpoints:  # a gateway endpoint at the VPC's top, as the internet gateway
            if endpoint.endpoint_type == "gateway":
                endpoint_id = address(vpc, "vpc_endpoint", endpoint.name)
                named = _unless(endpoint.name, endpoint.service)
                label, status = self.mark(endpoint_id, _labelled(f"Gateway endpoint {endpoint.service}",
                                                                 endpoint.label, named))
                box.nodes.append(Node(endpoint_id, label, "gateway_endpoint", LEVEL["gateway"], status))
        every = [*vpc.subnets, *strays]
        zones = sorted({zone_name(self.region, s.az) for s in every})
        tiers = [t for t in TIERS if any(s.tier == t for s in every)]
        # each (zone, tier)'s boxes in drawing order: the node that anchors the box, and the box's nodes
        placed: dict[tuple[str, str], list[tuple[str, list[str]]]] = defaultdict(list)
        for zone in zones:
            zone_box = Cluster(f"{vpc_address(vpc)}/az/{zone}", f"Availability Zone {zone}", "az")
            for tier in tiers:
                subnets = [s for s in vpc.subnets if zone_name(self.region, s.az) == zone and s.tier == tier]
                extra = [s for s in strays if zone_name(self.region, s.az) == zone and s.tier == tier]
                boxes_here = placed[(zone, tier)]
                if not subnets and not extra:  # keep rows aligned across zones with an invisible stand-in
                    ghost = f"{zone_box.id}/{tier}"
                    spacer = Node(f"{ghost}/spacer", "", "placeholder", LEVEL[tier])
                    zone_box.clusters.append(Cluster(ghost, "", "placeholder", [spacer]))
                    boxes_here.append((spacer.id, [spacer.id]))
                elif grouped and subnets:
                    cell, anchor = self.cell(vpc, f"{zone_box.id}/{tier}", subnets)
                    zone_box.clusters.append(cell)
                    boxes_here.append((anchor, [n.id for n in _all_nodes(cell)]))
                else:
                    for subnet in subnets:
                        subnet_box, anchor = self.subnet(vpc, subnet)
                        zone_box.clusters.append(subnet_box)
                        boxes_here.append((anchor, [n.id for n in _all_nodes(subnet_box)]))
                for stray in self.strays(vpc, f"{zone_box.id}/{tier}", tier, extra, grouped):
                    zone_box.clusters.append(stray)
                    boxes_here.append((stray.nodes[0].id, [n.id for n in stray.nodes]))
            box.clusters.append(zone_box)
        self.lines.rules(vpc)
        # A tier's boxes in one AZ go side by side, at most PER_ROW of them, then wrap onto the next row, so many
        # subnets make a grid in each AZ's column rather than one row as wide as all of them.
        chunks = {key: [boxes[i:i + PER_ROW] for i in range(0, len(boxes), PER_ROW)] for key, boxes in placed.items()}
        rows = [[n for zone in zones if k < len(chunks[(zone, tier)]) for _, nodes in chunks[(zone, tier)][k]
                 for n in nodes]
                for tier in tiers for k in range(max(len(chunks[(zone, tier)]) for zone in zones))]
        # dot loops forever or loses edges when nodes of one row have edges between them (seen in tests):
        # such nodes stay out of the row and find their place inside their subnet's box.
        flat = {n for (s, t, _), _labels in self.lines.edge_labels.items() for n in (s, t)
                if any(s in row and t in row for row in rows)}
        self.rows += [[n for n in row if n not in flat or n.endswith("/route_table")] for row in rows]
        for zone in zones:  # each row's first box under the one above, in every AZ's column
            self.columns.append([chunk[0][0] for tier in tiers for chunk in chunks[(zone, tier)]])
        if zones:
            # The AZ columns left to right in AZ order. dot (2.43) lays a box's boxes out in reverse declaration
            # order unless edges say otherwise (a VPC of one row has none), and its crossing reduction turns a
            # VPC's AZs around to shorten lines from other VPCs into them (seen with two and three VPCs). An
            # invisible node of the VPC's own, outside its AZs, fans out to each column's top from ports left to
            # right (see `fans`), so the other order crosses those lines; a VPC without an internet gateway or
            # endpoint gets its lines from outside at that node too (`tops`, `ends`, `spans`), not in an AZ.
            heads = [column[0] for column in self.columns[-len(zones):]]
            if len(zones) > 1:
                fan = Node(f"{here}/columns", "", "anchor", LEVEL["gateway"])
                box.nodes.append(fan)
                self.fans.append([fan.id, *heads])
            top = box.nodes[0].id if box.nodes else heads[0]
            self.ends.append((top, self.columns[-len(zones)][-1]))
            self.tops[vpc.name] = top
            self.spans[vpc.name] = (top, self.columns[-1][-1])  # the last AZ column's bottom
        return box

    def subnet(self, vpc: Vpc, subnet: Subnet) -> tuple[Cluster, str]:
        """The subnet's box (its route table, NAT, and hosts grouped by security group) and its anchor node."""
        public = vpc.routes_to_internet_gateway(subnet.name)
        here = address(vpc, "subnet", subnet.name)
        label, status = self.mark(here, f"{subnet.label + ' ' if subnet.label else ''}{subnet.name}\n{subnet.cidr}")
        box = Cluster(here, label, "public_subnet" if public else "private_subnet", status=status)
        level = LEVEL[subnet.tier]
        for group, members in self.endpoint_groups(vpc, subnet):
            if group is None:
                box.nodes += members
                continue
            group_address = address(vpc, "security_group", group.name)
            within = self.lines.within(vpc, group)
            label = f"SG {group.name}" + (f"\nmembers allow each other {', '.join(within)}" if within else "")
            label, status = self.mark(group_address, label)
            box.clusters.append(Cluster(f"{here}/{group_address}", label, "security_group", members, status=status))
        table = vpc.route_table_of(subnet.name)
        routes, route_status = self.routes(vpc, table)
        label = "\n".join([f"route table {table.name if table else 'main'}", *routes])
        status = ""
        if table is not None:  # which table a subnet uses is an association of that subnet
            table_address = address(vpc, "route_table", table.name)
            association = f"{table_address}/association/{subnet.name}"
            label, status = self.mark(association if self.overlay.status(association) else table_address, label)
        # The route table icon anchors the subnet in its tier's row and its zone's column.
        anchor = f"{here}/route_table"
        box.nodes.append(Node(anchor, label, "route_table", level, status or route_status))
        if table is not None:
            self.tables[(vpc.name, table.name)].append(anchor)
        for nat in vpc.nat_gateways:
            if nat.subnet == subnet.name:
                box.nodes.append(self.nat(vpc, nat, level))
        box.nodes += self.link_marks(vpc, here, [subnet.name], level)
        return box, anchor

    def link_marks(self, vpc: Vpc, here: str, subnets: list[str], level: int) -> list[Node]:
        """Icons in a subnet's box (or a tier-and-AZ box, `here`) for what links it: a transit gateway attachment's
        and an interface endpoint's network interfaces there."""
        from vpcdraw.topology.graph import attachment_address

        found = []
        for tgw in self.topology.transit_gateways:
            attachment = tgw.attachment(vpc.name)
            if attachment is None or not set(subnets) & set(attachment.subnets):
                continue
            where = attachment_address(vpc, tgw.name)
            label, status = self.mark(where, f"TGW attachment\nto {tgw.name}")
            found.append(Node(f"{here}/{where}", label, "transit_gateway_attachment", level, status))
            self.marks[found[-1].id] = where
        for endpoint in vpc.endpoints:
            if endpoint.endpoint_type != "interface" or not set(subnets) & set(endpoint.subnets):
                continue
            where = address(vpc, "vpc_endpoint", endpoint.name)
            label, status = self.mark(where, _labelled(f"Interface endpoint {endpoint.service}", endpoint.label,
                                                       _unless(endpoint.name, endpoint.service)))
            found.append(Node(f"{here}/{where}", label, "interface_endpoint", level, status))
            self.marks[found[-1].id] = where
        return found

    def cell(self, vpc: Vpc, here: str, subnets: list[Subnet]) -> tuple[Cluster, str]:
        """One box for all of a tier's subnets in one AZ: counts, CIDR span, route tables, NATs, groups."""
        names = {s.name for s in subnets}
        level = LEVEL[subnets[0].tier]
        public = sum(1 for s in subnets if vpc.routes_to_internet_gateway(s.name))
        span = _span(subnets)
        count = f"{len(subnets)} {subnets[0].tier} subnet{'s' if len(subnets) > 1 else ''}"
        drifted, status = self.drift([(address(vpc, "subnet", s.name), s.name) for s in subnets])
        box = Cluster(here, "\n".join([*drifted, count, span]),
                      "public_subnet" if public * 2 >= len(subnets) else "private_subnet", status=status)
        tables = Counter(t.name if (t := vpc.route_table_of(s.name)) else "main" for s in subnets)
        # which table a subnet uses is an association of that subnet: drift of either marks the table icon
        table_drift, table_status = self.drift(
            [(address(vpc, "route_table", n), f"route table {n}") for n in sorted(tables) if n != "main"]
            + [(f"{address(vpc, 'route_table', t.name)}/association/{s.name}", f"{s.name} uses {t.name}")
               for s in subnets if (t := vpc.route_table_of(s.name))], whole=False)
        table_lines = []
        for name, used in sorted(tables.items()):
            routes, route_status = self.routes(vpc, next((t for t in vpc.route_tables if t.name == name), None))
            table_status = table_status or ("changed" if route_status else "")
            table_lines += [f"route table {name} ({used})", *routes]
        anchor = f"{here}/route_table"
        box.nodes.append(Node(anchor, "\n".join([*table_drift, *table_lines]), "route_table", level, table_status))
        for name in sorted(tables):
            self.tables[(vpc.name, name)].append(anchor)
        for nat in vpc.nat_gateways:
            if nat.subnet in names:
                box.nodes.append(self.nat(vpc, nat, level))
        box.nodes += self.link_marks(vpc, here, sorted(names), level)
        hosts = [i for i in vpc.instances if i.subnet in names]
        groups = [g.name for g in vpc.security_groups if names & {s.name for s in vpc.protected_subnets(g)}]
        groups += sorted({g for h in hosts for g in h.security_groups} - set(groups))
        host_drift, host_status = self.drift([(address(vpc, "instance", h.name), h.name) for h in hosts]
                                             + [(address(vpc, "security_group", g), f"SG {g}") for g in groups],
                                             whole=False)
        label = [*host_drift, f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}" if hosts else "any host",
                 *counted([f"SG {g}" for g in groups], MAX_LABELS)]
        endpoint = Node(f"{here}/hosts", "\n".join(label), "public_subnet" if public else "private_subnet", level,
                        host_status)
        box.nodes.append(endpoint)
        for subnet in subnets:
            self.alias[subnet_endpoint(vpc, subnet.name)] = endpoint.id
        for host in hosts:
            self.alias[address(vpc, "instance", host.name)] = endpoint.id
        return box, anchor

    def strays(self, vpc: Vpc, here: str, tier: str, subnets: list[Subnet], grouped: bool) -> list[Cluster]:
        """Boxes for subnets in the account and not in the drawing, in their AZ and tier, marked UNMANAGED:
        one each, or in a grouped drawing one for several."""
        style = "private_subnet" if tier == "private" else "public_subnet"
        level = LEVEL[tier]
        words = "in the account,\nnot in the drawing"
        if grouped and len(subnets) > 1:
            node = Node(f"{here}/unmanaged/hosts", words, style, level)
            label = f"UNMANAGED\n{len(subnets)} {tier} subnets\n{_span(subnets)}"
            return [Cluster(f"{here}/unmanaged", label, style, [node], status="unmanaged")]
        boxes = []
        for subnet in subnets:
            box = address(vpc, "subnet", subnet.name)
            if vpc.subnet(subnet.name) is not None:  # the drawing calls another subnet by this name
                box += "/unmanaged"
            name = f"{subnet.label} {subnet.name}" if subnet.label and subnet.label != subnet.name else subnet.name
            node = Node(f"{box}/hosts", words, style, level)
            boxes.append(Cluster(box, f"UNMANAGED\n{name}\n{subnet.cidr}", style, [node], status="unmanaged"))
        return boxes

    def mark(self, resource: str, label: str) -> tuple[str, str]:
        """`label` with the resource's drift marker on a line above it, and its status ("" when it has none)."""
        status = self.overlay.status(resource)
        if not status:
            return label, ""
        self.shown.add(resource)
        return f"{self.overlay.marker(resource)}\n{label}", status

    def drift(self, members: list[tuple[str, str]], whole: bool = True) -> tuple[list[str], str]:
        """Marker lines for the drifted ones of a grouped icon's members (address, what to call it), and its
        status: theirs when all members share it and `whole` (the icon is only them), else changed."""
        marked = [(self.overlay.marker(a), name) for a, name in members if self.overlay.status(a)]
        # a mark of several lines (a grade's words) follows the member's name; a short one precedes it
        lines = [f"{name}:\n{marker}" if "\n" in marker else f"{marker} {name}".strip() for marker, name in marked]
        if not lines:
            return [], ""
        self.shown.update(a for a, _ in members if self.overlay.status(a))
        statuses = {self.overlay.status(a) for a, _ in members}
        return counted(lines, 3), statuses.pop() if whole and len(statuses) == 1 else "changed"

    def routes(self, vpc: Vpc, table: RouteTable | None) -> tuple[list[str], str]:
        """A route table's routes, one line each with drifted ones marked, and the status they give its icon."""
        if table is None:
            return [], ""
        lines, statuses = [], set()
        for route in table.routes:
            line = route_line(route)
            where = f"{address(vpc, 'route_table', table.name)}/route/{route.destination}"
            if self.overlay.status(where):
                self.shown.add(where)
                statuses.add(self.overlay.status(where))
                line = f"{self.overlay.marker(where)} {line}"
            lines.append(line)
        lines += endpoint_routes(vpc, table)
        return lines, (statuses.pop() if len(statuses) == 1 else "changed") if statuses else ""

    def nat(self, vpc: Vpc, nat: NatGateway, level: int) -> Node:
        """A NAT gateway's icon; drift of its Elastic IP is marked on it too."""
        here = address(vpc, "nat_gateway", nat.name)
        label, status = self.mark(here, _labelled("NAT Gateway", nat.label, nat.name))
        eip, eip_status = self.drift([(address(vpc, "elastic_ip", nat.name), "Elastic IP")], whole=False)
        return Node(here, "\n".join([*eip, label]), "nat_gateway", level, status or eip_status)

    def host(self, vpc: Vpc, host: Instance, level: int) -> Node:
        role = f" ({host.role})" if host.role and host.role not in host.name else ""
        here = address(vpc, "instance", host.name)
        label, status = self.mark(here, _labelled(host.name + role, host.label, ""))
        return Node(here, label, f"instance_{host.role or 'generic'}", level, status)

    def endpoint_groups(self, vpc: Vpc, subnet: Subnet) -> list[tuple[SecurityGroup | None, list[Node]]]:
        """Nodes that edges attach to in a subnet: its hosts by first SG, or one subnet icon when it has none."""
        level = LEVEL[subnet.tier]
        hosts = [i for i in vpc.instances if i.subnet == subnet.name]
        if hosts:
            grouped: dict[str, list[Node]] = defaultdict(list)
            for host in hosts:
                grouped[host.security_groups[0] if host.security_groups else ""].append(self.host(vpc, host, level))
            return [(vpc.security_group(name), nodes) for name, nodes in grouped.items()]
        groups = [g for g in vpc.security_groups if subnet in vpc.protected_subnets(g)]
        icon = "public_subnet" if vpc.routes_to_internet_gateway(subnet.name) else "private_subnet"
        node = Node(subnet_endpoint(vpc, subnet.name), "any host", icon, level)
        return [(groups[0] if groups else None, [node])]

    def notes(self, drawn_vpcs: set[str]) -> list[Node]:
        """Notes for what the overlay marks but no box, icon or edge shows: the unmanaged ones, and the rest."""
        overlay, found = self.overlay, []
        unmanaged = [*overlay.unmanaged, *(r.words for r in overlay.unmanaged_rules if r not in self.lines.drawn_rules),
                     *(f"subnet {s.name} {s.cidr} in {v}" for v, s in overlay.unmanaged_subnets if v not in drawn_vpcs)]
        if unmanaged:
            text = "\n".join(["UNMANAGED: in the account, not in the drawing", *unmanaged])
            found.append(Node("drift/unmanaged", text, "note", LEVEL["gateway"], "unmanaged"))
        unplaced = sorted((overlay.missing | overlay.changed.keys()) - self.shown)
        if overlay.notes or unplaced:
            lines = [*overlay.notes, *(f"{overlay.marker(a)}: {a}" for a in unplaced)]
            statuses = {overlay.status(a) for a in unplaced} | ({"changed"} if overlay.notes else set())
            status = statuses.pop() if len(statuses) == 1 else "changed"
            found.append(Node("drift/elsewhere", "\n".join(["Not drawn as a box or icon:", *lines]), "note",
                              LEVEL["gateway"], status))
        return found

ROUTE_WORDS = {"vpc_peering_connection": "peering", "transit_gateway": "TGW"}  # a route's target kind, said


def route_line(route: Route) -> str:
    """A route as the route table icon lists it: `0.0.0.0/0 to igw`, `10.1.0.0/16 to peering app-shared`.

    >>> route_line(Route("10.0.0.0/8", "transit_gateway", "hub"))
    '10.0.0.0/8 to TGW hub'
    """
    kind = ROUTE_WORDS.get(route.target, "")
    return f"{route.destination} to {kind + ' ' if kind else ''}{route.gateway or route.target}"


ENDPOINT_ROUTE = "prefix list"  # the words of a gateway endpoint's route, which AWS adds (drawing it is not a route)


def endpoint_routes(vpc: Vpc, table: RouteTable) -> list[str]:
    """The routes AWS adds to a table for the gateway endpoints that name it: `s3 prefix list to endpoint s3`."""
    return [f"{e.service} {ENDPOINT_ROUTE} to endpoint {e.name}" for e in vpc.endpoints
            if e.endpoint_type == "gateway" and table.name in e.route_tables]


def _linked(topology: Topology, vpc: str) -> bool:
    """Whether a peering or transit gateway joins VPC `vpc` to another VPC of the topology."""
    return any(vpc in p.vpcs and len(p.vpcs) == 2 for p in topology.peering_connections) or \
        any(t.attachment(vpc) is not None and len(t.attachments) > 1 for t in topology.transit_gateways)


def _to_box(edge: Edge, tops: dict[str, str]) -> Edge:
    """A rule edge from or to another VPC (its id is the VPC's address) as an edge from or to a node in that VPC's
    box that Graphviz clips at the box's border."""
    found = edge
    for end in ("source", "target"):
        ident = getattr(edge, end)
        if ident.startswith("vpc/") and ident.count("/") == 1 and ident[4:] in tops:
            box = "tail_box" if end == "source" else "head_box"
            found = replace(found, **{end: tops[ident[4:]], box: ident})
    return found


def _span(subnets: list[Subnet]) -> str:
    blocks = sorted((ipaddress.ip_network(s.cidr) for s in subnets), key=lambda n: (n.network_address, n.prefixlen))
    return str(blocks[0]) if len(blocks) == 1 else f"{blocks[0]} ... {blocks[-1]}"


def counted(items: list[str], most: int) -> list[str]:
    """`items`, or the first few of them and how many more there are."""
    return items if len(items) <= most else [*items[:most - 1], f"and {len(items) - most + 1} more"]


def subnet_endpoint(vpc: Vpc, subnet: str) -> str:
    return f"{address(vpc, 'subnet', subnet)}/hosts"


def _labelled(main: str, label: str, name: str) -> str:
    """`main`, then the user's label and the resource name on the lines below, when they add something."""
    extra = " ".join(part for part in (label, name) if part)
    return f"{main}\n{extra}" if extra else main


def _unless(name: str, said: str) -> str:
    """`name`, or "" when the label already says it."""
    return "" if name == said else name


def _all_nodes(cluster: Cluster) -> list[Node]:
    found = list(cluster.nodes)
    for child in cluster.clusters:
        found += _all_nodes(child)
    return found

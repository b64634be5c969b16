"""The drawing as plain data: which boxes hold which icons, which rows they sit in, which edges join them.

This step is pure (no Graphviz, no `diagrams`), so the layout decisions are tested directly; `draw`
turns a Layout into a picture. Node and cluster ids are resource addresses, so output is stable.
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from vpcdraw.topology.address import address, vpc_address
from vpcdraw.topology.graph import rule_address, rule_key, rule_spec
from vpcdraw.topology.model import ANYWHERE_CIDR, TIERS, Instance, Peer, Rule, SecurityGroup, Subnet, Topology, Vpc
from vpcdraw.topology.regions import zone_name

INTERNET = "internet"
MY_IP = "my-ip"

DETAILS = ("auto", "subnets", "tiers")  # how subnets are drawn: auto, each one, or one box per tier and AZ
GROUP_OVER = 24  # in auto, a VPC with more subnets than this is drawn one box per tier and AZ
MAX_LABELS = 4  # an edge lists at most this many port labels; the rest are counted

# Vertical levels: an edge from a lower level to a higher one is drawn reversed so ranks stay top-down.
_LEVEL = {"outside": 0, "gateway": 1, "public": 2, "private": 3, "management": 4, "admin": 5}


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
    style: str  # internet, admin, ssh, tier, egress; in a drift drawing also missing, unmanaged
    both: bool = False  # the same traffic is allowed back: one line with two arrowheads


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

    def nodes(self) -> list[Node]:
        """Every node, in drawing order."""
        found = list(self.top) + list(self.bottom)
        stack = list(self.root)
        while stack:
            cluster = stack.pop(0)
            found += cluster.nodes
            stack = cluster.clusters + stack
        return found


@dataclass(frozen=True)
class Overlay:
    """Drift to draw over the layout, as plain data from a diff: addresses, differences in words, extras."""

    missing: frozenset[str] = frozenset()
    changed: dict[str, str] = field(default_factory=dict)  # address -> "az should be ..., is ..."
    unmanaged_rules: tuple[dict[str, Any], ...] = ()  # live rule specs on groups of the drawing
    unmanaged: tuple[str, ...] = ()  # everything else in the account and not in the drawing, in words
    title: str = "Drift"  # what the drawing shows: drift, or a grade
    changed_marker: str = "CHANGED"

    def status(self, address: str) -> str:
        return "missing" if address in self.missing else "changed" if address in self.changed else ""

    def marker(self, address: str) -> str:
        """The text marker for a drifted address (so the meaning does not rest on colour alone)."""
        if address in self.missing:
            return "MISSING "
        if address in self.changed:
            return f"{self.changed_marker} ({self.changed[address]}) "
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
    builder = _Builder(topology.region, my_ip, overlay or Overlay(), detail)
    for vpc in topology.vpcs:
        region.clusters.append(builder.vpc(vpc))
    # Several VPCs go in a grid, about as many rows as columns, rather than one wide strip.
    across = math.ceil(math.sqrt(len(builder.ends)))
    for upper, lower in zip(builder.ends, builder.ends[across:], strict=False):
        builder.columns.append([upper[1], lower[0]])
    if overlay is not None:
        _mark(region, "", overlay)
        if overlay.unmanaged:
            text = "\n".join(["UNMANAGED: in the account, not in the drawing", *overlay.unmanaged])
            region.clusters[0].nodes.append(Node("drift/unmanaged", text, "note", _LEVEL["gateway"], "unmanaged"))
    return Layout(title, builder.top(), [region], builder.bottom(), builder.edges(), builder.rows, builder.columns)


class _Builder:
    """Walks the VPCs once, placing nodes and collecting edges and rows."""

    def __init__(self, region: str, my_ip: str | None, overlay: Overlay, detail: str) -> None:
        self.region = region
        self.my_ip = my_ip
        self.overlay = overlay
        self.detail = detail
        self.alias: dict[str, str] = {}  # a grouped subnet's or host's node id -> its tier-and-AZ box's node
        self.outside: dict[str, Node] = {}
        self.edge_labels: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self.rows: list[list[str]] = []
        self.columns: list[list[str]] = []
        self.ends: list[tuple[str, str]] = []  # each VPC's top and bottom node, to stack VPCs in a grid

    def vpc(self, vpc: Vpc) -> Cluster:
        grouped = self.detail == "tiers" or (self.detail == "auto" and len(vpc.subnets) > GROUP_OVER)
        label = f"VPC {vpc.label + ' ' if vpc.label else ''}{vpc.name} {vpc.cidr}"
        if grouped:
            label += f"\n{len(vpc.subnets)} subnets, one box per tier and AZ (--expand draws each)"
        box = Cluster(vpc_address(vpc), label, "vpc")
        igw = vpc.internet_gateway
        if igw is not None:
            box.nodes.append(Node(address(vpc, "internet_gateway", igw.name),
                                  _labelled("Internet Gateway", igw.label, igw.name), "internet_gateway",
                                  _LEVEL["gateway"]))
        zones = sorted({zone_name(self.region, s.az) for s in vpc.subnets})
        tiers = [t for t in TIERS if any(s.tier == t for s in vpc.subnets)]
        anchors: dict[tuple[str, str], str] = {}
        row_nodes: dict[str, list[str]] = defaultdict(list)
        for zone in zones:
            zone_box = Cluster(f"{vpc_address(vpc)}/az/{zone}", f"Availability Zone {zone}", "az")
            for tier in tiers:
                subnets = [s for s in vpc.subnets if zone_name(self.region, s.az) == zone and s.tier == tier]
                if not subnets:  # keep rows aligned across zones with an invisible stand-in
                    ghost = f"{zone_box.id}/{tier}"
                    spacer = Node(f"{ghost}/spacer", "", "placeholder", _LEVEL[tier])
                    zone_box.clusters.append(Cluster(ghost, "", "placeholder", [spacer]))
                    anchors[(zone, tier)] = spacer.id
                    row_nodes[tier].append(spacer.id)
                elif grouped:
                    cell, anchors[(zone, tier)] = self.cell(vpc, f"{zone_box.id}/{tier}", subnets)
                    zone_box.clusters.append(cell)
                    row_nodes[tier] += [n.id for n in _all_nodes(cell)]
                    continue
                for subnet in subnets:
                    subnet_box, anchor = self.subnet(vpc, subnet)
                    zone_box.clusters.append(subnet_box)
                    anchors.setdefault((zone, tier), anchor)
                    row_nodes[tier] += [n.id for n in _all_nodes(subnet_box)]
            box.clusters.append(zone_box)
        self.rules(vpc)
        # dot loops forever or loses edges when nodes of one row have edges between them (seen in tests):
        # such nodes stay out of the row and find their place inside their subnet's box.
        flat = {n for (s, t, _), _labels in self.edge_labels.items() for n in (s, t)
                if any(s in row and t in row for row in row_nodes.values())}
        for tier in tiers:
            self.rows.append([n for n in row_nodes[tier] if n not in flat or n.endswith("/route_table")])
        for zone in zones:
            self.columns.append([anchors[(zone, tier)] for tier in tiers])
        if zones:
            first = self.columns[-len(zones)]
            self.ends.append((box.nodes[0].id if box.nodes else first[0], first[-1]))
        return box

    def subnet(self, vpc: Vpc, subnet: Subnet) -> tuple[Cluster, str]:
        """The subnet's box (its route table, NAT, and hosts grouped by security group) and its anchor node."""
        public = vpc.routes_to_internet_gateway(subnet.name)
        here = address(vpc, "subnet", subnet.name)
        label = f"{subnet.label + ' ' if subnet.label else ''}{subnet.name}\n{subnet.cidr}"
        box = Cluster(here, label, "public_subnet" if public else "private_subnet")
        level = _LEVEL[subnet.tier]
        for group, members in self.endpoint_groups(vpc, subnet):
            if group is None:
                box.nodes += members
                continue
            sg_id = f"{here}/{address(vpc, 'security_group', group.name)}"
            within = [r.port_text for r in group.ingress if r.peer == Peer("security_group", group.name)]
            label = f"SG {group.name}" + (f"\nmembers allow each other {', '.join(within)}" if within else "")
            box.clusters.append(Cluster(sg_id, label, "security_group", members))
        table = vpc.route_table_of(subnet.name)
        routes = [f"{r.destination} to {r.gateway or r.target}" for r in table.routes] if table else []
        table_name = table.name if table else "main"
        # The route table icon anchors the subnet in its tier's row and its zone's column.
        anchor = f"{here}/route_table"
        box.nodes.append(Node(anchor, "\n".join([f"route table {table_name}", *routes]), "route_table", level))
        for nat in vpc.nat_gateways:
            if nat.subnet == subnet.name:
                box.nodes.append(Node(address(vpc, "nat_gateway", nat.name),
                                      _labelled("NAT Gateway", nat.label, nat.name), "nat_gateway", level))
        return box, anchor

    def cell(self, vpc: Vpc, here: str, subnets: list[Subnet]) -> tuple[Cluster, str]:
        """One box for all of a tier's subnets in one AZ: counts, CIDR span, route tables, NATs, groups."""
        names = {s.name for s in subnets}
        level = _LEVEL[subnets[0].tier]
        public = sum(1 for s in subnets if vpc.routes_to_internet_gateway(s.name))
        blocks = sorted((ipaddress.ip_network(s.cidr) for s in subnets), key=lambda n: (n.network_address, n.prefixlen))
        span = str(blocks[0]) if len(blocks) == 1 else f"{blocks[0]} ... {blocks[-1]}"
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
            table = next((t for t in vpc.route_tables if t.name == name), None)
            routes = [f"{r.destination} to {r.gateway or r.target}" for r in table.routes] if table else []
            table_lines += [f"route table {name} ({used})", *routes]
        anchor = f"{here}/route_table"
        box.nodes.append(Node(anchor, "\n".join([*table_drift, *table_lines]), "route_table", level, table_status))
        for nat in vpc.nat_gateways:
            if nat.subnet in names:
                box.nodes.append(Node(address(vpc, "nat_gateway", nat.name),
                                      _labelled("NAT Gateway", nat.label, nat.name), "nat_gateway", level))
        hosts = [i for i in vpc.instances if i.subnet in names]
        groups = [g.name for g in vpc.security_groups if names & {s.name for s in vpc.protected_subnets(g)}]
        groups += sorted({g for h in hosts for g in h.security_groups} - set(groups))
        host_drift, host_status = self.drift([(address(vpc, "instance", h.name), h.name) for h in hosts]
                                             + [(address(vpc, "security_group", g), f"SG {g}") for g in groups],
                                             whole=False)
        label = [*host_drift, f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}" if hosts else "any host",
                 *_counted([f"SG {g}" for g in groups], MAX_LABELS)]
        endpoint = Node(f"{here}/hosts", "\n".join(label), "public_subnet" if public else "private_subnet", level,
                        host_status)
        box.nodes.append(endpoint)
        for subnet in subnets:
            self.alias[_subnet_endpoint(vpc, subnet.name)] = endpoint.id
        for host in hosts:
            self.alias[address(vpc, "instance", host.name)] = endpoint.id
        return box, anchor

    def drift(self, members: list[tuple[str, str]], whole: bool = True) -> tuple[list[str], str]:
        """Marker lines for the drifted ones of a grouped icon's members (address, what to call it), and its
        status: theirs when all members share it and `whole` (the icon is only them), else changed."""
        lines = [f"{self.overlay.marker(a)}{name}".strip() for a, name in members if self.overlay.status(a)]
        if not lines:
            return [], ""
        statuses = {self.overlay.status(a) for a, _ in members}
        return _counted(lines, 3), statuses.pop() if whole and len(statuses) == 1 else "changed"

    def endpoint_groups(self, vpc: Vpc, subnet: Subnet) -> list[tuple[SecurityGroup | None, list[Node]]]:
        """Nodes that edges attach to in a subnet: its hosts by first SG, or one subnet icon when it has none."""
        level = _LEVEL[subnet.tier]
        hosts = [i for i in vpc.instances if i.subnet == subnet.name]
        if hosts:
            grouped: dict[str, list[Node]] = defaultdict(list)
            for host in hosts:
                grouped[host.security_groups[0] if host.security_groups else ""].append(_host_node(vpc, host, level))
            return [(vpc.security_group(name), nodes) for name, nodes in grouped.items()]
        groups = [g for g in vpc.security_groups if subnet in vpc.protected_subnets(g)]
        icon = "public_subnet" if vpc.routes_to_internet_gateway(subnet.name) else "private_subnet"
        node = Node(_subnet_endpoint(vpc, subnet.name), "any host", icon, level)
        return [(groups[0] if groups else None, [node])]

    def endpoints(self, vpc: Vpc, group: SecurityGroup) -> list[str]:
        """Node ids that stand for a security group: its hosts, else the subnets it protects."""
        hosts = [i for i in vpc.instances if group.name in i.security_groups]
        if hosts:
            return [address(vpc, "instance", h.name) for h in hosts]
        if any(i.subnet in {s.name for s in vpc.protected_subnets(group)} for i in vpc.instances):
            return []  # its subnets hold hosts, none of them in this group: nothing it protects is drawn
        return [_subnet_endpoint(vpc, s.name) for s in vpc.protected_subnets(group)]

    def peer_endpoints(self, vpc: Vpc, peer: Peer) -> tuple[list[str], str]:
        """Node ids for a rule's peer, and the edge style its traffic gets."""
        if peer.kind == "security_group":
            group = vpc.security_group(peer.value)
            return (self.endpoints(vpc, group) if group else []), "tier"
        if peer.kind == "subnet":
            hosts = [address(vpc, "instance", i.name) for i in vpc.instances if i.subnet == peer.value]
            return (hosts or [_subnet_endpoint(vpc, peer.value)]), "tier"
        if peer.kind == "my_ip":
            label = f"admin (my IP)\n{self.my_ip}" if self.my_ip else "admin (my IP)"
            self.outside.setdefault(MY_IP, Node(MY_IP, label, "admin", _LEVEL["admin"]))
            return [MY_IP], "admin"
        if peer.value == ANYWHERE_CIDR:
            self.outside.setdefault(INTERNET, Node(INTERNET, "Internet", "internet", _LEVEL["outside"]))
            if vpc.internet_gateway is not None:
                return [address(vpc, "internet_gateway", vpc.internet_gateway.name)], "internet"
            return [INTERNET], "internet"
        for subnet in vpc.subnets:
            if subnet.cidr == peer.value:
                return self.peer_endpoints(vpc, Peer("subnet", subnet.name))
        node_id = f"cidr/{peer.value}"
        self.outside.setdefault(node_id, Node(node_id, peer.value, "cidr", _LEVEL["outside"]))
        return [node_id], "internet"

    def rules(self, vpc: Vpc) -> None:
        """Collect an edge for every pair of endpoints that a rule lets traffic pass between."""
        for group in vpc.security_groups:
            targets = self.endpoints(vpc, group)
            here = address(vpc, "security_group", group.name)
            extra = [_rule_of(s) for s in self.overlay.unmanaged_rules if s["security_group"] == here]
            for rule in [*group.ingress, *(r for d, r in extra if d == "ingress")]:
                if rule.peer == Peer("security_group", group.name):
                    continue  # members reaching each other: said in the SG's label, not with n² lines
                sources, style = self.peer_endpoints(vpc, rule.peer)
                if rule not in group.ingress:
                    style = "unmanaged"
                elif rule_address(here, "ingress", rule_key(rule_spec(vpc, here, "ingress", rule))) in \
                        self.overlay.missing:
                    style = "missing"
                if vpc.internet_gateway is not None and rule.peer.value == ANYWHERE_CIDR and sources[0] != INTERNET:
                    self.add(INTERNET, sources[0], rule, style)
                for source in sources:
                    for target in targets:
                        self.add(source, target, rule, style)
            for rule in group.egress or ():
                destinations, _ = self.peer_endpoints(vpc, rule.peer)
                for source in targets:
                    for destination in destinations:
                        self.add(source, destination, rule, "egress")

    def add(self, source: str, target: str, rule: Rule, style: str) -> None:
        source, target = self.alias.get(source, source), self.alias.get(target, target)
        if source == target:
            return
        if style == "tier" and rule.protocol == "tcp" and rule.from_port == 22 == rule.to_port:
            style = "ssh"
        labels = self.edge_labels[(source, target, style)]
        text = {"missing": "MISSING ", "unmanaged": "UNMANAGED "}.get(style, "") + rule.port_text
        if text not in labels:
            labels.append(text)

    def edges(self) -> list[Edge]:
        """The edges; a pair allowed both ways with the same ports becomes one two-headed line."""
        found: list[Edge] = []
        merged: set[tuple[str, str, str]] = set()
        for (source, target, style), labels in self.edge_labels.items():
            if (source, target, style) in merged:
                continue
            back = (target, source, style)
            both = self.edge_labels.get(back) == labels
            if both:
                merged.add(back)
            found.append(Edge(source, target, tuple(_counted(labels, MAX_LABELS)), style, both))
        return found

    def top(self) -> list[Node]:
        return sorted((n for n in self.outside.values() if n.level == _LEVEL["outside"]), key=lambda n: n.id)

    def bottom(self) -> list[Node]:
        return [n for n in self.outside.values() if n.level == _LEVEL["admin"]]


def _counted(items: list[str], most: int) -> list[str]:
    """`items`, or the first few of them and how many more there are."""
    return items if len(items) <= most else [*items[:most - 1], f"and {len(items) - most + 1} more"]


def _subnet_endpoint(vpc: Vpc, subnet: str) -> str:
    return f"{address(vpc, 'subnet', subnet)}/hosts"


def _host_node(vpc: Vpc, host: Instance, level: int) -> Node:
    role = f" ({host.role})" if host.role and host.role not in host.name else ""
    label = _labelled(host.name + role, host.label, "")
    return Node(address(vpc, "instance", host.name), label, f"instance_{host.role or 'generic'}", level)


def _labelled(main: str, label: str, name: str) -> str:
    """`main`, then the user's label and the resource name on the lines below, when they add something."""
    extra = " ".join(part for part in (label, name) if part)
    return f"{main}\n{extra}" if extra else main


def _all_nodes(cluster: Cluster) -> list[Node]:
    found = list(cluster.nodes)
    for child in cluster.clusters:
        found += _all_nodes(child)
    return found


def _rule_of(spec: dict[str, Any]) -> tuple[str, Rule]:
    """A live rule spec (from a diff) as a model rule, to draw it."""
    protocols = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}
    protocol = protocols.get(str(spec["protocol"]), str(spec["protocol"]))
    low = None if protocol == "all" else spec["from_port"]
    high = None if protocol == "all" else spec["to_port"]
    if spec["peer_kind"] == "security_group":
        peer = Peer("security_group", str(spec["peer"]).rsplit("/", 1)[-1])
    else:
        peer = Peer("cidr", str(spec["peer"]))
    return str(spec["direction"]), Rule(protocol, low, high, peer)  # type: ignore[arg-type]


def _mark(cluster: Cluster, parent: str, overlay: Overlay) -> None:
    """Give drifted boxes and icons their status and a text marker, walking the tree once."""
    resource = cluster.id[len(parent) + 1:] if parent and cluster.style == "security_group" else cluster.id
    status = overlay.status(resource)
    if status:
        cluster.status = status
        cluster.label = overlay.marker(resource) + cluster.label
    for index, node in enumerate(cluster.nodes):
        target = node.id
        if node.icon == "route_table":  # which table a subnet uses is an association of that subnet
            vpc = cluster.id.split("/subnet/")[0]
            table = node.label.split("\n")[0].removeprefix("route table ")
            association = f"{vpc}/route_table/{table}/association/{cluster.id.rsplit('/', 1)[-1]}"
            target = association if overlay.status(association) else f"{vpc}/route_table/{table}"
        node_status = overlay.status(target)
        if node_status:
            cluster.nodes[index] = replace(node, label=overlay.marker(target) + node.label, status=node_status)
    for child in cluster.clusters:
        _mark(child, cluster.id, overlay)

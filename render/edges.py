"""The lines of the drawing: an edge for the traffic each security group rule allows, between the nodes
that stand for its peer and its group, with drift marked and traffic that cannot arrive said so."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, replace

from vpcdraw.topology.address import address, vpc_address
from vpcdraw.topology.graph import rule_address, rule_key, rule_spec
from vpcdraw.topology.model import ANYWHERE_CIDR, DEFAULT_EGRESS, Peer, Rule, SecurityGroup, Vpc
from vpcdraw.topology.specs import Direction

from .layout import INTERNET, LEVEL, MAX_LABELS, MY_IP, Edge, Node, Overlay, UnmanagedRule, counted, subnet_endpoint

DRIFT_STYLES = ("missing", "unmanaged")  # each such line stays its own, so every drifted rule can be followed


@dataclass(frozen=True)
class Bundle:
    """Edges of one look and the same ports from every one of `sources` to every one of `targets`: drawn as one
    trunk that carries the ports, the sources joining it at one end and the targets leaving it at the other."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    labels: tuple[str, ...]
    style: str
    both: bool = False


def bundles(edges: list[Edge], levels: dict[str, int]) -> tuple[list[Bundle], list[Edge]]:
    """The bundles among `edges`, and the edges left as they are.

    Security group rules join whole groups, so m sources with the same n targets and ports make m * n lines
    (18 for SSH from three bastion boxes to six tier boxes); a bundle draws them with m + n + 1. It is made when
    that is fewer and the sources' rows (levels) are all above or all below the targets', so the trunk runs
    between rows. Drift lines are never bundled.

    >>> e = [Edge(s, t, ("tcp/22",), "ssh") for s in ("m1", "m2", "m3") for t in ("w1", "w2", "w3")]
    >>> found, rest = bundles(e, {"m1": 4, "m2": 4, "m3": 4, "w1": 2, "w2": 2, "w3": 2})
    >>> found, rest
    ([Bundle(sources=('m1', 'm2', 'm3'), targets=('w1', 'w2', 'w3'), labels=('tcp/22',), style='ssh', both=False)], [])
    """
    targets: dict[tuple[str, tuple[str, ...], bool, str], list[str]] = defaultdict(list)
    for edge in edges:
        if edge.style not in DRIFT_STYLES and not edge.tail_box and not edge.head_box:
            targets[(edge.style, edge.labels, edge.both, edge.source)].append(edge.target)
    classes: dict[tuple[str, tuple[str, ...], bool, tuple[str, ...]], list[str]] = defaultdict(list)
    for (style, labels, both, source), found in targets.items():
        classes[(style, labels, both, tuple(sorted(found)))].append(source)
    made: list[Bundle] = []
    for (style, labels, both, ends), sources in classes.items():
        above = {levels.get(n, 0) for n in sources}
        below = {levels.get(n, 0) for n in ends}
        apart = max(above) < min(below) or min(above) > max(below)
        if apart and len(sources) * len(ends) > len(sources) + len(ends) + 1:
            made.append(Bundle(tuple(sorted(sources)), ends, labels, style, both))
    inside = {(s, t, b.style, b.labels, b.both) for b in made for s in b.sources for t in b.targets}
    rest = [e for e in edges if (e.source, e.target, e.style, e.labels, e.both) not in inside]
    return made, rest


# Why traffic from outside the VPC cannot arrive at an endpoint, as `vpcdraw reach` finds it blocked.
NO_ROUTE, NO_PUBLIC_IP = "no route", "no public IP"


class RuleEdges:
    """Collects the edges of every VPC's rules; node ids are the layout's, through `alias` for grouped boxes."""

    def __init__(self, my_ip: str | None, overlay: Overlay, alias: dict[str, str], shown: set[str]) -> None:
        self.my_ip = my_ip
        self.overlay = overlay
        self.alias = alias  # a grouped subnet's or host's node id -> its tier-and-AZ box's node
        self.shown = shown  # marked addresses the drawing shows: the missing rules drawn are added
        self.outside: dict[str, Node] = {}
        self.edge_labels: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self.unreached: dict[str, str] = {}  # endpoint node id -> why traffic from outside the VPC cannot arrive
        self.drawn_rules: set[UnmanagedRule] = set()
        self.linked: dict[str, str] = {}  # the CIDR of each VPC a peering or transit gateway joins -> its name

    def endpoints(self, vpc: Vpc, group: SecurityGroup) -> list[str]:
        """Node ids that stand for a security group: its hosts, else the subnets it protects."""
        hosts = [i for i in vpc.instances if group.name in i.security_groups]
        if hosts:
            return [address(vpc, "instance", h.name) for h in hosts]
        if any(i.subnet in {s.name for s in vpc.protected_subnets(group)} for i in vpc.instances):
            return []  # its subnets hold hosts, none of them in this group: nothing it protects is drawn
        return [subnet_endpoint(vpc, s.name) for s in vpc.protected_subnets(group)]

    def peer_endpoints(self, vpc: Vpc, peer: Peer) -> tuple[list[str], str]:
        """Node ids for a rule's peer, and the edge style its traffic gets."""
        if peer.kind == "security_group":
            group = vpc.security_group(peer.value)
            return (self.endpoints(vpc, group) if group else []), "tier"
        if peer.kind == "subnet":
            hosts = [address(vpc, "instance", i.name) for i in vpc.instances if i.subnet == peer.value]
            return (hosts or [subnet_endpoint(vpc, peer.value)]), "tier"
        if peer.kind == "my_ip" or (peer.kind == "cidr" and self.my_ip and peer.value == self.my_ip):
            label = f"admin (my IP)\n{self.my_ip}" if self.my_ip else "admin (my IP)"
            self.outside.setdefault(MY_IP, Node(MY_IP, label, "admin", LEVEL["admin"]))
            return [MY_IP], "admin"
        if peer.value == ANYWHERE_CIDR:
            self.outside.setdefault(INTERNET, Node(INTERNET, "Internet", "internet", LEVEL["outside"]))
            if vpc.internet_gateway is not None:
                return [address(vpc, "internet_gateway", vpc.internet_gateway.name)], "internet"
            return [INTERNET], "internet"
        for subnet in vpc.subnets:
            if subnet.cidr == peer.value:
                return self.peer_endpoints(vpc, Peer("subnet", subnet.name))
        other = self.linked_vpc(vpc, peer.value)
        if other:  # another VPC of the drawing: the line leaves (or ends at) its box
            return [vpc_address(other)], "tier"
        node_id = f"cidr/{peer.value}"
        self.outside.setdefault(node_id, Node(node_id, peer.value, "cidr", LEVEL["outside"]))
        return [node_id], "internet"

    def linked_vpc(self, vpc: Vpc, block: str) -> str:
        """The VPC of the drawing, other than `vpc` and linked to it, whose CIDR holds `block` ("" for none)."""
        try:
            wanted = ipaddress.ip_network(block, strict=False)
        except ValueError:
            return ""
        for cidr, name in self.linked.items():
            network = ipaddress.ip_network(cidr, strict=False)
            if name != vpc.name and wanted.version == network.version and wanted.subnet_of(network):  # type: ignore[arg-type]
                return name
        return ""

    def rules(self, vpc: Vpc) -> None:
        """Collect an edge for every pair of endpoints that a rule lets traffic pass between."""
        self.unreached.update(_unreached(vpc))
        for group in vpc.security_groups:
            targets = self.endpoints(vpc, group)
            here = address(vpc, "security_group", group.name)
            for rule in group.ingress:
                if rule.peer == Peer("security_group", group.name):
                    continue  # members reaching each other: said in the SG's label, not with n² lines
                missing = self.missing_rule(vpc, here, "ingress", rule)
                drawn = self.ingress(vpc, rule, targets, "missing" if missing else "")
                if drawn and missing not in ("", here):
                    self.shown.add(missing)
            for rule in group.egress if group.egress is not None else (DEFAULT_EGRESS,):
                missing = self.missing_rule(vpc, here, "egress", rule)
                if group.egress is None and not missing:
                    continue  # AWS's default egress rule is not drawn, unless the account lacks it
                drawn = self.egress(vpc, rule, targets, "missing" if missing else "egress")
                if drawn and missing not in ("", here):
                    self.shown.add(missing)
            for extra in self.overlay.unmanaged_rules:
                if extra.security_group != here or (extra.direction == "ingress"
                                                    and extra.rule.peer == Peer("security_group", group.name)):
                    continue  # another group's, or said in the SG's label
                draw = self.ingress if extra.direction == "ingress" else self.egress
                if draw(vpc, extra.rule, targets, "unmanaged"):
                    self.drawn_rules.add(extra)

    def missing_rule(self, vpc: Vpc, group: str, direction: Direction, rule: Rule) -> str:
        """The address the drift names this rule missing by ("" when it is there): the rule's, or its group's."""
        candidates = [rule]
        if rule.peer.kind == "my_ip" and self.my_ip:  # the diff compared the rule with my IP filled in
            candidates.append(replace(rule, peer=Peer("cidr", self.my_ip)))
        for candidate in candidates:
            where = rule_address(group, direction, rule_key(rule_spec(vpc, group, direction, candidate)))
            if where in self.overlay.missing:
                return where
        return group if group in self.overlay.missing else ""

    def ingress(self, vpc: Vpc, rule: Rule, targets: list[str], drift: str) -> bool:
        """Edges from a rule's peer to the group's endpoints; whether any was drawn to one of them."""
        sources, style = self.peer_endpoints(vpc, rule.peer)
        outside = _outside(vpc, rule.peer)
        blocked = {t: self.unreached.get(t, "") if outside else "" for t in targets}
        if rule.peer.kind == "cidr" and self.linked_vpc(vpc, rule.peer.value):  # it comes over a peering or TGW
            blocked = {t: "" if _routed_back(vpc, t, rule.peer.value) else NO_ROUTE for t in targets}
        if vpc.internet_gateway is not None and rule.peer.value == ANYWHERE_CIDR and sources[0] != INTERNET:
            # into the gateway: the traffic gets no further when it can reach none of the group's endpoints
            reasons = list(blocked.values())
            self.add(INTERNET, sources[0], rule, drift or style, reasons[0] if reasons and all(reasons) else "")
        drawn = False
        for source in sources:
            for target in targets:
                drawn = self.add(source, target, rule, drift or style, blocked[target]) or drawn
        return drawn

    def egress(self, vpc: Vpc, rule: Rule, sources: list[str], style: str) -> bool:
        """Edges from the group's endpoints to a rule's peer; whether any was drawn."""
        destinations, _ = self.peer_endpoints(vpc, rule.peer)
        drawn = False
        for source in sources:
            for destination in destinations:
                drawn = self.add(source, destination, rule, style) or drawn
        return drawn

    def within(self, vpc: Vpc, group: SecurityGroup) -> list[str]:
        """The ports a group's members allow each other (its rules naming itself), drifted ones marked."""
        here, itself = address(vpc, "security_group", group.name), Peer("security_group", group.name)
        found = []
        for rule in group.ingress:
            if rule.peer == itself:
                missing = self.missing_rule(vpc, here, "ingress", rule)
                if missing not in ("", here):
                    self.shown.add(missing)
                found.append(f"{'MISSING ' if missing else ''}{rule.port_text}")
        for extra in self.overlay.unmanaged_rules:
            if extra.security_group == here and extra.direction == "ingress" and extra.rule.peer == itself:
                self.drawn_rules.add(extra)
                found.append(f"UNMANAGED {extra.rule.port_text}")
        return found

    def add(self, source: str, target: str, rule: Rule, style: str, blocked: str = "") -> bool:
        """Add a rule's port to the edge between two nodes; `blocked` says why its traffic cannot arrive."""
        source, target = self.alias.get(source, source), self.alias.get(target, target)
        if source == target:
            return False
        if style == "tier" and rule.protocol == "tcp" and rule.from_port == 22 == rule.to_port:
            style = "ssh"
        if blocked and style in ("internet", "admin"):
            style = "unreachable"
        labels = self.edge_labels[(source, target, style)]
        text = {"missing": "MISSING ", "unmanaged": "UNMANAGED "}.get(style, "") + rule.port_text
        text += f" ({blocked})" if blocked else ""
        if text not in labels:
            labels.append(text)
        return True

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
            found.append(Edge(source, target, tuple(counted(labels, MAX_LABELS)), style, both))
        return found

    def top(self) -> list[Node]:
        return sorted((n for n in self.outside.values() if n.level == LEVEL["outside"]), key=lambda n: n.id)

    def bottom(self) -> list[Node]:
        return [n for n in self.outside.values() if n.level == LEVEL["admin"]]


def _unreached(vpc: Vpc) -> dict[str, str]:
    """Why traffic from outside the VPC cannot arrive at each endpoint node ("" when it can), as `reach` says:
    a subnet needs a route to an attached internet gateway, a host also a public IP address."""
    igw = vpc.internet_gateway
    found: dict[str, str] = {}
    for subnet in vpc.subnets:
        routed = igw is not None and igw.attached and vpc.routes_to_internet_gateway(subnet.name)
        found[subnet_endpoint(vpc, subnet.name)] = "" if routed else NO_ROUTE
    for host in vpc.instances:
        why = found.get(subnet_endpoint(vpc, host.subnet), NO_ROUTE)
        found[address(vpc, "instance", host.name)] = why or ("" if host.public_ip else NO_PUBLIC_IP)
    return found


def _routed_back(vpc: Vpc, node: str, block: str) -> bool:
    """Whether the subnet of endpoint node `node` routes `block` (another VPC's) to a peering or transit gateway,
    so that VPC's traffic gets its answer."""
    subnet = next((h.subnet for h in vpc.instances if address(vpc, "instance", h.name) == node), "")
    subnet = subnet or next((s.name for s in vpc.subnets if subnet_endpoint(vpc, s.name) == node), "")
    table = vpc.route_table_of(subnet) if subnet else None
    wanted = ipaddress.ip_network(block, strict=False)
    for route in table.routes if table else ():
        if route.target in ("vpc_peering_connection", "transit_gateway"):
            network = ipaddress.ip_network(route.destination, strict=False)
            if network.version == wanted.version and wanted.subnet_of(network):  # type: ignore[arg-type]
                return True
    return False


def _outside(vpc: Vpc, peer: Peer) -> bool:
    """Whether a rule's peer lies outside the VPC, so its traffic must come in through the internet gateway."""
    if peer.kind == "my_ip" or peer.value == ANYWHERE_CIDR:
        return True
    if peer.kind != "cidr":
        return False
    try:
        block, own = ipaddress.ip_network(peer.value, strict=False), ipaddress.ip_network(vpc.cidr, strict=False)
    except ValueError:
        return True
    return block.version != own.version or not block.overlaps(own)

"""Reachability: can traffic from A reach B on a port, and if not, which component blocks it.

A networkx graph holds the hops (internet, internet gateway, route tables, network ACLs, subnets,
security groups, hosts); each question walks the shortest path and checks every hop, as AWS
Reachability Analyzer explains a path. Pure: it works on a drawing before anything is deployed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import VpcdrawError
from ..model import ANYWHERE_CIDR, TIERS, NetworkAclEntry, Rule, SecurityGroup, Subnet, Topology, Vpc
from ..ports import parse_ports
from ..roles import EVERY_ADDRESS, allowed_blocks, covered, covers, within
from .names import INTERNET, MY_IP, Endpoint, endpoints

if TYPE_CHECKING:
    import networkx as nx

    from ..model import Protocol, Route, RouteTable

EPHEMERAL = (1024, 65535)
MATRIX_CORNER = "from / to"
"""The matrix's corner cell: rows are FROM, columns TO. No backslash, which NanumGothic (the Korean font) and
Korean consoles draw as ₩, and ASCII, so that a console of any code page prints it."""


@dataclass(frozen=True)
class Answer:
    """One question answered: the hops walked, and the blocking one when it is unreachable."""

    source: str
    target: str
    port: str
    reachable: bool
    path: tuple[str, ...]
    blocked: str = ""
    target_subnet: str = ""  # the subnet the target sits in ('' outside the VPC): data, not to be parsed from words
    target_vpc: str = ""  # the VPC of that subnet

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "port": self.port, "reachable": self.reachable,
                "path": list(self.path), "blocked": self.blocked}


def graph(vpc: Vpc) -> nx.DiGraph:
    """The hops of the VPC's network paths; edges say which hop can follow which."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_edge(INTERNET, "igw")
    for subnet in vpc.subnets:
        s = subnet.name
        g.add_edge("igw", f"route:{s}")  # traffic in from the internet needs the way back out
        g.add_edge(f"route:{s}", f"nacl:{s}")
        g.add_edge(f"nacl:{s}", f"subnet:{s}")
        g.add_edge(f"subnet:{s}", f"out:{s}")  # leaving the subnet, through its NACL
        g.add_edge(f"out:{s}", "local")  # the VPC's local route joins every subnet
        g.add_edge("local", f"nacl:{s}")
        g.add_edge(f"out:{s}", f"egress:{s}")  # to the internet, by the subnet's route table
        g.add_edge(f"egress:{s}", INTERNET)
    return g


def reach(topology: Topology, source: str, target: str, port: str = "tcp/22",
          my_ip: str | None = None) -> list[Answer]:
    """Answer for every pair of endpoints the words name (a host and itself is no question; any host of a subnet
    and any host of the same subnet is one: two hosts side by side). Ends in two VPCs are answered by the routes
    between them (`routing`), an AWS service by its gateway endpoint or the way out to the internet."""
    from .routing import across, to_service

    protocol, low = asked_port(port)
    port_text = Rule(protocol, low, low, _any()).port_text
    ask = Question(protocol, low, port_text)
    answers = []
    froms, tos = endpoints(topology, source, my_ip), endpoints(topology, target, my_ip)
    if any(a.service for a in froms):
        raise VpcdrawError(f"{source} is an AWS service: reach asks about traffic to it, not from it")
    for a in froms:
        for b in tos:
            if a == b and a.host:
                continue
            vpc = a.vpc or b.vpc or topology.vpcs[0]
            if b.service:
                answer = to_service(topology, a, b, ask)
            elif a.vpc is not None and b.vpc is not None and a.vpc_name != b.vpc_name:
                answer = across(topology, a, b, ask)
            else:
                answer = _walk(vpc, graph(vpc), a, b, protocol, low, port_text)
            answers.append(dataclasses.replace(answer, target_subnet=b.subnet.name if b.subnet else "",
                                               target_vpc=b.vpc_name))
    return answers


@dataclass(frozen=True)
class Question:
    """The protocol and port asked about, and how answers write them."""

    protocol: Protocol
    port: int | None
    text: str


def asked_port(text: str) -> tuple[Protocol, int | None]:
    """The protocol and port a question is about, refused in one sentence as `check` refuses a rule's ports.

    A bare number is a TCP port here, so `-1` is a port outside 0-65535, not AWS's "all protocols".

    >>> asked_port("3306/tcp")
    ('tcp', 3306)
    >>> asked_port("99999")
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: port '99999': port 99999 is outside 0-65535
    """
    from ..validate.security import _check_ports  # the one statement of which ports AWS takes

    protocol, low, high = ("tcp", -1, -1) if text.strip() == "-1" else parse_ports(text)
    problems = _check_ports("", f"port '{text}'", protocol, low, high)
    if problems:
        raise VpcdrawError(problems[0].message)
    return protocol, low


def _any() -> Any:
    from ..builder import anywhere

    return anywhere


def _walk(vpc: Vpc, hops: nx.DiGraph, a: Endpoint, b: Endpoint, protocol: str, port: int | None,
          port_text: str) -> Answer:
    import networkx as nx

    start = INTERNET if a.outside else f"subnet:{a.subnet.name}"  # type: ignore[union-attr]
    end = INTERNET if b.outside else f"subnet:{b.subnet.name}"  # type: ignore[union-attr]
    path: list[str] = [a.name]
    if a.outside and b.outside:
        return Answer(a.name, b.name, port_text, False, tuple(path), "both ends are outside the VPC")
    if not a.outside:
        ok, words = _sg_allows(vpc, a.groups, "egress", protocol, port, b, a)
        if not ok:
            return Answer(a.name, b.name, port_text, False, tuple(path), words)
        path.append(words)
    route = nx.shortest_path(hops, start, end)
    for hop in route[1:]:
        ok, words = _check(vpc, hop, a, b, protocol, port)
        if not ok:
            return Answer(a.name, b.name, port_text, False, tuple(path), words)
        if words:
            path.append(words)
    if not b.outside:
        if b.public_ip is False and a.outside:
            return Answer(a.name, b.name, port_text, False, tuple(path),
                          f"blocked: host {b.name} has no public IP address")
        ok, words = _sg_allows(vpc, b.groups, "ingress", protocol, port, a, b)
        if not ok:
            return Answer(a.name, b.name, port_text, False, tuple(path), words)
        path.append(words)
    path.append(b.name)
    return Answer(a.name, b.name, port_text, True, tuple(path))


def _check(vpc: Vpc, hop: str, a: Endpoint, b: Endpoint, protocol: str, port: int | None) -> tuple[bool, str]:
    kind, _, name = hop.partition(":")
    subnet = vpc.subnet(name) if name else None
    igw = vpc.internet_gateway
    if kind == "igw":
        if igw is None or not igw.attached:
            return False, f"blocked: VPC {vpc.name} has no internet gateway attached"
        return True, f"internet gateway {igw.name}"
    if kind == "route" and subnet is not None:  # in from the internet: the answer must find its way out
        table = vpc.route_table_of(subnet.name)
        if not vpc.routes_to_internet_gateway(subnet.name):
            return False, (f"blocked: route table {table.name if table else 'main'} has no route to "
                           f"{ANYWHERE_CIDR} through the internet gateway")
        ways = [r for r in table.routes if r.target == "internet_gateway"] if table else []
        gateway = igw.name if igw else ""
        return True, f"route table {table.name if table else 'main'}: {_destinations(ways)} to {gateway}"
    if kind == "nacl" and subnet is not None:
        return _nacl(vpc, subnet, False, protocol, port, a)
    if kind == "out" and subnet is not None:
        return _nacl(vpc, subnet, True, protocol, port, b)
    if kind == "egress" and subnet is not None:
        return _way_out(vpc, vpc.route_table_of(subnet.name), a)
    if kind == "local":
        return True, f"local route {vpc.cidr}"
    return True, ""


def _way_out(vpc: Vpc, table: RouteTable | None, a: Endpoint) -> tuple[bool, str]:
    """Out to the internet: through the gateway (internet or NAT) whose routes together send it all of 0.0.0.0/0."""
    name = table.name if table else "main"
    routes = [r for r in table.routes if r.target != "local"] if table else []
    for target, gateway in dict.fromkeys((r.target, r.gateway) for r in routes):
        ways = [r for r in routes if (r.target, r.gateway) == (target, gateway)]
        if not covered(EVERY_ADDRESS, (r.destination for r in ways)):
            continue
        if target == "internet_gateway":
            if a.public_ip is False:
                return False, f"blocked: host {a.name} has no public IP address for the internet gateway"
            return True, f"route table {name}: {_destinations(ways)} to {gateway}"
        if target in ("vpc_peering_connection", "transit_gateway"):
            link = "peering" if target == "vpc_peering_connection" else "transit gateway"
            return False, (f"blocked: route table {name} sends {_destinations(ways)} to {link} {gateway}; a way "
                           "out to the internet through another VPC is not followed")
        nat = next((n for n in vpc.nat_gateways if n.name == gateway), None)
        if nat is None or not vpc.routes_to_internet_gateway(nat.subnet):
            return False, f"blocked: NAT gateway {gateway} has no route to the internet gateway"
        return True, f"route table {name}: {_destinations(ways)} to NAT gateway {nat.name}"
    return False, f"blocked: route table {name} has no route to {ANYWHERE_CIDR}"


def _destinations(routes: list[Route]) -> str:
    """The destinations of routes in words: `0.0.0.0/0`, or `0.0.0.0/1, 128.0.0.0/1`."""
    return ", ".join(r.destination for r in routes)


def _nacl(vpc: Vpc, subnet: Subnet, egress: bool, protocol: str, port: int | None,
          other: Endpoint) -> tuple[bool, str]:
    """The subnet's network ACL, this way on the port and the other way on ephemeral ports (it is stateless)."""
    acl = next((n for n in vpc.network_acls if subnet.name in n.subnets), None)
    if acl is None:
        return True, ""  # the default ACL allows everything both ways
    address = other.cidr or (other.subnet.cidr if other.subnet else ANYWHERE_CIDR)
    way = "outbound" if egress else "inbound"
    if not _acl_allows(acl.entries, egress, protocol, port, address):
        return False, f"blocked: network ACL {acl.name} denies {way} {protocol}/{port} for {subnet.name}"
    if not _acl_allows(acl.entries, not egress, protocol, EPHEMERAL[0], address, EPHEMERAL[1]):
        back = "inbound" if egress else "outbound"
        return False, f"blocked: network ACL {acl.name} denies the {back} replies (ports 1024-65535)"
    return True, f"network ACL {acl.name} allows {way}"


def _acl_allows(entries: tuple[NetworkAclEntry, ...], egress: bool, protocol: str, port: int | None,
                address: str, high: int | None = None) -> bool:
    """Whether every address of `address` meets an allow entry before any deny entry: entries are read in rule
    number order, the first that matches an address decides for it, and an implicit deny ends the list. So allow
    0.0.0.0/1 and allow 128.0.0.0/1 let the whole internet in, and a deny is harmless where allows came first."""
    block = ipaddress.IPv4Network(address, strict=False)
    allowed: list[str] = []
    for entry in sorted((e for e in entries if e.egress == egress), key=lambda e: e.rule_number):
        cidr = ipaddress.IPv4Network(entry.cidr, strict=False)
        if not block.overlaps(cidr) or not _entry_matches(entry, protocol, port, high):
            continue
        if entry.action == "allow":
            allowed.append(entry.cidr)
            if covered(block, allowed):
                return True
        elif not covered(block if block.subnet_of(cidr) else cidr, allowed):  # CIDRs nest or are apart
            return False
    return False  # the implicit deny at the end of every ACL


def _entry_matches(entry: NetworkAclEntry, protocol: str, port: int | None, high: int | None) -> bool:
    """Whether a network ACL entry's protocol and port range hold `port` (to `high`, for a range of replies)."""
    if entry.protocol not in ("all", protocol):
        return False
    if entry.protocol == "all" or port is None or entry.from_port is None or entry.to_port is None:
        return True
    return entry.from_port <= port and (high if high is not None else port) <= entry.to_port


def _sg_allows(vpc: Vpc, groups: tuple[SecurityGroup, ...], direction: str, protocol: str, port: int | None,
               peer: Endpoint, own: Endpoint) -> tuple[bool, str]:
    if not groups:
        return False, f"blocked: no security group protects {own.name}"
    near = []
    for group in groups:
        for rule in _rules(group, direction):
            if not covers(rule, protocol, port):
                continue
            if _peer_matches(vpc, rule, peer):
                side = "from" if direction == "ingress" else "to"
                return True, f"SG {group.name} allows {rule.port_text} {side} {rule.peer}"
            near.append((group.name, rule))
    together = _together(groups, direction, protocol, port, peer)
    if together:
        side = "from" if direction == "ingress" else "to"
        names = ", ".join(dict.fromkeys(g.name for g, _ in together))
        blocks = ", ".join(r.peer.value for _, r in together)
        return True, f"SG {names} allows {protocol}/{port} {side} {blocks} (together all of {peer.name})"
    if direction == "egress":
        return False, f"blocked: SG {groups[0].name} allows no outbound {protocol}/{port} to {peer.name}"
    if near:
        sources = ", ".join(sorted({str(r.peer) for _, r in near}))
        return False, f"blocked: SG {near[0][0]} allows {protocol}/{port} only from {sources}"
    names = ", ".join(g.name for g in groups)
    return False, f"blocked: SG {names} allows nothing on {protocol}/{port}"


def _rules(group: SecurityGroup, direction: str) -> tuple[Rule, ...]:
    if direction == "ingress":
        return group.ingress
    return group.egress if group.egress is not None else (Rule("all", None, None, _any()),)


def _together(groups: tuple[SecurityGroup, ...], direction: str, protocol: str, port: int | None,
              peer: Endpoint) -> list[tuple[SecurityGroup, Rule]]:
    """The CIDR rules of the groups that cover the port and, merged, hold every address of the peer, which
    none of them does alone (0.0.0.0/1 and 128.0.0.0/1 for the internet); empty when they do not."""
    if peer.outside:
        block = ipaddress.IPv4Network(peer.cidr, strict=False) if peer.cidr else EVERY_ADDRESS
    else:
        block = ipaddress.IPv4Network(peer.subnet.cidr, strict=False)  # type: ignore[union-attr]
    rules = [(g, r) for g in groups for r in _rules(g, direction)
             if r.peer.kind == "cidr" and covers(r, protocol, port)]
    if not within(block, allowed_blocks((r for _, r in rules), protocol, port)):
        return []
    return [(g, r) for g, r in rules if any(b.overlaps(block) for b in allowed_blocks((r,), protocol, port))]


def _peer_matches(vpc: Vpc, rule: Rule, peer: Endpoint) -> bool:
    kind, value = rule.peer.kind, rule.peer.value
    if kind == "my_ip":
        return peer.my_ip
    if kind in ("security_group", "subnet") and peer.vpc_name and peer.vpc_name != vpc.name:
        return False  # a rule naming a group of another VPC is not modelled: CIDR rules carry traffic across VPCs
    if kind == "security_group":
        return any(g.name == value for g in peer.groups)
    if kind == "subnet":
        subnet = vpc.subnet(value)
        return peer.subnet is not None and subnet is not None and peer.subnet.name == subnet.name
    allowed = ipaddress.IPv4Network(value, strict=False)
    if peer.outside:
        if peer.cidr is None:  # the internet, or my IP not given: only a rule for everyone surely covers it
            return allowed.prefixlen == 0
        return ipaddress.IPv4Network(peer.cidr, strict=False).subnet_of(allowed)
    return ipaddress.IPv4Network(peer.subnet.cidr).subnet_of(allowed)  # type: ignore[union-attr]


Matrix = tuple[list[str], list[str], dict[tuple[str, str], list[str]]]


def matrix(topology: Topology, my_ip: str | None = None) -> Matrix:
    """Who reaches whom on the ports the security groups mention: sources, targets, and the ports per pair.

    The diagonal is a question like any other (does a host of the public tier reach another of it?), answered
    the same way: 8080 from 0.0.0.0/0 lets the public tier's own hosts in too. With several VPCs the rows and
    columns are every VPC's tiers (`app/private`), and the AWS services of their gateway endpoints are columns
    too, asked on tcp/443 (HTTPS, how S3 and DynamoDB are called).
    """
    groups = [g for v in topology.vpcs for g in v.security_groups]
    ports = sorted({r.port_text for g in groups for r in g.ingress if r.protocol in ("tcp", "udp")
                    and r.from_port == r.to_port}, key=lambda p: (p.split("/")[0], int(p.split("/")[1])))
    several = len(topology.vpcs) > 1
    tiers: list[str] = [f"{v.name}/{t}" if several else t for v in topology.vpcs for t in TIERS
                        if any(s.tier == t for s in v.subnets)]
    services = list(dict.fromkeys(e.service for v in topology.vpcs for e in v.endpoints
                                  if e.endpoint_type == "gateway"))
    sources, targets = [INTERNET, MY_IP, *tiers], [*tiers, *services]
    cells: dict[tuple[str, str], list[str]] = {}
    for source in sources:
        for target in targets:
            asked = ["tcp/443"] if target in services else ports
            cells[(source, target)] = [p for p in asked
                                       if any(a.reachable for a in reach(topology, source, target, p, my_ip))]
    return sources, targets, cells

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

if TYPE_CHECKING:
    import networkx as nx

    from ..model import Protocol, Route, RouteTable

INTERNET, MY_IP = "internet", "my-ip"
EPHEMERAL = (1024, 65535)
MATRIX_CORNER = "from / to"
"""The matrix's corner cell: rows are FROM, columns TO. No backslash, which NanumGothic (the Korean font) and
Korean consoles draw as ₩, and ASCII, so that a console of any code page prints it."""


@dataclass(frozen=True)
class Endpoint:
    """Something traffic starts from or arrives at: outside (internet, my IP, a CIDR) or a host in a subnet."""

    name: str
    subnet: Subnet | None = None  # None: outside the VPC
    groups: tuple[SecurityGroup, ...] = ()
    public_ip: bool | None = None  # None: any host of the subnet, which may be given one
    cidr: str | None = None  # outside: the block it stands for (None: any address, the internet)
    my_ip: bool = False
    host: bool = False  # one instance; False: any host of the subnet, so another host of it too

    @property
    def outside(self) -> bool:
        return self.subnet is None


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

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "port": self.port, "reachable": self.reachable,
                "path": list(self.path), "blocked": self.blocked}


def endpoints(topology: Topology, name: str, my_ip: str | None = None) -> list[Endpoint]:
    """What a FROM or TO word names: internet, my-ip, a CIDR, a tier, a subnet, a security group or a host."""
    vpc = topology.vpcs[0]
    if name == INTERNET:
        return [Endpoint("internet")]
    if name in (MY_IP, "my_ip"):
        return [Endpoint("my IP", cidr=my_ip, my_ip=True)]
    if "/" in name or name.replace(".", "").isdigit():
        try:
            block = ipaddress.IPv4Network(name if "/" in name else f"{name}/32", strict=False)
        except ValueError:
            raise VpcdrawError(f"'{name}' is not a CIDR, and no subnet, group or host has that name") from None
        inside = [s for s in vpc.subnets if block.subnet_of(ipaddress.IPv4Network(s.cidr))]
        return _subnet_endpoints(vpc, inside[0]) if inside else [Endpoint(str(block), cidr=str(block))]
    if name in TIERS:
        found = [e for s in vpc.subnets if s.tier == name for e in _subnet_endpoints(vpc, s)]
        if not found:
            raise VpcdrawError(f"no subnet of topology '{topology.name}' is in the {name} tier")
        return found
    subnet = vpc.subnet(name)
    if subnet is not None:
        return _subnet_endpoints(vpc, subnet)
    host = next((i for i in vpc.instances if i.name == name), None)
    if host is not None:
        subnet = vpc.subnet(host.subnet)
        groups = tuple(g for g in vpc.security_groups if g.name in host.security_groups)
        return [Endpoint(host.name, subnet, groups, host.public_ip, host=True)]
    group = vpc.security_group(name)
    if group is not None:
        return _group_endpoints(topology, group, my_ip)
    known = ", ".join(["internet", "my-ip", "a CIDR", *TIERS])
    raise VpcdrawError(f"'{name}' names nothing in topology '{topology.name}' (try {known}, or a subnet, "
                       "security group or host name)")


def _group_endpoints(topology: Topology, group: SecurityGroup, my_ip: str | None) -> list[Endpoint]:
    """The hosts a security group is on, else any host of the subnets it protects; refused when it has neither."""
    vpc = topology.vpcs[0]
    hosts = [i.name for i in vpc.instances if group.name in i.security_groups]
    if hosts:
        return [e for h in hosts for e in endpoints(topology, h, my_ip)]
    found = [e for s in vpc.protected_subnets(group) for e in _subnet_endpoints(vpc, s)]
    if not found:
        where = f"no subnet of topology '{topology.name}' is in the {group.tier} tier" if group.tier else (
            "it names no subnet and has no tier")
        raise VpcdrawError(f"security group {group.name} protects nothing to reach: no host uses it and {where}")
    return found


def _subnet_endpoints(vpc: Vpc, subnet: Subnet) -> list[Endpoint]:
    hosts = [i for i in vpc.instances if i.subnet == subnet.name]
    if hosts:
        return [Endpoint(h.name, subnet, tuple(g for g in vpc.security_groups if g.name in h.security_groups),
                         h.public_ip, host=True) for h in hosts]
    groups = tuple(g for g in vpc.security_groups if subnet in vpc.protected_subnets(g))
    return [Endpoint(f"{subnet.name} (any host)", subnet, groups, None)]


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
    and any host of the same subnet is one: two hosts side by side)."""
    protocol, low = asked_port(port)
    port_text = Rule(protocol, low, low, _any()).port_text
    vpc = topology.vpcs[0]
    hops = graph(vpc)
    answers = []
    for a in endpoints(topology, source, my_ip):
        for b in endpoints(topology, target, my_ip):
            if a == b and a.host:
                continue
            answer = _walk(vpc, hops, a, b, protocol, low, port_text)
            answers.append(dataclasses.replace(answer, target_subnet=b.subnet.name if b.subnet else ""))
    return answers


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
    the same way: 8080 from 0.0.0.0/0 lets the public tier's own hosts in too.
    """
    vpc = topology.vpcs[0]
    ports = sorted({r.port_text for g in vpc.security_groups for r in g.ingress if r.protocol in ("tcp", "udp")
                    and r.from_port == r.to_port}, key=lambda p: (p.split("/")[0], int(p.split("/")[1])))
    tiers: list[str] = [t for t in TIERS if any(s.tier == t for s in vpc.subnets)]
    sources, targets = [INTERNET, MY_IP, *tiers], list(tiers)
    cells: dict[tuple[str, str], list[str]] = {}
    for source in sources:
        for target in targets:
            cells[(source, target)] = [p for p in ports
                                       if any(a.reachable for a in reach(topology, source, target, p, my_ip))]
    return sources, targets, cells

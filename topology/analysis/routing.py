"""Reach between VPCs and to AWS services, from the model alone: the routes, links and gateway endpoints.

Between two VPCs the source subnet's route table sends the target's address (a host's subnet CIDR stands for
it) by its longest matching prefix: to a VPC peering connection, which must join the two VPCs themselves (AWS has
no transitive peering: traffic never goes on from the peer through a second peering), or to a transit gateway,
which the source VPC reaches only from an AZ its attachment has a subnet in, and whose default route table holds
every attached VPC's CIDR (attachments propagate to it, as AWS sets a transit gateway up by default). The target
VPC's table must route the replies back over the same link. Then, as within one VPC, the network ACLs of both
subnets and the security groups of both ends; a rule naming a group of another VPC is not modelled, so CIDR
rules carry traffic across VPCs.

To an AWS service (s3, dynamodb) traffic takes the gateway endpoint whose route tables include the source
subnet's, else the way out to the internet (internet or NAT gateway), else nothing. An endpoint policy other
than AWS's default is not evaluated, and the answer says so.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Route, Subnet, Topology, Vpc
from .names import Endpoint
from .reach import Answer, _nacl, _sg_allows, _walk, graph

if TYPE_CHECKING:
    from .reach import Question

SERVICE_PORTS = (443, 80)
"""The ports S3's and DynamoDB's endpoints answer on (HTTPS, and HTTP)."""
LINKS = {"vpc_peering_connection": "peering", "transit_gateway": "transit gateway",
         "internet_gateway": "internet gateway", "nat_gateway": "NAT gateway"}


@dataclass
class _Walk:
    """The hops walked so far from a to b, and the answer when a hop blocks."""

    a: Endpoint
    b: Endpoint
    ask: Question
    path: list[str]

    def blocked(self, words: str) -> Answer:
        return Answer(self.a.name, self.b.name, self.ask.text, False, tuple(self.path), words)

    def done(self) -> Answer:
        return Answer(self.a.name, self.b.name, self.ask.text, True, (*self.path, self.b.name))


def table_name(vpc: Vpc, subnet: Subnet) -> str:
    """A subnet's route table in words: `route table private of app`, or the VPC's main table."""
    table = vpc.route_table_of(subnet.name)
    return f"route table {table.name} of {vpc.name}" if table else f"the main route table of {vpc.name}"


def lookup(vpc: Vpc, subnet: Subnet, cidr: str) -> Route | None:
    """The route the subnet's table sends all of `cidr` by: the longest prefix that holds it (the local route
    among them), or None."""
    block = ipaddress.IPv4Network(cidr, strict=False)
    table = vpc.route_table_of(subnet.name)
    routes = [Route(vpc.cidr, "local"), *(table.routes if table else ())]
    holding = [r for r in routes if block.subnet_of(ipaddress.IPv4Network(r.destination, strict=False))]
    return max(holding, key=lambda r: ipaddress.IPv4Network(r.destination, strict=False).prefixlen, default=None)


def _sends(route: Route | None, cidr: str) -> str:
    if route is None:
        return f"has no route to {cidr}"
    if route.target == "local":
        return f"keeps {cidr} in the VPC (local route {route.destination})"
    return f"sends {cidr} to {LINKS[route.target]} {route.gateway} (route {route.destination})"


def across(topology: Topology, a: Endpoint, b: Endpoint, ask: Question) -> Answer:
    """From a host (or any host of a subnet) in one VPC to one in another, hop by hop."""
    va, vb, sa, sb = a.vpc, b.vpc, a.subnet, b.subnet
    assert va is not None and vb is not None and sa is not None and sb is not None
    walk = _Walk(a, b, ask, [a.name])
    ok, words = _sg_allows(va, a.groups, "egress", ask.protocol, ask.port, b, a)
    if not ok:
        return walk.blocked(words)
    walk.path.append(words)
    ok, words = _nacl(va, sa, True, ask.protocol, ask.port, b)
    if not ok:
        return walk.blocked(words)
    if words:
        walk.path.append(words)
    route = lookup(va, sa, sb.cidr)
    out = table_name(va, sa)
    if route is None or route.target not in ("vpc_peering_connection", "transit_gateway"):
        way = f"; the internet gateway does not carry private addresses to VPC {vb.name}" if route and (
            route.target in ("internet_gateway", "nat_gateway")) else ""
        return walk.blocked(f"blocked: {out} {_sends(route, sb.cidr)} ({b.name}){way}")
    walk.path.append(f"{out}: {route.destination} to {LINKS[route.target]} {route.gateway}")
    crossing = _peering(topology, walk, route, va, vb) if route.target == "vpc_peering_connection" else (
        _transit(topology, walk, route, va, vb, sa, sb))
    if crossing is not None:
        return crossing
    back = lookup(vb, sb, sa.cidr)
    home = table_name(vb, sb)
    if back is None or (back.target, back.gateway) != (route.target, route.gateway):
        return walk.blocked(f"blocked: the replies have no way back: {home} {_sends(back, sa.cidr)}, not back "
                            f"through {LINKS[route.target]} {route.gateway}")
    walk.path.append(f"{home}: {back.destination} back to {LINKS[route.target]} {route.gateway}")
    ok, words = _nacl(vb, sb, False, ask.protocol, ask.port, a)
    if not ok:
        return walk.blocked(words)
    if words:
        walk.path.append(words)
    ok, words = _sg_allows(vb, b.groups, "ingress", ask.protocol, ask.port, a, b)
    if not ok:
        return walk.blocked(words)
    walk.path.append(words)
    return walk.done()


def _peering(topology: Topology, walk: _Walk, route: Route, va: Vpc, vb: Vpc) -> Answer | None:
    """Over a peering: it must join the source VPC and the target's, for AWS does not route on to a third."""
    link = next((p for p in topology.peering_connections if p.name == route.gateway), None)
    if link is None:
        return walk.blocked(f"blocked: topology '{topology.name}' has no peering called {route.gateway}")
    if va.name not in link.vpcs:
        return walk.blocked(f"blocked: peering {link.name} does not join VPC {va.name}")
    other = link.accepter if link.requester == va.name else link.requester
    if not other and link.external is not None:
        other = link.external.vpc_id
    if other != vb.name:
        onward = next((p.name for p in topology.peering_connections if p.name != link.name
                       and other in p.vpcs and vb.name in p.vpcs), "")
        second = f" over peering {onward}" if onward else ""
        return walk.blocked(f"blocked: peering {link.name} joins {va.name} and {other}, and {vb.name} is beyond "
                            f"{other}: there is no transitive peering, so AWS does not carry traffic from "
                            f"{va.name} on through {other} to {vb.name}{second}")
    walk.path.append(f"peering {link.name} to VPC {vb.name}")
    return None


def _transit(topology: Topology, walk: _Walk, route: Route, va: Vpc, vb: Vpc, sa: Subnet,
             sb: Subnet) -> Answer | None:
    """Through a transit gateway: attached on both sides from the AZs of both subnets, the target VPC's CIDR
    propagated to its default route table."""
    hub = next((t for t in topology.transit_gateways if t.name == route.gateway), None)
    if hub is None:
        return walk.blocked(f"blocked: topology '{topology.name}' has no transit gateway called {route.gateway}")
    near, far = hub.attachment(va.name), hub.attachment(vb.name)
    if near is None:
        return walk.blocked(f"blocked: VPC {va.name} is not attached to transit gateway {hub.name}")
    if not _in_az(va, near.subnets, sa):
        return walk.blocked(f"blocked: {sa.name} of {va.name} is in AZ {sa.az}, where the attachment of "
                            f"{va.name} to transit gateway {hub.name} has no subnet: resources in an AZ without an "
                            "attachment subnet cannot reach the transit gateway")
    if far is None:
        return walk.blocked(f"blocked: transit gateway {hub.name}'s route table has no route to {sb.cidr}: VPC "
                            f"{vb.name} is not attached to it")
    walk.path.append(f"transit gateway {hub.name}: default route table, {vb.cidr} propagated from the attachment "
                     f"of {vb.name}")
    if not _in_az(vb, far.subnets, sb):
        return walk.blocked(f"blocked: the replies cannot reach transit gateway {hub.name}: {sb.name} of "
                            f"{vb.name} is in AZ {sb.az}, where the attachment of {vb.name} has no subnet")
    return None


def _in_az(vpc: Vpc, names: tuple[str, ...], subnet: Subnet) -> bool:
    return any(s is not None and s.az == subnet.az for s in (vpc.subnet(n) for n in names))


def to_service(topology: Topology, a: Endpoint, b: Endpoint, ask: Question) -> Answer:
    """To an AWS service: through the gateway endpoint of the source subnet's route table, else the internet."""
    walk = _Walk(a, b, ask, [a.name])
    va, sa = a.vpc, a.subnet
    if va is None or sa is None:
        return walk.blocked("both ends are outside the VPC")
    if ask.protocol != "tcp" or ask.port not in SERVICE_PORTS:
        return walk.blocked(f"blocked: {b.service} answers on tcp/443 and tcp/80 only, not {ask.text}")
    table = va.route_table_of(sa.name)
    gateways = [e for e in va.endpoints if e.endpoint_type == "gateway" and e.service == b.service]
    serving = next((e for e in gateways if table is not None and table.name in e.route_tables), None)
    if serving is None:
        tables = ", ".join(f"gateway endpoint {e.name}'s ({', '.join(e.route_tables) or 'none'})" for e in gateways)
        why = (f"{table_name(va, sa)} is not among the route tables of {tables}" if gateways
               else f"VPC {va.name} has no gateway endpoint for {b.service}")
        answer = _walk(va, graph(va), a, b, ask.protocol, ask.port, ask.text)
        if not answer.reachable:
            return Answer(a.name, b.name, ask.text, False, answer.path, f"{answer.blocked} ({why})")
        note = f"{why}, so {b.service} is reached over the internet, at its public endpoints"
        return Answer(a.name, b.name, ask.text, True, (*answer.path[:-1], note, b.name))
    ok, words = _sg_allows(va, a.groups, "egress", ask.protocol, ask.port, b, a)
    if not ok:
        return walk.blocked(words)
    walk.path.append(words)
    ok, words = _nacl(va, sa, True, ask.protocol, ask.port, b)
    if not ok:
        return walk.blocked(words)
    if words:
        walk.path.append(words)
    walk.path.append(f"{table_name(va, sa)}: the {b.service} prefix list to gateway endpoint {serving.name}")
    if serving.policy:
        walk.path.append(f"gateway endpoint {serving.name}'s own policy is not evaluated: it may still refuse")
    return walk.done()

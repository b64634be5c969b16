"""The topology as AWS resources to create, each with its typed spec, and the dependency graph between them.

Specs (`vpcdraw.topology.specs`) hold what AWS stores, in AWS's terms (full zone names, CIDRs of subnet
peers), and refer to other resources by address, so a live account read back into the same shape
compares field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import specs
from .address import address, transit_gateway_address, vpc_address
from .builder import anywhere
from .model import NetworkAclEntry, Route, Rule, SecurityGroup, Topology, Vpc, VpcEndpoint
from .ports import PROTOCOL_NUMBERS, port_text
from .regions import zone_name
from .specs import (
    DefaultSecurityGroupSpec,
    Direction,
    ElasticIpSpec,
    InstanceSpec,
    InternetGatewaySpec,
    NatGatewaySpec,
    NetworkAclEntrySpec,
    NetworkAclSpec,
    RouteSpec,
    RouteTableAssociationSpec,
    RouteTableSpec,
    SecurityGroupRuleSpec,
    SecurityGroupSpec,
    Spec,
    SubnetSpec,
    TransitGatewaySpec,
    TransitGatewayVpcAttachmentSpec,
    VpcEndpointSpec,
    VpcPeeringConnectionSpec,
    VpcSpec,
)

if TYPE_CHECKING:
    import networkx as nx

MY_IP_MARK = "my-ip"
KINDS = specs.KINDS


@dataclass(frozen=True)
class Resource:
    """One AWS resource: its address, what AWS keeps of it (`spec`), and extra ordering needs."""

    address: str
    spec: Spec
    after: tuple[str, ...] = ()  # must exist first, though the spec does not name it (a NAT needs the IGW)

    @property
    def kind(self) -> str:
        """The resource's kind in vpcdraw's words: `subnet`, `security_group_rule`, ..."""
        return self.spec.KIND

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Addresses this resource needs to exist first."""
        return self.spec.references() + self.after


def name_tag(label: str, name: str) -> str:
    """The Name tag: the user's label (Unicode is fine in tags) and the resource name."""
    return f"{label} {name}".strip() if label and label != name else name


def rule_address(group_address: str, direction: str, rule_key: str) -> str:
    """The address of one security group rule, such as `.../security_group/web/ingress/tcp/8080/0.0.0.0/0`."""
    return f"{group_address}/{direction}/{rule_key}"


def resources(topology: Topology) -> list[Resource]:
    """Every AWS resource the topology asks for; an unfilled `my_ip` (see `admin_ip.fill`) stays a mark."""
    found: list[Resource] = []
    for vpc in topology.vpcs:
        found += _vpc_resources(topology, vpc)
    found += _links(topology)
    return found


def peering_address(topology: Topology, name: str) -> str:
    """The address of peering connection `name`: it lives in its requester VPC, as in AWS's requester account."""
    peering = next((p for p in topology.peering_connections if p.name == name), None)
    return address(peering.requester if peering else "?", "vpc_peering_connection", name)


def attachment_address(vpc: Vpc | str, transit_gateway: str) -> str:
    """The address of VPC `vpc`'s attachment to transit gateway `transit_gateway`.

    >>> attachment_address("app", "hub")
    'vpc/app/transit_gateway_attachment/hub'
    """
    return address(vpc, "transit_gateway_attachment", transit_gateway)


def service_name(region: str, service: str) -> str:
    """An endpoint service's full name: `s3` in ap-northeast-2 is com.amazonaws.ap-northeast-2.s3.

    >>> service_name("ap-northeast-2", "s3")
    'com.amazonaws.ap-northeast-2.s3'
    """
    return service if service.startswith("com.amazonaws.") else f"com.amazonaws.{region}.{service}"


def _links(topology: Topology) -> list[Resource]:
    """What joins VPCs: peering connections, transit gateways and their attachments."""
    out: list[Resource] = []
    for peering in topology.peering_connections:
        external = peering.external
        peer = vpc_address(peering.accepter) if peering.accepter else (external.vpc_id if external else "")
        out.append(Resource(peering_address(topology, peering.name), VpcPeeringConnectionSpec(
            vpc_address(peering.requester), peer, external.account if external else "",
            external.region if external else "", name_tag(peering.label, peering.name))))
    for gateway in topology.transit_gateways:
        here = transit_gateway_address(gateway.name)
        out.append(Resource(here, TransitGatewaySpec(name_tag(gateway.label, gateway.name))))
        for attachment in gateway.attachments:
            out.append(Resource(attachment_address(attachment.vpc, gateway.name), TransitGatewayVpcAttachmentSpec(
                here, vpc_address(attachment.vpc), tuple(sorted(address(attachment.vpc, "subnet", s)
                                                               for s in attachment.subnets)),
                name_tag(gateway.label, f"{gateway.name}-{attachment.vpc}"))))
    return out


def _route_target(topology: Topology, vpc: Vpc, route: Route) -> tuple[str, tuple[str, ...]]:
    """The address a route sends traffic to, and what must exist first though the route does not name it."""
    if route.target == "vpc_peering_connection":
        return peering_address(topology, route.gateway), ()
    if route.target == "transit_gateway":  # AWS refuses a route to a transit gateway the VPC is not attached to
        return transit_gateway_address(route.gateway), (attachment_address(vpc, route.gateway),)
    return address(vpc, route.target, route.gateway), ()


def _endpoint(topology: Topology, vpc: Vpc, endpoint: VpcEndpoint) -> Resource:
    def where(kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(address(vpc, kind, n) for n in names))

    return Resource(address(vpc, "vpc_endpoint", endpoint.name), VpcEndpointSpec(
        vpc_address(vpc), service_name(topology.region, endpoint.service), endpoint.endpoint_type.capitalize(),
        where("route_table", endpoint.route_tables), where("subnet", endpoint.subnets),
        where("security_group", endpoint.security_groups), endpoint.private_dns, endpoint.policy,
        name_tag(endpoint.label, endpoint.name)))


def _vpc_resources(topology: Topology, vpc: Vpc) -> list[Resource]:
    here = vpc_address(vpc)
    out = [Resource(here, VpcSpec(vpc.cidr, vpc.label or f"{topology.name}-{vpc.name}"))]
    igw = vpc.internet_gateway
    igw_address = address(vpc, "internet_gateway", igw.name) if igw else ""
    if igw is not None:
        out.append(Resource(igw_address, InternetGatewaySpec(here if igw.attached else None,
                                                             name_tag(igw.label, igw.name))))
    for subnet in vpc.subnets:
        out.append(Resource(address(vpc, "subnet", subnet.name), SubnetSpec(
            here, subnet.cidr, zone_name(topology.region, subnet.az), subnet.map_public_ip,
            name_tag(subnet.label, subnet.name))))
    for nat in vpc.nat_gateways:
        eip = address(vpc, "elastic_ip", nat.name)
        out.append(Resource(eip, ElasticIpSpec(name_tag(nat.label, nat.name))))
        out.append(Resource(address(vpc, "nat_gateway", nat.name), NatGatewaySpec(
            address(vpc, "subnet", nat.subnet), eip, name_tag(nat.label, nat.name)),
            after=(igw_address,) if igw_address else ()))
    for table in vpc.route_tables:
        table_address = address(vpc, "route_table", table.name)
        out.append(Resource(table_address, RouteTableSpec(here, name_tag(table.label, table.name))))
        for route in table.routes:
            if route.target == "local":
                continue  # every table has it; AWS makes it
            target, after = _route_target(topology, vpc, route)
            out.append(Resource(f"{table_address}/route/{route.destination}", RouteSpec(
                table_address, route.destination, target), after=after))
        for subnet_name in table.subnets:
            out.append(Resource(f"{table_address}/association/{subnet_name}", RouteTableAssociationSpec(
                table_address, address(vpc, "subnet", subnet_name))))
    for group in vpc.security_groups:
        out += _group_resources(vpc, group)
    if vpc.lock_default_security_group:
        out.append(Resource(address(vpc, "security_group", "default"), DefaultSecurityGroupSpec(here, True)))
    for acl in vpc.network_acls:
        entries = sorted((_acl_entry(e) for e in acl.entries), key=lambda e: e.key)
        out.append(Resource(address(vpc, "network_acl", acl.name), NetworkAclSpec(
            here, name_tag(acl.label, acl.name), tuple(entries),
            tuple(sorted(address(vpc, "subnet", s) for s in acl.subnets)))))
    for instance in vpc.instances:
        out.append(Resource(address(vpc, "instance", instance.name), InstanceSpec(
            address(vpc, "subnet", instance.subnet),
            tuple(sorted(address(vpc, "security_group", g) for g in instance.security_groups)),
            instance.instance_type, instance.image, instance.public_ip, name_tag(instance.label, instance.name)),
            after=(igw_address,) if instance.public_ip and igw_address else ()))
    out += [_endpoint(topology, vpc, e) for e in vpc.endpoints]
    return out


def _group_resources(vpc: Vpc, group: SecurityGroup) -> list[Resource]:
    here = address(vpc, "security_group", group.name)
    out = [Resource(here, SecurityGroupSpec(vpc_address(vpc), group.name, group.description,
                                            name_tag(group.label, group.name)))]
    egress = group.egress
    if egress is None:  # AWS's default rule on a new group, kept as the console keeps it
        egress = (Rule("all", None, None, anywhere),)
    sides: tuple[tuple[Direction, tuple[Rule, ...]], ...] = (("ingress", group.ingress), ("egress", egress))
    for direction, rules in sides:
        for rule in rules:
            spec = rule_spec(vpc, here, direction, rule)
            out.append(Resource(rule_address(here, direction, rule_key(spec)), spec))
    return out


def _acl_entry(entry: NetworkAclEntry) -> NetworkAclEntrySpec:
    """A network ACL entry as AWS keeps it: protocol by number, -1 for any port, ICMP type and code."""
    protocol = PROTOCOL_NUMBERS[entry.protocol]
    low = -1 if entry.from_port is None or protocol == "-1" else entry.from_port
    high = -1 if entry.to_port is None or protocol == "-1" else entry.to_port
    return NetworkAclEntrySpec(entry.rule_number, entry.egress, protocol, low, high, entry.cidr, entry.action)


def rule_spec(vpc: Vpc, group_address: str, direction: Direction, rule: Rule) -> SecurityGroupRuleSpec:
    """A rule as AWS keeps it: ports as AWS numbers them (-1 for all), the peer as a CIDR or an SG address."""
    peer = rule.peer
    if peer.kind == "subnet":
        subnet = vpc.subnet(peer.value)
        peer_kind, peer_value = "cidr", subnet.cidr if subnet else peer.value
    elif peer.kind == "security_group":
        peer_kind, peer_value = "security_group", address(vpc, "security_group", peer.value)
    elif peer.kind == "my_ip":  # unresolved: diff matches it to any single address (deploy fills it first)
        peer_kind, peer_value = "cidr", MY_IP_MARK
    else:
        peer_kind, peer_value = "cidr", peer.value
    protocol = "-1" if rule.protocol == "all" else rule.protocol
    low = -1 if rule.from_port is None else rule.from_port
    high = -1 if rule.to_port is None else rule.to_port
    if protocol == "-1":
        low = high = -1
    return SecurityGroupRuleSpec(group_address, direction, protocol, low, high, peer_kind, peer_value,
                                 rule.description)


def rule_key(spec: SecurityGroupRuleSpec) -> str:
    """A rule's natural key in words: `tcp/8080/0.0.0.0/0`, `tcp/22/sg:management`, `all/0.0.0.0/0`."""
    peer = spec.peer
    if spec.peer_kind == "security_group":
        peer = "sg:" + peer.rsplit("/", 1)[-1]
    return f"{port_text(spec.protocol, spec.from_port, spec.to_port)}/{peer}"


def dependency_graph(items: Iterable[Resource]) -> nx.DiGraph:
    """A graph of addresses with an edge from each resource to what depends on it (only among `items`).

    >>> from vpcdraw.topology.specs import SubnetSpec, VpcSpec
    >>> a = Resource("vpc/m/subnet/a", SubnetSpec("vpc/m", "10.0.0.0/24", "ap-northeast-2a", False, "a"))
    >>> g = dependency_graph([Resource("vpc/m", VpcSpec("10.0.0.0/16", "m")), a])
    >>> list(g.edges)
    [('vpc/m', 'vpc/m/subnet/a')]
    """
    import networkx as nx

    graph = nx.DiGraph()
    present = {r.address: r for r in items}
    for resource in present.values():
        graph.add_node(resource.address, kind=resource.kind)
    for resource in present.values():
        for needed in resource.depends_on:
            if needed in present and needed != resource.address:
                graph.add_edge(needed, resource.address)
    return graph


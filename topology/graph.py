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
from .address import address, vpc_address
from .builder import anywhere
from .model import NetworkAclEntry, Rule, SecurityGroup, Topology, Vpc
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
    return found


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
            kind = "internet_gateway" if route.target == "internet_gateway" else "nat_gateway"
            out.append(Resource(f"{table_address}/route/{route.destination}", RouteSpec(
                table_address, route.destination, address(vpc, kind, route.gateway))))
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


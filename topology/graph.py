"""The topology as AWS resources to create, each with a plain spec, and the dependency graph between them.

Specs hold what AWS stores, in AWS's terms (full zone names, CIDRs of subnet peers), and refer to
other resources by address, so a live account read back into the same shape compares key by key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .address import address, vpc_address
from .builder import anywhere
from .model import NetworkAclEntry, Rule, SecurityGroup, Topology, Vpc
from .ports import PROTOCOL_NUMBERS
from .regions import zone_name

if TYPE_CHECKING:
    import networkx as nx

# Spec keys that hold another resource's address: the edges of the dependency graph.
REFERENCES: dict[str, tuple[str, ...]] = {
    "internet_gateway": ("vpc",),
    "subnet": ("vpc",),
    "route_table": ("vpc",),
    "route": ("route_table", "target"),
    "route_table_association": ("route_table", "subnet"),
    "security_group": ("vpc",),
    "security_group_rule": ("security_group", "peer"),
    "elastic_ip": (),
    "nat_gateway": ("subnet", "elastic_ip"),
    "instance": ("subnet", "security_groups"),
    "network_acl": ("vpc", "subnets"),
    "default_security_group": ("vpc",),
    "vpc": (),
}
MY_IP_MARK = "my-ip"
KINDS = tuple(REFERENCES)


@dataclass(frozen=True)
class Resource:
    """One AWS resource: its address, kind, the attributes AWS keeps (`spec`), and extra ordering needs."""

    address: str
    kind: str
    spec: dict[str, Any] = field(hash=False)
    after: tuple[str, ...] = ()  # must exist first, though the spec does not name it (a NAT needs the IGW)

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Addresses this resource needs to exist first."""
        found: list[str] = []
        for key in REFERENCES[self.kind]:
            value = self.spec.get(key)
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, str) and item.startswith("vpc/"):
                    found.append(item)
        return tuple(found) + self.after


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
    out = [Resource(here, "vpc", {"cidr": vpc.cidr, "name": vpc.label or f"{topology.name}-{vpc.name}"})]
    igw = vpc.internet_gateway
    igw_address = address(vpc, "internet_gateway", igw.name) if igw else ""
    if igw is not None:
        out.append(Resource(igw_address, "internet_gateway",
                            {"vpc": here if igw.attached else None, "name": name_tag(igw.label, igw.name)}))
    for subnet in vpc.subnets:
        out.append(Resource(address(vpc, "subnet", subnet.name), "subnet", {
            "vpc": here, "cidr": subnet.cidr, "az": zone_name(topology.region, subnet.az),
            "map_public_ip": subnet.map_public_ip, "name": name_tag(subnet.label, subnet.name)}))
    for nat in vpc.nat_gateways:
        eip = address(vpc, "elastic_ip", nat.name)
        out.append(Resource(eip, "elastic_ip", {"name": name_tag(nat.label, nat.name)}))
        out.append(Resource(address(vpc, "nat_gateway", nat.name), "nat_gateway", {
            "subnet": address(vpc, "subnet", nat.subnet), "elastic_ip": eip, "name": name_tag(nat.label, nat.name)},
            after=(igw_address,) if igw_address else ()))
    for table in vpc.route_tables:
        table_address = address(vpc, "route_table", table.name)
        out.append(Resource(table_address, "route_table", {"vpc": here, "name": name_tag(table.label, table.name)}))
        for route in table.routes:
            if route.target == "local":
                continue  # every table has it; AWS makes it
            kind = "internet_gateway" if route.target == "internet_gateway" else "nat_gateway"
            out.append(Resource(f"{table_address}/route/{route.destination}", "route", {
                "route_table": table_address, "destination": route.destination,
                "target": address(vpc, kind, route.gateway)}))
        for subnet_name in table.subnets:
            out.append(Resource(f"{table_address}/association/{subnet_name}", "route_table_association", {
                "route_table": table_address, "subnet": address(vpc, "subnet", subnet_name)}))
    for group in vpc.security_groups:
        out += _group_resources(vpc, group)
    if vpc.lock_default_security_group:
        out.append(Resource(address(vpc, "security_group", "default"), "default_security_group",
                            {"vpc": here, "locked": True}))
    for acl in vpc.network_acls:
        entries = sorted((_acl_entry(e) for e in acl.entries), key=lambda e: (e["egress"], e["rule_number"]))
        out.append(Resource(address(vpc, "network_acl", acl.name), "network_acl", {
            "vpc": here, "name": name_tag(acl.label, acl.name), "entries": entries,
            "subnets": sorted(address(vpc, "subnet", s) for s in acl.subnets)}))
    for instance in vpc.instances:
        out.append(Resource(address(vpc, "instance", instance.name), "instance", {
            "subnet": address(vpc, "subnet", instance.subnet),
            "security_groups": sorted(address(vpc, "security_group", g) for g in instance.security_groups),
            "instance_type": instance.instance_type, "image": instance.image, "public_ip": instance.public_ip,
            "name": name_tag(instance.label, instance.name)},
            after=(igw_address,) if instance.public_ip and igw_address else ()))
    return out


def _group_resources(vpc: Vpc, group: SecurityGroup) -> list[Resource]:
    here = address(vpc, "security_group", group.name)
    out = [Resource(here, "security_group", {"vpc": vpc_address(vpc), "group_name": group.name,
                                              "description": group.description,
                                              "name": name_tag(group.label, group.name)})]
    egress = group.egress
    if egress is None:  # AWS's default rule on a new group, kept as the console keeps it
        egress = (Rule("all", None, None, anywhere),)
    for direction, rules in (("ingress", group.ingress), ("egress", egress)):
        for rule in rules:
            spec = rule_spec(vpc, here, direction, rule)
            out.append(Resource(rule_address(here, direction, rule_key(spec)), "security_group_rule", spec))
    return out


def _acl_entry(entry: NetworkAclEntry) -> dict[str, Any]:
    """A network ACL entry as AWS keeps it: protocol by number, -1 for any port, ICMP type and code."""
    protocol = PROTOCOL_NUMBERS[entry.protocol]
    low = -1 if entry.from_port is None or protocol == "-1" else entry.from_port
    high = -1 if entry.to_port is None or protocol == "-1" else entry.to_port
    return {"rule_number": entry.rule_number, "egress": entry.egress, "protocol": protocol, "from_port": low,
            "to_port": high, "cidr": entry.cidr, "action": entry.action}


def rule_spec(vpc: Vpc, group_address: str, direction: str, rule: Rule) -> dict[str, Any]:
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
    return {"security_group": group_address, "direction": direction, "protocol": protocol, "from_port": low,
            "to_port": high, "peer_kind": peer_kind, "peer": peer_value, "description": rule.description}


def rule_key(spec: dict[str, Any]) -> str:
    """A rule's natural key in words: `tcp/8080/0.0.0.0/0`, `tcp/22/sg:management`, `all/0.0.0.0/0`."""
    protocol, low, high = spec["protocol"], spec["from_port"], spec["to_port"]
    if protocol == "-1":
        ports = "all"
    elif protocol == "icmp":
        ports = "icmp" if low == -1 else f"icmp/{low}" + ("" if high == -1 else f":{high}")
    else:
        ports = f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
    peer = spec["peer"]
    if spec["peer_kind"] == "security_group":
        peer = "sg:" + str(peer).rsplit("/", 1)[-1]
    return f"{ports}/{peer}"


def dependency_graph(items: Iterable[Resource]) -> nx.DiGraph:
    """A graph of addresses with an edge from each resource to what depends on it (only among `items`).

    >>> from vpcdraw.topology.graph import Resource
    >>> g = dependency_graph([Resource("vpc/m", "vpc", {}), Resource("vpc/m/subnet/a", "subnet", {"vpc": "vpc/m"})])
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


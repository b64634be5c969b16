"""What a .drawio export says beyond the picture, so that reading it back (topology.drawio) gives the model:
each cell's properties (draw.io's "Edit Data") and the rule edges, drawn from the security groups' rules.

Properties hold only what a picture cannot show (a group's description, an instance's type, a network ACL's
entries, the spelling of an AZ); names, CIDRs, containers and ports are in the labels and the nesting. Rule edges
join the cells of each rule's peer and group, one edge per pair and direction with a line per rule, so deleting
an edge in draw.io deletes its rules and drawing one adds them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from vpcdraw.topology.address import address, transit_gateway_address, vpc_address
from vpcdraw.topology.drawio import port_lines
from vpcdraw.topology.graph import attachment_address, peering_address
from vpcdraw.topology.model import ANYWHERE_CIDR, DEFAULT_IMAGE, Peer, Rule, Topology, Vpc
from vpcdraw.topology.ports import port_text
from vpcdraw.topology.specs import Direction

from . import drawio_styles as styles
from .layout import GROUP_OVER, INTERNET, MY_IP, Overlay, endpoint_routes, route_line

FAN_OUT = 8  # a rule between groups gets an edge per pair of their boxes up to this many
EXTRA = (150.0, 48.0)  # size of a group box drawn for a group that protects nothing drawn


@dataclass(frozen=True)
class Extra:
    """A cell the layout has no place for (a group that protects no drawn subnet, a table no subnet uses, a rule's
    peer CIDR): its id, label, style, container and size; drawio.py places it."""

    id: str
    value: str
    style: str
    parent: str
    width: float
    height: float
    container: bool = False
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RuleLink:
    """A rule edge: the cells it joins, its label (a line per rule), its look, and its drift mark."""

    id: str
    source: str
    target: str
    value: str
    style: str
    data: tuple[tuple[str, str], ...] = ()  # the rules' descriptions, `tcp/22=from the office` a line each


def grouped(topology: Topology, detail: str) -> bool:
    """Whether the layout draws one box per tier and AZ for some VPC (so no subnet has a cell of its own)."""
    return detail == "tiers" or (detail == "auto" and any(len(v.subnets) > GROUP_OVER for v in topology.vpcs))


def properties(topology: Topology) -> dict[str, dict[str, str]]:
    """The properties of each cell, by cell id: what reading the file back needs and the picture does not say."""
    found: dict[str, dict[str, str]] = {"aws_cloud": {"topology": topology.name}}
    if topology.description:
        found["aws_cloud"]["description"] = topology.description
    for vpc in topology.vpcs:
        here = vpc_address(vpc)
        found[here] = _some(Name=vpc.label, lock_default_security_group="true" if vpc.lock_default_security_group
                            else "")
        for subnet in vpc.subnets:
            at = address(vpc, "subnet", subnet.name)
            found[at] = {"tier": subnet.tier, "az": subnet.az,
                         **_some(Name=subnet.label, map_public_ip="true" if subnet.map_public_ip else "")}
            table = vpc.route_table_of(subnet.name)
            if table is not None and table.label:
                found[f"{at}/route_table"] = {"Name": table.label}
        if vpc.internet_gateway is not None:
            igw = vpc.internet_gateway
            found[address(vpc, "internet_gateway", igw.name)] = _some(
                Name=igw.label, attached="" if igw.attached else "false")
        for nat in vpc.nat_gateways:
            found[address(vpc, "nat_gateway", nat.name)] = _some(Name=nat.label)
        for group in vpc.security_groups:
            found[address(vpc, "security_group", group.name)] = {
                "description": group.description, "subnets": ",".join(group.subnets),
                **_some(tier=group.tier or "", Name=group.label, egress="none" if group.egress == () else "")}
        for host in vpc.instances:
            found[address(vpc, "instance", host.name)] = {
                "role": host.role, "security_groups": ",".join(host.security_groups),
                "public_ip": "true" if host.public_ip else "false",
                **_some(instance_type="" if host.instance_type == "t3.micro" else host.instance_type,
                        image="" if host.image == DEFAULT_IMAGE else host.image,
                        Name=host.label)}
        for acl in vpc.network_acls:
            entries = "\n".join(f"{e.rule_number} {'egress' if e.egress else 'ingress'} {e.action} "
                                f"{port_text(e.protocol, e.from_port, e.to_port)} {e.cidr}" for e in acl.entries)
            found[address(vpc, "network_acl", acl.name)] = {"entries": entries, **_some(Name=acl.label)}
        for endpoint in vpc.endpoints:
            found[address(vpc, "vpc_endpoint", endpoint.name)] = {
                "name": endpoint.name, "service": endpoint.service, "endpoint_type": endpoint.endpoint_type,
                **_some(route_tables=",".join(endpoint.route_tables), subnets=",".join(endpoint.subnets),
                        security_groups=",".join(endpoint.security_groups),
                        private_dns="true" if endpoint.private_dns else "", policy=endpoint.policy,
                        Name=endpoint.label)}
    found.update(_link_properties(topology))
    return found


def _link_properties(topology: Topology) -> dict[str, dict[str, str]]:
    """The properties of the peerings', transit gateways' and external VPCs' cells."""
    from .links import external_id

    found: dict[str, dict[str, str]] = {}
    for peering in topology.peering_connections:
        outside = peering.external
        found[peering_address(topology, peering.name)] = {
            "name": peering.name, "requester": peering.requester,
            **_some(accepter=peering.accepter, Name=peering.label,
                    external=external_id(outside) if outside else "")}
        if outside is not None:
            found[external_id(outside)] = {"external": "true", "vpc_id": outside.vpc_id, "cidr": outside.cidr,
                                           **_some(account=outside.account, region=outside.region)}
            if outside.account:
                found[f"account/{outside.account}"] = {"external": "true"}
                found[f"account/{outside.account}/region/{outside.region}"] = {"external": "true"}
            if outside.region:
                found[f"region/{outside.region}"] = {"external": "true"}
            found[f"{external_id(outside)}/vpc"] = {"external": "true"}
    for tgw in topology.transit_gateways:
        found[transit_gateway_address(tgw.name)] = {"name": tgw.name, **_some(Name=tgw.label)}
        for attachment in tgw.attachments:
            found[attachment_address(attachment.vpc, tgw.name)] = {"transit_gateway": tgw.name}
    return found


def _some(**values: str) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


def group_boxes(ids: list[str], vpc: Vpc) -> dict[str, list[str]]:
    """The cells that stand for each security group of a VPC (one in each subnet that draws it), by group name."""
    found: dict[str, list[str]] = defaultdict(list)
    for group in vpc.security_groups:
        here = address(vpc, "security_group", group.name)
        found[group.name] = [i for i in ids if i.endswith(f"/{here}") or i == here]
    return found


def extras(topology: Topology, ids: set[str]) -> list[Extra]:
    """Cells for what the layout does not draw: groups with no box, tables and network ACLs no subnet uses."""
    found = []
    for vpc in topology.vpcs:
        here = vpc_address(vpc)
        boxes = group_boxes(sorted(ids), vpc)
        for group in vpc.security_groups:
            if not boxes[group.name]:
                found.append(Extra(address(vpc, "security_group", group.name), f"SG {group.name}",
                                   styles.GROUPS["security_group"], here, *EXTRA, container=True))
        for table in vpc.route_tables:
            if not table.subnets:
                style, width, height = styles.icon("route_table")
                routes = [route_line(r) for r in table.routes] + endpoint_routes(vpc, table)
                found.append(Extra(address(vpc, "route_table", table.name),
                                   "\n".join([f"route table {table.name}", *routes]), style, here, width, height,
                                   data=(("Name", table.label),) if table.label else ()))
        for acl in vpc.network_acls:
            if not acl.subnets:
                style, width, height = styles.icon("network_acl")
                found.append(Extra(address(vpc, "network_acl", acl.name), f"network ACL {acl.name}", style, here,
                                   width, height))
    return found


def acl_cells(topology: Topology, ids: set[str]) -> list[Extra]:
    """A network ACL's icon in each drawn subnet it guards (the subnet's top right corner)."""
    style, _width, _height = styles.icon("network_acl")
    found = []
    for vpc in topology.vpcs:
        for acl in vpc.network_acls:
            for subnet in acl.subnets:
                holder = address(vpc, "subnet", subnet)
                if holder in ids:
                    found.append(Extra(f"{holder}/{address(vpc, 'network_acl', acl.name)}",
                                       f"network ACL {acl.name}", style, holder, 30, 30))
    return found


class RuleLinks:
    """The rule edges of a topology over the cells drawn (`ids`); peers with no cell yet are added as `extras`."""

    def __init__(self, topology: Topology, ids: set[str], overlay: Overlay | None, my_ip: str | None) -> None:
        from .edges import RuleEdges

        self.topology, self.ids = topology, ids
        self.overlay = overlay or Overlay()
        self.drift = RuleEdges(my_ip, self.overlay, {}, set())  # says which rules the overlay marks missing
        self.lines: dict[tuple[str, str, str], list[tuple[Direction, Rule, str]]] = defaultdict(list)
        self.extras: list[Extra] = []

    def build(self) -> list[RuleLink]:
        for vpc in self.topology.vpcs:
            boxes = group_boxes(sorted(self.ids), vpc)
            for group in vpc.security_groups:
                here = address(vpc, "security_group", group.name)
                targets = boxes[group.name]
                for rule in group.ingress:
                    mark = "missing" if self.drift.missing_rule(vpc, here, "ingress", rule) else ""
                    self.add(vpc, boxes, "ingress", rule, targets, mark)
                for rule in group.egress or ():
                    mark = "missing" if self.drift.missing_rule(vpc, here, "egress", rule) else ""
                    self.add(vpc, boxes, "egress", rule, targets, mark)
                for extra in self.overlay.unmanaged_rules:
                    if extra.security_group == here:
                        self.add(vpc, boxes, extra.direction, extra.rule, targets, "unmanaged")
        return [self.link(key, rules) for key, rules in self.lines.items()]

    def add(self, vpc: Vpc, boxes: dict[str, list[str]], direction: Direction, rule: Rule, group: list[str],
            mark: str) -> None:
        peers = self.peer_cells(vpc, boxes, rule.peer)
        if not peers:
            return
        # every pair while few; past FAN_OUT one edge into each box, so the file grows with boxes, not their square
        pairs = [(p, b) for b in group for p in peers] if len(group) * len(peers) <= FAN_OUT else \
            [(peers[i % len(peers)], b) for i, b in enumerate(group)]
        for peer, box in pairs:
            source, target = (peer, box) if direction == "ingress" else (box, peer)
            self.lines[(source, target, direction)].append((direction, rule, mark))

    def peer_cells(self, vpc: Vpc, boxes: dict[str, list[str]], peer: Peer) -> list[str]:
        """The cells that stand for a rule's peer: the internet gateway (traffic from anywhere comes through it),
        the admin, a group's boxes, a subnet, or a cell for the CIDR."""
        if peer.kind == "my_ip" and MY_IP in self.ids:
            return [MY_IP]
        if peer.kind == "security_group":
            return boxes.get(peer.value, [])
        if peer.kind == "subnet":
            return [address(vpc, "subnet", peer.value)]
        if peer.value == ANYWHERE_CIDR:
            igw = vpc.internet_gateway
            if igw is not None and address(vpc, "internet_gateway", igw.name) in self.ids:
                return [address(vpc, "internet_gateway", igw.name)]
            return [self.outside(INTERNET, "Internet", "internet")]
        if peer.kind == "my_ip":
            return [self.outside(MY_IP, "admin (my IP)", "admin")]
        return [self.outside(f"cidr/{peer.value}", peer.value, "cidr")]

    def outside(self, cell: str, label: str, icon: str) -> str:
        if cell not in self.ids:
            style, width, height = styles.icon(icon)
            self.extras.append(Extra(cell, label, style, "1", width, height))
            self.ids.add(cell)
        return cell

    def link(self, key: tuple[str, str, str], rules: list[tuple[Direction, Rule, str]]) -> RuleLink:
        source, target, direction = key
        marks = {mark for _d, _r, mark in rules}
        words = {"missing": "MISSING ", "unmanaged": "UNMANAGED "}
        lines = [words.get(mark, "") + port_lines([(d, replace(rule, description=""))]) for d, rule, mark in rules]
        said = [f"{port_lines([(d, replace(rule, description=''))])}={rule.description}"
                for d, rule, _mark in rules if rule.description]
        peer = rules[0][1].peer
        kind = ("egress" if direction == "egress" else "admin" if peer.kind == "my_ip"
                else "internet" if peer.kind == "cidr"
                else "ssh" if all(r.protocol == "tcp" and r.from_port == 22 == r.to_port for _d, r, _m in rules)
                else "tier")
        if len(marks) == 1 and marks != {""}:
            kind = marks.pop()
        suffix = "/egress" if direction == "egress" else ""
        return RuleLink(f"{source}->{target}{suffix}", source, target, "\n".join(lines), styles.edge(kind),
                        (("descriptions", "\n".join(said)),) if said else ())


def gateway_paths(topology: Topology, links: list[RuleLink], ids: set[str]) -> list[RuleLink]:
    """An edge from the internet into each internet gateway that traffic from anywhere comes through, labelled
    with its ports: the picture's path, which reading the file back passes over."""
    found = []
    for vpc in topology.vpcs:
        igw = vpc.internet_gateway
        if igw is None or INTERNET not in ids:
            continue
        gateway = address(vpc, "internet_gateway", igw.name)
        lines: list[str] = []
        for link in links:
            if link.source == gateway:
                lines += [line for line in link.value.split("\n") if line not in lines]
        if lines:
            found.append(RuleLink(f"{INTERNET}->{gateway}", INTERNET, gateway, "\n".join(lines),
                                  styles.edge("internet")))  # its descriptions are on the edges it leads to
    return found

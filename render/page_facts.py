"""What the HTML page says about each thing drawn, from the model: an edge's rules, a subnet's routes, a group's rules.

Keys are the layout's ids (node and cluster ids, and `edge_key` for edges), so `page` can match them to the SVG.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from vpcdraw.topology.address import address, vpc_address
from vpcdraw.topology.graph import rule_address, rule_key, rule_spec
from vpcdraw.topology.model import ANYWHERE_CIDR, DEFAULT_EGRESS, Peer, Rule, SecurityGroup, Subnet, Topology, Vpc
from vpcdraw.topology.regions import zone_name
from vpcdraw.topology.specs import Direction

from .edges import RuleEdges
from .layout import INTERNET, Cluster, Edge, Layout, Node, Overlay, subnet_endpoint

# How a drifted rule's label starts on its edge (see edges.RuleEdges.add).
_MARKS = {"missing": "MISSING ", "unmanaged": "UNMANAGED "}


@dataclass
class Fact:
    """What hovering or clicking one element shows, and which addresses (and findings) it stands for."""

    title: str
    lines: list[str] = field(default_factory=list)
    address: str = ""  # the resource's address, shown on click ("" for what is not one; an edge's rules: a line each)
    covers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Ruled:
    """A rule behind an edge: its group's address, direction, the rule, and its drift ("", missing, unmanaged)."""

    group: str
    direction: Direction
    rule: Rule
    status: str
    where: str  # the rule's address

    def words(self, my_ip: str | None) -> str:
        peer = my_ip if self.rule.peer.kind == "my_ip" and my_ip else str(self.rule.peer)
        side = "from" if self.direction == "ingress" else "to"
        text = f"{self.direction} {self.rule.port_text} {side} {peer} on SG {self.group.rsplit('/', 1)[-1]}"
        if self.rule.description:
            text += f": {self.rule.description}"
        return f"{self.status.upper()} {text}" if self.status else text


def edge_key(edge: Edge) -> str:
    """The key of an edge's fact: its ends and style (two edges may join the same nodes in different styles)."""
    return f"{edge.source}->{edge.target}:{edge.style}"


def facts(topology: Topology, plan: Layout, my_ip: str | None, overlay: Overlay | None) -> dict[str, Fact]:
    """A fact for every node, box and edge of `plan` (drawn from `topology` with `my_ip` and `overlay`)."""
    marks = overlay or Overlay()
    found: dict[str, Fact] = {}
    nodes = {n.id: n for n in plan.nodes()}
    items: list[Node | Cluster] = [*nodes.values(), *plan.clusters()]
    for item in items:
        marker, label = marks.marker(item.id), item.label
        if marker and label.startswith(marker + "\n"):  # said once, first among the lines below
            label = label[len(marker) + 1:]
        lines = label.split("\n")
        found[item.id] = Fact(lines[0], lines[1:], item.id if "/" in item.id else "", {item.id})
    for vpc in topology.vpcs:
        _describe_vpc(topology.region, vpc, found, marks)
    for fact in found.values():
        if fact.address and marks.status(fact.address):
            fact.lines.insert(0, marks.marker(fact.address))
    rules = _rule_edges(topology, nodes.keys(), my_ip, marks)
    names = {n: f.title or n for n, f in found.items() if n in nodes}
    for node in nodes:  # "any host" says little: the hosts of a subnet (or of a tier-and-AZ box) by its name
        if node.endswith("/hosts") and node.removesuffix("/hosts") in found:
            names[node] = f"hosts in {found[node.removesuffix('/hosts')].title.splitlines()[0]}"
    for edge in plan.edges:
        behind = _behind(edge, rules)
        arrow = " ↔ " if edge.both else " → "
        lines = [r.words(my_ip) for r in behind] or list(edge.labels)
        wheres = sorted({r.where for r in behind})  # a click shows the rules' addresses, one a line
        found[edge_key(edge)] = Fact(f"{names.get(edge.source, edge.source)}{arrow}"
                                     f"{names.get(edge.target, edge.target)}", lines, "\n".join(wheres), set(wheres))
    return found


def _describe_vpc(region: str, vpc: Vpc, found: dict[str, Fact], marks: Overlay) -> None:
    """Fill in the facts of one VPC's subnets, route tables, groups, gateways and hosts."""
    here = vpc_address(vpc)
    if here in found:
        found[here].lines.append(f"{vpc.cidr}, {len(vpc.subnets)} subnets, {len(vpc.security_groups)} security groups")
    for subnet in vpc.subnets:
        where = address(vpc, "subnet", subnet.name)
        text = [_subnet_line(region, subnet), *_table_lines(vpc, subnet, marks)]
        if where in found:
            found[where] = Fact(f"subnet {subnet.name} {subnet.label}".strip(), text, where,
                                found[where].covers | {where})
        for node in (f"{where}/route_table", subnet_endpoint(vpc, subnet.name)):
            if node in found:  # the route table icon shows the table; "any host" stands for the subnet
                table = vpc.route_table_of(subnet.name)
                is_table = node.endswith("/route_table") and table is not None
                owner = address(vpc, "route_table", table.name) if is_table and table else where
                found[node] = Fact(found[node].title, text if node.endswith("/route_table") else [text[0]], owner,
                                   found[node].covers | _table_covers(vpc, subnet) | {owner})
    for zone in sorted({zone_name(region, s.az) for s in vpc.subnets}):
        for tier in ("public", "private", "management"):
            cell = f"{here}/az/{zone}/{tier}"
            members = [s for s in vpc.subnets if zone_name(region, s.az) == zone and s.tier == tier]
            if cell not in found or not members:
                continue
            text = []
            for subnet in members:
                text += [f"{subnet.name}: {_subnet_line(region, subnet)}", *_table_lines(vpc, subnet, marks)]
            covers = {c for s in members for c in _table_covers(vpc, s) | {address(vpc, "subnet", s.name)}}
            for key in (cell, f"{cell}/route_table", f"{cell}/hosts"):
                if key in found:
                    found[key] = Fact(found[key].title, text, found[key].address, found[key].covers | covers)
    for group in vpc.security_groups:
        where = address(vpc, "security_group", group.name)
        text = _group_lines(vpc, group, marks)
        for subnet in vpc.subnets:
            box = f"{address(vpc, 'subnet', subnet.name)}/{where}"
            if box in found:
                found[box] = Fact(f"SG {group.name}: {group.description}", text, where, found[box].covers | {where})
    for instance in vpc.instances:
        where = address(vpc, "instance", instance.name)
        if where in found:
            found[where].lines.append(f"{instance.instance_type} in subnet {instance.subnet}, "
                                      f"SG {', '.join(instance.security_groups) or 'none'}"
                                      f"{', public IP' if instance.public_ip else ''}")
    for nat in vpc.nat_gateways:
        where = address(vpc, "nat_gateway", nat.name)
        if where in found:
            found[where].lines.append(f"in subnet {nat.subnet}, with an Elastic IP")
            found[where].covers.add(address(vpc, "elastic_ip", nat.name))


def _subnet_line(region: str, subnet: Subnet) -> str:
    public_ip = ", public IPs on launch" if subnet.map_public_ip else ""
    return f"{subnet.cidr} in {zone_name(region, subnet.az)}, {subnet.tier} tier{public_ip}"


def _table_lines(vpc: Vpc, subnet: Subnet, marks: Overlay) -> list[str]:
    """The route table a subnet uses and its routes, one line each, drifted ones marked."""
    table = vpc.route_table_of(subnet.name)
    if table is None:
        return ["route table: the VPC's main table", f"  {vpc.cidr} → local"]
    where = address(vpc, "route_table", table.name)
    lines = [f"route table {table.name}" + (f" ({table.label})" if table.label else "")]
    association = f"{where}/association/{subnet.name}"
    for marked in (where, association):
        if marks.status(marked):
            lines.append(f"  {marks.marker(marked)}")
    if not any(r.target == "local" for r in table.routes):
        lines.append(f"  {vpc.cidr} → local")
    for route in table.routes:
        marker = marks.marker(f"{where}/route/{route.destination}")
        target = route.target.replace("_", " ") + (f" {route.gateway}" if route.gateway else "")
        lines.append(f"  {marker + ' ' if marker else ''}{route.destination} → {target}")
    return lines


def _table_covers(vpc: Vpc, subnet: Subnet) -> set[str]:
    """The addresses a subnet's route table icon stands for: the table, its routes, the subnet's association."""
    table = vpc.route_table_of(subnet.name)
    if table is None:
        return set()
    where = address(vpc, "route_table", table.name)
    return {where, f"{where}/association/{subnet.name}", *(f"{where}/route/{r.destination}" for r in table.routes)}


def _group_lines(vpc: Vpc, group: SecurityGroup, marks: Overlay) -> list[str]:
    """A group's ingress and egress rules, one line each, drifted ones marked."""
    where = address(vpc, "security_group", group.name)
    lines: list[str] = []
    for direction in ("ingress", "egress"):
        side = "from" if direction == "ingress" else "to"
        rules = group.ingress if direction == "ingress" else group.egress
        lines.append(f"{direction}:")
        for rule in rules if rules is not None else (DEFAULT_EGRESS,):
            marker = marks.marker(rule_where(vpc, where, direction, rule))
            default = " (AWS's default)" if rules is None else ""
            described = f": {rule.description}" if rule.description else ""
            lines.append(f"  {marker + ' ' if marker else ''}{rule.port_text} {side} {rule.peer}{default}{described}")
        for extra in marks.unmanaged_rules:
            if extra.security_group == where and extra.direction == direction:
                lines.append(f"  UNMANAGED {extra.rule.port_text} {side} {extra.rule.peer}")
        if not rules and rules is not None:
            lines.append("  none")
    return lines


def rule_where(vpc: Vpc, group: str, direction: Direction, rule: Rule) -> str:
    """The address of a rule of the group at `group` (what drift names it by)."""
    return rule_address(group, direction, rule_key(rule_spec(vpc, group, direction, rule)))


def _rule_edges(topology: Topology, drawn: Iterable[str], my_ip: str | None,
                marks: Overlay) -> dict[tuple[str, str], list[_Ruled]]:
    """The rules behind each pair of drawn nodes, found with the drawing's own endpoint logic (`RuleEdges`)."""
    nodes = set(drawn)
    pairs: dict[tuple[str, str], list[_Ruled]] = defaultdict(list)
    for vpc in topology.vpcs:
        alias = _alias(topology.region, vpc, nodes)
        lines = RuleEdges(my_ip, marks, alias, set())

        def record(source: str, target: str, ruled: _Ruled, alias: Mapping[str, str] = alias) -> None:
            source, target = alias.get(source, source), alias.get(target, target)
            if source != target and ruled not in pairs[(source, target)]:
                pairs[(source, target)].append(ruled)

        for group in vpc.security_groups:
            here = address(vpc, "security_group", group.name)
            own = lines.endpoints(vpc, group)
            itself = Peer("security_group", group.name)
            rules: list[tuple[Direction, Rule, str]] = []
            rules += [("ingress", r, "missing" if lines.missing_rule(vpc, here, "ingress", r) else "")
                      for r in group.ingress if r.peer != itself]
            for rule in group.egress if group.egress is not None else (DEFAULT_EGRESS,):
                missing = lines.missing_rule(vpc, here, "egress", rule)
                if group.egress is not None or missing:
                    rules.append(("egress", rule, "missing" if missing else ""))
            rules += [(extra.direction, extra.rule, "unmanaged") for extra in marks.unmanaged_rules
                      if extra.security_group == here and not (extra.direction == "ingress"
                                                               and extra.rule.peer == itself)]
            for direction, rule, status in rules:
                where = lines.missing_rule(vpc, here, direction, rule) if status == "missing" else ""
                if where in ("", here):
                    where = rule_where(vpc, here, direction, filled(rule, my_ip))
                ruled = _Ruled(here, direction, rule, status, where)
                peers, _ = lines.peer_endpoints(vpc, rule.peer)
                if direction == "egress":
                    for source in own:
                        for target in peers:
                            record(source, target, ruled)
                    continue
                if vpc.internet_gateway is not None and rule.peer.value == ANYWHERE_CIDR and peers[0] != INTERNET:
                    record(INTERNET, peers[0], ruled)  # the edge into the gateway
                for source in peers:
                    for target in own:
                        record(source, target, ruled)
    return pairs


def filled(rule: Rule, my_ip: str | None) -> Rule:
    """The rule with my IP filled in, as a drift against an account names it."""
    return replace(rule, peer=Peer("cidr", my_ip)) if rule.peer.kind == "my_ip" and my_ip else rule


def _alias(region: str, vpc: Vpc, nodes: set[str]) -> dict[str, str]:
    """Endpoints a grouped drawing has no node for -> the tier-and-AZ box's node that stands for them."""
    found: dict[str, str] = {}
    cells = {s.name: f"{vpc_address(vpc)}/az/{zone_name(region, s.az)}/{s.tier}/hosts" for s in vpc.subnets}
    for subnet in vpc.subnets:
        if subnet_endpoint(vpc, subnet.name) not in nodes and cells[subnet.name] in nodes:
            found[subnet_endpoint(vpc, subnet.name)] = cells[subnet.name]
    for host in vpc.instances:
        if address(vpc, "instance", host.name) not in nodes and cells.get(host.subnet) in nodes:
            found[address(vpc, "instance", host.name)] = cells[host.subnet]
    return found


def _behind(edge: Edge, pairs: dict[tuple[str, str], list[_Ruled]]) -> list[_Ruled]:
    """The rules an edge stands for: those between its ends (both ways for a two-headed one) whose ports it shows."""
    candidates = list(pairs.get((edge.source, edge.target), []))
    if edge.both:
        candidates += [r for r in pairs.get((edge.target, edge.source), []) if r not in candidates]
    drift = edge.style if edge.style in _MARKS else ""
    candidates = [r for r in candidates if r.status == drift]
    ports = {label.removeprefix(_MARKS.get(drift, "")).split(" (")[0] for label in edge.labels}
    if any(label.startswith("and ") and label.endswith(" more") for label in edge.labels):
        return candidates  # the edge lists only some of its ports: every rule between its ends is behind it
    return [r for r in candidates if r.rule.port_text in ports]

"""Matching a live VPC, read as the model, to the drawing: the live names replaced by the drawing's by natural key.

A subnet is its CIDR, an internet gateway its VPC, a NAT gateway its subnet, a security group its name and
then its rules, a route table its routes and subnets, an instance its name and then its subnet and groups,
a network ACL its subnets. Pure: it works on two Topology values, so diff and plan compare like with like.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from vpcdraw.topology.address import address, transit_gateway_address
from vpcdraw.topology.model import (
    Peer,
    Rule,
    SecurityGroup,
    Topology,
    TransitGateway,
    Vpc,
    VpcEndpoint,
    VpcPeeringConnection,
)
from vpcdraw.topology.roles import single_address

MIN_LIKENESS = 0.25  # a group named its own way must share at least this much of its rules to be matched
Named = TypeVar("Named")


@dataclass(frozen=True)
class Aligned:
    """The live topology under the drawing's names, and the drawing less what AWS's defaults stand for."""

    live: Topology
    desired: Topology
    notes: tuple[str, ...] = ()
    my_ip: str | None = None  # the single address that an open `my_ip` of the drawing was matched to


@dataclass
class _Maps:
    """Old live name -> drawing name, per kind, for one VPC."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, kind: str) -> dict[str, str]:
        return self.by_kind.setdefault(kind, {})

    def name(self, kind: str, old: str) -> str:
        return self.get(kind).get(old, old)


def align(desired: Topology, live: Topology, pairs: Mapping[str, str] | None = None,
          pinned: Iterable[str] = ()) -> Aligned:
    """`live` renamed to `desired`'s names; `pairs` maps drawing VPC names to live ones (default: in order).

    `pinned` live addresses keep their names whatever their natural keys say: vpcdraw's own resources,
    named by their vpcdraw:address tags (a subnet of ours whose CIDR the drawing changed is replaced, not
    taken for somebody else's).
    """
    pinned = set(pinned)
    pairs = dict(pairs or _vpc_pairs(desired, live))
    notes: list[str] = []
    my_ip: str | None = None
    desired_vpcs = []
    renamed_vpcs: dict[str, Vpc] = {}  # live name -> renamed
    vpc_map = {live_name: drawn for drawn, live_name in pairs.items()}
    links = _link_maps(desired, live, vpc_map, pinned)
    all_maps: dict[str, _Maps] = {}
    for want in desired.vpcs:
        have = next((v for v in live.vpcs if v.name == pairs.get(want.name)), None)
        if have is None:
            desired_vpcs.append(want)
            continue
        maps = _Maps()
        all_maps[have.name] = maps
        for kind, names in links.items():
            maps.get(kind).update(names)
        for kind, items in (*_kinds(have).items(), ("internet_gateway", (have.internet_gateway,))):
            drawn = {getattr(i, "name", "") for i in (*_kinds(want).get(kind, ()),
                                                       *((want.internet_gateway,) if kind == "internet_gateway"
                                                         else ()))}
            for item in items:
                name = getattr(item, "name", "")
                if item is not None and name in drawn and address(have.name, kind, name) in pinned:
                    maps.get(kind)[name] = name
        _match(want, have, maps)
        renamed = _rename(have, want, maps)
        renamed, seen = _open_my_ip(want, renamed)
        my_ip = my_ip or seen
        kept, said = _main_table_stands_in(want, renamed)
        notes += said
        renamed_vpcs[have.name] = renamed
        desired_vpcs.append(kept)
    vpcs = tuple(renamed_vpcs.get(v.name, v) for v in live.vpcs)  # in the live order: callers zip the two
    peerings, gateways = _rename_links(live, vpc_map, links, all_maps)
    return Aligned(dataclasses.replace(live, name=desired.name, vpcs=vpcs, peering_connections=peerings,
                                       transit_gateways=gateways),
                   dataclasses.replace(desired, vpcs=tuple(desired_vpcs)), tuple(notes), my_ip)


def _link_maps(desired: Topology, live: Topology, vpc_map: Mapping[str, str], pinned: set[str]
               ) -> dict[str, dict[str, str]]:
    """Live link name -> drawn name: a peering is the VPCs it joins, a transit gateway the VPCs it attaches;
    what carries our address tag keeps its name; a lone one on each side is the same one; the rest step aside."""
    def peer_key(p: VpcPeeringConnection, mapped: Mapping[str, str]) -> object:
        other = mapped.get(p.accepter, p.accepter) if p.accepter else (p.external.vpc_id if p.external else "")
        return frozenset((mapped.get(p.requester, p.requester), other))

    def gateway_key(g: TransitGateway, mapped: Mapping[str, str]) -> object:
        return frozenset(mapped.get(a.vpc, a.vpc) for a in g.attachments)

    found: dict[str, dict[str, str]] = {}
    kinds: tuple[tuple[str, tuple[Any, ...], tuple[Any, ...], Callable[[Any, Mapping[str, str]], object],
                       Callable[[Any], str]], ...] = (
        ("vpc_peering_connection", desired.peering_connections, live.peering_connections, peer_key,
         lambda p: address(p.requester, "vpc_peering_connection", p.name)),
        ("transit_gateway", desired.transit_gateways, live.transit_gateways, gateway_key,
         lambda g: transit_gateway_address(g.name)))
    for kind, want, have, key, where in kinds:
        names: dict[str, str] = {}
        drawn = {i.name for i in want}
        for item in have:
            if item.name in drawn and where(item) in pinned:
                names[item.name] = item.name
        waiting: dict[object, list[str]] = {}
        for item in want:
            if item.name not in names.values():
                waiting.setdefault(key(item, {}), []).append(item.name)
        for item in have:
            choices = waiting.get(key(item, vpc_map), [])
            if item.name not in names and choices:
                names[item.name] = choices.pop(0)
        open_live = [i.name for i in have if i.name not in names]
        open_drawn = [i.name for i in want if i.name not in names.values()]
        if len(open_live) == 1 and len(open_drawn) == 1:
            names[open_live[0]] = open_drawn[0]
        taken = drawn | set(names.values())
        for item in have:
            if item.name not in names:
                new, n = item.name, 2
                while new in taken:
                    new, n = f"{item.name}-unmatched{'' if n == 2 else n - 1}", n + 1
                names[item.name] = new
                taken.add(new)
        found[kind] = names
    return found


def _rename_links(live: Topology, vpc_map: Mapping[str, str], links: Mapping[str, Mapping[str, str]],
                  maps: Mapping[str, _Maps]) -> tuple[tuple[VpcPeeringConnection, ...], tuple[TransitGateway, ...]]:
    def vpc(name: str) -> str:
        return vpc_map.get(name, name)

    peerings = tuple(dataclasses.replace(
        p, name=links["vpc_peering_connection"].get(p.name, p.name), requester=vpc(p.requester),
        accepter=vpc(p.accepter) if p.accepter else "") for p in live.peering_connections)
    gateways = tuple(dataclasses.replace(
        g, name=links["transit_gateway"].get(g.name, g.name), attachments=tuple(dataclasses.replace(
            a, vpc=vpc(a.vpc), subnets=tuple(maps[a.vpc].name("subnet", s) if a.vpc in maps else s
                                             for s in a.subnets)) for a in g.attachments))
        for g in live.transit_gateways)
    return peerings, gateways


def _vpc_pairs(desired: Topology, live: Topology) -> dict[str, str]:
    """Drawn VPC name -> live one: the same name first (a read named them as the drawing does), then in order."""
    live_names = [v.name for v in live.vpcs]
    pairs = {v.name: v.name for v in desired.vpcs if v.name in live_names}
    rest = [n for n in live_names if n not in pairs.values()]
    pairs.update(zip((v.name for v in desired.vpcs if v.name not in pairs), rest, strict=False))
    return pairs


def _pair(want: Iterable[Named], have: Iterable[Named], key: Callable[[Named], object],
          name: Callable[[Named], str], into: dict[str, str], taken: set[str]) -> None:
    """Pair live items with drawn ones of equal key, each at most once."""
    waiting: dict[object, list[str]] = {}
    for item in want:
        if name(item) not in taken:
            waiting.setdefault(key(item), []).append(name(item))
    for item in have:
        if name(item) in into:
            continue
        names = waiting.get(key(item))
        if names:
            into[name(item)] = names.pop(0)
            taken.add(into[name(item)])


def _match(want: Vpc, have: Vpc, maps: _Maps) -> None:
    subnets = maps.get("subnet")
    _pair(want.subnets, have.subnets, lambda s: s.cidr, lambda s: s.name, subnets, set(subnets.values()))
    if want.internet_gateway and have.internet_gateway and not maps.get("internet_gateway"):
        maps.get("internet_gateway")[have.internet_gateway.name] = want.internet_gateway.name
    nats = maps.get("nat_gateway")
    moved_nats = [dataclasses.replace(n, subnet=subnets.get(n.subnet, n.subnet)) for n in have.nat_gateways]
    _pair(want.nat_gateways, moved_nats, lambda n: n.subnet, lambda n: n.name, nats, set(nats.values()))
    groups = maps.get("security_group")
    wanted_groups = {g.name for g in want.security_groups}
    for group in have.security_groups:
        if group.name in wanted_groups:
            groups[group.name] = group.name
    _pair_groups(want, have, groups)
    _pair_tables(want, have, maps)
    instances = maps.get("instance")
    wanted_instances = {i.name for i in want.instances}
    taken = {i.name for i in have.instances if i.name in wanted_instances}
    instances.update({name: name for name in taken})

    def placement(i: object) -> object:
        return (getattr(i, "subnet", ""), tuple(sorted(getattr(i, "security_groups", ()))))

    moved = [dataclasses.replace(i, subnet=subnets.get(i.subnet, i.subnet),
                                 security_groups=tuple(groups.get(g, g) for g in i.security_groups))
             for i in have.instances if i.name not in taken]
    _pair(want.instances, moved, placement, lambda i: i.name, instances, set(taken))
    acls = maps.get("network_acl")
    wanted_acls = {a.name for a in want.network_acls}
    acls.update({a.name: a.name for a in have.network_acls if a.name in wanted_acls})
    _pair(want.network_acls, [dataclasses.replace(a, subnets=tuple(sorted(subnets.get(s, s) for s in a.subnets)))
                              for a in have.network_acls],
          lambda a: tuple(sorted(a.subnets)), lambda a: a.name, acls, set(acls.values()))
    endpoints = maps.get("vpc_endpoint")
    wanted_endpoints = {e.name for e in want.endpoints}
    endpoints.update({e.name: e.name for e in have.endpoints if e.name in wanted_endpoints})

    def service(e: VpcEndpoint) -> object:
        return e.service, e.endpoint_type

    _pair(want.endpoints, have.endpoints, service, lambda e: e.name, endpoints, set(endpoints.values()))


def _shape(rule: Rule, direction: str) -> tuple[object, ...]:
    """What a rule allows, with any group counting as alike and any single address as the admin's."""
    peer = "group" if rule.peer.kind == "security_group" else "one address" if single_address(rule) else rule.peer.value
    return direction, rule.protocol, rule.from_port, rule.to_port, peer


def _shapes(group: SecurityGroup) -> set[tuple[object, ...]]:
    return {_shape(r, "ingress") for r in group.ingress} | {_shape(r, "egress") for r in group.egress or ()}


def _pair_groups(want: Vpc, have: Vpc, groups: dict[str, str]) -> None:
    """Groups named their own way: the most alike by what their rules allow, at least MIN_LIKENESS alike."""
    open_live = [g for g in have.security_groups if g.name not in groups]
    open_drawn = [g for g in want.security_groups if g.name not in groups.values()]
    scored = []
    for live in open_live:
        for drawn in open_drawn:
            a, b = _shapes(live), _shapes(drawn)
            scored.append((len(a & b) / max(1, len(a | b)), live.name, drawn.name))
    for score, live_name, drawn_name in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if score >= MIN_LIKENESS and live_name not in groups and drawn_name not in groups.values():
            groups[live_name] = drawn_name


def _pair_tables(want: Vpc, have: Vpc, maps: _Maps) -> None:
    """Route tables: equal routes count most, then the subnets they share."""
    tables = maps.get("route_table")
    scored = []
    for live in have.route_tables:
        routes = {(r.destination, r.target, maps.name(r.target, r.gateway)) for r in live.routes}
        subnets = {maps.name("subnet", s) for s in live.subnets}
        for drawn in want.route_tables:
            drawn_routes = {(r.destination, r.target, r.gateway) for r in drawn.routes if r.target != "local"}
            shared = len(subnets & set(drawn.subnets)) / max(1, len(subnets | set(drawn.subnets)))
            score = 2.0 * (routes == drawn_routes) + shared + 0.5 * (live.name == drawn.name)
            if score > 0:
                scored.append((score, live.name, drawn.name))
    for _, live_name, drawn_name in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if live_name not in tables and drawn_name not in tables.values():
            tables[live_name] = drawn_name


def _kinds(vpc: Vpc) -> dict[str, tuple[object, ...]]:
    return {"subnet": vpc.subnets, "nat_gateway": vpc.nat_gateways, "route_table": vpc.route_tables,
            "security_group": vpc.security_groups, "network_acl": vpc.network_acls, "instance": vpc.instances,
            "vpc_endpoint": vpc.endpoints}


def _rename(vpc: Vpc, want: Vpc, maps: _Maps) -> Vpc:
    """The VPC under the drawing's names; unmatched live things whose names the drawing uses step aside."""
    name = want.name
    drawn = _kinds(want)
    taken = {kind: {getattr(i, "name", "") for i in drawn[kind]} | set(maps.get(kind).values()) for kind in drawn}
    for kind, items in _kinds(vpc).items():
        names = maps.get(kind)
        for item in items:
            old = str(getattr(item, "name", ""))
            if old not in names:
                new, n = old, 2
                while new in taken.get(kind, set()):
                    new, n = f"{old}-unmatched{'' if n == 2 else n - 1}", n + 1
                names[old] = new
                taken.setdefault(kind, set()).add(new)
    subnet, group = maps.get("subnet"), maps.get("security_group")

    def peer(p: Peer) -> Peer:
        if p.kind == "security_group":
            return Peer("security_group", group.get(p.value, p.value))
        if p.kind == "subnet":
            return Peer("subnet", subnet.get(p.value, p.value))
        return p

    def rules(items: tuple[Rule, ...] | None) -> tuple[Rule, ...] | None:
        return None if items is None else tuple(dataclasses.replace(r, peer=peer(r.peer)) for r in items)

    igw = vpc.internet_gateway
    return dataclasses.replace(
        vpc, name=name,
        subnets=tuple(dataclasses.replace(s, name=subnet[s.name]) for s in vpc.subnets),
        internet_gateway=dataclasses.replace(igw, name=maps.name("internet_gateway", igw.name)) if igw else None,
        nat_gateways=tuple(dataclasses.replace(n, name=maps.name("nat_gateway", n.name), subnet=subnet[n.subnet])
                           for n in vpc.nat_gateways),
        route_tables=tuple(dataclasses.replace(
            t, name=maps.name("route_table", t.name), subnets=tuple(subnet.get(s, s) for s in t.subnets),
            routes=tuple(dataclasses.replace(r, gateway=maps.name(r.target, r.gateway)) for r in t.routes))
            for t in vpc.route_tables),
        security_groups=tuple(dataclasses.replace(
            g, name=group[g.name], subnets=tuple(subnet.get(s, s) for s in g.subnets), ingress=rules(g.ingress) or (),
            egress=rules(g.egress)) for g in vpc.security_groups),
        network_acls=tuple(dataclasses.replace(a, name=maps.name("network_acl", a.name),
                                               subnets=tuple(subnet.get(s, s) for s in a.subnets))
                           for a in vpc.network_acls),
        endpoints=tuple(dataclasses.replace(
            e, name=maps.name("vpc_endpoint", e.name), route_tables=tuple(sorted(
                maps.name("route_table", t) for t in e.route_tables)),
            subnets=tuple(subnet.get(s, s) for s in e.subnets),
            security_groups=tuple(sorted(group.get(g, g) for g in e.security_groups))) for e in vpc.endpoints),
        instances=tuple(dataclasses.replace(
            i, name=maps.name("instance", i.name), subnet=subnet.get(i.subnet, i.subnet),
            security_groups=tuple(sorted(group.get(g, g) for g in i.security_groups))) for i in vpc.instances))


def _open_my_ip(want: Vpc, have: Vpc) -> tuple[Vpc, str | None]:
    """Where the drawing leaves `my_ip` open, a live rule from one address on the same ports is that rule."""
    seen: str | None = None
    groups = []
    for group in have.security_groups:
        drawn = want.security_group(group.name)
        if drawn is None:
            groups.append(group)
            continue
        opened = {(r.protocol, r.from_port, r.to_port) for r in drawn.ingress if r.peer.kind == "my_ip"}
        ingress = []
        for rule in group.ingress:
            if (rule.peer.kind == "cidr" and rule.peer.value.endswith("/32")
                    and (rule.protocol, rule.from_port, rule.to_port) in opened):
                seen = seen or rule.peer.value
                rule = dataclasses.replace(rule, peer=Peer("my_ip"))
            ingress.append(rule)
        groups.append(dataclasses.replace(group, ingress=tuple(ingress)))
    return dataclasses.replace(have, security_groups=tuple(groups)), seen


def _main_table_stands_in(want: Vpc, have: Vpc) -> tuple[Vpc, list[str]]:
    """A drawn table with only the local route is what the VPC's main table is: no drift where subnets use it."""
    live_tables = {t.name for t in have.route_tables}
    on_main = {s.name for s in have.subnets} - {s for t in have.route_tables for s in t.subnets}
    kept, notes = [], []
    for table in want.route_tables:
        local_only = all(r.target == "local" for r in table.routes)
        if local_only and table.name not in live_tables and table.subnets and set(table.subnets) <= on_main:
            notes.append(f"route table {table.name} holds only the local route, as the VPC's main route table "
                         f"does, which {', '.join(table.subnets)} use")
            continue
        kept.append(table)
    return dataclasses.replace(want, route_tables=tuple(kept)), notes

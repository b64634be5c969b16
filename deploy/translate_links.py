"""The links between VPCs in the read of an account: peering connections, transit gateways and VPC endpoints.

Part of the one translation (`vpcdraw.deploy.translate`): the link names are decided before the VPCs' route
tables are read, so that a route to pcx-... or tgw-... is a route of the model to that link by name. A peer
VPC that is not among the VPCs read (another account's, another region's, or one these credentials cannot
read) is an external VPC, said in a note, never missing. Without the TransitGateway Describe calls (not in
AmazonVPCReadOnlyAccess) a transit gateway is inferred from the routes to it, and the answer says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from vpcdraw.topology.address import transit_gateway_address
from vpcdraw.topology.builder import TopologyBuilder, external_vpc
from vpcdraw.topology.graph import attachment_address
from vpcdraw.topology.validate.problem import valid_name

from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tags_of

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
LIVE_PEERING_STATES = ("active", "pending-acceptance", "provisioning")  # deleted, rejected, failed, expired: gone
LIVE_ATTACHMENT_STATES = ("available", "pending", "modifying")
LIVE_TRANSIT_GATEWAY_STATES = ("available", "pending", "modifying")
LIVE_ENDPOINT_STATES = ("pendingacceptance", "pending", "available", "partial")
ENDPOINT_INTERFACE_TYPES = ("vpc_endpoint", "gateway_load_balancer_endpoint")


class Out(Protocol):
    """What the translation collects beside the model (translate's `_Out`)."""

    notes: list[str]
    warnings: list[str]

    def record(self, where: str, aws_id: str, item: Mapping[str, Any] | None = None) -> None: ...


def ascii_name(text: str) -> str:
    """A Name tag as an address-safe name, when it is ASCII and says something ('' for '외부망 A' or 'A')."""
    if not text.isascii():
        return ""
    name = _UNSAFE.sub("-", text).strip("-._")[:64]
    return name if len(name) >= 2 and valid_name(name) else ""


class Names:
    """Unique names per kind: the first asked for keeps it, later ones get -2, -3."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = {}

    def reserve(self, kind: str, name: str) -> None:
        self.used.setdefault(kind, set()).add(name)

    def __call__(self, kind: str, *choices: str) -> str:
        base = next(c for c in choices if c)
        taken = self.used.setdefault(kind, set())
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        return name


def label(item: Mapping[str, Any], name: str) -> str:
    """The Name tag as a label, unless it only repeats the name (vpcdraw's own tags end with it)."""
    tags = tags_of(dict(item))
    tag = tags.get("Name", "")
    if tag == name or ascii_name(tag) == name:
        return ""
    return tag.removesuffix(f" {name}") if tags.get(ADDRESS_TAG) else tag


def owned_name(item: Mapping[str, Any], topology: str, kind: str) -> str:
    """The name in a link's vpcdraw:address tag, when this topology made it."""
    tags = tags_of(dict(item))
    if tags.get(TOPOLOGY_TAG) != topology:
        return ""
    head, _, name = tags.get(ADDRESS_TAG, "").rpartition("/")
    return name if (head == kind or head.endswith(f"/{kind}")) and valid_name(name) else ""


def normal_policy(document: object) -> str:
    """An endpoint policy as the model holds it: '' for AWS's default full access, else compact JSON with sorted
    keys, so that the same policy written two ways is no drift."""
    if not document:
        return ""
    try:
        value = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return str(document)
    if _full_access(value):
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _full_access(value: object) -> bool:
    if not isinstance(value, dict) or set(value) - {"Version", "Statement", "Id"}:
        return False
    statements = value.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], dict):
        return False
    one = {k: v for k, v in statements[0].items() if k != "Sid"}

    def every(v: object) -> bool:
        return v == "*" or v == ["*"]

    principal = one.get("Principal")
    return (set(one) == {"Effect", "Principal", "Action", "Resource"} and one["Effect"] == "Allow"
            and (every(principal) or (isinstance(principal, dict) and set(principal) == {"AWS"}
                                      and every(principal["AWS"])))
            and every(one["Action"]) and every(one["Resource"]))


def short_service(region: str, service: str) -> str:
    """`com.amazonaws.ap-northeast-2.s3` is `s3`; another name (a partner's, another region's) stays whole."""
    return service.removeprefix(f"com.amazonaws.{region}.")


def endpoint_type(item: Mapping[str, Any]) -> str:
    """'gateway', 'interface', or AWS's name of another type (the model holds the first two). Without the key,
    AWS's default: Gateway."""
    return str(item.get("VpcEndpointType") or "Gateway").lower()


def live_endpoints(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in items if str(e.get("State", "available")).lower() in LIVE_ENDPOINT_STATES]


def endpoint_interface(interface: Mapping[str, Any], endpoint_interfaces: set[str]) -> bool:
    """Whether a network interface is a VPC endpoint's (it is then no instance of the model)."""
    return (interface.get("NetworkInterfaceId") in endpoint_interfaces
            or interface.get("InterfaceType") in ENDPOINT_INTERFACE_TYPES or bool(interface.get("RequesterManaged")))


@dataclass
class _Peering:
    name: str
    item: dict[str, Any]
    requester: str
    accepter: str = ""  # a VPC of the topology
    external: dict[str, Any] = field(default_factory=dict)  # the other side's VpcInfo, when it is not read


@dataclass
class Links:
    """The links of the VPCs read, named before their route tables are translated."""

    peerings: list[_Peering] = field(default_factory=list)
    peering_names: dict[str, str] = field(default_factory=dict)  # pcx- id -> name
    gateways: dict[str, str] = field(default_factory=dict)  # tgw- id -> name
    gateway_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    inferred: dict[str, list[str]] = field(default_factory=dict)  # tgw- id -> VPC ids routing to it (no Describe)
    # (tgw- id, VPC id) -> the subnets of the VPC's transit-gateway network interfaces, when it routes to one only
    inferred_subnets: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def find_links(region: str, account: str, topology: str, vpc_names: Mapping[str, str],
               found: Mapping[str, list[dict[str, Any]]], not_checked: set[str], out: Out) -> Links:
    """Name the peerings and transit gateways of the VPCs `vpc_names` (id -> name) before their routes are read."""
    links = Links()
    names = Names()
    _peerings(region, account, topology, vpc_names, found, links, names, out)
    _transit_gateways(topology, vpc_names, found, not_checked, links, names)
    return links


def _peerings(region: str, account: str, topology: str, vpc_names: Mapping[str, str],
              found: Mapping[str, list[dict[str, Any]]], links: Links, names: Names, out: Out) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for item in (*found.get("peerings_requested", []), *found.get("peerings_accepted", [])):
        sides = (item.get("RequesterVpcInfo", {}).get("VpcId"), item.get("AccepterVpcInfo", {}).get("VpcId"))
        # moto ignores these calls' filters: keep only the live peerings of the VPCs read.
        if item.get("Status", {}).get("Code") in LIVE_PEERING_STATES and any(s in vpc_names for s in sides):
            seen.setdefault(item["VpcPeeringConnectionId"], item)
    kept = [seen[k] for k in sorted(seen)]
    for item in kept:
        owned = owned_name(item, topology, "vpc_peering_connection")
        if owned:
            names.reserve("vpc_peering_connection", owned)
    claimed: set[str] = set()
    for item in kept:
        pcx = item["VpcPeeringConnectionId"]
        requester, accepter = item.get("RequesterVpcInfo", {}), item.get("AccepterVpcInfo", {})
        if requester.get("VpcId") not in vpc_names:  # asked by a VPC outside: ours is written as the asking one
            out.notes.append(f"peering {pcx} was requested by VPC {requester.get('VpcId')}, outside the VPCs read; "
                             f"it is written with {vpc_names[accepter['VpcId']]} as its requester")
            requester, accepter = accepter, requester
        ours = vpc_names[requester["VpcId"]]
        inside = accepter.get("VpcId") in vpc_names and _same_place(accepter, account, region)
        other = vpc_names[accepter["VpcId"]] if inside else str(accepter.get("VpcId", ""))
        owned = owned_name(item, topology, "vpc_peering_connection")
        if owned and owned not in claimed:
            name = owned
        else:
            name = names("vpc_peering_connection", owned, ascii_name(tags_of(item).get("Name", "")), f"{ours}-{other}")
        claimed.add(name)
        links.peering_names[pcx] = name
        links.peerings.append(_Peering(name, item, ours, other if inside else "", {} if inside else accepter))


def _same_place(info: Mapping[str, Any], account: str, region: str) -> bool:
    return info.get("OwnerId", account) in (account, "") and info.get("Region", region) in (region, "")


def _transit_gateways(topology: str, vpc_names: Mapping[str, str], found: Mapping[str, list[dict[str, Any]]],
                      not_checked: set[str], links: Links, names: Names) -> None:
    items = {g["TransitGatewayId"]: g for g in found.get("transit_gateways", [])
             if g.get("State", "available") in LIVE_TRANSIT_GATEWAY_STATES}
    links.attachments = sorted((a for a in found.get("transit_gateway_attachments", [])
                                if a.get("VpcId") in vpc_names and a.get("State") in LIVE_ATTACHMENT_STATES),
                               key=lambda a: a["TransitGatewayAttachmentId"])
    ids = {a["TransitGatewayId"] for a in links.attachments}
    ids |= {i for i, g in items.items() if tags_of(g).get(TOPOLOGY_TAG) == topology and topology}
    if "transit_gateway_vpc_attachment" in not_checked:  # AmazonVPCReadOnlyAccess: seen by the routes to them
        for table in found.get("tables", []):
            for route in table.get("Routes", []):
                target = route.get("TransitGatewayId", "")
                if target and table.get("VpcId") in vpc_names:
                    routing = links.inferred.setdefault(target, [])
                    if table["VpcId"] not in routing:
                        routing.append(table["VpcId"])
        ids |= set(links.inferred)
        _attachment_subnets(found, links)
    links.gateway_items = {i: items.get(i, {"TransitGatewayId": i}) for i in sorted(ids)}
    for item in links.gateway_items.values():
        owned = owned_name(item, topology, "transit_gateway")
        if owned:
            names.reserve("transit_gateway", owned)
    claimed: set[str] = set()
    for tgw, item in links.gateway_items.items():
        owned = owned_name(item, topology, "transit_gateway")
        if owned and owned not in claimed:
            name = owned
        else:
            name = names("transit_gateway", owned, ascii_name(tags_of(item).get("Name", "")), "tgw")
        claimed.add(name)
        links.gateways[tgw] = name


def _attachment_subnets(found: Mapping[str, list[dict[str, Any]]], links: Links) -> None:
    """An attachment's subnets seen without the TransitGateway calls: AWS puts a network interface of type
    `transit_gateway` in each subnet of an attachment (DescribeNetworkInterfaces, which AmazonVPCReadOnlyAccess
    allows, says so by its InterfaceType). A VPC that routes to one transit gateway holds only its attachment's."""
    for vpc_id in {v for routing in links.inferred.values() for v in routing}:
        gateways = [tgw for tgw, routing in links.inferred.items() if vpc_id in routing]
        subnets = sorted({e["SubnetId"] for e in found.get("interfaces", [])
                          if e.get("VpcId") == vpc_id and e.get("InterfaceType") == "transit_gateway"
                          and e.get("SubnetId")})
        if len(gateways) == 1 and subnets:
            links.inferred_subnets[(gateways[0], vpc_id)] = subnets


def add_links(builder: TopologyBuilder, links: Links, vpc_names: Mapping[str, str],
              subnet_names: Mapping[str, Mapping[str, str]], region: str, account: str, out: Out) -> None:
    """The peerings and transit gateways as the model; `subnet_names` is each VPC id's subnet id -> name."""
    for peering in links.peerings:
        pcx = peering.item["VpcPeeringConnectionId"]
        where = f"vpc/{peering.requester}/vpc_peering_connection/{peering.name}"
        out.record(where, pcx, peering.item)
        name_label = label(peering.item, peering.name)
        if peering.accepter:
            builder.peering(peering.name, requester=peering.requester, accepter=peering.accepter, label=name_label)
            continue
        info = peering.external
        owner = str(info.get("OwnerId", ""))
        place = str(info.get("Region", ""))
        other = external_vpc(str(info.get("VpcId", "")), str(info.get("CidrBlock", "")),
                             account="" if owner in ("", account) else owner,
                             region="" if place in ("", region) else place)
        builder.peering(peering.name, requester=peering.requester, external=other, label=name_label)
        where_words = ", ".join(w for w in (f"account {other.account}" if other.account else "",
                                            f"region {other.region}" if other.region else "") if w)
        out.notes.append(f"peering {peering.name} ({pcx}) goes to VPC {other.vpc_id} {other.cidr}"
                         f"{f' in {where_words}' if where_words else ''}, outside the VPCs read: it is drawn as an "
                         "external VPC")
    by_gateway: dict[str, list[dict[str, Any]]] = {}
    for attachment in links.attachments:
        by_gateway.setdefault(attachment["TransitGatewayId"], []).append(attachment)
    for tgw, item in links.gateway_items.items():
        name = links.gateways[tgw]
        made = builder.transit_gateway(name, label=label(item, name))
        out.record(transit_gateway_address(name), tgw, item if "Tags" in item or "State" in item else None)
        attached = sorted(by_gateway.get(tgw, []), key=lambda a: vpc_names[a["VpcId"]])
        for attachment in attached:
            vpc = vpc_names[attachment["VpcId"]]
            mine = subnet_names.get(attachment["VpcId"], {})
            order = list(mine.values())
            subnets = sorted((mine[s] for s in attachment.get("SubnetIds", []) if s in mine), key=order.index)
            made.attach(vpc, subnets=subnets)
            out.record(attachment_address(vpc, name), attachment["TransitGatewayAttachmentId"], attachment)
        routing = links.inferred.get(tgw, [])
        if tgw in links.inferred:
            unknown = []
            for vpc_id in sorted(routing, key=lambda v: vpc_names[v]):
                mine = subnet_names.get(vpc_id, {})
                order = list(mine.values())
                seen = [mine[s] for s in links.inferred_subnets.get((tgw, vpc_id), []) if s in mine]
                made.attach(vpc_names[vpc_id], subnets=sorted(seen, key=order.index))
                if not seen:
                    unknown.append(vpc_names[vpc_id])
            vpcs = ", ".join(sorted(vpc_names[v] for v in routing))
            missing = (f"the subnets of the attachments of {', '.join(unknown)} are not known" if unknown else
                       "its attachments' subnets are those of their network interfaces")
            out.warnings.append(
                f"transit gateway {name} ({tgw}) is inferred from the routes of {vpcs} to it: these credentials may "
                f"not call ec2:DescribeTransitGatewayVpcAttachments, so {missing}"
                + ("" if "State" in item else ", nor are its name and state (no ec2:DescribeTransitGateways)")
                + "; its route tables are not checked")

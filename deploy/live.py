"""What plan, apply and destroy see of the account: this topology's VPCs as resources, with AWS ids and owners.

The VPCs are found by this topology's tag (or chosen by id) and read through the one translation
(`vpcdraw.deploy.translate`), then matched to the model by natural key (`vpcdraw.deploy.align`). What
carries this topology's vpcdraw:address tag keeps that address; what does not and matches nothing of the
model is foreign: reported, never changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vpcdraw.topology.address import address, holding_vpc
from vpcdraw.topology.graph import Resource, resources
from vpcdraw.topology.model import Topology
from vpcdraw.topology.specs import (
    DefaultSecurityGroupSpec,
    ElasticIpSpec,
    InternetGatewaySpec,
    SecurityGroupRuleSpec,
    SecurityGroupSpec,
    TransitGatewaySpec,
)

from .align import align
from .aws import Ec2
from .describe import describe_inside, tolerant
from .families import TAGGABLE
from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tag_specification, tags_of  # noqa: F401 (others import them here)

if TYPE_CHECKING:
    from .translate import Reading


@dataclass
class Live:
    """What is in the account: resources by address, their AWS ids, which we own, and what is foreign."""

    resources: dict[str, Resource] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)  # tagged with this topology's name, exactly
    owners: dict[str, str] = field(default_factory=dict)  # address -> the vpcdraw:topology tag it carries, if any
    foreign: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, what it is)
    foreign_in: dict[str, list[str]] = field(default_factory=dict)  # VPC address -> the foreign things in it
    main_route_tables: dict[str, str] = field(default_factory=dict)  # vpc address -> id
    not_checked: set[str] = field(default_factory=set)  # kinds these credentials may not describe
    my_ip: str | None = None  # the single address a rule from my_ip allows, when the model left it open
    # Addresses that several resources carry this topology's tags for (two applies at once, a lost answer),
    # with the AWS ids of every copy, the one read first.
    duplicates: dict[str, list[str]] = field(default_factory=dict)

    def add(self, resource: Resource, aws_id: str, owned: bool, owner: str | None = None) -> None:
        self.resources[resource.address] = resource
        self.ids[resource.address] = aws_id
        if owned:
            self.owned.add(resource.address)
        if owner is not None:
            self.owners[resource.address] = owner


def read(ec2: Ec2, topology: str, desired: list[Resource], vpcs: dict[str, str] | None = None,
         model: Topology | None = None) -> Live:
    """The live state of `topology`: its VPCs, everything in them, and its Elastic IPs.

    `vpcs` maps VPC addresses to the ids a caller chose; by default the VPCs are found by our tags.
    `model` (the topology `desired` was made from) lets untagged resources match it by natural key.
    Kinds the credentials may not describe are left out and listed in `not_checked`.
    """
    from .translate import translate

    live = Live()
    wanted = {r.address: r for r in desired}
    tag_filter = [{"Name": f"tag:{TOPOLOGY_TAG}", "Values": [topology]}]
    describe = tolerant(ec2, live.not_checked)
    with ThreadPoolExecutor(max_workers=2) as pool:  # what carries our tag needs no VPC id: ask at the same time
        addresses = pool.submit(describe, "elastic_ip", "DescribeAddresses", "Addresses", Filters=tag_filter)
        # Gateways of ours not (yet) attached: an apply stopped between creating one and attaching it.
        detached = pool.submit(describe, "internet_gateway", "DescribeInternetGateways", "InternetGateways",
                               Filters=tag_filter)
        if vpcs is None:
            found_vpcs = _one_copy_each(live, describe("vpc", "DescribeVpcs", "Vpcs", Filters=tag_filter))
            chosen = {v["VpcId"]: tags_of(v).get(ADDRESS_TAG, "") for v in found_vpcs}
        else:
            found_vpcs = describe("vpc", "DescribeVpcs", "Vpcs", VpcIds=list(vpcs.values())) if vpcs else []
            chosen = {i: a for a, i in vpcs.items()}
        elastic_ips = addresses.result()
        ours = detached.result()
    found_vpcs = [v for v in found_vpcs if chosen.get(v["VpcId"], "").startswith("vpc/")]
    nats: list[dict[str, Any]] = []
    if found_vpcs:
        found, rules = describe_inside(describe, [v["VpcId"] for v in found_vpcs], live.not_checked)
        nats = found["nat"]
        names = {v["VpcId"]: chosen[v["VpcId"]].removeprefix("vpc/") for v in found_vpcs}
        reading = translate(ec2.region, found_vpcs, found, rules, set(live.not_checked), None, names)
        if any(e.get("Attachment", {}).get("InstanceId") for e in found["interfaces"]) and not found["instances"]:
            live.not_checked.add("instance")  # seen through interfaces only: no type or image to plan with
        _place(live, topology, wanted, reading, model)
    # Transit gateways are in no VPC: the read of our VPCs sees every one in the region (ours by our tag); with
    # no VPC of ours left, ask for ours by our tag.
    our_hubs = [] if found_vpcs else describe("transit_gateway", "DescribeTransitGateways", "TransitGateways",
                                              Filters=tag_filter)
    used = {a.get("AllocationId") for n in nats for a in n.get("NatGatewayAddresses", [])}
    # The Elastic IP a NAT of ours uses first, so that a copy made twice does not stand in for it.
    for item in sorted(elastic_ips, key=lambda e: (e["AllocationId"] not in used, e["AllocationId"])):
        tags = tags_of(item)
        where = tags.get(ADDRESS_TAG, "")
        if item["AllocationId"] in live.ids.values() or not where:
            continue
        if where in live.ids:
            live.duplicates.setdefault(where, [live.ids[where]]).append(item["AllocationId"])
            continue
        live.add(Resource(where, ElasticIpSpec(tags.get("Name", ""))), item["AllocationId"], owned=True,
                 owner=topology)
    for gateway in ours:
        tags = tags_of(gateway)
        attached = [a["VpcId"] for a in gateway.get("Attachments", [])]
        if gateway["InternetGatewayId"] in live.ids.values() or not tags.get(ADDRESS_TAG) \
                or any(v not in chosen for v in attached):
            continue  # read with its VPC, or a copy's, removed with that copy
        vpc = next((chosen.get(v) for v in attached if chosen.get(v)), None)
        live.add(Resource(tags[ADDRESS_TAG], InternetGatewaySpec(vpc, tags.get("Name", ""))),
                 gateway["InternetGatewayId"], owned=True, owner=topology)
    for hub in our_hubs:
        tags = tags_of(hub)
        where = tags.get(ADDRESS_TAG, "")
        # moto ignores unknown filters: our tag is checked here too; gone ones are not there.
        if hub["TransitGatewayId"] in live.ids.values() or tags.get(TOPOLOGY_TAG) != topology \
                or not where.startswith("transit_gateway/") or hub.get("State") in ("deleting", "deleted"):
            continue
        if where in live.ids:
            live.duplicates.setdefault(where, [live.ids[where]]).append(hub["TransitGatewayId"])
            continue
        live.add(Resource(where, TransitGatewaySpec(tags.get("Name", ""))), hub["TransitGatewayId"], owned=True,
                 owner=topology)
    return live


def _one_copy_each(live: Live, vpcs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One VPC per address, the one with the lowest id; every copy is listed in `live.duplicates`."""
    by_address: dict[str, list[dict[str, Any]]] = {}
    for vpc in sorted(vpcs, key=lambda v: v["VpcId"]):
        by_address.setdefault(tags_of(vpc).get(ADDRESS_TAG, ""), []).append(vpc)
    for where, copies in by_address.items():
        if len(copies) > 1 and where:
            live.duplicates[where] = [v["VpcId"] for v in copies]
    return [copies[0] for copies in by_address.values()]


def _place(live: Live, topology: str, wanted: dict[str, Resource], reading: Reading, model: Topology | None
           ) -> None:
    """The translated VPCs as resources under the model's addresses; unmatched things of others are foreign."""
    pinned = {a for a, tags in reading.tags.items() if tags.get(TOPOLOGY_TAG) == topology and tags.get(ADDRESS_TAG)}
    copies: dict[str, list[str]] = {}
    for where in sorted(pinned, key=lambda a: reading.ids.get(a, "")):
        copies.setdefault(reading.tags[where][ADDRESS_TAG], []).append(reading.ids.get(where, where))
    live.duplicates.update({a: ids for a, ids in copies.items() if len(ids) > 1})
    seen = align(model, reading.topology, pinned=pinned).live if model is not None else reading.topology
    kept: set[str] = set()
    for old, new in zip(resources(reading.topology), resources(seen), strict=True):
        if new.kind == "default_security_group":
            continue  # placed below, only where the model locks it: otherwise it is AWS's business
        tags = reading.tags.get(old.address)
        owner = tags.get(TOPOLOGY_TAG) if tags else None
        owned = tags is not None and owner == topology and bool(tags.get(ADDRESS_TAG))
        aws_id = reading.ids.get(old.address, "")
        parent = new.spec.parent
        if parent and parent not in kept:
            continue  # a part of something foreign
        if new.kind in TAGGABLE and new.kind != "vpc" and new.address not in wanted and not owned:
            name = (tags or {}).get("Name", "") or aws_id
            cidr = getattr(new.spec, "cidr", None)
            live.foreign.append((new.kind, aws_id, f"{name} {cidr}" if cidr else name))
            if new.kind != "elastic_ip":  # an address is not in the VPC: it does not keep the VPC from going
                live.foreign_in.setdefault(holding_vpc(new.address), []).append(
                    f"{new.kind.replace('_', ' ')} {aws_id} ({name})")
            continue
        live.add(_as_aws_has_it(new, tags, reading, old.address, wanted), aws_id, owned, owner)
        kept.add(new.address)
    for where, resource in wanted.items():
        if isinstance(resource.spec, DefaultSecurityGroupSpec) and resource.spec.vpc in kept:
            vpc = next(v for v in seen.vpcs if address(v.name, "security_group", "default") == where)
            group = reading.ids.get(where, "")  # the caller names the VPCs, so the translation used this address
            if group:
                live.add(Resource(where, DefaultSecurityGroupSpec(resource.spec.vpc, vpc.lock_default_security_group)),
                         group, owned=False)


def _as_aws_has_it(resource: Resource, tags: Mapping[str, str] | None, reading: Reading, old: str,
                   wanted: dict[str, Resource]) -> Resource:
    """The resource with what the model cannot carry as AWS has it: the Name tag and the GroupName."""
    spec = resource.spec
    if tags is not None:
        spec = spec.named(tags.get("Name", ""))
    if isinstance(spec, SecurityGroupSpec) and old in reading.group_names:
        spec = dataclasses.replace(spec, group_name=reading.group_names[old])
    drawn = wanted[resource.address].spec if resource.address in wanted else None
    if isinstance(spec, ElasticIpSpec) and drawn is not None and tags is None:
        spec = drawn  # made with a NAT by hand: its tags were not read
    if isinstance(spec, SecurityGroupRuleSpec) and isinstance(drawn, SecurityGroupRuleSpec) \
            and spec.peer_kind == "security_group" and not spec.description:
        spec = dataclasses.replace(spec, description=drawn.description)  # moto drops these; AWS keeps them
    return Resource(resource.address, spec, resource.after)

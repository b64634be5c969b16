"""The one translation from a live account to the model: what VPCs hold, as a Topology and what was inferred.

import, diff, plan's matching, and reach / lint / grade with --vpc-id all read an account through here, so
they agree with each other. It decides once: names (ASCII addresses; a Korean Name tag stays as the label),
tiers (routes, and names for management), what each security group protects (the subnets of the network
interfaces that use it, else the tier its names and rules point to), AZ order, AWS's defaults, and the
admin's IP. What the model cannot hold is left out with a warning in words, and so is left out of diff.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.address import address, vpc_address
from vpcdraw.topology.builder import SecurityGroupBuilder, TopologyBuilder, VpcBuilder, anywhere, cidr, my_ip, sg
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import resources, rule_key
from vpcdraw.topology.model import ANYWHERE_CIDR, DEFAULT_EGRESS, TIERS, Tier, Topology
from vpcdraw.topology.ports import port_text, protocol_name
from vpcdraw.topology.roles import group_tier, named_tier
from vpcdraw.topology.specs import RouteSpec, SecurityGroupRuleSpec
from vpcdraw.topology.validate.problem import valid_name

from .aws import AwsError, Ec2
from .describe import describe_inside, tolerant
from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tags_of
from .translate_links import (
    Links,
    Names,
    add_links,
    endpoint_interface,
    endpoint_type,
    find_links,
    live_endpoints,
    normal_policy,
    short_service,
)
from .translate_links import ascii_name as _ascii

_AWS_TEXT = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")
TARGETS = {"igw-": "an internet gateway", "vgw-": "a VPN gateway", "pcx-": "a VPC peering connection",
           "tgw-": "a transit gateway", "eigw-": "an egress-only internet gateway", "eni-": "a network interface",
           "i-": "an instance", "lgw-": "a local gateway", "cagw-": "a carrier gateway", "vpce-": "a VPC endpoint"}
LIVE_NAT_STATES = ("available", "pending")
IMPLICIT_DENY = (32767, 32768)  # the '*' entries of a network ACL: IPv4, and IPv6 in a dual-stack VPC
LIVE_INSTANCE_STATES = ("pending", "running", "stopping", "stopped")


@dataclass(frozen=True)
class Reading:
    """A live account as the model, with the AWS ids and tags behind each address and what was inferred."""

    topology: Topology
    ids: Mapping[str, str] = field(default_factory=dict)  # address -> AWS id
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # address -> its AWS tags
    notes: tuple[str, ...] = ()  # what was inferred, for people: "web-sg is taken to protect the public tier ..."
    warnings: tuple[str, ...] = ()  # what the model cannot hold, left out
    not_checked: tuple[str, ...] = ()  # kinds these credentials may not describe
    group_names: Mapping[str, str] = field(default_factory=dict)  # group address -> its GroupName, as AWS has it
    external: tuple[str, ...] = ()  # the peer VPCs outside the VPCs read, in words: drawn as external, not missing

    def owner(self, where: str) -> str | None:
        """The vpcdraw:topology tag of the resource at `where`, if it carries one."""
        return self.tags.get(where, {}).get(TOPOLOGY_TAG)


def find_vpc(ec2: Ec2, vpc_id: str | None, choose: str = "--vpc-id", elsewhere: str = "another --region"
             ) -> dict[str, Any]:
    """The VPC to read: the given one, else the only non-default VPC of the region. `choose` and `elsewhere`
    say, in the caller's words, how to name a VPC and another region (a roster has columns, not options)."""
    if vpc_id:
        try:
            return dict(ec2.call("DescribeVpcs", VpcIds=[vpc_id])["Vpcs"][0])
        except AwsError as error:
            if error.code == "InvalidVpcID.NotFound":
                raise VpcdrawError(f"there is no VPC {vpc_id} in {ec2.region}") from None
            raise
    vpcs = [v for v in ec2.paginate("DescribeVpcs", "Vpcs") if not v.get("IsDefault")]
    if len(vpcs) == 1:
        return dict(vpcs[0])
    if not vpcs:
        raise VpcdrawError(f"{ec2.region} has no VPC besides the default one; give {choose} or {elsewhere}")
    listing = ", ".join(f"{v['VpcId']} {v['CidrBlock']} ({tags_of(v).get('Name', 'no name')})" for v in vpcs)
    raise VpcdrawError(f"{ec2.region} has {len(vpcs)} VPCs; choose one with {choose}: {listing}")


def read_vpc(ec2: Ec2, vpc_id: str | None, my_ip_address: str | None = None) -> Reading:
    """One live VPC (the given one, else the region's only non-default one) as the model."""
    return read_vpcs(ec2, [find_vpc(ec2, vpc_id)], my_ip_address)


def read_vpcs(ec2: Ec2, vpcs: list[dict[str, Any]], my_ip_address: str | None = None,
              names: Mapping[str, str] | None = None) -> Reading:
    """Live VPCs (DescribeVpcs items) as one topology: everything inside read in one parallel round trip.

    `names` may name the VPCs by id (diff names them as the drawing does); a /32 rule equal to
    `my_ip_address` becomes `my_ip`.
    """
    not_checked: set[str] = set()
    found, rules = describe_inside(tolerant(ec2, not_checked), [v["VpcId"] for v in vpcs], not_checked)
    return translate(ec2.region, vpcs, found, rules, not_checked, my_ip_address, names or {})


def translate(region: str, vpcs: list[dict[str, Any]], found: Mapping[str, list[dict[str, Any]]],
              rules: list[dict[str, Any]], not_checked: set[str], my_ip_address: str | None = None,
              names: Mapping[str, str] | None = None) -> Reading:
    """Describe output as the model: the pure half of the read, testable on recorded AWS answers."""
    if not vpcs:
        raise VpcdrawError("there is no VPC to read")
    first = tags_of(vpcs[0])
    topology_name = first.get(TOPOLOGY_TAG) or _ascii(first.get("Name", "")) or vpcs[0]["VpcId"]
    if not valid_name(topology_name):
        topology_name = vpcs[0]["VpcId"]
    ids = ", ".join(v["VpcId"] for v in vpcs)
    builder = TopologyBuilder(topology_name, region=region, description=f"imported from {ids}")
    out = _Out(topology_name)
    inferred = {"transit_gateway", "transit_gateway_vpc_attachment"}
    out.warnings += [f"these credentials may not describe {kind}s; they are left out"
                     for kind in sorted(not_checked - inferred)]
    denied = sorted(not_checked & inferred)
    if denied:
        calls = {"transit_gateway": "ec2:DescribeTransitGateways",
                 "transit_gateway_vpc_attachment": "ec2:DescribeTransitGatewayVpcAttachments"}
        out.warnings.append(f"these credentials may not call {' or '.join(calls[k] for k in denied)} (not in "
                            "AmazonVPCReadOnlyAccess): transit gateways are seen only through the routes to them")
    vpc_names = Names()
    account = str(vpcs[0].get("OwnerId", ""))
    readers = [_Vpc(region, vpc, found, rules, out, my_ip_address, vpc_names, (names or {}).get(vpc["VpcId"]))
               for vpc in sorted(vpcs, key=lambda v: v["VpcId"])]
    by_id = {r.vpc_id: r.name for r in readers}
    links = find_links(region, account, topology_name if first.get(TOPOLOGY_TAG) else "", by_id, found,
                       not_checked, out)
    for reader in readers:
        reader.run(builder, links)
    add_links(builder, links, by_id, {r.vpc_id: r.subnet_names for r in readers}, region, account, out)
    topology = builder.build()
    _rule_ids(topology, out)
    externals = tuple(n for n in out.notes if "drawn as an external VPC" in n)
    return Reading(topology, out.ids, out.tags, tuple(out.notes), tuple(dict.fromkeys(out.warnings)),
                   tuple(sorted(not_checked)), out.group_names, externals)


@dataclass
class _Out:
    """What the translation collects beside the model."""

    topology: str
    ids: dict[str, str] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    group_names: dict[str, str] = field(default_factory=dict)  # group address -> GroupName

    def record(self, where: str, aws_id: str, item: Mapping[str, Any] | None = None) -> None:
        self.ids[where] = aws_id
        if item is not None:
            self.tags[where] = tags_of(dict(item))


def _rule_ids(topology: Topology, out: _Out) -> None:
    """Rules, routes and associations have no ids of their own in one read: name them by their parent's."""
    for resource in resources(topology):
        spec = resource.spec
        if isinstance(spec, SecurityGroupRuleSpec) and spec.security_group in out.ids:
            out.ids[resource.address] = f"{out.ids[spec.security_group]} {spec.direction} {rule_key(spec)}"
        elif isinstance(spec, RouteSpec) and spec.route_table in out.ids:
            out.ids[resource.address] = f"{out.ids[spec.route_table]}|{spec.destination}"


def _letter(region: str, zone: str) -> str:
    return zone[len(region):] if zone.startswith(region) and len(zone) == len(region) + 1 else zone


class _Vpc:
    """One VPC's translation, kind by kind, each resolving AWS ids to the names given so far."""

    def __init__(self, region: str, vpc: dict[str, Any], found: Mapping[str, list[dict[str, Any]]],
                 rules: list[dict[str, Any]], out: _Out, my_ip_address: str | None, vpc_names: Names,
                 name: str | None) -> None:
        self.region, self.vpc, self.out, self.my_ip = region, vpc, out, my_ip_address
        self.vpc_id = vpc["VpcId"]
        self.owner = tags_of(vpc).get(TOPOLOGY_TAG)
        inside = ("subnets", "nat", "tables", "groups", "acls", "interfaces", "endpoints")
        self.found = {k: [i for i in found.get(k, []) if i.get("VpcId") == self.vpc_id] for k in inside}
        self.found["gateways"] = [g for g in found.get("gateways", [])
                                  if any(a.get("VpcId") == self.vpc_id for a in g.get("Attachments", []))]
        self.found["instances"] = [i for r in found.get("instances", []) for i in r.get("Instances", [])
                                   if i.get("VpcId") == self.vpc_id]
        group_ids = {g["GroupId"] for g in self.found["groups"]}
        self.rules = [r for r in rules if r["GroupId"] in group_ids]
        tags = tags_of(vpc)
        own = self.owned_name(vpc, "")
        self.name = name or vpc_names("vpc", own, _ascii(tags.get("Name", "")), "main")
        vpc_names.reserve("vpc", self.name)
        label = tags.get("Name", "")
        if label in (self.name, f"{out.topology}-{self.name}"):
            label = ""
        self.label = label
        self.names = Names()
        self.found["endpoints"] = live_endpoints(self.found["endpoints"])
        self.endpoint_interfaces = {i for e in self.found["endpoints"] for i in e.get("NetworkInterfaceIds", [])}
        gateway_endpoints = [e for e in self.found["endpoints"] if endpoint_type(e) == "gateway"]
        self.gateway_endpoints = {e["VpcEndpointId"] for e in gateway_endpoints}
        self.endpoint_tables = {t for e in gateway_endpoints for t in e.get("RouteTableIds", [])}
        self.table_names: dict[str, str] = {}
        self.links = Links()
        self.claimed: set[tuple[str, str]] = set()
        self.subnet_names: dict[str, str] = {}
        self.group_names: dict[str, str] = {}
        self.tier_of: dict[str, Tier] = {}
        self.zone_of: dict[str, str] = {}
        self.default_group = next((g["GroupId"] for g in self.found["groups"] if g["GroupName"] == "default"), "")

    def where(self, kind: str, name: str) -> str:
        return address(self.name, kind, name)

    def owned_name(self, item: Mapping[str, Any], kind: str) -> str:
        """The name in the item's vpcdraw:address tag, when the VPC's own topology made it."""
        tags = tags_of(dict(item))
        if not self.owner or tags.get(TOPOLOGY_TAG) != self.owner:
            return ""
        tagged = tags.get(ADDRESS_TAG, "")
        if not kind:
            name = tagged.removeprefix("vpc/")
            return name if "/" not in name and valid_name(name) else ""
        head, _, name = tagged.rpartition("/")
        return name if head.endswith(f"/{kind}") and valid_name(name) else ""

    def label_of(self, item: Mapping[str, Any], name: str) -> str:
        """The Name tag as a label, unless it only repeats the name (vpcdraw's own tags end with it)."""
        tag = tags_of(dict(item)).get("Name", "")
        if tag == name or _ascii(tag) == name:
            return ""
        if self.owned_name(item, "x") or tags_of(dict(item)).get(ADDRESS_TAG):
            return tag.removesuffix(f" {name}")
        return tag

    def give(self, kind: str, item: Mapping[str, Any], derived: str) -> str:
        """A name for an item: its vpcdraw address, else its Name tag when ASCII, else what it is."""
        return self.claim(kind, self.owned_name(item, kind), _ascii(tags_of(dict(item)).get("Name", "")), derived)

    def claim(self, kind: str, owned: str, *others: str) -> str:
        """The item's vpcdraw address name, reserved for it, when it has one (a duplicate gets -2); else the others."""
        if owned and (kind, owned) not in self.claimed:
            self.claimed.add((kind, owned))
            return owned
        return self.names(kind, owned, *others)

    def run(self, topology: TopologyBuilder, links: Links) -> None:
        self.links = links
        vpc = topology.vpc(self.name, self.vpc["CidrBlock"], label=self.label)
        self.out.record(vpc_address(self.name), self.vpc_id, self.vpc)
        self.ipv6(f"VPC {self.name} ({self.vpc_id})", self.vpc)
        for kind, items in (("subnet", "subnets"), ("internet_gateway", "gateways"), ("nat_gateway", "nat"),
                            ("route_table", "tables"), ("security_group", "groups"), ("network_acl", "acls"),
                            ("instance", "instances"), ("vpc_endpoint", "endpoints")):
            for item in self.found[items]:
                owned = self.owned_name(item, kind)
                if owned:
                    self.names.reserve(kind, owned)
        gateways = self.gateways(vpc)
        tables = self.found["tables"]
        main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
        self.subnets(vpc, tables, main, gateways)
        nats = self.nats(vpc)
        self.route_tables(vpc, tables, main, gateways, nats)
        users = self.interface_subnets()
        self.groups(vpc, users)
        self.network_acls(vpc)
        self.instances(vpc)
        self.endpoints(vpc)

    # --- gateways and subnets ---

    def gateways(self, vpc: VpcBuilder) -> dict[str, str]:
        found: dict[str, str] = {}
        for gateway in sorted(self.found["gateways"], key=lambda g: g["InternetGatewayId"]):
            if found:
                self.out.warnings.append(f"internet gateway {gateway['InternetGatewayId']} is a second one on "
                                         f"{self.vpc_id}; a VPC has one, so it is left out")
                continue
            name = self.give("internet_gateway", gateway, "igw")
            vpc.internet_gateway(name, label=self.label_of(gateway, name))
            self.out.record(self.where("internet_gateway", name), gateway["InternetGatewayId"], gateway)
            found[gateway["InternetGatewayId"]] = name
        return found

    def ipv6(self, what: str, item: Mapping[str, Any]) -> None:
        """A dual-stack VPC's or subnet's IPv6 block: said, since the model is IPv4 only."""
        gone = ("disassociating", "disassociated", "failing", "failed")  # moto 5.2 garbles a subnet's state
        for block in item.get("Ipv6CidrBlockAssociationSet", []):
            if block.get("Ipv6CidrBlock") and block.get("Ipv6CidrBlockState", {}).get("State") not in gone:
                self.out.warnings.append(f"{what} also has the IPv6 CIDR {block['Ipv6CidrBlock']}, which vpcdraw "
                                         "does not model; left out")

    def subnets(self, vpc: VpcBuilder, tables: list[dict[str, Any]], main: dict[str, Any] | None,
                gateways: dict[str, str]) -> None:
        block = ipaddress.IPv4Network(self.vpc["CidrBlock"])
        table_of = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
        kept = []
        for subnet in self.found["subnets"]:
            if not ipaddress.IPv4Network(subnet["CidrBlock"]).subnet_of(block):
                self.out.warnings.append(f"subnet {subnet['SubnetId']} {subnet['CidrBlock']} is in a secondary CIDR "
                                         "of the VPC, which vpcdraw does not model; left out")
                continue
            kept.append(subnet)
        routing = {s["SubnetId"] for s in kept if _to_gateway(table_of.get(s["SubnetId"], main), gateways)}
        named = {s["SubnetId"]: named_tier(tags_of(s).get("Name", ""), self.owned_name(s, "subnet")) for s in kept}
        tiers: dict[str, Tier] = {}
        if kept and all(named.values()):  # every name says its tier: that is what each is meant to be
            tiers = {i: t for i, t in named.items() if t}
            for subnet in kept:
                tier, routes = tiers[subnet["SubnetId"]], subnet["SubnetId"] in routing
                if (tier == "public" and not routes) or (tier == "private" and routes):
                    what = tags_of(subnet).get("Name") or subnet["SubnetId"]
                    way = "reaches" if routes else "does not reach"
                    self.out.notes.append(f"subnet {what} is named for the {tier} tier, but its route table {way} "
                                          "the internet gateway")
        else:  # tiers from routes; only management is told by name
            for subnet in kept:
                tiers[subnet["SubnetId"]] = "management" if named[subnet["SubnetId"]] == "management" else (
                    "public" if subnet["SubnetId"] in routing else "private")
            self.leftover_management(kept, routing, tiers)
        # Tier rows, and AZs in AZ order within each (the drawing's columns follow the first row's order).
        ordered = sorted(kept, key=lambda s: (TIERS.index(tiers[s["SubnetId"]]), s["AvailabilityZone"],
                                              ipaddress.IPv4Network(s["CidrBlock"])))
        managed = [s for s in ordered if tiers[s["SubnetId"]] == "management"]
        for subnet in ordered:
            tier = tiers[subnet["SubnetId"]]
            letter = _letter(self.region, subnet["AvailabilityZone"])
            derived = "management" if tier == "management" and len(managed) == 1 else f"{tier}-{letter}"
            name = self.give("subnet", subnet, derived)
            vpc.subnet(name, subnet["CidrBlock"], az=letter, tier=tier,
                       map_public_ip=bool(subnet.get("MapPublicIpOnLaunch")), label=self.label_of(subnet, name))
            self.out.record(self.where("subnet", name), subnet["SubnetId"], subnet)
            self.subnet_names[subnet["SubnetId"]] = name
            self.ipv6(f"subnet {name} ({subnet['SubnetId']})", subnet)
            self.tier_of[name] = tier
            self.zone_of[subnet["SubnetId"]] = letter

    def leftover_management(self, subnets: list[dict[str, Any]], routing: set[str], tiers: dict[str, Tier]) -> None:
        """With no subnet named for management: of public subnets sharing a zone, the extra one manages.

        The course's layout: a public pair across two zones, and one more public subnet for the bastion.
        """
        if "management" in tiers.values():
            return
        public = [s for s in subnets if s["SubnetId"] in routing]
        if len(public) <= len({s["AvailabilityZone"] for s in public}):
            return
        for candidate in sorted(public, key=lambda s: ipaddress.IPv4Network(s["CidrBlock"]), reverse=True):
            rest = [s for s in public if s is not candidate]
            if len({s["AvailabilityZone"] for s in rest}) == len(rest) and named_tier(
                    tags_of(candidate).get("Name", "")) != "public":
                tiers[candidate["SubnetId"]] = "management"
                what = tags_of(candidate).get("Name") or candidate["SubnetId"]
                self.out.notes.append(f"subnet {what} {candidate['CidrBlock']} is taken to be the management "
                                      "subnet: the public subnets share a zone and it is the one left over")
                return

    def nats(self, vpc: VpcBuilder) -> dict[str, str]:
        found: dict[str, str] = {}
        for nat in sorted(self.found["nat"], key=lambda n: n["NatGatewayId"]):
            if nat.get("State") not in LIVE_NAT_STATES or nat["SubnetId"] not in self.subnet_names:
                continue
            if nat.get("ConnectivityType") == "private":
                self.out.warnings.append(f"NAT gateway {nat['NatGatewayId']} is a private NAT gateway, which "
                                         "vpcdraw does not model; left out")
                continue
            name = self.give("nat_gateway", nat, f"nat-{self.zone_of[nat['SubnetId']]}")
            vpc.nat_gateway(name, subnet=self.subnet_names[nat["SubnetId"]], label=self.label_of(nat, name))
            self.out.record(self.where("nat_gateway", name), nat["NatGatewayId"], nat)
            allocation = next((a.get("AllocationId") for a in nat.get("NatGatewayAddresses", [])), None)
            if allocation:
                self.out.record(self.where("elastic_ip", name), allocation)
            found[nat["NatGatewayId"]] = name
        return found

    # --- route tables ---

    def route_tables(self, vpc: VpcBuilder, tables: list[dict[str, Any]], main: dict[str, Any] | None,
                     gateways: dict[str, str], nats: dict[str, str]) -> None:
        explicit = {a["SubnetId"] for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
        # A table made twice (two applies at once) keeps its address on the copy in use: the associated one.
        for table in sorted(tables, key=lambda t: (t is not main, not t.get("Associations"), t["RouteTableId"])):
            routes = self.routes(table, gateways, nats)
            subnets = [a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId") in self.subnet_names]
            if table is main:
                if not routes and table["RouteTableId"] not in self.endpoint_tables:
                    continue  # the main table with only the local route is what a subnet without a table uses
                subnets += [i for i in self.subnet_names if i not in explicit]
                self.out.notes.append(f"the main route table {table['RouteTableId']} has routes of its own; it is "
                                      "written as the table 'main', with the subnets that use it implicitly")
            names = [self.subnet_names[i] for i in subnets]
            tiers = {self.tier_of[n] for n in names}
            derived = "main" if table is main else (tiers.pop() if len(tiers) == 1 else (
                "public" if any(r[1] == "internet_gateway" for r in routes) else "private"))
            name = self.give("route_table", table, derived)
            made = vpc.route_table(name, subnets=sorted(names, key=list(self.subnet_names.values()).index),
                                   label=self.label_of(table, name))
            here = self.where("route_table", name)
            self.out.record(here, table["RouteTableId"], table)
            self.table_names[table["RouteTableId"]] = name
            for destination, kind, gateway in routes:
                if kind == "internet_gateway":
                    made.route(destination, internet_gateway=gateway)
                elif kind == "nat_gateway":
                    made.route(destination, nat_gateway=gateway)
                elif kind == "vpc_peering_connection":
                    made.route(destination, vpc_peering_connection=gateway)
                else:
                    made.route(destination, transit_gateway=gateway)
            for association in table.get("Associations", []):
                if association.get("SubnetId") in self.subnet_names:
                    self.out.record(f"{here}/association/{self.subnet_names[association['SubnetId']]}",
                                    association["RouteTableAssociationId"])

    def routes(self, table: dict[str, Any], gateways: dict[str, str],
               nats: dict[str, str]) -> list[tuple[str, str, str]]:
        """The routes the model holds (to the internet gateway, a NAT, a peering or a transit gateway); a gateway
        endpoint's prefix-list routes are the endpoint's; the others are warned about, in words."""
        found = []
        for route in table.get("Routes", []):
            gateway, nat = route.get("GatewayId", ""), route.get("NatGatewayId", "")
            if gateway == "local":
                continue
            if route.get("DestinationPrefixListId") and gateway in self.gateway_endpoints:
                continue  # AWS adds it for the endpoint, to each of the endpoint's route tables
            pcx, tgw = route.get("VpcPeeringConnectionId", ""), route.get("TransitGatewayId", "")
            if route.get("DestinationCidrBlock") and pcx in self.links.peering_names:
                found.append((route["DestinationCidrBlock"], "vpc_peering_connection", self.links.peering_names[pcx]))
                continue
            if route.get("DestinationCidrBlock") and tgw in self.links.gateways:
                found.append((route["DestinationCidrBlock"], "transit_gateway", self.links.gateways[tgw]))
                continue
            destination = route.get("DestinationCidrBlock", "")
            if destination and gateway in gateways:
                found.append((destination, "internet_gateway", gateways[gateway]))
                continue
            if destination and nat in nats:
                found.append((destination, "nat_gateway", nats[nat]))
                continue
            target = next((route[k] for k in ("GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId",
                                              "EgressOnlyInternetGatewayId", "NetworkInterfaceId", "InstanceId",
                                              "LocalGatewayId", "CarrierGatewayId") if route.get(k)), "")
            what = next((words for prefix, words in TARGETS.items() if target.startswith(prefix)), "")
            where = destination or route.get("DestinationIpv6CidrBlock") or route.get("DestinationPrefixListId", "")
            kind = "an IPv6 route" if route.get("DestinationIpv6CidrBlock") else (
                "a prefix-list route" if route.get("DestinationPrefixListId") else "a route")
            self.out.warnings.append(f"{kind} {where} to {target or 'nothing (a blackhole)'}"
                                     f"{f' ({what})' if what else ''} in route table {table['RouteTableId']} is "
                                     "not something vpcdraw models; left out")
        return found

    # --- security groups ---

    def interface_subnets(self) -> dict[str, set[str]]:
        """The subnets of the network interfaces (instances, databases, load balancers) that use each group."""
        users: dict[str, set[str]] = {}
        for interface in self.found["interfaces"]:
            subnet = self.subnet_names.get(interface.get("SubnetId", ""))
            for group in interface.get("Groups", []):
                if subnet:
                    users.setdefault(group["GroupId"], set()).add(subnet)
        for instance in self.found["instances"]:
            subnet = self.subnet_names.get(instance.get("SubnetId", ""))
            for group in _instance_groups(instance):
                if subnet:
                    users.setdefault(group["GroupId"], set()).add(subnet)
        return users

    def groups(self, vpc: VpcBuilder, users: dict[str, set[str]]) -> None:
        groups = sorted((g for g in self.found["groups"] if g["GroupName"] != "default"),
                        key=lambda g: (g["GroupName"], g["GroupId"]))
        for group in groups:
            owned = self.owned_name(group, "security_group")
            self.group_names[group["GroupId"]] = self.claim("security_group", owned, _ascii(group["GroupName"]),
                                                            "group")
        self.default_rules()
        if self.default_group:
            self.out.record(self.where("security_group", "default"), self.default_group)
            if not any(r["GroupId"] == self.default_group for r in self.rules):
                vpc.lock_default_security_group()  # no rule left on AWS's default group: it is locked
        order = list(self.subnet_names.values())
        for group in groups:
            name = self.group_names[group["GroupId"]]
            made = vpc.security_group(name, group.get("Description") or name, label=self.label_of(group, name))
            here = self.where("security_group", name)
            self.out.record(here, group["GroupId"], group)
            self.out.group_names[here] = group["GroupName"]
            mine = [r for r in self.rules if r["GroupId"] == group["GroupId"]]
            for rule in (r for r in mine if not r.get("IsEgress")):
                self.rule(made, "ingress", rule, name)
            egress = [r for r in mine if r.get("IsEgress")]
            if not _default_egress_only(egress):
                made.no_egress()
                for rule in egress:
                    self.rule(made, "egress", rule, name)
            used = users.get(group["GroupId"], set())
            if used:
                made.subnets = tuple(sorted(used, key=order.index))
                continue
            tier, why = group_tier(made.build(), group["GroupName"], tags_of(group).get("Name", ""))
            if tier is not None:
                made.tier = tier
                self.out.notes.append(f"{group['GroupName']} is taken to protect the {tier} tier ({why}); no network "
                                      "interface uses it yet")

    def default_rules(self) -> None:
        """The default group is AWS's: said when someone added rules to it, since vpcdraw does not model them."""
        extra = [r for r in self.rules
                 if r["GroupId"] == self.default_group and not _aws_default_rule(r, self.default_group)]
        for rule in extra:
            self.out.warnings.append(f"the VPC's default security group {self.default_group} has the rule "
                                     f"{_rule_words(rule)}, which vpcdraw does not model; left out")

    def rule(self, group: SecurityGroupBuilder, direction: str, rule: dict[str, Any], name: str) -> None:
        protocol = protocol_name(rule["IpProtocol"])
        referenced = rule.get("ReferencedGroupInfo", {}).get("GroupId")
        words = f"{direction} rule {_rule_words(rule)} of SG {name} ({rule['GroupId']})"
        if protocol is None:
            self.out.warnings.append(f"{words} uses protocol {rule['IpProtocol']}, which vpcdraw does not model; "
                                     "left out")
            return
        if referenced and referenced not in self.group_names:
            what = "the VPC's default group" if referenced == self.default_group else "a group outside this VPC"
            self.out.warnings.append(f"{words} refers to {what}, which vpcdraw does not model; left out")
            return
        if not referenced and not rule.get("CidrIpv4"):
            what = "IPv6" if rule.get("CidrIpv6") else "a prefix list"
            self.out.warnings.append(f"{words} is for {what}, which vpcdraw does not model; left out")
            return
        ports = port_text(protocol, rule.get("FromPort", -1), rule.get("ToPort", -1))
        block = rule.get("CidrIpv4", "")
        if referenced:
            peer = sg(self.group_names[referenced])
        elif block == ANYWHERE_CIDR:
            peer = anywhere
        elif block.endswith("/32") and self.my_ip and block == self.my_ip:
            peer = my_ip
        else:
            peer = cidr(block)
            if block.endswith("/32") and not self.my_ip and direction == "ingress":
                self.out.notes.append(f"{block} on SG {name} looks like the admin's address; --my-ip "
                                      f"{block.removesuffix('/32')} treats it as my_ip")
        description = rule.get("Description", "")
        add = group.ingress if direction == "ingress" else group.egress
        add(ports, peer, description if _AWS_TEXT.fullmatch(description) else "")

    # --- network ACLs and instances ---

    def network_acls(self, vpc: VpcBuilder) -> None:
        for acl in sorted(self.found["acls"], key=lambda a: a["NetworkAclId"]):
            if acl.get("IsDefault"):
                continue  # every VPC has one; AWS makes it, and subnets fall back to it
            subnets = [self.subnet_names[a["SubnetId"]] for a in acl.get("Associations", [])
                       if a.get("SubnetId") in self.subnet_names]
            tiers = {self.tier_of[s] for s in subnets}
            name = self.give("network_acl", acl, f"{tiers.pop()}-acl" if len(tiers) == 1 else "acl")
            order = list(self.subnet_names.values())
            made = vpc.network_acl(name, subnets=sorted(subnets, key=order.index), label=self.label_of(acl, name))
            self.out.record(self.where("network_acl", name), acl["NetworkAclId"], acl)
            for entry in sorted(acl.get("Entries", []), key=lambda e: (e["Egress"], e["RuleNumber"])):
                if entry["RuleNumber"] in IMPLICIT_DENY:
                    continue  # the implicit deny every ACL ends with (32768 for IPv6)
                protocol = protocol_name(entry["Protocol"])
                if protocol is None or not entry.get("CidrBlock"):
                    what = "is for IPv6, which" if entry.get("Ipv6CidrBlock") else "uses a protocol"
                    self.out.warnings.append(f"{_entry_words(entry, protocol)} of network ACL {name} "
                                             f"({acl['NetworkAclId']}) {what} vpcdraw does not model; left out")
                    continue
                ports = _acl_ports(protocol, entry)
                add = made.outbound if entry["Egress"] else made.inbound
                add(entry["RuleNumber"], ports, entry["CidrBlock"], entry["RuleAction"])

    def instances(self, vpc: VpcBuilder) -> None:
        seen = [i for i in self.found["instances"] if i.get("State", {}).get("Name", "running") in
                LIVE_INSTANCE_STATES and i.get("SubnetId") in self.subnet_names]
        from_interfaces = not self.found["instances"]
        if from_interfaces:  # no DescribeInstances (AmazonVPCReadOnlyAccess): what their interfaces show
            seen = [_instance_of(e) for e in self.found["interfaces"] if e.get("Attachment", {}).get("InstanceId")
                    and not endpoint_interface(e, self.endpoint_interfaces)
                    and e.get("SubnetId") in self.subnet_names and e.get("Attachment", {}).get("DeviceIndex", 0) == 0]
            if seen:
                self.out.warnings.append("instances are seen through their network interfaces (no "
                                         "ec2:DescribeInstances): their types, images and Name tags are not known")
        order = list(self.subnet_names.values())

        def key(item: dict[str, Any]) -> tuple[Any, ...]:
            return (tags_of(item).get("Name", ""), order.index(self.subnet_names[item["SubnetId"]]),
                    ipaddress.IPv4Address(item.get("PrivateIpAddress") or "0.0.0.0"), item["InstanceId"])

        for item in sorted(seen, key=key):
            subnet = self.subnet_names[item["SubnetId"]]
            name = self.give("instance", item, f"{subnet}-host")
            groups = []
            for group in _instance_groups(item):
                if group["GroupId"] in self.group_names:
                    groups.append(self.group_names[group["GroupId"]])
                elif group["GroupId"] == self.default_group:
                    self.out.warnings.append(f"instance {name} ({item['InstanceId']}) is in the VPC's default "
                                             "security group, which vpcdraw does not model; left out of its groups")
            vpc.instance(name, subnet=subnet, security_groups=sorted(groups),
                         instance_type=item.get("InstanceType") or "", image=item.get("ImageId") or "",
                         public_ip=bool(item.get("PublicIpAddress")), label=self.label_of(item, name))
            self.out.record(self.where("instance", name), item["InstanceId"], item)

    def endpoints(self, vpc: VpcBuilder) -> None:
        """VPC endpoints: a gateway one with the route tables AWS routes its prefix list in, an interface one with
        the subnets of its network interfaces and its groups."""
        order = list(self.subnet_names.values())
        for item in sorted(self.found["endpoints"], key=lambda e: e["VpcEndpointId"]):
            kind, service = endpoint_type(item), short_service(self.region, str(item.get("ServiceName", "")))
            if kind not in ("gateway", "interface"):
                self.out.warnings.append(f"VPC endpoint {item['VpcEndpointId']} of {service} is a {kind} endpoint, "
                                         "which vpcdraw does not model; left out")
                continue
            name = self.give("vpc_endpoint", item, _ascii(service.replace(".", "-")) or "endpoint")
            policy = normal_policy(item.get("PolicyDocument"))
            if kind == "gateway":
                tables = sorted(self.table_names[t] for t in item.get("RouteTableIds", []) if t in self.table_names)
                vpc.gateway_endpoint(name, service, route_tables=tables, policy=policy,
                                     label=self.label_of(item, name))
            else:
                subnets = sorted((self.subnet_names[s] for s in item.get("SubnetIds", []) if s in self.subnet_names),
                                 key=order.index)
                groups = sorted(self.group_names[g["GroupId"]] for g in item.get("Groups", [])
                                if g["GroupId"] in self.group_names)
                vpc.interface_endpoint(name, service, subnets=subnets, security_groups=groups,
                                       private_dns=bool(item.get("PrivateDnsEnabled")), policy=policy,
                                       label=self.label_of(item, name))
            self.out.record(self.where("vpc_endpoint", name), item["VpcEndpointId"], item)


def _to_gateway(table: dict[str, Any] | None, gateways: dict[str, str]) -> bool:
    """Whether a route table sends all of 0.0.0.0/0 to the VPC's internet gateway (in one route or several)."""
    from vpcdraw.topology.roles import covered

    if table is None:
        return False
    return covered(ANYWHERE_CIDR, [r.get("DestinationCidrBlock", "") for r in table.get("Routes", [])
                                   if r.get("GatewayId") in gateways])


def _instance_groups(instance: dict[str, Any]) -> list[dict[str, Any]]:
    return instance.get("SecurityGroups") or [g for eni in instance.get("NetworkInterfaces", [])
                                              for g in eni.get("Groups", [])]


def _instance_of(interface: dict[str, Any]) -> dict[str, Any]:
    """An instance as DescribeInstances would show it, from its primary network interface."""
    return {"InstanceId": interface["Attachment"]["InstanceId"], "SubnetId": interface["SubnetId"],
            "SecurityGroups": interface.get("Groups", []), "PrivateIpAddress": interface.get("PrivateIpAddress"),
            "PublicIpAddress": interface.get("Association", {}).get("PublicIp"), "Tags": []}


def _default_egress_only(egress: list[dict[str, Any]]) -> bool:
    """Whether a group's outbound rules are just AWS's default: all traffic to 0.0.0.0/0 (and ::/0)."""
    kept = [r for r in egress if not (r["IpProtocol"] == "-1" and r.get("CidrIpv6") == "::/0")]
    return len(kept) == 1 and kept[0]["IpProtocol"] == "-1" and kept[0].get("CidrIpv4") == DEFAULT_EGRESS.peer.value


def _aws_default_rule(rule: dict[str, Any], default_group: str) -> bool:
    """The default group's own rules as AWS makes them: all from its members, all out to anywhere."""
    if rule.get("IsEgress"):
        return rule["IpProtocol"] == "-1" and rule.get("CidrIpv4", rule.get("CidrIpv6", "")) in ("0.0.0.0/0", "::/0")
    return rule["IpProtocol"] == "-1" and rule.get("ReferencedGroupInfo", {}).get("GroupId") == default_group


def _rule_words(rule: dict[str, Any]) -> str:
    ports = port_text(str(rule["IpProtocol"]), rule.get("FromPort", -1), rule.get("ToPort", -1))
    ports = "all traffic" if ports == "all" else ports
    peer = (rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("PrefixListId")
            or f"SG {rule.get('ReferencedGroupInfo', {}).get('GroupId', '?')}")
    return f"{ports} {'to' if rule.get('IsEgress') else 'from'} {peer}"


def _entry_words(entry: dict[str, Any], protocol: str | None) -> str:
    """`inbound entry 98 (allow all traffic from ::/0)`: which entry, and what it lets through, where."""
    side, towards = ("outbound", "to") if entry["Egress"] else ("inbound", "from")
    if protocol is None:
        traffic = f"protocol {entry['Protocol']}"
    else:
        ports = _acl_ports(protocol, entry)
        traffic = "all traffic" if ports == "all" else ports
    peer = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or "nowhere"
    return f"{side} entry {entry['RuleNumber']} ({entry['RuleAction']} {traffic} {towards} {peer})"


def _acl_ports(protocol: str, entry: dict[str, Any]) -> str:
    if protocol == "icmp":
        code = entry.get("IcmpTypeCode", {})
        return port_text(protocol, code.get("Type", -1), code.get("Code", -1))
    span = entry.get("PortRange", {})
    return port_text(protocol, span.get("From", 0), span.get("To", 65535))

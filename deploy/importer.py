"""Import: a live VPC read into a topology, with names from Name tags and tiers from routes.

What the model cannot say (peering routes, IPv6 rules, prefix lists, subnets in secondary CIDRs) is left
out with a warning, so the result always passes `vpcdraw check`.
"""

from __future__ import annotations

import re
from typing import Any

from vpcdraw.topology.builder import TopologyBuilder, VpcBuilder, anywhere, cidr, sg
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.model import Tier, Topology
from vpcdraw.topology.ports import parse_ports

from .aws import AwsError, Ec2
from .live import describe_inside, tags_of, tolerant

PROTOCOLS = {"-1": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def find_vpc(ec2: Ec2, vpc_id: str | None) -> dict[str, Any]:
    """The VPC to import: the given one, else the only non-default VPC of the region."""
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
        raise VpcdrawError(f"{ec2.region} has no VPC besides the default one; give --vpc-id or another --region")
    listing = ", ".join(f"{v['VpcId']} {v['CidrBlock']} ({tags_of(v).get('Name', 'no name')})" for v in vpcs)
    raise VpcdrawError(f"{ec2.region} has {len(vpcs)} VPCs; choose one with --vpc-id: {listing}")


class _Names:
    """Address-safe, unique names: from Name tags where they have them, else derived from what things are."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = {}

    def __call__(self, kind: str, item: dict[str, Any] | None, fallback: str) -> str:
        tag = tags_of(item).get("Name", "") if item else ""
        base = _UNSAFE.sub("-", tag).strip("-._")[:60] or fallback
        taken = self.used.setdefault(kind, set())
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        return name


def import_vpc(ec2: Ec2, vpc_id: str | None, warn: list[str]) -> Topology:
    """The topology of a live VPC; `warn` collects what could not be carried over."""
    vpc = find_vpc(ec2, vpc_id)
    region = ec2.region
    not_checked: set[str] = set()
    describe = tolerant(ec2, not_checked)
    found, rules = describe_inside(describe, [vpc["VpcId"]], not_checked)
    warn += [f"these credentials may not describe {kind}s; they are left out" for kind in sorted(not_checked)]
    names = _Names()
    vpc_name = tags_of(vpc).get("Name", "")
    topology_name = _UNSAFE.sub("-", vpc_name).strip("-._")[:60] or vpc["VpcId"]
    t = TopologyBuilder(topology_name, region=region, description=f"imported from {vpc['VpcId']}")
    builder = t.vpc("main", vpc["CidrBlock"], label=vpc_name if vpc_name != topology_name else "")
    gateways = {g["InternetGatewayId"]: names("internet_gateway", g, "igw") for g in found["gateways"]}
    for gateway_name in gateways.values():
        builder.internet_gateway(gateway_name)
    tables = found["tables"]
    main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    table_of = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    subnet_names = _subnets(builder, found["subnets"], table_of, main, names, region, vpc, warn)
    nats = {}
    for nat in found["nat"]:
        if nat.get("State") in ("available", "pending") and nat["SubnetId"] in subnet_names:
            letter = _zone_letter(region, next((s["AvailabilityZone"] for s in found["subnets"]
                                                if s["SubnetId"] == nat["SubnetId"]), ""))
            nats[nat["NatGatewayId"]] = names("nat_gateway", nat, f"nat-{letter}")
            builder.nat_gateway(nats[nat["NatGatewayId"]], subnet=subnet_names[nat["SubnetId"]])
    _route_tables(builder, tables, main, gateways, nats, subnet_names, names, warn)
    group_names = {g["GroupId"]: names("security_group", {"Tags": [{"Key": "Name", "Value": g["GroupName"]}]},
                                       "group") for g in found["groups"] if g["GroupName"] != "default"}
    users = _instances(builder, found, group_names, subnet_names, names)
    _groups(builder, found["groups"], rules, group_names, users, warn)
    return t.build()


def _zone_letter(region: str, zone: str) -> str:
    return zone[len(region):] if zone.startswith(region) and len(zone) == len(region) + 1 else zone


def _routes_to_igw(table: dict[str, Any] | None) -> bool:
    return table is not None and any(r.get("DestinationCidrBlock") == "0.0.0.0/0"
                                     and str(r.get("GatewayId", "")).startswith("igw-") for r in table["Routes"])


def _subnets(builder: VpcBuilder, subnets: list[dict[str, Any]], table_of: dict[str, Any], main: Any,
             names: _Names, region: str, vpc: dict[str, Any], warn: list[str]) -> dict[str, str]:
    import ipaddress

    found: dict[str, str] = {}
    block = ipaddress.IPv4Network(vpc["CidrBlock"])
    for subnet in sorted(subnets, key=lambda s: ipaddress.IPv4Network(s["CidrBlock"])):
        if not ipaddress.IPv4Network(subnet["CidrBlock"]).subnet_of(block):
            warn.append(f"subnet {subnet['SubnetId']} {subnet['CidrBlock']} is in a secondary CIDR; left out")
            continue
        tier: Tier = "public" if _routes_to_igw(table_of.get(subnet["SubnetId"], main)) else "private"
        letter = _zone_letter(region, subnet["AvailabilityZone"])
        name = names("subnet", subnet, f"{tier}-{letter}")
        tag = tags_of(subnet).get("Name", "")
        builder.subnet(name, subnet["CidrBlock"], az=letter, tier=tier,
                       map_public_ip=bool(subnet.get("MapPublicIpOnLaunch")),
                       label=tag if tag and _UNSAFE.sub("-", tag).strip("-._") != name else "")
        found[subnet["SubnetId"]] = name
    return found


def _route_tables(builder: VpcBuilder, tables: list[dict[str, Any]], main: Any, gateways: dict[str, str],
                  nats: dict[str, str], subnet_names: dict[str, str], names: _Names, warn: list[str]) -> None:
    explicit = {a["SubnetId"] for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    for table in tables:
        is_main = table is main
        routes = [r for r in table.get("Routes", []) if r.get("GatewayId") != "local"]
        subnets = [subnet_names[a["SubnetId"]] for a in table.get("Associations", [])
                   if a.get("SubnetId") in subnet_names]
        if is_main:
            if not routes:
                continue  # the main table with only the local route is what the model assumes
            subnets += [n for i, n in subnet_names.items() if i not in explicit]
            warn.append("the main route table has routes of its own; it is written as the table 'main'")
        fallback = "main" if is_main else ("public" if _routes_to_igw(table) else "private")
        made = builder.route_table(names("route_table", table, fallback), subnets=subnets)
        for route in routes:
            destination = route.get("DestinationCidrBlock")
            gateway, nat = route.get("GatewayId", ""), route.get("NatGatewayId", "")
            if destination and gateway in gateways:
                made.route(destination, internet_gateway=gateways[gateway])
            elif destination and nat in nats:
                made.route(destination, nat_gateway=nats[nat])
            else:
                target = gateway or nat or route.get("VpcPeeringConnectionId") or route.get("TransitGatewayId") or "?"
                warn.append(f"route {destination or route.get('DestinationPrefixListId')} to {target} in "
                            f"{table['RouteTableId']} is not something vpcdraw models; left out")


def _instances(builder: VpcBuilder, found: dict[str, Any], group_names: dict[str, str],
               subnet_names: dict[str, str], names: _Names) -> dict[str, set[str]]:
    """Add the instances; returns the subnets each security group is used in."""
    users: dict[str, set[str]] = {}
    for reservation in found["instances"]:
        for i in reservation.get("Instances", []):
            if i.get("SubnetId") not in subnet_names:
                continue
            attached = i.get("SecurityGroups") or [g for eni in i.get("NetworkInterfaces", [])
                                                   for g in eni.get("Groups", [])]
            builder.instance(names("instance", i, "instance"), subnet=subnet_names[i["SubnetId"]],
                             security_groups=[group_names[g["GroupId"]] for g in attached
                                              if g["GroupId"] in group_names],
                             instance_type=i.get("InstanceType", "t3.micro"), image=i.get("ImageId", ""),
                             public_ip=bool(i.get("PublicIpAddress")))
            for g in attached:
                if g["GroupId"] in group_names:
                    users.setdefault(group_names[g["GroupId"]], set()).add(subnet_names[i["SubnetId"]])
    return users


def _groups(builder: VpcBuilder, groups: list[dict[str, Any]], rules: list[dict[str, Any]],
            group_names: dict[str, str], users: dict[str, set[str]], warn: list[str]) -> None:
    for group in groups:
        if group["GroupId"] not in group_names:
            continue
        name = group_names[group["GroupId"]]
        made = builder.security_group(name, group.get("Description") or name,
                                      subnets=sorted(users.get(name, set())))
        mine = [r for r in rules if r["GroupId"] == group["GroupId"]]
        egress = [r for r in mine if r.get("IsEgress")]
        for rule in [r for r in mine if not r.get("IsEgress")]:
            _rule(made.ingress, rule, group_names, warn)
        default_only = (len(egress) == 1 and egress[0]["IpProtocol"] == "-1"
                        and egress[0].get("CidrIpv4") == "0.0.0.0/0")
        if not default_only:
            made.no_egress()
            for rule in egress:
                _rule(made.egress, rule, group_names, warn)


def _rule(add: Any, rule: dict[str, Any], group_names: dict[str, str], warn: list[str]) -> None:
    protocol = PROTOCOLS.get(str(rule["IpProtocol"]))
    referenced = rule.get("ReferencedGroupInfo", {}).get("GroupId")
    if protocol is None or not (rule.get("CidrIpv4") or referenced in group_names):
        direction = "egress" if rule.get("IsEgress") else "ingress"
        warn.append(f"{direction} rule of {rule['GroupId']} (protocol {rule['IpProtocol']}, "
                    f"{rule.get('CidrIpv6') or rule.get('PrefixListId') or referenced}) is not something vpcdraw "
                    "models; left out")
        return
    low, high = rule.get("FromPort", -1), rule.get("ToPort", -1)
    if protocol == "all":
        ports = "all"
    elif protocol == "icmp":
        ports = "icmp" if low == -1 else f"icmp/{low}"
    else:
        ports = f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}"
    parse_ports(ports)
    peer = sg(group_names[referenced]) if referenced else (anywhere if rule["CidrIpv4"] == "0.0.0.0/0"
                                                          else cidr(rule["CidrIpv4"]))
    description = rule.get("Description", "")
    add(ports, peer, description if re.fullmatch(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*", description) else "")

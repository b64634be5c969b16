"""Validation of the network layer: CIDRs, subnets and zones, gateways and routes."""

from __future__ import annotations

import ipaddress
from collections import Counter

from ..address import address, vpc_address
from ..model import ANYWHERE_CIDR, Vpc
from ..regions import REGION_ZONES, zone_exists
from .problem import Problem, parse_network, shown

MAX_SUBNETS_PER_VPC = 200
MAX_ROUTES_PER_TABLE = 50


def check_network(region: str, vpc: Vpc) -> list[Problem]:
    """Problems with the VPC's CIDR, subnets, gateways and route tables."""
    problems: list[Problem] = []
    vpc_net = _check_block(problems, vpc_address(vpc), "VPC", vpc.cidr, "InvalidVpc.Range")
    problems += _check_subnets(region, vpc, vpc_net)
    problems += _check_gateways(vpc)
    problems += _check_route_tables(vpc, vpc_net)
    return problems


def _check_block(
    problems: list[Problem], where: str, what: str, cidr: str, range_code: str
) -> ipaddress.IPv4Network | None:
    """Parse a VPC or subnet CIDR and check AWS's /16 to /28 limit; None when it is unusable."""
    net, why = parse_network(cidr)
    if net is None:
        problems.append(Problem(where, f"{what} CIDR '{shown(cidr)}' {why}", "InvalidParameterValue"))
        return None
    if not 16 <= net.prefixlen <= 28:
        problems.append(
            Problem(where, f"{what} CIDR '{cidr}' is a /{net.prefixlen}; AWS allows /16 to /28", range_code)
        )
        return None
    return net


def _check_subnets(region: str, vpc: Vpc, vpc_net: ipaddress.IPv4Network | None) -> list[Problem]:
    problems: list[Problem] = []
    if len(vpc.subnets) > MAX_SUBNETS_PER_VPC:
        problems.append(
            Problem(vpc_address(vpc), f"has {len(vpc.subnets)} subnets; AWS allows {MAX_SUBNETS_PER_VPC} per VPC",
                    "SubnetLimitExceeded")
        )
    placed: list[tuple[ipaddress.IPv4Network, str, str]] = []
    for subnet in vpc.subnets:
        where = address(vpc, "subnet", subnet.name)
        if region in REGION_ZONES and not zone_exists(region, subnet.az):
            letters = ", ".join(REGION_ZONES[region])
            problems.append(
                Problem(where, f"availability zone '{subnet.az}' is not in {region} (zones: {letters})",
                        "InvalidParameterValue")
            )
        net = _check_block(problems, where, "subnet", subnet.cidr, "InvalidSubnet.Range")
        if net is None:
            continue
        if vpc_net is not None and not net.subnet_of(vpc_net):
            problems.append(
                Problem(where, f"subnet CIDR '{subnet.cidr}' is not inside the VPC's {vpc.cidr}",
                        "InvalidSubnet.Range")
            )
        placed.append((net, subnet.name, where))
    problems += _overlaps(placed)
    return problems


def _overlaps(placed: list[tuple[ipaddress.IPv4Network, str, str]]) -> list[Problem]:
    """Overlapping subnets, found in one pass over them sorted by address (10,000 subnets stay fast)."""
    problems = []
    order = {name: i for i, (_, name, _) in enumerate(placed)}
    widest: tuple[ipaddress.IPv4Network, str] | None = None  # the earlier block that reaches furthest
    for net, name, _ in sorted(placed, key=lambda p: (int(p[0].network_address), -p[0].prefixlen)):
        if widest is not None and int(net.network_address) <= int(widest[0].broadcast_address):
            first, second = sorted([(widest[1], widest[0]), (name, net)], key=lambda p: order[p[0]])
            later = next(p for p in placed if p[1] == second[0])
            problems.append(Problem(later[2], f"subnet CIDR '{later[0]}' overlaps subnet {first[0]} ({first[1]})",
                                    "InvalidSubnet.Conflict"))
        if widest is None or int(net.broadcast_address) > int(widest[0].broadcast_address):
            widest = (net, name)
    return problems


def _check_gateways(vpc: Vpc) -> list[Problem]:
    problems: list[Problem] = []
    for nat in vpc.nat_gateways:
        where = address(vpc, "nat_gateway", nat.name)
        if vpc.subnet(nat.subnet) is None:
            problems.append(Problem(where, f"subnet '{nat.subnet}' does not exist", "InvalidSubnetID.NotFound"))
        elif not vpc.routes_to_internet_gateway(nat.subnet):
            problems.append(
                Problem(where, f"sits in subnet '{nat.subnet}', whose route table sends no 0.0.0.0/0 to an "
                        "internet gateway, so it cannot reach the internet; put it in a public subnet",
                        "NatGatewayNotPublic", "warning")
            )
    return problems


def _check_route_tables(vpc: Vpc, vpc_net: ipaddress.IPv4Network | None) -> list[Problem]:
    problems: list[Problem] = []
    nat_names = {n.name for n in vpc.nat_gateways}
    igw = vpc.internet_gateway
    for subnet_name, count in sorted(Counter(s for t in vpc.route_tables for s in t.subnets).items()):
        if count > 1:
            problems.append(
                Problem(address(vpc, "subnet", subnet_name),
                        f"is associated with {count} route tables; a subnet has exactly one",
                        "Resource.AlreadyAssociated")
            )
    for table in vpc.route_tables:
        where = address(vpc, "route_table", table.name)
        for subnet_name in table.subnets:
            if vpc.subnet(subnet_name) is None:
                problems.append(
                    Problem(where, f"associates subnet '{subnet_name}', which does not exist",
                            "InvalidSubnetID.NotFound")
                )
        if len(table.routes) > MAX_ROUTES_PER_TABLE:
            problems.append(
                Problem(where, f"has {len(table.routes)} routes; AWS allows {MAX_ROUTES_PER_TABLE} per table",
                        "RouteLimitExceeded")
            )
        for destination, count in sorted(Counter(r.destination for r in table.routes).items()):
            if count > 1:
                problems.append(
                    Problem(where, f"routes destination '{destination}' {count} times", "RouteAlreadyExists")
                )
        for route in table.routes:
            net, why = parse_network(route.destination)
            if net is None:
                problems.append(
                    Problem(where, f"route destination '{shown(route.destination)}' {why}", "InvalidParameterValue")
                )
            if route.target == "internet_gateway":
                if igw is None or igw.name != route.gateway:
                    problems.append(
                        Problem(where, f"route {route.destination} goes to internet gateway '{route.gateway}', "
                                "which does not exist; add it with .internet_gateway()", "InvalidGatewayID.NotFound")
                    )
                elif not igw.attached:
                    problems.append(
                        Problem(where, f"route {route.destination} goes to internet gateway '{igw.name}', which is "
                                "not attached to the VPC", "Gateway.NotAttached")
                    )
            elif route.target == "nat_gateway" and route.gateway not in nat_names:
                problems.append(
                    Problem(where, f"route {route.destination} goes to NAT gateway '{route.gateway}', which does "
                            "not exist", "InvalidNatGatewayID.NotFound")
                )
            elif route.target == "local" and net is not None and vpc_net is not None and net != vpc_net:
                problems.append(
                    Problem(where, f"local route '{route.destination}' must be the VPC's CIDR {vpc.cidr}",
                            "InvalidParameterValue")
                )
    problems += _check_tiers(vpc)
    return problems


def _check_tiers(vpc: Vpc) -> list[Problem]:
    """Public subnets reach the internet through the IGW; private ones never do."""
    problems: list[Problem] = []
    for subnet in vpc.subnets:
        where = address(vpc, "subnet", subnet.name)
        table = vpc.route_table_of(subnet.name)
        table_text = f"route table '{table.name}'" if table else "the main route table (local route only)"
        if subnet.tier == "public" and not vpc.routes_to_internet_gateway(subnet.name):
            problems.append(
                Problem(where, f"is in the public tier but {table_text} sends no {ANYWHERE_CIDR} to an "
                        "internet gateway", "PublicSubnetWithoutInternetRoute")
            )
        if subnet.tier == "private" and table is not None:
            for route in table.routes:
                if route.target == "internet_gateway":
                    problems.append(
                        Problem(where, f"is in the private tier but {table_text} routes {route.destination} to "
                                f"internet gateway '{route.gateway}'", "PrivateSubnetWithInternetRoute")
                    )
    return problems

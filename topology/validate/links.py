"""Validation of what joins VPCs and reaches AWS services: peering connections, transit gateways, endpoints.

Quotas are AWS's defaults ("Amazon Virtual Private Cloud endpoints and quotas",
https://docs.aws.amazon.com/general/latest/gr/vpc-service.html): 50 active peering connections per VPC,
20,480 characters per endpoint policy, 20 gateway endpoints per Region, 50 routes per route table.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter

from ..address import address, transit_gateway_address, vpc_address
from ..graph import attachment_address, peering_address
from ..model import Route, Topology, TransitGateway, Vpc, VpcEndpoint, VpcPeeringConnection
from ..regions import REGION_ZONES, zone_name
from .network import MAX_ROUTES_PER_TABLE
from .problem import NAME_RULE, Problem, parse_network, shown, valid_name

MAX_PEERINGS_PER_VPC = 50
MAX_POLICY_CHARACTERS = 20_480
MAX_GATEWAY_ENDPOINTS = 20
GATEWAY_SERVICES = ("s3", "dynamodb")  # the only services with gateway endpoints
# Interface endpoint services offered in every commercial Region (DescribeVpcEndpointServices); a full
# `com.amazonaws.REGION.NAME` is taken as given, for services this short table does not list.
INTERFACE_SERVICES = (
    "athena", "autoscaling", "cloudformation", "codebuild", "codecommit", "dynamodb", "ebs", "ec2", "ec2messages",
    "ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "elasticfilesystem", "elasticloadbalancing",
    "events", "execute-api", "kinesis-streams", "kms", "lambda", "logs", "monitoring", "rds", "s3",
    "secretsmanager", "sns", "sqs", "ssm", "ssmmessages", "states", "sts",
)
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?")
_ACCOUNT = re.compile(r"[0-9]{12}")


def check_links(topology: Topology) -> list[Problem]:
    """Problems with the topology's peering connections, transit gateways, endpoints and the routes to them."""
    problems: list[Problem] = []
    problems += _check_link_names(topology)
    for peering in topology.peering_connections:
        problems += _check_peering(topology, peering)
    for gateway in topology.transit_gateways:
        problems += _check_transit_gateway(topology, gateway)
    for vpc in topology.vpcs:
        problems += _check_routes(topology, vpc)
        for endpoint in vpc.endpoints:
            problems += _check_endpoint(topology.region, vpc, endpoint)
        problems += _check_route_quota(vpc)
    problems += _check_quotas(topology)
    return problems


def _check_link_names(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    named = [("VPC peering connection", [(p.name, peering_address(topology, p.name))
                                         for p in topology.peering_connections]),
             ("transit gateway", [(g.name, transit_gateway_address(g.name)) for g in topology.transit_gateways])]
    named += [("VPC endpoint", [(e.name, address(vpc, "vpc_endpoint", e.name)) for e in vpc.endpoints])
              for vpc in topology.vpcs]
    for what, items in named:
        for name, where in items:
            if not valid_name(name):
                problems.append(Problem(where, f"name '{shown(name)}' {NAME_RULE}", "InvalidName"))
        counts = Counter(name for name, _ in items)
        for name, where in dict(items).items():
            if counts[name] > 1:
                problems.append(Problem(where, f"{what} name '{name}' is used {counts[name]} times", "DuplicateName"))
    return problems


def _check_peering(topology: Topology, peering: VpcPeeringConnection) -> list[Problem]:
    where = peering_address(topology, peering.name)
    problems: list[Problem] = []
    requester = topology.vpc(peering.requester)
    if requester is None:
        problems.append(Problem(where, f"requester VPC '{peering.requester}' does not exist", "InvalidVpcID.NotFound"))
    if bool(peering.accepter) == (peering.external is not None):
        problems.append(Problem(where, "needs either accepter= (a VPC of this topology) or external= (an "
                                "external_vpc(...)), not both or neither", "MissingParameter"))
        return problems
    if peering.accepter:
        accepter = topology.vpc(peering.accepter)
        if accepter is None:
            problems.append(Problem(where, f"accepter VPC '{peering.accepter}' does not exist",
                                    "InvalidVpcID.NotFound"))
        elif peering.accepter == peering.requester:
            problems.append(Problem(where, f"peers VPC '{peering.requester}' with itself", "InvalidParameterValue"))
        elif requester is not None:
            problems += _overlap(where, f"VPC {requester.name}", requester.cidr, f"VPC {accepter.name}", accepter.cidr,
                                 "a peering of overlapping CIDRs fails")
        return problems
    external = peering.external
    assert external is not None
    if not _VPC_ID.fullmatch(external.vpc_id):
        problems.append(Problem(where, f"external VPC id '{shown(external.vpc_id)}' is not a VPC id such as "
                                "vpc-0a1b2c3d4e5f67890", "InvalidVpcID.Malformed"))
    if external.account and not _ACCOUNT.fullmatch(external.account):
        problems.append(Problem(where, f"external account '{shown(external.account)}' is not a 12-digit AWS account id",
                                "InvalidParameterValue"))
    if external.region and external.region not in REGION_ZONES:
        problems.append(Problem(where, f"external region '{shown(external.region)}' is not an AWS region vpcdraw "
                                "knows", "InvalidParameterValue"))
    net, why = parse_network(external.cidr)
    if net is None:
        problems.append(Problem(where, f"external VPC CIDR '{shown(external.cidr)}' {why}", "InvalidParameterValue"))
    elif requester is not None:
        problems += _overlap(where, f"VPC {requester.name}", requester.cidr, f"external VPC {external.vpc_id}",
                             external.cidr, "a peering of overlapping CIDRs fails")
    return problems


def _overlap(where: str, one: str, one_cidr: str, other: str, other_cidr: str, why: str) -> list[Problem]:
    a, _ = parse_network(one_cidr)
    b, _ = parse_network(other_cidr)
    if a is None or b is None or not a.overlaps(b):
        return []
    return [Problem(where, f"{one} ({one_cidr}) and {other} ({other_cidr}) overlap; {why}", "OverlappingCidrs")]


def _check_transit_gateway(topology: Topology, gateway: TransitGateway) -> list[Problem]:
    problems: list[Problem] = []
    here = transit_gateway_address(gateway.name)
    for vpc_name, count in sorted(Counter(a.vpc for a in gateway.attachments).items()):
        if count > 1:
            problems.append(Problem(here, f"attaches VPC '{vpc_name}' {count} times; a VPC has one attachment per "
                                    "transit gateway", "DuplicateTransitGatewayAttachment"))
    attached: list[tuple[Vpc, ipaddress.IPv4Network]] = []
    for attachment in gateway.attachments:
        vpc = topology.vpc(attachment.vpc)
        where = attachment_address(attachment.vpc, gateway.name)
        if vpc is None:
            problems.append(Problem(here, f"attaches VPC '{attachment.vpc}', which does not exist",
                                    "InvalidVpcID.NotFound"))
            continue
        if not attachment.subnets:
            problems.append(Problem(where, "has no subnet; attach the VPC through one subnet per AZ",
                                    "MissingParameter"))
        zones: dict[str, str] = {}
        for name in attachment.subnets:
            subnet = vpc.subnet(name)
            if subnet is None:
                problems.append(Problem(where, f"subnet '{name}' does not exist in VPC {vpc.name}",
                                        "InvalidSubnetID.NotFound"))
                continue
            zone = zone_name(topology.region, subnet.az)
            if zone in zones:
                problems.append(Problem(where, f"has subnets {zones[zone]} and {name} in the same AZ {zone}; an "
                                        "attachment takes one subnet per AZ", "DuplicateSubnetsInSameZone"))
            zones.setdefault(zone, name)
        for subnet in vpc.subnets:  # the subnets whose tables send traffic to this transit gateway
            table = vpc.route_table_of(subnet.name)
            uses = table is not None and any(r.target == "transit_gateway" and r.gateway == gateway.name
                                             for r in table.routes)
            zone = zone_name(topology.region, subnet.az)
            if uses and zones and zone not in zones:
                problems.append(Problem(where, f"has no subnet in AZ {zone}, so subnet {subnet.name}, which routes "
                                        f"to transit gateway {gateway.name}, cannot reach it; add a subnet of {zone} "
                                        "to the attachment", "TransitGatewayAttachmentZoneMissing", "warning"))
        net, _ = parse_network(vpc.cidr)
        if net is not None:
            attached.append((vpc, net))
    for i, (one, a) in enumerate(attached):  # the default route table learns every attached CIDR
        for other, b in attached[i + 1:]:
            if a.overlaps(b):
                problems.append(Problem(here, f"attaches VPC {one.name} ({one.cidr}) and VPC {other.name} "
                                        f"({other.cidr}), which overlap; its route table cannot route to both",
                                        "OverlappingCidrs"))
    return problems


def _check_routes(topology: Topology, vpc: Vpc) -> list[Problem]:
    problems: list[Problem] = []
    for table in vpc.route_tables:
        where = address(vpc, "route_table", table.name)
        for route in table.routes:
            if route.target == "vpc_peering_connection":
                problems += _peering_route(topology, vpc, where, route)
            elif route.target == "transit_gateway":
                problems += _transit_route(topology, vpc, where, route)
    return problems


def _peering_route(topology: Topology, vpc: Vpc, where: str, route: Route) -> list[Problem]:
    peering = next((p for p in topology.peering_connections if p.name == route.gateway), None)
    if peering is None:
        return [Problem(where, f"route {route.destination} goes to VPC peering connection '{route.gateway}', which "
                        "does not exist; add it with t.peering(...)", "InvalidVpcPeeringConnectionID.NotFound")]
    if vpc.name not in peering.vpcs:
        return [Problem(where, f"route {route.destination} goes to VPC peering connection '{peering.name}', which "
                        f"joins {' and '.join(peering.vpcs)}, not VPC {vpc.name}",
                        "InvalidVpcPeeringConnectionID.NotFound")]
    if peering.external is not None:
        other, cidr = f"external VPC {peering.external.vpc_id}", peering.external.cidr
    else:
        other_vpc = topology.vpc(peering.accepter if vpc.name == peering.requester else peering.requester)
        if other_vpc is None:
            return []  # said of the peering
        other, cidr = f"VPC {other_vpc.name}", other_vpc.cidr
    destination, _ = parse_network(route.destination)
    peer, _ = parse_network(cidr)
    if destination is not None and peer is not None and not destination.overlaps(peer):
        return [Problem(where, f"route {route.destination} goes to VPC peering connection '{peering.name}', but "
                        f"{other} on its other side is {cidr}: no address of the route is answered there",
                        "PeeringRouteUnanswered")]
    return []


def _transit_route(topology: Topology, vpc: Vpc, where: str, route: Route) -> list[Problem]:
    gateway = next((g for g in topology.transit_gateways if g.name == route.gateway), None)
    if gateway is None:
        return [Problem(where, f"route {route.destination} goes to transit gateway '{route.gateway}', which does not "
                        "exist; add it with t.transit_gateway(...)", "InvalidTransitGatewayID.NotFound")]
    if gateway.attachment(vpc.name) is None:
        return [Problem(where, f"route {route.destination} goes to transit gateway '{gateway.name}', which VPC "
                        f"{vpc.name} is not attached to; add .attach({vpc.name!r}, subnets=[...])",
                        "InvalidTransitGatewayAttachmentID.NotFound")]
    destination, _ = parse_network(route.destination)
    others = [topology.vpc(a.vpc) for a in gateway.attachments if a.vpc != vpc.name]
    answered = [o for o in others if o is not None and destination is not None
                and (net := parse_network(o.cidr)[0]) is not None and destination.overlaps(net)]
    if destination is not None and not answered:
        return [Problem(where, f"route {route.destination} goes to transit gateway '{gateway.name}', but no other VPC "
                        "attached to it has an address there", "TransitGatewayRouteUnanswered", "warning")]
    return []


def _check_endpoint(region: str, vpc: Vpc, endpoint: VpcEndpoint) -> list[Problem]:
    where = address(vpc, "vpc_endpoint", endpoint.name)
    problems: list[Problem] = []
    service = endpoint.service
    if service.startswith("com.amazonaws."):
        if not service.startswith(f"com.amazonaws.{region}."):
            problems.append(Problem(where, f"service '{shown(service)}' is not in the topology's region {region}",
                                    "InvalidServiceName"))
        short = service.removeprefix(f"com.amazonaws.{region}.")
    else:
        short = service
        known = GATEWAY_SERVICES if endpoint.endpoint_type == "gateway" else INTERFACE_SERVICES
        if service not in known:
            hint = ("only s3 and dynamodb have gateway endpoints" if endpoint.endpoint_type == "gateway" else
                    f"services vpcdraw knows: {', '.join(INTERFACE_SERVICES)}; give another as "
                    f"com.amazonaws.{region}.NAME")
            problems.append(Problem(where, f"service '{shown(service)}' has no {endpoint.endpoint_type} endpoint in "
                                    f"{region} ({hint})", "InvalidServiceName"))
    if endpoint.endpoint_type == "gateway":
        if short not in GATEWAY_SERVICES and service.startswith("com.amazonaws."):
            problems.append(Problem(where, "only s3 and dynamodb have gateway endpoints", "InvalidServiceName"))
        if not endpoint.route_tables:
            problems.append(Problem(where, "is a gateway endpoint with no route table, so nothing routes to it",
                                    "GatewayEndpointUnused", "warning"))
        for name in endpoint.route_tables:
            if not any(t.name == name for t in vpc.route_tables):
                problems.append(Problem(where, f"route table '{name}' does not exist", "InvalidRouteTableID.NotFound"))
        if endpoint.subnets or endpoint.security_groups or endpoint.private_dns:
            problems.append(Problem(where, "is a gateway endpoint: subnets, security groups and private DNS belong "
                                    "to interface endpoints", "InvalidParameter"))
    else:
        if not endpoint.subnets:
            problems.append(Problem(where, "is an interface endpoint with no subnet", "MissingParameter"))
        zones: dict[str, str] = {}
        for name in endpoint.subnets:
            subnet = vpc.subnet(name)
            if subnet is None:
                problems.append(Problem(where, f"subnet '{name}' does not exist", "InvalidSubnetID.NotFound"))
                continue
            zone = zone_name(region, subnet.az)
            if zone in zones:
                problems.append(Problem(where, f"has subnets {zones[zone]} and {name} in the same AZ {zone}; an "
                                        "endpoint takes one subnet per AZ", "DuplicateSubnetsInSameZone"))
            zones.setdefault(zone, name)
        for name in endpoint.security_groups:
            if vpc.security_group(name) is None:
                problems.append(Problem(where, f"security group '{name}' does not exist", "InvalidGroup.NotFound"))
        if endpoint.route_tables:
            problems.append(Problem(where, "is an interface endpoint: route tables belong to gateway endpoints",
                                    "InvalidParameter"))
        if endpoint.private_dns:
            problems.append(Problem(where, "has private DNS, which needs the VPC's DNS hostnames turned on; vpcdraw "
                                    "does not turn them on, so apply fails unless they are", "PrivateDnsNeedsHostnames",
                                    "warning"))
    if endpoint.policy:
        problems += _check_policy(where, endpoint.policy)
    return problems


def _check_policy(where: str, policy: str) -> list[Problem]:
    if len(policy) > MAX_POLICY_CHARACTERS:
        return [Problem(where, f"policy has {len(policy):,} characters; AWS allows {MAX_POLICY_CHARACTERS:,}",
                        "InvalidPolicyDocument")]
    try:
        document = json.loads(policy)
    except ValueError as error:
        return [Problem(where, f"policy is not JSON: {error}", "InvalidPolicyDocument")]
    if not isinstance(document, dict) or "Statement" not in document:
        return [Problem(where, "policy is not a policy document (a JSON object with a Statement)",
                        "InvalidPolicyDocument")]
    return []


def _check_route_quota(vpc: Vpc) -> list[Problem]:
    """Routes per table counted with the gateway endpoints' prefix-list routes AWS adds (one route each)."""
    problems: list[Problem] = []
    for table in vpc.route_tables:
        added = [e for e in vpc.endpoints if e.endpoint_type == "gateway" and table.name in e.route_tables]
        if added and len(table.routes) + len(added) > MAX_ROUTES_PER_TABLE:
            problems.append(Problem(address(vpc, "route_table", table.name),
                                    f"has {len(table.routes)} routes and {len(added)} routes of gateway endpoints; AWS "
                                    f"allows {MAX_ROUTES_PER_TABLE} per table", "RouteLimitExceeded"))
        for service, count in sorted(Counter(e.service for e in added).items()):
            if count > 1:
                problems.append(Problem(address(vpc, "route_table", table.name),
                                        f"is used by {count} gateway endpoints of {service}; a table routes a "
                                        "service's prefix list to one", "RouteAlreadyExists"))
    return problems


def _check_quotas(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    per_vpc = Counter(name for p in topology.peering_connections for name in p.vpcs)
    for name, count in sorted(per_vpc.items()):
        if count > MAX_PEERINGS_PER_VPC:
            problems.append(Problem(vpc_address(name), f"has {count} peering connections; AWS allows "
                                    f"{MAX_PEERINGS_PER_VPC} active ones per VPC", "VpcPeeringConnectionLimitExceeded"))
    gateways = sum(1 for v in topology.vpcs for e in v.endpoints if e.endpoint_type == "gateway")
    if gateways > MAX_GATEWAY_ENDPOINTS:
        problems.append(Problem("topology", f"has {gateways} gateway endpoints; AWS allows {MAX_GATEWAY_ENDPOINTS} "
                                "per Region", "VpcEndpointLimitExceeded"))
    return problems

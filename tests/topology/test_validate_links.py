"""Validation of peerings, transit gateways and endpoints: every problem at once, each with its address and AWS code."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from vpcdraw.topology import TopologyBuilder, load, validate
from vpcdraw.topology.builder import external_vpc
from vpcdraw.topology.validate.links import MAX_PEERINGS_PER_VPC


def _two() -> TopologyBuilder:
    """Two VPCs, each with a private subnet per AZ (a and c) and a table for them."""
    t = TopologyBuilder("links", region="ap-northeast-2")
    for name, second in (("app", 1), ("shared", 2)):
        vpc = t.vpc(name, f"10.{second}.0.0/16")
        vpc.subnet("private-a", f"10.{second}.1.0/24", az="a", tier="private")
        vpc.subnet("private-c", f"10.{second}.2.0/24", az="c", tier="private")
        vpc.route_table("private", subnets=["private-a", "private-c"])
    return t


def _table(t: TopologyBuilder, vpc: str):  # the builder's route table of a VPC, to add routes to
    return next(v for v in t._vpcs if v.name == vpc)._route_tables[0]


def _vpc(t: TopologyBuilder, name: str):
    return next(v for v in t._vpcs if v.name == name)


def _codes(t: TopologyBuilder) -> list[tuple[str, str]]:
    return [(p.address, p.code) for p in validate(t.build())]


@pytest.mark.parametrize("name", ["shared-services", "hub"])
def test_the_examples_are_valid(example_file: Callable[[str], object], name: str) -> None:
    assert validate(load(example_file(name))) == []


def test_a_valid_peering_with_routes_both_ways() -> None:
    t = _two()
    t.peering("p", requester="app", accepter="shared")
    _table(t, "app").route("10.2.0.0/16", vpc_peering_connection="p")
    _table(t, "shared").route("10.1.0.0/16", vpc_peering_connection="p")
    assert validate(t.build()) == []


CASES: dict[str, tuple[Callable[[TopologyBuilder], object], str, str, str]] = {
    "overlapping peers": (
        lambda t: (setattr(_vpc(t, "shared"), "cidr", "10.1.0.0/16"),
                   t.peering("p", requester="app", accepter="shared")),
        "vpc/app/vpc_peering_connection/p", "OverlappingCidrs",
        "VPC app (10.1.0.0/16) and VPC shared (10.1.0.0/16) overlap"),
    "missing accepter": (
        lambda t: t.peering("p", requester="app", accepter="nowhere"),
        "vpc/app/vpc_peering_connection/p", "InvalidVpcID.NotFound", "accepter VPC 'nowhere' does not exist"),
    "neither accepter nor external": (
        lambda t: t.peering("p", requester="app"),
        "vpc/app/vpc_peering_connection/p", "MissingParameter", "needs either accepter="),
    "external id malformed": (
        lambda t: t.peering("p", requester="app", external=external_vpc("vpc-xyz", "10.9.0.0/16")),
        "vpc/app/vpc_peering_connection/p", "InvalidVpcID.Malformed", "'vpc-xyz' is not a VPC id"),
    "external account malformed": (
        lambda t: t.peering("p", requester="app", external=external_vpc("vpc-0a1b2c3d", "10.9.0.0/16", account="12")),
        "vpc/app/vpc_peering_connection/p", "InvalidParameterValue", "'12' is not a 12-digit AWS account id"),
    "route to a missing peering": (
        lambda t: _table(t, "app").route("10.2.0.0/16", vpc_peering_connection="nope"),
        "vpc/app/route_table/private", "InvalidVpcPeeringConnectionID.NotFound",
        "goes to VPC peering connection 'nope', which does not exist"),
    "route to a peering nobody answers": (
        lambda t: (t.peering("p", requester="app", accepter="shared"),
                   _table(t, "app").route("192.168.0.0/16", vpc_peering_connection="p")),
        "vpc/app/route_table/private", "PeeringRouteUnanswered",
        "VPC shared on its other side is 10.2.0.0/16: no address of the route is answered there"),
    "route to a peering of other VPCs": (
        lambda t: (t.vpc("third", "10.3.0.0/16").route_table("r").route("10.2.0.0/16", vpc_peering_connection="p"),
                   t.peering("p", requester="app", accepter="shared")),
        "vpc/third/route_table/r", "InvalidVpcPeeringConnectionID.NotFound", "joins app and shared, not VPC third"),
    "route to a missing transit gateway": (
        lambda t: _table(t, "app").route("10.0.0.0/8", transit_gateway="hub"),
        "vpc/app/route_table/private", "InvalidTransitGatewayID.NotFound", "transit gateway 'hub', which does not"),
    "route to a transit gateway not attached": (
        lambda t: (t.transit_gateway("hub").attach("shared", subnets=["private-a", "private-c"]),
                   _table(t, "app").route("10.0.0.0/8", transit_gateway="hub")),
        "vpc/app/route_table/private", "InvalidTransitGatewayAttachmentID.NotFound", "VPC app is not attached"),
    "attachment with two subnets in one AZ": (
        lambda t: (_vpc(t, "app").subnet("private-a2", "10.1.3.0/24", az="a", tier="private"),
                   t.transit_gateway("hub").attach("app", subnets=["private-a", "private-a2"])),
        "vpc/app/transit_gateway_attachment/hub", "DuplicateSubnetsInSameZone", "same AZ ap-northeast-2a"),
    "attachment missing an AZ with workload": (
        lambda t: (t.transit_gateway("hub").attach("app", subnets=["private-a"]).attach(
                       "shared", subnets=["private-a", "private-c"]),
                   _table(t, "app").route("10.2.0.0/16", transit_gateway="hub")),
        "vpc/app/transit_gateway_attachment/hub", "TransitGatewayAttachmentZoneMissing",
        "has no subnet in AZ ap-northeast-2c, so subnet private-c"),
    "attachment subnet missing": (
        lambda t: t.transit_gateway("hub").attach("app", subnets=["nope"]),
        "vpc/app/transit_gateway_attachment/hub", "InvalidSubnetID.NotFound", "subnet 'nope' does not exist"),
    "attached VPCs overlap": (
        lambda t: (setattr(_vpc(t, "shared"), "cidr", "10.1.0.0/16"),
                   t.transit_gateway("hub").attach("app", subnets=["private-a"]).attach(
                       "shared", subnets=["private-a"])),
        "transit_gateway/hub", "OverlappingCidrs", "which overlap"),
    "gateway endpoint of a service without one": (
        lambda t: _vpc(t, "app").gateway_endpoint("e", "sqs", route_tables=["private"]),
        "vpc/app/vpc_endpoint/e", "InvalidServiceName", "only s3 and dynamodb have gateway endpoints"),
    "endpoint of another region": (
        lambda t: _vpc(t, "app").gateway_endpoint("e", "com.amazonaws.us-east-1.s3", route_tables=["private"]),
        "vpc/app/vpc_endpoint/e", "InvalidServiceName", "not in the topology's region ap-northeast-2"),
    "interface endpoint of an unknown service": (
        lambda t: _vpc(t, "app").interface_endpoint("e", "no-such-service", subnets=["private-a"]),
        "vpc/app/vpc_endpoint/e", "InvalidServiceName", "has no interface endpoint in ap-northeast-2"),
    "endpoint route table missing": (
        lambda t: _vpc(t, "app").gateway_endpoint("e", "s3", route_tables=["nope"]),
        "vpc/app/vpc_endpoint/e", "InvalidRouteTableID.NotFound", "route table 'nope' does not exist"),
    "endpoint policy not JSON": (
        lambda t: _vpc(t, "app").gateway_endpoint("e", "s3", route_tables=["private"], policy="{nope"),
        "vpc/app/vpc_endpoint/e", "InvalidPolicyDocument", "policy is not JSON"),
    "endpoint policy too long": (
        lambda t: _vpc(t, "app").gateway_endpoint("e", "s3", route_tables=["private"], policy=json.dumps(
            {"Statement": [], "x": "y" * 21_000})),
        "vpc/app/vpc_endpoint/e", "InvalidPolicyDocument", "AWS allows 20,480"),
    "two S3 endpoints on one table": (
        lambda t: (_vpc(t, "app").gateway_endpoint("e", "s3", route_tables=["private"]),
                   _vpc(t, "app").gateway_endpoint("f", "s3", route_tables=["private"])),
        "vpc/app/route_table/private", "RouteAlreadyExists", "used by 2 gateway endpoints of s3"),
    "routes with endpoints past the quota": (
        lambda t: ([_table(t, "app").route(f"10.{i}.0.0/16", transit_gateway="hub") for i in range(100, 150)],
                   t.transit_gateway("hub").attach("app", subnets=["private-a", "private-c"]),
                   _vpc(t, "app").gateway_endpoint("e", "s3", route_tables=["private"])),
        "vpc/app/route_table/private", "RouteLimitExceeded", "has 50 routes and 1 routes of gateway endpoints"),
    "too many peerings": (
        lambda t: [t.peering(f"p{i}", requester="app", external=external_vpc(f"vpc-{i:08x}", f"172.{16 + i % 16}."
                                                                          f"{i}.0/24"))
                   for i in range(MAX_PEERINGS_PER_VPC + 1)],
        "vpc/app", "VpcPeeringConnectionLimitExceeded", "has 51 peering connections; AWS allows 50"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_problem(case: str) -> None:
    change, where, code, words = CASES[case]
    t = _two()
    change(t)
    found = [p for p in validate(t.build()) if p.code == code]
    assert found, [str(p) for p in validate(t.build())]
    assert found[0].address == where
    assert words in found[0].message


def test_all_problems_at_once() -> None:
    """A topology with several mistakes lists each of them, not the first only."""
    t = _two()
    t.peering("p", requester="app", accepter="nowhere")
    _table(t, "app").route("10.0.0.0/8", transit_gateway="hub")
    _vpc(t, "shared").gateway_endpoint("e", "sqs", route_tables=["private"])
    codes = {code for _, code in _codes(t)}
    assert {"InvalidVpcID.NotFound", "InvalidTransitGatewayID.NotFound", "InvalidServiceName"} <= codes


def test_check_says_it_in_one_line_each(tmp_path, cli) -> None:
    path = tmp_path / "bad.py"
    path.write_text(
        "from vpcdraw import TopologyBuilder\n"
        "t = TopologyBuilder('bad', region='ap-northeast-2')\n"
        "a = t.vpc('a', '10.0.0.0/16')\n"
        "a.route_table('r').route('10.1.0.0/16', vpc_peering_connection='p')\n"
        "t.vpc('b', '10.0.0.0/16')\n"
        "t.peering('p', requester='a', accepter='b')\n"
        "topology = t.build()\n", encoding="utf-8")
    result = cli("check", str(path))
    assert result.code == 1
    assert "vpc/a/vpc_peering_connection/p: VPC a (10.0.0.0/16) and VPC b (10.0.0.0/16) overlap" in result.err
    assert "Traceback" not in result.err

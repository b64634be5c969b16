"""Every validation rule, each with the address and the message a student would read."""

from __future__ import annotations

import dataclasses

import pytest

from vpcdraw.topology import Peer, anywhere, cidr, my_ip, sg, validate
from vpcdraw.topology.builder import TopologyBuilder, VpcBuilder


def _problems(topology):
    return [(p.address, p.message, p.code) for p in validate(topology)]


def test_the_examples_are_valid(assignment, service):
    assert validate(assignment) == []
    assert validate(service) == []


def test_the_small_topology_is_valid(small):
    t, _ = small()
    assert validate(t.build()) == []


def _open_ports(group, count):
    for port in range(1000, 1000 + count):
        group.ingress(f"tcp/{port}", anywhere)


def _add_routes(table, count):
    for i in range(1, count + 1):
        table.route(f"10.{i}.0.0/16", internet_gateway="igw")


CASES = {
    "vpc cidr syntax": (
        lambda t, v: setattr(v, "cidr", "10.0.0/16"),
        "vpc/main", "VPC CIDR '10.0.0/16' is not a valid IPv4 CIDR block", "InvalidParameterValue"),
    "vpc cidr not cidr form": (
        lambda t, v: setattr(v, "cidr", "10.0.0.0"),
        "vpc/main", "VPC CIDR '10.0.0.0' is not in CIDR form", "InvalidParameterValue"),
    "vpc host bits": (
        lambda t, v: setattr(v, "cidr", "10.0.0.1/16"),
        "vpc/main", "VPC CIDR '10.0.0.1/16' has host bits set; did you mean '10.0.0.0/16'?", "InvalidParameterValue"),
    "vpc too large": (
        lambda t, v: setattr(v, "cidr", "10.0.0.0/8"),
        "vpc/main", "VPC CIDR '10.0.0.0/8' is a /8; AWS allows /16 to /28", "InvalidVpc.Range"),
    "subnet host bits": (
        lambda t, v: v.subnet("extra", "10.0.5.1/24", az="a", tier="private"),
        "vpc/main/subnet/extra", "subnet CIDR '10.0.5.1/24' has host bits set; did you mean '10.0.5.0/24'?",
        "InvalidParameterValue"),
    "subnet too small": (
        lambda t, v: v.subnet("extra", "10.0.5.0/29", az="a", tier="private"),
        "vpc/main/subnet/extra", "subnet CIDR '10.0.5.0/29' is a /29; AWS allows /16 to /28", "InvalidSubnet.Range"),
    "subnet outside vpc": (
        lambda t, v: v.subnet("extra", "10.1.0.0/24", az="a", tier="private"),
        "vpc/main/subnet/extra", "subnet CIDR '10.1.0.0/24' is not inside the VPC's 10.0.0.0/16",
        "InvalidSubnet.Range"),
    "subnet overlap": (
        lambda t, v: v.subnet("extra", "10.0.0.0/25", az="a", tier="private"),
        "vpc/main/subnet/extra", "subnet CIDR '10.0.0.0/25' overlaps subnet public-a (10.0.0.0/24)",
        "InvalidSubnet.Conflict"),
    "zone not in region": (
        lambda t, v: v.subnet("extra", "10.0.5.0/24", az="e", tier="private"),
        "vpc/main/subnet/extra", "availability zone 'e' is not in ap-northeast-2 (zones: a, b, c, d)",
        "InvalidParameterValue"),
    "full zone name of another region": (
        lambda t, v: v.subnet("extra", "10.0.5.0/24", az="us-east-1a", tier="private"),
        "vpc/main/subnet/extra", "availability zone 'us-east-1a' is not in ap-northeast-2", "InvalidParameterValue"),
    "unknown region": (
        lambda t, v: setattr(t, "region", "ap-northeast-9"),
        "topology", "region 'ap-northeast-9' is not an AWS region vpcdraw knows", "InvalidRegion"),
    "duplicate subnet name": (
        lambda t, v: v.subnet("public-a", "10.0.9.0/24", az="a", tier="public"),
        "vpc/main/subnet/public-a", "subnet name 'public-a' is used 2 times", "DuplicateName"),
    "name not address-safe": (
        lambda t, v: v.subnet("public a/1", "10.0.9.0/24", az="a", tier="private"),
        "vpc/main/subnet/public a/1", "name 'public a/1' may use only letters, digits", "InvalidName"),
    "route target igw missing": (
        lambda t, v: v.route_table("more").route("10.9.0.0/16", internet_gateway="gw-x"),
        "vpc/main/route_table/more", "route 10.9.0.0/16 goes to internet gateway 'gw-x', which does not exist",
        "InvalidGatewayID.NotFound"),
    "route target nat missing": (
        lambda t, v: v.route_table("more").route("0.0.0.0/0", nat_gateway="nat-z"),
        "vpc/main/route_table/more", "route 0.0.0.0/0 goes to NAT gateway 'nat-z', which does not exist",
        "InvalidNatGatewayID.NotFound"),
    "route to detached igw": (
        lambda t, v: v.internet_gateway("igw", attached=False),
        "vpc/main/route_table/public", "goes to internet gateway 'igw', which is not attached to the VPC",
        "Gateway.NotAttached"),
    "route destination bad": (
        lambda t, v: v.route_table("more").route("0.0.0.0/33", internet_gateway="igw"),
        "vpc/main/route_table/more", "route destination '0.0.0.0/33' is not a valid IPv4 CIDR block",
        "InvalidParameterValue"),
    "route table subnet missing": (
        lambda t, v: v.route_table("more", subnets=["nowhere"]),
        "vpc/main/route_table/more", "associates subnet 'nowhere', which does not exist", "InvalidSubnetID.NotFound"),
    "subnet in two tables": (
        lambda t, v: v.route_table("more", subnets=["private-a"]),
        "vpc/main/subnet/private-a", "is associated with 2 route tables", "Resource.AlreadyAssociated"),
    "duplicate route": (
        lambda t, v: v.route_table("more").route("0.0.0.0/0", internet_gateway="igw").route(
            "0.0.0.0/0", internet_gateway="igw"),
        "vpc/main/route_table/more", "routes destination '0.0.0.0/0' 2 times", "RouteAlreadyExists"),
    "public subnet without igw route": (
        lambda t, v: v.subnet("public-b", "10.0.7.0/24", az="b", tier="public"),
        "vpc/main/subnet/public-b",
        "is in the public tier but the main route table (local route only) sends no 0.0.0.0/0 to an internet gateway",
        "PublicSubnetWithoutInternetRoute"),
    "private subnet with igw route": (
        lambda t, v: v._route_tables[1].route("0.0.0.0/0", internet_gateway="igw"),
        "vpc/main/subnet/private-a",
        "is in the private tier but route table 'private' routes 0.0.0.0/0 to internet gateway 'igw'",
        "PrivateSubnetWithInternetRoute"),
    "nat in private subnet": (
        lambda t, v: v.nat_gateway("nat-a", subnet="private-a"),
        "vpc/main/nat_gateway/nat-a", "sits in subnet 'private-a', whose route table sends no 0.0.0.0/0",
        "NatGatewayNotPublic"),
    "nat subnet missing": (
        lambda t, v: v.nat_gateway("nat-a", subnet="gone"),
        "vpc/main/nat_gateway/nat-a", "subnet 'gone' does not exist", "InvalidSubnetID.NotFound"),
    "port above range": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/70000", anywhere),
        "vpc/main/security_group/db", "ingress rule tcp/70000 from 0.0.0.0/0: port 70000 is outside 0-65535",
        "InvalidParameterValue"),
    "port range reversed": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/3307-3306", anywhere),
        "vpc/main/security_group/db", "from port 3307 is above to port 3306", "InvalidParameterValue"),
    "icmp type out of range": (
        lambda t, v: v.security_group("db", "databases").ingress("icmp/300", anywhere),
        "vpc/main/security_group/db", "ICMP type and code must be -1 to 255, not 300", "InvalidParameterValue"),
    "sg name unicode": (
        lambda t, v: v.security_group("웹", "web"),
        "vpc/main/security_group/웹", "security group name '웹' has characters AWS does not accept (웹)",
        "InvalidParameterValue"),
    "sg name starting with sg-": (
        lambda t, v: v.security_group("sg-web", "web"),
        "vpc/main/security_group/sg-web", "security group name 'sg-web' may not start with 'sg-'",
        "InvalidParameterValue"),
    "sg description unicode": (
        lambda t, v: v.security_group("db", "내부망 DB"),
        "vpc/main/security_group/db", "description '내부망 DB' has characters AWS does not accept",
        "InvalidParameterValue"),
    "sg description empty": (
        lambda t, v: v.security_group("db", ""),
        "vpc/main/security_group/db", "description is empty; AWS requires one", "MissingParameter"),
    "sg description too long": (
        lambda t, v: v.security_group("db", "x" * 256),
        "vpc/main/security_group/db", "description is 256 characters long; AWS allows 255", "InvalidParameterValue"),
    "rule description charset": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/3306", sg("web"), "DB 접속"),
        "vpc/main/security_group/db", "description 'DB 접속' has characters AWS does not accept",
        "InvalidParameterValue"),
    "rule sg missing": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/3306", sg("app")),
        "vpc/main/security_group/db", "ingress rule tcp/3306 from SG app: security group 'app' does not exist",
        "InvalidGroup.NotFound"),
    "rule subnet missing": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/3306", Peer("subnet", "app-a")),
        "vpc/main/security_group/db", "subnet 'app-a' does not exist", "InvalidSubnetID.NotFound"),
    "rule cidr bad": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/3306", Peer("cidr", "10.0.0.0/40")),
        "vpc/main/security_group/db", "CIDR '10.0.0.0/40' is not a valid IPv4 CIDR block", "InvalidParameterValue"),
    "duplicate rule": (
        lambda t, v: v.security_group("db", "databases").ingress("tcp/22", my_ip).ingress("22", my_ip),
        "vpc/main/security_group/db", "ingress rule tcp/22 with my IP is given 2 times", "InvalidPermission.Duplicate"),
    "sg subnet missing": (
        lambda t, v: v.security_group("db", "databases", subnets=["data-a"]),
        "vpc/main/security_group/db", "subnet 'data-a' does not exist", "InvalidSubnetID.NotFound"),
    "too many rules": (
        lambda t, v: _open_ports(v.security_group("db", "databases"), 61),
        "vpc/main/security_group/db", "has 61 ingress rules; AWS allows 60 per direction",
        "RulesPerSecurityGroupLimitExceeded"),
    "too many routes": (
        lambda t, v: _add_routes(v._route_tables[0], 50),
        "vpc/main/route_table/public", "has 51 routes; AWS allows 50 per table", "RouteLimitExceeded"),
    "too many subnets": (
        lambda t, v: [v.subnet(f"s{i}", f"10.0.{i}.0/28", az="a", tier="management") for i in range(2, 201)],
        "vpc/main", "has 201 subnets; AWS allows 200 per VPC", "SubnetLimitExceeded"),
    "instance subnet missing": (
        lambda t, v: v.instance("web-1", subnet="nowhere", security_groups=["web"]),
        "vpc/main/instance/web-1", "subnet 'nowhere' does not exist", "InvalidSubnetID.NotFound"),
    "instance sg missing": (
        lambda t, v: v.instance("web-1", subnet="public-a", security_groups=["ghost"]),
        "vpc/main/instance/web-1", "security group 'ghost' does not exist", "InvalidGroup.NotFound"),
    "instance too many sgs": (
        lambda t, v: [v.security_group(f"g{i}", "group") for i in range(6)]
        and v.instance("web-1", subnet="public-a", security_groups=[f"g{i}" for i in range(6)]),
        "vpc/main/instance/web-1", "has 6 security groups; AWS allows 5 per network interface",
        "SecurityGroupsPerInterfaceLimitExceeded"),
    "nacl rule number": (
        lambda t, v: v.network_acl("edge", subnets=["public-a"]).inbound(40000, "tcp/80", "0.0.0.0/0"),
        "vpc/main/network_acl/edge", "inbound entry 40000: rule number must be 1 to 32766", "InvalidParameterValue"),
    "nacl duplicate number": (
        lambda t, v: v.network_acl("edge").inbound(100, "tcp/80", "0.0.0.0/0").inbound(100, "tcp/443", "0.0.0.0/0"),
        "vpc/main/network_acl/edge", "rule number 100 is used 2 times inbound", "NetworkAclEntryAlreadyExists"),
    "subnet in two network acls": (
        lambda t, v: [v.network_acl(n, subnets=["public-a"]) for n in ("edge", "edge2")],
        "vpc/main/subnet/public-a", "is associated with 2 network ACLs", "Resource.AlreadyAssociated"),
    "no vpc": (
        lambda t, v: t._vpcs.clear(),
        "topology", "has no VPC", "MissingParameter"),
    "vpc cidr prefix with a leading zero": (
        lambda t, v: setattr(v, "cidr", "10.0.0.0/016"),
        "vpc/main", "VPC CIDR '10.0.0.0/016' is not written as AWS writes a CIDR block", "InvalidParameterValue"),
    "subnet cidr with a netmask": (
        lambda t, v: v.subnet("m", "10.0.5.0/255.255.255.0", az="a", tier="management"),
        "vpc/main/subnet/m", "did you mean '10.0.5.0/24'?", "InvalidParameterValue"),
    "rule peer 0.0.0.0/00": (
        lambda t, v: v.security_group("ssh", "ssh").ingress("tcp/22", cidr("0.0.0.0/00"), "admins"),
        "vpc/main/security_group/ssh", "ingress rule tcp/22 from 0.0.0.0/00: CIDR '0.0.0.0/00' is not written as AWS "
        "writes a CIDR block (no leading zeros, no spaces, a prefix length); did you mean '0.0.0.0/0'?",
        "InvalidParameterValue"),
    "nacl entry cidr with spaces": (
        lambda t, v: v.network_acl("edge").inbound(100, "tcp/80", "10.0.0.0 /16"),
        "vpc/main/network_acl/edge", "CIDR '10.0.0.0 /16' is not written", "InvalidParameterValue"),
    "route destination with a leading zero": (
        lambda t, v: v._route_tables[0].route("0.0.0.0/00", nat_gateway="nat"),
        "vpc/main/route_table/public", "route destination '0.0.0.0/00' is not written", "InvalidParameterValue"),
    "name with a trailing newline": (
        lambda t, v: v.route_table("extra\n"),
        "vpc/main/route_table/extra\n", "name 'extra\n' may use only", "InvalidName"),
    "label a tag cannot hold": (
        lambda t, v: v.internet_gateway("igw", label="gate\udcff"),
        "vpc/main/internet_gateway/igw", "label 'gate\\udcff' has characters a Name tag cannot hold",
        "InvalidParameterValue"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_names_the_address_and_the_value(small, case):
    change, where, message, code = CASES[case]
    t, vpc = small()
    change(t, vpc)
    problems = _problems(t.build())
    matching = [p for p in problems if p[0] == where and message in p[1]]
    assert matching, f"expected {where}: {message}; got {problems}"
    assert matching[0][2] == code


def test_every_problem_is_reported_at_once(small):
    t, vpc = small()
    vpc.cidr = "10.0.0.1/16"
    vpc.subnet("bad-zone", "10.0.8.0/24", az="z", tier="private")
    vpc.security_group("sg-bad", "ok").ingress("tcp/99999", sg("nobody"))
    codes = sorted(p.code for p in validate(t.build()))
    assert codes == sorted([
        "InvalidParameterValue",  # host bits
        "InvalidParameterValue",  # zone
        "InvalidParameterValue",  # sg- prefix
        "InvalidParameterValue",  # port
        "InvalidGroup.NotFound",
    ])


def test_wrong_types_from_python_files_are_problems_not_crashes(small):
    t, _ = small()
    built = t.build()
    broken_subnet = dataclasses.replace(built.vpcs[0].subnets[0], cidr=24)  # type: ignore[arg-type]
    broken = dataclasses.replace(
        built, vpcs=(dataclasses.replace(built.vpcs[0], subnets=(broken_subnet, "private-a")),)  # type: ignore[arg-type]
    )
    problems = [(p.address, p.message) for p in validate(broken)]
    assert ("topology.vpcs[0].subnets[0].cidr", "must be a string, not the number 24") in problems
    assert ("topology.vpcs[0].subnets[1]", "must be an object, not a string") in problems


def test_a_vpc_builder_is_the_users_own_object():
    assert isinstance(TopologyBuilder("x", region="ap-northeast-2").vpc("main", "10.0.0.0/16"), VpcBuilder)

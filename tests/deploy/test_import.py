"""Import: live VPCs (hand-built, vpcdraw-built, CloudFormation-built) into topology files that check and diff clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.test_diff import build_by_hand
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.diff import drift
from vpcdraw.deploy.translate import read_vpc
from vpcdraw.deploy.workflow import plan
from vpcdraw.topology import load, validate
from vpcdraw.topology.source import to_python

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aws-vpc-wizard-public-private-nat.yaml"


def _round_trip(ec2, vpc_id, tmp_path):
    reading = read_vpc(ec2, vpc_id)
    topology, warnings = reading.topology, list(reading.warnings)
    path = tmp_path / "imported.py"
    path.write_text(to_python(topology), encoding="utf-8")
    loaded = load(path)
    assert loaded == topology
    assert [p for p in validate(loaded) if p.severity == "error"] == []
    found = drift(ec2, loaded, None, vpc_id)
    return loaded, found, warnings


def test_import_of_a_hand_built_assignment_checks_and_diffs_in_sync(connect, boto, tmp_path):
    vpc_id = build_by_hand(boto)
    topology, found, _ = _round_trip(connect(), vpc_id, tmp_path)
    assert found.in_sync, found.to_json()
    vpc = topology.vpcs[0]
    assert {s.name: s.tier for s in vpc.subnets} == {
        "my-public-a": "public", "my-public-c": "public", "my-private-a": "private", "my-private-c": "private",
        "my-management": "management"}  # every name says its tier; the management one reaches the IGW too
    assert sorted(g.name for g in vpc.security_groups) == ["bastion-sg", "db-sg", "web-sg"]


@pytest.mark.parametrize("example", ["assignment", "service"])
def test_import_round_trip_of_what_vpcdraw_deployed(connect, tmp_path, example, request):
    topology = request.getfixturevalue(example)
    ec2 = connect()
    made, _wanted, live = plan(ec2, topology, "203.0.113.10")
    apply(ec2, made, poll=0.01)
    vpc_id = live.ids.get("vpc/main") or ec2.paginate("DescribeVpcs", "Vpcs", Filters=[
        {"Name": "tag:vpcdraw:topology", "Values": [topology.name]}])[0]["VpcId"]
    imported, found, _ = _round_trip(ec2, vpc_id, tmp_path)
    assert found.in_sync, found.to_json()
    assert len(imported.vpcs[0].subnets) == 5
    assert len(imported.vpcs[0].instances) == (5 if example == "service" else 0)


def test_import_of_a_cloudformation_built_vpc(connect, endpoint, tmp_path):
    import boto3

    if not FIXTURE.exists():
        pytest.skip("the shared fixtures are not beside this checkout")
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=endpoint)
    cloudformation.create_stack(StackName="wizard", TemplateBody=FIXTURE.read_text(encoding="utf-8"))
    ec2 = connect("us-east-1")
    vpcs = [v for v in ec2.paginate("DescribeVpcs", "Vpcs") if not v.get("IsDefault")]
    assert len(vpcs) == 1
    topology, found, _ = _round_trip(ec2, None, tmp_path)
    assert found.in_sync, found.to_json()
    vpc = topology.vpcs[0]
    assert vpc.cidr == "10.0.0.0/16"
    assert sorted(s.cidr for s in vpc.subnets) == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
    assert len(vpc.nat_gateways) == 2 and vpc.internet_gateway is not None


def test_import_without_a_vpc_id_lists_the_choices(connect, boto):
    build_by_hand(boto)
    build_by_hand(boto)
    with pytest.raises(Exception, match="has 2 VPCs; choose one with --vpc-id"):
        read_vpc(connect(), None)


def test_a_locked_default_group_is_imported_locked_and_diffs_in_sync(connect, small, tmp_path):
    t, vpc = small()
    vpc.lock_default_security_group()
    topology = t.build()
    ec2 = connect()
    made, _wanted, _live = plan(ec2, topology, "203.0.113.10")
    apply(ec2, made, poll=0.01)
    vpc_id = ec2.paginate("DescribeVpcs", "Vpcs", Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["small"]}])
    imported, found, _ = _round_trip(ec2, vpc_id[0]["VpcId"], tmp_path)
    assert imported.vpcs[0].lock_default_security_group
    assert imported.name == "small" and imported.vpcs[0].name == "main"  # a vpcdraw-built VPC keeps its names
    assert found.in_sync, found.to_json()
    assert drift(ec2, topology, None, None).in_sync  # and the drawing it was built from agrees


def test_icmp_types_and_codes_survive_the_round_trip(connect, boto, tmp_path):
    """ICMP 3/4 ("fragmentation needed", what path MTU discovery needs) is a type and a code, in a group rule
    and a network ACL entry alike: import keeps both, and the imported file is in sync with the account."""
    from vpcdraw.deploy.describe import describe_inside, tolerant
    from vpcdraw.deploy.diff import diff
    from vpcdraw.deploy.translate import translate

    vpc_id = boto.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = boto.create_subnet(VpcId=vpc_id, CidrBlock="10.40.0.0/24", AvailabilityZone="ap-northeast-2a")
    group = boto.create_security_group(GroupName="pmtu", Description="path MTU", VpcId=vpc_id)["GroupId"]
    boto.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    acl = boto.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    boto.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="1", RuleAction="allow", Egress=False,
                                  CidrBlock="0.0.0.0/0", IcmpTypeCode={"Type": 3, "Code": 4})
    associations = boto.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                                        "Values": [subnet["Subnet"]["SubnetId"]]}])
    boto.replace_network_acl_association(
        AssociationId=associations["NetworkAcls"][0]["Associations"][0]["NetworkAclAssociationId"], NetworkAclId=acl)
    topology, found, _ = _round_trip(connect(), vpc_id, tmp_path)
    assert found.in_sync, found.to_json()
    (rule,) = topology.vpcs[0].security_groups[0].ingress
    assert rule.port_text == "icmp/3:4"

    # AWS's DescribeNetworkAcls returns each ICMP entry's IcmpTypeCode (API reference, NetworkAclEntry:
    # "IcmpTypeCode - ICMP protocol: The ICMP type and code"); moto 5.2 leaves it out, so it is put back here.
    ec2 = connect()
    vpcs = boto.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    described, rules = describe_inside(tolerant(ec2, set()), [vpc_id], set())
    for entry in (e for a in described["acls"] for e in a["Entries"] if e["RuleNumber"] == 100):
        entry["IcmpTypeCode"] = {"Type": 3, "Code": 4}
    reading = translate(ec2.region, vpcs, described, rules, set())
    (entry,) = [e for e in reading.topology.vpcs[0].network_acls[0].entries if e.rule_number == 100]
    assert (entry.protocol, entry.from_port, entry.to_port) == ("icmp", 3, 4)
    path = tmp_path / "with-codes.py"
    path.write_text(to_python(reading.topology), encoding="utf-8")
    assert diff(load(path), reading).in_sync


def test_a_table_routing_two_halves_to_the_gateway_makes_its_subnets_public(connect, boto, tmp_path):
    """0.0.0.0/1 and 128.0.0.0/1 to the internet gateway send everything there, as one 0.0.0.0/0 route would;
    before, the reader compared the text '0.0.0.0/0' and read such subnets (named neutrally) as private."""
    vpc = boto.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    gateway = boto.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    boto.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    halves = boto.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    local_only = boto.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]  # the local route only
    for destination in ("0.0.0.0/1", "128.0.0.0/1"):
        boto.create_route(RouteTableId=halves, DestinationCidrBlock=destination, GatewayId=gateway)
    for name, block, table in (("alpha", "10.7.0.0/24", halves), ("beta", "10.7.1.0/24", local_only)):
        subnet = boto.create_subnet(VpcId=vpc, CidrBlock=block, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}])["Subnet"]["SubnetId"]
        boto.associate_route_table(RouteTableId=table, SubnetId=subnet)
    topology, found, _ = _round_trip(connect(), vpc, tmp_path)
    assert found.in_sync, found.to_json()
    assert {s.name: s.tier for s in topology.vpcs[0].subnets} == {"alpha": "public", "beta": "private"}

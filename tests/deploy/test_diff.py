"""Diff against VPCs built with plain boto3 calls, as a student clicks them in the console: no vpcdraw tags."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from vpcdraw.deploy.diff import drift

from ..drawio_cells import cells_by_id

ZONES = {"public-a": ("172.16.0.0/24", "a"), "public-c": ("172.16.1.0/24", "c"), "private-a": ("172.16.2.0/24", "a"),
         "private-c": ("172.16.3.0/24", "c"), "management": ("172.16.4.0/24", "a")}


def build_by_hand(boto, *, zone_of=None, skip_3306=False, open_ssh=False, private_on_public_table=False,
                  bastion_cidr="198.51.100.77/32", db_from_cidrs=()):
    """The assignment as a student builds it, their own names everywhere, with optional mistakes."""
    zone_of = zone_of or {}
    vpc = boto.create_vpc(CidrBlock="172.16.0.0/16",
                          TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "week1"}]}])
    vpc_id = vpc["Vpc"]["VpcId"]
    subnets = {}
    for name, (cidr, zone) in ZONES.items():
        subnets[name] = boto.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone="ap-northeast-2" + zone_of.get(name, zone),
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"my {name}"}]}],
        )["Subnet"]["SubnetId"]
    igw = boto.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    boto.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    public = boto.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    boto.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private = boto.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for name in ("public-a", "public-c", "management"):
        boto.associate_route_table(RouteTableId=public, SubnetId=subnets[name])
    boto.associate_route_table(RouteTableId=public if private_on_public_table else private,
                               SubnetId=subnets["private-a"])
    boto.associate_route_table(RouteTableId=private, SubnetId=subnets["private-c"])
    groups = {name: boto.create_security_group(GroupName=f"{name}-sg", Description="made by hand",
                                               VpcId=vpc_id)["GroupId"] for name in ("web", "db", "bastion")}

    def allow(group, port, cidr=None, source=None):
        peer = {"IpRanges": [{"CidrIp": cidr}]} if cidr else {"UserIdGroupPairs": [{"GroupId": groups[source]}]}
        boto.authorize_security_group_ingress(GroupId=groups[group], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **peer}])

    allow("web", 8080, cidr="0.0.0.0/0")
    allow("web", 22, source="bastion")
    for block in db_from_cidrs:
        allow("db", 3306, cidr=block)
    if not skip_3306 and not db_from_cidrs:
        allow("db", 3306, source="web")
    allow("db", 22, source="bastion")
    allow("bastion", 22, cidr=bastion_cidr)
    if open_ssh:
        allow("db", 22, cidr="0.0.0.0/0")
    return vpc_id


def test_a_console_built_assignment_is_in_sync(connect, boto, assignment):
    vpc_id = build_by_hand(boto)
    found = drift(connect(), assignment, None, vpc_id)
    assert found.to_json() | {"notes": []} == {"in_sync": True, "missing": [], "unmanaged": [], "changed": [],
                                               "left_out": [], "not_checked": [], "notes": []}
    assert found.notes == ["my IP is 198.51.100.77/32 in the account"]


def test_the_vpc_is_found_by_cidr_without_an_id(connect, boto, assignment):
    build_by_hand(boto)
    assert drift(connect(), assignment, "198.51.100.77", None).in_sync


def test_deviations_are_reported_exactly(connect, boto, assignment):
    vpc_id = build_by_hand(boto, zone_of={"public-c": "b"}, skip_3306=True, open_ssh=True,
                           private_on_public_table=True)
    found = drift(connect(), assignment, "198.51.100.77", vpc_id)
    report = found.to_json()
    assert report["in_sync"] is False
    assert [(i["kind"], i["detail"]) for i in report["missing"]] == [
        ("security_group_rule", "tcp/3306 from SG public on SG private")]
    assert [(i["kind"], i["detail"]) for i in report["unmanaged"]] == [
        ("security_group_rule", "tcp/22 from 0.0.0.0/0 on SG private")]
    assert sorted((i["kind"], i["attribute"], i["expected"], i["actual"]) for i in report["changed"]) == [
        ("route_table_association", "route_table", "private", "public"),
        ("subnet", "az", "ap-northeast-2c", "ap-northeast-2b"),
    ]
    # an unmanaged rule is named by its group's id, direction and key: what finds it in the console
    assert re.fullmatch(r"sg-[0-9a-f]+ ingress tcp/22/0\.0\.0\.0/0", report["unmanaged"][0]["address"])


def test_several_vpcs_with_the_cidr_are_listed(connect, boto, assignment):
    build_by_hand(boto)
    boto.create_vpc(CidrBlock="172.16.0.0/16")
    with pytest.raises(Exception, match=r"2 VPCs in ap-northeast-2 have the CIDR 172\.16\.0\.0/16: vpc-"):
        drift(connect(), assignment, None, None)


def test_diff_cli_json_exit_codes_and_drawing(cli, endpoint, monkeypatch, boto, example_file, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    vpc_id = build_by_hand(boto, skip_3306=True, open_ssh=True)
    source = example_file("assignment")
    result = cli("diff", source, "--vpc-id", vpc_id, "--json", "-o", tmp_path / "drift.svg")
    assert result.code == 2
    document = json.loads(result.out)
    assert set(document) >= {"in_sync", "missing", "unmanaged", "changed", "not_checked"}
    svg = (tmp_path / "drift.svg").read_text(encoding="utf-8")
    assert "MISSING tcp/3306" in svg and "UNMANAGED tcp/22" in svg
    human = cli("diff", source, "--vpc-id", vpc_id)
    assert human.code == 2
    assert "  security group private:\n    - missing tcp/3306 from SG public (" in human.out
    unmanaged = r"    \+ unmanaged tcp/22 from 0\.0\.0\.0/0 \(sg-[0-9a-f]+ ingress tcp/22/0\.0\.0\.0/0\)"
    assert re.search(unmanaged, human.out)
    assert cli("diff", source, "--vpc-id", "vpc-00000000").code == 1
    drawn = cli("diff", source, "--vpc-id", vpc_id, "-o", tmp_path / "drift.drawio")  # editable, marks and all
    assert drawn.code == 2, drawn.err
    cells = cells_by_id(ET.parse(tmp_path / "drift.drawio").getroot())
    labels = [str(c.get("value")) for c in cells.values()]
    assert any(label.startswith("MISSING tcp/3306") for label in labels), labels
    assert any(label.startswith("UNMANAGED tcp/22") for label in labels)
    assert "vpc/main/subnet/public-a" in cells


def test_a_vpc_deployed_by_vpcdraw_is_found_by_its_tags_and_in_sync(connect, boto, assignment):
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.workflow import plan

    ec2 = connect()
    boto.create_vpc(CidrBlock="172.16.0.0/16")  # same CIDR, not ours: the tags decide
    made, _wanted, _live = plan(ec2, assignment, "203.0.113.10")
    apply(ec2, made, poll=0.01)
    found = drift(ec2, assignment, "203.0.113.10", None)
    assert found.in_sync, found.to_json()

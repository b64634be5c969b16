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

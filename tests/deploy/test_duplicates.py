"""No invisible duplicates: several resources with one topology's tags for one address are reported and removed.

Two applies of one topology at once (CI and a laptop, each with its own state directory) are made here
as two plans made before either apply runs: both create everything.
"""

from __future__ import annotations

from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.workflow import plan

MY_IP = "203.0.113.10"


def _two_copies(ec2, topology):
    first = plan(ec2, topology, MY_IP)[0]
    second = plan(ec2, topology, MY_IP)[0]
    apply(ec2, first, poll=0.01)
    apply(ec2, second, poll=0.01)


def _vpcs(boto):
    return sorted(v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault"))


def test_two_copies_of_the_vpc_block_the_plan_and_destroy_removes_both(connect, boto, cli, aws_env, assignment,
                                                                        example_file, monkeypatch):
    ec2 = connect()
    _two_copies(ec2, assignment)
    copies = _vpcs(boto)
    assert len(copies) == 2
    made, _wanted, live = plan(ec2, assignment, MY_IP)  # before: a crash (zip), or "no changes"
    assert live.duplicates == {"vpc/main": copies}
    assert made.problem is not None and all(c in made.problem for c in copies)
    assert "2 VPCs carry the tags of vpc/main" in made.problem and "destroy removes every copy" in made.problem
    monkeypatch.setenv("VPCDRAW_MY_IP", MY_IP)
    source = example_file("assignment")
    refused = cli("plan", source)
    assert refused.code == 1 and "2 VPCs carry the tags of vpc/main" in refused.err
    destroyed = cli("destroy", source)
    assert destroyed.code == 0, destroyed.err
    assert "Destroyed 40 resources." in destroyed.out
    assert _vpcs(boto) == []


def test_a_resource_made_twice_in_one_vpc_is_reported_and_the_extra_copy_deleted(connect, boto, assignment):
    ec2 = connect()
    apply(ec2, plan(ec2, assignment, MY_IP)[0], poll=0.01)
    ids = plan(ec2, assignment, MY_IP)[2].ids
    copy = boto.create_route_table(VpcId=ids["vpc/main"], TagSpecifications=[{"ResourceType": "route-table", "Tags": [
        {"Key": "Name", "Value": "private"}, {"Key": "vpcdraw:topology", "Value": "assignment"},
        {"Key": "vpcdraw:address", "Value": "vpc/main/route_table/private"}]}])["RouteTable"]["RouteTableId"]
    made, _wanted, live = plan(ec2, assignment, MY_IP)
    assert sorted(live.duplicates["vpc/main/route_table/private"]) == sorted(
        [ids["vpc/main/route_table/private"], copy])
    assert any("2 resources carry the tags of vpc/main/route_table/private" in n for n in made.notes)
    assert [(a.op, made.ids.get(a.address)) for a in made.actions] == [("delete", copy)]
    apply(ec2, made, poll=0.01)
    assert plan(ec2, assignment, MY_IP)[0].actions == []
    tables = boto.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [ids["vpc/main"]]}])["RouteTables"]
    assert ids["vpc/main/route_table/private"] in {t["RouteTableId"] for t in tables}

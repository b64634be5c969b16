"""Ownership means this topology's tag, exactly: look-alike tags and untagged look-alikes are never changed.

The foreign resources are made with plain boto3 calls, as another person or tool makes them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.deploy.test_adopt import snapshot
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.workflow import destroy_plan, plan

MY_IP = "203.0.113.10"
LOOK_ALIKE_TAGS = ["assignment-old", "Assignment", "assign", "assignment-2", "assignment ", "assignment\n",
                   " assignment", "ASSIGNMENT", "assignment\t"]


def _tag(boto, resource: str, topology: str, address: str, name: str) -> None:
    boto.create_tags(Resources=[resource], Tags=[{"Key": "vpcdraw:topology", "Value": topology},
                                                 {"Key": "vpcdraw:address", "Value": address},
                                                 {"Key": "Name", "Value": name}])


@pytest.mark.parametrize("address", ["vpc/main/subnet/public-a", "vpc/main/subnet/extra"])
def test_a_look_alike_topology_tag_is_never_ours(connect, boto, assignment, address):
    ec2 = connect()
    made, _wanted, live = plan(ec2, assignment, MY_IP)
    apply(ec2, made, poll=0.01)
    vpc_id = plan(ec2, assignment, MY_IP)[2].ids["vpc/main"]
    theirs = {}
    for n, tag in enumerate(LOOK_ALIKE_TAGS):
        subnet = boto.create_subnet(VpcId=vpc_id, CidrBlock=f"172.16.{100 + n}.0/24")["Subnet"]["SubnetId"]
        _tag(boto, subnet, tag, address, f"theirs {n}")
        theirs[subnet] = tag
    again, _wanted, live = plan(ec2, assignment, MY_IP)
    assert again.actions == []  # nothing of theirs is deleted, adopted or changed
    assert set(theirs) <= {aws_id for _kind, aws_id, _what in live.foreign}
    assert not set(theirs) & set(live.ids.values())
    gone, _live = destroy_plan(ec2, assignment)
    assert not set(theirs) & {gone.ids.get(a.address) for a in gone.actions}
    from vpcdraw.deploy.families import TAGGABLE

    deleted = {a.address for a in gone.actions}
    assert deleted <= {a.address for a in made.actions}  # only what apply made: rules go with their groups
    # all of ours but the VPC, which AWS will not delete while their subnets are in it: destroy says so
    assert {a.address for a in made.actions if a.kind in TAGGABLE} - deleted == {"vpc/main"}
    (kept,) = gone.kept
    assert all(subnet in kept for subnet in theirs)
    left = boto.describe_subnets(SubnetIds=list(theirs))["Subnets"]
    assert {s["SubnetId"]: {t["Key"]: t["Value"] for t in s["Tags"]}["vpcdraw:topology"] for s in left} == theirs


def test_untagged_look_alikes_after_a_stopped_apply_are_left_alone_and_ours_are_made(connect, boto, service):
    ec2 = connect()
    made, _wanted, _live = plan(ec2, service, MY_IP)
    first = [a for a in made.actions if a.kind in ("vpc", "subnet", "internet_gateway", "security_group")
             and not a.address.endswith(("/management", "/private"))]
    apply(ec2, replace(made, actions=first), poll=0.01)  # the apply stopped here
    ids = plan(ec2, service, MY_IP)[2].ids
    vpc_id = ids["vpc/main"]
    group = boto.create_security_group(GroupName="bastion-theirs", Description="theirs", VpcId=vpc_id)["GroupId"]
    boto.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": f"{MY_IP}/32"}]},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    table = boto.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    boto.create_tags(Resources=[table], Tags=[{"Key": "Name", "Value": "private"}])
    image = boto.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = boto.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  SubnetId=ids["vpc/main/subnet/private-a"], SecurityGroupIds=[group],
                                  TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                      {"Key": "Name", "Value": "db-a"}]}])["Instances"][0]["InstanceId"]
    before = snapshot(boto, vpc_id)
    mine, _wanted, _live = plan(ec2, service, MY_IP)
    touched = {mine.ids.get(a.address) for a in mine.actions} | {a.aws_id for a in mine.actions}
    assert not {group, table, instance} & touched
    creates = {a.address for a in mine.actions if a.op == "create"}
    assert {"vpc/main/security_group/management", "vpc/main/route_table/private", "vpc/main/instance/db-a"} <= creates
    apply(ec2, mine, poll=0.01)
    after = snapshot(boto, vpc_id)
    for kind, key, aws_id in (("groups", "GroupId", group), ("tables", "RouteTableId", table)):
        (was,) = [x for x in before[kind] if x[key] == aws_id]
        (now,) = [x for x in after[kind] if x[key] == aws_id]
        assert now == was, f"{aws_id} was changed"
    (theirs,) = [i for r in after["instances"] for i in r["Instances"] if i["InstanceId"] == instance]
    assert [g["GroupId"] for g in theirs["SecurityGroups"]] == [group]
    assert plan(ec2, service, MY_IP)[0].actions == []

"""Reading the account: pages followed, one call per kind, and the kinds the credentials may not read."""

from __future__ import annotations

from botocore.stub import Stubber

from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.live import read
from vpcdraw.deploy.workflow import desired, plan


def test_paginate_follows_next_token_across_pages():
    ec2 = Ec2("ap-northeast-2", endpoint="http://127.0.0.1:9")  # the stubber answers; nothing is sent
    subnet = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24",
              "AvailabilityZone": "ap-northeast-2a"}
    with Stubber(ec2.client) as stub:
        stub.add_response("describe_subnets", {"Subnets": [subnet], "NextToken": "page-2"},
                          {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]})
        stub.add_response("describe_subnets", {"Subnets": [{**subnet, "SubnetId": "subnet-2"}]},
                          {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}], "NextToken": "page-2"})
        found = ec2.paginate("DescribeSubnets", "Subnets", Filters=[{"Name": "vpc-id", "Values": ["vpc-1"]}])
        stub.assert_no_pending_responses()
    assert [s["SubnetId"] for s in found] == ["subnet-1", "subnet-2"]


def test_reading_makes_one_call_per_kind(connect, assignment):
    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, "203.0.113.10")
    from vpcdraw.deploy.apply import apply

    apply(ec2, made, poll=0.01)
    calls: list[str] = []
    ec2.client.meta.events.register("before-call.ec2.*", lambda model, **kw: calls.append(model.name))
    read(ec2, assignment.name, desired(assignment, "203.0.113.10"))
    assert sorted(calls) == sorted([
        "DescribeVpcs", "DescribeAddresses", "DescribeSubnets", "DescribeInternetGateways", "DescribeNatGateways",
        "DescribeRouteTables", "DescribeSecurityGroups", "DescribeInstances", "DescribeInternetGateways",
        "DescribeNetworkAcls", "DescribeNetworkInterfaces", "DescribeVpcPeeringConnections",
        "DescribeVpcPeeringConnections", "DescribeTransitGatewayVpcAttachments", "DescribeTransitGateways",
        "DescribeVpcEndpoints"])  # the groups' rules come with DescribeSecurityGroups; peerings as requester and
    # as accepter (two filters that AWS ANDs);
    # the interfaces say which subnets each group protects, also where DescribeInstances is denied

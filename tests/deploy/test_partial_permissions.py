"""Kinds the credentials cannot read are not absent: plan, apply and destroy refuse instead of guessing.

moto enforces IAM here (after the three calls that make the admin), so a Deny in the user's policy is a
real AccessDenied / UnauthorizedOperation answer, as AWS gives it.
"""

from __future__ import annotations

import json

import boto3
import pytest

from tests.deploy.test_read_only import enforcing  # noqa: F401 (the fixture)
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.workflow import destroy_plan, plan
from vpcdraw.topology.errors import VpcdrawError

MY_IP = "203.0.113.10"


def _user(iam, name: str, denied: list[str]) -> dict[str, str]:
    """A user who may do everything in EC2 but the `denied` calls."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="most-of-ec2", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ec2:*", "ssm:GetParameter", "sts:GetCallerIdentity"], "Resource": "*"},
            {"Effect": "Deny", "Action": denied, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


@pytest.fixture
def accounts(enforcing, monkeypatch):  # noqa: F811
    setup = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing, aws_access_key_id="setup",
                         aws_secret_access_key="setup")
    setup.create_user(UserName="admin")
    setup.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = setup.create_access_key(UserName="admin")["AccessKey"]
    admin = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing, **admin)

    def client(denied: list[str] | None = None) -> Ec2:
        keys = _user(iam, f"user-{len(denied or [])}-{abs(hash(tuple(denied or [])))}", denied) if denied else admin
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["aws_secret_access_key"])
        return Ec2("ap-northeast-2", endpoint=enforcing)

    return client


def _vpcs(ec2: Ec2) -> int:
    return len([v for v in ec2.paginate("DescribeVpcs", "Vpcs") if not v.get("IsDefault")])


@pytest.mark.parametrize(("denied", "words"), [
    (["ec2:DescribeVpcs"], "vpcs (ec2:DescribeVpcs denied)"),
    (["ec2:DescribeSecurityGroups"], "security groups (ec2:DescribeSecurityGroups denied)"),
    (["ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"], "instances (ec2:DescribeInstances denied)"),
])
def test_plan_refuses_when_a_kind_it_manages_cannot_be_read(accounts, service, denied, words):
    admin = accounts()
    made, _wanted, _live = plan(admin, service, MY_IP)
    apply(admin, made, poll=0.01)
    limited = accounts(denied)
    with pytest.raises(VpcdrawError, match="may not read") as refused:
        plan(limited, service, MY_IP)  # before: 33 creates (a second VPC), or every instance's groups replaced
    assert words in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(VpcdrawError, match="may not read"):
        destroy_plan(limited, service)
    admin = accounts()
    assert _vpcs(admin) == 1 and plan(admin, service, MY_IP)[0].actions == []  # nothing was touched


def test_destroy_refuses_when_the_elastic_ips_cannot_be_read(accounts, service):
    admin = accounts()
    made, _wanted, _live = plan(admin, service, MY_IP)
    apply(admin, made, poll=0.01)
    limited = accounts(["ec2:DescribeAddresses"])
    with pytest.raises(VpcdrawError, match=r"elastic ips \(ec2:DescribeAddresses denied\)"):
        destroy_plan(limited, service)
    assert len(accounts().paginate("DescribeAddresses", "Addresses")) == 1


def test_transit_gateway_calls_denied_refuse_only_a_topology_that_has_one(accounts, service, example_file):
    """Many policies allow no TransitGateway call (AmazonVPCReadOnlyAccess is one): a topology without a transit
    gateway has none of its own to find, so plan goes on; one with a transit gateway cannot tell what exists."""
    from vpcdraw.topology import load

    admin = accounts()
    made, _wanted, _live = plan(admin, service, MY_IP)
    apply(admin, made, poll=0.01)
    limited = accounts(["ec2:DescribeTransitGateways", "ec2:DescribeTransitGatewayVpcAttachments"])
    assert plan(limited, service, MY_IP)[0].actions == []
    with pytest.raises(VpcdrawError, match=r"may not read .*transit gateways .*ec2:DescribeTransitGateways"):
        plan(limited, load(example_file("hub")), MY_IP)

"""A reviewer with only AmazonVPCReadOnlyAccess: moto enforces IAM, so every other action is denied."""

from __future__ import annotations

import boto3
import pytest

from tests.deploy.test_diff import build_by_hand
from tests.servers import start_moto
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.diff import drift


@pytest.fixture
def enforcing(tmp_path, monkeypatch):
    """A moto server that enforces IAM after three calls: those make the admin who builds the VPC."""
    server, endpoint = start_moto(environment={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
                                               "INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    yield endpoint
    server.kill()
    server.wait()


def _keys(iam, user: str, policy: str) -> dict[str, str]:
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_diff_with_vpc_read_only_access(enforcing, monkeypatch, assignment):
    unauthenticated = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing,
                                   aws_access_key_id="setup", aws_secret_access_key="setup")
    admin = _keys(unauthenticated, "admin", "AdministratorAccess")  # the three free calls
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing, **admin)
    reviewer = _keys(iam, "reviewer", "AmazonVPCReadOnlyAccess")
    ec2_admin = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=enforcing, **admin)
    vpc_id = build_by_hand(ec2_admin, open_ssh=True)
    as_reviewer = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=enforcing, **reviewer)
    with pytest.raises(Exception, match=r"UnauthorizedOperation|AccessDenied"):
        as_reviewer.create_vpc(CidrBlock="10.1.0.0/16")  # the policy is enforced
    with pytest.raises(Exception, match=r"UnauthorizedOperation|AccessDenied"):
        as_reviewer.describe_instances()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reviewer["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reviewer["aws_secret_access_key"])
    found = drift(Ec2("ap-northeast-2", endpoint=enforcing), assignment, None, vpc_id)
    assert [(i.kind, i.detail) for i in found.unmanaged] == [
        ("security_group_rule", "tcp/22 from 0.0.0.0/0 on SG private")]
    assert found.missing == [] and found.changed == []
    # Instances are seen through their network interfaces; the policy has no TransitGateway Describe call.
    assert found.not_checked == ["transit_gateway", "transit_gateway_vpc_attachment"]

"""grade: a hand-built correct VPC passes; each broken variant fails on exactly the broken item."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.deploy.test_diff import build_by_hand
from tests.deploy.test_read_only import _keys, enforcing  # noqa: F401 (a fixture)

VARIANTS = {
    "public-subnets": {"zone_of": {"public-c": "a"}},
    "private-3306": {"skip_3306": True},
    "private-22": {"open_ssh": True},
    "route-tables": {"private_on_public_table": True},
    "management-22": {"bastion_cidr": "0.0.0.0/0"},
}


def _grade(cli, monkeypatch, endpoint, keys, *extra):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["aws_secret_access_key"])
    result = cli("grade", "--region", "ap-northeast-2", "--json", *extra)
    return result.code, json.loads(result.out) if result.out else {}, result.err


@pytest.fixture
def reviewer_and_admin(enforcing):  # noqa: F811
    unauthenticated = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing,
                                   aws_access_key_id="setup", aws_secret_access_key="setup")
    admin = _keys(unauthenticated, "admin", "AdministratorAccess")
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=enforcing, **admin)
    reviewer = _keys(iam, "reviewer", "AmazonVPCReadOnlyAccess")
    ec2 = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=enforcing, **admin)
    return enforcing, reviewer, ec2


def test_a_correct_hand_built_vpc_passes_with_read_only_access(cli, monkeypatch, reviewer_and_admin, tmp_path):
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2)
    code, report, err = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id, "-o", tmp_path / "g.png")
    assert code == 0, (report, err)
    assert (report["passed"], report["total"]) == (11, 11)
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_equivalent_forms_pass(cli, monkeypatch, reviewer_and_admin):
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2, db_from_cidrs=("172.16.0.0/24", "172.16.1.0/24"))  # the public subnets' CIDRs
    code, report, _ = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id)
    assert code == 0, [i for i in report["items"] if not i["passed"]]


@pytest.mark.parametrize("broken", sorted(VARIANTS))
def test_each_broken_variant_fails_exactly_there(cli, monkeypatch, reviewer_and_admin, broken):
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2, **VARIANTS[broken])
    code, report, _ = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id)
    assert code == 2
    assert [i["id"] for i in report["items"] if not i["passed"]] == [broken]


def test_over_broad_sources_are_flagged(cli, monkeypatch, reviewer_and_admin):
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2, db_from_cidrs=("172.16.0.0/16",))  # the whole VPC, where the public tier was asked
    code, report, _ = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id)
    failed = [i for i in report["items"] if not i["passed"]]
    assert code == 2 and [i["id"] for i in failed] == ["private-3306"]
    assert "over-broad: 172.16.0.0/16" in failed[0]["evidence"]

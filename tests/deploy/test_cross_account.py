"""A reviewer in another AWS account reads a student's VPC through the role `account reviewer` made, read-only.

Two moto accounts on one moto server (moto's "Multi-Account support" page, docs/docs/multi_account.rst): a
request counts for the account of its access key, and the header `x-moto-account-id` picks one outright. The
student is moto's default account 123456789012 (the fixtures' unknown key "testing" lands there); the reviewer
is a user of 111111111111, made with that header, whose access key then stands for that account. AssumeRole on
a role of 123456789012 gives credentials of 123456789012, as AWS's do.

moto does not check trust policies or external ids: its AssumeRole gives credentials for any role ARN, even one
that does not exist (the same page: "these Roles do not need to exist"). So what the reviewer's account may do
is checked on the trust policy vpcdraw wrote (the IAM User Guide's "Access to AWS accounts owned by third
parties": Principal the trusted account, Condition StringEquals sts:ExternalId), and a refused AssumeRole is
played by the fault proxy answering AccessDenied, as STS does for a wrong external id.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest

from tests.console import ADMIN_IP, build_console_assignment
from tests.faults import FaultProxy, Faults
from vpcdraw.deploy.aws import Ec2
from vpcdraw.topology.errors import VpcdrawError

STUDENT, REVIEWER = "123456789012", "111111111111"
ROLE_ARN = f"arn:aws:iam::{STUDENT}:role/vpcdraw-reviewer"
EXTERNAL_ID = "course-2026"


def _in_account(client, account: str):  # type: ignore[no-untyped-def]
    """A boto3 client whose requests moto serves in `account`."""
    client.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return client


@pytest.fixture
def reviewer_keys(endpoint: str) -> dict[str, str]:
    """An access key of an IAM user in the reviewer's own account, 111111111111."""
    iam = _in_account(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint), REVIEWER)
    iam.create_user(UserName="teacher")
    key = iam.create_access_key(UserName="teacher")["AccessKey"]
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Account"] == REVIEWER  # the key stands for the reviewer's account
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture
def student(cli, aws_env, boto):  # type: ignore[no-untyped-def]
    """The student's account: the assignment clicked together with Korean names, and `account reviewer` run."""
    console = build_console_assignment(boto)
    made = cli("account", "reviewer", "--alias", "kim-course", "--trust-account", REVIEWER, "--external-id",
               EXTERNAL_ID, "--region", "ap-northeast-2")
    assert made.code == 0, made.err
    return console, made.out


def _as_reviewer(monkeypatch, keys: dict[str, str], endpoint: str, faults: Faults | None = None) -> FaultProxy:
    """The reviewer's own credentials in the environment, and their requests through a counting proxy."""
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    proxy = FaultProxy(endpoint, faults)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    return proxy


def _only_reads(proxy: FaultProxy) -> list[str]:
    """The actions the proxy saw that change something: STS's AssumeRole (which gives credentials) aside."""
    return sorted(a for a in proxy.actions if a != "AssumeRole" and not a.startswith(("Describe", "Get", "List")))


def test_the_reviewer_grades_the_students_vpc_through_the_role_and_changes_nothing(
        cli, monkeypatch, endpoint, student, reviewer_keys):
    console, _ = student
    proxy = _as_reviewer(monkeypatch, reviewer_keys, endpoint)
    try:
        own = cli("grade", "--vpc-id", console.vpc, "--region", "ap-northeast-2")
        graded = cli("grade", "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "--region", "ap-northeast-2", "--json",
                     "--role-arn", ROLE_ARN, "--external-id", EXTERNAL_ID)
    finally:
        proxy.close()
    assert own.code == 1 and console.vpc in own.err  # the reviewer's own account has no such VPC
    report = json.loads(graded.out)
    assert graded.code == 0, [i for i in report["items"] if not i["passed"]]
    assert (report["passed"], report["total"]) == (11, 11)
    assert proxy.actions["AssumeRole"] == 1 and proxy.counts["mutating"] == 1  # the one call that is not a read
    assert _only_reads(proxy) == []
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)  # the student's account
    attached = iam.list_attached_role_policies(RoleName="vpcdraw-reviewer")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess"]
    assert iam.list_role_policies(RoleName="vpcdraw-reviewer")["PolicyNames"] == []


def test_every_live_reading_command_takes_the_role(cli, monkeypatch, endpoint, student, reviewer_keys,
                                                   example_file):
    console, _ = student
    access = ("--role-arn", ROLE_ARN, "--external-id", EXTERNAL_ID)
    assignment = example_file("assignment")
    proxy = _as_reviewer(monkeypatch, reviewer_keys, endpoint)
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    try:
        results = {
            "import": cli("import", "--vpc-id", console.vpc, *access),
            "diff": cli("diff", assignment, "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "--json", *access),
            "lint": cli("lint", "--vpc-id", console.vpc, "--json", *access),
            "reach": cli("reach", "--vpc-id", console.vpc, "internet", "private", "3306", *access),
        }
    finally:
        proxy.close()
    assert results["import"].code == 0 and "label='외부망 A'" in results["import"].out, results["import"].err
    assert results["diff"].code == 0 and json.loads(results["diff"].out)["in_sync"] is True, results["diff"].err
    assert results["lint"].code in (0, 2) and "findings" in json.loads(results["lint"].out)
    assert results["reach"].code == 2 and "UNREACHABLE" in results["reach"].out, results["reach"].err
    assert proxy.actions["AssumeRole"] == 4 and _only_reads(proxy) == []


def test_the_profile_block_it_prints_works_with_botocores_own_role_assumption(
        cli, monkeypatch, endpoint, student, reviewer_keys, tmp_path):
    """The reviewer pastes the printed block into ~/.aws/config, their own key under [default] in the
    credentials file, and gives --profile: botocore assumes the role, with the external id; vpcdraw only reads."""
    console, out = student
    block = out[out.index("[profile student-kim-course]"):].split("\npost in the class channel")[0]
    assert block.splitlines() == ["[profile student-kim-course]", f"role_arn = {ROLE_ARN}", "source_profile = default",
                                  "role_session_name = vpcdraw-reviewer", f"external_id = {EXTERNAL_ID}",
                                  "region = ap-northeast-2"]
    (tmp_path / "config").write_text(block + "\n", encoding="utf-8")
    (tmp_path / "credentials").write_text(f"[default]\naws_access_key_id = {reviewer_keys['AWS_ACCESS_KEY_ID']}\n"
                                          f"aws_secret_access_key = {reviewer_keys['AWS_SECRET_ACCESS_KEY']}\n",
                                          encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    proxy = _as_reviewer(monkeypatch, {}, endpoint)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # the profile's source credentials, nothing else
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    try:
        graded = cli("grade", "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "--profile", "student-kim-course",
                     "--json")
    finally:
        proxy.close()
    assert graded.code == 0, graded.err
    assert json.loads(graded.out)["passed"] == 11
    assert proxy.actions.get("AssumeRole") == 1 and _only_reads(proxy) == []


def test_the_trust_policy_names_the_reviewers_account_and_the_external_id(student, endpoint):
    """moto would let anyone assume the role; what AWS enforces is this document (see the module docstring)."""
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    role = iam.get_role(RoleName="vpcdraw-reviewer")["Role"]
    assert role["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{REVIEWER}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}
    assert {"Key": "vpcdraw:role", "Value": "reviewer"} in iam.list_role_tags(RoleName="vpcdraw-reviewer")["Tags"]


def test_a_refused_assume_role_is_one_sentence_naming_the_role(cli, monkeypatch, endpoint, student, reviewer_keys):
    """STS answers AccessDenied for a wrong external id (played by the proxy: moto does not check it)."""
    console, _ = student
    proxy = _as_reviewer(monkeypatch, reviewer_keys, endpoint, Faults(refuse={"AssumeRole": "AccessDenied"}))
    try:
        refused = cli("grade", "--vpc-id", console.vpc, "--region", "ap-northeast-2", "--role-arn", ROLE_ARN,
                      "--external-id", "wrong-id")
    finally:
        proxy.close()
    assert refused.code == 1 and "Traceback" not in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert ROLE_ARN in refused.err and "trust policy" in refused.err and "external id" in refused.err
    assert set(proxy.actions) == {"AssumeRole"}  # nothing was read with any other credentials


@pytest.mark.parametrize(("arguments", "message"), [
    (("--role-arn", "vpcdraw-reviewer"), "is not an IAM role's ARN"),
    (("--role-arn", "arn:aws:iam::12345:role/vpcdraw-reviewer"), "is not an IAM role's ARN"),
    (("--role-arn", ROLE_ARN, "--external-id", "x"), "must be 2-1224 ASCII"),
    (("--external-id", EXTERNAL_ID), "--external-id goes with --role-arn"),
])
def test_bad_access_options_make_no_call(cli, monkeypatch, endpoint, arguments, message):
    proxy = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    try:
        result = cli("grade", "--region", "ap-northeast-2", *arguments)
    finally:
        proxy.close()
    assert result.code == 1 and message in result.err and len(result.err.strip().splitlines()) == 1
    assert proxy.counts["requests"] == 0


def test_a_role_session_refuses_every_write_before_sending_it(aws_env, monkeypatch, endpoint):
    proxy = FaultProxy(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    try:
        ec2 = Ec2("ap-northeast-2", role_arn=ROLE_ARN)
        assert proxy.actions == {"AssumeRole": 1}
        attempts = [lambda: ec2.call("CreateVpc", CidrBlock="10.9.0.0/16"),
                    lambda: ec2.create_once("CreateInternetGateway", lambda: None),
                    lambda: ec2.client.create_vpc(CidrBlock="10.9.0.0/16"),  # botocore's client itself
                    lambda: ec2.service("iam").call("CreateUser", UserName="intruder")]
        for attempt in attempts:
            with pytest.raises(VpcdrawError, match=re.escape(f"only reads through the reviewer role {ROLE_ARN}")):
                attempt()
        assert ec2.paginate("DescribeVpcs", "Vpcs") is not None  # reads go through
        assert ec2.account() == STUDENT
    finally:
        proxy.close()
    assert proxy.counts["mutating"] == 1 and set(proxy.actions) == {"AssumeRole", "DescribeVpcs",
                                                                    "GetCallerIdentity"}


@pytest.fixture
def enforcing_accounts(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A moto server that enforces IAM after six free calls: a student admin (123456789012) and a reviewer user
    of 111111111111 allowed to call sts:AssumeRole. Then every request is checked against its caller's policies,
    an assumed role's included (moto's access control collects the role's attached and inline policies)."""
    from tests.servers import start_moto

    server, endpoint = start_moto(environment={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
                                               "INITIAL_NO_AUTH_ACTION_COUNT": "6"})
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    keys = {}
    for account, user, policy in ((STUDENT, "admin", "AdministratorAccess"), (REVIEWER, "teacher", None)):
        iam = _in_account(boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint,
                                       aws_access_key_id="setup", aws_secret_access_key="setup"), account)
        iam.create_user(UserName=user)
        if policy:
            iam.attach_user_policy(UserName=user, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        else:
            iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    yield endpoint, keys
    server.kill()
    server.wait()


def test_the_role_alone_lets_the_reviewer_grade_when_iam_is_enforced(cli, monkeypatch, enforcing_accounts):
    """AmazonVPCReadOnlyAccess is all grade needs, and it is all the role holds: moto enforces it on the
    assumed role's session, where a write is denied by IAM even if it were sent."""
    endpoint, keys = enforcing_accounts
    ec2 = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=endpoint,
                       aws_access_key_id=keys["admin"]["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=keys["admin"]["AWS_SECRET_ACCESS_KEY"])
    console = build_console_assignment(ec2)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    for name, value in keys["admin"].items():
        monkeypatch.setenv(name, value)
    made = cli("account", "reviewer", "--trust-account", REVIEWER)
    assert made.code == 0, made.err
    for name, value in keys["teacher"].items():
        monkeypatch.setenv(name, value)
    graded = cli("grade", "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "--region", "ap-northeast-2", "--json",
                 "--role-arn", ROLE_ARN)
    assert graded.code == 0, graded.err
    assert json.loads(graded.out)["passed"] == 11
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint,  # explicit keys: boto3's default
                       aws_access_key_id=keys["teacher"]["AWS_ACCESS_KEY_ID"],  # session may hold an earlier test's
                       aws_secret_access_key=keys["teacher"]["AWS_SECRET_ACCESS_KEY"])
    given = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="probe")["Credentials"]
    as_role = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=endpoint,
                           aws_access_key_id=given["AccessKeyId"], aws_secret_access_key=given["SecretAccessKey"],
                           aws_session_token=given["SessionToken"])
    with pytest.raises(Exception, match=r"UnauthorizedOperation|AccessDenied"):
        as_role.create_vpc(CidrBlock="10.9.0.0/16")  # IAM's own refusal, behind vpcdraw's

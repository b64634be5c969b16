"""Account preparation against moto: the reviewer user and the budget, both idempotent."""

from __future__ import annotations

import re

import boto3


def test_reviewer_user_is_made_once_and_the_password_shown_once(cli, aws_env):
    first = cli("account", "reviewer", "--alias", "my-course-account")
    assert first.code == 0, first.err
    assert "created IAM user reviewer" in first.out
    assert "sign-in URL for the reviewer: https://my-course-account.signin.aws.amazon.com/console" in first.out
    password_lines = [line for line in first.out.splitlines() if line.startswith("password for reviewer")]
    assert len(password_lines) == 1
    password = password_lines[0].rsplit(": ", 1)[1]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=aws_env)
    policies = iam.list_attached_user_policies(UserName="reviewer")["AttachedPolicies"]
    assert [p["PolicyName"] for p in policies] == ["AmazonVPCReadOnlyAccess"]
    assert iam.get_login_profile(UserName="reviewer")["LoginProfile"]["UserName"] == "reviewer"  # console access
    second = cli("account", "reviewer", "--alias", "my-course-account")
    assert second.code == 0
    assert "no changes: everything was already in place" in second.out
    assert password not in second.out and _password(second.out) is None
    assert "post in the class channel: the sign-in URL; never the password" in second.out
    assert "the reviewer can only sign in to the console" in second.out  # grade needs a role or a key


def test_budget_is_made_once(cli, aws_env):
    first = cli("account", "budget", "--limit", "10", "--email", "student@example.com")
    assert first.code == 0, first.err
    assert "created the monthly budget vpcdraw-monthly of $10.00 with alerts at 80 % and 100 %" in first.out
    budgets = boto3.client("budgets", region_name="us-east-1", endpoint_url=aws_env)
    made = budgets.describe_budget(AccountId="123456789012", BudgetName="vpcdraw-monthly")["Budget"]
    assert float(made["BudgetLimit"]["Amount"]) == 10.0 and made["TimeUnit"] == "MONTHLY"
    assert "no changes" in cli("account", "budget", "--limit", "10", "--email", "student@example.com").out


def test_bad_input_makes_no_call(cli, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert "must be 3-63 lowercase" in cli("account", "reviewer", "--alias", "Bad Alias").err
    assert "needs a --limit above 0" in cli("account", "budget", "--limit", "0", "--email", "x@y").err


def _password(out: str) -> str | None:
    lines = [line for line in out.splitlines() if line.startswith("password for reviewer")]
    assert len(lines) <= 1
    return lines[0].rsplit(": ", 1)[1] if lines else None


def _through(monkeypatch, endpoint, faults):
    from tests.faults import FaultProxy

    proxy = FaultProxy(endpoint, faults)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    return proxy


def test_the_password_is_shown_before_a_later_step_fails(cli, aws_env, monkeypatch):
    """The alias belongs to another account (IAM answers CreateAccountAlias with EntityAlreadyExists), then
    ListAccountAliases fails with HTTP 500 past its retries: before, the password set by CreateLoginProfile
    was lost with the run; now it is printed first, and the next run does not set another."""
    from tests.faults import Faults

    proxy = _through(monkeypatch, aws_env, Faults(refuse={"CreateAccountAlias": "EntityAlreadyExists"}))
    try:
        taken = cli("account", "reviewer", "--alias", "someone-elses")
    finally:
        proxy.close()
    assert taken.code == 1 and _password(taken.out)
    assert "the account alias 'someone-elses' belongs to another AWS account" in taken.err
    from vpcdraw.deploy import aws

    monkeypatch.setattr(aws, "MAX_ATTEMPTS", 2)  # the retries of a 500 are tested elsewhere; here, the end
    proxy = _through(monkeypatch, aws_env, Faults(error=1.0, only={"ListAccountAliases"}))
    try:
        failed = cli("account", "reviewer", "--user", "reviewer2")
    finally:
        proxy.close()
    assert failed.code == 1 and "Traceback" not in failed.err
    assert any(line.startswith("password for reviewer2") for line in failed.out.splitlines())
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)
    again = cli("account", "reviewer")
    assert again.code == 0 and _password(again.out) is None and "no changes" in again.out


def test_a_lost_answer_to_create_login_profile_still_shows_a_working_password(cli, aws_env, monkeypatch):
    """CreateLoginProfile is executed and its answer lost; the retry meets EntityAlreadyExists. Before, the run
    failed there and the password was never known; now it is set again with UpdateLoginProfile and shown."""
    from tests.faults import Faults

    proxy = _through(monkeypatch, aws_env, Faults(lose_first={"CreateLoginProfile"}))
    try:
        made = cli("account", "reviewer")
    finally:
        proxy.close()
    assert made.code == 0, made.err
    assert proxy.counts["lost"] == 1 and proxy.actions.get("UpdateLoginProfile") == 1
    assert _password(made.out) and "gave reviewer a new console password" in made.out


def test_a_password_never_shown_or_asked_again_is_set_anew(cli, aws_env):
    """A run stopped between setting the password and showing it leaves the user tagged vpcdraw:password:
    the next run gives a new one and shows it; --reset-password does the same on request."""
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=aws_env)
    iam.create_user(UserName="reviewer", Tags=[{"Key": "vpcdraw:password", "Value": "set, not shown yet"}])
    iam.create_login_profile(UserName="reviewer", Password="Unknown-1234!", PasswordResetRequired=True)
    iam.attach_user_policy(UserName="reviewer", PolicyArn="arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess")
    recovered = cli("account", "reviewer")
    assert recovered.code == 0, recovered.err
    assert "gave reviewer a new console password (the last one set was never shown)" in recovered.out
    first = _password(recovered.out)
    assert first and iam.list_user_tags(UserName="reviewer")["Tags"] == []
    assert _password(cli("account", "reviewer").out) is None
    reset = cli("account", "reviewer", "--reset-password")
    assert reset.code == 0 and _password(reset.out) not in (None, first)
    assert "gave reviewer a new console password\n" in reset.out


REVIEWER_ACCOUNT = "111111111111"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess"


def _iam(endpoint):
    return boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)


def test_the_reviewer_role_is_made_once_and_its_trust_follows_the_options(cli, aws_env):
    first = cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT, "--external-id", "course-2026")
    assert first.code == 0, first.err
    assert "created IAM role vpcdraw-reviewer for account 111111111111 with the external id to assume" in first.out
    assert "role for the reviewer: arn:aws:iam::123456789012:role/vpcdraw-reviewer" in first.out
    assert "external_id = course-2026\nregion = ap-northeast-2\n" in first.out  # the course's region by default
    assert "post in the class channel: the sign-in URL and the role ARN; never the password" in first.out
    iam = _iam(aws_env)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="vpcdraw-reviewer")[
        "AttachedPolicies"]] == [READ_ONLY]
    again = cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT, "--external-id", "course-2026")
    assert again.code == 0 and "no changes: everything was already in place" in again.out
    assert _password(again.out) is None and "arn:aws:iam::123456789012:role/vpcdraw-reviewer" in again.out
    moved = cli("account", "reviewer", "--trust-account", "222222222222", "--role-name", "vpcdraw-reviewer")
    assert moved.code == 0 and moved.out.startswith(
        "changed who may assume IAM role vpcdraw-reviewer: account 222222222222\n")
    trust = iam.get_role(RoleName="vpcdraw-reviewer")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                                   "Action": "sts:AssumeRole"}]  # no external id asked any more
    assert "external_id" not in moved.out


def test_a_role_vpcdraw_did_not_make_is_left_alone(cli, aws_env):
    iam = _iam(aws_env)
    theirs = '{"Version": "2012-10-17", "Statement": []}'
    iam.create_role(RoleName="vpcdraw-reviewer", AssumeRolePolicyDocument=theirs)
    refused = cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT)
    assert refused.code == 1 and len(refused.err.strip().splitlines()) == 1
    assert "an IAM role named vpcdraw-reviewer exists and vpcdraw did not make it" in refused.err
    assert "--role-name" in refused.err
    role = iam.get_role(RoleName="vpcdraw-reviewer")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == []  # unchanged
    assert iam.list_attached_role_policies(RoleName="vpcdraw-reviewer")["AttachedPolicies"] == []
    elsewhere = cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT, "--role-name", "course-review")
    assert elsewhere.code == 0 and "role/course-review" in elsewhere.out


def test_policies_someone_else_attached_are_named_and_kept(cli, aws_env):
    assert cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT).code == 0
    iam = _iam(aws_env)
    iam.attach_role_policy(RoleName="vpcdraw-reviewer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    again = cli("account", "reviewer", "--trust-account", REVIEWER_ACCOUNT)
    assert again.code == 0 and "no changes: everything was already in place" in again.out
    assert ("note: IAM role vpcdraw-reviewer also holds AdministratorAccess, which vpcdraw did not attach and "
            "leaves alone") in again.out
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="vpcdraw-reviewer")[
        "AttachedPolicies"]}
    assert attached == {"AmazonVPCReadOnlyAccess", "AdministratorAccess"}


def _key(out: str) -> tuple[str, str] | None:
    lines = [line for line in out.splitlines() if line.startswith("access key for reviewer (shown once)")]
    assert len(lines) <= 1
    if not lines:
        return None
    found = re.search(r"aws_access_key_id = (\S+), aws_secret_access_key = (\S+)$", lines[0])
    assert found
    return found.group(1), found.group(2)


def test_an_access_key_is_shown_once_never_made_twice_and_rotated_on_request(cli, aws_env):
    first = cli("account", "reviewer", "--access-key")
    assert first.code == 0, first.err
    made = _key(first.out)
    assert made and "made an access key for reviewer" in first.out
    assert "a role (--trust-account) is the safer choice" in first.out
    assert "never the password or the access key" in first.out
    iam = _iam(aws_env)
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="reviewer")["AccessKeyMetadata"]] == [made[0]]
    again = cli("account", "reviewer", "--access-key")
    assert again.code == 0 and _key(again.out) is None and made[1] not in again.out
    assert f"reviewer already has the access key {made[0]} vpcdraw made" in again.out
    assert "--access-key --rotate replaces it" in again.out
    rotated = cli("account", "reviewer", "--access-key", "--rotate")
    new = _key(rotated.out)
    assert rotated.code == 0 and new and new[0] != made[0]
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="reviewer")["AccessKeyMetadata"]] == [new[0]]


def test_a_key_made_and_never_shown_is_replaced_and_anothers_key_is_kept(cli, aws_env):
    """A run stopped after CreateAccessKey (its answer lost) leaves the user tagged 'pending' with the keys that
    were there before; the next run deletes the key it cannot show and makes one it does."""
    iam = _iam(aws_env)
    iam.create_user(UserName="reviewer")
    theirs = iam.create_access_key(UserName="reviewer")["AccessKey"]["AccessKeyId"]
    iam.tag_user(UserName="reviewer", Tags=[{"Key": "vpcdraw:access-key", "Value": f"pending {theirs}"}])
    lost = iam.create_access_key(UserName="reviewer")["AccessKey"]["AccessKeyId"]
    recovered = cli("account", "reviewer", "--access-key")
    assert recovered.code == 0, recovered.err
    assert "made a new access key for reviewer (the one made before was never shown)" in recovered.out
    new = _key(recovered.out)
    assert new
    left = {k["AccessKeyId"] for k in iam.list_access_keys(UserName="reviewer")["AccessKeyMetadata"]}
    assert left == {theirs, new[0]} and lost not in left


def test_bad_reviewer_options_make_no_call(cli, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    for arguments, message in ((("--trust-account", "1111-1111-1111"), "must be an AWS account id: 12 digits"),
                               (("--trust-account", REVIEWER_ACCOUNT, "--external-id", "x"), "must be 2-1224"),
                               (("--trust-account", REVIEWER_ACCOUNT, "--role-name", "검토"), "IAM role name"),
                               (("--external-id", "course-2026"), "--external-id goes with --trust-account"),
                               (("--rotate",), "give it with --access-key")):
        result = cli("account", "reviewer", *arguments)
        assert result.code == 1 and message in result.err, (arguments, result.err)
        assert "cannot reach" not in result.err


def test_the_reviewers_access_is_posted_to_the_class_channel_and_no_secret(cli, aws_env, monkeypatch):
    """`--post`: the sign-in URL and the role ARN as the course asks, never the password; without a token the
    command stops before any IAM call."""
    from tests.vpcdraw.test_post import TOKEN, fake_slack

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    refused = cli("account", "reviewer", "--trust-account", "111111111111", "--post", "#class-aws")
    assert refused.code == 1 and "no Slack token" in refused.err
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=aws_env)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == []
    channel = fake_slack(monkeypatch)
    slack = next(channel)
    monkeypatch.setenv("SLACK_API_URL", f"{slack.url}/api/")
    made = cli("account", "reviewer", "--alias", "my-course-account", "--trust-account", "111111111111",
               "--post", "#class-aws")
    channel.close()
    assert made.code == 0, made.err
    password = _password(made.out)
    message = slack.call("chat.postMessage").fields["text"]
    assert "https://my-course-account.signin.aws.amazon.com/console" in message
    assert "arn:aws:iam::123456789012:role/vpcdraw-reviewer" in message
    assert password and password not in message and TOKEN not in made.out + made.err
    assert slack.methods == ["conversations.list", "chat.postMessage"]

"""Account preparation against moto: the reviewer user and the budget, both idempotent."""

from __future__ import annotations

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
    assert password not in second.out and "password" not in second.out


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

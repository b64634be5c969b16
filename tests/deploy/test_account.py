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

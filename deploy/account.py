"""The course's first steps for an account: a read-only reviewer (user, role, access key), and a monthly budget.

Both are idempotent: a second run finds everything in place, changes nothing and says so.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.errors import VpcdrawError

from .aws import AwsError, Ec2, Service, check_external_id, shown

READ_ONLY_POLICY = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess"
BUDGET_NAME = "vpcdraw-monthly"
ROLE_NAME = "vpcdraw-reviewer"
OWNER_TAG = {"Key": "vpcdraw:role", "Value": "reviewer"}  # on what vpcdraw made for the reviewer: all it changes
PENDING_TAG = "vpcdraw:password"  # on the reviewer user while a password vpcdraw set has not been shown
# On the reviewer user: the id of the access key vpcdraw made and showed; "pending" and the ids of the keys
# that were there before, while one is being made (a key made then and never shown is replaced next time).
KEY_TAG = "vpcdraw:access-key"
# IAM's UserName and RoleName: pattern [\w+=,.@-]+ (ASCII \w), 1-64 characters (IAM API reference, CreateUser,
# CreateRole).
_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


@dataclass(frozen=True)
class Trust:
    """Who may assume the reviewer role: the reviewer's AWS account, and the external id it must give."""

    account: str
    external_id: str | None = None
    role: str = ROLE_NAME


@dataclass
class Outcome:
    """What was done (empty when nothing had to be), and what to tell the user."""

    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what stays as it is, but the user should know
    sign_in_url: str = ""
    name: str = ""  # the account's alias, else its id: what names the sign-in URL and the reviewer's profile
    role_arn: str = ""


def new_password(length: int = 20) -> str:
    """A password that meets IAM's default policy: upper, lower, digit and symbol."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()_+-="
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)):
            return password


def _missing(error: AwsError) -> bool:
    return error.code in ("NoSuchEntity", "NotFoundException", "NoSuchEntityException")


def check_user_name(user: str) -> None:
    """VpcdrawError in one sentence unless `user` is a name IAM accepts (checked before any call).

    >>> check_user_name("reviewer")
    >>> check_user_name("리뷰어")
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: IAM user name '리뷰어' must be 1-64 ASCII letters, digits and +=,.@_-
    """
    if not _USER_NAME.fullmatch(user):  # fullmatch: `$` would let a trailing newline through
        raise VpcdrawError(f"IAM user name '{shown(user)}' must be 1-64 ASCII letters, digits and +=,.@_-")


def check_trust(trust: Trust) -> None:
    """VpcdrawError in one sentence unless IAM and STS accept the account id, role name and external id.

    >>> check_trust(Trust("111111111111", "course-2026"))
    >>> check_trust(Trust("1111-1111-1111"))
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: --trust-account '1111-1111-1111' must be an AWS account id: 12 digits
    """
    if not re.fullmatch(r"\d{12}", trust.account, re.ASCII):
        raise VpcdrawError(f"--trust-account '{shown(trust.account)}' must be an AWS account id: 12 digits")
    if not _USER_NAME.fullmatch(trust.role):
        raise VpcdrawError(f"IAM role name '{shown(trust.role)}' must be 1-64 ASCII letters, digits and +=,.@_-")
    if trust.external_id is not None:
        check_external_id(trust.external_id)


def trust_policy(trust: Trust) -> dict[str, Any]:
    """The role's trust policy: the reviewer's account may call sts:AssumeRole, with the external id if any.

    >>> trust_policy(Trust("111111111111", "x1"))["Statement"][0]["Condition"]
    {'StringEquals': {'sts:ExternalId': 'x1'}}
    """
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trust.account}:root"},
                                 "Action": "sts:AssumeRole"}
    if trust.external_id is not None:  # IAM User Guide, "Access to AWS accounts owned by third parties"
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": trust.external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def profile_block(outcome: Outcome, external_id: str | None, region: str) -> str:
    """The reviewer's ~/.aws/config section for the role; `source_profile` names their own credentials.

    >>> print(profile_block(Outcome(name="kim", role_arn="arn:aws:iam::123456789012:role/r"), None, "ap-northeast-2"))
    [profile student-kim]
    role_arn = arn:aws:iam::123456789012:role/r
    source_profile = default
    role_session_name = vpcdraw-reviewer
    region = ap-northeast-2
    """
    lines = [f"[profile student-{outcome.name}]", f"role_arn = {outcome.role_arn}", "source_profile = default",
             f"role_session_name = {ROLE_NAME}"]
    if external_id is not None:
        lines.append(f"external_id = {external_id}")
    return "\n".join([*lines, f"region = {region}"])


def reviewer(ec2: Ec2, user: str, alias: str | None, show: Callable[[str], None],
             reset_password: bool = False, *, trust: Trust | None = None,
             show_key: Callable[[str, str], None] | None = None, rotate_key: bool = False) -> Outcome:
    """An IAM user with console access and AmazonVPCReadOnlyAccess, the alias, and the sign-in URL; with
    `trust`, a role the reviewer's own account may assume; with `show_key`, an access key for the user.

    A password vpcdraw sets goes to `show` at once, before anything else can fail, and the user carries
    PENDING_TAG until it has: a run that stopped in between (a lost answer) gives a new one next time.
    An access key goes to `show_key` (its id and secret) the same way.
    """
    check_user_name(user)
    if trust is not None:
        check_trust(trust)
    iam = ec2.service("iam")
    outcome = Outcome()
    try:
        iam.call("GetUser", UserName=user)
    except AwsError as error:
        if not _missing(error):
            raise
        iam.call("CreateUser", UserName=user, Tags=[{"Key": "vpcdraw:role", "Value": "reviewer"}])
        outcome.done.append(f"created IAM user {user}")
    attached = iam.call("ListAttachedUserPolicies", UserName=user).get("AttachedPolicies", [])
    if not any(p.get("PolicyArn") == READ_ONLY_POLICY for p in attached):
        iam.call("AttachUserPolicy", UserName=user, PolicyArn=READ_ONLY_POLICY)
        outcome.done.append(f"attached AmazonVPCReadOnlyAccess to {user}")
    _console_access(iam, user, reset_password, show, outcome)
    if show_key is not None:
        _access_key(iam, user, rotate_key, show_key, outcome)
    if trust is not None:
        _role(iam, trust, outcome)
    aliases = iam.call("ListAccountAliases").get("AccountAliases", [])
    if alias and alias not in aliases:
        try:
            iam.call("CreateAccountAlias", AccountAlias=alias)
        except AwsError as error:
            if error.code != "EntityAlreadyExists":
                raise
            raise VpcdrawError(f"the account alias '{alias}' belongs to another AWS account (aliases are unique "
                               "across AWS); choose another --alias") from None
        outcome.done.append(f"set the account alias {alias}")
        aliases = [alias]
    outcome.name = alias or (aliases[0] if aliases else ec2.account())
    outcome.sign_in_url = f"https://{outcome.name}.signin.aws.amazon.com/console"
    return outcome


def _role(iam: Service, trust: Trust, outcome: Outcome) -> None:
    """The reviewer role: made with OWNER_TAG, its trust kept as asked, AmazonVPCReadOnlyAccess attached.
    A role of that name vpcdraw did not make is refused; policies vpcdraw did not attach are left alone."""
    wanted = trust_policy(trust)
    who = f"account {trust.account}" + (" with the external id" if trust.external_id else "")  # to assume it
    try:
        role = iam.call("GetRole", RoleName=trust.role)["Role"]
    except AwsError as error:
        if not _missing(error):
            raise
        role = iam.call("CreateRole", RoleName=trust.role, AssumeRolePolicyDocument=json.dumps(wanted),
                        Description="vpcdraw: the course reviewer reads this account's VPCs (read-only)",
                        Tags=[OWNER_TAG])["Role"]
        outcome.done.append(f"created IAM role {trust.role} for {who} to assume")
    else:
        if OWNER_TAG not in iam.call("ListRoleTags", RoleName=trust.role).get("Tags", []):
            raise VpcdrawError(f"an IAM role named {trust.role} exists and vpcdraw did not make it (it lacks the tag "
                               f"{OWNER_TAG['Key']}={OWNER_TAG['Value']}), so vpcdraw leaves it alone: give "
                               "--role-name another name")
        if _document(role.get("AssumeRolePolicyDocument")) != wanted:
            iam.call("UpdateAssumeRolePolicy", RoleName=trust.role, PolicyDocument=json.dumps(wanted))
            outcome.done.append(f"changed who may assume IAM role {trust.role}: {who}")
    outcome.role_arn = str(role["Arn"])
    attached = [p.get("PolicyArn", "") for p in
                iam.call("ListAttachedRolePolicies", RoleName=trust.role).get("AttachedPolicies", [])]
    if READ_ONLY_POLICY not in attached:
        iam.call("AttachRolePolicy", RoleName=trust.role, PolicyArn=READ_ONLY_POLICY)
        outcome.done.append(f"attached AmazonVPCReadOnlyAccess to {trust.role}")
    others = sorted({a.rsplit("/", 1)[-1] for a in attached if a != READ_ONLY_POLICY}
                    | set(iam.call("ListRolePolicies", RoleName=trust.role).get("PolicyNames", [])))
    if others:
        outcome.notes.append(f"IAM role {trust.role} also holds {', '.join(others)}, which vpcdraw did not attach "
                             "and leaves alone; remove them for a reviewer who can only read")


def _document(policy: Any) -> Any:
    """A policy document as IAM returns it (botocore decodes it; the raw API gives URL-encoded JSON)."""
    if isinstance(policy, str):
        from urllib.parse import unquote

        return json.loads(unquote(policy))
    return policy


def _access_key(iam: Service, user: str, rotate: bool, show: Callable[[str, str], None], outcome: Outcome) -> None:
    """An access key for `user`, shown at once; one vpcdraw made before stays unless `rotate` replaces it."""
    keys = [k["AccessKeyId"] for k in iam.call("ListAccessKeys", UserName=user).get("AccessKeyMetadata", [])]
    tags = {t["Key"]: t["Value"] for t in iam.call("ListUserTags", UserName=user).get("Tags", [])}
    recorded = tags.get(KEY_TAG, "").split()
    unshown = recorded[:1] == ["pending"]
    ours = [k for k in keys if k not in recorded[1:]] if unshown else [k for k in keys if k in recorded]
    if ours and not rotate and not unshown:
        outcome.notes.append(f"{user} already has the access key {ours[0]} vpcdraw made; its secret was shown once "
                             "and AWS cannot show it again: --access-key --rotate replaces it (the old one stops "
                             "working)")
        return
    for key in ours:  # made by vpcdraw: the one to replace, or one made by a run that never showed it
        iam.call("DeleteAccessKey", UserName=user, AccessKeyId=key)
    others = [k for k in keys if k not in ours]
    iam.call("TagUser", UserName=user, Tags=[{"Key": KEY_TAG, "Value": " ".join(["pending", *others])}])
    try:
        made = iam.call("CreateAccessKey", UserName=user)["AccessKey"]
    except AwsError as error:
        if error.code != "LimitExceeded":
            raise
        raise VpcdrawError(f"{user} already has two access keys vpcdraw did not make ({', '.join(others)}), IAM's "
                           "limit; delete one (aws iam delete-access-key) or give the reviewer the role") from None
    show(str(made["AccessKeyId"]), str(made["SecretAccessKey"]))
    iam.call("TagUser", UserName=user, Tags=[{"Key": KEY_TAG, "Value": str(made["AccessKeyId"])}])
    outcome.done.append(f"made a new access key for {user} (the old one is deleted)" if ours and rotate else
                        f"made a new access key for {user} (the one made before was never shown)" if ours else
                        f"made an access key for {user}")


def _console_access(iam: Service, user: str, reset: bool, show: Callable[[str], None], outcome: Outcome) -> None:
    """Give `user` a console password, or a new one when asked or when the last one was never shown."""
    try:
        iam.call("GetLoginProfile", UserName=user)
        has_profile = True
    except AwsError as error:
        if not _missing(error):
            raise
        has_profile = False
    tags = iam.call("ListUserTags", UserName=user).get("Tags", [])
    unshown = any(t.get("Key") == PENDING_TAG for t in tags)
    if has_profile and not reset and not unshown:
        return
    password = new_password()
    iam.call("TagUser", UserName=user, Tags=[{"Key": PENDING_TAG, "Value": "set, not shown yet"}])
    created = False
    if not has_profile:
        try:
            iam.call("CreateLoginProfile", UserName=user, Password=password, PasswordResetRequired=True)
            created = True
        except AwsError as error:
            if error.code != "EntityAlreadyExists":  # a retried create whose first answer was lost
                raise
    if created:
        outcome.done.append(f"gave {user} console access")
    else:
        iam.call("UpdateLoginProfile", UserName=user, Password=password, PasswordResetRequired=True)
        outcome.done.append(f"gave {user} a new console password"
                            + ("" if reset else " (the last one set was never shown)"))
    show(password)
    iam.call("UntagUser", UserName=user, TagKeys=[PENDING_TAG])


def budget(ec2: Ec2, limit: float, email: str) -> Outcome:
    """A monthly cost budget of `limit` USD that emails at 80 % and 100 % of actual spend."""
    budgets = ec2.service("budgets")
    account = ec2.account()
    outcome = Outcome()
    amount = f"{limit:.2f}"
    try:
        current = budgets.call("DescribeBudget", AccountId=account, BudgetName=BUDGET_NAME)["Budget"]
    except AwsError as error:
        if not _missing(error):
            raise
        current = None
    if current is None:
        notifications = [
            {"Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                              "Threshold": threshold, "ThresholdType": "PERCENTAGE"},
             "Subscribers": [{"SubscriptionType": "EMAIL", "Address": email}]}
            for threshold in (80.0, 100.0)]
        budgets.call("CreateBudget", AccountId=account, Budget={
            "BudgetName": BUDGET_NAME, "BudgetLimit": {"Amount": amount, "Unit": "USD"}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST"}, NotificationsWithSubscribers=notifications)
        outcome.done.append(f"created the monthly budget {BUDGET_NAME} of ${amount} with alerts at 80 % and 100 % "
                            f"to {email}")
    elif float(current["BudgetLimit"]["Amount"]) != float(amount):
        budgets.call("UpdateBudget", AccountId=account, NewBudget={
            **{k: current[k] for k in ("BudgetName", "TimeUnit", "BudgetType")},
            "BudgetLimit": {"Amount": amount, "Unit": "USD"}})
        outcome.done.append(f"changed the monthly budget to ${amount}")
    return outcome

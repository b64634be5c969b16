"""The course's first steps for an account: a read-only reviewer user, and a monthly cost budget.

Both are idempotent: a second run finds everything in place, changes nothing and says so.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from vpcdraw.topology.errors import VpcdrawError

from .aws import AwsError, Ec2, Service

READ_ONLY_POLICY = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess"
BUDGET_NAME = "vpcdraw-monthly"
PENDING_TAG = "vpcdraw:password"  # on the reviewer user while a password vpcdraw set has not been shown
# IAM's UserName: pattern [\w+=,.@-]+ (ASCII \w), 1-64 characters (IAM API reference, CreateUser).
_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


@dataclass
class Outcome:
    """What was done (empty when nothing had to be), and what to tell the user."""

    done: list[str] = field(default_factory=list)
    sign_in_url: str = ""


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
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in user)
        raise VpcdrawError(f"IAM user name '{shown}' must be 1-64 ASCII letters, digits and +=,.@_-")


def reviewer(ec2: Ec2, user: str, alias: str | None, show: Callable[[str], None],
             reset_password: bool = False) -> Outcome:
    """An IAM user with console access and AmazonVPCReadOnlyAccess, the alias, and the sign-in URL.

    A password vpcdraw sets goes to `show` at once, before anything else can fail, and the user carries
    PENDING_TAG until it has: a run that stopped in between (a lost answer) gives a new one next time.
    """
    check_user_name(user)
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
    name = alias or (aliases[0] if aliases else ec2.account())
    outcome.sign_in_url = f"https://{name}.signin.aws.amazon.com/console"
    return outcome


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

"""`vpcdraw account`: the course's first steps for an account, a read-only reviewer and a cost budget."""

from __future__ import annotations

import argparse
import re
from typing import Any

from vpcdraw.topology.errors import VpcdrawError

from .aws_commands import LOCAL_REGION, confirm, reader


def add_account_command(commands: Any) -> None:
    """Add `account reviewer` and `account budget` to the parser's subcommands."""
    account = commands.add_parser(
        "account", help="the course's first steps: a read-only reviewer user, a cost budget",
        description="Prepare an AWS account as the course asks. Both steps confirm like apply (--yes skips) and "
                    "are idempotent: a second run changes nothing and says so.")
    steps = account.add_subparsers(dest="account_action", metavar="STEP", required=True)
    review = steps.add_parser(
        "reviewer", help="read-only access for the reviewer: a console user, and a role (or access key) for grade",
        description="Create the reviewer's IAM user (console access, AmazonVPCReadOnlyAccess), set the account alias, "
                    "and print the sign-in URL to share; the password is shown once. With --trust-account, also a "
                    "role holding only AmazonVPCReadOnlyAccess that the reviewer's own AWS account may assume, "
                    "which grade, diff, import, lint and reach need (--role-arn), and the ~/.aws/config profile "
                    "for it. Without an AWS account, the reviewer can use --access-key instead.")
    review.add_argument("--user", default="reviewer", help="the IAM user name (default reviewer)")
    review.add_argument("--alias", help="the account alias, which names the sign-in URL")
    review.add_argument("--reset-password", action="store_true",
                        help="give the user a new console password (shown once), e.g. when the last one was lost")
    review.add_argument("--trust-account", metavar="ACCOUNT_ID",
                        help="the reviewer's AWS account id (12 digits): it may assume the read-only role")
    review.add_argument("--external-id", metavar="TEXT",
                        help="with --trust-account: the secret the reviewer must give to assume the role (the "
                             "course's, if it has one)")
    review.add_argument("--role-name", default="vpcdraw-reviewer", help="the role's name (default vpcdraw-reviewer)")
    review.add_argument("--region", help="the region of your VPC, for the reviewer's profile (default: your "
                                         "configured region, else ap-northeast-2)")
    review.add_argument("--access-key", action="store_true",
                        help="also an access key for the user (shown once), for a reviewer without an AWS account")
    review.add_argument("--post", metavar="CHANNEL",
                        help="also post the sign-in URL and the role ARN (never a secret) to this Slack channel "
                             "(token in SLACK_BOT_TOKEN, scope chat:write)")
    review.add_argument("--rotate", action="store_true",
                        help="with --access-key: replace the key vpcdraw made before (the old one stops working)")
    budget = steps.add_parser("budget", help="a monthly cost budget with alerts at 80 %% and 100 %%")
    budget.add_argument("--limit", type=float, required=True, metavar="USD", help="the monthly limit in USD")
    budget.add_argument("--email", required=True, metavar="ADDR", help="where the alerts go")
    for step in (review, budget):
        step.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        step.add_argument("--local", action="store_true", help="the embedded local AWS")
        step.add_argument("--profile", help="the AWS profile to use")
    account.set_defaults(run=_account)


def _account(args: argparse.Namespace) -> int:
    from vpcdraw.deploy.account import budget

    trust = _checked_account_input(args)  # bad input is refused before any call
    if getattr(args, "post", None):
        from .slack import check_ready

        check_ready(args.post)
    ec2 = reader("us-east-1", args.profile, args.local)  # IAM and Budgets are global; their home is us-east-1
    if args.account_action == "reviewer":
        return _reviewer(args, ec2, trust)
    confirm(ec2, "global (Budgets)", f"Create or check a ${args.limit:.2f} monthly budget", args.yes)
    outcome = budget(ec2, args.limit, args.email)
    for line in outcome.done or ["no changes: everything was already in place"]:
        print(line)
    return 0


def _checked_account_input(args: argparse.Namespace) -> Any:
    """The reviewer role's trust (None without --trust-account), once every option is one AWS accepts."""
    import math

    from vpcdraw.deploy.account import Trust, check_trust, check_user_name

    if args.account_action == "budget":
        if not math.isfinite(args.limit) or round(args.limit, 2) <= 0 or "@" not in args.email:
            raise VpcdrawError("budget needs a --limit above 0 (a number of USD) and an --email address")
        return None
    check_user_name(args.user)
    if args.alias and not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])", args.alias):
        raise VpcdrawError(f"alias '{args.alias}' must be 3-63 lowercase letters, digits and inner hyphens")
    if args.external_id is not None and not args.trust_account:
        raise VpcdrawError("--external-id goes with --trust-account: it is what the role asks of the reviewer")
    if args.rotate and not args.access_key:
        raise VpcdrawError("--rotate replaces an access key: give it with --access-key")
    if not args.trust_account:
        return None
    trust = Trust(args.trust_account, args.external_id, args.role_name)
    check_trust(trust)
    return trust


def _reviewer(args: argparse.Namespace, ec2: Any, trust: Any) -> int:
    """Carry out `account reviewer`, printing each secret the moment it exists, then what to share."""
    from vpcdraw.deploy.account import profile_block, reviewer
    from vpcdraw.deploy.aws import configuration

    what = f"the reviewer user '{args.user}'" + (f" and role '{trust.role}'" if trust else "")
    confirm(ec2, "global (IAM)", f"Create or check {what}", args.yes)

    def show(password: str) -> None:  # at once: a later step that fails must not lose it
        print(f"password for {args.user} (shown once; they must change it at first sign-in): {password}", flush=True)

    def show_key(key_id: str, secret: str) -> None:
        print(f"access key for {args.user} (shown once): aws_access_key_id = {key_id}, aws_secret_access_key = "
              f"{secret}", flush=True)

    outcome = reviewer(ec2, args.user, args.alias, show, reset_password=args.reset_password, trust=trust,
                       show_key=show_key if args.access_key else None, rotate_key=args.rotate)
    for line in outcome.done or ["no changes: everything was already in place"]:
        print(line)
    for line in outcome.notes:
        print(f"note: {line}")
    print(f"sign-in URL for the reviewer: {outcome.sign_in_url}")
    if args.access_key:
        print("note: a role (--trust-account) is the safer choice: the reviewer assumes it with their own "
              "credentials, and no long-lived secret of this account leaves it")
    if outcome.role_arn:
        region = args.region or configuration(args.profile).region or LOCAL_REGION
        print(f"role for the reviewer: {outcome.role_arn}")
        print("for the reviewer's ~/.aws/config (source_profile names their own credentials; then `vpcdraw grade "
              f"--profile student-{outcome.name}`, or --role-arn):")
        print(profile_block(outcome, trust.external_id, region))
    elif not args.access_key:
        print("note: with this the reviewer can only sign in to the console; grade, diff and import need API "
              "access: --trust-account REVIEWER_ACCOUNT_ID (a read-only role), or --access-key")
    shared = "the sign-in URL and the role ARN" if outcome.role_arn else "the sign-in URL"
    secrets = "the password or the access key" if args.access_key else "the password"
    print(f"post in the class channel: {shared}; never {secrets}")
    if args.post:
        from .slack import post_summary

        lines = [f"AWS 계정 검토 / reviewer access: {outcome.sign_in_url}"]
        if outcome.role_arn:
            lines.append(f"read-only role (AmazonVPCReadOnlyAccess): {outcome.role_arn}")
        posted = post_summary(args.post, "\n".join(lines))
        print(f"posted {shared} to {args.post} ({posted.message_ts})")
    return 0

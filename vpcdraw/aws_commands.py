"""The commands that talk to AWS: plan, apply, destroy, and the embedded local AWS (`vpcdraw local`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vpcdraw.deploy import DEFAULT_PARALLELISM
from vpcdraw.deploy.local import LOCAL_REGION
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.words import plural

from .colour import paint
from .common import load_valid, resolve_my_ip


def add_commands(commands: Any) -> None:
    """Add plan, apply, destroy and local to the parser's subcommands (account is in account_commands)."""

    plan = commands.add_parser(
        "plan", help="show what apply would change in the account",
        description="Read the live account and list the actions that would make it match the topology, "
                    "Terraform style: + create, ~ update, - delete, -/+ replace, <= adopt. Nothing is changed. "
                    "Only what carries this topology's vpcdraw:topology tag is ever changed; a resource vpcdraw "
                    "did not create is left alone (ours is made beside it) unless --adopt takes it over.")
    file_and_aws_options(plan)
    adopt_options(plan)
    plan.add_argument("--json", action="store_true", help='print {"actions": [...]} and nothing else on stdout')
    plan.add_argument("--detailed-exitcode", action="store_true",
                      help="exit 0 with no changes, 2 with changes, 1 on error (as Terraform does)")
    allow_option(plan, "leave out of the plan's warning a high-severity lint finding of this rule that apply "
                       "would refuse (e.g. VD001); repeatable")
    plan.add_argument("-out", "--out", type=Path, metavar="PLAN", dest="out",
                      help="save the plan; `vpcdraw apply PLAN` then carries out exactly it, and refuses when "
                           "the account changed since")
    plan.set_defaults(run=_plan)

    apply = commands.add_parser(
        "apply", help="create or change the topology's resources in the account",
        description="Show the plan, ask for confirmation (not on a local endpoint), and carry it out: each "
                    "resource starts as soon as what it needs exists, up to --parallelism calls at once. "
                    "Re-running after a failure completes the job. Only what carries this topology's tag is "
                    "changed, and what --adopt takes over. FILE may also be a plan saved with `plan -out`: "
                    "then exactly that plan is applied, without asking again, or refused when the account "
                    "changed since it was made.")
    file_and_aws_options(apply)
    adopt_options(apply)
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--parallelism", type=int, default=DEFAULT_PARALLELISM, metavar="N",
                       help=f"AWS calls at once (default {DEFAULT_PARALLELISM})")
    allow_option(apply, "apply despite a high-severity lint finding of this rule (e.g. VD001); repeatable")
    apply.set_defaults(run=_apply)

    destroy = commands.add_parser(
        "destroy", help="delete every resource this topology created or adopted",
        description="Delete the resources that carry this topology's vpcdraw:topology tag (what apply created and "
                    "what apply --adopt took over), in reverse dependency order. Resources without that tag are "
                    "never touched. Running it twice is harmless.")
    file_and_aws_options(destroy, my_ip=False)
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.set_defaults(run=_destroy)

    local = commands.add_parser(
        "local", help="the embedded local AWS (a moto server) for trying vpcdraw without an account",
        description="Start, check or stop a local AWS on 127.0.0.1. Use it with --local on any AWS command, "
                    "or point AWS_ENDPOINT_URL at it.")
    actions = local.add_subparsers(dest="local_action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start it in the background")
    start.add_argument("--port", type=int, default=None,
                       help="port on 127.0.0.1 (default 5323, or a free one when that is taken)")
    actions.add_parser("status", help="say whether it runs, and where")
    actions.add_parser("stop", help="stop it")
    local.set_defaults(run=_local)


def file_and_aws_options(parser: argparse.ArgumentParser, my_ip: bool = True) -> None:
    parser.add_argument("file", type=Path, help="topology file (.py, .json, or a .drawio drawing)")
    parser.add_argument("--local", action="store_true",
                        help="use the embedded local AWS, starting it when needed (also VPCDRAW_LOCAL=1)")
    parser.add_argument("--region", help="must match the topology's region, which decides")
    parser.add_argument("--profile", help="the AWS profile to use (default: the standard configuration)")
    if my_ip:
        parser.add_argument("--my-ip", metavar="ADDRESS",
                            help="the admin's public IPv4 address for rules from my_ip, or 'auto' "
                                 "(default: $VPCDRAW_MY_IP)")


def adopt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--adopt", action="store_true",
        help="take over resources vpcdraw did not create that match the model by what they are (a subnet by "
             "its CIDR, a group by its name or rules, a route table by its routes and subnets, an instance by "
             "its Name): each is listed as '<= adopt' with its AWS id and Name, and apply only tags it "
             "(vpcdraw:topology, vpcdraw:address; its Name only where it is not the label), never replaces or "
             "deletes it; from then on it is this "
             "topology's, and destroy deletes it. Without --adopt nothing vpcdraw did not tag is changed, and "
             "one that stands where vpcdraw would create its own stops the plan. Another topology's resources "
             "are never adopted")
    parser.add_argument("--vpc-id", metavar="VPC",
                        help="the VPC to plan for, where none carries this topology's tags: with --adopt, a VPC "
                             "built by hand (or the one `vpcdraw import` read) to take over")


def session(args: argparse.Namespace, topology: Any = None) -> tuple[Any, Any]:
    """The topology (the file's, unless given) and a client for its region: read-only through --role-arn when
    the command has `role_options` and it is given."""
    from vpcdraw.deploy.workflow import connect

    topology = topology or load_valid(args.file)
    ec2 = connect(topology, use_local=args.local, region=args.region, profile=args.profile)
    role_arn, external_id = getattr(args, "role_arn", None), getattr(args, "external_id", None)
    return topology, ec2.assuming(role_arn, external_id) if role_arn or external_id else ec2


def role_options(parser: argparse.ArgumentParser, scope: str = "") -> None:
    """--role-arn and --external-id, for every command that reads a live VPC: the reviewer reads a student's
    account through the read-only role `account reviewer --trust-account` made there."""
    parser.add_argument("--role-arn", metavar="ARN",
                        help=f"{scope}read through this IAM role in the student's account (the one `vpcdraw account "
                             "reviewer --trust-account` made), assumed with your own credentials (--profile, or "
                             "the standard configuration); nothing is changed through it")
    parser.add_argument("--external-id", metavar="TEXT", help=f"{scope}the external id the role asks for, if any")


def allow_option(parser: argparse.ArgumentParser, text: str) -> None:
    """--allow RULE: a high-severity lint finding that apply may go past."""
    parser.add_argument("--allow", action="append", default=[], metavar="RULE", help=text)


def _blocking(topology: Any, allowed: list[str]) -> tuple[list[Any], str]:
    """The high-severity lint findings apply refuses to go past, and the --allow options that pass them."""
    from vpcdraw.topology.analysis.lint import at_or_above, lint

    found = [f for f in at_or_above(lint(topology), "high") if f.rule not in allowed]
    return found, " ".join(f"--allow {r}" for r in sorted({f.rule for f in found}))


def _plan(args: argparse.Namespace) -> int:
    from vpcdraw.deploy.workflow import plan

    topology, ec2 = session(args)
    my_ip = resolve_my_ip(args.my_ip)
    made, wanted, _ = plan(ec2, topology, my_ip, adopt=args.adopt, vpc_id=args.vpc_id)
    if made.problem:
        raise VpcdrawError(made.problem)
    if args.out:
        from vpcdraw.deploy.saved import save

        if args.out.resolve() == args.file.resolve():
            raise VpcdrawError(f"-out {args.out} is the topology file itself; give the plan another name")
        save(args.out, made, topology, my_ip, args.adopt, args.vpc_id)
    if args.json:
        print(json.dumps(made.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        _show(made, topology, ec2, wanted)
        blocking, passes = _blocking(topology, args.allow)
        if blocking and made.changes:
            print(f"  apply will refuse this plan for {plural(len(blocking), 'high-severity lint finding')} "
                  f"(fix them, or apply with {passes}):")
            for finding in blocking:
                print(paint(f"    {finding}", finding.severity))
    if args.out and not args.json:
        print(f"Saved the plan to {args.out}: `vpcdraw apply {args.out}` carries out exactly this plan.")
    return 2 if args.detailed_exitcode and made.changes else 0


def _show(made: Any, topology: Any, ec2: Any, wanted: Any) -> None:
    from vpcdraw.deploy.cost import total
    from vpcdraw.deploy.plan import counts, format_plan

    where = f"{ec2.endpoint} (local)" if ec2.local else f"AWS, region {topology.region}"
    print(f"Plan for topology '{topology.name}' on {where}:")
    if not made.changes:
        print("  no changes: the account matches the topology")
    else:
        print("\n".join(format_plan(made, paint)))
        print(f"  {counts(made)}")
    for note in made.notes:
        print(f"  note: {note}")
    hourly = total(wanted, topology.region)
    if hourly:
        print(f"  approximate cost while it exists: ${hourly:.3f}/hour (NAT gateways, public IPs, instances, "
              "transit gateway attachments, interface endpoints; on-demand list prices, approximate; traffic not "
              "counted)")


def confirm(ec2: Any, region: str, what: str, yes: bool) -> None:
    if ec2.local or yes:
        return
    account = ec2.account()
    question = f"{what} in AWS account {account}, region {region}? Type 'yes' to continue: "
    if not sys.stdin.isatty():
        raise VpcdrawError(f"{what} in AWS account {account} needs confirmation; run it in a terminal or add --yes")
    if input(question).strip().lower() != "yes":
        raise VpcdrawError("cancelled; nothing was changed")


def _progress(action: Any, aws_id: str, done: int, total: int) -> None:
    from vpcdraw.deploy.plan import SYMBOL

    print(f"  [{done}/{total}] " + paint(f"{SYMBOL[action.op]:>3} {action.kind} {action.address}", action.op)
          + (f" ({aws_id})" if aws_id and "|" not in aws_id and action.op != "delete" else ""), flush=True)


def _notice(text: str) -> None:
    print(f"  ... {text}", flush=True)


def _apply(args: argparse.Namespace) -> int:
    from vpcdraw.deploy.apply import ApplyFailed, ApplyInterrupted, apply
    from vpcdraw.deploy.cost import total
    from vpcdraw.deploy.workflow import plan, unfinished

    if args.parallelism < 1:
        raise VpcdrawError(f"--parallelism {args.parallelism} must be 1 or more")
    from vpcdraw.deploy.saved import is_saved, load

    saved = load(args.file) if is_saved(args.file) else None
    if saved is not None:  # the plan's own topology and options, whatever the command line says
        args.my_ip, args.adopt, args.vpc_id, args.yes = saved.my_ip, saved.adopt, saved.vpc_id, True
    blocking, passes = _blocking(saved.topology if saved else load_valid(args.file), args.allow)
    if blocking:
        for finding in blocking:
            print(f"  {finding}", file=sys.stderr)
        raise VpcdrawError(f"{plural(len(blocking), 'high-severity lint finding')} (above); fix them, or apply "
                           f"with {passes}")
    topology, ec2 = session(args, saved.topology if saved else None)
    made, wanted, _ = plan(ec2, topology, resolve_my_ip(args.my_ip), adopt=args.adopt, vpc_id=args.vpc_id)
    if made.problem:
        raise VpcdrawError(made.problem)
    stale = saved.stale(made) if saved else None
    if stale:
        raise VpcdrawError(f"{args.file}: {stale}; make a new plan (vpcdraw plan FILE -out {args.file.name})")
    _show(made, topology, ec2, wanted)
    if not made.changes:
        return 0
    confirm(ec2, topology.region, f"Apply {plural(len(made.actions), 'change')}", args.yes)
    from vpcdraw.deploy.lock import exclusive

    try:
        with exclusive(topology.name, "apply") as intent:
            made, wanted, _live = plan(ec2, topology, resolve_my_ip(args.my_ip), adopt=args.adopt,
                                      vpc_id=args.vpc_id)  # again, now that it is ours
            stale = saved.stale(made) if saved else None
            if stale:
                raise VpcdrawError(f"{args.file}: {stale}; make a new plan")
            made.intent = intent
            with _in_the_account(ec2, made, topology.name, "apply"):
                outcome = apply(ec2, made, parallelism=args.parallelism, progress=_progress, notice=_notice)
    except ApplyFailed as failed:
        print(f"vpcdraw: error: {failed}", file=sys.stderr)
        print(f"  done: {len(failed.done)} of {len(made.actions)}; not done: "
              + ", ".join(a.address for a in failed.not_done[:5]) + (" ..." if len(failed.not_done) > 5 else ""),
              file=sys.stderr)
        print("  run apply again to finish; what was done is kept and will not be duplicated", file=sys.stderr)
        return INTERRUPTED if isinstance(failed, ApplyInterrupted) else 1
    left = unfinished(lambda: plan(ec2, topology, resolve_my_ip(args.my_ip), adopt=False, vpc_id=args.vpc_id)[0])
    if left.actions:
        _did_not_take(left, "apply")
        return 1
    print(f"Applied {plural(len(outcome.done), 'change')}.")
    hourly = total(wanted, topology.region)
    source = "FILE" if saved else args.file
    undo = f"`vpcdraw destroy {source}{' --local' if args.local else ''}` removes it."
    if hourly:
        print(f"Reminder: this costs about ${hourly:.3f}/hour while it exists (approximate); {undo}")
    else:
        print(undo)
    return 0


INTERRUPTED = 130  # Ctrl-C, as the shell reports it
MAX_COPIES = 10  # how many copies of a topology's VPC one destroy removes at most


def _in_the_account(ec2: Any, made: Any, topology: str, what: str) -> Any:
    """The account's lock on the plan's first VPC of ours (none yet: nothing to lock, and duplicates are
    reported by the next plan; one being adopted is not marked before it is ours)."""
    import contextlib

    from vpcdraw.deploy.lock import account_lock

    adopting = {a.address for a in made.actions if a.op == "adopt"}  # not ours until tagged: not marked either
    vpc_id = next((i for a, i in sorted(made.ids.items())
                   if a.count("/") == 1 and a.startswith("vpc/") and a not in adopting), None)
    return account_lock(ec2, vpc_id, topology, what) if vpc_id else contextlib.nullcontext()


def _destroy(args: argparse.Namespace) -> int:
    from vpcdraw.deploy.apply import ApplyFailed, ApplyInterrupted, apply
    from vpcdraw.deploy.plan import format_plan
    from vpcdraw.deploy.workflow import destroy_plan, unfinished

    topology, ec2 = session(args)
    made, _ = destroy_plan(ec2, topology)
    if not made.changes and made.kept:
        raise VpcdrawError(made.kept[0])
    if not made.changes:
        print(f"Nothing to destroy: no resource carries the tag vpcdraw:topology={topology.name}.")
        for note in made.notes:
            print(f"  note: {note}")
        return 0
    print(f"Destroy topology '{topology.name}':")
    print("\n".join(format_plan(made, paint)))
    for reason in made.kept:
        print(f"  note: {reason}")
    for note in made.notes:
        print(f"  note: {note}")
    confirm(ec2, topology.region, f"Delete {plural(len(made.actions), 'resource')}", args.yes)
    from vpcdraw.deploy.lock import exclusive

    try:
        with exclusive(topology.name, "destroy"):
            done = []
            for _ in range(MAX_COPIES):  # one VPC's copy a pass: copies made twice are all removed
                made, _ = destroy_plan(ec2, topology)
                if not made.changes:
                    break
                with _in_the_account(ec2, made, topology.name, "destroy"):
                    done += apply(ec2, made, progress=_progress, notice=_notice).done
    except ApplyFailed as failed:
        print(f"vpcdraw: error: {failed}; run destroy again to finish", file=sys.stderr)
        return INTERRUPTED if isinstance(failed, ApplyInterrupted) else 1
    left = unfinished(lambda: destroy_plan(ec2, topology)[0])
    if left.actions:
        _did_not_take(left, "destroy")
        return 1
    print(f"Destroyed {plural(len(done), 'resource')}.")
    for reason in left.kept:
        print(f"vpcdraw: error: {reason}", file=sys.stderr)
    return 1 if left.kept else 0


def _did_not_take(left: Any, command: str) -> None:
    """Say which writes AWS reported done but a read of the account does not show."""
    from vpcdraw.deploy.plan import format_plan

    print(f"vpcdraw: error: {command} reported every call done, but a read of the account shows "
          f"{plural(len(left.actions), 'change')} that did not take:", file=sys.stderr)
    print("\n".join(format_plan(left)), file=sys.stderr)
    print(f"  run {command} again; if the same changes stay, change them by hand and report it", file=sys.stderr)


def reader(region: str | None, profile: str | None, use_local: bool, *, role_arn: str | None = None,
           external_id: str | None = None) -> Any:
    """A client for commands that read an account without a topology file (import, lint --vpc-id), read-only
    through `role_arn` when given."""
    from vpcdraw.deploy.aws import Ec2, configuration
    from vpcdraw.deploy.workflow import wants_local

    configured = configuration(profile)
    if configured.problem:  # an unknown profile, before asking for a region it might have named
        raise VpcdrawError(configured.problem)
    region = region or configured.region or (LOCAL_REGION if wants_local(use_local) else None)
    if not region:
        raise VpcdrawError("which region? give --region or set AWS_REGION")
    if wants_local(use_local):
        from vpcdraw.deploy import local

        return Ec2(region, endpoint=local.start().endpoint, local_server=True, role_arn=role_arn,
                   external_id=external_id)
    return Ec2(region, profile=profile, role_arn=role_arn, external_id=external_id)


def _local(args: argparse.Namespace) -> int:
    from vpcdraw.deploy import local

    if args.local_action == "start":
        server = local.start(args.port)
        print(f"The local AWS runs at {server.endpoint} (pid {server.pid}; log {server.log}).")
        print("Use it with --local on any vpcdraw AWS command, or with other tools:")
        print(f"  export AWS_ENDPOINT_URL={server.endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local "
              f"AWS_REGION={LOCAL_REGION}")
        print("Stop it with `vpcdraw local stop`.")
        return 0
    if args.local_action == "status":
        running = local.status()
        if running is None:
            print("The local AWS is not running; `vpcdraw local start` starts it.")
            return 1
        print(f"The local AWS runs at {running.endpoint} (pid {running.pid}).")
        return 0
    print("Stopped the local AWS; what it held is gone (it keeps nothing between runs)." if local.stop()
          else "The local AWS was not running.")
    return 0


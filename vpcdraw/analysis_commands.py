"""The commands that answer questions about a topology: reach (and, from the same model, lint)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.words import plural

from .aws_commands import role_options
from .colour import paint
from .common import detail_option, load_valid, resolve_my_ip
from .roster_command import add_roster_options, run_roster

if TYPE_CHECKING:
    from vpcdraw.topology.model import Topology


def add_analysis_commands(commands: Any) -> None:
    """Add lint and reach to the parser's subcommands."""
    lint = commands.add_parser(
        "lint", help="security findings, with checkov and Security Hub ids",
        description="Check a topology file, or a live VPC (--vpc-id, read-only), for security findings.\n"
                    "Exit 0 when nothing at or above --fail-on is found (or with --soft-fail), 2 when something "
                    "is, 1 on error.",
        epilog="examples:\n"
               "  vpcdraw lint --list                  every rule: severity, checkov and Security Hub ids\n"
               "  vpcdraw lint assignment.py --skip VD009,VD010\n"
               "  vpcdraw lint assignment.py --format sarif --soft-fail > vpcdraw.sarif\n"
               "                                       SARIF 2.1.0 for GitHub code scanning (upload-sarif)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    lint.add_argument("file", type=Path, nargs="?", help="topology file (.py, .json, or a .drawio drawing)")
    lint.add_argument("--vpc-id", help="lint a live VPC instead (imported read-only)")
    lint.add_argument("--region", help="with --vpc-id: the region (default: the standard AWS configuration)")
    lint.add_argument("--profile", help="with --vpc-id: the AWS profile")
    lint.add_argument("--local", action="store_true", help="with --vpc-id: the embedded local AWS")
    role_options(lint, "with --vpc-id: ")
    lint.add_argument("--fail-on", choices=("info", "low", "medium", "high"), default="medium",
                      help="the severity that fails (default medium)")
    lint.add_argument("--skip", action="extend", type=rule_list, default=[], metavar="RULE,...",
                      help="leave out these rules (ids such as VD009, any case, comma-separated; repeatable)")
    lint.add_argument("--soft-fail", action="store_true",
                      help="exit 0 even when findings are at or above --fail-on (they are still reported)")
    lint.add_argument("--list", action="store_true",
                      help="list every rule with its severity, checkov and Security Hub ids, and exit (no file "
                           "needed)")
    lint.add_argument("--format", choices=("text", "json", "sarif"), default=None,
                      help="text for people (default), json, or sarif (SARIF 2.1.0, for GitHub code scanning); "
                           "json and sarif print one JSON document and nothing else on stdout")
    lint.add_argument("--json", action="store_true", help="the same as --format json")
    lint.set_defaults(run=_lint)

    grade = commands.add_parser(
        "grade", help="grade a live VPC against the course assignment (read-only)",
        description="Check a VPC against the assignment, one verdict per requirement line (Korean and English), "
                    "with the evidence and a score. Needs only AmazonVPCReadOnlyAccess. Exit 0 all pass, 2 any "
                    "fail, 1 error.")
    grade.add_argument("--vpc-id", help="the VPC to grade (default: the region's only non-default VPC)")
    grade.add_argument("--my-ip", metavar="ADDRESS", help="the student's admin IP, when known")
    grade.add_argument("-o", "--output", type=Path, help="draw the VPC with failed items marked")
    detail_option(grade)
    grade.add_argument("--json", action="store_true", help="print one JSON document and nothing else")
    grade.add_argument("--rubric", type=Path, help="a rubric file (default: the week-1 assignment)")
    grade.add_argument("--region", help="the region (default: the standard AWS configuration)")
    grade.add_argument("--profile", help="the AWS profile (the reviewer's)")
    grade.add_argument("--local", action="store_true", help="the embedded local AWS")
    add_roster_options(grade)
    role_options(grade)
    grade.set_defaults(run=_grade)

    reach = commands.add_parser(
        "reach", help="can traffic get from A to B on a port? (and which component blocks it)",
        description="Answer whether FROM reaches TO on PORT, hop by hop, or name what blocks it. FROM and TO are\n"
                    "internet, my-ip, a CIDR, a tier (public, private, management), a subnet, a security group or "
                    "a host;\nwith several VPCs VPC/NAME (app/private-a), or a name alone when one VPC has it; "
                    "as TO, also an AWS\nservice a gateway endpoint serves (s3, dynamodb). Answers follow "
                    "peerings (never transitively), transit\ngateways and gateway endpoints. Works on the drawing "
                    "alone: nothing needs to be deployed.\nExit 0 reachable, 2 not, 1 error.",
        epilog="examples:\n"
               "  vpcdraw reach assignment.py internet private 3306\n"
               "  vpcdraw reach shared-services.py app/worker-a shared/tools 443\n"
               "  vpcdraw reach shared-services.py app/private-a s3 443",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    reach.add_argument("file", nargs="?",
                       help="topology file (.py, .json, or a .drawio drawing); with --vpc-id leave it out")
    reach.add_argument("source", nargs="?", metavar="FROM")
    reach.add_argument("target", nargs="?", metavar="TO")
    reach.add_argument("port", nargs="?", default="tcp/22", metavar="PORT",
                       help="3306, tcp/3306 or 3306/tcp (default tcp/22)")
    reach.add_argument("--matrix", action="store_true", help="who reaches whom on every port the groups mention")
    reach.add_argument("-o", "--output", type=Path, help="with --matrix: draw it (.png, .svg or .dot)")
    reach.add_argument("--json", action="store_true", help="print one JSON document and nothing else")
    reach.add_argument("--my-ip", metavar="ADDRESS", help="the admin's address (default: $VPCDRAW_MY_IP)")
    reach.add_argument("--vpc-id", help="answer for a live VPC instead (imported read-only): FROM TO [PORT] follow")
    reach.add_argument("--region", help="with --vpc-id: the region (default: the standard AWS configuration)")
    reach.add_argument("--profile", help="with --vpc-id: the AWS profile")
    reach.add_argument("--local", action="store_true", help="with --vpc-id: the embedded local AWS")
    role_options(reach, "with --vpc-id: ")
    reach.set_defaults(run=_reach)


def rule_list(text: str) -> list[str]:
    """An argparse type: comma-separated lint rule ids in any case, upper-cased, each one checked."""
    from .sarif import rule_ids

    try:
        return rule_ids(text)
    except VpcdrawError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def rule_id(text: str) -> str:
    """An argparse type: one lint rule id in any case, upper-cased and checked (apply --allow VD001)."""
    ids = rule_list(text)
    if len(ids) != 1:
        raise argparse.ArgumentTypeError(f"{text!r} names {len(ids)} rules; give each with its own option")
    return ids[0]


def _lint_format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise VpcdrawError(f"--json and --format {args.format} ask for two outputs; give one of them")
    return str(args.format or ("json" if args.json else "text"))


def _lint(args: argparse.Namespace) -> int:
    from vpcdraw.topology.analysis.lint import at_or_above, lint

    from . import __version__
    from .sarif import rule_lines, rules, sarif_log

    output = _lint_format(args)
    if args.list:
        if output == "text":
            print("\n".join(rule_lines()))
        else:
            print(json.dumps({"rules": [r.to_json() for r in rules()]}, indent=2))
        return 0
    if args.vpc_id:
        from .read_commands import imported

        topology = imported(args.vpc_id, args.region, args.profile, args.local, role_arn=args.role_arn,
                            external_id=args.external_id).topology
    elif args.file:
        topology = load_valid(args.file)
    else:
        raise VpcdrawError("lint needs a topology file or --vpc-id (or --list, which lists the rules)")
    skipped = sorted(set(args.skip))
    findings = [f for f in lint(topology) if f.rule not in skipped]
    failing = at_or_above(findings, args.fail_on)
    if output == "sarif":
        print(json.dumps(sarif_log(findings, None if args.vpc_id else args.file, __version__, skipped), indent=2,
                         ensure_ascii=False))
    elif output == "json":
        print(json.dumps({"findings": [f.to_json() for f in findings], "failed": bool(failing),
                          "skipped": skipped}, indent=2))
    else:
        for finding in findings:
            print(paint(str(finding), finding.severity))
        left_out = f" ({', '.join(skipped)} skipped)" if skipped else ""
        soft = "; --soft-fail: exit 0" if failing and args.soft_fail else ""
        print(f"{plural(len(findings), 'finding')}, {len(failing)} at or above {args.fail_on}{left_out}{soft}")
    return 2 if failing and not args.soft_fail else 0


def _grade(args: argparse.Namespace) -> int:
    if args.roster:
        return run_roster(args)
    from vpcdraw.topology.analysis.grade import grade, load_rubric

    from .read_commands import imported

    rubric = load_rubric(args.rubric)
    my_ip = resolve_my_ip(args.my_ip)  # once: `auto` asks the network, and what it says is printed
    reading = imported(args.vpc_id, args.region, args.profile, args.local, my_ip, role_arn=args.role_arn,
                       external_id=args.external_id)
    topology = reading.topology
    result = grade(topology, rubric, my_ip)
    passed, total = result.score
    if args.output and result.topology is not None:
        from vpcdraw.render import render

        from .overlays import grade_overlay

        drawing = render(result.topology, args.output, overlay=grade_overlay(result), detail=args.detail,
                         ids=reading.ids)
        print(f"wrote {drawing.path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{result.rubric}: {topology.description}")
        for item in result.items:
            mark = paint("PASS", "pass") if item.passed else paint("FAIL", "fail")
            print(f"  [{mark}] {item.ko} / {item.en}")
            print(f"         {item.evidence}")
        print(f"Score: {passed}/{total}")
    return 0 if passed == total else 2


def _reach(args: argparse.Namespace) -> int:
    from vpcdraw.topology.analysis.reach import asked_port, reach

    if args.vpc_id:  # no file: the words shift left
        args.source, args.target, args.port = args.file, args.source, args.target or args.port
    elif not args.file:
        raise VpcdrawError("reach needs a topology file or --vpc-id; for example: reach assignment.py internet "
                           "private 3306")
    if not args.matrix:
        if not (args.source and args.target):
            raise VpcdrawError("reach needs FROM and TO (or --matrix); for example: internet private 3306")
        asked_port(args.port)  # a bad port is refused before the file is loaded or AWS is asked
    my_ip = resolve_my_ip(args.my_ip)
    topology = _reach_topology(args, my_ip)
    if args.matrix:
        return _reach_matrix(args, topology, my_ip)
    answers = reach(topology, args.source, args.target, args.port, my_ip)
    if not answers:
        raise VpcdrawError(f"{args.source} and {args.target} name the same host; ask about two different ones")
    reachable = any(a.reachable for a in answers)
    if args.json:
        print(json.dumps({"reachable": reachable, "answers": [a.to_json() for a in answers]}, indent=2))
        return 0 if reachable else 2
    for answer in answers:
        verdict = paint("reachable", "pass") if answer.reachable else paint("UNREACHABLE", "fail")
        print(f"{answer.source} -> {answer.target} on {answer.port}: {verdict}")
        # every hop walked, and for an unreachable answer the one that blocks
        print("  " + "\n  -> ".join(answer.path if answer.reachable else (*answer.path, answer.blocked)))
    return 0 if reachable else 2


def _reach_topology(args: argparse.Namespace, my_ip: str | None) -> Topology:
    """The topology reach answers for: the live VPC of --vpc-id (read-only), else the file."""
    if args.vpc_id:
        from .read_commands import imported

        return imported(args.vpc_id, args.region, args.profile, args.local, my_ip, role_arn=args.role_arn,
                        external_id=args.external_id).topology
    return load_valid(Path(args.file))


def _reach_matrix(args: argparse.Namespace, topology: Topology, my_ip: str | None) -> int:
    """Print (and with -o draw) who reaches whom on every port the groups mention."""
    from vpcdraw.topology.analysis.reach import MATRIX_CORNER, matrix

    sources, targets, cells = matrix(topology, my_ip)
    if args.json:
        print(json.dumps({f"{s} -> {t}": ports for (s, t), ports in cells.items()}, indent=2))
    else:
        width = max(len(s) for s in [*sources, MATRIX_CORNER]) + 2
        print(MATRIX_CORNER.ljust(width) + "".join(t.ljust(24) for t in targets))
        for s in sources:
            print(s.ljust(width) + "".join((", ".join(cells[(s, t)]) or "-").ljust(24) for t in targets))
    if args.output:
        from vpcdraw.render.matrix import draw_matrix

        print(f"wrote {draw_matrix(topology.name, sources, targets, cells, args.output)}", file=sys.stderr)
    return 0

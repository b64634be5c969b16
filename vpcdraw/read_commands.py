"""The commands that read an account without changing it: diff and import (lint, reach and grade use `imported`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.files import write

from .aws_commands import file_and_aws_options, reader, role_options, session
from .colour import paint
from .common import detail_option, resolve_my_ip
from .overlays import drift_overlay


def add_read_commands(commands: Any) -> None:
    """Add diff and import to the parser's subcommands."""
    diff = commands.add_parser(
        "diff", help="hold the drawing against a live VPC and list the drift",
        description="Compare the topology with a live VPC, built by vpcdraw or by hand (found by --vpc-id, our "
                    "tags, or its CIDR). Read-only: needs only what AmazonVPCReadOnlyAccess allows. Exit 0 in sync, "
                    "2 drift, 1 error.")
    file_and_aws_options(diff)
    role_options(diff)
    diff.add_argument("--vpc-id", help="the VPC to check (default: found by tags, then by CIDR)")
    diff.add_argument("--json", action="store_true",
                      help='print {"in_sync", "missing", "unmanaged", "changed", "not_checked"} and nothing else')
    diff.add_argument("-o", "--output", type=Path, help="also draw the drift (.png, .svg, .dot, .drawio or .html)")
    detail_option(diff)
    diff.set_defaults(run=_diff)

    imports = commands.add_parser(
        "import", help="write a topology file from a live VPC (and draw it)",
        description="Read a live VPC (read-only) into a topology file that reads like a hand-written one: names "
                    "from Name tags, tiers from routes. Without --vpc-id: the region's only non-default VPC.")
    imports.add_argument("--vpc-id", action="append", metavar="VPC",
                         help="a VPC to import; give it again for each VPC of a topology that spans several (peered "
                              "or on one transit gateway); a peer that is not given is written as an external VPC")
    imports.add_argument("--all", action="store_true", dest="every",
                         help="import every non-default VPC of the region into one topology")
    imports.add_argument("-o", "--output", type=Path, help="the topology file to write (.py or .json; default: stdout)")
    imports.add_argument("--png", type=Path, help="also draw it (.png, .svg, .dot, .drawio or .html)")
    imports.add_argument("--drawio", type=Path, metavar="FILE",
                         help="also write it as a draw.io drawing to edit and build from (.drawio, .drawio.png or "
                              ".drawio.svg; every subnet drawn)")
    imports.add_argument("--my-ip", metavar="ADDRESS",
                         help="the admin's address: a rule from exactly it is written as my_ip (default: "
                              "$VPCDRAW_MY_IP)")
    detail_option(imports)
    imports.add_argument("--local", action="store_true", help="use the embedded local AWS (also VPCDRAW_LOCAL=1)")
    imports.add_argument("--region", help="the region to read (default: the standard AWS configuration)")
    imports.add_argument("--profile", help="the AWS profile to use (default: the standard configuration)")
    role_options(imports)
    imports.set_defaults(run=_import)


def _diff(args: argparse.Namespace) -> int:
    from vpcdraw.deploy.diff import drift

    topology, ec2 = session(args)
    found = drift(ec2, topology, resolve_my_ip(args.my_ip), args.vpc_id)
    if args.output:
        from vpcdraw.render import render

        drawing = render(topology, args.output, my_ip=resolve_my_ip(args.my_ip), overlay=drift_overlay(found),
                         detail=args.detail)
        print(f"wrote {drawing.path}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(found.to_json(), indent=2, ensure_ascii=False, default=str))
        return 0 if found.in_sync else 2
    verdict = paint("in sync", "pass") if found.in_sync else paint("DRIFT", "fail")
    print(f"Topology '{topology.name}' against the live VPC: {verdict}")
    for owner, lines in _by_resource(found).items():
        print(f"  {owner}:")
        for line in lines:
            print(f"    {line}")
    if found.not_checked:
        print(f"  not checked (these credentials may not describe them): {', '.join(found.not_checked)}")
    for note in found.notes:
        print(f"  note: {note}")
    return 0 if found.in_sync else 2


def imported(vpc_id: str | Sequence[str] | None, region: str | None, profile: str | None, use_local: bool,
             my_ip: str | None = None, *, role_arn: str | None = None, external_id: str | None = None,
             every: bool = False) -> Any:
    """Live VPCs read through the one translation (`vpcdraw.deploy.translate`); what it inferred to stderr.
    `vpc_id` is one VPC or several; none: the region's only non-default VPC; `every`: all of them.
    With `role_arn`, read through that role (read-only), assumed with the credentials of `profile`."""
    from vpcdraw.deploy.choose import choose_vpcs
    from vpcdraw.deploy.translate import read_vpcs

    if every and vpc_id:
        raise VpcdrawError("give --vpc-id or --all, not both")
    ec2 = reader(region, profile, use_local, role_arn=role_arn, external_id=external_id)
    ids = [vpc_id] if isinstance(vpc_id, str) else list(vpc_id or [])
    reading = read_vpcs(ec2, choose_vpcs(ec2, ids, every), my_ip)
    for line in reading.warnings:
        print(f"vpcdraw: warning: {line}", file=sys.stderr)
    for line in reading.notes:
        print(f"vpcdraw: note: {line}", file=sys.stderr)
    return reading


def _import(args: argparse.Namespace) -> int:
    from vpcdraw.topology.mxfile import is_drawio
    from vpcdraw.topology.serialize import to_json
    from vpcdraw.topology.source import to_python
    from vpcdraw.topology.validate import validate

    if args.drawio and not is_drawio(args.drawio.name):
        raise VpcdrawError(f"--drawio writes a .drawio, .drawio.png or .drawio.svg file, not {args.drawio}")
    my_ip = resolve_my_ip(args.my_ip)
    reading = imported(args.vpc_id, args.region, args.profile, args.local, my_ip, role_arn=args.role_arn,
                       external_id=args.external_id, every=args.every)
    topology = reading.topology
    region = topology.region
    problems = validate(topology)
    for problem in problems:
        print(f"vpcdraw: warning: {problem}", file=sys.stderr)
    if any(p.severity == "error" for p in problems):
        if not reading.not_checked:
            raise VpcdrawError("the imported topology does not pass check (above); please report this as a bug")
        print("vpcdraw: warning: the file does not pass check until what these credentials could not read is "
              f"filled in ({', '.join(k.replace('_', ' ') + 's' for k in reading.not_checked)}); it is written as "
              "far as it was seen", file=sys.stderr)
    header = f"Imported by `vpcdraw import` from {topology.description.removeprefix('imported from ')} in {region}."
    text = to_json(topology) if args.output and args.output.suffix == ".json" else to_python(topology, header)
    if args.output:
        write(args.output, text, "the imported topology")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.png:
        from vpcdraw.render import render

        drawing = render(topology, args.png, my_ip=my_ip, detail=args.detail, ids=reading.ids)  # .html shows ids
        print(f"wrote {drawing.path}", file=sys.stderr)
    if args.drawio:
        from vpcdraw.render import render

        drawing = render(topology, args.drawio, my_ip=my_ip, detail="subnets")  # each subnet: a file to build from
        print(f"wrote {drawing.path}", file=sys.stderr)
    return 0


def _by_resource(found: Any) -> dict[str, list[str]]:
    """Drift lines grouped under the resource they belong to (a rule under its group, a route under its table)."""
    grouped: dict[str, list[str]] = {}
    for mark, word, items in (("-", "missing", found.missing), ("+", "unmanaged", found.unmanaged),
                              ("~", "changed", found.changed)):
        for item in items:
            owner, what = (item.owner, item.part) if item.owner else (item.detail, "")
            change = f"{item.attribute} should be {item.expected!r}, is {item.actual!r}" if item.attribute else ""
            text = " ".join(part for part in (f"{mark} {word}", what, change, f"({item.address})") if part)
            grouped.setdefault(owner, []).append(text)
    return grouped

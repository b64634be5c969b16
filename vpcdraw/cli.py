"""The `vpcdraw` command line: argument parsing, output for people, and the one error boundary.

Heavy libraries (diagrams, boto3, networkx) are imported inside the commands that need them, so
`vpcdraw --help` and `vpcdraw check` start at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from vpcdraw.topology.errors import InvalidTopology, VpcdrawError

from . import __version__, common
from .analysis_commands import add_analysis_commands
from .aws_commands import add_commands
from .common import detail_option, load_valid, resolve_my_ip
from .read_commands import add_read_commands

EPILOG = """\
A topology file is a Python file that builds a topology and binds it to the name `topology`,
or its JSON form (from `vpcdraw export`). A .py topology file is code: vpcdraw runs it with
your permissions and AWS credentials, so read files from others first, or ask for the .json form.

Start here:
  vpcdraw example assignment > assignment.py    the course assignment, as a topology file
  vpcdraw check assignment.py                   list every problem at once
  vpcdraw render assignment.py -o assignment.png --my-ip 203.0.113.10
  vpcdraw apply assignment.py --local --my-ip 203.0.113.10    deploy it to the embedded local AWS
  vpcdraw plan assignment.py --local --my-ip 203.0.113.10     and see nothing is left to do

Exit codes: 0 success, 1 error or problems found; plan --detailed-exitcode gives 2 when there are changes."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every vpcdraw command."""
    parser = argparse.ArgumentParser(
        prog="vpcdraw",
        description="Diagram-first infrastructure for AWS networks: draw, deploy and check a VPC from one model.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vpcdraw {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback when something fails unexpectedly")
    parser.add_argument("--no-exec", action="store_true",
                        help="read only .json topology files, never run a .py one (also VPCDRAW_NO_EXEC=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    example = commands.add_parser("example", help="print an example topology file",
                                  description="Print an example topology file to standard output.")
    example.add_argument("name", choices=("assignment", "service"),
                         help="assignment: the course's week-1 VPC; service: the same plus NAT and hosts")
    example.set_defaults(run=_example)

    check = commands.add_parser("check", help="validate a topology file and list every problem",
                                description="Validate a topology file; list every problem, each with its address.")
    check.add_argument("file", type=Path, help="topology file (.py or .json)")
    check.set_defaults(run=_check)

    render = commands.add_parser(
        "render", help="draw a topology as PNG, SVG or DOT",
        description="Draw a topology file. The output format follows the extension of -o: .png, .svg or .dot.")
    render.add_argument("file", type=Path, help="topology file (.py or .json)")
    render.add_argument("-o", "--output", type=Path, default=None,
                        help="where to write the drawing (default: the file's name with .png)")
    _my_ip_option(render)
    detail_option(render)
    render.set_defaults(run=_render)

    export = commands.add_parser("export", help="print a topology in its JSON form",
                                 description="Print a topology in its JSON form, which round-trips exactly.")
    export.add_argument("file", type=Path, help="topology file (.py or .json)")
    export.add_argument("--json", action="store_true", default=True, help="JSON output (the only form, and default)")
    export.add_argument("-o", "--output", type=Path, default=None, help="write to this file instead of stdout")
    export.set_defaults(run=_export)

    doctor = commands.add_parser("doctor", help="check this machine for Graphviz, fonts and AWS settings",
                                 description="Check what vpcdraw needs here; each line says how to fix it.")
    doctor.add_argument("--profile", help="the AWS profile to check (default: the standard configuration)")
    doctor.set_defaults(run=_doctor)
    add_commands(commands)
    add_read_commands(commands)
    add_analysis_commands(commands)
    return parser


def _my_ip_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--my-ip", metavar="ADDRESS",
        help="the admin's public IPv4 address for rules from my_ip, or 'auto' to ask checkip.amazonaws.com "
             "(default: $VPCDRAW_MY_IP)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run vpcdraw; returns the exit code. The one place that turns errors into messages."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 1
    common.allow_code = False if args.no_exec else None
    try:
        return int(args.run(args))
    except InvalidTopology as error:
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        _fail(f"{error}; nothing was drawn or changed")
    except VpcdrawError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted")
    except BrokenPipeError:  # `vpcdraw ... | head` closed the pipe: what was wanted has been read
        sys.stderr.close()
        return 1
    except Exception as error:
        if args.debug:
            raise
        _fail(f"unexpected {type(error).__name__}: {error} (run with --debug for details)")
    return 1


def _fail(message: str) -> None:
    print(f"vpcdraw: error: {message}", file=sys.stderr)


def _example(args: argparse.Namespace) -> int:
    from vpcdraw.topology.examples import example_source

    sys.stdout.write(example_source(args.name))
    return 0


def _check(args: argparse.Namespace) -> int:
    topology = load_valid(args.file)
    vpcs = topology.vpcs
    counts = [
        f"{len(vpcs)} VPC{'s' if len(vpcs) != 1 else ''}",
        f"{sum(len(v.subnets) for v in vpcs)} subnets",
        f"{sum(len(v.security_groups) for v in vpcs)} security groups",
    ]
    print(f"{args.file}: valid ({', '.join(counts)})")
    return 0


def _render(args: argparse.Namespace) -> int:
    from vpcdraw.render import render

    topology = load_valid(args.file)
    out = args.output or args.file.with_suffix(".png")
    drawing = render(topology, out, my_ip=resolve_my_ip(args.my_ip), detail=args.detail)
    for warning in drawing.warnings:
        print(f"vpcdraw: warning: {warning}", file=sys.stderr)
    print(f"wrote {drawing.path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from vpcdraw.topology.serialize import to_json

    text = to_json(load_valid(args.file))
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise VpcdrawError(f"{args.output}: cannot write ({error.strerror})") from None
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import checks

    failed = False
    for ok, required, line in checks(args.profile):
        mark = "ok " if ok else ("ERR" if required else "-- ")
        failed |= required and not ok
        print(f"[{mark}] {line}")
    return 1 if failed else 0

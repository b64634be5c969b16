"""The `vpcdraw` command line: argument parsing, output for people, and the one error boundary.

Heavy libraries (diagrams, boto3, networkx) are imported inside the commands that need them, so
`vpcdraw --help` and `vpcdraw check` start at once.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from vpcdraw.topology.errors import InvalidTopology, VpcdrawError
from vpcdraw.topology.examples import NAMES
from vpcdraw.topology.files import write
from vpcdraw.topology.words import plural

from . import __version__, colour, common
from .account_commands import add_account_command
from .analysis_commands import add_analysis_commands, rule_id
from .aws_commands import add_commands
from .common import detail_option, load_valid, resolve_my_ip
from .post_command import add_post_command
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

Exit codes (as Terraform's):
  0    success
  1    an error: problems in the file, a refused or failed call, a usage error such as an unknown option
  2    changes (plan --detailed-exitcode), drift (diff), findings (lint), failed items (grade), unreachable
       (reach); never anything else
  70   a bug in vpcdraw: one line says so and names the file holding the traceback (--debug prints it)
  130  interrupted (Ctrl-C)"""

ERROR, BUG, INTERRUPTED = 1, 70, 130  # 70 is EX_SOFTWARE in BSD's sysexits.h: "an internal software error"


class Parser(argparse.ArgumentParser):
    """argparse with Terraform's manners, for every command and subcommand alike.

    A usage error exits 1 after the usage line (argparse's 2 would read as "changes" or "drift"), an option
    is never taken from its abbreviation, and a mistyped command gets a "did you mean".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ERROR, f"vpcdraw: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is None or value in action.choices:
            return
        choices = sorted(str(c) for c in action.choices)
        close = difflib.get_close_matches(str(value), choices, n=1)
        if isinstance(action, argparse._SubParsersAction):
            what = "command" if self.prog == "vpcdraw" else f"{self.prog} {str(action.metavar).lower()}"
            hint = f"did you mean '{close[0]}'?" if close else f"the {what}s are {', '.join(choices)}"
            raise argparse.ArgumentError(None, f"unknown {what} '{value}'; {hint}")
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise argparse.ArgumentError(action, f"invalid choice '{value}' (choose from {', '.join(choices)}){hint}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every vpcdraw command."""
    parser = Parser(
        prog="vpcdraw",
        description="Diagram-first infrastructure for AWS networks: draw, deploy and check a VPC from one model.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vpcdraw {__version__}")
    _general_options(parser, False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    example = commands.add_parser("example", help="print an example topology file",
                                  description="Print an example topology file to standard output.")
    example.add_argument("name", choices=NAMES,
                         help="assignment: the course's week-1 VPC; service: the same plus NAT and hosts; "
                         "shared-services: two VPCs peered, S3 through a gateway endpoint; hub: three VPCs on a "
                         "transit gateway")
    example.set_defaults(run=_example)

    check = commands.add_parser("check", help="validate a topology file and list every problem",
                                description="Validate a topology file; list every problem, each with its address.")
    check.add_argument("file", type=Path, help="topology file (.py, .json, or a .drawio drawing)")
    check.set_defaults(run=_check)

    render = commands.add_parser(
        "render", help="draw a topology as PNG, SVG, DOT, a draw.io file or an HTML page",
        description="Draw a topology file. The output format follows the extension of -o: .png, .svg, .dot, or "
                    ".drawio (diagrams.net, with AWS's shapes; exporting again over it keeps the boxes you moved), or "
                    ".drawio.png / .drawio.svg (the picture, with the diagram inside: it opens editable in draw.io), "
                    "or .html (one self-contained page: hover a line, subnet or security group for its rules and "
                    "routes).")
    render.add_argument("file", type=Path, help="topology file (.py, .json, or a .drawio drawing)")
    render.add_argument("-o", "--output", type=Path, default=None,
                        help="where to write the drawing (default: the file's name with .png)")
    _my_ip_option(render)
    detail_option(render)
    render.add_argument("--compressed", action="store_true",
                        help="with -o FILE.drawio: draw.io's compressed form (deflate, base64) instead of plain, "
                             "diffable XML")
    render.set_defaults(run=_render)

    export = commands.add_parser(
        "export", help="write a topology as JSON, a CloudFormation template or a Terraform module",
        description="Write a topology in its JSON form (the default, which round-trips exactly), as a CloudFormation "
                    "template (--cloudformation) or as a Terraform module (--terraform). With --adopt --vpc-id, the "
                    "template or module takes over what already exists in that VPC instead of building it again.")
    export.add_argument("file", type=Path, help="topology file (.py, .json, or a .drawio drawing)")
    engine = export.add_mutually_exclusive_group()
    engine.add_argument("--json", dest="engine", action="store_const", const="json", default="json",
                        help="the JSON form (default)")
    engine.add_argument("--cloudformation", dest="engine", action="store_const", const="cloudformation",
                        help="a CloudFormation template (YAML), checked by cfn-lint")
    engine.add_argument("--terraform", dest="engine", action="store_const", const="terraform",
                        help="a Terraform module for the AWS provider; -o names its folder")
    export.add_argument("-o", "--output", type=Path, default=None,
                        help="write to this file (a folder for --terraform) instead of stdout")
    export.add_argument("--adopt", action="store_true",
                        help="with --vpc-id: take over the live resources (CloudFormation: DeletionPolicy Retain and "
                             "an import file; Terraform: import blocks with their ids)")
    export.add_argument("--vpc-id", help="the live VPC to adopt (with --adopt)")
    export.add_argument("--my-ip", metavar="ADDRESS", help="the admin's IP for my_ip rules (default: $VPCDRAW_MY_IP)")
    export.add_argument("--local", action="store_true", help="with --adopt: read the embedded local AWS")
    export.add_argument("--region", help="with --adopt: the region to read (default: the topology's)")
    export.add_argument("--profile", help="with --adopt: the AWS profile to use")
    export.set_defaults(run=_export)

    doctor = commands.add_parser("doctor", help="check this machine for Graphviz, fonts and AWS settings",
                                 description="Check what vpcdraw needs here; each line says how to fix it.")
    doctor.add_argument("--profile", help="the AWS profile to check (default: the standard configuration)")
    doctor.set_defaults(run=_doctor)
    add_commands(commands)
    add_account_command(commands)
    add_read_commands(commands)
    add_post_command(commands)
    add_analysis_commands(commands)
    for command in _subparsers(parser):
        _general_options(command, argparse.SUPPRESS)  # `vpcdraw check --no-exec f.py` as well as before it
        for action in command._actions:
            if "--allow" in action.option_strings:  # apply --allow VD001 (and plan's, where it has one)
                action.type = rule_id
    return parser


def _general_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """vpcdraw's own options, which go before or after the command. After it they default to SUPPRESS, so
    that a command's parser leaves the value given before the command alone."""
    group = parser.add_argument_group("general options") if default is argparse.SUPPRESS else parser
    group.add_argument("--debug", action="store_true", default=default,
                       help="print the traceback of an unexpected error (a bug in vpcdraw, exit 70) here too")
    group.add_argument("--no-exec", action="store_true", default=default,
                       help="read only .json topology files, never run a .py one (also VPCDRAW_NO_EXEC=1)")
    group.add_argument("--no-color", action="store_true", default=default,
                       help="plain output even at a terminal (also NO_COLOR=1); pipes never get colour")


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser under `parser`, nested ones (`local start`) included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                found += [command, *_subparsers(command)]
    return found


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the command that was given (`vpcdraw local start` -> the parser of start)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, action.dest, None) in action.choices:
            return _chosen(action.choices[getattr(args, action.dest)], args)
    return parser


def _unrecognized(root: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str],
                  extra: list[str]) -> NoReturn:
    """The usage of the command that met an option it does not know, with the option it probably meant."""
    parser = _chosen(root, args)
    command = getattr(args, "command", None)
    if command in argv and extra[0] in argv and argv.index(extra[0]) < argv.index(command):
        parser = root  # `vpcdraw --no-e check ...`: before the command, only vpcdraw's own options count
    own = {o for a in parser._actions for o in a.option_strings}
    first = extra[0].split("=", 1)[0]
    close = difflib.get_close_matches(first, sorted(own), n=1) if first.startswith("-") else []
    hint = f"; did you mean {close[0]}?" if close and close[0] != first else ""
    parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")


def _my_ip_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--my-ip", metavar="ADDRESS",
        help="the admin's public IPv4 address for rules from my_ip, or 'auto' to ask checkip.amazonaws.com "
             "(default: $VPCDRAW_MY_IP)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run vpcdraw; returns the exit code. The one place that turns errors into messages and exit codes.

    --help and --version exit 0 as argparse does (SystemExit); everything else returns its code.
    """
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _unrecognized(parser, args, list(sys.argv[1:] if argv is None else argv), extra)
    except SystemExit as exited:
        if exited.code in (0, None):
            raise
        return ERROR
    if not getattr(args, "run", None):
        parser.print_help()
        return ERROR
    common.allow_code = False if args.no_exec else None
    colour.setup(sys.stdout, args.no_color)
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary, not at interpreter exit
        return code
    except InvalidTopology as error:
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        _fail(f"{error}; nothing was drawn or changed")
    except VpcdrawError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted")
        return INTERRUPTED
    except BrokenPipeError:  # `vpcdraw ... | head` closed the pipe: what was wanted has been read
        # What is still buffered would fail again when Python flushes at exit (exit status 120): point
        # stdout at /dev/null, as the Python documentation's note on SIGPIPE advises.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except Exception as error:
        return _bug(error, argv, args.debug)
    return ERROR


def _fail(message: str) -> None:
    print(f"vpcdraw: error: {message}", file=sys.stderr)


def _bug(error: Exception, argv: Sequence[str] | None, debug: bool) -> int:
    """An exception no code path expected: a bug in vpcdraw. One line says so and where the traceback is."""
    text = "".join(traceback.format_exception(error))
    if debug:
        sys.stderr.write(text)
    where = _save_crash_report(text, sys.argv[1:] if argv is None else list(argv))
    summary = " ".join(f"{type(error).__name__}: {error}".split())
    summary = summary if len(summary) <= 200 else summary[:197] + "..."
    saved = f"the full traceback is in {where}" if where else "the traceback could not be saved (run with --debug)"
    _fail(f"internal error ({summary}); this is a bug in vpcdraw, not in your input: {saved}; please report it")
    return BUG


def _save_crash_report(text: str, argv: list[str]) -> str | None:
    """Write the traceback to a new file (readable only by the user) in vpcdraw's state directory, else in
    the temporary one; its path, or None when neither can be written."""
    import tempfile

    from vpcdraw.deploy.local import state_dir

    report = f"vpcdraw {__version__}, Python {sys.version.split()[0]}\nvpcdraw {' '.join(argv)}\n\n{text}"
    prefix = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-"
    places: list[tuple[Path, str]] = [(Path(tempfile.gettempdir()), f"vpcdraw-{prefix}")]
    with contextlib.suppress(RuntimeError):  # no home directory: only the temporary one is left
        places.insert(0, (state_dir() / "crashes", prefix))
    for directory, name in places:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, path = tempfile.mkstemp(prefix=name, suffix=".txt", dir=directory)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(report)
            return path
        except OSError:
            continue
    return None


def _example(args: argparse.Namespace) -> int:
    from vpcdraw.topology.examples import example_source

    sys.stdout.write(example_source(args.name))
    return 0


def _check(args: argparse.Namespace) -> int:
    topology = load_valid(args.file)
    vpcs = topology.vpcs
    counts = [plural(len(vpcs), "VPC"), plural(sum(len(v.subnets) for v in vpcs), "subnet"),
              plural(sum(len(v.security_groups) for v in vpcs), "security group")]
    print(f"{args.file}: valid ({', '.join(counts)})")
    return 0


def _render(args: argparse.Namespace) -> int:
    from vpcdraw.render import render

    topology = load_valid(args.file)
    out = args.output or args.file.with_suffix(".png")
    if args.compressed and not str(out).lower().endswith(".drawio"):
        raise VpcdrawError(f"--compressed is for a .drawio file, not {out}")
    drawing = render(topology, out, my_ip=resolve_my_ip(args.my_ip), detail=args.detail, compressed=args.compressed)
    for warning in drawing.warnings:
        print(f"vpcdraw: warning: {warning}", file=sys.stderr)
    print(f"wrote {drawing.path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from vpcdraw.topology.serialize import to_json

    if args.engine != "json" or args.adopt or args.vpc_id:
        from .handoff_commands import handoff

        return handoff(args)
    text = to_json(load_valid(args.file))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write(args.output, text, "the export")
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

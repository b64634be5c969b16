"""What several commands share: loading a valid topology, and the admin IP from flags or environment."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vpcdraw.topology.errors import InvalidTopology
from vpcdraw.topology.model import Topology

allow_code: bool | None = None  # False after --no-exec: .py topology files are refused


def load_valid(file: Path) -> Topology:
    """The topology in `file`, or InvalidTopology listing every problem (before any AWS call)."""
    from vpcdraw.topology import load, validate

    notes: list[str] = []
    topology = load(file, allow_code=allow_code, notes=notes)
    for note in notes:
        print(f"vpcdraw: assumed: {note}", file=sys.stderr)
    problems = validate(topology)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidTopology(str(file), errors)
    for problem in problems:
        print(f"vpcdraw: warning: {problem}", file=sys.stderr)
    return topology


def resolve_my_ip(value: str | None) -> str | None:
    """The admin IP as a /32 from --my-ip, then VPCDRAW_MY_IP; 'auto' asks checkip.amazonaws.com."""
    from vpcdraw.topology.admin_ip import ENVIRONMENT_VARIABLE, normalise, not_from_the_internet

    value = value or os.environ.get(ENVIRONMENT_VARIABLE) or None
    if value is None:
        return None
    if value.strip().lower() == "auto":
        from vpcdraw.deploy.my_ip import lookup

        address, where = lookup()
        print(f"my IP: {address} (from {where})", file=sys.stderr)
        return address
    address = normalise(value)
    if (warning := not_from_the_internet(address)) is not None:
        print(f"vpcdraw: warning: {warning}", file=sys.stderr)
    return address


def detail_option(parser: argparse.ArgumentParser) -> None:
    """--expand / --collapse: how a drawing shows subnets (each one, or one box per tier and AZ)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--expand", dest="detail", action="store_const", const="subnets", default="auto",
                       help="draw every subnet, even in VPCs of more than 24 subnets (which are grouped by default)")
    group.add_argument("--collapse", dest="detail", action="store_const", const="tiers",
                       help="draw one box per tier and AZ, with counts, even in small VPCs")

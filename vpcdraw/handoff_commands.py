"""`vpcdraw export --cloudformation / --terraform`: the topology handed to the engine a team already runs, and with
`--adopt --vpc-id` the live resources that engine should take over rather than build again."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.model import Topology


def handoff(args: argparse.Namespace) -> int:
    """Check the options (one sentence, before any AWS call), then write the template or the module."""
    if args.adopt and not args.vpc_id:
        raise VpcdrawError("--adopt needs --vpc-id: the live VPC whose resources the template or module takes over")
    if args.vpc_id and not args.adopt:
        raise VpcdrawError("--vpc-id is for --adopt: add --adopt to take over that VPC's resources")
    if args.engine == "json":
        raise VpcdrawError("--adopt is for --cloudformation or --terraform; the JSON form has no live ids")
    if args.engine == "cloudformation":
        from .cloudformation_command import export_cloudformation

        return export_cloudformation(args)
    from .terraform_command import export_terraform

    return export_terraform(args)


@dataclass(frozen=True)
class LiveIds:
    """The live resources a template or module takes over: AWS id by vpcdraw address, for each resource of the
    topology found in the VPC (built by vpcdraw, or a look-alike that `plan --adopt` would take over)."""

    ids: dict[str, str]
    missing: tuple[str, ...]  # addresses of the topology that the VPC does not have: created, not imported


def live_ids(args: argparse.Namespace, topology: Topology) -> LiveIds:
    """Read the VPC of `--vpc-id` (read-only) and match it to the topology as `plan --adopt` does."""
    from vpcdraw.deploy.workflow import connect, plan

    from .common import resolve_my_ip

    ec2 = connect(topology, use_local=args.local, region=args.region, profile=args.profile)
    made, wanted, live = plan(ec2, topology, resolve_my_ip(args.my_ip), adopt=True, vpc_id=args.vpc_id)
    if made.problem is not None:
        raise VpcdrawError(made.problem)
    ids = {r.address: live.ids[r.address] for r in wanted if r.address in live.ids}
    ids.update({a.address: a.aws_id for a in made.actions if a.op == "adopt" and a.aws_id})
    return LiveIds(ids, tuple(r.address for r in wanted if r.address not in ids))

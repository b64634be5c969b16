"""The deploy side's entry points: connect for a topology, plan, apply and destroy."""

from __future__ import annotations

import os

from vpcdraw.topology.admin_ip import fill
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource, resources
from vpcdraw.topology.model import Topology

from . import local
from .aws import Ec2
from .live import Live, read
from .plan import Plan, make_plan

LOCAL_VARIABLE = "VPCDRAW_LOCAL"


def wants_local(flag: bool) -> bool:
    """Whether to use the embedded local AWS: `--local` or VPCDRAW_LOCAL=1."""
    return flag or os.environ.get(LOCAL_VARIABLE, "") not in ("", "0", "false", "no")


def connect(topology: Topology, *, use_local: bool = False, region: str | None = None,
            profile: str | None = None) -> Ec2:
    """An EC2 client for the topology's region: the local AWS (started when needed) or the configured one."""
    if region and region != topology.region:
        raise VpcdrawError(f"--region {region} differs from the topology's region {topology.region}; "
                           "the topology file decides")
    if wants_local(use_local):
        return Ec2(topology.region, endpoint=local.start().endpoint, local_server=True)
    return Ec2(topology.region, profile=profile)


def desired(topology: Topology, my_ip: str | None) -> list[Resource]:
    """The topology's resources, with `my_ip` filled in (an error when it is needed and missing)."""
    return resources(fill(topology, my_ip))


def plan(ec2: Ec2, topology: Topology, my_ip: str | None) -> tuple[Plan, list[Resource], Live]:
    """The plan that makes the account match the topology, with what it was made from."""
    wanted = desired(topology, my_ip)
    live = read(ec2, topology.name, wanted)
    return make_plan(wanted, live), wanted, live


def destroy_plan(ec2: Ec2, topology: Topology) -> tuple[Plan, Live]:
    """The plan that deletes everything carrying this topology's tag, and nothing else."""
    live = read(ec2, topology.name, [])
    return make_plan([], live), live

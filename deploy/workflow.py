"""The deploy side's entry points: connect for a topology, plan, apply and destroy."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from vpcdraw.topology.address import vpc_address
from vpcdraw.topology.admin_ip import fill
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource, resources
from vpcdraw.topology.model import Topology
from vpcdraw.topology.words import plural

from . import local
from .aws import Ec2
from .live import ADDRESS_TAG, TOPOLOGY_TAG, Live, read, tags_of
from .plan import Plan, make_plan, named

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


def plan(ec2: Ec2, topology: Topology, my_ip: str | None, *, adopt: bool = False,
         vpc_id: str | None = None) -> tuple[Plan, list[Resource], Live]:
    """The plan that makes the account match the topology, with what it was made from.

    Without `adopt` nothing is changed that vpcdraw did not tag with this topology's name; with it,
    look-alikes of the model are taken over (tags only). `vpc_id` picks the VPC instead of our tags:
    one of ours, or, with `adopt`, one to take over. The plan's `problem` says what stands in the way.
    """
    filled = fill(topology, my_ip)
    wanted = resources(filled)
    vpcs = _chosen_vpc(ec2, topology, vpc_id, adopt) if vpc_id else None
    live = read(ec2, topology.name, wanted, vpcs, model=filled)  # untagged look-alikes match by natural key
    _refuse_unread(live, "plan and apply", {r.kind for r in wanted})
    made = make_plan(wanted, live, topology=topology.name, adopt=adopt)
    _report_duplicates(topology, live, made)
    if vpcs is None:
        _lookalike_vpcs(ec2, topology, live, made, adopt)
    return made, wanted, live


def _chosen_vpc(ec2: Ec2, topology: Topology, vpc_id: str, adopt: bool) -> dict[str, str]:
    """The VPC given by --vpc-id, when it is ours, or (with `adopt`) nobody's and no other VPC is ours."""
    from .diff import find_vpcs

    vpcs = find_vpcs(ec2, topology, vpc_id)
    ((address, _),) = vpcs.items()
    (found,) = ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=[vpc_id])
    tags = tags_of(found)
    who, owner = named(vpc_id, tags.get("Name", "")), tags.get(TOPOLOGY_TAG)
    if owner == topology.name:
        return vpcs
    if owner is not None:
        raise VpcdrawError(f"VPC {who} belongs to topology {owner!r} (its {TOPOLOGY_TAG} tag), not "
                           f"'{topology.name}', and vpcdraw never adopts another topology's resources, not even "
                           "with --adopt")
    if not adopt:
        raise VpcdrawError(f"VPC {who} was not created by vpcdraw for topology '{topology.name}', and plan and "
                           "apply change it only when asked: with --adopt they take it over (tags only)")
    ours = ec2.paginate("DescribeVpcs", "Vpcs", Filters=[{"Name": f"tag:{TOPOLOGY_TAG}", "Values": [topology.name]},
                                                          {"Name": f"tag:{ADDRESS_TAG}", "Values": [address]}])
    if ours:
        raise VpcdrawError(f"VPC {named(ours[0]['VpcId'], tags_of(ours[0]).get('Name', ''))} already is {address} "
                           f"of topology '{topology.name}'; adopting {vpc_id} too would make two, so leave out "
                           "--vpc-id (or destroy that one first)")
    return vpcs


def _lookalike_vpcs(ec2: Ec2, topology: Topology, live: Live, made: Plan, adopt: bool) -> None:
    """Say so when no VPC carries our tags but one has the model's CIDR and subnets: a copy is never a surprise."""
    for vpc in topology.vpcs:
        here = vpc_address(vpc)
        if here in live.resources:
            continue
        cidrs = {s.cidr for s in vpc.subnets}
        for found in ec2.paginate("DescribeVpcs", "Vpcs", Filters=[{"Name": "cidr", "Values": [vpc.cidr]}]):
            tags, vpc_id = tags_of(found), found["VpcId"]
            owner = tags.get(TOPOLOGY_TAG)
            inside = ec2.paginate("DescribeSubnets", "Subnets", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
            if owner == topology.name or not cidrs <= {s["CidrBlock"] for s in inside}:
                continue
            alike = (f"no VPC carries the tags of topology '{topology.name}', but VPC "
                     f"{named(vpc_id, tags.get('Name', ''))} has the CIDR {vpc.cidr} and the subnets of {here}")
            if owner is not None:
                made.notes.insert(0, f"{alike} and belongs to topology {owner!r}: this plan creates a second VPC "
                                     "beside it, as vpcdraw never adopts another topology's resources")
            elif adopt:
                made.blocked.append(f"{alike}: add --vpc-id {vpc_id} to adopt it (tags only), or leave out --adopt "
                                    "to create a second VPC beside it")
            else:
                made.notes.insert(0, f"{alike} without vpcdraw's tags (built by hand, or the VPC a `vpcdraw import` "
                                     "read?): this plan creates a second VPC beside it; plan and apply with --adopt "
                                     f"--vpc-id {vpc_id} take that one over instead (tags only)")


def unfinished(again: Callable[[], Plan], tries: int = 3, pause: float = 2.0) -> Plan:
    """The plan made again after an apply or destroy: empty when every write took.

    What a write reported done is checked by a read, not assumed (a 'not found' answer can mean that a
    request missed). AWS's reads may lag its writes for a moment, so a plan that is not empty is made
    again, `tries` times in all, before its actions count as not done.
    """
    found = again()
    for _ in range(tries - 1):
        if not found.actions:
            break
        time.sleep(pause)
        found = again()
    return found


def destroy_plan(ec2: Ec2, topology: Topology) -> tuple[Plan, Live]:
    """The plan that deletes everything carrying this topology's tag, and nothing else."""
    live = read(ec2, topology.name, [])
    _refuse_unread(live, "destroy")
    made = make_plan([], live, topology=topology.name)
    for where, theirs in live.foreign_in.items():  # AWS refuses to delete a VPC that still holds them
        if any(a.address == where for a in made.actions):
            made.actions = [a for a in made.actions if a.address != where]
            made.kept.append(f"VPC {where} ({live.ids[where]}) stays: it holds {plural(len(theirs), 'resource')} "
                             f"vpcdraw did not create ({', '.join(theirs)}), "
                             "which destroy never deletes; delete them by hand (or take them over with apply "
                             "--adopt), then run destroy again")
    for where, copies in live.duplicates.items():
        if where.count("/") == 1:  # a whole VPC: this plan deletes one copy, the next the others
            made.notes.append(f"{plural(len(copies) - 1, 'more copy', 'more copies')} of {where} "
                              f"({', '.join(copies[1:])}) carry this topology's tags; destroy removes them next")
    return made, live


def _report_duplicates(topology: Topology, live: Live, made: Plan) -> None:
    """Several resources with this topology's tags for one address: a copy made twice is never invisible."""
    for where, copies in live.duplicates.items():
        listing = ", ".join(copies)
        if where.count("/") == 1:
            made.blocked.append(f"{len(copies)} VPCs carry the tags of {where} of topology '{topology.name}' "
                                f"({listing}), made by two applies at once or a retried create")
            made.advice = ("destroy removes every copy; or delete the extra ones by hand and apply again, "
                           "which keeps the one left")
        else:
            made.notes.insert(0, f"{len(copies)} resources carry the tags of {where} ({listing}): a copy made "
                                 "twice; this plan keeps one and deletes the others")


TRANSIT_KINDS = ("transit_gateway", "transit_gateway_vpc_attachment")


def _refuse_unread(live: Live, who: str, wanted: set[str] | None = None) -> None:
    """What could not be read is not absent: refuse rather than create it twice or delete around it.

    Transit gateways and their attachments are refused only when the topology has them (`wanted`, the kinds
    of its resources): many policies allow no TransitGateway call (AmazonVPCReadOnlyAccess is one), and a
    topology without one has none of its own to find.
    """
    unread = {k for k in live.not_checked if wanted is None or k in wanted or k not in TRANSIT_KINDS}
    if not unread:
        return
    from .describe import describe_calls

    kinds = sorted(k.replace("_", " ") + "s" for k in unread)
    calls = describe_calls(unread)
    raise VpcdrawError(f"{who} need to see every kind they manage, but these credentials may not read "
                       f"{', '.join(kinds)} ({', '.join(calls)} denied), so vpcdraw cannot tell what exists; "
                       "use credentials that allow those calls (diff reports what it could not check)")

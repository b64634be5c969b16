"""Custom network ACLs: numbered entries, and the subnets they hold (each subnet has exactly one ACL).

A subnet leaves an ACL by moving to another, so a deleted or shrunk ACL hands its subnets back to the
VPC's default ACL.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import NetworkAclEntrySpec, NetworkAclSpec

from ..context import Context, patiently, settled
from .base import Family, Read


class NetworkAcls(Family[NetworkAclSpec]):
    SPEC = NetworkAclSpec
    TAG_TYPE = "network-acl"
    READS = (Read("acls", "network_acl", "DescribeNetworkAcls", "NetworkAcls"),)

    def create(self, ctx: Context, resource: Resource, spec: NetworkAclSpec) -> str:
        made = settled(lambda: ctx.ec2.call("CreateNetworkAcl", VpcId=ctx.id(spec.vpc),
                                            ClientToken=ctx.token(resource),
                                            TagSpecifications=ctx.tags(self.TAG_TYPE, resource)))
        acl = str(made["NetworkAcl"]["NetworkAclId"])
        _entries(ctx, acl, (), spec.entries)
        _move(ctx, acl, spec.subnets, spec.vpc)
        return acl

    def update(self, ctx: Context, resource: Resource, spec: NetworkAclSpec, before: NetworkAclSpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        own = ctx.id(resource.address)
        if "entries" in changed:
            _entries(ctx, own, before.entries, spec.entries)
        if "subnets" in changed:
            _move(ctx, own, tuple(s for s in spec.subnets if s not in before.subnets), spec.vpc)
            gone = tuple(s for s in before.subnets if s not in spec.subnets)
            if gone:
                _move(ctx, _default(ctx, spec.vpc), gone, spec.vpc)

    def delete(self, ctx: Context, aws_id: str, spec: NetworkAclSpec) -> None:
        if spec.subnets and spec.vpc in ctx.ids:  # subnets go back to the VPC's default ACL first
            _move(ctx, _default(ctx, spec.vpc), spec.subnets, spec.vpc)
        patiently(lambda: ctx.ec2.call("DeleteNetworkAcl", NetworkAclId=aws_id))


def _entries(ctx: Context, acl: str, before: tuple[NetworkAclEntrySpec, ...],
             after: tuple[NetworkAclEntrySpec, ...]) -> None:
    """Make a network ACL's numbered entries match: replace changed numbers, add new, delete dropped."""
    old = {e.key: e for e in before}
    new = {e.key: e for e in after}
    for key, entry in sorted(new.items()):
        if old.get(key) == entry:
            continue
        operation = "ReplaceNetworkAclEntry" if key in old else "CreateNetworkAclEntry"
        request: dict[str, Any] = {"NetworkAclId": acl, "RuleNumber": entry.rule_number, "Egress": entry.egress,
                                   "Protocol": entry.protocol, "RuleAction": entry.action, "CidrBlock": entry.cidr}
        if entry.protocol in ("6", "17"):
            request["PortRange"] = {"From": entry.from_port, "To": entry.to_port}
        elif entry.protocol == "1":
            request["IcmpTypeCode"] = {"Type": entry.from_port, "Code": entry.to_port}
        settled(partial(ctx.ec2.call, operation, **request))
    for egress, number in sorted(set(old) - set(new)):
        ctx.ec2.call("DeleteNetworkAclEntry", NetworkAclId=acl, RuleNumber=number, Egress=egress)


def _move(ctx: Context, acl: str, subnets: tuple[str, ...], vpc: str) -> None:
    """Move subnets to a network ACL (a subnet always has exactly one, so its association is replaced)."""
    if not subnets:
        return
    subnet_ids = {ctx.id(s): s for s in subnets}
    acls = ctx.ec2.paginate("DescribeNetworkAcls", "NetworkAcls", Filters=[{"Name": "vpc-id",
                                                                            "Values": [ctx.id(vpc)]}])
    for current in acls:
        for association in current.get("Associations", []):
            if association["SubnetId"] in subnet_ids and current["NetworkAclId"] != acl:
                ctx.ec2.call("ReplaceNetworkAclAssociation", AssociationId=association["NetworkAclAssociationId"],
                             NetworkAclId=acl)


def _default(ctx: Context, vpc: str) -> str:
    acls = ctx.ec2.paginate("DescribeNetworkAcls", "NetworkAcls", Filters=[
        {"Name": "vpc-id", "Values": [ctx.id(vpc)]}, {"Name": "default", "Values": ["true"]}])
    if not acls:
        raise VpcdrawError(f"{vpc} has no default network ACL to return subnets to")
    return str(acls[0]["NetworkAclId"])

"""Security groups, their rules, and the VPC's default group (which vpcdraw only locks).

A rule has no id in the model: it is created by what it allows (all of one group's new rules of one
direction in one authorize call) and revoked by the same.
"""

from __future__ import annotations

from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.ports import protocol_name
from vpcdraw.topology.specs import DefaultSecurityGroupSpec, SecurityGroupRuleSpec, SecurityGroupSpec

from ..context import Context, patiently, settled
from .base import Family, Read

ALL_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}  # what AWS gives a new group


class SecurityGroups(Family[SecurityGroupSpec]):
    SPEC = SecurityGroupSpec
    TAG_TYPE = "security-group"
    REPLACED_BY = ("vpc", "group_name", "description")
    READS = (Read("groups", "security_group", "DescribeSecurityGroups", "SecurityGroups"),)

    def create(self, ctx: Context, resource: Resource, spec: SecurityGroupSpec) -> str:
        made = settled(lambda: ctx.ec2.create_once(
            "CreateSecurityGroup", ctx.find("DescribeSecurityGroups", "SecurityGroups", "GroupId", resource.address),
            GroupName=spec.group_name, Description=spec.description, VpcId=ctx.id(spec.vpc),
            TagSpecifications=ctx.tags(self.TAG_TYPE, resource)))
        group = made if isinstance(made, str) else str(made["GroupId"])
        with ctx.lock:
            ctx.created_groups.add(resource.address)
        keeps_default = any(isinstance(r.spec, SecurityGroupRuleSpec) and r.spec.security_group == resource.address
                            and r.spec.is_default_egress for r in ctx.desired.values())
        if not keeps_default:  # the model restricts egress: AWS's allow-all rule goes
            settled(lambda: ctx.ec2.call("RevokeSecurityGroupEgress", GroupId=group, IpPermissions=[ALL_EGRESS]))
        return group

    def delete(self, ctx: Context, aws_id: str, spec: SecurityGroupSpec) -> None:
        patiently(lambda: ctx.ec2.call("DeleteSecurityGroup", GroupId=aws_id))


class SecurityGroupRules(Family[SecurityGroupRuleSpec]):
    SPEC = SecurityGroupRuleSpec

    def create(self, ctx: Context, resource: Resource, spec: SecurityGroupRuleSpec) -> str:
        authorize(ctx, [resource])
        return ""

    def update(self, ctx: Context, resource: Resource, spec: SecurityGroupRuleSpec, before: SecurityGroupRuleSpec,
               changed: tuple[str, ...]) -> None:
        if "description" in changed:
            operation = f"UpdateSecurityGroupRuleDescriptions{spec.direction.capitalize()}"
            ctx.ec2.call(operation, GroupId=ctx.id(spec.security_group), IpPermissions=[permission(ctx, spec)])

    def delete(self, ctx: Context, aws_id: str, spec: SecurityGroupRuleSpec) -> None:
        """Revoke the rule by its rule id, found by what it allows; a rule the read does not find is gone.

        By id, not by IpPermissions: an answer of InvalidPermission.NotFound to the latter can mean that
        the request missed the rule (moto answers so for a described group-to-group rule, and keeps it).
        """
        group = ctx.id(spec.security_group)
        found = [r for r in ctx.ec2.paginate("DescribeSecurityGroupRules", "SecurityGroupRules", Filters=[
            {"Name": "group-id", "Values": [group]}]) if _allows(ctx, r, spec)]
        if not found:
            return  # the read says it is gone
        operation = "RevokeSecurityGroupIngress" if spec.direction == "ingress" else "RevokeSecurityGroupEgress"
        ids = [r["SecurityGroupRuleId"] for r in found]
        patiently(lambda: ctx.ec2.call(operation, GroupId=group, SecurityGroupRuleIds=ids))

    def dies_with_parent(self, spec: SecurityGroupRuleSpec) -> bool:
        return spec.peer_kind != "security_group"  # one naming another group keeps that group in use

    def gone(self, code: str) -> bool:
        # A group AWS cannot find (InvalidGroup.NotFound) took its rules with it; a rule id it cannot find
        # (InvalidSecurityGroupRuleId.NotFound) was revoked meanwhile.
        return code in ("InvalidGroup.NotFound", "InvalidSecurityGroupRuleId.NotFound")


class DefaultSecurityGroups(Family[DefaultSecurityGroupSpec]):
    """The default group AWS makes with each VPC: locking it revokes all its rules; it is never deleted."""

    SPEC = DefaultSecurityGroupSpec

    def create(self, ctx: Context, resource: Resource, spec: DefaultSecurityGroupSpec) -> str:
        return lock(ctx, spec.vpc)

    def update(self, ctx: Context, resource: Resource, spec: DefaultSecurityGroupSpec,
               before: DefaultSecurityGroupSpec, changed: tuple[str, ...]) -> None:
        if "locked" in changed:
            lock(ctx, spec.vpc)


def _allows(ctx: Context, rule: dict[str, Any], spec: SecurityGroupRuleSpec) -> bool:
    """Whether a rule of DescribeSecurityGroupRules is the one the spec describes."""
    if bool(rule.get("IsEgress")) != (spec.direction == "egress"):
        return False
    if protocol_name(rule.get("IpProtocol")) != protocol_name(spec.protocol):
        return False
    if spec.protocol != "-1" and (rule.get("FromPort"), rule.get("ToPort")) != (spec.from_port, spec.to_port):
        return False
    if spec.peer_kind == "security_group":
        wanted = spec.peer.rpartition("/")[2] if "sg-" in spec.peer else ctx.ids.get(spec.peer)
        return rule.get("ReferencedGroupInfo", {}).get("GroupId") == wanted
    if spec.peer_kind == "prefix_list":
        return rule.get("PrefixListId") == spec.peer
    return spec.peer in (rule.get("CidrIpv4"), rule.get("CidrIpv6"))


def authorize(ctx: Context, rules: list[Resource]) -> None:
    """Authorize all of one group's rules of one direction in a single call."""
    specs = [r.spec for r in rules if isinstance(r.spec, SecurityGroupRuleSpec)]
    group_address, direction = specs[0].security_group, specs[0].direction
    group = ctx.id(group_address)
    if direction == "egress" and group_address in ctx.created_groups:
        specs = [s for s in specs if not s.is_default_egress]  # a new group has it already
        if not specs:
            return
    permissions = [permission(ctx, s) for s in specs]
    operation = "AuthorizeSecurityGroupIngress" if direction == "ingress" else "AuthorizeSecurityGroupEgress"
    settled(lambda: ctx.ec2.call(operation, GroupId=group, IpPermissions=permissions))


def permission(ctx: Context, spec: SecurityGroupRuleSpec) -> dict[str, Any]:
    """The IpPermissions entry of one rule, with its description."""
    found: dict[str, Any] = {"IpProtocol": spec.protocol, **_peer(ctx, spec)}
    if spec.protocol != "-1":
        found.update(FromPort=spec.from_port, ToPort=spec.to_port)
    return found


def _peer(ctx: Context, spec: SecurityGroupRuleSpec) -> dict[str, Any]:
    words = {"Description": spec.description} if spec.description else {}
    if spec.peer_kind == "security_group":
        peer = spec.peer  # a group of the topology by address, or another by its id (account/sg-id)
        if peer.startswith("sg-") or "/sg-" in peer:
            account, _, group = peer.rpartition("/")
            return {"UserIdGroupPairs": [{"GroupId": group, **({"UserId": account} if account else {}), **words}]}
        return {"UserIdGroupPairs": [{"GroupId": ctx.id(peer), **words}]}
    if spec.peer_kind == "prefix_list":
        return {"PrefixListIds": [{"PrefixListId": spec.peer, **words}]}
    if ":" in spec.peer:
        return {"Ipv6Ranges": [{"CidrIpv6": spec.peer, **words}]}
    return {"IpRanges": [{"CidrIp": spec.peer, **words}]}


def lock(ctx: Context, vpc: str) -> str:
    """Revoke every rule of the VPC's default security group; returns its id."""
    groups = ctx.ec2.paginate("DescribeSecurityGroups", "SecurityGroups", Filters=[
        {"Name": "vpc-id", "Values": [ctx.id(vpc)]}, {"Name": "group-name", "Values": ["default"]}])
    if not groups:
        raise VpcdrawError(f"{vpc} has no default security group to lock")
    group = str(groups[0]["GroupId"])
    for key, operation in (("IpPermissions", "RevokeSecurityGroupIngress"),
                           ("IpPermissionsEgress", "RevokeSecurityGroupEgress")):
        if groups[0].get(key):
            ctx.ec2.call(operation, GroupId=group, IpPermissions=groups[0][key])
    return group

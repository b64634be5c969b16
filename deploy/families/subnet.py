"""Subnets: a CIDR in one AZ of a VPC, and whether instances launched there get a public IPv4 address."""

from __future__ import annotations

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import SubnetSpec

from ..context import Context, patiently, settled
from .base import Family, Read


class Subnets(Family[SubnetSpec]):
    SPEC = SubnetSpec
    TAG_TYPE = "subnet"
    REPLACED_BY = ("vpc", "cidr", "az")
    READS = (Read("subnets", "subnet", "DescribeSubnets", "Subnets"),)

    def create(self, ctx: Context, resource: Resource, spec: SubnetSpec) -> str:
        made = settled(lambda: ctx.ec2.create_once(
            "CreateSubnet", ctx.find("DescribeSubnets", "Subnets", "SubnetId", resource.address),
            VpcId=ctx.id(spec.vpc), CidrBlock=spec.cidr, AvailabilityZone=spec.az,
            TagSpecifications=ctx.tags(self.TAG_TYPE, resource)))
        subnet = made if isinstance(made, str) else str(made["Subnet"]["SubnetId"])
        if spec.map_public_ip:
            settled(lambda: ctx.ec2.call("ModifySubnetAttribute", SubnetId=subnet,
                                         MapPublicIpOnLaunch={"Value": True}))
        return subnet

    def update(self, ctx: Context, resource: Resource, spec: SubnetSpec, before: SubnetSpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        if "map_public_ip" in changed:
            ctx.ec2.call("ModifySubnetAttribute", SubnetId=ctx.id(resource.address),
                         MapPublicIpOnLaunch={"Value": spec.map_public_ip})

    def delete(self, ctx: Context, aws_id: str, spec: SubnetSpec) -> None:
        patiently(lambda: ctx.ec2.call("DeleteSubnet", SubnetId=aws_id))

"""VPCs: created with their CIDR, found again by our tags (CreateVpc takes no ClientToken)."""

from __future__ import annotations

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import VpcSpec

from ..context import Context, patiently
from .base import Family


class Vpcs(Family[VpcSpec]):
    SPEC = VpcSpec
    TAG_TYPE = "vpc"
    REPLACED_BY = ("cidr",)

    def create(self, ctx: Context, resource: Resource, spec: VpcSpec) -> str:
        made = ctx.ec2.create_once("CreateVpc", ctx.find("DescribeVpcs", "Vpcs", "VpcId", resource.address),
                                   CidrBlock=spec.cidr, TagSpecifications=ctx.tags(self.TAG_TYPE, resource))
        return made if isinstance(made, str) else str(made["Vpc"]["VpcId"])

    def delete(self, ctx: Context, aws_id: str, spec: VpcSpec) -> None:
        patiently(lambda: ctx.ec2.call("DeleteVpc", VpcId=aws_id))

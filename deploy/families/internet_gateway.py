"""Internet gateways: created on their own and attached to their VPC, detached before they are deleted."""

from __future__ import annotations

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import InternetGatewaySpec

from ..aws import AwsError
from ..context import Context, patiently, settled
from .base import Family, Read


class InternetGateways(Family[InternetGatewaySpec]):
    SPEC = InternetGatewaySpec
    TAG_TYPE = "internet-gateway"
    READS = (Read("gateways", "internet_gateway", "DescribeInternetGateways", "InternetGateways",
                  lambda vpc_ids: {"Filters": [{"Name": "attachment.vpc-id", "Values": vpc_ids}]}),)
    # Created without waiting for its VPC, and attached once the VPC exists: no extra round trip.
    STARTS_EARLY = "vpc"

    def create(self, ctx: Context, resource: Resource, spec: InternetGatewaySpec) -> str:
        made = ctx.ec2.create_once("CreateInternetGateway", ctx.find(
            "DescribeInternetGateways", "InternetGateways", "InternetGatewayId", resource.address),
            TagSpecifications=ctx.tags(self.TAG_TYPE, resource))
        gateway = made if isinstance(made, str) else str(made["InternetGateway"]["InternetGatewayId"])
        if spec.vpc:
            _attach(ctx, gateway, ctx.await_id(spec.vpc))  # created meanwhile: see STARTS_EARLY
        return gateway

    def update(self, ctx: Context, resource: Resource, spec: InternetGatewaySpec, before: InternetGatewaySpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        own = ctx.id(resource.address)
        if "vpc" in changed:
            if before.vpc:
                ctx.ec2.call("DetachInternetGateway", InternetGatewayId=own, VpcId=ctx.id(before.vpc))
            if spec.vpc:
                _attach(ctx, own, ctx.id(spec.vpc))

    def delete(self, ctx: Context, aws_id: str, spec: InternetGatewaySpec) -> None:
        if spec.vpc and spec.vpc in ctx.ids:
            vpc = ctx.ids[spec.vpc]
            patiently(lambda: ctx.ec2.call("DetachInternetGateway", InternetGatewayId=aws_id, VpcId=vpc))
        patiently(lambda: ctx.ec2.call("DeleteInternetGateway", InternetGatewayId=aws_id))


def _attach(ctx: Context, gateway: str, vpc: str) -> None:
    try:
        settled(lambda: ctx.ec2.call("AttachInternetGateway", InternetGatewayId=gateway, VpcId=vpc))
    except AwsError as error:
        if error.code != "Resource.AlreadyAssociated":  # attached by an earlier, interrupted run
            raise

"""Transit gateways and their VPC attachments, waited for until `available` and until deleted.

A transit gateway keeps AWS's defaults: each attachment is associated with, and propagates its VPC's CIDR
to, the default route table. AWS takes minutes to make or delete either, and refuses to delete a transit
gateway that still has attachments, or a subnet an attachment uses: each delete waits until it is done.
botocore has no waiter for them, so they are polled (`Context.until`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import TransitGatewaySpec, TransitGatewayVpcAttachmentSpec

from ..context import Context, patiently, settled
from ..tags import ADDRESS_TAG, tags_of
from .base import Family, Read

ENDED = ("deleting", "deleted", "failed", "rejected")
WAIT_S = 900.0  # AWS documents minutes for a transit gateway or an attachment to become available


def _alive(item: dict[str, Any]) -> bool:
    return item.get("State") not in ENDED


class TransitGateways(Family[TransitGatewaySpec]):
    SPEC = TransitGatewaySpec
    TAG_TYPE = "transit-gateway"
    READS = (Read("transit_gateways", "transit_gateway", "DescribeTransitGateways", "TransitGateways",
                  lambda vpc_ids: {}),)  # all in the region: a transit gateway is in no VPC

    def create(self, ctx: Context, resource: Resource, spec: TransitGatewaySpec) -> str:
        made = ctx.ec2.create_once(
            "CreateTransitGateway", ctx.find("DescribeTransitGateways", "TransitGateways", "TransitGatewayId",
                                             resource.address, _alive),
            Description=spec.label, TagSpecifications=ctx.tags(self.TAG_TYPE, resource),
            Options={"DefaultRouteTableAssociation": "enable", "DefaultRouteTablePropagation": "enable"})
        gateway = made if isinstance(made, str) else str(made["TransitGateway"]["TransitGatewayId"])
        _wait(ctx, "transit gateway", gateway, "available", lambda: _gateway_state(ctx, gateway))
        return gateway

    def delete(self, ctx: Context, aws_id: str, spec: TransitGatewaySpec) -> None:
        if _gateway_state(ctx, aws_id) in ("deleted", "gone"):
            return
        # IncorrectState while attachments are still deleting: ours are waited for, so only someone else's stay.
        patiently(lambda: ctx.ec2.call("DeleteTransitGateway", TransitGatewayId=aws_id))
        _wait(ctx, "transit gateway", aws_id, "deleted", lambda: _gateway_state(ctx, aws_id))


class TransitGatewayVpcAttachments(Family[TransitGatewayVpcAttachmentSpec]):
    SPEC = TransitGatewayVpcAttachmentSpec
    TAG_TYPE = "transit-gateway-attachment"
    REPLACED_BY = ("transit_gateway", "vpc")
    READS = (Read("transit_gateway_attachments", "transit_gateway_vpc_attachment",
                  "DescribeTransitGatewayVpcAttachments", "TransitGatewayVpcAttachments"),)

    def create(self, ctx: Context, resource: Resource, spec: TransitGatewayVpcAttachmentSpec) -> str:
        tags = ctx.tags(self.TAG_TYPE, resource)
        made = settled(lambda: ctx.ec2.create_once(
            "CreateTransitGatewayVpcAttachment", ctx.find(
                "DescribeTransitGatewayVpcAttachments", "TransitGatewayVpcAttachments",
                "TransitGatewayAttachmentId", resource.address, _alive),
            TransitGatewayId=ctx.id(spec.transit_gateway), VpcId=ctx.id(spec.vpc),
            SubnetIds=[ctx.id(s) for s in spec.subnets], TagSpecifications=tags))
        if isinstance(made, str):
            attachment = made
        else:
            attachment = str(made["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"])
            if ADDRESS_TAG not in tags_of(made["TransitGatewayVpcAttachment"]):
                # The answer lost the tags (moto drops this resource type's TagSpecifications): ours all the same.
                settled(lambda: ctx.ec2.call("CreateTags", Resources=[attachment], Tags=tags[0]["Tags"]))
        _wait(ctx, "transit gateway attachment", attachment, "available", lambda: _attachment_state(ctx, attachment))
        return attachment

    def update(self, ctx: Context, resource: Resource, spec: TransitGatewayVpcAttachmentSpec,
               before: TransitGatewayVpcAttachmentSpec, changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        if "subnets" not in changed:
            return
        own = ctx.id(resource.address)
        added = [ctx.id(s) for s in spec.subnets if s not in before.subnets]
        removed = [ctx.id(s) for s in before.subnets if s not in spec.subnets and s in ctx.ids]
        request: dict[str, Any] = {}
        if added:
            request["AddSubnetIds"] = added
        if removed:
            request["RemoveSubnetIds"] = removed
        if request:
            ctx.ec2.call("ModifyTransitGatewayVpcAttachment", TransitGatewayAttachmentId=own, **request)
            # modifying until AWS has moved the attachment's interfaces; a removed subnet is free after that
            _wait(ctx, "transit gateway attachment", own, "available", lambda: _attachment_state(ctx, own))

    def delete(self, ctx: Context, aws_id: str, spec: TransitGatewayVpcAttachmentSpec) -> None:
        if _attachment_state(ctx, aws_id) not in ("deleted", "gone", "deleting"):
            patiently(lambda: ctx.ec2.call("DeleteTransitGatewayVpcAttachment", TransitGatewayAttachmentId=aws_id))
        # Until it is deleted, AWS refuses to delete its transit gateway, its subnets and its VPC.
        _wait(ctx, "transit gateway attachment", aws_id, "deleted", lambda: _attachment_state(ctx, aws_id))


def _gateway_state(ctx: Context, gateway: str) -> str:
    found = _described(ctx, "DescribeTransitGateways", "TransitGateways", "TransitGatewayIds",
                       "TransitGatewayId", gateway)
    return str(found.get("State", "gone"))


def _attachment_state(ctx: Context, attachment: str) -> str:
    found = _described(ctx, "DescribeTransitGatewayVpcAttachments", "TransitGatewayVpcAttachments",
                       "TransitGatewayAttachmentIds", "TransitGatewayAttachmentId", attachment)
    return str(found.get("State", "gone"))


def _described(ctx: Context, operation: str, key: str, ids_key: str, id_key: str, aws_id: str) -> dict[str, Any]:
    """One item by its id; {} when AWS no longer knows it (NotFound, or no item: deleted ones go)."""
    from ..aws import AwsError

    try:
        items = ctx.ec2.paginate(operation, key, **{ids_key: [aws_id]})
    except AwsError as error:
        if error.code.endswith("NotFound"):
            return {}
        raise
    return next((i for i in items if i.get(id_key) == aws_id), {})


def _wait(ctx: Context, what: str, aws_id: str, state: str, look: Callable[[], str], budget: float = WAIT_S) -> None:
    """Wait until a transit gateway or attachment is `state` ('deleted' also when AWS no longer lists it)."""
    wanted = ("deleted", "gone") if state == "deleted" else (state,)
    failed = ("failed", "rejected") if state == "deleted" else ENDED  # 'gone' right after a create: not yet seen
    last = ctx.until(look, f"{what} {aws_id}", wanted, budget, failed=failed)
    if last is not None:
        after = "" if last in failed else f", after {budget:.0f} s"
        raise VpcdrawError(f"{what} {aws_id} is {last}, not {state}{after}")

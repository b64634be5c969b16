"""VPC endpoints: a gateway endpoint (S3, DynamoDB) adds its service's prefix-list route to its route tables;
an interface endpoint puts a network interface in each of its subnets, with its security groups.

Everything but the VPC, the service and the type changes in place (ModifyVpcEndpoint). The routes a gateway
endpoint adds are AWS's, made and removed with it: they are not the model's routes.
"""

from __future__ import annotations

from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import VpcEndpointSpec

from ..aws import AwsError
from ..context import Context, patiently, settled
from .base import Family, Read

ENDED = ("deleting", "deleted", "failed", "rejected", "expired")
WAIT_S = 600.0  # an interface endpoint takes a minute or two to become available


class VpcEndpoints(Family[VpcEndpointSpec]):
    SPEC = VpcEndpointSpec
    TAG_TYPE = "vpc-endpoint"
    REPLACED_BY = ("vpc", "service_name", "endpoint_type")
    READS = (Read("endpoints", "vpc_endpoint", "DescribeVpcEndpoints", "VpcEndpoints"),)

    def create(self, ctx: Context, resource: Resource, spec: VpcEndpointSpec) -> str:
        request: dict[str, Any] = {"VpcEndpointType": spec.endpoint_type, "VpcId": ctx.id(spec.vpc),
                                   "ServiceName": spec.service_name}
        if spec.endpoint_type == "Gateway":
            request["RouteTableIds"] = [ctx.id(t) for t in spec.route_tables]
        else:
            request.update(SubnetIds=[ctx.id(s) for s in spec.subnets], PrivateDnsEnabled=spec.private_dns)
            if spec.security_groups:  # none: AWS gives it the VPC's default group
                request["SecurityGroupIds"] = [ctx.id(g) for g in spec.security_groups]
        if spec.policy:
            request["PolicyDocument"] = spec.policy
        made = settled(lambda: ctx.ec2.call("CreateVpcEndpoint", ClientToken=ctx.token(resource),
                                            TagSpecifications=ctx.tags(self.TAG_TYPE, resource), **request))
        endpoint = str(made["VpcEndpoint"]["VpcEndpointId"])
        _wait(ctx, endpoint, "available")
        return endpoint

    def update(self, ctx: Context, resource: Resource, spec: VpcEndpointSpec, before: VpcEndpointSpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        request: dict[str, Any] = {}
        for field, word in (("route_tables", "RouteTableIds"), ("subnets", "SubnetIds"),
                            ("security_groups", "SecurityGroupIds")):
            if field not in changed:
                continue
            old, new = getattr(before, field), getattr(spec, field)
            added = [ctx.id(a) for a in new if a not in old]
            removed = [ctx.id(a) for a in old if a not in new and a in ctx.ids]
            if added:
                request[f"Add{word}"] = added
            if removed:
                request[f"Remove{word}"] = removed
        if "policy" in changed:
            request.update({"PolicyDocument": spec.policy} if spec.policy else {"ResetPolicy": True})
        if "private_dns" in changed and spec.endpoint_type == "Interface":
            request["PrivateDnsEnabled"] = spec.private_dns
        if request:
            own = ctx.id(resource.address)
            settled(lambda: ctx.ec2.call("ModifyVpcEndpoint", VpcEndpointId=own, **request))
            _wait(ctx, own, "available")  # pending while AWS moves its interfaces or routes

    def delete(self, ctx: Context, aws_id: str, spec: VpcEndpointSpec) -> None:
        answer = patiently(lambda: ctx.ec2.call("DeleteVpcEndpoints", VpcEndpointIds=[aws_id]))
        for failure in answer.get("Unsuccessful", []):
            error = failure.get("Error", {})
            raise AwsError("DeleteVpcEndpoints", str(error.get("Code", "Unknown")), str(error.get("Message", "")))
        # Until it is deleted its interfaces hold its subnets and groups, which AWS will not delete meanwhile.
        _wait(ctx, aws_id, "deleted")


def _state(ctx: Context, endpoint: str) -> str:
    try:
        found = ctx.ec2.paginate("DescribeVpcEndpoints", "VpcEndpoints", VpcEndpointIds=[endpoint])
    except AwsError as error:
        if error.code.endswith("NotFound"):
            return "gone"
        raise
    item = next((e for e in found if e.get("VpcEndpointId") == endpoint), {})
    return str(item.get("State", "gone")).lower()  # AWS writes some states capitalised (Available, Deleted)


def _wait(ctx: Context, endpoint: str, state: str, budget: float = WAIT_S) -> None:
    wanted = ("deleted", "gone") if state == "deleted" else (state,)
    failed = ("failed", "rejected") if state == "deleted" else ENDED
    last = ctx.until(lambda: _state(ctx, endpoint), f"VPC endpoint {endpoint}", wanted, budget, failed=failed)
    if last is not None:
        after = "" if last in failed else f", after {budget:.0f} s"
        raise VpcdrawError(f"VPC endpoint {endpoint} is {last}, not {state}{after}")

"""NAT gateways and the Elastic IPs they hold: a NAT is waited for until available, and until deleted."""

from __future__ import annotations

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import ElasticIpSpec, NatGatewaySpec

from ..context import Context, patiently, settled
from .base import Family, Read


class ElasticIps(Family[ElasticIpSpec]):
    SPEC = ElasticIpSpec
    TAG_TYPE = "elastic-ip"

    def create(self, ctx: Context, resource: Resource, spec: ElasticIpSpec) -> str:
        made = ctx.ec2.create_once("AllocateAddress", ctx.find("DescribeAddresses", "Addresses", "AllocationId",
                                                               resource.address),
                                   Domain="vpc", TagSpecifications=ctx.tags(self.TAG_TYPE, resource))
        return made if isinstance(made, str) else str(made["AllocationId"])

    def delete(self, ctx: Context, aws_id: str, spec: ElasticIpSpec) -> None:
        patiently(lambda: ctx.ec2.call("ReleaseAddress", AllocationId=aws_id))


class NatGateways(Family[NatGatewaySpec]):
    SPEC = NatGatewaySpec
    TAG_TYPE = "natgateway"
    REPLACED_BY = ("subnet", "elastic_ip")
    READS = (Read("nat", "nat_gateway", "DescribeNatGateways", "NatGateways"),)

    def create(self, ctx: Context, resource: Resource, spec: NatGatewaySpec) -> str:
        made = settled(lambda: ctx.ec2.call(
            "CreateNatGateway", SubnetId=ctx.id(spec.subnet), AllocationId=ctx.id(spec.elastic_ip),
            ClientToken=ctx.token(resource), TagSpecifications=ctx.tags(self.TAG_TYPE, resource)))
        nat = str(made["NatGateway"]["NatGatewayId"])
        _wait(ctx, nat, "available")
        return nat

    def delete(self, ctx: Context, aws_id: str, spec: NatGatewaySpec) -> None:
        ctx.ec2.call("DeleteNatGateway", NatGatewayId=aws_id)
        _wait(ctx, aws_id, "deleted")


def _wait(ctx: Context, nat: str, state: str, budget: float = 900.0) -> None:
    """Wait until the NAT is `available` or `deleted`; AWS takes minutes for either."""
    name = "nat_gateway_available" if state == "available" else "nat_gateway_deleted"
    last = ctx.wait(name, f"NAT gateway {nat}", state, budget, NatGatewayIds=[nat])
    if last is None:
        return
    found = last.get("NatGateways") or [{}]
    current = found[0].get("State") or last.get("Error", {}).get("Code", "unknown")
    if current == "failed":
        raise VpcdrawError(f"NAT gateway {nat} failed: {found[0].get('FailureMessage', 'no reason given')}")
    raise VpcdrawError(f"NAT gateway {nat} is {current}, not {state}, after {budget:.0f} s")

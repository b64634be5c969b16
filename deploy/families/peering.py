"""VPC peering connections: requested by one VPC, accepted by the other's account.

When both VPCs are the topology's, the create also accepts the request and waits until the peering is
`active`, so that both sides' routes follow. A peer outside the topology (a `vpc-` id, maybe in another
account or region) is only requested: it stays `pending-acceptance` until its owner accepts it.
"""

from __future__ import annotations

from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import ADDRESS_ROOTS, VpcPeeringConnectionSpec

from ..context import Context, patiently, settled
from .base import Family, Read

ENDED = ("deleted", "deleting", "rejected", "failed", "expired")  # a peering in these states is no longer one


def is_ours(peer_vpc: str) -> bool:
    """Whether a peering's accepter is a VPC of the topology (an address), not an external VPC's id."""
    return peer_vpc.startswith(ADDRESS_ROOTS)


def alive(item: dict[str, Any]) -> bool:
    """Whether a described peering connection still is one (AWS lists deleted ones for a while)."""
    return item.get("Status", {}).get("Code") not in ENDED


class VpcPeeringConnections(Family[VpcPeeringConnectionSpec]):
    SPEC = VpcPeeringConnectionSpec
    TAG_TYPE = "vpc-peering-connection"
    REPLACED_BY = ("vpc", "peer_vpc", "peer_owner_id", "peer_region")
    READS = (
        Read("peerings_requested", "vpc_peering_connection", "DescribeVpcPeeringConnections",
             "VpcPeeringConnections",
             lambda vpc_ids: {"Filters": [{"Name": "requester-vpc-info.vpc-id", "Values": vpc_ids}]}),
        Read("peerings_accepted", "vpc_peering_connection", "DescribeVpcPeeringConnections",
             "VpcPeeringConnections",
             lambda vpc_ids: {"Filters": [{"Name": "accepter-vpc-info.vpc-id", "Values": vpc_ids}]}),
    )

    def create(self, ctx: Context, resource: Resource, spec: VpcPeeringConnectionSpec) -> str:
        request: dict[str, Any] = {"VpcId": ctx.id(spec.vpc),
                                   "PeerVpcId": ctx.id(spec.peer_vpc) if is_ours(spec.peer_vpc) else spec.peer_vpc}
        if spec.peer_owner_id:
            request["PeerOwnerId"] = spec.peer_owner_id
        if spec.peer_region:
            request["PeerRegion"] = spec.peer_region
        made = settled(lambda: ctx.ec2.create_once("CreateVpcPeeringConnection", ctx.find(
            "DescribeVpcPeeringConnections", "VpcPeeringConnections", "VpcPeeringConnectionId", resource.address,
            alive), TagSpecifications=ctx.tags(self.TAG_TYPE, resource), **request))
        peering = made if isinstance(made, str) else str(made["VpcPeeringConnection"]["VpcPeeringConnectionId"])
        if not is_ours(spec.peer_vpc):
            whose = f"account {spec.peer_owner_id}" if spec.peer_owner_id else "its owner"
            where = f" in {spec.peer_region}" if spec.peer_region else ""
            ctx.notice(f"peering {peering} to {spec.peer_vpc} is requested: it waits for {whose}{where} to accept "
                       "it, and its routes carry nothing until then")
            return peering
        _wait(ctx, peering, ("pending-acceptance", "active"))  # AWS starts it as initiating-request
        if _state(ctx, peering) != "active":
            settled(lambda: ctx.ec2.call("AcceptVpcPeeringConnection", VpcPeeringConnectionId=peering))
        _wait(ctx, peering, ("active",))
        return peering

    def delete(self, ctx: Context, aws_id: str, spec: VpcPeeringConnectionSpec) -> None:
        patiently(lambda: ctx.ec2.call("DeleteVpcPeeringConnection", VpcPeeringConnectionId=aws_id))

    def gone(self, code: str) -> bool:
        # InvalidStateTransition: it is deleted, rejected, failed or expired already, so no peering any more.
        return code.endswith("NotFound") or code == "InvalidStateTransition"


def _status(ctx: Context, peering: str) -> dict[str, Any]:
    """The peering's Status: its Code and AWS's Message."""
    found = ctx.ec2.paginate("DescribeVpcPeeringConnections", "VpcPeeringConnections",
                             VpcPeeringConnectionIds=[peering])
    found = [p for p in found if p.get("VpcPeeringConnectionId") == peering]
    return dict(found[0].get("Status", {})) if found else {"Code": "initiating-request"}


def _state(ctx: Context, peering: str) -> str:
    return str(_status(ctx, peering).get("Code", "unknown"))


def _wait(ctx: Context, peering: str, wanted: tuple[str, ...], budget: float = 300.0) -> None:
    """Wait until the peering is in one of `wanted` (AWS takes seconds from a request to pending-acceptance)."""
    last = ctx.until(lambda: settled(lambda: _state(ctx, peering)), f"peering connection {peering}", wanted, budget,
                     failed=ENDED)
    if last is not None:
        why = _status(ctx, peering).get("Message") or "no reason given"
        raise VpcdrawError(f"peering connection {peering} is {last}, not {wanted[0]} ({why})")

"""Route tables, their routes and the subnets associated with them.

A route has no id of its own: vpcdraw calls it `table-id|destination`. Deleting a table takes its
routes with it; an association is its own resource (AssociateRouteTable returns its id).
"""

from __future__ import annotations

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import RouteSpec, RouteTableAssociationSpec, RouteTableSpec

from ..context import Context, patiently, settled
from .base import Family, Read


class RouteTables(Family[RouteTableSpec]):
    SPEC = RouteTableSpec
    TAG_TYPE = "route-table"
    REPLACED_BY = ("vpc",)
    READS = (Read("tables", "route_table", "DescribeRouteTables", "RouteTables"),)

    def create(self, ctx: Context, resource: Resource, spec: RouteTableSpec) -> str:
        made = settled(lambda: ctx.ec2.call("CreateRouteTable", VpcId=ctx.id(spec.vpc),
                                            ClientToken=ctx.token(resource),
                                            TagSpecifications=ctx.tags(self.TAG_TYPE, resource)))
        return str(made["RouteTable"]["RouteTableId"])

    def delete(self, ctx: Context, aws_id: str, spec: RouteTableSpec) -> None:
        patiently(lambda: ctx.ec2.call("DeleteRouteTable", RouteTableId=aws_id))


class Routes(Family[RouteSpec]):
    SPEC = RouteSpec

    def dies_with_parent(self, spec: RouteSpec) -> bool:
        return True

    def create(self, ctx: Context, resource: Resource, spec: RouteSpec) -> str:
        settled(lambda: ctx.ec2.call("CreateRoute", RouteTableId=ctx.id(spec.route_table),
                                     DestinationCidrBlock=spec.destination, **_target(ctx, spec.target)))
        return f"{ctx.id(spec.route_table)}|{spec.destination}"

    def update(self, ctx: Context, resource: Resource, spec: RouteSpec, before: RouteSpec,
               changed: tuple[str, ...]) -> None:
        if "target" in changed:
            ctx.ec2.call("ReplaceRoute", RouteTableId=ctx.id(spec.route_table),
                         DestinationCidrBlock=spec.destination, **_target(ctx, spec.target))

    def delete(self, ctx: Context, aws_id: str, spec: RouteSpec) -> None:
        table = aws_id.split("|")[0]
        patiently(lambda: ctx.ec2.call("DeleteRoute", RouteTableId=table, DestinationCidrBlock=spec.destination))


class RouteTableAssociations(Family[RouteTableAssociationSpec]):
    SPEC = RouteTableAssociationSpec
    REPLACED_BY = ("route_table", "subnet")

    def create(self, ctx: Context, resource: Resource, spec: RouteTableAssociationSpec) -> str:
        made = settled(lambda: ctx.ec2.call("AssociateRouteTable", RouteTableId=ctx.id(spec.route_table),
                                            SubnetId=ctx.id(spec.subnet)))
        return str(made["AssociationId"])

    def delete(self, ctx: Context, aws_id: str, spec: RouteTableAssociationSpec) -> None:
        patiently(lambda: ctx.ec2.call("DisassociateRouteTable", AssociationId=aws_id))


def _target(ctx: Context, target: str) -> dict[str, str]:
    """The CreateRoute/ReplaceRoute parameter of a route's target: an address of ours, or a peering's pcx- id."""
    if target.startswith("pcx-"):  # a peering outside the topology
        return {"VpcPeeringConnectionId": target}
    if "/vpc_peering_connection/" in target:
        return {"VpcPeeringConnectionId": ctx.id(target)}
    if target.startswith(("transit_gateway/", "tgw-")):
        return {"TransitGatewayId": ctx.id(target) if target.startswith("transit_gateway/") else target}
    if "/nat_gateway/" in target:
        return {"NatGatewayId": ctx.id(target)}
    return {"GatewayId": ctx.id(target)}

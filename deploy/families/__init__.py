"""The resource families: one module per family holds its kinds' reads, creates, updates and deletes.

Adding a kind is its spec in `vpcdraw.topology.specs`, a `Family` in one module here, and one line in
`FAMILIES`. apply, plan and the read of an account ask the registry, never a table of their own.
"""

from __future__ import annotations

from typing import Any

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import Spec

from ..aws import AwsError
from ..context import Context
from .base import Family, Read
from .endpoint import VpcEndpoints
from .instance import Instances
from .internet_gateway import InternetGateways
from .nat_gateway import ElasticIps, NatGateways
from .network_acl import NetworkAcls
from .peering import VpcPeeringConnections
from .route_table import Routes, RouteTableAssociations, RouteTables
from .security_group import DefaultSecurityGroups, SecurityGroupRules, SecurityGroups, authorize
from .subnet import Subnets
from .transit_gateway import TransitGateways, TransitGatewayVpcAttachments
from .vpc import Vpcs

__all__ = ["FAMILIES", "TAGGABLE", "Family", "Read", "adopt", "authorize", "create", "delete", "family", "update"]

FAMILIES: dict[str, Family[Any]] = {f.SPEC.KIND: f for f in (
    Vpcs(), Subnets(), InternetGateways(), RouteTables(), Routes(), RouteTableAssociations(), SecurityGroups(),
    SecurityGroupRules(), DefaultSecurityGroups(), NetworkAcls(), NatGateways(), ElasticIps(), Instances(),
    VpcPeeringConnections(), TransitGateways(), TransitGatewayVpcAttachments(), VpcEndpoints())}
# What vpcdraw can tag, and so own and adopt, in containment order: what holds a resource is decided first.
# A transit gateway is in no VPC, and comes before the attachments it holds.
TAGGABLE = ("vpc", "subnet", "internet_gateway", "route_table", "security_group", "network_acl", "nat_gateway",
            "instance", "elastic_ip", "transit_gateway", "transit_gateway_vpc_attachment", "vpc_peering_connection",
            "vpc_endpoint")


def family(kind: str) -> Family[Any]:
    """The family of a kind."""
    return FAMILIES[kind]


def create(ctx: Context, resource: Resource) -> str:
    """Create one resource; returns its AWS id."""
    return family(resource.kind).create(ctx, resource, resource.spec)


def update(ctx: Context, resource: Resource, before: Spec, changed: tuple[str, ...]) -> None:
    """Change in place the fields `changed` of a resource, from `before` (as it is) to its spec."""
    family(resource.kind).update(ctx, resource, resource.spec, before, changed)


def delete(ctx: Context, resource: Resource) -> None:
    """Delete one resource; gone already is fine."""
    found = family(resource.kind)
    try:
        found.delete(ctx, ctx.ids.get(resource.address, ""), resource.spec)
    except AwsError as error:
        if not found.gone(error.code):
            raise


def adopt(ctx: Context, aws_id: str, tags: dict[str, str]) -> None:
    """Take over a resource vpcdraw did not create: the plan's tags (vpcdraw's two, and Name), nothing else."""
    from ..context import settled

    pairs = [{"Key": key, "Value": value} for key, value in tags.items()]
    settled(lambda: ctx.ec2.call("CreateTags", Resources=[aws_id], Tags=pairs))

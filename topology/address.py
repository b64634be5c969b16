"""Stable addresses (`vpc/main/subnet/public-a`): the identity of every resource, everywhere."""

from __future__ import annotations

from .model import Vpc


def vpc_address(vpc: Vpc | str) -> str:
    """The address of a VPC.

    >>> vpc_address("main")
    'vpc/main'
    """
    return f"vpc/{vpc if isinstance(vpc, str) else vpc.name}"


def address(vpc: Vpc | str, kind: str, name: str) -> str:
    """The address of a resource of `kind` (AWS's word: `subnet`, `security_group`...) in a VPC.

    >>> address("main", "subnet", "public-a")
    'vpc/main/subnet/public-a'
    """
    return f"{vpc_address(vpc)}/{kind}/{name}"


def transit_gateway_address(name: str) -> str:
    """The address of a transit gateway, which belongs to no VPC.

    >>> transit_gateway_address("hub")
    'transit_gateway/hub'
    """
    return f"transit_gateway/{name}"


def holding_vpc(where: str) -> str:
    """The address of the VPC a resource's address is in (a transit gateway's: its own, as it is in none).

    >>> holding_vpc("vpc/main/route_table/private/route/0.0.0.0/0")
    'vpc/main'
    """
    return "/".join(where.split("/")[:2])

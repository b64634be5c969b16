"""The admin IP behind the `my_ip` placeholder: which value it takes, and the topology with it filled in.

It is resolved at use time from `--my-ip`, then `VPCDRAW_MY_IP`, and never widened beyond one address.
"""

from __future__ import annotations

import dataclasses
import ipaddress

from .errors import MissingMyIp, VpcdrawError
from .model import Peer, Rule, Topology

ENVIRONMENT_VARIABLE = "VPCDRAW_MY_IP"


def uses_my_ip(topology: Topology) -> bool:
    """Whether any rule of the topology names `my_ip`."""
    return any(
        rule.peer.kind == "my_ip"
        for vpc in topology.vpcs
        for group in vpc.security_groups
        for rule in group.ingress + (group.egress or ())
    )


def normalise(value: str) -> str:
    """`203.0.113.10` or `203.0.113.10/32` as a /32 CIDR; anything wider is refused, never widened.

    >>> normalise("203.0.113.10")
    '203.0.113.10/32'
    """
    text = value.strip()
    try:
        network = ipaddress.IPv4Network(text if "/" in text else f"{text}/32", strict=True)
    except ValueError:
        raise VpcdrawError(f"my IP '{value}' is not an IPv4 address such as 203.0.113.10") from None
    if network.prefixlen != 32:
        raise VpcdrawError(f"my IP '{value}' is a range of {network.num_addresses} addresses; give one address")
    return str(network)


# RFC 5737's blocks for examples: the docs and `make demo` use 203.0.113.10 as the admin's public IP.
EXAMPLE_NETWORKS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
SHARED_NETWORK = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT


def not_from_the_internet(my_ip: str) -> str | None:
    """The warning to give when no traffic from the internet can come from the admin IP (a private, loopback,
    link-local, shared or reserved address, as ipaddress's is_global says), else None. It is only a warning:
    the address is still used.

    >>> not_from_the_internet("192.168.0.10/32")
    'my IP 192.168.0.10 is a private address, so no traffic from the internet will ever match it; ...'
    >>> not_from_the_internet("198.51.100.7/32") is None  # a documentation address stands in for a public one
    True
    """
    address = ipaddress.IPv4Network(my_ip, strict=False).network_address
    if (address.is_global and not address.is_multicast) or any(address in n for n in EXAMPLE_NETWORKS):
        return None
    return (f"my IP {address} is {_kind(address)} address, so no traffic from the internet will ever match it; "
            "give the address the internet sees you by (--my-ip auto finds it)")


def _kind(address: ipaddress.IPv4Address) -> str:
    """What sort of non-public address it is, with its article."""
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_unspecified:
        return "the unspecified"
    if address.is_multicast:
        return "a multicast"
    if address.is_reserved:
        return "a reserved"
    if address in SHARED_NETWORK:
        return "a shared (carrier-grade NAT)"
    return "a private"


def fill(topology: Topology, my_ip: str | None) -> Topology:
    """The topology with every `my_ip` peer replaced by the given address as a /32 CIDR.

    Raises MissingMyIp when the topology needs the address and none was given.
    """
    if not uses_my_ip(topology):
        return topology
    if not my_ip:
        raise MissingMyIp(
            f"topology '{topology.name}' allows traffic from my IP; give it with --my-ip ADDRESS, "
            f"--my-ip auto, or {ENVIRONMENT_VARIABLE}"
        )
    peer = Peer("cidr", normalise(my_ip))

    def swap(rule: Rule) -> Rule:
        return dataclasses.replace(rule, peer=peer) if rule.peer.kind == "my_ip" else rule

    vpcs = tuple(
        dataclasses.replace(
            vpc,
            security_groups=tuple(
                dataclasses.replace(
                    g,
                    ingress=tuple(map(swap, g.ingress)),
                    egress=None if g.egress is None else tuple(map(swap, g.egress)),
                )
                for g in vpc.security_groups
            ),
        )
        for vpc in topology.vpcs
    )
    return dataclasses.replace(topology, vpcs=vpcs)

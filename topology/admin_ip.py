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

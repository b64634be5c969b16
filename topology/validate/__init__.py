"""Validation: every problem of a topology at once, each with its address, value and a plain sentence.

Rules are named after the AWS error they prevent where one exists (`InvalidSubnet.Conflict`).
"""

from __future__ import annotations

from collections import Counter

from ..address import address, vpc_address
from ..model import Topology, Vpc
from ..regions import REGION_ZONES
from ..serialize import type_problems
from .links import check_links
from .network import check_network
from .problem import NAME_RULE, Problem, valid_name
from .security import check_security
from .text import check_text


def validate(topology: Topology) -> list[Problem]:
    """Every problem of `topology`, in a stable order; empty when it is valid.

    Values of the wrong type stop the check after they are listed: the other rules assume types.
    """
    typed = type_problems(topology)
    if typed:
        return [Problem(path, message, "TypeError") for path, message in typed]
    problems: list[Problem] = []
    if not valid_name(topology.name):
        problems.append(Problem("topology", f"name '{topology.name}' {NAME_RULE}", "InvalidName"))
    if topology.region not in REGION_ZONES:
        known = ", ".join(sorted(REGION_ZONES))
        problems.append(
            Problem("topology", f"region '{topology.region}' is not an AWS region vpcdraw knows ({known})",
                    "InvalidRegion")
        )
    if not topology.vpcs:
        problems.append(Problem("topology", "has no VPC; add one with .vpc(name, cidr)", "MissingParameter"))
    for name, count in sorted(Counter(v.name for v in topology.vpcs).items()):
        if count > 1:
            problems.append(Problem(vpc_address(name), f"VPC name '{name}' is used {count} times", "DuplicateName"))
    for vpc in topology.vpcs:
        problems += _check_names(vpc)
        problems += check_network(topology.region, vpc)
        problems += check_security(vpc)
    problems += check_links(topology)
    problems += check_text(topology)
    return problems


def _check_names(vpc: Vpc) -> list[Problem]:
    """Names are address parts: they must be unique per kind and made of address-safe characters."""
    problems: list[Problem] = []
    if not valid_name(vpc.name):
        problems.append(Problem(vpc_address(vpc), f"VPC name '{vpc.name}' {NAME_RULE}", "InvalidName"))
    groups: dict[str, list[str]] = {
        "subnet": [s.name for s in vpc.subnets],
        "internet_gateway": [vpc.internet_gateway.name] if vpc.internet_gateway else [],
        "nat_gateway": [n.name for n in vpc.nat_gateways],
        "route_table": [t.name for t in vpc.route_tables],
        "security_group": [g.name for g in vpc.security_groups],
        "network_acl": [a.name for a in vpc.network_acls],
        "instance": [i.name for i in vpc.instances],
    }
    for kind, names in groups.items():
        for name in names:
            if kind != "security_group" and not valid_name(name):  # SG names have AWS's own rule
                problems.append(Problem(address(vpc, kind, name), f"name '{name}' {NAME_RULE}", "InvalidName"))
        for name, count in sorted(Counter(names).items()):
            if count > 1:
                problems.append(
                    Problem(address(vpc, kind, name), f"{kind.replace('_', ' ')} name '{name}' is used {count} times",
                            "DuplicateName")
                )
    return problems


__all__ = ["Problem", "validate"]

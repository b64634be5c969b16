"""Validation of free text: labels (which become Name tags) and the topology's description.

EC2 takes up to 256 Unicode characters in a tag value (EC2 API reference, `Tag`); what it cannot take is text
UTF-8 cannot encode (a lone surrogate, which a JSON file can hold as `\\udcff`), and control characters make
no sense in a Name tag or on a drawing. Names and security group texts have stricter rules of their own.
"""

from __future__ import annotations

from ..address import address, transit_gateway_address, vpc_address
from ..graph import name_tag, peering_address
from ..model import Topology, Vpc
from .problem import Problem, shown, unusable_characters

MAX_TAG_VALUE = 256


def check_text(topology: Topology) -> list[Problem]:
    """Problems with the topology's description and with every label of every VPC."""
    problems: list[Problem] = []
    bad = unusable_characters(topology.description, lines=True)
    if bad:
        problems.append(Problem("topology", f"description has characters that cannot be written out ({bad}); "
                                "remove them", "InvalidCharacter"))
    for vpc in topology.vpcs:
        problems += _check_labels(topology, vpc)
    links = [(peering_address(topology, p.name), p.label) for p in topology.peering_connections]
    links += [(transit_gateway_address(g.name), g.label) for g in topology.transit_gateways]
    for where, label in links:
        bad = unusable_characters(label)
        if bad:
            problems.append(Problem(where, f"label '{shown(label)}' has characters a Name tag cannot hold ({bad}); "
                                    "remove them", "InvalidParameterValue"))
    return problems


def _labelled(vpc: Vpc) -> list[tuple[str, str, str]]:
    """(kind, name, label) of every resource of the VPC that has a label."""
    found = [("subnet", s.name, s.label) for s in vpc.subnets]
    if vpc.internet_gateway is not None:
        found.append(("internet_gateway", vpc.internet_gateway.name, vpc.internet_gateway.label))
    found += [("nat_gateway", n.name, n.label) for n in vpc.nat_gateways]
    found += [("route_table", t.name, t.label) for t in vpc.route_tables]
    found += [("security_group", g.name, g.label) for g in vpc.security_groups]
    found += [("network_acl", a.name, a.label) for a in vpc.network_acls]
    found += [("instance", i.name, i.label) for i in vpc.instances]
    found += [("vpc_endpoint", e.name, e.label) for e in vpc.endpoints]
    return [item for item in found if item[2]]


def _check_labels(topology: Topology, vpc: Vpc) -> list[Problem]:
    problems: list[Problem] = []
    labelled = [(vpc_address(vpc), vpc.label, vpc.label)] if vpc.label else []
    labelled += [(address(vpc, kind, name), label, name_tag(label, name)) for kind, name, label in _labelled(vpc)]
    for where, label, tag in labelled:
        bad = unusable_characters(label)
        if bad:
            problems.append(Problem(where, f"label '{shown(label)}' has characters a Name tag cannot hold ({bad}); "
                                    "remove them", "InvalidParameterValue"))
        elif len(tag) > MAX_TAG_VALUE:
            problems.append(Problem(where, f"label '{shown(label[:40])}...' makes a Name tag of {len(tag)} "
                                    f"characters; AWS allows {MAX_TAG_VALUE}", "InvalidParameterValue"))
    return problems

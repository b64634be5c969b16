"""What a drift or a grade marks on the drawing, as the typed data `vpcdraw.render` takes."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from vpcdraw.topology.graph import MY_IP_MARK
from vpcdraw.topology.model import TIERS, Peer, Rule, Subnet
from vpcdraw.topology.ports import PROTOCOL_NAMES
from vpcdraw.topology.regions import REGION_ZONES
from vpcdraw.topology.specs import SecurityGroupRuleSpec, SubnetSpec

if TYPE_CHECKING:
    from vpcdraw.deploy.diff import Drift, DriftItem
    from vpcdraw.render.layout import Overlay, UnmanagedRule
    from vpcdraw.topology.analysis.grade import Grade

FAILED_MEANING = "FAIL: a requirement fails here, in its own words (yellow, bold)"


def grade_overlay(result: Grade) -> Overlay:
    """The failed requirements, in their own words (Korean and English), on the elements that fail them."""
    from vpcdraw.render.layout import Overlay

    passed, total = result.score
    failed: dict[str, list[str]] = {}
    nowhere: list[str] = []
    for item in result.items:
        if item.passed:
            continue
        # each language on lines of its own, short enough not to stretch the box they mark
        words = "\n".join(line for text, width in ((item.ko, 30), (item.en, 44))
                          for line in textwrap.wrap(text, width)) or item.id
        for where in item.addresses:
            failed.setdefault(where, []).append(f"FAIL: {words}")
        if not item.addresses:
            nowhere.append(f"FAIL: {words}")
    return Overlay(changed={a: "\n".join(lines) for a, lines in failed.items()}, notes=tuple(nowhere),
                   title=f"Graded {passed}/{total}", changed_marker="", changed_meaning=FAILED_MEANING)


def drift_overlay(found: Drift) -> Overlay:
    """The drift as the data the drawing takes: each item where it belongs, words for what has no place."""
    from vpcdraw.render.layout import Overlay

    changed: dict[str, str] = {}
    for item in found.changed:
        words = f"{item.attribute} should be {item.expected}, is {item.actual}"
        changed[item.address] = f"{changed[item.address]}; {words}" if item.address in changed else words
    rules: list[UnmanagedRule] = []
    subnets: list[tuple[str, Subnet]] = []
    others: list[str] = []
    for item in found.unmanaged:
        rule = unmanaged_rule(item.spec) if isinstance(item.spec, SecurityGroupRuleSpec) else None
        subnet = unmanaged_subnet(item)
        if rule is not None:
            rules.append(rule)
        elif subnet is not None:
            subnets.append(subnet)
        else:
            others.append(f"{item.detail} ({item.address})")
    return Overlay(frozenset(i.address for i in found.missing), changed, tuple(rules), tuple(subnets), tuple(others))


def unmanaged_rule(spec: SecurityGroupRuleSpec) -> UnmanagedRule | None:
    """A live rule as a model rule on its group, or None when the drawing cannot show its peer (a prefix
    list, another account's group, a group the drawing does not have) or its protocol."""
    from vpcdraw.render.layout import UnmanagedRule

    protocol, group = PROTOCOL_NAMES.get(spec.protocol.lower()), spec.security_group
    if protocol is None or "/security_group/" not in group:
        return None
    vpc, _, _ = group.partition("/security_group/")
    if spec.peer_kind == "security_group" and spec.peer.startswith(f"{vpc}/security_group/"):
        peer = Peer("security_group", spec.peer.removeprefix(f"{vpc}/security_group/"))
    elif spec.peer_kind == "cidr" and spec.peer == MY_IP_MARK:
        peer = Peer("my_ip")
    elif spec.peer_kind == "cidr" and spec.peer:
        peer = Peer("cidr", spec.peer)
    else:
        return None
    low = None if protocol == "all" else spec.from_port
    high = None if protocol == "all" else spec.to_port
    return UnmanagedRule(group, spec.direction, Rule(protocol, low, high, peer, spec.description))


def unmanaged_subnet(item: DriftItem) -> tuple[str, Subnet] | None:
    """A live subnet as (its VPC's address, a model subnet) to draw in its AZ and tier, or None for anything else.

    Its tier is the item's `tier` when the caller knows it, else public: the drawing cannot tell yet.
    """
    spec = item.spec
    if not isinstance(spec, SubnetSpec) or not spec.az:
        return None
    region = next((r for r in REGION_ZONES if spec.az.startswith(r) and len(spec.az) == len(r) + 1), "")
    tier = item.tier if item.tier in TIERS else "public"
    name = item.address.rsplit("/", 1)[-1] if item.address.startswith(f"{spec.vpc}/subnet/") else item.address
    return spec.vpc, Subnet(name, spec.cidr, spec.az[len(region):] if region else spec.az,
                            tier,
                            spec.map_public_ip, spec.name if spec.name != name else "")

"""What a drift or a grade marks on the drawing, as the typed data `vpcdraw.render` takes."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from vpcdraw.topology.graph import MY_IP_MARK
from vpcdraw.topology.model import TIERS, Peer, Rule, Subnet
from vpcdraw.topology.ports import PROTOCOL_NAMES
from vpcdraw.topology.regions import REGION_ZONES

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
        rule = unmanaged_rule(item.spec) if item.kind == "security_group_rule" and item.spec else None
        subnet = unmanaged_subnet(item) if item.kind == "subnet" and item.spec else None
        if rule is not None:
            rules.append(rule)
        elif subnet is not None:
            subnets.append(subnet)
        else:
            others.append(f"{item.detail} ({item.address})")
    return Overlay(frozenset(i.address for i in found.missing), changed, tuple(rules), tuple(subnets), tuple(others))


def unmanaged_rule(spec: dict[str, Any]) -> UnmanagedRule | None:
    """A live rule spec (see `topology.graph.rule_spec`) as a model rule on its group, or None when the drawing
    cannot show its peer (a prefix list, another account's group, a group the drawing does not have)."""
    from vpcdraw.render.layout import UnmanagedRule

    protocol = PROTOCOL_NAMES.get(str(spec.get("protocol")).lower())
    direction, group = spec.get("direction"), str(spec.get("security_group") or "")
    if protocol is None or direction not in ("ingress", "egress") or "/security_group/" not in group:
        return None
    peer_kind, value = spec.get("peer_kind"), str(spec.get("peer") or "")
    vpc, _, _ = group.partition("/security_group/")
    if peer_kind == "security_group" and value.startswith(f"{vpc}/security_group/"):
        peer = Peer("security_group", value.removeprefix(f"{vpc}/security_group/"))
    elif peer_kind == "cidr" and value == MY_IP_MARK:
        peer = Peer("my_ip")
    elif peer_kind == "cidr" and value:
        peer = Peer("cidr", value)
    else:
        return None
    low = None if protocol == "all" else int(spec.get("from_port", -1))
    high = None if protocol == "all" else int(spec.get("to_port", -1))
    return UnmanagedRule(group, direction, Rule(protocol, low, high, peer, str(spec.get("description") or "")))


def unmanaged_subnet(item: DriftItem) -> tuple[str, Subnet] | None:
    """A live subnet as (its VPC's address, a model subnet) to draw in its AZ and tier, or None without a VPC.

    Its tier is the spec's `tier` when the caller knows it, else public: the drawing cannot tell yet.
    """
    spec = item.spec or {}
    vpc, cidr, zone = spec.get("vpc"), spec.get("cidr"), str(spec.get("az") or "")
    if not vpc or not cidr or not zone:
        return None
    region = next((r for r in REGION_ZONES if zone.startswith(r) and len(zone) == len(r) + 1), "")
    tier = spec.get("tier") if spec.get("tier") in TIERS else "public"
    name = item.address.rsplit("/", 1)[-1] if item.address.startswith(f"{vpc}/subnet/") else item.address
    label = str(spec.get("name") or "")
    return str(vpc), Subnet(name, str(cidr), zone[len(region):] if region else zone, tier,  # type: ignore[arg-type]
                            bool(spec.get("map_public_ip")), label if label != name else "")

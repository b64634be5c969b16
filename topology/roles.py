"""What a subnet or security group is for, read from its names (English or Korean) and from its rules.

A console-built account says what things are for only in names (외부망 A, web-sg, bastion) and in the rules
that anchor a tier (8080 from anywhere is the public tier's). This is the one place that reads them; the
live account's translation and the grader both use it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from .model import ANYWHERE_CIDR, Rule, SecurityGroup, Tier

EVERY_ADDRESS = ipaddress.IPv4Network(ANYWHERE_CIDR)

# Words in a Name tag or GroupName that say a tier; management first, since "admin web" manages.
TIER_WORDS: dict[Tier, tuple[str, ...]] = {
    "management": ("manage", "mgmt", "bastion", "admin", "jump", "관리"),
    "public": ("public", "pub", "web", "dmz", "외부"),
    "private": ("private", "priv", "db", "database", "내부"),
}
PUBLIC_PORTS = (8080, 80, 443)
DATABASE_PORTS = (3306, 5432)


def named_tier(*texts: str) -> Tier | None:
    """The tier the names say, when they say exactly one (management wins over the others).

    >>> named_tier("외부망 A")
    'public'
    >>> named_tier("bastion-sg", "관리망")
    'management'
    >>> named_tier("subnet-1") is None
    True
    """
    text = " ".join(texts).lower()
    said = [tier for tier, words in TIER_WORDS.items() if any(word in text for word in words)]
    if "management" in said:
        return "management"
    return said[0] if len(said) == 1 else None


def covers(rule: Rule, protocol: str, port: int | None) -> bool:
    """Whether a rule lets `protocol`/`port` through: its range holds the port, or it allows all traffic.

    This is the one definition of a rule covering a port (as checkov reads port ranges); ICMP rules with
    type -1 cover every type.

    >>> from vpcdraw.topology.model import Peer
    >>> covers(Rule("tcp", 1024, 2048, Peer("cidr", ANYWHERE_CIDR)), "tcp", 1500)
    True
    """
    if rule.protocol == "all":
        return True
    if rule.protocol != protocol:
        return False
    if port is None or rule.from_port is None or rule.to_port is None or rule.from_port == -1:
        return True
    return rule.from_port <= port <= rule.to_port


def merged_cidrs(cidrs: Iterable[str]) -> list[ipaddress.IPv4Network]:
    """The IPv4 blocks the CIDRs cover together, merged (ipaddress.collapse_addresses); IPv6 or bad text adds nothing.

    >>> merged_cidrs(["0.0.0.0/1", "128.0.0.0/1", "::/0"])
    [IPv4Network('0.0.0.0/0')]
    """
    blocks = []
    for cidr in cidrs:
        try:
            blocks.append(ipaddress.IPv4Network(cidr, strict=False))
        except ValueError:
            continue  # IPv6, or a CIDR that validation refuses
    return list(ipaddress.collapse_addresses(blocks))


def covered(block: str | ipaddress.IPv4Network, cidrs: Iterable[str]) -> bool:
    """Whether every address of `block` is in one of the CIDRs: coverage, not spelling.

    The one answer to "does this mean everywhere?" for rules, routes and network ACL entries alike: a route table
    with 0.0.0.0/1 and 128.0.0.0/1 to the internet gateway sends all of 0.0.0.0/0 there.

    >>> covered("0.0.0.0/0", ["0.0.0.0/1", "128.0.0.0/1"]), covered("0.0.0.0/0", ["0.0.0.0/1", "128.0.0.0/2"])
    (True, False)
    """
    return within(ipaddress.IPv4Network(block, strict=False), merged_cidrs(cidrs))


def merged_blocks(rules: Iterable[Rule]) -> list[ipaddress.IPv4Network]:
    """The IPv4 blocks the rules' CIDR peers cover together, merged (see `merged_cidrs`).

    Coverage, not spelling: two rules from 0.0.0.0/1 and 128.0.0.0/1 are one rule from the whole internet.
    Peers that are not IPv4 CIDRs (groups, subnets, my IP, IPv6) add nothing.

    >>> from vpcdraw.topology.model import Peer
    >>> halves = [Rule("tcp", 22, 22, Peer("cidr", "0.0.0.0/1")), Rule("tcp", 22, 22, Peer("cidr", "128.0.0.0/1"))]
    >>> merged_blocks(halves)
    [IPv4Network('0.0.0.0/0')]
    """
    return merged_cidrs(r.peer.value for r in rules if r.peer.kind == "cidr")


def allowed_blocks(rules: Iterable[Rule], protocol: str, port: int | None) -> list[ipaddress.IPv4Network]:
    """The IPv4 blocks that the rules covering `protocol`/`port` let through, merged (see `merged_blocks`)."""
    return merged_blocks(r for r in rules if covers(r, protocol, port))


def within(block: ipaddress.IPv4Network, blocks: Iterable[ipaddress.IPv4Network]) -> bool:
    """Whether every address of `block` is in one of the merged `blocks` (merged blocks never split an aligned
    block between them, so one of them holds it all)."""
    return any(block.subnet_of(b) for b in blocks)


def single_address(rule: Rule) -> bool:
    """Whether the rule's peer is one IPv4 address: the admin's IP, given or not."""
    return rule.peer.kind == "my_ip" or (rule.peer.kind == "cidr" and rule.peer.value.endswith("/32"))


def anchored_tiers(group: SecurityGroup) -> dict[Tier, str]:
    """The tiers the group's inbound rules point to, each with the rule that says so in words."""
    found: dict[Tier, str] = {}
    for rule in group.ingress:
        if rule.protocol != "tcp":
            continue
        port = next((p for p in PUBLIC_PORTS if covers(rule, "tcp", p)), None)
        if rule.peer.kind == "cidr" and rule.from_port != 0 and port is not None and _from_anywhere(group, port):
            found.setdefault("public", f"tcp/{port} from anywhere")
        if rule.peer.kind == "security_group":
            port = next((p for p in DATABASE_PORTS if covers(rule, "tcp", p) and rule.from_port == p), None)
            if port is not None:
                found.setdefault("private", f"tcp/{port} from SG {rule.peer.value}")
        if single_address(rule) and rule.from_port == 22 == rule.to_port:
            found.setdefault("management", f"tcp/22 from one address ({rule.peer})")
    return found


def _from_anywhere(group: SecurityGroup, port: int) -> bool:
    """Whether the group's TCP rules take `port` from every address, in one rule or several (0.0.0.0/1 and
    128.0.0.0/1); rules from port 0 do not count, since 0-65535 from anywhere says nothing of a tier."""
    rules = [r for r in group.ingress if r.protocol == "tcp" and r.from_port != 0]
    return within(EVERY_ADDRESS, allowed_blocks(rules, "tcp", port))


def group_tier(group: SecurityGroup, *names: str) -> tuple[Tier | None, str]:
    """The tier a security group is taken to protect, and why in words ('its name, and tcp/8080 from anywhere').

    Its names decide when they say one tier; otherwise its rules, when they point to one.
    """
    by_name = named_tier(group.name, *names)
    anchors = anchored_tiers(group)
    if by_name is not None:
        reason = "its name" + (f", and {anchors[by_name]}" if by_name in anchors else "")
        return by_name, reason
    if len(anchors) == 1:
        tier, why = next(iter(anchors.items()))
        return tier, why
    return None, ""

"""Grading a VPC against an assignment rubric: one verdict per requirement, with the evidence.

The rubric is data (rubrics/*.json): which subnets and groups play which role, and one entry per
requirement line. Roles are the tiers the live account's translation found (vpcdraw.deploy.translate, with
vpcdraw.topology.roles): a subnet is public when its route table reaches an internet gateway, a group
protects the tier of the subnets its interfaces sit in, else the tier its names and rules point to.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..address import address, vpc_address
from ..errors import VpcdrawError
from ..model import ANYWHERE_CIDR, TIERS, Rule, SecurityGroup, Subnet, Topology, Vpc
from ..ports import parse_ports
from ..regions import zone_name
from ..roles import anchored_tiers, covers

DEFAULT_RUBRIC = "week1"


@dataclass(frozen=True)
class Item:
    """One requirement's verdict."""

    id: str
    ko: str
    en: str
    passed: bool
    evidence: str
    addresses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ko": self.ko, "en": self.en, "passed": self.passed, "evidence": self.evidence,
                "addresses": list(self.addresses)}


@dataclass
class Grade:
    """The verdicts, the score, and the VPC with the roles found (for the drawing)."""

    rubric: str
    items: list[Item] = field(default_factory=list)
    topology: Topology | None = None

    @property
    def score(self) -> tuple[int, int]:
        return sum(1 for i in self.items if i.passed), len(self.items)

    def to_json(self) -> dict[str, Any]:
        passed, total = self.score
        return {"rubric": self.rubric, "passed": passed, "total": total, "all_passed": passed == total,
                "items": [i.to_json() for i in self.items]}


def load_rubric(path: str | Path | None = None) -> dict[str, Any]:
    """A rubric file, or the shipped week-1 assignment rubric."""
    try:
        if path is None:
            text = resources.files(__package__).joinpath(f"rubrics/{DEFAULT_RUBRIC}.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        rubric = json.loads(text)
    except (OSError, ValueError) as error:
        raise VpcdrawError(f"cannot read the rubric {path}: {error}") from None
    if not isinstance(rubric, dict) or not isinstance(rubric.get("requirements"), list):
        raise VpcdrawError(f"the rubric {path} has no list of requirements")
    return rubric


def grade(topology: Topology, rubric: dict[str, Any], my_ip: str | None = None) -> Grade:
    """Grade the (imported) topology's first VPC against the rubric."""
    if not topology.vpcs:
        raise VpcdrawError("there is no VPC to grade")
    vpc = topology.vpcs[0]
    roles = _subnet_roles(vpc)
    groups = _group_roles(vpc)
    checker = _Checker(topology.region, vpc, roles, groups, my_ip)
    result = Grade(str(rubric.get("name", "rubric")))
    for requirement in rubric["requirements"]:
        check = getattr(checker, f"check_{requirement.get('check')}", None)
        if check is None:
            raise VpcdrawError(f"the rubric asks for an unknown check '{requirement.get('check')}'")
        passed, evidence, where = check(requirement)
        result.items.append(Item(str(requirement["id"]), str(requirement.get("ko", "")),
                                 str(requirement.get("en", "")), passed, evidence, tuple(where)))
    result.topology = _with_roles(topology, roles, groups)
    return result


def _subnet_roles(vpc: Vpc) -> dict[str, list[Subnet]]:
    """The subnets of each tier, as the live account's translation found them (routes, and names for management)."""
    return {tier: [s for s in vpc.subnets if s.tier == tier] for tier in TIERS}


def _group_roles(vpc: Vpc) -> dict[str, SecurityGroup | None]:
    """Each tier's group: the one that protects it (by tier, or the subnets its interfaces sit in), anchored first."""
    found: dict[str, SecurityGroup | None] = {}
    for tier in TIERS:
        protecting = [g for g in sorted(vpc.security_groups, key=lambda g: g.name) if _role(vpc, g) == tier]
        found[tier] = next((g for g in protecting if tier in anchored_tiers(g)), protecting[0] if protecting else None)
    return found


def _role(vpc: Vpc, group: SecurityGroup) -> str | None:
    if group.tier is not None:
        return group.tier
    tiers = {s.tier for s in vpc.protected_subnets(group)}
    return tiers.pop() if len(tiers) == 1 else None


class _Checker:
    def __init__(self, region: str, vpc: Vpc, roles: dict[str, list[Subnet]],
                 groups: dict[str, SecurityGroup | None], my_ip: str | None) -> None:
        self.region, self.vpc, self.roles, self.groups, self.my_ip = region, vpc, roles, groups, my_ip

    def _where(self, subnets: list[Subnet]) -> list[str]:
        return [address(self.vpc, "subnet", s.name) for s in subnets]

    def _words(self, subnets: list[Subnet]) -> str:
        return ", ".join(f"{s.name} {s.cidr} ({zone_name(self.region, s.az)})" for s in subnets) or "none"

    def check_vpc_prefix(self, r: dict[str, Any]) -> tuple[bool, str, list[str]]:
        prefix = ipaddress.IPv4Network(self.vpc.cidr).prefixlen
        return prefix == r["prefix"], f"VPC {self.vpc.cidr} is a /{prefix}", [vpc_address(self.vpc)]

    def check_subnets(self, r: dict[str, Any]) -> tuple[bool, str, list[str]]:
        subnets = self.roles.get(r["role"], [])
        problems = []
        if len(subnets) != r["count"]:
            problems.append(f"found {len(subnets)} {r['role']} subnet(s), need {r['count']}")
        problems += [f"{s.name} is a /{ipaddress.IPv4Network(s.cidr).prefixlen}" for s in subnets
                     if ipaddress.IPv4Network(s.cidr).prefixlen != r["prefix"]]
        if r.get("distinct_zones") and len({s.az for s in subnets}) < len(subnets):
            problems.append("they share an availability zone")
        evidence = self._words(subnets) + (f": {'; '.join(problems)}" if problems else "")
        return not problems, evidence, self._where(subnets)

    def check_internet_gateway(self, r: dict[str, Any]) -> tuple[bool, str, list[str]]:
        igw = self.vpc.internet_gateway
        if igw is None or not igw.attached:
            return False, "no internet gateway is attached to the VPC", [vpc_address(self.vpc)]
        return True, f"internet gateway {igw.name} is attached", [address(self.vpc, "internet_gateway", igw.name)]

    def check_routes(self, r: dict[str, Any]) -> tuple[bool, str, list[str]]:
        wrong = [s for role in r["public"] for s in self.roles.get(role, [])
                 if not self.vpc.routes_to_internet_gateway(s.name)]
        wrong += [s for role in r["private"] for s in self.roles.get(role, [])
                  if self.vpc.routes_to_internet_gateway(s.name)]
        tables = ", ".join(f"{s.name} uses {t.name if (t := self.vpc.route_table_of(s.name)) else 'main'}"
                           for s in self.vpc.subnets)
        if wrong:
            return False, f"{', '.join(s.name for s in wrong)} route the wrong way ({tables})", self._where(wrong)
        return True, tables, []

    def check_rule(self, r: dict[str, Any]) -> tuple[bool, str, list[str]]:
        group = self.groups.get(r["group"])
        if group is None:
            return False, f"no security group plays the {r['group']} role", []
        where = [address(self.vpc, "security_group", group.name)]
        protocol, port, _ = parse_ports(r["port"])
        rules = [rule for rule in group.ingress if covers(rule, protocol, port)]
        good = [rule for rule in rules if self._source(rule, r["from"]) == "ok"]
        broad = [rule for rule in rules if self._source(rule, r["from"]) == "broad"]
        text = f"SG {group.name}: " + (", ".join(f"{x.port_text} from {x.peer}" for x in rules) or
                                       f"nothing on {r['port']}")
        if broad:
            return False, f"{text} (over-broad: {', '.join(str(x.peer) for x in broad)})", where
        if not good or not self._covers_role(good, r["from"]):
            return False, f"{text}; needs {r['port']} from {r['from'].replace('_', ' ')}", where
        return True, text, where

    def _source(self, rule: Rule, wanted: str) -> str:
        """ok, broad (wider than asked), or other (a different source)."""
        peer = rule.peer
        if wanted == "anywhere":
            return "ok" if peer.value == ANYWHERE_CIDR else "other"
        if wanted == "my_ip":
            if peer.kind == "my_ip":
                return "ok"
            if peer.kind != "cidr":
                return "other"
            block = ipaddress.IPv4Network(peer.value)
            if block.prefixlen < 32:
                return "broad"
            return "ok" if not self.my_ip or str(block) == self.my_ip else "other"
        target = self.groups.get(wanted)
        if peer.kind == "security_group":
            return "ok" if target is not None and peer.value == target.name else "other"
        if peer.kind != "cidr":
            return "other"
        block = ipaddress.IPv4Network(peer.value)
        role_nets = [ipaddress.IPv4Network(s.cidr) for s in self.roles.get(wanted, [])]
        others = [ipaddress.IPv4Network(s.cidr) for s in self.vpc.subnets if s not in self.roles.get(wanted, [])]
        if any(block.overlaps(o) for o in others) or block.prefixlen == 0:
            return "broad" if any(block.overlaps(n) for n in role_nets) or block.prefixlen == 0 else "other"
        return "ok" if any(block.overlaps(n) for n in role_nets) else "other"

    def _covers_role(self, good: list[Rule], wanted: str) -> bool:
        if wanted in ("anywhere", "my_ip") or any(r.peer.kind == "security_group" for r in good):
            return True
        blocks = [ipaddress.IPv4Network(r.peer.value) for r in good if r.peer.kind == "cidr"]
        return all(any(ipaddress.IPv4Network(s.cidr).subnet_of(b) for b in blocks)
                   for s in self.roles.get(wanted, []))


def _with_roles(topology: Topology, roles: dict[str, list[Subnet]],
                groups: dict[str, SecurityGroup | None]) -> Topology:
    """The topology with the roles found written in: tiers on subnets, and each role's group on its tier."""
    vpc = topology.vpcs[0]
    tier_of = {s.name: role for role, subnets in roles.items() for s in subnets}
    subnets = tuple(dataclasses.replace(s, tier=tier_of.get(s.name, s.tier)) for s in vpc.subnets)  # type: ignore[arg-type]
    role_of = {g.name: role for role, g in groups.items() if g}
    security_groups = tuple(dataclasses.replace(g, tier=role_of[g.name]) if g.name in role_of else g  # type: ignore[arg-type]
                            for g in vpc.security_groups)
    graded = dataclasses.replace(vpc, subnets=subnets, security_groups=security_groups)
    return dataclasses.replace(topology, vpcs=(graded, *topology.vpcs[1:]))

"""Grading a VPC against an assignment rubric: one verdict per requirement, with the evidence.

The rubric is data (rubrics/*.json), read by `load_rubric` into a `Rubric`: one typed requirement per
requirement line, each naming the tiers (roles) it is about. Roles are the tiers the live account's translation
found (vpcdraw.deploy.translate, with vpcdraw.topology.roles): a subnet is public when its route table reaches an
internet gateway, a group protects the tier of the subnets its interfaces sit in, else the tier its names and rules
point to.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, assert_never

from ..address import address, vpc_address
from ..errors import VpcdrawError
from ..model import ANYWHERE_CIDR, TIERS, Rule, SecurityGroup, Subnet, Tier, Topology, Vpc
from ..ports import BadPort, parse_ports
from ..regions import zone_name
from ..roles import anchored_tiers, covered, covers

DEFAULT_RUBRIC = "week1"

Source = Tier | Literal["anywhere", "my_ip"]
"""Where an ingress rule's traffic may come from: a tier's subnets or group, anywhere (0.0.0.0/0), or the admin's IP."""
SOURCES: tuple[Source, ...] = (*TIERS, "anywhere", "my_ip")


class _Unfit(Exception):
    """A rubric value a field cannot take; `reason` completes "..., but ...", or None for "it needs <wanted>"."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


def _reads(wanted: str, read: Callable[[Any], Any], key: str | None = None) -> dict[str, Any]:
    """A requirement field's metadata for the rubric reader: what it needs (in words), how to read it, its JSON key."""
    return {"wanted": wanted, "read": read, "key": key}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unfit
    return value


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Unfit
    return value


def _whole_number(low: int, high: int | None = None) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise _Unfit
        return value

    return read


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Unfit
    return value


def _tier(value: Any) -> Tier:
    if value not in TIERS:
        raise _Unfit
    return value


def _tiers(value: Any) -> tuple[Tier, ...]:
    if not isinstance(value, list) or any(v not in TIERS for v in value):
        raise _Unfit
    return tuple(value)


def _source(value: Any) -> Source:
    if value not in SOURCES:
        raise _Unfit
    return value


def _port(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unfit
    try:
        parse_ports(value)
    except BadPort as error:
        raise _Unfit(str(error)) from None
    return value


_PREFIX = "a prefix length, a whole number from 0 to 32"
_TIER = f"a tier, one of {', '.join(TIERS)}"
_TIER_LIST = f"a list of tiers out of {', '.join(TIERS)}"


@dataclass(frozen=True, kw_only=True)
class RequirementLine:
    """What every requirement has: the id its verdict is reported under, and its wording in Korean and English."""

    id: str = field(metadata=_reads('a string such as "vpc-16"', _identifier))
    ko: str = field(default="", metadata=_reads("a string", _text))
    en: str = field(default="", metadata=_reads("a string", _text))


@dataclass(frozen=True, kw_only=True)
class VpcPrefixRequirement(RequirementLine):
    """The VPC's CIDR block has this prefix length (the assignment's "B class" is a /16)."""

    check: ClassVar[str] = "vpc_prefix"
    prefix: int = field(metadata=_reads(_PREFIX, _whole_number(0, 32)))


@dataclass(frozen=True, kw_only=True)
class SubnetsRequirement(RequirementLine):
    """The VPC has `count` subnets of one tier, each of this prefix length, in different AZs when asked."""

    check: ClassVar[str] = "subnets"
    role: Tier = field(metadata=_reads(_TIER, _tier))
    count: int = field(metadata=_reads("a whole number, 0 or more", _whole_number(0)))
    prefix: int = field(metadata=_reads(_PREFIX, _whole_number(0, 32)))
    distinct_zones: bool = field(default=False, metadata=_reads("true or false", _flag))


@dataclass(frozen=True, kw_only=True)
class InternetGatewayRequirement(RequirementLine):
    """An internet gateway is attached to the VPC."""

    check: ClassVar[str] = "internet_gateway"


@dataclass(frozen=True, kw_only=True)
class RoutesRequirement(RequirementLine):
    """The route tables send the `public` tiers' subnets to the internet gateway, and the `private` tiers' not."""

    check: ClassVar[str] = "routes"
    public: tuple[Tier, ...] = field(metadata=_reads(_TIER_LIST, _tiers))
    private: tuple[Tier, ...] = field(metadata=_reads(_TIER_LIST, _tiers))


@dataclass(frozen=True, kw_only=True)
class RuleRequirement(RequirementLine):
    """The tier's security group has an inbound rule for `port` from `source`, and none wider than asked."""

    check: ClassVar[str] = "rule"
    group: Tier = field(metadata=_reads(_TIER, _tier))
    port: str = field(metadata=_reads("a port text such as tcp/22", _port))
    source: Source = field(metadata=_reads(f"one of {', '.join(SOURCES)}", _source, "from"))


Requirement = (VpcPrefixRequirement | SubnetsRequirement | InternetGatewayRequirement | RoutesRequirement
               | RuleRequirement)
"""One requirement line of a rubric; its type is the check that grades it."""

_CHECKS: dict[str, type[Requirement]] = {kind.check: kind for kind in (
    VpcPrefixRequirement, SubnetsRequirement, InternetGatewayRequirement, RoutesRequirement, RuleRequirement)}


@dataclass(frozen=True)
class Rubric:
    """An assignment to grade against: its name and its requirement lines, in the order they are reported."""

    name: str
    requirements: tuple[Requirement, ...]


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


def load_rubric(path: str | Path | None = None) -> Rubric:
    """A rubric file, or the shipped week-1 assignment rubric, read and checked.

    Any problem with the file is a VpcdrawError in one sentence naming the file, the requirement and the field.
    """
    file = str(path) if path is not None else f"{DEFAULT_RUBRIC}.json (shipped)"
    try:
        if path is None:
            text = resources.files(__package__).joinpath(f"rubrics/{DEFAULT_RUBRIC}.json").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise VpcdrawError(f"the rubric {file} is not UTF-8 text") from None
    except OSError as error:
        raise VpcdrawError(f"cannot read the rubric {file} ({error.strerror or error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise VpcdrawError(f"the rubric {file} is not JSON ({error.msg} at line {error.lineno}, "
                           f"column {error.colno})") from None
    return _rubric(file, data)


def _rubric(file: str, data: Any) -> Rubric:
    """The rubric a rubric file's JSON describes, or the first problem with it."""
    if not isinstance(data, dict):
        raise VpcdrawError(f"the rubric {file} is {_shown(data)}, but it needs to be a JSON object with a "
                           "'requirements' list")
    unknown = sorted(set(data) - {"name", "requirements"})
    if unknown:
        raise VpcdrawError(f"the rubric {file} has the field '{unknown[0]}', which a rubric does not have; "
                           "it has name and requirements")
    name = data.get("name", "rubric")
    if not isinstance(name, str):
        raise VpcdrawError(f"the rubric {file} has 'name' {_shown(name)}, but it needs a string")
    if "requirements" not in data:
        raise VpcdrawError(f"the rubric {file} has no 'requirements' list")
    lines = data["requirements"]
    if not isinstance(lines, list) or not lines:
        raise VpcdrawError(f"the rubric {file} has 'requirements' {_shown(lines)}, but it needs a list of at "
                           "least one requirement")
    requirements: list[Requirement] = []
    first_with: dict[str, int] = {}
    for position, line in enumerate(lines, 1):
        requirement = _requirement(file, position, line)
        if requirement.id in first_with:
            raise VpcdrawError(f"the rubric {file}: requirement {position} has 'id' {_shown(requirement.id)}, but "
                               f"requirement {first_with[requirement.id]} already has that id")
        first_with[requirement.id] = position
        requirements.append(requirement)
    return Rubric(name, tuple(requirements))


def _requirement(file: str, position: int, line: Any) -> Requirement:
    """One requirement line, read into the type of its check, or the first problem with it."""
    where = f"the rubric {file}: requirement {position}"
    if not isinstance(line, dict):
        raise VpcdrawError(f"{where} is {_shown(line)}, but it needs to be a JSON object with an id and a check")
    if isinstance(line.get("id"), str) and line["id"].strip():
        where = f"the rubric {file}: requirement '{line['id']}'"
    checks = ", ".join(_CHECKS)
    if "check" not in line:
        raise VpcdrawError(f"{where} has no 'check'; it needs one of {checks}")
    check = line["check"]
    kind = _CHECKS.get(check) if isinstance(check, str) else None
    if kind is None:
        raise VpcdrawError(f"{where} has 'check' {_shown(check)}, but it needs one of {checks}")
    values: dict[str, Any] = {}
    keys = ["check"]
    for spec in dataclasses.fields(kind):
        key, wanted = spec.metadata["key"] or spec.name, spec.metadata["wanted"]
        keys.append(key)
        if key not in line:
            if spec.default is MISSING:
                raise VpcdrawError(f"{where} has no '{key}', which a {check} check needs: {wanted}")
            continue
        try:
            values[spec.name] = spec.metadata["read"](line[key])
        except _Unfit as unfit:
            raise VpcdrawError(f"{where} has '{key}' {_shown(line[key])}, but "
                               f"{unfit.reason or f'it needs {wanted}'}") from None
    unknown = sorted(set(line) - set(keys))
    if unknown:
        raise VpcdrawError(f"{where} has the field '{unknown[0]}', which a {check} check does not read; "
                           f"it reads {', '.join(keys)}")
    return kind(**values)


def _shown(value: Any) -> str:
    """A rubric value as the file has it (strings quoted, so "16" and 16 differ), cut short when long."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def grade(topology: Topology, rubric: Rubric, my_ip: str | None = None) -> Grade:
    """Grade the (imported) topology's first VPC against the rubric."""
    if not topology.vpcs:
        raise VpcdrawError("there is no VPC to grade")
    vpc = topology.vpcs[0]
    roles = _subnet_roles(vpc)
    groups = _group_roles(vpc)
    checker = _Checker(topology.region, vpc, roles, groups, my_ip)
    result = Grade(rubric.name)
    for requirement in rubric.requirements:
        passed, evidence, where = checker.check(requirement)
        result.items.append(Item(requirement.id, requirement.ko, requirement.en, passed, evidence, tuple(where)))
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


Verdict = tuple[bool, str, list[str]]
"""Whether a requirement passed, the evidence in words, and the addresses of what it is about (for the drawing)."""


class _Checker:
    """Grades requirement lines against one VPC, with the roles its subnets and groups were found to play."""

    def __init__(self, region: str, vpc: Vpc, roles: dict[str, list[Subnet]],
                 groups: dict[str, SecurityGroup | None], my_ip: str | None) -> None:
        self.region, self.vpc, self.roles, self.groups, self.my_ip = region, vpc, roles, groups, my_ip

    def check(self, requirement: Requirement) -> Verdict:
        """The verdict on one requirement, by the check its type names."""
        match requirement:
            case VpcPrefixRequirement():
                return self.check_vpc_prefix(requirement)
            case SubnetsRequirement():
                return self.check_subnets(requirement)
            case InternetGatewayRequirement():
                return self.check_internet_gateway(requirement)
            case RoutesRequirement():
                return self.check_routes(requirement)
            case RuleRequirement():
                return self.check_rule(requirement)
        assert_never(requirement)

    def _where(self, subnets: list[Subnet]) -> list[str]:
        return [address(self.vpc, "subnet", s.name) for s in subnets]

    def _words(self, subnets: list[Subnet]) -> str:
        return ", ".join(f"{s.name} {s.cidr} ({zone_name(self.region, s.az)})" for s in subnets) or "none"

    def check_vpc_prefix(self, r: VpcPrefixRequirement) -> Verdict:
        prefix = ipaddress.IPv4Network(self.vpc.cidr).prefixlen
        return prefix == r.prefix, f"VPC {self.vpc.cidr} is a /{prefix}", [vpc_address(self.vpc)]

    def check_subnets(self, r: SubnetsRequirement) -> Verdict:
        subnets = self.roles.get(r.role, [])
        problems = []
        if len(subnets) != r.count:
            problems.append(f"found {len(subnets)} {r.role} subnet(s), need {r.count}")
        problems += [f"{s.name} is a /{ipaddress.IPv4Network(s.cidr).prefixlen}" for s in subnets
                     if ipaddress.IPv4Network(s.cidr).prefixlen != r.prefix]
        if r.distinct_zones and len({s.az for s in subnets}) < len(subnets):
            problems.append("they share an availability zone")
        evidence = self._words(subnets) + (f": {'; '.join(problems)}" if problems else "")
        return not problems, evidence, self._where(subnets)

    def check_internet_gateway(self, r: InternetGatewayRequirement) -> Verdict:
        igw = self.vpc.internet_gateway
        if igw is None or not igw.attached:
            return False, "no internet gateway is attached to the VPC", [vpc_address(self.vpc)]
        return True, f"internet gateway {igw.name} is attached", [address(self.vpc, "internet_gateway", igw.name)]

    def check_routes(self, r: RoutesRequirement) -> Verdict:
        wrong = [s for role in r.public for s in self.roles.get(role, [])
                 if not self.vpc.routes_to_internet_gateway(s.name)]
        wrong += [s for role in r.private for s in self.roles.get(role, [])
                  if self.vpc.routes_to_internet_gateway(s.name)]
        tables = ", ".join(f"{s.name} uses {t.name if (t := self.vpc.route_table_of(s.name)) else 'main'}"
                           for s in self.vpc.subnets)
        if wrong:
            return False, f"{', '.join(s.name for s in wrong)} route the wrong way ({tables})", self._where(wrong)
        return True, tables, []

    def check_rule(self, r: RuleRequirement) -> Verdict:
        group = self.groups.get(r.group)
        if group is None:
            return False, f"no security group plays the {r.group} role", []
        where = [address(self.vpc, "security_group", group.name)]
        protocol, port, _ = parse_ports(r.port)
        rules = [rule for rule in group.ingress if covers(rule, protocol, port)]
        good = [rule for rule in rules if self._source(rule, r.source) == "ok"]
        broad = [rule for rule in rules if self._source(rule, r.source) == "broad"]
        text = f"SG {group.name}: " + (", ".join(f"{x.port_text} from {x.peer}" for x in rules) or
                                       f"nothing on {r.port}")
        if broad:
            return False, f"{text} (over-broad: {', '.join(str(x.peer) for x in broad)})", where
        if not good or not self._covers_role(good, r.source):
            return False, f"{text}; needs {r.port} from {r.source.replace('_', ' ')}", where
        return True, text, where

    def _source(self, rule: Rule, wanted: Source) -> str:
        """ok, broad (wider than asked), or other (a different source).

        Any IPv4 CIDR is part of anywhere: whether the good rules together are all of it is `_covers_role`'s
        question. A CIDR is broad for a tier when it also holds other subnets, or addresses outside the VPC.
        """
        peer = rule.peer
        if wanted == "anywhere":
            return "ok" if peer.kind == "cidr" and _ipv4(peer.value) else "other"
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
        if not any(block.overlaps(n) for n in role_nets):
            return "other"
        beyond = not covered(block, [self.vpc.cidr])  # 0.0.0.0/0, or its two halves: the internet too
        return "broad" if beyond or any(block.overlaps(o) for o in others) else "ok"

    def _covers_role(self, good: list[Rule], wanted: Source) -> bool:
        """Whether the good rules, together, take the whole source: every address for anywhere (0.0.0.0/0, or
        0.0.0.0/1 and 128.0.0.0/1), every subnet of a tier."""
        cidrs = [r.peer.value for r in good if r.peer.kind == "cidr"]
        if wanted == "anywhere":
            return covered(ANYWHERE_CIDR, cidrs)
        if wanted == "my_ip" or any(r.peer.kind == "security_group" for r in good):
            return True
        return all(covered(s.cidr, cidrs) for s in self.roles.get(wanted, []))


def _ipv4(cidr: str) -> bool:
    """Whether a rule's CIDR is an IPv4 block (a live account's rules may be IPv6)."""
    try:
        ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        return False
    return True


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

"""Security lint: rules with stable ids and severities, each naming the matching checkov and Security Hub ids.

Port ranges and protocol `all` match as checkov matches them: a rule covers a port when the port lies in its
range, and `all` covers every port. "The world" is coverage, not one spelling: several rules whose blocks
together are every IPv4 address (0.0.0.0/1 and 128.0.0.0/1) open a port as 0.0.0.0/0 does. Findings every
account has until its owner acts (the default security group's rules, no flow logs, groups no host uses
yet) are informational.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..address import address, vpc_address
from ..model import ANYWHERE_CIDR, Rule, SecurityGroup, Topology, Vpc
from ..roles import EVERY_ADDRESS, merged_blocks, within
from ..roles import covers as tcp_covers

SEVERITIES = ("info", "low", "medium", "high")
DATABASE_PORTS = (3306, 5432, 1433, 6379, 27017)
WORLD = (ANYWHERE_CIDR, "::/0")


@dataclass(frozen=True)
class Finding:
    """One lint finding."""

    rule: str
    severity: str
    address: str
    message: str
    public_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "address": self.address, "message": self.message,
                "public_ids": list(self.public_ids)}

    def __str__(self) -> str:
        ids = f" ({', '.join(self.public_ids)})" if self.public_ids else ""
        return f"[{self.severity}] {self.rule} {self.address}: {self.message}{ids}"


RULES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "VD001": ("high", ("CKV_AWS_24", "EC2.13"), "SSH (tcp/22) open to the world"),
    "VD002": ("high", ("CKV_AWS_25", "EC2.14"), "RDP (tcp/3389) open to the world"),
    "VD003": ("high", ("CKV_AWS_277", "EC2.18"), "all ports open to the world"),
    "VD004": ("high", (), "a database port open to the world"),
    "VD005": ("info", ("CKV2_AWS_12", "EC2.2"), "the default security group allows traffic"),
    "VD006": ("medium", ("CKV_AWS_130", "EC2.15"), "a private subnet gives its hosts public IP addresses"),
    "VD007": ("high", (), "a private subnet's route table reaches an internet gateway"),
    "VD008": ("high", (), "the database tier is reachable from the internet"),
    "VD009": ("low", ("CKV_AWS_23",), "a security group rule without a description"),
    "VD010": ("info", ("CKV2_AWS_11",), "no VPC flow logs"),
    "VD011": ("info", (), "a security group that protects nothing yet"),
}


def _find(rule: str, where: str, message: str) -> Finding:
    severity, ids, _ = RULES[rule]
    return Finding(rule, severity, where, message, ids)


def covers(rule: Rule, port: int) -> bool:
    """Whether a rule lets TCP `port` through (see `vpcdraw.topology.roles.covers`, the one definition)."""
    return tcp_covers(rule, "tcp", port)


def lint(topology: Topology) -> list[Finding]:
    """Every finding for the topology, most severe first."""
    found: list[Finding] = []
    for vpc in topology.vpcs:
        found += _groups(vpc)
        found += _subnets(vpc)
        if not vpc.lock_default_security_group:
            found.append(_find("VD005", vpc_address(vpc) + "/security_group/default",
                               "AWS's default group allows all traffic among its members and all egress; lock it "
                               "with .lock_default_security_group()"))
        found.append(_find("VD010", vpc_address(vpc), "VPC flow logs are not enabled"))
        found += _database_reachable(topology, vpc)
    return sorted(found, key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.address))


def _groups(vpc: Vpc) -> list[Finding]:
    found = []
    for group in vpc.security_groups:
        where = address(vpc, "security_group", group.name)
        found += _open_to_the_world(where, group)
        for direction, rules in (("ingress", group.ingress), ("egress", group.egress or ())):
            for rule in rules:
                if not rule.description:
                    found.append(_find("VD009", where, f"{direction} rule {rule.port_text} {rule.peer} has no "
                                                       "description"))
        if not _used(vpc, group):
            found.append(_find("VD011", where, "no subnet, tier or host uses it"))
    return found


def _every_port(rule: Rule) -> bool:
    return rule.protocol == "all" or (rule.from_port == 0 and rule.to_port == 65535)


def _open_to_the_world(where: str, group: SecurityGroup) -> list[Finding]:
    """VD001-VD004: a rule from the whole world, or several rules whose blocks together are the whole world.

    Coverage, not spelling: ingress from 0.0.0.0/1 and from 128.0.0.0/1 is ingress from everyone.
    """
    found = []
    for rule in group.ingress:
        if rule.peer.kind == "cidr" and rule.peer.value in WORLD:
            text = f"ingress {rule.port_text} from {rule.peer.value}"
            if _every_port(rule):
                found.append(_find("VD003", where, f"{text} opens every port to the world"))
            if covers(rule, 22):
                found.append(_find("VD001", where, f"{text} lets anyone try SSH; allow 22 from my_ip or an SG"))
            if covers(rule, 3389):
                found.append(_find("VD002", where, f"{text} lets anyone try RDP"))
            ports = [p for p in DATABASE_PORTS if covers(rule, p)]
            if ports and rule.protocol != "all":
                found.append(_find("VD004", where, f"{text} exposes database port {ports[0]}"))
    partial = [r for r in group.ingress if r.peer.kind == "cidr" and r.peer.value not in WORLD]
    checks: list[tuple[str, Callable[[Rule], bool], str]] = [
        ("VD003", _every_port, "open every port to the world"),
        ("VD001", lambda r: covers(r, 22), "let anyone try SSH; allow 22 from my_ip or an SG"),
        ("VD002", lambda r: covers(r, 3389), "let anyone try RDP"),
        *[("VD004", lambda r, p=p: covers(r, p) and r.protocol != "all", f"expose database port {p}")
          for p in DATABASE_PORTS],
    ]
    for rule_id, test, words in checks:
        together = [r for r in partial if test(r)]
        if any(f.rule == rule_id for f in found) or not within(EVERY_ADDRESS, merged_blocks(together)):
            continue
        text = ", ".join(f"{r.port_text} from {r.peer.value}" for r in together)
        found.append(_find(rule_id, where, f"ingress {text} together cover every address and {words}"))
    return found


def _used(vpc: Vpc, group: SecurityGroup) -> bool:
    return bool(vpc.protected_subnets(group)) or any(group.name in i.security_groups for i in vpc.instances)


def _subnets(vpc: Vpc) -> list[Finding]:
    found = []
    for subnet in vpc.subnets:
        where = address(vpc, "subnet", subnet.name)
        if subnet.tier == "private" and subnet.map_public_ip:
            found.append(_find("VD006", where, "map_public_ip is on in the private tier"))
        table = vpc.route_table_of(subnet.name)
        if subnet.tier == "private" and table and any(r.target == "internet_gateway" for r in table.routes):
            found.append(_find("VD007", where, f"route table {table.name} routes to the internet gateway"))
    return found


def _database_reachable(topology: Topology, vpc: Vpc) -> list[Finding]:
    """Database ports of the private tier, asked of the reachability engine from the internet."""
    from .reach import reach

    if not any(s.tier == "private" for s in vpc.subnets):
        return []
    found = []
    private = "private" if len(topology.vpcs) == 1 else f"{vpc.name}/private"
    for port in DATABASE_PORTS:
        for answer in reach(topology, "internet", private, f"tcp/{port}"):
            if answer.reachable:
                found.append(_find("VD008", address(vpc, "subnet", answer.target_subnet),
                                   f"the internet reaches {answer.target} on tcp/{port}: "
                                   + " -> ".join(answer.path)))
    return found


def at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    """The findings of `severity` or worse."""
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]

"""Validation of the security layer: security groups and their rules, network ACLs, and instances."""

from __future__ import annotations

import re
from collections import Counter

from ..address import address
from ..model import PROTOCOLS, NetworkAclEntry, Rule, SecurityGroup, Vpc
from .problem import Problem, parse_network, shown

MAX_RULES_PER_DIRECTION = 60
MAX_SECURITY_GROUPS_PER_INSTANCE = 5
MAX_TEXT = 255
# AWS's allowed characters for security group names and descriptions, and rule descriptions (EC2 API reference,
# CreateSecurityGroup: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*"), matched whole: with `$`, a trailing
# newline would pass.
_AWS_TEXT = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")
_AWS_TEXT_RULE = "ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"
_ADDRESS_SAFE = re.compile(r"[A-Za-z0-9._-]+")


def check_security(vpc: Vpc) -> list[Problem]:
    """Problems with security groups, network ACLs and instances."""
    problems: list[Problem] = []
    for group in vpc.security_groups:
        problems += _check_group(vpc, group)
    for subnet_name, count in sorted(Counter(s for a in vpc.network_acls for s in a.subnets).items()):
        if count > 1:
            problems.append(Problem(address(vpc, "subnet", subnet_name),
                                    f"is associated with {count} network ACLs; a subnet has exactly one",
                                    "Resource.AlreadyAssociated"))
    for acl in vpc.network_acls:
        where = address(vpc, "network_acl", acl.name)
        problems += _missing_subnets(vpc, where, acl.subnets)
        for direction in (False, True):
            numbers = Counter(e.rule_number for e in acl.entries if e.egress == direction)
            for number, count in sorted(numbers.items()):
                if count > 1:
                    problems.append(
                        Problem(where, f"rule number {number} is used {count} times "
                                f"{'outbound' if direction else 'inbound'}", "NetworkAclEntryAlreadyExists")
                    )
        for entry in acl.entries:
            problems += _check_acl_entry(where, entry)
    for instance in vpc.instances:
        where = address(vpc, "instance", instance.name)
        if vpc.subnet(instance.subnet) is None:
            problems.append(
                Problem(where, f"subnet '{instance.subnet}' does not exist", "InvalidSubnetID.NotFound")
            )
        for name in instance.security_groups:
            if vpc.security_group(name) is None:
                problems.append(Problem(where, f"security group '{name}' does not exist", "InvalidGroup.NotFound"))
        if len(instance.security_groups) > MAX_SECURITY_GROUPS_PER_INSTANCE:
            problems.append(
                Problem(where, f"has {len(instance.security_groups)} security groups; AWS allows "
                        f"{MAX_SECURITY_GROUPS_PER_INSTANCE} per network interface",
                        "SecurityGroupsPerInterfaceLimitExceeded")
            )
    return problems


def _check_group(vpc: Vpc, group: SecurityGroup) -> list[Problem]:
    where = address(vpc, "security_group", group.name)
    problems = _check_aws_text(where, "security group name", group.name, required=True)
    if group.name.lower().startswith("sg-"):
        problems.append(Problem(where, f"security group name '{shown(group.name)}' may not start with 'sg-'",
                                "InvalidParameterValue"))
    elif not problems and not _ADDRESS_SAFE.fullmatch(group.name):
        problems.append(Problem(where, f"security group name '{shown(group.name)}' is part of addresses, so it may use "
                                "only letters, digits, '.', '_' and '-'", "InvalidName"))
    problems += _check_aws_text(where, "description", group.description, required=True)
    problems += _missing_subnets(vpc, where, group.subnets)
    for direction, rules in (("ingress", group.ingress), ("egress", group.egress or ())):
        if len(rules) > MAX_RULES_PER_DIRECTION:
            problems.append(
                Problem(where, f"has {len(rules)} {direction} rules; AWS allows {MAX_RULES_PER_DIRECTION} per "
                        "direction", "RulesPerSecurityGroupLimitExceeded")
            )
        keys = Counter((r.protocol, r.from_port, r.to_port, r.peer) for r in rules)
        for rule in rules:
            problems += _check_rule(vpc, where, direction, rule)
        for (protocol, low, high, peer), count in keys.items():
            if count > 1:
                text = Rule(protocol, low, high, peer).port_text
                problems.append(
                    Problem(where, f"{direction} rule {text} with {peer} is given {count} times",
                            "InvalidPermission.Duplicate")
                )
    return problems


def _check_rule(vpc: Vpc, where: str, direction: str, rule: Rule) -> list[Problem]:
    side = "from" if direction == "ingress" else "to"
    what = shown(f"{direction} rule {rule.port_text} {side} {rule.peer}")
    problems = _check_ports(where, what, rule.protocol, rule.from_port, rule.to_port)
    problems += _check_aws_text(where, f"{what}: description", rule.description, required=False)
    peer = rule.peer
    if peer.kind == "cidr":
        net, why = parse_network(peer.value)
        if net is None:
            problems.append(Problem(where, f"{what}: CIDR '{shown(peer.value)}' {why}", "InvalidParameterValue"))
    elif peer.kind == "security_group" and vpc.security_group(peer.value) is None:
        problems.append(Problem(where, f"{what}: security group '{peer.value}' does not exist",
                                "InvalidGroup.NotFound"))
    elif peer.kind == "subnet" and vpc.subnet(peer.value) is None:
        problems.append(Problem(where, f"{what}: subnet '{peer.value}' does not exist", "InvalidSubnetID.NotFound"))
    return problems


def _check_ports(where: str, what: str, protocol: str, low: int | None, high: int | None) -> list[Problem]:
    if protocol not in PROTOCOLS:
        return [Problem(where, f"{what}: protocol '{protocol}' is not one of {', '.join(PROTOCOLS)}",
                        "InvalidParameterValue")]
    if protocol == "all":
        return []
    if protocol == "icmp":
        bad = [p for p in (low, high) if p is not None and not -1 <= p <= 255]
        return [Problem(where, f"{what}: ICMP type and code must be -1 to 255, not {bad[0]}",
                        "InvalidParameterValue")] if bad else []
    if low is None or high is None:
        return [Problem(where, f"{what}: {protocol} needs a port or range", "InvalidParameterValue")]
    problems = [
        Problem(where, f"{what}: port {p} is outside 0-65535", "InvalidParameterValue")
        for p in dict.fromkeys((low, high)) if not 0 <= p <= 65535
    ]
    if low > high:
        problems.append(Problem(where, f"{what}: from port {low} is above to port {high}", "InvalidParameterValue"))
    return problems


def _check_acl_entry(where: str, entry: NetworkAclEntry) -> list[Problem]:
    what = f"{'outbound' if entry.egress else 'inbound'} entry {entry.rule_number}"
    problems = _check_ports(where, what, entry.protocol, entry.from_port, entry.to_port)
    if not 1 <= entry.rule_number <= 32766:
        problems.append(Problem(where, f"{what}: rule number must be 1 to 32766", "InvalidParameterValue"))
    if entry.action not in ("allow", "deny"):
        problems.append(Problem(where, f"{what}: action '{entry.action}' is not allow or deny",
                                "InvalidParameterValue"))
    net, why = parse_network(entry.cidr)
    if net is None:
        problems.append(Problem(where, f"{what}: CIDR '{shown(entry.cidr)}' {why}", "InvalidParameterValue"))
    return problems


def _check_aws_text(where: str, what: str, text: str, *, required: bool) -> list[Problem]:
    if required and not text.strip():
        return [Problem(where, f"{what} is empty; AWS requires one", "MissingParameter")]
    if len(text) > MAX_TEXT:
        return [Problem(where, f"{what} is {len(text)} characters long; AWS allows {MAX_TEXT}",
                        "InvalidParameterValue")]
    if not _AWS_TEXT.fullmatch(text):
        bad = shown("".join(dict.fromkeys(c for c in text if not _AWS_TEXT.fullmatch(c))))
        return [Problem(where, f"{what} '{shown(text)}' has characters AWS does not accept ({bad}); use "
                        f"{_AWS_TEXT_RULE} (Unicode names belong in labels)", "InvalidParameterValue")]
    return []


def _missing_subnets(vpc: Vpc, where: str, names: tuple[str, ...]) -> list[Problem]:
    return [
        Problem(where, f"subnet '{name}' does not exist", "InvalidSubnetID.NotFound")
        for name in names if vpc.subnet(name) is None
    ]

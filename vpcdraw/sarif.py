"""Lint's rules and findings as people and programs read them: the `--list` table, rule ids, and SARIF 2.1.0.

Everything here reads lint's public RULES table (id -> severity, checkov and Security Hub ids, title), so a
new rule shows in `lint --list`, in `--skip` and `--allow`, and in SARIF without an edit here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vpcdraw.topology.errors import VpcdrawError

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# SARIF's result levels are none / note / warning / error; GitHub code scanning ranks security alerts by
# a "security-severity" score (7.0 and above is high, 4.0 medium, 0.1 low).
LEVEL = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "2.0"}


@dataclass(frozen=True)
class RuleInfo:
    """One lint rule as `lint --list` shows it."""

    id: str
    severity: str
    checkov: tuple[str, ...]
    security_hub: tuple[str, ...]
    description: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "checkov": list(self.checkov),
                "security_hub": list(self.security_hub), "description": self.description}


def rules() -> list[RuleInfo]:
    """Every lint rule in id order; its public ids split into checkov's (CKV_...) and Security Hub's."""
    from vpcdraw.topology.analysis.lint import RULES

    table = []
    for rule_id, (severity, public_ids, description) in sorted(RULES.items()):
        checkov = tuple(i for i in public_ids if i.upper().startswith("CKV"))
        hub = tuple(i for i in public_ids if i not in checkov)
        table.append(RuleInfo(rule_id, severity, checkov, hub, description))
    return table


def rule_ids(text: str) -> list[str]:
    """The rule ids in a comma-separated `text` (any case), or one sentence naming the unknown one.

    >>> rule_ids("vd001, VD009")
    ['VD001', 'VD009']
    """
    known = [r.id for r in rules()]
    found = []
    for word in text.split(","):
        rule_id = word.strip().upper()
        if not rule_id:
            continue
        if rule_id not in known:
            raise VpcdrawError(f"{word.strip()!r} is not a lint rule; the rules are {', '.join(known)} "
                               "(`vpcdraw lint --list` says what each checks)")
        found.append(rule_id)
    if not found:
        raise VpcdrawError(f"no rule id given; the rules are {', '.join(known)}")
    return found


def rule_lines() -> list[str]:
    """`lint --list` for people: id, severity, checkov and Security Hub ids, what the rule finds."""
    table = rules()
    checkov_width = max(len("checkov"), *(len(", ".join(r.checkov) or "-") for r in table))
    hub_width = max(len("Security Hub"), *(len(", ".join(r.security_hub) or "-") for r in table))
    lines = [f"{'rule':<6} {'severity':<8} {'checkov':<{checkov_width}} {'Security Hub':<{hub_width}} finds"]
    for r in table:
        lines.append(f"{r.id:<6} {r.severity:<8} {', '.join(r.checkov) or '-':<{checkov_width}} "
                     f"{', '.join(r.security_hub) or '-':<{hub_width}} {r.description}")
    return lines


def sarif_log(findings: Iterable[Any], file: Path | None, version: str, skipped: Sequence[str] = ()) -> dict[str, Any]:
    """Findings as one SARIF 2.1.0 run for GitHub code scanning.

    Each result names the topology file (`artifactLocation.uri`, relative as given, so it matches the
    repository's paths) and the resource's address (`logicalLocations[].fullyQualifiedName`). A live VPC
    (`--vpc-id`) has no file, so its results carry the address only.
    """
    table = [r for r in rules() if r.id not in skipped]
    index = {r.id: i for i, r in enumerate(table)}
    source = _source_lines(file)
    results = []
    for finding in findings:
        location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": finding.address,
                                                          "kind": "resource"}]}
        if file is not None:
            location["physicalLocation"] = {"artifactLocation": {"uri": _uri(file)},
                                            "region": {"startLine": _line_of(source, finding.address)}}
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": LEVEL[finding.severity],
            "message": {"text": f"{finding.address}: {finding.message}"},
            "locations": [location],
            "partialFingerprints": {"vpcdrawFinding/v1": _fingerprint(finding)},
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vpcdraw", "version": version, "rules": [_descriptor(r) for r in table]}},
            "results": results,
        }],
    }


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    ids = [f"checkov {', '.join(rule.checkov)}" if rule.checkov else "",
           f"Security Hub {', '.join(rule.security_hub)}" if rule.security_hub else ""]
    also = " and ".join(i for i in ids if i)
    properties: dict[str, Any] = {"tags": ["security", "aws", "vpc"], "severity": rule.severity,
                                  "checkov": list(rule.checkov), "securityHub": list(rule.security_hub)}
    if rule.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description + (f" (as {also})" if also else "")},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _uri(file: Path) -> str:
    """The file as a URI reference: relative paths stay relative (GitHub matches them to the repository)."""
    if file.is_absolute():
        return file.as_uri()
    return quote(file.as_posix())


def _source_lines(file: Path | None) -> list[str]:
    if file is None:
        return []
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(lines: list[str], address: str) -> int:
    """The first line of the file that names the resource (else its VPC, else line 1), for the annotation.

    An address alternates kind and name (`vpc/main/security_group/web`); the names are looked for quoted,
    most specific first, as a .py builder call or a .json "name" writes them.
    """
    names = address.split("/")[1::2]
    for name in reversed(names):
        for number, line in enumerate(lines, start=1):
            if f"'{name}'" in line or f'"{name}"' in line:
                return number
    return 1


def _fingerprint(finding: Any) -> str:
    """Stable across runs while the rule, the resource and what is wrong with it stay the same."""
    text = "\0".join((finding.rule, finding.address, finding.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

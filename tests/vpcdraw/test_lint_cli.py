"""lint with checkov's manners: --skip, --soft-fail, --list, SARIF for GitHub code scanning; apply --allow checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vpcdraw.topology.analysis.lint import RULES

OPEN = (
    "from vpcdraw import TopologyBuilder, anywhere, cidr\n"
    "t = TopologyBuilder('open', region='ap-northeast-2')\n"
    "vpc = t.vpc('main', '10.0.0.0/16')\n"
    "vpc.subnet('a', '10.0.0.0/24', az='a', tier='private')\n"
    "vpc.security_group('ssh', 'ssh', tier='private').ingress('tcp/22', anywhere, 'ssh')\n"
    "vpc.security_group('web', 'web', tier='private').ingress('tcp/443', cidr('10.0.0.0/16'))\n"
    "topology = t.build()\n"
)
LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}


@pytest.fixture
def open_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A topology with SSH open to the world (VD001, high) and a rule without a description (VD009, low),
    written in the working directory and named relatively, as a CI job names its files."""
    monkeypatch.chdir(tmp_path)
    path = Path("open.py")
    path.write_text(OPEN, encoding="utf-8")
    return path


def _rules_found(result) -> set[str]:
    return {f["rule"] for f in json.loads(result.out)["findings"]}


def test_skip_leaves_rules_out_in_any_case_comma_separated_and_repeated(cli, open_file):
    everything = cli("lint", open_file, "--json", "--fail-on", "info")
    assert {"VD001", "VD009", "VD010"} <= _rules_found(everything)
    skipped = cli("lint", open_file, "--json", "--fail-on", "info", "--skip", "vd001,VD009", "--skip", "Vd010")
    assert not {"VD001", "VD009", "VD010"} & _rules_found(skipped)
    assert _rules_found(skipped) == _rules_found(everything) - {"VD001", "VD009", "VD010"}
    assert json.loads(skipped.out)["skipped"] == ["VD001", "VD009", "VD010"]


def test_skipping_the_only_failing_rule_passes(cli, open_file):
    assert cli("lint", open_file).code == 2  # VD001 is high, at or above medium
    passed = cli("lint", open_file, "--skip", "VD001")
    assert passed.code == 0
    assert not any(line.startswith("[high] VD001") for line in passed.out.splitlines())
    assert passed.out.splitlines()[-1].endswith("0 at or above medium (VD001 skipped)")


def test_an_unknown_rule_is_one_sentence_listing_the_known_ones(cli, open_file):
    result = cli("lint", open_file, "--skip", "VD001,vd999")
    assert result.code == 1
    known = ", ".join(sorted(RULES))
    assert result.err.splitlines()[-1] == (
        f"vpcdraw: error: argument --skip: 'vd999' is not a lint rule; the rules are {known} "
        "(`vpcdraw lint --list` says what each checks)")
    assert result.out == ""


def test_soft_fail_reports_the_findings_and_exits_0(cli, open_file):
    result = cli("lint", open_file, "--soft-fail")
    assert result.code == 0
    assert "[high] VD001 vpc/main/security_group/ssh" in result.out
    assert result.out.splitlines()[-1].endswith("1 at or above medium; --soft-fail: exit 0")
    data = cli("lint", open_file, "--soft-fail", "--json")
    assert data.code == 0 and json.loads(data.out)["failed"] is True


def test_list_shows_every_rule_with_severity_and_public_ids_without_a_file(cli):
    result = cli("lint", "--list")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["rule", "severity", "checkov", "Security", "Hub", "finds"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == sorted(RULES)
    for rule_id, (severity, public_ids, description) in RULES.items():
        assert rows[rule_id].split()[1] == severity
        assert all(i in rows[rule_id] for i in public_ids)
        assert rows[rule_id].endswith(description)
    assert rows["VD001"].split()[:4] == ["VD001", "high", "CKV_AWS_24", "EC2.13"]


def test_list_as_json_splits_checkov_from_security_hub(cli):
    result = cli("lint", "--list", "--json")
    assert result.code == 0
    rules = {r["id"]: r for r in json.loads(result.out)["rules"]}
    assert sorted(rules) == sorted(RULES)
    assert rules["VD001"] == {"id": "VD001", "severity": "high", "checkov": ["CKV_AWS_24"],
                              "security_hub": ["EC2.13"], "description": RULES["VD001"][2]}
    for rule_id, (_, public_ids, _) in RULES.items():
        assert rules[rule_id]["checkov"] + rules[rule_id]["security_hub"] == list(public_ids)
        assert all(i.startswith("CKV") for i in rules[rule_id]["checkov"])


def test_sarif_is_one_run_that_github_code_scanning_reads(cli, open_file):
    findings = json.loads(cli("lint", open_file, "--json").out)["findings"]
    result = cli("lint", open_file, "--format", "sarif")
    assert result.code == 2  # the same exit code as text: VD001 is high
    log = json.loads(result.out)  # stdout holds exactly one JSON document
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "vpcdraw"
    assert isinstance(driver["version"], str) and driver["version"]

    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    for rule in rules:
        severity, public_ids, description = RULES[rule["id"]]
        assert rule["shortDescription"] == {"text": description}
        assert rule["defaultConfiguration"] == {"level": LEVELS[severity]}
        assert all(i in rule["fullDescription"]["text"] for i in public_ids)
    by_id = {r["id"]: r for r in rules}
    assert float(by_id["VD001"]["properties"]["security-severity"]) >= 7.0  # GitHub's "high"

    source = open_file.read_text(encoding="utf-8").splitlines()
    results = run["results"]
    assert len(results) == len(findings)
    for result_, finding in zip(results, findings, strict=True):
        assert result_["ruleId"] == finding["rule"]
        assert rules[result_["ruleIndex"]]["id"] == finding["rule"]
        assert result_["level"] == LEVELS[finding["severity"]]
        assert finding["message"] in result_["message"]["text"]
        (location,) = result_["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "open.py"}  # as given: the repository's relative path
        line = physical["region"]["startLine"]
        assert 1 <= line <= len(source)
        assert location["logicalLocations"] == [{"fullyQualifiedName": finding["address"], "kind": "resource"}]
        assert isinstance(next(iter(result_["partialFingerprints"].values())), str)
    ssh = next(r for r in results if r["ruleId"] == "VD001")
    assert ssh["level"] == "error"
    assert "'ssh'" in source[ssh["locations"][0]["physicalLocation"]["region"]["startLine"] - 1]
    assert len({next(iter(r["partialFingerprints"].values())) for r in results}) == len(results)


def test_sarif_with_skip_and_soft_fail_as_a_ci_job_runs_it(cli, open_file):
    result = cli("lint", open_file, "--format", "sarif", "--soft-fail", "--skip", "VD009")
    assert result.code == 0
    run = json.loads(result.out)["runs"][0]
    assert "VD009" not in {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert "VD009" not in {r["ruleId"] for r in run["results"]}
    assert "VD001" in {r["ruleId"] for r in run["results"]}


def test_sarif_of_a_clean_file_has_rules_and_no_results(cli, example_file):
    result = cli("lint", example_file("assignment"), "--format", "sarif", "--skip", "VD005,VD010,VD011")
    assert result.code == 0
    run = json.loads(result.out)["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"]


def test_sarif_validates_against_a_schema_when_jsonschema_is_installed(cli, open_file):
    jsonschema = pytest.importorskip("jsonschema")
    # The parts of SARIF 2.1.0's schema (sarif-schema-2.1.0.json) that this output uses, with their
    # "required" lists and the level enumeration as the standard states them.
    level = {"enum": ["none", "note", "warning", "error"]}
    message = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
    schema = {
        "type": "object", "required": ["version", "runs"],
        "properties": {
            "version": {"enum": ["2.1.0"]},
            "runs": {"type": "array", "items": {
                "type": "object", "required": ["tool"],
                "properties": {
                    "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                        "type": "object", "required": ["name"],
                        "properties": {"name": {"type": "string"}, "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"],
                            "properties": {"id": {"type": "string"}, "shortDescription": message,
                                           "defaultConfiguration": {"type": "object",
                                                                    "properties": {"level": level}}}}}}}}},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {
                            "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
                            "level": level, "message": message,
                            "locations": {"type": "array", "items": {"type": "object", "properties": {
                                "physicalLocation": {"type": "object", "properties": {
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string"}}},
                                    "region": {"type": "object", "properties": {
                                        "startLine": {"type": "integer", "minimum": 1}}}}},
                                "logicalLocations": {"type": "array", "items": {"type": "object", "properties": {
                                    "fullyQualifiedName": {"type": "string"}}}}}}},
                            "partialFingerprints": {"type": "object",
                                                    "additionalProperties": {"type": "string"}}}}},
                }}},
        },
    }
    jsonschema.validate(json.loads(cli("lint", open_file, "--format", "sarif").out), schema)


def test_json_and_another_format_are_refused_together(cli, open_file):
    result = cli("lint", open_file, "--json", "--format", "sarif")
    assert result.code == 1
    assert result.err == "vpcdraw: error: --json and --format sarif ask for two outputs; give one of them\n"


def test_apply_allow_takes_a_rule_in_any_case(cli, open_file, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: apply must not get far
    refused = cli("apply", open_file, "--yes")
    assert refused.code == 1
    assert "fix them, or apply with --allow VD001" in refused.err
    allowed = cli("apply", open_file, "--yes", "--allow", "vd001")
    assert allowed.code == 1
    assert "high-severity lint findings" not in allowed.err  # past the lint gate, stopped by the endpoint
    assert "cannot reach http://127.0.0.1:9" in allowed.err


def test_apply_allow_refuses_an_unknown_rule_in_one_sentence(cli, open_file, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = cli("apply", open_file, "--yes", "--allow", "VD01")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("usage: vpcdraw apply ")
    assert result.err.splitlines()[-1] == (
        f"vpcdraw: error: argument --allow: 'VD01' is not a lint rule; the rules are {', '.join(sorted(RULES))} "
        "(`vpcdraw lint --list` says what each checks)")
    assert "cannot reach" not in result.err  # refused before anything else happened

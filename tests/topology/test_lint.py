"""Each lint rule on a minimal case, the examples clean at medium and above, and the command's exit codes."""

from __future__ import annotations

import dataclasses

import pytest

from vpcdraw.topology import Rule, anywhere
from vpcdraw.topology.analysis.lint import at_or_above, lint


def _rules(topology):
    return {(f.rule, f.severity) for f in lint(topology)}


def test_the_examples_have_nothing_at_or_above_medium(assignment, service):
    assert at_or_above(lint(assignment), "medium") == []
    assert at_or_above(lint(service), "medium") == []
    assert _rules(assignment) == {("VD005", "info"), ("VD010", "info")}


@pytest.mark.parametrize(("ports", "expected"), [
    ("tcp/22", {"VD001"}),
    ("tcp/3389", {"VD002"}),
    ("all", {"VD001", "VD002", "VD003"}),
    ("tcp/0-65535", {"VD001", "VD002", "VD003", "VD004"}),
    ("tcp/3306", {"VD004"}),
    ("tcp/5000-6000", {"VD004"}),  # 5432 lies in the range, as checkov reads ranges
    ("tcp/443", set()),
])
def test_world_open_ports(small, ports, expected):
    t, vpc = small()
    vpc._security_groups[0].ingress(ports, anywhere, "described")
    high = {f.rule for f in lint(t.build()) if f.severity == "high"}
    assert high == expected


def test_private_subnet_rules_and_a_reachable_database(small):
    t, vpc = small()
    vpc._subnets[1] = dataclasses.replace(vpc._subnets[1], map_public_ip=True)
    vpc._route_tables[1].route("0.0.0.0/0", internet_gateway="igw")
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", anywhere, "oops")
    found = {(f.rule, f.address) for f in lint(t.build())}
    assert ("VD006", "vpc/main/subnet/private-a") in found
    assert ("VD007", "vpc/main/subnet/private-a") in found
    assert ("VD008", "vpc/main/subnet/private-a") in found


def test_descriptions_and_unused_groups(small):
    t, vpc = small()
    vpc.security_group("spare", "nobody uses it").ingress("tcp/443", anywhere)
    found = {(f.rule, f.address, f.severity) for f in lint(t.build())}
    assert ("VD009", "vpc/main/security_group/spare", "low") in found
    assert ("VD011", "vpc/main/security_group/spare", "info") in found
    assert all(f.public_ids == ("CKV_AWS_23",) for f in lint(t.build()) if f.rule == "VD009")


def test_rule_port_ranges_cover_as_checkov_reads_them():
    from vpcdraw.topology.analysis.lint import covers

    assert covers(Rule("tcp", 20, 25, anywhere), 22)
    assert covers(Rule("all", None, None, anywhere), 3389)
    assert not covers(Rule("udp", 22, 22, anywhere), 22)


def test_lint_cli_and_apply_refusal(cli, example_file, tmp_path, monkeypatch):
    assert cli("lint", example_file("assignment")).code == 0
    path = tmp_path / "open.py"
    path.write_text("from vpcdraw import TopologyBuilder, anywhere\n"
                    "t = TopologyBuilder('open', region='ap-northeast-2')\n"
                    "vpc = t.vpc('main', '10.0.0.0/16')\n"
                    "vpc.subnet('a', '10.0.0.0/24', az='a', tier='private')\n"
                    "vpc.security_group('ssh', 'ssh', tier='private').ingress('tcp/22', anywhere, 'ssh')\n"
                    "topology = t.build()\n")
    result = cli("lint", path)
    assert result.code == 2
    assert "[high] VD001 vpc/main/security_group/ssh" in result.out
    assert cli("lint", path, "--fail-on", "high").code == 2
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # apply must stop before any call
    refused = cli("apply", path, "--yes")
    assert refused.code == 1
    assert "1 high-severity lint findings (above); fix them, or apply with --allow VD001" in refused.err


@pytest.mark.parametrize(("blocks", "ports", "expected"), [
    (("0.0.0.0/1", "128.0.0.0/1"), "tcp/22", {"VD001"}),
    (("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"), "tcp/3389", {"VD002"}),
    (("0.0.0.0/1", "128.0.0.0/1"), "all", {"VD001", "VD002", "VD003"}),
    (("0.0.0.0/1", "128.0.0.0/1"), "tcp/3306", {"VD004"}),
    (("0.0.0.0/1", "128.0.0.0/2"), "tcp/22", set()),  # a quarter of the internet is left out
])
def test_rules_that_together_cover_the_world_open_a_port_to_it(small, blocks, ports, expected):
    from vpcdraw.topology import cidr

    t, vpc = small()
    for block in blocks:
        vpc._security_groups[0].ingress(ports, cidr(block), "described")
    found = [f for f in lint(t.build()) if f.severity == "high"]
    assert {f.rule for f in found} == expected
    assert all("together cover every address" in f.message for f in found)

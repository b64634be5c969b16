"""Each lint rule on a minimal case, the examples clean at medium and above, and the command's exit codes."""

from __future__ import annotations

import dataclasses

import pytest

from vpcdraw.topology import Rule, TopologyBuilder, anywhere
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
    assert "1 high-severity lint finding (above); fix them, or apply with --allow VD001" in refused.err


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


# Two halves (0.0.0.0/1 and 128.0.0.0/1) are the whole internet for every reader of rules and routes, not only lint.

def _halves_file(example_file, old: str, new: str):
    """The assignment file with one line of it written as two halves of the internet, as a student might."""
    from vpcdraw.topology import load

    path = example_file("assignment")
    text = path.read_text(encoding="utf-8").replace("import TopologyBuilder,", "import TopologyBuilder, cidr,")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load(path)


def _verdicts(topology):
    from vpcdraw.topology.analysis.grade import grade, load_rubric

    return {item.id: item for item in grade(topology, load_rubric(), "203.0.113.10/32").items}


def test_grade_takes_two_halves_as_from_anywhere(example_file):
    topology = _halves_file(example_file, '.ingress("tcp/8080", anywhere, "web traffic from anywhere")',
                            '.ingress("tcp/8080", cidr("0.0.0.0/1"), "low half")'
                            '.ingress("tcp/8080", cidr("128.0.0.0/1"), "high half")')
    verdicts = _verdicts(topology)
    assert verdicts["public-8080"].passed, verdicts["public-8080"].evidence
    assert verdicts["public-8080"].evidence.startswith("SG public: tcp/8080 from 0.0.0.0/1, tcp/8080 from 128.0.0.0/1")
    assert all(v.passed for v in verdicts.values())


def test_grade_does_not_take_one_half_as_from_anywhere(example_file):
    topology = _halves_file(example_file, '.ingress("tcp/8080", anywhere, "web traffic from anywhere")',
                            '.ingress("tcp/8080", cidr("0.0.0.0/1"), "low half")')
    verdict = _verdicts(topology)["public-8080"]
    assert not verdict.passed
    assert verdict.evidence == "SG public: tcp/8080 from 0.0.0.0/1; needs tcp/8080 from anywhere"


def test_grade_takes_a_route_table_of_two_halves_as_a_route_to_the_internet(example_file):
    topology = _halves_file(example_file, '.route("0.0.0.0/0", internet_gateway="igw")',
                            '.route("0.0.0.0/1", internet_gateway="igw").route("128.0.0.0/1", internet_gateway="igw")')
    assert _verdicts(topology)["route-tables"].passed


def test_grade_calls_two_halves_over_broad_for_a_tier(example_file):
    topology = _halves_file(example_file, '.ingress("tcp/3306", sg("public"), "MySQL from the public tier")',
                            '.ingress("tcp/3306", cidr("0.0.0.0/1"), "low half")'
                            '.ingress("tcp/3306", cidr("128.0.0.0/1"), "high half")')
    verdict = _verdicts(topology)["private-3306"]
    assert not verdict.passed  # 128.0.0.0/1 holds the whole VPC (172.16.0.0/16); 0.0.0.0/1 none of it
    assert verdict.evidence.endswith("(over-broad: 128.0.0.0/1)")


def test_a_group_taking_8080_from_two_halves_anchors_the_public_tier():
    from vpcdraw.topology import cidr
    from vpcdraw.topology.model import SecurityGroup
    from vpcdraw.topology.roles import anchored_tiers, group_tier

    halves = (Rule("tcp", 8080, 8080, cidr("0.0.0.0/1")), Rule("tcp", 8080, 8080, cidr("128.0.0.0/1")))
    group = SecurityGroup("sg-1", "made in the console", ingress=halves)
    assert anchored_tiers(group) == {"public": "tcp/8080 from anywhere"}
    assert group_tier(group) == ("public", "tcp/8080 from anywhere")
    assert anchored_tiers(SecurityGroup("sg-2", "half", ingress=halves[:1])) == {}
    everything = (Rule("tcp", 0, 65535, cidr("0.0.0.0/1")), Rule("tcp", 0, 65535, cidr("128.0.0.0/1")))
    assert anchored_tiers(SecurityGroup("sg-3", "all ports", ingress=everything)) == {}  # says nothing of a tier


def test_a_database_open_to_the_internet_is_found_in_any_vpc_of_the_topology() -> None:
    """VD008 asks the reachability engine about each VPC's own private tier, not only the first VPC's."""
    t = TopologyBuilder("two", region="ap-northeast-2")
    for name, second in (("a", 1), ("b", 2)):
        vpc = t.vpc(name, f"10.{second}.0.0/16")
        vpc.subnet("public-a", f"10.{second}.0.0/24", az="a", tier="public")
        vpc.subnet("private-a", f"10.{second}.1.0/24", az="a", tier="private")
        vpc.internet_gateway("igw")
        routed = ["public-a", "private-a"] if name == "b" else ["public-a"]  # b's private tier is on the internet
        vpc.route_table("public", subnets=routed).route("0.0.0.0/0", internet_gateway="igw")
        vpc.security_group("db", "databases", tier="private").ingress("tcp/3306", anywhere, "MySQL")
    found = [f.address for f in lint(t.build()) if f.rule == "VD008"]
    assert found == ["vpc/b/subnet/private-a"]

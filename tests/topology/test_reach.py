"""Reachability answers on the drawing alone, with the hop that blocks."""

from __future__ import annotations

import pytest

from vpcdraw.topology import VpcdrawError, anywhere
from vpcdraw.topology.analysis.reach import matrix, reach


def _reachable(topology, source, target, port, my_ip=None):
    answers = reach(topology, source, target, port, my_ip)
    assert answers
    return all(a.reachable for a in answers), {a.blocked for a in answers if not a.reachable}


def test_the_assignment_answers(assignment):
    assert _reachable(assignment, "internet", "public", "8080") == (True, set())
    assert _reachable(assignment, "internet", "private", "3306") == (
        False, {"blocked: route table private has no route to 0.0.0.0/0 through the internet gateway"})
    assert _reachable(assignment, "internet", "public", "22") == (
        False, {"blocked: SG public allows tcp/22 only from SG management"})
    assert _reachable(assignment, "internet", "management", "22") == (
        False, {"blocked: SG management allows tcp/22 only from my IP"})
    assert _reachable(assignment, "my-ip", "management", "22")[0]
    assert _reachable(assignment, "management", "private", "22")[0]
    assert _reachable(assignment, "public", "private", "22") == (
        False, {"blocked: SG private allows tcp/22 only from SG management"})
    assert _reachable(assignment, "public", "private", "tcp/3306")[0]
    assert _reachable(assignment, "management", "private", "3306/tcp") == (
        False, {"blocked: SG private allows tcp/3306 only from SG public"})


def test_the_assignment_matrix(assignment):
    sources, targets, cells = matrix(assignment, "203.0.113.10")
    assert targets == ["public", "private", "management"]
    assert cells[("internet", "public")] == ["tcp/8080"]
    assert cells[("internet", "private")] == [] and cells[("internet", "management")] == []
    assert cells[("my-ip", "management")] == ["tcp/22"]
    assert cells[("management", "private")] == ["tcp/22"]
    assert cells[("public", "private")] == ["tcp/3306"]
    assert [s for s in sources if "tcp/3306" in cells[(s, "private")]] == ["public"]
    assert [s for s in sources if "tcp/22" in cells[(s, "private")]] == ["management"]


def test_a_path_is_explained_hop_by_hop(assignment):
    (answer, _) = reach(assignment, "internet", "public", "8080")
    assert answer.path == ("internet", "internet gateway igw", "route table public: 0.0.0.0/0 to igw",
                           "SG public allows tcp/8080 from 0.0.0.0/0", "public-a (any host)")


def test_service_hosts_and_nat(service):
    assert _reachable(service, "internet", "web-a", "8080")[0]
    assert _reachable(service, "internet", "db-a", "3306")[0] is False
    (out,) = reach(service, "db-a", "internet", "443")
    assert out.reachable and "route table private: 0.0.0.0/0 to NAT gateway nat-a" in out.path


def test_without_nat_the_private_tier_cannot_go_out(assignment):
    (out, _) = reach(assignment, "private", "internet", "443")
    assert out.blocked == "blocked: route table private has no route to 0.0.0.0/0"


def test_a_network_acl_flips_the_answer_in_either_direction(small):
    t, vpc = small()
    vpc._security_groups[0].ingress("tcp/8080", anywhere)
    acl = vpc.network_acl("edge", subnets=["public-a"]).inbound(100, "tcp/443", "0.0.0.0/0")
    topology = t.build()
    assert _reachable(topology, "internet", "public-a", "8080") == (
        False, {"blocked: network ACL edge denies inbound tcp/8080 for public-a"})
    assert _reachable(topology, "internet", "public-a", "443") == (
        False, {"blocked: network ACL edge denies the outbound replies (ports 1024-65535)"})
    acl.outbound(100, "tcp/1024-65535", "0.0.0.0/0")
    assert _reachable(t.build(), "internet", "public-a", "443") == (True, set())


def test_a_missing_route_flips_the_answer(small):
    t, vpc = small()
    vpc._route_tables[0]._routes.clear()
    (answer,) = reach(t.build(), "internet", "public-a", "443")
    assert answer.blocked == "blocked: route table public has no route to 0.0.0.0/0 through the internet gateway"


def test_unknown_names_say_what_can_be_named(assignment):
    with pytest.raises(VpcdrawError, match="'dmz' names nothing in topology 'assignment'"):
        reach(assignment, "internet", "dmz", "22")


def test_reach_cli(cli, example_file):
    source = example_file("assignment")
    blocked = cli("reach", source, "internet", "private", "3306")
    assert blocked.code == 2
    assert "blocked: route table private has no route to 0.0.0.0/0 through the internet gateway" in blocked.out
    assert cli("reach", source, "public", "private", "3306").code == 0
    assert '"reachable": true' in cli("reach", source, "internet", "public", "8080", "--json").out
    assert cli("reach", source, "--matrix", "--my-ip", "203.0.113.10").code == 0


def test_rules_that_together_cover_a_peer_let_it_through(small):
    from vpcdraw.topology import cidr

    t, vpc = small()
    (vpc.security_group("db", "database", tier="private")
     .ingress("tcp/3306", cidr("10.0.0.0/25"), "lower half of public-a")
     .ingress("tcp/3306", cidr("10.0.0.128/25"), "upper half of public-a"))
    vpc._security_groups[0].ingress("tcp/22", cidr("0.0.0.0/1"), "a").ingress("tcp/22", cidr("128.0.0.0/1"), "b")
    topology = t.build()
    assert _reachable(topology, "public", "private", "3306")[0]
    assert _reachable(topology, "internet", "public", "22") == (True, set())
    path = reach(topology, "internet", "public", "22")[0].path
    assert "SG web allows tcp/22 from 0.0.0.0/1, 128.0.0.0/1 (together all of internet)" in path
    assert _reachable(topology, "203.0.113.0/24", "public", "22")[0]
    assert not _reachable(topology, "internet", "public", "23")[0]  # coverage is per port

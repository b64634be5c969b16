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
    # the diagonal is answered like any other cell: 0.0.0.0/0 holds the VPC's own addresses
    assert [cells[(t, t)] for t in targets] == [["tcp/8080"], [], []]


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


def test_any_host_of_a_subnet_reaches_another_host_of_it_without_the_route_table_or_acl(small):
    t, vpc = small()
    vpc._security_groups[0].ingress("tcp/8080", anywhere, "web")
    vpc.network_acl("edge", subnets=["public-a"])  # denies everything that crosses the subnet's edge
    (answer,) = reach(t.build(), "public-a", "public-a", "8080")
    assert answer.reachable
    assert answer.path == ("public-a (any host)", "SG web allows all to 0.0.0.0/0",
                           "SG web allows tcp/8080 from 0.0.0.0/0", "public-a (any host)")


def test_one_host_and_itself_is_no_question(service):
    assert reach(service, "web-a", "web-a", "8080") == []


def test_a_group_that_protects_nothing_is_one_sentence(small):
    t, vpc = small()
    vpc.security_group("bastion", "jump host", tier="management").ingress("tcp/22", anywhere, "ssh")
    with pytest.raises(VpcdrawError) as refused:
        reach(t.build(), "internet", "bastion", "22")
    assert str(refused.value) == ("security group bastion protects nothing to reach: no host uses it and no subnet "
                                  "of topology 'small' is in the management tier")


def test_an_empty_tier_is_one_sentence(small):
    t, _ = small()
    with pytest.raises(VpcdrawError) as refused:
        reach(t.build(), "management", "private", "22")
    assert str(refused.value) == "no subnet of topology 'small' is in the management tier"


@pytest.mark.parametrize(("port", "message"), [
    ("99999", "port '99999': port 99999 is outside 0-65535"),
    ("-1", "port '-1': port -1 is outside 0-65535"),
    ("udp/65536", "port 'udp/65536': port 65536 is outside 0-65535"),
    ("tcp/2000-1000", "port 'tcp/2000-1000': from port 2000 is above to port 1000"),
    ("icmp/256", "port 'icmp/256': ICMP type and code must be -1 to 255, not 256"),
])
def test_a_port_aws_would_refuse_is_refused(assignment, port, message):
    with pytest.raises(VpcdrawError) as refused:
        reach(assignment, "internet", "public", port)
    assert str(refused.value) == message


def test_port_0_and_65535_are_ports(assignment):
    assert [a.port for a in reach(assignment, "internet", "public", "tcp/0")] == ["tcp/0", "tcp/0"]
    assert not _reachable(assignment, "internet", "public", "65535")[0]


def test_a_route_table_of_two_halves_sends_everything_to_the_internet_gateway(small):
    t, vpc = small()
    vpc._route_tables[0]._routes.clear()
    vpc._route_tables[0].route("0.0.0.0/1", internet_gateway="igw").route("128.0.0.0/1", internet_gateway="igw")
    topology = t.build()
    assert topology.vpcs[0].routes_to_internet_gateway("public-a")
    (inward,) = reach(topology, "internet", "public-a", "443")
    assert inward.reachable
    assert "route table public: 0.0.0.0/1, 128.0.0.0/1 to igw" in inward.path
    (outward,) = reach(topology, "public-a", "internet", "443")
    assert outward.reachable and "route table public: 0.0.0.0/1, 128.0.0.0/1 to igw" in outward.path


def test_half_a_route_table_is_not_the_internet(small):
    t, vpc = small()
    vpc._route_tables[0]._routes.clear()
    vpc._route_tables[0].route("0.0.0.0/1", internet_gateway="igw")
    topology = t.build()
    assert not topology.vpcs[0].routes_to_internet_gateway("public-a")
    assert _reachable(topology, "internet", "public-a", "443") == (
        False, {"blocked: route table public has no route to 0.0.0.0/0 through the internet gateway"})


def test_network_acl_entries_of_two_halves_let_the_internet_through(small):
    t, vpc = small()
    acl = (vpc.network_acl("edge", subnets=["public-a"])
           .inbound(100, "tcp/443", "0.0.0.0/1").inbound(110, "tcp/443", "128.0.0.0/1")
           .outbound(100, "tcp/1024-65535", "0.0.0.0/1").outbound(110, "tcp/1024-65535", "128.0.0.0/1"))
    assert _reachable(t.build(), "internet", "public-a", "443") == (True, set())
    acl.inbound(90, "tcp/443", "203.0.113.0/24", "deny")  # a deny ahead of the allows takes a part away
    assert _reachable(t.build(), "internet", "public-a", "443") == (
        False, {"blocked: network ACL edge denies inbound tcp/443 for public-a"})
    assert _reachable(t.build(), "198.51.100.0/24", "public-a", "443")[0]


def test_a_deny_after_the_allows_changes_nothing(small):
    t, vpc = small()
    (vpc.network_acl("edge", subnets=["public-a"])
     .inbound(100, "tcp/443", "0.0.0.0/1").inbound(110, "tcp/443", "128.0.0.0/1")
     .inbound(120, "tcp/443", "203.0.113.0/24", "deny").outbound(100, "tcp/1024-65535", "0.0.0.0/0"))
    assert _reachable(t.build(), "internet", "public-a", "443") == (True, set())


def test_network_acl_entries_that_leave_a_gap_block(small):
    t, vpc = small()
    (vpc.network_acl("edge", subnets=["public-a"])
     .inbound(100, "tcp/443", "0.0.0.0/1").inbound(110, "tcp/443", "128.0.0.0/2")
     .outbound(100, "tcp/1024-65535", "0.0.0.0/0"))
    assert _reachable(t.build(), "internet", "public-a", "443") == (
        False, {"blocked: network ACL edge denies inbound tcp/443 for public-a"})
    assert _reachable(t.build(), "128.0.0.0/2", "public-a", "443")[0]

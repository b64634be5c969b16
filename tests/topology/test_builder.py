"""The builder and the values it makes: what a topology file author relies on."""

from __future__ import annotations

import dataclasses

import pytest

from vpcdraw.topology import Peer, Rule, TopologyBuilder, anywhere, cidr, my_ip, sg, subnet
from vpcdraw.topology.address import address
from vpcdraw.topology.ports import BadPort, parse_ports


def test_assignment_example_is_the_course_assignment(assignment):
    vpc = assignment.vpcs[0]
    assert assignment.region == "ap-northeast-2"
    assert vpc.cidr == "172.16.0.0/16"
    assert [(s.name, s.cidr, s.az, s.tier) for s in vpc.subnets] == [
        ("public-a", "172.16.0.0/24", "a", "public"),
        ("public-c", "172.16.1.0/24", "c", "public"),
        ("private-a", "172.16.2.0/24", "a", "private"),
        ("private-c", "172.16.3.0/24", "c", "private"),
        ("management", "172.16.4.0/24", "a", "management"),
    ]
    assert not any(s.map_public_ip for s in vpc.subnets)
    assert [s.label for s in vpc.subnets] == ["외부망", "외부망", "내부망", "내부망", "관리망"]
    assert vpc.internet_gateway is not None and vpc.internet_gateway.attached
    public, private = vpc.route_tables
    assert public.subnets == ("public-a", "public-c", "management")
    assert [(r.destination, r.target) for r in public.routes] == [("0.0.0.0/0", "internet_gateway")]
    assert private.routes == () and private.subnets == ("private-a", "private-c")
    rules = {g.name: {(r.port_text, str(r.peer)) for r in g.ingress} for g in vpc.security_groups}
    assert rules == {
        "public": {("tcp/8080", "0.0.0.0/0"), ("tcp/22", "SG management")},
        "private": {("tcp/3306", "SG public"), ("tcp/22", "SG management")},
        "management": {("tcp/22", "my IP")},
    }
    assert all(g.egress is None for g in vpc.security_groups)  # AWS's default allow-all egress


def test_service_example_adds_nat_and_hosts(service):
    vpc = service.vpcs[0]
    assert [(n.name, n.subnet) for n in vpc.nat_gateways] == [("nat-a", "public-a")]
    private = next(t for t in vpc.route_tables if t.name == "private")
    assert [(r.destination, r.target, r.gateway) for r in private.routes] == [("0.0.0.0/0", "nat_gateway", "nat-a")]
    hosts = {i.name: (i.role, i.public_ip, i.instance_type) for i in vpc.instances}
    assert hosts["bastion"] == ("bastion", True, "t3.micro")
    assert hosts["db-a"] == ("db", False, "t3.micro")
    assert all(i.image.startswith("resolve:ssm:/aws/service/ami-amazon-linux-latest/") for i in vpc.instances)


def test_builder_values_are_frozen(small):
    t, _ = small()
    built = t.build()
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.vpcs[0].subnets[0].cidr = "10.9.0.0/24"  # type: ignore[misc]


def test_egress_defaults_to_aws_allow_all_and_can_be_replaced_or_removed(small):
    t, vpc = small()
    vpc.security_group("locked", "no egress").no_egress()
    vpc.security_group("narrow", "https out").egress("tcp/443", anywhere)
    groups = {g.name: g.egress for g in t.build().vpcs[0].security_groups}
    assert groups["web"] is None
    assert groups["locked"] == ()
    assert groups["narrow"] == (Rule("tcp", 443, 443, Peer("cidr", "0.0.0.0/0")),)


def test_peers_name_what_they_refer_to():
    assert anywhere == cidr("0.0.0.0/0")
    assert sg("management") == Peer("security_group", "management")
    assert subnet("public-a") == Peer("subnet", "public-a")
    assert my_ip == Peer("my_ip")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp/8080", ("tcp", 8080, 8080)),
        ("8080", ("tcp", 8080, 8080)),
        ("8080/tcp", ("tcp", 8080, 8080)),
        ("udp/1024-2048", ("udp", 1024, 2048)),
        ("all", ("all", None, None)),
        ("icmp", ("icmp", -1, -1)),
        ("icmp/8", ("icmp", 8, -1)),
        ("icmp/3:4", ("icmp", 3, 4)),
        ("TCP/22", ("tcp", 22, 22)),
    ],
)
def test_ports_are_read_as_people_write_them(text, expected):
    assert parse_ports(text) == expected


@pytest.mark.parametrize("text", ["http/80", "tcp/eighty", "tcp/", "22-", ""])
def test_unreadable_ports_say_how_to_write_them(text):
    with pytest.raises(BadPort, match="tcp/8080"):
        parse_ports(text)


def test_an_unreadable_icmp_type_says_how_to_write_one():
    with pytest.raises(BadPort, match="icmp/3:4"):
        parse_ports("icmp/3:x")


def test_port_text_round_trips_through_the_parser():
    for text in ("tcp/8080", "udp/1024-2048", "all", "icmp", "icmp/8", "icmp/3:4"):
        assert Rule(*parse_ports(text), anywhere).port_text == text


def test_a_rule_is_written_the_same_in_the_model_and_in_its_address():
    """One port text: the model's rule, its address and the diff's words say the same ports."""
    from vpcdraw.deploy.diff import rule_words
    from vpcdraw.topology.graph import rule_key, rule_spec

    builder = TopologyBuilder("t", region="ap-northeast-2")
    builder.vpc("main", "10.0.0.0/16").security_group("web", "web servers").ingress("icmp/3:4", anywhere).ingress(
        "udp/1024-2048", anywhere).ingress("all", anywhere)
    topology = builder.build()
    vpc = topology.vpcs[0]
    for rule in vpc.security_groups[0].ingress:
        spec = rule_spec(vpc, "vpc/main/security_group/web", "ingress", rule)
        assert rule_key(spec) == f"{rule.port_text}/0.0.0.0/0"
        assert rule_words(spec).startswith(rule.port_text if rule.protocol != "all" else "all traffic")


def test_addresses_are_stable_paths():
    assert address("main", "subnet", "public-a") == "vpc/main/subnet/public-a"
    assert address("main", "security_group", "private") == "vpc/main/security_group/private"


def test_route_without_a_target_is_refused_with_the_table_name():
    t = TopologyBuilder("x", region="ap-northeast-2")
    with pytest.raises(TypeError, match="route table public"):
        t.vpc("main", "10.0.0.0/16").route_table("public").route("0.0.0.0/0")

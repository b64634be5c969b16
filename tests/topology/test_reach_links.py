"""Reach across VPCs, on the drawing alone: through a transit gateway, over a peering (never transitively), to
S3 through a gateway endpoint or the internet gateway; every hop named, and the one that blocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from vpcdraw.topology import Topology, TopologyBuilder, VpcdrawError, cidr, load, sg
from vpcdraw.topology.analysis.reach import Answer, matrix, reach
from vpcdraw.topology.examples import example_source


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Topology]:
    """Load an example, optionally with its source text edited (one replacement, which must apply)."""
    made: dict[tuple[str, str, str], Topology] = {}

    def load_example(name: str, old: str = "", new: str = "") -> Topology:
        if (name, old, new) not in made:
            source = example_source(name)
            assert old in source
            path = Path(tmp_path_factory.mktemp("links")) / f"{name.replace('-', '_')}.py"
            path.write_text(source.replace(old, new, 1) if old else source, encoding="utf-8")
            made[(name, old, new)] = load(path)
        return made[(name, old, new)]

    return load_example


def _one(topology: Topology, source: str, target: str, port: str) -> Answer:
    (answer,) = reach(topology, source, target, port)
    return answer


def test_web_reaches_api_through_the_transit_gateway_and_back(example):
    answer = _one(example("hub"), "web/web-a", "api/api-a", "8080")
    assert answer.reachable
    assert answer.path == (
        "web/web-a", "SG web allows all to 0.0.0.0/0", "route table public of web: 10.0.0.0/8 to transit gateway hub",
        "transit gateway hub: default route table, 10.20.0.0/16 propagated from the attachment of api",
        "route table private of api: 10.0.0.0/8 back to transit gateway hub",
        "SG api allows tcp/8080 from 10.10.0.0/16", "api/api-a")
    assert (answer.target_vpc, answer.target_subnet) == ("api", "private-a")


def test_web_does_not_reach_data_for_the_database_group_and_api_does(example):
    hub = example("hub")
    blocked = _one(hub, "web/web-a", "data/db-a", "5432")
    assert not blocked.reachable
    assert blocked.blocked == "blocked: SG db allows tcp/5432 only from 10.20.0.0/16"
    assert blocked.path[-1] == "route table private of data: 10.0.0.0/8 back to transit gateway hub"  # routed
    assert _one(hub, "api/api-a", "data/db-a", "5432").reachable
    assert _one(hub, "api-a", "db-a", "5432").reachable  # unique names need no VPC


def test_an_az_without_an_attachment_subnet_cannot_reach_the_transit_gateway(example):
    hub = example("hub", '.attach("web", subnets=["private-a", "private-c"])', '.attach("web", subnets=["private-a"])')
    answer = _one(hub, "web/public-c", "api/api-a", "8080")
    assert answer.blocked == (
        "blocked: public-c of web is in AZ c, where the attachment of web to transit gateway hub has no subnet: "
        "resources in an AZ without an attachment subnet cannot reach the transit gateway")
    assert answer.path[-1] == "route table public of web: 10.0.0.0/8 to transit gateway hub"
    assert _one(hub, "web/web-a", "api/api-a", "8080").reachable  # AZ a has its attachment subnet
    replies = _one(hub, "api/private-a", "web/public-c", "443")  # the replies would leave from AZ c
    assert replies.blocked == ("blocked: the replies cannot reach transit gateway hub: public-c of web is in AZ c, "
                               "where the attachment of web has no subnet")


def test_a_vpc_not_attached_is_not_in_the_transit_gateways_route_table(example):
    hub = example("hub", '    .attach("data", subnets=["private-a", "private-c"])\n', "")
    assert _one(hub, "api/api-a", "data/db-a", "5432").blocked == (
        "blocked: transit gateway hub's route table has no route to 10.30.0.0/24: VPC data is not attached to it")


def test_the_worker_reaches_the_shared_tools_over_the_peering_and_back(example):
    answer = _one(example("shared-services"), "app/worker-a", "shared/tools", "443")
    assert answer.reachable
    assert answer.path == (
        "app/worker-a", "SG worker allows all to 0.0.0.0/0",
        "route table private of app: 10.0.0.0/16 to peering app-shared", "peering app-shared to VPC shared",
        "route table private of shared: 10.1.0.0/16 back to peering app-shared",
        "SG tools allows tcp/443 from 10.1.0.0/16", "shared/tools")


def test_without_the_route_back_the_replies_are_lost(example):
    topology = example("shared-services", '.route(\n    "10.1.0.0/16", vpc_peering_connection="app-shared")', "")
    answer = _one(topology, "app/worker-a", "tools", "443")
    assert answer.blocked == ("blocked: the replies have no way back: route table private of shared has no route "
                              "to 10.1.2.0/24, not back through peering app-shared")


def test_private_subnets_reach_s3_through_the_gateway_endpoint(example):
    answer = _one(example("shared-services"), "app/private-a", "s3", "443")
    assert answer.reachable
    assert answer.path == ("app/worker-a", "SG worker allows all to 0.0.0.0/0",
                           "route table private of app: the s3 prefix list to gateway endpoint s3", "s3")


def test_public_subnets_reach_s3_through_the_internet_gateway_not_the_endpoint(example):
    answer = _one(example("shared-services"), "app/public-a", "s3", "443")
    assert answer.reachable
    assert "route table public: 0.0.0.0/0 to igw" in answer.path
    assert not any("to gateway endpoint" in hop for hop in answer.path)
    assert answer.path[-2] == ("route table public of app is not among the route tables of gateway endpoint s3's "
                               "(private), so s3 is reached over the internet, at its public endpoints")


def test_without_an_endpoint_or_a_way_out_the_service_is_unreachable(example):
    topology = example("shared-services")
    assert _one(topology, "shared/tools", "s3", "443").blocked == (
        "blocked: route table private has no route to 0.0.0.0/0 (VPC shared has no gateway endpoint for s3)")
    assert _one(topology, "app/worker-a", "dynamodb", "443").blocked == (
        "blocked: route table private has no route to 0.0.0.0/0 (VPC app has no gateway endpoint for dynamodb)")
    assert _one(topology, "app/worker-a", "s3", "5432").blocked == (
        "blocked: s3 answers on tcp/443 and tcp/80 only, not tcp/5432")


def test_an_endpoint_policy_is_said_not_to_be_evaluated(example):
    topology = example("shared-services", 'route_tables=["private"])',
                       'route_tables=["private"], policy=\'{"Statement": []}\')')
    answer = _one(topology, "app/worker-a", "s3", "443")
    assert answer.reachable
    assert "gateway endpoint s3's own policy is not evaluated: it may still refuse" in answer.path


def _chain() -> Topology:
    """Three VPCs a-b, b-c peered; a routes c's CIDR to the a-b peering, as if b would pass it on."""
    t = TopologyBuilder("chain", region="ap-northeast-2")
    routes = {"a": (("10.2.0.0/16", "a-b"), ("10.3.0.0/16", "a-b")),
              "b": (("10.1.0.0/16", "a-b"), ("10.3.0.0/16", "b-c")),
              "c": (("10.2.0.0/16", "b-c"), ("10.1.0.0/16", "b-c"))}
    for second, name in enumerate(("a", "b", "c"), start=1):
        vpc = t.vpc(name, f"10.{second}.0.0/16")
        vpc.subnet("private-a", f"10.{second}.0.0/24", az="a", tier="private")
        vpc.security_group("all", "everything from the 10/8 VPCs", tier="private").ingress(
            "tcp/443", cidr("10.0.0.0/8"), "the other VPCs").ingress("tcp/22", sg("all"), "a group of its own VPC")
        table = vpc.route_table("private", subnets=["private-a"])
        for destination, peering in routes[name]:
            table.route(destination, vpc_peering_connection=peering)
    t.peering("a-b", requester="a", accepter="b")
    t.peering("b-c", requester="b", accepter="c")
    return t.build()


def test_there_is_no_transitive_peering():
    chain = _chain()
    assert _one(chain, "a/private-a", "b/private-a", "443").reachable
    assert _one(chain, "b/private-a", "c/private-a", "443").reachable
    answer = _one(chain, "a/private-a", "c/private-a", "443")
    assert not answer.reachable
    assert answer.blocked == (
        "blocked: peering a-b joins a and b, and c is beyond b: there is no transitive peering, so AWS does not "
        "carry traffic from a on through b to c over peering b-c")
    assert answer.path[-1] == "route table private of a: 10.3.0.0/16 to peering a-b"


def test_a_rule_naming_a_group_reaches_across_no_vpc():
    chain = _chain()
    assert _one(chain, "a/private-a", "b/private-a", "22").blocked == (
        "blocked: SG all allows tcp/22 only from SG all")  # b's group all, not a's group of the same name


def test_names_are_qualified_by_vpc_unique_alone_and_refused_in_one_sentence_when_ambiguous(example):
    hub = example("hub")
    with pytest.raises(VpcdrawError) as refused:
        reach(hub, "private-a", "api/api-a", "8080")
    assert str(refused.value) == ("'private-a' is in 3 VPCs of topology 'hub'; name one of web/private-a, "
                                  "api/private-a, data/private-a")
    with pytest.raises(VpcdrawError) as refused:
        reach(hub, "web/nothing", "api/api-a", "8080")
    assert str(refused.value) == ("'nothing' names nothing in VPC web of topology 'hub' (try a tier (public, "
                                  "private, management), or a subnet, security group or host name)")
    with pytest.raises(VpcdrawError) as refused:
        reach(example("shared-services"), "s3", "app/worker-a", "443")
    assert str(refused.value) == "s3 is an AWS service: reach asks about traffic to it, not from it"
    assert [a.source for a in reach(hub, "data", "api/api-a", "8080")] == ["data/db-a", "data/private-c (any host)"]
    assert {a.target_vpc for a in reach(hub, "internet", "private", "443")} == {"web", "api", "data"}


HUB_MATRIX = {
    ("internet", "web/public"): ["tcp/443"], ("my-ip", "web/public"): ["tcp/443"],
    ("web/public", "web/public"): ["tcp/443"], ("web/public", "api/private"): ["tcp/8080"],
    ("api/private", "web/public"): ["tcp/443"], ("api/private", "data/private"): ["tcp/5432"],
    ("data/private", "web/public"): ["tcp/443"],
}
SHARED_MATRIX = {
    ("internet", "app/public"): ["tcp/8080"], ("my-ip", "app/public"): ["tcp/8080"],
    ("shared/private", "app/public"): ["tcp/8080"],
    ("app/public", "shared/private"): ["tcp/389", "tcp/443"], ("app/public", "app/public"): ["tcp/8080"],
    ("app/public", "app/private"): ["tcp/8080"], ("app/public", "s3"): ["tcp/443"],
    ("app/private", "shared/private"): ["tcp/389", "tcp/443"], ("app/private", "app/public"): ["tcp/8080"],
    ("app/private", "s3"): ["tcp/443"],
}


@pytest.mark.parametrize(("name", "rows", "columns", "expected"), [
    ("hub", ["web/public", "web/private", "api/private", "data/private"],
     ["web/public", "web/private", "api/private", "data/private"], HUB_MATRIX),
    ("shared-services", ["shared/private", "app/public", "app/private"],
     ["shared/private", "app/public", "app/private", "s3"], SHARED_MATRIX),
])
def test_the_matrix_covers_every_vpc_cell_by_cell(example, name, rows, columns, expected):
    sources, targets, cells = matrix(example(name))
    assert (sources, targets) == (["internet", "my-ip", *rows], columns)
    assert cells == {(s, t): expected.get((s, t), []) for s in sources for t in targets}

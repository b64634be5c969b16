"""The drift and grade overlays: a diff's items and a grade's verdicts as the typed data the drawing takes,
and the drawings made from them (real Graphviz), each item visible where it is."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.render.svg import GREY, RED, boxes, draw, lines
from vpcdraw.deploy.diff import Drift, DriftItem, describe, rule_words
from vpcdraw.overlays import drift_overlay, grade_overlay
from vpcdraw.render.draw import DRIFT_LOOK
from vpcdraw.render.layout import UnmanagedRule
from vpcdraw.topology import TopologyBuilder, anywhere, my_ip, sg
from vpcdraw.topology.admin_ip import fill
from vpcdraw.topology.analysis.grade import Grade, Item, grade, load_rubric
from vpcdraw.topology.graph import MY_IP_MARK, resources
from vpcdraw.topology.model import Peer, Rule, Subnet
from vpcdraw.topology.specs import SecurityGroupRuleSpec, SubnetSpec


def _live_rule(group: str, direction: str, protocol: str, low: int, high: int, kind: str, peer: str) -> DriftItem:
    """An unmanaged rule as the diff reports it: named by the group's id, with the live spec beside it."""
    spec = SecurityGroupRuleSpec(f"vpc/main/security_group/{group}", direction, protocol, low, high, kind, peer, "")
    return DriftItem("security_group_rule", f"sg-0abc {direction} {protocol}/{low}/{peer}", rule_words(spec),
                     spec=spec)


def test_unmanaged_rules_become_model_rules_on_their_group():
    found = Drift(unmanaged=[
        _live_rule("private", "ingress", "tcp", 22, 22, "cidr", "0.0.0.0/0"),
        _live_rule("private", "ingress", "6", 3306, 3306, "security_group", "vpc/main/security_group/public"),
        _live_rule("public", "egress", "-1", -1, -1, "cidr", "10.99.0.0/16"),
        _live_rule("management", "ingress", "tcp", 22, 22, "cidr", MY_IP_MARK),
    ])
    assert drift_overlay(found).unmanaged_rules == (
        UnmanagedRule("vpc/main/security_group/private", "ingress", Rule("tcp", 22, 22, anywhere)),
        UnmanagedRule("vpc/main/security_group/private", "ingress", Rule("tcp", 3306, 3306, sg("public"))),
        UnmanagedRule("vpc/main/security_group/public", "egress",
                      Rule("all", None, None, Peer("cidr", "10.99.0.0/16"))),
        UnmanagedRule("vpc/main/security_group/management", "ingress", Rule("tcp", 22, 22, my_ip)),
    )


def test_what_the_drawing_cannot_place_stays_in_words():
    prefix = _live_rule("public", "ingress", "tcp", 443, 443, "prefix_list", "pl-0123")
    foreign = _live_rule("public", "ingress", "tcp", 80, 80, "security_group", "111122223333/sg-0999")
    hand_made = DriftItem("subnet", "subnet-0123", "subnet my extra 172.16.10.0/24")  # no spec: matched nothing
    overlay = drift_overlay(Drift(unmanaged=[prefix, foreign, hand_made]))
    assert overlay.unmanaged_rules == () and overlay.unmanaged_subnets == ()
    assert overlay.unmanaged == (f"tcp/443 from pl-0123 on SG public ({prefix.address})",
                                 f"tcp/80 from SG sg-0999 on SG public ({foreign.address})",
                                 "subnet my extra 172.16.10.0/24 (subnet-0123)")


def test_an_unmanaged_subnet_becomes_a_model_subnet_in_its_zone():
    spec = SubnetSpec("vpc/main", "172.16.9.0/24", "ap-northeast-2c", True, "외부망 extra")
    tagged = DriftItem("subnet", "vpc/main/subnet/extra", "subnet extra 172.16.9.0/24", spec=spec)
    by_id = DriftItem("subnet", "subnet-0456", "subnet old 172.16.8.0/24",
                      spec=replace(spec, cidr="172.16.8.0/24", az="us-east-1f", name=""))
    assert drift_overlay(Drift(unmanaged=[tagged, by_id])).unmanaged_subnets == (
        ("vpc/main", Subnet("extra", "172.16.9.0/24", "c", "public", True, "외부망 extra")),
        ("vpc/main", Subnet("subnet-0456", "172.16.8.0/24", "f", "public", True)),
    )


def test_a_tier_given_with_the_subnet_is_used():
    spec = SubnetSpec("vpc/main", "172.16.9.0/24", "ap-northeast-2a", False, "")
    item = DriftItem("subnet", "subnet-1", "x", spec=spec, tier="private")
    ((_, subnet),) = drift_overlay(Drift(unmanaged=[item])).unmanaged_subnets
    assert subnet.tier == "private"


def test_missing_and_changed_keep_their_addresses_and_words():
    found = Drift(missing=[DriftItem("route_table", "vpc/main/route_table/private", "route table private")],
                  changed=[DriftItem("subnet", "vpc/main/subnet/public-c", "subnet public-c", "az", "ap-northeast-2c",
                                     "ap-northeast-2b"),
                           DriftItem("subnet", "vpc/main/subnet/public-c", "subnet public-c", "map_public_ip", True,
                                     False)])
    overlay = drift_overlay(found)
    assert overlay.missing == {"vpc/main/route_table/private"}
    assert overlay.changed == {"vpc/main/subnet/public-c": "az should be ap-northeast-2c, is ap-northeast-2b; "
                                                           "map_public_ip should be True, is False"}


@pytest.mark.parametrize("address", [None, "203.0.113.10"], ids=["my IP left open", "my IP given"])
def test_a_missing_rule_from_my_ip_is_drawn_missing_whether_or_not_my_ip_is_given(small, address):
    t, vpc = small()
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", sg("web")).ingress("tcp/22", my_ip)
    topology = t.build()
    # what `vpcdraw diff` compares: the topology with my IP filled in when it is given
    wanted = resources(fill(topology, address) if address else topology)
    (rule,) = [r for r in wanted if r.kind == "security_group_rule" and "/db/ingress/tcp/22/" in r.address]
    overlay = drift_overlay(Drift(missing=[DriftItem(rule.kind, rule.address, describe(rule))]))
    drawn = lines(draw(topology, overlay, address)[1])
    (admin,) = [x for x in drawn if "my-ip" in (x.source, x.target)]
    # drawn red and dashed, marked; private-a has no route from outside, and says so
    assert (admin.stroke, admin.dashed, admin.labels) == (RED, True, ("MISSING tcp/22 (no route)",))


def test_a_drift_drawing_of_the_assignment_shows_every_item_where_it_is(assignment):
    wanted = {r.address: r for r in resources(fill(assignment, "203.0.113.10"))}
    missing = [wanted[a] for a in ("vpc/main/security_group/private/ingress/tcp/3306/sg:public",
                                   "vpc/main/security_group/management/ingress/tcp/22/203.0.113.10/32",
                                   "vpc/main/route_table/private")]
    subnet = SubnetSpec("vpc/main", "172.16.9.0/24", "ap-northeast-2c", False, "")
    found = Drift(missing=[DriftItem(r.kind, r.address, describe(r)) for r in missing],
                  unmanaged=[_live_rule("private", "ingress", "tcp", 22, 22, "cidr", "0.0.0.0/0"),
                             DriftItem("subnet", "vpc/main/subnet/extra", "subnet extra 172.16.9.0/24", spec=subnet)])
    dot, svg = draw(assignment, drift_overlay(found), "203.0.113.10")
    drawn = lines(svg)
    assert {x.labels for x in drawn if x.stroke == RED} == {("MISSING tcp/3306",), ("MISSING tcp/22",)}
    worst = [x for x in drawn if x.labels == ("UNMANAGED tcp/22 (no route)",)]
    assert len(worst) == 3 and min(x.width for x in worst) > max(x.width for x in drawn if x not in worst)
    drawn_boxes = boxes(svg)
    assert drawn_boxes["vpc/main/subnet/extra"].inside(drawn_boxes["vpc/main/az/ap-northeast-2c"])
    tables = boxes(svg, "node")
    assert {"vpc/main/subnet/private-a/route_table", "vpc/main/subnet/private-c/route_table"} <= set(tables)
    assert "drift/unmanaged" not in dot and "drift/elsewhere" not in dot  # nothing left over as text


def _graded(topology_builder: TopologyBuilder) -> Grade:
    return grade(topology_builder.build(), load_rubric())


def _student() -> TopologyBuilder:
    """The assignment as a student built it: the private group open to everyone on 3306, SSH open to all."""
    t = TopologyBuilder("student", region="ap-northeast-2")
    vpc = t.vpc("main", "172.16.0.0/16")
    for name, cidr, az, tier in (("public-a", "172.16.0.0/24", "a", "public"), ("public-c", "172.16.1.0/24", "c",
                                 "public"), ("private-a", "172.16.2.0/24", "a", "private"),
                                 ("private-c", "172.16.3.0/24", "c", "private"),
                                 ("management", "172.16.4.0/24", "a", "management")):
        vpc.subnet(name, cidr, az=az, tier=tier)
    vpc.internet_gateway("igw")
    vpc.route_table("public", subnets=["public-a", "public-c", "management"]).route("0.0.0.0/0",
                                                                                 internet_gateway="igw")
    vpc.route_table("private", subnets=["private-a", "private-c"])
    vpc.security_group("public", "p", tier="public").ingress("tcp/8080", anywhere).ingress("tcp/22", sg("management"))
    vpc.security_group("private", "d", tier="private").ingress("tcp/3306", anywhere).ingress("tcp/22",
                                                                                              sg("management"))
    vpc.security_group("management", "m", tier="management").ingress("tcp/22", anywhere)
    return t


def test_grade_marks_carry_the_requirements_own_words_on_the_failing_elements_only():
    result = _graded(_student())
    failed = {i.id: i for i in result.items if not i.passed}
    assert set(failed) == {"private-3306", "management-22"}
    overlay = grade_overlay(result)
    assert set(overlay.changed) == {"vpc/main/security_group/private", "vpc/main/security_group/management"}
    words = overlay.changed["vpc/main/security_group/private"]
    assert words.startswith(f"FAIL: {failed['private-3306'].ko}\n") and "Private SG: tcp/3306 from public" in words
    assert "private-3306" not in words
    _, svg = draw(result.topology, overlay)
    pen = DRIFT_LOOK["changed"][0].lower()
    marked = {title for title, box in boxes(svg).items() if box.stroke == pen}
    # the private group in both private subnets, the management group in its subnet; nothing that passed
    assert marked == {"vpc/main/subnet/private-a/vpc/main/security_group/private",
                      "vpc/main/subnet/private-c/vpc/main/security_group/private",
                      "vpc/main/subnet/management/vpc/main/security_group/management"}
    management = boxes(svg)["vpc/main/subnet/management/vpc/main/security_group/management"]
    assert management.texts[0] == "FAIL: 관리망: 자신의 공인 IP 22번 포트 오픈"
    assert "Management SG: tcp/22 from the" in management.texts[1]
    # the 3306 the students opened to everyone cannot arrive in the private subnets: the drawing says so
    assert {x.labels for x in lines(svg) if x.stroke == GREY} == {("tcp/3306 (no route)",)}


def test_a_failure_with_no_element_is_a_note_in_its_words():
    nowhere = Item("public-8080", "외부망: 전체 대역 8080 포트 오픈", "Public SG: tcp/8080 from anywhere", False,
                   "no security group plays the public role")
    result = Grade("rubric", [nowhere, Item("vpc-16", "VPC 생성", "The VPC is a /16", True, "ok", ("vpc/main",))])
    overlay = grade_overlay(result)
    assert overlay.changed == {} and overlay.title == "Graded 1/2"
    assert overlay.notes == ("FAIL: 외부망: 전체 대역 8080 포트 오픈\nPublic SG: tcp/8080 from anywhere",)


def test_drift_on_the_links_between_vpcs_is_drawn_where_each_link_is(example_file):
    """Several VPCs: a missing peering, a changed gateway endpoint, a missing route to the peering, a missing
    transit gateway attachment: each marked on its icon (the attachment on each of its subnets' icons)."""
    from vpcdraw.topology import load

    shared = load(example_file("shared-services"))
    peering, endpoint = "vpc/app/vpc_peering_connection/app-shared", "vpc/app/vpc_endpoint/s3"
    route = "vpc/shared/route_table/private/route/10.1.0.0/16"
    found = Drift(missing=[DriftItem("vpc_peering_connection", peering, "peering app-shared"),
                           DriftItem("route", route, "route 10.1.0.0/16")],
                  changed=[DriftItem("vpc_endpoint", endpoint, "endpoint s3", "route_tables", ("private",), ())])
    dot, svg = draw(shared, drift_overlay(found))
    icons = boxes(svg, "node")
    missing, changed = DRIFT_LOOK["missing"][0].lower(), DRIFT_LOOK["changed"][0].lower()
    assert icons[peering].stroke == missing and "MISSING" in icons[peering].texts
    assert icons[endpoint].stroke == changed and any("route_tables should be" in t for t in icons[endpoint].texts)
    table = icons["vpc/shared/subnet/private-a/route_table"]
    assert any(t.startswith("MISSING 10.1.0.0/16 to peering app-shared") for t in table.texts)
    assert "drift/elsewhere" not in dot  # every item sits on its icon

    hub = load(example_file("hub"))
    attachment = "vpc/web/transit_gateway_attachment/hub"
    dot, svg = draw(hub, drift_overlay(Drift(missing=[DriftItem("transit_gateway_vpc_attachment", attachment,
                                                                 "attachment of web to hub")])))
    icons = boxes(svg, "node")
    marked = [n for n, box in icons.items() if box.stroke == missing and n != "legend"]
    assert sorted(marked) == [f"vpc/web/subnet/private-{z}/{attachment}" for z in "ac"]
    assert "drift/elsewhere" not in dot

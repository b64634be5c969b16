"""Drawings that show what the text says: drift, and traffic that cannot arrive, drawn by real Graphviz.

Each test draws a topology made with the builder and an Overlay, runs `dot -Tsvg`, and reads the SVG the
way a reviewer reads the picture: the line's colour, width and dashes, its words, the box it sits in.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.render.svg import GREY, ORANGE, RED, Line, boxes, draw, lines
from tests.strategies import topologies
from vpcdraw.render.draw import DRIFT_LOOK, EDGE_LOOK
from vpcdraw.render.layout import Overlay, UnmanagedRule, layout
from vpcdraw.topology import anywhere, my_ip, sg
from vpcdraw.topology.analysis.reach import reach
from vpcdraw.topology.graph import resources
from vpcdraw.topology.model import Peer, Rule, Subnet


def _between(drawn: list[Line], source: str, target: str, stroke: str | None = None) -> Line:
    """The one line between two nodes (of that colour): dot may draw it either way round."""
    (line,) = [x for x in drawn if {x.source, x.target} == {source, target} and stroke in (None, x.stroke)]
    return line


def _tiers(small):
    """The small topology with a private tier behind its own group: 3306 from the web tier, 22 from my IP."""
    t, vpc = small()
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", sg("web")).ingress("tcp/22", my_ip)
    return t.build()


def _desired(topology, kind: str, words: str) -> str:
    """The address the diff uses for a resource of the drawing (as `deploy.workflow.drift` computes them)."""
    (found,) = [r.address for r in resources(topology) if r.kind == kind and words in r.address]
    return found


HOSTS = "vpc/main/subnet/{}/hosts".format
IGW = "vpc/main/internet_gateway/igw"


def test_a_missing_rule_is_a_red_dashed_edge_marked_missing(small):
    topology = _tiers(small)
    missing = _desired(topology, "security_group_rule", "db/ingress/tcp/3306")
    dot, svg = draw(topology, Overlay(missing=frozenset({missing})))
    line = _between(lines(svg), HOSTS("public-a"), HOSTS("private-a"))
    assert (line.stroke, line.dashed, line.labels) == (RED, True, ("MISSING tcp/3306",))
    assert "drift/elsewhere" not in dot  # it is on the drawing, so not in a note beside it


def test_a_missing_rule_with_nothing_to_draw_it_between_is_named_in_a_note(small):
    t, vpc = small()
    vpc.security_group("lonely", "protects nothing").ingress("tcp/5432", anywhere)
    vpc.network_acl("private", subnets=["private-a"]).inbound(100, "all", "0.0.0.0/0")
    topology = t.build()
    missing = {_desired(topology, "security_group_rule", "lonely/ingress"), "vpc/main/network_acl/private"}
    drawing = layout(topology, overlay=Overlay(missing=frozenset(missing)))
    (note,) = [n for n in drawing.nodes() if n.id == "drift/elsewhere"]
    assert note.status == "missing"
    assert note.label.split("\n")[1:] == sorted(f"MISSING: {a}" for a in missing)


def test_an_unmanaged_rule_is_the_boldest_line_orange_and_marked(small):
    topology = _tiers(small)
    overlay = Overlay(unmanaged_rules=(
        UnmanagedRule("vpc/main/security_group/web", "ingress", Rule("tcp", 22, 22, anywhere)),))
    _, svg = draw(topology, overlay, "203.0.113.10")
    drawn = lines(svg)
    line = _between(drawn, IGW, HOSTS("public-a"), ORANGE)
    unmanaged = [x for x in drawn if x.stroke == ORANGE]
    assert line in unmanaged and all(x.labels == ("UNMANAGED tcp/22",) for x in unmanaged)
    assert not any(x.dashed for x in unmanaged)
    # the worst finding is the most visible line: wider than every other line of the drawing
    assert min(x.width for x in unmanaged) > max(x.width for x in drawn if x not in unmanaged)


def test_unmanaged_egress_and_a_missing_default_egress_rule_are_drawn(small):
    topology = _tiers(small)
    default = _desired(topology, "security_group_rule", "web/egress/all/0.0.0.0/0")
    overlay = Overlay(missing=frozenset({default}), unmanaged_rules=(
        UnmanagedRule("vpc/main/security_group/db", "egress", Rule("tcp", 443, 443, Peer("cidr", "198.51.100.0/24"))),))
    drawn = lines(draw(topology, overlay)[1])
    assert _between(drawn, HOSTS("public-a"), IGW, RED).labels == ("MISSING all",)
    assert _between(drawn, HOSTS("private-a"), "cidr/198.51.100.0/24").labels == ("UNMANAGED tcp/443",)


def test_an_unmanaged_rule_the_drawing_cannot_place_is_listed_in_words(small):
    topology = _tiers(small)
    stray = UnmanagedRule("vpc/main/security_group/web", "ingress", Rule("tcp", 80, 80, sg("gone")))
    drawing = layout(topology, overlay=Overlay(unmanaged_rules=(stray,)))
    (note,) = [n for n in drawing.nodes() if n.id == "drift/unmanaged"]
    assert "tcp/80 from SG gone on SG web" in note.label.split("\n")


def test_an_unmanaged_subnet_is_an_orange_dotted_box_in_its_zone_and_tier(small):
    t, vpc = small()
    vpc.subnet("public-c", "10.0.2.0/24", az="c", tier="public")
    topology = t.build()
    live = Subnet("subnet-0abc", "10.0.9.0/24", "c", "private", label="made by hand")
    dot, svg = draw(topology, Overlay(unmanaged_subnets=(("vpc/main", live),)))
    drawn = boxes(svg)
    box = drawn["vpc/main/subnet/subnet-0abc"]
    look = DRIFT_LOOK["unmanaged"]
    assert (box.stroke, box.fill) == (look[0].lower(), look[1].lower()) and box.dashes  # dotted
    assert box.texts[:3] == ("UNMANAGED", "made by hand subnet-0abc", "10.0.9.0/24")
    assert box.inside(drawn["vpc/main/az/ap-northeast-2c"])
    # in the private row, beside the other zone's private subnet, not a text block of ids
    private_row = next(r for r in re.findall(r"\{rank=same; ([^}]*)\}", dot) if "private-a/route_table" in r)
    assert '"vpc/main/subnet/subnet-0abc/hosts"' in private_row
    assert "drift/unmanaged" not in dot


def test_an_unmanaged_subnet_is_a_box_in_a_grouped_drawing_too(small):
    topology = _tiers(small)
    live = Subnet("extra", "10.0.9.0/24", "a", "public")
    drawn = boxes(draw(topology, Overlay(unmanaged_subnets=(("vpc/main", live),)), detail="tiers")[1])
    assert drawn["vpc/main/subnet/extra"].inside(drawn["vpc/main/az/ap-northeast-2a"])
    assert drawn["vpc/main/subnet/extra"].stroke == DRIFT_LOOK["unmanaged"][0].lower()


def test_a_missing_route_table_is_marked_on_its_icon(small):
    topology = _tiers(small)
    _, svg = draw(topology, Overlay(missing=frozenset({"vpc/main/route_table/private"})))
    icon = boxes(svg, "node")["vpc/main/subnet/private-a/route_table"]
    assert (icon.stroke, icon.fill) == (RED, DRIFT_LOOK["missing"][1].lower()) and icon.dashes
    assert icon.texts[:2] == ("MISSING", "route table private")
    assert "vpc/main/subnet/public-a/route_table" not in boxes(svg, "node")  # the other table has no frame


def test_a_missing_route_and_elastic_ip_are_marked_where_they_belong(service):
    overlay = Overlay(missing=frozenset({"vpc/main/route_table/private/route/0.0.0.0/0",
                                         "vpc/main/elastic_ip/nat-a"}))
    nodes = {n.id: n for n in layout(service, overlay=overlay).nodes()}
    assert nodes["vpc/main/subnet/private-a/route_table"].label == "route table private\nMISSING 0.0.0.0/0 to nat-a"
    assert nodes["vpc/main/subnet/private-a/route_table"].status == "missing"
    assert nodes["vpc/main/nat_gateway/nat-a"].label.startswith("MISSING Elastic IP\nNAT Gateway")


def test_the_legend_shows_the_colours_drawn_and_only_those(small):
    topology = _tiers(small)
    overlay = Overlay(missing=frozenset({"vpc/main/route_table/private"}), unmanaged_rules=(
        UnmanagedRule("vpc/main/security_group/web", "ingress", Rule("tcp", 22, 22, anywhere)),))
    dot, svg = draw(topology, overlay)
    legend = re.search(r"legend \[label=<(<TABLE.*?</TABLE>)>", dot, re.S).group(1)
    swatches = re.findall(r'<TD BORDER="2" COLOR="([^"]+)" BGCOLOR="([^"]+)"(?: STYLE="(\w+)")?> </TD>', legend)
    missing, _, unmanaged = DRIFT_LOOK["missing"], DRIFT_LOOK["changed"], DRIFT_LOOK["unmanaged"]
    assert swatches == [(missing[0], missing[1], "dashed")]  # no CHANGED or UNMANAGED box is drawn
    icon = boxes(svg, "node")["vpc/main/subnet/private-a/route_table"]
    assert (icon.stroke, icon.fill) == (missing[0].lower(), missing[1].lower())
    line_colours = set(re.findall(r'SIDES="B" COLOR="([^"]+)"', legend))
    assert line_colours == {x.stroke.upper() for x in lines(svg)}
    assert unmanaged[0] not in {c for c, _, _ in swatches}


def test_a_grade_legend_says_fail_in_the_colour_of_the_marked_boxes(small):
    topology = _tiers(small)
    overlay = Overlay(changed={"vpc/main/security_group/db": "FAIL: 내부망: 외부망 3306 포트 오픈"}, changed_marker="",
                      title="Graded 10/11", changed_meaning="FAIL: a requirement fails here")
    dot, svg = draw(topology, overlay)
    pen, fill, _, _ = DRIFT_LOOK["changed"]
    assert f'<TD BORDER="2" COLOR="{pen}" BGCOLOR="{fill}"> </TD><TD ALIGN="LEFT">FAIL: a requirement fails here' in dot
    marked = boxes(svg)["vpc/main/subnet/private-a/vpc/main/security_group/db"]
    assert (marked.stroke, marked.fill) == (pen.lower(), fill.lower())
    assert marked.texts[0] == "FAIL: 내부망: 외부망 3306 포트 오픈"


@pytest.mark.parametrize("overlay", [None, Overlay(changed={"vpc/main/subnet/public-a": "az should be a, is b"}),
                                     Overlay(changed={"vpc/main/security_group/db": "FAIL: x"}, changed_marker="",
                                             title="Graded 10/11")], ids=["normal", "drift", "grade"])
def test_a_rule_from_anywhere_to_private_subnets_reads_no_route_as_reach_says(small, overlay):
    t, vpc = small()
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", anywhere)
    topology = t.build()
    (answer,) = reach(topology, "internet", "private-a", "tcp/3306")
    assert not answer.reachable and "no route" in answer.blocked
    drawn = lines(draw(topology, overlay)[1])
    into_db = _between(drawn, IGW, HOSTS("private-a"))
    assert (into_db.stroke, into_db.dashed, into_db.labels) == (GREY, True, ("tcp/3306 (no route)",))
    # the internet's line into the gateway says the 3306 traffic stops there, the 443 traffic goes on
    into_igw = [x for x in drawn if x.source == "internet"]
    assert {(x.stroke, x.labels) for x in into_igw} == {(GREY, ("tcp/3306 (no route)",)),
                                                        (EDGE_LOOK["internet"][0].lower(), ("tcp/443",))}
    assert _between(drawn, IGW, HOSTS("public-a")).labels == ("tcp/443",)  # and only that one line


def test_every_edge_from_outside_agrees_with_reach(service):
    import dataclasses

    vpc = service.vpcs[0]
    web_c = next(i for i in vpc.instances if i.name == "web-c")
    hosts = tuple(dataclasses.replace(i, public_ip=False) if i is web_c else i for i in vpc.instances)
    groups = tuple(dataclasses.replace(g, ingress=(*g.ingress, Rule("tcp", 3306, 3306, anywhere)))
                   if g.name == "private" else g for g in vpc.security_groups)
    topology = dataclasses.replace(service, vpcs=(dataclasses.replace(vpc, instances=hosts,
                                                                      security_groups=groups),))
    drawing = layout(topology, "203.0.113.10/32")
    checked = 0
    for edge in drawing.edges:
        source = "internet" if edge.source == IGW else "my-ip" if edge.source == "my-ip" else None
        if source is None:
            continue
        for label in edge.labels:
            port = label.split(" ")[0]
            (answer,) = reach(topology, source, edge.target.rsplit("/", 1)[-1], port, "203.0.113.10/32")
            assert answer.reachable == (edge.style != "unreachable"), (edge, answer.blocked)
            checked += 1
    assert checked == 5  # web-a and web-c on 8080, db-a and db-c on 3306, the bastion on 22
    assert {e.labels for e in drawing.edges if e.target == "vpc/main/instance/web-c"} >= {("tcp/8080 (no public IP)",)}


@given(topologies(), st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_drift_renders_and_every_missing_item_is_drawn_or_named(topology, data):
    from vpcdraw.topology.admin_ip import fill

    vpc = topology.vpcs[0]
    wanted = resources(fill(topology, "198.51.100.1/32"))
    missing = frozenset(data.draw(st.sets(st.sampled_from([r.address for r in wanted]), max_size=12)))
    zone = data.draw(st.sampled_from(sorted({s.az for s in vpc.subnets})))
    stray = Subnet("stray", "10.99.0.0/24", zone, data.draw(st.sampled_from(["public", "private", "management"])))
    extra = tuple(UnmanagedRule(f"vpc/main/security_group/{g.name}", "ingress", Rule("tcp", 22, 22, anywhere))
                  for g in vpc.security_groups)
    overlay = Overlay(missing=missing, unmanaged_rules=extra, unmanaged_subnets=(("vpc/main", stray),))
    _, svg = draw(topology, overlay, "198.51.100.1")  # dot draws it: no crash, no lost edge
    assert "vpc/main/subnet/stray" in boxes(svg)
    drawing = layout(topology, "198.51.100.1/32", overlay)
    note = next((n.label for n in drawing.nodes() if n.id == "drift/elsewhere"), "")
    named = {line.removeprefix("MISSING: ") for line in note.split("\n")[1:]}
    texts = [n.label for n in drawing.nodes()] + [c.label for c in drawing.clusters()] + \
        [label for e in drawing.edges for label in e.labels]
    # what the drawing cannot mark is listed by address beside it; the rest is marked on it
    assert named <= missing
    assert sum(text.count("MISSING") for text in texts if not text.startswith("Not drawn")) >= min(
        1, len(missing - named))

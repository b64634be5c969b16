"""Real drawings: golden DOT, PNG and SVG made by Graphviz, Hangul fonts, and no crashes on random input."""

from __future__ import annotations

import html
import os
import re
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import topologies
from vpcdraw.render import dot_source, render
from vpcdraw.render.draw import to_dot
from vpcdraw.render.environment import hangul_font
from vpcdraw.render.layout import layout

GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def test_assignment_dot_matches_the_golden_file(assignment):
    # no normalising: icons are named relative to diagrams' resources folder, the same on every machine
    dot = to_dot(layout(assignment, "203.0.113.10/32"), font="NanumGothic")
    golden = GOLDEN / "assignment.dot"
    if os.environ.get("VPCDRAW_UPDATE_GOLDEN"):
        golden.write_text(dot, encoding="utf-8")
    assert dot == golden.read_text(encoding="utf-8")


def test_same_input_gives_byte_identical_dot_with_address_ids(service):
    first, _ = dot_source(service)
    second, _ = dot_source(service)
    assert first == second
    assert not re.search(r"\b[0-9a-f]{32}\b", first)  # diagrams' random node ids never appear
    assert '"vpc/main/instance/web-a"' in first


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_of_the_assignment_is_a_real_picture(assignment, tmp_path):
    drawing = render(assignment, tmp_path / "assignment.png", my_ip="203.0.113.10/32")
    data = drawing.path.read_bytes()
    width, height = _png_size(data)
    assert width > 800 and height > 1200  # a whole VPC with two zone columns and three tier rows
    assert len(data) > 100_000  # icons were drawn, not just boxes
    assert drawing.warnings == []


def test_svg_has_the_labels_a_reviewer_reads(service, tmp_path):
    text = html.unescape(render(service, tmp_path / "service.svg", my_ip="203.0.113.10").path.read_text("utf-8"))
    assert text.lstrip().startswith("<?xml")
    for label in ("외부망 public-a", "172.16.3.0/24", "tcp/8080", "tcp/3306", "tcp/22", "Availability Zone",
                  "ap-northeast-2c", "route table private", "NAT Gateway", "bastion", "203.0.113.10/32"):
        assert label in text, label
    assert text.count("<image") >= 10  # official icons embedded


def test_dot_output_is_the_source(assignment, tmp_path):
    drawing = render(assignment, tmp_path / "a.dot")
    assert drawing.path.read_text(encoding="utf-8") == drawing.dot
    assert drawing.dot.startswith("digraph")
    assert "imagepath" in drawing.dot.splitlines()[2]  # the top says where the icons are resolved from


def test_hangul_is_drawn_with_a_korean_font(assignment):
    font = hangul_font()
    assert font is not None, "make test installs fonts-nanum; this machine lacks a Korean font"
    dot, warnings = dot_source(assignment)
    assert f'fontname="{font}"' in dot or f"fontname={font}" in dot
    assert warnings == []


@given(topologies())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_valid_topologies_render_without_graphviz_crashing(topology):
    from vpcdraw.render import rasterise

    dot, _ = dot_source(topology, "198.51.100.1/32")
    svg = rasterise(dot, "svg").decode("utf-8")
    for subnet in topology.vpcs[0].subnets:
        assert subnet.cidr in svg


def test_an_account_of_a_thousand_subnets_draws_as_a_legible_picture(tmp_path):
    from bench.synthetic import account

    drawing = render(account(1000, vpcs=5), tmp_path / "account.png", "203.0.113.10")
    data = drawing.path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    # a grid of five VPCs of grouped subnets, not a strip of a thousand boxes
    assert width < 12_000 and height < 6_000 and width < 4 * height
    assert len(re.findall(r'label="\d+ (?:public|private|management) subnets', drawing.dot)) == 5 * 9


@given(topologies())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_topologies_render_grouped_by_tier_without_graphviz_crashing(topology):
    from vpcdraw.render import rasterise

    dot, _ = dot_source(topology, "198.51.100.1/32", detail="tiers")
    svg = rasterise(dot, "svg").decode("utf-8")
    from collections import Counter

    for vpc in topology.vpcs:
        for (_, tier), count in Counter((s.az, s.tier) for s in vpc.subnets).items():
            assert f"{count} {tier} subnet{'s' if count > 1 else ''}" in svg



def _legend_lines(dot: str) -> list[tuple[str, str, int, str]]:
    """The legend's line swatches: colour, line style, pen width as drawn, and their words."""
    legend = re.search(r"legend \[label=<(<TABLE.*</TABLE>)> ", dot).group(1)
    found = re.findall(r'BORDER="(\d+)" SIDES="B" COLOR="([^"]+)"(?: STYLE="(\w+)")?></TD></TR></TABLE></TD>'
                       r'<TD ALIGN="LEFT">([^<]+)<', legend)
    return [(colour, style or ("bold" if int(border) >= 3 else "solid"), int(border), words)
            for border, colour, style, words in found]


def test_every_legend_entry_has_its_own_look_and_names_the_edges_drawn_so(assignment):
    dot = to_dot(layout(assignment, "203.0.113.10/32"))
    rows = _legend_lines(dot)
    assert len(rows) == 4  # the internet, tiers, SSH from the bastion and the admin's SSH from my IP
    looks = [(colour, style) for colour, style, _, _ in rows]
    assert len(set(looks)) == len(looks)
    for _, style, _, words in rows:  # the words say the line that is drawn
        assert f"({style}, " in words
    drawn = set(re.findall(r'-> "[^"]+" \[.*?color="([^"]+)".*?penwidth=([\d.]+) style=(\w+)', dot))
    # every edge drawn has its entry in its colour, line and width (as whole points), and every entry is drawn
    assert {(c, s, int(float(w) * 1.5 + 0.5)) for c, w, s in drawn} == {(c, s, b) for c, s, b, _ in rows}
    admin = re.search(r'"vpc/main/subnet/management/hosts" -> "my-ip" \[.*?color="([^"]+)".*?style=(\w+)', dot)
    assert "from my IP" in next(words for c, s, _, words in rows if (c, s) == admin.groups())


def test_no_two_kinds_of_edge_look_alike():
    from vpcdraw.render.draw import EDGE_LOOK

    looks = [(colour.upper(), line) for colour, line, _ in EDGE_LOOK.values()]
    assert len(set(looks)) == len(looks)
    assert len({words for _, _, words in EDGE_LOOK.values()}) == len(EDGE_LOOK)


def test_every_instance_whatever_its_role_is_drawn_with_the_ec2_instance_icon(service):
    dot, _ = dot_source(service, "203.0.113.10")
    for host in ("web-a", "web-c", "db-a", "db-c", "bastion"):
        node = re.search(rf'^\t+"vpc/main/instance/{host}" \[(.*)\]$', dot, re.M).group(1)
        assert 'image="aws/compute/ec2-instance.png"' in node, host
        assert f"label={host}" in node or f'label="{host}' in node  # the label still names the host
    assert "aws/database/" not in dot  # no RDS icon for a database on EC2


def test_route_tables_are_drawn_with_an_icon_that_prints_no_addresses(assignment):
    dot = to_dot(layout(assignment, "203.0.113.10/32"))
    assert "route-table.png" not in dot  # its artwork prints 172.16.0.0, 172.16.1.0 and 172.16.2.0
    for subnet in ("public-a", "public-c", "private-a", "private-c", "management"):
        node = re.search(rf'^\t+"vpc/main/subnet/{subnet}/route_table" \[label=<(.*)>', dot, re.M).group(1)
        assert 'IMG SRC="aws/network/vpc-router.png"' in node
        assert "route table " in node  # the table's name, and its routes, are in the label
    assert "0.0.0.0/0 to igw" in dot


def _zone_of(drawing) -> dict[str, str]:
    found = {}
    stack = [(c, "") for c in drawing.root]
    while stack:
        cluster, zone = stack.pop()
        zone = cluster.id if cluster.style == "az" else zone
        found.update((n.id, zone) for n in cluster.nodes)
        stack += [(child, zone) for child in cluster.clusters]
    return found


def _clearance(text: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> float:
    """How far a label's text keeps from a box's border, inside or outside it; 0 when it crosses it."""
    (left, bottom, right, top), (bleft, bbottom, bright, btop) = text, box
    if left >= bleft and right <= bright and bottom >= bbottom and top <= btop:
        return min(left - bleft, bright - right, bottom - bbottom, btop - top)
    return max(bleft - right, left - bright, bbottom - top, bottom - btop, 0)


@pytest.mark.parametrize("example", ["assignment", "service"])
def test_edge_labels_keep_off_the_borders_of_subnets_groups_and_zones(example, request):
    import json

    from vpcdraw.render import rasterise

    drawing = layout(request.getfixturevalue(example), "203.0.113.10/32")
    zone = _zone_of(drawing)
    graph = json.loads(rasterise(to_dot(drawing), "json"))
    names = {o["_gvid"]: o["name"] for o in graph["objects"]}
    boxes = {o["name"].removeprefix("cluster_"): tuple(map(float, o["bb"].split(","))) for o in graph["objects"]
             if o["name"].startswith("cluster_") and "bb" in o}
    near = []
    for edge in (e for e in graph["edges"] if e.get("label") or e.get("xlabel")):  # the rules', not invisible
        ends = {names[edge["tail"]], names[edge["head"]]}
        across = len({zone.get(n, "") for n in ends}) > 1  # between AZ columns (or from outside into one)
        texts = [op for op in edge.get("_ldraw_", []) + edge.get("_xldraw_", []) if op["op"] == "T"]
        assert texts, ends
        if across:  # in the gap between two AZ boxes, on white, so neither dashed border runs through the text
            assert {"op": "C", "grad": "none", "color": "#ffffff"} in edge.get("_ldraw_", []), ends
        for op in texts:
            (x, y), width = op["pt"], op["width"]
            left = x - {"l": 0, "c": width / 2, "r": width}[op["align"]]
            text = (left, y - 3, left + width, y + 10)  # 12 pt type around its baseline
            for box_id, box in boxes.items():
                ours = "/subnet/" in box_id or ("/az/" in box_id and not across and box_id.count("/") == 3)
                if ours and _clearance(text, box) < 12:
                    near.append((op["text"], sorted(ends), box_id, round(_clearance(text, box))))
    assert near == []



def _icon(svg: str, node_id: str) -> tuple[float, float, float, float]:
    """A node's icon as the SVG draws it: left, top, right, bottom."""
    from tests.render.svg import _groups

    attrs = dict(re.findall(r'\b(x|y|width|height)="([-\d.]+)(?:px)?"',
                            re.search(r"<image [^>]*>", dict(_groups(svg, "node"))[node_id]).group(0)))
    x, y, width, height = (float(attrs[k]) for k in ("x", "y", "width", "height"))
    return x, y, x + width, y + height


def test_the_region_sits_in_an_aws_cloud_box_with_the_internet_and_the_admin_outside(assignment):
    from tests.render.svg import boxes, draw

    dot, svg = draw(assignment, my_ip="203.0.113.10/32")
    cloud = re.search(r'subgraph cluster_aws_cloud \{\n\t\tgraph \[([^\]]*)\]', dot).group(1)
    assert 'label="AWS Cloud"' in cloud and 'pencolor="#232F3E"' in cloud
    drawn = boxes(svg)
    assert drawn["aws_cloud"].texts == ("AWS Cloud",)
    assert drawn["region/ap-northeast-2"].inside(drawn["aws_cloud"])
    _, top, _, bottom = drawn["aws_cloud"].bounds
    for outside in ("internet", "my-ip"):
        icon = _icon(svg, outside)
        assert icon[3] < top or icon[1] > bottom, outside


def test_the_internet_gateway_sits_at_the_top_edge_of_its_vpc(service):
    from tests.render.svg import boxes, draw

    _, svg = draw(service, my_ip="203.0.113.10/32")
    drawn = boxes(svg)
    vpc_top = drawn["vpc/main"].bounds[1]
    icon_top = _icon(svg, "vpc/main/internet_gateway/igw")[1]
    # the VPC's border, its margin and its name's line above the icon, no more (it was 67 pt)
    assert 0 < icon_top - vpc_top <= 40
    assert all(icon_top < box.bounds[1] for name, box in drawn.items() if "/az/" in name)


def test_rule_edges_that_join_every_source_to_every_target_are_drawn_as_one_trunk_with_the_ports():
    from bench.synthetic import account

    topology = account(39)
    drawing = layout(topology, "203.0.113.10/32")
    ssh = [e for e in drawing.edges if e.style == "ssh"]
    assert len(ssh) == 18  # SSH from the three bastion boxes to the six web and app boxes
    dot = to_dot(drawing)
    orange = re.findall(r'^\t(\S+) -> (\S+) \[(.*color="#D45B07".*)\]$', dot, re.M)
    # three lines join the trunk, one carries the port, six leave it for the boxes: 10 lines, not 18
    assert len(orange) == 3 + 1 + 6
    assert [a for _, _, a in orange if "tcp/22" in a] == [next(a for _, _, a in orange if "label=<" in a)]
    ends = {n.strip('"') for s, t, _ in orange for n in (s, t)}
    assert {e.source for e in ssh} | {e.target for e in ssh} <= ends  # every box the rules join is still joined
    # the trunk's two points sit inside the VPC, so its lines stay in the VPC's box
    vpc = dot[dot.index('subgraph "cluster_vpc/vpc0"'):]
    assert re.search(r'"rules/\d+/from" \[', vpc) and re.search(r'"rules/\d+/to" \[', vpc)


def test_expand_on_39_subnets_is_a_picture_of_sensible_width(tmp_path):
    from bench.synthetic import account

    drawing = render(account(39), tmp_path / "expand.png", "203.0.113.10", detail="subnets")
    width, height = _png_size(drawing.path.read_bytes())
    assert width < 8_000 and width < 2.5 * height  # it was 32,767 (Graphviz's limit) by 1,750: one row of 39


def test_a_grouped_drawing_keeps_its_tier_rows_level_across_the_zones():
    from bench.synthetic import account
    from tests.render.svg import boxes, draw

    _, svg = draw(account(39), my_ip="203.0.113.10/32")  # public boxes allow each other tcp/9000 to tcp/9002
    drawn = boxes(svg)
    for tier in ("public", "private", "management"):
        tops = {round(drawn[f"vpc/vpc0/az/ap-northeast-2{z}/{tier}"].bounds[1]) for z in "abc"}
        assert len(tops) == 1, (tier, tops)  # it was a staircase: each zone's public box a row below the last

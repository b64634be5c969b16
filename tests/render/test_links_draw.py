"""The links between VPCs in the picture, with real Graphviz: a peering's icon joined to each of its two VPCs' boxes,
a transit gateway's icon joined to each attachment's network interface in its subnets, a gateway endpoint on its
VPC joined to the route tables it routes from, an external peer VPC in its AWS account's group, interface endpoints
in their subnets; the same in the draw.io export, which reads back to the same topology.

Each example is drawn once per format (module fixtures); the assertions read Graphviz's own layout (`-Tjson0`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from vpcdraw.render import dot_source, rasterise, render
from vpcdraw.render.drawio import to_drawio
from vpcdraw.topology import Topology, TopologyBuilder, cidr, external_vpc, load
from vpcdraw.topology.drawio import read
from vpcdraw.topology.examples import example_source

from ..drawio_cells import cells_by_id
from .test_drawio_roundtrip import canonical

MY_IP = "203.0.113.10/32"
PEERING = "vpc/app/vpc_peering_connection/app-shared"
ENDPOINT = "vpc/app/vpc_endpoint/s3"
TGW = "transit_gateway/hub"


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Topology]:
    folder = tmp_path_factory.mktemp("links")
    found = {}
    for name in ("shared-services", "hub"):
        path = folder / f"{name}.py"
        path.write_text(example_source(name), encoding="utf-8")
        found[name] = load(path)
    return found


def external_topology() -> Topology:
    """One VPC peered with another account's VPC in another region, an interface and a gateway endpoint."""
    t = TopologyBuilder("partner", region="ap-northeast-2")
    app = t.vpc("app", "10.1.0.0/16")
    app.subnet("private-a", "10.1.2.0/24", az="a", tier="private")
    app.subnet("private-c", "10.1.3.0/24", az="c", tier="private")
    app.route_table("private", subnets=["private-a", "private-c"]).route(
        "10.9.0.0/16", vpc_peering_connection="to-partner")
    app.security_group("ep", "endpoint interfaces", tier="private").ingress("tcp/443", cidr("10.1.0.0/16"))
    app.interface_endpoint("ssm", "ssm", subnets=["private-a", "private-c"], security_groups=["ep"])
    app.gateway_endpoint("ddb", "dynamodb", route_tables=["private"])
    t.peering("to-partner", requester="app", label="partner",
              external=external_vpc("vpc-0abc1234", "10.9.0.0/16", account="111122223333", region="us-west-2"))
    return t.build()


class Drawn:
    """A DOT source as Graphviz lays it out: clusters (bounds, what they hold), nodes (bounds), edges."""

    def __init__(self, dot: str) -> None:
        graph = json.loads(rasterise(dot, "json0"))
        objects = graph.get("objects", [])
        self.dot = dot
        self.boxes: dict[str, tuple[float, float, float, float]] = {}
        self.held: dict[str, set[str]] = {}
        for item in objects:
            name = str(item.get("name", ""))
            if "bb" in item and name.startswith("cluster_"):
                left, bottom, right, top = (float(v) for v in item["bb"].split(","))
                self.boxes[name.removeprefix("cluster_")] = (left, bottom, right, top)
                self.held[name.removeprefix("cluster_")] = {str(objects[i]["name"]) for i in item.get("nodes", [])}
            elif "pos" in item:
                x, y = (float(v) for v in item["pos"].split(",")[:2])
                w, h = float(item["width"]) * 36, float(item["height"]) * 36
                self.boxes[name] = (x - w, y - h, x + w, y + h)
        self.edges: list[tuple[str, str, dict[str, Any]]] = [
            (str(objects[e["tail"]]["name"]), str(objects[e["head"]]["name"]), e) for e in graph.get("edges", [])]

    def from_node(self, node: str) -> list[tuple[str, str, dict[str, Any]]]:
        return [e for e in self.edges if e[0] == node]

    def touching(self, node: str) -> list[dict[str, Any]]:
        return [e for tail, head, e in self.edges if node in (tail, head) and e.get("style") != "invis"]


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def drawn(examples: dict[str, Topology]) -> dict[str, Drawn]:
    found = {name: Drawn(dot_source(t, MY_IP)[0]) for name, t in examples.items()}
    found["partner"] = Drawn(dot_source(external_topology(), MY_IP)[0])
    return found


def test_a_peering_is_one_icon_joined_to_both_vpc_boxes(drawn: dict[str, Drawn]) -> None:
    ss = drawn["shared-services"]
    lines = ss.from_node(PEERING)
    assert sorted(e[2]["lhead"] for e in lines) == ["cluster_vpc/app", "cluster_vpc/shared"]
    assert all(e[2]["dir"] == "none" for e in lines)
    for _, node, edge in lines:  # each line ends in its VPC's box
        assert node in ss.held[edge["lhead"].removeprefix("cluster_")]
    assert "VPC peering app-shared<BR/>앱-공유 피어링" in ss.dot  # the text beside the icon
    # the two VPCs side by side in the region, the peering outside both; nothing overlaps
    region = ss.held["region/ap-northeast-2"]
    assert PEERING in region
    vpcs = [ss.boxes["vpc/app"], ss.boxes["vpc/shared"]]
    assert not overlap(*vpcs) and not any(overlap(ss.boxes[PEERING], v) for v in vpcs)


def test_routes_to_a_peering_or_a_transit_gateway_are_listed_by_kind(drawn: dict[str, Drawn]) -> None:
    assert "10.0.0.0/16 to peering app-shared" in drawn["shared-services"].dot
    assert "s3 prefix list to endpoint s3" in drawn["shared-services"].dot
    assert drawn["hub"].dot.count("10.0.0.0/8 to TGW hub") == 8  # each of the 8 subnets' route table icons


def test_a_gateway_endpoint_sits_on_its_vpc_with_a_line_to_each_table_icon_it_routes_from(
        drawn: dict[str, Drawn]) -> None:
    ss = drawn["shared-services"]
    assert ENDPOINT in ss.held["vpc/app"]
    assert not any(ENDPOINT in held for box, held in ss.held.items() if "/az/" in box)  # on the VPC, in no AZ
    assert sorted(node for _, node, _e in ss.from_node(ENDPOINT)) == [
        "vpc/app/subnet/private-a/route_table", "vpc/app/subnet/private-c/route_table"]


def test_a_transit_gateway_is_joined_to_each_attached_vpc_and_marks_its_subnets(drawn: dict[str, Drawn]) -> None:
    hub = drawn["hub"]
    assert TGW in hub.held["region/ap-northeast-2"]
    # one line per attachment, to its VPC's box: down from the VPCs above, down to the one below
    boxes = sorted(e.get("ltail") or e.get("lhead") for e in hub.touching(TGW))
    assert boxes == ["cluster_vpc/api", "cluster_vpc/data", "cluster_vpc/web"]
    # the attachment's icon in each subnet it uses
    marks = [n for n in hub.boxes if n.endswith("/transit_gateway_attachment/hub")]
    assert sorted(marks) == sorted(f"vpc/{v}/subnet/private-{z}/vpc/{v}/transit_gateway_attachment/hub"
                                   for v in ("web", "api", "data") for z in "ac")
    for mark in marks:
        assert mark in hub.held[mark.split("/vpc/")[0]]
    # between the VPCs, overlapping none of them: below the first row's, above the other's
    vpcs = {v: hub.boxes[f"vpc/{v}"] for v in ("web", "api", "data")}
    assert not any(overlap(a, b) for i, a in enumerate(vpcs.values()) for b in list(vpcs.values())[i + 1:])
    assert not any(overlap(hub.boxes[TGW], v) for v in vpcs.values())
    assert vpcs["data"][3] < hub.boxes[TGW][1] and hub.boxes[TGW][3] < min(vpcs["web"][1], vpcs["api"][1])


def test_a_rule_for_a_linked_vpc_s_cidr_leaves_that_vpc_s_box(drawn: dict[str, Drawn]) -> None:
    """tcp/389 from the application VPC's CIDR into the shared tools: from the app box, and it arrives (the tools'
    table routes that CIDR to the peering): no 'no route', no outside CIDR icon."""
    ss = drawn["shared-services"]
    (edge,) = [e for _s, t, e in ss.edges if t == "vpc/shared/instance/tools"]
    assert edge["ltail"] == "cluster_vpc/app" and "tcp/389" in edge["xlabel"] and "no route" not in edge["xlabel"]
    assert "cidr/10.1.0.0/16" not in ss.boxes


def test_an_external_peer_is_its_own_box_in_its_account_and_region(drawn: dict[str, Drawn]) -> None:
    partner = drawn["partner"]
    box = "external/vpc-0abc1234"
    assert {box, f"{box}/vpc"} <= {*partner.boxes}
    assert f"{box}/vpc" in partner.held["account/111122223333/region/us-west-2"]
    assert f"{box}/vpc" in partner.held["account/111122223333"]
    assert f"{box}/vpc" not in partner.held["region/ap-northeast-2"]
    assert "Peer VPC vpc-0abc1234 10.9.0.0/16\naccount 111122223333, region us-west-2" in partner.dot
    peer_lines = partner.from_node("vpc/app/vpc_peering_connection/to-partner")
    assert sorted(e[2]["lhead"] for e in peer_lines) == [f"cluster_{box}", "cluster_vpc/app"]
    # an interface endpoint's network interface in each of its subnets
    for zone in "ac":
        assert f"vpc/app/subnet/private-{zone}/vpc/app/vpc_endpoint/ssm" in partner.held[
            f"vpc/app/subnet/private-{zone}"]


def test_the_tier_boxes_drawing_keeps_the_links(examples: dict[str, Topology]) -> None:
    hub = Drawn(dot_source(examples["hub"], MY_IP, detail="tiers")[0])
    assert len(hub.touching(TGW)) == 3
    assert len([n for n in hub.boxes if n.endswith("/transit_gateway_attachment/hub")]) == 6  # in each tier box


@pytest.mark.parametrize("fmt", ["png", "svg", "html"])
def test_every_picture_format_draws_them(examples: dict[str, Topology], tmp_path: Path, fmt: str) -> None:
    for name, topology in examples.items():
        out = render(topology, tmp_path / f"{name}.{fmt}", my_ip=MY_IP).path
        data = out.read_bytes()
        if fmt == "png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
        else:
            text = html.unescape(data.decode("utf-8"))
            assert (PEERING if name == "shared-services" else TGW) in text
            assert "vpc-peering.png" not in text and "transit-gateway.png" not in text  # icons embedded


def _drawio(topology: Topology) -> tuple[str, dict[str, ET.Element]]:
    text = to_drawio(topology, MY_IP)
    return text, cells_by_id(ET.fromstring(text))


@pytest.fixture(scope="module")
def exported(examples: dict[str, Topology]) -> dict[str, tuple[str, dict[str, ET.Element]]]:
    found = {name: _drawio(t) for name, t in examples.items()}
    found["partner"] = _drawio(external_topology())
    return found


def _edge(cells: dict[str, ET.Element], source: str, target: str) -> ET.Element:
    (found,) = [c for c in cells.values() if c.get("edge") == "1" and (c.get("source"), c.get("target")) ==
                (source, target)]
    return found


def test_draw_io_has_the_same_links_with_aws4_shapes(exported: dict[str, tuple[str, dict[str, ET.Element]]]
                                                     ) -> None:
    _text, ss = exported["shared-services"]
    assert "shape=mxgraph.aws4.peering;" in str(ss[PEERING].get("style"))
    assert ss[PEERING].get("data-requester") == "app" and ss[PEERING].get("data-accepter") == "shared"
    for vpc in ("vpc/app", "vpc/shared"):
        assert "endArrow=none" in str(_edge(ss, PEERING, vpc).get("style"))
    assert "shape=mxgraph.aws4.endpoints;" in str(ss[ENDPOINT].get("style"))
    assert ss[ENDPOINT].get("parent") == "vpc/app" and ss[ENDPOINT].get("data-route_tables") == "private"
    _edge(ss, ENDPOINT, "vpc/app/subnet/private-a/route_table")
    _text, hub = exported["hub"]
    assert "resIcon=mxgraph.aws4.transit_gateway;" in str(hub[TGW].get("style"))
    attachment = "vpc/api/subnet/private-c/vpc/api/transit_gateway_attachment/hub"
    assert "shape=mxgraph.aws4.transit_gateway_attachment;" in str(hub[attachment].get("style"))
    assert hub[attachment].get("parent") == "vpc/api/subnet/private-c"
    assert hub[attachment].get("data-transit_gateway") == "hub"
    assert sorted(c.get("source") if c.get("target") == TGW else c.get("target") for c in hub.values()
                  if TGW in (c.get("source"), c.get("target"))) == ["vpc/api", "vpc/data", "vpc/web"]
    _text, partner = exported["partner"]
    assert "grIcon=mxgraph.aws4.group_account;" in str(partner["account/111122223333"].get("style"))
    assert partner["external/vpc-0abc1234"].get("data-vpc_id") == "vpc-0abc1234"
    assert "shape=mxgraph.aws4.elastic_network_interface;" in str(
        partner["vpc/app/subnet/private-a/vpc/app/vpc_endpoint/ssm"].get("style"))


@pytest.mark.parametrize("name", ["shared-services", "hub", "partner"])
def test_draw_io_reads_back_to_the_same_topology(examples: dict[str, Topology],
                                                 exported: dict[str, tuple[str, dict[str, ET.Element]]],
                                                 name: str) -> None:
    topology = examples.get(name) or external_topology()
    back, notes = read(exported[name][0].encode("utf-8"), f"{name}.drawio")
    assert canonical(back) == canonical(topology) and notes == []


def test_a_hand_drawn_peering_that_joins_nothing_is_one_sentence(
        exported: dict[str, tuple[str, dict[str, ET.Element]]]) -> None:
    """A peering shape from draw.io's palette with no lines and no properties: said, not a crash."""
    from vpcdraw.topology import InvalidTopology

    text = exported["shared-services"][0]
    document = ET.fromstring(text)
    for element in document.iter("object"):
        if element.get("id") == PEERING:
            for key in ("requester", "accepter", "name"):
                element.attrib.pop(key, None)
    root = document.find("diagram/mxGraphModel/root")
    assert root is not None
    for element in list(root):
        inner = element.find("mxCell") if element.tag == "object" else element
        if inner is not None and PEERING in (inner.get("source"), inner.get("target")):
            root.remove(element)
    with pytest.raises(InvalidTopology) as raised:
        read(ET.tostring(document), "hand.drawio")
    (problem,) = [p for p in raised.value.problems if PEERING in p.address]
    assert "joins no two VPCs" in problem.message


def test_every_vpc_s_availability_zones_read_left_to_right_in_az_order(drawn: dict[str, Drawn]) -> None:
    """dot turned the AZ columns of a VPC around (2c left of 2a) in a VPC of one row, or where lines from other
    VPCs ran into one column; and the VPCs of the first row stay in their order too."""
    for name in ("hub", "shared-services"):
        picture = drawn[name]
        zones: dict[str, list[tuple[float, str]]] = {}
        for box, (left, _bottom, _right, _top) in picture.boxes.items():
            vpc, _, zone = box.partition("/az/")
            if zone and "/" not in zone:  # an AZ's box, not a subnet's within it
                zones.setdefault(vpc, []).append((left, zone))
        assert len(zones) == (3 if name == "hub" else 2)
        for vpc, found in zones.items():
            ordered = [zone for _left, zone in sorted(found)]
            assert ordered == ["ap-northeast-2a", "ap-northeast-2c"], f"{name} {vpc}: {ordered}"
            # side by side, not overlapping
            assert picture.boxes[f"{vpc}/az/{ordered[0]}"][2] <= picture.boxes[f"{vpc}/az/{ordered[1]}"][0]
    first_row = {"hub": ("vpc/web", "vpc/api"), "shared-services": ("vpc/shared", "vpc/app")}
    for name, (left, right) in first_row.items():
        assert drawn[name].boxes[left][2] <= drawn[name].boxes[right][0]


def test_a_peering_line_ends_at_its_vpc_s_border_not_inside_the_box(drawn: dict[str, Drawn]) -> None:
    """The line to a VPC with an internet gateway ended where the internet's line enters the box, so it seemed to
    run on inside to the gateway, across the VPC's title: each line ends on its box's border."""
    ss = drawn["shared-services"]
    for _, _node, edge in ss.from_node(PEERING):
        left, bottom, right, top = ss.boxes[edge["lhead"].removeprefix("cluster_")]
        points = [p for p in edge["pos"].split() if not p.startswith(("e,", "s,"))]
        x, y = (float(v) for v in points[-1].split(","))
        assert left - 2 <= x <= right + 2 and bottom - 2 <= y <= top + 2, (edge["lhead"], x, y)
        assert min(x - left, right - x, y - bottom, top - y) <= 6, (edge["lhead"], x, y)  # on the border
        for tail, _head, other in ss.edges:  # not where the internet's line enters the box
            if tail == "internet":
                near = [p for p in other["pos"].split() if not p.startswith(("e,", "s,"))]
                assert all(abs(float(p.split(",")[0]) - x) + abs(float(p.split(",")[1]) - y) > 12 for p in near)

"""model -> .drawio -> model: the export says everything the model holds, in labels, nesting, edges and
draw.io properties, so reading it back (topology.drawio) gives the same topology."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings

from vpcdraw.render import render
from vpcdraw.render.drawio import to_drawio
from vpcdraw.topology import InvalidTopology, Topology, TopologyBuilder, anywhere, cidr, load, my_ip, sg, subnet
from vpcdraw.topology.drawio import read
from vpcdraw.topology.serialize import to_dict

from ..strategies import topologies

MY_IP = "203.0.113.10/32"


def canonical(topology: Topology) -> Any:
    """The topology's JSON form with every list sorted: AWS keeps no order among subnets, rules or tables."""

    def sort(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: sort(v) for k, v in value.items()}
        if isinstance(value, list):
            return sorted((sort(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        return value

    return sort(to_dict(topology))


def read_back(topology: Topology, **options: Any) -> Topology:
    found, _notes = read(to_drawio(topology, MY_IP, **options).encode("utf-8"), "back.drawio")
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies())
def test_any_topology_survives_the_trip_through_draw_io(topology):
    assert canonical(read_back(topology, detail="subnets")) == canonical(topology)


@pytest.mark.parametrize("name", ["assignment", "service"])
def test_the_examples_survive_the_trip(name, request):
    topology = request.getfixturevalue(name)
    assert canonical(read_back(topology, detail="subnets")) == canonical(topology)


def test_what_no_picture_shows_survives_too():
    """Network ACL entries, no egress at all, a table and a group no subnet uses, a CIDR peer that is a subnet's
    CIDR (not the subnet), a group's rule naming itself, a detached gateway, the locked default group."""
    t = TopologyBuilder("corners", region="eu-west-1", description="모서리")
    vpc = t.vpc("edge", "10.9.0.0/16", label="VPC of corners").lock_default_security_group()
    vpc.subnet("web-a", "10.9.1.0/24", az="eu-west-1a", tier="public", map_public_ip=True, label="외부망 A")
    vpc.subnet("db-b", "10.9.2.0/24", az="b", tier="private")
    vpc.internet_gateway("gw", attached=False, label="인터넷")
    vpc.route_table("spare", label="예비")
    vpc.network_acl("guard", subnets=["db-b"], label="경비").inbound(100, "tcp/3306", "10.9.1.0/24") \
        .outbound(200, "tcp/1024-65535", "10.9.1.0/24", "allow").inbound(300, "all", "0.0.0.0/0", "deny")
    vpc.network_acl("empty")
    vpc.security_group("web", "web tier", tier="public").ingress("tcp/443", anywhere, "https") \
        .ingress("tcp/22", my_ip).ingress("tcp/9000", sg("web"), "cluster").no_egress()
    vpc.security_group("db", "databases", subnets=["db-b"]).ingress("tcp/3306", cidr("10.9.1.0/24")) \
        .ingress("tcp/5432", subnet("web-a")).egress("udp/53", cidr("10.9.0.2/32"), "DNS").egress("icmp/3:4", anywhere)
    vpc.security_group("idle", "nothing yet")
    vpc.instance("app-1", subnet="web-a", security_groups=["web", "db"], role="web", instance_type="t3.small",
                 image="ami-0123456789abcdef0", public_ip=True, label="앱")
    topology = t.build()
    assert canonical(read_back(topology)) == canonical(topology)


@pytest.mark.parametrize("suffix", [".drawio", ".drawio.png", ".drawio.svg"])
def test_every_draw_io_form_reads_back(assignment, tmp_path, suffix):
    out = tmp_path / f"lab{suffix}"
    render(assignment, out, MY_IP, compressed=suffix == ".drawio")
    assert canonical(load(out, allow_code=False)) == canonical(assignment)  # data, not code: fine under --no-exec


def test_a_grouped_drawing_says_it_cannot_be_built_from(service):
    with pytest.raises(InvalidTopology) as raised:
        read_back(service, detail="tiers")
    (problem,) = raised.value.problems
    assert "one box per tier and AZ" in problem.message and "--expand" in problem.message


def test_the_export_keeps_descriptions_off_the_picture(assignment):
    document = ET.fromstring(to_drawio(assignment, MY_IP))
    labels = [o.get("label", "") for o in document.iter("object")]
    labels += [c.get("value", "") for c in document.iter("mxCell")]
    assert "tcp/8080" in labels and not any("web traffic" in label for label in labels)
    described = [o.get("descriptions", "") for o in document.iter("object") if o.get("descriptions")]
    assert any(line.startswith("tcp/8080=") for text in described for line in text.split("\n"))


def test_a_vpc_too_big_for_dot_is_placed_in_rows_and_still_reads_back():
    """Past DOT_LIMIT subnets drawn one by one, dot takes minutes; the export places the boxes in rows itself."""
    from bench.synthetic import account
    from vpcdraw.render.drawio import DOT_LIMIT

    topology = account(DOT_LIMIT + 30)
    text = to_drawio(topology, MY_IP, detail="subnets")
    found, _notes = read(text.encode("utf-8"), "big.drawio")
    assert canonical(found) == canonical(topology)
    cells = {c.get("id"): c for c in ET.fromstring(text).iter("mxCell")}
    objects = {o.get("id"): o.find("mxCell") for o in ET.fromstring(text).iter("object")}
    boxes = []
    for ident, cell in {**cells, **objects}.items():
        if cell is not None and "/subnet/" in str(ident) and str(ident).count("/") == 3:
            g = cell.find("mxGeometry")
            assert g is not None and cell.get("parent", "").startswith("vpc/vpc0/az/"), ident
            boxes.append((cell.get("parent"), *(float(g.get(k, "0")) for k in ("x", "y", "width", "height"))))
    assert len(boxes) == DOT_LIMIT + 30
    for i, (zone, x, y, w, h) in enumerate(boxes):  # no two subnet boxes of a zone overlap
        for other, x2, y2, w2, h2 in boxes[i + 1:]:
            assert zone != other or x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y

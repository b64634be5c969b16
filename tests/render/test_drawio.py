"""draw.io export: files diagrams.net opens, with AWS4 shapes, cells named by address, and kept user geometry."""

from __future__ import annotations

import base64
import zlib
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest

from vpcdraw.render import RenderError
from vpcdraw.render.drawio import AWS_CLOUD, deflate, to_drawio
from vpcdraw.topology import Topology
from vpcdraw.topology.address import address

from ..drawio_cells import cell_to_edit, flat_cells

MY_IP = "203.0.113.10/32"
EXAMPLES = ("assignment", "service")


def _cells(text: str) -> dict[str, ET.Element]:
    """The cells of the one page of a plain mxfile, by id, after checking the file's skeleton."""
    document = ET.fromstring(text)
    assert document.tag == "mxfile"
    diagrams = document.findall("diagram")
    assert len(diagrams) == 1
    model = diagrams[0].find("mxGraphModel")
    assert model is not None
    root = model.find("root")
    assert root is not None
    cells = flat_cells(root)
    ids = [c.get("id", "") for c in cells]
    assert len(ids) == len(set(ids)), "cell ids are unique"
    return dict(zip(ids, cells, strict=True))


def _geometry(cell: ET.Element) -> tuple[float, float, float, float]:
    g = cell.find("mxGeometry")
    assert g is not None
    return float(g.get("x", "0")), float(g.get("y", "0")), float(g.get("width", "0")), float(g.get("height", "0"))


def _ancestors(cells: dict[str, ET.Element], cell_id: str) -> list[str]:
    found = []
    current = cells[cell_id].get("parent")
    while current is not None:
        found.append(current)
        current = cells[current].get("parent")
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_export_to_an_mxfile_whose_cells_nest_by_parent(name, request):
    topology: Topology = request.getfixturevalue(name)
    cells = _cells(to_drawio(topology, MY_IP))
    assert cells["0"].get("parent") is None
    assert cells["1"].get("parent") == "0"
    for cell_id, cell in cells.items():
        if cell_id != "0":
            assert cell.get("parent") in cells, f"{cell_id} has a parent that exists"
        for end in ("source", "target"):
            if cell.get(end) is not None:
                assert cell.get(end) in cells
    vpc = topology.vpcs[0]
    vpc_id = f"vpc/{vpc.name}"
    assert cells[vpc_id].get("parent") == f"region/{topology.region}"
    assert cells[f"region/{topology.region}"].get("parent") == AWS_CLOUD
    for subnet in vpc.subnets:
        subnet_id = address(vpc, "subnet", subnet.name)  # ids are the resources' addresses
        az = cells[subnet_id].get("parent", "")
        assert az.startswith(f"{vpc_id}/az/") and az.endswith(subnet.az)
        assert cells[az].get("parent") == vpc_id
        assert subnet.cidr in (cells[subnet_id].get("value") or "")


def test_shapes_are_draw_ios_aws4_ones(service):
    cells = _cells(to_drawio(service, MY_IP))
    vpc = service.vpcs[0]
    style = {cell_id: cell.get("style", "") for cell_id, cell in cells.items()}
    assert "shape=mxgraph.aws4.internet_gateway;" in style["vpc/main/internet_gateway/igw"]
    assert "shape=mxgraph.aws4.nat_gateway;" in style["vpc/main/nat_gateway/nat-a"]
    assert "grIcon=mxgraph.aws4.group_vpc2;" in style["vpc/main"]
    assert "grIcon=mxgraph.aws4.group_aws_cloud_alt;" in style[AWS_CLOUD]
    assert "strokeColor=#7AA116;" in style["vpc/main/subnet/public-a"]  # public: green
    assert "strokeColor=#00A4A6;" in style["vpc/main/subnet/private-a"]  # private: blue
    assert "dashed=1;" in style["vpc/main/az/ap-northeast-2a"]
    assert vpc.instances
    for host in vpc.instances:  # web, db and bastion alike: the EC2 instance icon
        assert "shape=mxgraph.aws4.instance2;" in style[address(vpc, "instance", host.name)], host.name


def test_the_internet_gateway_sits_on_the_vpcs_edge(assignment):
    cells = _cells(to_drawio(assignment, MY_IP))
    igw = cells["vpc/main/internet_gateway/igw"]
    assert igw.get("parent") == "vpc/main"
    _x, y, _w, height = _geometry(igw)
    assert y == -height / 2


def test_cells_sit_inside_their_containers(assignment):
    cells = _cells(to_drawio(assignment, MY_IP))
    for cell_id, cell in cells.items():
        parent = cell.get("parent")
        if cell.get("vertex") != "1" or parent == "1" or cell_id.endswith("internet_gateway/igw"):
            continue
        x, y, width, height = _geometry(cell)
        _px, _py, parent_width, parent_height = _geometry(cells[parent or ""])
        assert x >= 0 and x + width <= parent_width, cell_id
        assert y >= 0 and y + height <= parent_height, cell_id


@pytest.mark.parametrize("name", EXAMPLES)
def test_tcp_8080_goes_from_the_internet_through_the_igw_into_the_public_subnets(name, request):
    cells = _cells(to_drawio(request.getfixturevalue(name), MY_IP))
    edges = [c for c in cells.values() if c.get("edge") == "1" and c.get("value") == "tcp/8080"]
    assert any(e.get("source") == "internet" and e.get("target") == "vpc/main/internet_gateway/igw" for e in edges)
    reached = [e.get("target", "") for e in edges if e.get("source") == "vpc/main/internet_gateway/igw"]
    entered = {a for t in reached for a in [t, *_ancestors(cells, t)] if a.startswith("vpc/main/subnet/")}
    assert entered >= {"vpc/main/subnet/public-a", "vpc/main/subnet/public-c"}
    assert not any("private" in a for a in entered)
    if name == "assignment":  # no hosts: the edge ends on the security group box in the subnet
        assert "vpc/main/subnet/public-a/vpc/main/security_group/public" in reached


def test_the_same_topology_gives_the_same_file(assignment):
    assert to_drawio(assignment, MY_IP) == to_drawio(assignment, MY_IP)


def _model_cells(model: ET.Element) -> list[dict[str, str]]:
    return [dict(c.attrib) | {f"geometry.{k}": v for k, v in (c.find("mxGeometry") or ET.Element("g")).attrib.items()}
            for c in flat_cells(model)]


def test_compressed_form_inflates_to_the_same_model(service):
    plain = ET.fromstring(to_drawio(service, MY_IP)).find("diagram/mxGraphModel")
    diagram = ET.fromstring(to_drawio(service, MY_IP, compressed=True)).find("diagram")
    assert plain is not None and diagram is not None
    assert diagram.find("mxGraphModel") is None
    inflated = zlib.decompressobj(wbits=-15).decompress(base64.b64decode(diagram.text or ""))
    model = ET.fromstring(unquote(inflated.decode("utf-8")))
    assert model.tag == "mxGraphModel"
    assert _model_cells(model) == _model_cells(plain)


def _move(text: str, cell_id: str, x: float, y: float) -> str:
    """The file as a user leaves it after dragging a cell to (x, y) in its container."""
    document = ET.fromstring(text)
    geometry = cell_to_edit(document, cell_id).find("mxGeometry")
    assert geometry is not None
    geometry.set("x", str(x))
    geometry.set("y", str(y))
    return ET.tostring(document, encoding="unicode")


def test_a_re_export_keeps_moved_cells_and_places_new_ones(small):
    t, vpc = small()
    first = to_drawio(t.build(), MY_IP)
    edited = _move(first, "vpc/main/subnet/public-a", 300, 420)
    vpc.subnet("private-b", "10.0.2.0/24", az="a", tier="private")
    cells = _cells(to_drawio(t.build(), MY_IP, previous=edited))
    x, y, width, height = _geometry(cells["vpc/main/subnet/public-a"])
    assert (x, y) == (300, 420)
    before = _cells(first)
    assert _geometry(cells["vpc/main/subnet/private-a"]) == _geometry(before["vpc/main/subnet/private-a"])
    new = cells["vpc/main/subnet/private-b"]
    assert new.get("parent") == "vpc/main/az/ap-northeast-2a"
    nx, ny, nw, nh = _geometry(new)
    assert nw > 0 and nh > 0
    _ax, _ay, zone_width, zone_height = _geometry(cells["vpc/main/az/ap-northeast-2a"])
    # the zone grew to hold both the moved subnet and the new one
    assert x + width <= zone_width and y + height <= zone_height
    assert nx + nw <= zone_width and ny + nh <= zone_height


def test_previous_may_be_a_compressed_file(small):
    t, _vpc = small()
    document = ET.fromstring(_move(to_drawio(t.build(), MY_IP), "vpc/main/subnet/private-a", 40, 50))
    diagram = document.find("diagram")
    model = document.find("diagram/mxGraphModel")
    assert diagram is not None and model is not None
    diagram.remove(model)
    diagram.text = deflate(ET.tostring(model, encoding="unicode"))  # as draw.io saves with compression on
    again = _cells(to_drawio(t.build(), MY_IP, previous=ET.tostring(document, encoding="unicode")))
    assert _geometry(again["vpc/main/subnet/private-a"])[:2] == (40, 50)


@pytest.mark.parametrize("previous", ["not xml at all", "<mxfile><diagram>%%%not-base64</diagram></mxfile>"])
def test_a_previous_file_that_is_not_draw_io_is_one_sentence(small, previous):
    t, _vpc = small()
    with pytest.raises(RenderError, match=r"not a draw\.io file"):
        to_drawio(t.build(), MY_IP, previous=previous)


def test_a_re_export_keeps_the_bends_the_user_gave_an_edge(assignment):
    first = ET.fromstring(to_drawio(assignment, MY_IP))
    edge_id = "my-ip->vpc/main/subnet/management/vpc/main/security_group/management"
    geometry = cell_to_edit(first, edge_id).find("mxGeometry")
    assert geometry is not None
    points = ET.SubElement(geometry, "Array", {"as": "points"})  # as draw.io writes a bent edge
    ET.SubElement(points, "mxPoint", {"x": "120", "y": "640"})
    ET.SubElement(points, "mxPoint", {"x": "120", "y": "700.5"})
    again = ET.fromstring(to_drawio(assignment, MY_IP, previous=ET.tostring(first, encoding="unicode")))
    kept = cell_to_edit(again, edge_id).find("mxGeometry/Array")
    assert kept is not None and kept.get("as") == "points"
    assert [(p.get("x"), p.get("y")) for p in kept.iter("mxPoint")] == [("120", "640"), ("120", "700.5")]

"""A drawing is a topology to deploy: a vpcdraw drawing edited in draw.io plans exactly its edits, and a
drawing made by hand with draw.io's AWS shapes plans what it draws (against a moto server over HTTP)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from vpcdraw.render.drawio import to_drawio
from vpcdraw.render.drawio_styles import GROUPS, edge
from vpcdraw.topology import load

from ..drawio_cells import cell_to_edit

MY_IP = "203.0.113.10/32"
BY_HAND = Path(__file__).resolve().parent.parent / "fixtures" / "drawio" / "assignment-by-hand.drawio"


def _edit_in_draw_io(text: str) -> str:
    """What a student does in draw.io to the exported assignment: add AZ b with a public subnet box
    `public-b 172.16.5.0/24`, draw an edge tcp/443 from the internet to SG public, and move a box."""
    document = ET.fromstring(text)
    root = document.find("diagram/mxGraphModel/root")
    assert root is not None
    zone = ET.SubElement(root, "mxCell", {"id": "new-az", "value": "Availability Zone ap-northeast-2b",
                                          "style": GROUPS["az"], "vertex": "1", "parent": "vpc/main"})
    ET.SubElement(zone, "mxGeometry", {"x": "20", "y": "900", "width": "300", "height": "160", "as": "geometry"})
    box = ET.SubElement(root, "mxCell", {"id": "new-subnet", "value": "public-b<br>172.16.5.0/24",
                                         "style": GROUPS["public_subnet"], "vertex": "1", "parent": "new-az"})
    ET.SubElement(box, "mxGeometry", {"x": "20", "y": "40", "width": "240", "height": "100", "as": "geometry"})
    line = ET.SubElement(root, "mxCell", {"id": "new-edge", "value": "tcp/443", "style": edge("internet"),
                                          "edge": "1", "parent": "1", "source": "internet",
                                          "target": "vpc/main/subnet/public-a/vpc/main/security_group/public"})
    ET.SubElement(line, "mxGeometry", {"relative": "1", "as": "geometry"})
    geometry = cell_to_edit(document, "vpc/main/subnet/private-a").find("mxGeometry")
    assert geometry is not None
    geometry.set("x", str(float(geometry.get("x", "0")) + 35))  # moved: no change to the account
    return ET.tostring(document, encoding="unicode")


def test_an_edited_drawing_plans_exactly_its_edits(connect, assignment, tmp_path):
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.workflow import plan

    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, MY_IP)
    apply(ec2, made, poll=0.01)
    drawing = tmp_path / "assignment.drawio"
    drawing.write_text(_edit_in_draw_io(to_drawio(assignment, MY_IP)), encoding="utf-8")
    notes: list[str] = []
    edited = load(drawing, allow_code=False, notes=notes)
    again, _wanted, _live = plan(ec2, edited, MY_IP)
    assert sorted((a.op, a.address) for a in again.actions) == [
        ("create", "vpc/main/route_table/public/association/public-b"),
        ("create", "vpc/main/security_group/public/ingress/tcp/443/0.0.0.0/0"),
        ("create", "vpc/main/subnet/public-b"),
    ], [(a.op, a.address) for a in again.actions]
    assert notes == ["subnet public-b: no route table drawn in it, so it uses route table public (0.0.0.0/0 to igw)"]


def test_a_drawing_made_by_hand_plans_what_it_draws(connect):
    from vpcdraw.deploy.workflow import plan

    made, _wanted, _live = plan(connect(), load(BY_HAND, allow_code=False), MY_IP)
    created = sorted(a.address for a in made.actions if a.op == "create")
    assert [a for a in made.actions if a.op != "create"] == []
    group = "vpc/main/security_group"
    assert created == sorted([
        "vpc/main", "vpc/main/internet_gateway/IGW",
        "vpc/main/route_table/public-rt", "vpc/main/route_table/public-rt/route/0.0.0.0/0",
        *(f"vpc/main/route_table/public-rt/association/{s}" for s in ("public-a", "public-c", "management-a")),
        *(f"vpc/main/subnet/{s}" for s in ("public-a", "public-c", "private-a", "private-c", "management-a")),
        *(f"{group}/{g}" for g in ("web", "db", "bastion")),
        *(f"{group}/{g}/egress/all/0.0.0.0/0" for g in ("web", "db", "bastion")),  # AWS's default, kept
        f"{group}/web/ingress/tcp/8080/0.0.0.0/0", f"{group}/web/ingress/tcp/22/sg:bastion",
        f"{group}/db/ingress/tcp/3306/sg:web", f"{group}/db/ingress/tcp/22/sg:bastion",
        f"{group}/bastion/ingress/tcp/22/203.0.113.10/32",
        *(f"vpc/main/instance/{h}" for h in ("web-1", "web-2", "db-1", "bastion-1")),
    ])

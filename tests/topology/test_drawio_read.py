"""Reading drawings nobody made with vpcdraw: a student's assignment drawn by hand with draw.io's AWS4 shapes,
and the problems a drawing can have, each naming its cell, all at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from vpcdraw.topology import InvalidTopology, LoadError, Topology, load
from vpcdraw.topology.drawio import read
from vpcdraw.topology.mxfile import deflate

BY_HAND = Path(__file__).resolve().parent.parent / "fixtures" / "drawio" / "assignment-by-hand.drawio"


def _by_hand() -> tuple[Topology, list[str]]:
    return read(BY_HAND.read_bytes(), str(BY_HAND))


def test_a_drawing_made_by_hand_reads_by_its_shapes_labels_and_boxes():
    topology, notes = _by_hand()
    assert topology.region == "ap-northeast-2" and topology.name == "assignment-by-hand"
    (vpc,) = topology.vpcs
    assert (vpc.cidr, vpc.label) == ("10.0.0.0/16", "과제 VPC")
    subnets = {s.label: (s.cidr, s.az, s.tier) for s in vpc.subnets}
    assert subnets == {"외부망 A": ("10.0.1.0/24", "a", "public"), "외부망 C": ("10.0.2.0/24", "c", "public"),
                       "내부망 A": ("10.0.3.0/24", "a", "private"), "내부망 C": ("10.0.4.0/24", "c", "private"),
                       "관리망": ("10.0.5.0/24", "a", "management")}
    names = {s.label: s.name for s in vpc.subnets}
    # the AZ boxes are draw.io's plain dashed rectangles, not containers: the subnets sit on them
    assert names["외부망 C"] == "public-c" and names["관리망"] == "management-a"
    assert vpc.internet_gateway is not None and vpc.internet_gateway.name == "IGW"
    (table,) = vpc.route_tables
    assert table.name == "public-rt" and [(r.destination, r.target) for r in table.routes] == [
        ("0.0.0.0/0", "internet_gateway")]
    # drawn in 외부망 A only; the other public subnets take it by convention, and the reading says so
    assert set(table.subnets) == {"public-a", "public-c", "management-a"}
    assert any("public-c" in n and "uses route table public-rt" in n for n in notes), notes
    rules = {g.name: sorted((r.port_text, str(r.peer), r.description) for r in g.ingress) for g in vpc.security_groups}
    assert rules == {
        "web": [("tcp/22", "SG bastion", ""), ("tcp/8080", "0.0.0.0/0", "")],
        "db": [("tcp/22", "SG bastion", ""), ("tcp/3306", "SG web", "MySQL from web")],
        "bastion": [("tcp/22", "my IP", "")],
    }
    groups = {g.name: set(g.subnets) for g in vpc.security_groups}
    assert groups["web"] == {"public-a", "public-c"} and groups["db"] == {"private-a", "private-c"}  # boxes around them
    hosts = {h.name: (h.subnet, h.security_groups) for h in vpc.instances}
    assert hosts == {"web-1": ("public-a", ("web",)), "web-2": ("public-c", ("web",)),
                     "db-1": ("private-a", ("db",)), "bastion-1": ("management-a", ("bastion",))}
    assert all(g.egress is None for g in vpc.security_groups)  # AWS's default egress, as the console makes it
    # hosts drawn where the internet gateway routes are meant to be reached: a public IP, and the reading says so
    assert {h.name for h in vpc.instances if h.public_ip} == {"web-1", "web-2", "bastion-1"}
    assert any(n.startswith("instance bastion-1: a public IP address") for n in notes), notes


def test_the_hand_made_drawing_reads_the_same_compressed(tmp_path):
    document = ET.parse(BY_HAND).getroot()
    diagram = document.find("diagram")
    assert diagram is not None
    model = diagram.find("mxGraphModel")
    assert model is not None
    diagram.remove(model)
    diagram.text = deflate(ET.tostring(model, encoding="unicode"))  # as draw.io saves with compression on
    packed = tmp_path / "packed.drawio"
    packed.write_text(ET.tostring(document, encoding="unicode"), encoding="utf-8")
    assert load(packed, allow_code=False) == replace(_by_hand()[0], name="packed")  # named by its file


def _broken() -> bytes:
    """The hand-made drawing with one mistake of each kind."""
    text = BY_HAND.read_text(encoding="utf-8")
    text = text.replace('value="외부망 C&lt;br&gt;10.0.2.0/24"', 'value="외부망 C"')  # a subnet without a CIDR
    text = text.replace('id="e4" value="tcp/22"', 'id="e4" value=""')  # an edge into a group without a port
    text = text.replace('id="e5" value="tcp/22"', 'id="e5" value="tcp/twenty-two"')  # a port that does not parse
    lambda_cell = ('<mxCell id="fn" value="resize" style="sketch=0;shape=mxgraph.aws4.lambda_function;" vertex="1" '
                   'parent="vpc"><mxGeometry x="700" y="20" width="40" height="40" as="geometry" /></mxCell>')
    return text.replace("      </root>", lambda_cell + "\n      </root>").encode("utf-8")


def test_what_cannot_be_read_is_a_problem_naming_its_cell_all_at_once():
    with pytest.raises(InvalidTopology) as raised:
        read(_broken(), "broken.drawio")
    problems = {p.address: p.message for p in raised.value.problems}
    assert set(problems) == {"cell 'sub-pc' (외부망 C)", "cell 'e4'", "cell 'e5' (tcp/twenty-two)",
                             "cell 'fn' (resize)"}, problems
    assert "without a CIDR" in problems["cell 'sub-pc' (외부망 C)"]
    assert "without a port" in problems["cell 'e4'"]
    assert "tcp/twenty-two" in problems["cell 'e5' (tcp/twenty-two)"]
    assert "aws4.lambda_function" in problems["cell 'fn' (resize)"]


@pytest.mark.parametrize(("name", "data", "words"), [
    ("notes.drawio", b"<html><body>hello</body></html>", "not draw.io's <mxfile>"),
    ("notes.drawio", b"<mxfile><diagram>%%%</diagram></mxfile>", "not a draw.io file"),
    ("notes.drawio", b"\xff\xfe\x00", "not text"),
    ("shot.drawio.png", b"\x89PNG\r\n\x1a\n", "holds no draw.io diagram"),
    ("shot.drawio.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "holds no draw.io diagram"),
])
def test_a_file_that_is_no_drawing_is_one_sentence(name, data, words):
    with pytest.raises(InvalidTopology) as raised:
        read(data, name)
    (problem,) = raised.value.problems
    assert words in problem.message


def test_the_cli_reads_a_drawing_under_no_exec_and_says_what_it_assumed(cli):
    done = cli("--no-exec", "check", BY_HAND)
    assert done.code == 0, done.err
    assert "valid (1 VPC, 5 subnets, 3 security groups)" in done.out
    assert "vpcdraw: assumed: subnet management-a: no route table drawn in it" in done.err


def test_the_cli_names_the_broken_cells_and_exits_1(cli, tmp_path):
    broken = tmp_path / "broken.drawio"
    broken.write_bytes(_broken())
    done = cli("plan", broken, "--local")
    assert done.code == 1 and "Traceback" not in done.err
    assert "cell 'sub-pc' (외부망 C): a subnet without a CIDR" in done.err


def test_a_missing_drawing_is_one_sentence():
    with pytest.raises(LoadError, match="no such file"):
        load("nowhere.drawio")

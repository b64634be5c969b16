"""grade -o graded.drawio: the editable file carries the grade's FAIL marks, on the cells of what fails."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.deploy.test_diff import build_by_hand
from tests.deploy.test_grade import _grade, reviewer_and_admin  # noqa: F401 (a fixture)
from tests.deploy.test_read_only import enforcing  # noqa: F401 (a fixture reviewer_and_admin asks for)
from vpcdraw.render.draw import DRIFT_LOOK

from ..drawio_cells import cells_by_id


def test_grade_draws_its_fails_into_an_editable_drawio(cli, monkeypatch, reviewer_and_admin, tmp_path):  # noqa: F811
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2, skip_3306=True)  # the private tier does not take 3306 from the web tier
    graded = tmp_path / "graded.drawio"
    code, report, err = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id, "-o", graded)
    assert code == 2, (report, err)
    (failed,) = [i for i in report["items"] if not i["passed"]]
    assert failed["id"] == "private-3306" and failed["addresses"] == ["vpc/week1/security_group/db-sg"]
    document = ET.parse(graded)
    (diagram,) = document.iter("diagram")
    assert str(diagram.get("name")).startswith("Graded 10/11")
    cells = cells_by_id(document.getroot())
    marked = {address: str(c.get("value")) for address, c in cells.items() if "FAIL" in str(c.get("value"))}
    # the group is drawn in both private subnets; each drawing of it, and nothing else, says FAIL first
    assert sorted(marked) == [f"vpc/week1/subnet/my-private-{zone}/vpc/week1/security_group/db-sg" for zone in "ac"]
    assert all(label.startswith("FAIL: 내부망: 외부망 3306 포트 오픈<br>") and label.endswith("SG db-sg")
               for label in marked.values()), marked
    pen, fill, _, _ = DRIFT_LOOK["changed"]  # in the colours the PNG's legend gives a FAIL
    for address in marked:
        style = str(cells[address].get("style"))
        assert f"strokeColor={pen}" in style and f"fillColor={fill}" in style, style
    assert "FAIL" not in str(cells["vpc/week1/subnet/my-public-a/vpc/week1/security_group/web-sg"].get("value"))

"""The .html page from the commands that read an account: import and grade show AWS ids on click, diff and grade
list their findings beside the drawing (against a moto server)."""

from __future__ import annotations

from tests.deploy.test_diff import build_by_hand
from tests.deploy.test_grade import _grade, reviewer_and_admin  # noqa: F401 (a fixture)
from tests.deploy.test_read_only import enforcing  # noqa: F401 (a fixture reviewer_and_admin asks for)
from tests.render.test_page import assert_self_contained, page_data


def test_import_draws_a_page_with_aws_ids_and_diff_one_in_sync(cli, endpoint, boto, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    vpc_id = build_by_hand(boto)
    out, page = tmp_path / "imported.py", tmp_path / "imported.html"
    result = cli("import", "--region", "ap-northeast-2", "-o", out, "--png", page)
    assert result.code == 0, result.err
    text = page.read_text(encoding="utf-8")
    assert_self_contained(text)
    facts = page_data(text)["elements"].values()
    subnets = {f["address"]: f["aws_id"] for f in facts
               if "/subnet/" in f["address"] and f["title"].startswith("subnet")}
    assert subnets and all(aws_id.startswith("subnet-") for aws_id in subnets.values()), subnets
    assert {f["aws_id"] for f in facts if f["address"] == "vpc/week1"} == {vpc_id}  # the VPC's box

    drift = tmp_path / "drift.html"
    diffed = cli("diff", out, "--vpc-id", vpc_id, "-o", drift)
    assert diffed.code == 0, diffed.err
    assert page_data(drift.read_text(encoding="utf-8"))["findings"] == []  # in sync: the list says so


def test_grade_lists_its_fails_and_lights_the_groups_that_fail(cli, monkeypatch, reviewer_and_admin,  # noqa: F811
                                                               tmp_path):
    endpoint, reviewer, ec2 = reviewer_and_admin
    vpc_id = build_by_hand(ec2, skip_3306=True)  # the private tier does not take 3306 from the web tier
    graded = tmp_path / "graded.html"
    code, report, err = _grade(cli, monkeypatch, endpoint, reviewer, "--vpc-id", vpc_id, "-o", graded)
    assert code == 2, (report, err)
    text = graded.read_text(encoding="utf-8")
    assert_self_contained(text)
    data = page_data(text)
    (finding,) = data["findings"]
    assert finding["address"] == "vpc/week1/security_group/db-sg"
    assert "FAIL: 내부망: 외부망 3306 포트 오픈" in finding["text"]
    lit = [data["elements"][k] for k in finding["targets"]]
    assert len(lit) == 2 and {f["address"] for f in lit} == {"vpc/week1/security_group/db-sg"}  # in both subnets
    assert all(f["aws_id"].startswith("sg-") and f["title"].startswith("SG db-sg") for f in lit), lit

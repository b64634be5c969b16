"""The account that matters most: the assignment clicked together in the console, named in Korean.

Every read-side command on it, through the moto server over HTTP: import, check, diff, reach (cell by cell),
lint, grade and the drawings. They must agree with each other and with what the same commands say of the
assignment's own topology file.
"""

from __future__ import annotations

import html
import json
import re
import subprocess

import pytest

from tests.console import ADMIN_IP, build_console_assignment
from vpcdraw.deploy.diff import drift
from vpcdraw.deploy.translate import read_vpc
from vpcdraw.topology import load, validate

from ..render.test_drawio_roundtrip import canonical


@pytest.fixture
def aws(aws_env, monkeypatch):  # type: ignore[no-untyped-def]
    """The standard AWS configuration pointed at the moto server, in the course's region."""
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    return aws_env


@pytest.fixture
def console(boto):  # type: ignore[no-untyped-def]
    return build_console_assignment(boto)


def test_korean_names_become_labels_and_the_names_say_what_things_are(connect, console):
    reading = read_vpc(connect(), console.vpc, f"{ADMIN_IP}/32")
    vpc = reading.topology.vpcs[0]
    assert [(s.name, s.label, s.tier, s.az) for s in vpc.subnets] == [
        ("public-a", "외부망 A", "public", "a"), ("public-c", "외부망 C", "public", "c"),
        ("private-a", "내부망 A", "private", "a"), ("private-c", "내부망 C", "private", "c"),
        ("management", "관리망", "management", "a")]
    assert vpc.label == "과제 VPC" and vpc.name == "main"
    assert {g.name: (g.label, g.tier) for g in vpc.security_groups} == {
        "bastion-sg": ("관리망 보안그룹", "management"), "db-sg": ("내부망 보안그룹", "private"),
        "web-sg": ("외부망 보안그룹", "public")}
    bastion = vpc.security_group("bastion-sg")
    assert bastion is not None and [str(r.peer) for r in bastion.ingress] == ["my IP"]
    # the private subnets use the main table, which holds only the local route: no table is written
    assert [(t.name, t.subnets) for t in vpc.route_tables] == [("public", ("public-a", "public-c", "management"))]
    assert ("web-sg is taken to protect the public tier (its name, and tcp/8080 from anywhere); no network "
            "interface uses it yet") in reading.notes
    assert [p for p in validate(reading.topology) if p.severity == "error"] == []


def test_import_writes_a_file_that_checks_and_diffs_in_sync(cli, aws, console, tmp_path):
    target = tmp_path / "imported.py"
    result = cli("import", "--vpc-id", console.vpc, "-o", target, "--png", tmp_path / "imported.dot")
    assert result.code == 0, result.err
    text = target.read_text(encoding="utf-8")
    assert "from vpcdraw import TopologyBuilder" in text and "label='외부망 A'" in text
    assert cli("check", target).code == 0
    in_sync = cli("diff", target, "--vpc-id", console.vpc, "--json")
    assert in_sync.code == 0, in_sync.out
    assert json.loads(in_sync.out)["in_sync"] is True
    dot = (tmp_path / "imported.dot").read_text(encoding="utf-8")
    for group in ("web-sg", "db-sg", "bastion-sg"):  # the groups are boxes, as in the assignment's drawing
        assert f"SG {group}" in dot
    assert "tcp/8080" in dot and "tcp/3306" in dot
    assert dot.index("Availability Zone ap-northeast-2a") < dot.index("Availability Zone ap-northeast-2c")


def test_the_assignment_file_is_in_sync_with_the_private_subnets_on_the_main_table(connect, console, assignment):
    found = drift(connect(), assignment, f"{ADMIN_IP}/32", console.vpc)
    assert found.in_sync, found.to_json()
    assert any("route table private holds only the local route" in n for n in found.notes)


def test_a_private_table_of_their_own_is_in_sync_too(connect, boto, assignment):
    built = build_console_assignment(boto, private_table=True)
    assert drift(connect(), assignment, f"{ADMIN_IP}/32", built.vpc).in_sync


REACH = [  # (FROM, TO, PORT, exit code, words the answer must hold)
    ("internet", "public", "8080", 0, "SG web-sg allows tcp/8080 from 0.0.0.0/0"),
    ("internet", "private", "3306", 2, "blocked: route table main has no route to 0.0.0.0/0"),
    ("internet", "management", "22", 2, "blocked: SG bastion-sg allows tcp/22 only from my IP"),
    ("my-ip", "management", "22", 0, "SG bastion-sg allows tcp/22 from my IP"),
    ("management", "private", "22", 0, "SG db-sg allows tcp/22 from SG bastion-sg"),
    ("public", "private", "3306", 0, "SG db-sg allows tcp/3306 from SG web-sg"),
    ("public", "private", "22", 2, "allows tcp/22 only from SG bastion-sg"),
]


@pytest.mark.parametrize(("source", "target", "port", "code", "words"), REACH)
def test_reach_answers_cell_by_cell_as_on_the_file(cli, aws, console, example_file, source, target, port, code,
                                                   words):
    live = cli("reach", "--vpc-id", console.vpc, source, target, port, "--my-ip", ADMIN_IP, "--region",
               "ap-northeast-2")
    assert live.code == code, live.out + live.err
    assert words in live.out
    drawn = cli("reach", example_file("assignment"), source, target, port, "--my-ip", ADMIN_IP)
    assert drawn.code == code  # the drawing and the account it describes agree


def test_ssh_from_anywhere_on_the_bastion_is_reachable_and_linted(cli, aws, boto, connect, assignment):
    built = build_console_assignment(boto, open_bastion_ssh=True)
    reached = cli("reach", "--vpc-id", built.vpc, "internet", "management", "22", "--region", "ap-northeast-2")
    assert reached.code == 0, reached.out + reached.err
    assert "SG bastion-sg allows tcp/22 from 0.0.0.0/0" in reached.out
    linted = cli("lint", "--vpc-id", built.vpc, "--region", "ap-northeast-2", "--json")
    findings = json.loads(linted.out)["findings"]
    assert linted.code == 2
    assert [(f["rule"], f["address"]) for f in findings if f["severity"] == "high"] == [
        ("VD001", "vpc/main/security_group/bastion-sg")]
    assert not [f for f in findings if f["rule"] == "VD011"]  # every group protects its tier
    graded = cli("grade", "--vpc-id", built.vpc, "--my-ip", ADMIN_IP, "--region", "ap-northeast-2", "--json")
    failed = [i["id"] for i in json.loads(graded.out)["items"] if not i["passed"]]
    assert graded.code == 2 and failed == ["management-22"]
    found = drift(connect(), assignment, f"{ADMIN_IP}/32", built.vpc)
    assert [i.detail for i in found.unmanaged] == ["tcp/22 from 0.0.0.0/0 on SG management"]


def test_grade_passes_the_console_assignment_and_draws_fails_only_where_they_are(cli, aws, console, tmp_path):
    graded = cli("grade", "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "--region", "ap-northeast-2", "--json")
    report = json.loads(graded.out)
    assert graded.code == 0, [i for i in report["items"] if not i["passed"]]
    assert (report["passed"], report["total"]) == (11, 11)


def test_with_instances_the_groups_protect_where_their_interfaces_are(connect, boto, cli, aws, tmp_path):
    built = build_console_assignment(boto, instances=True)
    reading = read_vpc(connect(), built.vpc)
    vpc = reading.topology.vpcs[0]
    assert sorted((i.name, i.label, i.subnet, i.security_groups) for i in vpc.instances) == [
        ("management-host", "배스천", "management", ("bastion-sg",)),
        ("private-a-host", "DB 서버", "private-a", ("db-sg",)),
        ("public-a-host", "웹서버 A", "public-a", ("web-sg",)),
        ("public-c-host", "웹서버 C", "public-c", ("web-sg",))]
    web = vpc.security_group("web-sg")
    assert web is not None and web.subnets == ("public-a", "public-c") and web.tier is None
    target = tmp_path / "imported.py"
    assert cli("import", "--vpc-id", built.vpc, "-o", target).code == 0
    assert drift(connect(), load(target), None, built.vpc).in_sync
    reached = cli("reach", "--vpc-id", built.vpc, "internet", "웹서버 A", "8080", "--region", "ap-northeast-2")
    assert reached.code == 1 and "names nothing" in reached.err  # hosts are named in ASCII; the label is Korean
    reached = cli("reach", "--vpc-id", built.vpc, "internet", "public-a-host", "8080", "--region", "ap-northeast-2")
    assert "SG web-sg allows tcp/8080 from 0.0.0.0/0" in reached.out


def test_the_drawing_of_the_import_shows_groups_edges_and_the_admin(cli, aws, console, tmp_path):
    svg = tmp_path / "imported.svg"
    assert cli("import", "--vpc-id", console.vpc, "--my-ip", ADMIN_IP, "-o", tmp_path / "i.py", "--png", svg).code == 0
    text = html.unescape(svg.read_text(encoding="utf-8"))
    assert "외부망 A" in text and "SG bastion-sg" in text
    assert re.search(r"my IP|203\.0\.113|198\.51\.100\.77", text)
    done = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False)
    assert done.returncode == 0  # Graphviz drew it: the drawing is real


def test_import_then_adopt_takes_the_console_vpc_over_with_tags_only(cli, aws, boto, tmp_path):
    built = build_console_assignment(boto, instances=True)
    other = build_console_assignment(boto)  # a classmate's copy in the same account: never touched
    before_other = boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [other.vpc]}])["Subnets"]
    target = tmp_path / "imported.py"
    assert cli("import", "--vpc-id", built.vpc, "--my-ip", ADMIN_IP, "-o", target).code == 0
    planned = cli("plan", target, "--adopt", "--vpc-id", built.vpc, "--my-ip", ADMIN_IP, "--json")
    assert planned.code == 0, planned.err
    actions = json.loads(planned.out)["actions"]
    assert {a["op"] for a in actions} == {"adopt"}  # nothing to create, update, delete or replace
    assert sorted(a["id"] for a in actions) == sorted([built.vpc, built.internet_gateway, built.public_table,
                                                      *built.subnets.values(), *built.groups.values(),
                                                      *built.instances.values()])
    assert cli("apply", target, "--adopt", "--vpc-id", built.vpc, "--my-ip", ADMIN_IP, "--yes").code == 0
    names = {t["Value"] for s in boto.describe_subnets(SubnetIds=list(built.subnets.values()))["Subnets"]
             for t in s["Tags"] if t["Key"] == "Name"}
    assert names == set(built.subnets)  # their Korean Name tags stay as they were
    again = cli("plan", target, "--my-ip", ADMIN_IP, "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "no changes" in again.out
    assert cli("destroy", target, "--yes").code == 0
    assert boto.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [built.vpc]}])["Vpcs"] == []
    assert boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [other.vpc]}])["Subnets"] == before_other


def test_import_drawio_gives_a_drawing_that_is_the_console_vpc(cli, aws, console, tmp_path):
    """A VPC clicked together in the console, imported to a draw.io file: the drawing builds the same topology
    as the imported file, and diffing it against the account finds nothing to do."""
    target, drawing = tmp_path / "imported.py", tmp_path / "week1.drawio"
    result = cli("import", "--vpc-id", console.vpc, "-o", target, "--drawio", drawing)
    assert result.code == 0, result.err
    from_drawing, from_file = load(drawing, allow_code=False), load(target)
    assert canonical(from_drawing) == canonical(from_file)
    in_sync = cli("diff", drawing, "--vpc-id", console.vpc, "--json")
    assert in_sync.code == 0, in_sync.out


def test_import_drawio_refuses_another_kind_of_file_before_any_call(cli, tmp_path):
    done = cli("import", "--vpc-id", "vpc-1", "--drawio", tmp_path / "week1.png")
    assert done.code == 1, done.err
    wrong = tmp_path / "week1.png"
    assert done.err == f"vpcdraw: error: --drawio writes a .drawio, .drawio.png or .drawio.svg file, not {wrong}\n"

"""grade --roster: a class of moto accounts graded in one run into grades.csv, grades.json, drawings and a gallery.

Each student has an account of their own: moto picks the account of a request by its access key, and an assumed
role's keys belong to the role's account, so assuming arn:aws:iam::<account>:role/... gives that account.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import boto3
import pytest

from tests.deploy.test_diff import build_by_hand
from tests.render.test_gallery import chromium, chromium_check
from tests.servers import start_moto
from tests.vpcdraw.test_post import TOKEN, TS, FakeSlack, fake_slack
from vpcdraw.cli import main
from vpcdraw.deploy.roster import parse_roster

REGION = "ap-northeast-2"
SCRIPT_NAME = '<script>alert("x")</script> 이서연의 VPC'
KOREAN = {"public-a": "외부망 A", "public-c": "외부망 C", "private-a": "내부망 A", "private-c": "내부망 C",
          "management": "관리망"}
# student: (account, how the VPC is built, or None for none)
CLASS = {"김민준": ("111111111111", {}), "lee": ("222222222222", {"skip_3306": True}),
         "park": ("333333333333", {"zone_of": {"public-c": "a"}}), "jung": ("555555555555", None)}


def _account_keys(endpoint: str, account: str) -> dict[str, str]:
    """Credentials in `account` of the moto server: the keys of a role assumed there."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    given = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    return {"aws_access_key_id": given["AccessKeyId"], "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"]}


def _build(endpoint: str, keys: dict[str, str], student: str, variant: dict[str, object]) -> str:
    """The student's VPC, built by hand with plain boto3, with Korean Name tags."""
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint, **keys)
    vpc_id = build_by_hand(ec2, **variant)
    name = SCRIPT_NAME if student == "lee" else f"{student}의 1주차 VPC"
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": name}])
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        english = next(t["Value"] for t in subnet["Tags"] if t["Key"] == "Name").removeprefix("my ")
        ec2.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "Name", "Value": KOREAN[english]}])
    return vpc_id


@dataclass
class Graded:
    """One `grade --roster` run over the class: what it printed and returned, and where it wrote."""

    code: int
    out: str
    err: str
    folder: Path
    vpcs: dict[str, str | None]
    slack: FakeSlack


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Iterator[Graded]:
    """Five students graded once for this module's tests: correct (a role to assume, with an external id), missing
    3306 (a <script> Name tag), wrong AZ (region and vpc_id given), no VPC at all, and no access (a profile whose
    user has no permission, on a moto server that enforces IAM)."""
    tmp = tmp_path_factory.mktemp("class")
    server, endpoint = start_moto()
    locked, locked_endpoint = start_moto(environment={"INITIAL_NO_AUTH_ACTION_COUNT": "2"})  # two free calls
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL"):
                patch.delenv(name, raising=False)
            patch.setenv("AWS_ACCESS_KEY_ID", "reviewer")  # the reviewer's own credentials, in moto's default account
            patch.setenv("AWS_SECRET_ACCESS_KEY", "reviewer")
            vpcs = _set_up(tmp, endpoint, locked_endpoint, patch)
            channel = fake_slack(patch)
            slack = next(channel)
            patch.setenv("SLACK_API_URL", f"{slack.url}/api/")
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["grade", "--roster", str(tmp / "roster.csv"), "-o", str(tmp / "class"),
                             "--post", "#class-aws"])
            yield Graded(code, out.getvalue(), err.getvalue(), tmp / "class", vpcs, slack)
            channel.close()
    finally:
        for process in (server, locked):
            process.kill()
            process.wait()


def _set_up(tmp: Path, endpoint: str, locked_endpoint: str, patch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """The students' accounts and VPCs, the reviewer's ~/.aws/config and credentials, and the roster."""
    config, credentials = ["[default]", f"region = {REGION}", f"endpoint_url = {endpoint}"], []
    vpcs = {}
    for student, (account, variant) in CLASS.items():
        keys = _account_keys(endpoint, account)
        vpcs[student] = _build(endpoint, keys, student, variant) if variant is not None else None
        config += [f"[profile {account}]", f"region = {REGION}", f"endpoint_url = {endpoint}"]
        credentials += [f"[{account}]", *(f"{k} = {v}" for k, v in keys.items())]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=locked_endpoint, aws_access_key_id="setup",
                       aws_secret_access_key="setup")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    config += ["[profile choi]", f"region = {REGION}", f"endpoint_url = {locked_endpoint}"]
    credentials += ["[choi]", f"aws_access_key_id = {key['AccessKeyId']}",
                    f"aws_secret_access_key = {key['SecretAccessKey']}"]
    (tmp / "config").write_text("\n".join(config) + "\n", encoding="utf-8")
    (tmp / "credentials").write_text("\n".join(credentials) + "\n", encoding="utf-8")
    patch.setenv("AWS_CONFIG_FILE", str(tmp / "config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "credentials"))
    (tmp / "roster.csv").write_text("student,role_arn,external_id,profile,region,vpc_id\n"
                                    "김민준,arn:aws:iam::111111111111:role/vpcdraw-reviewer,course-2026,,,\n"
                                    "lee,,,222222222222,,\n"
                                    f"park,,,333333333333,{REGION},{vpcs['park']}\n"
                                    "jung,,,555555555555,,\n"
                                    "choi,,,choi,,\n", encoding="utf-8")
    return vpcs


def test_a_class_is_graded_in_one_run(graded):
    out, vpcs = graded.folder, graded.vpcs
    assert graded.code == 1, graded.err  # some accounts could not be graded
    progress = [line for line in graded.err.splitlines() if line.startswith("graded ")]
    assert len(progress) == 5 and re.fullmatch(r"graded 5/5: \S+ \(.+\)", progress[-1])
    assert "graded 1/5" not in graded.out and re.search(r"^lee +10/11 +private-3306$", graded.out, re.M), graded.out

    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [(r["student"], r["account"], r["vpc_id"], r["score"]) for r in rows] == [
        ("choi", "", "", ""), ("jung", "", "", ""), ("lee", "222222222222", vpcs["lee"], "10/11"),
        ("park", "333333333333", vpcs["park"], "10/11"), ("김민준", "111111111111", vpcs["김민준"], "11/11")]
    failed = {r["student"]: sorted(k for k, v in r.items() if v == "fail") for r in rows}
    assert failed == {"choi": [], "jung": [], "lee": ["private-3306"], "park": ["public-subnets"], "김민준": []}
    assert rows[2]["route-tables"] == "pass" and rows[0]["route-tables"] == ""
    assert "not authorized to perform: ec2:DescribeVpcs" in rows[0]["error"]
    assert rows[1]["error"].endswith(  # the roster's words, not the options of a single grade
        "has no VPC besides the default one; give the row a vpc_id or another region in the row")
    assert [r["error"] for r in rows[2:]] == ["", "", ""]

    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    students = {s["student"]: s for s in document["students"]}
    assert students["lee"]["vpc_name"] == SCRIPT_NAME
    evidence = [i["evidence"] for i in students["park"]["items"] if not i["passed"]]
    assert len(evidence) == 1 and "ap-northeast-2a" in evidence[0]
    assert students["choi"]["items"] == [] and students["choi"]["passed"] is None
    assert document["all_passed"] is False

    for student in ("김민준", "lee", "park"):
        assert (out / f"{student}.png").read_bytes()[:4] == b"\x89PNG"
    assert not (out / "choi.png").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    cards = _cards(page)
    assert [c["student"] for c in cards] == ["choi", "jung", "lee", "park", "김민준"]
    assert [c["verdict"] for c in cards] == ["error", "error", "fail", "fail", "pass"]
    assert [c["images"] for c in cards] == [0, 0, 1, 1, 1]
    lee = cards[2]
    assert SCRIPT_NAME in lee["text"] and "<script" not in page  # escaped: shown as text, never run
    words = next(i for i in students["lee"]["items"] if i["id"] == "private-3306")
    assert words["ko"] in lee["text"] and words["en"] in lee["text"]
    assert "not authorized to perform" in cards[0]["text"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # self-contained: nothing from the network


def test_the_scores_go_to_the_class_channel_with_the_drawings_in_their_thread(graded):
    """`--post`: the table as the message (chat.postMessage), then each graded drawing uploaded into its thread
    through Slack's upload flow; the token appears in no output."""
    calls = graded.slack.methods
    assert calls[:2] == ["conversations.list", "chat.postMessage"]
    assert calls[2:].count("files.getUploadURLExternal") == 3 and calls[2:].count("upload") == 3
    assert calls[-1] == "files.completeUploadExternal"
    message = graded.slack.call("chat.postMessage").fields["text"]
    assert "김민준" in message and "11/11" in message and "5 students: 1 passed everything" in message
    completed = graded.slack.call("files.completeUploadExternal").fields
    assert completed["thread_ts"] == TS
    assert sorted(f["title"] for f in json.loads(completed["files"])) == ["lee.png", "park.png", "김민준.png"]
    uploaded = [c.body for c in graded.slack.calls if c.method == "upload"]
    assert sorted(uploaded) == sorted((graded.folder / f"{n}.png").read_bytes() for n in ("lee", "park", "김민준"))
    assert TOKEN not in graded.out + graded.err
    assert "posted the scores to #class-aws" in graded.err


def test_the_gallery_renders_in_chromium(graded, tmp_path):
    """The page as a browser shows it: one card per student, coloured by verdict, on a laptop-wide window."""
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium (chromium, chromium-headless-shell or chromium-browser) on PATH; "
                    "scripts/system-deps.sh installs Debian's chromium-headless-shell")
    chromium_check(browser, graded.folder / "index.html", tmp_path / "shot.png",
                   cards=5, verdicts={"pass": 1, "fail": 2, "error": 2})


def test_a_bad_roster_is_refused_whole_before_any_call(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail differently
    roster = tmp_path / "roster.csv"
    roster.write_text("student,role_arn,external_id,profile,region,vpc_id\n"
                      "kim,,,kim,,\n"
                      "kim,,,kim2,,\n"
                      "../etc,,,x,,\n"
                      "a\tb,,,x,,\n"
                      "nobody,,,,,\n"
                      "both,arn:aws:iam::111111111111:role/r,,p,,\n"
                      "arn,arn:aws:iam::1:role/r,,,,\n"
                      "에이,,,x,seoul,vpc-zz\n", encoding="utf-8")
    result = cli("grade", "--roster", roster, "-o", tmp_path / "class")
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[-1] == f"vpcdraw: error: {roster} has 8 problems; no account was read"
    assert [line.split(":")[0].strip() for line in lines[:-1]] == [
        "line 3", "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 9"]
    assert "also on line 2" in lines[0] and "'/' or '..'" in lines[1] and "control character" in lines[2]
    assert not (tmp_path / "class").exists()


@pytest.mark.parametrize(("text", "problem"), [
    ("", "the roster is empty"),
    ("student,profile,vpcid\nkim,kim,vpc-1\n", "unknown column 'vpcid'"),
    ("student,region\nkim,ap-northeast-2\n", "a role_arn or profile column"),
    ("student,profile\n", "no students"),
    ("student,profile\nkim,kim,extra\n", "line 2: 3 fields where the header has 2 columns"),
    ("student,profile,external_id\nkim,kim,abc\n", "line 2: an external_id goes with a role_arn"),
])
def test_each_roster_problem_is_one_sentence(text, problem):
    _, problems = parse_roster(text)
    assert len(problems) == 1 and problem in problems[0], problems


def test_korean_names_and_spreadsheet_exports_are_read():
    students, problems = parse_roster("\ufeffStudent,Profile,Region\n 김민준 , kim ,\n\n이서연,lee,ap-northeast-2\n")
    assert problems == []
    assert [(s.name, s.profile, s.region, s.line) for s in students] == [
        ("김민준", "kim", None, 2), ("이서연", "lee", "ap-northeast-2", 4)]


def _cards(page: str) -> list[dict[str, object]]:
    """The cards of the gallery: student, verdict class, images, and the card's text."""

    class Cards(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.cards: list[dict[str, object]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "section" and "card" in (found.get("class") or "").split():
                verdict = (found.get("class") or "").split()[-1]
                self.cards.append({"student": found["data-student"], "verdict": verdict, "images": 0, "text": ""})
            elif tag == "img" and self.cards:
                self.cards[-1]["images"] = int(self.cards[-1]["images"]) + 1
                assert str(found["src"]).startswith("data:image/png;base64,")

        def handle_data(self, data: str) -> None:
            if self.cards:
                self.cards[-1]["text"] = f"{self.cards[-1]['text']}{data}"

    parser = Cards()
    parser.feed(page)
    return parser.cards


def test_cards_parser_reads_what_the_gallery_writes():
    from vpcdraw.render.gallery import Card, gallery

    cards = _cards(gallery([Card("b", score=(1, 1)), Card("a", error="no")], "t"))
    assert [(c["student"], c["verdict"], c["images"], " ".join(str(c["text"]).split())) for c in cards] == [
        ("a", "error", 0, "a not graded no"), ("b", "pass", 0, "b 1/1 모든 요구 사항 통과 / every requirement passed")]


def test_one_failing_account_does_not_stop_the_rest_and_a_bug_stays_a_bug():
    from vpcdraw.deploy.roster import grade_roster
    from vpcdraw.topology.analysis.grade import load_rubric
    from vpcdraw.topology.errors import VpcdrawError

    def connect(student):
        if student.name == "denied":
            raise VpcdrawError("AssumeRole failed: AccessDenied: not allowed")
        raise KeyError("Vpcs")  # stands in for a bug in vpcdraw

    students, _ = parse_roster("student,profile\ndenied,a\nbuggy,b\n")
    seen = []
    results = grade_roster(students, load_rubric(None), connect, parallelism=2,
                           progress=lambda result, done, total: seen.append((done, total)))
    assert sorted(seen) == [(1, 2), (2, 2)]
    assert [(r.student.name, r.error, type(r.bug).__name__) for r in results] == [
        ("buggy", "internal error (KeyError: 'Vpcs'); a bug in vpcdraw", "KeyError"),
        ("denied", "AssumeRole failed: AccessDenied: not allowed", "NoneType")]


def test_a_class_on_the_local_aws_as_the_course_tries_it(cli, tmp_path, monkeypatch, example_file):
    """The whole flow on vpcdraw's own local AWS: the student's `account reviewer` prints the role ARN; the
    reviewer writes it into the roster and grades the class with --local. Before, --roster refused --local."""
    import socket

    from vpcdraw.deploy import local

    monkeypatch.setenv(local.STATE_VARIABLE, str(tmp_path / "state"))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert cli("local", "start", "--port", str(port)).code == 0
    try:
        assert cli("apply", example_file("assignment"), "--local", "--my-ip", "203.0.113.10").code == 0
        made = cli("account", "reviewer", "--local", "--trust-account", "111111111111", "--external-id", "c-2026")
        role = next(line.split(": ", 1)[1] for line in made.out.splitlines() if line.startswith("role for the"))
        roster = tmp_path / "roster.csv"
        roster.write_text(f"student,role_arn,external_id\nkim,{role},c-2026\n", encoding="utf-8")
        graded = cli("grade", "--roster", roster, "-o", tmp_path / "class", "--local")
        assert graded.code == 0, graded.err
        assert "1 student: 1 passed everything" in graded.out
        assert (tmp_path / "class" / "kim.png").is_file() and (tmp_path / "class" / "index.html").is_file()
    finally:
        cli("local", "stop")

"""Rubrics: the shipped one reads into its types, and a bad rubric file is one sentence and exit 1, with no AWS call."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from vpcdraw.topology.analysis.grade import (
    InternetGatewayRequirement,
    RoutesRequirement,
    Rubric,
    RuleRequirement,
    SubnetsRequirement,
    VpcPrefixRequirement,
    grade,
    load_rubric,
)
from vpcdraw.topology.errors import VpcdrawError

SHIPPED = json.loads(resources.files("vpcdraw.topology.analysis").joinpath("rubrics/week1.json").read_text("utf-8"))


def test_the_shipped_rubric_reads_into_one_type_per_check():
    rubric = load_rubric()
    assert isinstance(rubric, Rubric) and rubric.name == SHIPPED["name"]
    assert [type(r) for r in rubric.requirements] == [
        VpcPrefixRequirement, SubnetsRequirement, SubnetsRequirement, SubnetsRequirement, InternetGatewayRequirement,
        RoutesRequirement, RuleRequirement, RuleRequirement, RuleRequirement, RuleRequirement, RuleRequirement]
    assert rubric.requirements[0] == VpcPrefixRequirement(
        id="vpc-16", ko="VPC 생성: CIDR은 B class(x.x.x.x/16)로 생성", en="The VPC is a /16", prefix=16)
    public, _, management = rubric.requirements[1:4]
    assert (public.role, public.count, public.prefix, public.distinct_zones) == ("public", 2, 24, True)
    assert (management.role, management.distinct_zones) == ("management", False)
    routes = rubric.requirements[5]
    assert (routes.public, routes.private) == (("public", "management"), ("private",))
    last = rubric.requirements[-1]
    assert (last.id, last.group, last.port, last.source) == ("management-22", "management", "tcp/22", "my_ip")


def test_the_shipped_rubric_reads_the_same_from_its_file(tmp_path):
    path = tmp_path / "week1.json"
    path.write_text(json.dumps(SHIPPED, ensure_ascii=False), encoding="utf-8")
    assert load_rubric(path) == load_rubric()


def test_distinct_zones_may_be_left_out(tmp_path):
    path = _rubric_file(tmp_path, _changed(1, distinct_zones=None))
    assert load_rubric(path).requirements[1].distinct_zones is False  # type: ignore[union-attr]


def test_the_assignment_example_passes_the_shipped_rubric(assignment):
    result = grade(assignment, load_rubric())
    assert result.score == (11, 11)
    assert [i.id for i in result.items] == [r["id"] for r in SHIPPED["requirements"]]


def test_a_rubric_built_in_python_grades_by_its_types(assignment):
    rubric = Rubric("stricter", (
        SubnetsRequirement(id="three-public", role="public", count=3, prefix=24),
        RuleRequirement(id="private-5432", group="private", port="tcp/5432", source="public"),
        InternetGatewayRequirement(id="igw", ko="IGW", en="An IGW"),
    ))
    result = grade(assignment, rubric)
    assert result.to_json()["rubric"] == "stricter"
    assert [(i.id, i.passed) for i in result.items] == [("three-public", False), ("private-5432", False), ("igw", True)]
    assert result.items[0].evidence.endswith("found 2 public subnet(s), need 3")
    assert result.items[1].evidence.endswith("; needs tcp/5432 from public")
    assert (result.items[2].ko, result.items[2].en) == ("IGW", "An IGW")


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in AWS endpoint that writes down every request and refuses it (400, so nothing retries)."""

    requests: list[str]

    def _refuse(self) -> None:
        self.requests.append(f"{self.command} {self.path}")
        body = (b"<Response><Errors><Error><Code>AuthFailure</Code><Message>recorded, not answered</Message>"
                b"</Error></Errors></Response>")
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The AWS configuration pointed at a local recorder; yields the requests that reached it."""
    requests: list[str] = []
    server = HTTPServer(("127.0.0.1", 0), type("Recorder", (_Recorder,), {"requests": requests}))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL", "VPCDRAW_MY_IP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    yield requests
    server.shutdown()
    server.server_close()


def _changed(position: int, **fields: Any) -> dict[str, Any]:
    """The shipped rubric with one requirement's fields set (None: removed); the JSON key `from` is `from_`."""
    rubric = copy.deepcopy(SHIPPED)
    line = rubric["requirements"][position]
    for key, value in fields.items():
        key = key.rstrip("_")
        if value is None:
            del line[key]
        else:
            line[key] = value
    return rubric


def _rubric_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "rubric.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), "utf-8")
    return path


def _duplicate_id() -> dict[str, Any]:
    rubric = copy.deepcopy(SHIPPED)
    rubric["requirements"][3]["id"] = "vpc-16"
    return rubric


BAD: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    # what the file holds, and what the sentence must name besides the file
    "not JSON": (lambda: '{"requirements": [', ("is not JSON",)),
    "not an object": (lambda: [SHIPPED], ("needs to be a JSON object",)),
    "no requirements": (lambda: {"name": "week 1"}, ("no 'requirements' list",)),
    "empty requirements": (lambda: {"requirements": []}, ("'requirements' []",)),
    "requirements not a list": (lambda: {"requirements": SHIPPED["requirements"][0]}, ("'requirements'",)),
    "unknown rubric field": (lambda: {**SHIPPED, "requirement": []}, ("'requirement'",)),
    "a requirement not an object": (lambda: {"requirements": ["vpc-16"]}, ("requirement 1", "JSON object")),
    "no id": (lambda: _changed(2, id=None), ("requirement 3", "'id'")),
    "id not a string": (lambda: _changed(2, id=3), ("requirement 3", "'id' 3")),
    "duplicate id": (_duplicate_id, ("requirement 4", "'id' \"vpc-16\"", "requirement 1")),
    "no check": (lambda: _changed(0, check=None), ("requirement 'vpc-16'", "'check'")),
    "unknown check": (lambda: _changed(0, check="nat_gateway"), ("requirement 'vpc-16'", "'check' \"nat_gateway\"")),
    "vpc_prefix without prefix": (lambda: _changed(0, prefix=None), ("requirement 'vpc-16'", "'prefix'")),
    "prefix a string": (lambda: _changed(0, prefix="16"), ("requirement 'vpc-16'", "'prefix' \"16\"")),
    "prefix past /32": (lambda: _changed(0, prefix=40), ("requirement 'vpc-16'", "'prefix' 40")),
    "subnets without count": (lambda: _changed(1, count=None), ("requirement 'public-subnets'", "'count'")),
    "count a flag": (lambda: _changed(1, count=True), ("requirement 'public-subnets'", "'count' true")),
    "distinct_zones a string": (lambda: _changed(1, distinct_zones="yes"),
                                ("requirement 'public-subnets'", "'distinct_zones' \"yes\"")),
    "unknown subnet role": (lambda: _changed(1, role="web"), ("requirement 'public-subnets'", "'role' \"web\"")),
    "misspelt field": (lambda: _changed(1, distinct_zone=True), ("requirement 'public-subnets'", "'distinct_zone'")),
    "routes without private": (lambda: _changed(5, private=None), ("requirement 'route-tables'", "'private'")),
    "routes public not a list": (lambda: _changed(5, public="public"),
                                 ("requirement 'route-tables'", "'public' \"public\"")),
    "unknown routes tier": (lambda: _changed(5, private=["private", "dmz"]),
                            ("requirement 'route-tables'", "'private' [\"private\", \"dmz\"]")),
    "rule without port": (lambda: _changed(6, port=None), ("requirement 'public-8080'", "'port'")),
    "port a number": (lambda: _changed(6, port=8080), ("requirement 'public-8080'", "'port' 8080")),
    "port parse_ports refuses": (lambda: _changed(6, port="tcp/http"),
                                 ("requirement 'public-8080'", "'port' \"tcp/http\"", "not a port or range")),
    "port with no protocol": (lambda: _changed(6, port="ssh/22"),
                              ("requirement 'public-8080'", "'port' \"ssh/22\"", "names no known protocol")),
    "rule without from": (lambda: _changed(7, from_=None), ("requirement 'public-22'", "'from'")),
    "unknown rule source": (lambda: _changed(7, from_="internet"), ("requirement 'public-22'", "'from' \"internet\"")),
    "unknown rule group": (lambda: _changed(7, group="db"), ("requirement 'public-22'", "'group' \"db\"")),
    "ko not a string": (lambda: _changed(7, ko=["관리망"]), ("requirement 'public-22'", "'ko'")),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_rubric_is_one_sentence_and_exit_1_before_any_aws_call(cli, aws_calls, tmp_path, case):
    content, named = BAD[case]
    path = _rubric_file(tmp_path, content())
    result = cli("grade", "--region", "ap-northeast-2", "--rubric", path)
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(f"vpcdraw: error: the rubric {path}") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err and ". " not in result.err, result.err
    for words in named:
        assert words in result.err, result.err
    assert aws_calls == []
    with pytest.raises(VpcdrawError):
        load_rubric(path)


def test_a_rubric_that_cannot_be_read_is_one_sentence(cli, aws_calls, tmp_path):
    result = cli("grade", "--region", "ap-northeast-2", "--rubric", tmp_path / "missing.json", "--json")
    assert (result.code, result.out) == (1, "")
    missing = tmp_path / "missing.json"
    assert result.err == f"vpcdraw: error: cannot read the rubric {missing} (No such file or directory)\n"
    assert aws_calls == []


def test_a_good_rubric_does_reach_aws(cli, aws_calls, tmp_path):
    """The control for the tests above: with a rubric that reads, grade goes on to ask AWS, and the recorder sees it."""
    result = cli("grade", "--region", "ap-northeast-2", "--rubric", _rubric_file(tmp_path, SHIPPED))
    assert result.code == 1 and "rubric" not in result.err, result.err
    assert aws_calls

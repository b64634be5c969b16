"""Validation closes the gaps apply falls into: each input AWS refuses (or a file that misbehaves while it loads)
gets one sentence and a non-zero exit from `check`, before any AWS call, never a traceback or a hang."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vpcdraw.topology.serialize import to_dict

HEAD = "from vpcdraw import TopologyBuilder, anywhere, cidr\nt = TopologyBuilder('gaps', region='ap-northeast-2')\n"
SMALL = (HEAD + "vpc = t.vpc('main', '10.0.0.0/16')\n"
         "vpc.subnet('mgmt', '10.0.9.0/24', az='a', tier='management')\n"
         "vpc.internet_gateway('igw')\n"
         "vpc.route_table('public', subnets=['mgmt']).route('0.0.0.0/0', internet_gateway='igw')\n")


class Listener:
    """An AWS endpoint no request may reach: it counts connections and refuses each at once (HTTP 403, which
    botocore does not retry)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.socket.close()


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Listener]:
    """The standard AWS configuration pointed at a counting listener, with nothing of this machine's leaking in."""
    listener = Listener()
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL", "VPCDRAW_MY_IP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ENDPOINT_URL", listener.url), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_CONFIG_FILE", str(tmp_path / "none")),
                        ("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))):
        monkeypatch.setenv(name, value)
    yield listener
    listener.close()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one_problem(result, file: Path, *parts: str) -> str:  # type: ignore[no-untyped-def]
    """The one problem line `check` printed, after asserting the shape of the whole answer."""
    assert result.code == 1, result.out
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines[-1] == f"vpcdraw: error: {file} has 1 problem; nothing was drawn or changed", result.err
    assert len(lines) == 2, result.err
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def _vpcdraw(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real command line in its own process, as a user's shell does."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "vpcdraw", *map(str, args)], capture_output=True, text=True,
                          env=environment, timeout=timeout, check=False)


# CIDRs are canonical: what Python's ipaddress reads but AWS refuses is refused by check.

@pytest.mark.parametrize(("place", "text", "where", "written", "meant"), [
    ("vpc", SMALL.replace("'10.0.0.0/16'", "'10.0.0.0/016'"), "vpc/main: VPC CIDR", "10.0.0.0/016", "10.0.0.0/16"),
    ("subnet", SMALL.replace("'10.0.9.0/24'", "'10.0.9.0/255.255.255.0'"), "vpc/main/subnet/mgmt: subnet CIDR",
     "10.0.9.0/255.255.255.0", "10.0.9.0/24"),
    ("subnet octet", SMALL.replace("'10.0.9.0/24'", "'10.0.09.0/24'"), "vpc/main/subnet/mgmt: subnet CIDR",
     "10.0.09.0/24", "10.0.9.0/24"),
    ("rule peer", SMALL + "vpc.security_group('ssh', 'ssh', tier='management').ingress('tcp/22', cidr('0.0.0.0/00'), "
     "'admins')\n", "vpc/main/security_group/ssh: ingress rule tcp/22 from 0.0.0.0/00: CIDR", "0.0.0.0/00",
     "0.0.0.0/0"),
    ("network ACL entry", SMALL + "vpc.network_acl('acl', subnets=['mgmt']).inbound(100, 'tcp/22', ' 10.0.0.0/16')\n",
     "vpc/main/network_acl/acl: inbound entry 100: CIDR", " 10.0.0.0/16", "10.0.0.0/16"),
    ("route", SMALL.replace("route('0.0.0.0/0'", "route('0.0.0.0/00'"), "vpc/main/route_table/public: route "
     "destination", "0.0.0.0/00", "0.0.0.0/0"),
])
def test_a_cidr_aws_would_refuse_is_one_sentence_naming_it_and_where(cli, tmp_path, place, text, where, written,
                                                                       meant):
    file = _write(tmp_path, "cidr.py", text + "topology = t.build()\n")
    line = _one_problem(cli("check", file), file, where, f"'{written}'", f"did you mean '{meant}'?")
    assert line.endswith("[InvalidParameterValue]")


def test_apply_of_a_non_canonical_cidr_makes_no_call(cli, tmp_path, no_aws):
    file = _write(tmp_path, "cidr.py", SMALL.replace("'10.0.0.0/16'", "'10.0.0.0/016'") + "topology = t.build()\n")
    result = cli("apply", file, "--yes")
    assert result.code == 1
    assert "VPC CIDR '10.0.0.0/016' is not written as AWS writes a CIDR block" in result.err
    assert no_aws.connections == 0


# Coverage, not string equality: two halves of the internet are the internet.

HALVES = (SMALL + "vpc.security_group('bastion', 'bastion', tier='management')"
          ".ingress('tcp/22', cidr('0.0.0.0/1'), 'low half').ingress('tcp/22', cidr('128.0.0.0/1'), 'high half')\n"
          "topology = t.build()\n")


def test_ssh_from_both_halves_of_the_internet_is_ssh_from_the_world(cli, tmp_path, no_aws):
    file = _write(tmp_path, "halves.py", HALVES)
    linted = cli("lint", file, "--json")
    assert linted.code == 2
    found = {(f["rule"], f["address"]) for f in json.loads(linted.out)["findings"]}
    assert ("VD001", "vpc/main/security_group/bastion") in found
    reached = cli("reach", file, "internet", "management", "tcp/22")
    assert reached.code == 0, reached.out
    assert "0.0.0.0/1, 128.0.0.0/1" in reached.out
    refused = cli("apply", file, "--yes")
    assert refused.code == 1
    assert "VD001" in refused.err and no_aws.connections == 0


def test_halves_that_leave_a_gap_are_not_the_world(cli, tmp_path):
    file = _write(tmp_path, "gap.py", HALVES.replace("128.0.0.0/1", "128.0.0.0/2"))
    assert cli("reach", file, "internet", "management", "tcp/22").code == 2
    assert "VD001" not in cli("lint", file).out


# Names, descriptions and labels: the exact charsets, whole strings, and text UTF-8 can hold.

def _json_file(tmp_path: Path, small, change) -> Path:  # type: ignore[no-untyped-def]
    document = to_dict(small()[0].build())
    change(document)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document), encoding="utf-8")  # ensure_ascii: a lone surrogate is written \udcff
    return path


def _vpc(document):  # type: ignore[no-untyped-def]
    return document["vpcs"][0]


@pytest.mark.parametrize(("change", "parts"), [
    (lambda d: _vpc(d)["route_tables"][1].update(name="private\n"),
     ("vpc/main/route_table/private\\n: name 'private\\n' may use only",)),
    (lambda d: d.update(name="small\n"), ("topology: name 'small\\n' may use only",)),
    (lambda d: _vpc(d)["security_groups"][0].update(description="web servers\n"),
     ("security_group/web: description 'web servers\\n' has characters AWS does not accept (\\n)",)),
    (lambda d: _vpc(d)["security_groups"][0].update(name="web\n"),
     ("security_group/web\\n: security group name 'web\\n' has characters AWS does not accept (\\n)",)),
    (lambda d: _vpc(d)["security_groups"][0].update(description="web ~ servers"),
     ("description 'web ~ servers' has characters AWS does not accept (~)",)),
    (lambda d: _vpc(d)["security_groups"][0]["ingress"][0].update(description="https\n"),
     ("ingress rule tcp/443 from 0.0.0.0/0: description 'https\\n' has characters AWS does not accept",)),
    (lambda d: _vpc(d)["subnets"][0].update(label="외부망\udcff"),
     ("subnet/public-a: label '외부망\\udcff' has characters a Name tag cannot hold (\\udcff)",)),
    (lambda d: _vpc(d)["subnets"][0].update(label="외부망" * 90),
     ("makes a Name tag of 279 characters; AWS allows 256",)),
    (lambda d: _vpc(d).update(label="main\t"), ("vpc/main: label 'main\\t' has characters a Name tag cannot hold",)),
    (lambda d: d.update(description="the course VPC\udcff"),
     ("topology: description has characters that cannot be written out (\\udcff)",)),
])
def test_text_aws_or_utf8_refuses_is_one_sentence(cli, tmp_path, small, change, parts):
    file = _json_file(tmp_path, small, change)
    _one_problem(cli("check", file), file, *parts)


def test_a_lone_surrogate_from_a_python_file_is_refused_too(tmp_path):
    file = _write(tmp_path, "s.py", SMALL.replace("tier='management')", "tier='management', label='관리\\udcff')")
                  + "topology = t.build()\n")
    done = _vpcdraw("check", file)
    assert done.returncode == 1
    assert "vpc/main/subnet/mgmt: label '관리\\udcff' has characters a Name tag cannot hold" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_exact_aws_charset_and_unicode_labels_still_pass(cli, tmp_path):
    text = SMALL.replace("tier='management')", "tier='management', label='관리망 (bastion) #1')")
    text += ("vpc.security_group('ssh.admin_1', 'Admins: ._-:/()#,@[]+=&;{}!$*', tier='management')"
             ".ingress('tcp/22', cidr('203.0.113.0/24'), 'office [day] {night}')\n")
    file = _write(tmp_path, "ok.py", text + "topology = t.build()\n")
    result = cli("check", file)
    assert result.code == 0, result.err


# What a .py file prints is not output: --json stays one document.

PRINTS = (SMALL.replace(HEAD, HEAD + "import os, subprocess\nprint('hello from the file')\n"
                        "os.write(1, b'written below Python\\n')\nsubprocess.run(['echo', 'from a child process'])\n")
          + "topology = t.build()\n")


def test_what_a_file_prints_goes_to_stderr_and_export_json_stays_one_document(tmp_path):
    file = _write(tmp_path, "prints.py", PRINTS)
    done = _vpcdraw("export", file, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "gaps"
    for printed in ("hello from the file", "written below Python", "from a child process"):
        assert printed in done.stderr


def test_plan_json_of_a_file_that_prints_is_one_document(tmp_path, endpoint):
    file = _write(tmp_path, "prints.py", PRINTS)
    done = _vpcdraw("plan", file, "--json", env={"AWS_ENDPOINT_URL": endpoint})  # `endpoint` set the rest
    assert done.returncode == 0, done.stderr
    assert {a["kind"] for a in json.loads(done.stdout)["actions"]} >= {"vpc", "subnet"}
    assert "hello from the file" in done.stderr and "hello from the file" not in done.stdout


# Runaway .py files: each is stopped or noticed, with one sentence and exit 1.

RUNAWAY = {
    "catches_everything.py": ("did not finish loading within 2 s",
                              "while True:\n    try:\n        while True:\n            pass\n"
                              "    except BaseException:\n        pass\n"),
    "ignores_alarm.py": ("did not finish loading within 2 s",
                         "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(1000)\n"),
    "leaves_a_thread.py": ("did not finish loading within 2 s",
                           SMALL + "import threading, time\nthreading.Thread(target=time.sleep, args=(1000,)).start()\n"
                           "topology = t.build()\n"),
    "exits.py": ("exited while loading (exit status 0)", SMALL + "topology = t.build()\nimport os\nos._exit(0)\n"),
}


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_a_runaway_file_is_stopped_with_one_sentence(tmp_path, name):
    words, text = RUNAWAY[name]
    file = _write(tmp_path, name, text)
    started = time.monotonic()
    done = _vpcdraw("check", file, env={"VPCDRAW_LOAD_TIMEOUT": "2"})
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"vpcdraw: error: {file} {words}"), done.stderr


def test_what_a_stopped_file_started_is_stopped_with_it(tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    file = _write(tmp_path, "spawns.py", f"import subprocess, pathlib\nchild = subprocess.Popen(['sleep', '1000'])\n"
                                         f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
                                         "while True:\n    pass\n")
    done = _vpcdraw("check", file, env={"VPCDRAW_LOAD_TIMEOUT": "2"})
    assert done.returncode == 1 and "did not finish loading within 2 s" in done.stderr
    sleeper = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(sleeper, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(sleeper, 9)
        pytest.fail("the process the topology file started was left running")


def test_a_bad_load_timeout_is_one_sentence(cli, example_file, monkeypatch):
    monkeypatch.setenv("VPCDRAW_LOAD_TIMEOUT", "soon")
    result = cli("check", example_file("assignment"))
    assert result.code == 1
    assert result.err == "vpcdraw: error: VPCDRAW_LOAD_TIMEOUT 'soon' is not a number of seconds (0 or more; 0 " \
                         "waits for ever)\n"


# IAM user names and budget limits are checked before any call.

@pytest.mark.parametrize("user", ["review er", "reviewer\n", "리뷰어", "r" * 65, ""])
def test_an_iam_user_name_iam_refuses_makes_no_call(cli, no_aws, user):
    result = cli("account", "reviewer", "--user", user, "--yes")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.startswith("vpcdraw: error: IAM user name '") and len(result.err.splitlines()) == 1
    assert "must be 1-64 ASCII letters, digits and +=,.@_-" in result.err
    assert no_aws.connections == 0


@pytest.mark.parametrize("limit", ["nan", "inf"])
def test_a_budget_limit_must_be_a_finite_positive_number(cli, no_aws, limit):
    result = cli("account", "budget", "--limit", limit, "--email", "student@example.com", "--yes")
    assert result.code == 1
    assert no_aws.connections == 0

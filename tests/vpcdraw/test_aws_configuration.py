"""A user's AWS configuration gone wrong gets one sentence naming what is at fault and exit 1, never exit 70.

An unknown profile, a config file that does not parse, an AWS_ENDPOINT_URL that is no URL, an endpoint that
answers web pages, a region AWS does not have, an endpoint nothing answers at: each is the user's situation,
not a bug in vpcdraw. Every run has its own HOME and AWS files, so this machine's configuration never leaks in.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vpcdraw.deploy.aws import Ec2
from vpcdraw.topology.errors import VpcdrawError

MY_IP = "203.0.113.10"
CONFIG = "[default]\nregion = ap-northeast-2\n\n[profile work]\nregion = ap-northeast-2\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home with its own AWS config and credentials files, for this process and for `run`."""
    (tmp_path / "home").mkdir()
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
                 "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "VPCDRAW_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in _environment(tmp_path / "home").items():
        monkeypatch.setenv(name, value)
    return tmp_path / "home"


def _environment(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"), "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x"}


def run(home: Path, *args: str | Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`vpcdraw ARGS` in a process of its own, with nothing of this machine's environment but PATH."""
    return subprocess.run([sys.executable, "-m", "vpcdraw", *map(str, args)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **_environment(home), **environment}, timeout=120,
                          check=False)


def one_sentence(done: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit 1 with one line of error that names each of `names`, no traceback, no HTML, nothing planned."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vpcdraw: error: "), done.stderr
    assert "<html" not in done.stderr.lower() and "doctype" not in done.stderr.lower(), done.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert done.stdout == ""
    return lines[0]


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("how", ["--profile", "AWS_PROFILE"])
def test_an_unknown_profile_is_named_with_the_profiles_there(home, example_file, how):
    (home / "config").write_text(CONFIG, encoding="utf-8")
    source = example_file("assignment")
    if how == "--profile":
        done = run(home, "plan", source, "--my-ip", MY_IP, "--profile", "nosuch")
    else:
        done = run(home, "diff", source, "--vpc-id", "vpc-123", AWS_PROFILE="nosuch")
    line = one_sentence(done, "AWS profile 'nosuch'", str(home / "config"), str(home / "credentials"))
    assert line.endswith("the profiles there are default, work"), line


def test_a_mistyped_profile_gets_did_you_mean(home, example_file):
    (home / "config").write_text(CONFIG, encoding="utf-8")
    line = one_sentence(run(home, "plan", example_file("assignment"), "--my-ip", MY_IP, AWS_PROFILE="wrok"),
                        "'wrok' (AWS_PROFILE)")
    assert line.endswith("did you mean 'work'?"), line


def test_doctor_reports_an_unknown_profile_and_goes_on(home):
    done = run(home, "doctor", AWS_PROFILE="nosuch")
    assert done.returncode != 70 and "Traceback" not in done.stderr, done.stderr
    assert "AWS configuration: the AWS profile 'nosuch' (AWS_PROFILE) is not in" in done.stdout, done.stdout


@pytest.mark.parametrize(("name", "variable"), [("config", "AWS_CONFIG_FILE"),
                                                ("credentials", "AWS_SHARED_CREDENTIALS_FILE")])
def test_a_file_that_does_not_parse_is_named_with_its_line(home, example_file, name, variable):
    (home / name).write_text("[default]\nregion = ap-northeast-2\nthis line has no equals sign\n", encoding="utf-8")
    done = run(home, "plan", example_file("assignment"), "--my-ip", MY_IP)
    one_sentence(done, f"file {home / name} cannot be parsed (line 3)", variable)


def test_a_line_outside_any_section_is_named_and_doctor_reports_it(home):
    (home / "config").write_text("region = ap-northeast-2\n[default]\n", encoding="utf-8")
    done = run(home, "doctor")
    assert done.returncode != 70 and "Traceback" not in done.stderr, done.stderr
    assert f"the AWS configuration file {home / 'config'} cannot be parsed (line 1)" in done.stdout, done.stdout


@pytest.mark.parametrize("value", ["not a url", "ftp://x", "http://", "http://[::1"])
def test_an_endpoint_url_that_is_no_url_is_named_with_its_variable(home, example_file, value):
    done = run(home, "plan", example_file("assignment"), "--my-ip", MY_IP, AWS_ENDPOINT_URL=value)
    one_sentence(done, f"AWS_ENDPOINT_URL is '{value}', which is not an endpoint URL")


def test_the_service_specific_endpoint_variable_is_named(home, example_file):
    done = run(home, "diff", example_file("assignment"), "--vpc-id", "vpc-123", AWS_ENDPOINT_URL_EC2="localhost")
    one_sentence(done, "AWS_ENDPOINT_URL_EC2 is 'localhost'")


class _WebPage(BaseHTTPRequestHandler):
    """A web server where an AWS endpoint was expected: every request gets the same HTML page."""

    status = 200

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html>hello</html>"
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[Callable[[int], str]]:
    """Start web servers answering HTML with a status; their URLs."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), type("Page", (_WebPage,), {"status": status}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [200, 404])
def test_an_endpoint_answering_web_pages_is_not_taken_for_an_empty_account(home, example_file, web_page, status):
    url = web_page(status)
    done = run(home, "plan", example_file("assignment"), "--my-ip", MY_IP, AWS_ENDPOINT_URL=url)
    one_sentence(done, f"{url} answered DescribeVpcs with a web page (HTTP {status}), which is not AWS")
    one_sentence(run(home, "diff", example_file("assignment"), "--vpc-id", "vpc-123", AWS_ENDPOINT_URL=url),
                 url, "not AWS")


@pytest.mark.parametrize(("argv", "environment", "hint"), [
    (["--region", "mars-north-9"], {}, ""),
    ([], {"AWS_REGION": "ap-northeast-22"}, "; did you mean 'ap-northeast-2'?"),
])
def test_a_region_aws_does_not_have_is_refused_before_any_call(home, argv, environment, hint):
    region = argv[1] if argv else environment["AWS_REGION"]
    line = one_sentence(run(home, "import", *argv, **environment), f"AWS has no region '{region}'")
    assert line.endswith(hint)
    assert "cannot reach" not in line  # refused by name, not after a DNS failure


def test_a_local_endpoint_does_not_make_any_region_name_valid(home):
    # moto, the local AWS, serves only the regions botocore knows: it answers others with HTTP 500
    done = run(home, "import", "--region", "mars-north-9", AWS_ENDPOINT_URL=f"http://127.0.0.1:{_dead_port()}")
    one_sentence(done, "AWS has no region 'mars-north-9'")


def test_a_dead_local_endpoint_is_named_with_the_local_hint(home, example_file):
    url = f"http://127.0.0.1:{_dead_port()}"
    one_sentence(run(home, "plan", example_file("assignment"), "--my-ip", MY_IP, AWS_ENDPOINT_URL=url),
                 f"cannot reach {url}; is it running? (`vpcdraw local start` starts a local one)")


def test_a_refused_connection_is_tried_once_not_retried(home):
    ec2 = Ec2("ap-northeast-2", endpoint=f"http://127.0.0.1:{_dead_port()}")
    sent: list[object] = []
    ec2.client.meta.events.register("before-send", lambda **_: sent.append(1))
    with pytest.raises(VpcdrawError, match=r"^cannot reach http://127\.0\.0\.1:"):
        ec2.call("DescribeVpcs")
    assert len(sent) == 1


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """An address that never accepts: a listening socket whose queue is full, so a connect hangs like one to a
    host that does not answer (Linux drops the SYN)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(server.getsockname())
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    for s in [*fillers, server]:
        s.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a full accept queue drops SYNs on Linux")
def test_an_address_that_never_accepts_is_tried_once(home, full_backlog):
    ec2 = Ec2("ap-northeast-2", endpoint=full_backlog)
    sent: list[object] = []
    ec2.client.meta.events.register("before-send", lambda **_: sent.append(1))
    with pytest.raises(VpcdrawError, match=rf"^cannot reach {full_backlog} \(no connection within 3 s\)"):
        ec2.call("DescribeVpcs")
    assert len(sent) == 1


def test_every_client_gives_up_connecting_within_5_seconds(home):
    ec2 = Ec2("ap-northeast-2", endpoint="http://10.255.255.1:9")  # non-routable: a connect would hang
    for client in (*ec2.clients, ec2.service("iam").client):
        assert 0 < client.meta.config.connect_timeout <= 5


def test_real_aws_out_of_reach_is_named_by_region_and_endpoint(home, example_file, cli, monkeypatch):
    def no_dns(host: str, *args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # this machine may or may not reach AWS: it does not
    result = cli("plan", example_file("assignment"), "--my-ip", MY_IP)
    assert result.code == 1
    assert result.err == ("vpcdraw: error: cannot reach AWS EC2 in ap-northeast-2 "
                          "(https://ec2.ap-northeast-2.amazonaws.com/); check this machine's network connection and "
                          "proxy settings (HTTPS_PROXY)\n")

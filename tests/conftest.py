"""Shared fixtures: topologies built with the same builder and example files users get."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from vpcdraw.cli import main
from vpcdraw.deploy import local
from vpcdraw.deploy.aws import Ec2
from vpcdraw.topology import Topology, TopologyBuilder, anywhere, load
from vpcdraw.topology.builder import VpcBuilder
from vpcdraw.topology.examples import example_source


@pytest.fixture
def example_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write an example topology file as `vpcdraw example NAME` prints it; return its path."""

    def write(name: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(example_source(name), encoding="utf-8")
        return path

    return write


@pytest.fixture
def assignment(example_file: Callable[[str], Path]) -> Topology:
    """The course assignment, loaded from the shipped example file."""
    return load(example_file("assignment"))


@pytest.fixture
def service(example_file: Callable[[str], Path]) -> Topology:
    """The service example: the assignment plus a NAT gateway and hosts."""
    return load(example_file("service"))


def _small() -> tuple[TopologyBuilder, VpcBuilder]:
    """A small valid topology to add to or break in tests: a public and a private subnet, an IGW, an SG."""
    t = TopologyBuilder("small", region="ap-northeast-2")
    vpc = t.vpc("main", "10.0.0.0/16")
    vpc.subnet("public-a", "10.0.0.0/24", az="a", tier="public")
    vpc.subnet("private-a", "10.0.1.0/24", az="a", tier="private")
    vpc.internet_gateway("igw")
    vpc.route_table("public", subnets=["public-a"]).route("0.0.0.0/0", internet_gateway="igw")
    vpc.route_table("private", subnets=["private-a"])
    vpc.security_group("web", "web servers", tier="public").ingress("tcp/443", anywhere)
    return t, vpc


@pytest.fixture
def small() -> Callable[[], tuple[TopologyBuilder, VpcBuilder]]:
    """A factory of small valid topologies (builder and VPC builder) to add to or break."""
    return _small


@dataclass
class Result:
    """What a vpcdraw run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run vpcdraw in this process with the given arguments."""

    def run(*args: str | Path) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


class _CheckIp(BaseHTTPRequestHandler):
    """A local stand-in for checkip.amazonaws.com: answers every GET with the caller's 'public' address."""

    answer = b"198.51.100.23\n"

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def checkip() -> Iterator[str]:
    """The URL of a local what-is-my-IP endpoint that answers 198.51.100.23."""
    server = HTTPServer(("127.0.0.1", 0), _CheckIp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of a moto server started by vpcdraw's own `local.start`, in a private state directory."""
    state = tmp_path_factory.mktemp("state")
    patch = pytest.MonkeyPatch()
    patch.setenv(local.STATE_VARIABLE, str(state))
    server = local.start(_free_port())
    yield server.endpoint
    local.stop()
    patch.undo()


@pytest.fixture
def endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An empty moto account, with no AWS settings of this machine leaking in."""
    local.reset(moto_endpoint)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return moto_endpoint


@pytest.fixture
def connect(endpoint: str) -> Callable[[str], Ec2]:
    """A vpcdraw EC2 client on the test account, for a region."""
    return lambda region="ap-northeast-2": Ec2(region, endpoint=endpoint)


@pytest.fixture
def boto(endpoint: str):  # type: ignore[no-untyped-def]
    """A plain boto3 EC2 client on the test account, for checking what vpcdraw did."""
    import boto3

    return boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=endpoint)


@pytest.fixture
def aws_env(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS configuration pointed at the moto server, as a user would with AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    return endpoint

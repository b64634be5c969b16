"""`vpcdraw reach` as a user runs it: the matrix of a live VPC without a file, ports AWS would refuse, ends that
name nothing, the matrix's diagonal and corner, and the warning for an admin IP the internet never sends from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.console import ADMIN_IP, build_console_assignment

SMALL = (
    "from vpcdraw import TopologyBuilder, anywhere\n"
    "t = TopologyBuilder('small', region='ap-northeast-2')\n"
    "vpc = t.vpc('main', '10.0.0.0/16')\n"
    "vpc.subnet('public-a', '10.0.0.0/24', az='a', tier='public')\n"
    "vpc.subnet('private-a', '10.0.1.0/24', az='a', tier='private')\n"
    "vpc.internet_gateway('igw')\n"
    "vpc.route_table('public', subnets=['public-a']).route('0.0.0.0/0', internet_gateway='igw')\n"
    "vpc.security_group('web', 'web', tier='public').ingress('{port}', anywhere, 'web')\n"
    "vpc.security_group('bastion', 'jump host', tier='management').ingress('tcp/22', anywhere, 'ssh')\n"
    "topology = t.build()\n"
)


def _small(tmp_path: Path, port: str = "tcp/443") -> Path:
    """A public and a private subnet, and a bastion group with no management subnet to protect."""
    path = tmp_path / "small.py"
    path.write_text(SMALL.format(port=port), encoding="utf-8")
    return path


def _vpcdraw(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own, with the environment the test set up."""
    return subprocess.run([sys.executable, "-m", "vpcdraw", *args], capture_output=True, text=True,
                          encoding="utf-8", env={**os.environ, "PYTHONIOENCODING": "utf-8"}, check=False)


def test_the_matrix_of_a_live_vpc_needs_no_file(boto):
    built = build_console_assignment(boto)  # by hand, with Korean Name tags, on the local AWS (moto)
    done = _vpcdraw("reach", "--vpc-id", built.vpc, "--matrix", "--local", "--my-ip", ADMIN_IP, "--json")
    assert done.returncode == 0, done.stderr
    cells = json.loads(done.stdout)
    assert cells["internet -> public"] == ["tcp/8080"]
    assert cells["my-ip -> management"] == ["tcp/22"]
    assert cells["public -> private"] == ["tcp/3306"]
    assert cells["management -> private"] == ["tcp/22"]
    assert cells["internet -> private"] == [] and cells["internet -> management"] == []
    assert cells["public -> public"] == ["tcp/8080"]  # the diagonal too: 0.0.0.0/0 holds the VPC
    text = _vpcdraw("reach", "--vpc-id", built.vpc, "--matrix", "--local", "--my-ip", ADMIN_IP)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0].split() == ["from", "/", "to", "public", "private", "management"]


def test_the_matrix_of_a_file_answers_the_diagonal_under_a_corner_without_a_backslash(cli, example_file):
    source = example_file("assignment")
    cells = json.loads(cli("reach", source, "--matrix", "--my-ip", "203.0.113.10", "--json").out)
    assert [cells[f"{t} -> {t}"] for t in ("public", "private", "management")] == [["tcp/8080"], [], []]
    result = cli("reach", source, "--matrix", "--my-ip", "203.0.113.10")
    assert result.code == 0
    lines = result.out.splitlines()
    assert "\\" not in result.out  # NanumGothic and Korean consoles show a backslash as ₩
    assert lines[0].startswith("from / to ")
    assert lines[3].split() == ["public", "tcp/8080", "tcp/3306", "-"]
    answered = cli("reach", source, "public", "public", "8080")
    assert answered.code == 0
    assert "public-a (any host) -> public-a (any host) on tcp/8080: reachable" in answered.out


@pytest.mark.parametrize(("port", "sentence"), [
    ("99999", "port 99999 is outside 0-65535"),
    ("tcp/65536", "port 65536 is outside 0-65535"),
    ("udp/70000", "port 70000 is outside 0-65535"),
    ("tcp/2000-1000", "from port 2000 is above to port 1000"),
    ("icmp/300", "ICMP type and code must be -1 to 255, not 300"),
])
def test_a_port_is_refused_as_check_refuses_it_in_a_rule(cli, tmp_path, port, sentence):
    checked = cli("check", _small(tmp_path, port))
    assert checked.code == 1 and f": {sentence} [InvalidParameterValue]" in checked.out + checked.err
    asked = cli("reach", _small(tmp_path), "internet", "public", port)
    assert (asked.code, asked.out) == (1, "")
    assert asked.err == f"vpcdraw: error: port '{port}': {sentence}\n"


def test_minus_one_is_a_port_outside_the_range_not_all_traffic(cli, tmp_path):
    asked = cli("reach", _small(tmp_path), "internet", "public", "-1")
    assert (asked.code, asked.err) == (1, "vpcdraw: error: port '-1': port -1 is outside 0-65535\n")
    assert cli("reach", _small(tmp_path), "internet", "public", "tcp/0").code == 2  # 0 is a port: unreachable


def test_a_bad_port_is_refused_before_any_aws_call(cli, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    asked = cli("reach", "--vpc-id", "vpc-0123456789abcdef0", "internet", "public", "99999", "--region",
                "ap-northeast-2")
    assert (asked.code, asked.err) == (1, "vpcdraw: error: port '99999': port 99999 is outside 0-65535\n")


def test_ends_with_no_member_are_one_sentence(cli, tmp_path):
    source = _small(tmp_path)
    tier = cli("reach", source, "management", "private", "22")
    assert (tier.code, tier.err) == (1, "vpcdraw: error: no subnet of topology 'small' is in the management tier\n")
    group = cli("reach", source, "internet", "bastion", "22")
    assert group.code == 1
    assert group.err == ("vpcdraw: error: security group bastion protects nothing to reach: no host uses it and "
                         "no subnet of topology 'small' is in the management tier\n")
    assert "name the same" not in group.err


def test_reach_without_a_file_or_vpc_says_what_it_needs(cli):
    result = cli("reach")
    assert (result.code, result.out) == (1, "")
    assert result.err == ("vpcdraw: error: reach needs a topology file or --vpc-id; for example: reach "
                          "assignment.py internet private 3306\n")


def test_a_private_my_ip_is_warned_about_and_still_used(cli, example_file):
    result = cli("reach", example_file("assignment"), "my-ip", "management", "22", "--my-ip", "192.168.0.10")
    assert result.code == 0  # still used: the rule from my IP lets it in
    assert ("vpcdraw: warning: my IP 192.168.0.10 is a private address, so no traffic from the internet will ever "
            "match it") in result.err

"""The command line's manners, as Terraform's: grouped plans with their values, the lint findings apply will
refuse, colour at a terminal only, singular and plural, and vpcdraw's own options after the command too."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

ESCAPE = "\033["


@pytest.fixture
def aws(endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    return endpoint


def test_a_changed_rule_stands_under_its_unchanged_group(cli, aws, example_file):
    """Before, the plan listed `security_group_rule vpc/main/security_group/private/ingress/...` lines among
    the rest; now each part stands under its group, which is named even when the group itself stays."""
    source = example_file("assignment")
    assert cli("apply", source).code == 0
    source.write_text(source.read_text().replace('"tcp/3306"', '"tcp/5432"'))
    planned = cli("plan", source)
    assert planned.code == 0, planned.err
    lines = planned.out.splitlines()
    at = lines.index("      security_group vpc/main/security_group/private")
    assert lines[at + 1:at + 3] == ["        - ingress tcp/3306/sg:public  (tcp/3306 from SG public)",
                                    "        + ingress tcp/5432/sg:public  (tcp/5432 from SG public)"]
    assert "  1 to create, 1 to delete" in lines
    applied = cli("apply", source)
    assert "Applied 2 changes." in applied.out


def test_one_is_singular(cli, aws, small, tmp_path):
    """Before: `Destroyed 1 resources.`, `(1 VPC, 2 subnets, 1 security groups)`."""
    from vpcdraw.topology.serialize import to_json

    builder, _ = small()
    source = tmp_path / "small.json"
    source.write_text(to_json(builder.build()))
    assert "(1 VPC, 2 subnets, 1 security group)" in cli("check", source).out
    assert cli("apply", source).code == 0
    source.write_text(source.read_text().replace('"tcp/443"', '"tcp/8443"').replace('443', '8443'))
    applied = cli("apply", source)
    assert applied.code == 0, applied.err
    assert "  1 to create, 1 to delete" in applied.out and "Applied 2 changes." in applied.out


def test_plan_shows_the_lint_findings_apply_will_refuse_and_the_allow_that_passes(cli, aws, example_file):
    source = example_file("assignment")
    source.write_text(source.read_text().replace('.ingress("tcp/22", my_ip,', '.ingress("tcp/22", anywhere,'))
    planned = cli("plan", source)
    assert planned.code == 0, planned.err
    assert "apply will refuse this plan for 1 high-severity lint finding (fix them, or apply with --allow VD001)" \
        in planned.out, planned.out
    assert "    [high] VD001 " in planned.out
    allowed = cli("plan", source, "--allow", "vd001")  # case-insensitive, as apply's
    assert allowed.code == 0 and "apply will refuse" not in allowed.out
    refused = cli("apply", source)
    assert refused.code == 1 and "1 high-severity lint finding (above)" in refused.err


def _run(args: list[str], env: dict[str, str], terminal: bool) -> str:
    """vpcdraw's stdout, with standard output a pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "vpcdraw", *args]
    if not terminal:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120).stdout
    try:
        leader, follower = pty.openpty()
    except OSError as error:  # a container without /dev/pts; FORCE_COLOR covers the painting itself
        pytest.skip(f"no pseudo-terminal here ({error})")
    with subprocess.Popen(command, env=env, stdout=follower, stderr=subprocess.DEVNULL) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_at_a_terminal_only_and_never_with_no_color(aws, example_file):
    source = str(example_file("assignment"))
    env = {**os.environ, "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    painted = _run(["plan", source], env, terminal=True)
    assert f"{ESCAPE}32m    + vpc vpc/main  (172.16.0.0/16)" in painted  # create is green
    assert ESCAPE not in _run(["plan", source], env, terminal=False)  # a pipe
    assert ESCAPE not in _run(["plan", source], {**env, "NO_COLOR": "1"}, terminal=True)
    assert ESCAPE not in _run(["plan", source, "--no-color"], env, terminal=True)  # after the command, too
    assert ESCAPE not in _run(["--no-color", "plan", source], env, terminal=True)


def test_general_options_go_after_the_command_too(cli, example_file):
    source = example_file("assignment")
    after = cli("check", "--no-exec", source)
    assert after.code == 1 and "with --no-exec only .json topologies are read" in after.err
    before = cli("--no-exec", "check", source)
    assert before.code == 1 and before.err == after.err
    assert cli("check", source, "--debug").code == 0
    assert cli("--no-exec", "check", source, "--debug").code == 1  # one after the command keeps the one before


def test_pass_fail_and_severities_are_painted_at_a_terminal(cli, aws, example_file):
    source = example_file("assignment")
    source.write_text(source.read_text().replace('.ingress("tcp/22", my_ip,', '.ingress("tcp/22", anywhere,'))
    env = {**os.environ, "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    linted = _run(["lint", str(source)], env, terminal=True)
    assert f"{ESCAPE}31m[high] VD001 " in linted
    assert cli("apply", source, "--allow", "VD001").code == 0
    graded = _run(["grade", "--region", "ap-northeast-2"], env, terminal=True)
    assert f"[{ESCAPE}32mPASS{ESCAPE}0m]" in graded and f"[{ESCAPE}31mFAIL{ESCAPE}0m]" in graded
    assert ESCAPE not in _run(["grade", "--region", "ap-northeast-2"], env, terminal=False)


def test_force_color_paints_a_pipe_and_no_color_still_wins(aws, example_file):
    """Where no pseudo-terminal can be opened (some containers), this is the colour test that runs."""
    source = str(example_file("assignment"))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    forced = {**env, "FORCE_COLOR": "1"}
    assert f"{ESCAPE}32m    + vpc vpc/main  (172.16.0.0/16)" in _run(["plan", source], forced, terminal=False)
    assert ESCAPE not in _run(["plan", source], {**forced, "NO_COLOR": "1"}, terminal=False)
    assert ESCAPE not in _run(["plan", source, "--no-color"], forced, terminal=False)
    assert ESCAPE not in _run(["plan", source], env, terminal=False)

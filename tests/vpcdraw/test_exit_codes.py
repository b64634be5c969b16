"""Exit codes with Terraform's manners: 2 only for changes, drift, findings, failures and unreachable; a usage
error is 1 with the usage line; a bug in vpcdraw is 70, with its traceback saved, so tests tell bugs from users."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpcdraw.deploy import local
from vpcdraw.topology.serialize import to_dict


def _usage_error(result):
    """A usage error: exit 1 (never argparse's 2), the command's usage line first, one error line last."""
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("usage: vpcdraw"), result.err
    assert lines[-1].startswith("vpcdraw: error: "), result.err
    assert result.out == ""
    return lines


@pytest.mark.parametrize("argv", [
    ["plna"],
    ["plan"],
    ["check", "x.py", "--bogus"],
    ["render", "x.py", "--collapse", "--expand"],
    ["example", "nope"],
    ["local", "strat"],
    ["account"],
    ["lint", "--fail-on", "severe"],
    ["apply", "x.py", "--parallelism", "many"],
    ["reach", "x.py", "internet", "private", "22", "extra"],
])
def test_a_usage_error_exits_1_with_the_usage_line(cli, argv):
    _usage_error(cli(*argv))


def test_a_mistyped_command_gets_did_you_mean(cli):
    lines = _usage_error(cli("plna"))
    assert lines[0] == "usage: vpcdraw [-h] [--version] [--debug] [--no-exec] [--no-color] COMMAND ..."
    assert lines[-1] == "vpcdraw: error: unknown command 'plna'; did you mean 'plan'?"
    assert _usage_error(cli("lnit", "x.py"))[-1] == "vpcdraw: error: unknown command 'lnit'; did you mean 'lint'?"
    far = _usage_error(cli("frobnicate"))[-1]
    assert far.startswith("vpcdraw: error: unknown command 'frobnicate'; the commands are account, apply, check")
    nested = _usage_error(cli("local", "strat"))
    assert nested[0].startswith("usage: vpcdraw local ")
    assert nested[-1] == "vpcdraw: error: unknown vpcdraw local action 'strat'; did you mean 'start'?"


def test_a_mistyped_choice_gets_did_you_mean(cli):
    assert _usage_error(cli("example", "asignment"))[-1] == (
        "vpcdraw: error: argument name: invalid choice 'asignment' (choose from assignment, hub, service, "
        "shared-services); did you mean 'assignment'?")


def test_options_are_never_taken_from_an_abbreviation(cli, example_file):
    source = example_file("assignment")
    lines = _usage_error(cli("plan", source, "--detailed"))
    assert lines[0].startswith("usage: vpcdraw plan ")  # the command's own usage, not the top level's
    assert lines[-1] == "vpcdraw: error: unrecognized arguments: --detailed; did you mean --detailed-exitcode?"
    assert _usage_error(cli("diff", source, "--vpc", "vpc-1"))[-1].startswith(
        "vpcdraw: error: unrecognized arguments: --vpc vpc-1; did you mean --vpc-id?")
    assert _usage_error(cli("--no-e", "check", source))[-1] == (
        "vpcdraw: error: unrecognized arguments: --no-e; did you mean --no-exec?")
    budget = _usage_error(cli("account", "budget", "--limit", "5", "--email", "a@example.com", "--ye"))
    assert budget[0].startswith("usage: vpcdraw account budget ")
    assert budget[-1] == "vpcdraw: error: unrecognized arguments: --ye; did you mean --yes?"
    assert _usage_error(cli("check", source, "--debu"))[-1] == (  # vpcdraw's own options count after it too
        "vpcdraw: error: unrecognized arguments: --debu; did you mean --debug?")


def test_a_usage_error_is_1_for_the_shell_too():
    done = subprocess.run([sys.executable, "-m", "vpcdraw", "plna"], capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "vpcdraw: error: unknown command 'plna'; did you mean 'plan'?"


def test_help_and_version_still_exit_0(cli):
    for argv in (["--help"], ["--version"], ["lint", "--help"], ["local", "start", "--help"]):
        with pytest.raises(SystemExit) as exited:
            cli(*argv)
        assert exited.value.code == 0


def test_the_main_help_teaches_the_exit_codes():
    done = subprocess.run([sys.executable, "-m", "vpcdraw", "--help"], capture_output=True, text=True, check=True,
                          timeout=60)
    words = " ".join(done.stdout.split())
    assert "Exit codes (as Terraform's): 0 success 1 an error" in words
    assert "2 changes (plan --detailed-exitcode), drift (diff), findings (lint), failed items (grade), " \
           "unreachable (reach); never anything else" in words
    assert "70 a bug in vpcdraw" in words and "130 interrupted" in words


def _broken(monkeypatch, error: BaseException) -> None:
    """Make `vpcdraw check` meet `error` where it loads the file, as a bug deep inside would."""
    import vpcdraw.cli

    def load_valid(file):
        raise error

    monkeypatch.setattr(vpcdraw.cli, "load_valid", load_valid)


def test_a_bug_exits_70_and_says_where_the_traceback_is(cli, example_file, monkeypatch, tmp_path):
    monkeypatch.setenv(local.STATE_VARIABLE, str(tmp_path / "state"))
    _broken(monkeypatch, KeyError("subnets"))
    result = cli("check", example_file("assignment"))
    assert result.code == 70
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("vpcdraw: error: internal error (KeyError: 'subnets'); this is a bug in vpcdraw, "
                               "not in your input: the full traceback is in ")
    assert lines[0].endswith("; please report it")
    report = Path(lines[0].split("the full traceback is in ")[1].removesuffix("; please report it"))
    assert report.parent == tmp_path / "state" / "crashes"
    text = report.read_text(encoding="utf-8")
    assert text.startswith("vpcdraw ") and "vpcdraw check " in text
    assert "Traceback (most recent call last)" in text and "KeyError: 'subnets'" in text
    assert "Traceback" not in result.err


def test_debug_prints_the_traceback_and_still_exits_70(cli, example_file, monkeypatch, tmp_path):
    monkeypatch.setenv(local.STATE_VARIABLE, str(tmp_path))
    _broken(monkeypatch, ZeroDivisionError("division by zero"))
    result = cli("--debug", "check", example_file("assignment"))
    assert result.code == 70
    assert result.err.startswith("Traceback (most recent call last)")
    assert "ZeroDivisionError: division by zero" in result.err
    assert "this is a bug in vpcdraw" in result.err.splitlines()[-1]


def test_without_a_writable_state_directory_the_traceback_goes_to_the_temporary_one(cli, example_file, monkeypatch,
                                                                                     tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(local.STATE_VARIABLE, str(blocker / "state"))
    _broken(monkeypatch, AttributeError("'NoneType' object has no attribute 'cidr'"))
    result = cli("check", example_file("assignment"))
    assert result.code == 70
    report = Path(result.err.split("the full traceback is in ")[1].removesuffix("; please report it\n"))
    try:
        assert report.parent == Path(tempfile.gettempdir())
        assert report.name.startswith("vpcdraw-crash-")
        assert "AttributeError" in report.read_text(encoding="utf-8")
    finally:
        report.unlink()


def test_a_user_error_is_1_not_70(cli, tmp_path):
    result = cli("check", tmp_path / "missing.py")
    assert result.code == 1
    assert result.err == f"vpcdraw: error: {tmp_path / 'missing.py'}: no such file\n"


def test_an_interrupt_exits_130(cli, example_file, monkeypatch):
    _broken(monkeypatch, KeyboardInterrupt())
    result = cli("check", example_file("assignment"))
    assert result.code == 130
    assert result.err == "vpcdraw: error: interrupted\n"


def test_a_bug_exits_70_for_the_shell_too(tmp_path, example_file):
    probe = ("import sys\nimport vpcdraw.cli as cli\n"
             "def load_valid(file):\n    raise IndexError('tuple index out of range')\n"
             "cli.load_valid = load_valid\n"
             f"sys.exit(cli.main(['check', {str(example_file('assignment'))!r}]))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60,
                          env={**os.environ, local.STATE_VARIABLE: str(tmp_path)})
    assert done.returncode == 70
    assert "IndexError: tuple index out of range" in done.stderr
    assert list((tmp_path / "crashes").iterdir())


def test_a_closed_pipe_is_not_an_error_message(tmp_path):
    read, write = os.pipe()
    os.close(read)  # `vpcdraw lint --list | head -0`: the reader is gone before anything is written
    try:
        done = subprocess.run([sys.executable, "-m", "vpcdraw", "lint", "--list"], stdout=write,
                              stderr=subprocess.PIPE, text=True, check=False, timeout=60)
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr == ""


def test_2_means_findings_changes_drift_failed_or_unreachable_and_nothing_else(cli, example_file, tmp_path):
    source = example_file("assignment")
    assert cli("reach", source, "internet", "private", "3306").code == 2  # unreachable
    assert cli("reach", source, "internet", "public", "8080").code == 0
    assert cli("lint", source, "--fail-on", "info").code == 2  # findings
    assert cli("lint", source, "--fail-on", "info", "--soft-fail").code == 0
    for argv in (["check", tmp_path / "missing.py"], ["reach", source, "nowhere", "private"],
                 ["lint", "--skip", "VD999"], ["lint"], ["plan", source, "--detailed-exit"]):
        assert cli(*argv).code == 1, argv


def _junk():
    return st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6),
                     st.sampled_from(["", "0.0.0.0/0", "::/0", "tcp/22", "all", "10.0.0.0/8", "public", "private"]),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(),
                                                                          max_size=2))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_what_check_accepts_lint_and_reach_answer_without_a_bug(cli, service, tmp_path_factory, data):
    """A fuzzed file that passes check goes through lint (SARIF too) and reach: never exit 70."""
    document = to_dict(service)
    for _ in range(data.draw(st.integers(1, 3))):
        node = document
        while isinstance(node, dict | list) and node:
            key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
            if isinstance(node[key], dict | list) and node[key] and data.draw(st.booleans()):
                node = node[key]
                continue
            node[key] = data.draw(_junk())
            break
    path = tmp_path_factory.getbasetemp() / "fuzz-analysis.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    runs = [cli("check", path)]
    if runs[0].code == 0:
        runs += [cli("lint", path, "--format", "sarif"), cli("reach", path, "internet", "private", "3306"),
                 cli("reach", path, "--matrix", "--my-ip", "203.0.113.10")]
    for result in runs:
        assert result.code != 70, f"a bug in vpcdraw, not a user error: {result.err}"
        if result.code == 1:
            assert result.err.splitlines()[-1].startswith("vpcdraw: error: ")

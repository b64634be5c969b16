"""`grade --roster` of thirty accounts against one, each account behind a 50 ms round trip (moto and FaultProxy).

Each student is an account of its own on one moto server (an assumed role's keys belong to the role's account),
reached through a profile whose endpoint_url is the proxy; the VPC is the assignment built by hand with boto3.
The figures are the wall time of the whole roster command in this process (reads, grades, drawings, gallery).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_S = float(os.environ.get("VPCDRAW_BENCH_LATENCY", "0.05"))
STUDENTS = 30
TARGET_RATIO = 3.0
REGION = "ap-northeast-2"


def _account(number: int) -> str:
    return f"{100000000000 + number:012d}"


def _student(upstream: str, number: int) -> list[str]:
    """Build student `number`'s VPC in an account of its own; the credentials-file lines that reach it."""
    import importlib

    import boto3

    # the tests' hand-built assignment; imported by name so that mypy does not check the (untyped) test module
    build_by_hand = importlib.import_module("tests.deploy.test_diff").build_by_hand

    sts = boto3.client("sts", region_name=REGION, endpoint_url=upstream)
    given = sts.assume_role(RoleArn=f"arn:aws:iam::{_account(number)}:role/admin",
                            RoleSessionName="bench")["Credentials"]
    keys = {"aws_access_key_id": given["AccessKeyId"], "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"]}
    build_by_hand(boto3.client("ec2", region_name=REGION, endpoint_url=upstream, **keys))
    return [f"[s{number:02d}]", *(f"{k} = {v}" for k, v in keys.items())]


def _roster(folder: Path, students: int) -> Path:
    path = folder / f"roster-{students}.csv"
    path.write_text("student,profile\n" + "".join(f"학생{n:02d},s{n:02d}\n" for n in range(students)),
                    encoding="utf-8")
    return path


def _graded(roster: Path, out: Path, parallelism: int) -> tuple[float, int]:
    """The wall time of one roster command, and its exit code (its printing swallowed)."""
    from vpcdraw.cli import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["grade", "--roster", str(roster), "-o", str(out), "--parallelism", str(parallelism)])
    return time.perf_counter() - start, code


def _cpu(pid: int) -> float:
    """The CPU seconds (user and system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_and_graded(roster: Path, parallelism: int) -> float:
    """The wall time of reading and grading a roster's accounts alone: no drawings, no files."""
    from vpcdraw.deploy.roster import connector, grade_roster, read_roster
    from vpcdraw.topology.analysis.grade import load_rubric

    students, rubric = read_roster(roster), load_rubric(None)
    start = time.perf_counter()
    grade_roster(students, rubric, connector(), parallelism=parallelism)
    return time.perf_counter() - start


def measure() -> list[tuple[str, str, str]]:
    """Rows for BENCHMARKS.md: one account, thirty, their ratio against the target, and the round trip."""
    from tests.faults import FaultProxy, Faults
    from tests.servers import start_moto
    from vpcdraw.roster_command import ROSTER_PARALLELISM

    server, upstream = start_moto()
    proxy = FaultProxy(upstream, Faults(latency=LATENCY_S))
    saved = {name: os.environ.get(name) for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                                                      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
            with ThreadPoolExecutor(8) as pool:  # the class is set up directly on moto, without the latency
                credentials = [line for lines in pool.map(lambda n: _student(upstream, n), range(STUDENTS))
                               for line in lines]
            profiles = [line for n in range(STUDENTS)
                        for line in (f"[profile s{n:02d}]", f"region = {REGION}", f"endpoint_url = {proxy.endpoint}")]
            (folder / "config").write_text("\n".join(profiles) + "\n", encoding="utf-8")
            (folder / "credentials").write_text("\n".join(credentials) + "\n", encoding="utf-8")
            os.environ.update(AWS_CONFIG_FILE=str(folder / "config"),
                              AWS_SHARED_CREDENTIALS_FILE=str(folder / "credentials"))
            one, everyone = _roster(folder, 1), _roster(folder, STUDENTS)
            _graded(one, folder / "warm-up", ROSTER_PARALLELISM)  # imports, moto's first answers
            before = proxy.counts["requests"]
            singles = [_graded(one, folder / f"one-{n}", ROSTER_PARALLELISM)[0] for n in range(3)]
            calls = (proxy.counts["requests"] - before) // 3
            single = statistics.median(singles)
            moto_before, own_before = _cpu(server.pid), time.process_time()
            whole, code = _graded(everyone, folder / "class", ROSTER_PARALLELISM)
            moto_cpu, own_cpu = _cpu(server.pid) - moto_before, time.process_time() - own_before
            wide, _ = _graded(everyone, folder / "class-wide", STUDENTS)
            reads = (_read_and_graded(one, ROSTER_PARALLELISM), _read_and_graded(everyone, ROSTER_PARALLELISM))
    finally:
        proxy.close()
        server.kill()
        server.wait()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    ratio = whole / single
    verdict = "met" if ratio <= TARGET_RATIO and code == 0 else "MISSED"
    return [
        (f"grade --roster, 1 account (median of 3; {calls} calls)", f"{single:.2f} s",
         f"{single / LATENCY_S:.0f} x latency"),
        (f"grade --roster, {STUDENTS} accounts, --parallelism {ROSTER_PARALLELISM} (the default)", f"{whole:.2f} s",
         f"{ratio:.2f} x one account (target {TARGET_RATIO:.0f}): {verdict}"),
        (f"grade --roster, {STUDENTS} accounts, --parallelism {STUDENTS}", f"{wide:.2f} s",
         f"{wide / single:.2f} x one account"),
        (f"where the {STUDENTS} accounts' time goes (CPU seconds, 2 cores)",
         f"moto {moto_cpu:.2f} s, vpcdraw {own_cpu:.2f} s (Graphviz's dot, a child, not counted)",
         f"moto's share of the wall time: {moto_cpu / whole:.0%}"),
        (f"reads and grades alone (no drawings), 1 vs {STUDENTS} accounts", f"{reads[0]:.2f} s vs {reads[1]:.2f} s",
         f"{reads[1] / reads[0]:.2f} x one account"),
    ]


def main() -> int:
    rows = measure()
    print(f"| what (RTT {LATENCY_S * 1000:.0f} ms) | measured | against the target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if rows[1][2].endswith("met") else 1


if __name__ == "__main__":
    sys.exit(main())

"""vpcdraw's benchmarks: `make bench`. Figures are measured side by side in one run and written to BENCHMARKS.md."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RENDER_BUDGET_S = 1.5
START_UP_BUDGET_S = 0.3
REPEATS = 5


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def render_figures() -> list[tuple[str, str, str]]:
    """Whole-process render of the assignment against the budget and against bare start-ups."""
    vpcdraw = str(Path(sys.executable).with_name("vpcdraw"))
    with tempfile.TemporaryDirectory() as tmp:
        topology = Path(tmp) / "assignment.py"
        topology.write_text(subprocess.run([vpcdraw, "example", "assignment"], check=True, capture_output=True,
                                           text=True).stdout)
        dot_file = Path(tmp) / "assignment.dot"
        subprocess.run([vpcdraw, "render", str(topology), "-o", str(dot_file), "--my-ip", "203.0.113.10"],
                       check=True, capture_output=True)
        rows = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "vpcdraw --help": [vpcdraw, "--help"],
            "vpcdraw check assignment.py": [vpcdraw, "check", str(topology)],
            "dot -Tpng on its DOT (Graphviz alone)": ["dot", "-Tpng", "-o", str(Path(tmp) / "d.png"), str(dot_file)],
            "vpcdraw render assignment.py -o a.png": [vpcdraw, "render", str(topology), "-o",
                                                      str(Path(tmp) / "a.png"), "--my-ip", "203.0.113.10"],
        }
        medians = {name: statistics.median(_time(cmd) for _ in range(REPEATS)) for name, cmd in rows.items()}
    whole = medians["vpcdraw render assignment.py -o a.png"]
    figures = [(name, f"{seconds:.3f} s", f"{seconds / whole:.2f}") for name, seconds in medians.items()]
    start_up = max(medians["vpcdraw --help"], medians["vpcdraw check assignment.py"])
    figures.append(("start-up (--help, check) vs budget (0.3 s)", f"{start_up / START_UP_BUDGET_S:.2f} of budget",
                    "met" if start_up <= START_UP_BUDGET_S else "MISSED"))
    verdict = "met" if whole <= RENDER_BUDGET_S else "MISSED"
    figures.append(("render vs budget (1.5 s)", f"{whole / RENDER_BUDGET_S:.2f} of budget", verdict))
    return figures


LARGE_BUDGET_S = 30.0


def large_figures() -> list[tuple[str, str, str]]:
    """Whole-process render of synthetic accounts: 200 subnets in one VPC, 1,000 over five; PNG size in pixels."""
    import struct

    from bench.synthetic import account
    from vpcdraw.topology.serialize import to_json

    vpcdraw = str(Path(sys.executable).with_name("vpcdraw"))
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        # Before grouping every subnet was drawn (--expand still does): the first row shows what that costs.
        for subnets, vpcs, how in ((60, 1, "--expand"), (60, 1, "--collapse"), (200, 1, "--collapse"),
                                   (1000, 5, "--collapse")):
            source = Path(tmp) / f"account-{subnets}.json"
            source.write_text(to_json(account(subnets, vpcs)), encoding="utf-8")
            picture = Path(tmp) / f"account-{subnets}.png"
            seconds = _time([vpcdraw, "render", str(source), "-o", str(picture), "--my-ip", "203.0.113.10", how])
            width, height = struct.unpack(">II", picture.read_bytes()[16:24])
            verdict = "met" if seconds <= LARGE_BUDGET_S else "MISSED"
            drawn = "each subnet drawn" if how == "--expand" else "grouped by tier and AZ"
            figures.append((f"render {subnets:,} subnets in {vpcs} VPC{'s' if vpcs > 1 else ''}, {drawn} ({how})",
                            f"{seconds:.2f} s, {width} x {height} px",
                            f"{seconds / LARGE_BUDGET_S:.2f} of {LARGE_BUDGET_S:.0f} s: {verdict}"))
    return figures


def plan_figures() -> list[tuple[str, str, str]]:
    """make_plan over about a thousand resources (pure computation): all new, and all in sync."""
    from bench.synthetic import account
    from vpcdraw.deploy.live import Live
    from vpcdraw.deploy.plan import make_plan
    from vpcdraw.topology.admin_ip import fill
    from vpcdraw.topology.graph import resources

    wanted = resources(fill(account(420, 2), "203.0.113.10"))
    synced = Live()
    for number, resource in enumerate(wanted):
        synced.add(resource, f"id-{number}", owned=True)
    figures = []
    for name, live in (("all new", Live()), ("all in sync", synced)):
        start = time.perf_counter()
        made = make_plan(wanted, live)
        seconds = time.perf_counter() - start
        verdict = "met" if seconds < 1.0 else "MISSED"
        figures.append((f"plan of {len(wanted):,} resources, {name} ({len(made.actions)} actions)",
                        f"{seconds:.3f} s", f"{seconds:.2f} of 1 s: {verdict}"))
    return figures


def diff_figures() -> list[tuple[str, str, str]]:
    """Diff of 10,000 security group rules (matching and comparing, pure computation) against its 1 s budget."""
    from vpcdraw.deploy.diff import diff
    from vpcdraw.deploy.translate import Reading
    from vpcdraw.topology.builder import TopologyBuilder, cidr

    def topology(described: bool) -> Any:
        t = TopologyBuilder("bench", region="ap-northeast-2")
        vpc = t.vpc("main", "10.0.0.0/8")
        for group in range(100):
            made = vpc.security_group(f"g{group}", "d")
            for port in range(100):  # one rule in ten differs only by its description, which is not drift
                made.ingress(f"tcp/{1000 + port}", cidr(f"10.{group}.{port}.0/24"),
                             "x" if described and port % 10 == 0 else "")
        return t.build()

    desired, live = topology(False), Reading(topology(True))
    rules = sum(len(g.ingress) for g in desired.vpcs[0].security_groups)
    start = time.perf_counter()
    found = diff(desired, live)
    seconds = time.perf_counter() - start
    verdict = "met" if seconds < 1.0 else "MISSED"
    name = f"diff of {rules:,} rules (in sync: {found.in_sync})"
    return [(name, f"{seconds:.3f} s", f"{seconds:.2f} of 1 s: {verdict}")]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bench.apply_bench import LATENCY_S, measure
    from bench.drawio_bench import METHOD as DRAWIO_METHOD
    from bench.drawio_bench import measure as measure_drawio
    from bench.drawio_bench import section as drawio_section
    from bench.drawio_bench import verdicts_met
    from bench.roster_bench import STUDENTS
    from bench.roster_bench import measure as measure_roster

    figures = render_figures()
    large = large_figures()
    drawio = measure_drawio()
    diffs = diff_figures() + plan_figures()
    applies = measure()
    rosters = measure_roster()
    lines = [
        "# Benchmarks",
        "",
        f"Reproduce: `make bench` (median of {REPEATS} runs each, whole processes, measured side by side).",
        "",
        "## Render of the assignment",
        "",
        "| command | median | ratio to the render |",
        "|---|---|---|",
        *[f"| {name} | {value} | {ratio} |" for name, value, ratio in figures],
        "",
        "## Render of large accounts (synthetic, `bench/synthetic.py`; one run each)",
        "",
        "| what | measured | against the budget |",
        "|---|---|---|",
        *[f"| {name} | {value} | {ratio} |" for name, value, ratio in large],
        "",
        *drawio_section(drawio, DRAWIO_METHOD),
        "## Diff and plan (pure computation)",
        "",
        "| what | time | against the budget |",
        "|---|---|---|",
        *[f"| {name} | {value} | {ratio} |" for name, value, ratio in diffs],
        "",
        f"## Apply and read (moto behind a {LATENCY_S * 1000:.0f} ms round trip, `bench/apply_bench.py`)",
        "",
        "| what | measured | against the target |",
        "|---|---|---|",
        *[f"| {name} | {value} | {ratio} |" for name, value, ratio in applies],
        "",
        f"## Grade a class (`grade --roster`: {STUDENTS} moto accounts behind a {LATENCY_S * 1000:.0f} ms round trip, "
        "`bench/roster_bench.py`)",
        "",
        "| what | measured | against the target |",
        "|---|---|---|",
        *[f"| {name} | {value} | {ratio} |" for name, value, ratio in rosters],
        "",
        (ROOT / "bench" / "notes.md").read_text(encoding="utf-8"),
    ]
    text = "\n".join(lines)
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    print(text)
    met = all(row[2].endswith("met") for row in figures[-2:] + diffs + large) and verdicts_met(drawio)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

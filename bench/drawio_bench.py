"""The draw.io export and its reading back, whole processes side by side (issue 14, section 5).

Three figures: the assignment's `.drawio` against its `.png` (target at most 1.2 x), the 1,000-subnet synthetic
account's `.drawio` against 30 s (and its cell count), and `vpcdraw check a.drawio` against 0.5 s, beside
`vpcdraw check assignment.py`. `make bench` writes them with the rest; `python -m bench.drawio_bench` measures
only these and puts its section into BENCHMARKS.md in place, leaving the other sections as they are.
"""

from __future__ import annotations

import datetime
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADING = "## Export to draw.io and read it back"
MY_IP = "203.0.113.10"
REPEATS = 5
DRAWIO_TO_PNG_TARGET = 1.2
LARGE_BUDGET_S = 30.0
READ_BUDGET_S = 0.5

METHOD = (f"Whole processes, medians of {REPEATS} runs of each command, the two commands of a comparison run in "
          "turn (`bench/drawio_bench.py`); the large account one run each.")
Row = tuple[str, str, str]


def _vpcdraw() -> str:
    return str(Path(sys.executable).with_name("vpcdraw"))


def _run(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """The wall time of one whole process, and what it answered."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - start, done


def _medians(commands: dict[str, list[str]]) -> dict[str, float]:
    """Medians of REPEATS runs of each command, interleaved, so that the shared machine's load falls on all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, command in commands.items():
            seconds, done = _run(command)
            if done.returncode != 0:
                raise RuntimeError(f"{name}: exit {done.returncode}: {done.stderr.strip()}")
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "no message").strip()


def export_figures(tmp: Path, topology: Path) -> list[Row]:
    """The assignment to .drawio and to .png, the same --my-ip, medians of interleaved runs; the ratio."""
    vpcdraw = _vpcdraw()
    commands = {
        "vpcdraw render assignment.py -o a.png": [vpcdraw, "render", str(topology), "-o", str(tmp / "a.png"),
                                                  "--my-ip", MY_IP],
        "vpcdraw render assignment.py -o a.drawio": [vpcdraw, "render", str(topology), "-o",
                                                     str(tmp / "a.drawio"), "--my-ip", MY_IP],
    }
    for command in commands.values():  # once each first, so that neither pays for a cold cache
        _run(command)
    medians = _medians(commands)
    png, drawio = medians["vpcdraw render assignment.py -o a.png"], medians["vpcdraw render assignment.py -o a.drawio"]
    cells = len(list(ET.parse(tmp / "a.drawio").iter("mxCell")))
    ratio = drawio / png
    return [
        ("vpcdraw render assignment.py -o a.png", f"{png:.3f} s", "1.00"),
        (f"vpcdraw render assignment.py -o a.drawio ({cells} cells)", f"{drawio:.3f} s", f"{ratio:.2f}"),
        (f".drawio vs .png of the assignment (target {DRAWIO_TO_PNG_TARGET} x)", f"{ratio:.2f} x",
         _verdict(ratio <= DRAWIO_TO_PNG_TARGET)),
    ]


def large_figures(tmp: Path) -> list[Row]:
    """The 1,000-subnet, five-VPC synthetic account to .drawio (one run) against its budget, beside its .png."""
    from bench.synthetic import account
    from vpcdraw.topology.serialize import to_json

    vpcdraw = _vpcdraw()
    source = tmp / "account-1000.json"
    source.write_text(to_json(account(1000, 5)), encoding="utf-8")
    seconds: dict[str, float] = {}
    for suffix in ("drawio", "png"):
        took, done = _run([vpcdraw, "render", str(source), "-o", str(tmp / f"account-1000.{suffix}"), "--my-ip",
                           MY_IP])
        if done.returncode != 0:
            raise RuntimeError(f"render account-1000.{suffix}: exit {done.returncode}: {done.stderr.strip()}")
        seconds[suffix] = took
    expanded = tmp / "account-1000-expanded.drawio"  # every subnet a cell: the file to edit and build from
    took, done = _run([vpcdraw, "render", str(source), "-o", str(expanded), "--expand", "--my-ip", MY_IP])
    if done.returncode != 0:
        raise RuntimeError(f"render --expand: exit {done.returncode}: {done.stderr.strip()}")
    seconds["expanded"] = took
    took, done = _run([vpcdraw, "check", str(expanded)])
    if done.returncode != 0:
        raise RuntimeError(f"check the expanded drawing: exit {done.returncode}: {done.stderr.strip()}")
    seconds["read"] = took
    drawio = tmp / "account-1000.drawio"
    cells = list(ET.parse(drawio).iter("mxCell"))
    edges = sum(1 for c in cells if c.get("edge") == "1")
    vertices = sum(1 for c in cells if c.get("vertex") == "1")
    spent = seconds["drawio"]
    return [
        ("render 1,000 subnets in 5 VPCs to .drawio (grouped by tier and AZ, the default over 24 subnets)",
         f"{spent:.2f} s, {len(cells):,} cells ({vertices:,} shapes, {edges:,} lines), "
         f"{drawio.stat().st_size / 1024:,.0f} KiB",
         f"{spent / LARGE_BUDGET_S:.2f} of {LARGE_BUDGET_S:.0f} s: {_verdict(spent < LARGE_BUDGET_S)}"),
        ("the same account to .png, in the same run", f"{seconds['png']:.2f} s",
         f".drawio is {spent / seconds['png']:.2f} x the .png"),
        ("the same account to .drawio with --expand (each subnet a cell, placed in rows: too big for dot)",
         f"{seconds['expanded']:.2f} s, {expanded.stat().st_size / 1024:,.0f} KiB",
         f"{seconds['expanded'] / LARGE_BUDGET_S:.2f} of {LARGE_BUDGET_S:.0f} s: "
         f"{_verdict(seconds['expanded'] < LARGE_BUDGET_S)}"),
        ("vpcdraw check on that expanded drawing (read back: 1,000 subnets)", f"{seconds['read']:.2f} s",
         f"{seconds['read'] / seconds['expanded']:.2f} x its export"),
    ]


def read_figures(tmp: Path, topology: Path) -> list[Row]:
    """`check a.drawio` (the export read back) beside `check assignment.py`; not measured while it cannot read it."""
    vpcdraw = _vpcdraw()
    drawio = tmp / "a.drawio"
    if not drawio.exists():
        _run([vpcdraw, "render", str(topology), "-o", str(drawio), "--my-ip", MY_IP])
    name = "vpcdraw check a.drawio (the assignment's export read back)"
    _, probe = _run([vpcdraw, "check", str(drawio)])
    _, of_source = _run([vpcdraw, "check", str(topology)])
    if probe.returncode != 0:
        why = f"exit {probe.returncode}: {_first_line(probe.stderr + probe.stdout).replace(str(tmp) + '/', '')}"
        return [(name, "not measured: vpcdraw check cannot read .drawio yet", why)]
    medians = _medians({"py": [vpcdraw, "check", str(topology)], "drawio": [vpcdraw, "check", str(drawio)]})
    # the verdict after the file's name, e.g. "valid (1 VPC, 5 subnets, 3 security groups)"
    said, expected = (_first_line(d.stdout).partition(": ")[2] for d in (probe, of_source))
    agrees = "the same verdict as the .py" if said == expected else f"verdict {said!r}, the .py's {expected!r}"
    return [
        ("vpcdraw check assignment.py", f"{medians['py']:.3f} s", "1.00"),
        (name, f"{medians['drawio']:.3f} s ({agrees})", f"{medians['drawio'] / medians['py']:.2f}"),
        (f"check a.drawio vs budget ({READ_BUDGET_S} s)", f"{medians['drawio'] / READ_BUDGET_S:.2f} of budget",
         _verdict(medians["drawio"] < READ_BUDGET_S)),
    ]


def measure() -> list[Row]:
    """Every row of the section, in one run."""
    vpcdraw = _vpcdraw()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        topology = tmp / "assignment.py"
        topology.write_text(subprocess.run([vpcdraw, "example", "assignment"], check=True, capture_output=True,
                                           text=True).stdout, encoding="utf-8")
        return export_figures(tmp, topology) + read_figures(tmp, topology) + large_figures(tmp)


def section(rows: list[Row], provenance: str) -> list[str]:
    """The section of BENCHMARKS.md, its heading first."""
    return [
        HEADING,
        "",
        textwrap.fill(provenance, 110),
        "",
        "| what | measured | ratio, or against the target |",
        "|---|---|---|",
        *["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows],
        "",
    ]


def verdicts_met(rows: list[Row]) -> bool:
    """Whether every target of the section was met (a row not measured yet has no verdict, so it is not counted)."""
    return all(row[2].endswith("met") for row in rows if row[2].endswith(("met", "MISSED")))


def splice(text: str, lines: list[str]) -> str:
    """BENCHMARKS.md with this section in place of its old one, or before the diff and plan section."""
    block = "\n".join(lines) + "\n"
    if HEADING in text:
        before, _, rest = text.partition(HEADING)
        _, found, after = rest.partition("\n## ")
        return before + block + (found.lstrip("\n") + after if found else "")
    before, found, after = text.partition("## Diff and plan")
    return before + block + found + after if found else text.rstrip("\n") + "\n\n" + block


def _code_measured() -> str:
    """The commit the figures are of, and whether vpcdraw's own folders had changes not committed yet."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "an unknown commit"
    changed = git("status", "--porcelain", "--", "vpcdraw", "topology", "render", "deploy")
    return f"commit {commit}" + (" with uncommitted changes to vpcdraw in the working tree" if changed else "")


def main() -> int:
    rows = measure()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    provenance = (f"Measured on {when} ({_code_measured()}) by `python -m bench.drawio_bench` alone and put "
                  "into this file in place; "
                  "the other sections are from the earlier run they describe, and the machine's 2 CPUs were shared "
                  f"with other work. {METHOD}")
    lines = section(rows, provenance)
    target = ROOT / "BENCHMARKS.md"
    target.write_text(splice(target.read_text(encoding="utf-8"), lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if verdicts_met(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

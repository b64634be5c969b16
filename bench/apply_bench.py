"""Apply and read against a moto server behind an injected round trip (50 ms by default), side by side.

Figures: apply time with --parallelism 1 and the default, against the dependency graph's bound; mutating
calls against the minimum the EC2 API allows; Describe calls and wall time of one read; a no-change plan.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from topology.graph import Resource

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_S = float(os.environ.get("VPCDRAW_BENCH_LATENCY", "0.05"))


def minimum_calls(resources: list[Resource]) -> int:
    """The fewest mutating calls the EC2 API allows for these resources: one per resource, one authorize per
    group and direction, plus the IGW's attach."""
    batches = {(r.spec["security_group"], r.spec["direction"]) for r in resources if r.kind == "security_group_rule"
               and not (r.spec["direction"] == "egress" and r.spec["protocol"] == "-1")}
    return (sum(1 for r in resources if r.kind != "security_group_rule") + len(batches)
            + sum(1 for r in resources if r.kind == "internet_gateway"))


def measure() -> list[tuple[str, str, str]]:
    import networkx as nx

    from bench.synthetic import groups
    from deploy import local
    from deploy.apply import apply
    from deploy.aws import Ec2
    from deploy.live import read
    from deploy.workflow import desired, plan
    from tests.faults import FaultProxy, Faults
    from topology import load
    from topology.examples import example_source
    from topology.graph import dependency_graph

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as state:
        os.environ[local.STATE_VARIABLE] = state
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        server = local.start(port=None)
        source = Path(state) / "assignment.py"
        source.write_text(example_source("assignment"), encoding="utf-8")
        try:
            for name, topology in (("assignment", load(source)), ("synthetic 60 subnets / 30 SGs", groups())):
                wanted = desired(topology, "203.0.113.10")
                depth = len(list(nx.topological_generations(dependency_graph(wanted))))
                times = {}
                for parallelism in (1, 8):
                    local.reset(server.endpoint)
                    proxy = FaultProxy(server.endpoint, Faults(latency=LATENCY_S))
                    ec2 = Ec2(topology.region, endpoint=proxy.endpoint)
                    start = time.perf_counter()
                    made, wanted, live = plan(ec2, topology, "203.0.113.10")
                    apply(ec2, topology.name, made, wanted, live, parallelism=parallelism, poll=0.01)
                    whole = time.perf_counter() - start
                    mutating = proxy.counts["mutating"]
                    start = time.perf_counter()
                    no_change, _, _ = plan(ec2, topology, "203.0.113.10")
                    planning = time.perf_counter() - start
                    before = proxy.counts["requests"]
                    start = time.perf_counter()
                    read(ec2, topology.name, desired(topology, "203.0.113.10"))
                    reading = time.perf_counter() - start
                    reads = proxy.counts["requests"] - before
                    times[parallelism] = whole - planning
                    proxy.close()
                bound = max(depth, mutating / 8) * LATENCY_S
                rows += [
                    (f"{name}: apply phase, parallelism 1 vs 8", f"{times[1]:.2f} s vs {times[8]:.2f} s",
                     f"{times[1] / times[8]:.1f}x faster (target 3x)"),
                    (f"{name}: apply phase vs graph bound max(depth {depth}, calls/8) x RTT", f"{bound:.2f} s",
                     f"{times[8] / bound:.2f} of the bound (target 1.5)"),
                    (f"{name}: mutating calls vs the minimum", f"{mutating} vs {minimum_calls(wanted)}",
                     "equal" if mutating == minimum_calls(wanted) else "MORE"),
                    (f"{name}: one read (plan, diff)", f"{reads} calls, {reading:.2f} s",
                     f"{reading / LATENCY_S:.1f} x RTT (target 3)"),
                    (f"{name}: no-change plan", f"{planning:.2f} s, 0 changes: {not no_change.actions}", ""),
                ]
        finally:
            local.stop()
    return rows


def main() -> int:
    rows = measure()
    print(f"| what (RTT {LATENCY_S * 1000:.0f} ms) | measured | against the target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

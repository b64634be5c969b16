"""Apply and read against a moto server behind an injected round trip (50 ms by default), side by side.

Figures: apply time with --parallelism 1 and the default, against the dependency graph's bound; mutating
calls against the minimum the EC2 API allows; Describe calls and wall time of one read; a no-change plan.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vpcdraw.topology.graph import Resource

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_S = float(os.environ.get("VPCDRAW_BENCH_LATENCY", "0.05"))


class CallTimes:
    """How long each EC2 call took as the client saw it (latency, moto's work under load, botocore)."""

    def __init__(self, ec2: Any) -> None:
        self.seconds: list[float] = []
        for client in ec2.clients:
            client.meta.events.register("before-call.ec2.*", self._start)
            client.meta.events.register("after-call.ec2.*", self._stop)

    def _start(self, context: dict[str, Any], **_: Any) -> None:
        context["bench-start"] = time.perf_counter()

    def _stop(self, context: dict[str, Any], **_: Any) -> None:
        if "bench-start" in context:
            self.seconds.append(time.perf_counter() - context.pop("bench-start"))


READS = 5


def _median_read(ec2: Any, topology: Any) -> float:
    """The median time of READS reads of the live state, after one to warm the connections up."""
    from vpcdraw.deploy.live import read
    from vpcdraw.deploy.workflow import desired

    wanted = desired(topology, "203.0.113.10")
    read(ec2, topology.name, wanted)
    seconds = []
    for _ in range(READS):
        start = time.perf_counter()
        read(ec2, topology.name, wanted)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def minimum_calls(resources: list[Resource]) -> int:
    """The fewest mutating calls the EC2 API allows for these resources: one per resource, one authorize per
    group and direction, plus the IGW's attach."""
    from vpcdraw.topology.specs import SecurityGroupRuleSpec

    batches = {(r.spec.security_group, r.spec.direction) for r in resources
               if isinstance(r.spec, SecurityGroupRuleSpec) and not (r.spec.direction == "egress"
                                                                     and r.spec.protocol == "-1")}
    return (sum(1 for r in resources if r.kind != "security_group_rule") + len(batches)
            + sum(1 for r in resources if r.kind == "internet_gateway"))


def measure() -> list[tuple[str, str, str]]:
    import networkx as nx

    from bench.synthetic import groups
    from tests.faults import FaultProxy, Faults
    from vpcdraw.deploy import DEFAULT_PARALLELISM, local
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.aws import Ec2
    from vpcdraw.deploy.workflow import desired, plan
    from vpcdraw.topology import load
    from vpcdraw.topology.examples import example_source
    from vpcdraw.topology.graph import dependency_graph

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
                times, round_trips, under_load = {}, [], []
                for parallelism in (1, DEFAULT_PARALLELISM):
                    local.reset(server.endpoint)
                    proxy = FaultProxy(server.endpoint, Faults(latency=LATENCY_S))
                    ec2 = Ec2(topology.region, endpoint=proxy.endpoint)
                    made, wanted, _live = plan(ec2, topology, "203.0.113.10")  # also warms the server up
                    for _ in range(10):  # the round trip as this run sees it: latency, moto and botocore
                        start = time.perf_counter()
                        ec2.call("DescribeVpcs")
                        round_trips.append(time.perf_counter() - start)
                    before = proxy.counts["mutating"]
                    timer = CallTimes(ec2)
                    start = time.perf_counter()  # the apply phase: the command minus its read and plan
                    apply(ec2, made, parallelism=parallelism, poll=0.01)
                    times[parallelism] = time.perf_counter() - start
                    under_load = timer.seconds
                    mutating = proxy.counts["mutating"] - before
                    calls_before, mutating_before = proxy.counts["requests"], proxy.counts["mutating"]
                    start = time.perf_counter()
                    no_change, _, _ = plan(ec2, topology, "203.0.113.10")
                    planning = time.perf_counter() - start
                    plan_calls = proxy.counts["requests"] - calls_before
                    plan_mutating = proxy.counts["mutating"] - mutating_before
                    before = proxy.counts["requests"]
                    reading = _median_read(ec2, topology)
                    reads = (proxy.counts["requests"] - before) // (READS + 1)  # and the warm-up
                    proxy.close()
                direct = Ec2(topology.region, endpoint=server.endpoint)  # the same read without the latency
                unloaded = _median_read(direct, topology)
                rtt = statistics.median(round_trips)
                fast = DEFAULT_PARALLELISM
                bound = max(depth, mutating / DEFAULT_PARALLELISM) * rtt
                loaded = statistics.mean(under_load)
                loaded_bound = max(depth, mutating / DEFAULT_PARALLELISM) * loaded
                rows += [
                    (f"{name}: apply phase, parallelism 1 vs {fast}", f"{times[1]:.2f} s vs {times[fast]:.2f} s",
                     f"{times[1] / times[fast]:.1f}x faster (target 3x)"),
                    (f"{name}: apply phase vs graph bound max(depth {depth}, calls/{fast}) x RTT ({rtt * 1000:.0f} ms)",
                     f"{times[fast]:.2f} s vs {bound:.2f} s",
                     f"{times[fast] / bound:.2f} of the bound (target 1.5)"),
                    (f"{name}: the same with the mean call time during that apply ({loaded * 1000:.0f} ms) as RTT",
                     f"{times[fast]:.2f} s vs {loaded_bound:.2f} s", f"{times[fast] / loaded_bound:.2f} of the bound"),
                    (f"{name}: mutating calls vs the minimum", f"{mutating} vs {minimum_calls(wanted)}",
                     "equal" if mutating == minimum_calls(wanted) else "MORE"),
                    (f"{name}: one read (plan, diff; median of {READS})", f"{reads} calls, {reading:.2f} s",
                     f"{reading / LATENCY_S:.1f} x latency, {reading / rtt:.1f} x RTT (target 3)"),
                    (f"{name}: that read without the latency (moto's own work)", f"{unloaded:.2f} s",
                     f"latency adds {(reading - unloaded) / LATENCY_S:.1f} round trips"),
                    (f"{name}: no-change plan", f"{plan_calls} calls, {planning:.2f} s",
                     f"no changes: {not no_change.actions}; mutating calls: {plan_mutating}"),
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

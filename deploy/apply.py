"""Applying a plan: deletes in reverse dependency order, then creates and updates, in parallel waves.

A wave is one networkx topological generation; a bounded thread pool runs its calls. All of one
security group's new rules of one direction go in one authorize call. When a call fails for good,
no new wave starts, the running calls finish, and the error says what was done and what was not.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from topology.errors import VpcdrawError
from topology.graph import Resource

from . import handlers
from .aws import Ec2
from .live import Live
from .plan import Action, Plan

DEFAULT_PARALLELISM = 8
Progress = Callable[[Action, str, int, int], None]  # action, its AWS id or the error, how many done, of how many


class ApplyFailed(VpcdrawError):
    """Some actions could not be carried out; `done` lists those that were."""

    def __init__(self, message: str, done: list[Action], not_done: list[Action]) -> None:
        self.done = done
        self.not_done = not_done
        super().__init__(message)


@dataclass
class Outcome:
    """What an apply did."""

    done: list[Action] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


def apply(ec2: Ec2, topology: str, plan: Plan, desired: list[Resource], live: Live,
          parallelism: int = DEFAULT_PARALLELISM, progress: Progress | None = None, poll: float = 2.0) -> Outcome:
    """Carry out `plan`; raises ApplyFailed after the first failing wave."""
    want = {r.address: r for r in desired}
    ctx = handlers.Context(ec2, topology, dict(live.ids), want, poll=poll)
    outcome = Outcome(ids=ctx.ids)
    total = len(plan.actions)
    removing = [a for a in plan.actions if a.op in ("delete", "replace")]
    adding = [a for a in plan.actions if a.op in ("create", "update", "replace")]
    phases: list[tuple[str, list[Action], dict[str, Resource]]] = [
        ("delete", removing, live.resources), ("create", adding, want)]
    for phase, actions, specs in phases:
        order = [a.address for a in actions]
        index = {a.address: a for a in actions}
        waves = _waves([specs[a] for a in order if a in specs], reverse=phase == "delete")
        for wave in waves:
            jobs = _jobs([index[a] for a in wave], phase, specs)
            failures: list[tuple[list[Action], Exception]] = []
            with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
                futures = {pool.submit(_run, ctx, phase, group, specs, live): group for group in jobs}
                for future in as_completed(futures):
                    group = futures[future]
                    try:
                        future.result()
                    except Exception as failure:  # reported below with what was and was not done
                        failures.append((group, failure))
                        continue
                    for action in group:
                        if phase == "delete" and action.op == "replace":
                            continue  # counted once, when created again
                        outcome.done.append(action)
                        if progress:
                            progress(action, ctx.ids.get(action.address, ""), len(outcome.done), total)
            if failures:
                group, error = failures[0]
                not_done = [a for a in plan.actions if a not in outcome.done]
                raise ApplyFailed(f"{group[0].op} {group[0].kind} {group[0].address} failed: {error}",
                                  outcome.done, not_done)
    return outcome


def _waves(items: list[Resource], reverse: bool) -> list[list[str]]:
    import networkx as nx

    from topology.graph import dependency_graph

    waves = [sorted(w) for w in nx.topological_generations(dependency_graph(items))]
    return waves[::-1] if reverse else waves


def _jobs(actions: list[Action], phase: str, specs: dict[str, Resource]) -> list[list[Action]]:
    """One job per action, except new rules: one job per security group and direction."""
    jobs: list[list[Action]] = []
    batches: dict[tuple[str, str], list[Action]] = {}
    for action in actions:
        if phase == "create" and action.kind == "security_group_rule" and action.op != "update":
            spec = specs[action.address].spec
            batches.setdefault((spec["security_group"], spec["direction"]), []).append(action)
        else:
            jobs.append([action])
    return jobs + list(batches.values())


def _run(ctx: handlers.Context, phase: str, group: list[Action], specs: dict[str, Resource], live: Live) -> None:
    first = group[0]
    if phase == "delete":
        handlers.delete(ctx, live.resources[first.address])
        with ctx.lock:
            ctx.ids.pop(first.address, None)
        return
    if first.kind == "security_group_rule" and first.op != "update":
        handlers.authorize(ctx, [specs[a.address] for a in group])
        return
    resource = specs[first.address]
    if first.op == "update":
        handlers.update(ctx, resource, dict(first.before or {}))
        return
    new_id = handlers.create(ctx, resource)
    with ctx.lock:
        ctx.ids[resource.address] = new_id


def summary(outcome: Outcome | ApplyFailed) -> dict[str, Any]:
    """Counts of what was done, by op."""
    done = outcome.done
    return {op: sum(1 for a in done if a.op == op) for op in ("create", "update", "replace", "delete")}

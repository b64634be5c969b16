"""Applying a plan: adoptions (tags only), deletes in reverse dependency order, then creates and updates.

Each action starts on a bounded thread pool as soon as the actions it depends on (by the networkx
dependency graph) are done. All of one security group's new rules of one direction go in one authorize
call. When a call fails for good, nothing new starts, the running calls finish, and the error says
what was done and what was not.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import SecurityGroupRuleSpec
from vpcdraw.topology.words import plural

from . import DEFAULT_PARALLELISM, families
from .aws import Ec2
from .context import Context, Superseded
from .plan import Action, Plan

Progress = Callable[[Action, str, int, int], None]  # action, its AWS id or the error, how many done, of how many


class ApplyFailed(VpcdrawError):
    """Some actions could not be carried out; `done` lists those that were."""

    def __init__(self, message: str, done: list[Action], not_done: list[Action]) -> None:
        self.done = done
        self.not_done = not_done
        super().__init__(message)


class ApplyInterrupted(ApplyFailed):
    """Ctrl-C: the calls in flight finished, nothing new started; `done` lists what was done."""


@dataclass
class Outcome:
    """What an apply did."""

    done: list[Action] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


def apply(ec2: Ec2, plan: Plan, parallelism: int = DEFAULT_PARALLELISM, progress: Progress | None = None,
          poll: float = 2.0, notice: Callable[[str], None] | None = None) -> Outcome:
    """Carry out `plan` (which holds all it acts on); raises ApplyFailed once the calls running when one failed
    have finished. `progress` hears of each action done, `notice` of long waits (a NAT takes minutes).

    Adoptions go first, so that whatever else the plan changes in an adopted resource is owned by then
    (a plain apply completes it after a crash). What the plan leaves alone is not even looked up by id.
    """
    if plan.problem:
        raise VpcdrawError(plan.problem)
    want = {r.address: r for r in plan.desired}
    ctx = Context(ec2, plan.topology, dict(plan.ids), want, poll=poll, intent=plan.intent or secrets.token_hex(12))
    if notice:
        ctx.notice = notice
    outcome = Outcome(ids=ctx.ids)
    total = len(plan.actions)
    adopting = [a for a in plan.actions if a.op == "adopt"]
    removing = [a for a in plan.actions if a.op in ("delete", "replace")]
    adding = [a for a in plan.actions if a.op in ("create", "update", "replace")]
    gone = {a.address: plan.current[a.address] for a in removing}  # as the plan saw them
    releasing, letting_go, adding = _releases(adding, {a.address for a in removing if a.op == "delete"}, want)
    planned = {a.address: a for a in plan.actions if a.op == "update"}  # as the plan has them, for `done`
    phases: list[tuple[str, list[Action], dict[str, Resource]]] = [
        ("adopt", adopting, want), ("release", releasing, letting_go), ("delete", removing, gone),
        ("create", adding, want)]

    def finished(phase: str, group: list[Action]) -> None:
        for action in group:
            if (phase == "delete" and action.op == "replace") or phase == "release":
                continue  # counted once, when created again, or when the rest of the update is done
            action = planned.get(action.address, action) if action.op == "update" else action
            outcome.done.append(action)
            if progress:
                progress(action, ctx.ids.get(action.address, ""), len(outcome.done), total)

    for phase, actions, specs in phases:
        jobs, needs = _schedule(actions, phase, specs)
        failures, interrupted = _run_jobs(jobs, needs, parallelism, partial(_run, ctx, phase, specs=specs),
                                          partial(finished, phase))
        if interrupted:
            not_done = [a for a in plan.actions if a not in outcome.done]
            raise ApplyInterrupted(f"interrupted: the {plural(len(outcome.done), 'call')} done are kept", outcome.done,
                                   not_done)
        if failures:  # the first failure that is not merely another's consequence
            group, error = next((f for f in failures if not isinstance(f[1], Superseded)), failures[0])
            not_done = [a for a in plan.actions if a not in outcome.done]
            raise ApplyFailed(f"{group[0].op} {group[0].kind} {group[0].address} failed: {error}",
                              outcome.done, not_done)
    return outcome


def _releases(adding: list[Action], deleted: set[str], want: dict[str, Resource]
              ) -> tuple[list[Action], dict[str, Resource], list[Action]]:
    """Split off the part of each update that lets go of something the plan deletes, to run before the deletes.

    AWS refuses to delete a subnet a transit gateway attachment or an interface endpoint uses, or a route table
    or group an endpoint uses; deletes run before updates, so the attachment first lets go of the subnet
    (`release` phase), the subnet is deleted, and then the rest of the update is done. Returns the releases,
    the specs they move to, and `adding` with those updates starting from there.
    """
    releases: list[Action] = []
    interim: dict[str, Resource] = {}
    rest: list[Action] = []
    for action in adding:
        before = action.before
        if action.op != "update" or before is None or not set(before.references()) & deleted:
            rest.append(action)
            continue
        fields = tuple(k for k in type(before).REFERENCES if k in action.changed
                       and isinstance(getattr(before, k), tuple) and set(getattr(before, k)) & deleted)
        if not fields:
            rest.append(action)
            continue
        middle = dataclasses.replace(before, **{k: tuple(x for x in getattr(before, k) if x not in deleted)
                                                for k in fields})
        releases.append(dataclasses.replace(action, reason=f"lets go of what is deleted ({', '.join(fields)})",
                                            after=middle, changed=fields))
        interim[action.address] = dataclasses.replace(want[action.address], spec=middle)
        rest.append(dataclasses.replace(action, before=middle))
    return releases, interim, rest


def _schedule(actions: list[Action], phase: str, specs: dict[str, Resource]
              ) -> tuple[list[list[Action]], list[set[int]]]:
    """The phase's jobs in a stable order, and for each job the jobs it must wait for.

    A resource waits for what it depends on (creates) or for what depends on it (deletes): nothing else, so
    each starts as soon as its own dependencies are done rather than with the slowest of a whole wave.
    """
    import networkx as nx

    from vpcdraw.topology.graph import dependency_graph

    graph = dependency_graph(specs[a.address] for a in actions if a.address in specs)
    if phase == "delete":
        graph = graph.reverse(copy=False)
    early = [(getattr(specs[a.address].spec, field), a.address) for a in actions
             if phase == "create" and a.op != "update" and (field := families.family(a.kind).STARTS_EARLY)
             and getattr(specs[a.address].spec, field)]
    rank = {address: n for n, address in enumerate(nx.lexicographical_topological_sort(graph))}
    ordered = sorted(actions, key=lambda a: (rank.get(a.address, -1), a.address))
    jobs = _jobs(ordered, phase, specs)
    job_of = {a.address: n for n, job in enumerate(jobs) for a in job}
    needs: list[set[int]] = [set() for _ in jobs]
    for before, after in graph.edges:
        if job_of[before] != job_of[after] and (before, after) not in early:
            needs[job_of[after]].add(job_of[before])
    return jobs, needs


def _run_jobs(jobs: list[list[Action]], needs: list[set[int]], parallelism: int,
              run: Callable[[list[Action]], None], finished: Callable[[list[Action]], None]
              ) -> tuple[list[tuple[list[Action], Exception]], bool]:
    """Run each job on a bounded pool once the jobs it needs are done; after a failure or a Ctrl-C, jobs not
    started yet are cancelled and the running ones finish (and are reported finished). Returns the failures
    and whether it was interrupted."""
    waiting = [len(n) for n in needs]
    dependents: list[list[int]] = [[] for _ in jobs]
    for job, required in enumerate(needs):
        for other in sorted(required):
            dependents[other].append(job)
    failures: list[tuple[list[Action], Exception]] = []
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        running: dict[Future[None], int] = {pool.submit(run, jobs[n]): n for n in range(len(jobs)) if not waiting[n]}
        while running:
            try:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:  # let what is in flight finish, start nothing new
                interrupted = True
                for queued in running:
                    queued.cancel()
                continue
            for future in sorted(done, key=running.__getitem__):
                job = running.pop(future)
                if future.cancelled():
                    continue
                try:
                    future.result()
                except Exception as failure:  # reported by the caller with what was and was not done
                    failures.append((jobs[job], failure))
                    for queued in running:  # not started yet: they stay undone
                        queued.cancel()
                    continue
                finished(jobs[job])
                for dependent in dependents[job]:
                    waiting[dependent] -= 1
                    if not waiting[dependent] and not failures and not interrupted:
                        running[pool.submit(run, jobs[dependent])] = dependent
    return failures, interrupted


def _jobs(actions: list[Action], phase: str, specs: dict[str, Resource]) -> list[list[Action]]:
    """One job per action, except new rules: one job per security group and direction."""
    jobs: list[list[Action]] = []
    batches: dict[tuple[str, str], list[Action]] = {}
    for action in actions:
        spec = specs[action.address].spec
        if phase == "create" and isinstance(spec, SecurityGroupRuleSpec) and action.op != "update":
            batches.setdefault((spec.security_group, spec.direction), []).append(action)
        else:
            jobs.append([action])
    return jobs + list(batches.values())


def _run(ctx: Context, phase: str, group: list[Action], specs: dict[str, Resource]) -> None:
    try:
        _carry_out(ctx, phase, group, specs)
    except BaseException:
        ctx.give_up()
        raise


def _carry_out(ctx: Context, phase: str, group: list[Action], specs: dict[str, Resource]) -> None:
    first = group[0]
    if phase == "adopt":
        families.adopt(ctx, first.aws_id or ctx.id(first.address), first.tags_after)
        return
    if phase == "delete":
        families.delete(ctx, specs[first.address])
        ctx.learn(first.address, None)
        return
    if first.kind == "security_group_rule" and first.op != "update":
        families.authorize(ctx, [specs[a.address] for a in group])
        return
    resource = specs[first.address]
    if first.op == "update" and first.before is not None:
        families.update(ctx, resource, first.before, first.changed)
        return
    ctx.learn(resource.address, families.create(ctx, resource))


def summary(outcome: Outcome | ApplyFailed) -> dict[str, Any]:
    """Counts of what was done, by op."""
    done = outcome.done
    return {op: sum(1 for a in done if a.op == op) for op in ("adopt", "create", "update", "replace", "delete")}

"""Plans: the ordered actions that make the account match the model, as plain data.

Inside what vpcdraw owns, routes, associations and rules are made to match the model whoever added them;
whole resources vpcdraw did not create are never deleted, only reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.graph import Resource, dependency_graph

from .live import Live

# What AWS cannot change in place: a different value means delete and create again.
REPLACED_BY: dict[str, tuple[str, ...]] = {
    "vpc": ("cidr",),
    "subnet": ("vpc", "cidr", "az"),
    "security_group": ("vpc", "group_name", "description"),
    "route_table": ("vpc",),
    "nat_gateway": ("subnet", "elastic_ip"),
    "instance": ("subnet", "instance_type", "image", "public_ip"),
    "route_table_association": ("route_table", "subnet"),
}
# Parts of a resource that live and die with it: deleted when the model drops them, whoever made them.
PARENT_KEY = {"route": "route_table", "route_table_association": "route_table",
              "security_group_rule": "security_group"}
SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "-/+"}


@dataclass(frozen=True)
class Action:
    """One step of a plan (`op` is create, update, delete or replace); `reason` is for people only."""

    op: str
    kind: str
    address: str
    reason: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data."""
        return {"op": self.op, "kind": self.kind, "address": self.address, "reason": self.reason,
                "before": self.before, "after": self.after}


@dataclass
class Plan:
    """Actions in the order apply runs them (deletes first, dependents first), and notes for people."""

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        """Whether applying would change anything."""
        return bool(self.actions)

    def count(self, op: str) -> int:
        """How many actions have this op."""
        return sum(1 for a in self.actions if a.op == op)

    def to_json(self) -> dict[str, Any]:
        """The plan as `{"actions": [...], "notes": [...]}`."""
        return {"actions": [a.to_json() for a in self.actions], "notes": self.notes}


def make_plan(desired: list[Resource], live: Live) -> Plan:
    """Compare the model's resources with the live ones and list what to create, update, replace or delete."""
    want = {r.address: r for r in desired}
    ops: dict[str, Action] = {}
    notes: list[str] = []
    for resource in desired:
        have = live.resources.get(resource.address)
        if have is None:
            reason = "not in the account"
            if resource.kind == "security_group_rule" and resource.spec["security_group"] not in live.resources \
                    and resource.spec["direction"] == "egress" and resource.address.endswith("/all/0.0.0.0/0"):
                reason = "AWS's default egress rule, made with the new group"
            ops[resource.address] = Action("create", resource.kind, resource.address, reason, None, resource.spec)
            continue
        changed = _differences(resource, have)
        if not changed:
            continue
        before = {k: have.spec.get(k) for k in changed}
        after = {k: resource.spec.get(k) for k in changed}
        replaced = [k for k in changed if k in REPLACED_BY.get(resource.kind, ())]
        foreign = resource.address not in live.owned and resource.kind not in PARENT_KEY
        if replaced and foreign:
            words = ", ".join(f"{k} {have.spec.get(k)!r}, not {resource.spec.get(k)!r}" for k in replaced)
            notes.append(f"{resource.kind.replace('_', ' ')} {resource.address} ({live.ids[resource.address]}) has "
                         f"{words}, but vpcdraw did not create it, so it will not replace it; change it by hand")
        elif replaced:
            words = ", ".join(f"{k} {have.spec.get(k)!r} -> {resource.spec.get(k)!r}" for k in replaced)
            ops[resource.address] = Action("replace", resource.kind, resource.address,
                                           f"AWS cannot change {words} in place", before, after)
        else:
            words = ", ".join(f"{k} {have.spec.get(k)!r} -> {resource.spec.get(k)!r}" for k in changed)
            ops[resource.address] = Action("update", resource.kind, resource.address, words, before, after)
    _cascade_replacements(desired, live, ops)
    deletes: dict[str, Action] = {}
    plan = Plan(notes=notes)
    for address, have in live.resources.items():
        if address in want:
            continue
        parent = have.spec.get(PARENT_KEY.get(have.kind, ""), "")
        if address in live.owned:
            deletes[address] = Action("delete", have.kind, address, "not in the model", have.spec, None)
        elif parent and (parent in live.owned or parent in want):
            if parent in want or not _dies_with_parent(have):
                deletes[address] = Action("delete", have.kind, address, "not in the model", have.spec, None)
        else:
            plan.notes.append(f"{have.kind.replace('_', ' ')} {address} ({live.ids[address]}) was not created by "
                              "vpcdraw; left alone")
    for kind, aws_id, what in live.foreign:
        plan.notes.append(f"{kind.replace('_', ' ')} {what} ({aws_id}) is not in the model and was not created by "
                          "vpcdraw; left alone")
    deleting = list(deletes.values()) + [a for a in ops.values() if a.op == "replace"]
    delete_order = _order([live.resources[a.address] for a in deleting], reverse=True)
    plan.actions += [deletes[a] for a in delete_order if a in deletes]
    plan.actions += [ops[a] for a in _order([want[a] for a in ops]) if a in ops]
    return plan


def _dies_with_parent(resource: Resource) -> bool:
    """Whether deleting its parent removes it anyway (routes and plain rules), so no call of its own is needed."""
    return resource.kind == "route" or (resource.kind == "security_group_rule"
                                        and resource.spec.get("peer_kind") != "security_group")


def _differences(wanted: Resource, have: Resource) -> list[str]:
    changed = []
    for key, value in wanted.spec.items():
        current = have.spec.get(key)
        if key == "image" and str(value).startswith("resolve:ssm:"):
            continue  # resolved to an AMI id at launch; the parameter moves on, the instance need not
        if isinstance(value, list):
            value, current = sorted(value, key=repr), sorted(current or [], key=repr)
        if value != current:
            changed.append(key)
    return changed


def _cascade_replacements(desired: list[Resource], live: Live, ops: dict[str, Action]) -> None:
    """What depends on a replaced resource is replaced with it (a subnet's NAT, instances, associations)."""
    import networkx as nx

    graph = dependency_graph(desired)
    for address in [a for a, action in ops.items() if action.op == "replace"]:
        for dependent in sorted(nx.descendants(graph, address)):
            current = ops.get(dependent)
            foreign = dependent not in live.owned and graph.nodes[dependent]["kind"] not in PARENT_KEY
            if dependent in live.resources and not foreign and (current is None or current.op == "update"):
                kind = graph.nodes[dependent]["kind"]
                ops[dependent] = Action("replace", kind, dependent, f"{address} is replaced",
                                        live.resources[dependent].spec, None)


def _order(items: list[Resource], reverse: bool = False) -> list[str]:
    """Addresses in dependency order, deterministic (lexicographic among equals); reversed for deletes."""
    import networkx as nx

    order = list(nx.lexicographical_topological_sort(dependency_graph(items)))
    return order[::-1] if reverse else order


def format_plan(plan: Plan) -> list[str]:
    """The plan as lines for a terminal, Terraform style: `+ subnet vpc/main/subnet/public-a (reason)`."""
    lines = [f"  {SYMBOL[a.op]:>3} {a.kind} {a.address}  ({a.reason})" for a in plan.actions]
    replaced = plan.count("replace")
    if replaced:
        lines.append(f"  !!  {replaced} resource{'s are' if replaced > 1 else ' is'} REPLACED: deleted, then "
                     "created again with a new id")
    return lines

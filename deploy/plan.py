"""Plans: the ordered actions that make the account match the model, as plain data.

A plan changes only what vpcdraw owns (this topology's tag, exactly) and, inside it, routes, associations
and rules whoever added them. A look-alike (a resource vpcdraw did not tag, matched to the model by its
natural key) is left alone, with ours created beside it, unless it stands in the way of ours (then the plan
is blocked, naming it) or the user asked for `adopt`: then the plan tags it as ours (tags only, never a
replace or a delete) and changes its parts like any others. Another topology's resources are never adopted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource, dependency_graph, rule_address, rule_key
from vpcdraw.topology.specs import PARTS, DefaultSecurityGroupSpec, SecurityGroupRuleSpec, Spec
from vpcdraw.topology.words import plural

from .families import TAGGABLE, family
from .live import ADDRESS_TAG, TOPOLOGY_TAG, Live

Op = Literal["create", "update", "delete", "replace", "adopt"]
SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "adopt": "<="}


@dataclass(frozen=True)
class Action:
    """One step of a plan, as data apply acts on; `reason` is for people only.

    `before` is the resource as the account has it (update, replace, delete, adopt), `after` as the model
    has it (create, update, replace, adopt); `changed` names the fields that differ and `forces_replace`
    those of them AWS cannot change in place. An adopt tags the live resource `aws_id` as this topology's:
    `tags_before` and `tags_after` are its tags.
    """

    op: Op
    address: str
    reason: str
    before: Spec | None = None
    after: Spec | None = None
    changed: tuple[str, ...] = ()
    forces_replace: tuple[str, ...] = ()
    aws_id: str | None = None
    tags_before: dict[str, str] = field(default_factory=dict, compare=False)
    tags_after: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def spec(self) -> Spec:
        """The spec the action is about: the model's, or the account's for a delete."""
        found = self.after or self.before
        if found is None:
            raise VpcdrawError(f"the {self.op} of {self.address} holds no resource")
        return found

    @property
    def kind(self) -> str:
        return self.spec.KIND

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data: whole specs for a create or delete, the changed fields for an
        update or replace, the tags for an adopt (with `id` when it acts on a resource vpcdraw did not create)."""
        before: dict[str, Any] | None = self.before.to_json() if self.before else None
        after: dict[str, Any] | None = self.after.to_json() if self.after else None
        if self.op == "adopt":
            before, after = self.tags_before, self.tags_after
        elif self.changed and before is not None and after is not None:
            before = {k: before[k] for k in self.changed}
            after = {k: after[k] for k in self.changed}
        data: dict[str, Any] = {"op": self.op, "kind": self.kind, "address": self.address, "reason": self.reason,
                                "before": before, "after": after}
        if self.aws_id is not None:
            data["id"] = self.aws_id
        return data


@dataclass
class Plan:
    """Actions in the order apply runs them (adoptions, deletes, then the rest, dependencies first), and notes.

    `blocked` lists look-alikes that stand where the plan would create its own (apply refuses such a plan);
    `left_alone` holds the live addresses of look-alikes and their parts, which no action may touch.
    """

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    left_alone: set[str] = field(default_factory=set)
    advice: str = ""  # how to get past `blocked`, for people
    # What apply needs besides the actions, so that it takes the plan and the connection and nothing else:
    topology: str = ""  # whose tags what is created or adopted carries
    desired: tuple[Resource, ...] = ()  # the model's resources, for the creates' own needs
    ids: dict[str, str] = field(default_factory=dict)  # the AWS ids the actions act on
    current: dict[str, Resource] = field(default_factory=dict)  # what is deleted or replaced, as it is now
    intent: str = ""  # what the ClientTokens of its creates share (see `vpcdraw.deploy.lock`); '' for a new one
    kept: list[str] = field(default_factory=list)  # what a destroy cannot delete, and why: it ends incomplete

    @property
    def changes(self) -> bool:
        """Whether applying would change anything."""
        return bool(self.actions)

    @property
    def problem(self) -> str | None:
        """Why the plan cannot be applied, in one sentence, or None."""
        if not self.blocked:
            return None
        return "; ".join(self.blocked) + (f": {self.advice}" if self.advice else "")

    def count(self, op: str) -> int:
        """How many actions have this op."""
        return sum(1 for a in self.actions if a.op == op)

    def to_json(self) -> dict[str, Any]:
        """The plan as `{"actions": [...], "notes": [...]}`."""
        return {"actions": [a.to_json() for a in self.actions], "notes": self.notes}


def make_plan(desired: list[Resource], live: Live, *, topology: str | None = None, adopt: bool = False) -> Plan:
    """Compare the model's resources with the live ones and list what to create, update, replace or delete.

    `topology` is the name whose tag means owned (needed to tell another topology's resources apart);
    with `adopt`, look-alikes of the model that vpcdraw did not create are taken over (tags only).
    """
    if adopt and not topology:
        raise VpcdrawError("adopting needs the topology's name, which the tags of what is adopted carry")
    scope = _Scope(desired, live, topology, adopt)
    view, adopts = scope.view, scope.adopts
    want = {r.address: r for r in desired}
    ops: dict[str, Action] = {}
    notes: list[str] = list(scope.notes)
    for resource in desired:
        have = view.resources.get(resource.address)
        if have is None:
            reason = "not in the account"
            spec = resource.spec
            if isinstance(spec, SecurityGroupRuleSpec) and spec.security_group not in view.resources \
                    and spec.is_default_egress:
                reason = "AWS's default egress rule, made with the new group"
            ops[resource.address] = Action("create", resource.address, reason, after=resource.spec)
            continue
        changed = tuple(_compared(resource, have, resource.address in adopts))
        if not changed:
            continue
        replaced = tuple(k for k in changed if k in family(resource.kind).REPLACED_BY)
        foreign = resource.address not in view.owned and resource.kind not in PARTS
        if foreign and replaced:
            notes.append(_not_replaced(resource, have, view.ids[resource.address], replaced))
        elif foreign and resource.kind in TAGGABLE:  # only what we own is changed
            notes.append(f"{resource.kind.replace('_', ' ')} {resource.address} ({view.ids[resource.address]}) "
                         "differs from the model, but vpcdraw did not create it; left alone")
        elif replaced:
            words = ", ".join(f"{k} {_value(have, k)!r} -> {_value(resource, k)!r}" for k in replaced)
            ops[resource.address] = Action("replace", resource.address, f"AWS cannot change {words} in place",
                                           have.spec, resource.spec, changed, replaced)
        else:
            words = ", ".join(f"{k} {_value(have, k)!r} -> {_value(resource, k)!r}" for k in changed)
            ops[resource.address] = Action("update", resource.address, words, have.spec, resource.spec, changed)
    _cascade_replacements(desired, view, ops)
    deletes: dict[str, Action] = {}
    plan = Plan(notes=notes, blocked=scope.blocked, left_alone=scope.hidden, advice=scope.advice(),
                topology=topology or "", desired=tuple(desired),
                ids={a: i for a, i in live.ids.items() if a not in scope.hidden})
    for address, have in view.resources.items():
        if address in want:
            continue
        parent = have.spec.parent
        if address in view.owned:
            deletes[address] = Action("delete", address, "not in the model", before=have.spec)
        elif parent and (parent in view.owned or parent in want):
            if parent in want or not family(have.kind).dies_with_parent(have.spec):
                deletes[address] = Action("delete", address, "not in the model", before=have.spec)
        else:
            plan.notes.append(f"{have.kind.replace('_', ' ')} {address} ({view.ids[address]}) was not created by "
                              "vpcdraw; left alone")
    for kind, aws_id, what in live.foreign:
        plan.notes.append(f"{kind.replace('_', ' ')} {what} ({aws_id}) is not in the model and was not created by "
                          "vpcdraw; left alone")
    deleting = list(deletes.values()) + [a for a in ops.values() if a.op == "replace"]
    delete_order = _order([view.resources[a.address] for a in deleting], reverse=True)
    plan.actions += [adopts[a] for a in _order([want[a] for a in adopts])]
    plan.actions += [deletes[a] for a in delete_order if a in deletes]
    plan.actions += [ops[a] for a in _order([want[a] for a in ops]) if a in ops]
    plan.current = {a.address: view.resources[a.address] for a in plan.actions
                    if a.op in ("delete", "replace") and a.address in view.resources}
    return plan


def _value(resource: Resource, key: str) -> object:
    return getattr(resource.spec, key)


def _not_replaced(resource: Resource, have: Resource, aws_id: str, keys: tuple[str, ...]) -> str:
    words = ", ".join(f"{k} {_value(have, k)!r}, not {_value(resource, k)!r}" for k in keys)
    return (f"{resource.kind.replace('_', ' ')} {resource.address} ({aws_id}) has {words}, but vpcdraw did not "
            "create it, so it will not replace it; change it by hand")


def _compared(resource: Resource, have: Resource, adopted: bool = False) -> list[str]:
    """The keys that differ and matter: an adopt writes the Name, and an adopted group keeps its own name."""
    changed = _differences(resource, have)
    if adopted:
        changed = [k for k in changed if k != "name"]
    if resource.kind == "security_group" and _value(have, "group_name") != _value(resource, "group_name"):
        # Only an adopted group can be named apart from its address: AWS cannot rename a group or change
        # its description, and they are labels, so they are kept rather than the group replaced.
        changed = [k for k in changed if k not in ("group_name", "description")]
    return changed


def named(aws_id: str, name: str) -> str:
    """An AWS id with its Name tag, as the console shows both.

    >>> named("subnet-0abc", "my public-a"), named("igw-1", "")
    ("subnet-0abc ('my public-a')", 'igw-1 (no Name tag)')
    """
    return f"{aws_id} ({name!r})" if name else f"{aws_id} (no Name tag)"


def _who(aws_id: str, have: Resource) -> str:
    """A live resource as a person finds it in the console: its id and Name tag (a group also by its name)."""
    label = have.spec.label
    if have.kind == "security_group" and not label:
        return f"{aws_id} (group name {_value(have, 'group_name')!r}, no Name tag)"
    return named(aws_id, label)


class _Scope:
    """What a plan may act on: what we own, the look-alikes it adopts, and what it leaves alone or is blocked by.

    A look-alike is a live resource at a model address that does not carry this topology's tags. Its parts
    (rules, routes, associations, a VPC's default group) go with it; what lives inside one (a subnet in a
    VPC, a NAT in a subnet, the Elastic IP of a NAT) is adopted or left alone with what holds it.
    """

    def __init__(self, desired: list[Resource], live: Live, topology: str | None, adopt: bool) -> None:
        self.want = {r.address: r for r in desired}
        self.live, self.topology, self.adopt = live, topology, adopt
        self.managed = set(live.owned)
        self.hidden: set[str] = set()
        self.adopts: dict[str, Action] = {}
        self.notes: list[str] = []
        self.blocked: list[str] = []
        self.adoptable_blockers = 0
        kinds = {k: n for n, k in enumerate(TAGGABLE)}
        lookalikes = sorted((a for a, r in live.resources.items() if r.kind in kinds and a not in live.owned),
                            key=lambda a: (kinds[live.resources[a].kind], a))
        for address in lookalikes:
            self.decide(address)
        for address in (a for a in self.adopts if live.resources[a].kind == "vpc"):
            if live.foreign:  # e.g. a subnet the model does not have: vpcdraw never deletes it
                self.notes.append(f"{address} ({live.ids[address]}) holds {plural(len(live.foreign), 'resource')} that "
                                  "are not in the model (listed below): vpcdraw leaves them alone, so destroy cannot "
                                  "delete the VPC while they are there")
        for address, have in live.resources.items():  # the parts of what is left alone stay with it
            parent = have.spec.vpc if isinstance(have.spec, DefaultSecurityGroupSpec) else have.spec.parent
            if parent in self.hidden:
                self.hidden.add(address)
        resources = {a: r for a, r in live.resources.items() if a not in self.hidden}
        ids = {a: i for a, i in live.ids.items() if a not in self.hidden}
        for address, have in list(resources.items()):
            rule = have.spec
            if isinstance(rule, SecurityGroupRuleSpec) and rule.peer_kind == "security_group" \
                    and rule.peer in self.hidden:  # a rule naming a group left alone names that group, not ours
                spec = dataclasses.replace(rule, peer=live.ids[rule.peer])
                moved = rule_address(spec.security_group, spec.direction, rule_key(spec))
                self.hidden.add(address)
                resources[moved], ids[moved] = Resource(moved, spec), ids.pop(address)
                del resources[address]
        self.view = Live(resources=resources, ids=ids, owned=self.managed - self.hidden, owners=dict(live.owners),
                         foreign=live.foreign, main_route_tables=live.main_route_tables,
                         not_checked=live.not_checked, my_ip=live.my_ip)

    def container(self, have: Resource) -> str | None:
        """The address of what holds a resource: its VPC, its subnet, or (an Elastic IP) the NAT using it."""
        if have.kind == "elastic_ip":
            return next((a for a, r in self.live.resources.items()
                         if getattr(r.spec, "elastic_ip", None) == have.address), None)
        holder = getattr(have.spec, "subnet" if have.kind in ("nat_gateway", "instance") else "vpc", None)
        return str(holder) if holder else None

    def decide(self, address: str) -> None:
        live, have, resource = self.live, self.live.resources[address], self.want.get(address)
        holder = self.container(have)
        if resource is None or (holder is not None and holder not in self.managed):
            self.hidden.add(address)  # inside something left alone: said once, with it
            return
        if have.kind == "elastic_ip" and holder in live.owned and not self.adopt:
            return  # the address of a NAT of ours, made with it: never changed, only its NAT is
        aws_id, kind = live.ids[address], "VPC" if have.kind == "vpc" else have.kind.replace("_", " ")
        who = _who(aws_id, have)
        owner = live.owners.get(address)
        theirs = owner is not None and owner != self.topology
        replaced = tuple(k for k in _compared(resource, have) if k in family(have.kind).REPLACED_BY)
        if self.adopt and not theirs and not replaced:
            self.adopts[address] = self.adoption(resource, have, aws_id, owner)
            self.managed.add(address)
            return
        self.hidden.add(address)
        if replaced:
            self.notes.append(_not_replaced(resource, have, aws_id, replaced))
        in_the_way = self.in_the_way(resource, have)
        differs = ", ".join(f"{k} {_value(have, k)!r}, not {_value(resource, k)!r}" for k in replaced)
        if theirs:
            why = (f"belongs to topology {owner!r} (its {TOPOLOGY_TAG} tag), and vpcdraw never adopts another "
                   "topology's resources, not even with --adopt")
        elif self.adopt:
            why = f"has {differs}, which AWS cannot change in place, so vpcdraw cannot adopt it (tags only)"
        else:
            why = "was not created by vpcdraw"
        if in_the_way:
            self.blocked.append(f"{kind} {who} {in_the_way} that {address} needs, and {why}")
            self.adoptable_blockers += not theirs and not self.adopt
        elif self.adopt and not theirs:
            self.blocked.append(f"{kind} {who} looks like {address} but {why}")
        elif theirs:
            self.notes.append(f"{kind} {who} looks like {address} but belongs to topology {owner!r}: it is left "
                              "alone, never adopted, and vpcdraw creates its own beside it")
        else:
            self.notes.append(f"{kind} {who} looks like {address} but was not created by vpcdraw: it is left alone "
                              "and vpcdraw creates its own beside it (--adopt takes it over instead, tags only)")

    def in_the_way(self, resource: Resource, have: Resource) -> str:
        """How a look-alike stops ours from being created beside it (AWS would refuse), or ''."""
        vpc = getattr(resource.spec, "vpc", None)
        if getattr(have.spec, "vpc", None) != vpc:
            return ""
        if resource.kind == "subnet":
            return f"already has the CIDR {_value(resource, 'cidr')} in {vpc}"  # InvalidSubnet.Conflict
        group_name = getattr(resource.spec, "group_name", None)
        if resource.kind == "security_group" and getattr(have.spec, "group_name", None) == group_name:
            return f"already has the group name {group_name!r} in {vpc}"  # InvalidGroup.Duplicate
        if resource.kind == "internet_gateway" and vpc:
            return f"is already attached to {vpc}, which takes one internet gateway,"
        return ""

    def adoption(self, resource: Resource, have: Resource, aws_id: str, owner: str | None) -> Action:
        name, old = resource.spec.label, have.spec.label
        before = {"Name": old} if old else {}
        if owner is not None:
            before[TOPOLOGY_TAG] = owner
        if same_name(resource, old):
            name = old  # their Name says what ours would: it stays
        after = {"Name": name, TOPOLOGY_TAG: self.topology or "", ADDRESS_TAG: resource.address}
        words = [f"{_who(aws_id, have)}, made outside vpcdraw: tags only"]
        if old != name:
            words.append(f"Name {old!r} -> {name!r}" if old else f"Name {name!r} added")
        group_name = getattr(have.spec, "group_name", None)
        if resource.kind == "security_group" and group_name != _value(resource, "group_name"):
            words.append(f"it keeps its group name {group_name!r} and description, which AWS cannot change")
        return Action("adopt", resource.address, "; ".join(words), have.spec, resource.spec, aws_id=aws_id,
                      tags_before=before, tags_after=after)

    def advice(self) -> str:
        """What to do about `blocked`, for the end of the sentence."""
        if not self.blocked:
            return ""
        if self.adoptable_blockers:
            them = "it" if len(self.blocked) == 1 else "what vpcdraw did not create"
            return f"plan and apply with --adopt take {them} over (tags only), or change the model"
        return "change the model or the account"


def _differences(wanted: Resource, have: Resource) -> list[str]:
    changed = []
    for key, value in wanted.spec.values().items():
        current = getattr(have.spec, key)
        if key == "image" and str(value).startswith("resolve:ssm:"):
            continue  # resolved to an AMI id at launch; the parameter moves on, the instance need not
        if key == "name" and same_name(wanted, current):
            continue
        if value != current:  # tuples of addresses are sorted when made
            changed.append(key)
    return changed


def same_name(wanted: Resource, name_tag: object) -> bool:
    """Whether a live Name tag is the model's: the same, or the label alone (`외부망 A` for `외부망 A public-a`).

    vpcdraw writes the label and the resource's name; a student's own Name tag that is the label is kept.
    """
    value = wanted.spec.label
    short = wanted.address.rsplit("/", 1)[-1]
    return name_tag == value or (value.endswith(f" {short}") and name_tag == value.removesuffix(f" {short}"))


def _cascade_replacements(desired: list[Resource], live: Live, ops: dict[str, Action]) -> None:
    """What depends on a replaced resource is replaced with it (a subnet's NAT, instances, associations)."""
    import networkx as nx

    graph = dependency_graph(desired)
    want = {r.address: r for r in desired}
    for address in [a for a, action in ops.items() if action.op == "replace"]:
        for dependent in sorted(nx.descendants(graph, address)):
            current = ops.get(dependent)
            foreign = dependent not in live.owned and graph.nodes[dependent]["kind"] not in PARTS
            if dependent in live.resources and not foreign and (current is None or current.op == "update"):
                ops[dependent] = Action("replace", dependent, f"{address} is replaced",
                                        live.resources[dependent].spec, want[dependent].spec)


def _order(items: list[Resource], reverse: bool = False) -> list[str]:
    """Addresses in dependency order, deterministic (lexicographic among equals); reversed for deletes."""
    import networkx as nx

    order = list(nx.lexicographical_topological_sort(dependency_graph(items)))
    return order[::-1] if reverse else order


def format_plan(plan: Plan, paint: Callable[[str, str], str] = lambda text, tone: text) -> list[str]:
    """The plan as lines for a terminal, Terraform style, with the values that are made or go:
    `+ subnet vpc/main/subnet/public-a  (172.16.0.0/24 in ap-northeast-2a)`; a change says `field: old -> new`.

    Parts (rules, routes, associations) stand under the resource they belong to, by their address inside
    it; `paint(text, op)` colours each line by its op (no colour by default).
    """
    parts: dict[str, list[Action]] = {}
    for a in plan.actions:
        if a.spec.parent:
            parts.setdefault(a.spec.parent, []).append(a)
    lines: list[str] = []
    shown: set[str] = set()

    def line(a: Action, indent: str, name: str) -> str:
        said = a.reason
        if a.op in ("create", "delete") and not said.startswith("AWS's"):
            said = values(a.spec) or said
        return paint(f"{indent}{SYMBOL[a.op]:>3} {name}  ({said})", a.op)

    for a in plan.actions:
        holder = a.spec.parent or a.address
        if holder in shown:
            continue
        shown.add(holder)
        if a.spec.parent:  # a part of something the plan leaves as it is
            lines.append(f"      {holder.split('/')[-2]} {holder}")
        else:
            lines.append(line(a, "  ", f"{a.kind} {a.address}"))
        for part in parts.get(holder, []):
            lines.append(line(part, "      ", part.address.removeprefix(holder + "/").replace("/", " ", 1)))
    replaced = plan.count("replace")
    if replaced:
        lines.append(f"  !!  {replaced} resource{'s are' if replaced > 1 else ' is'} REPLACED: deleted, then "
                     "created again with a new id")
    return lines


def values(spec: Spec) -> str:
    """What a resource is, in the values a reviewer checks: CIDR and AZ, ports and peer, destination and target."""
    from vpcdraw.topology import specs

    from .diff import rule_words

    def short(where: str | None) -> str:
        return where.rsplit("/", 1)[-1] if where else "nothing"

    if isinstance(spec, specs.VpcSpec):
        return spec.cidr
    if isinstance(spec, specs.SubnetSpec):
        return f"{spec.cidr} in {spec.az}" + (", public IPs" if spec.map_public_ip else "")
    if isinstance(spec, specs.RouteSpec):
        return f"{spec.destination} -> {short(spec.target)}"
    if isinstance(spec, specs.RouteTableAssociationSpec):
        return f"subnet {short(spec.subnet)}"
    if isinstance(spec, SecurityGroupRuleSpec):
        return rule_words(spec, on_group=False)
    if isinstance(spec, specs.InstanceSpec):
        return f"{spec.instance_type} in {short(spec.subnet)}" + (", public IP" if spec.public_ip else "")
    if isinstance(spec, specs.NatGatewaySpec):
        return f"in {short(spec.subnet)}"
    if isinstance(spec, specs.InternetGatewaySpec):
        return f"attached to {short(spec.vpc)}" if spec.vpc else "detached"
    if isinstance(spec, specs.SecurityGroupSpec):
        return spec.description
    if isinstance(spec, specs.VpcPeeringConnectionSpec):
        where = "".join(f" in {w}" for w in (spec.peer_owner_id, spec.peer_region) if w)
        accepted = "requested and accepted" if spec.peer_vpc.startswith(specs.ADDRESS_ROOTS) else (
            "requested; its owner accepts it")
        return f"{short(spec.vpc)} to {short(spec.peer_vpc)}{where}, {accepted}"
    if isinstance(spec, specs.TransitGatewayVpcAttachmentSpec):
        return f"{short(spec.vpc)} through {', '.join(short(s) for s in spec.subnets)}"
    if isinstance(spec, specs.VpcEndpointSpec):
        parts = spec.route_tables if spec.endpoint_type == "Gateway" else spec.subnets
        return f"{spec.service_name} {spec.endpoint_type.lower()} for {', '.join(short(p) for p in parts)}"
    return ""


def counts(plan: Plan) -> str:
    """`1 to adopt, 26 to create`: how many actions of each op."""
    return ", ".join(f"{plan.count(op)} to {op}" for op in ("adopt", "create", "update", "replace", "delete")
                     if plan.count(op))

"""Drift: the drawing held against a live VPC, built by vpcdraw or by hand, matched by natural keys.

Missing: in the drawing, not in the account. Unmanaged: in the VPC, not in the drawing. Changed: an
attribute differs. Names, tags and descriptions are the builder's own business, and AWS's defaults
(main route table, default security group and network ACL, the default egress rule) are not drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.address import address
from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import MY_IP_MARK, Resource, resources
from vpcdraw.topology.model import Topology
from vpcdraw.topology.ports import port_text
from vpcdraw.topology.specs import (
    RouteSpec,
    RouteTableAssociationSpec,
    SecurityGroupRuleSpec,
    Spec,
    SubnetSpec,
    VpcSpec,
)

from .align import align
from .aws import AwsError, Ec2
from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tags_of
from .translate import Reading
from .translate_links import normal_policy

NOT_DRIFT = {"name"}  # Name tags: students name things their own way
# A group found by its rules may carry any name; descriptions are free text.
NOT_DRIFT_BY_KIND = {"security_group": {"description", "group_name"}, "security_group_rule": {"description"}}
AWS_BUSINESS = {"default_security_group"}  # AWS's own, drift only where the drawing locks it


@dataclass(frozen=True)
class DriftItem:
    """One difference, with its natural key in words (`tcp/22 from 0.0.0.0/0 on SG private`)."""

    kind: str
    address: str
    detail: str
    attribute: str | None = None
    expected: Any = None
    actual: Any = None
    spec: Spec | None = field(default=None, compare=False)  # the resource itself, for the drift drawing
    tier: str | None = field(default=None, compare=False)  # an unmanaged subnet's tier: where to draw it

    @property
    def owner(self) -> str:
        """The resource a part belongs to, in words ('security group private' for a rule); '' for whole ones."""
        if self.spec is None or not self.spec.parent or isinstance(self.spec, RouteTableAssociationSpec):
            return ""
        return f"{self.spec.PARENT.replace('_', ' ')} {_name(self.spec.parent)}"

    @property
    def part(self) -> str:
        """The detail without its owner: 'tcp/3306 from SG public' of 'tcp/3306 from SG public on SG private'."""
        if isinstance(self.spec, SecurityGroupRuleSpec):
            return rule_words(self.spec, on_group=False)
        if isinstance(self.spec, RouteSpec):
            return f"route {self.spec.destination} to {_name(self.spec.target)}"
        return self.detail

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "address": self.address, "detail": self.detail}
        if self.attribute is not None:
            data.update(attribute=self.attribute, expected=self.expected, actual=self.actual)
        return data


@dataclass
class Drift:
    """The verdict of a diff; `in_sync` when nothing that could be checked differs."""

    missing: list[DriftItem] = field(default_factory=list)
    unmanaged: list[DriftItem] = field(default_factory=list)
    changed: list[DriftItem] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # what the model cannot hold, left out of both sides

    @property
    def in_sync(self) -> bool:
        return not (self.missing or self.unmanaged or self.changed)

    def to_json(self) -> dict[str, Any]:
        """`{"in_sync", "missing", "unmanaged", "changed", "not_checked"}` as the issue's contract says."""
        return {"in_sync": self.in_sync, "missing": [i.to_json() for i in self.missing],
                "unmanaged": [i.to_json() for i in self.unmanaged], "changed": [i.to_json() for i in self.changed],
                "not_checked": self.not_checked, "notes": self.notes, "left_out": self.left_out}


def find_vpcs(ec2: Ec2, topology: Topology, vpc_id: str | None) -> dict[str, str]:
    """The live VPC for each of the topology's VPCs: `--vpc-id`, else our tags, else its CIDR (and Name)."""
    if vpc_id and len(topology.vpcs) != 1:
        raise VpcdrawError(f"--vpc-id picks one VPC, but topology '{topology.name}' has {len(topology.vpcs)}")
    chosen: dict[str, str] = {}
    for vpc in topology.vpcs:
        here = f"vpc/{vpc.name}"
        if vpc_id:
            try:
                ec2.call("DescribeVpcs", VpcIds=[vpc_id])
            except AwsError as error:
                if error.code == "InvalidVpcID.NotFound":
                    raise VpcdrawError(f"there is no VPC {vpc_id} in {topology.region}") from None
                raise
            chosen[here] = vpc_id
            continue
        tagged = ec2.paginate("DescribeVpcs", "Vpcs", Filters=[
            {"Name": f"tag:{TOPOLOGY_TAG}", "Values": [topology.name]},
            {"Name": f"tag:{ADDRESS_TAG}", "Values": [here]}])
        candidates = tagged or ec2.paginate("DescribeVpcs", "Vpcs", Filters=[{"Name": "cidr", "Values": [vpc.cidr]}])
        if len(candidates) > 1 and vpc.label:
            named = [c for c in candidates if tags_of(c).get("Name") == vpc.label]
            candidates = named or candidates
        if not candidates:
            raise VpcdrawError(f"no VPC in {topology.region} has the CIDR {vpc.cidr} of {here}; give --vpc-id")
        if len(candidates) > 1:
            listing = ", ".join(f"{c['VpcId']} ({tags_of(c).get('Name', 'no name')})" for c in candidates)
            raise VpcdrawError(f"{len(candidates)} VPCs in {topology.region} have the CIDR {vpc.cidr}: {listing}; "
                               "choose one with --vpc-id")
        chosen[here] = str(candidates[0]["VpcId"])
    return chosen


def drift(ec2: Ec2, topology: Topology, my_ip: str | None, vpc_id: str | None = None) -> Drift:
    """The drawing against the live VPC (found by --vpc-id, our tags, or its CIDR); `my_ip` may stay open.

    The VPC is read through the one translation (`vpcdraw.deploy.translate`), so diff sees exactly what
    import writes, and leaves out what it leaves out.
    """
    from vpcdraw.topology.admin_ip import fill

    from .translate import read_vpcs

    chosen = find_vpcs(ec2, topology, vpc_id)
    items = ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=list(chosen.values()))
    names = {aws_id: where.removeprefix("vpc/") for where, aws_id in chosen.items()}
    reading = read_vpcs(ec2, items, None, names)
    return diff(fill(topology, my_ip) if my_ip else topology, reading)


def diff(desired: Topology, reading: Reading) -> Drift:
    """Compare the drawing with a live account read as the model, matched by natural keys."""
    aligned = align(desired, reading.topology)
    want = {r.address: r for r in resources(aligned.desired)}
    before = resources(reading.topology)
    have_list = resources(aligned.live)
    ids = {new.address: reading.ids.get(old.address, "") for old, new in zip(before, have_list, strict=True)}
    have = {r.address: r for r in have_list}
    drift = Drift(not_checked=list(reading.not_checked), notes=[*aligned.notes, *reading.external],
                  left_out=list(reading.warnings))
    for resource in want.values():
        if resource.kind in reading.not_checked or (resource.kind == "security_group_rule"
                                                    and "security_group" in reading.not_checked):
            continue
        live = have.get(resource.address)
        if live is None:
            parent = resource.spec.parent
            if parent and parent not in have:
                continue  # said once, with its parent
            drift.missing.append(DriftItem(resource.kind, resource.address, describe(resource), spec=resource.spec))
            continue
        wanted, current = resource.spec.to_json(), live.spec.to_json()
        for key, value in resource.spec.values().items():
            if key in NOT_DRIFT | NOT_DRIFT_BY_KIND.get(resource.kind, set()) or _unknown(key, value,
                                                                                          current[key]):
                continue
            if key == "policy" and resource.kind == "vpc_endpoint":
                value = normal_policy(value)  # the same policy written another way is no drift
            if value != getattr(live.spec, key):  # tuples of addresses are sorted when made
                drift.changed.append(DriftItem(resource.kind, resource.address, describe(resource), key,
                                               wanted[key], current[key], spec=resource.spec))
    tiers = {address(v, "subnet", s.name): s.tier for v in aligned.live.vpcs for s in v.subnets}
    for where, live in sorted(have.items()):
        if where not in want and live.kind not in AWS_BUSINESS:
            drift.unmanaged.append(DriftItem(live.kind, ids.get(where) or where, describe(live), spec=live.spec,
                                             tier=tiers.get(where)))
    _moved_associations(drift)
    if aligned.my_ip:
        drift.notes.append(f"my IP is {aligned.my_ip} in the account")
    return drift


def _unknown(key: str, value: object, current: object) -> bool:
    """What a read could not see, or what moves on by itself, is not drift."""
    if key == "image" and str(value).startswith("resolve:ssm:"):
        return True  # resolved to an AMI id at launch; the parameter moves on, the instance need not
    return key in ("instance_type", "image") and current == ""  # seen through network interfaces only


def _moved_associations(drift: Drift) -> None:
    """A subnet missing from one table and found in another is one change: the table it uses."""
    unmanaged = {i.spec.subnet: (i, i.spec) for i in drift.unmanaged if isinstance(i.spec, RouteTableAssociationSpec)}
    for item in list(drift.missing):
        if not isinstance(item.spec, RouteTableAssociationSpec) or item.spec.subnet not in unmanaged:
            continue
        moved, now = unmanaged.pop(item.spec.subnet)
        drift.missing.remove(item)
        drift.unmanaged.remove(moved)
        drift.changed.append(DriftItem(item.kind, item.address, item.detail, "route_table",
                                       _name(item.spec.route_table), _name(now.route_table)))


def describe(resource: Resource) -> str:
    """A resource's natural key in words, as a reviewer says it."""
    spec = resource.spec
    short = resource.address.rsplit("/", 1)[-1]
    if isinstance(spec, SubnetSpec):
        return f"subnet {short} {spec.cidr}"
    if isinstance(spec, SecurityGroupRuleSpec):
        return rule_words(spec)
    if isinstance(spec, RouteSpec):
        return f"route {spec.destination} to {_name(spec.target)} in route table {_name(spec.route_table)}"
    if isinstance(spec, RouteTableAssociationSpec):
        return f"subnet {_name(spec.subnet)} uses route table {_name(spec.route_table)}"
    if isinstance(spec, VpcSpec):
        return f"VPC {spec.cidr}"
    return f"{resource.kind.replace('_', ' ')} {short}"


def rule_words(spec: SecurityGroupRuleSpec, on_group: bool = True) -> str:
    """`tcp/22 from 0.0.0.0/0 on SG private` (without ` on SG private` when not `on_group`)."""
    ports = port_text(spec.protocol, spec.from_port, spec.to_port)
    if ports == "all":
        ports = "all traffic"
    peer = spec.peer
    if spec.peer_kind == "security_group":
        peer = f"SG {_name(peer)}"
    elif peer == MY_IP_MARK:
        peer = "my IP"
    side = "from" if spec.direction == "ingress" else "to"
    return f"{ports} {side} {peer}" + (f" on SG {_name(spec.security_group)}" if on_group else "")


def _name(address: str | None) -> str:
    return address.rsplit("/", 1)[-1] if address else "(none)"

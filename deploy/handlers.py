"""The EC2 calls behind each action: create, update and delete, kind by kind.

Each handler takes a `Context` (the client, the topology's name, the AWS ids known so far) and returns
the new resource's id on create. Tags go on at creation through TagSpecifications, or with CreateTags
when a resource vpcdraw did not create is adopted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource

from .aws import AwsError, Ec2
from .live import ADDRESS_TAG, TOPOLOGY_TAG, tag_specification

EVENTUAL_CONSISTENCY_TRIES = 8
DEPENDENCY_WAIT_S = 120.0
WAIT_POLL_S = 2.0
AWAIT_S = 900.0  # how long a create that started early waits for the resource it needs (a VPC takes seconds)
# Creates that need a resource only for their second call start without waiting for it: kind -> spec field.
# An internet gateway is created on its own and attached once its VPC exists, so it costs no extra round trip.
STARTS_EARLY = {"internet_gateway": "vpc"}


class Superseded(VpcdrawError):
    """A call gave up because another one failed: the other failure is the one to report."""


@dataclass
class Context:
    """What handlers share during one apply: the client, the topology, and the ids known so far."""

    ec2: Ec2
    topology: str
    ids: dict[str, str]
    desired: dict[str, Resource]
    poll: float = WAIT_POLL_S
    created_groups: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed: bool = False  # a call failed for good: nothing waits for more ids

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def id(self, address: str) -> str:
        """The AWS id of an address that exists by now."""
        with self.lock:
            found = self.ids.get(address)
        if found is None:
            raise VpcdrawError(f"{address} has no AWS id yet; run the command again")
        return found

    def learn(self, address: str, aws_id: str | None) -> None:
        """Record (or, with None, forget) an address's AWS id, and wake whoever waits for it."""
        with self.changed:
            if aws_id is None:
                self.ids.pop(address, None)
            else:
                self.ids[address] = aws_id
            self.changed.notify_all()

    def give_up(self) -> None:
        """A call failed for good: release everyone waiting for an id."""
        with self.changed:
            self.failed = True
            self.changed.notify_all()

    def await_id(self, address: str) -> str:  # raises Superseded when another call failed
        """The AWS id of an address another running call is creating, once it has it."""
        with self.changed:
            if not self.changed.wait_for(lambda: address in self.ids or self.failed, timeout=AWAIT_S):
                raise VpcdrawError(f"{address} was not created within {AWAIT_S:.0f} s")
            if address not in self.ids:
                raise Superseded(f"{address} was not created, because another call failed")
            return self.ids[address]

    def token(self, resource: Resource) -> str:
        """A ClientToken that is the same for the same topology, address and spec: retries never duplicate."""
        text = json.dumps([self.topology, resource.address, resource.spec], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:48]

    def tags(self, kind: str, resource: Resource) -> list[dict[str, Any]]:
        return tag_specification(kind, self.topology, resource.address, str(resource.spec.get("name") or ""))

    def find(self, operation: str, key: str, id_key: str, address: str) -> Callable[[], str | None]:
        """A look-up by our tags, for creates that take no ClientToken."""
        def look() -> str | None:
            items = self.ec2.paginate(operation, key, Filters=[
                {"Name": f"tag:{TOPOLOGY_TAG}", "Values": [self.topology]},
                {"Name": f"tag:{ADDRESS_TAG}", "Values": [address]}])
            return str(items[0][id_key]) if items else None
        return look


def settled(call: Callable[[], Any], codes: tuple[str, ...] = (), tries: int = EVENTUAL_CONSISTENCY_TRIES) -> Any:
    """Run `call`, retrying AWS's eventual-consistency `Invalid*.NotFound` right after a create (and `codes`)."""
    for attempt in range(tries):
        try:
            return call()
        except AwsError as error:
            retry = (error.code.startswith("Invalid") and error.code.endswith("NotFound")) or error.code in codes
            if not retry or attempt == tries - 1:
                raise
            time.sleep(min(5.0, 0.25 * 2**attempt))
    return None


def create(ctx: Context, resource: Resource) -> str:
    """Create one resource; returns its AWS id."""
    spec, ec2 = resource.spec, ctx.ec2
    kind = resource.kind
    if kind == "vpc":
        made = ec2.create_once("CreateVpc", ctx.find("DescribeVpcs", "Vpcs", "VpcId", resource.address),
                               CidrBlock=spec["cidr"], TagSpecifications=ctx.tags("vpc", resource))
        return made if isinstance(made, str) else str(made["Vpc"]["VpcId"])
    if kind == "internet_gateway":
        made = ec2.create_once("CreateInternetGateway", ctx.find("DescribeInternetGateways", "InternetGateways",
                                                                 "InternetGatewayId", resource.address),
                               TagSpecifications=ctx.tags("internet-gateway", resource))
        gateway = made if isinstance(made, str) else str(made["InternetGateway"]["InternetGatewayId"])
        if spec["vpc"]:
            _attach(ctx, gateway, ctx.await_id(spec["vpc"]))  # created meanwhile: see STARTS_EARLY
        return gateway
    if kind == "subnet":
        made = settled(lambda: ec2.create_once(
            "CreateSubnet", ctx.find("DescribeSubnets", "Subnets", "SubnetId", resource.address),
            VpcId=ctx.id(spec["vpc"]), CidrBlock=spec["cidr"], AvailabilityZone=spec["az"],
            TagSpecifications=ctx.tags("subnet", resource)))
        subnet = made if isinstance(made, str) else str(made["Subnet"]["SubnetId"])
        if spec["map_public_ip"]:
            settled(lambda: ec2.call("ModifySubnetAttribute", SubnetId=subnet, MapPublicIpOnLaunch={"Value": True}))
        return subnet
    if kind == "route_table":
        made = settled(lambda: ec2.call("CreateRouteTable", VpcId=ctx.id(spec["vpc"]), ClientToken=ctx.token(resource),
                                        TagSpecifications=ctx.tags("route-table", resource)))
        return str(made["RouteTable"]["RouteTableId"])
    if kind == "route":
        settled(lambda: ec2.call("CreateRoute", RouteTableId=ctx.id(spec["route_table"]),
                                 DestinationCidrBlock=spec["destination"], **_target(ctx, spec["target"])))
        return f"{ctx.id(spec['route_table'])}|{spec['destination']}"
    if kind == "route_table_association":
        made = settled(lambda: ec2.call("AssociateRouteTable", RouteTableId=ctx.id(spec["route_table"]),
                                        SubnetId=ctx.id(spec["subnet"])))
        return str(made["AssociationId"])
    if kind == "security_group":
        return _create_group(ctx, resource)
    if kind == "elastic_ip":
        made = ec2.create_once("AllocateAddress", ctx.find("DescribeAddresses", "Addresses", "AllocationId",
                                                           resource.address),
                               Domain="vpc", TagSpecifications=ctx.tags("elastic-ip", resource))
        return made if isinstance(made, str) else str(made["AllocationId"])
    if kind == "nat_gateway":
        made = settled(lambda: ec2.call("CreateNatGateway", SubnetId=ctx.id(spec["subnet"]),
                                        AllocationId=ctx.id(spec["elastic_ip"]), ClientToken=ctx.token(resource),
                                        TagSpecifications=ctx.tags("natgateway", resource)))
        nat = str(made["NatGateway"]["NatGatewayId"])
        _wait_nat(ctx, nat, "available")
        return nat
    if kind == "instance":
        return _run_instance(ctx, resource)
    if kind == "default_security_group":
        return _lock_default_group(ctx, spec["vpc"])
    if kind == "network_acl":
        made = settled(lambda: ec2.call("CreateNetworkAcl", VpcId=ctx.id(spec["vpc"]), ClientToken=ctx.token(resource),
                                        TagSpecifications=ctx.tags("network-acl", resource)))
        acl = str(made["NetworkAcl"]["NetworkAclId"])
        _acl_entries(ctx, acl, [], spec["entries"])
        _acl_subnets(ctx, acl, spec["subnets"], spec["vpc"])
        return acl
    raise VpcdrawError(f"vpcdraw cannot create a {kind} yet")


def authorize(ctx: Context, rules: list[Resource]) -> None:
    """Authorize all of one group's rules of one direction in a single call."""
    group_address, direction = rules[0].spec["security_group"], rules[0].spec["direction"]
    group = ctx.id(group_address)
    if direction == "egress" and group_address in ctx.created_groups:
        rules = [r for r in rules if not _is_default_egress(r.spec)]  # a new group has it already
        if not rules:
            return
    permissions = [_permission(ctx, r.spec) for r in rules]
    operation = "AuthorizeSecurityGroupIngress" if direction == "ingress" else "AuthorizeSecurityGroupEgress"
    settled(lambda: ctx.ec2.call(operation, GroupId=group, IpPermissions=permissions))


def update(ctx: Context, resource: Resource, before: dict[str, Any]) -> None:
    """Change in place what AWS lets change: names, map-public-ip, routes' targets, attachments, groups."""
    spec, ec2, kind = resource.spec, ctx.ec2, resource.kind
    own = ctx.id(resource.address)
    if "name" in before:
        ec2.call("CreateTags", Resources=[own], Tags=[{"Key": "Name", "Value": spec["name"]}])
    if kind == "subnet" and "map_public_ip" in before:
        ec2.call("ModifySubnetAttribute", SubnetId=own, MapPublicIpOnLaunch={"Value": bool(spec["map_public_ip"])})
    if kind == "internet_gateway" and "vpc" in before:
        if before["vpc"]:
            ec2.call("DetachInternetGateway", InternetGatewayId=own, VpcId=ctx.id(before["vpc"]))
        if spec["vpc"]:
            _attach(ctx, own, ctx.id(spec["vpc"]))
    if kind == "route" and "target" in before:
        ec2.call("ReplaceRoute", RouteTableId=ctx.id(spec["route_table"]), DestinationCidrBlock=spec["destination"],
                 **_target(ctx, spec["target"]))
    if kind == "security_group_rule" and "description" in before:
        operation = f"UpdateSecurityGroupRuleDescriptions{spec['direction'].capitalize()}"
        ec2.call(operation, GroupId=ctx.id(spec["security_group"]), IpPermissions=[_permission(ctx, spec)])
    if kind == "network_acl" and "entries" in before:
        _acl_entries(ctx, own, before["entries"], spec["entries"])
    if kind == "network_acl" and "subnets" in before:
        _acl_subnets(ctx, own, [s for s in spec["subnets"] if s not in before["subnets"]], spec["vpc"])
        gone = [s for s in before["subnets"] if s not in spec["subnets"]]
        if gone:
            _acl_subnets(ctx, _default_acl(ctx, spec["vpc"]), gone, spec["vpc"])
    if kind == "default_security_group" and "locked" in before:
        _lock_default_group(ctx, spec["vpc"])
    if kind == "instance" and "security_groups" in before:
        ec2.call("ModifyInstanceAttribute", InstanceId=own, Groups=[ctx.id(g) for g in spec["security_groups"]])


def adopt(ctx: Context, resource: Resource, aws_id: str, tags: dict[str, str]) -> None:
    """Take over a resource vpcdraw did not create: the plan's tags (vpcdraw's two, and Name), nothing else."""
    pairs = [{"Key": key, "Value": value} for key, value in tags.items()]
    settled(lambda: ctx.ec2.call("CreateTags", Resources=[aws_id], Tags=pairs))


def delete(ctx: Context, resource: Resource) -> None:
    """Delete one resource; gone already is fine, dependencies still draining are waited for (bounded)."""
    spec, ec2, kind = resource.spec, ctx.ec2, resource.kind
    own = ctx.ids.get(resource.address, "")
    calls: dict[str, Callable[[], Any]] = {
        "vpc": lambda: ec2.call("DeleteVpc", VpcId=own),
        "subnet": lambda: ec2.call("DeleteSubnet", SubnetId=own),
        "route_table": lambda: ec2.call("DeleteRouteTable", RouteTableId=own),
        "route": lambda: ec2.call("DeleteRoute", RouteTableId=own.split("|")[0],
                                  DestinationCidrBlock=spec["destination"]),
        "route_table_association": lambda: ec2.call("DisassociateRouteTable", AssociationId=own),
        "security_group": lambda: ec2.call("DeleteSecurityGroup", GroupId=own),
        "elastic_ip": lambda: ec2.call("ReleaseAddress", AllocationId=own),
        "security_group_rule": lambda: ec2.call(
            "RevokeSecurityGroupIngress" if spec["direction"] == "ingress" else "RevokeSecurityGroupEgress",
            GroupId=ctx.id(spec["security_group"]), IpPermissions=[_permission(ctx, {**spec, "description": ""})]),
    }
    try:
        if kind == "internet_gateway":
            if spec.get("vpc") and spec["vpc"] in ctx.ids:
                _patiently(lambda: ec2.call("DetachInternetGateway", InternetGatewayId=own, VpcId=ctx.ids[spec["vpc"]]))
            _patiently(lambda: ec2.call("DeleteInternetGateway", InternetGatewayId=own))
        elif kind == "nat_gateway":
            ec2.call("DeleteNatGateway", NatGatewayId=own)
            _wait_nat(ctx, own, "deleted")
        elif kind == "instance":
            ec2.call("TerminateInstances", InstanceIds=[own])
            _wait_instance_gone(ctx, own)
        elif kind == "network_acl":
            if spec["subnets"] and spec["vpc"] in ctx.ids:  # subnets go back to the VPC's default ACL first
                _acl_subnets(ctx, _default_acl(ctx, spec["vpc"]), spec["subnets"], spec["vpc"])
            _patiently(lambda: ec2.call("DeleteNetworkAcl", NetworkAclId=own))
        else:
            _patiently(calls[kind])
    except AwsError as error:
        # Gone already is fine; but a rule is revoked by what it allows, and a group or peer AWS cannot find
        # (InvalidGroup.NotFound) means the request missed the rule, not that the rule is gone.
        if not error.code.endswith("NotFound") or (kind == "security_group_rule"
                                                   and error.code != "InvalidPermission.NotFound"):
            raise


def _patiently(call: Callable[[], Any]) -> Any:
    """Retry `DependencyViolation` (what still uses the resource is going away) for a bounded time."""
    deadline = time.monotonic() + DEPENDENCY_WAIT_S
    delay = 0.5
    while True:
        try:
            return call()
        except AwsError as error:
            if error.code != "DependencyViolation" or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(10.0, delay * 2)


def _attach(ctx: Context, gateway: str, vpc: str) -> None:
    try:
        settled(lambda: ctx.ec2.call("AttachInternetGateway", InternetGatewayId=gateway, VpcId=vpc))
    except AwsError as error:
        if error.code != "Resource.AlreadyAssociated":  # attached by an earlier, interrupted run
            raise


def _target(ctx: Context, target: str) -> dict[str, str]:
    if "/nat_gateway/" in target:
        return {"NatGatewayId": ctx.id(target)}
    return {"GatewayId": ctx.id(target)}


def _is_default_egress(spec: dict[str, Any]) -> bool:
    return spec["protocol"] == "-1" and spec["peer_kind"] == "cidr" and spec["peer"] == "0.0.0.0/0"


def _peer(ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    if spec["peer_kind"] == "security_group":
        peer = str(spec["peer"])  # a group of the topology by address, or another by its id (account/sg-id)
        if peer.startswith("sg-") or "/sg-" in peer:
            account, _, group = peer.rpartition("/")
            return {"UserIdGroupPairs": [{"GroupId": group, **({"UserId": account} if account else {}),
                                          **_described(spec)}]}
        return {"UserIdGroupPairs": [{"GroupId": ctx.id(peer), **_described(spec)}]}
    if spec["peer_kind"] == "prefix_list":
        return {"PrefixListIds": [{"PrefixListId": spec["peer"], **_described(spec)}]}
    if ":" in spec["peer"]:
        return {"Ipv6Ranges": [{"CidrIpv6": spec["peer"], **_described(spec)}]}
    return {"IpRanges": [{"CidrIp": spec["peer"], **_described(spec)}]}


def _described(spec: dict[str, Any]) -> dict[str, str]:
    return {"Description": spec["description"]} if spec["description"] else {}


def _permission(ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": spec["protocol"], **_peer(ctx, spec)}
    if spec["protocol"] != "-1":
        permission.update(FromPort=spec["from_port"], ToPort=spec["to_port"])
    return permission


def _create_group(ctx: Context, resource: Resource) -> str:
    spec = resource.spec
    made = settled(lambda: ctx.ec2.create_once(
        "CreateSecurityGroup", ctx.find("DescribeSecurityGroups", "SecurityGroups", "GroupId", resource.address),
        GroupName=spec["group_name"], Description=spec["description"], VpcId=ctx.id(spec["vpc"]),
        TagSpecifications=ctx.tags("security-group", resource)))
    group = made if isinstance(made, str) else str(made["GroupId"])
    with ctx.lock:
        ctx.created_groups.add(resource.address)
    keeps_default = any(r.kind == "security_group_rule" and r.spec["security_group"] == resource.address
                        and r.spec["direction"] == "egress" and _is_default_egress(r.spec)
                        for r in ctx.desired.values())
    if not keeps_default:  # the model restricts egress: AWS's allow-all rule goes
        settled(lambda: ctx.ec2.call("RevokeSecurityGroupEgress", GroupId=group,
                                     IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]))
    return group


def _run_instance(ctx: Context, resource: Resource) -> str:
    spec = resource.spec
    image = str(spec["image"])
    if image.startswith("resolve:ssm:"):
        image = ctx.ec2.parameter(image.removeprefix("resolve:ssm:"))
    made = settled(lambda: ctx.ec2.call(
        "RunInstances", ImageId=image, InstanceType=spec["instance_type"], MinCount=1, MaxCount=1,
        ClientToken=ctx.token(resource), TagSpecifications=ctx.tags("instance", resource),
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": ctx.id(spec["subnet"]),
                            "Groups": [ctx.id(g) for g in spec["security_groups"]],
                            "AssociatePublicIpAddress": bool(spec["public_ip"])}]))
    return str(made["Instances"][0]["InstanceId"])


def _wait_nat(ctx: Context, nat: str, state: str, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = settled(lambda: ctx.ec2.call("DescribeNatGateways", NatGatewayIds=[nat]))["NatGateways"]
        current = found[0]["State"] if found else "deleted"
        if current == state:
            return
        if current == "failed":
            raise VpcdrawError(f"NAT gateway {nat} failed: {found[0].get('FailureMessage', 'no reason given')}")
        if time.monotonic() > deadline:
            raise VpcdrawError(f"NAT gateway {nat} is still {current} after {timeout:.0f} s")
        time.sleep(ctx.poll)


def _wait_instance_gone(ctx: Context, instance: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reservations = ctx.ec2.call("DescribeInstances", InstanceIds=[instance])["Reservations"]
        states = [i["State"]["Name"] for r in reservations for i in r["Instances"]]
        if not states or states[0] == "terminated":
            return
        time.sleep(ctx.poll)
    raise VpcdrawError(f"instance {instance} is still shutting down after {timeout:.0f} s")


def _acl_entries(ctx: Context, acl: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """Make a network ACL's numbered entries match: replace changed numbers, add new, delete dropped."""
    old = {(e["egress"], e["rule_number"]): e for e in before}
    new = {(e["egress"], e["rule_number"]): e for e in after}
    for key, entry in sorted(new.items()):
        if old.get(key) == entry:
            continue
        operation = "ReplaceNetworkAclEntry" if key in old else "CreateNetworkAclEntry"
        request: dict[str, Any] = {"NetworkAclId": acl, "RuleNumber": entry["rule_number"], "Egress": entry["egress"],
                                   "Protocol": entry["protocol"], "RuleAction": entry["action"],
                                   "CidrBlock": entry["cidr"]}
        if entry["protocol"] in ("6", "17"):
            request["PortRange"] = {"From": entry["from_port"], "To": entry["to_port"]}
        elif entry["protocol"] == "1":
            request["IcmpTypeCode"] = {"Type": entry["from_port"], "Code": entry["to_port"]}
        settled(partial(ctx.ec2.call, operation, **request))
    for egress, number in sorted(set(old) - set(new)):
        ctx.ec2.call("DeleteNetworkAclEntry", NetworkAclId=acl, RuleNumber=number, Egress=egress)


def _acl_subnets(ctx: Context, acl: str, subnets: list[str], vpc: str) -> None:
    """Move subnets to a network ACL (a subnet always has exactly one, so its association is replaced)."""
    if not subnets:
        return
    subnet_ids = {ctx.id(s): s for s in subnets}
    acls = ctx.ec2.paginate("DescribeNetworkAcls", "NetworkAcls", Filters=[
        {"Name": "vpc-id", "Values": [ctx.id(vpc)]}])
    for current in acls:
        for association in current.get("Associations", []):
            if association["SubnetId"] in subnet_ids and current["NetworkAclId"] != acl:
                ctx.ec2.call("ReplaceNetworkAclAssociation", AssociationId=association["NetworkAclAssociationId"],
                             NetworkAclId=acl)


def _default_acl(ctx: Context, vpc: str) -> str:
    acls = ctx.ec2.paginate("DescribeNetworkAcls", "NetworkAcls", Filters=[
        {"Name": "vpc-id", "Values": [ctx.id(vpc)]}, {"Name": "default", "Values": ["true"]}])
    if not acls:
        raise VpcdrawError(f"{vpc} has no default network ACL to return subnets to")
    return str(acls[0]["NetworkAclId"])


def _lock_default_group(ctx: Context, vpc: str) -> str:
    """Revoke every rule of the VPC's default security group; returns its id."""
    groups = ctx.ec2.paginate("DescribeSecurityGroups", "SecurityGroups", Filters=[
        {"Name": "vpc-id", "Values": [ctx.id(vpc)]}, {"Name": "group-name", "Values": ["default"]}])
    if not groups:
        raise VpcdrawError(f"{vpc} has no default security group to lock")
    group = str(groups[0]["GroupId"])
    for key, operation in (("IpPermissions", "RevokeSecurityGroupIngress"),
                           ("IpPermissionsEgress", "RevokeSecurityGroupEgress")):
        if groups[0].get(key):
            ctx.ec2.call(operation, GroupId=group, IpPermissions=groups[0][key])
    return group

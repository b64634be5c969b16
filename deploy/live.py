"""Reading a live account into the shape of `topology.graph.Resource`, with the AWS ids beside it.

One paginated Describe call per resource kind, filtered by VPC id or by this topology's tag, issued in
parallel. Resources carry our `vpcdraw:address` tag when vpcdraw made them; untagged ones are matched
to the model by natural key (a subnet by CIDR, a security group by name) and otherwise reported.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from topology.graph import Resource, rule_address, rule_key

from .aws import Ec2

TOPOLOGY_TAG = "vpcdraw:topology"
ADDRESS_TAG = "vpcdraw:address"


@dataclass
class Live:
    """What is in the account: resources by address, their AWS ids, which we own, and what is foreign."""

    resources: dict[str, Resource] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)
    foreign: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, what it is)
    main_route_tables: dict[str, str] = field(default_factory=dict)  # vpc address -> id

    def add(self, resource: Resource, aws_id: str, owned: bool) -> None:
        self.resources[resource.address] = resource
        self.ids[resource.address] = aws_id
        if owned:
            self.owned.add(resource.address)


def tags_of(item: dict[str, Any]) -> dict[str, str]:
    """An AWS item's tags as a dict."""
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def tag_specification(kind: str, topology: str, address: str, name: str) -> list[dict[str, Any]]:
    """The TagSpecifications that mark a resource as this topology's, set when it is created."""
    tags = [{"Key": "Name", "Value": name}, {"Key": TOPOLOGY_TAG, "Value": topology},
            {"Key": ADDRESS_TAG, "Value": address}]
    return [{"ResourceType": kind, "Tags": tags}]


def read(ec2: Ec2, topology: str, desired: list[Resource]) -> Live:
    """The live state of `topology`: its VPCs (by our tags), everything in them, and its Elastic IPs."""
    live = Live()
    wanted = {r.address: r for r in desired}
    tag_filter = [{"Name": f"tag:{TOPOLOGY_TAG}", "Values": [topology]}]
    vpcs = ec2.paginate("DescribeVpcs", "Vpcs", Filters=tag_filter)
    for vpc in vpcs:
        here = tags_of(vpc).get(ADDRESS_TAG, "")
        live.add(Resource(here, "vpc", {"cidr": vpc["CidrBlock"], "name": tags_of(vpc).get("Name", "")}),
                 vpc["VpcId"], owned=True)
    for item in ec2.paginate("DescribeAddresses", "Addresses", Filters=tag_filter):
        tags = tags_of(item)
        live.add(Resource(tags.get(ADDRESS_TAG, ""), "elastic_ip", {"name": tags.get("Name", "")}),
                 item["AllocationId"], owned=True)
    vpc_ids = [v["VpcId"] for v in vpcs]
    if not vpc_ids:
        return live
    by_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
    calls = {
        "subnets": ("DescribeSubnets", "Subnets", {"Filters": by_vpc}),
        "gateways": ("DescribeInternetGateways", "InternetGateways",
                     {"Filters": [{"Name": "attachment.vpc-id", "Values": vpc_ids}]}),
        "nat": ("DescribeNatGateways", "NatGateways", {"Filters": by_vpc}),
        "tables": ("DescribeRouteTables", "RouteTables", {"Filters": by_vpc}),
        "groups": ("DescribeSecurityGroups", "SecurityGroups", {"Filters": by_vpc}),
        "instances": ("DescribeInstances", "Reservations", {"Filters": [*by_vpc, {
            "Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]}),
        "detached": ("DescribeInternetGateways", "InternetGateways", {"Filters": tag_filter}),
        "acls": ("DescribeNetworkAcls", "NetworkAcls", {"Filters": by_vpc}),
    }
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {name: pool.submit(ec2.paginate, op, key, **params) for name, (op, key, params) in calls.items()}
        found = {name: future.result() for name, future in futures.items()}
    group_ids = [g["GroupId"] for g in found["groups"]]
    rules = ec2.paginate("DescribeSecurityGroupRules", "SecurityGroupRules",
                         Filters=[{"Name": "group-id", "Values": group_ids}]) if group_ids else []
    vpc_address = {live.ids[a]: a for a in list(live.ids) if live.resources[a].kind == "vpc"}
    _Reader(live, wanted, vpc_address).run(found, rules)
    return live


class _Reader:
    """Turns Describe output into Resources, resolving ids to addresses kind by kind."""

    def __init__(self, live: Live, wanted: dict[str, Resource], vpc_address: dict[str, str]) -> None:
        self.live = live
        self.wanted = wanted
        self.vpc_address = vpc_address
        self.address_of: dict[str, str] = {i: a for a, i in live.ids.items()}

    def match(self, kind: str, **natural: Any) -> str:
        """The desired resource of `kind` not yet matched whose spec has these natural-key values, or ''."""
        return next((a for a, r in self.wanted.items() if r.kind == kind and a not in self.live.resources
                     and all(r.spec.get(k) == v for k, v in natural.items())), "")

    def place(self, kind: str, aws_id: str, item: dict[str, Any], spec: dict[str, Any], match: str) -> None:
        """Record a live resource under its tag's address, else under `match` (by natural key), else as foreign."""
        tags = tags_of(item)
        address = tags.get(ADDRESS_TAG, "")
        owned = bool(address) and tags.get(TOPOLOGY_TAG) is not None
        address = address or match
        if not address:
            self.live.foreign.append((kind, aws_id, tags.get("Name", "") or aws_id))
            return
        self.live.add(Resource(address, kind, spec), aws_id, owned)
        self.address_of[aws_id] = address

    def run(self, found: dict[str, list[dict[str, Any]]], rules: list[dict[str, Any]]) -> None:
        gateways = {g["InternetGatewayId"]: g for g in found["gateways"] + found["detached"]}
        for gateway in gateways.values():
            attached = [a["VpcId"] for a in gateway.get("Attachments", []) if a.get("State") in (None, "available",
                                                                                              "attached")]
            vpc = self.vpc_address.get(attached[0]) if attached else None
            spec: dict[str, Any] = {"vpc": vpc, "name": tags_of(gateway).get("Name", "")}
            self.place("internet_gateway", gateway["InternetGatewayId"], gateway, spec,
                       self.match("internet_gateway", vpc=vpc) if vpc else "")
        for subnet in found["subnets"]:
            spec = {"vpc": self.vpc_address.get(subnet["VpcId"]), "cidr": subnet["CidrBlock"],
                    "az": subnet["AvailabilityZone"], "map_public_ip": bool(subnet.get("MapPublicIpOnLaunch")),
                    "name": tags_of(subnet).get("Name", "")}
            self.place("subnet", subnet["SubnetId"], subnet, spec, self.match("subnet", cidr=subnet["CidrBlock"]))
        for nat in found["nat"]:
            if nat.get("State") in ("deleted", "deleting", "failed"):
                continue
            allocation = next((a.get("AllocationId") for a in nat.get("NatGatewayAddresses", [])), None)
            spec = {"subnet": self.address_of.get(nat["SubnetId"]), "elastic_ip": self.address_of.get(allocation or ""),
                    "name": tags_of(nat).get("Name", "")}
            self.place("nat_gateway", nat["NatGatewayId"], nat, spec, self.match("nat_gateway", subnet=spec["subnet"]))
        for group in found["groups"]:
            if group["GroupName"] == "default":
                continue  # every VPC has one; AWS makes and deletes it
            spec = {"vpc": self.vpc_address.get(group["VpcId"]), "group_name": group["GroupName"],
                    "description": group.get("Description", ""), "name": tags_of(group).get("Name", "")}
            self.place("security_group", group["GroupId"], group, spec,
                       self.match("security_group", vpc=spec["vpc"], group_name=group["GroupName"]))
        for table in found["tables"]:
            self.route_table(table)
        for rule in rules:
            self.rule(rule)
        for acl in found["acls"]:
            self.network_acl(acl)
        for reservation in found["instances"]:
            for instance in reservation.get("Instances", []):
                self.instance(instance)

    def route_table(self, table: dict[str, Any]) -> None:
        associations = table.get("Associations", [])
        vpc = self.vpc_address.get(table["VpcId"])
        if any(a.get("Main") for a in associations) and ADDRESS_TAG not in tags_of(table):
            if vpc:
                self.live.main_route_tables[vpc] = table["RouteTableId"]
            return  # the main table: AWS's, with the local route
        subnets = sorted(self.address_of.get(a.get("SubnetId", ""), "") for a in associations if a.get("SubnetId"))
        spec = {"vpc": vpc, "name": tags_of(table).get("Name", "")}
        # An untagged table matches the desired one associated with exactly the same subnets.
        candidates = [a for a, r in self.wanted.items() if r.kind == "route_table" and r.spec["vpc"] == vpc
                      and a not in self.live.resources
                      and sorted(w.spec["subnet"] for w in self.wanted.values()
                                 if w.kind == "route_table_association" and w.spec["route_table"] == a) == subnets]
        self.place("route_table", table["RouteTableId"], table, spec, candidates[0] if len(candidates) == 1 else "")
        here = self.address_of.get(table["RouteTableId"])
        if not here:
            return
        for route in table.get("Routes", []):
            target = route.get("GatewayId") or route.get("NatGatewayId")
            if route.get("GatewayId") == "local" or not route.get("DestinationCidrBlock") or not target:
                continue
            address = f"{here}/route/{route['DestinationCidrBlock']}"
            self.live.add(Resource(address, "route", {"route_table": here, "destination": route["DestinationCidrBlock"],
                                                      "target": self.address_of.get(target, target)}),
                          f"{table['RouteTableId']}|{route['DestinationCidrBlock']}", owned=False)
        for association in associations:
            if association.get("Main") or not association.get("SubnetId"):
                continue
            subnet = self.address_of.get(association["SubnetId"], association["SubnetId"])
            name = subnet.rsplit("/", 1)[-1]
            self.live.add(Resource(f"{here}/association/{name}", "route_table_association",
                                   {"route_table": here, "subnet": subnet}),
                          association["RouteTableAssociationId"], owned=False)

    def rule(self, rule: dict[str, Any]) -> None:
        group = self.address_of.get(rule["GroupId"])
        if not group:
            return
        referenced = rule.get("ReferencedGroupInfo", {}).get("GroupId")
        if referenced:
            peer_kind, peer = "security_group", self.address_of.get(referenced, referenced)
        else:
            peer_kind, peer = "cidr", rule.get("CidrIpv4") or rule.get("CidrIpv6") or ""
        direction = "egress" if rule.get("IsEgress") else "ingress"
        spec = {"security_group": group, "direction": direction, "protocol": rule["IpProtocol"],
                "from_port": rule.get("FromPort", -1), "to_port": rule.get("ToPort", -1), "peer_kind": peer_kind,
                "peer": peer, "description": rule.get("Description", "")}
        address = rule_address(group, direction, rule_key(spec))
        wanted = self.wanted.get(address)
        if wanted is not None and peer_kind == "security_group" and not spec["description"]:
            spec["description"] = wanted.spec["description"]  # moto drops these descriptions; AWS keeps them
        self.live.add(Resource(address, "security_group_rule", spec), rule["SecurityGroupRuleId"], owned=False)

    def network_acl(self, acl: dict[str, Any]) -> None:
        if acl.get("IsDefault"):
            return  # every VPC has one; AWS makes it, and subnets fall back to it
        entries = sorted(({"rule_number": e["RuleNumber"], "egress": bool(e["Egress"]), "protocol": str(e["Protocol"]),
                           "from_port": e.get("PortRange", {}).get("From", e.get("IcmpTypeCode", {}).get("Type", -1)),
                           "to_port": e.get("PortRange", {}).get("To", e.get("IcmpTypeCode", {}).get("Code", -1)),
                           "cidr": e.get("CidrBlock", ""), "action": e["RuleAction"]}
                          for e in acl.get("Entries", []) if e["RuleNumber"] != 32767),
                         key=lambda e: (e["egress"], e["rule_number"]))
        subnets = sorted(self.address_of.get(a["SubnetId"], a["SubnetId"]) for a in acl.get("Associations", []))
        spec = {"vpc": self.vpc_address.get(acl["VpcId"]), "name": tags_of(acl).get("Name", ""), "entries": entries,
                "subnets": subnets}
        self.place("network_acl", acl["NetworkAclId"], acl, spec, "")

    def instance(self, instance: dict[str, Any]) -> None:
        attached = instance.get("SecurityGroups") or [g for eni in instance.get("NetworkInterfaces", [])
                                                      for g in eni.get("Groups", [])]
        groups = sorted({self.address_of.get(g["GroupId"], g["GroupId"]) for g in attached})
        name = tags_of(instance).get("Name", "")
        spec = {"subnet": self.address_of.get(instance.get("SubnetId", "")), "security_groups": groups,
                "instance_type": instance.get("InstanceType"), "image": instance.get("ImageId"),
                "public_ip": bool(instance.get("PublicIpAddress")), "name": name}
        match = self.match("instance", name=name) if name else ""
        self.place("instance", instance["InstanceId"], instance, spec, match)

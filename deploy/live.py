"""Reading a live account into the shape of `topology.graph.Resource`, with the AWS ids beside it.

One paginated Describe call per resource kind, filtered by VPC id or by this topology's tag, issued in
parallel. Resources carry our `vpcdraw:address` tag when vpcdraw made them; untagged ones are matched
to the model by natural key (a subnet by CIDR, a security group by name) and otherwise reported.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.graph import MY_IP_MARK, Resource, rule_address, rule_key

from .aws import Ec2
from .describe import (  # noqa: F401 (the tags and reads others import from here)
    ADDRESS_TAG,
    KIND_OF_CALL,
    TOPOLOGY_TAG,
    describe_inside,
    rules_of,
    tag_specification,
    tags_of,
    tolerant,
)

MIN_LIKENESS = 0.25  # a group named its own way must share at least this much of its rules to be matched


@dataclass
class Live:
    """What is in the account: resources by address, their AWS ids, which we own, and what is foreign."""

    resources: dict[str, Resource] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)  # tagged with this topology's name, exactly
    owners: dict[str, str] = field(default_factory=dict)  # address -> the vpcdraw:topology tag it carries, if any
    foreign: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, what it is)
    main_route_tables: dict[str, str] = field(default_factory=dict)  # vpc address -> id
    not_checked: set[str] = field(default_factory=set)  # kinds these credentials may not describe
    my_ip: str | None = None  # the single address a rule from my_ip allows, when the model left it open

    def add(self, resource: Resource, aws_id: str, owned: bool, owner: str | None = None) -> None:
        self.resources[resource.address] = resource
        self.ids[resource.address] = aws_id
        if owned:
            self.owned.add(resource.address)
        if owner is not None:
            self.owners[resource.address] = owner


def read(ec2: Ec2, topology: str, desired: list[Resource], vpcs: dict[str, str] | None = None) -> Live:
    """The live state of `topology`: its VPCs, everything in them, and its Elastic IPs.

    `vpcs` maps VPC addresses to the ids a caller chose (diff of a hand-built VPC); by default the VPCs are
    found by our tags. Kinds the credentials may not describe are left out and listed in `not_checked`.
    """
    live = Live()
    wanted = {r.address: r for r in desired}
    tag_filter = [{"Name": f"tag:{TOPOLOGY_TAG}", "Values": [topology]}]
    describe = tolerant(ec2, live.not_checked)

    with ThreadPoolExecutor(max_workers=2) as pool:  # what carries our tag needs no VPC id: ask at the same time
        addresses = pool.submit(describe, "elastic_ip", "DescribeAddresses", "Addresses", Filters=tag_filter)
        # Gateways of ours not (yet) attached: an apply stopped between creating one and attaching it.
        detached = pool.submit(describe, "internet_gateway", "DescribeInternetGateways", "InternetGateways",
                               Filters=tag_filter)
        if vpcs is None:
            found_vpcs = describe("vpc", "DescribeVpcs", "Vpcs", Filters=tag_filter)
            chosen = {v["VpcId"]: tags_of(v).get(ADDRESS_TAG, "") for v in found_vpcs}
        else:
            found_vpcs = describe("vpc", "DescribeVpcs", "Vpcs", VpcIds=list(vpcs.values())) if vpcs else []
            chosen = {i: a for a, i in vpcs.items()}
        elastic_ips = addresses.result()
        ours = detached.result()
    for vpc in found_vpcs:
        tags = tags_of(vpc)
        live.add(Resource(chosen[vpc["VpcId"]], "vpc", {"cidr": vpc["CidrBlock"], "name": tags.get("Name", "")}),
                 vpc["VpcId"], owned=tags.get(TOPOLOGY_TAG) == topology)
    for item in elastic_ips:
        tags = tags_of(item)
        live.add(Resource(tags.get(ADDRESS_TAG, ""), "elastic_ip", {"name": tags.get("Name", "")}),
                 item["AllocationId"], owned=True)
    vpc_ids = [v["VpcId"] for v in found_vpcs]
    if vpc_ids:
        found, rules = describe_inside(describe, vpc_ids, live.not_checked)
    else:
        found, rules = {name: [] for name in KIND_OF_CALL}, []
    found["detached"] = ours
    vpc_address = {live.ids[a]: a for a in list(live.ids) if live.resources[a].kind == "vpc"}
    _Reader(live, wanted, vpc_address, topology).run(found, rules)
    return live


class _Reader:
    """Turns Describe output into Resources, resolving ids to addresses kind by kind."""

    def __init__(self, live: Live, wanted: dict[str, Resource], vpc_address: dict[str, str], topology: str) -> None:
        self.live = live
        self.topology = topology
        self.wanted = wanted
        self.vpc_address = vpc_address
        self.address_of: dict[str, str] = {i: a for a, i in live.ids.items()}

    def ours(self, item: dict[str, Any]) -> bool:
        """Whether an AWS item carries this topology's tags (its address tag then names it)."""
        tags = tags_of(item)
        return ADDRESS_TAG in tags and tags.get(TOPOLOGY_TAG) == self.topology

    def match(self, kind: str, **natural: Any) -> str:
        """The desired resource of `kind` not yet matched whose spec has these natural-key values, or ''."""
        return next((a for a, r in self.wanted.items() if r.kind == kind and a not in self.live.resources
                     and all(r.spec.get(k) == v for k, v in natural.items())), "")

    def place(self, kind: str, aws_id: str, item: dict[str, Any], spec: dict[str, Any], match: str) -> None:
        """Record a live resource under its tag's address, else under `match` (by natural key), else as foreign."""
        tags = tags_of(item)
        address = tags.get(ADDRESS_TAG, "")
        owner = tags.get(TOPOLOGY_TAG)
        owned = bool(address) and owner == self.topology  # exactly: 'assignment-old' is somebody else's
        if address and owner != self.topology:
            address = match  # another topology's address means nothing here
        address = address or match
        if not address:
            what = tags.get("Name", "") or aws_id
            self.live.foreign.append((kind, aws_id, f"{what} {spec['cidr']}" if "cidr" in spec else what))
            return
        self.live.add(Resource(address, kind, spec), aws_id, owned, owner)
        self.address_of[aws_id] = address

    def run(self, found: dict[str, list[dict[str, Any]]], rules: list[dict[str, Any]]) -> None:
        gateways = {g["InternetGatewayId"]: g for g in found["gateways"] + found.get("detached", [])}
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
            allocation = next((a.get("AllocationId") for a in nat.get("NatGatewayAddresses", [])), None) or ""
            nat_subnet = self.address_of.get(nat["SubnetId"])
            match = self.match("nat_gateway", subnet=nat_subnet)
            eip = self.address_of.get(allocation)
            if eip is None and match and allocation:  # an Elastic IP made with the NAT, by hand or by another tool
                eip = self.wanted[match].spec["elastic_ip"]
                self.live.add(Resource(eip, "elastic_ip", {"name": self.wanted[eip].spec["name"]}), allocation, False)
                self.address_of[allocation] = eip
            spec = {"subnet": nat_subnet, "elastic_ip": eip, "name": tags_of(nat).get("Name", "")}
            self.place("nat_gateway", nat["NatGatewayId"], nat, spec, match)
        for group in (g for g in found["groups"] if g["GroupName"] == "default"):
            vpc = self.vpc_address.get(group["VpcId"])
            here = f"{vpc}/security_group/default"
            if here in self.wanted:  # only when the model locks it: otherwise it is AWS's business
                locked = not any(r["GroupId"] == group["GroupId"] for r in rules)
                self.live.add(Resource(here, "default_security_group", {"vpc": vpc, "locked": locked}),
                              group["GroupId"], owned=False)
        groups = [g for g in found["groups"] if g["GroupName"] != "default"]  # AWS makes and deletes the default
        unmatched = []
        for group in groups:
            vpc = self.vpc_address.get(group["VpcId"])
            match = self.match("security_group", vpc=vpc, group_name=group["GroupName"])
            if match or self.ours(group):
                self.group(group, match)
            else:
                unmatched.append(group)
        # Named their own way: pair the most alike first, by what their rules allow.
        scored = sorted(((self.likeness(g, address, rules), g["GroupId"], address) for g in unmatched
                         for address in self.unmatched_groups(g)), key=lambda s: (-s[0], s[1], s[2]))
        paired: dict[str, str] = {}
        for score, group_id, address in scored:
            if score >= MIN_LIKENESS and group_id not in paired and address not in paired.values():
                paired[group_id] = address
        for group in unmatched:
            self.group(group, paired.get(group["GroupId"], ""))
        for table in found["tables"]:
            self.route_table(table)
        for rule in rules:
            self.rule(rule)
        for acl in found["acls"]:
            self.network_acl(acl)
        for reservation in found["instances"]:
            for instance in reservation.get("Instances", []):
                self.instance(instance)
        for interface in found.get("interfaces", []) if not found["instances"] else []:
            if interface.get("Attachment", {}).get("InstanceId"):
                self.instance_by_interface(interface)

    def group(self, group: dict[str, Any], match: str) -> None:
        spec = {"vpc": self.vpc_address.get(group["VpcId"]), "group_name": group["GroupName"],
                "description": group.get("Description", ""), "name": tags_of(group).get("Name", "")}
        self.place("security_group", group["GroupId"], group, spec, match)

    def unmatched_groups(self, group: dict[str, Any]) -> list[str]:
        vpc = self.vpc_address.get(group["VpcId"])
        return [a for a, r in sorted(self.wanted.items()) if r.kind == "security_group" and r.spec["vpc"] == vpc
                and a not in self.live.resources]

    def likeness(self, group: dict[str, Any], address: str, rules: list[dict[str, Any]]) -> float:
        """How alike a live group's rules are to a desired group's (0 to 1; SG peers count as alike)."""
        def shape(direction: str, protocol: str, low: Any, high: Any, peer: str) -> tuple[Any, ...]:
            single_host = peer == MY_IP_MARK or peer.endswith("/32")  # the admin's IP, whatever it is
            return direction, protocol, low, high, "one address" if single_host else peer

        have = {shape("egress" if r.get("IsEgress") else "ingress", r["IpProtocol"], r.get("FromPort", -1),
                      r.get("ToPort", -1), "sg" if r.get("ReferencedGroupInfo") else r.get("CidrIpv4", ""))
                for r in rules if r["GroupId"] == group["GroupId"]}
        want = {shape(s["direction"], s["protocol"], s["from_port"], s["to_port"],
                      "sg" if s["peer_kind"] == "security_group" else s["peer"])
                for r in self.wanted.values() if r.kind == "security_group_rule"
                and (s := r.spec)["security_group"] == address}
        return len(have & want) / max(1, len(have | want))

    def route_table(self, table: dict[str, Any]) -> None:
        associations = table.get("Associations", [])
        vpc = self.vpc_address.get(table["VpcId"])
        if any(a.get("Main") for a in associations) and not self.ours(table):
            if vpc:
                self.live.main_route_tables[vpc] = table["RouteTableId"]
            return  # the main table: AWS's, with the local route
        spec = {"vpc": vpc, "name": tags_of(table).get("Name", "")}
        match = "" if self.ours(table) else self.match_route_table(table, vpc)
        self.place("route_table", table["RouteTableId"], table, spec, match)
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

    def match_route_table(self, table: dict[str, Any], vpc: str | None) -> str:
        """The unmatched desired table most like this one: same routes first, then the most subnets in common."""
        routes = {(r["DestinationCidrBlock"], self.address_of.get(r.get("GatewayId") or r.get("NatGatewayId") or ""))
                  for r in table.get("Routes", []) if r.get("GatewayId") != "local" and r.get("DestinationCidrBlock")}
        subnets = {self.address_of.get(a["SubnetId"]) for a in table.get("Associations", []) if a.get("SubnetId")}
        best, score = "", 0.0
        for address, wanted in sorted(self.wanted.items()):
            if wanted.kind != "route_table" or wanted.spec["vpc"] != vpc or address in self.live.resources:
                continue
            want_routes = {(r.spec["destination"], r.spec["target"]) for r in self.wanted.values()
                           if r.kind == "route" and r.spec["route_table"] == address}
            want_subnets = {r.spec["subnet"] for r in self.wanted.values()
                            if r.kind == "route_table_association" and r.spec["route_table"] == address}
            alike = 2.0 * (routes == want_routes) + len(subnets & want_subnets) / max(1, len(subnets | want_subnets))
            if alike > score:
                best, score = address, alike
        return best

    def rule(self, rule: dict[str, Any]) -> None:
        group = self.address_of.get(rule["GroupId"])
        if not group:
            return
        referenced = rule.get("ReferencedGroupInfo", {}).get("GroupId")
        account = rule.get("ReferencedGroupInfo", {}).get("UserId", "")
        if referenced and account and account != rule.get("OwnerId", account):  # another account's group
            peer_kind, peer = "security_group", f"{account}/{referenced}"
        elif referenced:
            peer_kind, peer = "security_group", self.address_of.get(referenced, referenced)
        elif rule.get("PrefixListId"):
            peer_kind, peer = "prefix_list", rule["PrefixListId"]
        else:
            peer_kind, peer = "cidr", rule.get("CidrIpv4") or rule.get("CidrIpv6") or ""
        direction = "egress" if rule.get("IsEgress") else "ingress"
        if peer_kind == "cidr" and peer.endswith("/32"):  # perhaps the admin's IP the model leaves open
            marked = {"security_group": group, "direction": direction, "protocol": rule["IpProtocol"],
                      "from_port": rule.get("FromPort", -1), "to_port": rule.get("ToPort", -1),
                      "peer_kind": "cidr", "peer": MY_IP_MARK}
            candidate = rule_address(group, direction, rule_key(marked))
            if candidate in self.wanted and candidate not in self.live.resources:
                self.live.my_ip = peer
                peer = MY_IP_MARK
        spec = {"security_group": group, "direction": direction, "protocol": rule["IpProtocol"],
                "from_port": rule.get("FromPort", -1), "to_port": rule.get("ToPort", -1), "peer_kind": peer_kind,
                "peer": peer, "description": rule.get("Description", "")}
        address = rule_address(group, direction, rule_key(spec))
        wanted = self.wanted.get(address)
        if wanted is not None and peer_kind == "security_group" and not spec["description"]:
            spec["description"] = wanted.spec["description"]  # moto drops these descriptions; AWS keeps them
        # No rule id without a third round trip: a rule is named by its group, direction and natural key.
        self.live.add(Resource(address, "security_group_rule", spec),
                      f"{rule['GroupId']} {direction} {rule_key(spec)}", owned=False)

    def instance_by_interface(self, interface: dict[str, Any]) -> None:
        """An instance seen through its network interface: subnet, groups and public address, but no Name tag."""
        instance_id = interface["Attachment"]["InstanceId"]
        groups = sorted({self.address_of.get(g["GroupId"], g["GroupId"]) for g in interface.get("Groups", [])})
        subnet = self.address_of.get(interface.get("SubnetId", ""))
        match = self.match("instance", subnet=subnet, security_groups=groups)
        unseen = self.wanted[match].spec if match else {}  # type and image are not on the interface
        spec = {"subnet": subnet, "security_groups": groups, "instance_type": unseen.get("instance_type"),
                "image": unseen.get("image"), "public_ip": bool(interface.get("Association", {}).get("PublicIp")),
                "name": unseen.get("name", "")}
        self.place("instance", instance_id, interface, spec, match)

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

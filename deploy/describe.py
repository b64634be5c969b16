"""The read of an account, as AWS returns it: one paginated Describe call per kind, in parallel, tolerant of denials.

Only deploy/ sees these AWS shapes; `vpcdraw.deploy.translate` turns them into the model.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .aws import AwsError, Ec2

DENIED = {"UnauthorizedOperation", "AuthFailure", "UnauthorizedAccess"}
KIND_OF_CALL = {"subnets": "subnet", "gateways": "internet_gateway", "nat": "nat_gateway", "tables": "route_table",
                "groups": "security_group", "instances": "instance",
                "acls": "network_acl", "interfaces": "network_interface"}
TOPOLOGY_TAG = "vpcdraw:topology"
ADDRESS_TAG = "vpcdraw:address"


def tags_of(item: dict[str, Any]) -> dict[str, str]:
    """An AWS item's tags as a dict."""
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def tag_specification(kind: str, topology: str, address: str, name: str) -> list[dict[str, Any]]:
    """The TagSpecifications that mark a resource as this topology's, set when it is created."""
    tags = [{"Key": "Name", "Value": name}, {"Key": TOPOLOGY_TAG, "Value": topology},
            {"Key": ADDRESS_TAG, "Value": address}]
    return [{"ResourceType": kind, "Tags": tags}]


Describe = Callable[..., list[dict[str, Any]]]
PEERS = (("IpRanges", "CidrIp", "CidrIpv4"), ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"),
         ("PrefixListIds", "PrefixListId", "PrefixListId"), ("UserIdGroupPairs", "GroupId", "ReferencedGroupId"))


def rules_of(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups' rules, one per peer, in the shape of DescribeSecurityGroupRules (without rule ids)."""
    found = []
    for group in groups:
        for egress, key in ((False, "IpPermissions"), (True, "IpPermissionsEgress")):
            for permission in group.get(key, []):
                rule = {"GroupId": group["GroupId"], "IsEgress": egress, "IpProtocol": permission["IpProtocol"]}
                if "FromPort" in permission:
                    rule.update(FromPort=permission["FromPort"], ToPort=permission["ToPort"])
                for list_key, peer_key, rule_key_name in PEERS:
                    for peer in permission.get(list_key, []):
                        one = {**rule, rule_key_name: peer[peer_key], "Description": peer.get("Description", "")}
                        if rule_key_name == "ReferencedGroupId":
                            one["ReferencedGroupInfo"] = {"GroupId": one.pop("ReferencedGroupId"),
                                                          "UserId": peer.get("UserId", group.get("OwnerId", ""))}
                        one["OwnerId"] = group.get("OwnerId", "")
                        found.append(one)
    return found


def tolerant(ec2: Ec2, not_checked: set[str]) -> Describe:
    """A paginated describe(kind, operation, key, **params) that records denied kinds instead of failing."""
    def describe(kind: str, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        try:
            return ec2.paginate(operation, key, **params)
        except AwsError as error:
            if error.code in DENIED or error.code.startswith("AccessDenied"):
                not_checked.add(kind)
                return []
            raise
    return describe


def describe_inside(describe: Describe, vpc_ids: list[str], not_checked: set[str]
                    ) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Everything inside the VPCs, one paginated call per kind in parallel, and their groups' rules.

    The rules come with the groups (IpPermissions), not from DescribeSecurityGroupRules, which would need
    the group ids first: a third round trip after the VPCs and the groups.
    """
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
        "acls": ("DescribeNetworkAcls", "NetworkAcls", {"Filters": by_vpc}),
        # What uses each group (instances, databases, load balancers), even where DescribeInstances is denied.
        "interfaces": ("DescribeNetworkInterfaces", "NetworkInterfaces", {"Filters": by_vpc}),
    }
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {name: pool.submit(describe, KIND_OF_CALL[name], op, key, **params)
                   for name, (op, key, params) in calls.items()}
        found = {name: future.result() for name, future in futures.items()}
    rules = rules_of(found["groups"])
    if "instance" in not_checked and "network_interface" not in not_checked:
        not_checked.discard("instance")  # AmazonVPCReadOnlyAccess has no DescribeInstances: see their interfaces
    not_checked.discard("network_interface")  # they only tell what the other kinds say
    return found, rules

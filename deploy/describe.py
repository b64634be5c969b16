"""The read of an account, as AWS returns it: one paginated Describe call per kind, in parallel, tolerant of denials.

Only deploy/ sees these AWS shapes; `vpcdraw.deploy.translate` turns them into the model.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .aws import AwsError, Ec2
from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tag_specification, tags_of  # noqa: F401 (read with them)

DENIED = {"UnauthorizedOperation", "AuthFailure", "UnauthorizedAccess"}
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


def describe_calls(kinds: set[str]) -> list[str]:
    """The Describe permissions behind these kinds (`ec2:DescribeSubnets`, ...), for saying which are missing."""
    from .families import FAMILIES

    calls = {"vpc": "DescribeVpcs", "elastic_ip": "DescribeAddresses", "internet_gateway": "DescribeInternetGateways"}
    calls |= {read.kind: read.operation for family in FAMILIES.values() for read in family.READS}
    return sorted(f"ec2:{calls.get(kind, kind)}" for kind in kinds)


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

    Each resource family says what it reads (its `READS`). The rules come with the groups (IpPermissions),
    not from DescribeSecurityGroupRules, which would need the group ids first: a third round trip after
    the VPCs and the groups.
    """
    from .families import FAMILIES

    reads = [read for family in FAMILIES.values() for read in family.READS]
    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        futures = {read.name: pool.submit(describe, read.kind, read.operation, read.key, **read.params(vpc_ids))
                   for read in reads}
        found = {name: future.result() for name, future in futures.items()}
    rules = rules_of(found["groups"])
    if "instance" in not_checked and "network_interface" not in not_checked:
        not_checked.discard("instance")  # AmazonVPCReadOnlyAccess has no DescribeInstances: see their interfaces
    not_checked.discard("network_interface")  # they only tell what the other kinds say
    return found, rules

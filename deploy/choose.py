"""Which live VPCs a read is about: the ones named, every non-default one of the region, or the only one."""

from __future__ import annotations

from typing import Any

from vpcdraw.topology.errors import VpcdrawError

from .aws import Ec2
from .translate import find_vpc

CHOOSE = "--vpc-id (once per VPC) or --all"


def choose_vpcs(ec2: Ec2, vpc_ids: list[str], every: bool = False) -> list[dict[str, Any]]:
    """DescribeVpcs items: of `vpc_ids` (each checked to exist), of every non-default VPC with `every`, else of the
    region's only non-default VPC (several: an error that lists them)."""
    if every:
        found = [dict(v) for v in ec2.paginate("DescribeVpcs", "Vpcs") if not v.get("IsDefault")]
        if not found:
            raise VpcdrawError(f"{ec2.region} has no VPC besides the default one; give another --region")
        return sorted(found, key=lambda v: v["VpcId"])
    if not vpc_ids:
        return [find_vpc(ec2, None, CHOOSE)]
    return [find_vpc(ec2, vpc_id, CHOOSE) for vpc_id in dict.fromkeys(vpc_ids)]

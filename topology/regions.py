"""An offline table of AWS regions and the letters of their availability zones, so checks need no AWS call.

AZ letters differ a little between accounts in a few regions; the table lists every letter AWS has used.
"""

from __future__ import annotations

REGION_ZONES: dict[str, str] = {
    "af-south-1": "abc",
    "ap-east-1": "abc",
    "ap-east-2": "abc",
    "ap-northeast-1": "abcd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-7": "abc",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "il-central-1": "abc",
    "me-central-1": "abc",
    "me-south-1": "abc",
    "mx-central-1": "abc",
    "sa-east-1": "abc",
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "abc",
    "us-west-2": "abcd",
}


def zone_name(region: str, az: str) -> str:
    """The full availability zone name for a letter or a full name.

    >>> zone_name("ap-northeast-2", "a")
    'ap-northeast-2a'
    >>> zone_name("ap-northeast-2", "ap-northeast-2c")
    'ap-northeast-2c'
    """
    return f"{region}{az}" if len(az) == 1 else az


def zone_exists(region: str, az: str) -> bool:
    """Whether `az` (letter or full name) is an availability zone of `region` in the offline table."""
    full = zone_name(region, az)
    letters = REGION_ZONES.get(region, "")
    return full.startswith(region) and len(full) == len(region) + 1 and full[-1] in letters

"""vpcdraw's own tags: what marks a resource as one topology's, at one address of its model."""

from __future__ import annotations

from typing import Any

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

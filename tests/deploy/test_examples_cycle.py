"""The two examples of several VPCs through the whole cycle on the local AWS, as a user runs it: check, render,
plan, apply, a second plan with nothing to do, diff in sync, import of every VPC and back, reach across VPCs
from the import answering as from the file, destroy leaving nothing of them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vpcdraw.topology import load
from vpcdraw.topology.analysis.reach import reach
from vpcdraw.topology.graph import resources
from vpcdraw.topology.specs import InstanceSpec

GONE_PEERING = ("deleted", "rejected", "failed", "expired")


def _specs(topology):  # what AWS holds, by address; the image is an AMI id once launched
    found = {}
    for resource in resources(topology):
        spec = resource.spec
        if isinstance(spec, InstanceSpec):
            spec = dataclasses.replace(spec, image="")
        found[resource.address] = spec
    return found


def _host_answers(topology):
    """Every host to every other host (and to the endpoints' services) on every port a rule opens: reachable?

    Hosts, not tiers: a live group protects the subnets its network interfaces are in, a drawn one its tier.
    """
    hosts = [f"{v.name}/{i.name}" for v in topology.vpcs for i in v.instances]
    targets = hosts + sorted({e.service for v in topology.vpcs for e in v.endpoints})
    ports = sorted({f"{r.protocol}/{r.from_port}" for v in topology.vpcs for g in v.security_groups
                    for r in g.ingress} | {"tcp/443"})
    return {(a, b, port): [answer.reachable for answer in reach(topology, a, b, port)]
            for a in hosts for b in targets if a != b for port in ports}


def _left(boto) -> dict[str, list[str]]:
    """What of the examples' kinds is still in the account."""
    return {
        "vpcs": [v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        "peerings": [p["VpcPeeringConnectionId"] for p in boto.describe_vpc_peering_connections()[
            "VpcPeeringConnections"] if p["Status"]["Code"] not in GONE_PEERING],
        "transit gateways": [g["TransitGatewayId"] for g in boto.describe_transit_gateways()["TransitGateways"]
                             if g["State"] not in ("deleting", "deleted")],
        "attachments": [a["TransitGatewayAttachmentId"] for a in boto.describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"] if a["State"] not in ("deleting", "deleted")],
        "endpoints": [e["VpcEndpointId"] for e in boto.describe_vpc_endpoints()["VpcEndpoints"]
                      if e["State"].lower() not in ("deleting", "deleted")],
    }


@pytest.mark.parametrize("name, vpcs, links", [
    ("shared-services", 2, {"peerings": 1, "endpoints": 1}),
    ("hub", 3, {"transit gateways": 1, "attachments": 3}),
])
def test_the_whole_cycle(cli, aws_env, boto, example_file, tmp_path: Path, monkeypatch, name, vpcs, links):
    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    source = example_file(name)
    topology = load(source)
    assert cli("check", source).code == 0
    drawn = cli("render", source, "-o", tmp_path / f"{name}.svg")  # PNGs of the links: tests/render/test_links_draw
    assert drawn.code == 0, drawn.err
    assert "<svg" in (tmp_path / f"{name}.svg").read_text(encoding="utf-8")

    planned = cli("plan", source, "--detailed-exitcode")
    assert planned.code == 2, planned.err
    applied = cli("apply", source)
    assert applied.code == 0, applied.out + applied.err
    left = _left(boto)
    assert len(left["vpcs"]) == vpcs
    assert {kind: len(left[kind]) for kind in links} == links
    again = cli("plan", source, "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "no changes" in again.out
    diff = cli("diff", source)
    assert diff.code == 0, diff.out + diff.err
    assert "in sync" in diff.out

    imported_file = tmp_path / "imported.py"
    ids = [a for vpc_id in left["vpcs"] for a in ("--vpc-id", vpc_id)]
    imported = cli("import", *ids, "--region", topology.region, "-o", imported_file)
    assert imported.code == 0, imported.err
    assert "left out" not in imported.err  # no peering, transit gateway or endpoint route dropped
    back = load(imported_file)
    assert _specs(back) == _specs(topology)
    assert cli("check", imported_file).code == 0
    answers = _host_answers(topology)
    assert any(any(cell) for (a, b, _), cell in answers.items() if a.split("/")[0] != b.split("/")[0])
    assert _host_answers(back) == answers  # reach answers from the account as from the file, pair by pair
    assert cli("diff", imported_file).code == 0

    destroyed = cli("destroy", source)
    assert destroyed.code == 0, destroyed.out + destroyed.err
    assert _left(boto) == {"vpcs": [], "peerings": [], "transit gateways": [], "attachments": [], "endpoints": []}

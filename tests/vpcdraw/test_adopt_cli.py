"""`plan --adopt` and `apply --adopt` as a user runs them, against a moto server over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.deploy.test_adopt import hand_built_ids, snapshot
from tests.deploy.test_diff import build_by_hand

SMALL = """\
from vpcdraw import TopologyBuilder, anywhere, sg

t = TopologyBuilder("small", region="ap-northeast-2")
vpc = t.vpc("main", "10.0.0.0/16")
vpc.subnet("public-a", "10.0.0.0/24", az="a", tier="public")
vpc.internet_gateway("igw")
vpc.route_table("public", subnets=["public-a"]).route("0.0.0.0/0", internet_gateway="igw")
vpc.security_group("web", "web servers", tier="public").ingress("tcp/443", anywhere)
{more}
topology = t.build()
"""


@pytest.fixture
def aws(endpoint, monkeypatch):
    """The standard AWS configuration pointed at the moto server; the admin IP of the hand-built bastion rule."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("VPCDRAW_MY_IP", "198.51.100.77")
    return endpoint


@pytest.fixture
def mutations(monkeypatch):
    """Every mutating EC2 call the command line makes, seen by a botocore hook on each client it opens."""
    from vpcdraw.deploy import workflow

    calls: list[str] = []
    locks: list[str] = []  # the account lock's own tag on a VPC of ours, set and removed around each apply

    def seen(model, params, **kw):
        if model.name.startswith(("Describe", "Get")):
            return
        tags = [t["Key"] for t in params.get("Tags", [])]
        (locks if tags == ["vpcdraw:lock"] else calls).append(model.name)

    class Counted(workflow.Ec2):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for client in self.clients:
                client.meta.events.register("before-parameter-build.ec2.*", seen)

    monkeypatch.setattr(workflow, "Ec2", Counted)
    yield calls
    # each lock set is removed again, unless destroy deleted the VPC it was on
    assert set(locks) <= {"CreateTags", "DeleteTags"} and locks.count("DeleteTags") <= locks.count("CreateTags")


def _one_sentence(result):
    assert result.code == 1
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vpcdraw: error: "), result.err
    assert "Traceback" not in result.err and "unexpected" not in result.err
    return lines[0]


def test_help_says_what_adopt_does_and_that_nothing_is_adopted_without_it(capsys):
    from vpcdraw.cli import main

    for command in ("plan", "apply"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        words = " ".join(capsys.readouterr().out.split())
        assert "<= adopt" in words
        assert ("apply only tags it (vpcdraw:topology, vpcdraw:address; its Name only where it is not the label), "
                "never replaces or deletes it") in words
        assert "Without --adopt nothing vpcdraw did not tag is changed" in words
        assert "Another topology's resources are never adopted" in words


def test_a_hand_built_vpc_is_adopted_by_tags_and_then_destroyed_with_nothing_else(cli, aws, boto, example_file,
                                                                               mutations):
    source = example_file("assignment")
    vpc_id = build_by_hand(boto)
    twin = build_by_hand(boto)
    twin_before = snapshot(boto, twin)
    ids = hand_built_ids(boto, vpc_id)

    first = cli("plan", source)  # no flags: a second copy is planned, but never as a surprise
    assert first.code == 0
    assert f"VPC {vpc_id} ('week1') has the CIDR 172.16.0.0/16 and the subnets of vpc/main" in first.out
    assert f"plan and apply with --adopt --vpc-id {vpc_id} take that one over instead" in first.out

    assert vpc_id in _one_sentence(cli("plan", source, "--adopt"))  # which one? --vpc-id says
    refused = _one_sentence(cli("plan", source, "--vpc-id", vpc_id))
    assert f"VPC {vpc_id} ('week1') was not created by vpcdraw" in refused and "--adopt" in refused

    planned = cli("plan", source, "--adopt", "--vpc-id", vpc_id, "--json")
    assert planned.code == 0, planned.err
    actions = json.loads(planned.out)["actions"]
    assert {a["address"]: a["id"] for a in actions if a["op"] == "adopt"} == ids
    assert [(a["op"], a["kind"]) for a in actions if a["op"] != "adopt"] == [("update", "security_group_rule")] * 2
    human = cli("plan", source, "--adopt", "--vpc-id", vpc_id)
    assert f"   <= subnet vpc/main/subnet/public-a  ({ids['vpc/main/subnet/public-a']} ('my public-a'), made " \
           "outside vpcdraw: tags only; Name 'my public-a' -> '외부망 public-a')" in human.out
    assert "  12 to adopt, 2 to update" in human.out

    applied = cli("apply", source, "--adopt", "--vpc-id", vpc_id, "--yes")
    assert applied.code == 0, applied.err
    assert "Applied 14 changes." in applied.out
    assert sorted(mutations) == ["CreateTags"] * 12 + ["UpdateSecurityGroupRuleDescriptionsIngress"] * 2
    again = cli("plan", source, "--detailed-exitcode")
    assert again.code == 0 and "no changes: the account matches the topology" in again.out
    assert "note:" not in again.out

    vpcs = len(boto.describe_vpcs()["Vpcs"])
    destroyed = cli("destroy", source)
    assert destroyed.code == 0, destroyed.err
    assert len(boto.describe_vpcs()["Vpcs"]) == vpcs - 1
    assert boto.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert boto.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [
        i for a, i in ids.items() if "/subnet/" in a]}])["Subnets"] == []
    assert snapshot(boto, twin) == twin_before


def test_a_look_alike_in_the_way_stops_plan_and_apply_in_one_sentence(cli, aws, boto, tmp_path, mutations):
    path = tmp_path / "small.py"
    path.write_text(SMALL.format(more=""), encoding="utf-8")
    assert cli("apply", path).code == 0
    (vpc,) = boto.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["small"]}])["Vpcs"]
    hand = boto.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.7.0/24", AvailabilityZone="ap-northeast-2a",
                              TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                  {"Key": "Name", "Value": "hand"}]}])["Subnet"]["SubnetId"]
    path.write_text(SMALL.format(more='vpc.subnet("extra", "10.0.7.0/24", az="a", tier="private")'),
                    encoding="utf-8")
    before = snapshot(boto, vpc["VpcId"])
    mutations.clear()
    for command in (("plan",), ("plan", "--json"), ("apply", "--yes")):
        sentence = _one_sentence(cli(*command, path))
        assert sentence == (
            f"vpcdraw: error: subnet {hand} ('hand') already has the CIDR 10.0.7.0/24 in vpc/main that "
            "vpc/main/subnet/extra needs, and was not created by vpcdraw: plan and apply with --adopt take it over "
            "(tags only), or change the model")
    assert mutations == []
    assert snapshot(boto, vpc["VpcId"]) == before

    adopted = cli("apply", path, "--adopt")
    assert adopted.code == 0, adopted.err
    assert f"<= subnet vpc/main/subnet/extra ({hand})" in adopted.out
    assert mutations == ["CreateTags"]
    assert cli("plan", path, "--detailed-exitcode").code == 0

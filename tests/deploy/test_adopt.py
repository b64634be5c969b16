"""Adoption: what vpcdraw did not create is changed only when the user asks (`adopt`), and then by tags only.

The foreign resources are built with plain boto3 calls, as a student clicks them in the console.
"""

from __future__ import annotations

import pytest

from tests.deploy.test_diff import build_by_hand
from vpcdraw.deploy.apply import apply
from vpcdraw.deploy.workflow import destroy_plan, plan
from vpcdraw.topology import anywhere, sg
from vpcdraw.topology.errors import VpcdrawError

MY_IP = "198.51.100.77"  # the bastion rule build_by_hand makes


def _tags(item):
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def snapshot(boto, vpc_id):
    """Everything AWS says about a VPC and what is in it, to compare before and after."""
    inside = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return {
        "vpc": boto.describe_vpcs(VpcIds=[vpc_id])["Vpcs"],
        "subnets": boto.describe_subnets(Filters=inside)["Subnets"],
        "gateways": boto.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"],
        "tables": boto.describe_route_tables(Filters=inside)["RouteTables"],
        "groups": boto.describe_security_groups(Filters=inside)["SecurityGroups"],
        "acls": boto.describe_network_acls(Filters=inside)["NetworkAcls"],
        "instances": boto.describe_instances(Filters=inside)["Reservations"],
    }


def hand_built_ids(boto, vpc_id):
    """The ids of what build_by_hand made, by the model address each should be adopted as."""
    inside = [{"Name": "vpc-id", "Values": [vpc_id]}]
    names = {"my public-a": "public-a", "my public-c": "public-c", "my private-a": "private-a",
             "my private-c": "private-c", "my management": "management"}
    ids = {"vpc/main": vpc_id}
    for subnet in boto.describe_subnets(Filters=inside)["Subnets"]:
        ids[f"vpc/main/subnet/{names[_tags(subnet)['Name']]}"] = subnet["SubnetId"]
    (gateway,) = boto.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    ids["vpc/main/internet_gateway/igw"] = gateway["InternetGatewayId"]
    for table in boto.describe_route_tables(Filters=inside)["RouteTables"]:
        if any(a.get("Main") for a in table["Associations"]):
            continue
        to_internet = any(r.get("GatewayId", "").startswith("igw-") for r in table["Routes"])
        ids[f"vpc/main/route_table/{'public' if to_internet else 'private'}"] = table["RouteTableId"]
    groups = {"web-sg": "public", "db-sg": "private", "bastion-sg": "management"}
    for group in boto.describe_security_groups(Filters=inside)["SecurityGroups"]:
        if group["GroupName"] in groups:
            ids[f"vpc/main/security_group/{groups[group['GroupName']]}"] = group["GroupId"]
    return ids


def _census(boto):
    vpcs = [v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    inside = [{"Name": "vpc-id", "Values": vpcs}]
    return {"vpcs": len(vpcs), "subnets": len(boto.describe_subnets(Filters=inside)["Subnets"]),
            "groups": len([g for g in boto.describe_security_groups(Filters=inside)["SecurityGroups"]
                           if g["GroupName"] != "default"])}


def _mutations(ec2):
    """Every mutating EC2 call with its parameters, seen by a botocore hook independent of vpcdraw."""
    calls: list[tuple[str, dict]] = []

    def record(model, params, **kwargs):
        if not model.name.startswith(("Describe", "Get")):
            calls.append((model.name, params))

    for client in ec2.clients:
        client.meta.events.register("before-parameter-build.ec2.*", record)  # the call's own parameters
    return calls


def _deploy(ec2, topology, my_ip=MY_IP, **options):
    made, _wanted, _live = plan(ec2, topology, my_ip, **options)
    assert made.problem is None, made.problem
    apply(ec2, made, poll=0.01)
    return made


def test_adopting_a_hand_built_assignment_tags_it_and_destroy_then_removes_exactly_it(connect, boto, assignment):
    vpc_id = build_by_hand(boto)
    twin = build_by_hand(boto)  # a second copy, somebody else's: never touched
    twin_before = snapshot(boto, twin)
    expected = hand_built_ids(boto, vpc_id)
    ec2 = connect()
    made, _wanted, live = plan(ec2, assignment, MY_IP, adopt=True, vpc_id=vpc_id)
    assert made.problem is None
    adopted = {a.address: a.aws_id for a in made.actions if a.op == "adopt"}
    assert adopted == expected
    # Only what really differs besides: the two rules the console made without the model's descriptions.
    assert [(a.op, a.address, a.changed, a.to_json()["before"], a.to_json()["after"])
            for a in made.actions if a.op != "adopt"] == [
        ("update", "vpc/main/security_group/management/ingress/tcp/22/198.51.100.77/32", ("description",),
         {"description": ""}, {"description": "SSH from the admin IP"}),
        ("update", "vpc/main/security_group/public/ingress/tcp/8080/0.0.0.0/0", ("description",),
         {"description": ""}, {"description": "web traffic from anywhere"})]
    subnet = next(a for a in made.actions if a.address == "vpc/main/subnet/public-a")
    assert subnet.to_json() == {
        "op": "adopt", "kind": "subnet", "address": "vpc/main/subnet/public-a", "id": expected[subnet.address],
        "reason": f"{expected[subnet.address]} ('my public-a'), made outside vpcdraw: tags only; "
                  "Name 'my public-a' -> '외부망 public-a'",
        "before": {"Name": "my public-a"},
        "after": {"Name": "외부망 public-a", "vpcdraw:topology": "assignment", "vpcdraw:address": subnet.address}}

    calls = _mutations(ec2)
    apply(ec2, made, poll=0.01)
    assert sorted(name for name, _ in calls) == ["CreateTags"] * 12 + ["UpdateSecurityGroupRuleDescriptionsIngress"] * 2
    tagged = {params["Resources"][0]: _tags(params) for name, params in calls if name == "CreateTags"}
    assert {aws_id: (tags["vpcdraw:topology"], tags["vpcdraw:address"]) for aws_id, tags in tagged.items()} == {
        aws_id: ("assignment", address) for address, aws_id in expected.items()}
    group = boto.describe_security_groups(GroupIds=[expected["vpc/main/security_group/public"]])["SecurityGroups"][0]
    assert group["GroupName"] == "web-sg"  # AWS cannot rename a group: it keeps its own name
    assert _tags(group) == {"Name": "외부망 public", "vpcdraw:topology": "assignment",
                            "vpcdraw:address": "vpc/main/security_group/public"}

    again, _, _ = plan(connect(), assignment, MY_IP)  # no flags: found by its tags now, and in sync
    assert again.actions == [] and again.notes == [] and again.problem is None

    before = _census(boto)
    made, live = destroy_plan(ec2, assignment)
    assert {live.ids[a.address] for a in made.actions
            if a.kind not in ("route_table_association", "security_group_rule")} == set(expected.values())
    apply(ec2, made, poll=0.01)
    assert _census(boto) == {"vpcs": before["vpcs"] - 1, "subnets": before["subnets"] - 5,
                             "groups": before["groups"] - 3}
    assert boto.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert snapshot(boto, twin) == twin_before


def _extended(small):
    """`small` deployed, then the model grows a group, a subnet with its own table, and an instance."""
    t, vpc = small()
    first = t.build()
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", sg("web"))
    vpc.subnet("extra-a", "10.0.5.0/24", az="a", tier="public")
    vpc.route_table("extra", subnets=["extra-a"]).route("0.0.0.0/0", internet_gateway="igw")
    vpc.instance("web-1", subnet="public-a", security_groups=["web"], instance_type="t3.micro")
    return first, t.build()


def _ours(boto, topology):
    return boto.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": [topology]}])["Vpcs"]


def test_without_adopt_look_alikes_in_our_vpc_are_left_alone_and_ours_made_beside(connect, boto, small):
    first, second = _extended(small)
    ec2 = connect()
    _deploy(ec2, first)
    (vpc,) = _ours(boto, "small")
    inside = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = {_tags(s)["vpcdraw:address"]: s["SubnetId"] for s in boto.describe_subnets(Filters=inside)["Subnets"]}
    groups = {_tags(g).get("vpcdraw:address"): g["GroupId"]
              for g in boto.describe_security_groups(Filters=inside)["SecurityGroups"]}
    (igw,) = boto.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id",
                                                       "Values": [vpc["VpcId"]]}])["InternetGateways"]
    # By hand, in our VPC: a group much like the model's new one, a table like its new table, an instance of its name.
    group = boto.create_security_group(GroupName="hand-db", Description="by hand", VpcId=vpc["VpcId"])["GroupId"]
    boto.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
         "UserIdGroupPairs": [{"GroupId": groups["vpc/main/security_group/web"]}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    named = [{"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "hand table"}]}]
    table = boto.create_route_table(VpcId=vpc["VpcId"], TagSpecifications=named)["RouteTable"]["RouteTableId"]
    boto.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw["InternetGatewayId"])
    image = boto.describe_images()["Images"][0]["ImageId"]
    instance = boto.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                  SubnetId=subnets["vpc/main/subnet/public-a"], SecurityGroupIds=[group],
                                  TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                      {"Key": "Name", "Value": "web-1"}]}])["Instances"][0]["InstanceId"]
    before = snapshot(boto, vpc["VpcId"])

    def theirs(state):
        return ([g for g in state["groups"] if g["GroupId"] == group],
                [t for t in state["tables"] if t["RouteTableId"] == table],
                [{k: v for k, v in i.items() if k != "State"} for r in state["instances"] for i in r["Instances"]
                 if i["InstanceId"] == instance])

    made, _wanted, _live = plan(ec2, second, MY_IP)
    assert made.problem is None
    assert {a.op for a in made.actions} == {"create"}
    assert {a.address for a in made.actions if a.kind in ("security_group", "route_table", "instance", "subnet")} == {
        "vpc/main/security_group/db", "vpc/main/route_table/extra", "vpc/main/instance/web-1",
        "vpc/main/subnet/extra-a"}
    for aws_id in (group, table, instance):
        (note,) = [n for n in made.notes if aws_id in n]
        assert "was not created by vpcdraw: it is left alone and vpcdraw creates its own beside it" in note
        assert "--adopt takes it over instead" in note
    assert any("'hand table'" in n for n in made.notes)

    calls = _mutations(ec2)
    apply(ec2, made, poll=0.01)
    assert calls and not [(name, params) for name, params in calls
                          if any(aws_id in repr(params) for aws_id in (group, table, instance))]
    assert theirs(snapshot(boto, vpc["VpcId"])) == theirs(before)
    assert plan(connect(), second, MY_IP)[0].actions == []


def _tag(boto, aws_id, owner, address):
    boto.create_tags(Resources=[aws_id], Tags=[{"Key": "vpcdraw:topology", "Value": owner},
                                               {"Key": "vpcdraw:address", "Value": address}])


@pytest.mark.parametrize("owner", ["assignment-old", "Assignment", "assignment "])
def test_another_topologys_group_is_never_adopted_and_plan_says_whose_it_is(connect, boto, assignment, owner):
    vpc_id = build_by_hand(boto)
    ids = hand_built_ids(boto, vpc_id)
    theirs = ids["vpc/main/security_group/public"]
    _tag(boto, theirs, owner, "vpc/main/security_group/public")
    before = boto.describe_security_groups(GroupIds=[theirs])["SecurityGroups"]
    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, MY_IP, adopt=True, vpc_id=vpc_id)
    assert made.problem is None
    assert theirs not in {a.aws_id for a in made.actions}
    assert ("create", "vpc/main/security_group/public") in [(a.op, a.address) for a in made.actions]
    (note,) = [n for n in made.notes if theirs in n]
    assert f"belongs to topology {owner!r}: it is left alone, never adopted" in note
    # The adopted db group lets in 3306 from *their* group: that rule is not the model's, ours replaces it.
    assert [(a.op, a.address) for a in made.actions if "/private/ingress/tcp/3306/" in a.address] == [
        ("delete", f"vpc/main/security_group/private/ingress/tcp/3306/sg:{theirs}"),
        ("create", "vpc/main/security_group/private/ingress/tcp/3306/sg:public")]
    calls = _mutations(ec2)
    apply(ec2, made, poll=0.01)
    assert not [name for name, params in calls if theirs in repr(params.get("GroupId", ""))
                or theirs in repr(params.get("Resources", ""))]
    assert boto.describe_security_groups(GroupIds=[theirs])["SecurityGroups"] == before
    assert plan(connect(), assignment, MY_IP)[0].actions == []


@pytest.mark.parametrize("owner", ["assignment-old", "Assignment", "assignment "])
def test_another_topologys_vpc_or_subnet_stops_adoption_naming_whose_it_is(connect, boto, assignment, owner):
    vpc_id = build_by_hand(boto)
    ids = hand_built_ids(boto, vpc_id)
    subnet = ids["vpc/main/subnet/public-a"]
    _tag(boto, subnet, owner, "vpc/main/subnet/public-a")
    ec2 = connect()
    calls = _mutations(ec2)
    made, _wanted, _live = plan(ec2, assignment, MY_IP, adopt=True, vpc_id=vpc_id)
    assert made.problem == (
        f"subnet {subnet} ('my public-a') already has the CIDR 172.16.0.0/24 in vpc/main that vpc/main/subnet/public-a "
        f"needs, and belongs to topology {owner!r} (its vpcdraw:topology tag), and vpcdraw never adopts another "
        "topology's resources, not even with --adopt: change the model or the account")
    with pytest.raises(VpcdrawError, match="never adopts"):
        apply(ec2, made, poll=0.01)
    _tag(boto, vpc_id, owner, "vpc/main")
    with pytest.raises(VpcdrawError, match=rf"VPC {vpc_id} \('week1'\) belongs to topology {owner!r}"):
        plan(ec2, assignment, MY_IP, adopt=True, vpc_id=vpc_id)
    fresh, _, _ = plan(ec2, assignment, MY_IP)  # not ours: a VPC of our own is planned, and the note says why
    assert ("create", "vpc/main") in [(a.op, a.address) for a in fresh.actions]
    assert any(vpc_id in n and f"belongs to topology {owner!r}" in n for n in fresh.notes)
    assert calls == []


def test_a_look_alike_in_the_way_blocks_the_plan_in_one_sentence_until_adopted(connect, boto, small):
    t, vpc = small()
    ec2 = connect()
    _deploy(ec2, t.build())
    (ours,) = _ours(boto, "small")
    hand = boto.create_subnet(VpcId=ours["VpcId"], CidrBlock="10.0.7.0/24", AvailabilityZone="ap-northeast-2a",
                              TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                  {"Key": "Name", "Value": "hand"}]}])["Subnet"]["SubnetId"]
    group = boto.create_security_group(GroupName="db", Description="database", VpcId=ours["VpcId"])["GroupId"]
    vpc.subnet("extra", "10.0.7.0/24", az="a", tier="private")
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", sg("web"))
    grown = t.build()
    calls = _mutations(ec2)
    made, _wanted, _live = plan(ec2, grown, MY_IP)
    assert made.problem == (
        f"subnet {hand} ('hand') already has the CIDR 10.0.7.0/24 in vpc/main that vpc/main/subnet/extra needs, "
        "and was not created by vpcdraw; "
        f"security group {group} (group name 'db', no Name tag) already has the group name 'db' in vpc/main that "
        "vpc/main/security_group/db needs, and was not created by vpcdraw: "
        "plan and apply with --adopt take what vpcdraw did not create over (tags only), or change the model")
    with pytest.raises(VpcdrawError, match="--adopt"):
        apply(ec2, made, poll=0.01)
    assert calls == []

    made = _deploy(ec2, grown, adopt=True)
    assert [(a.op, a.aws_id) for a in made.actions if a.op == "adopt"] == [("adopt", group), ("adopt", hand)]
    assert sorted(name for name, _ in calls) == ["AuthorizeSecurityGroupIngress", "CreateTags", "CreateTags"]
    tags = _tags(boto.describe_subnets(SubnetIds=[hand])["Subnets"][0])
    assert tags == {"Name": "extra", "vpcdraw:topology": "small", "vpcdraw:address": "vpc/main/subnet/extra"}
    assert plan(connect(), grown, MY_IP)[0].actions == []


def test_a_look_alike_that_differs_where_aws_cannot_change_it_is_not_adopted(connect, boto, small):
    t, vpc = small()
    ec2 = connect()
    _deploy(ec2, t.build())
    (ours,) = _ours(boto, "small")
    hand = boto.create_subnet(VpcId=ours["VpcId"], CidrBlock="10.0.7.0/24",
                              AvailabilityZone="ap-northeast-2b")["Subnet"]["SubnetId"]
    vpc.subnet("extra", "10.0.7.0/24", az="c", tier="private")
    made, _, _ = plan(ec2, t.build(), MY_IP, adopt=True)
    assert made.problem == (
        f"subnet {hand} (no Name tag) already has the CIDR 10.0.7.0/24 in vpc/main that vpc/main/subnet/extra needs, "
        "and has az 'ap-northeast-2b', not 'ap-northeast-2c', which AWS cannot change in place, so vpcdraw cannot "
        "adopt it (tags only): change the model or the account")
    assert [a for a in made.actions if a.op == "adopt"] == []


def test_the_defaults_of_a_vpc_we_own_are_ours_to_lock(connect, boto, small):
    t, vpc = small()
    vpc.lock_default_security_group()
    vpc._security_groups[0].ingress("tcp/80", anywhere)
    ec2 = connect()
    _deploy(ec2, t.build())
    (ours,) = _ours(boto, "small")
    default = boto.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ours["VpcId"]]},
                                                     {"Name": "group-name", "Values": ["default"]}])
    group_id = default["SecurityGroups"][0]["GroupId"]
    boto.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])  # AWS's default, opened again
    made, _, _ = plan(ec2, t.build(), MY_IP)
    assert [(a.op, a.kind) for a in made.actions] == [("update", "default_security_group")]
    assert made.notes == [] and made.problem is None

"""Plan, apply and destroy against a moto server over HTTP, checked with plain boto3 describe calls."""

from __future__ import annotations

import dataclasses

import botocore.exceptions
import pytest

from vpcdraw.deploy.apply import ApplyFailed, apply
from vpcdraw.deploy.workflow import destroy_plan, plan
from vpcdraw.topology import sg

MY_IP = "203.0.113.10"


def _deploy(ec2, topology, my_ip=MY_IP, **options):
    made, _wanted, _live = plan(ec2, topology, my_ip)
    apply(ec2, made, poll=0.01, **options)
    return made


def _tags(item):
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def _ours(boto, operation, key, topology="assignment"):
    items = getattr(boto, operation)(Filters=[{"Name": "tag:vpcdraw:topology", "Values": [topology]}])[key]
    return {_tags(i)["vpcdraw:address"]: i for i in items}


def _count_mutations(ec2):
    """Count mutating EC2 calls with a botocore event hook, independently of vpcdraw's own counter."""
    calls: list[str] = []

    def count(model, **kwargs):
        if not model.name.startswith(("Describe", "Get")):
            calls.append(model.name)

    for client in ec2.clients:
        client.meta.events.register("before-call.ec2.*", count)
    return calls


def test_apply_builds_the_assignment_attribute_by_attribute(connect, boto, assignment):
    _deploy(connect(), assignment)
    (vpc,) = _ours(boto, "describe_vpcs", "Vpcs").values()
    assert vpc["CidrBlock"] == "172.16.0.0/16"
    assert _tags(vpc)["vpcdraw:address"] == "vpc/main"
    subnets = _ours(boto, "describe_subnets", "Subnets")
    assert {a.rsplit("/", 1)[1]: (s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"], _tags(s)["Name"])
            for a, s in subnets.items()} == {
        "public-a": ("172.16.0.0/24", "ap-northeast-2a", False, "외부망 public-a"),
        "public-c": ("172.16.1.0/24", "ap-northeast-2c", False, "외부망 public-c"),
        "private-a": ("172.16.2.0/24", "ap-northeast-2a", False, "내부망 private-a"),
        "private-c": ("172.16.3.0/24", "ap-northeast-2c", False, "내부망 private-c"),
        "management": ("172.16.4.0/24", "ap-northeast-2a", False, "관리망 management"),
    }
    (igw,) = _ours(boto, "describe_internet_gateways", "InternetGateways").values()
    assert [a["VpcId"] for a in igw["Attachments"]] == [vpc["VpcId"]]
    tables = _ours(boto, "describe_route_tables", "RouteTables")
    public, private = tables["vpc/main/route_table/public"], tables["vpc/main/route_table/private"]
    subnet_name = {s["SubnetId"]: a.rsplit("/", 1)[1] for a, s in subnets.items()}
    assert sorted(subnet_name[a["SubnetId"]] for a in public["Associations"]) == ["management", "public-a", "public-c"]
    assert sorted(subnet_name[a["SubnetId"]] for a in private["Associations"]) == ["private-a", "private-c"]
    assert {(r["DestinationCidrBlock"], r["GatewayId"]) for r in public["Routes"]} == {
        ("172.16.0.0/16", "local"), ("0.0.0.0/0", igw["InternetGatewayId"])}
    assert {(r["DestinationCidrBlock"], r["GatewayId"]) for r in private["Routes"]} == {("172.16.0.0/16", "local")}
    groups = _ours(boto, "describe_security_groups", "SecurityGroups")
    name_of = {g["GroupId"]: g["GroupName"] for g in groups.values()}
    rules = boto.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": list(name_of)}])["SecurityGroupRules"]
    seen = {(name_of[r["GroupId"]], "egress" if r["IsEgress"] else "ingress", r["IpProtocol"], r["FromPort"],
             r.get("CidrIpv4") or name_of.get(r.get("ReferencedGroupInfo", {}).get("GroupId"))) for r in rules}
    assert seen == {
        ("public", "ingress", "tcp", 8080, "0.0.0.0/0"), ("public", "ingress", "tcp", 22, "management"),
        ("private", "ingress", "tcp", 3306, "public"), ("private", "ingress", "tcp", 22, "management"),
        ("management", "ingress", "tcp", 22, "203.0.113.10/32"),
        ("public", "egress", "-1", -1, "0.0.0.0/0"), ("private", "egress", "-1", -1, "0.0.0.0/0"),
        ("management", "egress", "-1", -1, "0.0.0.0/0"),
    }


def test_second_apply_makes_no_mutating_call(connect, assignment):
    _deploy(connect(), assignment)
    again = connect()
    calls = _count_mutations(again)
    made, _, _ = plan(again, assignment, MY_IP)
    assert made.actions == []
    assert calls == []


def test_first_apply_uses_the_minimum_of_mutating_calls(connect, assignment):
    ec2 = connect()
    calls = _count_mutations(ec2)
    _deploy(ec2, assignment)
    # 1 VPC, IGW create + attach, 2 tables, 1 route, 5 subnets, 5 associations, 3 groups, one authorize per group
    assert sorted(set(calls)) == ["AssociateRouteTable", "AttachInternetGateway", "AuthorizeSecurityGroupIngress",
                                  "CreateInternetGateway", "CreateRoute", "CreateRouteTable", "CreateSecurityGroup",
                                  "CreateSubnet", "CreateVpc"]
    assert len(calls) == 22
    assert calls.count("AuthorizeSecurityGroupIngress") == 3


def test_out_of_band_changes_are_planned_back_and_restored(connect, boto, assignment):
    ec2 = connect()
    _deploy(ec2, assignment)
    subnets = _ours(boto, "describe_subnets", "Subnets")
    tables = _ours(boto, "describe_route_tables", "RouteTables")
    doomed = subnets["vpc/main/subnet/private-c"]["SubnetId"]
    for association in tables["vpc/main/route_table/private"]["Associations"]:
        if association["SubnetId"] == doomed:
            boto.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    boto.delete_subnet(SubnetId=doomed)
    public = _ours(boto, "describe_security_groups", "SecurityGroups")["vpc/main/security_group/public"]
    boto.authorize_security_group_ingress(GroupId=public["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    made, _wanted, _live = plan(ec2, assignment, MY_IP)
    assert [(a.op, a.address) for a in made.actions] == [
        ("delete", "vpc/main/security_group/public/ingress/tcp/22/0.0.0.0/0"),
        ("create", "vpc/main/subnet/private-c"),
        ("create", "vpc/main/route_table/private/association/private-c"),
    ]
    apply(ec2, made, poll=0.01)
    assert plan(ec2, assignment, MY_IP)[0].actions == []


def test_editing_one_rule_touches_only_that_group(connect, assignment):
    ec2 = connect()
    _deploy(ec2, assignment)
    vpc = assignment.vpcs[0]
    private = vpc.security_group("private")
    edited_rule = dataclasses.replace(private.ingress[0], from_port=5432, to_port=5432)
    edited_group = dataclasses.replace(private, ingress=(edited_rule, private.ingress[1]))
    edited = dataclasses.replace(assignment, vpcs=(dataclasses.replace(vpc, security_groups=tuple(
        edited_group if g.name == "private" else g for g in vpc.security_groups)),))
    made, _, _ = plan(ec2, edited, MY_IP)
    assert [(a.op, a.address) for a in made.actions] == [
        ("delete", "vpc/main/security_group/private/ingress/tcp/3306/sg:public"),
        ("create", "vpc/main/security_group/private/ingress/tcp/5432/sg:public"),
    ]


def test_destroy_removes_ours_and_leaves_an_unrelated_vpc(connect, boto, assignment):
    ec2 = connect()
    foreign = boto.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    foreign_subnet = boto.create_subnet(VpcId=foreign, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    foreign_group = boto.create_security_group(GroupName="theirs", Description="x", VpcId=foreign)["GroupId"]
    foreign_igw = boto.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    boto.attach_internet_gateway(InternetGatewayId=foreign_igw, VpcId=foreign)
    _deploy(ec2, assignment)
    made, _live = destroy_plan(ec2, assignment)
    apply(ec2, made, poll=0.01)
    assert _ours(boto, "describe_vpcs", "Vpcs") == {}
    assert _ours(boto, "describe_security_groups", "SecurityGroups") == {}
    assert _ours(boto, "describe_internet_gateways", "InternetGateways") == {}
    assert boto.describe_subnets(SubnetIds=[foreign_subnet])["Subnets"][0]["VpcId"] == foreign
    assert boto.describe_security_groups(GroupIds=[foreign_group])["SecurityGroups"]
    igw = boto.describe_internet_gateways(InternetGatewayIds=[foreign_igw])["InternetGateways"][0]
    assert [a["VpcId"] for a in igw["Attachments"]] == [foreign]
    again, _ = destroy_plan(ec2, assignment)
    assert again.actions == []  # running destroy twice is harmless


class _Interrupted(Exception):
    pass


@pytest.mark.parametrize("after", [1, 4, 9, 15, 21])
def test_an_interrupted_apply_completes_without_duplicates(connect, boto, assignment, after):
    ec2 = connect()
    calls = _count_mutations(ec2)

    def stop(model, **kwargs):
        if not model.name.startswith(("Describe", "Get")) and len(calls) >= after:
            raise _Interrupted(f"interrupted after {after} calls")

    for client in ec2.clients:
        client.meta.events.register("before-call.ec2.*", stop)
    with pytest.raises(ApplyFailed, match="interrupted"):
        _deploy(ec2, assignment, parallelism=1)
    _deploy(connect(), assignment)
    assert plan(connect(), assignment, MY_IP)[0].actions == []
    assert len(_ours(boto, "describe_vpcs", "Vpcs")) == 1
    assert len(_ours(boto, "describe_subnets", "Subnets")) == 5
    assert len(_ours(boto, "describe_security_groups", "SecurityGroups")) == 3
    assert len(_ours(boto, "describe_internet_gateways", "InternetGateways")) == 1
    assert len(_ours(boto, "describe_route_tables", "RouteTables")) == 2


def _strict(ec2, boto, nat_pending_polls=3):
    """Refuse the deletes AWS refuses (moto accepts them) and keep new NAT gateways pending for a few polls."""
    polls: dict[str, int] = {}

    def refuse(model, params, **kwargs):
        def fail(code, message):
            raise botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, model.name)

        if model.name == "DeleteVpc":
            attached = boto.describe_internet_gateways(
                Filters=[{"Name": "attachment.vpc-id", "Values": [params["VpcId"]]}])["InternetGateways"]
            subnets = boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [params["VpcId"]]}])["Subnets"]
            if attached or subnets:
                fail("DependencyViolation", "The vpc has dependencies and cannot be deleted.")
        if model.name == "DeleteSecurityGroup":
            groups = boto.describe_security_group_rules()["SecurityGroupRules"]
            if any(r.get("ReferencedGroupInfo", {}).get("GroupId") == params["GroupId"] for r in groups):
                fail("DependencyViolation", "resource has a dependent object")
        if model.name == "DeleteSubnet":
            nats = boto.describe_nat_gateways(Filters=[{"Name": "subnet-id", "Values": [params["SubnetId"]]}])
            if any(n["State"] not in ("deleted",) for n in nats["NatGateways"]):
                fail("DependencyViolation", "The subnet has dependencies and cannot be deleted.")

    def pending(parsed, model, **kwargs):
        for nat in parsed.get("NatGateways", []):
            seen = polls.setdefault(nat["NatGatewayId"], 0)
            polls[nat["NatGatewayId"]] = seen + 1
            if nat["State"] == "available" and seen < nat_pending_polls:
                nat["State"] = "pending"

    for client in ec2.clients:
        client.meta.events.register("before-parameter-build.ec2.*", refuse)
        client.meta.events.register("after-call.ec2.DescribeNatGateways", pending)
    return polls


def test_service_applies_and_destroys_under_awss_rules(connect, boto, service):
    ec2 = connect()
    polls = _strict(ec2, boto)
    _deploy(ec2, service)
    assert polls and all(count > 3 for count in polls.values())  # apply waited for the NAT to be available
    nat = _ours(boto, "describe_nat_gateways", "NatGateways", "service")
    assert len([n for n in nat.values() if n["State"] == "available"]) == 1
    instances = [i for r in boto.describe_instances(Filters=[{"Name": "tag:vpcdraw:topology",
                                                              "Values": ["service"]}])["Reservations"]
                 for i in r["Instances"]]
    assert sorted(_tags(i)["Name"] for i in instances) == ["bastion", "db-a", "db-c", "web-a", "web-c"]
    assert plan(ec2, service, MY_IP)[0].actions == []
    made, _live = destroy_plan(ec2, service)
    apply(ec2, made, poll=0.01)
    assert _ours(boto, "describe_vpcs", "Vpcs", "service") == {}
    assert _ours(boto, "describe_addresses", "Addresses", "service") == {}


def test_restricted_egress_removes_the_default_rule(connect, boto, small):
    t, vpc = small()
    vpc._security_groups[0].egress("tcp/443", sg("web"))
    topology = t.build()
    _deploy(connect(), topology)
    (group,) = _ours(boto, "describe_security_groups", "SecurityGroups", "small").values()
    rules = boto.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}])
    egress = [(r["IpProtocol"], r.get("FromPort")) for r in rules["SecurityGroupRules"] if r["IsEgress"]]
    assert egress == [("tcp", 443)]
    assert plan(connect(), topology, MY_IP)[0].actions == []


def test_network_acls_are_created_updated_and_destroyed(connect, boto, small):
    t, vpc = small()
    vpc.network_acl("edge", subnets=["public-a"]).inbound(100, "tcp/443", "0.0.0.0/0").outbound(
        100, "tcp/1024-65535", "0.0.0.0/0").inbound(200, "udp/53", "10.0.0.0/16", action="deny")
    # (no ICMP entry here: moto drops IcmpTypeCode, so the second plan would see a difference AWS would not show)
    topology = t.build()
    ec2 = connect()
    _deploy(ec2, topology)
    (acl,) = _ours(boto, "describe_network_acls", "NetworkAcls", "small").values()
    entries = {(e["RuleNumber"], e["Egress"], e["Protocol"], e["RuleAction"], e["CidrBlock"])
               for e in acl["Entries"] if e["RuleNumber"] != 32767}
    assert entries == {(100, False, "6", "allow", "0.0.0.0/0"), (100, True, "6", "allow", "0.0.0.0/0"),
                       (200, False, "17", "deny", "10.0.0.0/16")}
    subnets = _ours(boto, "describe_subnets", "Subnets", "small")
    assert [a["SubnetId"] for a in acl["Associations"]] == [subnets["vpc/main/subnet/public-a"]["SubnetId"]]
    assert plan(ec2, topology, MY_IP)[0].actions == []
    vpc._network_acls[0].inbound(300, "all", "192.0.2.0/24", action="deny")
    vpc._network_acls[0].subnets = ("public-a", "private-a")
    changed = t.build()
    made = _deploy(ec2, changed)
    assert [(a.op, a.address) for a in made.actions] == [("update", "vpc/main/network_acl/edge")]
    assert plan(ec2, changed, MY_IP)[0].actions == []
    made, _live = destroy_plan(ec2, changed)
    apply(ec2, made, poll=0.01)
    assert _ours(boto, "describe_network_acls", "NetworkAcls", "small") == {}


def test_a_hand_made_subnet_that_differs_is_reported_never_replaced(connect, boto, small):
    t, vpc = small()
    ec2 = connect()
    _deploy(ec2, t.build())
    subnets = _ours(boto, "describe_subnets", "Subnets", "small")
    vpc_id = subnets["vpc/main/subnet/public-a"]["VpcId"]
    boto.create_subnet(VpcId=vpc_id, CidrBlock="10.0.7.0/24", AvailabilityZone="ap-northeast-2b")  # by hand
    vpc.subnet("extra", "10.0.7.0/24", az="c", tier="private")  # the model wants it in zone c
    vpc._route_tables[1].subnets += ("extra",)
    made, _, _ = plan(ec2, t.build(), MY_IP)
    assert ("replace", "vpc/main/subnet/extra") not in [(a.op, a.address) for a in made.actions]
    assert any("vpc/main/subnet/extra" in n and "vpcdraw did not create it, so it will not replace it" in n
               for n in made.notes)


def test_locking_the_default_group_removes_its_rules_and_the_finding(connect, boto, small):
    from vpcdraw.topology.analysis.lint import lint

    t, vpc = small()
    vpc.lock_default_security_group()
    topology = t.build()
    assert "VD005" not in {f.rule for f in lint(topology)}
    ec2 = connect()
    _deploy(ec2, topology)
    (ours,) = _ours(boto, "describe_vpcs", "Vpcs", "small").values()
    default = boto.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ours["VpcId"]]},
                                                     {"Name": "group-name", "Values": ["default"]}])
    group_id = default["SecurityGroups"][0]["GroupId"]
    rules = boto.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    assert rules["SecurityGroupRules"] == []
    assert plan(ec2, topology, MY_IP)[0].actions == []
    boto.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])  # someone opens it again
    assert [(a.op, a.kind) for a in plan(ec2, topology, MY_IP)[0].actions] == [("update", "default_security_group")]


def _job(address):
    from vpcdraw.deploy.plan import Action
    from vpcdraw.topology.specs import SubnetSpec

    return [Action("create", address, "test", after=SubnetSpec("vpc/main", "10.0.0.0/24", "a", False, address))]


def test_a_job_starts_when_its_own_needs_are_done_not_with_the_slowest_of_its_wave():
    import threading

    from vpcdraw.deploy.apply import _run_jobs

    c_started = threading.Event()
    ran: list[str] = []

    def run(group):
        ran.append(group[0].address)
        if group[0].address == "a":  # a, in the first wave, ends only once c (second wave, after b) has begun
            assert c_started.wait(timeout=30), "c waited for a, which it does not need"
        if group[0].address == "c":
            c_started.set()

    failures, _ = _run_jobs([_job("a"), _job("b"), _job("c")], [set(), set(), {1}], 4, run, lambda group: None)
    assert failures == [] and sorted(ran) == ["a", "b", "c"]


def test_after_a_failure_nothing_new_starts_and_running_jobs_finish():
    import threading

    from vpcdraw.deploy.apply import _run_jobs

    ran: list[str] = []
    finished: list[str] = []

    def run(group):
        ran.append(group[0].address)
        if group[0].address == "a":
            raise RuntimeError("refused")
        if group[0].address == "b":  # the one worker takes b as a fails: b runs on while c waits in the queue
            threading.Event().wait(1.0)

    jobs = [_job("a"), _job("b"), _job("c"), _job("after-a")]
    failures, _ = _run_jobs(jobs, [set(), set(), set(), {0}], 1, run, lambda group: finished.append(group[0].address))
    assert [(g[0].address, str(e)) for g, e in failures] == [("a", "refused")]
    assert "c" not in ran and "after-a" not in ran  # queued c was cancelled; after-a never became ready
    assert finished == (["b"] if "b" in ran else [])


def test_every_kind_has_one_family_and_the_taggable_ones_are_listed_in_containment_order():
    """Adding a kind is a spec and a family: the registry is the only table, and it covers every kind."""
    from vpcdraw.deploy.families import FAMILIES, TAGGABLE
    from vpcdraw.topology.specs import KINDS

    assert sorted(FAMILIES) == sorted(KINDS)
    assert sorted(TAGGABLE) == sorted(k for k, f in FAMILIES.items() if f.taggable)
    assert TAGGABLE.index("vpc") < TAGGABLE.index("subnet") < TAGGABLE.index("nat_gateway") \
        < TAGGABLE.index("elastic_ip")


def test_a_changed_group_to_group_rule_with_a_description_is_really_revoked(connect, assignment):
    """tcp/3306 from SG public becomes tcp/5432: the old rule must be gone, not reported gone.

    moto cannot revoke a described group-to-group rule by its IpPermissions (it answers
    InvalidPermission.NotFound and keeps the rule), so vpcdraw revokes rules by their rule ids, which
    AWS accepts too (RevokeSecurityGroupIngress, SecurityGroupRuleIds), and a second plan checks it."""
    from dataclasses import replace

    ec2 = connect()
    made, _wanted, _live = plan(ec2, assignment, MY_IP)
    apply(ec2, made, poll=0.01)
    (vpc,) = assignment.vpcs
    private = next(g for g in vpc.security_groups if g.name == "private")
    moved = replace(private, ingress=tuple(replace(r, from_port=5432, to_port=5432) if r.from_port == 3306 else r
                                           for r in private.ingress))
    postgres = replace(assignment, vpcs=(replace(vpc, security_groups=tuple(
        moved if g.name == "private" else g for g in vpc.security_groups)),))
    changes, _wanted, _live = plan(ec2, postgres, MY_IP)
    assert sorted((a.op, a.address.rsplit("/ingress/", 1)[-1]) for a in changes.actions) == [
        ("create", "tcp/5432/sg:public"), ("delete", "tcp/3306/sg:public")]
    apply(ec2, changes, poll=0.01)
    assert plan(ec2, postgres, MY_IP)[0].actions == []


def test_long_waits_use_botocores_waiters_and_say_they_still_wait(connect, boto, monkeypatch):
    """An instance that stays running is waited for with the instance_terminated waiter, with a notice
    between waiter runs, and named with its state when the budget is spent; one that is gone
    (InvalidInstanceID.NotFound, as AWS answers once a terminated instance is forgotten) has arrived."""
    from vpcdraw.deploy import context
    from vpcdraw.deploy.families.instance import _wait

    monkeypatch.setattr(context, "NOTICE_S", 0.1)
    vpc = boto.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = boto.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    image = boto.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = boto.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    heard: list[str] = []
    ctx = context.Context(connect("ap-northeast-2"), "t", {}, {}, poll=0.02, notice=heard.append)
    with pytest.raises(context.VpcdrawError, match=f"instance {instance} is running, not terminated, after 0 s"):
        _wait(ctx, instance, "terminated", budget=0.5)
    assert heard and all(h.startswith(f"still waiting for instance {instance} to be terminated (") for h in heard)
    _wait(ctx, instance, "running", budget=5)  # already running: at once
    assert ctx.wait("instance_terminated", "gone", "terminated", 5, gone="InvalidInstanceID.NotFound",
                    InstanceIds=["i-0123456789abcdef0"]) is None

"""Reliability under faults, through a fault-injecting proxy in front of moto (see tests/faults.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults import FaultProxy, Faults
from vpcdraw.deploy.apply import ApplyFailed, apply
from vpcdraw.deploy.aws import Ec2
from vpcdraw.deploy.diff import drift
from vpcdraw.deploy.workflow import destroy_plan, plan

MY_IP = "203.0.113.10"
EXPECTED = {
    "assignment": {"vpcs": 1, "subnets": 5, "groups": 3, "gateways": 1, "tables": 2, "nats": 0, "addresses": 0,
                   "instances": 0},
    "service": {"vpcs": 1, "subnets": 5, "groups": 3, "gateways": 1, "tables": 2, "nats": 1, "addresses": 1,
                "instances": 5},
}


def census(endpoint: str, region: str = "ap-northeast-2") -> dict[str, int]:
    """Everything in the account that is not AWS's own default, counted by kind."""
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    inside = [{"Name": "vpc-id", "Values": vpcs}]
    if not vpcs:
        return dict.fromkeys(EXPECTED["assignment"], 0)
    tables = ec2.describe_route_tables(Filters=inside)["RouteTables"]
    return {
        "vpcs": len(vpcs),
        "subnets": len(ec2.describe_subnets(Filters=inside)["Subnets"]),
        "groups": len([g for g in ec2.describe_security_groups(Filters=inside)["SecurityGroups"]
                       if g["GroupName"] != "default"]),
        "gateways": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "tables": len([t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]),
        "nats": len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]),
        "addresses": len(ec2.describe_addresses()["Addresses"]),
        "instances": len([i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                          if i["State"]["Name"] != "terminated"]),
    }


@pytest.fixture
def proxy(endpoint):
    made: list[FaultProxy] = []

    def start(faults: Faults | None = None) -> FaultProxy:
        made.append(FaultProxy(endpoint, faults))
        return made[-1]

    yield start
    for p in made:
        p.close()


def _apply(endpoint, topology):
    ec2 = Ec2(topology.region, endpoint=endpoint)
    made, _wanted, _live = plan(ec2, topology, MY_IP)
    apply(ec2, made, poll=0.01)
    return ec2


def test_throttling_and_server_errors_change_nothing_but_the_time(endpoint, proxy, assignment):
    faulty = proxy(Faults(seed=11, throttle=0.15, error=0.05))
    ec2 = _apply(faulty.endpoint, assignment)
    assert plan(ec2, assignment, MY_IP)[0].actions == []
    assert drift(ec2, assignment, MY_IP).in_sync
    assert census(endpoint) == EXPECTED["assignment"]
    made, _live = destroy_plan(ec2, assignment)
    apply(ec2, made, poll=0.01)
    assert census(endpoint)["vpcs"] == 0
    assert faulty.counts["throttled"] > 10 and faulty.counts["errors"] > 0
    print(f"\nFAULTS throttling: {faulty.counts}")


def test_lost_responses_on_every_create_kind_make_no_duplicates(endpoint, proxy, service):
    creates = {"CreateVpc", "CreateSubnet", "CreateInternetGateway", "CreateSecurityGroup", "AllocateAddress",
               "CreateRouteTable", "CreateNatGateway", "RunInstances"}
    faulty = proxy(Faults(lose_first=set(creates)))
    try:
        _apply(faulty.endpoint, service)
    except ApplyFailed:
        _apply(faulty.endpoint, service)  # the re-run completes the job
    assert faulty.counts["lost"] == len(creates)
    assert census(endpoint) == EXPECTED["service"]
    print(f"\nFAULTS lost responses: {faulty.counts}")


KILL_POINTS = [("assignment", k) for k in range(1, 23, 2)] + [("service", k) for k in range(2, 31, 3)]


@pytest.mark.parametrize(("example", "kill_at"), KILL_POINTS)
def test_a_killed_apply_is_completed_by_the_next_without_duplicates(endpoint, proxy, example_file, example,
                                                                     kill_at, request, tmp_path):
    topology = request.getfixturevalue(example)
    faults = Faults()
    faulty = proxy(faults)
    environment = {**os.environ, "AWS_ENDPOINT_URL": faulty.endpoint, "VPCDRAW_MY_IP": MY_IP,
                   "VPCDRAW_STATE_DIR": str(tmp_path)}
    apply_process = subprocess.Popen([sys.executable, "-m", "vpcdraw", "apply", str(example_file(example)), "--yes"],
                                     env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    faults.kill_pid, faults.kill_at = apply_process.pid, kill_at
    code = apply_process.wait(timeout=120)
    assert code == -9 and faulty.counts["killed"] == 1  # SIGKILL, at that call
    _apply(endpoint, topology)
    assert census(endpoint) == EXPECTED[example]
    assert plan(Ec2(topology.region, endpoint=endpoint), topology, MY_IP)[0].actions == []


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), foreign_subnets=st.integers(0, 3), foreign_groups=st.integers(0, 2))
def test_destroy_under_faults_removes_ours_and_none_of_theirs(endpoint, small, assignment, seed, foreign_subnets,
                                                              foreign_groups):
    from vpcdraw.deploy import local

    local.reset(endpoint)
    boto = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=endpoint)
    theirs = boto.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    kept = [boto.create_subnet(VpcId=theirs, CidrBlock=f"10.50.{i}.0/24")["Subnet"]["SubnetId"]
            for i in range(foreign_subnets)]
    kept += [boto.create_security_group(GroupName=f"theirs-{i}", Description="x", VpcId=theirs)["GroupId"]
             for i in range(foreign_groups)]
    other, _ = small()
    _apply(endpoint, other.build())  # another topology of ours: not this one's to delete
    faulty = FaultProxy(endpoint, Faults(seed=seed, throttle=0.1, error=0.05))
    try:
        ec2 = _apply(faulty.endpoint, assignment)
        made, _live = destroy_plan(ec2, assignment)
        apply(ec2, made, poll=0.01)
    finally:
        faulty.close()
    vpcs = {v["VpcId"]: v for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")}
    names = sorted(t["Value"] for v in vpcs.values() for t in v.get("Tags", []) if t["Key"] == "vpcdraw:topology")
    assert theirs in vpcs and names == ["small"]
    assert len(boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [theirs]}])["Subnets"]) == foreign_subnets
    groups = boto.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [theirs]}])["SecurityGroups"]
    assert len([g for g in groups if g["GroupName"] != "default"]) == foreign_groups


def test_connection_resets_and_latency_make_no_duplicates(endpoint, proxy, assignment):
    faulty = proxy(Faults(seed=5, reset=0.15, latency=0.01))
    _apply(faulty.endpoint, assignment)
    assert faulty.counts["resets"] > 0
    assert census(endpoint) == EXPECTED["assignment"]
    print(f"\nFAULTS resets: {faulty.counts}")


# ClientToken as EC2 defines it ("Ensuring idempotency in Amazon EC2 API requests", EC2 API reference):
# the proxy answers a repeated token with the first result, even for a resource deleted since, and refuses it
# with other parameters (IdempotentParameterMismatch). A token is for the retries of one intent only.

def test_apply_destroy_apply_makes_new_tokens_for_the_new_intent(endpoint, proxy, service):
    faulty = proxy()
    ec2 = _apply(faulty.endpoint, service)
    made, _live = destroy_plan(ec2, service)
    apply(ec2, made, poll=0.01)
    assert census(endpoint)["vpcs"] == 0
    _apply(faulty.endpoint, service)  # the student's next morning
    assert faulty.counts["mismatched"] == 0 and faulty.counts["replayed"] == 0
    assert census(endpoint) == EXPECTED["service"]
    assert plan(ec2, service, MY_IP)[0].actions == []


def _with_acl(topology):
    from dataclasses import replace

    from vpcdraw.topology.model import NetworkAcl, NetworkAclEntry

    (vpc,) = topology.vpcs
    acl = NetworkAcl("private-acl", ("private-a", "private-c"), (
        NetworkAclEntry(100, False, "tcp", 3306, 3306, "172.16.0.0/16", "allow"),
        NetworkAclEntry(100, True, "all", None, None, "0.0.0.0/0", "allow")))
    return replace(topology, vpcs=(replace(vpc, network_acls=(acl,)),))


def test_what_was_deleted_out_of_band_is_made_again_not_answered_with_the_deleted(endpoint, proxy, service):
    topology = _with_acl(service)
    faulty = proxy()
    ec2 = _apply(faulty.endpoint, topology)
    _made, _wanted, live = plan(ec2, topology, MY_IP)
    ids = live.ids
    boto = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=endpoint)
    (table,) = boto.describe_route_tables(RouteTableIds=[ids["vpc/main/route_table/private"]])["RouteTables"]
    for association in table["Associations"]:
        boto.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    boto.delete_route_table(RouteTableId=table["RouteTableId"])
    boto.delete_nat_gateway(NatGatewayId=ids["vpc/main/nat_gateway/nat-a"])
    boto.release_address(AllocationId=ids["vpc/main/elastic_ip/nat-a"])
    default = boto.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [ids["vpc/main"]]},
                                                  {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    (acl,) = boto.describe_network_acls(NetworkAclIds=[ids["vpc/main/network_acl/private-acl"]])["NetworkAcls"]
    for association in acl["Associations"]:
        boto.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"],
                                             NetworkAclId=default["NetworkAclId"])
    boto.delete_network_acl(NetworkAclId=acl["NetworkAclId"])
    boto.terminate_instances(InstanceIds=[ids["vpc/main/instance/db-a"]])
    _apply(faulty.endpoint, topology)
    assert faulty.counts["mismatched"] == 0
    assert census(endpoint) == EXPECTED["service"]
    assert plan(ec2, topology, MY_IP)[0].actions == []


def test_a_changed_instance_type_is_a_new_instance_with_a_new_token(endpoint, proxy, service):
    from dataclasses import replace

    faulty = proxy()
    ec2 = _apply(faulty.endpoint, service)
    (vpc,) = service.vpcs
    bigger = replace(service, vpcs=(replace(vpc, instances=tuple(
        replace(i, instance_type="t3.small") if i.name == "web-a" else i for i in vpc.instances)),))
    made, _wanted, _live = plan(ec2, bigger, MY_IP)
    assert [(a.op, a.address, a.forces_replace) for a in made.actions] == [
        ("replace", "vpc/main/instance/web-a", ("instance_type",))]
    _apply(faulty.endpoint, bigger)
    assert faulty.counts["mismatched"] == 0
    assert census(endpoint) == EXPECTED["service"]
    assert plan(ec2, bigger, MY_IP)[0].actions == []


def test_the_intent_outlives_a_crash_and_ends_with_a_finished_run(tmp_path, monkeypatch):
    from vpcdraw.deploy.lock import exclusive

    monkeypatch.setenv("VPCDRAW_STATE_DIR", str(tmp_path))
    with pytest.raises(KeyboardInterrupt), exclusive("assignment", "apply") as first:
        raise KeyboardInterrupt  # the apply stopped part-way
    with exclusive("assignment", "apply") as again:
        assert again == first  # its retries: the same tokens
    with exclusive("assignment", "apply") as after:
        assert after != first  # finished: a new intent


def test_the_ami_parameter_is_read_once_per_apply_and_retried_like_ec2(endpoint, proxy, service):
    """Half of the GetParameter requests are throttled (SSM throttles like EC2): the apply of five instances
    still succeeds, and asks SSM for the AMI once (with its retries), not once per instance."""
    faulty = proxy(Faults(seed=3, throttle=0.5, only={"GetParameter"}))
    _apply(faulty.endpoint, service)
    assert census(endpoint) == EXPECTED["service"]
    throttled = faulty.counts["throttled"]
    assert throttled > 0 and faulty.actions["GetParameter"] == throttled + 1, faulty.actions


def test_ctrl_c_lets_the_calls_in_flight_finish_and_says_what_is_done(endpoint, proxy, example_file, assignment,
                                                                      tmp_path):
    """SIGINT part-way: nothing new starts, the calls in flight finish and are printed, then what is done
    and not done, exit 130; the next apply finishes the job without duplicates."""
    import signal
    import time

    faulty = proxy(Faults(latency=0.2))
    environment = {**os.environ, "AWS_ENDPOINT_URL": faulty.endpoint, "VPCDRAW_MY_IP": MY_IP,
                   "VPCDRAW_STATE_DIR": str(tmp_path)}
    running = subprocess.Popen([sys.executable, "-m", "vpcdraw", "apply", str(example_file("assignment")), "--yes"],
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while faulty.counts["mutating"] < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=120)
    assert running.returncode == 130, err
    printed = [line for line in out.splitlines() if line.lstrip().startswith("[")]
    assert f"done: {len(printed)} of 26" in err and "run apply again to finish" in err
    assert "Traceback" not in err and 0 < len(printed) < 26
    _apply(endpoint, assignment)
    assert census(endpoint) == EXPECTED["assignment"]

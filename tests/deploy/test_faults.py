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
    faulty = proxy(Faults(seed=11, throttle=0.30, error=0.05))
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
    faulty = FaultProxy(endpoint, Faults(seed=seed, throttle=0.2, error=0.05))
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

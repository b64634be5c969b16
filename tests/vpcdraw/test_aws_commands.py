"""plan, apply, destroy and local as a user runs them, against a moto server over HTTP."""

from __future__ import annotations

import json
import socket

import pytest

from vpcdraw.deploy import local


@pytest.fixture
def aws(endpoint, monkeypatch):
    """Point the standard AWS configuration at the moto server, as a user would with AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    return endpoint


def test_plan_apply_plan_destroy_through_aws_endpoint_url(cli, aws, example_file):
    source = example_file("assignment")
    planned = cli("plan", source, "--detailed-exitcode")
    assert planned.code == 2
    assert "+ vpc vpc/main  (172.16.0.0/16)" in planned.out
    assert "+ subnet vpc/main/subnet/private-c  (172.16.3.0/24 in ap-northeast-2c)" in planned.out
    group = planned.out.index("+ security_group vpc/main/security_group/private  ")
    rule = planned.out.index("      + ingress tcp/3306/sg:public  (tcp/3306 from SG public)")
    assert group < rule < planned.out.index("+ security_group vpc/main/security_group/public  ")  # under its group
    assert "26 to create" in planned.out
    applied = cli("apply", source)  # a loopback endpoint is local: no confirmation asked
    assert applied.code == 0, applied.err
    assert "Applied 26 changes." in applied.out
    assert f"`vpcdraw destroy {source}` removes it." in applied.out
    again = cli("plan", source, "--detailed-exitcode")
    assert again.code == 0
    assert "no changes: the account matches the topology" in again.out
    destroyed = cli("destroy", source)
    assert destroyed.code == 0 and "Destroyed 20 resources." in destroyed.out
    assert "Nothing to destroy" in cli("destroy", source).out


def test_plan_json_prints_one_document_and_nothing_else(cli, aws, example_file):
    result = cli("plan", example_file("service"), "--json")
    assert result.code == 0
    document = json.loads(result.out)
    assert {a["kind"] for a in document["actions"]} >= {"vpc", "subnet", "nat_gateway", "elastic_ip", "instance",
                                                        "security_group_rule", "route_table_association"}
    first = document["actions"][0]
    assert set(first) == {"op", "kind", "address", "reason", "before", "after"}


def test_apply_reminds_of_the_cost_of_what_costs_money(cli, aws, example_file):
    result = cli("plan", example_file("service"))
    assert "approximate cost while it exists: $0." in result.out


def test_a_different_region_is_an_error(cli, aws, example_file):
    result = cli("plan", example_file("assignment"), "--region", "us-east-1")
    assert result.code == 1
    assert "--region us-east-1 differs from the topology's region ap-northeast-2" in result.err


def test_invalid_topology_stops_before_any_aws_call(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a call would fail differently
    path = tmp_path / "bad.py"
    path.write_text("from vpcdraw import TopologyBuilder\n"
                    "t = TopologyBuilder('bad', region='ap-northeast-2')\n"
                    "t.vpc('main', '10.0.0.0/8')\n"
                    "topology = t.build()\n")
    result = cli("apply", path, "--yes")
    assert result.code == 1
    assert "VPC CIDR '10.0.0.0/8' is a /8; AWS allows /16 to /28" in result.err
    assert "cannot reach" not in result.err


def test_missing_my_ip_is_a_clear_error(cli, endpoint, monkeypatch, example_file):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.delenv("VPCDRAW_MY_IP", raising=False)
    result = cli("plan", example_file("assignment"))
    assert result.code == 1
    assert "allows traffic from my IP; give it with --my-ip ADDRESS" in result.err


def test_local_start_status_plan_stop(cli, tmp_path, monkeypatch, example_file):
    monkeypatch.setenv(local.STATE_VARIABLE, str(tmp_path))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert cli("local", "status").code == 1
    started = cli("local", "start", "--port", str(port))
    try:
        assert started.code == 0
        assert f"http://127.0.0.1:{port}" in started.out
        assert "AWS_REGION=ap-northeast-2" in started.out  # so that boto3 and the AWS CLI work with the line
        listed = cli("import", "--local")  # no file, no --region: the local AWS's region
        assert "which region" not in listed.err
        status = cli("local", "status")
        assert status.code == 0 and f"http://127.0.0.1:{port}" in status.out
        planned = cli("plan", example_file("assignment"), "--local", "--my-ip", "203.0.113.10", "--detailed-exitcode")
        assert planned.code == 2
        assert f"Plan for topology 'assignment' on http://127.0.0.1:{port} (local):" in planned.out
    finally:
        stopped = cli("local", "stop").out
        assert stopped == "Stopped the local AWS; what it held is gone (it keeps nothing between runs).\n"
    assert cli("local", "status").code == 1


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, so an endpoint on it counts as remote."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture
def remote_endpoint(monkeypatch, tmp_path):
    """A moto server reached through a non-loopback address: to vpcdraw, a real account."""
    from tests.servers import start_moto

    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    server, endpoint = start_moto(bind="0.0.0.0", reach_as=address)
    for name, value in (("AWS_ENDPOINT_URL", endpoint), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"), ("VPCDRAW_MY_IP", "203.0.113.10"),
                        ("AWS_CONFIG_FILE", str(tmp_path / "none")),
                        ("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))):
        monkeypatch.setenv(name, value)
    yield endpoint
    server.kill()
    server.wait()


def test_a_real_account_needs_confirmation_and_never_guesses_it(cli, remote_endpoint, example_file):
    import boto3

    source = example_file("assignment")
    refused = cli("apply", source)  # stdin is not a terminal here
    assert refused.code == 1
    assert "vpcdraw: error: Apply 26 changes in AWS account 123456789012 needs confirmation; run it in a terminal " \
           "or add --yes" in refused.err
    client = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=remote_endpoint)
    assert client.describe_vpcs(Filters=[{"Name": "tag:vpcdraw:topology", "Values": ["assignment"]}])["Vpcs"] == []
    applied = cli("apply", source, "--yes")
    assert applied.code == 0, applied.err
    assert cli("plan", source, "--detailed-exitcode").code == 0


def test_import_writes_a_file_that_checks_draws_and_diffs_in_sync(cli, aws, boto, tmp_path):
    from tests.deploy.test_diff import build_by_hand

    vpc_id = build_by_hand(boto)
    out, png = tmp_path / "imported.py", tmp_path / "imported.png"
    result = cli("import", "--region", "ap-northeast-2", "-o", out, "--png", png)  # the only non-default VPC
    assert result.code == 0, result.err
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert out.read_text(encoding="utf-8").startswith(f'"""Imported by `vpcdraw import` from {vpc_id}')
    assert cli("check", out).code == 0
    assert cli("diff", out, "--vpc-id", vpc_id).code == 0


def test_check_lists_warnings_but_passes(cli, tmp_path):
    path = tmp_path / "odd.py"
    path.write_text("from vpcdraw import TopologyBuilder\n"
                    "t = TopologyBuilder('odd', region='ap-northeast-2')\n"
                    "vpc = t.vpc('main', '10.0.0.0/16')\n"
                    "vpc.subnet('inside', '10.0.0.0/24', az='a', tier='private')\n"
                    "vpc.nat_gateway('nat', subnet='inside')\n"
                    "topology = t.build()\n")
    result = cli("check", path)
    assert result.code == 0
    assert "vpcdraw: warning: vpc/main/nat_gateway/nat: sits in subnet 'inside'" in result.err


def test_lint_and_reach_a_live_vpc(cli, aws, boto):
    from tests.deploy.test_diff import build_by_hand

    vpc_id = build_by_hand(boto, open_ssh=True)
    linted = cli("lint", "--vpc-id", vpc_id, "--region", "ap-northeast-2")
    assert linted.code == 2
    assert "[high] VD001 vpc/week1/security_group/db-sg" in linted.out  # the VPC is named by its Name tag
    reached = cli("reach", "--vpc-id", vpc_id, "--region", "ap-northeast-2", "internet", "my-private-a", "22")
    assert reached.code == 2  # the group lets it in, but the private route table has no way back out
    assert "blocked: route table" in reached.out and "has no route to 0.0.0.0/0" in reached.out


def test_a_second_apply_of_the_same_topology_refuses_while_the_first_runs(cli, aws, example_file, tmp_path,
                                                                           monkeypatch):
    import subprocess
    import sys

    from vpcdraw.deploy.lock import exclusive

    monkeypatch.setenv(local.STATE_VARIABLE, str(tmp_path / "state"))
    source = example_file("assignment")
    with exclusive("assignment", "apply"):  # this process holds it, as a running apply would
        other = subprocess.run([sys.executable, "-m", "vpcdraw", "apply", str(source), "--yes"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert other.returncode == 1
    assert f"topology 'assignment' is busy: vpcdraw apply (pid {__import__('os').getpid()}) is running" in other.stderr
    assert cli("apply", source).code == 0  # released with its holder


def test_apply_checks_its_writes_and_names_what_did_not_take(cli, endpoint, monkeypatch, example_file):
    """A write answered 'done' that did not happen (the proxy pretends for every ingress authorize) is found
    by a read after the apply, named, and the exit code says so; before, apply said 'Applied 26 changes.'"""
    from tests.faults import FaultProxy, Faults

    faulty = FaultProxy(endpoint, Faults(pretend={"AuthorizeSecurityGroupIngress"}))
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", faulty.endpoint)
        monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
        result = cli("apply", example_file("assignment"))
    finally:
        faulty.close()
    assert result.code == 1 and "Applied" not in result.out
    assert "a read of the account shows 5 changes that did not take" in result.err
    assert "      security_group vpc/main/security_group/public\n" in result.err  # the group stays as it is
    assert "+ ingress tcp/8080/0.0.0.0/0  (tcp/8080 from 0.0.0.0/0)" in result.err
    assert faulty.counts["pretended"] == 3  # one authorize per group


def test_destroy_names_what_keeps_the_vpc_instead_of_retrying(cli, aws, boto, example_file):
    """A subnet somebody else made in our VPC: AWS refuses DeleteVpc while it is there (DependencyViolation),
    and vpcdraw never deletes it, so destroy removes the rest, names it, and exits 1 at once."""
    source = example_file("assignment")
    assert cli("apply", source).code == 0
    (vpc,) = [v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    theirs = boto.create_subnet(VpcId=vpc, CidrBlock="172.16.50.0/24")["Subnet"]["SubnetId"]
    destroyed = cli("destroy", source)
    assert destroyed.code == 1
    assert f"VPC vpc/main ({vpc}) stays: it holds 1 resource vpcdraw did not create (subnet {theirs}" in destroyed.err
    assert "Destroyed 19 resources." in destroyed.out
    assert [s["SubnetId"] for s in boto.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]] \
        == [theirs]
    again = cli("destroy", source)
    assert again.code == 1 and "stays" in again.err and "Traceback" not in again.err


def test_an_apply_running_elsewhere_is_honoured_and_a_dead_ones_lock_expires(cli, aws, boto, example_file):
    """CI and a laptop have different lock files: the account says that an apply is running (the VPC's
    vpcdraw:lock tag, with its holder and start time), until it ends or, left by a killed run, expires."""
    import time

    source = example_file("assignment")
    assert cli("apply", source).code == 0
    (vpc,) = [v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert "vpcdraw:lock" not in {t["Key"] for t in boto.describe_vpcs(VpcIds=[vpc])["Vpcs"][0].get("Tags", [])}
    boto.delete_tags(Resources=[vpc], Tags=[{"Key": "Name"}])  # a change for the next apply to make
    running = f"apply by ci@runner pid 7 since {time.time() - 60:.0f}"
    boto.create_tags(Resources=[vpc], Tags=[{"Key": "vpcdraw:lock", "Value": running}])
    refused = cli("apply", source)
    assert refused.code == 1
    assert "is being changed in this account (apply by ci@runner pid 7, started" in refused.err
    assert "Traceback" not in refused.err
    left = f"apply by ci@runner pid 7 since {time.time() - 7200:.0f}"  # killed two hours ago
    boto.create_tags(Resources=[vpc], Tags=[{"Key": "vpcdraw:lock", "Value": left}])
    applied = cli("apply", source)
    assert applied.code == 0, applied.err
    tags = {t["Key"]: t["Value"] for t in boto.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"]}
    assert "vpcdraw:lock" not in tags and tags["Name"]


def test_a_saved_plan_is_applied_exactly_and_refused_when_stale(cli, aws, boto, example_file, tmp_path):
    source, saved = example_file("assignment"), tmp_path / "tonight.plan"
    made = cli("plan", source, "-out", saved)
    assert made.code == 0 and f"Saved the plan to {saved}" in made.out
    source.write_text("raise SystemExit('the file changed meanwhile')\n", encoding="utf-8")  # the plan holds it
    applied = cli("apply", saved)
    assert applied.code == 0, applied.err
    assert "Applied 26 changes." in applied.out
    (vpc,) = [v["VpcId"] for v in boto.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    again = tmp_path / "again.plan"
    assert cli("plan", example_file("assignment"), "-out", again).code == 0  # no changes, saved
    boto.delete_tags(Resources=[vpc], Tags=[{"Key": "Name"}])  # the account changes after the plan
    stale = cli("apply", again)
    assert stale.code == 1
    assert "the account changed since this plan was made (0 actions then, 1 now)" in stale.err
    garbage = tmp_path / "not.plan"
    garbage.write_text('{"format": "vpcdraw-plan/1", "actions": 3}', encoding="utf-8")
    refused = cli("apply", garbage)
    assert refused.code == 1 and "is not a plan vpcdraw saved" in refused.err and "Traceback" not in refused.err
    same = cli("plan", example_file("assignment"), "-out", example_file("assignment"))
    assert same.code == 1 and "is the topology file itself" in same.err


def test_transit_gateway_attachments_are_in_the_cost(cli, aws, example_file):
    """Three attachments at about $0.07/hour each in ap-northeast-2, on top of the hosts and their public IP."""
    result = cli("plan", example_file("hub"))
    line = next(x for x in result.out.splitlines() if "approximate cost" in x)
    hourly = float(line.split("$")[1].split("/")[0])
    assert 3 * 0.07 < hourly < 3 * 0.07 + 0.1, line

"""`vpcdraw reach` across VPCs as a user runs it: exit 0 reachable, 2 not (with every hop walked and the one that
blocks), 1 for a name that is ambiguous or names nothing, in one sentence; the matrix of every VPC."""

from __future__ import annotations

import json


def test_reachable_over_the_peering_exits_0_with_every_hop(cli, example_file):
    result = cli("reach", example_file("shared-services"), "app/worker-a", "shared/tools", "443")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "app/worker-a -> shared/tools on tcp/443: reachable",
        "  app/worker-a",
        "  -> SG worker allows all to 0.0.0.0/0",
        "  -> route table private of app: 10.0.0.0/16 to peering app-shared",
        "  -> peering app-shared to VPC shared",
        "  -> route table private of shared: 10.1.0.0/16 back to peering app-shared",
        "  -> SG tools allows tcp/443 from 10.1.0.0/16",
        "  -> shared/tools",
    ]


def test_s3_through_the_gateway_endpoint_exits_0(cli, example_file):
    result = cli("reach", example_file("shared-services"), "app/private-a", "s3", "443")
    assert result.code == 0
    assert "  -> route table private of app: the s3 prefix list to gateway endpoint s3" in result.out.splitlines()


def test_unreachable_exits_2_naming_the_hops_walked_and_the_one_that_blocks(cli, example_file):
    result = cli("reach", example_file("hub"), "web/web-a", "data/db-a", "5432")
    assert result.code == 2
    assert result.out.splitlines() == [
        "web/web-a -> data/db-a on tcp/5432: UNREACHABLE",
        "  web/web-a",
        "  -> SG web allows all to 0.0.0.0/0",
        "  -> route table public of web: 10.0.0.0/8 to transit gateway hub",
        "  -> transit gateway hub: default route table, 10.30.0.0/16 propagated from the attachment of data",
        "  -> route table private of data: 10.0.0.0/8 back to transit gateway hub",
        "  -> blocked: SG db allows tcp/5432 only from 10.20.0.0/16",
    ]
    answered = json.loads(cli("reach", example_file("hub"), "api-a", "db-a", "5432", "--json").out)
    assert answered["reachable"] is True and answered["answers"][0]["to"] == "data/db-a"


def test_bad_names_exit_1_in_one_sentence(cli, example_file):
    hub = example_file("hub")
    ambiguous = cli("reach", hub, "private-a", "api/api-a", "8080")
    assert (ambiguous.code, ambiguous.out) == (1, "")
    assert ambiguous.err == ("vpcdraw: error: 'private-a' is in 3 VPCs of topology 'hub'; name one of "
                             "web/private-a, api/private-a, data/private-a\n")
    unknown = cli("reach", hub, "web/web-a", "api/nothing", "8080")
    assert (unknown.code, unknown.out) == (1, "")
    assert unknown.err.startswith("vpcdraw: error: 'nothing' names nothing in VPC api of topology 'hub'")
    assert unknown.err.count("\n") == 1 and "Traceback" not in unknown.err
    service = cli("reach", example_file("shared-services"), "s3", "app/worker-a", "443")
    assert (service.code, service.err) == (
        1, "vpcdraw: error: s3 is an AWS service: reach asks about traffic to it, not from it\n")


def test_the_matrix_covers_every_vpc(cli, example_file):
    result = cli("reach", example_file("hub"), "--matrix", "--json")
    assert result.code == 0
    cells = json.loads(result.out)
    assert cells["web/public -> api/private"] == ["tcp/8080"]
    assert cells["api/private -> data/private"] == ["tcp/5432"]
    assert cells["web/public -> data/private"] == []
    text = cli("reach", example_file("shared-services"), "--matrix").out.splitlines()
    assert text[0].split() == ["from", "/", "to", "shared/private", "app/public", "app/private", "s3"]
    assert text[-1].split() == ["app/private", "tcp/389,", "tcp/443", "tcp/8080", "-", "tcp/443"]

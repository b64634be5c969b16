"""The import writer (topology/source.py) on links: peerings (one to an external VPC), transit gateways, endpoints."""

from __future__ import annotations

import pytest

from vpcdraw.topology import TopologyBuilder, cidr, load
from vpcdraw.topology.builder import external_vpc
from vpcdraw.topology.examples import example_source
from vpcdraw.topology.source import to_python


def _linked():
    t = TopologyBuilder("links", region="ap-northeast-2")
    a = t.vpc("a", "10.0.0.0/16", label="가")
    a.subnet("private-a", "10.0.1.0/24", az="a", tier="private")
    a.subnet("private-c", "10.0.2.0/24", az="c", tier="private")
    (a.route_table("private", subnets=["private-a", "private-c"])
     .route("10.1.0.0/16", vpc_peering_connection="a-b").route("10.9.0.0/16", vpc_peering_connection="far")
     .route("10.0.0.0/8", transit_gateway="hub"))
    a.security_group("ep", "endpoint", subnets=["private-a"]).ingress("tcp/443", cidr("10.0.0.0/16"))
    a.gateway_endpoint("s3", "s3", route_tables=["private"], policy='{"Statement":[]}', label="S3 끝점")
    a.interface_endpoint("ssm", "ssm", subnets=["private-a", "private-c"], security_groups=["ep"], private_dns=True)
    a.interface_endpoint("logs", "logs", subnets=["private-a"], private_dns=False)
    b = t.vpc("b", "10.1.0.0/16")
    b.subnet("private-a", "10.1.1.0/24", az="a", tier="private")
    b.route_table("private", subnets=["private-a"]).route("10.0.0.0/16", vpc_peering_connection="a-b")
    t.peering("a-b", requester="a", accepter="b", label="피어링")
    t.peering("far", requester="a", external=external_vpc("vpc-0abc", "10.9.0.0/16", account="111111111111",
                                                          region="us-east-1"))
    t.transit_gateway("hub", label="허브").attach("a", subnets=["private-a", "private-c"]).attach("b", subnets=[])
    return t.build()


@pytest.mark.parametrize("name", ["shared-services", "hub", "links"])
def test_links_round_trip_through_python_source(name, tmp_path):
    if name == "links":
        topology = _linked()
    else:
        source = tmp_path / "example.py"
        source.write_text(example_source(name), encoding="utf-8")
        topology = load(source)
    path = tmp_path / "written.py"
    path.write_text(to_python(topology), encoding="utf-8")
    assert load(path) == topology
    text = path.read_text(encoding="utf-8")
    assert ("external_vpc(" in text) == (name == "links")

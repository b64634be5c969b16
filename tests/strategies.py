"""Hypothesis strategies: random topologies, valid by construction, built with the users' builder."""

from __future__ import annotations

from hypothesis import strategies as st

from vpcdraw.topology import Topology, TopologyBuilder, anywhere, cidr, my_ip, sg
from vpcdraw.topology.model import TIERS
from vpcdraw.topology.regions import REGION_ZONES

_PORTS = st.sampled_from(["tcp/22", "tcp/80", "tcp/443", "tcp/3306", "tcp/8080", "udp/53", "tcp/1024-2048",
                          "icmp", "all"])


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    """A valid topology: 1-4 zones, some tiers, gateways and route tables that fit them, SGs, maybe hosts."""
    region = draw(st.sampled_from(["ap-northeast-2", "us-east-1", "eu-west-1"]))
    zones = draw(st.lists(st.sampled_from(REGION_ZONES[region]), min_size=1, max_size=4, unique=True))
    tiers = draw(st.lists(st.sampled_from(TIERS), min_size=1, max_size=3, unique=True))
    t = TopologyBuilder(draw(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)), region=region,
                        description=draw(st.sampled_from(["", "과제 VPC", "service"])))
    vpc = t.vpc("main", "10.20.0.0/16", label=draw(st.sampled_from(["", "운영"])))
    names: dict[str, list[str]] = {tier: [] for tier in tiers}
    third = 0
    for zone in zones:
        for tier in tiers:
            for i in range(draw(st.integers(0 if len(zones) > 1 else 1, 2))):
                name = f"{tier}-{zone}{i}"
                vpc.subnet(name, f"10.20.{third}.0/24", az=zone, tier=tier,
                           label=draw(st.sampled_from(["", "외부망", "내부망"])))
                names[tier].append(name)
                third += 1
    if third == 0:  # at least one subnet
        vpc.subnet(f"{tiers[0]}-only", "10.20.0.0/24", az=zones[0], tier=tiers[0])
        names[tiers[0]].append(f"{tiers[0]}-only")
    routed = names.get("public", []) + [n for n in names.get("management", []) if draw(st.booleans())]
    if routed or draw(st.booleans()):
        vpc.internet_gateway("igw")
    if routed:
        vpc.route_table("public", subnets=routed).route("0.0.0.0/0", internet_gateway="igw")
        if draw(st.booleans()):
            vpc.nat_gateway("nat", subnet=routed[0])
    private = [n for tier in tiers for n in names[tier] if n not in routed]
    if private:
        table = vpc.route_table("private", subnets=private)
        if routed and any(n.name == "nat" for n in vpc._nat_gateways):
            table.route("0.0.0.0/0", nat_gateway="nat")
    groups = [tier for tier in tiers if names[tier]]
    for tier in groups:
        group = vpc.security_group(tier, f"{tier} tier", tier=tier)
        seen = set()
        for _ in range(draw(st.integers(0, 3))):
            ports = draw(_PORTS)
            peer = draw(st.sampled_from([anywhere, my_ip, cidr("198.51.100.0/24"), *[sg(g) for g in groups]]))
            if (ports, peer) not in seen:
                seen.add((ports, peer))
                group.ingress(ports, peer, draw(st.sampled_from(["", "from the web"])))
        if draw(st.booleans()):
            group.egress("tcp/443", anywhere)
    all_subnets = [n for tier in tiers for n in names[tier]]
    if draw(st.booleans()):  # a group across tiers, named by subnet, allowing and allowed by the others
        shared = vpc.security_group("shared", "shared services",
                                    subnets=draw(st.lists(st.sampled_from(all_subnets), max_size=3, unique=True)))
        for other in draw(st.lists(st.sampled_from(groups), max_size=2, unique=True)):
            shared.ingress(draw(_PORTS), sg(other))
            vpc._security_groups[groups.index(other)].ingress("tcp/9000", sg("shared"))
        groups.append("shared")
    for i in range(draw(st.integers(0, 6))):
        subnet_name = draw(st.sampled_from(all_subnets))
        tier = next(t for t in tiers if subnet_name in names[t])
        extra = draw(st.lists(st.sampled_from(groups), max_size=2, unique=True))
        vpc.instance(f"host-{i}", subnet=subnet_name, security_groups=list(dict.fromkeys([tier, *extra])),
                     role=draw(st.sampled_from(["web", "db", "bastion", ""])))
    return t.build()

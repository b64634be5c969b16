"""Synthetic topologies for the benchmarks and the large-account tests: many subnets, many groups."""

from __future__ import annotations

from vpcdraw.topology import TopologyBuilder, anywhere, my_ip, sg
from vpcdraw.topology.model import Tier, Topology

ZONES = "abc"


def groups(subnets: int = 60, security_groups: int = 30) -> Topology:
    """One VPC over three AZs: a third of the subnets public, the rest private, and a ring of groups that each
    take a service port from anywhere and SSH from the next group."""
    t = TopologyBuilder("synthetic", region="ap-northeast-2")
    vpc = t.vpc("main", "10.40.0.0/16")
    vpc.internet_gateway("igw")
    public: list[str] = []
    private: list[str] = []
    for i in range(subnets):
        tier: Tier = "public" if i < subnets // 3 else "private"
        vpc.subnet(f"{tier}-{i}", f"10.40.{i}.0/24", az=ZONES[i % 3], tier=tier)
        (public if tier == "public" else private).append(f"{tier}-{i}")
    vpc.route_table("public", subnets=public).route("0.0.0.0/0", internet_gateway="igw")
    vpc.route_table("private", subnets=private)
    for g in range(security_groups):
        group = vpc.security_group(f"g{g}", f"group {g}", subnets=[(public + private)[g * 2 % subnets]])
        group.ingress(f"tcp/{8000 + g}", anywhere, "service").ingress("tcp/22", sg(f"g{(g + 1) % security_groups}"),
                                                                     "ssh")
    return t.build()


def account(subnets: int, vpcs: int = 1) -> Topology:
    """An account of `vpcs` VPCs sharing `subnets` /24 subnets over three AZs, shaped like the course's: 40 %
    public, 50 % private, 10 % management; an IGW, a NAT and a private route table per AZ, web / app / bastion
    groups on the tiers, and one more group per ten subnets on single subnets."""
    t = TopologyBuilder(f"account-{subnets}", region="ap-northeast-2", description=f"{subnets} subnets")
    for v in range(vpcs):
        vpc = t.vpc(f"vpc{v}", f"10.{v}.0.0/16")
        vpc.internet_gateway("igw")
        count = subnets // vpcs + (1 if v < subnets % vpcs else 0)
        names: dict[str, list[str]] = {"public": [], "private": [], "management": []}
        for i in range(count):
            share = i * 10 // count
            tier: Tier = "public" if share < 4 else "private" if share < 9 else "management"
            zone = ZONES[i % 3]
            name = f"{tier}-{zone}{i}"
            vpc.subnet(name, f"10.{v}.{i}.0/24", az=zone, tier=tier)
            names[tier].append(name)
        vpc.route_table("public", subnets=names["public"] + names["management"]).route(
            "0.0.0.0/0", internet_gateway="igw")
        for zone in ZONES:
            nat_home = next(n for n in names["public"] if n.startswith(f"public-{zone}"))
            vpc.nat_gateway(f"nat-{zone}", subnet=nat_home)
            mine = [n for n in names["private"] if n.startswith(f"private-{zone}")]
            vpc.route_table(f"private-{zone}", subnets=mine).route("0.0.0.0/0", nat_gateway=f"nat-{zone}")
        vpc.security_group("web", "web tier", tier="public").ingress("tcp/8080", anywhere, "service").ingress(
            "tcp/22", sg("bastion"), "ssh")
        vpc.security_group("app", "app tier", tier="private").ingress("tcp/3306", sg("web"), "mysql").ingress(
            "tcp/22", sg("bastion"), "ssh")
        vpc.security_group("bastion", "bastion", tier="management").ingress("tcp/22", my_ip, "admin")
        every = [n for tier in names.values() for n in tier]
        for g in range(count // 10):
            vpc.security_group(f"svc{g}", f"service {g}", subnets=[every[g * 7 % count]]).ingress(
                f"tcp/{9000 + g}", sg("web"), "service")
    return t.build()

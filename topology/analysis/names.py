"""What the FROM and TO words of `reach` name: outside (internet, my IP, a CIDR), an AWS service a gateway
endpoint serves (s3, dynamodb), or hosts in a VPC's subnets: a tier, a subnet, a security group or a host.

With several VPCs a word may be qualified, `VPC/NAME` (`app/private-a`); an unqualified name is taken when it
is unique across the VPCs and refused, with the qualified choices, when it is not. A tier is a class, not a
name: `private` is every private subnet of every VPC, `app/private` those of one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..errors import VpcdrawError
from ..model import TIERS, SecurityGroup, Subnet, Topology, Vpc

INTERNET, MY_IP = "internet", "my-ip"
GATEWAY_SERVICES = ("s3", "dynamodb")
"""The AWS services a gateway endpoint can serve; every other service has interface endpoints only."""


@dataclass(frozen=True)
class Endpoint:
    """Something traffic starts from or arrives at: outside (internet, my IP, a CIDR, an AWS service) or a host
    in a subnet of a VPC."""

    name: str
    subnet: Subnet | None = None  # None: outside the VPCs
    groups: tuple[SecurityGroup, ...] = ()
    public_ip: bool | None = None  # None: any host of the subnet, which may be given one
    cidr: str | None = None  # outside: the block it stands for (None: any address, the internet)
    my_ip: bool = False
    host: bool = False  # one instance; False: any host of the subnet, so another host of it too
    vpc: Vpc | None = field(default=None, compare=False)  # the VPC of the subnet (the subnet's name says which)
    vpc_name: str = ""
    service: str = ""  # an AWS service (s3): outside, reached by its public endpoints or a gateway endpoint

    @property
    def outside(self) -> bool:
        return self.subnet is None


def endpoints(topology: Topology, name: str, my_ip: str | None = None) -> list[Endpoint]:
    """What a FROM or TO word names: internet, my-ip, a CIDR, an AWS service, a tier, a subnet, a security group
    or a host, `VPC/NAME` or unqualified."""
    if name == INTERNET:
        return [Endpoint("internet")]
    if name in (MY_IP, "my_ip"):
        return [Endpoint("my IP", cidr=my_ip, my_ip=True)]
    qualifier, _, rest = name.partition("/")
    vpc = topology.vpc(qualifier) if rest else None
    if vpc is not None:
        found = _in_vpc(topology, vpc, rest, my_ip)
        if found is None:
            raise VpcdrawError(f"'{rest}' names nothing in VPC {vpc.name} of topology '{topology.name}' (try a tier "
                               f"({', '.join(TIERS)}), or a subnet, security group or host name)")
        return found
    if "/" in name or name.replace(".", "").isdigit():
        return _cidr_endpoints(topology, name)
    if name in TIERS:
        found_tier = [e for v in topology.vpcs for s in v.subnets if s.tier == name
                      for e in _subnet_endpoints(topology, v, s)]
        if not found_tier:
            raise VpcdrawError(f"no subnet of topology '{topology.name}' is in the {name} tier")
        return found_tier
    where = [(v, found) for v in topology.vpcs if (found := _in_vpc(topology, v, name, my_ip)) is not None]
    if len(where) == 1:
        return where[0][1]
    if where:
        choices = ", ".join(f"{v.name}/{name}" for v, _ in where)
        raise VpcdrawError(f"'{name}' is in {len(where)} VPCs of topology '{topology.name}'; name one of {choices}")
    service = _service(topology, name)
    if service:
        return [Endpoint(service, service=service)]
    whole = topology.vpc(name)
    if whole is not None:  # a VPC's name alone: any host of each of its subnets
        return [e for s in whole.subnets for e in _subnet_endpoints(topology, whole, s)]
    known = ", ".join(["internet", "my-ip", "a CIDR", *TIERS])
    several = " (as VPC/NAME when several VPCs have it)" if len(topology.vpcs) > 1 else ""
    raise VpcdrawError(f"'{name}' names nothing in topology '{topology.name}' (try {known}, or a subnet, "
                       f"security group or host name{several})")


def _service(topology: Topology, name: str) -> str:
    """The AWS service `name` stands for: a gateway endpoint's service, or a gateway endpoint's name."""
    if name in GATEWAY_SERVICES:
        return name
    return next((e.service for v in topology.vpcs for e in v.endpoints
                 if e.endpoint_type == "gateway" and e.name == name), "")


def _label(topology: Topology, vpc: Vpc, name: str) -> str:
    """An endpoint's name in answers: qualified by its VPC when the topology has several."""
    return f"{vpc.name}/{name}" if len(topology.vpcs) > 1 else name


def _cidr_endpoints(topology: Topology, name: str) -> list[Endpoint]:
    try:
        block = ipaddress.IPv4Network(name if "/" in name else f"{name}/32", strict=False)
    except ValueError:
        raise VpcdrawError(f"'{name}' is not a CIDR, and no subnet, group or host has that name") from None
    inside = [(v, s) for v in topology.vpcs for s in v.subnets if block.subnet_of(ipaddress.IPv4Network(s.cidr))]
    if len({v.name for v, _ in inside}) > 1:
        choices = ", ".join(f"{v.name}/{s.name}" for v, s in inside)
        raise VpcdrawError(f"{block} is in {len(inside)} VPCs of topology '{topology.name}' (their CIDRs "
                           f"overlap); name one of {choices}")
    if inside:
        vpc, subnet = inside[0]
        return _subnet_endpoints(topology, vpc, subnet)
    return [Endpoint(str(block), cidr=str(block))]


def _in_vpc(topology: Topology, vpc: Vpc, name: str, my_ip: str | None) -> list[Endpoint] | None:
    """What `name` names inside one VPC (a tier, subnet, host or group), or None when it names nothing there."""
    if name in TIERS:
        found = [e for s in vpc.subnets if s.tier == name for e in _subnet_endpoints(topology, vpc, s)]
        if not found:
            where = f"topology '{topology.name}'" if len(topology.vpcs) == 1 else f"VPC {vpc.name}"
            raise VpcdrawError(f"no subnet of {where} is in the {name} tier")
        return found
    subnet = vpc.subnet(name)
    if subnet is not None:
        return _subnet_endpoints(topology, vpc, subnet)
    host = next((i for i in vpc.instances if i.name == name), None)
    if host is not None:
        return [_host(topology, vpc, host.name)]
    group = vpc.security_group(name)
    if group is not None:
        return _group_endpoints(topology, vpc, group)
    return None


def _host(topology: Topology, vpc: Vpc, name: str) -> Endpoint:
    host = next(i for i in vpc.instances if i.name == name)
    groups = tuple(g for g in vpc.security_groups if g.name in host.security_groups)
    return Endpoint(_label(topology, vpc, host.name), vpc.subnet(host.subnet), groups, host.public_ip, host=True,
                    vpc=vpc, vpc_name=vpc.name)


def _group_endpoints(topology: Topology, vpc: Vpc, group: SecurityGroup) -> list[Endpoint]:
    """The hosts a security group is on, else any host of the subnets it protects; refused when it has neither."""
    hosts = [i.name for i in vpc.instances if group.name in i.security_groups]
    if hosts:
        return [_host(topology, vpc, h) for h in hosts]
    found = [e for s in vpc.protected_subnets(group) for e in _subnet_endpoints(topology, vpc, s)]
    if not found:
        where = f"topology '{topology.name}'" if len(topology.vpcs) == 1 else f"VPC {vpc.name}"
        reason = f"no subnet of {where} is in the {group.tier} tier" if group.tier else (
            "it names no subnet and has no tier")
        raise VpcdrawError(f"security group {group.name} protects nothing to reach: no host uses it and {reason}")
    return found


def _subnet_endpoints(topology: Topology, vpc: Vpc, subnet: Subnet) -> list[Endpoint]:
    hosts = [i for i in vpc.instances if i.subnet == subnet.name]
    if hosts:
        return [_host(topology, vpc, h.name) for h in hosts]
    groups = tuple(g for g in vpc.security_groups if subnet in vpc.protected_subnets(g))
    return [Endpoint(f"{_label(topology, vpc, subnet.name)} (any host)", subnet, groups, None, vpc=vpc,
                     vpc_name=vpc.name)]

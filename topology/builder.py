"""The builder API: topology files read like the assignment's bullet list, and build frozen values.

>>> t = TopologyBuilder("demo", region="ap-northeast-2")
>>> vpc = t.vpc("main", "10.0.0.0/16")
>>> _ = vpc.subnet("public-a", "10.0.0.0/24", az="a", tier="public")
>>> _ = vpc.security_group("web", "web servers", tier="public").ingress("tcp/8080", anywhere)
>>> t.build().vpcs[0].security_groups[0].ingress[0].port_text
'tcp/8080'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import (
    ANYWHERE_CIDR,
    DEFAULT_IMAGE,
    ExternalVpc,
    Instance,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    NetworkAclEntry,
    Peer,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Tier,
    Topology,
    TransitGateway,
    TransitGatewayAttachment,
    Vpc,
    VpcEndpoint,
    VpcPeeringConnection,
)
from .ports import parse_ports

anywhere = Peer("cidr", ANYWHERE_CIDR)
"""Every IPv4 address (0.0.0.0/0)."""

my_ip = Peer("my_ip")
"""The admin's own public IP, given at use time by `--my-ip` or `VPCDRAW_MY_IP`."""


def cidr(block: str) -> Peer:
    """A peer given by its CIDR block, such as `203.0.113.0/24`."""
    return Peer("cidr", block)


def sg(name: str) -> Peer:
    """A peer given by another security group of the same VPC (the rule's source or destination group)."""
    return Peer("security_group", name)


def subnet(name: str) -> Peer:
    """A peer given by a subnet of the same VPC (its CIDR, in AWS)."""
    return Peer("subnet", name)


def _rule(ports: str, peer: Peer, description: str) -> Rule:
    protocol, low, high = parse_ports(ports)
    return Rule(protocol, low, high, peer, description)


@dataclass
class SecurityGroupBuilder:
    """Collects a security group's rules; `ingress` and `egress` return the builder for chaining."""

    name: str
    description: str
    tier: Tier | None = None
    subnets: tuple[str, ...] = ()
    label: str = ""
    _ingress: list[Rule] = field(default_factory=list)
    _egress: list[Rule] | None = None

    def ingress(self, ports: str, peer: Peer, description: str = "") -> SecurityGroupBuilder:
        """Allow inbound `ports` (`tcp/8080`, `3306`, `all`) from `peer`."""
        self._ingress.append(_rule(ports, peer, description))
        return self

    def egress(self, ports: str, peer: Peer, description: str = "") -> SecurityGroupBuilder:
        """Allow outbound `ports` to `peer`; the first call replaces AWS's default allow-all egress."""
        if self._egress is None:
            self._egress = []
        self._egress.append(_rule(ports, peer, description))
        return self

    def no_egress(self) -> SecurityGroupBuilder:
        """Remove AWS's default allow-all egress rule and allow no outbound traffic."""
        self._egress = []
        return self

    def build(self) -> SecurityGroup:
        """The frozen security group."""
        egress = None if self._egress is None else tuple(self._egress)
        return SecurityGroup(
            self.name, self.description, self.tier, self.subnets, tuple(self._ingress), egress, self.label
        )


@dataclass
class RouteTableBuilder:
    """Collects a route table's routes; `route` returns the builder for chaining."""

    name: str
    subnets: tuple[str, ...] = ()
    label: str = ""
    _routes: list[Route] = field(default_factory=list)

    def route(
        self, destination: str, *, internet_gateway: str = "", nat_gateway: str = "", vpc_peering_connection: str = "",
        transit_gateway: str = "", local: bool = False
    ) -> RouteTableBuilder:
        """Route `destination` to the internet gateway, a NAT gateway, a peering connection or a transit gateway,
        each by name (a peering's or transit gateway's name in the topology)."""
        if internet_gateway:
            self._routes.append(Route(destination, "internet_gateway", internet_gateway))
        elif nat_gateway:
            self._routes.append(Route(destination, "nat_gateway", nat_gateway))
        elif vpc_peering_connection:
            self._routes.append(Route(destination, "vpc_peering_connection", vpc_peering_connection))
        elif transit_gateway:
            self._routes.append(Route(destination, "transit_gateway", transit_gateway))
        elif local:
            self._routes.append(Route(destination, "local"))
        else:
            raise TypeError(f"route {destination} in route table {self.name} needs internet_gateway=, nat_gateway=, "
                            "vpc_peering_connection= or transit_gateway=")
        return self

    def build(self) -> RouteTable:
        """The frozen route table."""
        return RouteTable(self.name, tuple(self._routes), self.subnets, self.label)


@dataclass
class NetworkAclBuilder:
    """Collects a network ACL's numbered entries."""

    name: str
    subnets: tuple[str, ...] = ()
    label: str = ""
    _entries: list[NetworkAclEntry] = field(default_factory=list)

    def inbound(self, rule_number: int, ports: str, block: str, action: str = "allow") -> NetworkAclBuilder:
        """Add inbound entry `rule_number` for `ports` from CIDR `block`."""
        return self._add(rule_number, False, ports, block, action)

    def outbound(self, rule_number: int, ports: str, block: str, action: str = "allow") -> NetworkAclBuilder:
        """Add outbound entry `rule_number` for `ports` to CIDR `block`."""
        return self._add(rule_number, True, ports, block, action)

    def _add(self, number: int, egress: bool, ports: str, block: str, action: str) -> NetworkAclBuilder:
        protocol, low, high = parse_ports(ports)
        self._entries.append(NetworkAclEntry(number, egress, protocol, low, high, block, action))  # type: ignore[arg-type]
        return self

    def build(self) -> NetworkAcl:
        """The frozen network ACL."""
        return NetworkAcl(self.name, self.subnets, tuple(self._entries), self.label)


@dataclass
class VpcBuilder:
    """Collects what goes inside one VPC."""

    name: str
    cidr: str
    label: str = ""
    _subnets: list[Subnet] = field(default_factory=list)
    _internet_gateway: InternetGateway | None = None
    _nat_gateways: list[NatGateway] = field(default_factory=list)
    _route_tables: list[RouteTableBuilder] = field(default_factory=list)
    _security_groups: list[SecurityGroupBuilder] = field(default_factory=list)
    _network_acls: list[NetworkAclBuilder] = field(default_factory=list)
    _instances: list[Instance] = field(default_factory=list)
    _endpoints: list[VpcEndpoint] = field(default_factory=list)
    _lock_default: bool = False

    def lock_default_security_group(self) -> VpcBuilder:
        """Remove every rule of AWS's default security group, so nothing can use it by accident."""
        self._lock_default = True
        return self

    def subnet(
        self, name: str, cidr: str, *, az: str, tier: Tier, map_public_ip: bool = False, label: str = ""
    ) -> Subnet:
        """Add a subnet in availability zone `az` (`a` or `ap-northeast-2a`) of the given tier."""
        made = Subnet(name, cidr, az, tier, map_public_ip, label)
        self._subnets.append(made)
        return made

    def internet_gateway(self, name: str = "igw", *, attached: bool = True, label: str = "") -> InternetGateway:
        """Add the VPC's internet gateway, attached to it."""
        self._internet_gateway = InternetGateway(name, attached, label)
        return self._internet_gateway

    def nat_gateway(self, name: str, *, subnet: str, label: str = "") -> NatGateway:
        """Add a public NAT gateway in `subnet`, with its own Elastic IP."""
        made = NatGateway(name, subnet, label)
        self._nat_gateways.append(made)
        return made

    def route_table(self, name: str, *, subnets: Iterable[str] = (), label: str = "") -> RouteTableBuilder:
        """Add a route table associated with `subnets`; add routes with `.route(...)`."""
        made = RouteTableBuilder(name, tuple(subnets), label)
        self._route_tables.append(made)
        return made

    def security_group(
        self,
        name: str,
        description: str,
        *,
        tier: Tier | None = None,
        subnets: Iterable[str] = (),
        label: str = "",
    ) -> SecurityGroupBuilder:
        """Add a security group that protects a tier (or named subnets); add rules with `.ingress(...)`."""
        made = SecurityGroupBuilder(name, description, tier, tuple(subnets), label)
        self._security_groups.append(made)
        return made

    def network_acl(self, name: str, *, subnets: Iterable[str] = (), label: str = "") -> NetworkAclBuilder:
        """Add a network ACL guarding `subnets`; add entries with `.inbound(...)` / `.outbound(...)`."""
        made = NetworkAclBuilder(name, tuple(subnets), label)
        self._network_acls.append(made)
        return made

    def instance(
        self,
        name: str,
        *,
        subnet: str,
        security_groups: Iterable[str] = (),
        role: str = "",
        instance_type: str = "t3.micro",
        image: str = DEFAULT_IMAGE,
        public_ip: bool = False,
        label: str = "",
    ) -> Instance:
        """Add an EC2 instance; `image` defaults to the latest Amazon Linux, found at apply time."""
        made = Instance(name, subnet, tuple(security_groups), role, instance_type, image, public_ip, label)
        self._instances.append(made)
        return made

    def gateway_endpoint(self, name: str, service: str, *, route_tables: Iterable[str] = (), policy: str = "",
                         label: str = "") -> VpcEndpoint:
        """Add a gateway endpoint of `service` (`s3` or `dynamodb`): AWS routes the service's prefix list to it
        in each of `route_tables`, so their subnets reach the service without a NAT gateway."""
        made = VpcEndpoint(name, service, "gateway", tuple(route_tables), policy=policy, label=label)
        self._endpoints.append(made)
        return made

    def interface_endpoint(self, name: str, service: str, *, subnets: Iterable[str] = (),
                           security_groups: Iterable[str] = (), private_dns: bool = False, policy: str = "",
                           label: str = "") -> VpcEndpoint:
        """Add an interface endpoint of `service` (`ssm`, `ecr.api`...): a network interface in each of `subnets`,
        guarded by `security_groups`; with `private_dns` the service's own name resolves to it (that needs the VPC's
        DNS hostnames, which vpcdraw does not turn on)."""
        made = VpcEndpoint(name, service, "interface", (), tuple(subnets), tuple(security_groups), private_dns,
                           policy, label)
        self._endpoints.append(made)
        return made

    def build(self) -> Vpc:
        """The frozen VPC."""
        return Vpc(
            name=self.name,
            cidr=self.cidr,
            subnets=tuple(self._subnets),
            internet_gateway=self._internet_gateway,
            nat_gateways=tuple(self._nat_gateways),
            route_tables=tuple(t.build() for t in self._route_tables),
            security_groups=tuple(g.build() for g in self._security_groups),
            network_acls=tuple(a.build() for a in self._network_acls),
            instances=tuple(self._instances),
            label=self.label,
            lock_default_security_group=self._lock_default,
            endpoints=tuple(self._endpoints),
        )


@dataclass
class TransitGatewayBuilder:
    """Collects a transit gateway's VPC attachments; `attach` returns the builder for chaining."""

    name: str
    label: str = ""
    _attachments: list[TransitGatewayAttachment] = field(default_factory=list)

    def attach(self, vpc: str, *, subnets: Iterable[str]) -> TransitGatewayBuilder:
        """Attach VPC `vpc` through `subnets` (one per AZ whose subnets use the transit gateway)."""
        self._attachments.append(TransitGatewayAttachment(vpc, tuple(subnets)))
        return self

    def build(self) -> TransitGateway:
        """The frozen transit gateway."""
        return TransitGateway(self.name, tuple(self._attachments), self.label)


def external_vpc(vpc_id: str, cidr: str, *, account: str = "", region: str = "") -> ExternalVpc:
    """A VPC outside the topology, to peer with: its id and CIDR, and its account and region when not ours."""
    return ExternalVpc(vpc_id, cidr, account, region)


@dataclass
class TopologyBuilder:
    """The starting point of a topology file: `TopologyBuilder("name", region=...)`, then `.vpc(...)`."""

    name: str
    region: str
    description: str = ""
    _vpcs: list[VpcBuilder] = field(default_factory=list)
    _peerings: list[VpcPeeringConnection] = field(default_factory=list)
    _transit_gateways: list[TransitGatewayBuilder] = field(default_factory=list)

    def vpc(self, name: str, cidr: str, *, label: str = "") -> VpcBuilder:
        """Add a VPC with the given IPv4 CIDR block."""
        made = VpcBuilder(name, cidr, label)
        self._vpcs.append(made)
        return made

    def peering(self, name: str, *, requester: str, accepter: str = "", external: ExternalVpc | None = None,
                label: str = "") -> VpcPeeringConnection:
        """Peer VPC `requester` with VPC `accepter` of this topology, or with an `external_vpc(...)`; route each
        side's tables to the other's CIDR with `.route(cidr, vpc_peering_connection=name)`."""
        made = VpcPeeringConnection(name, requester, accepter, external, label)
        self._peerings.append(made)
        return made

    def transit_gateway(self, name: str, *, label: str = "") -> TransitGatewayBuilder:
        """Add a transit gateway; attach VPCs with `.attach(vpc, subnets=[...])`."""
        made = TransitGatewayBuilder(name, label)
        self._transit_gateways.append(made)
        return made

    def build(self) -> Topology:
        """The frozen topology, ready to check, draw and deploy."""
        return Topology(self.name, self.region, tuple(v.build() for v in self._vpcs), self.description,
                        tuple(self._peerings), tuple(g.build() for g in self._transit_gateways))

"""The topology model: one frozen dataclass per AWS resource kind, referring to others by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tier = Literal["public", "private", "management"]
TIERS: tuple[Tier, ...] = ("public", "private", "management")

Protocol = Literal["tcp", "udp", "icmp", "all"]
PROTOCOLS: tuple[Protocol, ...] = ("tcp", "udp", "icmp", "all")

PeerKind = Literal["cidr", "security_group", "subnet", "my_ip"]
RouteTarget = Literal["internet_gateway", "nat_gateway", "local", "vpc_peering_connection", "transit_gateway"]
EndpointType = Literal["gateway", "interface"]

ANYWHERE_CIDR = "0.0.0.0/0"
DEFAULT_IMAGE = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@dataclass(frozen=True)
class Peer:
    """The other side of a security group rule: a CIDR, another SG, a subnet, or the admin's IP.

    `my_ip` is a placeholder, resolved at use time (see `topology.admin_ip`), never widened.
    """

    kind: PeerKind
    value: str = ""

    def __str__(self) -> str:
        if self.kind == "my_ip":
            return "my IP"
        if self.kind == "security_group":
            return f"SG {self.value}"
        if self.kind == "subnet":
            return f"subnet {self.value}"
        return self.value


@dataclass(frozen=True)
class Rule:
    """One security group rule: protocol and port range (ICMP: type and code) to or from a peer.

    Ports are None for protocol `all`; for ICMP, from_port is the type and to_port the code (-1: any).
    """

    protocol: Protocol
    from_port: int | None
    to_port: int | None
    peer: Peer
    description: str = ""

    @property
    def port_text(self) -> str:
        """The rule's protocol and ports as people write them: `tcp/8080`, `tcp/1024-2048`, `all`."""
        from .ports import port_text

        return port_text(self.protocol, self.from_port, self.to_port)


DEFAULT_EGRESS = Rule("all", None, None, Peer("cidr", ANYWHERE_CIDR))
"""AWS's default outbound rule on a new security group (all traffic to anywhere), which the console keeps."""


@dataclass(frozen=True)
class Subnet:
    """A subnet: its CIDR, availability zone (a letter such as `a`, or a full name) and tier."""

    name: str
    cidr: str
    az: str
    tier: Tier
    map_public_ip: bool = False
    label: str = ""


@dataclass(frozen=True)
class InternetGateway:
    """The VPC's internet gateway (a VPC has at most one)."""

    name: str
    attached: bool = True
    label: str = ""


@dataclass(frozen=True)
class NatGateway:
    """A public NAT gateway in a subnet, with an Elastic IP allocated for it."""

    name: str
    subnet: str
    label: str = ""


@dataclass(frozen=True)
class Route:
    """A route: destination CIDR to the internet gateway, a NAT gateway, a VPC peering connection or a transit
    gateway (each by name), or `local`. A gateway endpoint's routes are not written here: AWS adds them to the
    tables the endpoint names (`VpcEndpoint.route_tables`)."""

    destination: str
    target: RouteTarget
    gateway: str = ""


@dataclass(frozen=True)
class RouteTable:
    """A route table and the subnets associated with it; the local route is implicit."""

    name: str
    routes: tuple[Route, ...] = ()
    subnets: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    """A security group, the tier or subnets it protects, and its rules.

    `egress` None keeps AWS's default allow-all egress rule, as the console does; `()` means none.
    """

    name: str
    description: str
    tier: Tier | None = None
    subnets: tuple[str, ...] = ()
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] | None = None
    label: str = ""


@dataclass(frozen=True)
class NetworkAclEntry:
    """One numbered network ACL entry; `egress` False is inbound."""

    rule_number: int
    egress: bool
    protocol: Protocol
    from_port: int | None
    to_port: int | None
    cidr: str
    action: Literal["allow", "deny"] = "allow"


@dataclass(frozen=True)
class NetworkAcl:
    """An optional network ACL and the subnets it guards; ends with AWS's implicit deny."""

    name: str
    subnets: tuple[str, ...] = ()
    entries: tuple[NetworkAclEntry, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Instance:
    """An EC2 instance (optional): its subnet, security groups and role such as bastion, web or db."""

    name: str
    subnet: str
    security_groups: tuple[str, ...] = ()
    role: str = ""
    instance_type: str = "t3.micro"
    image: str = DEFAULT_IMAGE
    public_ip: bool = False
    label: str = ""


@dataclass(frozen=True)
class VpcEndpoint:
    """A VPC endpoint of an AWS service (`s3`, `dynamodb`, `ssm`: the part after `com.amazonaws.REGION.`).

    A gateway endpoint (S3, DynamoDB) adds a route to the service's prefix list to each of its route tables;
    an interface endpoint puts a network interface in each of its subnets, guarded by its security groups.
    `policy` is a JSON policy document; '' is AWS's default, full access.
    """

    name: str
    service: str
    endpoint_type: EndpointType = "gateway"
    route_tables: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    private_dns: bool = False
    policy: str = ""
    label: str = ""


@dataclass(frozen=True)
class Vpc:
    """A VPC and everything inside it; names are unique per kind within the VPC."""

    name: str
    cidr: str
    subnets: tuple[Subnet, ...] = ()
    internet_gateway: InternetGateway | None = None
    nat_gateways: tuple[NatGateway, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    instances: tuple[Instance, ...] = ()
    label: str = ""
    lock_default_security_group: bool = False  # remove every rule of AWS's default group (CKV2_AWS_12)
    endpoints: tuple[VpcEndpoint, ...] = ()

    def subnet(self, name: str) -> Subnet | None:
        """The subnet called `name`, or None."""
        return next((s for s in self.subnets if s.name == name), None)

    def security_group(self, name: str) -> SecurityGroup | None:
        """The security group called `name`, or None."""
        return next((g for g in self.security_groups if g.name == name), None)

    def route_table_of(self, subnet: str) -> RouteTable | None:
        """The route table associated with `subnet`; None means the VPC's main table (local only)."""
        return next((t for t in self.route_tables if subnet in t.subnets), None)

    def protected_subnets(self, group: SecurityGroup) -> tuple[Subnet, ...]:
        """The subnets a security group protects: those of its tier, then those it names."""
        return tuple(s for s in self.subnets if s.tier == group.tier or s.name in group.subnets)

    def routes_to_internet_gateway(self, subnet: str) -> bool:
        """Whether `subnet`'s route table sends all of 0.0.0.0/0 to the internet gateway, in one route or several
        (0.0.0.0/1 and 128.0.0.0/1)."""
        from .roles import covered  # roles reads the model

        table = self.route_table_of(subnet)
        return table is not None and covered(
            ANYWHERE_CIDR, (r.destination for r in table.routes if r.target == "internet_gateway")
        )


@dataclass(frozen=True)
class ExternalVpc:
    """A VPC outside the topology, at the other end of a peering: another account's or region's, or one these
    credentials cannot read. `account` '' is the topology's own account, `region` '' its region."""

    vpc_id: str
    cidr: str
    account: str = ""
    region: str = ""


@dataclass(frozen=True)
class VpcPeeringConnection:
    """A VPC peering connection: `requester` asks, the accepter (a VPC of the topology, or an external one)
    accepts. Traffic goes only between the two VPCs, never on through a third (AWS has no transitive peering);
    each side's route tables route the other's CIDR to it by name."""

    name: str
    requester: str
    accepter: str = ""
    external: ExternalVpc | None = None
    label: str = ""

    @property
    def vpcs(self) -> tuple[str, ...]:
        """The names of the topology's VPCs it joins (one when the accepter is external)."""
        return (self.requester, self.accepter) if self.accepter else (self.requester,)


@dataclass(frozen=True)
class TransitGatewayAttachment:
    """A VPC attached to a transit gateway through one subnet per AZ (the attachment's network interfaces)."""

    vpc: str
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitGateway:
    """A transit gateway and its VPC attachments. As AWS makes one by default, every attachment is associated
    with the default TGW route table and propagates its VPC's CIDR there, so each attached VPC can reach every
    other one that its own route tables send to the transit gateway."""

    name: str
    attachments: tuple[TransitGatewayAttachment, ...] = ()
    label: str = ""

    def attachment(self, vpc: str) -> TransitGatewayAttachment | None:
        """The attachment of VPC `vpc`, or None."""
        return next((a for a in self.attachments if a.vpc == vpc), None)


@dataclass(frozen=True)
class Topology:
    """A named AWS network in one region: the single source of truth for drawing and deploying.

    Its VPCs may be joined by peering connections and transit gateways, which belong to no one VPC.
    """

    name: str
    region: str
    vpcs: tuple[Vpc, ...] = field(default=())
    description: str = ""
    peering_connections: tuple[VpcPeeringConnection, ...] = ()
    transit_gateways: tuple[TransitGateway, ...] = ()

    def vpc(self, name: str) -> Vpc | None:
        """The VPC called `name`, or None."""
        return next((v for v in self.vpcs if v.name == name), None)

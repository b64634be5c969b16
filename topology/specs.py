"""What AWS holds for each kind of resource vpcdraw makes: one frozen dataclass per kind.

A spec is in AWS's own terms (full zone names, protocol numbers, -1 for every port, CIDRs of subnet
peers) and names other resources by address, so a live account read back into the same shape compares
field by field, and mypy checks every reader (plan, apply, diff, the live read, the drawings). Each kind
says which of its fields name other resources (`REFERENCES`: the dependency graph's edges) and, for a
part of another resource (a route, an association, a rule), which field names what it belongs to
(`PARENT`). What AWS does with each kind (its calls, what it cannot change in place) is in the kind's
family module in `vpcdraw.deploy.families`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, Literal

Direction = Literal["ingress", "egress"]
ADDRESS_ROOTS = ("vpc/", "transit_gateway/")  # what addresses start with; anything else is an AWS id or a mark


@dataclass(frozen=True)
class Spec:
    """The attributes AWS keeps for one resource; the base of every kind's own dataclass."""

    KIND: ClassVar[str] = ""
    REFERENCES: ClassVar[tuple[str, ...]] = ()
    PARENT: ClassVar[str] = ""

    def values(self) -> dict[str, object]:
        """The fields by name, shallow (entries stay dataclasses): for comparing field by field."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON-ready data."""
        return asdict(self)

    @property
    def label(self) -> str:
        """The Name tag vpcdraw gives it ('' for what has no tags of its own)."""
        return str(getattr(self, "name", "") or "")

    def named(self, label: str) -> Spec:
        """The same spec with another Name tag (itself for a kind without one)."""
        return replace(self, **{"name": label}) if hasattr(self, "name") else self

    @property
    def parent(self) -> str:
        """The address of the resource this one is part of ('' for a whole resource)."""
        return str(getattr(self, self.PARENT)) if self.PARENT else ""

    def references(self) -> tuple[str, ...]:
        """The addresses this spec names: what must exist before it."""
        found: list[str] = []
        for key in self.REFERENCES:
            value = getattr(self, key)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, str) and item.startswith(ADDRESS_ROOTS):
                    found.append(item)
        return tuple(found)


@dataclass(frozen=True)
class VpcSpec(Spec):
    KIND: ClassVar[str] = "vpc"
    cidr: str
    name: str


@dataclass(frozen=True)
class InternetGatewaySpec(Spec):
    """An internet gateway; `vpc` is the VPC it is attached to, or None."""

    KIND: ClassVar[str] = "internet_gateway"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc",)
    vpc: str | None
    name: str


@dataclass(frozen=True)
class SubnetSpec(Spec):
    """A subnet; `az` is the full zone name (ap-northeast-2a)."""

    KIND: ClassVar[str] = "subnet"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc",)
    vpc: str
    cidr: str
    az: str
    map_public_ip: bool
    name: str


@dataclass(frozen=True)
class ElasticIpSpec(Spec):
    KIND: ClassVar[str] = "elastic_ip"
    name: str


@dataclass(frozen=True)
class NatGatewaySpec(Spec):
    KIND: ClassVar[str] = "nat_gateway"
    REFERENCES: ClassVar[tuple[str, ...]] = ("subnet", "elastic_ip")
    subnet: str
    elastic_ip: str
    name: str


@dataclass(frozen=True)
class RouteTableSpec(Spec):
    KIND: ClassVar[str] = "route_table"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc",)
    vpc: str
    name: str


@dataclass(frozen=True)
class RouteSpec(Spec):
    """A route of a table; `target` is the address of the internet or NAT gateway, peering connection or transit
    gateway it sends traffic to (a peering outside the topology: its pcx- id)."""

    KIND: ClassVar[str] = "route"
    REFERENCES: ClassVar[tuple[str, ...]] = ("route_table", "target")
    PARENT: ClassVar[str] = "route_table"
    route_table: str
    destination: str
    target: str


@dataclass(frozen=True)
class RouteTableAssociationSpec(Spec):
    KIND: ClassVar[str] = "route_table_association"
    REFERENCES: ClassVar[tuple[str, ...]] = ("route_table", "subnet")
    PARENT: ClassVar[str] = "route_table"
    route_table: str
    subnet: str


@dataclass(frozen=True)
class SecurityGroupSpec(Spec):
    KIND: ClassVar[str] = "security_group"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc",)
    vpc: str
    group_name: str
    description: str
    name: str


@dataclass(frozen=True)
class SecurityGroupRuleSpec(Spec):
    """One rule as AWS keeps it: protocol by name or number ('-1' for all), ports -1 for all, one peer.

    `peer_kind` is cidr, security_group (`peer` is a group's address, or `account/sg-id` of one outside the
    model) or prefix_list; a cidr peer of `MY_IP_MARK` is the admin's address, not filled in yet.
    """

    KIND: ClassVar[str] = "security_group_rule"
    REFERENCES: ClassVar[tuple[str, ...]] = ("security_group", "peer")
    PARENT: ClassVar[str] = "security_group"
    security_group: str
    direction: Direction
    protocol: str
    from_port: int
    to_port: int
    peer_kind: str
    peer: str
    description: str

    @property
    def is_default_egress(self) -> bool:
        """Whether it is AWS's default outbound rule (all traffic to 0.0.0.0/0), which a new group has."""
        return (self.direction == "egress" and self.protocol == "-1" and self.peer_kind == "cidr"
                and self.peer == "0.0.0.0/0")


@dataclass(frozen=True)
class DefaultSecurityGroupSpec(Spec):
    """The VPC's default security group, which vpcdraw only locks (no rules), never creates."""

    KIND: ClassVar[str] = "default_security_group"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc",)
    vpc: str
    locked: bool


@dataclass(frozen=True)
class NetworkAclEntrySpec:
    """A network ACL entry as AWS keeps it: protocol by number, -1 for any port, ICMP type and code."""

    rule_number: int
    egress: bool
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    action: str

    @property
    def key(self) -> tuple[bool, int]:
        """What AWS numbers an entry by: its direction and rule number."""
        return self.egress, self.rule_number


@dataclass(frozen=True)
class NetworkAclSpec(Spec):
    """A custom network ACL with its entries (ordered by direction and number) and the subnets it holds."""

    KIND: ClassVar[str] = "network_acl"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc", "subnets")
    vpc: str
    name: str
    entries: tuple[NetworkAclEntrySpec, ...]
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class InstanceSpec(Spec):
    """An EC2 instance; `image` is an AMI id or `resolve:ssm:` and a public parameter; '' when not read."""

    KIND: ClassVar[str] = "instance"
    REFERENCES: ClassVar[tuple[str, ...]] = ("subnet", "security_groups")
    subnet: str
    security_groups: tuple[str, ...]
    instance_type: str
    image: str
    public_ip: bool
    name: str


@dataclass(frozen=True)
class VpcPeeringConnectionSpec(Spec):
    """A peering requested by VPC `vpc`: `peer_vpc` is the accepter's address, or an external VPC's id, with its
    owner account and region ('' for the requester's own). Creating it also accepts it when both are ours."""

    KIND: ClassVar[str] = "vpc_peering_connection"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc", "peer_vpc")
    vpc: str
    peer_vpc: str
    peer_owner_id: str
    peer_region: str
    name: str


@dataclass(frozen=True)
class TransitGatewaySpec(Spec):
    """A transit gateway with AWS's defaults: attachments associate with and propagate to its default table."""

    KIND: ClassVar[str] = "transit_gateway"
    name: str


@dataclass(frozen=True)
class TransitGatewayVpcAttachmentSpec(Spec):
    """A VPC's attachment to a transit gateway, through one subnet per AZ."""

    KIND: ClassVar[str] = "transit_gateway_vpc_attachment"
    REFERENCES: ClassVar[tuple[str, ...]] = ("transit_gateway", "vpc", "subnets")
    transit_gateway: str
    vpc: str
    subnets: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class VpcEndpointSpec(Spec):
    """A VPC endpoint: `service_name` in full (com.amazonaws.ap-northeast-2.s3), `endpoint_type` Gateway or
    Interface, its route tables (Gateway) or subnets and groups (Interface); `policy` '' is AWS's default."""

    KIND: ClassVar[str] = "vpc_endpoint"
    REFERENCES: ClassVar[tuple[str, ...]] = ("vpc", "route_tables", "subnets", "security_groups")
    vpc: str
    service_name: str
    endpoint_type: str
    route_tables: tuple[str, ...]
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    private_dns: bool
    policy: str
    name: str


SPECS: tuple[type[Spec], ...] = (VpcSpec, InternetGatewaySpec, SubnetSpec, ElasticIpSpec, NatGatewaySpec,
                                 RouteTableSpec, RouteSpec, RouteTableAssociationSpec, SecurityGroupSpec,
                                 SecurityGroupRuleSpec, DefaultSecurityGroupSpec, NetworkAclSpec, InstanceSpec,
                                 VpcPeeringConnectionSpec, TransitGatewaySpec, TransitGatewayVpcAttachmentSpec,
                                 VpcEndpointSpec)
KINDS = tuple(s.KIND for s in SPECS)
PARTS = {s.KIND: s.PARENT for s in SPECS if s.PARENT}  # kinds that are parts of another, and the field naming it

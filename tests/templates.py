"""VPCs built the way other people's CloudFormation templates build them, with plain boto3 EC2 calls.

moto's CloudFormation cannot deploy either template (../shared/fixtures/README.md says why: it skips the
network ACL and DHCP resources while reporting CREATE_COMPLETE, hides route table associations, breaks on
`!Ref AWS::NoValue` in Tags, rejects `!GetAtt VPC.Ipv6CidrBlocks` and has no `Fn::Cidr`), so each builder
follows its template resource by resource, with the template's own Name tags and values. No vpcdraw tags.

- `build_quickstart`: aws-quickstart/quickstart-aws-vpc `templates/aws-vpc.template.yaml` with NumberOfAZs=2,
  CreatePublicSubnets, CreatePrivateSubnets and CreateNATGateways 'true', and CreateAdditionalPrivateSubnets
  'true' unless asked otherwise (the template's custom network ACLs exist only for those additional private
  subnets 1B and 2B), every optional tag parameter at its default, flow logs off (the default).
- `build_widdix`: widdix/aws-cf-templates `vpc/vpc-2azs.yaml` with ClassB=0.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

STACK = "quickstart-vpc"  # the quickstart names the VPC and its internet gateway after the stack


@dataclass
class TemplateVpc:
    """What the template made: the ids by the template's logical ids, as its Outputs would give them."""

    vpc: str
    ids: dict[str, str] = field(default_factory=dict)


def _tags(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _zones(ec2: Any, count: int = 2) -> list[str]:
    """The region's first zones, as `!GetAZs ''` with `!Select` gives them (and as a user picks them)."""
    zones = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])
    return sorted(z["ZoneName"] for z in zones["AvailabilityZones"])[:count]


# --- the AWS Quick Start VPC ---

QUICKSTART_PUBLIC = {"PublicSubnet1": ("10.0.128.0/20", 0, "Public subnet 1"),
                     "PublicSubnet2": ("10.0.144.0/20", 1, "Public subnet 2")}
QUICKSTART_PRIVATE = {  # logical id: (CIDR, zone index, Name tag, the NAT gateway its table routes to)
    "PrivateSubnet1A": ("10.0.0.0/19", 0, "Private subnet 1A", "NATGateway1"),
    "PrivateSubnet2A": ("10.0.32.0/19", 1, "Private subnet 2A", "NATGateway2"),
    "PrivateSubnet1B": ("10.0.192.0/21", 0, "Private subnet 1B", "NATGateway1"),
    "PrivateSubnet2B": ("10.0.200.0/21", 1, "Private subnet 2B", "NATGateway2"),
}
QUICKSTART_ACLS = {"PrivateSubnet1B": "NACL Protected subnet 1", "PrivateSubnet2B": "NACL Protected subnet 2"}
ENDPOINT_POLICY = {"Version": "2012-10-17",
                   "Statement": [{"Action": "*", "Effect": "Allow", "Resource": "*", "Principal": "*"}]}


def build_quickstart(ec2: Any, *, additional_private_subnets: bool = True) -> TemplateVpc:
    """The Quick Start VPC over the region's first two zones: public subnets sharing one route table to the
    IGW, a NAT gateway (with its Elastic IP) in each public subnet, each private subnet with a route table of
    its own to its zone's NAT, a network ACL of its own for each additional private subnet (allow all in and
    out, rule 100), an S3 gateway endpoint on every private route table, and the stack's DHCP options.

    Without `additional_private_subnets` (CreateAdditionalPrivateSubnets 'false'): only 1A and 2A, one private
    route table per zone, and no custom network ACL."""
    zones = _zones(ec2)
    private_subnets = {k: v for k, v in QUICKSTART_PRIVATE.items() if additional_private_subnets or k.endswith("A")}
    region = ec2.meta.region_name
    options = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": ["ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"]},
        {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}],
        TagSpecifications=_tags("dhcp-options", {"Name": f"{STACK} stack DHCPOptions", "StackName": STACK}))
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="default",
                            TagSpecifications=_tags("vpc", {"Name": STACK}))["Vpc"]["VpcId"]
    built = TemplateVpc(vpc_id, {"VPC": vpc_id})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.associate_dhcp_options(DhcpOptionsId=options["DhcpOptions"]["DhcpOptionsId"], VpcId=vpc_id)
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", {"Name": STACK}))
    built.ids["InternetGateway"] = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=built.ids["InternetGateway"], VpcId=vpc_id)

    for logical, (block, zone, name, _) in private_subnets.items():
        built.ids[logical] = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=block, AvailabilityZone=zones[zone],
            TagSpecifications=_tags("subnet", {"Name": name, "Network": "Private"}))["Subnet"]["SubnetId"]
    for logical, (block, zone, name) in QUICKSTART_PUBLIC.items():
        built.ids[logical] = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=block, AvailabilityZone=zones[zone],
            TagSpecifications=_tags("subnet", {"Name": name, "Network": "Public"}))["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=built.ids[logical], MapPublicIpOnLaunch={"Value": True})

    public = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags(
        "route-table", {"Name": "Public Subnets", "Network": "Public"}))["RouteTable"]["RouteTableId"]
    built.ids["PublicSubnetRouteTable"] = public
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=built.ids["InternetGateway"])
    for logical in QUICKSTART_PUBLIC:
        ec2.associate_route_table(RouteTableId=public, SubnetId=built.ids[logical])

    for n, logical in enumerate(QUICKSTART_PUBLIC, start=1):
        address = ec2.allocate_address(Domain="vpc", TagSpecifications=_tags("elastic-ip", {"Name": f"NAT{n}EIP"}))
        built.ids[f"NAT{n}EIP"] = address["AllocationId"]
        nat = ec2.create_nat_gateway(AllocationId=address["AllocationId"], SubnetId=built.ids[logical],
                                     TagSpecifications=_tags("natgateway", {"Name": f"NATGateway{n}"}))
        built.ids[f"NATGateway{n}"] = nat["NatGateway"]["NatGatewayId"]

    private_tables = []
    for logical, (_, _, name, nat) in private_subnets.items():
        table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags(
            "route-table", {"Name": name, "Network": "Private"}))["RouteTable"]["RouteTableId"]
        built.ids[f"{logical}RouteTable"] = table
        private_tables.append(table)
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=built.ids[nat])
        ec2.associate_route_table(RouteTableId=table, SubnetId=built.ids[logical])

    for logical, name in QUICKSTART_ACLS.items():
        if logical not in private_subnets:
            continue
        acl = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_tags(
            "network-acl", {"Name": name, "Network": "NACL Protected"}))["NetworkAcl"]["NetworkAclId"]
        built.ids[f"{logical}NetworkAcl"] = acl
        for egress in (False, True):
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                         Egress=egress, CidrBlock="0.0.0.0/0")
        _move_to_acl(ec2, vpc_id, built.ids[logical], acl)

    # moto does add the gateway endpoint's prefix-list route (pl-... to vpce-...) to each route table given,
    # as AWS does, because it knows the com.amazonaws.<region>.s3 managed prefix list.
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{region}.s3",
                                       VpcEndpointType="Gateway", RouteTableIds=private_tables,
                                       PolicyDocument=json.dumps(ENDPOINT_POLICY))
    built.ids["S3VPCEndpoint"] = endpoint["VpcEndpoint"]["VpcEndpointId"]
    return built


def _move_to_acl(ec2: Any, vpc_id: str, subnet_id: str, acl_id: str) -> None:
    """SubnetNetworkAclAssociation: replace the subnet's association with the default ACL."""
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.subnet-id", "Values": [subnet_id]}])
    association = next(a["NetworkAclAssociationId"] for acl in acls["NetworkAcls"]
                       for a in acl["Associations"] if a["SubnetId"] == subnet_id)
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)


# --- widdix vpc-2azs ---

WIDDIX_SUBNETS = {  # logical id: (CIDR, zone index, Name tag, Reach tag, /64 index, route table logical id)
    "SubnetAPublic": ("10.0.0.0/20", 0, "A public", "public", 0, "RouteTablePublic"),
    "SubnetAPrivate": ("10.0.16.0/20", 0, "A private", "private", 1, "RouteTablePrivate"),
    "SubnetBPublic": ("10.0.32.0/20", 1, "B public", "public", 2, "RouteTableBPublic"),
    "SubnetBPrivate": ("10.0.48.0/20", 1, "B private", "private", 3, "RouteTableBPrivate"),
}
WIDDIX_TABLES = {"RouteTablePublic": "A Public", "RouteTablePrivate": "A Private",
                 "RouteTableBPublic": "B Public", "RouteTableBPrivate": "B Private"}
WIDDIX_ACLS = {"NetworkAclPublic": "Public", "NetworkAclPrivate": "Private"}


def build_widdix(ec2: Any) -> TemplateVpc:
    """vpc-2azs: a dual-stack /16 (with an Amazon-provided IPv6 /56), a public and a private /20 in each of two
    zones, each with a /64 of the IPv6 block and a route table of its own; the public tables send 0.0.0.0/0 and
    ::/0 to the IGW, the private ones ::/0 to the egress-only IGW; a public and a private network ACL, each
    allowing everything in and out, IPv4 as rule 99 and IPv6 as rule 98."""
    zones = _zones(ec2)
    name = "10.0.0.0/16"
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="default",
                            TagSpecifications=_tags("vpc", {"Name": name}))["Vpc"]["VpcId"]
    built = TemplateVpc(vpc_id, {"VPC": vpc_id})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    association = ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)  # VPCCidrBlock
    block = ipaddress.IPv6Network(association["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"])
    sixty_fours = list(block.subnets(new_prefix=64))[:4]  # !Cidr [!Select [0, VPC.Ipv6CidrBlocks], 4, 64]
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", {"Name": name}))
    built.ids["InternetGateway"] = igw["InternetGateway"]["InternetGatewayId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc_id)
    built.ids["EgressOnlyInternetGateway"] = eigw["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=built.ids["InternetGateway"], VpcId=vpc_id)

    for logical, (cidr, zone, label, reach, index, _) in WIDDIX_SUBNETS.items():
        built.ids[logical] = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, Ipv6CidrBlock=str(sixty_fours[index]), AvailabilityZone=zones[zone],
            TagSpecifications=_tags("subnet", {"Name": label, "Reach": reach}))["Subnet"]["SubnetId"]
        if reach == "public":
            ec2.modify_subnet_attribute(SubnetId=built.ids[logical], MapPublicIpOnLaunch={"Value": True})
        else:  # AssignIpv6AddressOnCreation: false, as the template says for the private subnets
            ec2.modify_subnet_attribute(SubnetId=built.ids[logical], AssignIpv6AddressOnCreation={"Value": False})

    for logical, label in WIDDIX_TABLES.items():
        built.ids[logical] = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags(
            "route-table", {"Name": label}))["RouteTable"]["RouteTableId"]
    for logical, (*_, table) in WIDDIX_SUBNETS.items():
        ec2.associate_route_table(RouteTableId=built.ids[table], SubnetId=built.ids[logical])
    for table in ("RouteTablePublic", "RouteTableBPublic"):
        ec2.create_route(RouteTableId=built.ids[table], DestinationCidrBlock="0.0.0.0/0",
                         GatewayId=built.ids["InternetGateway"])
        ec2.create_route(RouteTableId=built.ids[table], DestinationIpv6CidrBlock="::/0",
                         GatewayId=built.ids["InternetGateway"])
    for table in ("RouteTablePrivate", "RouteTableBPrivate"):
        ec2.create_route(RouteTableId=built.ids[table], DestinationIpv6CidrBlock="::/0",
                         EgressOnlyInternetGatewayId=built.ids["EgressOnlyInternetGateway"])

    for logical, label in WIDDIX_ACLS.items():
        acl = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_tags(
            "network-acl", {"Name": label}))["NetworkAcl"]["NetworkAclId"]
        built.ids[logical] = acl
        for egress in (False, True):
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=99, Protocol="-1", RuleAction="allow",
                                         Egress=egress, CidrBlock="0.0.0.0/0")
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=98, Protocol="-1", RuleAction="allow",
                                         Egress=egress, Ipv6CidrBlock="::/0")
    for logical, (*_, reach, _, _) in WIDDIX_SUBNETS.items():
        acl = built.ids["NetworkAclPublic" if reach == "public" else "NetworkAclPrivate"]
        _move_to_acl(ec2, vpc_id, built.ids[logical], acl)
    return built

"""The topology as a CloudFormation template, and with live ids the import list that lets a stack adopt a VPC.

The template is built from the same resources and addresses vpcdraw's own apply makes (`topology.graph`), and
tags each taggable resource as apply does (Name, vpcdraw's two tags), so diff and plan recognise a stack's
resources. Output is plain JSON-like data; `to_yaml` writes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vpcdraw.topology.graph import MY_IP_MARK, Resource, resources
from vpcdraw.topology.model import Topology
from vpcdraw.topology.specs import (
    DefaultSecurityGroupSpec,
    ElasticIpSpec,
    InstanceSpec,
    InternetGatewaySpec,
    NatGatewaySpec,
    NetworkAclSpec,
    RouteSpec,
    RouteTableAssociationSpec,
    RouteTableSpec,
    SecurityGroupRuleSpec,
    SecurityGroupSpec,
    SubnetSpec,
    TransitGatewaySpec,
    TransitGatewayVpcAttachmentSpec,
    VpcEndpointSpec,
    VpcPeeringConnectionSpec,
    VpcSpec,
)

from .cloudformation_import import Json, importing
from .tags import ADDRESS_TAG, TOPOLOGY_TAG

MY_IP_PARAMETER = "MyIp"
# A rule that lets nothing out (loopback is never routed): AWS's documented way to drop the default allow-all
# egress rule of a group whose only egress rules are separate resources, or which has none.
NO_EGRESS = {"IpProtocol": "-1", "CidrIp": "127.0.0.1/32",
             "Description": "vpcdraw: no default egress (the model restricts egress)"}
# The identifier keys of CloudFormation's resource import, per type (the types' primaryIdentifier).
IMPORT_KEYS = {"AWS::EC2::VPC": "VpcId", "AWS::EC2::Subnet": "SubnetId", "AWS::EC2::InternetGateway":
               "InternetGatewayId", "AWS::EC2::RouteTable": "RouteTableId", "AWS::EC2::SecurityGroup": "Id",
               "AWS::EC2::SecurityGroupIngress": "Id", "AWS::EC2::SecurityGroupEgress": "Id",
               "AWS::EC2::SubnetRouteTableAssociation": "Id", "AWS::EC2::NatGateway": "NatGatewayId",
               "AWS::EC2::NetworkAcl": "Id", "AWS::EC2::Instance": "InstanceId",
               "AWS::EC2::VPCPeeringConnection": "Id", "AWS::EC2::TransitGateway": "Id",
               "AWS::EC2::TransitGatewayVpcAttachment": "Id", "AWS::EC2::VPCEndpoint": "Id"}
# cfn-lint warnings the template accepts, each with the reason (written into the template's cfn-lint metadata).
ACCEPTED_WARNINGS = {
    "W3010": "availability zones are hard-coded on purpose: the drawing places each subnet in a zone, and "
             "vpcdraw's diff compares them",
}


@dataclass(frozen=True)
class Template:
    """A CloudFormation template (`body`) and, for adoption, the ResourcesToImport of an IMPORT change set."""

    body: dict[str, Json]
    imports: list[dict[str, Json]]
    not_imported: tuple[str, ...]  # addresses that exist but that CloudFormation's import cannot take over
    import_body: dict[str, Json]  # the template of the IMPORT change set: only what is imported


def logical_id(address: str) -> str:
    """A CloudFormation logical id from an address: its words in CamelCase, letters and digits only.

    >>> logical_id("vpc/main/subnet/public-a")
    'VpcMainSubnetPublicA'
    >>> logical_id("vpc/main/route_table/public/route/0.0.0.0/0")
    'VpcMainRouteTablePublicRoute00000'
    """
    words = re.split(r"[^A-Za-z0-9]+", address)
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _ids(found: list[Resource]) -> dict[str, str]:
    """Unique logical ids by address; a clash (`web-a` and `web_a`) adds a short hash of the address."""
    plain: dict[str, list[str]] = {}
    for resource in found:
        plain.setdefault(logical_id(resource.address), []).append(resource.address)
    out: dict[str, str] = {}
    for name, addresses in plain.items():
        for where in addresses:
            unique = name if len(addresses) == 1 else name + hashlib.sha256(where.encode()).hexdigest()[:8].upper()
            out[where] = (unique if unique[:1].isalpha() else "R" + unique)[:255]
    return out


def _ref(name: str) -> dict[str, Json]:
    return {"Ref": name}


def _tags(topology: Topology, resource: Resource) -> list[Json]:
    return [{"Key": "Name", "Value": resource.spec.label}, {"Key": TOPOLOGY_TAG, "Value": topology.name},
            {"Key": ADDRESS_TAG, "Value": resource.address}]


def image_parameter(path: str) -> str:
    """The name of the parameter holding the AMI an SSM path names.

    >>> image_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
    'ImageAl2023AmiKernelDefaultX8664'
    """
    return "Image" + logical_id(path.rsplit("/", 1)[-1])


class _Builder:
    """Writes one resource after another into the template's sections."""

    def __init__(self, topology: Topology, my_ip: str | None, live: Mapping[str, str],
                 public_ips: Mapping[str, str]) -> None:
        self.topology = topology
        self.my_ip = my_ip
        self.live = live
        self.public_ips = public_ips
        self.live_of: dict[str, str] = {}  # live id by logical id, for the import template's references
        self.found = resources(topology)
        self.ids = _ids(self.found)
        self.by_address = {r.address: r for r in self.found}
        self.parameters: dict[str, Json] = {}
        self.body: dict[str, Json] = {}
        self.outputs: dict[str, Json] = {}
        self.imports: list[dict[str, Json]] = []
        self.not_imported: list[str] = []
        self.notes: list[Json] = []
        rules = [r.spec for r in self.found if isinstance(r.spec, SecurityGroupRuleSpec)]
        self.keeps_default = {s.security_group for s in rules if s.is_default_egress}
        # A live gateway is attached already (the read finds it by its attachment): the template leaves that be.
        self.attachments = {r.address: self.ids[r.address] + "Attachment" for r in self.found
                            if isinstance(r.spec, InternetGatewaySpec) and r.spec.vpc and r.address not in live}
        self.attachment_of_vpc = {r.spec.vpc: self.attachments[r.address] for r in self.found
                                  if isinstance(r.spec, InternetGatewaySpec) and r.address in self.attachments}
        self.conditions: dict[str, Json] = {}

    def add(self, resource: Resource, kind: str, properties: dict[str, Json], *, name: str = "",
            depends_on: tuple[str, ...] = (), identifier: dict[str, Json] | None = None, live_key: str = "") -> None:
        """One resource; one with a live id is retained, and imported where CloudFormation can import it."""
        logical = name or self.ids[resource.address]
        entry: dict[str, Json] = {"Type": kind, "Properties": properties}
        if depends_on:
            needed: list[Json] = list(sorted(set(depends_on)))
            entry["DependsOn"] = needed if len(needed) > 1 else needed[0]
        live = self.live.get(live_key or resource.address) if not name else None
        if live:
            self.live_of[logical] = live
            entry["DeletionPolicy"] = "Retain"
            entry["UpdateReplacePolicy"] = "Retain"
            if identifier is None and kind in IMPORT_KEYS and ((kind != "AWS::EC2::SecurityGroupIngress"
                                                               and kind != "AWS::EC2::SecurityGroupEgress")
                                                               or live.startswith("sgr-")):
                identifier = {IMPORT_KEYS[kind]: live}
            if identifier is not None:
                self.imports.append({"ResourceType": kind, "LogicalResourceId": logical,
                                     "ResourceIdentifier": identifier})
            else:
                self.not_imported.append(resource.address)
        self.body[logical] = entry

    def build(self) -> Template:
        for resource in self.found:
            self.resource(resource)
        body: dict[str, Json] = {"AWSTemplateFormatVersion": "2010-09-09",
                                 "Description": f"vpcdraw topology {self.topology.name} "
                                                f"({self.topology.description or self.topology.region})"}
        metadata: dict[str, Json] = {"vpcdraw": {"topology": self.topology.name, "region": self.topology.region,
                                                 "notes": self.notes}}
        regions: list[Json] = [self.topology.region]
        ignored: list[Json] = list(sorted(ACCEPTED_WARNINGS))
        metadata["cfn-lint"] = {"config": {"regions": regions, "ignore_checks": ignored},
                                "reasons": dict(sorted(ACCEPTED_WARNINGS.items()))}
        body["Metadata"] = metadata
        if self.parameters:
            body["Parameters"] = self.parameters
        if self.conditions:
            body["Conditions"] = self.conditions
        body["Resources"] = self.body
        body["Outputs"] = self.outputs
        imports, import_body, blocked = importing(body, self.imports, self.live_of, self.parameters)
        self.not_imported += [f"{name} (it refers to what is not there yet)" for name in blocked]
        return Template(body, imports, tuple(self.not_imported), import_body)

    def resource(self, resource: Resource) -> None:
        spec = resource.spec
        own = self.ids[resource.address]
        tags = _tags(self.topology, resource)
        if isinstance(spec, VpcSpec):
            self.add(resource, "AWS::EC2::VPC", {"CidrBlock": spec.cidr, "Tags": tags})
            self.outputs[f"{own}Id"] = {"Description": f"the VPC {resource.address}", "Value": _ref(own)}
        elif isinstance(spec, InternetGatewaySpec):
            self.add(resource, "AWS::EC2::InternetGateway", {"Tags": tags})
            if resource.address in self.attachments and spec.vpc:
                self.add(resource, "AWS::EC2::VPCGatewayAttachment",
                         {"VpcId": _ref(self.ids[spec.vpc]), "InternetGatewayId": _ref(own)},
                         name=self.attachments[resource.address])
            elif spec.vpc:
                self.notes.append(f"{resource.address}: attached to its VPC already, so the template has no "
                                  "VPCGatewayAttachment for it")
        elif isinstance(spec, SubnetSpec):
            self.add(resource, "AWS::EC2::Subnet", {
                "VpcId": _ref(self.ids[spec.vpc]), "CidrBlock": spec.cidr, "AvailabilityZone": spec.az,
                "MapPublicIpOnLaunch": spec.map_public_ip, "Tags": tags})
            self.outputs[f"{own}Id"] = {"Description": f"the subnet {resource.address}", "Value": _ref(own)}
        elif isinstance(spec, ElasticIpSpec):
            vpc = "/".join(resource.address.split("/")[:2])
            allocation, public_ip = self.live.get(resource.address), self.public_ips.get(resource.address)
            self.add(resource, "AWS::EC2::EIP", {"Domain": "vpc", "Tags": tags}, depends_on=self._attached(vpc),
                     identifier={"PublicIp": public_ip, "AllocationId": allocation}
                     if allocation and public_ip else None)
        elif isinstance(spec, NatGatewaySpec):
            self.add(resource, "AWS::EC2::NatGateway", {
                "SubnetId": _ref(self.ids[spec.subnet]),
                "AllocationId": {"Fn::GetAtt": [self.ids[spec.elastic_ip], "AllocationId"]}, "Tags": tags},
                depends_on=tuple(self.attachments[a] for a in resource.after if a in self.attachments))
        elif isinstance(spec, RouteTableSpec):
            self.add(resource, "AWS::EC2::RouteTable", {"VpcId": _ref(self.ids[spec.vpc]), "Tags": tags})
        elif isinstance(spec, RouteSpec):
            self.route(resource, spec)
        elif isinstance(spec, RouteTableAssociationSpec):
            self.add(resource, "AWS::EC2::SubnetRouteTableAssociation", {
                "RouteTableId": _ref(self.ids[spec.route_table]), "SubnetId": _ref(self.ids[spec.subnet])})
        elif isinstance(spec, SecurityGroupSpec):
            properties: dict[str, Json] = {"GroupName": spec.group_name, "GroupDescription": spec.description,
                                           "VpcId": _ref(self.ids[spec.vpc]), "Tags": tags}
            if resource.address in self.live:
                del properties["GroupName"]  # an adopted group keeps its own name: AWS cannot rename one
            if resource.address not in self.keeps_default:
                properties["SecurityGroupEgress"] = [dict(NO_EGRESS)]
                self.notes.append(f"{resource.address}: egress restricted by the rule {NO_EGRESS['CidrIp']} "
                                  "(lets nothing out), which vpcdraw's diff shows as an extra rule")
            self.add(resource, "AWS::EC2::SecurityGroup", properties)
        elif isinstance(spec, SecurityGroupRuleSpec):
            self.rule(resource, spec)
        elif isinstance(spec, DefaultSecurityGroupSpec):
            self.notes.append(f"{resource.address}: locking the VPC's default security group is not in the "
                              "template (CloudFormation does not manage it); vpcdraw apply does it")
        elif isinstance(spec, NetworkAclSpec):
            self.network_acl(resource, spec, tags)
        elif isinstance(spec, InstanceSpec):
            self.instance(resource, spec, tags)
        elif isinstance(spec, VpcPeeringConnectionSpec):
            self.peering(resource, spec, tags)
        elif isinstance(spec, TransitGatewaySpec):
            # AWS's defaults, written out: vpcdraw models only the default route table, which every attachment
            # is associated with and propagates to.
            self.add(resource, "AWS::EC2::TransitGateway", {
                "DefaultRouteTableAssociation": "enable", "DefaultRouteTablePropagation": "enable", "Tags": tags})
            self.outputs[f"{own}Id"] = {"Description": f"the transit gateway {resource.address}", "Value": _ref(own)}
        elif isinstance(spec, TransitGatewayVpcAttachmentSpec):
            subnets: list[Json] = [_ref(self.ids[s]) for s in spec.subnets]
            self.add(resource, "AWS::EC2::TransitGatewayVpcAttachment", {
                "TransitGatewayId": _ref(self.ids[spec.transit_gateway]), "VpcId": _ref(self.ids[spec.vpc]),
                "SubnetIds": subnets, "Tags": tags})
        elif isinstance(spec, VpcEndpointSpec):
            self.endpoint(resource, spec, tags)

    def peering(self, resource: Resource, spec: VpcPeeringConnectionSpec, tags: list[Json]) -> None:
        """A peering; one to an external VPC names it by id, with its owner and region where they differ."""
        own = self.ids[resource.address]
        properties: dict[str, Json] = {"VpcId": _ref(self.ids[spec.vpc]),
                                       "PeerVpcId": _ref(self.ids[spec.peer_vpc]) if spec.peer_vpc in self.ids
                                       else spec.peer_vpc}
        if spec.peer_owner_id:
            properties["PeerOwnerId"] = spec.peer_owner_id
        if spec.peer_region:
            properties["PeerRegion"] = spec.peer_region
        if spec.peer_owner_id:
            # AWS::EC2::VPCPeeringConnection's reference: with another account's VPC, that account must have a role
            # that lets this one accept the request (PeerRoleArn). Left empty, the accepter accepts it in its account.
            parameter = f"PeerRoleArn{own}"[:255]
            condition = f"Has{parameter}"[:255]
            self.parameters[parameter] = {
                "Type": "String", "Default": "",
                "Description": f"A role in account {spec.peer_owner_id} that lets this account accept the peering "
                               f"{resource.address} (empty: the accepter accepts it)",
                "AllowedPattern": r"^(arn:aws[a-z-]*:iam::\d{12}:role/.+)?$",
                "ConstraintDescription": "an IAM role ARN of the accepter account, or empty"}
            self.conditions[condition] = {"Fn::Not": [{"Fn::Equals": [_ref(parameter), ""]}]}
            properties["PeerRoleArn"] = {"Fn::If": [condition, _ref(parameter), _ref("AWS::NoValue")]}
            self.notes.append(f"{resource.address}: the VPC {spec.peer_vpc} is in account {spec.peer_owner_id}: "
                              f"give the parameter {parameter} a role there that may accept it, or have that "
                              "account accept the request (until then the peering carries no traffic)")
        elif spec.peer_vpc not in self.ids:
            self.notes.append(f"{resource.address}: {spec.peer_vpc} is outside the template but in this account, so "
                              "CloudFormation accepts the request itself (vpcdraw's apply leaves that to its owner)")
        properties["Tags"] = tags
        self.add(resource, "AWS::EC2::VPCPeeringConnection", properties)
        self.outputs[f"{own}Id"] = {"Description": f"the peering connection {resource.address}", "Value": _ref(own)}

    def endpoint(self, resource: Resource, spec: VpcEndpointSpec, tags: list[Json]) -> None:
        properties: dict[str, Json] = {"VpcId": _ref(self.ids[spec.vpc]), "ServiceName": spec.service_name,
                                       "VpcEndpointType": spec.endpoint_type}
        if spec.endpoint_type == "Gateway":
            properties["RouteTableIds"] = [_ref(self.ids[t]) for t in spec.route_tables]
        else:
            properties["SubnetIds"] = [_ref(self.ids[s]) for s in spec.subnets]
            if spec.security_groups:
                properties["SecurityGroupIds"] = [{"Fn::GetAtt": [self.ids[g], "GroupId"]} if g in self.ids else g
                                                  for g in spec.security_groups]
            properties["PrivateDnsEnabled"] = spec.private_dns
        if spec.policy:
            properties["PolicyDocument"] = json.loads(spec.policy)  # an object: YAML writes it readably
        properties["Tags"] = tags
        self.add(resource, "AWS::EC2::VPCEndpoint", properties)

    def _attached(self, vpc: str) -> tuple[str, ...]:
        found = self.attachment_of_vpc.get(vpc)
        return (found,) if found else ()

    def route(self, resource: Resource, spec: RouteSpec) -> None:
        target = self.by_address.get(spec.target)
        properties: dict[str, Json] = {"RouteTableId": _ref(self.ids[spec.route_table]),
                                       "DestinationCidrBlock": spec.destination}
        depends: tuple[str, ...] = ()
        if target is not None and isinstance(target.spec, NatGatewaySpec):
            properties["NatGatewayId"] = _ref(self.ids[spec.target])
        elif target is not None and isinstance(target.spec, VpcPeeringConnectionSpec):
            properties["VpcPeeringConnectionId"] = _ref(self.ids[spec.target])
        elif target is not None and isinstance(target.spec, TransitGatewaySpec):
            properties["TransitGatewayId"] = _ref(self.ids[spec.target])
            # The schema's own rule: a route to a transit gateway fails until the VPC's attachment is done.
            depends = tuple(self.ids[a] for a in resource.after if a in self.ids)
        else:
            properties["GatewayId"] = _ref(self.ids[spec.target])
            if spec.target in self.attachments:  # the route fails until the gateway is attached
                depends = (self.attachments[spec.target],)
        live = self.live.get(resource.address, "")
        table, _, destination = live.partition("|")
        identifier: dict[str, Json] | None = {"RouteTableId": table, "CidrBlock": destination} if destination else None
        self.add(resource, "AWS::EC2::Route", properties, depends_on=depends, identifier=identifier)

    def rule(self, resource: Resource, spec: SecurityGroupRuleSpec) -> None:
        if spec.is_default_egress and spec.security_group in self.keeps_default:
            return  # AWS gives every new group this rule; CloudFormation keeps it unless egress is listed inline
        ingress = spec.direction == "ingress"
        properties: dict[str, Json] = {"GroupId": {"Fn::GetAtt": [self.ids[spec.security_group], "GroupId"]},
                                       "IpProtocol": spec.protocol}
        if spec.protocol != "-1":
            properties["FromPort"] = spec.from_port
            properties["ToPort"] = spec.to_port
        if spec.peer_kind == "security_group":
            side = "SourceSecurityGroup" if ingress else "DestinationSecurityGroup"
            if spec.peer in self.ids:
                properties[f"{side}Id"] = {"Fn::GetAtt": [self.ids[spec.peer], "GroupId"]}
            else:  # a group outside the model, as `account/sg-id`
                account, _, group = spec.peer.rpartition("/")
                properties[f"{side}Id"] = group
                if account and ingress:
                    properties["SourceSecurityGroupOwnerId"] = account
        elif spec.peer_kind == "prefix_list":
            properties["SourcePrefixListId" if ingress else "DestinationPrefixListId"] = spec.peer
        elif spec.peer == MY_IP_MARK:
            properties["CidrIp"] = _ref(self.my_ip_parameter())
        else:
            properties["CidrIpv6" if ":" in spec.peer else "CidrIp"] = spec.peer
        if spec.description:
            properties["Description"] = spec.description
        kind = "AWS::EC2::SecurityGroupIngress" if ingress else "AWS::EC2::SecurityGroupEgress"
        live_key = ""
        if spec.peer == MY_IP_MARK and self.my_ip:  # the live read knows it by the address it allows
            live_key = resource.address.removesuffix(MY_IP_MARK) + self.my_ip_cidr()
        self.add(resource, kind, properties, live_key=live_key)

    def my_ip_cidr(self) -> str:
        return "" if not self.my_ip else self.my_ip if "/" in self.my_ip else f"{self.my_ip}/32"

    def my_ip_parameter(self) -> str:
        parameter: dict[str, Json] = {
            "Type": "String", "Description": "The admin's IP address as a /32, for the my_ip rules",
            "AllowedPattern": r"^(\d{1,3}\.){3}\d{1,3}/32$",
            "ConstraintDescription": "an IPv4 address with /32, such as 203.0.113.10/32"}
        if self.my_ip:
            parameter["Default"] = self.my_ip_cidr()
        self.parameters[MY_IP_PARAMETER] = parameter
        return MY_IP_PARAMETER

    def network_acl(self, resource: Resource, spec: NetworkAclSpec, tags: list[Json]) -> None:
        own = self.ids[resource.address]
        self.add(resource, "AWS::EC2::NetworkAcl", {"VpcId": _ref(self.ids[spec.vpc]), "Tags": tags})
        if resource.address in self.live and (spec.entries or spec.subnets):
            # CloudFormation has no import for an entry (its type cannot be read), and none here for an association.
            self.not_imported.append(f"{resource.address}'s entries and subnet associations (the stack update "
                                     "creates them: remove the live ones first)")
        for entry in spec.entries:
            properties: dict[str, Json] = {
                "NetworkAclId": _ref(own), "RuleNumber": entry.rule_number, "Protocol": int(entry.protocol),
                "RuleAction": entry.action, "Egress": entry.egress, "CidrBlock": entry.cidr}
            if entry.protocol in ("6", "17"):
                properties["PortRange"] = {"From": entry.from_port, "To": entry.to_port}
            elif entry.protocol == "1":
                properties["Icmp"] = {"Type": entry.from_port, "Code": entry.to_port}
            direction = "Egress" if entry.egress else "Ingress"
            self.body[f"{own}{direction}{entry.rule_number}"] = {"Type": "AWS::EC2::NetworkAclEntry",
                                                                 "Properties": properties}
        for subnet in spec.subnets:
            self.body[f"{own}Association{self.ids[subnet]}"] = {
                "Type": "AWS::EC2::SubnetNetworkAclAssociation",
                "Properties": {"NetworkAclId": _ref(own), "SubnetId": _ref(self.ids[subnet])}}

    def instance(self, resource: Resource, spec: InstanceSpec, tags: list[Json]) -> None:
        image: Json = spec.image
        if spec.image.startswith("resolve:ssm:"):
            path = spec.image.removeprefix("resolve:ssm:")
            name = image_parameter(path)
            self.parameters[name] = {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": path,
                                     "Description": "The AMI, through AWS's public SSM parameter"}
            image = _ref(name)
        interface: dict[str, Json] = {
            "DeviceIndex": "0", "SubnetId": _ref(self.ids[spec.subnet]),
            "GroupSet": [{"Fn::GetAtt": [self.ids[g], "GroupId"]} for g in spec.security_groups],
            "AssociatePublicIpAddress": spec.public_ip}
        self.add(resource, "AWS::EC2::Instance", {
            "ImageId": image, "InstanceType": spec.instance_type, "NetworkInterfaces": [interface], "Tags": tags},
            depends_on=tuple(self.attachments[a] for a in resource.after if a in self.attachments))


def template(topology: Topology, my_ip: str | None = None, live: Mapping[str, str] | None = None,
             public_ips: Mapping[str, str] | None = None) -> Template:
    """The CloudFormation template of a topology; with `live` (AWS id by address), the resources that exist are
    retained (DeletionPolicy and UpdateReplacePolicy Retain) and listed for import (an Elastic IP only with its
    address in `public_ips`, which CloudFormation's import names it by)."""
    return _Builder(topology, my_ip, live or {}, public_ips or {}).build()


def to_yaml(body: Mapping[str, Json]) -> str:
    """The template as YAML, keys in the order written (CloudFormation's own order: version, ..., outputs)."""
    import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

    return str(yaml.safe_dump(dict(body), sort_keys=False, allow_unicode=True, width=120))

"""The topology as a Terraform module for the AWS provider, in Terraform's JSON syntax (`main.tf.json`).

JSON syntax needs no HCL writer and is Terraform's documented form for generated configuration
(developer.hashicorp.com/terraform/language/syntax/json). Resources refer to each other by reference
(`${aws_vpc.main.id}`), never by AWS id; each taggable one carries vpcdraw's own tags and its Name, so
`vpcdraw diff` recognises what Terraform built. With the live ids of an adopted VPC, `import` blocks (Terraform
1.5+) take over what exists, in the import id formats of the provider's documentation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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

from .tags import ADDRESS_TAG, TOPOLOGY_TAG

REQUIRED_VERSION = ">= 1.5"  # import blocks
PROVIDER_VERSION = ">= 5.0"  # aws_vpc_security_group_ingress_rule / _egress_rule

TYPES: dict[str, str] = {
    "vpc": "aws_vpc",
    "internet_gateway": "aws_internet_gateway",
    "subnet": "aws_subnet",
    "elastic_ip": "aws_eip",
    "nat_gateway": "aws_nat_gateway",
    "route_table": "aws_route_table",
    "route": "aws_route",
    "route_table_association": "aws_route_table_association",
    "security_group": "aws_security_group",
    "default_security_group": "aws_default_security_group",
    "network_acl": "aws_network_acl",
    "instance": "aws_instance",
    "vpc_peering_connection": "aws_vpc_peering_connection",
    "transit_gateway": "aws_ec2_transit_gateway",
    "transit_gateway_vpc_attachment": "aws_ec2_transit_gateway_vpc_attachment",
    "vpc_endpoint": "aws_vpc_endpoint",
}
ROUTE_TARGETS = {"aws_internet_gateway": "gateway_id", "aws_nat_gateway": "nat_gateway_id",
                 "aws_vpc_peering_connection": "vpc_peering_connection_id",
                 "aws_ec2_transit_gateway": "transit_gateway_id"}
RULE_TYPES = {"ingress": "aws_vpc_security_group_ingress_rule", "egress": "aws_vpc_security_group_egress_rule"}
ACL_RULE = "aws_network_acl_rule"
ACL_ASSOCIATION = "aws_network_acl_association"
SSM_PREFIX = "resolve:ssm:"
_WORDS = {"0.0.0.0/0": "anywhere", MY_IP_MARK: "my_ip"}


@dataclass
class Module:
    """A Terraform module: `main` (resources, variables, provider) and, when adopting, `imports` and what has none.

    `not_imported` pairs a Terraform address with why it is created rather than imported.
    """

    main: dict[str, Any]
    imports: list[dict[str, str]] = field(default_factory=list)
    not_imported: list[tuple[str, str]] = field(default_factory=list)

    def files(self) -> dict[str, dict[str, Any]]:
        """The module's files by name: `main.tf.json`, and `imports.tf.json` when adopting."""
        out = {"main.tf.json": self.main}
        if self.imports or self.not_imported:
            out["imports.tf.json"] = {
                "//": [f"{to}: {why}" for to, why in self.not_imported] or ["every resource has a live id"],
                "import": self.imports,
            }
        return out


def terraform_name(text: str) -> str:
    """A readable Terraform identifier for part of an address.

    >>> terraform_name("web/ingress/tcp/22/0.0.0.0/0")
    'web_ingress_tcp_22_anywhere'
    >>> terraform_name("10-a")
    'r_10_a'
    """
    for word, said in _WORDS.items():
        text = text.replace(word, said)
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    return name if name and not name[0].isdigit() else f"r_{name}"


class _Names:
    """Unique identifiers per Terraform type: the first asked for keeps its name, later ones get _2, _3."""

    def __init__(self) -> None:
        self.taken: dict[str, set[str]] = {}

    def new(self, kind: str, wanted: str) -> str:
        taken = self.taken.setdefault(kind, set())
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted}_{n}"
        taken.add(name)
        return name


def _short(where: str, single_vpc: bool) -> str:
    """The words of an address that tell it apart: `vpc/main/subnet/public-a` is `public-a` in a one-VPC topology."""
    parts = where.split("/")
    vpc, rest = parts[1], parts[3:] if len(parts) > 3 else []
    words = rest if single_vpc and rest else [vpc, *rest]
    return "/".join(words)


class _Builder:
    """One module in the making: every resource named first (so references may point forward), then written."""

    def __init__(self, topology: Topology, my_ip: str | None,
                 live_groups: Mapping[str, tuple[str, str]] | None = None,
                 live_images: Mapping[str, str] | None = None) -> None:
        self.topology = topology
        self.my_ip = my_ip
        self.live_groups = live_groups or {}
        self.live_images = live_images or {}
        self.items = resources(topology)
        self.names = _Names()
        self.refs: dict[str, tuple[str, str]] = {}  # address -> (type, name)
        self.body: dict[str, dict[str, dict[str, Any]]] = {}
        self.images: dict[str, str] = {}  # SSM path -> data source name
        self.extra: dict[str, tuple[str, str]] = {}  # made-up addresses of ACL rules and associations
        single = len(topology.vpcs) == 1
        for resource in self.items:
            self.refs[resource.address] = (self._type(resource), self.names.new(
                self._type(resource), terraform_name(_short(resource.address, single))))

    @staticmethod
    def _type(resource: Resource) -> str:
        spec = resource.spec
        if isinstance(spec, SecurityGroupRuleSpec):
            return RULE_TYPES[spec.direction]
        return TYPES[resource.kind]

    def ref(self, where: str, attribute: str = "id") -> str:
        kind, name = self.refs[where]
        return f"${{{kind}.{name}.{attribute}}}"

    def tags(self, resource: Resource) -> dict[str, str]:
        return {"Name": resource.spec.label, TOPOLOGY_TAG: self.topology.name, ADDRESS_TAG: resource.address}

    def add(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.body.setdefault(kind, {})[name] = body

    def build(self) -> dict[str, Any]:
        for resource in self.items:
            kind, name = self.refs[resource.address]
            self.add(kind, name, self.resource(resource, name))
        main: dict[str, Any] = {
            "terraform": {"required_version": REQUIRED_VERSION,
                          "required_providers": {"aws": {"source": "hashicorp/aws", "version": PROVIDER_VERSION}}},
            "variable": {
                "region": {"type": "string", "default": self.topology.region,
                           "description": "the AWS region of the topology"},
                "my_ip": self.my_ip_variable(),
            },
            "provider": {"aws": {"region": "${var.region}"}},
        }
        if self.images:
            main["data"] = {"aws_ssm_parameter": {name: {"name": path} for path, name in self.images.items()}}
        main["resource"] = self.body
        return main

    def my_ip_variable(self) -> dict[str, Any]:
        used = any(isinstance(r.spec, SecurityGroupRuleSpec) and r.spec.peer == MY_IP_MARK for r in self.items)
        variable: dict[str, Any] = {"type": "string",
                                    "description": "the admin's address as a /32 CIDR, for the my_ip rules"}
        if self.my_ip is not None:
            variable["default"] = self.my_ip
        elif not used:
            variable["default"] = None
        return variable

    def resource(self, resource: Resource, name: str) -> dict[str, Any]:
        spec = resource.spec
        after = [f"{self.refs[a][0]}.{self.refs[a][1]}" for a in resource.after if a in self.refs]
        body: dict[str, Any]
        if isinstance(spec, VpcSpec):
            body = {"cidr_block": spec.cidr}
        elif isinstance(spec, InternetGatewaySpec):
            body = {"vpc_id": self.ref(spec.vpc)} if spec.vpc else {}
        elif isinstance(spec, SubnetSpec):
            body = {"vpc_id": self.ref(spec.vpc), "cidr_block": spec.cidr, "availability_zone": spec.az,
                    "map_public_ip_on_launch": spec.map_public_ip}
        elif isinstance(spec, ElasticIpSpec):
            body = {"domain": "vpc"}
        elif isinstance(spec, NatGatewaySpec):
            body = {"allocation_id": self.ref(spec.elastic_ip), "subnet_id": self.ref(spec.subnet)}
        elif isinstance(spec, RouteTableSpec):
            body = {"vpc_id": self.ref(spec.vpc)}
        elif isinstance(spec, RouteSpec):
            route: dict[str, Any] = {"route_table_id": self.ref(spec.route_table),
                                     "destination_cidr_block": spec.destination,
                                     ROUTE_TARGETS[self.refs[spec.target][0]]: self.ref(spec.target)}
            if after:  # a route to a transit gateway waits for the VPC's attachment, which it does not name
                route["depends_on"] = after
            return route
        elif isinstance(spec, RouteTableAssociationSpec):
            return {"subnet_id": self.ref(spec.subnet), "route_table_id": self.ref(spec.route_table)}
        elif isinstance(spec, SecurityGroupSpec):
            group_name, description = self.live_groups.get(resource.address, (spec.group_name, spec.description))
            body = {"name": group_name, "description": description, "vpc_id": self.ref(spec.vpc)}
            if (group_name, description) != (spec.group_name, spec.description):
                body["//"] = (f"name and description as the adopted group has them (the model says "
                              f"{spec.group_name!r}, {spec.description!r}): AWS cannot change them in place, so "
                              f"Terraform would replace the group")
        elif isinstance(spec, SecurityGroupRuleSpec):
            return self.rule(spec)
        elif isinstance(spec, DefaultSecurityGroupSpec):
            # With no ingress or egress blocks, Terraform removes every rule of the default group: the lock.
            return {"vpc_id": self.ref(spec.vpc)}
        elif isinstance(spec, NetworkAclSpec):
            self.acl_parts(resource, spec, name)
            body = {"vpc_id": self.ref(spec.vpc)}
        elif isinstance(spec, InstanceSpec):
            image = self.live_images.get(resource.address, "")
            body = {"ami": image or self.image(spec.image), "instance_type": spec.instance_type,
                    "subnet_id": self.ref(spec.subnet),
                    "vpc_security_group_ids": [self.ref(g) for g in spec.security_groups],
                    "associate_public_ip_address": spec.public_ip}
            if image:
                body["//"] = (f"the AMI the adopted instance runs ({spec.image} may name a newer one): AWS cannot "
                              f"change it in place, so Terraform would replace the instance")
        elif isinstance(spec, VpcPeeringConnectionSpec):
            body = self.peering(spec)
        elif isinstance(spec, TransitGatewaySpec):
            # AWS's defaults, written out: vpcdraw models only the default route table, which every attachment
            # is associated with and propagates to.
            body = {"default_route_table_association": "enable", "default_route_table_propagation": "enable"}
        elif isinstance(spec, TransitGatewayVpcAttachmentSpec):
            body = {"subnet_ids": [self.ref(s) for s in spec.subnets],
                    "transit_gateway_id": self.ref(spec.transit_gateway), "vpc_id": self.ref(spec.vpc)}
        elif isinstance(spec, VpcEndpointSpec):
            body = self.endpoint(spec)
        else:  # pragma: no cover (every kind of the graph is above)
            raise TypeError(f"no Terraform resource for {resource.kind}")
        body["tags"] = self.tags(resource)
        if after:
            body["depends_on"] = after
        return body

    def peering(self, spec: VpcPeeringConnectionSpec) -> dict[str, Any]:
        """Both VPCs in the module: requested and accepted at once (auto_accept, same account and region). An
        external one is named by id, with its account and region where they differ; its owner accepts it."""
        if spec.peer_vpc in self.refs:
            return {"vpc_id": self.ref(spec.vpc), "peer_vpc_id": self.ref(spec.peer_vpc), "auto_accept": True}
        body: dict[str, Any] = {"vpc_id": self.ref(spec.vpc), "peer_vpc_id": spec.peer_vpc}
        if spec.peer_owner_id:
            body["peer_owner_id"] = spec.peer_owner_id
        if spec.peer_region:
            body["peer_region"] = spec.peer_region
        body["//"] = (f"{spec.peer_vpc} is outside this module: its owner accepts the request (in its own "
                      "configuration, aws_vpc_peering_connection_accepter); until then it carries no traffic")
        return body

    def endpoint(self, spec: VpcEndpointSpec) -> dict[str, Any]:
        body: dict[str, Any] = {"vpc_id": self.ref(spec.vpc), "service_name": spec.service_name,
                                "vpc_endpoint_type": spec.endpoint_type}
        if spec.endpoint_type == "Gateway":
            body["route_table_ids"] = [self.ref(t) for t in spec.route_tables]
        else:
            body["subnet_ids"] = [self.ref(s) for s in spec.subnets]
            if spec.security_groups:
                body["security_group_ids"] = [self.ref(g) if g in self.refs else g for g in spec.security_groups]
            body["private_dns_enabled"] = spec.private_dns
        if spec.policy:
            body["policy"] = policy_text(spec.policy)
        return body

    def rule(self, spec: SecurityGroupRuleSpec) -> dict[str, Any]:
        body: dict[str, Any] = {"security_group_id": self.ref(spec.security_group), "ip_protocol": spec.protocol}
        if spec.protocol != "-1":  # -1 takes no ports; ICMP's are its type and code
            body["from_port"], body["to_port"] = spec.from_port, spec.to_port
        if spec.peer_kind == "security_group" and spec.peer in self.refs:
            body["referenced_security_group_id"] = self.ref(spec.peer)
        elif spec.peer_kind == "security_group":
            body["referenced_security_group_id"] = spec.peer.rsplit("/", 1)[-1]
        elif spec.peer_kind == "prefix_list":
            body["prefix_list_id"] = spec.peer
        else:
            body["cidr_ipv4"] = "${var.my_ip}" if spec.peer == MY_IP_MARK else spec.peer
        if spec.description:
            body["description"] = spec.description
        return body

    def acl_parts(self, resource: Resource, spec: NetworkAclSpec, name: str) -> None:
        acl = self.ref(resource.address)
        for entry in spec.entries:
            direction = "egress" if entry.egress else "ingress"
            rule_name = self.names.new(ACL_RULE, f"{name}_{direction}_{entry.rule_number}")
            self.extra[acl_entry_address(resource.address, entry.egress, entry.rule_number)] = (ACL_RULE, rule_name)
            body: dict[str, Any] = {"network_acl_id": acl, "rule_number": entry.rule_number,
                                    "egress": entry.egress, "protocol": entry.protocol,
                                    "rule_action": entry.action, "cidr_block": entry.cidr}
            if entry.protocol == "1":
                body["icmp_type"], body["icmp_code"] = entry.from_port, entry.to_port
            elif entry.protocol != "-1":
                body["from_port"], body["to_port"] = entry.from_port, entry.to_port
            self.add(ACL_RULE, rule_name, body)
        for subnet in spec.subnets:
            subnet_name = self.refs[subnet][1]
            association = self.names.new(ACL_ASSOCIATION, f"{name}_{subnet_name}")
            self.extra[acl_association_address(resource.address, subnet)] = (ACL_ASSOCIATION, association)
            self.add(ACL_ASSOCIATION, association, {"network_acl_id": acl, "subnet_id": self.ref(subnet)})

    def image(self, image: str) -> str:
        if not image.startswith(SSM_PREFIX):
            return image
        path = image.removeprefix(SSM_PREFIX)
        if path not in self.images:
            self.images[path] = self.names.new("aws_ssm_parameter", terraform_name(path.rsplit("/", 1)[-1]))
        return f"${{data.aws_ssm_parameter.{self.images[path]}.value}}"

    def imports(self, live: Mapping[str, str], part_ids: Mapping[str, str]) -> tuple[list[dict[str, str]],
                                                                                     list[tuple[str, str]]]:
        found: list[dict[str, str]] = []
        missing: list[tuple[str, str]] = []
        for resource in self.items:
            kind, name = self.refs[resource.address]
            to = f"{kind}.{name}"
            aws_id, why = self.import_id(resource, live, part_ids)
            if aws_id:
                found.append({"to": to, "id": aws_id})
            else:
                missing.append((to, why))
            if isinstance(resource.spec, NetworkAclSpec):
                self.acl_imports(resource.address, resource.spec, part_ids, found, missing)
        return found, missing

    def acl_imports(self, where: str, spec: NetworkAclSpec, part_ids: Mapping[str, str],
                    found: list[dict[str, str]], missing: list[tuple[str, str]]) -> None:
        """A network ACL's entries (NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS, the protocol as the module gives
        it) and its associations (aclassoc-...), where the VPC has them."""
        for entry in spec.entries:
            kind, name = self.extra[acl_entry_address(where, entry.egress, entry.rule_number)]
            acl_id = part_ids.get(acl_entry_address(where, entry.egress, entry.rule_number), "")
            if acl_id:
                found.append({"to": f"{kind}.{name}",
                              "id": f"{acl_id}:{entry.rule_number}:{entry.protocol}:{str(entry.egress).lower()}"})
            else:
                missing.append((f"{kind}.{name}", "the network ACL has no entry of this number and direction: created"))
        for subnet in spec.subnets:
            kind, name = self.extra[acl_association_address(where, subnet)]
            association = part_ids.get(acl_association_address(where, subnet), "")
            if association:
                found.append({"to": f"{kind}.{name}", "id": association})
            else:
                missing.append((f"{kind}.{name}", "the subnet is with another network ACL: creating this moves it "
                                "(ReplaceNetworkAclAssociation)"))

    @staticmethod
    def import_id(resource: Resource, live: Mapping[str, str], part_ids: Mapping[str, str]) -> tuple[str, str]:
        """The provider's import id of a resource (website/docs/r/*.html.markdown), or '' and why there is none."""
        spec, where = resource.spec, resource.address
        if where not in live and where not in part_ids:
            return "", "not in the VPC: created"
        if isinstance(spec, RouteSpec):  # ROUTETABLEID_DESTINATION
            table = live.get(spec.route_table, "")
            return (f"{table}_{spec.destination}", "") if table else ("", "its route table is not in the VPC")
        if isinstance(spec, RouteTableAssociationSpec):  # subnet-xxx/rtb-yyy
            subnet, table = live.get(spec.subnet, ""), live.get(spec.route_table, "")
            return (f"{subnet}/{table}", "") if subnet and table else ("", "its subnet or table is not in the VPC")
        if isinstance(spec, SecurityGroupRuleSpec):  # the security group rule id, sgr-...
            aws_id = part_ids.get(where) or live.get(where, "")
            if aws_id.startswith("sgr-"):
                return aws_id, ""
            return "", "no sgr- id of this rule was read: created (the rule must not exist yet, or apply fails)"
        return live[where], ""


def policy_text(policy: str) -> str:
    """A JSON policy as a Terraform JSON-syntax string: compact JSON, with `${` and `%{` escaped (JSON syntax reads
    strings as templates, and IAM policy variables such as `${aws:username}` must reach AWS as written).

    >>> policy_text('{"Resource": "arn:aws:s3:::b/${aws:username}/*"}')
    '{"Resource":"arn:aws:s3:::b/$${aws:username}/*"}'
    """
    text = json.dumps(json.loads(policy), separators=(",", ":"), ensure_ascii=False)
    return text.replace("${", "$${").replace("%{", "%%{")


def acl_entry_address(acl: str, egress: bool, rule_number: int) -> str:
    """The address of one network ACL entry (vpcdraw keeps entries inside their ACL; Terraform does not).

    >>> acl_entry_address("vpc/main/network_acl/guard", False, 100)
    'vpc/main/network_acl/guard/ingress/100'
    """
    return f"{acl}/{'egress' if egress else 'ingress'}/{rule_number}"


def acl_association_address(acl: str, subnet: str) -> str:
    """The address of a network ACL's association with a subnet (given by address).

    >>> acl_association_address("vpc/main/network_acl/guard", "vpc/main/subnet/public-a")
    'vpc/main/network_acl/guard/association/public-a'
    """
    return f"{acl}/association/{subnet.rsplit('/', 1)[-1]}"


def module(topology: Topology, *, my_ip: str | None = None, live: Mapping[str, str] | None = None,
           part_ids: Mapping[str, str] | None = None, live_groups: Mapping[str, tuple[str, str]] | None = None,
           live_images: Mapping[str, str] | None = None) -> Module:
    """The Terraform module of a topology; with `live` (address -> AWS id), import blocks for what exists.

    `my_ip` is the default of the `my_ip` variable (a /32). `part_ids` holds, by address, what the live read
    does not keep: security group rules' sgr- ids, network ACL associations' aclassoc- ids, and for each ACL
    entry the VPC has (`acl_entry_address`) its ACL's id. `live_groups` gives the GroupName and description of
    adopted security groups, and `live_images` the AMI of adopted instances, which the module keeps (changing
    either replaces the resource).

    >>> from vpcdraw.topology.builder import TopologyBuilder
    >>> t = TopologyBuilder("demo", "ap-northeast-2")
    >>> _ = t.vpc("main", "10.0.0.0/16")
    >>> sorted(module(t.build()).main["resource"])
    ['aws_vpc']
    """
    builder = _Builder(topology, my_ip, live_groups, live_images)
    made = Module(builder.build())
    if live is not None:
        made.imports, made.not_imported = builder.imports(live, part_ids or {})
    return made


def addresses(topology: Topology) -> dict[str, str]:
    """The Terraform address (`aws_subnet.public_a`) of every resource of the topology, by vpcdraw address."""
    builder = _Builder(topology, None)
    return {where: f"{kind}.{name}" for where, (kind, name) in builder.refs.items()}

"""Writing a topology back out as a topology file that reads like a hand-written one (for `vpcdraw import`)."""

from __future__ import annotations

from .model import (
    ANYWHERE_CIDR,
    DEFAULT_IMAGE,
    Peer,
    Rule,
    SecurityGroup,
    Topology,
    TransitGateway,
    Vpc,
    VpcEndpoint,
    VpcPeeringConnection,
)


def to_python(topology: Topology, header: str = "") -> str:
    """Python source that builds `topology` with the builder API; loading it gives back an equal value."""
    external = ", external_vpc" if any(p.external for p in topology.peering_connections) else ""
    lines = [f'"""{header or "A topology written by vpcdraw."}"""', "",
             f"from vpcdraw import TopologyBuilder, anywhere, cidr{external}, my_ip, sg, subnet", "",
             f"t = TopologyBuilder({topology.name!r}, region={topology.region!r}"
             + (f", description={topology.description!r}" if topology.description else "") + ")"]
    for vpc in topology.vpcs:
        lines += ["", *_vpc(vpc)]
    links = [_peering(p) for p in topology.peering_connections] + [_gateway(g) for g in topology.transit_gateways]
    if links:
        lines += ["", *links]
    lines += ["", "topology = t.build()", ""]
    return "\n".join(lines)


def _args(*positional: object, **named: object) -> str:
    """Call arguments, leaving out named ones at their defaults (empty, False, None)."""
    parts = [repr(p) for p in positional]
    parts += [f"{k}={v!r}" for k, v in named.items() if v not in ("", False, None, (), [])]
    return ", ".join(parts)


def _vpc(vpc: Vpc) -> list[str]:
    out = [f"vpc = t.vpc({_args(vpc.name, vpc.cidr, label=vpc.label)})"]
    if vpc.lock_default_security_group:
        out.append("vpc.lock_default_security_group()")
    for s in vpc.subnets:
        named = _args(s.name, s.cidr, az=s.az, tier=s.tier, map_public_ip=s.map_public_ip, label=s.label)
        out.append(f"vpc.subnet({named})")
    if vpc.internet_gateway is not None:
        igw = vpc.internet_gateway
        attached = "" if igw.attached else ", attached=False"
        out.append(f"vpc.internet_gateway({_args(igw.name, label=igw.label)}{attached})")
    for nat in vpc.nat_gateways:
        out.append(f"vpc.nat_gateway({_args(nat.name, subnet=nat.subnet, label=nat.label)})")
    for table in vpc.route_tables:
        line = f"vpc.route_table({_args(table.name, subnets=list(table.subnets), label=table.label)})"
        for route in table.routes:
            target = "local=True" if route.target == "local" else f"{route.target}={route.gateway!r}"
            line += f".route({route.destination!r}, {target})"
        out.append(line)
    for group in vpc.security_groups:
        out += _group(group)
    for acl in vpc.network_acls:
        line = f"vpc.network_acl({_args(acl.name, subnets=list(acl.subnets), label=acl.label)})"
        for entry in acl.entries:
            method = "outbound" if entry.egress else "inbound"
            ports = Rule(entry.protocol, entry.from_port, entry.to_port, Peer("cidr", entry.cidr)).port_text
            action = "" if entry.action == "allow" else f", action={entry.action!r}"
            line += f".{method}({entry.rule_number}, {ports!r}, {entry.cidr!r}{action})"
        out.append(line)
    for i in vpc.instances:
        image = "" if i.image == DEFAULT_IMAGE else i.image
        instance_type = "" if i.instance_type == "t3.micro" else i.instance_type
        named = _args(i.name, subnet=i.subnet, security_groups=list(i.security_groups), role=i.role,
                      instance_type=instance_type, image=image, public_ip=i.public_ip, label=i.label)
        out.append(f"vpc.instance({named})")
    out += [_endpoint(e) for e in vpc.endpoints]
    return out


def _endpoint(endpoint: VpcEndpoint) -> str:
    if endpoint.endpoint_type == "gateway":
        named = _args(endpoint.name, endpoint.service, route_tables=list(endpoint.route_tables),
                      policy=endpoint.policy, label=endpoint.label)
        return f"vpc.gateway_endpoint({named})"
    named = _args(endpoint.name, endpoint.service, subnets=list(endpoint.subnets),
                  security_groups=list(endpoint.security_groups), private_dns=endpoint.private_dns,
                  policy=endpoint.policy, label=endpoint.label)
    return f"vpc.interface_endpoint({named})"


def _peering(peering: VpcPeeringConnection) -> str:
    named = _args(peering.name, requester=peering.requester, accepter=peering.accepter)
    other = peering.external
    if other is not None:
        where = _args(other.vpc_id, other.cidr, account=other.account, region=other.region)
        named += f", external=external_vpc({where})"
    return f"t.peering({named}{f', label={peering.label!r}' if peering.label else ''})"


def _gateway(gateway: TransitGateway) -> str:
    line = f"t.transit_gateway({_args(gateway.name, label=gateway.label)})"
    for attachment in gateway.attachments:
        line += f".attach({attachment.vpc!r}, subnets={list(attachment.subnets)!r})"
    return line


def _group(group: SecurityGroup) -> list[str]:
    named = _args(group.name, group.description, tier=group.tier, subnets=list(group.subnets), label=group.label)
    head = f"vpc.security_group({named})"
    calls = [f"    .ingress({_rule(r)})" for r in group.ingress]
    if group.egress is not None:
        calls += [f"    .egress({_rule(r)})" for r in group.egress] or ["    .no_egress()"]
    if not calls:
        return [head]
    return ["(", f"    {head}", *calls, ")"]


def _rule(rule: Rule) -> str:
    text = f"{rule.port_text!r}, {_peer(rule.peer)}"
    return text + (f", {rule.description!r}" if rule.description else "")


def _peer(peer: Peer) -> str:
    if peer.kind == "my_ip":
        return "my_ip"
    if peer.kind == "security_group":
        return f"sg({peer.value!r})"
    if peer.kind == "subnet":
        return f"subnet({peer.value!r})"
    return "anywhere" if peer.value == ANYWHERE_CIDR else f"cidr({peer.value!r})"

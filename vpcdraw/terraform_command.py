"""`vpcdraw export FILE --terraform -o network/`: the topology as a Terraform module, and with `--adopt` its imports."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.model import Topology

from .common import load_valid, resolve_my_ip

if TYPE_CHECKING:
    from vpcdraw.deploy.aws import Ec2


def export_terraform(args: argparse.Namespace) -> int:
    """Write `main.tf.json` (and `imports.tf.json` with --adopt) into the folder of -o, or the module to stdout."""
    from vpcdraw.deploy.terraform import module

    output = args.output
    if output is not None and output.exists() and not output.is_dir():
        raise VpcdrawError(f"{output} is a file: --terraform writes a module, so -o names a folder")
    topology = load_valid(args.file)
    my_ip = resolve_my_ip(args.my_ip)
    live: dict[str, str] | None = None
    part_ids: dict[str, str] = {}
    live_groups: dict[str, tuple[str, str]] = {}
    live_images: dict[str, str] = {}
    if args.adopt:
        from vpcdraw.deploy.workflow import connect

        from .handoff_commands import live_ids

        live = live_ids(args, topology).ids
        ec2 = connect(topology, use_local=args.local, region=args.region, profile=args.profile)
        part_ids = _rule_ids(ec2, args, topology, live) | _acl_part_ids(ec2, topology, live)
        live_groups = _live_groups(ec2, topology, live)
        live_images = _live_images(ec2, topology, live)
    made = module(topology, my_ip=my_ip, live=live, part_ids=part_ids, live_groups=live_groups,
                  live_images=live_images)
    files = made.files()
    if output is None:
        sys.stdout.write(_text({key: value for body in files.values() for key, value in body.items()}))
        return 0
    output.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (output / name).write_text(_text(body), encoding="utf-8")
    print(f"wrote {', '.join(str(output / name) for name in files)}", file=sys.stderr)
    if made.not_imported:
        from vpcdraw.topology.words import plural

        print(f"{plural(len(made.imports), 'import block')}; {plural(len(made.not_imported), 'resource')} created, "
              f"not imported (why: the \"//\" of {output / 'imports.tf.json'})", file=sys.stderr)
    return 0


def _text(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _rule_ids(ec2: Ec2, args: argparse.Namespace, topology: Topology, live: dict[str, str]) -> dict[str, str]:
    """The sgr- ids of the adopted groups' rules by address (the live read names rules by their group only),
    read with DescribeSecurityGroupRules and matched by the same natural key as the model's rules."""
    from vpcdraw.topology.admin_ip import fill
    from vpcdraw.topology.graph import resources, rule_key
    from vpcdraw.topology.specs import SecurityGroupRuleSpec

    wanted = resources(fill(topology, resolve_my_ip(args.my_ip)))
    unfilled = [r.address for r in resources(topology)]
    groups = {live[r.address]: r.address for r in wanted if r.kind == "security_group" and r.address in live}
    if not groups:
        return {}
    rules = ec2.paginate("DescribeSecurityGroupRules", "SecurityGroupRules",
                         Filters=[{"Name": "group-id", "Values": sorted(groups)}])
    by_key: dict[tuple[str, str, str], str] = {}
    for rule in rules:
        group = groups.get(rule["GroupId"])
        if group is None:
            continue
        protocol = str(rule.get("IpProtocol", "-1"))
        low, high = int(rule.get("FromPort", -1)), int(rule.get("ToPort", -1))
        if "ReferencedGroupInfo" in rule:
            peer_id = rule["ReferencedGroupInfo"].get("GroupId", "")
            spec = SecurityGroupRuleSpec(group, "egress" if rule.get("IsEgress") else "ingress", protocol, low, high,
                                         "security_group", groups.get(peer_id, peer_id), "")
        elif "CidrIpv4" in rule:
            spec = SecurityGroupRuleSpec(group, "egress" if rule.get("IsEgress") else "ingress", protocol, low, high,
                                         "cidr", rule["CidrIpv4"], "")
        else:
            continue
        by_key[(group, spec.direction, rule_key(spec))] = rule["SecurityGroupRuleId"]
    out: dict[str, str] = {}
    for resource, plain in zip(wanted, unfilled, strict=True):  # the same order: fill changes only my_ip peers
        have = resource.spec
        if isinstance(have, SecurityGroupRuleSpec):
            found = by_key.get((have.security_group, have.direction, rule_key(have)))
            if found:
                out[plain] = found
    return out


def _acl_part_ids(ec2: Ec2, topology: Topology, live: dict[str, str]) -> dict[str, str]:
    """For the adopted network ACLs: each entry the VPC has (its ACL's id, by entry address), and the aclassoc- id
    of each of the model's subnets associated with it."""
    from vpcdraw.deploy.terraform import acl_association_address, acl_entry_address
    from vpcdraw.topology.graph import resources
    from vpcdraw.topology.specs import NetworkAclSpec

    acls = {live[r.address]: (r.address, r.spec) for r in resources(topology)
            if isinstance(r.spec, NetworkAclSpec) and r.address in live}
    if not acls:
        return {}
    out: dict[str, str] = {}
    for found in ec2.paginate("DescribeNetworkAcls", "NetworkAcls", NetworkAclIds=sorted(acls)):
        where, spec = acls[found["NetworkAclId"]]
        for entry in found.get("Entries", []):
            out[acl_entry_address(where, bool(entry["Egress"]), int(entry["RuleNumber"]))] = found["NetworkAclId"]
        subnets = {live[s]: s for s in spec.subnets if s in live}
        for association in found.get("Associations", []):
            if association.get("SubnetId") in subnets:
                out[acl_association_address(where, subnets[association["SubnetId"]])] = (
                    association["NetworkAclAssociationId"])
    return out


def _live_groups(ec2: Ec2, topology: Topology, live: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The GroupName and description of each adopted security group, by address."""
    from vpcdraw.topology.graph import resources

    groups = {live[r.address]: r.address for r in resources(topology) if r.kind == "security_group"
              and r.address in live}
    if not groups:
        return {}
    found = ec2.paginate("DescribeSecurityGroups", "SecurityGroups", GroupIds=sorted(groups))
    return {groups[g["GroupId"]]: (str(g["GroupName"]), str(g.get("Description", ""))) for g in found
            if g["GroupId"] in groups}


def _live_images(ec2: Ec2, topology: Topology, live: dict[str, str]) -> dict[str, str]:
    """The AMI each adopted instance runs, by address."""
    from vpcdraw.topology.graph import resources

    instances = {live[r.address]: r.address for r in resources(topology) if r.kind == "instance" and r.address in live}
    if not instances:
        return {}
    found = ec2.paginate("DescribeInstances", "Reservations", InstanceIds=sorted(instances))
    return {instances[i["InstanceId"]]: str(i["ImageId"]) for reservation in found
            for i in reservation.get("Instances", []) if i["InstanceId"] in instances}

"""`vpcdraw export FILE --cloudformation`: the topology as a CloudFormation template, and with `--adopt` the import
file that lets a stack take over the live VPC."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vpcdraw.topology.errors import VpcdrawError

if TYPE_CHECKING:
    from vpcdraw.deploy.aws import Ec2
    from vpcdraw.topology.graph import Resource
    from vpcdraw.topology.model import Topology


def import_path(output: Path, suffix: str = ".json") -> Path:
    """The import file next to the template: `network.yaml` -> `network.import.json` (and the import change set's
    own template, `network.import.yaml`).

    >>> import_path(Path("out/network.yaml")).as_posix()
    'out/network.import.json'
    """
    return output.with_name(f"{output.stem}.import{suffix}")


def export_cloudformation(args: argparse.Namespace) -> int:
    """Write the template (to -o or stdout); with --adopt, retain what exists and write its import file."""
    from vpcdraw.deploy.cloudformation import template, to_yaml
    from vpcdraw.topology.admin_ip import fill
    from vpcdraw.topology.graph import resources

    from .common import load_valid, resolve_my_ip

    if args.adopt and args.output is None:
        raise VpcdrawError("--adopt needs -o FILE: the import file is written next to the template")
    topology = load_valid(args.file)
    my_ip = resolve_my_ip(args.my_ip)
    live: dict[str, str] = {}
    public_ips: dict[str, str] = {}
    if args.adopt:
        from vpcdraw.deploy.workflow import connect

        from .handoff_commands import live_ids

        live = live_ids(args, topology).ids
        ec2 = connect(topology, use_local=args.local, region=args.region, profile=args.profile)
        live |= _rule_ids(ec2, resources(fill(topology, my_ip) if my_ip else topology), live)
        public_ips = _public_ips(ec2, topology, live)
    made = template(topology, my_ip, live, public_ips)
    text = to_yaml(made.body)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.write_text(text, encoding="utf-8")
    written = made.body["Resources"]
    print(f"wrote {args.output} ({len(written) if isinstance(written, dict) else 0} resources)", file=sys.stderr)
    if args.adopt:
        where = import_path(args.output)
        where.write_text(json.dumps(made.imports, indent=2) + "\n", encoding="utf-8")
        body = import_path(args.output, args.output.suffix or ".yaml")
        body.write_text(to_yaml(made.import_body), encoding="utf-8")
        print(f"wrote {where} and {body}: {len(made.imports)} resources to import (an IMPORT change set creates "
              f"nothing: import with {body.name}, then update the stack with {args.output.name})", file=sys.stderr)
        for address in made.not_imported:
            print(f"vpcdraw: note: {address} exists but CloudFormation's import cannot take it over by this file; "
                  "it is retained, not imported", file=sys.stderr)
    return 0


def _rule_ids(ec2: Ec2, wanted: list[Resource], ids: dict[str, str]) -> dict[str, str]:
    """The `sgr-` id of each rule found: the live read names a rule by what it allows, but CloudFormation imports
    it by its rule id (DescribeSecurityGroupRules, one paginated call for all the groups)."""
    from vpcdraw.topology.graph import MY_IP_MARK
    from vpcdraw.topology.ports import protocol_name
    from vpcdraw.topology.specs import SecurityGroupRuleSpec

    rules = [(r.address, r.spec) for r in wanted
             if isinstance(r.spec, SecurityGroupRuleSpec) and r.address in ids and r.spec.security_group in ids]
    if not rules:
        return {}
    groups = sorted({ids[spec.security_group] for _, spec in rules})
    found = ec2.paginate("DescribeSecurityGroupRules", "SecurityGroupRules",
                         Filters=[{"Name": "group-id", "Values": groups}])

    def allows(item: dict[str, Any], spec: SecurityGroupRuleSpec) -> bool:
        if item.get("GroupId") != ids[spec.security_group] or bool(item.get("IsEgress")) != (
                spec.direction == "egress"):
            return False
        if protocol_name(item.get("IpProtocol")) != protocol_name(spec.protocol):
            return False
        if spec.protocol != "-1" and (item.get("FromPort"), item.get("ToPort")) != (spec.from_port, spec.to_port):
            return False
        if spec.peer_kind == "security_group":
            group = ids.get(spec.peer) or spec.peer.rpartition("/")[2]
            return bool(item.get("ReferencedGroupInfo", {}).get("GroupId") == group)
        if spec.peer_kind == "prefix_list":
            return bool(item.get("PrefixListId") == spec.peer)
        if spec.peer == MY_IP_MARK:
            return str(item.get("CidrIpv4", "")).endswith("/32")
        return spec.peer in (item.get("CidrIpv4"), item.get("CidrIpv6"))

    out: dict[str, str] = {}
    for where, spec in rules:
        match = next((str(item["SecurityGroupRuleId"]) for item in found if allows(item, spec)), None)
        if match:
            out[where] = match
    return out


def _public_ips(ec2: Ec2, topology: Topology, live: dict[str, str]) -> dict[str, str]:
    """The public address of each live Elastic IP, by address: CloudFormation imports one by it and its
    allocation id."""
    from vpcdraw.topology.graph import resources

    wanted = {live[r.address]: r.address for r in resources(topology) if r.kind == "elastic_ip" and r.address in live}
    if not wanted:
        return {}
    found = ec2.call("DescribeAddresses", AllocationIds=sorted(wanted)).get("Addresses", [])
    return {wanted[a["AllocationId"]]: str(a["PublicIp"]) for a in found if a.get("AllocationId") in wanted}

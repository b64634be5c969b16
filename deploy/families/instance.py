"""EC2 instances: one network interface in a subnet with its groups; terminated and waited for on delete.

The read also asks for the VPC's network interfaces: they say which subnets each group protects, and
show instances where DescribeInstances is denied (AmazonVPCReadOnlyAccess does not grant it).
"""

from __future__ import annotations

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import InstanceSpec

from ..context import Context, settled
from .base import Family, Read, by_vpc

LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class Instances(Family[InstanceSpec]):
    SPEC = InstanceSpec
    TAG_TYPE = "instance"
    REPLACED_BY = ("subnet", "instance_type", "image", "public_ip")
    READS = (
        Read("instances", "instance", "DescribeInstances", "Reservations", lambda vpc_ids: {"Filters": [
            *by_vpc(vpc_ids)["Filters"], {"Name": "instance-state-name", "Values": LIVE_STATES}]}),
        # What uses each group (instances, databases, load balancers), even where DescribeInstances is denied.
        Read("interfaces", "network_interface", "DescribeNetworkInterfaces", "NetworkInterfaces"),
    )

    def create(self, ctx: Context, resource: Resource, spec: InstanceSpec) -> str:
        image = spec.image
        if image.startswith("resolve:ssm:"):
            image = ctx.ec2.parameter(image.removeprefix("resolve:ssm:"))
        made = settled(lambda: ctx.ec2.call(
            "RunInstances", ImageId=image, InstanceType=spec.instance_type, MinCount=1, MaxCount=1,
            ClientToken=ctx.token(resource), TagSpecifications=ctx.tags(self.TAG_TYPE, resource),
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": ctx.id(spec.subnet),
                                "Groups": [ctx.id(g) for g in spec.security_groups],
                                "AssociatePublicIpAddress": spec.public_ip}]))
        instance = str(made["Instances"][0]["InstanceId"])
        _wait(ctx, instance, "running")
        return instance

    def update(self, ctx: Context, resource: Resource, spec: InstanceSpec, before: InstanceSpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        if "security_groups" in changed:
            ctx.ec2.call("ModifyInstanceAttribute", InstanceId=ctx.id(resource.address),
                         Groups=[ctx.id(g) for g in spec.security_groups])

    def delete(self, ctx: Context, aws_id: str, spec: InstanceSpec) -> None:
        ctx.ec2.call("TerminateInstances", InstanceIds=[aws_id])
        _wait(ctx, aws_id, "terminated")


def _wait(ctx: Context, instance: str, state: str, budget: float = 600.0) -> None:
    """Wait until the instance is `running` or `terminated` (gone from DescribeInstances counts as terminated)."""
    gone = "InvalidInstanceID.NotFound" if state == "terminated" else ""
    last = ctx.wait(f"instance_{state}", f"instance {instance}", state, budget, gone=gone, InstanceIds=[instance])
    if last is None:
        return
    states = [i["State"]["Name"] for r in last.get("Reservations", []) for i in r.get("Instances", [])]
    current = states[0] if states else last.get("Error", {}).get("Code", "unknown")
    reason = next((i.get("StateReason", {}).get("Message") for r in last.get("Reservations", [])
                   for i in r.get("Instances", []) if i.get("StateReason")), None)
    raise VpcdrawError(f"instance {instance} is {current}, not {state}, after {budget:.0f} s"
                       + (f" ({reason})" if reason else ""))

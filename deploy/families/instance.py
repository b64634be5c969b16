"""EC2 instances: one network interface in a subnet with its groups; terminated and waited for on delete.

The read also asks for the VPC's network interfaces: they say which subnets each group protects, and
show instances where DescribeInstances is denied (AmazonVPCReadOnlyAccess does not grant it).
"""

from __future__ import annotations

import time

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
        return str(made["Instances"][0]["InstanceId"])

    def update(self, ctx: Context, resource: Resource, spec: InstanceSpec, before: InstanceSpec,
               changed: tuple[str, ...]) -> None:
        super().update(ctx, resource, spec, before, changed)
        if "security_groups" in changed:
            ctx.ec2.call("ModifyInstanceAttribute", InstanceId=ctx.id(resource.address),
                         Groups=[ctx.id(g) for g in spec.security_groups])

    def delete(self, ctx: Context, aws_id: str, spec: InstanceSpec) -> None:
        ctx.ec2.call("TerminateInstances", InstanceIds=[aws_id])
        _wait_gone(ctx, aws_id)


def _wait_gone(ctx: Context, instance: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reservations = ctx.ec2.call("DescribeInstances", InstanceIds=[instance])["Reservations"]
        states = [i["State"]["Name"] for r in reservations for i in r["Instances"]]
        if not states or states[0] == "terminated":
            return
        time.sleep(ctx.poll)
    raise VpcdrawError(f"instance {instance} is still shutting down after {timeout:.0f} s")

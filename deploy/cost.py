"""Approximate hourly prices of what costs money while it exists: NAT gateways, Elastic IPs, instances, transit
gateway attachments and interface endpoints (one per subnet). Peerings and gateway endpoints cost nothing while
idle: their traffic is billed, which no table here can know.

A small table (USD, on-demand, Linux), labelled approximate wherever it is shown; not a bill.
"""

from __future__ import annotations

from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import InstanceSpec, VpcEndpointSpec

NAT_GATEWAY = {"us-east-1": 0.045, "us-west-2": 0.045, "eu-west-1": 0.048, "ap-northeast-1": 0.062,
               "ap-northeast-2": 0.059}
PUBLIC_IPV4 = 0.005  # every public IPv4 address, in use or not, since February 2024
INSTANCE = {"t3.micro": {"us-east-1": 0.0104, "us-west-2": 0.0104, "eu-west-1": 0.0114, "ap-northeast-1": 0.0136,
                         "ap-northeast-2": 0.013},
            "t3.small": {"us-east-1": 0.0208, "ap-northeast-2": 0.026}}
TRANSIT_GATEWAY_ATTACHMENT = {"us-east-1": 0.05, "us-west-2": 0.05, "eu-west-1": 0.05, "ap-northeast-1": 0.07,
                              "ap-northeast-2": 0.07}
INTERFACE_ENDPOINT_PER_AZ = {"us-east-1": 0.01, "us-west-2": 0.01, "eu-west-1": 0.011, "ap-northeast-1": 0.014,
                             "ap-northeast-2": 0.013}
FALLBACK = {"nat_gateway": 0.06, "instance": 0.02, "transit_gateway_vpc_attachment": 0.07, "vpc_endpoint": 0.014}


def hourly(resource: Resource, region: str) -> float:
    """The approximate hourly price of a resource in a region; 0 for what is free."""
    if resource.kind == "nat_gateway":
        return NAT_GATEWAY.get(region, FALLBACK["nat_gateway"])
    if resource.kind == "elastic_ip":
        return PUBLIC_IPV4
    if isinstance(resource.spec, InstanceSpec):
        price = INSTANCE.get(resource.spec.instance_type, {}).get(region, FALLBACK["instance"])
        return price + (PUBLIC_IPV4 if resource.spec.public_ip else 0.0)
    if resource.kind == "transit_gateway_vpc_attachment":
        return TRANSIT_GATEWAY_ATTACHMENT.get(region, FALLBACK[resource.kind])
    if isinstance(resource.spec, VpcEndpointSpec) and resource.spec.endpoint_type == "Interface":
        return INTERFACE_ENDPOINT_PER_AZ.get(region, FALLBACK["vpc_endpoint"]) * len(resource.spec.subnets)
    return 0.0


def total(resources: list[Resource], region: str) -> float:
    """The approximate hourly price of all of them."""
    return sum(hourly(r, region) for r in resources)

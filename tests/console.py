"""The course assignment as a student clicks it together in the console: plain boto3 calls, Korean Name tags.

No vpcdraw tags anywhere. GroupNames are ASCII, as the console requires; their Name tags are Korean. The
private subnets stay on the VPC's main route table, as many students leave them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REGION = "ap-northeast-2"
SUBNETS = {  # Name tag: (CIDR, zone letter, tier); the CIDRs of `vpcdraw example assignment`
    "외부망 A": ("172.16.0.0/24", "a", "public"),
    "외부망 C": ("172.16.1.0/24", "c", "public"),
    "내부망 A": ("172.16.2.0/24", "a", "private"),
    "내부망 C": ("172.16.3.0/24", "c", "private"),
    "관리망": ("172.16.4.0/24", "a", "management"),
}
GROUPS = {"web-sg": "외부망 보안그룹", "db-sg": "내부망 보안그룹", "bastion-sg": "관리망 보안그룹"}
ADMIN_IP = "198.51.100.77"


@dataclass
class ConsoleVpc:
    """What the student built: the ids by Name tag or GroupName, as a reviewer would look them up."""

    vpc: str
    subnets: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    internet_gateway: str = ""
    public_table: str = ""


def _name(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def build_console_assignment(ec2: Any, *, instances: bool = False, open_bastion_ssh: bool = False,
                             private_table: bool = False) -> ConsoleVpc:
    """Build it. `open_bastion_ssh` adds tcp/22 from 0.0.0.0/0 on the bastion's group (the classic mistake);
    `private_table` gives the private subnets a route table of their own instead of the main one."""
    vpc_id = ec2.create_vpc(CidrBlock="172.16.0.0/16", TagSpecifications=_name("vpc", "과제 VPC"))["Vpc"]["VpcId"]
    built = ConsoleVpc(vpc_id)
    for name, (block, zone, _) in SUBNETS.items():
        built.subnets[name] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=block, AvailabilityZone=REGION + zone,
                                                TagSpecifications=_name("subnet", name))["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway(TagSpecifications=_name("internet-gateway", "인터넷 게이트웨이"))
    built.internet_gateway = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=built.internet_gateway, VpcId=vpc_id)
    table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_name("route-table", "외부망 라우팅"))
    built.public_table = table["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=built.public_table, DestinationCidrBlock="0.0.0.0/0",
                     GatewayId=built.internet_gateway)
    for name in ("외부망 A", "외부망 C", "관리망"):
        ec2.associate_route_table(RouteTableId=built.public_table, SubnetId=built.subnets[name])
    if private_table:
        private = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_name("route-table", "내부망 라우팅"))
        for name in ("내부망 A", "내부망 C"):
            ec2.associate_route_table(RouteTableId=private["RouteTable"]["RouteTableId"],
                                      SubnetId=built.subnets[name])
    for group, label in GROUPS.items():
        built.groups[group] = ec2.create_security_group(
            GroupName=group, Description=f"{group} made in the console", VpcId=vpc_id,
            TagSpecifications=_name("security-group", label))["GroupId"]

    def allow(group: str, port: int, *, block: str = "", source: str = "") -> None:
        peer = {"IpRanges": [{"CidrIp": block}]} if block else {"UserIdGroupPairs": [{"GroupId": built.groups[source]}]}
        ec2.authorize_security_group_ingress(GroupId=built.groups[group], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **peer}])

    allow("web-sg", 8080, block="0.0.0.0/0")
    allow("web-sg", 22, source="bastion-sg")
    allow("db-sg", 3306, source="web-sg")
    allow("db-sg", 22, source="bastion-sg")
    allow("bastion-sg", 22, block=f"{ADMIN_IP}/32")
    if open_bastion_ssh:
        allow("bastion-sg", 22, block="0.0.0.0/0")
    if instances:
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for name, subnet, group in (("웹서버 A", "외부망 A", "web-sg"), ("웹서버 C", "외부망 C", "web-sg"),
                                    ("DB 서버", "내부망 A", "db-sg"), ("배스천", "관리망", "bastion-sg")):
            public = SUBNETS[subnet][2] != "private"  # "Auto-assign public IP: Enable", as the course says
            made = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                     NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": built.subnets[subnet],
                                                         "Groups": [built.groups[group]],
                                                         "AssociatePublicIpAddress": public}],
                                     TagSpecifications=_name("instance", name))
            built.instances[name] = made["Instances"][0]["InstanceId"]
    return built

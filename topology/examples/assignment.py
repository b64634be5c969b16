"""The week-1 assignment of the AWS course (AWS를 이용하여 서비스 구성하기, 1주차 과제).

- VPC: a B-class /16.
- Subnets: two public (외부망) and two private (내부망) /24s, each pair in different AZs; one management (관리망) /24.
- An internet gateway, and route tables.
- Security groups: public takes 8080 from anywhere and 22 from management; private takes 3306 from
  public and 22 from management; management (the bastion) takes 22 only from the admin's own IP.

Draw it:   vpcdraw render assignment.py -o assignment.png --my-ip 203.0.113.10
"""

from vpcdraw import TopologyBuilder, anywhere, my_ip, sg

t = TopologyBuilder("assignment", region="ap-northeast-2", description="과제 VPC 토폴로지")
vpc = t.vpc("main", "172.16.0.0/16")

vpc.subnet("public-a", "172.16.0.0/24", az="a", tier="public", label="외부망")
vpc.subnet("public-c", "172.16.1.0/24", az="c", tier="public", label="외부망")
vpc.subnet("private-a", "172.16.2.0/24", az="a", tier="private", label="내부망")
vpc.subnet("private-c", "172.16.3.0/24", az="c", tier="private", label="내부망")
vpc.subnet("management", "172.16.4.0/24", az="a", tier="management", label="관리망")

vpc.internet_gateway("igw")

vpc.route_table("public", subnets=["public-a", "public-c", "management"]).route("0.0.0.0/0", internet_gateway="igw")
vpc.route_table("private", subnets=["private-a", "private-c"])  # the local route only

(
    vpc.security_group("public", "Public tier: 8080 from anywhere, 22 from management", tier="public", label="외부망")
    .ingress("tcp/8080", anywhere, "web traffic from anywhere")
    .ingress("tcp/22", sg("management"), "SSH from the bastion")
)
(
    vpc.security_group("private", "Private tier: 3306 from public, 22 from management", tier="private", label="내부망")
    .ingress("tcp/3306", sg("public"), "MySQL from the public tier")
    .ingress("tcp/22", sg("management"), "SSH from the bastion")
)
(
    vpc.security_group("management", "Bastion: 22 from the admin IP only", tier="management", label="관리망")
    .ingress("tcp/22", my_ip, "SSH from the admin IP")
)

topology = t.build()

"""The assignment's network as a running service: a NAT gateway and bastion, web and db hosts.

The private subnets reach the internet (for updates) through the NAT gateway in public-a; hosts run
Amazon Linux (found through AWS's public SSM parameter at apply time) on t3.micro.

Draw it:   vpcdraw render service.py -o service.png --my-ip 203.0.113.10
"""

from vpcdraw import TopologyBuilder, anywhere, my_ip, sg

t = TopologyBuilder("service", region="ap-northeast-2", description="서비스 구성도")
vpc = t.vpc("main", "172.16.0.0/16")

vpc.subnet("public-a", "172.16.0.0/24", az="a", tier="public", label="외부망")
vpc.subnet("public-c", "172.16.1.0/24", az="c", tier="public", label="외부망")
vpc.subnet("private-a", "172.16.2.0/24", az="a", tier="private", label="내부망")
vpc.subnet("private-c", "172.16.3.0/24", az="c", tier="private", label="내부망")
vpc.subnet("management", "172.16.4.0/24", az="a", tier="management", label="관리망")

vpc.internet_gateway("igw")
vpc.nat_gateway("nat-a", subnet="public-a")

vpc.route_table("public", subnets=["public-a", "public-c", "management"]).route("0.0.0.0/0", internet_gateway="igw")
vpc.route_table("private", subnets=["private-a", "private-c"]).route("0.0.0.0/0", nat_gateway="nat-a")

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

vpc.instance("web-a", subnet="public-a", security_groups=["public"], role="web", public_ip=True)
vpc.instance("web-c", subnet="public-c", security_groups=["public"], role="web", public_ip=True)
vpc.instance("db-a", subnet="private-a", security_groups=["private"], role="db")
vpc.instance("db-c", subnet="private-c", security_groups=["private"], role="db")
vpc.instance("bastion", subnet="management", security_groups=["management"], role="bastion", public_ip=True)

topology = t.build()

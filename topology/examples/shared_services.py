"""Two VPCs peered: shared services (a directory and build tools) and the application, whose private subnets
reach S3 through a gateway endpoint instead of a NAT gateway.

The shape of AWS's VPC peering scenario "two VPCs that access shared services" and of the Quick Start VPC's
S3 endpoint. Each side routes the other's CIDR to the peering; AWS never routes on through a third VPC.

Draw it:   vpcdraw render shared-services.py -o shared-services.png
Ask it:    vpcdraw reach shared-services.py app/private-a s3 443
"""

from vpcdraw import TopologyBuilder, anywhere, cidr, sg

t = TopologyBuilder("shared-services", region="ap-northeast-2", description="공유 서비스 VPC와 애플리케이션 VPC")

shared = t.vpc("shared", "10.0.0.0/16", label="공유 서비스")
shared.subnet("private-a", "10.0.1.0/24", az="a", tier="private", label="내부망 A")
shared.subnet("private-c", "10.0.2.0/24", az="c", tier="private", label="내부망 C")
shared.route_table("private", subnets=["private-a", "private-c"]).route(
    "10.1.0.0/16", vpc_peering_connection="app-shared")
(
    shared.security_group("tools", "Directory and build tools: LDAP and HTTPS from the application VPC",
                          tier="private")
    .ingress("tcp/389", cidr("10.1.0.0/16"), "LDAP from the application VPC")
    .ingress("tcp/443", cidr("10.1.0.0/16"), "HTTPS from the application VPC")
)
shared.instance("tools", subnet="private-a", security_groups=["tools"], role="app")

app = t.vpc("app", "10.1.0.0/16", label="애플리케이션")
app.subnet("public-a", "10.1.0.0/24", az="a", tier="public", label="외부망 A")
app.subnet("public-c", "10.1.1.0/24", az="c", tier="public", label="외부망 C")
app.subnet("private-a", "10.1.2.0/24", az="a", tier="private", label="내부망 A")
app.subnet("private-c", "10.1.3.0/24", az="c", tier="private", label="내부망 C")
app.internet_gateway("igw")
(
    app.route_table("public", subnets=["public-a", "public-c"])
    .route("0.0.0.0/0", internet_gateway="igw")
    .route("10.0.0.0/16", vpc_peering_connection="app-shared")
)
app.route_table("private", subnets=["private-a", "private-c"]).route(
    "10.0.0.0/16", vpc_peering_connection="app-shared")
app.gateway_endpoint("s3", "s3", route_tables=["private"])
(
    app.security_group("web", "Web tier: 8080 from anywhere", tier="public")
    .ingress("tcp/8080", anywhere, "web traffic from anywhere")
)
(
    app.security_group("worker", "Workers: 8080 from the web tier", tier="private")
    .ingress("tcp/8080", sg("web"), "jobs from the web tier")
)
app.instance("web-a", subnet="public-a", security_groups=["web"], role="web", public_ip=True)
app.instance("worker-a", subnet="private-a", security_groups=["worker"], role="app")

t.peering("app-shared", requester="app", accepter="shared", label="앱-공유 피어링")

topology = t.build()

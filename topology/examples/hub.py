"""Three VPCs on one transit gateway: web, api and data, as in AWS's transit gateway getting-started tutorial.

Each VPC attaches through one private subnet per AZ and routes 10.0.0.0/8 to the transit gateway; the transit
gateway's default route table learns every attached VPC's CIDR. Routing joins them all; the security groups
decide who talks to whom: web calls api on 8080, api calls data on 5432, and web never reaches data.

Draw it:   vpcdraw render hub.py -o hub.png
Ask it:    vpcdraw reach hub.py web/web-a data/db-a 5432
"""

from vpcdraw import TopologyBuilder, anywhere, cidr

t = TopologyBuilder("hub", region="ap-northeast-2", description="트랜짓 게이트웨이 허브")

web = t.vpc("web", "10.10.0.0/16", label="웹")
web.subnet("public-a", "10.10.0.0/24", az="a", tier="public", label="외부망 A")
web.subnet("public-c", "10.10.1.0/24", az="c", tier="public", label="외부망 C")
web.subnet("private-a", "10.10.2.0/24", az="a", tier="private", label="내부망 A")
web.subnet("private-c", "10.10.3.0/24", az="c", tier="private", label="내부망 C")
web.internet_gateway("igw")
(
    web.route_table("public", subnets=["public-a", "public-c"])
    .route("0.0.0.0/0", internet_gateway="igw")
    .route("10.0.0.0/8", transit_gateway="hub")
)
web.route_table("private", subnets=["private-a", "private-c"]).route("10.0.0.0/8", transit_gateway="hub")
web.security_group("web", "Web tier: 443 from anywhere", tier="public").ingress(
    "tcp/443", anywhere, "HTTPS from anywhere")
web.instance("web-a", subnet="public-a", security_groups=["web"], role="web", public_ip=True)

api = t.vpc("api", "10.20.0.0/16", label="API")
api.subnet("private-a", "10.20.0.0/24", az="a", tier="private", label="내부망 A")
api.subnet("private-c", "10.20.1.0/24", az="c", tier="private", label="내부망 C")
api.route_table("private", subnets=["private-a", "private-c"]).route("10.0.0.0/8", transit_gateway="hub")
api.security_group("api", "API: 8080 from the web VPC", tier="private").ingress(
    "tcp/8080", cidr("10.10.0.0/16"), "calls from the web VPC")
api.instance("api-a", subnet="private-a", security_groups=["api"], role="app")

data = t.vpc("data", "10.30.0.0/16", label="데이터")
data.subnet("private-a", "10.30.0.0/24", az="a", tier="private", label="내부망 A")
data.subnet("private-c", "10.30.1.0/24", az="c", tier="private", label="내부망 C")
data.route_table("private", subnets=["private-a", "private-c"]).route("10.0.0.0/8", transit_gateway="hub")
data.security_group("db", "Database: 5432 from the api VPC", tier="private").ingress(
    "tcp/5432", cidr("10.20.0.0/16"), "PostgreSQL from the api VPC")
data.instance("db-a", subnet="private-a", security_groups=["db"], role="db")

(
    t.transit_gateway("hub", label="허브")
    .attach("web", subnets=["private-a", "private-c"])
    .attach("api", subnets=["private-a", "private-c"])
    .attach("data", subnets=["private-a", "private-c"])
)

topology = t.build()

"""The pure layout: what goes in which box, row and column, and which edges the rules draw."""

from __future__ import annotations

from render.layout import INTERNET, MY_IP, Cluster, layout


def _clusters(clusters):
    for cluster in clusters:
        yield cluster
        yield from _clusters(cluster.clusters)


def _edges(drawing):
    return {(e.source, e.target, "\n".join(e.labels), e.style) for e in drawing.edges}


def test_zones_are_columns_in_zone_order_and_tiers_are_rows(assignment):
    drawing = layout(assignment)
    (region,) = drawing.root
    (vpc,) = region.clusters
    assert [c.label for c in vpc.clusters] == ["Availability Zone ap-northeast-2a", "Availability Zone ap-northeast-2c"]
    zone_a, zone_c = vpc.clusters
    assert [c.id for c in zone_a.clusters] == [
        "vpc/main/subnet/public-a", "vpc/main/subnet/private-a", "vpc/main/subnet/management"]
    # zone c has no management subnet: an invisible stand-in keeps the rows aligned
    assert [c.style for c in zone_c.clusters] == ["public_subnet", "private_subnet", "placeholder"]
    hosts = "vpc/main/subnet/{}/hosts".format
    table = "vpc/main/subnet/{}/route_table".format
    assert drawing.rows[0] == [table("public-a"), hosts("public-a"), table("public-c"), hosts("public-c")]
    assert drawing.rows[1] == [table("private-a"), hosts("private-a"), table("private-c"), hosts("private-c")]
    spacer = "vpc/main/az/ap-northeast-2c/management/spacer"
    assert drawing.rows[2] == [table("management"), hosts("management"), spacer]
    assert drawing.columns == [
        [table("public-a"), table("private-a"), table("management")],
        [table("public-c"), table("private-c"), spacer],
    ]


def test_nodes_with_edges_inside_their_row_leave_the_row(small):
    from topology import sg

    t, vpc = small()
    vpc.subnet("public-b", "10.0.2.0/24", az="b", tier="public")
    vpc._route_tables[0].subnets += ("public-b",)
    vpc._security_groups[0].ingress("tcp/9000", sg("web"))
    vpc.instance("web-1", subnet="public-a", security_groups=["web"])
    vpc.instance("web-2", subnet="public-b", security_groups=["web"])
    vpc.security_group("peer", "peer", subnets=["public-b"]).ingress("tcp/7000", sg("web"))
    vpc.instance("web-3", subnet="public-b", security_groups=["peer"])
    drawing = layout(t.build())
    public_row = drawing.rows[0]
    assert "vpc/main/instance/web-3" not in public_row  # web-1 -> web-3 stays in the public row
    assert "vpc/main/subnet/public-a/route_table" in public_row


def test_assignment_edges_are_the_security_group_rules(assignment):
    h = "vpc/main/subnet/{}/hosts".format
    igw = "vpc/main/internet_gateway/igw"
    assert _edges(layout(assignment)) == {
        (INTERNET, igw, "tcp/8080", "internet"),
        (igw, h("public-a"), "tcp/8080", "internet"),
        (igw, h("public-c"), "tcp/8080", "internet"),
        (h("management"), h("public-a"), "tcp/22", "ssh"),
        (h("management"), h("public-c"), "tcp/22", "ssh"),
        (h("public-a"), h("private-a"), "tcp/3306", "tier"),
        (h("public-a"), h("private-c"), "tcp/3306", "tier"),
        (h("public-c"), h("private-a"), "tcp/3306", "tier"),
        (h("public-c"), h("private-c"), "tcp/3306", "tier"),
        (h("management"), h("private-a"), "tcp/22", "ssh"),
        (h("management"), h("private-c"), "tcp/22", "ssh"),
        (MY_IP, h("management"), "tcp/22", "admin"),
    }


def test_with_hosts_edges_join_hosts(service):
    edges = _edges(layout(service))
    i = "vpc/main/instance/{}".format
    assert (i("web-a"), i("db-c"), "tcp/3306", "tier") in edges
    assert (i("bastion"), i("db-a"), "tcp/22", "ssh") in edges
    assert not any("/hosts" in e[0] or "/hosts" in e[1] for e in edges)


def test_subnets_show_their_route_table_and_zone_and_the_internet_sits_outside(service):
    drawing = layout(service)
    labels = {n.id: n.label for n in drawing.nodes()}
    assert labels["vpc/main/subnet/private-a/route_table"] == "route table private\n0.0.0.0/0 to nat-a"
    assert labels["vpc/main/subnet/public-c/route_table"] == "route table public\n0.0.0.0/0 to igw"
    assert [n.id for n in drawing.top] == [INTERNET]
    (vpc,) = drawing.root[0].clusters
    assert "vpc/main/internet_gateway/igw" in [n.id for n in vpc.nodes]
    nat_box = next(c for c in _clusters(drawing.root) if c.id == "vpc/main/subnet/public-a")
    assert "vpc/main/nat_gateway/nat-a" in [n.id for n in nat_box.nodes]
    public = {c.id: c.style for c in _clusters(drawing.root)}
    assert public["vpc/main/subnet/management"] == "public_subnet"  # it routes to the IGW
    assert public["vpc/main/subnet/private-c"] == "private_subnet"


def test_my_ip_label_shows_the_address_only_when_known(assignment):
    assert [n.label for n in layout(assignment).bottom] == ["admin (my IP)"]
    assert [n.label for n in layout(assignment, "203.0.113.10/32").bottom] == ["admin (my IP)\n203.0.113.10/32"]


def test_cluster_and_node_ids_are_unique(service):
    drawing = layout(service)
    ids = [c.id for c in _clusters(drawing.root)] + [n.id for n in drawing.nodes()]
    assert len(ids) == len(set(ids))
    assert all(isinstance(c, Cluster) for c in _clusters(drawing.root))

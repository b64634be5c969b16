"""The pure layout: what goes in which box, row and column, and which edges the rules draw."""

from __future__ import annotations

from collections import Counter

import pytest

from vpcdraw.render.layout import INTERNET, MY_IP, Cluster, layout


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
    from vpcdraw.topology import sg

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


def _subnet_boxes(drawing):
    return [c for c in _clusters(drawing.root) if c.style in ("public_subnet", "private_subnet")]


def test_a_large_vpc_is_drawn_one_box_per_tier_and_zone_with_counts():
    from bench.synthetic import account

    topology = account(200)
    drawing = layout(topology, "203.0.113.10/32")
    boxes = _subnet_boxes(drawing)
    assert len(boxes) == 9  # three tiers in three zones
    counted = sum(int(box.label.split(" ", 1)[0]) for box in boxes)
    assert counted == 200
    assert "200 subnets, one box per tier and AZ (--expand draws each)" in drawing.root[0].clusters[0].label
    ids = {n.id for n in drawing.nodes()}
    for edge in drawing.edges:
        assert {edge.source, edge.target} <= ids  # every rule lands on a drawn node
        assert len(edge.labels) <= 4
    # the web group's 8080 from the internet reaches the public box of every zone through the IGW
    igw = "vpc/vpc0/internet_gateway/igw"
    public = {e.target for e in drawing.edges if e.source == igw and "tcp/8080" in e.labels}
    assert public == {f"vpc/vpc0/az/ap-northeast-2{z}/public/hosts" for z in "abc"}


def test_grouping_follows_the_flag_not_only_the_size(assignment):
    from bench.synthetic import account

    assert len(_subnet_boxes(layout(assignment))) == 5
    collapsed = _subnet_boxes(layout(assignment, detail="tiers"))
    assert sorted(b.label.split("\n")[0] for b in collapsed) == [
        "1 management subnet", "1 private subnet", "1 private subnet", "1 public subnet", "1 public subnet"]
    assert len(_subnet_boxes(layout(account(60), detail="subnets"))) == 60


def test_a_grouped_box_names_its_drifted_subnets():
    from bench.synthetic import account
    from vpcdraw.render.layout import Overlay

    topology = account(200)
    drifted = "vpc/vpc0/subnet/public-a0"
    drawing = layout(topology, overlay=Overlay(changed={drifted: "az should be a, is b"}))
    (box,) = [b for b in _subnet_boxes(drawing) if b.status]
    assert box.status == "changed"
    assert box.label.startswith("CHANGED (az should be a, is b) public-a0\n")
    # one missing subnet of many: the box is there, part of it differs; all of them missing: the box is missing
    vpc = topology.vpcs[0]
    cell = sorted(f"vpc/vpc0/subnet/{s.name}" for s in vpc.subnets if s.tier == "management" and s.az == "a")
    (box,) = [b for b in _subnet_boxes(layout(topology, overlay=Overlay(missing=frozenset(cell[:1])))) if b.status]
    assert (box.status, box.label.split("\n")[0]) == ("changed", f"MISSING {cell[0].rsplit('/', 1)[-1]}")
    missing = [b for b in _subnet_boxes(layout(topology, overlay=Overlay(missing=frozenset(cell)))) if b.status]
    assert [b.status for b in missing] == ["missing"]


def test_several_vpcs_are_stacked_in_a_grid():
    from bench.synthetic import account

    drawing = layout(account(1000, vpcs=5))
    stacking = [c for c in drawing.columns if len(c) == 2 and c[0].split("/")[1] != c[1].split("/")[1]]
    # three VPCs across, the other two below the first two: VPC i's bottom above VPC i+3's top
    assert [(a.split("/")[1], b.split("/")[1]) for a, b in stacking] == [("vpc0", "vpc3"), ("vpc1", "vpc4")]


def test_a_grouped_drawing_marks_drifted_route_tables_associations_and_groups():
    from bench.synthetic import account
    from vpcdraw.render.layout import Overlay

    topology = account(60)
    subnet = next(s.name for s in topology.vpcs[0].subnets if s.tier == "private" and s.az == "a")
    overlay = Overlay(missing=frozenset({"vpc/vpc0/route_table/private-b", "vpc/vpc0/security_group/bastion"}),
                      changed={f"vpc/vpc0/route_table/private-a/association/{subnet}": "route table should be x"})
    marked = {n.label.split("\n")[0]: n.status for n in layout(topology, overlay=overlay).nodes() if n.status}
    assert marked == {
        "MISSING route table private-b": "changed",
        f"CHANGED (route table should be x) {subnet} uses private-a": "changed",
        "MISSING SG bastion": "changed",
    }


@pytest.mark.parametrize(("label", "shown"), [("", "VPC main 10.0.0.0/16"), ("과제", "VPC 과제 main 10.0.0.0/16"),
                                              ("과제 VPC", "과제 VPC main 10.0.0.0/16"),
                                              ("VPC Public and Private", "VPC Public and Private main 10.0.0.0/16")])
def test_the_vpc_box_says_vpc_once(small, label, shown):
    t, vpc = small()
    vpc.label = label
    assert layout(t.build()).root[0].clusters[0].label.startswith(shown)


def test_many_subnets_of_a_tier_wrap_onto_rows_of_at_most_three_in_each_zone():
    from bench.synthetic import account
    from vpcdraw.render.layout import PER_ROW

    drawing = layout(account(39), "203.0.113.10/32", detail="subnets")
    tables = [[n for n in row if n.endswith("/route_table")] for row in drawing.rows]
    zone_of = {f"vpc/vpc0/subnet/{s.name}/route_table": s.az for s in account(39).vpcs[0].subnets}
    for row in tables:  # one route table per subnet box: a row holds at most three boxes of each zone
        assert max(Counter(zone_of[t] for t in row).values()) <= PER_ROW == 3
    assert sorted(t for row in tables for t in row) == sorted(zone_of)  # every subnet is in a row
    per_tier = Counter((s.az, s.tier) for s in account(39).vpcs[0].subnets)
    rows = {tier: max(-(-n // PER_ROW) for (_, t), n in per_tier.items() if t == tier) for _, tier in per_tier}
    assert len(drawing.rows) == sum(rows.values()) == 6  # public two rows, private three, management one
    for column in drawing.columns:  # in each zone, each row's first box is under the first box of the row above
        (zone,) = {zone_of[n] for n in column}
        assert len(column) == sum(-(-n // PER_ROW) for (z, _), n in per_tier.items() if z == zone)

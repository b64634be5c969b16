"""The links between VPCs and to AWS services, as plain layout data: a peering's icon with a line to each VPC's
box, a transit gateway's icon with a line to each attached VPC's box (its attachment's icon in each of its
subnets), an external peer VPC's box (in its AWS account's group, when another account's), a gateway endpoint's
line to each route table icon that it adds its route to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vpcdraw.topology.address import address, transit_gateway_address, vpc_address
from vpcdraw.topology.graph import peering_address
from vpcdraw.topology.model import ExternalVpc, Topology

from .layout import LEVEL, Cluster, Edge, Node

if TYPE_CHECKING:
    from .layout import _Builder

LINK_STYLES = ("peering", "transit", "endpoint")


@dataclass
class Links:
    """What the links add to a layout: boxes outside the region (external VPCs' accounts and regions), edges."""

    boxes: list[Cluster] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def external_id(external: ExternalVpc) -> str:
    """The id of an external VPC's box: `external/vpc-0abc`."""
    return f"external/{external.vpc_id}"


def links(topology: Topology, builder: _Builder, region: Cluster, across: int) -> Links:
    """The peering and transit gateway icons (in `region`), external VPCs' boxes, and every link's edges; the VPCs
    are drawn in rows of `across`."""
    found = Links()
    for peering in topology.peering_connections:
        here = peering_address(topology, peering.name)
        words = f"VPC peering {peering.name}" + (f"\n{peering.label}" if peering.label else "")
        label, status = builder.mark(here, words)
        region.nodes.append(Node(here, label, "peering", LEVEL["gateway"], status))
        # The line ends at the VPC's box, from its invisible AZ-columns node when it has one: from the internet
        # gateway (`tops`), it met the internet's line at the box's border, as if it ran on inside to the gateway.
        fans = {fan[0] for fan in builder.fans}
        ends = [(f"{vpc_address(v)}/columns" if f"{vpc_address(v)}/columns" in fans else builder.tops[v],
                 vpc_address(v)) for v in peering.vpcs if v in builder.tops]
        if peering.external is not None:
            outside = _external(peering.external, topology.region, region, found)
            ends.append((outside.nodes[0].id, outside.id))
        found.edges += [Edge(here, node, (), "peering", head_box=box_id) for node, box_id in ends]
    for tgw in topology.transit_gateways:
        here = transit_gateway_address(tgw.name)
        words = f"Transit Gateway {tgw.name}" + (f"\n{tgw.label}" if tgw.label else "")
        label, status = builder.mark(here, words)
        region.nodes.append(Node(here, label, "transit_gateway", LEVEL["gateway"], status))
        # Below the first row of the VPCs it attaches, above the others: one line to each VPC's box (a line to
        # each subnet's icon would cross the subnets' labels), its attachment's icon in each subnet it uses. A line
        # runs down the rows, from the bottom of a VPC above or to the top of one below, so dot draws it straight.
        rows = {v.name: i // across for i, v in enumerate(v for v in topology.vpcs if v.name in builder.spans)}
        for attachment in tgw.attachments:
            if attachment.vpc not in builder.spans:
                continue
            top, bottom = builder.spans[attachment.vpc]
            vpc_box = vpc_address(attachment.vpc)
            if rows[attachment.vpc] == 0:
                builder.columns.append([bottom, here])
                found.edges.append(Edge(bottom, here, (), "transit", tail_box=vpc_box))
            else:
                builder.columns.append([here, top])
                found.edges.append(Edge(here, top, (), "transit", head_box=vpc_box))
    for vpc in topology.vpcs:
        for endpoint in vpc.endpoints:
            if endpoint.endpoint_type != "gateway":
                continue
            here = address(vpc, "vpc_endpoint", endpoint.name)
            tables = [n for t in endpoint.route_tables for n in builder.tables.get((vpc.name, t), [])]
            found.edges += [Edge(here, table, (), "endpoint") for table in dict.fromkeys(tables)]
    return found


def _external(external: ExternalVpc, home: str, region: Cluster, found: Links) -> Cluster:
    """The box of an external VPC: in the drawing's region when it is in the same account and region, else in a
    box for its region, in a group for its AWS account when that is another account."""
    box_id = external_id(external)
    where = [f"account {external.account}" if external.account else "",
             f"region {external.region}" if external.region and external.region != home else ""]
    said = ", ".join(w for w in where if w)
    label = f"Peer VPC {external.vpc_id} {external.cidr}" + (f"\n{said}" if said else "")
    box = Cluster(box_id, label, "vpc", [Node(f"{box_id}/vpc", "not in this topology", "external_vpc",
                                              LEVEL["gateway"])])
    holder = region
    if external.account:
        holder = _child(found.boxes, f"account/{external.account}", f"AWS account {external.account}", "account")
    if external.region and external.region != home:
        within = holder.clusters if holder is not region else found.boxes
        holder = _child(within, f"{holder.id + '/' if holder is not region else ''}region/{external.region}",
                        f"Region {external.region}", "region")
    if all(c.id != box_id for c in holder.clusters):
        holder.clusters.append(box)
    return next(c for c in holder.clusters if c.id == box_id)


def _child(boxes: list[Cluster], ident: str, label: str, style: str) -> Cluster:
    """The box `ident` among `boxes`, made when it is not there yet."""
    for box in boxes:
        if box.id == ident:
            return box
    boxes.append(Cluster(ident, label, style))
    return boxes[-1]

"""vpcdraw's topology model: the one description of an AWS network that everything else projects."""

from .builder import TopologyBuilder, anywhere, cidr, my_ip, sg, subnet
from .errors import InvalidTopology, LoadError, MissingMyIp, VpcdrawError
from .load import load
from .model import (
    Instance,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    NetworkAclEntry,
    Peer,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Topology,
    Vpc,
)
from .validate import Problem, validate

__all__ = [
    "Instance",
    "InternetGateway",
    "InvalidTopology",
    "LoadError",
    "MissingMyIp",
    "NatGateway",
    "NetworkAcl",
    "NetworkAclEntry",
    "Peer",
    "Problem",
    "Route",
    "RouteTable",
    "Rule",
    "SecurityGroup",
    "Subnet",
    "Topology",
    "TopologyBuilder",
    "Vpc",
    "VpcdrawError",
    "anywhere",
    "cidr",
    "load",
    "my_ip",
    "sg",
    "subnet",
    "validate",
]

"""vpcdraw: diagram-first infrastructure for AWS networks.

Topology files build their model from here: `from vpcdraw import TopologyBuilder, anywhere, my_ip, sg`.
Importing it loads only the model (no boto3, diagrams or networkx), so `vpcdraw check` starts at once.
"""

from importlib.metadata import PackageNotFoundError, version

from .topology import (
    InvalidTopology,
    LoadError,
    Topology,
    TopologyBuilder,
    VpcdrawError,
    anywhere,
    cidr,
    external_vpc,
    load,
    my_ip,
    sg,
    subnet,
    validate,
)

try:
    __version__ = version("vpcdraw")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "InvalidTopology",
    "LoadError",
    "Topology",
    "TopologyBuilder",
    "VpcdrawError",
    "anywhere",
    "cidr",
    "external_vpc",
    "load",
    "my_ip",
    "sg",
    "subnet",
    "validate",
]

"""Reading ports as people write them: `tcp/8080`, `8080`, `8080/tcp`, `udp/1024-2048`, `icmp`, `all`."""

from __future__ import annotations

import re

from .errors import VpcdrawError
from .model import PROTOCOLS, Protocol

_PORTS = re.compile(r"^(\d+)(?:-(\d+))?$")


class BadPort(VpcdrawError):
    """A port text that is not of the forms vpcdraw reads."""


def parse_ports(text: str) -> tuple[Protocol, int | None, int | None]:
    """Protocol, from port and to port of a port text; a bare number is TCP.

    >>> parse_ports("tcp/8080")
    ('tcp', 8080, 8080)
    >>> parse_ports("3306/tcp")
    ('tcp', 3306, 3306)
    >>> parse_ports("udp/1024-2048")
    ('udp', 1024, 2048)
    >>> parse_ports("all")
    ('all', None, None)
    """
    raw = str(text).strip().lower()
    if raw in ("all", "-1"):
        return "all", None, None
    if raw == "icmp":
        return "icmp", -1, -1
    protocol, ports = "tcp", raw
    if "/" in raw:
        left, right = raw.split("/", 1)
        protocol, ports = (left, right) if left in PROTOCOLS else (right, left)
    if protocol not in PROTOCOLS:
        raise BadPort(f"port '{text}' names no known protocol; write it like tcp/8080, udp/53, icmp or all")
    if protocol == "all":
        return "all", None, None
    match = _PORTS.match(ports)
    if match is None:
        raise BadPort(f"port '{text}' is not a port or range; write it like tcp/8080 or tcp/1024-2048")
    low = int(match.group(1))
    if protocol == "icmp":
        return "icmp", low, -1  # an ICMP type, any code
    high = int(match.group(2)) if match.group(2) else low
    return protocol, low, high

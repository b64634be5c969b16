"""One validation problem, and the small helpers every rule module shares."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

NAME_RULE = "may use only letters, digits, '.', '_' and '-', start with a letter or digit, and be 1-64 long"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Problem:
    """A problem found by validation: where it is, what is wrong, and the AWS error it prevents."""

    address: str
    message: str
    code: str = ""
    severity: str = "error"  # a "warning" is odd but deployable (an account as it was found, say)

    def __str__(self) -> str:
        suffix = f" [{self.code}]" if self.code else ""
        return f"{self.address}: {self.message}{suffix}"


def valid_name(name: str) -> bool:
    """Whether a resource name can be part of an address."""
    return bool(_NAME.match(name))


def parse_network(text: str) -> tuple[ipaddress.IPv4Network | None, str]:
    """The IPv4 network of a CIDR text, or None and the reason it is not one.

    >>> parse_network("10.0.0.1/24")[1]
    "has host bits set; did you mean '10.0.0.0/24'?"
    """
    if "/" not in text:
        return None, "is not in CIDR form (address/prefix, like 10.0.0.0/16)"
    try:
        return ipaddress.IPv4Network(text), ""
    except ValueError:
        pass
    try:
        loose = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return None, "is not a valid IPv4 CIDR block"
    return None, f"has host bits set; did you mean '{loose}'?"

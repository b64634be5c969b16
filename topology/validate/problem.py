"""One validation problem, and the small helpers every rule module shares."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

NAME_RULE = "may use only letters, digits, '.', '_' and '-', start with a letter or digit, and be 1-64 long"
# fullmatch, never match with `$`: `$` also matches before a trailing newline, so 'web\n' would pass.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Problem:
    """A problem found by validation: where it is, what is wrong, and the AWS error it prevents."""

    address: str
    message: str
    code: str = ""
    severity: str = "error"  # a "warning" is odd but deployable (an account as it was found, say)

    def __str__(self) -> str:
        suffix = f" [{self.code}]" if self.code else ""
        return f"{shown(self.address)}: {shown(self.message)}{suffix}"  # one line, whatever names hold


def valid_name(name: str) -> bool:
    """Whether a resource name can be part of an address.

    >>> valid_name("public-a"), valid_name("public-a\\n")
    (True, False)
    """
    return bool(_NAME.fullmatch(name))


def shown(text: str) -> str:
    """User text as it may appear inside a one-line message: printable characters kept (Hangul too), the rest
    escaped as Python writes them, so a newline or a lone surrogate can neither split nor break the line.

    >>> shown("웹 서버\\n")
    '웹 서버\\\\n'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def unusable_characters(text: str, *, lines: bool = False) -> str:
    """The characters of `text` that UTF-8 cannot encode (lone surrogates) or that are control characters
    (a tab or newline is allowed when `lines`), each once and escaped; '' when there is none.

    >>> unusable_characters("web\\udcff\\x00")
    '\\\\udcff\\\\x00'
    """
    bad = (c for c in text if unicodedata.category(c) in ("Cs", "Cc") and not (lines and c in "\t\n"))
    return shown("".join(dict.fromkeys(bad)))


def parse_network(text: str) -> tuple[ipaddress.IPv4Network | None, str]:
    """The IPv4 network of a CIDR text written as AWS accepts it, or None and the reason it is not one.

    Python reads more than AWS does: a prefix with a leading zero (`/016`, `0.0.0.0/00`) or a netmask
    (`/255.255.0.0`) parse, and AWS refuses them; only the canonical form is taken.

    >>> parse_network("10.0.0.1/24")[1]
    "has host bits set; did you mean '10.0.0.0/24'?"
    >>> parse_network("0.0.0.0/00")[1].split("; ")[1]
    "did you mean '0.0.0.0/0'?"
    """
    if "/" not in text:
        return None, "is not in CIDR form (address/prefix, like 10.0.0.0/16)"
    try:
        net = ipaddress.IPv4Network(text)
    except ValueError:
        net = None
    if net is not None and str(net) == text:
        return net, ""
    tidy = _tidy(text)
    try:
        meant = ipaddress.IPv4Network(tidy, strict=False)
    except ValueError:
        return None, "is not a valid IPv4 CIDR block"
    if tidy == text and text.partition("/")[2].isdigit():
        return None, f"has host bits set; did you mean '{meant}'?"
    return None, (f"is not written as AWS writes a CIDR block (no leading zeros, no spaces, a prefix length); "
                  f"did you mean '{meant}'?")


def _tidy(text: str) -> str:
    """A CIDR text without blanks, and without leading zeros when it is all digits: what was likely meant."""
    text = "".join(text.split())
    address, _, prefix = text.partition("/")
    parts = [*address.split("."), prefix]
    if len(parts) != 5 or not all(p.isascii() and p.isdigit() for p in parts):
        return text
    return ".".join(str(int(p)) for p in parts[:4]) + "/" + str(int(prefix))

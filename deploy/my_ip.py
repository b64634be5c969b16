"""Finding the admin's public IP for `--my-ip auto`, from AWS's what-is-my-IP endpoint."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from vpcdraw.topology.admin_ip import normalise
from vpcdraw.topology.errors import VpcdrawError

CHECKIP_URL = "https://checkip.amazonaws.com/"
URL_VARIABLE = "VPCDRAW_CHECKIP_URL"  # another endpoint that answers with the caller's address


def lookup(url: str | None = None, timeout: float = 5.0) -> tuple[str, str]:
    """The caller's public address as a /32, and the URL that said so."""
    where = url or os.environ.get(URL_VARIABLE) or CHECKIP_URL
    if not where.startswith(("http://", "https://")):
        raise VpcdrawError(f"{URL_VARIABLE} '{where}' is not an http(s) URL")
    try:
        with urllib.request.urlopen(where, timeout=timeout) as response:
            text = response.read(100).decode("ascii", "replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise VpcdrawError(
            f"could not ask {where} for your public IP ({reason}); give it with --my-ip ADDRESS"
        ) from None
    try:
        return normalise(text), where
    except VpcdrawError:
        raise VpcdrawError(f"{where} answered '{text[:40]}', which is not an IPv4 address; "
                           "give yours with --my-ip ADDRESS") from None

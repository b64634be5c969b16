"""Extra moto servers for tests that need one of their own (IAM enforced, or reached from outside loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def start_moto(bind: str = "127.0.0.1", reach_as: str = "127.0.0.1",
               environment: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start a moto server bound to `bind` and wait until it answers at `reach_as`; the caller kills it."""
    with socket.socket() as probe:
        probe.bind((bind, 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", bind, "-p", str(port)],
                              env={**os.environ, **(environment or {})}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    endpoint = f"http://{reach_as}:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.05)
    return server, endpoint

"""The embedded local AWS: a moto server in the background on 127.0.0.1, started and stopped by vpcdraw.

Its pid and endpoint live in the user's state directory, so every vpcdraw command finds the same one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from vpcdraw.topology.errors import VpcdrawError

LOCAL_REGION = "ap-northeast-2"  # the local AWS's region when nothing names one: the course's, Seoul

DEFAULT_PORT = 5323
STATE_VARIABLE = "VPCDRAW_STATE_DIR"


@dataclass(frozen=True)
class LocalServer:
    """A running local AWS: its process and endpoint."""

    pid: int
    endpoint: str
    log: Path


def state_dir() -> Path:
    """Where vpcdraw keeps its state: $VPCDRAW_STATE_DIR, else $XDG_STATE_HOME/vpcdraw, else ~/.local/state."""
    if os.environ.get(STATE_VARIABLE):
        return Path(os.environ[STATE_VARIABLE])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vpcdraw"


def _record() -> Path:
    return state_dir() / "local-aws.json"


def status() -> LocalServer | None:
    """The local AWS if it is running and answering, else None (a stale record is removed)."""
    try:
        data = json.loads(_record().read_text(encoding="utf-8"))
        server = LocalServer(int(data["pid"]), str(data["endpoint"]), Path(data["log"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _alive(server.pid) and _answers(server.endpoint):
        return server
    _record().unlink(missing_ok=True)
    return None


def start(port: int | None = None, wait: float = 30.0) -> LocalServer:
    """Start the local AWS in the background (or return the running one).

    Without a port it takes 5323, or any free port when something else holds that one.
    """
    running = status()
    if running is not None:
        return running
    if port is None:
        port = DEFAULT_PORT if _port_free(DEFAULT_PORT) else _any_free_port()
    elif not _port_free(port):
        raise VpcdrawError(f"port {port} on 127.0.0.1 is in use; choose another with --port")
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "local-aws.log"
    environment = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=environment, start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while not _answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise VpcdrawError(f"the local AWS did not start; its log is {log}")
        time.sleep(0.1)
    server = LocalServer(process.pid, endpoint, log)
    _record().write_text(json.dumps({"pid": server.pid, "endpoint": endpoint, "log": str(log)}), encoding="utf-8")
    return server


def stop() -> bool:
    """Stop the local AWS; False when none was running."""
    server = status()
    _record().unlink(missing_ok=True)
    if server is None:
        return False
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    for _ in range(50):
        if not _alive(server.pid):
            break
        time.sleep(0.1)
    return True


def reset(endpoint: str) -> None:
    """Empty the local AWS (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(endpoint: str) -> bool:
    """Whether an HTTP server answers at `endpoint` (any status: moto's root answers 404 to GET)."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _any_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

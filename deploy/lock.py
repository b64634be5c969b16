"""One apply or destroy of a topology at a time: an operating-system lock that dies with its process.

No lock is written into the account, so a no-change apply stays at zero mutating calls, and a killed
apply never blocks the next one (the kernel releases a dead process's flock).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vpcdraw.topology.errors import VpcdrawError

from .local import state_dir


def lock_path(topology: str) -> Path:
    """Where the topology's lock file lives, in the user's state directory."""
    return state_dir() / "locks" / (re.sub(r"[^A-Za-z0-9._-]", "_", topology) + ".lock")


@contextmanager
def exclusive(topology: str, what: str) -> Iterator[None]:
    """Hold the topology's lock for the duration; refuse at once, naming the holder, when another has it."""
    path = lock_path(topology)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another vpcdraw process"
            raise VpcdrawError(f"topology '{topology}' is busy: {holder} is running; wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"vpcdraw {what} (pid {os.getpid()})")
        handle.flush()
        yield
    finally:
        handle.close()

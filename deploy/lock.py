"""One apply or destroy of a topology at a time: an operating-system lock that dies with its process.

No lock is written into the account, so a no-change apply stays at zero mutating calls, and a killed
apply never blocks the next one (the kernel releases a dead process's flock).

The lock also keeps the intent of an apply: a random id that goes into every ClientToken. EC2 answers a
repeated token with the first result for at least a day, even when that resource is gone since, and
refuses it with other parameters (IdempotentParameterMismatch). So a token must be the same for the
retries of one intent, also after a crash (the id stays until the apply or destroy finishes), and new
for the next intent: after a finished apply or destroy the id is dropped.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vpcdraw.topology.errors import VpcdrawError

from .local import state_dir


def lock_path(topology: str) -> Path:
    """Where the topology's lock file lives, in the user's state directory."""
    return state_dir() / "locks" / (re.sub(r"[^A-Za-z0-9._-]", "_", topology) + ".lock")


def intent_path(topology: str) -> Path:
    """Where the intent of an unfinished apply or destroy of the topology is kept."""
    return state_dir() / "intents" / (re.sub(r"[^A-Za-z0-9._-]", "_", topology) + ".intent")


@contextmanager
def exclusive(topology: str, what: str) -> Iterator[str]:
    """Hold the topology's lock for the duration, and give the intent its ClientTokens share.

    Refuses at once, naming the holder, when another process has the lock. The intent is the one an
    unfinished run left, or a new one; it is dropped when the block finishes without an error.
    """
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
        kept = intent_path(topology)
        intent = kept.read_text(encoding="utf-8").strip() if kept.exists() else ""
        if not intent:
            intent = secrets.token_hex(12)
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(intent, encoding="utf-8")
        yield intent
        kept.unlink(missing_ok=True)  # finished: the next run is a new intent
    finally:
        handle.close()

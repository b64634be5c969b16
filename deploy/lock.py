"""One apply or destroy of a topology at a time: an operating-system lock that dies with its process.

The machine's lock is a file, so a no-change apply stays at zero mutating calls, and a killed apply never
blocks the next one (the kernel releases a dead process's flock). An apply that changes something also
marks the VPC (`account_lock`), so that a run from another machine refuses while it runs.

The lock also keeps the intent of an apply: a random id that goes into every ClientToken. EC2 answers a
repeated token with the first result for at least a day, even when that resource is gone since, and
refuses it with other parameters (IdempotentParameterMismatch). So a token must be the same for the
retries of one intent, also after a crash (the id stays until the apply or destroy finishes), and new
for the next intent: after a finished apply or destroy the id is dropped.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vpcdraw.topology.errors import VpcdrawError

from .aws import AwsError, Ec2
from .local import state_dir
from .tags import tags_of


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


LOCK_TAG = "vpcdraw:lock"
LOCK_TTL_S = 3600.0  # an apply that was killed leaves its lock tag: it counts for this long


@contextmanager
def account_lock(ec2: Ec2, vpc_id: str, topology: str, what: str) -> Iterator[None]:
    """Mark the VPC as changing while an apply or destroy runs, so that one started elsewhere (CI and a
    laptop have different lock files) refuses instead of racing it.

    The tag holds who and since when; one older than LOCK_TTL_S is taken as left by a run that died.
    Whoever wrote the tag last holds the lock: the tag is read back after writing it.
    """
    now = time.time()
    holder = f"{what} by {_user()}@{socket.gethostname()} pid {os.getpid()} since {now:.0f}"
    current = _lock_tag(ec2, vpc_id)
    if current and current != holder:
        since = _since(current)
        if since is not None and now - since < LOCK_TTL_S:
            raise VpcdrawError(_busy(topology, vpc_id, current, since))
    ec2.call("CreateTags", Resources=[vpc_id], Tags=[{"Key": LOCK_TAG, "Value": holder}])
    written = _lock_tag(ec2, vpc_id)
    if written != holder:
        raise VpcdrawError(_busy(topology, vpc_id, written, _since(written) or now))
    try:
        yield
    finally:
        if _lock_tag(ec2, vpc_id) == holder:
            ec2.call("DeleteTags", Resources=[vpc_id], Tags=[{"Key": LOCK_TAG, "Value": holder}])


def _lock_tag(ec2: Ec2, vpc_id: str) -> str:
    try:
        found = ec2.paginate("DescribeVpcs", "Vpcs", VpcIds=[vpc_id])
    except AwsError as error:
        if error.code == "InvalidVpcID.NotFound":
            return ""  # destroyed with it
        raise
    return tags_of(found[0]).get(LOCK_TAG, "") if found else ""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def _since(holder: str) -> float | None:
    tail = holder.rpartition(" since ")[2]
    return float(tail) if tail.isdigit() else None


def _busy(topology: str, vpc_id: str, holder: str, since: float) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(since))
    expires = time.strftime("%H:%M UTC", time.gmtime(since + LOCK_TTL_S))
    who = holder.rpartition(" since ")[0]
    return (f"topology '{topology}' is being changed in this account ({who}, started {started}, its "
            f"{LOCK_TAG} tag on {vpc_id}); wait for it to finish, or, if it was stopped, its lock expires at "
            f"{expires}")

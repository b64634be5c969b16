"""What the calls of one apply share: the client, the topology, the AWS ids known so far, and AWS's patience.

The calls themselves are in the resource families (`vpcdraw.deploy.families`); `settled` and `patiently`
retry what AWS documents as passing: eventual consistency right after a create, and dependencies still
draining on a delete.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource

from .aws import AwsError, Ec2
from .tags import ADDRESS_TAG, TOPOLOGY_TAG, tag_specification, tags_of

SETTLE_S = 20.0  # eventual consistency: AWS documents seconds
DEPENDENCY_WAIT_S = 120.0  # a deleted instance or NAT lets go of its subnet and groups within minutes
WAIT_POLL_S = 2.0
AWAIT_S = 900.0  # how long a create that started early waits for the resource it needs (a VPC takes seconds)
NOTICE_S = 20.0  # how often a long wait says it is still waiting


class Superseded(VpcdrawError):
    """A call gave up because another one failed: the other failure is the one to report."""


@dataclass
class Context:
    """What handlers share during one apply: the client, the topology, and the ids known so far."""

    ec2: Ec2
    topology: str
    ids: dict[str, str]
    desired: dict[str, Resource]
    poll: float = WAIT_POLL_S
    intent: str = ""  # shared by the ClientTokens of one intent: its retries, also after a crash
    created_groups: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed: bool = False  # a call failed for good: nothing waits for more ids
    notice: Callable[[str], None] = lambda text: None  # what a long wait tells people while it waits

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def id(self, address: str) -> str:
        """The AWS id of an address that exists by now."""
        with self.lock:
            found = self.ids.get(address)
        if found is None:
            raise VpcdrawError(f"{address} has no AWS id yet; run the command again")
        return found

    def learn(self, address: str, aws_id: str | None) -> None:
        """Record (or, with None, forget) an address's AWS id, and wake whoever waits for it."""
        with self.changed:
            if aws_id is None:
                self.ids.pop(address, None)
            else:
                self.ids[address] = aws_id
            self.changed.notify_all()

    def give_up(self) -> None:
        """A call failed for good: release everyone waiting for an id."""
        with self.changed:
            self.failed = True
            self.changed.notify_all()

    def await_id(self, address: str) -> str:  # raises Superseded when another call failed
        """The AWS id of an address another running call is creating, once it has it."""
        with self.changed:
            if not self.changed.wait_for(lambda: address in self.ids or self.failed, timeout=AWAIT_S):
                raise VpcdrawError(f"{address} was not created within {AWAIT_S:.0f} s")
            if address not in self.ids:
                raise Superseded(f"{address} was not created, because another call failed")
            return self.ids[address]

    def wait(self, waiter: str, what: str, wanted: str, budget: float, gone: str = "",
             **params: Any) -> dict[str, Any] | None:
        """Wait with botocore's EC2 waiter `waiter` until `what` is `wanted`, saying every NOTICE_S that it still
        waits; None once it is, else the last answer (a failure state, or `budget` seconds passed).

        An error answer `gone` (such as InvalidInstanceID.NotFound after a termination) counts as arrived.
        """
        from botocore.exceptions import WaiterError

        started = time.monotonic()
        attempts = max(1, int(NOTICE_S / max(self.poll, 0.01)))  # one waiter run between two notices
        while True:
            try:
                self.ec2.client.get_waiter(waiter).wait(**params, WaiterConfig={"Delay": self.poll,
                                                                                 "MaxAttempts": attempts})
                return None
            except WaiterError as error:
                last: dict[str, Any] = error.last_response or {}
                if gone and last.get("Error", {}).get("Code") == gone:
                    return None
                elapsed = time.monotonic() - started
                if "Max attempts exceeded" not in str(error) or elapsed >= budget:
                    return last
                self.notice(f"still waiting for {what} to be {wanted} ({elapsed:.0f} s so far)")

    def token(self, resource: Resource) -> str:
        """A ClientToken that is the same for the same intent, topology, address and spec: retries never
        duplicate, and the next intent (after a destroy, or an out-of-band delete) is not answered with the
        resource an earlier one made."""
        text = json.dumps([self.intent, self.topology, resource.address, resource.spec.to_json()], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:48]

    def tags(self, tag_type: str, resource: Resource) -> list[dict[str, Any]]:
        """The TagSpecifications of a new resource of TagSpecifications type `tag_type`: it is ours from birth."""
        return tag_specification(tag_type, self.topology, resource.address, resource.spec.label)

    def find(self, operation: str, key: str, id_key: str, address: str,
             alive: Callable[[dict[str, Any]], bool] = lambda item: True) -> Callable[[], str | None]:
        """A look-up by our tags, for creates that take no ClientToken; `alive` leaves out what is being deleted.

        The tags are checked here too: some Describe calls ignore tag filters (moto's of peering connections
        and transit gateway attachments), and the first item of everything is not ours.
        """
        def look() -> str | None:
            items = self.ec2.paginate(operation, key, Filters=[
                {"Name": f"tag:{TOPOLOGY_TAG}", "Values": [self.topology]},
                {"Name": f"tag:{ADDRESS_TAG}", "Values": [address]}])
            mine = [i for i in items if alive(i) and tags_of(i).get(TOPOLOGY_TAG) == self.topology
                    and tags_of(i).get(ADDRESS_TAG) == address]
            return str(mine[0][id_key]) if mine else None
        return look

    def until(self, look: Callable[[], str], what: str, wanted: tuple[str, ...], budget: float,
              failed: tuple[str, ...] = ()) -> str | None:
        """Poll `look` (which returns the current state) until it is one of `wanted`, saying every NOTICE_S that it
        still waits: for what has no botocore waiter (transit gateways, endpoints). None once it is, else the
        last state (one of `failed`, or `budget` seconds passed)."""
        started = time.monotonic()
        told = started
        while True:
            state = look()
            if state in wanted:
                return None
            now = time.monotonic()
            if state in failed or now - started >= budget:
                return state
            if now - told >= NOTICE_S:
                told = now
                self.notice(f"still waiting for {what} to be {wanted[0]} ({now - started:.0f} s so far, {state})")
            time.sleep(self.poll)


def settled(call: Callable[[], Any], codes: tuple[str, ...] = ()) -> Any:
    """Run `call`, retrying AWS's eventual consistency right after a create: `Invalid*.NotFound` (and `codes`)."""
    return _until_it_passes(call, lambda code: (code.startswith("Invalid") and code.endswith("NotFound"))
                            or code in codes, SETTLE_S)


def patiently(call: Callable[[], Any]) -> Any:
    """Run `call`, retrying `DependencyViolation` (what still uses the resource is going away)."""
    return _until_it_passes(call, lambda code: code == "DependencyViolation", DEPENDENCY_WAIT_S)


def _until_it_passes(call: Callable[[], Any], passing: Callable[[str], bool], budget: float) -> Any:
    """The one retry loop for what AWS documents as passing: `call` again after an error whose code is
    `passing`, backing off from 0.25 s to 10 s, until `budget` seconds are spent; then the error stands."""
    deadline = time.monotonic() + budget
    delay = 0.25
    while True:
        try:
            return call()
        except AwsError as error:
            if not passing(error.code) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(10.0, delay * 2)

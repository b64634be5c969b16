"""A fault-injecting HTTP proxy in front of a moto server: throttling, 500s, latency, lost responses, resets.

Every fault is chosen per EC2 action from a seeded random generator, so a run is reproducible. The proxy
also keeps AWS's promise about ClientToken that moto does not keep, as the EC2 documentation states it
("Ensuring idempotency in Amazon EC2 API requests"): a request repeated with the same token and the same
parameters gets the first answer again (even when the resource is gone since: EC2 keeps a token for at
least 24 hours after the resource is deleted), and one with the same token and other parameters fails
with IdempotentParameterMismatch. And it can kill a process (SIGKILL) at the Nth mutating call.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            b"<Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault</RequestID></Response>")
MISMATCH = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>IdempotentParameterMismatch'
            b"</Code><Message>The client token you have provided is associated with a resource that is already "
            b"deleted or has different parameters</Message></Error></Errors><RequestID>fault</RequestID></Response>")
DONE = (b'<?xml version="1.0" encoding="UTF-8"?><Response><requestId>fault</requestId><return>true</return>'
        b"</Response>")
INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InternalError</Code>'
            b"<Message>An internal error has occurred</Message></Error></Errors><RequestID>fault</RequestID>"
            b"</Response>")


@dataclass
class Faults:
    """The fault mix: probabilities per request, actions they apply to, and a kill point."""

    seed: int = 0
    throttle: float = 0.0
    error: float = 0.0
    reset: float = 0.0  # the connection drops before the request arrives
    lost: float = 0.0  # the request is executed, the answer never arrives
    latency: float = 0.0  # seconds added to every request
    only: set[str] = field(default_factory=set)  # actions the faults apply to (empty: every action)
    lose_first: set[str] = field(default_factory=set)  # lose the first answer of these actions, once each
    pretend: set[str] = field(default_factory=set)  # answer these actions "done" without doing them
    refuse: dict[str, str] = field(default_factory=dict)  # answer these actions with this AWS error code (400)
    kill_pid: int | None = None
    kill_at: int = 0  # SIGKILL kill_pid when this mutating call arrives (it is not forwarded)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)


class FaultProxy:
    """Start with `FaultProxy(upstream, faults)`; `.endpoint` is where clients go; `.counts` says what happened."""

    def __init__(self, upstream: str, faults: Faults | None = None) -> None:
        self.upstream = upstream
        self.faults = faults or Faults()
        self.counts: dict[str, int] = {"requests": 0, "mutating": 0, "throttled": 0, "errors": 0, "resets": 0,
                                       "lost": 0, "replayed": 0, "mismatched": 0, "pretended": 0, "refused": 0,
                                       "killed": 0}
        self.actions: dict[str, int] = {}  # requests by action, faults included
        self.tokens: dict[str, tuple[dict[str, list[str]], int, bytes]] = {}  # token: parameters, first answer
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait out a delayed ACK: 40 ms a call

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_GET(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _decide(self, action: str) -> str:
        f = self.faults
        with self.lock:
            self.counts["requests"] += 1
            mutating = bool(action) and not action.startswith(("Describe", "Get"))
            if mutating:
                self.counts["mutating"] += 1
                if f.kill_pid and self.counts["mutating"] == f.kill_at:
                    self.counts["killed"] += 1
                    return "kill"
            if action in f.lose_first:
                f.lose_first.discard(action)
                return "lost"
            if action in f.pretend:
                return "pretend"
            if action in f.refuse:
                return "refuse"
            if f.only and action not in f.only:
                return "pass"
            roll = f.random.random()
            for name, chance in (("throttle", f.throttle), ("error", f.error), ("reset", f.reset),
                                 ("lost", f.lost)):
                if roll < chance:
                    return name
                roll -= chance
            return "pass"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0) or 0)
        body = handler.rfile.read(length) if length else b""
        form = parse_qs(body.decode("utf-8", "replace"))
        # The query protocol (EC2) names the action in the form, the JSON protocol (SSM) in X-Amz-Target.
        action = form.get("Action", [""])[0] or handler.headers.get("X-Amz-Target", "").rpartition(".")[2]
        with self.lock:
            self.actions[action] = self.actions.get(action, 0) + 1
        token = form.get("ClientToken", [""])[0]
        if self.faults.latency:
            time.sleep(self.faults.latency)
        verdict = self._decide(action)
        if verdict == "kill":
            os.kill(self.faults.kill_pid or 0, signal.SIGKILL)
            self._drop(handler, "")
            return
        if verdict == "pretend":  # a write AWS says it did, and did not
            self._answer(handler, 200, DONE, "pretended")
            return
        if verdict == "refuse":  # as AWS refuses it, e.g. an account alias another account holds
            code = self.faults.refuse[action].encode()
            self._answer(handler, 400, b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>'
                         + code + b"</Code><Message>refused</Message></Error></Errors></Response>", "refused")
            return
        if verdict == "throttle":
            self._answer(handler, 503, THROTTLE, "throttled")
            return
        if verdict == "error":
            self._answer(handler, 500, INTERNAL, "errors")
            return
        if verdict == "reset":
            self._drop(handler, "resets")
            return
        key = f"{action}:{token}" if token else ""
        with self.lock:
            cached = self.tokens.get(key) if key else None
        if cached is not None:
            if cached[0] != form:  # the same token for another request
                self._answer(handler, 400, MISMATCH, "mismatched")
            else:  # AWS answers a repeated ClientToken with the first result, whatever became of it
                self._answer(handler, cached[1], cached[2], "replayed")
            return
        status, data = self._forward(handler, body)
        if key and status == 200:
            with self.lock:
                self.tokens[key] = (form, status, data)
        if verdict == "lost":
            self._drop(handler, "lost")
            return
        self._answer(handler, status, data)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(self.upstream + handler.path, data=body or None, headers=headers,
                                         method=handler.command)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, data: bytes, count: str = "") -> None:
        if count:
            with self.lock:
                self.counts[count] += 1
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _drop(self, handler: BaseHTTPRequestHandler, count: str) -> None:
        if count:
            with self.lock:
                self.counts[count] += 1
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

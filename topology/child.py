"""The child process a .py topology file runs in: started cheaply and safely, killed at its deadline.

The child is forked when this process has one thread, as the command line has; a process with threads (a
test runner, a library user's server) has it forked by a loader server started once (`_Server`). Either
costs milliseconds per file. What the child does is `load._child`: run the file, write the reply to the pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def _child(path: str, write_end: int) -> None:
    from .load import _child as run_the_file  # load imports this module: look it up when a child starts

    run_the_file(path, write_end)


class _Child:
    """A child process running a topology file, in a process group of its own."""

    def __init__(self, pid: int, kill: Callable[[], None], reap: Callable[[], int | None]) -> None:
        self.pid, self._kill, self._reap = pid, kill, reap

    def stop(self) -> int | None:
        """Kill it and whatever it started in its group (killed, not asked), reap it, and return its exit code."""
        with contextlib.suppress(OSError):  # the group is the child's own, and its pid is not reaped yet
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._kill()
        return self._reap()


def start(path: str, write_end: int) -> _Child:
    """Fork the child when this process has one thread; else have the loader server fork it (see `_Server`),
    or, where that cannot run, start a fresh interpreter."""
    if _single_threaded():
        return _fork(lambda: _child(path, write_end))
    if sys.platform == "linux":
        with contextlib.suppress(OSError, ValueError, KeyError):
            return _Server.shared().start(path, write_end)
    import subprocess

    job = json.dumps({"path": path, "fd": write_end, **_context()})
    spawned = subprocess.Popen([sys.executable, "-P", "-c", _SPAWNED, job], stdin=subprocess.DEVNULL, stdout=2,
                               pass_fds=(write_end,), process_group=0)
    return _Child(spawned.pid, spawned.kill, spawned.wait)


def _fork(run: Callable[[], None]) -> _Child:
    """A forked child running `run` (which must end the process), in a process group of its own."""
    for stream in (sys.stdout, sys.stderr):  # or the child would print again what the parent has not yet
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: it never returns into the caller's code
        try:
            run()
        finally:
            os._exit(70)
    with contextlib.suppress(OSError):
        os.setpgid(pid, 0)  # as the child does itself: whichever runs first

    def kill() -> None:
        os.kill(pid, signal.SIGKILL)

    def reap() -> int | None:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    return _Child(pid, kill, reap)


def _context() -> dict[str, Any]:
    """What a child made elsewhere than by forking this process needs to run the file as this process would."""
    try:
        cwd: str | None = os.getcwd()
    except OSError:
        cwd = None
    return {"cwd": cwd, "env": dict(os.environ), "sys_path": list(sys.path), "argv": list(sys.argv)}


def _adopt(context: dict[str, Any]) -> None:
    if context["cwd"] is not None:
        with contextlib.suppress(OSError):
            os.chdir(context["cwd"])
    os.environ.clear()
    os.environ.update(context["env"])
    sys.path[:] = context["sys_path"]
    sys.argv[:] = context["argv"]


# What a helper interpreter runs: the parent's sys.path first, so it imports this vpcdraw, then its job.
_SPAWNED = ("import json, sys; job = json.loads(sys.argv[1]); sys.path[:] = job['sys_path']; "
            "from vpcdraw.topology.child import _spawned; _spawned(job)")
_SERVE = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
          "from vpcdraw.topology.child import _serve; _serve(int(sys.argv[2]))")


def _spawned(job: dict[str, Any]) -> None:
    """In a fresh interpreter started for one file: take the parent's context, then do what a child does."""
    _adopt(job)
    _child(job["path"], job["fd"])


class _Server:
    """The loader server of a process that has threads: a helper interpreter with vpcdraw imported, started
    once, that forks a child per file (it has one thread, so forking it is sound) and reaps it when asked.

    A fork of a threaded process can inherit a lock another thread held; a fresh interpreter per file costs
    a few hundred milliseconds; multiprocessing's fork server imports the caller's main script again.
    """

    _lock = threading.Lock()
    _shared: _Server | None = None

    def __init__(self) -> None:
        import socket
        import subprocess

        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", _SERVE, json.dumps(sys.path), str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=2, pass_fds=(theirs.fileno(),), process_group=0)
        self.socket, self.owner = mine, os.getpid()

    @classmethod
    def shared(cls) -> _Server:
        with cls._lock:
            server = cls._shared
            if server is None or server.owner != os.getpid() or server.process.poll() is not None:
                server = cls._shared = _Server()
            return server

    def ask(self, request: dict[str, Any], fds: tuple[int, ...] = ()) -> dict[str, Any]:
        import socket

        with self._lock:
            socket.send_fds(self.socket, [json.dumps(request).encode("utf-8")], list(fds))
            answer = self.socket.recv(1 << 16)
        if not answer:
            raise OSError("the loader server has gone")
        return dict(json.loads(answer))

    def start(self, path: str, write_end: int) -> _Child:
        pid = int(self.ask({"path": path, **_context()}, (write_end,))["pid"])

        def kill() -> None:
            os.kill(pid, signal.SIGKILL)  # not our child, but the server reaps it only when we ask: no reuse

        def reap() -> int | None:
            try:
                return self.ask({"reap": pid}).get("status")
            except OSError:
                return None

        return _Child(pid, kill, reap)


def _forget_server() -> None:
    _Server._lock = threading.Lock()
    _Server._shared = None  # a forked process starts its own


os.register_at_fork(after_in_child=_forget_server)


def _serve(fd: int) -> None:
    """The loader server's loop: fork a child per request, reap one when asked; end when the parent does."""
    import socket

    server = socket.socket(fileno=fd)
    with contextlib.suppress(OSError):  # the parent is gone: so is the need for a server
        while True:
            data, fds, _, _ = socket.recv_fds(server, 1 << 20, 1)
            if not data:
                return
            request = json.loads(data)
            if "reap" in request:
                try:
                    status: int | None = os.waitstatus_to_exitcode(os.waitpid(request["reap"], 0)[1])
                except ChildProcessError:
                    status = None
                server.send(json.dumps({"status": status}).encode("utf-8"))
                continue

            def run(request: dict[str, Any] = request, fds: list[int] = fds) -> None:
                server.close()
                _adopt(request)
                _child(request["path"], fds[0])

            child = _fork(run)
            for received in fds:
                os.close(received)
            server.send(json.dumps({"pid": child.pid}).encode("utf-8"))


def _single_threaded() -> bool:
    """Whether this process has exactly one thread (native ones included), so a fork copies no lock that another
    thread holds; forking a threaded process can leave the child stuck on one."""
    try:
        return sys.platform == "linux" and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def receive(read_end: int, timeout: float) -> bytes | None:
    """The child's reply (8 bytes of length, then JSON); None when it ended first; TimeoutError at the deadline.

    The length says when the reply is whole, so a process the file forked, holding the pipe open, cannot
    make a finished load wait.
    """
    import selectors

    deadline = time.monotonic() + timeout if timeout > 0 else None
    data = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            if not selector.select(left):
                continue
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                return None
            data += chunk
            if len(data) >= 8 and len(data) >= 8 + int.from_bytes(data[:8], "big"):
                return bytes(data[8:8 + int.from_bytes(data[:8], "big")])


def exit_words(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"

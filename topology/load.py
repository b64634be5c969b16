"""Reading a topology file: Python that binds `topology`, or its JSON form. The model's only I/O.

A .py topology file is code: it runs with the user's permissions and credentials. Reviewers who do
not trust a file should ask for its JSON form (`vpcdraw export FILE --json`).

A .py file runs in a child process, killed (not asked) when it outlasts its time, so no loop, ignored
signal, leftover thread or `os._exit` can hang vpcdraw or end it silently; whatever it prints goes to
stderr, so `--json` output stays one document. The child sends the topology back in its JSON form
(`serialize.to_dict`), so nothing the file made is unpickled here. The child is forked when this process
has one thread, as the command line has; a process with threads (a test runner, a library user's server)
has it forked by a loader server started once (`_Server`). Either costs milliseconds per file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import runpy
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .builder import TopologyBuilder
from .errors import InvalidTopology, LoadError
from .model import Topology
from .serialize import from_dict, from_json, to_dict, type_problems
from .validate.problem import Problem, shown

NO_EXEC_VARIABLE = "VPCDRAW_NO_EXEC"
TIMEOUT_VARIABLE = "VPCDRAW_LOAD_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
# Before vpcdraw was installed under one name, topology files imported the bare packages.
_OLD_IMPORT = re.compile(r"^\s*(?:from|import)\s+(topology|render|deploy)\b", re.MULTILINE)


def load(path: str | Path, *, allow_code: bool | None = None, timeout: float | None = None) -> Topology:
    """The topology a .py or .json file describes; LoadError with one sentence when it cannot be read.

    `allow_code` False refuses .py files (default: allowed unless VPCDRAW_NO_EXEC is set); a .py file that
    runs longer than `timeout` seconds (default $VPCDRAW_LOAD_TIMEOUT or 10; 0 waits for ever) is killed.
    A .py file that builds values of the wrong type (`cidr=16`) raises InvalidTopology listing every one.
    """
    file = Path(path)
    if not file.is_file():
        raise LoadError(f"{file}: no such file")
    if file.suffix == ".json":
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LoadError(f"{file}: cannot be read ({error})") from None
        try:
            return from_json(text)
        except LoadError as error:
            raise LoadError(f"{file}: {error}") from None
    if file.suffix == ".py":
        if allow_code is None:
            allow_code = os.environ.get(NO_EXEC_VARIABLE, "") in ("", "0")
        if not allow_code:
            raise LoadError(f"{file} is Python, which vpcdraw would run as code; with --no-exec only .json "
                            f"topologies are read (`vpcdraw export {file} --json` makes one)")
        return _run(file, _timeout() if timeout is None else timeout)
    raise LoadError(f"{file}: a topology file ends in .py or .json, not '{file.suffix or '(none)'}'")


def _timeout() -> float:
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise LoadError(f"{TIMEOUT_VARIABLE} '{text}' is not a number of seconds (0 or more; 0 waits for ever)")
    return seconds


def _run(file: Path, timeout: float) -> Topology:
    """Run the file in a child process and read back what it built."""
    _refuse_old_imports(file)
    read_end, write_end = os.pipe()
    try:
        child = _start(str(file), write_end)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the child holds the only write end now: when it is gone, reading ends
    late, reply = False, None
    try:
        reply = _receive(read_end, timeout)
    except TimeoutError:
        late = True
    finally:
        os.close(read_end)
        status = child.stop()
    if late:
        raise LoadError(f"{file} did not finish loading within {timeout:g} s and was stopped; a topology file "
                        "should only build a topology")
    if reply is None:
        raise LoadError(f"{file} exited while loading ({_exit_words(status)}) and built no topology; a topology "
                        "file should only build a topology")
    return _read_reply(file, json.loads(reply.decode("utf-8")))


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


def _start(path: str, write_end: int) -> _Child:
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
            "from vpcdraw.topology.load import _spawned; _spawned(job)")
_SERVE = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
          "from vpcdraw.topology.load import _serve; _serve(int(sys.argv[2]))")


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


def _receive(read_end: int, timeout: float) -> bytes | None:
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


def _exit_words(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


def _read_reply(file: Path, reply: dict[str, Any]) -> Topology:
    if "error" in reply:
        raise LoadError(str(reply["error"]))
    if "problems" in reply:
        raise InvalidTopology(str(file), [Problem(path, message, "TypeError") for path, message in reply["problems"]])
    try:
        return from_dict(reply["topology"])
    except LoadError as error:
        raise LoadError(f"{file}: {error}") from None


def _child(path: str, write_end: int) -> None:
    """In the child process: run the file, write back what it built as JSON, and exit at once."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # its own process group, so the parent can kill what the file starts too
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # input() ends at once: the terminal is not the file's
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115  the child exits with os._exit
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        os.dup2(2, 1)  # what the file prints, even below Python (os.write, subprocesses), is not vpcdraw's output
    sys.stdout = sys.stderr
    try:
        reply = _build(Path(path))
    except BaseException as error:  # only a bug of ours gets here: say so rather than die silently
        reply = {"error": f"{path}: vpcdraw could not read what the file built ({type(error).__name__})"}
    with contextlib.suppress(BaseException):
        sys.stderr.flush()
    try:
        try:
            data = json.dumps(reply).encode("utf-8")
        except (TypeError, ValueError) as error:
            data = json.dumps({"error": f"{path}: vpcdraw could not send back what the file built ({error})"}
                              ).encode("utf-8")
        view = memoryview(len(data).to_bytes(8, "big") + data)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os._exit(0)  # no atexit handlers and no waiting on daemon threads: the file is done


def _build(file: Path) -> dict[str, Any]:
    """The reply for the parent: the topology's JSON form, its wrongly typed fields, or one sentence."""
    try:
        namespace = runpy.run_path(str(file), run_name="__vpcdraw_topology__")
        _join_threads()  # as Python does at the end of a script: threads the file started finish first
        value = namespace.get("topology")
        if isinstance(value, TopologyBuilder):
            value = value.build()
    except SyntaxError as error:
        return {"error": f"{file} line {error.lineno}: syntax error: {shown(error.msg)}"}
    except BaseException as error:  # the user's code may raise anything, SystemExit included
        return {"error": f"{file}{_line_in(file, error)}: {type(error).__name__}: {_message(error)}"}
    if not isinstance(value, Topology):
        found = "nothing" if value is None else f"a {type(value).__name__}"
        return {"error": f"{file} builds no topology: bind one to the name 'topology' "
                         f"(for example `topology = t.build()`), found {found}"}
    problems = type_problems(value)
    if problems:
        return {"problems": problems}
    return {"topology": to_dict(value)}


def _join_threads() -> None:
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def _message(error: BaseException) -> str:
    try:
        return shown(str(error))
    except BaseException:  # an exception whose __str__ fails still gets its type named
        return "(its message cannot be shown)"


def _refuse_old_imports(file: Path) -> None:
    """One sentence for a file written for the bare `topology` package, which is not installed any more."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # runpy says what is wrong with it
    found = _OLD_IMPORT.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise LoadError(f"{file} line {line}: vpcdraw is installed as one package now; write "
                        f"`from vpcdraw import TopologyBuilder, anywhere, my_ip, sg` instead of "
                        f"`{found.group(0).strip()}`")


def _line_in(file: Path, error: BaseException) -> str:
    """' line N' of the deepest traceback frame inside the user's file, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == file]
    return f" line {frames[-1].lineno}" if frames else ""

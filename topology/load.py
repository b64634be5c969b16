"""Reading a topology file: Python that binds `topology`, or its JSON form. The model's only I/O.

A .py topology file is code: it runs with the user's permissions and credentials. Reviewers who do
not trust a file should ask for its JSON form (`vpcdraw export FILE --json`).

A .py file runs in a child process (`vpcdraw.topology.child`), killed (not asked) when it outlasts its
time, so no loop, ignored signal, leftover thread or `os._exit` can hang vpcdraw or end it silently;
whatever it prints goes to stderr, so `--json` output stays one document. The child sends the topology
back in its JSON form (`serialize.to_dict`), so nothing the file made is unpickled here.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from .builder import TopologyBuilder
from .child import exit_words, receive, start
from .drawio import read as read_drawing
from .errors import InvalidTopology, LoadError
from .model import Topology
from .mxfile import is_drawio
from .serialize import from_dict, from_json, to_dict, type_problems
from .validate.problem import Problem, shown

NO_EXEC_VARIABLE = "VPCDRAW_NO_EXEC"
TIMEOUT_VARIABLE = "VPCDRAW_LOAD_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
# Before vpcdraw was installed under one name, topology files imported the bare packages.
_OLD_IMPORT = re.compile(r"^\s*(?:from|import)\s+(topology|render|deploy)\b", re.MULTILINE)


def load(path: str | Path, *, allow_code: bool | None = None, timeout: float | None = None,
         notes: list[str] | None = None) -> Topology:
    """The topology a .py, .json or draw.io file describes; LoadError with one sentence when it cannot be read.

    A draw.io file (.drawio, .drawio.png, .drawio.svg) is data, read under --no-exec too; what its reading
    assumed where the drawing left something to convention is appended to `notes`.

    `allow_code` False refuses .py files (default: allowed unless VPCDRAW_NO_EXEC is set); a .py file that
    runs longer than `timeout` seconds (default $VPCDRAW_LOAD_TIMEOUT or 10; 0 waits for ever) is killed.
    A .py file that builds values of the wrong type (`cidr=16`) raises InvalidTopology listing every one.
    """
    file = Path(path)
    if not file.exists():
        raise LoadError(f"{file}: no such file")
    if file.is_dir():
        raise LoadError(f"{file} is a folder; give the topology file in it (a .py or .json file)")
    if not file.is_file():
        raise LoadError(f"{file} is not a regular file (a device or a pipe); give a .py or .json topology file")
    if is_drawio(file.name):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise LoadError(f"{file}: cannot be read ({error})") from None
        topology, assumed = read_drawing(data, str(file))
        if notes is not None:
            notes += assumed
        return topology
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
    raise LoadError(f"{file}: a topology file ends in .py, .json or .drawio (.drawio.png, .drawio.svg), "
                    f"not '{file.suffix or '(none)'}'")


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
    _refuse_nul(file)
    _refuse_old_imports(file)
    read_end, write_end = os.pipe()
    try:
        child = start(str(file), write_end)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the child holds the only write end now: when it is gone, reading ends
    late, reply = False, None
    try:
        reply = receive(read_end, timeout)
    except TimeoutError:
        late = True
    finally:
        os.close(read_end)
        status = child.stop()
    if late:
        raise LoadError(f"{file} did not finish loading within {timeout:g} s and was stopped; a topology file "
                        "should only build a topology")
    if reply is None:
        raise LoadError(f"{file} exited while loading ({exit_words(status)}) and built no topology; a topology "
                        "file should only build a topology")
    return _read_reply(file, json.loads(reply.decode("utf-8")))


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
        where = f" line {error.lineno}" if error.lineno else ""  # None for bytes Python refuses (NUL)
        return {"error": f"{file}{where}: syntax error: {shown(error.msg)}"}
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


def _refuse_nul(file: Path) -> None:
    """A NUL byte is no Python source (Python 3.11 says so as a SyntaxError or a ValueError, by release)."""
    with contextlib.suppress(OSError):  # unreadable: the child says so
        data = file.read_bytes()
        if b"\0" in data:
            line = data[:data.index(b"\0")].count(b"\n") + 1
            raise LoadError(f"{file} line {line}: a NUL byte, which Python source cannot hold; is it a text file?")


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

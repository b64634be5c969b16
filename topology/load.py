"""Reading a topology file: Python that binds `topology`, or its JSON form. The model's only I/O.

A .py topology file is code: it runs with the user's permissions and credentials. Reviewers who do
not trust a file should ask for its JSON form (`vpcdraw export FILE --json`).
"""

from __future__ import annotations

import os
import re
import runpy
import signal
import threading
import traceback
from pathlib import Path

from .builder import TopologyBuilder
from .errors import LoadError
from .model import Topology
from .serialize import from_json

NO_EXEC_VARIABLE = "VPCDRAW_NO_EXEC"
TIMEOUT_VARIABLE = "VPCDRAW_LOAD_TIMEOUT"
# Before vpcdraw was installed under one name, topology files imported the bare packages.
_OLD_IMPORT = re.compile(r"^\s*(?:from|import)\s+(topology|render|deploy)\b", re.MULTILINE)


def load(path: str | Path, *, allow_code: bool | None = None, timeout: float | None = None) -> Topology:
    """The topology a .py or .json file describes; LoadError with one sentence when it cannot be read.

    `allow_code` False refuses .py files (default: allowed unless VPCDRAW_NO_EXEC is set); a .py file that
    runs longer than `timeout` seconds (default $VPCDRAW_LOAD_TIMEOUT or 10) is stopped.
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
        return _run(file, timeout if timeout is not None else float(os.environ.get(TIMEOUT_VARIABLE, "10")))
    raise LoadError(f"{file}: a topology file ends in .py or .json, not '{file.suffix or '(none)'}'")


class _TooLong(BaseException):
    """Raised by the alarm inside a topology file that runs too long."""


def _run(file: Path, timeout: float) -> Topology:
    _refuse_old_imports(file)
    def stop(signum: int, frame: object) -> None:
        raise _TooLong

    timed = threading.current_thread() is threading.main_thread() and timeout > 0
    if timed:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        namespace = runpy.run_path(str(file), run_name="__vpcdraw_topology__")
    except _TooLong:
        raise LoadError(f"{file} was still running after {timeout:g} s and was stopped; a topology file should "
                        "only build a topology") from None
    except SyntaxError as error:
        raise LoadError(f"{file} line {error.lineno}: syntax error: {error.msg}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the user's code may raise anything, SystemExit included
        raise LoadError(f"{file}{_line_in(file, error)}: {type(error).__name__}: {error}") from None
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    value = namespace.get("topology")
    if isinstance(value, TopologyBuilder):
        value = value.build()
    if not isinstance(value, Topology):
        found = "nothing" if value is None else f"a {type(value).__name__}"
        raise LoadError(
            f"{file} builds no topology: bind one to the name 'topology' "
            f"(for example `topology = t.build()`), found {found}"
        )
    return value


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

"""Colour for people at a terminal: create green, change yellow, delete red, PASS / FAIL, severities.

Only when standard output is a terminal, and never with `NO_COLOR` set (https://no-color.org: "when present
and not an empty string") or `--no-color`: pipes, files and CI logs get plain text. `FORCE_COLOR` (set and not
empty) paints a pipe too, for CI logs that show colour; `NO_COLOR` and `--no-color` still win.
"""

from __future__ import annotations

import os
from typing import TextIO

TONES = {  # SGR colour codes (ECMA-48)
    "create": "32", "adopt": "36", "update": "33", "replace": "31", "delete": "31",
    "pass": "32", "fail": "31", "critical": "1;31", "high": "31", "medium": "33", "low": "36",
}
_enabled = False


def setup(stream: TextIO, no_color: bool) -> None:
    """Decide once, at start, whether this run paints its output."""
    global _enabled
    if no_color or os.environ.get("NO_COLOR"):
        _enabled = False
    elif os.environ.get("FORCE_COLOR"):
        _enabled = True
    else:
        _enabled = os.environ.get("TERM") != "dumb" and stream.isatty()


def paint(text: str, tone: str) -> str:
    """`text` in the colour of `tone` (an op, pass / fail, or a severity) when colour is on; else `text`.

    >>> paint("+ vpc", "create")  # doctests do not run at a terminal
    '+ vpc'
    """
    code = TONES.get(tone.lower())
    return f"\033[{code}m{text}\033[0m" if _enabled and code else text


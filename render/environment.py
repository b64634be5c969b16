"""What drawing needs from the machine: Graphviz's `dot` and a font with Hangul glyphs."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

PREFERRED_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "UnDotum")
INSTALL_DOT = "install Graphviz: `sudo apt-get install graphviz` on Debian/Ubuntu, or see https://graphviz.org/download/"
INSTALL_FONT = "install a Korean font: `sudo apt-get install fonts-nanum` on Debian/Ubuntu"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def dot_path() -> str | None:
    """Where Graphviz's `dot` is, or None."""
    return shutil.which("dot")


@cache
def hangul_font() -> str | None:
    """A font family installed here that has Hangul glyphs (NanumGothic first), or None."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listing = subprocess.run(
            ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    families = sorted({name.strip() for line in listing.splitlines() for name in line.split(",") if name.strip()})
    for preferred in PREFERRED_FONTS:
        if preferred in families:
            return preferred
    return families[0] if families else None


def has_hangul(text: str) -> bool:
    """Whether `text` has Hangul that a font without Korean glyphs would draw as empty boxes."""
    return bool(_HANGUL.search(text))

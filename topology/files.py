"""Writing what vpcdraw makes (drawings, exports, saved plans) to the path a user gave, with one sentence
when it cannot be written."""

from __future__ import annotations

from pathlib import Path

from .errors import VpcdrawError


def write(path: Path, data: bytes | str, what: str) -> Path:
    """Write `data` to `path`, making the folders it needs; VpcdrawError naming `what` and the cause if not.

    >>> import tempfile; folder = Path(tempfile.mkdtemp()); (folder / "f").write_text("")
    0
    >>> write(folder / "f" / "x.png", b"", "the drawing")
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: .../f/x.png: cannot write the drawing: .../f is a file, not a folder
    """
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise VpcdrawError(f"{path}: cannot write {what}: {blocking} is a file, not a folder")
    if path.is_dir():
        raise VpcdrawError(f"{path}: cannot write {what}: it is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    except OSError as error:
        raise VpcdrawError(f"{path}: cannot write {what} ({error.strerror or error})") from None
    return path

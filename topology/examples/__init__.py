"""Example topology files shipped with vpcdraw: `vpcdraw example NAME` prints one."""

from __future__ import annotations

from importlib import resources

from ..errors import VpcdrawError

NAMES = ("assignment", "service", "shared-services", "hub")


def example_source(name: str) -> str:
    """The text of the example topology file called `name`."""
    if name not in NAMES:
        raise VpcdrawError(f"there is no example called '{name}'; examples: {', '.join(NAMES)}")
    return resources.files(__package__).joinpath(f"{name.replace('-', '_')}.py").read_text(encoding="utf-8")

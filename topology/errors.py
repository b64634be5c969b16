"""The project's exception root and the few subclasses callers handle differently."""

from __future__ import annotations


class VpcdrawError(Exception):
    """Anything vpcdraw reports to its user as one clear sentence and a non-zero exit."""


class LoadError(VpcdrawError):
    """A topology file could not be read, run, or decoded."""


class InvalidTopology(VpcdrawError):
    """A topology has validation problems; `problems` lists every one of them."""

    def __init__(self, source: str, problems: list) -> None:  # list[Problem], kept loose to avoid a cycle
        self.source = source
        self.problems = problems
        count = len(problems)
        super().__init__(f"{source} has {count} problem{'s' if count != 1 else ''}")


class MissingMyIp(VpcdrawError):
    """The topology uses `my_ip` and no address was given."""

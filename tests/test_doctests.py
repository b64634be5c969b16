"""The examples in vpcdraw's docstrings run, imported as the installed package (vpcdraw.topology, ...)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("vpcdraw", "vpcdraw.topology", "vpcdraw.render", "vpcdraw.deploy")


def _modules() -> list[str]:
    """Every module of the installed package: the subpackages live in their own folders of the checkout."""
    found = set(PACKAGES)
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        found |= {m.name for m in pkgutil.walk_packages(path, package + ".")}
    return sorted(found - {"vpcdraw.__main__"})


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

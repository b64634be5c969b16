"""What a drift or a grade marks on the drawing, as the plain data `vpcdraw.render` takes."""

from __future__ import annotations

from typing import Any


def grade_overlay(result: Any) -> Any:
    """The failed requirements, marked on the elements that fail them."""
    from vpcdraw.render.layout import Overlay

    passed, total = result.score
    failed: dict[str, str] = {}
    for item in result.items:
        for where in item.addresses if not item.passed else ():
            failed[where] = f"{failed[where]}, {item.id}" if where in failed else item.id
    return Overlay(changed=failed, title=f"Graded {passed}/{total}", changed_marker="FAIL")


def drift_overlay(found: Any) -> Any:
    """The drift as the plain data the drawing takes."""
    from vpcdraw.render.layout import Overlay

    changed: dict[str, str] = {}
    for item in found.changed:
        words = f"{item.attribute} should be {item.expected}, is {item.actual}"
        changed[item.address] = f"{changed[item.address]}; {words}" if item.address in changed else words
    rules = tuple(i.spec for i in found.unmanaged if i.kind == "security_group_rule" and i.spec)
    others = tuple(f"{i.detail} ({i.address})" for i in found.unmanaged if not (i.kind == "security_group_rule"
                                                                                and i.spec))
    return Overlay(frozenset(i.address for i in found.missing), changed, rules, others)

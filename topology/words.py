"""Words for people: counts with their nouns."""

from __future__ import annotations


def plural(count: int, noun: str, many: str = "") -> str:
    """`1 change`, `5 changes`: a count with its noun, singular or plural (`many` when not noun + s).

    >>> plural(1, "change"), plural(26, "change"), plural(0, "resource"), plural(2, "copy", "copies")
    ('1 change', '26 changes', '0 resources', '2 copies')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {many or noun + 's'}"

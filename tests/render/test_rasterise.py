"""Graphviz failing: one sentence that says what happened, not the first warning it printed."""

from __future__ import annotations

import pytest

import vpcdraw.render as render_package
from vpcdraw.render import RenderError, rasterise


def test_a_dot_that_crashes_is_said_to_have_crashed(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Warning: node legend, size too small for label' >&2\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setattr(render_package, "dot_path", lambda: str(fake))
    with pytest.raises(RenderError) as raised:
        rasterise("digraph { a }", "json0")
    assert str(raised.value).startswith("Graphviz's dot crashed (SIGSEGV)"), raised.value
    assert "too small" not in str(raised.value)

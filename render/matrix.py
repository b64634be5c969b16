"""The reachability matrix as a picture: one table, drawn by Graphviz."""

from __future__ import annotations

import html
from pathlib import Path

from vpcdraw.topology.files import write


def draw_matrix(title: str, sources: list[str], targets: list[str], cells: dict[tuple[str, str], list[str]],
                out: Path) -> Path:
    """Draw who reaches whom (a green cell lists the ports) into `out` (.png, .svg or .dot)."""
    from vpcdraw.topology.analysis.reach import MATRIX_CORNER

    from . import output_format, rasterise
    from .environment import hangul_font

    head = "".join(f'<TD BGCOLOR="#EAEDED"><B>{html.escape(t)}</B></TD>' for t in targets)
    rows = [f'<TR><TD BGCOLOR="#EAEDED"><B>{html.escape(MATRIX_CORNER)}</B></TD>{head}</TR>']
    for source in sources:
        row = "".join(
            f'<TD BGCOLOR="{"#E3F1DF" if cells[(source, t)] else "#FFFFFF"}">'
            f'{html.escape(", ".join(cells[(source, t)]) or "-")}</TD>' for t in targets)
        rows.append(f'<TR><TD BGCOLOR="#EAEDED"><B>{html.escape(source)}</B></TD>{row}</TR>')
    font = hangul_font() or "Sans-Serif"
    dot = (f'digraph matrix {{ graph [label="{html.escape(title)}: who reaches whom" labelloc=t fontname="{font}"] '
           f'node [shape=plaintext fontname="{font}"] '
           f'm [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="6">{"".join(rows)}</TABLE>>] }}\n')
    fmt = output_format(out)
    if fmt.startswith("drawio") or fmt == "html":
        from . import RenderError

        raise RenderError(f"{out}: the matrix is drawn as .png, .svg or .dot (a table, not a diagram to edit)")
    return write(out, dot.encode() if fmt == "dot" else rasterise(dot, fmt), "the matrix")

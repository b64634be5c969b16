"""The cells of a draw.io page as the tests look at them: each an mxCell carrying its id and value, whether
draw.io wrote it bare or inside an <object> that holds its id, label and properties ("Edit Data")."""

from __future__ import annotations

import copy
from xml.etree import ElementTree as ET


def flat_cells(root: ET.Element) -> list[ET.Element]:
    """Copies of every cell under `root` (an mxfile, an mxGraphModel or its root), in file order, for reading; a
    wrapped cell gets its object's id, its label (as `value`) and its properties (as `data-NAME`)."""
    found = []
    for element in root.iter():
        if element.tag in ("object", "UserObject"):
            inner = element.find("mxCell")
            if inner is None:
                continue
            cell = copy.deepcopy(inner)
            cell.set("id", element.get("id", ""))
            cell.set("value", element.get("label", ""))
            for key, value in element.attrib.items():
                if key not in ("id", "label"):
                    cell.set(f"data-{key}", value)
            found.append(cell)
        elif element.tag == "mxCell" and element.get("id") is not None:
            found.append(element)
    return found


def cells_by_id(root: ET.Element) -> dict[str, ET.Element]:
    """`flat_cells` by id."""
    return {str(c.get("id")): c for c in flat_cells(root)}


def cell_to_edit(root: ET.Element, cell_id: str) -> ET.Element:
    """The mxCell element itself (inside its <object>, if any) of the cell `cell_id`, to change as draw.io would."""
    for element in root.iter():
        if element.get("id") == cell_id:
            inner = element.find("mxCell") if element.tag in ("object", "UserObject") else element
            if inner is not None:
                return inner
    raise KeyError(cell_id)

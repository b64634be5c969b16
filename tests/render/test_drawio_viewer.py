"""The .drawio export opened in draw.io's own viewer (headless Chromium): every AWS shape is drawn from its stencil.

The viewer, its shapes and the AWS4 stencils come from the PyPI wheel jupyterlab-drawio-render-extension (a dev
dependency), so the test runs offline; it is skipped when that wheel or Chromium is missing.
"""

from __future__ import annotations

import html
import json
import statistics
import subprocess
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from tests.render.test_gallery import chromium, decode_png
from vpcdraw.render import render
from vpcdraw.topology import Topology
from vpcdraw.topology.mxfile import diagram_in_png

VIEWER = "jupyterlab-drawio-render-extension"
SCRIPTS = ("viewer-static.min.js", "shapes.min.js", "stencils.min.js")  # in this order: the stencils patch the viewer
WINDOW = (1400, 1800)
# Labels each example's diagram must show: the VPC, a rule's port, the admin's address; the service's NAT and host.
LABELS = {
    "assignment": ("VPC main 172.16.0.0/16", "tcp/8080", "tcp/22", "203.0.113.10/32", "route table public"),
    "service": ("VPC main 172.16.0.0/16", "tcp/8080", "tcp/3306", "203.0.113.10/32", "NAT Gateway", "web-a"),
}
STENCILS = {  # stencils that must have been found, beyond "every AWS shape was drawn"
    "assignment": {"mxgraph.aws4.group_vpc2", "mxgraph.aws4.internet_gateway", "mxgraph.aws4.router"},
    "service": {"mxgraph.aws4.group_vpc2", "mxgraph.aws4.nat_gateway", "mxgraph.aws4.instance2"},
}

# What processElements() does for each div, plus a callback that writes, for every cell styled with an AWS4 shape
# or icon, whether the viewer found each stencil and drew paths for it. A stencil that did not load leaves a
# blank box (a <rect>) and "error in loadStencilSet" on the console; both fail the test.
PROBE = """
function probe(viewer) {
  var graph = viewer.graph, cells = graph.getModel().cells, found = [];
  for (var id in cells) {
    var style = graph.getCellStyle(cells[id]), state = graph.view.getState(cells[id]);
    var names = [style.shape, style.grIcon, style.resIcon].filter(function (n) {
      return n != null && n.indexOf("mxgraph.aws4.") == 0; });
    if (names.length == 0) continue;
    found.push({id: id, names: names,
      missing: names.filter(function (n) {
        return mxStencilRegistry.getStencil(n) == null && mxCellRenderer.defaultShapes[n] == null; }),
      paths: state && state.shape ? state.shape.node.getElementsByTagName("path").length : -1});
  }
  var out = document.createElement("pre");
  out.id = "probe";
  out.hidden = true;  // data for the test, not part of the picture
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
}
mxUtils.forEach(GraphViewer.getElementsByClassName("mxgraph"), function (div) {
  div.innerText = "";
  GraphViewer.createViewerForElement(div, probe);
});
"""


def viewer_scripts() -> list[Path] | None:
    """The wheel's installed viewer-static.min.js, shapes.min.js and stencils.min.js, None when any is missing."""
    try:
        installed = distribution(VIEWER).files or []
    except PackageNotFoundError:
        return None
    by_name = {Path(str(f)).name: Path(str(f.locate())) for f in installed if Path(str(f)).parent.name == "static"}
    scripts = [by_name.get(name) for name in SCRIPTS]
    return [s for s in scripts if s is not None and s.is_file()] if all(scripts) else None


def viewer_page(drawio: str, scripts: list[Path]) -> str:
    """An HTML page showing one diagram in draw.io's viewer. The scripts come first: a div the viewer draws before
    stencils.min.js has loaded gets blank boxes for icons."""
    config = json.dumps({"xml": drawio, "toolbar": "", "nav": False})
    tags = "".join(f'<script src="{s.as_uri()}"></script>' for s in scripts)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><script>window.STENCIL_PATH = "stencils";</script>'
            f'{tags}</head><body style="margin: 0; background: #fff">'
            f'<div class="mxgraph" data-mxgraph="{html.escape(config, quote=True)}"></div>'
            f"<script>{PROBE}</script></body></html>")


def console_messages(stderr: str) -> list[str]:
    """The page's console messages in Chromium's stderr log (`--enable-logging=stderr`)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.parametrize("form", [".drawio", ".drawio.png"])
@pytest.mark.parametrize("example", ["assignment", "service"])
def test_draw_io_s_viewer_draws_every_aws_shape_and_label(
        example: str, form: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The file, or the diagram inside the PNG a student posts, as draw.io's own viewer draws it."""
    browser, scripts = chromium(), viewer_scripts()
    if browser is None:
        pytest.skip("no headless Chromium (chromium or chromium-headless-shell) on PATH")
    if scripts is None:
        pytest.skip(f"the {VIEWER} wheel's {', '.join(SCRIPTS)} are not installed (pip install -e '.[dev]')")
    topology: Topology = request.getfixturevalue(example)
    drawio = tmp_path / f"{example}{form}"
    render(topology, drawio, my_ip="203.0.113.10")
    xml = diagram_in_png(drawio.read_bytes()) if form == ".drawio.png" else drawio.read_text(encoding="utf-8")
    assert xml is not None, "the PNG holds its diagram"
    page = tmp_path / f"{example}.html"
    page.write_text(viewer_page(xml, scripts), encoding="utf-8")
    # no network: the viewer asks viewer.diagrams.net for MathJax, which must not matter
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              "--allow-file-access-from-files", "--virtual-time-budget=8000", "--host-resolver-rules=MAP * ~NOTFOUND",
              "--enable-logging=stderr", "--v=0"]

    shown = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90,
                           check=True)
    dom = shown.stdout
    assert console_messages(shown.stderr) == [] and "loadStencilSet" not in dom
    mark = '<pre id="probe" hidden="">'  # as Chromium serialises the probe's element
    start = dom.find(mark)
    end = dom.find("</pre>", start)
    assert start >= 0 and end > start, "the viewer did not draw the diagram: " + dom[-2000:]
    cells = json.loads(html.unescape(dom[start + len(mark):end]))
    assert len(cells) >= 15, cells  # AWS Cloud, region, VPC, subnets, SGs, gateways, route tables, ...
    assert [(c["id"], c["missing"]) for c in cells if c["missing"]] == []
    assert [(c["id"], c["names"]) for c in cells if c["paths"] <= 0] == []
    assert STENCILS[example] <= {n for c in cells for n in c["names"]}
    drawing = dom[dom.find('class="mxgraph"'):start]
    assert drawing.count("<svg") == 1 and drawing.count("<path") >= 2 * len(cells)
    text = html.unescape(drawing)
    assert [label for label in LABELS[example] if label not in text] == []

    if form != ".drawio":
        return  # the same diagram as the .drawio's: drawn above; its screenshot is taken once, from the .drawio
    screenshot = tmp_path / f"{example}-drawio-viewer.png"
    subprocess.run([*common, f"--screenshot={screenshot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", page.as_uri()],
                   capture_output=True, timeout=90, check=True)
    width, height, _channels, rows = decode_png(screenshot.read_bytes())
    assert (width, height) == WINDOW
    sample = [b for row in rows[::9] for b in row[::7]]
    assert statistics.pvariance(sample) > 100 and len(set(sample)) > 50, f"the screenshot is blank: {screenshot}"
    print(f"draw.io viewer screenshot of {example}: {screenshot}")

"""The drawing as one self-contained HTML page: hover an edge for its rules, a subnet for its routes, a security
group for its rules; click anything for its address (and AWS id); a drift or grade lists its findings beside it.

Nothing is fetched: the SVG (icons as data URIs), the facts as JSON and a small script are all inside the page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vpcdraw.topology.address import holding_vpc, vpc_address
from vpcdraw.topology.model import Topology

from .layout import Layout, Overlay
from .page_facts import Fact, edge_key, facts, filled, rule_where

# A Graphviz SVG group: its id (node1, clust2, edge3), class and <title> (the node id, cluster_<id>, or a->b).
_GROUP = re.compile(r'<g id="([^"]+)" class="(node|cluster|edge)">\s*<title>([^<]*)</title>(.*?)</g>', re.S)
_TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")


@dataclass(frozen=True)
class Finding:
    """One line of the side list: a drift or grade finding, and the SVG elements that show it."""

    status: str  # missing, changed, unmanaged
    text: str
    address: str
    targets: tuple[str, ...]


def html_page(topology: Topology, svg: bytes, plan: Layout, my_ip: str | None = None,
              overlay: Overlay | None = None, ids: Mapping[str, str] | None = None) -> str:
    """The page for `plan` (the layout of `topology` that Graphviz drew as `svg`); `ids` maps addresses to AWS ids
    when the drawing was made from a live VPC."""
    known = facts(topology, plan, my_ip, overlay)
    picture, elements = _index(svg.decode("utf-8"), plan, known)
    ids = ids or {}
    data = {
        "elements": {key: {"title": fact.title, "lines": fact.lines, "address": fact.address,
                           "aws_id": "\n".join(ids[a] for a in fact.address.split("\n") if a in ids)}
                     for key, fact in elements.items()},
        "findings": [{"status": f.status, "text": f.text, "address": f.address, "targets": list(f.targets)}
                     for f in findings(topology, overlay, elements, my_ip)] if overlay else [],
    }
    side = ('<aside id="vd-side"><h2>Findings</h2><ol id="vd-findings"></ol></aside>' if overlay is not None
            else "")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(plan.title)}</title><style>{_CSS}</style></head><body>"
            f'<header><h1>{html.escape(plan.title)}</h1>'
            f'<p id="vd-info">Hover a line, a subnet or a security group for its rules and routes; '
            f"click anything for its address.</p></header>"
            f'<main>{side}<div id="vd-drawing">{picture}</div></main>'
            f'<div id="vd-tip" role="tooltip" hidden></div>'
            f'<script type="application/json" id="vd-data">{script_json(data)}</script>'
            f"<script>{_JS}</script></body></html>\n")


def script_json(data: object) -> str:
    """`data` as JSON that is safe inside a <script> element: no `</script>`, `<!--` or `]]>` can appear.

    >>> script_json({"label": "</script>&"})
    '{"label": "\\\\u003c/script\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _index(svg: str, plan: Layout, known: dict[str, Fact]) -> tuple[str, dict[str, Fact]]:
    """The SVG without its XML prolog, and the fact for each of its groups, keyed by the group's SVG id."""
    picture = svg[svg.index("<svg"):]
    edges: dict[frozenset[str], list[tuple[str, set[str]]]] = {}
    for edge in plan.edges:  # an SVG edge's title names its ends, either way round (draw reverses some)
        edges.setdefault(frozenset((edge.source, edge.target)), []).append((edge_key(edge), set(edge.labels)))
    found: dict[str, Fact] = {}
    for match in _GROUP.finditer(picture):
        svg_id, kind, title = match.group(1), match.group(2), html.unescape(match.group(3))
        if kind == "node" and title in known:
            found[svg_id] = known[title]
        elif kind == "cluster" and title.removeprefix("cluster_") in known:
            found[svg_id] = known[title.removeprefix("cluster_")]
        elif kind == "edge" and "->" in title:
            source, _, target = title.partition("->")
            texts = {html.unescape(t) for t in _TEXT.findall(match.group(4))}
            choices = edges.get(frozenset((source, target)), [])
            pick = next((c for c in choices if c[1] == texts), choices[0] if choices else None)
            if pick is not None:
                choices.remove(pick)
                found[svg_id] = known[pick[0]]
    return picture, found


def findings(topology: Topology, overlay: Overlay | None, elements: Mapping[str, Fact],
             my_ip: str | None = None) -> list[Finding]:
    """The overlay's findings in the order drift lists them, each with the SVG ids of what shows it: the element
    standing for its address (or the nearest holder of it), else the note that lists it."""
    if overlay is None:
        return []
    notes = {name: [k for k, f in elements.items() if name in f.covers] for name in ("drift/unmanaged",
                                                                                       "drift/elsewhere")}

    def showing(where: str, fallback: str) -> tuple[str, ...]:
        parts = where.split("/")
        for end in range(len(parts), 2, -1):  # the address, then what holds it, down to its VPC's resources
            hits = tuple(k for k, f in elements.items() if "/".join(parts[:end]) in f.covers)
            if hits:
                return hits
        return tuple(notes[fallback])

    found = [Finding("missing", f"MISSING {a}", a, showing(a, "drift/elsewhere")) for a in sorted(overlay.missing)]
    found += [Finding("changed", f"{a}: {overlay.marker(a)}", a, showing(a, "drift/elsewhere"))
              for a in sorted(overlay.changed)]
    vpcs = {vpc_address(v): v for v in topology.vpcs}
    for extra in overlay.unmanaged_rules:
        vpc = vpcs.get(holding_vpc(extra.security_group))
        where = rule_where(vpc, extra.security_group, extra.direction, filled(extra.rule, my_ip)) if vpc else ""
        found.append(Finding("unmanaged", f"UNMANAGED {extra.words}", where,
                             showing(where, "drift/unmanaged") if where else tuple(notes["drift/unmanaged"])))
    for owner, subnet in overlay.unmanaged_subnets:
        boxes = tuple(k for k, f in elements.items() if f.title == "UNMANAGED" and subnet.cidr in f.lines)
        found.append(Finding("unmanaged", f"UNMANAGED subnet {subnet.name} {subnet.cidr} in {owner}", "",
                             boxes or tuple(notes["drift/unmanaged"])))
    found += [Finding("unmanaged", f"UNMANAGED {words}", "", tuple(notes["drift/unmanaged"]))
              for words in overlay.unmanaged]
    found += [Finding("changed", note, "", tuple(notes["drift/elsewhere"])) for note in overlay.notes]
    return found


_CSS = """
body { margin: 0; font: 14px/1.4 "NanumGothic", "Noto Sans KR", sans-serif; color: #232f3e; background: #fff; }
header { padding: 8px 16px; border-bottom: 1px solid #d5dbdb; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 0 0 8px; }
#vd-info { margin: 0; min-height: 1.4em; white-space: pre-wrap; }
main { display: flex; align-items: flex-start; }
#vd-side { flex: 0 0 300px; max-height: calc(100vh - 80px); overflow: auto; position: sticky; top: 0;
  padding: 12px; border-right: 1px solid #d5dbdb; }
#vd-findings { margin: 0; padding-left: 20px; }
#vd-findings li { margin: 0 0 6px; padding: 2px 4px; cursor: pointer; white-space: pre-wrap; border-radius: 3px;
  overflow-wrap: anywhere; }
#vd-findings li.missing { border-left: 4px solid #d13212; }
#vd-findings li.changed { border-left: 4px solid #b7791f; }
#vd-findings li.unmanaged { border-left: 4px solid #f08000; }
#vd-findings li.vd-on, #vd-findings li:hover { background: #fde7f3; }
#vd-drawing { flex: 1 1 auto; overflow: auto; padding: 8px; }
#vd-drawing svg { max-width: 100%; height: auto; }
g.vd-live { cursor: pointer; }
g.edge .vd-hit { stroke: transparent; stroke-width: 14px; fill: none; pointer-events: stroke; }
g.vd-on { filter: drop-shadow(0 0 3px #e0007a) drop-shadow(0 0 3px #e0007a); }
g.vd-hover { filter: drop-shadow(0 0 2px #0972d3); }
g.vd-on > polygon, g.vd-on > path:not(.vd-hit) { stroke: #e0007a; stroke-width: 4px; }
#vd-tip { position: fixed; z-index: 10; max-width: 520px; padding: 6px 10px; background: #fffffe;
  border: 1px solid #545b64; border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,.25); pointer-events: none;
  white-space: pre-wrap; font-size: 13px; }
#vd-tip .vd-title { font-weight: bold; }
"""

# Handlers for the SVG groups the JSON names; text goes in through textContent only, never as markup.
_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vd-data").textContent);
  var tip = document.getElementById("vd-tip"), info = document.getElementById("vd-info");
  var lit = [], pinned = [];
  function light(keys, on) {
    lit.forEach(function (g) { g.classList.remove("vd-on"); });
    lit = [];
    if (!on) return;
    keys.forEach(function (key) {
      var g = document.getElementById(key);
      if (g) { g.classList.add("vd-on"); lit.push(g); }
    });
  }
  function fill(box, fact) {
    box.textContent = "";
    var title = document.createElement("div");
    title.className = "vd-title";
    title.textContent = fact.title;
    box.appendChild(title);
    fact.lines.forEach(function (line) {
      var row = document.createElement("div");
      row.textContent = line;
      box.appendChild(row);
    });
  }
  function place(event) {
    var x = event.clientX + 14, y = event.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth) x = Math.max(0, event.clientX - w - 14);
    if (y + h > window.innerHeight) y = Math.max(0, event.clientY - h - 14);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  Object.keys(data.elements).forEach(function (key) {
    var g = document.getElementById(key), fact = data.elements[key];
    if (!g) return;
    g.classList.add("vd-live");
    if (g.classList.contains("edge")) {  // a wide invisible stroke, so a thin line is easy to point at
      var line = g.querySelector("path");
      if (line) {
        var hit = line.cloneNode(false);
        hit.setAttribute("class", "vd-hit");
        g.insertBefore(hit, line.nextSibling);
      }
    }
    g.addEventListener("mouseover", function (event) {
      g.classList.add("vd-hover");
      fill(tip, fact);
      tip.hidden = false;
      tip.dataset.key = key;
      place(event);
    });
    g.addEventListener("mousemove", place);
    g.addEventListener("mouseout", function (event) {
      if (!g.contains(event.relatedTarget)) { tip.hidden = true; g.classList.remove("vd-hover"); }
    });
    g.addEventListener("click", function () {
      var many = fact.address.indexOf("\\n") >= 0;
      var words = fact.address ? (many ? "Addresses:\\n" : "Address: ") + fact.address : fact.title;
      if (fact.aws_id) words += (many ? "\\nAWS ids:\\n" : "\\nAWS id: ") + fact.aws_id;
      info.textContent = words;
      info.dataset.key = key;
      pinned = [key];
      light(pinned, true);
    });
  });
  var list = document.getElementById("vd-findings");
  if (list) {
    data.findings.forEach(function (finding) {
      var item = document.createElement("li");
      item.className = finding.status;
      item.textContent = finding.text;
      item.addEventListener("mouseenter", function () { light(finding.targets, true); });
      item.addEventListener("mouseleave", function () { light(pinned, true); });
      item.addEventListener("click", function () {
        pinned = finding.targets;
        light(pinned, true);
        var first = finding.targets.length && document.getElementById(finding.targets[0]);
        if (first) first.scrollIntoView({block: "center", inline: "center"});
        info.textContent = finding.text + (finding.address ? "\\nAddress: " + finding.address : "");
      });
      list.appendChild(item);
    });
    if (!data.findings.length) {
      var none = document.createElement("li");
      none.textContent = "nothing: in sync";
      list.appendChild(none);
    }
  }
})();
"""

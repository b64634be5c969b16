"""The .html page: self-contained, escaped, and in headless Chromium a real mouse over an edge, a subnet or a
security group shows its rules and routes, a click its address and AWS id, and a drift's findings light up what
they are about.

The mouse is real input: the Chrome DevTools Protocol over `--remote-debugging-pipe` (file descriptors 3 and 4,
NUL-separated JSON, no websocket needed), `Input.dispatchMouseEvent` at a point where `elementFromPoint` finds the
element; network requests are recorded and DNS is mapped to nothing, so a fetch could neither succeed nor go unseen.
"""

from __future__ import annotations

import base64
import fcntl
import html
import json
import os
import re
import select
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.render.test_gallery import chromium, decode_png
from vpcdraw.render import RenderError, render
from vpcdraw.render.icons import icon_root
from vpcdraw.render.layout import Overlay, UnmanagedRule
from vpcdraw.render.page import script_json
from vpcdraw.topology import Topology, TopologyBuilder, anywhere
from vpcdraw.topology.builder import VpcBuilder
from vpcdraw.topology.model import Peer, Rule

MY_IP = "203.0.113.10"
WINDOW = (1400, 1000)
NASTY = '</script><b>외부망 & "q"</b>'

# The point of an element that the mouse can reach: along an edge's line, else on a grid over the element's box,
# the first where the topmost element under the point belongs to it (a child box or icon may cover the middle).
POINT = """
(function (key) {
  var g = document.getElementById(key);
  g.scrollIntoView({block: "center", inline: "center"});
  function mine(x, y) {
    var hit = document.elementFromPoint(x, y);
    var owner = hit && hit.closest("g.node, g.cluster, g.edge");
    return owner === g;
  }
  var line = g.classList.contains("edge") && g.querySelector("path");
  if (line) {
    var length = line.getTotalLength(), m = line.getScreenCTM();
    for (var f = 0.5, step = 0; step < 40; step++, f = 0.5 + (step % 2 ? 1 : -1) * Math.ceil(step / 2) * 0.0125) {
      var p = line.getPointAtLength(length * f);
      var x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
      if (mine(x, y)) return {x: x, y: y};
    }
    return null;
  }
  var box = g.getBoundingClientRect();
  for (var i = 1; i < 20; i++) for (var j = 1; j < 20; j++) {
    var gx = box.left + box.width * j / 20, gy = box.top + box.height * i / 20;
    if (mine(gx, gy)) return {x: gx, y: gy};
  }
  return null;
})
"""


class Browser:
    """Headless Chromium driven over the DevTools protocol's pipe transport, one page attached."""

    def __init__(self, binary: str, log: Path) -> None:
        commands, self._to_browser = os.pipe()
        self._from_browser, replies = os.pipe()

        def wire() -> None:  # in the child: the protocol's fds 3 (commands) and 4 (replies)
            inbound, outbound = fcntl.fcntl(commands, fcntl.F_DUPFD, 10), fcntl.fcntl(replies, fcntl.F_DUPFD, 10)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        with log.open("wb") as errors:
            self.process = subprocess.Popen(
                [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--remote-debugging-pipe",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--no-first-run", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                 "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, pass_fds=(3, 4), preexec_fn=wire)
        os.close(commands)
        os.close(replies)
        self._buffer, self._next, self.events = b"", 0, []  # type: list[dict[str, Any]]
        self.session = ""
        pages = [t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=WINDOW[0], height=WINDOW[1], deviceScaleFactor=1,
                  mobile=False)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method on the page (the browser before one is attached); its result."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                assert "error" not in reply, (method, reply["error"])
                return dict(reply["result"])
            self.events.append(reply)

    def wait(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first event called `event`, from those seen or the next ones."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.events if e.get("method") == event), None)
            if found is not None:
                return found
            self.events.append(self._read(deadline - time.monotonic()))

    def _read(self, timeout: float = 30.0) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], max(timeout, 0.1))
            assert ready, "Chromium did not answer within the time allowed"
            chunk = os.read(self._from_browser, 1 << 16)
            assert chunk, "Chromium closed the protocol pipe"
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def open(self, page: Path) -> None:
        self.send("Page.navigate", url=page.as_uri())
        self.wait("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def point(self, element: str) -> tuple[float, float]:
        """Where the mouse reaches `element` (an id in the page), in the window."""
        found = self.js(f"{POINT}({json.dumps(element)})")
        assert found is not None, f"no point of {element} is on top in the window"
        return found["x"], found["y"]

    def hover(self, element: str) -> None:
        x, y = self.point(element)
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def click(self, element: str) -> None:
        x, y = self.point(element)
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def tooltip(self) -> list[str]:
        """The lines of the tooltip on screen ([] when hidden)."""
        shown = self.js("(function () { var t = document.getElementById('vd-tip');"
                        " return t.hidden ? null : Array.from(t.children).map(function (c) { return c.textContent; });"
                        " })()")
        return list(shown or [])

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))
        return path

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list[Any]:
        return [e["params"] for e in self.events
                if e.get("method") in ("Runtime.exceptionThrown", "Network.loadingFailed")
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning"))]

    def close(self) -> None:
        try:
            self.session = ""
            self.send("Browser.close")
        except AssertionError:
            pass
        finally:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            os.close(self._to_browser)
            os.close(self._from_browser)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = chromium()
    if binary is None:
        pytest.skip("no headless Chromium (chromium or chromium-headless-shell) on PATH")
    opened = Browser(binary, tmp_path / "chromium.log")
    try:
        yield opened
    finally:
        opened.close()


def page_data(page: str) -> dict[str, Any]:
    """The facts the page carries, as its script reads them."""
    found = re.search(r'<script type="application/json" id="vd-data">(.*?)</script>', page, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def element(data: dict[str, Any], test: Callable[[dict[str, Any]], bool]) -> str:
    """The SVG id of the one element whose fact passes `test`."""
    keys = sorted(k for k, fact in data["elements"].items() if test(fact))
    assert keys, "no element of the page passes the test"
    return keys[0]


def assert_self_contained(page: str) -> None:
    """No address but the SVG and XLink namespaces, no file: URL, no path of this machine."""
    addresses = set(re.findall(r"""https?://[^\s"'<>)]*""", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, addresses
    assert "file:" not in page.lower() and str(icon_root()) not in page and str(Path.home()) not in page
    assert "/tmp/" not in page and "<link" not in page and not re.search(r"<script[^>]*\bsrc=", page)
    assert re.search(r"<(img|image|iframe)\b[^>]*\b(src|href)=\"(?!data:)", page) is None


def test_hovering_an_edge_a_subnet_and_a_group_shows_their_rules_and_routes(
        assignment: Topology, browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "assignment.html"
    ids = {"vpc/main/subnet/public-a": "subnet-0a1b2c3d4e5f60789"}
    render(assignment, out, my_ip=MY_IP, ids=ids)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    data = page_data(page)
    edge = element(data, lambda f: f["title"] == "Internet → Internet Gateway")
    subnet = element(data, lambda f: f["address"] == "vpc/main/subnet/public-a" and f["title"].startswith("subnet"))
    group = element(data, lambda f: f["title"].startswith("SG private:"))

    browser.open(out)
    assert browser.tooltip() == []
    browser.hover(edge)
    assert browser.tooltip() == ["Internet → Internet Gateway",
                                 "ingress tcp/8080 from 0.0.0.0/0 on SG public: web traffic from anywhere"]
    shown = browser.screenshot(tmp_path / "hover-edge.png")
    browser.hover(subnet)
    assert browser.tooltip() == ["subnet public-a 외부망", "172.16.0.0/24 in ap-northeast-2a, public tier",
                                 "route table public", "  172.16.0.0/16 → local", "  0.0.0.0/0 → internet gateway igw"]
    browser.hover(group)
    assert browser.tooltip() == ["SG private: Private tier: 3306 from public, 22 from management", "ingress:",
                                 "  tcp/3306 from SG public: MySQL from the public tier",
                                 "  tcp/22 from SG management: SSH from the bastion",
                                 "egress:", "  all to 0.0.0.0/0 (AWS's default)"]
    browser.click(subnet)
    assert browser.js("document.getElementById('vd-info').textContent") == (
        "Address: vpc/main/subnet/public-a\nAWS id: subnet-0a1b2c3d4e5f60789")
    browser.click(group)
    assert browser.js("document.getElementById('vd-info').textContent") == "Address: vpc/main/security_group/private"
    assert browser.js(f"document.getElementById({json.dumps(group)}).classList.contains('vd-on')")
    browser.click(edge)  # a line is its rules: their addresses
    assert browser.js("document.getElementById('vd-info').textContent") == (
        "Address: vpc/main/security_group/public/ingress/tcp/8080/0.0.0.0/0")

    assert [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []
    assert browser.errors() == []
    width, height, _channels, rows = decode_png(shown.read_bytes())
    assert (width, height) == WINDOW and len({bytes(r[i:i + 3]) for r in rows[::17] for i in range(0, 600, 3)}) > 20
    print(f"screenshot with the edge's tooltip: {shown}")


def _drifted(small: Callable[[], tuple[TopologyBuilder, VpcBuilder]]) -> tuple[Topology, Overlay]:
    t, vpc = small()
    vpc.security_group("db", "database", tier="private").ingress("tcp/3306", Peer("security_group", "web"))
    topology = t.build()
    overlay = Overlay(
        missing=frozenset({"vpc/main/security_group/db/ingress/tcp/3306/sg:web"}),
        changed={"vpc/main/subnet/private-a": "cidr should be 10.0.1.0/24, is 10.0.9.0/24"},
        unmanaged_rules=(UnmanagedRule("vpc/main/security_group/web", "ingress",
                                       Rule("tcp", 22, 22, Peer("cidr", "0.0.0.0/0"), "left open")),),
        unmanaged=("internet gateway igw-0abc (vpc/main/internet_gateway/igw-0abc)",),
        notes=("the default security group has rules",))
    return topology, overlay


def test_a_drift_page_lists_its_findings_and_hovering_one_lights_what_it_is_about(
        small: Callable[[], tuple[TopologyBuilder, VpcBuilder]], browser: Browser, tmp_path: Path) -> None:
    topology, overlay = _drifted(small)
    out = tmp_path / "drift.html"
    render(topology, out, overlay=overlay)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    data = page_data(page)
    texts = [f["text"] for f in data["findings"]]
    assert texts == ["MISSING vpc/main/security_group/db/ingress/tcp/3306/sg:web",
                     "vpc/main/subnet/private-a: CHANGED (cidr should be 10.0.1.0/24, is 10.0.9.0/24)",
                     "UNMANAGED tcp/22 from 0.0.0.0/0 on SG web",
                     "UNMANAGED internet gateway igw-0abc (vpc/main/internet_gateway/igw-0abc)",
                     "the default security group has rules"]
    missing, changed, unmanaged, other, note = data["findings"]
    assert [data["elements"][k]["lines"] for k in missing["targets"]] == [
        ["MISSING ingress tcp/3306 from SG web on SG db"]]
    assert {data["elements"][k]["address"] for k in changed["targets"]} == {"vpc/main/subnet/private-a"}
    # from the internet to the gateway, and on from it to the group's hosts
    assert [data["elements"][k]["lines"] for k in unmanaged["targets"]] == 2 * [
        ["UNMANAGED ingress tcp/22 from 0.0.0.0/0 on SG web: left open"]]
    assert [data["elements"][k]["title"] for k in other["targets"]] == ["UNMANAGED: in the account, not in the drawing"]
    assert [data["elements"][k]["title"] for k in note["targets"]] == ["Not drawn as a box or icon:"]

    browser.open(out)
    items = "document.querySelectorAll('#vd-findings li')"
    assert browser.js(f"Array.from({items}).map(function (li) {{ return li.textContent; }})") == texts
    lit = "Array.from(document.querySelectorAll('g.vd-on')).map(function (g) { return g.id; }).sort()"
    for number, finding in enumerate(data["findings"]):
        browser.js(f"{items}[{number}].id = 'finding-{number}'")
        _hover_item(browser, number)
        assert browser.js(lit) == sorted(finding["targets"]), finding["text"]
    browser.hover(missing["targets"][0])
    assert browser.tooltip()[1:] == ["MISSING ingress tcp/3306 from SG web on SG db"]
    browser.screenshot(tmp_path / "drift.png")
    assert browser.errors() == [] and [u for u in browser.requests() if not u.startswith(("file:", "data:"))] == []


def _hover_item(browser: Browser, number: int) -> None:
    """Move the mouse over the side list's item `number`."""
    box = browser.js(f"(function () {{ var li = document.getElementById('finding-{number}'); li.scrollIntoView();"
                     f" var r = li.getBoundingClientRect(); return {{x: r.left + 8, y: r.top + r.height / 2}}; }})()")
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=box["x"], y=box["y"])


def test_labels_are_escaped_in_the_page_and_shown_as_written(browser: Browser, tmp_path: Path) -> None:
    t = TopologyBuilder("nasty", region="ap-northeast-2", description=NASTY)
    vpc = t.vpc("main", "10.0.0.0/16", label=NASTY)
    vpc.subnet("public-a", "10.0.0.0/24", az="a", tier="public", label=NASTY)
    vpc.internet_gateway("igw")
    vpc.route_table("public", subnets=["public-a"]).route("0.0.0.0/0", internet_gateway="igw")
    vpc.security_group("web", "web servers", tier="public").ingress("tcp/443", anywhere, description=NASTY)
    out = tmp_path / "nasty.html"
    render(t.build(), out)
    page = out.read_text(encoding="utf-8")
    assert "<b>" not in page and page.count("</script>") == 2  # the data's and the code's own
    assert_self_contained(page)
    data = page_data(page)
    edge = element(data, lambda f: f["title"] == "Internet → Internet Gateway")
    browser.open(out)
    assert browser.js("document.title") == f"{NASTY} (ap-northeast-2)"
    browser.hover(edge)
    assert browser.tooltip()[1] == f"ingress tcp/443 from 0.0.0.0/0 on SG web: {NASTY}"
    assert browser.js("document.querySelectorAll('b').length") == 0


def test_json_in_the_page_cannot_end_its_script() -> None:
    text = script_json({"label": "</script><!-- ]]> & 외부망"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"label": "</script><!-- ]]> & 외부망"}


def test_a_grouped_drawing_has_facts_for_its_tier_and_az_boxes(
        small: Callable[[], tuple[TopologyBuilder, VpcBuilder]], tmp_path: Path) -> None:
    t, _ = small()
    out = tmp_path / "tiers.html"
    render(t.build(), out, detail="tiers")
    data = page_data(out.read_text(encoding="utf-8"))
    hosts = [f for f in data["elements"].values() if f["title"].startswith("Internet Gateway →")]
    assert hosts and all(f["lines"] == ["ingress tcp/443 from 0.0.0.0/0 on SG web"] for f in hosts)
    tables = [f for f in data["elements"].values() if f["title"].startswith("route table public")]
    assert tables and "  0.0.0.0/0 → internet gateway igw" in tables[0]["lines"]


def test_the_command_writes_the_page(example_file: Callable[[str], Path], cli: Callable[..., Any],
                                     tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    done = cli("render", example_file("assignment"), "-o", out, "--my-ip", MY_IP)
    assert (done.code, done.err) == (0, "") and done.out == f"wrote {out}\n"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and html.escape("과제 VPC 토폴로지") in page
    assert_self_contained(page)


def test_the_matrix_is_not_a_page(example_file: Callable[[str], Path], cli: Callable[..., Any],
                                  tmp_path: Path) -> None:
    done = cli("reach", example_file("assignment"), "--matrix", "-o", tmp_path / "m.html", "--my-ip", MY_IP)
    assert done.code == 1 and done.err.count("\n") == 1 and "Traceback" not in done.err
    assert "the matrix is drawn as .png, .svg or .dot" in done.err


def test_an_unknown_extension_names_html_among_the_formats(small: Callable[[], tuple[TopologyBuilder, VpcBuilder]],
                                                          tmp_path: Path) -> None:
    t, _ = small()
    with pytest.raises(RenderError, match=r"\.drawio\.svg or \.html, not \.htm$"):
        render(t.build(), tmp_path / "x.htm")


def test_a_grade_page_lists_each_failed_requirement_on_what_fails_it(
        small: Callable[[], tuple[TopologyBuilder, VpcBuilder]], tmp_path: Path) -> None:
    from vpcdraw.overlays import grade_overlay
    from vpcdraw.topology.analysis.grade import grade, load_rubric

    t, _ = small()
    result = grade(t.build(), load_rubric(), f"{MY_IP}/32")
    assert result.topology is not None and not all(item.passed for item in result.items)
    out = tmp_path / "grade.html"
    render(result.topology, out, overlay=grade_overlay(result))  # what `vpcdraw grade -o grade.html` does
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    data = page_data(page)
    assert page_data(page)["findings"] and all(f["targets"] for f in data["findings"])
    failed = [item for item in result.items if not item.passed]
    for item in failed:
        first = next(line for line in item.en.split() if line)  # the English words, wrapped, are in the finding
        assert any(first in f["text"] and f["status"] == "changed" for f in data["findings"]), item.en
    assert html.escape(f"Graded {sum(i.passed for i in result.items)}/{len(result.items)}") in page

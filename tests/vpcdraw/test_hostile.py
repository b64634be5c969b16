"""Hostile input: every broken file gets one clear sentence and exit 1, never a traceback, never an AWS call.

Exit 70 is vpcdraw's own bug (an exception nothing expected), so these tests cannot pass on a KeyError.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults import FaultProxy
from vpcdraw.topology.serialize import to_dict

CORPUS = {
    "raises.py": "raise RuntimeError('boom')\n",
    "nothing.py": "x = 1\n",
    "loops.py": "while True:\n    pass\n",
    "exits.py": "import os\nos._exit(0) if False else None\nraise SystemExit(5)\n",
    "syntax.py": "topology = TopologyBuilder(\n",
    "types.json": '{"name": 5, "region": [], "vpcs": {}}',
    "unknown.json": '{"name": "x", "region": "ap-northeast-2", "vpcs": [], "extra": 1}',
    "huge.json": json.dumps({"name": "h", "region": "ap-northeast-2", "vpcs": [
        {"name": "m", "cidr": "10.0.0.0/16", "security_groups": [
            {"name": "g", "description": "g", "ingress": [
                {"protocol": "tcp", "from_port": 10**40, "to_port": -10**40, "peer": {"kind": "cidr",
                                                                                      "value": "0.0.0.0/0"}}]}]}]}),
    "unicode.py": "from vpcdraw import TopologyBuilder\nt = TopologyBuilder('과제', region='ap-northeast-2')\n"
                  "t.vpc('메인', '10.0.0.0/16').subnet('공개', '10.0.0.0/24', az='a', tier='public')\n"
                  "topology = t.build()\n",
    "many.py": "from vpcdraw import TopologyBuilder\nt = TopologyBuilder('many', region='ap-northeast-2')\n"
               "v = t.vpc('m', '10.0.0.0/16')\n"
               "for i in range(10000):\n"
               "    v.subnet(f's{i}', f'10.{i // 4096}.{(i // 16) % 256}.{(i % 16) * 16}/28', az='a', tier='private')\n"
               "topology = t.build()\n",
    "bytes.json": "\udcff",
    "deep.json": "[" * 100_000 + "]" * 100_000,  # before: exit 70, RecursionError in json.loads
    "digits.json": '{"name": ' + "9" * 5000 + "}",  # before: exit 70, Python's 4,300-digit limit
    # a drawing is data: entity bombs, cells that hold each other, nonsense geometry and edges to nowhere
    "laughs.drawio": '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
                     + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
                               for p, c in zip("abcdefgh", "bcdefghi", strict=True))
                     + ']><mxfile><diagram><mxGraphModel><root><mxCell id="0" value="&i;"/></root></mxGraphModel>'
                       '</diagram></mxfile>',
    "loop.drawio": '<mxfile><diagram><mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/>'
                   '<mxCell id="a" parent="b" vertex="1" value="VPC main 10.0.0.0/16" style="shape=mxgraph.aws4.group;'
                   'grIcon=mxgraph.aws4.group_vpc2;"><mxGeometry x="nan" y="1e400" width="-5" as="geometry"/></mxCell>'
                   '<mxCell id="b" parent="a" vertex="1" value="AZ a"/><mxCell id="e" edge="1" source="a" target="zz" '
                   'value="tcp/22"/></root></mxGraphModel></diagram></mxfile>',
    "nothing.drawio.png": "not a png at all",
}


@pytest.fixture
def counting(endpoint):
    proxy = FaultProxy(endpoint)
    yield proxy
    proxy.close()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_corpus_gets_one_sentence_and_no_aws_call(name, tmp_path, counting):
    path = tmp_path / name
    path.write_bytes(CORPUS[name].encode("utf-8", "surrogateescape"))
    environment = {"AWS_ENDPOINT_URL": counting.endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                   "VPCDRAW_LOAD_TIMEOUT": "2", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "vpcdraw", "plan", str(path), "--my-ip", "203.0.113.10"],
                          capture_output=True, text=True, env=environment, timeout=120, check=False)
    assert done.returncode != 70, f"a bug in vpcdraw, not a user error: {done.stderr}"
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("vpcdraw: error: ")
    assert counting.counts["requests"] == 0


def _junk():
    return st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=30),
                     st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(),
                                                                          max_size=3))


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))  # about 30 s of the suite
@given(data=st.data())
def test_fuzzed_json_never_crashes_check(cli, assignment, tmp_path_factory, data):
    document = to_dict(assignment)
    for _ in range(data.draw(st.integers(1, 3))):
        node = document
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = data.draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and data.draw(st.booleans()):
                node = child
                continue
            node[key] = data.draw(_junk())
            break
    path = tmp_path_factory.getbasetemp() / "fuzz.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli("check", path)
    assert result.code != 70, f"a bug in vpcdraw, not a user error: {result.err}"
    assert result.code in (0, 1)
    assert "Traceback" not in result.err
    if result.code == 1:
        assert result.err.splitlines()[-1].startswith("vpcdraw: error: ")

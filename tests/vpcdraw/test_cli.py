"""The command line as a user meets it: exit codes, messages, files written, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vpcdraw.render.environment import hangul_font
from vpcdraw.topology import load

from ..drawio_cells import cell_to_edit, cells_by_id


def test_version(cli):
    with pytest.raises(SystemExit) as exited:
        cli("--version")
    assert exited.value.code == 0


def test_example_prints_a_file_that_checks(cli, tmp_path):
    result = cli("example", "assignment")
    assert result.code == 0
    path = tmp_path / "assignment.py"
    path.write_text(result.out, encoding="utf-8")
    checked = cli("check", path)
    assert checked.code == 0
    assert checked.out == f"{path}: valid (1 VPC, 5 subnets, 3 security groups)\n"


def test_check_lists_every_problem_with_its_address_and_exits_1(cli, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(
        "from vpcdraw import TopologyBuilder, anywhere, sg\n"
        "t = TopologyBuilder('broken', region='ap-northeast-2')\n"
        "vpc = t.vpc('main', '172.16.0.0/16')\n"
        "vpc.subnet('public-a', '172.16.0.0/24', az='a', tier='public')\n"
        "vpc.subnet('public-c', '172.16.0.128/25', az='e', tier='public')\n"
        "vpc.security_group('web', 'web').ingress('tcp/8080', anywhere).ingress('tcp/22', sg('bastion'))\n"
        "topology = t.build()\n",
        encoding="utf-8",
    )
    result = cli("check", path)
    assert result.code == 1
    lines = result.err.splitlines()
    assert "  vpc/main/subnet/public-c: subnet CIDR '172.16.0.128/25' overlaps subnet public-a (172.16.0.0/24) " \
           "[InvalidSubnet.Conflict]" in lines
    assert any(line.startswith("  vpc/main/subnet/public-c: availability zone 'e' is not in ap-northeast-2")
               for line in lines)
    assert any("vpc/main/security_group/web: ingress rule tcp/22 from SG bastion: security group 'bastion' does "
               "not exist" in line for line in lines)
    assert any("vpc/main/subnet/public-a: is in the public tier but the main route table" in line for line in lines)
    assert lines[-1] == f"vpcdraw: error: {path} has 5 problems; nothing was drawn or changed"
    assert "Traceback" not in result.err


def test_render_writes_png_svg_and_dot_by_extension(cli, example_file, tmp_path):
    source = example_file("service")
    for name in ("service.png", "service.svg", "service.dot"):
        result = cli("render", source, "-o", tmp_path / name, "--my-ip", "203.0.113.10")
        assert result.code == 0, result.err
        assert result.out == f"wrote {tmp_path / name}\n"
    assert (tmp_path / "service.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "service.svg").read_bytes()
    assert (tmp_path / "service.dot").read_text(encoding="utf-8").startswith("digraph")


def test_render_collapse_and_expand_choose_how_subnets_are_drawn(cli, example_file, tmp_path):
    source = example_file("assignment")
    assert cli("render", source, "--collapse", "-o", tmp_path / "c.dot").code == 0
    assert cli("render", source, "--expand", "-o", tmp_path / "e.dot").code == 0
    collapsed, expanded = ((tmp_path / n).read_text(encoding="utf-8") for n in ("c.dot", "e.dot"))
    assert collapsed.count('label="1 public subnet\n') == 2 and "subnet/public-a" not in collapsed
    assert "1 public subnet" not in expanded and "subnet/public-a" in expanded
    refused = cli("render", source, "--collapse", "--expand")
    assert refused.code == 1  # a usage error, as Terraform's: 2 would read as "changes"
    assert refused.err.splitlines()[-1] == "vpcdraw: error: argument --expand: not allowed with argument --collapse"


def test_render_defaults_to_a_png_beside_the_file(cli, example_file):
    source = example_file("assignment")
    result = cli("render", source)
    assert result.code == 0
    assert source.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_render_refuses_unknown_formats_in_one_sentence(cli, example_file, tmp_path):
    result = cli("render", example_file("assignment"), "-o", tmp_path / "a.jpg")
    assert result.code == 1
    assert result.err == (f"vpcdraw: error: {tmp_path / 'a.jpg'}: vpcdraw draws .png, .svg, .dot, .drawio, "
                          ".drawio.png, .drawio.svg or .html, not .jpg\n")


def test_render_without_graphviz_says_how_to_install_it(cli, example_file, tmp_path, monkeypatch):
    source = example_file("assignment")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("render", source, "-o", tmp_path / "a.png")
    assert result.code == 1
    assert result.err.startswith("vpcdraw: error: Graphviz's dot program is not installed; install Graphviz: "
                                 "`sudo apt-get install graphviz`")
    assert not (tmp_path / "a.png").exists()


def test_hangul_without_a_korean_font_warns(cli, example_file, tmp_path, monkeypatch):
    config = tmp_path / "fonts.conf"
    config.write_text("<?xml version='1.0'?><fontconfig><dir>" + str(tmp_path / "nofonts") + "</dir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    hangul_font.cache_clear()
    try:
        result = cli("render", example_file("assignment"), "-o", tmp_path / "a.svg")
    finally:
        monkeypatch.delenv("FONTCONFIG_FILE")
        hangul_font.cache_clear()
    assert result.code == 0
    assert "vpcdraw: warning: the labels have Hangul but no Korean font is installed" in result.err
    assert "fonts-nanum" in result.err


def test_render_without_my_ip_labels_the_admin_as_my_ip(cli, example_file, tmp_path, monkeypatch):
    monkeypatch.delenv("VPCDRAW_MY_IP", raising=False)
    result = cli("render", example_file("assignment"), "-o", tmp_path / "a.dot")
    assert result.code == 0
    assert 'label="admin (my IP)"' in (tmp_path / "a.dot").read_text(encoding="utf-8")


def test_my_ip_comes_from_the_environment_and_is_never_widened(cli, example_file, tmp_path, monkeypatch):
    source = example_file("assignment")
    monkeypatch.setenv("VPCDRAW_MY_IP", "198.51.100.4")
    assert cli("render", source, "-o", tmp_path / "a.dot").code == 0
    assert "198.51.100.4/32" in (tmp_path / "a.dot").read_text(encoding="utf-8")
    wide = cli("render", source, "-o", tmp_path / "b.dot", "--my-ip", "198.51.100.0/24")
    assert wide.code == 1
    assert wide.err == "vpcdraw: error: my IP '198.51.100.0/24' is a range of 256 addresses; give one address\n"


def test_my_ip_auto_asks_and_says_what_it_found(cli, example_file, tmp_path, monkeypatch, checkip):
    monkeypatch.setenv("VPCDRAW_CHECKIP_URL", checkip)
    result = cli("render", example_file("assignment"), "-o", tmp_path / "a.dot", "--my-ip", "auto")
    assert result.code == 0
    assert f"my IP: 198.51.100.23/32 (from {checkip})" in result.err
    assert "198.51.100.23/32" in (tmp_path / "a.dot").read_text(encoding="utf-8")


def test_export_json_round_trips_and_every_command_reads_it(cli, example_file, tmp_path):
    source = example_file("service")
    exported = cli("export", source, "--json")
    assert exported.code == 0
    json_file = tmp_path / "service.json"
    json_file.write_text(exported.out, encoding="utf-8")
    assert load(json_file) == load(source)
    assert json.loads(exported.out)["name"] == "service"
    assert cli("check", json_file).code == 0
    assert cli("render", json_file, "-o", tmp_path / "s.dot").code == 0
    again = cli("export", json_file, "--json")
    assert again.out == exported.out


def test_broken_json_gets_one_sentence(cli, tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"name": "x", "region": "ap-northeast-2", "vpcs": [{"name": "m", "cidr": 16}]}')
    result = cli("check", path)
    assert result.code == 1
    assert result.err == f"vpcdraw: error: {path}: topology.vpcs[0].cidr must be a string, not the number 16\n"


def test_doctor_reports_each_check_with_advice(cli, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    result = cli("doctor")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("[ok ] Graphviz: dot - graphviz version")
    assert lines[1] == f"[ok ] Korean font: {hangul_font()}"
    assert lines[2] == "[ok ] AWS credentials: from env"
    assert lines[3] == "[ok ] AWS region: ap-northeast-2"
    assert lines[4] == "[ok ] AWS endpoint: http://127.0.0.1:5000"


def test_doctor_without_graphviz_or_credentials_says_what_to_do(cli, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("PATH", str(tmp_path))
    result = cli("doctor")
    assert result.code == 1
    assert "[ERR] Graphviz's dot is missing: install Graphviz" in result.out
    assert "[-- ] AWS credentials: none found; run `aws configure`" in result.out
    assert "[-- ] AWS region: none set" in result.out


def test_no_command_prints_help_and_exits_1(cli):
    result = cli()
    assert result.code == 1
    assert "vpcdraw example assignment > assignment.py" in result.out


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "vpcdraw", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, check=False, timeout=60)


def test_python_dash_m_runs_and_help_teaches_the_first_steps():
    done = _run("--help")
    assert done.returncode == 0
    assert "A .py topology file is code" in done.stdout
    assert "vpcdraw render assignment.py -o assignment.png" in done.stdout


def test_a_crashing_topology_file_gives_no_traceback(tmp_path):
    path = tmp_path / "crash.py"
    path.write_text("def f():\n    return 1 / 0\nf()\n")
    done = _run("render", str(path))
    assert done.returncode == 1
    assert done.stderr == f"vpcdraw: error: {path} line 2: ZeroDivisionError: division by zero\n"


def test_help_and_check_import_no_heavy_libraries(tmp_path, example_file):
    source = example_file("assignment")
    probe = (
        "import sys\n"
        "from vpcdraw.cli import main\n"
        f"code = main(['check', {str(source)!r}])\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'moto', 'diagrams', 'graphviz', 'networkx') "
        "if m in sys.modules)\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_no_exec_flag_refuses_python_files(cli, example_file):
    result = cli("--no-exec", "check", example_file("assignment"))
    assert result.code == 1
    assert "with --no-exec only .json topologies are read" in result.err


def test_secrets_never_show_in_output(cli, example_file, aws_env, monkeypatch):
    secret = "FAKESECRETKEYwJalrXUtnFEMIK7MDENGbPxRfiCY"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    source = example_file("assignment")
    outputs = [cli("doctor"), cli("plan", source, "--my-ip", "203.0.113.10"),
               cli("apply", source, "--my-ip", "203.0.113.10"), cli("--debug", "check", source),
               cli("destroy", source)]
    assert [r.code for r in outputs] == [0, 0, 0, 0, 0]
    assert all(secret not in r.out + r.err for r in outputs)


@pytest.mark.parametrize(("command", "what"), [
    (["render", "{source}", "-o"], "the drawing"),
    (["export", "{source}", "-o"], "the export"),
    (["reach", "{source}", "--matrix", "-o"], "the matrix"),  # before: exit 70, NotADirectoryError
])
def test_an_output_under_a_file_or_on_a_folder_is_one_sentence(cli, example_file, tmp_path, monkeypatch, command,
                                                               what):
    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    argv = [part.format(source=example_file("assignment")) for part in command]
    (tmp_path / "taken").write_text("a file, not a folder")
    under = cli(*argv, tmp_path / "taken" / "out.png")
    assert under.code == 1 and under.err.endswith(
        f"cannot write {what}: {tmp_path / 'taken'} is a file, not a folder\n"), under.err
    folder = cli(*argv, tmp_path)
    assert folder.code == 1 and folder.err.endswith(f"cannot write {what}: it is a folder; give a file name\n"), \
        folder.err


def test_render_to_drawio_writes_diagrams_net_and_keeps_a_moved_box(cli, example_file, tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    source, out = example_file("assignment"), tmp_path / "assignment.drawio"
    assert cli("render", source, "-o", out).code == 0
    tree = ET.parse(out)
    cells = cells_by_id(tree.getroot())
    subnet = cells["vpc/main/subnet/public-a"]
    assert "mxgraph.aws4.group_security_group" in (subnet.get("style") or "")
    geometry = cell_to_edit(tree.getroot(), "vpc/main/subnet/public-a").find("mxGeometry")
    assert geometry is not None
    geometry.set("x", "7")  # the user moves the box in draw.io
    tree.write(out, encoding="utf-8")
    assert cli("render", source, "-o", out).code == 0
    again = cells_by_id(ET.parse(out).getroot())
    moved = again["vpc/main/subnet/public-a"].find("mxGeometry")
    assert moved is not None and moved.get("x") == "7"


def test_render_compressed_drawio_decodes_to_the_plain_one(cli, example_file, tmp_path, monkeypatch):
    """draw.io's compressed form: the diagram element holds base64 of raw-deflated, URI-encoded XML
    (drawio.com/doc/faq/save-file-formats; mxfile.xsd: "Base64-encoded, deflate-compressed XML")."""
    import base64
    import xml.etree.ElementTree as ET
    import zlib
    from urllib.parse import unquote

    monkeypatch.setenv("VPCDRAW_MY_IP", "203.0.113.10")
    source = example_file("assignment")
    assert cli("render", source, "-o", tmp_path / "plain.drawio").code == 0
    assert cli("render", source, "-o", tmp_path / "packed.drawio", "--compressed").code == 0
    packed = ET.parse(tmp_path / "packed.drawio").getroot().find("diagram")
    assert packed is not None and packed.find("mxGraphModel") is None
    inflated = unquote(zlib.decompressobj(wbits=-15).decompress(base64.b64decode(packed.text or "")).decode())
    plain = ET.parse(tmp_path / "plain.drawio").getroot().find("diagram/mxGraphModel")
    assert plain is not None
    ids = set(cells_by_id(ET.fromstring(inflated)))
    assert ids == set(cells_by_id(plain)) and "vpc/main/subnet/public-a" in ids
    refused = cli("render", source, "-o", tmp_path / "a.png", "--compressed")
    assert refused.code == 1 and "--compressed is for a .drawio file" in refused.err
